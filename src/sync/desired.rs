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

use crate::providers::Capabilities;
use crate::rdata::RType;
use crate::sync::normalize::{clamp_ttl, in_scope, ttl_bounds};
use crate::sync::rrset::{RRsetData, RRsetKey, RRsets};
use crate::sync::target::TargetConfig;
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
    let signed = version.apex_node().is_some_and(|n| n.has(RType::DNSKEY));
    if signed && caps.signs_itself && !target.allow_unsigned {
        return Err(Refusal::Unsigned {
            zone: apex.to_string(),
            target: target.name.clone(),
        });
    }
    let bounds = ttl_bounds(caps, target);
    let mut out = Desired::default();
    for node in version.nodes() {
        let owner = node.owner();
        for set in node.rrsets() {
            let key = RRsetKey {
                name: owner.clone(),
                rtype: set.rtype,
            };
            if !in_scope(&key, &apex, caps) {
                continue;
            }
            if !caps.supports(set.rtype) {
                out.skipped
                    .push(format!("{key}: type not supported by the provider"));
                continue;
            }
            let ttl = clamp_ttl(set.ttl, bounds);
            let data = RRsetData::new(set.rtype, ttl, set.rdatas().map(<[u8]>::to_vec));
            out.rrsets.insert(key, data);
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
