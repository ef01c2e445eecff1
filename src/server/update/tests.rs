//! Tests of the update logic, part one: the helpers every test file uses
//! (a zone, a hand-written UPDATE message, the commit check), parsing
//! (including real nsupdate messages), the zone section and every
//! prerequisite form. Every committed diff is applied with
//! `ZoneVersion::apply`, rebuilt through `ZoneBuilder` (the zone rules)
//! and inverted back.

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

pub(super) fn full_acl() -> UpdateAcl {
    UpdateAcl {
        grants: vec![Grant::full("key")],
    }
}

pub(super) fn run_with(
    v: &ZoneVersion,
    m: &Msg,
    key: Option<&str>,
    acl: &UpdateAcl,
) -> UpdateOutcome {
    let req = parse_update(&m.build()).expect("message parses");
    let key = key.map(n);
    process_update(&req, v, key.as_ref(), acl, SerialPolicy::Increment, 0)
}

/// Processes a parsed request as the fully granted `key` (serials by
/// increment).
pub(super) fn process_as_key(req: &UpdateRequest, v: &ZoneVersion) -> UpdateOutcome {
    process_update(
        req,
        v,
        Some(&n("key")),
        &full_acl(),
        SerialPolicy::Increment,
        0,
    )
}

pub(super) fn run(v: &ZoneVersion, m: &Msg) -> UpdateOutcome {
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

pub(super) fn commit(v: &ZoneVersion, m: &Msg) -> ZoneVersion {
    check_commit(v, run(v, m)).0
}

/// The RRset at a name as sorted presentation text, with its TTL.
pub(super) fn set(v: &ZoneVersion, owner: &str, rtype: RType) -> Option<(u32, Vec<String>)> {
    let s = v.node(&n(owner))?.get(rtype)?;
    let mut texts: Vec<String> = s
        .rdatas()
        .map(|r| crate::rdata::to_text(rtype, r).unwrap())
        .collect();
    texts.sort();
    Some((s.ttl, texts))
}

pub(super) fn rcode_of(v: &ZoneVersion, m: &Msg) -> u16 {
    run(v, m).rcode()
}

/// An ACL from the config form.
pub(super) fn acl_from(toml_text: &str) -> UpdateAcl {
    #[derive(serde::Deserialize)]
    struct Z {
        update: UpdateAcl,
    }
    toml::from_str::<Z>(toml_text).unwrap().update
}

pub(super) const Z: &str = "example.com";

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
    let out = process_as_key(&req, &v);
    assert_eq!(out, UpdateOutcome::Refuse(rcode::NXRRSET));
    let v = zone(&ZONE.replace("www      A     192.0.2.11\n", ""));
    let out = process_as_key(&req, &v);
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
    let out = process_as_key(&req, &v);
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

/// Single prerequisites without rdata against [`ZONE`], each with what it
/// must come to: `None` when it holds (nothing else to do, no change),
/// else the rcode that refuses the update.
fn check_prerequisites(rows: &[(&str, Class, RType, Option<u16>)]) {
    let v = zone(ZONE);
    for &(name, class, rtype, want) in rows {
        let m = Msg::new(Z).pre(name, class, rtype, "");
        let what = format!("{name} class {} type {}", class.0, rtype.0);
        match want {
            None => assert_eq!(run(&v, &m), UpdateOutcome::NoChange, "{what}"),
            Some(rc) => assert_eq!(rcode_of(&v, &m), rc, "{what}"),
        }
    }
}

#[test]
fn name_in_use_prerequisite() {
    let any = RType::ANY;
    check_prerequisites(&[
        ("www.example.com", Class::ANY, any, None),
        ("WWW.Example.COM", Class::ANY, any, None),
        ("nope.example.com", Class::ANY, any, Some(rcode::NXDOMAIN)),
        // An empty non-terminal owns no RRs.
        ("b.ent.example.com", Class::ANY, any, Some(rcode::NXDOMAIN)),
        ("www.example.org", Class::ANY, any, Some(rcode::NOTZONE)),
    ]);
}

#[test]
fn name_not_in_use_prerequisite() {
    let (any, none) = (RType::ANY, Class::NONE);
    check_prerequisites(&[
        ("nope.example.com", none, any, None),
        ("ent.example.com", none, any, None),
        ("www.example.com", none, any, Some(rcode::YXDOMAIN)),
        ("example.com", none, any, Some(rcode::YXDOMAIN)),
    ]);
}

#[test]
fn rrset_exists_prerequisites() {
    let www = "www.example.com";
    check_prerequisites(&[
        (www, Class::ANY, RType::A, None),
        (www, Class::ANY, RType::MX, Some(rcode::NXRRSET)),
        (www, Class::NONE, RType::MX, None),
        (www, Class::NONE, RType::A, Some(rcode::YXRRSET)),
        // Absent names have no RRsets.
        ("nope.example.com", Class::NONE, RType::A, None),
    ]);
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

#[test]
fn reads_hickory_update_messages() {
    // A second, independent encoder: hickory-proto's update helpers
    // (compressed names, an OPT record in the additional section).
    use hickory_proto::op::update_message::{compare_and_swap, delete_all};
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{DNSClass, Name as HName, RData, RecordSet, RecordType};
    let h = |s: &str| HName::from_ascii(s).unwrap();
    let a_set = |ttl: u32, last: &[u8]| {
        let mut s = RecordSet::with_ttl(h("www.example.com."), RecordType::A, ttl);
        for &x in last {
            s.add_rdata(RData::A(A(std::net::Ipv4Addr::new(192, 0, 2, x))));
        }
        s
    };
    let v = zone(ZONE);
    let cas = compare_and_swap(
        a_set(3600, &[10, 11]),
        a_set(300, &[12]),
        h("example.com."),
        true,
    );
    let req = parse_update(&cas.to_vec().unwrap()).unwrap();
    assert_eq!(req.prerequisites.len(), 2);
    assert_eq!(req.updates.len(), 3);
    let out = process_as_key(&req, &v);
    let (next, _) = check_commit(&v, out);
    assert_eq!(
        set(&next, "www.example.com", RType::A),
        Some((300, vec!["192.0.2.12".into()]))
    );
    // The same swap again: the prerequisite no longer holds.
    let out = process_as_key(&req, &next);
    assert_eq!(out, UpdateOutcome::Refuse(rcode::NXRRSET));
    let del = delete_all(
        h("a.b.ent.example.com."),
        h("example.com."),
        DNSClass::IN,
        true,
    );
    let req = parse_update(&del.to_vec().unwrap()).unwrap();
    assert_eq!(
        req.updates,
        vec![Update::DeleteName(n("a.b.ent.example.com"))]
    );
}
