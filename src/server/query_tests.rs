//! Unit tests of the answer logic on a small zone built in memory.

use std::sync::Arc;

use crate::rdata::RType;
use crate::server::catalog::Catalog;
use crate::server::query::{answer, AnswerOptions, Transport};
use crate::wire::builder::MessageBuilder;
use crate::wire::message::{parse_request, skip_name};
use crate::zone::builder::ZoneBuilder;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::Zone;

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn zone() -> Catalog {
    let mut soa = Vec::new();
    soa.extend_from_slice(n("ns1.example.com").as_wire());
    soa.extend_from_slice(n("hostmaster.example.com").as_wire());
    for x in [7u32, 3600, 900, 604800, 600] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    let name_rd = |s: &str| n(s).as_wire().to_vec();
    let mut mx = vec![0, 10];
    mx.extend_from_slice(n("mail.example.com").as_wire());
    let recs = vec![
        Record::new(n("example.com"), RType::SOA, 3600, soa),
        Record::new(
            n("example.com"),
            RType::NS,
            3600,
            name_rd("ns1.example.com"),
        ),
        Record::new(n("example.com"), RType::MX, 3600, mx),
        Record::new(n("ns1.example.com"), RType::A, 3600, vec![192, 0, 2, 1]),
        Record::new(n("mail.example.com"), RType::A, 3600, vec![192, 0, 2, 2]),
        Record::new(
            n("www.example.com"),
            RType::CNAME,
            300,
            name_rd("web.example.com"),
        ),
        Record::new(n("web.example.com"), RType::A, 300, vec![192, 0, 2, 3]),
        Record::new(n("a.b.ent.example.com"), RType::A, 300, vec![192, 0, 2, 4]),
        Record::new(n("*.wild.example.com"), RType::A, 300, vec![192, 0, 2, 5]),
        Record::new(
            n("x.wild.example.com"),
            RType::TXT,
            300,
            b"\x03abc".to_vec(),
        ),
        Record::new(
            n("sub.example.com"),
            RType::NS,
            3600,
            name_rd("ns.sub.example.com"),
        ),
        Record::new(n("ns.sub.example.com"), RType::A, 3600, vec![192, 0, 2, 6]),
        Record::new(
            n("d.example.com"),
            RType::DNAME,
            300,
            name_rd("example.net"),
        ),
        Record::new(
            n("dd.example.com"),
            RType::DNAME,
            300,
            name_rd("web.example.com"),
        ),
        Record::new(
            n("loop1.example.com"),
            RType::CNAME,
            300,
            name_rd("loop2.example.com"),
        ),
        Record::new(
            n("loop2.example.com"),
            RType::CNAME,
            300,
            name_rd("loop1.example.com"),
        ),
    ];
    let mut b = ZoneBuilder::new(n("example.com"), crate::rdata::Class::IN);
    for r in recs {
        b.add(r).unwrap();
    }
    Catalog::new([Arc::new(Zone::new(b.finish().unwrap()))])
}

struct Resp {
    flags: u16,
    rcode: u16,
    /// (section, owner wire, type) for each record.
    records: Vec<(usize, RType)>,
    counts: [u16; 3],
}

