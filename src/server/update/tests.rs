//! Tests of the update logic: every prerequisite and update form with its
//! rcode and resulting zone, grants, serials, net diffs, and real nsupdate
//! messages. Every committed diff is applied with `ZoneVersion::apply`,
//! rebuilt through `ZoneBuilder` (the zone rules) and inverted back.

use std::path::Path;

use super::*;
use crate::rdata::Class;
use crate::zone::builder::ZoneBuilder;
use crate::zone::record::Record;
use crate::zonefile::{parse_str, ParseOptions};

pub(super) fn n(s: &str) -> Name {
    s.parse().unwrap()
}

pub(super) const ZONE: &str = "\
$ORIGIN example.com.
$TTL 3600
@        SOA   ns1 hostmaster 10 3600 900 604800 300
@        NS    ns1
@        NS    ns2
@        MX    10 mail
ns1      A     192.0.2.1
ns2      A     192.0.2.2
mail     A     192.0.2.3
www      A     192.0.2.10
www      A     192.0.2.11
alias    CNAME www
txt      TXT   \"hello\"
a.b.ent  A     192.0.2.4
sub      NS    ns.sub
ns.sub   A     192.0.2.5
d        DNAME target.test.
";

/// A zone from zone-file text, through the same builder the loader uses.
pub(super) fn zone(text: &str) -> ZoneVersion {
    let mut b = ZoneBuilder::new(n("example.com"), Class::IN);
    let mut sink = |r: Record, _: &crate::zonefile::SourcePos| b.add(r).map(|_| ());
    parse_str(
        text,
        Path::new("test.zone"),
        &ParseOptions::new(n("example.com")),
        &mut sink,
    )
    .expect("test zone parses");
    b.finish().expect("test zone builds")
}

/// Rebuilds a version through the builder: fails if a zone rule is broken.
pub(super) fn rebuild(v: &ZoneVersion) -> Result<ZoneVersion, String> {
    let mut b = ZoneBuilder::new(v.apex().clone(), Class::IN);
    for r in v.records_canonical() {
        b.add(r)?;
    }
    b.finish().map_err(|e| e.to_string())
}

/// An UPDATE message written by hand (names uncompressed).
pub(super) struct Msg {
    zone: Name,
    sections: [Vec<u8>; 3],
    counts: [u16; 3],
}

impl Msg {
    pub(super) fn new(zone: &str) -> Msg {
        Msg {
            zone: n(zone),
            sections: Default::default(),
            counts: [0; 3],
        }
    }
    /// Appends a raw RR to section 0 (prerequisites), 1 (updates) or 2
    /// (additional).
    pub(super) fn rr(
        mut self,
        section: usize,
        owner: &str,
        class: Class,
        rtype: RType,
        ttl: u32,
        rdata: &[u8],
    ) -> Msg {
        let s = &mut self.sections[section];
        s.extend_from_slice(n(owner).as_wire());
        s.extend_from_slice(&rtype.0.to_be_bytes());
        s.extend_from_slice(&class.0.to_be_bytes());
        s.extend_from_slice(&ttl.to_be_bytes());
        s.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        s.extend_from_slice(rdata);
        self.counts[section] += 1;
        self
    }
    pub(super) fn pre(self, owner: &str, class: Class, rtype: RType, rdata: &str) -> Msg {
        let rd = if rdata.is_empty() {
            Vec::new()
        } else {
            rd(rtype, rdata)
        };
        self.rr(0, owner, class, rtype, 0, &rd)
    }
    pub(super) fn add(self, owner: &str, ttl: u32, rtype: RType, rdata: &str) -> Msg {
        self.rr(1, owner, Class::IN, rtype, ttl, &rd(rtype, rdata))
    }
    pub(super) fn del_rrset(self, owner: &str, rtype: RType) -> Msg {
        self.rr(1, owner, Class::ANY, rtype, 0, &[])
    }
    pub(super) fn del_name(self, owner: &str) -> Msg {
        self.rr(1, owner, Class::ANY, RType::ANY, 0, &[])
    }
    pub(super) fn del_rr(self, owner: &str, rtype: RType, rdata: &str) -> Msg {
        self.rr(1, owner, Class::NONE, rtype, 0, &rd(rtype, rdata))
    }
    pub(super) fn build(&self) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x28, 0x00, 0, 1];
        for c in self.counts {
            m.extend_from_slice(&c.to_be_bytes());
        }
        m.extend_from_slice(self.zone.as_wire());
        m.extend_from_slice(&[0, 6, 0, 1]);
        for s in &self.sections {
            m.extend_from_slice(s);
        }
        m
    }
}

