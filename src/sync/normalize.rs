//! Per-provider normalisation: what our records become once a provider
//! holds them, so that desired and actual state compare equal after an
//! apply and a second plan is empty.
//!
//! Three things differ between providers and matter here: the TTL range
//! (a provider raises or lowers TTLs outside it), the records it keeps for
//! itself (apex SOA, often apex NS, its DNSSEC records), and the text form
//! of data (quoting, escaping, case, trailing dots). Text form never
//! reaches the comparison: both sides are wire form, names canonical
//! (see [`crate::sync::rrset`]). The first two are decided here.

use crate::providers::Capabilities;
use crate::rdata::RType;
use crate::sync::rrset::RRsetKey;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// The TTL range a target accepts: the provider's, narrowed by config.
pub fn ttl_bounds(caps: &Capabilities, target: &TargetConfig) -> (u32, u32) {
    let lo = caps.ttl_min.max(target.ttl_min.unwrap_or(0));
    let hi = caps.ttl_max.min(target.ttl_max.unwrap_or(u32::MAX)).max(lo);
    (lo, hi)
}

/// A TTL as the provider will store it.
pub fn clamp_ttl(ttl: u32, bounds: (u32, u32)) -> u32 {
    ttl.clamp(bounds.0, bounds.1)
}

/// Types that belong to a zone's signing; never pushed to a provider that
/// signs by itself, never compared there either (it has its own).
pub fn is_signing_type(rtype: RType) -> bool {
    rtype.is_dnssec()
}

/// Whether an RRset is in scope for this provider at all: records the
/// provider keeps for itself are neither pushed nor compared nor deleted.
pub fn in_scope(key: &RRsetKey, apex: &Name, caps: &Capabilities) -> bool {
    let at_apex = key.name == *apex;
    if at_apex && key.rtype == RType::SOA {
        return false;
    }
    if at_apex && key.rtype == RType::NS && !caps.apex_ns {
        return false;
    }
    if caps.signs_itself && is_signing_type(key.rtype) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{TxtStyle, COMMON_TYPES};

    fn caps(apex_ns: bool) -> Capabilities {
        Capabilities {
            ttl_min: 60,
            ttl_max: 86_400,
            types: COMMON_TYPES,
            apex_ns,
            atomic_batch: true,
            max_batch: 100,
            signs_itself: true,
            txt: TxtStyle::Quoted,
        }
    }

    #[test]
    fn scope_excludes_provider_records() {
        let apex: Name = "example.test".parse().unwrap();
        let key = |n: &str, t| RRsetKey {
            name: n.parse().unwrap(),
            rtype: t,
        };
        assert!(!in_scope(
            &key("EXAMPLE.test", RType::SOA),
            &apex,
            &caps(true)
        ));
        assert!(in_scope(
            &key("example.test", RType::NS),
            &apex,
            &caps(true)
        ));
        assert!(!in_scope(
            &key("example.test", RType::NS),
            &apex,
            &caps(false)
        ));
        assert!(in_scope(
            &key("sub.example.test", RType::NS),
            &apex,
            &caps(false)
        ));
        assert!(!in_scope(
            &key("example.test", RType::DNSKEY),
            &apex,
            &caps(true)
        ));
        assert!(!in_scope(
            &key("www.example.test", RType::RRSIG),
            &apex,
            &caps(true)
        ));
    }

    #[test]
    fn ttl_clamped_to_both_ends() {
        assert_eq!(clamp_ttl(1, (60, 86_400)), 60);
        assert_eq!(clamp_ttl(100_000, (60, 86_400)), 86_400);
        assert_eq!(clamp_ttl(300, (60, 86_400)), 300);
    }
}
