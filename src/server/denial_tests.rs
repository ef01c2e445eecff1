//! Which proofs go into DO=1 answers, on small zones "signed" here: real
//! NSEC/NSEC3 chains (canonical order, RFC 5155 hashes, type bitmaps) and
//! placeholder RRSIGs whose only true fields are type covered and labels.
//! Validation with real signatures is in tests/e2e_dnssec_answers.rs;
//! these tests pin the choice of records against the RFC rules.

use std::sync::Arc;

use crate::rdata::{bitmap, RType};
use crate::server::catalog::Catalog;
use crate::server::query::{answer, AnswerOptions, Transport};
use crate::wire::builder::MessageBuilder;
use crate::wire::message::{parse_request, skip_name};
use crate::zone::builder::ZoneBuilder;
use crate::zone::name::{canonical_cmp_wire, Name};
use crate::zone::nsec3::{self, Nsec3Params};
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;
use crate::zone::{Diff, Zone};

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Nsec,
    Nsec3,
    Nsec3OptOut,
}

fn base() -> Vec<Record> {
    let mut soa = Vec::new();
    soa.extend_from_slice(n("ns1.example").as_wire());
    soa.extend_from_slice(n("hostmaster.example").as_wire());
    for x in [1u32, 3600, 900, 604800, 300] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    let nm = |s: &str| n(s).as_wire().to_vec();
    vec![
        Record::new(n("example"), RType::SOA, 3600, soa),
        Record::new(n("example"), RType::NS, 3600, nm("ns1.example")),
        Record::new(n("example"), RType::DNSKEY, 3600, vec![1, 1, 3, 13, 9, 9]),
        Record::new(n("ns1.example"), RType::A, 3600, vec![192, 0, 2, 1]),
        Record::new(n("www.example"), RType::A, 600, vec![192, 0, 2, 2]),
        Record::new(n("a.b.ent.example"), RType::A, 600, vec![192, 0, 2, 3]),
        Record::new(n("*.wild.example"), RType::A, 600, vec![192, 0, 2, 4]),
        Record::new(n("alias.example"), RType::CNAME, 600, nm("www.example")),
        Record::new(n("sec.example"), RType::NS, 3600, nm("ns.sec.example")),
        Record::new(n("sec.example"), RType::DS, 3600, vec![1, 2, 13, 2, 0xaa]),
        Record::new(n("ns.sec.example"), RType::A, 3600, vec![192, 0, 2, 5]),
        Record::new(n("insec.example"), RType::NS, 3600, nm("ns.insec.example")),
        Record::new(n("ns.insec.example"), RType::A, 3600, vec![192, 0, 2, 6]),
    ]
}

/// A placeholder RRSIG: type covered, algorithm 13, labels, original TTL,
/// then fixed times, key tag, signer and a dummy signature.
fn rrsig(owner: &Name, covered: RType, ttl: u32) -> Vec<u8> {
    let labels = owner.label_count() as u8 - u8::from(owner.is_wildcard());
    let mut rd = covered.0.to_be_bytes().to_vec();
    rd.extend_from_slice(&[13, labels]);
    rd.extend_from_slice(&ttl.to_be_bytes());
    rd.extend_from_slice(&[0x70, 0, 0, 0, 0x60, 0, 0, 0, 0x12, 0x34]);
    rd.extend_from_slice(n("example").as_wire());
    rd.extend_from_slice(&[0xEE; 64]); // as long as an ECDSA P-256 signature
    rd
}

