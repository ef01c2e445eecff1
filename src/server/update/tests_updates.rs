//! Tests of the update section (RFC 2136 §3.4.2): every update form with
//! its rcode and resulting zone, serials and net diffs.

use super::tests::*;
use super::*;
use crate::rdata::Class;
use crate::zone::record::Record;

#[test]
fn add_creates_a_name_and_bumps_the_serial() {
    let v = zone(ZONE);
    let m = Msg::new(Z).add("new.deep.example.com", 300, RType::A, "192.0.2.99");
    let (next, diff) = check_commit(&v, run(&v, &m));
    assert_eq!((diff.serial_from, diff.serial_to), (10, 11));
    assert_eq!(next.serial(), 11);
    let soa = |s: u32| {
        rd(
            RType::SOA,
            &format!("ns1 hostmaster {s} 3600 900 604800 300"),
        )
    };
    assert_eq!(
        diff.removed,
        vec![Record::new(n(Z), RType::SOA, 3600, soa(10))]
    );
    assert_eq!(
        diff.added,
        vec![
            Record::new(n(Z), RType::SOA, 3600, soa(11)),
            Record::new(
                n("new.deep.example.com"),
                RType::A,
                300,
                vec![192, 0, 2, 99]
            ),
        ]
    );
    assert!(next.node(&n("deep.example.com")).unwrap().is_empty());
}

#[test]
fn add_to_an_rrset_and_duplicates() {
    let v = zone(ZONE);
    let m = Msg::new(Z).add("www.example.com", 3600, RType::A, "192.0.2.12");
    let (next, diff) = check_commit(&v, run(&v, &m));
    assert_eq!(diff.added.len(), 2); // the RR and the SOA
    assert_eq!(set(&next, "www.example.com", RType::A).unwrap().1.len(), 3);
    // Exactly the same RR again: nothing to do, no new serial.
    let m = Msg::new(Z).add("www.example.com", 3600, RType::A, "192.0.2.10");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Duplicate names in rdata compare ignoring case.
    let m = Msg::new(Z).add("example.com", 3600, RType::MX, "10 MAIL.example.com.");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
}

#[test]
fn added_ttl_becomes_the_rrset_ttl() {
    let v = zone(ZONE);
    // A new RR with another TTL: the whole RRset takes it.
    let m = Msg::new(Z).add("www.example.com", 60, RType::A, "192.0.2.12");
    let (next, diff) = check_commit(&v, run(&v, &m));
    assert_eq!(
        set(&next, "www.example.com", RType::A),
        Some((
            60,
            vec![
                "192.0.2.10".into(),
                "192.0.2.11".into(),
                "192.0.2.12".into()
            ]
        ))
    );
    // IXFR form: both old RRs removed with TTL 3600, all three added with 60.
    let www: Vec<&Record> = diff
        .removed
        .iter()
        .filter(|r| r.rtype == RType::A)
        .collect();
    assert_eq!(www.len(), 2);
    assert!(www.iter().all(|r| r.ttl == 3600));
    let www: Vec<&Record> = diff.added.iter().filter(|r| r.rtype == RType::A).collect();
    assert_eq!(www.len(), 3);
    assert!(www.iter().all(|r| r.ttl == 60));
    // A duplicate with another TTL changes only the TTL.
    let m = Msg::new(Z).add("www.example.com", 120, RType::A, "192.0.2.10");
    let (next, _) = check_commit(&v, run(&v, &m));
    assert_eq!(set(&next, "www.example.com", RType::A).unwrap().0, 120);
    // Within one message the last TTL wins.
    let m = Msg::new(Z)
        .add("n.example.com", 100, RType::A, "192.0.2.1")
        .add("n.example.com", 200, RType::A, "192.0.2.2");
    let next = commit(&v, &m);
    assert_eq!(set(&next, "n.example.com", RType::A).unwrap().0, 200);
}

