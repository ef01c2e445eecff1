//! Property tests: random update sequences keep the zone rules and their
//! diffs invert; the parser never panics on any input.

use proptest::prelude::*;

use super::tests::{check_commit, n, zone, Msg, ZONE};
use super::*;
use crate::rdata::Class;
use crate::zone::record::Record;
use crate::zone::serial::Serial;
use crate::zone::version::soa_fields;

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

/// A flat reference model of RFC 2136 §3.4.2 over the whole record list,
/// written without the overlay, to check the net diffs against.
fn model(records: &[Record], req: &UpdateRequest) -> Vec<Record> {
    let apex = n("example.com");
    let mut z: Vec<Record> = records.to_vec();
    let at = |z: &Vec<Record>, o: &Name, t: RType| {
        z.iter().filter(|r| &r.owner == o && r.rtype == t).count()
    };
    for u in &req.updates {
        match u {
            Update::Add(rec) => {
                let (o, t) = (&rec.owner, rec.rtype);
                if t == RType::SOA {
                    let old = z
                        .iter()
                        .find(|r| r.rtype == RType::SOA)
                        .and_then(|r| soa_fields(&r.rdata))
                        .map(|f| f.serial);
                    let new = soa_fields(&rec.rdata).map(|f| f.serial);
                    if *o == apex
                        && matches!((new, old), (Some(a), Some(b)) if Serial(a).is_after(Serial(b)))
                    {
                        z.retain(|r| r.rtype != RType::SOA);
                        z.push(rec.clone());
                    }
                    continue;
                }
                let other = z.iter().any(|r| &r.owner == o && r.rtype != RType::CNAME);
                if (t == RType::CNAME && other)
                    || (t != RType::CNAME && at(&z, o, RType::CNAME) > 0)
                {
                    continue;
                }
                if t == RType::CNAME {
                    z.retain(|r| !(&r.owner == o && r.rtype == t && r.rdata != rec.rdata));
                }
                for r in z.iter_mut().filter(|r| &r.owner == o && r.rtype == t) {
                    r.ttl = rec.ttl;
                }
                if !z.iter().any(|r| r.same_rr(rec)) {
                    z.push(rec.clone());
                }
            }
            Update::DeleteRRset { owner, rtype } => {
                if !(*owner == apex && matches!(*rtype, RType::SOA | RType::NS)) {
                    z.retain(|r| !(&r.owner == owner && r.rtype == *rtype));
                }
            }
            Update::DeleteName(owner) => z.retain(|r| {
                &r.owner != owner || (*owner == apex && matches!(r.rtype, RType::SOA | RType::NS))
            }),
            Update::DeleteRR {
                owner,
                rtype,
                rdata,
            } => {
                let last_ns =
                    *owner == apex && *rtype == RType::NS && at(&z, owner, RType::NS) == 1;
                if *rtype != RType::SOA && !last_ns {
                    z.retain(|r| !(&r.owner == owner && r.rtype == *rtype && r.rdata == *rdata));
                }
            }
        }
    }
    z
}

/// The records as a comparable set, the SOA left out unless `soa`.
fn key_set(records: &[Record], soa: bool) -> std::collections::BTreeSet<(Name, u16, u32, Vec<u8>)> {
    records
        .iter()
        .filter(|r| soa || r.rtype != RType::SOA)
        .map(|r| (r.owner.to_lowercase(), r.rtype.0, r.ttl, r.rdata.to_vec()))
        .collect()
}

/// True when some record lies strictly below a DNAME owner.
fn data_below_dname(records: &[Record]) -> bool {
    records.iter().filter(|d| d.rtype == RType::DNAME).any(|d| {
        records
            .iter()
            .any(|r| r.owner != d.owner && r.owner.is_subdomain_of(&d.owner))
    })
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
            let before = v.records_canonical();
            let expected = model(&before, &req);
            match out {
                UpdateOutcome::Commit(diff) => {
                    for r in &diff.removed {
                        prop_assert!(!diff.added.iter().any(|a: &Record| a.same_rr(r) && a.ttl == r.ttl), "{r:?} both removed and added");
                    }
                    let old_serial = v.serial();
                    let (next, _) = check_commit(&v, UpdateOutcome::Commit(diff));
                    let got = next.records_canonical();
                    prop_assert_eq!(key_set(&got, false), key_set(&expected, false));
                    prop_assert!(key_set(&got, true) != key_set(&before, true));
                    prop_assert!(crate::zone::serial::Serial(next.serial()).is_after(crate::zone::serial::Serial(old_serial)));
                    v = next;
                }
                UpdateOutcome::NoChange => {
                    prop_assert_eq!(key_set(&expected, true), key_set(&before, true));
                }
                // Only the DNAME rule refuses among these operations.
                UpdateOutcome::Refuse(rc) => {
                    prop_assert_eq!(rc, rcode::REFUSED);
                    prop_assert!(data_below_dname(&expected));
                }
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