fn query(
    catalog: &Catalog,
    name: &str,
    qtype: RType,
    edns: Option<(u16, u8)>,
    transport: Transport,
) -> Resp {
    let mut q = vec![
        0x12,
        0x34,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(edns.is_some()),
    ];
    q.extend_from_slice(n(name).as_wire());
    q.extend_from_slice(&qtype.0.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    if let Some((size, version)) = edns {
        q.extend_from_slice(&[0, 0, 41]);
        q.extend_from_slice(&size.to_be_bytes());
        q.extend_from_slice(&[0, version, 0, 0, 0, 0]);
    }
    let req = parse_request(&q).unwrap();
    let mut b = MessageBuilder::new();
    answer(
        &req,
        catalog,
        &AnswerOptions::default(),
        transport,
        0,
        &mut b,
    );
    decode(b.finish())
}

fn decode(msg: &[u8]) -> Resp {
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let counts = [
        u16::from_be_bytes([msg[6], msg[7]]),
        u16::from_be_bytes([msg[8], msg[9]]),
        u16::from_be_bytes([msg[10], msg[11]]),
    ];
    let qd = u16::from_be_bytes([msg[4], msg[5]]);
    let mut pos = if qd == 0 {
        12
    } else {
        skip_name(msg, 12).unwrap() + 4
    };
    let mut records = Vec::new();
    for (section, &count) in counts.iter().enumerate() {
        for _ in 0..count {
            pos = skip_name(msg, pos).unwrap();
            let t = RType(u16::from_be_bytes([msg[pos], msg[pos + 1]]));
            let rdlen = u16::from_be_bytes([msg[pos + 8], msg[pos + 9]]) as usize;
            pos += 10 + rdlen;
            records.push((section, t));
        }
    }
    assert_eq!(pos, msg.len());
    Resp {
        flags,
        rcode: flags & 0xF,
        records,
        counts,
    }
}

const AA: u16 = 0x0400;
const TC: u16 = 0x0200;

fn types(r: &Resp, section: usize) -> Vec<RType> {
    r.records
        .iter()
        .filter(|(s, _)| *s == section)
        .map(|(_, t)| *t)
        .collect()
}

#[test]
fn positive_with_additional() {
    let c = zone();
    let r = query(&c, "example.com", RType::MX, None, Transport::Udp);
    assert_eq!(r.rcode, 0);
    assert!(r.flags & AA != 0);
    assert_eq!(types(&r, 0), vec![RType::MX]);
    assert_eq!(types(&r, 2), vec![RType::A]);
}

#[test]
fn cname_chain_and_loop() {
    let c = zone();
    let r = query(&c, "WWW.example.com", RType::A, None, Transport::Udp);
    assert_eq!(types(&r, 0), vec![RType::CNAME, RType::A]);
    assert!(r.flags & AA != 0);
    let r = query(&c, "loop1.example.com", RType::A, None, Transport::Udp);
    assert_eq!(types(&r, 0), vec![RType::CNAME, RType::CNAME]);
    assert_eq!(r.rcode, 0);
}

#[test]
fn negative_answers() {
    let c = zone();
    let r = query(&c, "nope.example.com", RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 3);
    assert_eq!(types(&r, 1), vec![RType::SOA]);
    let r = query(&c, "web.example.com", RType::AAAA, None, Transport::Udp);
    assert_eq!(r.rcode, 0);
    assert_eq!(r.counts[0], 0);
    assert_eq!(types(&r, 1), vec![RType::SOA]);
    // Empty non-terminal: NODATA, not NXDOMAIN.
    let r = query(&c, "b.ent.example.com", RType::A, None, Transport::Udp);
    assert_eq!((r.rcode, r.counts[0]), (0, 0));
}

#[test]
fn wildcards() {
    let c = zone();
    let r = query(&c, "foo.wild.example.com", RType::A, None, Transport::Udp);
    assert_eq!((r.rcode, types(&r, 0)), (0, vec![RType::A]));
    // Wildcard NODATA.
    let r = query(&c, "foo.wild.example.com", RType::MX, None, Transport::Udp);
    assert_eq!((r.rcode, r.counts[0]), (0, 0));
    // x.wild exists, so names below it are not covered by *.wild (RFC 4592 §2.2.2).
    let r = query(&c, "y.x.wild.example.com", RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 3);
    // The existing name itself is not synthesized.
    let r = query(&c, "x.wild.example.com", RType::A, None, Transport::Udp);
    assert_eq!((r.rcode, r.counts[0]), (0, 0));
}

#[test]
fn referrals_and_ds() {
    let c = zone();
    let r = query(&c, "www.sub.example.com", RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 0);
    assert!(r.flags & AA == 0);
    assert_eq!(types(&r, 1), vec![RType::NS]);
    assert_eq!(types(&r, 2), vec![RType::A]);
    let r = query(&c, "sub.example.com", RType::DS, None, Transport::Udp);
    assert!(r.flags & AA != 0);
    assert_eq!(types(&r, 1), vec![RType::SOA]);
    // Glue itself is not answered authoritatively.
    let r = query(&c, "ns.sub.example.com", RType::A, None, Transport::Udp);
    assert!(r.flags & AA == 0);
    assert_eq!(types(&r, 1), vec![RType::NS]);
}

#[test]
fn dname() {
    let c = zone();
    let r = query(&c, "x.d.example.com", RType::A, None, Transport::Udp);
    assert_eq!(types(&r, 0), vec![RType::DNAME, RType::CNAME]);
    assert_eq!(r.rcode, 0);
    // The synthesized target is in the zone and followed.
    let r = query(&c, "z.dd.example.com", RType::A, None, Transport::Udp);
    assert_eq!(types(&r, 0), vec![RType::DNAME, RType::CNAME]);
    assert_eq!(r.rcode, 3, "z.web.example.com does not exist");
    let long = format!(
        "{}.{}.{}.d.example.com",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63)
    );
    let r = query(&c, &long, RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 0, "fits: example.net is shorter");
    // 255 octets; the DNAME target is one octet longer than its owner.
    let long = format!(
        "{}.{}.{}.{}.dd.example.com",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(46)
    );
    let r = query(&c, &long, RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 6, "YXDOMAIN");
}

