//! The desired state of one target: the zone version as this target can
//! hold it.
//!
//! Never pushed: the apex SOA (the provider owns its SOA), the apex NS
//! where the provider does not let it be changed, DNSSEC records to a
//! provider that signs itself. Types the provider does not support are
//! skipped with a warning, or refuse the plan when the target is strict.
//! A signed zone is refused for a target that would serve it unsigned
//! (its DS at the parent would make every answer bogus), unless the
//! operator states the parent has no DS (`allow_unsigned`).

use std::collections::HashSet;

use crate::providers::{Capabilities, TxtStyle};
use crate::rdata::RType;
use crate::sync::normalize::{clamp_ttl, in_scope, ttl_bounds};
use crate::sync::rrset::{RRsetData, RRsetKey, RRsets};
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;
use crate::zone::node::RRsetRef;
use crate::zone::version::ZoneVersion;

/// The desired RRsets and what was left out.
#[derive(Debug, Default)]
pub struct Desired {
    pub rrsets: RRsets,
    /// One line per RRset skipped because the provider cannot hold it.
    pub skipped: Vec<String>,
}

/// Why no plan can be made for a target.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    #[error("zone {zone} is DNSSEC-signed (DNSKEY at the apex) and target {target} would serve it unsigned or signed with its own keys, which makes answers bogus wherever the parent holds a DS; sign at the provider with multi-signer (not supported yet), use a secondary target, or set allow_unsigned = true if the parent has no DS")]
    Unsigned { zone: String, target: String },
    #[error("target {target} is strict and cannot hold: {what}")]
    Unsupported { target: String, what: String },
}

/// The records of `version` that `target` should hold.
pub fn desired(
    version: &ZoneVersion,
    caps: &Capabilities,
    target: &TargetConfig,
) -> Result<Desired, Refusal> {
    let apex = version.apex().clone();
    guard_signed(version, caps, target)?;
    let bounds = ttl_bounds(caps, target);
    let mut out = Desired::default();
    for node in version.nodes() {
        let owner = node.owner();
        for set in node.rrsets() {
            add(&mut out, &apex, caps, bounds, &owner, &set);
        }
    }
    if target.strict && !out.skipped.is_empty() {
        return Err(Refusal::Unsupported {
            target: target.name.clone(),
            what: out.skipped.join("; "),
        });
    }
    Ok(out)
}

/// Refuses a signed zone for a target that would not serve our signatures.
fn guard_signed(
    version: &ZoneVersion,
    caps: &Capabilities,
    target: &TargetConfig,
) -> Result<(), Refusal> {
    let signed = version.apex_node().is_some_and(|n| n.has(RType::DNSKEY));
    if signed && caps.signs_itself && !target.allow_unsigned {
        return Err(Refusal::Unsigned {
            zone: version.apex().to_string(),
            target: target.name.clone(),
        });
    }
    Ok(())
}

/// One RRset of the zone into the desired state, if the target holds it.
fn add(
    out: &mut Desired,
    apex: &Name,
    caps: &Capabilities,
    bounds: (u32, u32),
    owner: &Name,
    set: &RRsetRef<'_>,
) {
    let key = RRsetKey {
        name: owner.clone(),
        rtype: set.rtype,
    };
    if !in_scope(&key, apex, caps) {
        return;
    }
    if !caps.supports(set.rtype) {
        out.skipped
            .push(format!("{key}: type not supported by the provider"));
        return;
    }
    let ttl = clamp_ttl(set.ttl, bounds);
    let rdatas = set.rdatas().map(|rd| match (set.rtype, caps.txt) {
        (RType::TXT, TxtStyle::Joined) => join_txt(rd),
        _ => rd.to_vec(),
    });
    let data = RRsetData::new(set.rtype, ttl, rdatas);
    out.rrsets.insert(key, data);
}

/// The desired state of only `keys` (the RRsets a diff touched): what an
/// incremental push compares, without walking the whole zone.
pub fn desired_for(
    version: &ZoneVersion,
    caps: &Capabilities,
    target: &TargetConfig,
    keys: &HashSet<RRsetKey>,
) -> Result<Desired, Refusal> {
    guard_signed(version, caps, target)?;
    let apex = version.apex().clone();
    let bounds = ttl_bounds(caps, target);
    let mut out = Desired::default();
    for key in keys {
        if let Some(set) = version.node(&key.name).and_then(|n| n.get(key.rtype)) {
            add(&mut out, &apex, caps, bounds, &key.name, &set);
        }
    }
    if target.strict && !out.skipped.is_empty() {
        return Err(Refusal::Unsupported {
            target: target.name.clone(),
            what: out.skipped.join("; "),
        });
    }
    Ok(out)
}

/// The strings of a TXT rdata as one run of octets (a string that claims
/// more than is left takes what is left).
pub(crate) fn txt_octets(rd: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(rd.len());
    let mut rest = rd;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        joined.extend_from_slice(&tail[..len]);
        rest = &tail[len..];
    }
    joined
}

/// A TXT rdata as a provider that joins strings stores it: one string,
/// cut again at 255 octets.
fn join_txt(rd: &[u8]) -> Vec<u8> {
    let joined = txt_octets(rd);
    let mut out = Vec::with_capacity(joined.len() + joined.len() / 255 + 1);
    if joined.is_empty() {
        out.push(0);
    }
    for chunk in joined.chunks(255) {
        // chunks(255) never yields more than 255 octets.
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_txt_joins_and_resplits() {
        let zone: Name = "example.test".parse().expect("name");
        let two = crate::rdata::from_str(RType::TXT, "\"ab\" \"cd\"", &zone).expect("txt");
        let one = crate::rdata::from_str(RType::TXT, "\"abcd\"", &zone).expect("txt");
        assert_eq!(join_txt(&two), one);
        let long = format!("\"{}\" \"{}\"", "x".repeat(200), "y".repeat(200));
        let rd = crate::rdata::from_str(RType::TXT, &long, &zone).expect("txt");
        let joined = join_txt(&rd);
        assert_eq!(joined[0], 255);
        assert_eq!(joined[256], 145);
        assert_eq!(joined.len(), 402);
        let empty = crate::rdata::from_str(RType::TXT, "\"\"", &zone).expect("txt");
        assert_eq!(join_txt(&empty), vec![0]);
    }
}