/// Rdata from presentation text, names relative to example.com.
pub(super) fn rd(rtype: RType, text: &str) -> Vec<u8> {
    crate::rdata::from_str(rtype, text, &n("example.com")).unwrap()
}

fn full_acl() -> UpdateAcl {
    UpdateAcl {
        grants: vec![Grant::full("key")],
    }
}

fn run_with(v: &ZoneVersion, m: &Msg, key: Option<&str>, acl: &UpdateAcl) -> UpdateOutcome {
    let req = parse_update(&m.build()).expect("message parses");
    let key = key.map(n);
    process_update(&req, v, key.as_ref(), acl, SerialPolicy::Increment, 0)
}

fn run(v: &ZoneVersion, m: &Msg) -> UpdateOutcome {
    run_with(v, m, Some("key"), &full_acl())
}

/// Applies a committed diff, checks the rules and the inverse; returns
/// the new version and the diff.
pub(super) fn check_commit(v: &ZoneVersion, out: UpdateOutcome) -> (ZoneVersion, Diff) {
    let UpdateOutcome::Commit(diff) = out else {
        panic!("expected a commit, got {out:?}");
    };
    let next = v.apply(&diff).expect("diff applies");
    rebuild(&next).expect("result obeys the zone rules");
    let back = next.apply(&diff.invert()).expect("inverse applies");
    assert_eq!(back.records_canonical(), v.records_canonical());
    assert_eq!(back.name_count(), v.name_count());
    (next, diff)
}

fn commit(v: &ZoneVersion, m: &Msg) -> ZoneVersion {
    check_commit(v, run(v, m)).0
}

/// The RRset at a name as sorted presentation text, with its TTL.
fn set(v: &ZoneVersion, owner: &str, rtype: RType) -> Option<(u32, Vec<String>)> {
    let s = v.node(&n(owner))?.get(rtype)?;
    let mut texts: Vec<String> = s
        .rdatas()
        .map(|r| crate::rdata::to_text(rtype, r).unwrap())
        .collect();
    texts.sort();
    Some((s.ttl, texts))
}

fn rcode_of(v: &ZoneVersion, m: &Msg) -> u16 {
    match run(v, m) {
        UpdateOutcome::Refuse(rc) => rc,
        UpdateOutcome::NoChange => 0,
        UpdateOutcome::Commit(_) => 0,
    }
}

const Z: &str = "example.com";

// ---- parsing ------------------------------------------------------------

#[test]
fn parses_every_form() {
    let m = Msg::new(Z)
        .pre("www.example.com", Class::ANY, RType::ANY, "")
        .pre("new.example.com", Class::NONE, RType::ANY, "")
        .pre("www.example.com", Class::ANY, RType::A, "")
        .pre("www.example.com", Class::NONE, RType::AAAA, "")
        .pre("www.example.com", Class::IN, RType::A, "192.0.2.10")
        .add("new.example.com", 300, RType::A, "192.0.2.99")
        .del_rrset("www.example.com", RType::A)
        .del_name("txt.example.com")
        .del_rr("www.example.com", RType::A, "192.0.2.11");
    let req = parse_update(&m.build()).unwrap();
    assert_eq!(req.id, 0x1234);
    assert_eq!(req.zone, n(Z));
    let www = n("www.example.com");
    assert_eq!(
        req.prerequisites,
        vec![
            Prerequisite::NameInUse(www.clone()),
            Prerequisite::NameNotInUse(n("new.example.com")),
            Prerequisite::RRsetExists(www.clone(), RType::A),
            Prerequisite::RRsetAbsent(www.clone(), RType::AAAA),
            Prerequisite::RRsetMember {
                owner: www.clone(),
                rtype: RType::A,
                rdata: vec![192, 0, 2, 10].into()
            },
        ]
    );
    assert_eq!(
        req.updates,
        vec![
            Update::Add(Record::new(
                n("new.example.com"),
                RType::A,
                300,
                vec![192, 0, 2, 99]
            )),
            Update::DeleteRRset {
                owner: www.clone(),
                rtype: RType::A
            },
            Update::DeleteName(n("txt.example.com")),
            Update::DeleteRR {
                owner: www,
                rtype: RType::A,
                rdata: vec![192, 0, 2, 11].into()
            },
        ]
    );
}