#[test]
fn any_refused_notimp_badvers() {
    let c = zone();
    let r = query(&c, "example.com", RType::ANY, None, Transport::Udp);
    assert_eq!(r.counts[0], 1);
    let r = query(&c, "example.com", RType::ANY, None, Transport::Tcp);
    assert_eq!(r.counts[0], 3);
    let r = query(&c, "example.org", RType::A, None, Transport::Udp);
    assert_eq!(r.rcode, 5);
    assert!(r.flags & AA == 0);
    let r = query(
        &c,
        "example.com",
        RType::SOA,
        Some((1232, 1)),
        Transport::Udp,
    );
    assert_eq!(r.rcode, 0, "BADVERS lives in the OPT's extended rcode");
    assert_eq!(types(&r, 2), vec![RType::OPT]);
    assert_eq!(r.counts[0], 0);
    let r = query(&c, "example.com", RType::AXFR, None, Transport::Tcp);
    assert_eq!(r.rcode, 5);
}

#[test]
fn truncation_keeps_opt() {
    let mut soa = Vec::new();
    soa.extend_from_slice(n("ns1.big.test").as_wire());
    soa.extend_from_slice(n("h.big.test").as_wire());
    soa.extend_from_slice(&[0; 20]);
    let mut b = ZoneBuilder::new(n("big.test"), crate::rdata::Class::IN);
    b.add(Record::new(n("big.test"), RType::SOA, 60, soa))
        .unwrap();
    b.add(Record::new(
        n("big.test"),
        RType::NS,
        60,
        n("ns1.big.test").as_wire().to_vec(),
    ))
    .unwrap();
    for i in 0..40u8 {
        let mut txt = vec![60u8];
        txt.extend(std::iter::repeat_n(b'a' + (i % 26), 59));
        txt.push(i);
        b.add(Record::new(n("t.big.test"), RType::TXT, 60, txt))
            .unwrap();
    }
    let c = Catalog::new([Arc::new(Zone::new(b.finish().unwrap()))]);
    let r = query(
        &c,
        "t.big.test",
        RType::TXT,
        Some((1232, 0)),
        Transport::Udp,
    );
    assert!(r.flags & TC != 0);
    assert_eq!(r.counts, [0, 0, 1]);
    let r = query(&c, "t.big.test", RType::TXT, None, Transport::Udp);
    assert!(r.flags & TC != 0);
    assert_eq!(r.counts, [0, 0, 0]);
    let r = query(
        &c,
        "t.big.test",
        RType::TXT,
        Some((4096, 0)),
        Transport::Tcp,
    );
    assert!(r.flags & TC == 0);
    assert_eq!(r.counts[0], 40);
}

mod fuzz {
    use super::*;
    use crate::server::respond;
    use proptest::prelude::*;

    fn base_query() -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        q.extend_from_slice(n("foo.wild.example.com").as_wire());
        q.extend_from_slice(&[0, 1, 0, 1, 0, 0, 41, 4, 0xD0, 0, 0, 0x80, 0, 0, 0]);
        q
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        /// Whatever arrives, the server answers with a well-formed message
        /// (or nothing) and never panics.
        #[test]
        fn respond_never_panics(flips in proptest::collection::vec((0usize..64, any::<u8>()), 0..8),
                                extra in proptest::collection::vec(any::<u8>(), 0..16),
                                tcp in any::<bool>()) {
            let c = zone();
            let mut q = base_query();
            for (i, b) in flips { if i < q.len() { q[i] = b; } }
            q.extend_from_slice(&extra);
            let mut b = MessageBuilder::new();
            let t = if tcp { Transport::Tcp } else { Transport::Udp };
            if let Some(resp) = respond(&q, &c, &AnswerOptions::default(), t, &mut b) {
                prop_assert!(resp.len() >= 12);
                if !tcp { prop_assert!(resp.len() <= 1232); }
                let resp = resp.to_vec();
                // Our own answers must decode cleanly.
                decode(&resp);
            }
        }
    }
}