/// The records plus their denial chain and placeholder signatures.
fn sign(records: Vec<Record>, mode: Mode) -> Vec<Record> {
    let apex = n("example");
    let cuts: Vec<Name> = records
        .iter()
        .filter(|r| r.rtype == RType::NS && r.owner != apex)
        .map(|r| r.owner.clone())
        .collect();
    let below_cut = |o: &Name| cuts.iter().any(|c| o != c && o.is_subdomain_of(c));
    let mut out: Vec<Record> = records.clone();
    // Owners and their types, glue left out.
    let mut owners: Vec<(Name, Vec<u16>)> = Vec::new();
    for r in &records {
        if below_cut(&r.owner) {
            continue;
        }
        match owners.iter_mut().find(|(o, _)| *o == r.owner) {
            Some((_, t)) => t.push(r.rtype.0),
            None => owners.push((r.owner.clone(), vec![r.rtype.0])),
        }
    }
    for (owner, types) in &owners {
        let at_cut = cuts.contains(owner);
        for &t in types {
            if !(at_cut && t != RType::DS.0) {
                let ttl = records
                    .iter()
                    .find(|r| r.owner == *owner && r.rtype.0 == t)
                    .map_or(300, |r| r.ttl);
                out.push(Record::new(
                    owner.clone(),
                    RType::RRSIG,
                    ttl,
                    rrsig(owner, RType(t), ttl),
                ));
            }
        }
    }
    owners.sort_by(|a, b| canonical_cmp_wire(a.0.as_wire(), b.0.as_wire()));
    match mode {
        Mode::Nsec => {
            for (i, (owner, types)) in owners.iter().enumerate() {
                let next = &owners[(i + 1) % owners.len()].0;
                let mut rd = next.as_wire().to_vec();
                let mut t = types.clone();
                t.extend([RType::RRSIG.0, RType::NSEC.0]);
                bitmap::push_types(&mut rd, &mut t);
                out.push(Record::new(owner.clone(), RType::NSEC, 300, rd.clone()));
                out.push(Record::new(
                    owner.clone(),
                    RType::RRSIG,
                    300,
                    rrsig(owner, RType::NSEC, 300),
                ));
            }
        }
        Mode::Nsec3 | Mode::Nsec3OptOut => {
            let opt_out = mode == Mode::Nsec3OptOut;
            let params = Nsec3Params {
                iterations: 0,
                salt: &[],
            };
            // Every name and empty non-terminal; opt-out skips unsigned cuts.
            let mut names: Vec<(Name, Vec<u16>)> = Vec::new();
            for (owner, types) in &owners {
                let unsigned_cut = cuts.contains(owner) && !types.contains(&RType::DS.0);
                if opt_out && unsigned_cut {
                    continue;
                }
                let mut t = types.clone();
                if !unsigned_cut {
                    t.push(RType::RRSIG.0);
                }
                names.push((owner.clone(), t));
                let mut p = owner.parent();
                while let Some(parent) = p {
                    if !parent.is_subdomain_of(&apex) || owners.iter().any(|(o, _)| *o == parent) {
                        break;
                    }
                    if !names.iter().any(|(o, _)| *o == parent) {
                        names.push((parent.clone(), Vec::new()));
                    }
                    p = parent.parent();
                }
            }
            let mut hashed: Vec<(nsec3::Hash, Vec<u16>)> = names
                .iter()
                .map(|(o, t)| (params.hash(o.as_wire()), t.clone()))
                .collect();
            hashed.sort();
            for (i, (h, types)) in hashed.iter().enumerate() {
                let next = hashed[(i + 1) % hashed.len()].0;
                let mut rd = vec![1, u8::from(opt_out), 0, 0, 0, 20];
                rd.extend_from_slice(&next);
                let mut t = types.clone();
                bitmap::push_types(&mut rd, &mut t);
                let owner = Name::from_wire(&nsec3::owner_wire(h, apex.as_wire())).unwrap();
                out.push(Record::new(owner.clone(), RType::NSEC3, 300, rd));
                out.push(Record::new(
                    owner.clone(),
                    RType::RRSIG,
                    300,
                    rrsig(&owner, RType::NSEC3, 300),
                ));
            }
            out.push(Record::new(
                apex.clone(),
                RType::NSEC3PARAM,
                0,
                vec![1, 0, 0, 0, 0],
            ));
        }
    }
    out
}

fn build(records: Vec<Record>) -> ZoneVersion {
    let mut b = ZoneBuilder::new(n("example"), crate::rdata::Class::IN);
    for r in records {
        b.add(r).unwrap();
    }
    b.finish().unwrap()
}

fn catalog(v: ZoneVersion) -> Catalog {
    Catalog::new([Arc::new(Zone::new(v))])
}