#[test]
fn malformed_messages_are_formerr() {
    let fe = |m: Vec<u8>| assert_eq!(parse_update(&m), Err(rcode::FORMERR), "{m:02x?}");
    let good = Msg::new(Z).add("x.example.com", 1, RType::A, "1.2.3.4");
    assert!(parse_update(&good.build()).is_ok());
    // Zone count 0 and 2, zone type not SOA, zone class CH.
    let mut m = good.build();
    m[5] = 0;
    fe(m);
    let mut m = good.build();
    m[5] = 2;
    fe(m);
    let mut m = good.build();
    m[12 + 14] = 1; // ZTYPE A
    fe(m);
    let mut m = good.build();
    m[12 + 16] = 3; // ZCLASS CH
    fe(m);
    // A response, and a QUERY opcode.
    let mut m = good.build();
    m[2] |= 0x80;
    fe(m);
    let mut m = good.build();
    m[2] = 0;
    fe(m);
    // Trailing octet, truncation.
    let mut m = good.build();
    m.push(0);
    fe(m);
    let m = good.build();
    fe(m[..m.len() - 1].to_vec());
    let a = |m: Msg| m.build();
    let r =
        |sec, class, t, ttl, rd: &[u8]| a(Msg::new(Z).rr(sec, "x.example.com", class, t, ttl, rd));
    // Prerequisites: TTL not zero, rdata on ANY/NONE, bad class, meta type.
    fe(r(0, Class::ANY, RType::A, 5, &[]));
    fe(r(0, Class::ANY, RType::A, 0, &[1, 2, 3, 4]));
    fe(r(0, Class::NONE, RType::ANY, 0, &[1]));
    fe(r(0, Class::CH, RType::A, 0, &[]));
    fe(r(0, Class::IN, RType::ANY, 0, &[]));
    fe(r(0, Class::ANY, RType::AXFR, 0, &[]));
    fe(r(0, Class::IN, RType::A, 0, &[1, 2, 3])); // bad A rdata
                                                  // Updates: meta types, TTL or rdata on deletes, bad class, bad rdata.
    fe(r(1, Class::IN, RType::ANY, 0, &[]));
    fe(r(1, Class::IN, RType::AXFR, 0, &[]));
    fe(r(1, Class::IN, RType::OPT, 0, &[]));
    fe(r(1, Class::ANY, RType::A, 300, &[]));
    fe(r(1, Class::ANY, RType::A, 0, &[1, 2, 3, 4]));
    fe(r(1, Class::ANY, RType::MAILA, 0, &[]));
    fe(r(1, Class::NONE, RType::A, 300, &[1, 2, 3, 4]));
    fe(r(1, Class::NONE, RType::ANY, 0, &[]));
    fe(r(1, Class::HS, RType::A, 0, &[1, 2, 3, 4]));
    fe(r(1, Class::IN, RType::A, 0, &[1, 2, 3, 4, 5]));
    fe(r(1, Class::IN, RType::MX, 0, &[0, 10, 0xC0, 0x40])); // forward pointer
                                                             // A TSIG that is not the last additional RR.
    fe(a(Msg::new(Z)
        .rr(2, "key", Class::ANY, RType::TSIG, 0, &[])
        .rr(2, ".", Class(1232), RType::OPT, 0, &[])));
}

#[test]
fn additional_section_and_trailing_tsig_are_ignored() {
    let m = Msg::new(Z)
        .add("x.example.com", 1, RType::A, "1.2.3.4")
        .rr(2, "x.example.com", Class::IN, RType::A, 1, &[5, 6, 7, 8])
        .rr(2, ".", Class(1232), RType::OPT, 0, &[])
        .rr(2, "key", Class::ANY, RType::TSIG, 0, &[1, 2, 3]);
    let req = parse_update(&m.build()).unwrap();
    assert_eq!(req.updates.len(), 1);
    assert!(req.prerequisites.is_empty());
}

