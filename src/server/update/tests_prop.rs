//! Property tests: random update sequences keep the zone rules and their
//! diffs invert; the parser never panics on any input.

use proptest::prelude::*;

use super::tests::{check_commit, n, zone, Msg, ZONE};
use super::*;
use crate::rdata::Class;
use crate::zone::record::Record;

/// Owners relative to example.com ("@" is the apex); chosen to meet the
/// interesting rules: the apex, a CNAME, an empty non-terminal and the
/// name below it, a DNAME and a name below it, a delegation.
const OWNERS: [&str; 10] = [
    "example.com",
    "www.example.com",
    "alias.example.com",
    "b.ent.example.com",
    "a.b.ent.example.com",
    "d.example.com",
    "x.d.example.com",
    "sub.example.com",
    "new.example.com",
    "x.new.example.com",
];
const TYPES: [RType; 7] = [
    RType::A,
    RType::TXT,
    RType::CNAME,
    RType::DNAME,
    RType::NS,
    RType::MX,
    RType::SOA,
];

fn rdata_text(t: RType, i: u8) -> String {
    match t {
        RType::A => format!("192.0.2.{i}"),
        RType::TXT => format!("t{i}"),
        RType::CNAME => format!("target{i}.example.com."),
        RType::DNAME => format!("t{i}.test."),
        RType::NS => format!("ns{i}.example.net."),
        RType::MX => format!("10 mx{i}.example.com."),
        // Serials around the zone's, some later, some not.
        _ => format!("ns1 hostmaster {} 3600 900 604800 300", 8 + i as u32 * 2),
    }
}

#[derive(Debug, Clone)]
struct Op {
    kind: u8,
    owner: usize,
    rtype: usize,
    value: u8,
    ttl: u32,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u8..4,
        0..OWNERS.len(),
        0..TYPES.len(),
        0u8..3,
        prop_oneof![Just(60u32), Just(300)],
    )
        .prop_map(|(kind, owner, rtype, value, ttl)| Op {
            kind,
            owner,
            rtype,
            value,
            ttl,
        })
}

fn message(ops: &[Op]) -> Msg {
    let mut m = Msg::new("example.com");
    for o in ops {
        let (owner, t) = (OWNERS[o.owner], TYPES[o.rtype]);
        let text = rdata_text(t, o.value);
        m = match o.kind {
            0 => m.add(owner, o.ttl, t, &text),
            1 => m.del_rr(owner, t, &text),
            2 => m.del_rrset(owner, t),
            _ => m.del_name(owner),
        };
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every commit applies, keeps the zone rules, inverts back, and is a
    /// net diff (no RR both removed and added unchanged).
    #[test]
    fn random_updates_keep_the_zone_valid(
        msgs in proptest::collection::vec(proptest::collection::vec(op(), 1..8), 1..6)
    ) {
        let acl = UpdateAcl { grants: vec![Grant::full("key")] };
        let mut v = zone(ZONE);
        for ops in &msgs {
            let req = parse_update(&message(ops).build()).expect("parses");
            let out = process_update(&req, &v, Some(&n("key")), &acl, SerialPolicy::Increment, 0);
            match out {
                UpdateOutcome::Commit(diff) => {
                    for r in &diff.removed {
                        prop_assert!(!diff.added.iter().any(|a: &Record| a.same_rr(r) && a.ttl == r.ttl), "{r:?} both removed and added");
                    }
                    let old_serial = v.serial();
                    let (next, _) = check_commit(&v, UpdateOutcome::Commit(diff));
                    prop_assert!(crate::zone::serial::Serial(next.serial()).is_after(crate::zone::serial::Serial(old_serial)));
                    v = next;
                }
                UpdateOutcome::NoChange => {}
                // Only the DNAME rule refuses among these operations.
                UpdateOutcome::Refuse(rc) => prop_assert_eq!(rc, rcode::REFUSED),
            }
        }
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_update(&bytes);
    }

    /// Mutations of a valid message: parse, and process whatever parses.
    #[test]
    fn mutated_messages_never_panic(
        ops in proptest::collection::vec(op(), 0..5),
        flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..6),
        cut in 0usize..8,
    ) {
        let mut m = message(&ops)
            .pre("www.example.com", Class::IN, RType::A, "192.0.2.10")
            .pre("x.example.com", Class::NONE, RType::ANY, "")
            .build();
        for (i, b) in flips {
            if i < m.len() { m[i] = b; }
        }
        m.truncate(m.len().saturating_sub(cut));
        if let Ok(req) = parse_update(&m) {
            let v = zone(ZONE);
            let acl = UpdateAcl { grants: vec![Grant::full("key")] };
            if let UpdateOutcome::Commit(diff) =
                process_update(&req, &v, Some(&n("key")), &acl, SerialPolicy::Increment, 0)
            {
                check_commit(&v, UpdateOutcome::Commit(diff));
            }
        }
    }
}