/// One record of a response: section, owner (lowercase text), type, and
/// for RRSIG the type covered, for NSEC3 the rdata.
#[derive(Debug, Clone)]
struct Rr {
    section: usize,
    owner: String,
    rtype: RType,
    covered: Option<RType>,
    ttl: u32,
    rdata: Vec<u8>,
}

struct Resp {
    flags: u16,
    rrs: Vec<Rr>,
}

fn ask(c: &Catalog, name: &str, qtype: RType, dnssec_ok: bool, payload: u16) -> Resp {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(n(name).as_wire());
    q.extend_from_slice(&qtype.0.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 41]);
    q.extend_from_slice(&payload.to_be_bytes());
    q.extend_from_slice(&[0, 0, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    let req = parse_request(&q).unwrap();
    let mut b = MessageBuilder::new();
    answer(
        &req,
        c,
        &AnswerOptions::default(),
        Transport::Udp,
        0,
        &mut b,
    );
    let msg = b.finish().to_vec();
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let mut pos = skip_name(&msg, 12).unwrap() + 4;
    let mut rrs = Vec::new();
    for section in 0..3 {
        let count = u16::from_be_bytes([msg[6 + 2 * section], msg[7 + 2 * section]]);
        for _ in 0..count {
            let owner = read_name(&msg, pos);
            pos = skip_name(&msg, pos).unwrap();
            let rtype = RType(u16::from_be_bytes([msg[pos], msg[pos + 1]]));
            let ttl = u32::from_be_bytes([msg[pos + 4], msg[pos + 5], msg[pos + 6], msg[pos + 7]]);
            let len = u16::from_be_bytes([msg[pos + 8], msg[pos + 9]]) as usize;
            let rdata = msg[pos + 10..pos + 10 + len].to_vec();
            let covered =
                (rtype == RType::RRSIG).then(|| RType(u16::from_be_bytes([rdata[0], rdata[1]])));
            pos += 10 + len;
            rrs.push(Rr {
                section,
                owner,
                rtype,
                covered,
                ttl,
                rdata,
            });
        }
    }
    Resp { flags, rrs }
}

/// A (possibly compressed) name in presentation form, lowercase.
fn read_name(msg: &[u8], mut pos: usize) -> String {
    let mut out = String::new();
    loop {
        let len = msg[pos] as usize;
        if len == 0 {
            break;
        }
        if len & 0xC0 == 0xC0 {
            pos = ((len & 0x3F) << 8) | msg[pos + 1] as usize;
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&msg[pos + 1..pos + 1 + len]).to_lowercase());
        out.push('.');
        pos += 1 + len;
    }
    out
}