#[test]
fn delete_rrset() {
    let v = zone(ZONE);
    let next = commit(&v, &Msg::new(Z).del_rrset("www.example.com", RType::A));
    assert!(next.node(&n("www.example.com")).is_none());
    // Nothing there: nothing to do.
    let m = Msg::new(Z).del_rrset("www.example.com", RType::MX);
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // The apex SOA and NS RRsets stay.
    let m = Msg::new(Z)
        .del_rrset("example.com", RType::SOA)
        .del_rrset("example.com", RType::NS);
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // A delegation's NS is an ordinary RRset.
    let next = commit(&v, &Msg::new(Z).del_rrset("sub.example.com", RType::NS));
    assert!(next.node(&n("sub.example.com")).unwrap().is_empty());
}

#[test]
fn delete_all_rrsets_at_a_name() {
    let v = zone(ZONE);
    let next = commit(&v, &Msg::new(Z).del_name("a.b.ent.example.com"));
    // The empty non-terminals above went with it.
    assert!(next.node(&n("ent.example.com")).is_none());
    // At the apex, SOA and NS stay; the MX goes.
    let next = commit(&v, &Msg::new(Z).del_name("example.com"));
    assert!(set(&next, Z, RType::MX).is_none());
    assert_eq!(set(&next, Z, RType::NS).unwrap().1.len(), 2);
    assert_eq!(next.serial(), 11);
    assert_eq!(
        run(&v, &Msg::new(Z).del_name("nope.example.com")),
        UpdateOutcome::NoChange
    );
}

#[test]
fn delete_one_rr() {
    let v = zone(ZONE);
    let next = commit(
        &v,
        &Msg::new(Z).del_rr("WWW.example.com", RType::A, "192.0.2.11"),
    );
    assert_eq!(
        set(&next, "www.example.com", RType::A),
        Some((3600, vec!["192.0.2.10".into()]))
    );
    // Rdata names match ignoring case; the diff holds the zone's spelling.
    let (next, diff) = check_commit(
        &v,
        run(
            &v,
            &Msg::new(Z).del_rr("alias.example.com", RType::CNAME, "WWW.Example.COM."),
        ),
    );
    assert!(next.node(&n("alias.example.com")).is_none());
    assert!(diff
        .removed
        .iter()
        .any(|r| r.rtype == RType::CNAME && &r.rdata[..] == n("www.example.com").as_wire()));
    // Not there: nothing to do.
    let m = Msg::new(Z).del_rr("www.example.com", RType::A, "192.0.2.99");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Never the SOA.
    let m = Msg::new(Z).del_rr(Z, RType::SOA, "ns1 hostmaster 10 3600 900 604800 300");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
}

#[test]
fn the_last_apex_ns_stays() {
    let v = zone(ZONE);
    let m = Msg::new(Z)
        .del_rr(Z, RType::NS, "ns1")
        .del_rr(Z, RType::NS, "ns2");
    let next = commit(&v, &m);
    assert_eq!(
        set(&next, Z, RType::NS),
        Some((3600, vec!["ns2.example.com.".into()]))
    );
    // Replacing the NS set in one message works: add first, then delete.
    let m = Msg::new(Z)
        .add(Z, 3600, RType::NS, "ns3.example.net.")
        .del_rr(Z, RType::NS, "ns1")
        .del_rr(Z, RType::NS, "ns2");
    let next = commit(&v, &m);
    assert_eq!(
        set(&next, Z, RType::NS),
        Some((3600, vec!["ns3.example.net.".into()]))
    );
}

