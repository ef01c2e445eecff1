//! The `[[policy]]` tables of the config: how a zone is signed and how its
//! keys roll. A zone names its policy with `dnssec = "name"`.
//!
//! ```toml
//! [[policy]]
//! name = "default"
//! algorithm = "ecdsap256sha256"   # ed25519 | rsasha256
//! denial = "nsec"                 # nsec3: RFC 9276 defaults (0 iterations, no salt)
//! nsec3_opt_out = false
//! csk = false                     # one combined key instead of KSK + ZSK
//! zsk_lifetime = "90d"            # 0 = never rolled automatically
//! ksk_lifetime = "0"              # also the CSK's lifetime with csk = true
//! rrsig_validity = "14d"
//! rrsig_refresh = "7d"            # re-sign when less than this is left
//! rrsig_jitter = "12h"            # spread of expirations, so re-signing spreads
//! dnskey_ttl = "1h"
//! propagation_delay = "1h"        # time for a change to reach every secondary
//! parent_ds_ttl = "1d"
//! parent_propagation_delay = "1h"
//! parent_nameservers = ["192.0.2.53:53"]   # asked whether the new DS is served
//! ```

use std::net::SocketAddr;

use serde::Deserialize;

use super::keys::Algorithm;
use super::nsec3::Nsec3Params;
use crate::config::HumanDuration;

/// How names that do not exist are proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    Nsec3(Nsec3Params),
}

/// A validated signing policy (durations in seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub algorithm: Algorithm,
    pub denial: Denial,
    pub csk: bool,
    pub zsk_lifetime: u64,
    pub ksk_lifetime: u64,
    pub rrsig_validity: u64,
    pub rrsig_refresh: u64,
    pub rrsig_jitter: u64,
    pub dnskey_ttl: u32,
    pub propagation_delay: u64,
    pub parent_ds_ttl: u64,
    pub parent_propagation_delay: u64,
    pub parent_nameservers: Vec<SocketAddr>,
}

/// Inception is backdated this much, for validators with slow clocks.
pub const INCEPTION_BACKDATE: u64 = 3600;

/// A `[[policy]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    name: String,
    algorithm: Option<String>,
    denial: Option<String>,
    nsec3_iterations: Option<u16>,
    nsec3_salt: Option<String>,
    nsec3_opt_out: Option<bool>,
    csk: Option<bool>,
    zsk_lifetime: Option<HumanDuration>,
    ksk_lifetime: Option<HumanDuration>,
    rrsig_validity: Option<HumanDuration>,
    rrsig_refresh: Option<HumanDuration>,
    rrsig_jitter: Option<HumanDuration>,
    dnskey_ttl: Option<HumanDuration>,
    propagation_delay: Option<HumanDuration>,
    parent_ds_ttl: Option<HumanDuration>,
    parent_propagation_delay: Option<HumanDuration>,
    parent_nameservers: Option<Vec<String>>,
}

fn secs(d: Option<HumanDuration>, default: u64) -> u64 {
    d.map_or(default, |d| d.0.as_secs())
}

impl RawPolicy {
    /// Validates the table; errors are `(key, message)` with the key
    /// relative to the table (`algorithm`, `denial`, ...).
    pub fn validate(self) -> Result<Policy, (String, String)> {
        let err = |k: &str, m: String| (k.to_string(), m);
        if self.name.is_empty() {
            return Err(err("name", "must not be empty".into()));
        }
        let alg_text = self.algorithm.unwrap_or_else(|| "ecdsap256sha256".into());
        let algorithm = Algorithm::from_name(&alg_text).ok_or_else(|| {
            err(
                "algorithm",
                format!("`{alg_text}` is not one of ecdsap256sha256, ed25519, rsasha256"),
            )
        })?;
        let salt = match self.nsec3_salt.as_deref() {
            None | Some("") | Some("-") => Vec::new(),
            Some(hex) => {
                decode_hex(hex).ok_or_else(|| err("nsec3_salt", format!("`{hex}` is not hex")))?
            }
        };
        let denial = match self.denial.as_deref().unwrap_or("nsec") {
            "nsec" => Denial::Nsec,
            "nsec3" => Denial::Nsec3(Nsec3Params {
                iterations: self.nsec3_iterations.unwrap_or(0),
                salt,
                opt_out: self.nsec3_opt_out.unwrap_or(false),
            }),
            other => return Err(err("denial", format!("`{other}` is not nsec or nsec3"))),
        };
        let rrsig_validity = secs(self.rrsig_validity, 14 * 86_400);
        let rrsig_refresh = secs(self.rrsig_refresh, rrsig_validity / 2);
        if rrsig_validity < 60 {
            return Err(err("rrsig_validity", "must be at least 60s".into()));
        }
        if rrsig_refresh >= rrsig_validity {
            return Err(err(
                "rrsig_refresh",
                "must be shorter than rrsig_validity".into(),
            ));
        }
        let rrsig_jitter = secs(self.rrsig_jitter, (rrsig_validity - rrsig_refresh) / 4);
        if rrsig_jitter >= rrsig_validity - rrsig_refresh {
            return Err(err(
                "rrsig_jitter",
                "must be shorter than rrsig_validity - rrsig_refresh".into(),
            ));
        }
        let mut parent_nameservers = Vec::new();
        for a in self.parent_nameservers.unwrap_or_default() {
            parent_nameservers
                .push(a.parse::<SocketAddr>().map_err(|_| {
                    err("parent_nameservers", format!("`{a}` is not address:port"))
                })?);
        }
        Ok(Policy {
            name: self.name,
            algorithm,
            denial,
            csk: self.csk.unwrap_or(false),
            zsk_lifetime: secs(self.zsk_lifetime, 90 * 86_400),
            ksk_lifetime: secs(self.ksk_lifetime, 0),
            rrsig_validity,
            rrsig_refresh,
            rrsig_jitter,
            dnskey_ttl: secs(self.dnskey_ttl, 3600).min(u32::MAX as u64) as u32,
            propagation_delay: secs(self.propagation_delay, 3600),
            parent_ds_ttl: secs(self.parent_ds_ttl, 86_400),
            parent_propagation_delay: secs(self.parent_propagation_delay, 3600),
            parent_nameservers,
        })
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 510 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Policy, (String, String)> {
        let raw: RawPolicy = toml::from_str(t).unwrap();
        raw.validate()
    }

    #[test]
    fn defaults_and_errors() {
        let p = parse("name = \"p\"").unwrap();
        assert_eq!(p.algorithm, Algorithm::EcdsaP256Sha256);
        assert_eq!(p.denial, Denial::Nsec);
        assert_eq!(p.rrsig_validity, 14 * 86_400);
        let p = parse("name = \"p\"\ndenial = \"nsec3\"\nnsec3_salt = \"aabb\"").unwrap();
        assert_eq!(
            p.denial,
            Denial::Nsec3(Nsec3Params {
                iterations: 0,
                salt: vec![0xaa, 0xbb],
                opt_out: false
            })
        );
        assert_eq!(
            parse("name = \"p\"\nalgorithm = \"dsa\"").unwrap_err().0,
            "algorithm"
        );
        assert_eq!(
            parse("name = \"p\"\ndenial = \"none\"").unwrap_err().0,
            "denial"
        );
        assert_eq!(
            parse("name = \"p\"\nrrsig_validity = \"1d\"\nrrsig_refresh = \"2d\"")
                .unwrap_err()
                .0,
            "rrsig_refresh"
        );
    }
}
