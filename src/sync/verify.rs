//! `polyzone verify ZONE`: ask each target's authoritative nameservers,
//! over DNS, whether they serve what they should — the SOA serial for
//! transfer targets, every RRset for API targets — and list what matches
//! and what does not. Nothing here trusts a provider's API: only what its
//! servers answer counts.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rdata::RType;
use crate::sync::desired::desired;
use crate::sync::dnsq;
use crate::sync::rrset::RRsetData;
use crate::sync::target::{TargetConfig, TargetKind};
use crate::zone::name::Name;
use crate::zone::version::ZoneVersion;

const TIMEOUT: Duration = Duration::from_secs(2);

/// The result for one target.
#[derive(Debug, Serialize, Deserialize)]
pub struct TargetVerify {
    pub target: String,
    pub servers: Vec<String>,
    pub checked: usize,
    pub matches: usize,
    pub mismatches: Vec<String>,
    pub error: Option<String>,
}

/// The result for a zone.
#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyReport {
    pub zone: String,
    pub serial: u32,
    pub ok: bool,
    pub targets: Vec<TargetVerify>,
}

impl VerifyReport {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} serial {}: {}",
            self.zone,
            self.serial,
            if self.ok { "OK" } else { "MISMATCH" }
        );
        for t in &self.targets {
            s.push_str(&format!(
                "\n  {} ({}): {} of {} match",
                t.target,
                t.servers.join(", "),
                t.matches,
                t.checked
            ));
            if let Some(e) = &t.error {
                s.push_str(&format!("\n    error: {e}"));
            }
            for m in &t.mismatches {
                s.push_str(&format!("\n    mismatch: {m}"));
            }
        }
        s
    }
}

/// The servers to ask for a target: its `nameservers`, else the zone's NS
/// (addresses from the zone's own glue, else resolved), port 53.
pub async fn nameservers_of(target: &TargetConfig, version: &ZoneVersion) -> Vec<SocketAddr> {
    if !target.nameservers.is_empty() {
        return target.nameservers.clone();
    }
    let mut out = Vec::new();
    let Some(ns) = version.apex_node().and_then(|n| n.get(RType::NS)) else {
        return out;
    };
    for rd in ns.rdatas() {
        let Ok(host) = Name::from_wire(rd) else {
            continue;
        };
        let mut found = false;
        if let Some(node) = version.node(&host) {
            for (t, len) in [(RType::A, 4usize), (RType::AAAA, 16)] {
                for a in node.get(t).iter().flat_map(|s| s.rdatas()) {
                    let ip = match len {
                        4 => <[u8; 4]>::try_from(a).ok().map(std::net::IpAddr::from),
                        _ => <[u8; 16]>::try_from(a).ok().map(std::net::IpAddr::from),
                    };
                    if let Some(ip) = ip {
                        out.push(SocketAddr::new(ip, 53));
                        found = true;
                    }
                }
            }
        }
        if !found {
            let host = format!("{}:53", host.to_string().trim_end_matches('.'));
            let resolved = tokio::net::lookup_host(host.as_str()).await;
            out.extend(resolved.into_iter().flatten());
        }
    }
    out
}

/// Verifies every target of a zone.
pub async fn verify(version: &ZoneVersion, targets: &[TargetConfig]) -> VerifyReport {
    let mut out = Vec::new();
    for t in targets.iter().filter(|t| t.verify) {
        out.push(verify_target(version, t).await);
    }
    VerifyReport {
        zone: version.apex().to_string(),
        serial: version.serial(),
        ok: out
            .iter()
            .all(|t| t.error.is_none() && t.mismatches.is_empty()),
        targets: out,
    }
}

async fn verify_target(version: &ZoneVersion, t: &TargetConfig) -> TargetVerify {
    let servers = nameservers_of(t, version).await;
    let mut r = TargetVerify {
        target: t.name.clone(),
        servers: servers.iter().map(|s| s.to_string()).collect(),
        checked: 0,
        matches: 0,
        mismatches: vec![],
        error: None,
    };
    if servers.is_empty() {
        r.error = Some("no nameservers to ask (set the target's nameservers)".into());
        return r;
    }
    let apex = version.apex();
    if t.kind == TargetKind::Secondary {
        for s in &servers {
            r.checked += 1;
            match dnsq::soa_serial(*s, apex, TIMEOUT).await {
                Ok(got) if got == version.serial() => r.matches += 1,
                Ok(got) => r.mismatches.push(format!(
                    "{s}: SOA serial {got}, expected {}",
                    version.serial()
                )),
                Err(e) => r.mismatches.push(format!("{s}: {e}")),
            }
        }
        return r;
    }
    let caps = match crate::providers::build(t) {
        Ok(Some(p)) => p.capabilities().clone(),
        Ok(None) => {
            r.error = Some("target has no API".into());
            return r;
        }
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    let want = match desired(version, &caps, t) {
        Ok(d) => d,
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    // Below a zone cut the servers answer with referrals, not data.
    let cuts: BTreeSet<Name> = want
        .rrsets
        .keys()
        .filter(|k| k.rtype == RType::NS && &k.name != apex)
        .map(|k| k.name.clone())
        .collect();
    for (key, data) in &want.rrsets {
        if cuts.iter().any(|c| key.name.is_subdomain_of(c)) {
            continue;
        }
        for s in &servers {
            r.checked += 1;
            match dnsq::query(*s, &key.name, key.rtype, TIMEOUT).await {
                Ok(a) => {
                    let got = RRsetData::new(
                        key.rtype,
                        a.records.first().map_or(0, |x| x.ttl),
                        a.records
                            .iter()
                            .filter(|x| x.rtype == key.rtype && x.owner == key.name)
                            .map(|x| x.rdata.to_vec()),
                    );
                    if a.rcode == 0 && a.authoritative && &got == data {
                        r.matches += 1;
                    } else {
                        let texts = if got.rdatas.is_empty() {
                            "nothing".into()
                        } else {
                            got.texts(key.rtype).join(" | ")
                        };
                        r.mismatches.push(format!(
                            "{s}: {key}: serves {} {texts} (rcode {}), expected {} {}",
                            got.ttl,
                            a.rcode,
                            data.ttl,
                            data.texts(key.rtype).join(" | ")
                        ));
                    }
                }
                Err(e) => r.mismatches.push(format!("{s}: {key}: {e}")),
            }
        }
    }
    r
}