#[test]
fn cname_and_other_data_exclude_each_other() {
    let v = zone(ZONE);
    // CNAME at a name with data, data at a CNAME, CNAME at the apex: ignored.
    let m = Msg::new(Z).add("www.example.com", 300, RType::CNAME, "mail");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    let m = Msg::new(Z).add("alias.example.com", 300, RType::A, "192.0.2.1");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    let m = Msg::new(Z).add(Z, 300, RType::CNAME, "www");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Ignored RRs do not spoil the rest of the message.
    let m = Msg::new(Z)
        .add("alias.example.com", 300, RType::A, "192.0.2.1")
        .add("other.example.com", 300, RType::A, "192.0.2.1");
    let next = commit(&v, &m);
    assert!(next.node(&n("other.example.com")).is_some());
    assert!(!next.node(&n("alias.example.com")).unwrap().has(RType::A));
    // A CNAME replaces a CNAME.
    let m = Msg::new(Z).add("alias.example.com", 300, RType::CNAME, "mail");
    let next = commit(&v, &m);
    assert_eq!(
        set(&next, "alias.example.com", RType::CNAME),
        Some((300, vec!["mail.example.com.".into()]))
    );
    // Delete the data first, then the CNAME fits (updates apply in order).
    let m =
        Msg::new(Z)
            .del_name("www.example.com")
            .add("www.example.com", 300, RType::CNAME, "mail");
    let next = commit(&v, &m);
    assert!(next.node(&n("www.example.com")).unwrap().has(RType::CNAME));
    // The other order: the CNAME is ignored, then the data is deleted.
    let m = Msg::new(Z)
        .add("www.example.com", 300, RType::CNAME, "mail")
        .del_name("www.example.com");
    let next = commit(&v, &m);
    assert!(next.node(&n("www.example.com")).is_none());
}

#[test]
fn nothing_may_live_below_a_dname() {
    let v = zone(ZONE);
    // Data below an existing DNAME.
    let m = Msg::new(Z).add("x.d.example.com", 300, RType::A, "192.0.2.1");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
    // A DNAME above existing data.
    let m = Msg::new(Z).add("ent.example.com", 300, RType::DNAME, "t.test.");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
    // ... unless that data goes in the same message.
    let m = Msg::new(Z).del_name("a.b.ent.example.com").add(
        "ent.example.com",
        300,
        RType::DNAME,
        "t.test.",
    );
    let next = commit(&v, &m);
    assert!(next.node(&n("ent.example.com")).unwrap().has(RType::DNAME));
    // A DNAME at a leaf, data beside it (not below) are fine.
    let m = Msg::new(Z)
        .add("leaf.example.com", 300, RType::DNAME, "t.test.")
        .add("d.example.com", 300, RType::TXT, "\"beside\"");
    commit(&v, &m);
    // Data below a DNAME added in the same message.
    let m = Msg::new(Z)
        .add("new.example.com", 300, RType::DNAME, "t.test.")
        .add("x.new.example.com", 300, RType::A, "192.0.2.1");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
}

#[test]
fn soa_add_honoured_only_when_later() {
    let v = zone(ZONE);
    let soa = |s: &str| {
        Msg::new(Z).add(
            Z,
            600,
            RType::SOA,
            &format!("ns1 hostmaster {s} 7200 900 604800 300"),
        )
    };
    let (next, diff) = check_commit(&v, run(&v, &soa("500")));
    assert_eq!((diff.serial_from, diff.serial_to), (10, 500));
    assert_eq!(next.serial(), 500);
    assert_eq!(set(&next, Z, RType::SOA).unwrap().0, 600);
    // Equal or earlier serials are ignored.
    assert_eq!(run(&v, &soa("10")), UpdateOutcome::NoChange);
    assert_eq!(run(&v, &soa("9")), UpdateOutcome::NoChange);
    // With other changes, an ignored SOA leaves the policy to pick the serial.
    let m = soa("9").add("n.example.com", 300, RType::A, "192.0.2.1");
    let (next, _) = check_commit(&v, run(&v, &m));
    assert_eq!(next.serial(), 11);
    // An explicit later serial wins over the policy.
    let m = soa("77").add("n.example.com", 300, RType::A, "192.0.2.1");
    let (next, _) = check_commit(&v, run(&v, &m));
    assert_eq!(next.serial(), 77);
    // An SOA anywhere but the apex is ignored.
    let m = Msg::new(Z).add(
        "www.example.com",
        600,
        RType::SOA,
        "ns1 hostmaster 99 1 1 1 1",
    );
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
}