impl Resp {
    fn rcode(&self) -> u16 {
        self.flags & 0xF
    }
    /// (owner, type) of one section, RRSIGs as "RRSIG/COVERED".
    fn section(&self, s: usize) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .rrs
            .iter()
            .filter(|r| r.section == s && r.rtype != RType::OPT)
            .map(|r| {
                let t = match r.covered {
                    Some(c) => format!("RRSIG/{c}"),
                    None => r.rtype.to_string(),
                };
                (r.owner.clone(), t)
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
    fn has(&self, s: usize, owner: &str, t: &str) -> bool {
        self.section(s).iter().any(|(o, x)| o == owner && x == t)
    }
    fn nsec3s(&self) -> Vec<&Rr> {
        self.rrs
            .iter()
            .filter(|r| r.section == 1 && r.rtype == RType::NSEC3)
            .collect()
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .iter()
        .map(|(o, t)| (o.to_string(), t.to_string()))
        .collect();
    out.sort();
    out
}

const SOA_PROOF: [(&str, &str); 2] = [("example.", "SOA"), ("example.", "RRSIG/SOA")];

fn nsec_zone() -> Catalog {
    catalog(build(sign(base(), Mode::Nsec)))
}

// Canonical order of the NSEC owners in `base()`: example, alias,
// a.b.ent, insec, ns1, sec, *.wild, www (ENTs and glue have none).

#[test]
fn nsec_nxdomain_has_covering_and_wildcard_nsec() {
    let c = nsec_zone();
    let r = ask(&c, "nx.example", RType::A, true, 1232);
    assert_eq!(r.rcode(), 3);
    let mut want = SOA_PROOF.to_vec();
    // nx sorts after ns1 (and before sec); *.example after the apex.
    want.extend([
        ("ns1.example.", "NSEC"),
        ("ns1.example.", "RRSIG/NSEC"),
        ("example.", "NSEC"),
        ("example.", "RRSIG/NSEC"),
    ]);
    assert_eq!(r.section(1), pairs(&want));
    assert!(r.section(0).is_empty());
}

#[test]
fn nsec_nodata_and_empty_non_terminal() {
    let c = nsec_zone();
    let r = ask(&c, "www.example", RType::TXT, true, 1232);
    assert_eq!(r.rcode(), 0);
    let mut want = SOA_PROOF.to_vec();
    want.extend([("www.example.", "NSEC"), ("www.example.", "RRSIG/NSEC")]);
    assert_eq!(r.section(1), pairs(&want));
    // b.ent has no records: the NSEC before it (a.b.ent's predecessor,
    // alias) covers it, its next name a.b.ent is below it.
    let r = ask(&c, "b.ent.example", RType::A, true, 1232);
    assert_eq!(r.rcode(), 0);
    let mut want = SOA_PROOF.to_vec();
    want.extend([("alias.example.", "NSEC"), ("alias.example.", "RRSIG/NSEC")]);
    assert_eq!(r.section(1), pairs(&want));
}

#[test]
fn nsec_wildcard_answer_and_nodata() {
    let c = nsec_zone();
    let r = ask(&c, "x.y.wild.example", RType::A, true, 1232);
    assert_eq!(r.rcode(), 0);
    assert_eq!(
        r.section(0),
        pairs(&[("x.y.wild.example.", "A"), ("x.y.wild.example.", "RRSIG/A")])
    );
    // The signature says it was synthesized: its labels field counts
    // wild.example (2), the owner has 4.
    let sig = r.rrs.iter().find(|x| x.rtype == RType::RRSIG).unwrap();
    assert_eq!(sig.rdata[3], 2);
    // x.y.wild sorts after www and before *.wild? No: *.wild < x.y.wild
    // (wild's children: "*" < "x"), so the last NSEC, *.wild, covers it.
    assert_eq!(
        r.section(1),
        pairs(&[
            ("*.wild.example.", "NSEC"),
            ("*.wild.example.", "RRSIG/NSEC")
        ])
    );
    let r = ask(&c, "x.wild.example", RType::MX, true, 1232);
    let mut want = SOA_PROOF.to_vec();
    want.extend([
        ("*.wild.example.", "NSEC"),
        ("*.wild.example.", "RRSIG/NSEC"),
    ]);
    assert_eq!(r.section(1), pairs(&want));
}

#[test]
fn nsec_referrals_ds_and_cname() {
    let c = nsec_zone();
    let r = ask(&c, "www.sec.example", RType::A, true, 1232);
    assert_eq!(r.flags & 0x0400, 0, "referral is not authoritative");
    assert_eq!(
        r.section(1),
        pairs(&[
            ("sec.example.", "NS"),
            ("sec.example.", "DS"),
            ("sec.example.", "RRSIG/DS")
        ])
    );
    assert!(r.has(2, "ns.sec.example.", "A"));
    assert!(!r.has(2, "ns.sec.example.", "RRSIG/A"));
    let r = ask(&c, "www.insec.example", RType::A, true, 1232);
    assert_eq!(
        r.section(1),
        pairs(&[
            ("insec.example.", "NS"),
            ("insec.example.", "NSEC"),
            ("insec.example.", "RRSIG/NSEC")
        ])
    );
    // DS from the parent side of the cut, signed and authoritative.
    let r = ask(&c, "sec.example", RType::DS, true, 1232);
    assert_ne!(r.flags & 0x0400, 0);
    assert_eq!(
        r.section(0),
        pairs(&[("sec.example.", "DS"), ("sec.example.", "RRSIG/DS")])
    );
    // No DS at an unsigned cut: NODATA proven by the cut's NSEC.
    let r = ask(&c, "insec.example", RType::DS, true, 1232);
    let mut want = SOA_PROOF.to_vec();
    want.extend([("insec.example.", "NSEC"), ("insec.example.", "RRSIG/NSEC")]);
    assert_eq!(r.section(1), pairs(&want));
    // A CNAME chain: every RRset with its signature, each with its TTL.
    let r = ask(&c, "alias.example", RType::A, true, 1232);
    assert_eq!(
        r.section(0),
        pairs(&[
            ("alias.example.", "CNAME"),
            ("alias.example.", "RRSIG/CNAME"),
            ("www.example.", "A"),
            ("www.example.", "RRSIG/A"),
        ])
    );
    assert!(r
        .rrs
        .iter()
        .filter(|x| x.section == 0)
        .all(|x| x.ttl == 600));
    // DNSKEY at the apex.
    let r = ask(&c, "example", RType::DNSKEY, true, 1232);
    assert_eq!(
        r.section(0),
        pairs(&[("example.", "DNSKEY"), ("example.", "RRSIG/DNSKEY")])
    );
}

#[test]
fn without_do_nothing_changes() {
    let signed = nsec_zone();
    let plain = catalog(build(base()));
    for (name, t) in [
        ("nx.example", RType::A),
        ("www.example", RType::TXT),
        ("x.wild.example", RType::A),
        ("www.sec.example", RType::A),
        ("alias.example", RType::A),
        ("example", RType::DNSKEY),
    ] {
        let a = ask(&signed, name, t, false, 1232);
        let b = ask(&plain, name, t, false, 1232);
        assert_eq!(a.flags, b.flags, "{name}");
        assert_eq!(a.section(0), b.section(0), "{name}");
        assert_eq!(a.section(1), b.section(1), "{name}");
        // And an unsigned zone ignores DO.
        let d = ask(&plain, name, t, true, 1232);
        assert_eq!(d.section(1), b.section(1), "{name}");
    }
}

#[test]
fn signed_answer_that_does_not_fit_sets_tc() {
    let mut recs = base();
    for i in 0..9u8 {
        recs.push(Record::new(
            n("big.example"),
            RType::TXT,
            600,
            [&[30u8][..], &[b'a' + i; 30][..]].concat(),
        ));
    }
    let c = catalog(build(sign(recs, Mode::Nsec)));
    // Unsigned it fits in 512 octets; with its signature it does not.
    let plain = ask(&c, "big.example", RType::TXT, false, 512);
    assert_eq!(plain.flags & 0x0200, 0);
    let r = ask(&c, "big.example", RType::TXT, true, 512);
    assert_ne!(r.flags & 0x0200, 0, "TC");
    assert!(r.section(0).is_empty());
}

/// True when the NSEC3 in `rr` covers (or matches) `hash`.
fn nsec3_covers(rr: &Rr, hash: &nsec3::Hash) -> bool {
    let owner = nsec3::decode_label(rr.owner.split('.').next().unwrap().as_bytes()).unwrap();
    let salt_len = rr.rdata[4] as usize;
    let next: nsec3::Hash = rr.rdata[6 + salt_len..26 + salt_len].try_into().unwrap();
    if owner < next {
        owner <= *hash && *hash < next
    } else {
        *hash >= owner || *hash < next
    }
}

fn h(name: &str) -> nsec3::Hash {
    Nsec3Params {
        iterations: 0,
        salt: &[],
    }
    .hash(n(name).as_wire())
}

fn matches(rrs: &[&Rr], name: &str) -> bool {
    let want = nsec3::owner_wire(&h(name), n("example").as_wire());
    let want = Name::from_wire(&want).unwrap().to_string().to_lowercase();
    rrs.iter().any(|r| r.owner == want)
}

fn covers(rrs: &[&Rr], name: &str) -> bool {
    rrs.iter().any(|r| nsec3_covers(r, &h(name)))
}

#[test]
fn nsec3_nxdomain_closest_encloser_proof() {
    let c = catalog(build(sign(base(), Mode::Nsec3)));
    let r = ask(&c, "a.b.nx.example", RType::A, true, 1232);
    assert_eq!(r.rcode(), 3);
    let p = r.nsec3s();
    assert!(p.len() <= 3 && !p.is_empty());
    assert!(matches(&p, "example"), "closest encloser");
    assert!(covers(&p, "nx.example"), "next closer");
    assert!(covers(&p, "*.example"), "wildcard");
    assert!(r.has(1, "example.", "RRSIG/SOA"));
    // Every NSEC3 comes with its signature.
    let sigs = r
        .rrs
        .iter()
        .filter(|x| x.covered == Some(RType::NSEC3))
        .count();
    assert_eq!(sigs, p.len());
}

#[test]
fn nsec3_nodata_ent_wildcard_and_referrals() {
    let c = catalog(build(sign(base(), Mode::Nsec3)));
    let r = ask(&c, "www.example", RType::TXT, true, 1232);
    let p = r.nsec3s();
    assert_eq!(p.len(), 1);
    assert!(matches(&p, "www.example"));
    // An empty non-terminal has its own NSEC3.
    let r = ask(&c, "ent.example", RType::A, true, 1232);
    assert!(matches(&r.nsec3s(), "ent.example"));
    // Wildcard answer: only the next closer name is denied.
    let r = ask(&c, "x.y.wild.example", RType::A, true, 1232);
    let p = r.nsec3s();
    assert_eq!(p.len(), 1);
    assert!(covers(&p, "y.wild.example"));
    // Wildcard NODATA: closest encloser, next closer, the wildcard itself.
    let r = ask(&c, "x.wild.example", RType::MX, true, 1232);
    let p = r.nsec3s();
    assert!(matches(&p, "wild.example"));
    assert!(covers(&p, "x.wild.example"));
    assert!(matches(&p, "*.wild.example"));
    // Unsigned delegation: the cut's own NSEC3 (no opt-out).
    let r = ask(&c, "www.insec.example", RType::A, true, 1232);
    let p = r.nsec3s();
    assert_eq!(p.len(), 1);
    assert!(matches(&p, "insec.example"));
}

#[test]
fn nsec3_opt_out_unsigned_delegation() {
    let c = catalog(build(sign(base(), Mode::Nsec3OptOut)));
    for (name, qtype) in [
        ("www.insec.example", RType::A),
        ("insec.example", RType::DS),
    ] {
        let r = ask(&c, name, qtype, true, 1232);
        let p = r.nsec3s();
        assert!(!matches(&p, "insec.example"), "{name}: no NSEC3 at the cut");
        assert!(matches(&p, "example"), "{name}: closest provable encloser");
        assert!(covers(&p, "insec.example"), "{name}: next closer");
        let cover = p
            .iter()
            .find(|x| nsec3_covers(x, &h("insec.example")))
            .unwrap();
        assert!(nsec3::opt_out(&cover.rdata), "{name}: opt-out flag");
    }
}

#[test]
fn index_follows_updates() {
    let v1 = build(sign(base(), Mode::Nsec));
    // Add "nx.example" with its NSEC, and re-link ns1's NSEC to it.
    let ns1 = n("ns1.example");
    let old_nsec = v1
        .node(&ns1)
        .and_then(|x| x.get(RType::NSEC))
        .and_then(|s| s.first())
        .unwrap()
        .to_vec();
    let mut new_nsec = n("nx.example").as_wire().to_vec();
    let types_at = old_nsec[Name::wire_len(&old_nsec).unwrap()..].to_vec();
    new_nsec.extend_from_slice(&types_at);
    let mut nx_nsec = n("sec.example").as_wire().to_vec();
    bitmap::push_types(&mut nx_nsec, &mut vec![1, 46, 47]);
    let soa = |serial: u32| {
        let mut s = v1.soa().and_then(|x| x.first()).unwrap().to_vec();
        let at = s.len() - 20;
        s[at..at + 4].copy_from_slice(&serial.to_be_bytes());
        Record::new(n("example"), RType::SOA, 3600, s)
    };
    let diff = Diff {
        serial_from: 1,
        serial_to: 2,
        removed: vec![soa(1), Record::new(ns1.clone(), RType::NSEC, 300, old_nsec)],
        added: vec![
            soa(2),
            Record::new(ns1.clone(), RType::NSEC, 300, new_nsec),
            Record::new(n("nx.example"), RType::A, 600, vec![192, 0, 2, 9]),
            Record::new(n("nx.example"), RType::NSEC, 300, nx_nsec),
        ],
    };
    let v2 = v1.apply(&diff).unwrap();
    assert_eq!(
        v2.denial().unwrap().nsec_len(),
        v1.denial().unwrap().nsec_len() + 1
    );
    let c = catalog(v2);
    // "nxa" now sorts after the new name: nx's NSEC covers it.
    let r = ask(&c, "nxa.example", RType::A, true, 1232);
    assert!(r.has(1, "nx.example.", "NSEC"), "{:?}", r.section(1));
    // And the old version is untouched.
    let c1 = catalog(v1);
    let r = ask(&c1, "nxa.example", RType::A, true, 1232);
    assert!(r.has(1, "ns1.example.", "NSEC"), "{:?}", r.section(1));
}

/// True when the NSEC in `rr` covers `name` (owner < name < next, with
/// the last NSEC wrapping to the apex).
fn nsec_covers(rr: &Rr, name: &Name) -> bool {
    let owner = n(&rr.owner);
    let next_len = Name::wire_len(&rr.rdata).unwrap();
    let next = Name::from_wire(&rr.rdata[..next_len]).unwrap();
    let lt = |a: &Name, b: &Name| canonical_cmp_wire(a.as_wire(), b.as_wire()).is_lt();
    if lt(&owner, &next) {
        lt(&owner, name) && lt(name, &next)
    } else {
        lt(&owner, name) || lt(name, &next)
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    const LABELS: [&str; 8] = ["a", "b", "ent", "wild", "www", "nx", "*", "zz"];
    const TYPES: [RType; 6] = [
        RType::A,
        RType::TXT,
        RType::MX,
        RType::DS,
        RType::ANY,
        RType::RRSIG,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any name, any mode: the answer is well formed, and an NXDOMAIN
        /// carries records that really cover the name (NSEC) or its next
        /// closer name (NSEC3), each with a signature.
        #[test]
        fn nxdomain_proofs_cover_the_name(
            labels in proptest::collection::vec(0usize..LABELS.len(), 1..4),
            t in 0usize..TYPES.len(),
            mode in 0usize..3,
        ) {
            let mode = [Mode::Nsec, Mode::Nsec3, Mode::Nsec3OptOut][mode];
            let c = catalog(build(sign(base(), mode)));
            let mut name: Vec<&str> = labels.iter().map(|&i| LABELS[i]).collect();
            name.push("example");
            let qname = name.join(".");
            let r = ask(&c, &qname, TYPES[t], true, 4096);
            prop_assert_eq!(r.flags & 0x0200, 0, "no TC at 4096 octets");
            if r.rcode() != 3 {
                return Ok(());
            }
            let q = n(&qname);
            match mode {
                Mode::Nsec => {
                    let nsecs: Vec<&Rr> = r
                        .rrs
                        .iter()
                        .filter(|x| x.section == 1 && x.rtype == RType::NSEC)
                        .collect();
                    prop_assert!(nsecs.iter().any(|x| nsec_covers(x, &q)), "{}", qname);
                }
                _ => {
                    // The next closer name: one label below the closest
                    // encloser, which is the longest existing ancestor.
                    let p = r.nsec3s();
                    let total = q.label_count();
                    let covered = (1..total).any(|k| {
                        let nc = q.strip_left(k - 1);
                        let ce = q.strip_left(k);
                        matches(&p, &ce.to_string()) && covers(&p, &nc.to_string())
                    });
                    prop_assert!(covered, "{}", qname);
                }
            }
            let proofs = r.rrs.iter().filter(|x| x.section == 1 && matches!(x.rtype, RType::NSEC | RType::NSEC3)).count();
            let sigs = r.rrs.iter().filter(|x| x.section == 1 && matches!(x.covered, Some(RType::NSEC | RType::NSEC3))).count();
            prop_assert_eq!(proofs, sigs);
        }
    }
}