#[test]
fn compressed_owners_and_rdata() {
    // Owner = pointer to the zone name at offset 12; MX target compressed.
    let mut m = Msg::new(Z).build();
    m[9] = 1; // UPCOUNT
    m.extend_from_slice(&[3, b'w', b'w', b'w', 0xC0, 12]);
    m.extend_from_slice(&[0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xC0, 12]);
    let req = parse_update(&m).unwrap();
    let Update::Add(rec) = &req.updates[0] else {
        panic!()
    };
    assert_eq!(rec.owner, n("www.example.com"));
    assert_eq!(&rec.rdata[..], &rd(RType::MX, "10 example.com.")[..]);
}

fn hex(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/server/update/testdata")
        .join(format!("{name}.hex"));
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn reads_nsupdate_add_with_prerequisites() {
    // Captured from BIND 9.18 nsupdate by scripts/capture-nsupdate.py.
    let req = parse_update(&hex("nsupdate-add-prereq")).unwrap();
    assert_eq!(req.zone, n(Z));
    let www = n("www.example.com");
    assert_eq!(
        req.prerequisites,
        vec![
            Prerequisite::NameInUse(www.clone()),
            Prerequisite::RRsetAbsent(www.clone(), RType::AAAA),
            Prerequisite::RRsetMember {
                owner: www,
                rtype: RType::A,
                rdata: vec![192, 0, 2, 10].into()
            },
        ]
    );
    let new = n("new.example.com");
    assert_eq!(
        req.updates,
        vec![
            Update::Add(Record::new(new.clone(), RType::A, 300, vec![192, 0, 2, 55])),
            Update::Add(Record::new(
                new,
                RType::TXT,
                300,
                rd(RType::TXT, "\"hello world\"")
            )),
            Update::Add(Record::new(
                n("mail.example.com"),
                RType::MX,
                600,
                rd(RType::MX, "10 new.example.com.")
            )),
        ]
    );
    // www holds two A RRs, so the value-dependent prerequisite fails.
    let v = zone(ZONE);
    let out = process_update(
        &req,
        &v,
        Some(&n("key")),
        &full_acl(),
        SerialPolicy::Increment,
        0,
    );
    assert_eq!(out, UpdateOutcome::Refuse(rcode::NXRRSET));
    let v = zone(&ZONE.replace("www      A     192.0.2.11\n", ""));
    let out = process_update(
        &req,
        &v,
        Some(&n("key")),
        &full_acl(),
        SerialPolicy::Increment,
        0,
    );
    let (next, _) = check_commit(&v, out);
    assert_eq!(set(&next, "mail.example.com", RType::MX).unwrap().0, 600);
}

#[test]
fn reads_nsupdate_deletes() {
    let req = parse_update(&hex("nsupdate-deletes")).unwrap();
    assert_eq!(
        req.prerequisites,
        vec![
            Prerequisite::NameNotInUse(n("gone.example.com")),
            Prerequisite::RRsetExists(n("www.example.com"), RType::A),
        ]
    );
    assert_eq!(
        req.updates,
        vec![
            Update::DeleteRR {
                owner: n("www.example.com"),
                rtype: RType::A,
                rdata: vec![192, 0, 2, 11].into()
            },
            Update::DeleteRRset {
                owner: n("txt.example.com"),
                rtype: RType::TXT
            },
            Update::DeleteName(n("a.b.ent.example.com")),
        ]
    );
    let v = zone(ZONE);
    let out = process_update(
        &req,
        &v,
        Some(&n("key")),
        &full_acl(),
        SerialPolicy::Increment,
        0,
    );
    let (next, _) = check_commit(&v, out);
    assert!(next.node(&n("b.ent.example.com")).is_none());
    assert!(next.node(&n("txt.example.com")).is_none());
}

#[test]
fn reads_nsupdate_tsig_signed() {
    let req = parse_update(&hex("nsupdate-tsig")).unwrap();
    assert!(req.prerequisites.is_empty());
    assert_eq!(
        req.updates,
        vec![Update::Add(Record::new(
            n("_acme-challenge.www.example.com"),
            RType::TXT,
            60,
            rd(RType::TXT, "token-123")
        ))]
    );
    let acl: UpdateAcl = acl_from(
        r#"update = [{ key = "update-key", name = "_acme-challenge.*", types = ["TXT"] }]"#,
    );
    let v = zone(ZONE);
    let out = process_update(
        &req,
        &v,
        Some(&n("update-key.")),
        &acl,
        SerialPolicy::Increment,
        0,
    );
    check_commit(&v, out);
}

// ---- zone section and prerequisites ----------------------------------------

#[test]
fn zone_section_must_name_this_zone() {
    let v = zone(ZONE);
    for other in ["example.org", "www.example.com", "com"] {
        let m = Msg::new(other);
        assert_eq!(
            run(&v, &m),
            UpdateOutcome::Refuse(rcode::NOTAUTH),
            "{other}"
        );
    }
    assert_eq!(run(&v, &Msg::new("EXAMPLE.COM")), UpdateOutcome::NoChange);
}

#[test]
fn name_in_use_prerequisite() {
    let v = zone(ZONE);
    let p = |name| Msg::new(Z).pre(name, Class::ANY, RType::ANY, "");
    assert_eq!(run(&v, &p("www.example.com")), UpdateOutcome::NoChange);
    assert_eq!(run(&v, &p("WWW.Example.COM")), UpdateOutcome::NoChange);
    assert_eq!(rcode_of(&v, &p("nope.example.com")), rcode::NXDOMAIN);
    // An empty non-terminal owns no RRs.
    assert_eq!(rcode_of(&v, &p("b.ent.example.com")), rcode::NXDOMAIN);
    assert_eq!(rcode_of(&v, &p("www.example.org")), rcode::NOTZONE);
}

#[test]
fn name_not_in_use_prerequisite() {
    let v = zone(ZONE);
    let p = |name| Msg::new(Z).pre(name, Class::NONE, RType::ANY, "");
    assert_eq!(run(&v, &p("nope.example.com")), UpdateOutcome::NoChange);
    assert_eq!(run(&v, &p("ent.example.com")), UpdateOutcome::NoChange);
    assert_eq!(rcode_of(&v, &p("www.example.com")), rcode::YXDOMAIN);
    assert_eq!(rcode_of(&v, &p("example.com")), rcode::YXDOMAIN);
}

#[test]
fn rrset_exists_prerequisites() {
    let v = zone(ZONE);
    let p = |t| Msg::new(Z).pre("www.example.com", Class::ANY, t, "");
    assert_eq!(run(&v, &p(RType::A)), UpdateOutcome::NoChange);
    assert_eq!(rcode_of(&v, &p(RType::MX)), rcode::NXRRSET);
    let p = |t| Msg::new(Z).pre("www.example.com", Class::NONE, t, "");
    assert_eq!(run(&v, &p(RType::MX)), UpdateOutcome::NoChange);
    assert_eq!(rcode_of(&v, &p(RType::A)), rcode::YXRRSET);
    // Absent names have no RRsets.
    let m = Msg::new(Z).pre("nope.example.com", Class::NONE, RType::A, "");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
}

#[test]
fn value_dependent_prerequisite_compares_whole_rrsets() {
    let v = zone(ZONE);
    let www = |m: Msg, a: &str| m.pre("www.example.com", Class::IN, RType::A, a);
    let both = www(www(Msg::new(Z), "192.0.2.10"), "192.0.2.11");
    assert_eq!(run(&v, &both), UpdateOutcome::NoChange);
    // Listed twice: still the same set.
    let twice = www(both, "192.0.2.10");
    assert_eq!(run(&v, &twice), UpdateOutcome::NoChange);
    // A subset, a superset, another value, a missing RRset.
    assert_eq!(
        rcode_of(&v, &www(Msg::new(Z), "192.0.2.10")),
        rcode::NXRRSET
    );
    let more = www(
        www(www(Msg::new(Z), "192.0.2.10"), "192.0.2.11"),
        "192.0.2.12",
    );
    assert_eq!(rcode_of(&v, &more), rcode::NXRRSET);
    let m = Msg::new(Z).pre("nope.example.com", Class::IN, RType::A, "192.0.2.10");
    assert_eq!(rcode_of(&v, &m), rcode::NXRRSET);
    // Names in rdata compare ignoring case; TTL does not matter.
    let m = Msg::new(Z).pre(
        "alias.example.com",
        Class::IN,
        RType::CNAME,
        "WWW.EXAMPLE.COM.",
    );
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
    // Two RRsets at once.
    let m = Msg::new(Z)
        .pre("alias.example.com", Class::IN, RType::CNAME, "www")
        .pre("txt.example.com", Class::IN, RType::TXT, "\"hello\"");
    assert_eq!(run(&v, &m), UpdateOutcome::NoChange);
}

#[test]
fn failed_prerequisite_changes_nothing() {
    let v = zone(ZONE);
    let m = Msg::new(Z)
        .pre("www.example.com", Class::NONE, RType::ANY, "")
        .add("new.example.com", 300, RType::A, "192.0.2.99");
    assert_eq!(run(&v, &m), UpdateOutcome::Refuse(rcode::YXDOMAIN));
    // The first failing prerequisite decides.
    let m = Msg::new(Z)
        .pre("nope.example.com", Class::ANY, RType::ANY, "")
        .pre("www.example.com", Class::NONE, RType::ANY, "");
    assert_eq!(rcode_of(&v, &m), rcode::NXDOMAIN);
}

// ---- updates ------------------------------------------------------------------

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

// ---- grants ---------------------------------------------------------------------

pub(super) fn acl_from(toml_text: &str) -> UpdateAcl {
    #[derive(serde::Deserialize)]
    struct Z {
        update: UpdateAcl,
    }
    toml::from_str::<Z>(toml_text).unwrap().update
}

#[test]
fn name_patterns() {
    let p = |s: &str| s.parse::<NamePattern>().unwrap();
    let m = |pat: &str, name: &str| p(pat).matches(&n(name));
    assert_eq!(p("*"), NamePattern::Any);
    assert!(m("*", "anything.example.com"));
    assert!(m("www.example.com", "WWW.example.com."));
    assert!(!m("www.example.com", "x.www.example.com"));
    assert!(m("*.dyn.example.com", "a.dyn.example.com"));
    assert!(m("*.dyn.example.com", "a.b.dyn.example.com"));
    assert!(!m("*.dyn.example.com", "dyn.example.com"));
    assert!(!m("*.dyn.example.com", "adyn.example.com"));
    assert!(m("_acme-challenge.*", "_acme-challenge.example.com"));
    assert!(m("_acme-challenge.*", "_ACME-challenge.www.example.com"));
    assert!(!m("_acme-challenge.*", "www.example.com"));
    assert!(!m("_acme-challenge.*", "x._acme-challenge.example.com"));
    assert!(m("_a.b.*", "_a.b.example.com"));
    assert!(!m("_a.b.*", "_a.example.com"));
    // A literal `*` label, escaped.
    assert_eq!(
        p("\\*.example.com"),
        NamePattern::Exact(n("\\*.example.com"))
    );
    assert!(m("\\*.example.com", "*.example.com"));
    assert!(!m("\\*.example.com", "x.example.com"));
    for bad in ["a.*.b", "*.*", "*.x.*", "a..b"] {
        assert!(bad.parse::<NamePattern>().is_err(), "{bad}");
    }
    assert_eq!(p("_acme-challenge.*").to_string(), "_acme-challenge.*");
    assert_eq!(p("*.dyn.example.com").to_string(), "*.dyn.example.com.");
}

#[test]
fn grants_from_config() {
    let acl = acl_from(
        r#"update = ["admin", { key = "acme", name = "_acme-challenge.*", types = ["TXT"] }, { key = "dhcp", name = "*.dyn.example.com", types = ["a", "AAAA"] }]"#,
    );
    assert_eq!(acl.grants.len(), 3);
    assert_eq!(acl.grants[0], Grant::full("admin"));
    assert_eq!(acl.grants[2].types, vec![RType::A, RType::AAAA]);
    let k = |s: &str| n(s);
    let www = n("www.example.com");
    let acme = n("_acme-challenge.www.example.com");
    assert!(acl.permits(&k("ADMIN."), &www, RType::SOA));
    assert!(acl.permits(&k("acme"), &acme, RType::TXT));
    assert!(!acl.permits(&k("acme"), &acme, RType::A));
    assert!(!acl.permits(&k("acme"), &www, RType::TXT));
    assert!(acl.permits(&k("dhcp"), &n("h.dyn.example.com"), RType::AAAA));
    assert!(!acl.permits(&k("dhcp"), &n("dyn.example.com"), RType::AAAA));
    assert!(!acl.permits(&k("stranger"), &www, RType::A));
    assert!(acl.knows(&k("dhcp")) && !acl.knows(&k("stranger")));
    // Errors name what is wrong.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Z {
        update: UpdateAcl,
    }
    let err = |t: &str| toml::from_str::<Z>(t).unwrap_err().to_string();
    assert!(err(r#"update = [{ key = "a", nmae = "x" }]"#).contains("nmae"));
    assert!(err(r#"update = [{ key = "a", types = ["BOGUS"] }]"#).contains("BOGUS"));
    assert!(err(r#"update = [{ key = "a", types = ["ANY"] }]"#).contains("ANY"));
    assert!(err(r#"update = [{ key = "a", name = "a.*.b" }]"#).contains("`*` may only"));
    assert!(err(r#"update = [{ name = "x" }]"#).contains("key"));
    assert!(err(r#"update = [3]"#).contains("TSIG key name"));
    assert!(acl_from("update = []").is_empty());
}

#[test]
fn updates_need_a_granted_key() {
    let v = zone(ZONE);
    let acl = acl_from(
        r#"update = ["admin", { key = "acme", name = "_acme-challenge.*", types = ["TXT"] }]"#,
    );
    let acme_txt = Msg::new(Z).add("_acme-challenge.www.example.com", 60, RType::TXT, "tok");
    // No key, an unknown key, an empty ACL.
    assert_eq!(
        run_with(&v, &acme_txt, None, &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    assert_eq!(
        run_with(&v, &acme_txt, Some("other"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    assert_eq!(
        run_with(&v, &acme_txt, Some("admin"), &UpdateAcl::default()),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // An unknown key cannot probe with prerequisites: REFUSED, not NXDOMAIN.
    let probe = Msg::new(Z).pre("secret.example.com", Class::ANY, RType::ANY, "");
    assert_eq!(
        run_with(&v, &probe, Some("other"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // The acme key: its TXT yes; www A, an A at its name, the SOA no.
    check_commit(&v, run_with(&v, &acme_txt, Some("acme"), &acl));
    let www_a = Msg::new(Z).add("www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &www_a, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    let a = Msg::new(Z).add("_acme-challenge.www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &a, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    let del = Msg::new(Z).del_rrset("www.example.com", RType::A);
    assert_eq!(
        run_with(&v, &del, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // One forbidden RR refuses the whole message.
    let mixed = acme_txt.add("www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &mixed, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    check_commit(&v, run_with(&v, &mixed, Some("admin"), &acl));
}

#[test]
fn delete_all_needs_every_type_there() {
    let v = zone(&format!(
        "{ZONE}_acme-challenge TXT \"a\"\n_acme-challenge.mail A 192.0.2.1\n_acme-challenge.mail TXT \"b\"\n"
    ));
    let acl =
        acl_from(r#"update = [{ key = "acme", name = "_acme-challenge.*", types = ["TXT"] }]"#);
    let m = Msg::new(Z).del_name("_acme-challenge.example.com");
    let (next, _) = check_commit(&v, run_with(&v, &m, Some("acme"), &acl));
    assert!(next.node(&n("_acme-challenge.example.com")).is_none());
    // Also holds an A: the TXT-only key may not wipe it.
    let m = Msg::new(Z).del_name("_acme-challenge.mail.example.com");
    assert_eq!(
        run_with(&v, &m, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // An empty name is nothing to refuse.
    let m = Msg::new(Z).del_name("_acme-challenge.nope.example.com");
    assert_eq!(
        run_with(&v, &m, Some("acme"), &acl),
        UpdateOutcome::NoChange
    );
}