#[test]
fn serial_arithmetic_is_rfc1982() {
    let v = zone(&ZONE.replace(" 10 3600", " 4294967295 3600"));
    let m = Msg::new(Z).add("n.example.com", 300, RType::A, "192.0.2.1");
    let (next, diff) = check_commit(&v, run(&v, &m));
    assert_eq!((diff.serial_from, diff.serial_to), (4294967295, 0));
    assert_eq!(next.serial(), 0);
    // 5 is after 4294967295.
    let soa = |s: u32| {
        Msg::new(Z).add(
            Z,
            3600,
            RType::SOA,
            &format!("ns1 hostmaster {s} 3600 900 604800 300"),
        )
    };
    let (next, _) = check_commit(&v, run(&v, &soa(5)));
    assert_eq!(next.serial(), 5);
    // 2^31 away is undefined (RFC 1982 §3.2): not later, ignored.
    assert_eq!(run(&v, &soa(2147483647)), UpdateOutcome::NoChange);
    assert_eq!(run(&v, &soa(4294967294)), UpdateOutcome::NoChange);
    // The unixtime policy moves to the clock when that is later.
    let req = parse_update(&m.build()).unwrap();
    let out = process_update(
        &req,
        &v,
        Some(&n("key")),
        &full_acl(),
        SerialPolicy::Unixtime,
        1_800_000_000,
    );
    let (next, _) = check_commit(&v, out);
    assert_eq!(next.serial(), 1_800_000_000);
}

#[test]
fn net_diff_cancels_out() {
    let v = zone(ZONE);
    // Added then deleted: nothing.
    let m = Msg::new(Z)
        .add("n.example.com", 300, RType::A, "192.0.2.1")
        .del_rr("n.example.com", RType::A, "192.0.2.1");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    let m = Msg::new(Z)
        .add("n.example.com", 300, RType::A, "192.0.2.1")
        .add("n.example.com", 300, RType::TXT, "x")
        .del_name("n.example.com");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Deleted then put back as it was.
    let m = Msg::new(Z)
        .del_rrset("www.example.com", RType::A)
        .add("www.example.com", 3600, RType::A, "192.0.2.11")
        .add("www.example.com", 3600, RType::A, "192.0.2.10");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Partly cancelled: only the survivor is in the diff.
    let m = Msg::new(Z)
        .add("n.example.com", 300, RType::A, "192.0.2.1")
        .add("n.example.com", 300, RType::A, "192.0.2.2")
        .del_rr("n.example.com", RType::A, "192.0.2.1");
    let (_, diff) = check_commit(&v, run(&v, &m));
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(diff.added.len(), 2);
}

#[test]
fn outside_the_zone_is_notzone() {
    let v = zone(ZONE);
    let m = Msg::new(Z).add("www.example.org", 300, RType::A, "192.0.2.1");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::NOTZONE));
    let m = Msg::new(Z)
        .add("ok.example.com", 300, RType::A, "192.0.2.1")
        .del_name("example.org");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::NOTZONE));
}

#[test]
fn signer_owned_types_are_refused() {
    let v = zone(ZONE);
    let m = Msg::new(Z).del_rrset("www.example.com", RType::RRSIG);
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
    let m = Msg::new(Z).add("www.example.com", 300, RType::NSEC, "www.example.com. A");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
}

#[test]
fn wks_with_same_address_and_protocol_replaces() {
    let v = zone(ZONE);
    let m = Msg::new(Z)
        .add("w.example.com", 300, RType::WKS, "192.0.2.1 6 25")
        .add("w.example.com", 300, RType::WKS, "192.0.2.1 6 80");
    let next = commit(&v, &m);
    assert_eq!(set(&next, "w.example.com", RType::WKS).unwrap().1.len(), 1);
}

#[test]
fn too_many_rrsets_at_a_name_are_refused() {
    let v = zone(ZONE);
    let mut m = Msg::new(Z);
    for t in 0..256u16 {
        m = m.rr(1, "many.example.com", Class::IN, RType(65280 + t), 60, &[1]);
    }
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::REFUSED));
}
