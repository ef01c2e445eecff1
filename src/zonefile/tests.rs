//! Parser and writer tests: every directive, the TTL rules, error
//! positions and recovery, and write/parse round trips (checked against
//! `named-checkzone` when it is installed).

use super::*;
use crate::rdata::{self, RType};
use proptest::prelude::*;
use std::path::PathBuf;

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

type Parsed = (Vec<Record>, Result<Vec<ZoneFileError>, Vec<ZoneFileError>>);

fn parse_with(text: &str, opts: &ParseOptions) -> Parsed {
    let mut recs = Vec::new();
    let res = parse_str(text, Path::new("zones/x.zone"), opts, &mut |r, _| {
        recs.push(r);
        Ok(())
    });
    (recs, res)
}

fn parse(text: &str) -> Parsed {
    parse_with(text, &ParseOptions::new(n("example.com.")))
}

/// Records as `owner ttl type rdata` lines.
fn lines(recs: &[Record]) -> Vec<String> {
    recs.iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.owner,
                r.ttl,
                r.rtype,
                rdata::to_text(r.rtype, &r.rdata).unwrap()
            )
        })
        .collect()
}

fn ok(text: &str) -> Vec<String> {
    let (recs, res) = parse(text);
    if let Err(e) = res {
        panic!("errors: {e:?}");
    }
    lines(&recs)
}

fn errors(text: &str) -> Vec<String> {
    match parse(text).1 {
        Ok(w) => panic!("no error; warnings {w:?}"),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

const SOA: &str = "$TTL 1h\n@ IN SOA ns hostmaster 1 2 3 4 5\n";

#[test]
fn owners_ttl_class_in_any_order() {
    let v = ok(&format!(
        "{SOA}www 300 IN A 192.0.2.1\n 60 A 192.0.2.2\n\tIN 70 A 192.0.2.3\n@ MX 10 mail\nmail.example.com. A 192.0.2.4\n"
    ));
    assert_eq!(
        v[1..],
        [
            "www.example.com. 300 A 192.0.2.1",
            "www.example.com. 60 A 192.0.2.2",
            "www.example.com. 70 A 192.0.2.3",
            "example.com. 3600 MX 10 mail.example.com.",
            "mail.example.com. 3600 A 192.0.2.4",
        ]
    );
}

#[test]
fn origin_directive_absolute_and_relative() {
    let v = ok(&format!(
        "{SOA}$ORIGIN sub\na A 1.1.1.1\n$ORIGIN deeper.sub.example.com.\nb CNAME @\n"
    ));
    assert_eq!(v[1], "a.sub.example.com. 3600 A 1.1.1.1");
    assert_eq!(
        v[2],
        "b.deeper.sub.example.com. 3600 CNAME deeper.sub.example.com."
    );
}

#[test]
fn ttl_directive_units() {
    let v = ok("$TTL 1h30m\n@ SOA ns h 1 2 3 4 5\n$TTL 2d\na A 1.1.1.1\n$TTL 1W\nb A 1.1.1.1\n");
    assert_eq!(
        v,
        [
            "example.com. 5400 SOA ns.example.com. h.example.com. 1 2 3 4 5",
            "a.example.com. 172800 A 1.1.1.1",
            "b.example.com. 604800 A 1.1.1.1"
        ]
    );
    assert!(errors("$TTL 1h30\n")[0].contains("bad TTL"));
}

#[test]
fn ttl_defaults_like_bind() {
    // No $TTL: the SOA takes its MINIMUM (warning) and that becomes the default.
    let (recs, res) = parse("@ SOA ns h 1 2 3 4 5\nx 10 A 1.1.1.1\ny A 1.1.1.2\n");
    let w = res.unwrap();
    assert!(w[0].to_string().contains("using SOA MINTTL"), "{w:?}");
    assert_eq!(
        lines(&recs)[1..],
        ["x.example.com. 10 A 1.1.1.1", "y.example.com. 5 A 1.1.1.2"]
    );
    // RFC 1035 semantics: the last explicit TTL.
    let (recs, res) = parse("@ 100 SOA ns h 1 2 3 4 5\ny A 1.1.1.2\n");
    assert!(res.unwrap()[0].message.contains("RFC1035"));
    assert_eq!(recs[1].ttl, 100);
    // Nothing to inherit: error.
    assert!(errors("x A 1.1.1.1\n")[0].contains("no TTL"));
    // Options may supply the default.
    let mut o = ParseOptions::new(n("example.com."));
    o.default_ttl = Some(42);
    assert_eq!(parse_with("x A 1.1.1.1\n", &o).0[0].ttl, 42);
    // Above 2^31-1: 0 with a warning.
    let (recs, res) = parse("$TTL 3000000000\n@ SOA ns h 1 2 3 4 5\nx 4294967295 A 1.1.1.1\n");
    assert_eq!(res.unwrap().len(), 2);
    assert_eq!((recs[0].ttl, recs[1].ttl), (0, 0));
}

#[test]
fn parentheses_comments_quotes() {
    let v = ok(&format!(
        "{SOA}t TXT ( \"a;b(c\" ; comment (\n   \"say \\\"hi\\\"\" ) ; end\nu TXT \"\" x\\;y\n"
    ));
    assert_eq!(v[1], "t.example.com. 3600 TXT \"a;b(c\" \"say \\\"hi\\\"\"");
    assert_eq!(v[2], "u.example.com. 3600 TXT \"\" \"x;y\"");
}

#[test]
fn escapes_in_names() {
    let v = ok(&format!(
        "{SOA}a\\.b CNAME x\\032y\n\\$dollar A 1.1.1.1\n\\@at A 1.1.1.1\n"
    ));
    assert_eq!(v[1], "a\\.b.example.com. 3600 CNAME x\\032y.example.com.");
    assert_eq!(v[2], "\\$dollar.example.com. 3600 A 1.1.1.1");
    assert_eq!(v[3], "\\@at.example.com. 3600 A 1.1.1.1");
}

#[test]
fn generic_types_and_classes() {
    let v = ok(&format!(
        "{SOA}x CLASS1 TYPE65280 \\# 2 abcd\ny TYPE1 \\# 4 01020304\nz A \\# 4 01020304\n"
    ));
    assert_eq!(v[1], "x.example.com. 3600 TYPE65280 \\# 2 ABCD");
    assert_eq!(v[2], "y.example.com. 3600 A 1.2.3.4");
    assert_eq!(v[3], "z.example.com. 3600 A 1.2.3.4");
}

#[test]
fn errors_name_position_and_continue() {
    let e = errors(&format!(
        "{SOA}ok A 1.1.1.1\nbad A 999.1.1.1\nx BOGUS 1\ny CH A 1.1.1.1\nz MX 10\n\"q\n"
    ));
    assert_eq!(e[0], "zones/x.zone:4:7: bad IPv4 address \"999.1.1.1\"");
    assert_eq!(e[1], "zones/x.zone:5:3: unknown RR type \"BOGUS\"");
    assert_eq!(e[2], "zones/x.zone:6:3: class 'CH' != zone class 'IN'");
    assert_eq!(e[3], "zones/x.zone:7:6: expected 2 fields for MX, found 1");
    assert_eq!(e[4], "zones/x.zone:8:1: unterminated quoted string");
    assert_eq!(e.len(), 5);
    assert!(errors(" A 1.1.1.1\n")[0].contains("no owner"));
    assert!(errors("$FOO bar\n")[0].contains("unknown directive"));
    assert!(errors(&format!("{SOA}x \"A\" 1.1.1.1\n"))[0].contains("unknown RR type"));
    assert!(errors(&format!("{SOA}x A \"1.1.1.1\"\n"))[0].contains("quoted"));
    assert!(errors("$ORIGIN\n")[0].contains("needs 1"));
    assert!(errors(&format!("{SOA}x ANY A 1.1.1.1\n"))[0].contains("class 'ANY'"));
    assert!(errors(&format!("{SOA}x AXFR \\# 0\n"))[0].contains("meta type"));
}

#[test]
fn bad_owner_keeps_the_previous_one() {
    let (recs, res) = parse(&format!(
        "{SOA}good A 1.1.1.1\na..b A 1.1.1.2\n A 1.1.1.3\n"
    ));
    assert_eq!(res.unwrap_err().len(), 1);
    assert_eq!(recs.last().unwrap().owner.to_string(), "good.example.com.");
    assert_eq!(recs.len(), 3);
}

#[test]
fn error_limit_stops_parsing() {
    let text = format!("{SOA}{}", "x A 1\n".repeat(200));
    assert_eq!(errors(&text).len(), MAX_ERRORS);
}

#[test]
fn out_of_zone_records_skipped_with_warning() {
    let (recs, res) = parse(&format!(
        "{SOA}foo.other. A 1.1.1.1\n A 1.1.1.2\nin A 1.1.1.3\n"
    ));
    let w = res.unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(
        w[0].to_string(),
        "zones/x.zone:3:1: ignoring out-of-zone data (foo.other.)"
    );
    assert_eq!(recs.len(), 2);
}

#[test]
fn sink_errors_are_positioned() {
    let mut seen = 0;
    let res = parse_str(
        &format!("{SOA}a A 1.1.1.1\n"),
        Path::new("f"),
        &ParseOptions::new(n("example.com.")),
        &mut |r, _| {
            seen += 1;
            if r.rtype == RType::A {
                Err("duplicate record".into())
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(seen, 2);
    assert_eq!(res.unwrap_err()[0].to_string(), "f:3:1: duplicate record");
}

#[test]
fn generate_directive() {
    let v = ok(&format!(
        "{SOA}$GENERATE 1-3 host$ A 10.0.0.$\n$GENERATE 10-12/2 x${{-1,3,x}} 60 IN CNAME y$$\n$GENERATE 1-2 z${{1}} MX \"10 m$\"\n$GENERATE 0-1 ${{0,3,n}}.rev PTR h$.\n"
    ));
    assert_eq!(
        v[1..],
        [
            "host1.example.com. 3600 A 10.0.0.1",
            "host2.example.com. 3600 A 10.0.0.2",
            "host3.example.com. 3600 A 10.0.0.3",
            "x009.example.com. 60 CNAME y\\$.example.com.",
            "x00b.example.com. 60 CNAME y\\$.example.com.",
            "z2.example.com. 3600 MX 10 m1.example.com.",
            "z3.example.com. 3600 MX 10 m2.example.com.",
            "0.0.rev.example.com. 3600 PTR h0.",
            "1.0.rev.example.com. 3600 PTR h1.",
        ]
    );
    let e = errors(&format!("{SOA}$GENERATE 5-1 a A 1.1.1.$\n$GENERATE 1-2 a A 1.1.1.${{0,1,q}}\n$GENERATE 1-2 a$ A 999.1.1.$\n"));
    assert!(e[0].contains("bad $GENERATE range"), "{e:?}");
    assert!(e[1].contains("bad $GENERATE modifier"), "{e:?}");
    assert_eq!(e[2], "zones/x.zone:5:1: bad IPv4 address \"999.1.1.1\"");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn include_with_origin_scoped_and_loops_detected() {
    let d = tempdir();
    std::fs::create_dir(d.path().join("inc")).unwrap();
    std::fs::write(
        d.path().join("inc/sub.inc"),
        "$ORIGIN deeper\na A 1.1.1.1\nb A 1.1.1.2\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("main.zone"),
        format!("{SOA}$INCLUDE inc/sub.inc sub\nc A 1.1.1.3\n$INCLUDE inc/sub.inc\n"),
    )
    .unwrap();
    let mut recs = Vec::new();
    let res = parse_file(
        &d.path().join("main.zone"),
        &ParseOptions::new(n("example.com.")),
        &mut |r, _| {
            recs.push(r);
            Ok(())
        },
    );
    res.unwrap();
    assert_eq!(
        lines(&recs)[1..],
        [
            "a.deeper.sub.example.com. 3600 A 1.1.1.1",
            "b.deeper.sub.example.com. 3600 A 1.1.1.2",
            "c.example.com. 3600 A 1.1.1.3",
            "a.deeper.example.com. 3600 A 1.1.1.1",
            "b.deeper.example.com. 3600 A 1.1.1.2",
        ]
    );
    // The previous owner flows into an include but not back out (BIND).
    std::fs::write(
        d.path().join("inc/blank.inc"),
        " A 10.0.0.2\ny A 10.0.0.3\n",
    )
    .unwrap();
    let mut recs = Vec::new();
    parse_str(
        &format!("{SOA}x A 10.0.0.1\n$INCLUDE inc/blank.inc\n A 10.0.0.4\n"),
        &d.path().join("main.zone"),
        &ParseOptions::new(n("example.com.")),
        &mut |r, _| {
            recs.push(r);
            Ok(())
        },
    )
    .unwrap();
    let owners: Vec<String> = recs[1..].iter().map(|r| r.owner.to_string()).collect();
    assert_eq!(
        owners,
        [
            "x.example.com.",
            "x.example.com.",
            "y.example.com.",
            "x.example.com."
        ]
    );
    std::fs::write(d.path().join("loop.zone"), "$INCLUDE loop2.zone\n").unwrap();
    std::fs::write(
        d.path().join("loop2.zone"),
        "x 1 A 1.1.1.1\n$INCLUDE loop.zone\n",
    )
    .unwrap();
    let e = parse_file(
        &d.path().join("loop.zone"),
        &ParseOptions::new(n("example.com.")),
        &mut |_, _| Ok(()),
    )
    .unwrap_err();
    assert!(e[0].message.contains("$INCLUDE loop"), "{e:?}");
    assert!(e[0].pos.file.ends_with("loop2.zone"));
    assert_eq!(e[0].pos.line, 2);
    let e = parse_str(
        "$INCLUDE nope.zone\n",
        &d.path().join("x"),
        &ParseOptions::new(n("example.com.")),
        &mut |_, _| Ok(()),
    )
    .unwrap_err();
    assert!(e[0].message.contains("cannot open $INCLUDE file"));
}

fn write_all(recs: &[Record]) -> String {
    let mut s = String::new();
    for r in recs {
        write_record(&mut s, &r.owner, r.ttl, r.class, r.rtype, &r.rdata);
    }
    s
}

/// A zone with one record of many types, written and read back.
const ZOO: &str = r#"$TTL 300
@ SOA ns hostmaster 2024010101 3600 900 1209600 300
@ NS ns
ns A 192.0.2.53
ns AAAA 2001:db8::53
@ MX 10 mail.example.com.
mail A 192.0.2.25
t TXT "v=spf1 -all" "with \"quotes\" and \\ and \010 ;("
c CNAME www
srv._tcp SRV 0 5 443 ns
n NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp
caa CAA 0 issue "ca.example.net"
_443._tcp TLSA 3 1 1 2BB183AF5F22588179A53B0A98631FAD1A292118AABBCCDDEEFF001122334455
s SSHFP 4 2 2BB183AF5F22588179A53B0A98631FAD1A292118AABBCCDDEEFF001122334455
u URI 10 1 "https://example.com/"
l LOC 52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m
@ DNSKEY 257 3 13 AQIDBAUGBwgJ
@ CDS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118AABBCCDDEEFF001122334455
sub NS ns.sub
ns.sub A 192.0.2.1
sub DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118AABBCCDDEEFF001122334455
@ RRSIG SOA 13 2 300 20500101000000 20251201000000 12345 example.com. AQIDBAUGBwgJ
@ NSEC c A NS SOA MX RRSIG NSEC DNSKEY CDS
@ NSEC3PARAM 1 0 0 -
h HTTPS 1 . alpn="h2,h3" port=443 ipv4hint=192.0.2.1
h2 SVCB 0 svc.example.net.
@ ZONEMD 2024010101 1 1 2BB183AF5F22588179A53B0A98631FAD1A292118AABBCCDDEEFF00112233445500112233445566778899AABBCCDDEEFF
hi HINFO "PC" "Linux"
rp RP admin.example.com. .
x TYPE65280 \# 3 010203
e EUI48 00-00-5e-00-53-2a
c2 HTTPS 1 . alpn="h2,h\\,x" key65000="a b" key9="" dohpath=/q{?dns} mandatory=alpn
d2 SVCB 1 . key65000
e2 LOC 0 0 0.000 N 0 0 0.000 E 0.00m 1.00m 10000.00m 10.00m
f2 LOC 90 S 180 W 42849672.95m 90000000.00m 90000000m 0m
g2 TXT "\255\000" a\032b
h2 IPSECKEY 10 0 2 . AQNRU3mG
h3 IPSECKEY 10 3 2 gw.example.net. AQNRU3mG
j2 CSYNC 66 3 A NS AAAA
2vptu5timamqttgl4luu9kg21e0aor3s NSEC3 1 1 10 AABBCCDD 3VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG
3vptu5timamqttgl4luu9kg21e0aor3s NSEC3 1 1 10 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S
m2 CERT PKIX 1 RSASHA256 AQID
n2 URI 10 1 ""
o2 CAA 128 tbs ""
q2 EUI64 00-00-5e-ef-10-00-00-2a
r2 DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=
s2 OPENPGPKEY AQID
t2 NULL \# 0
u2 KX 10 kx
v2 PX 10 a b
w2 AFSDB 1 afs
x2 MINFO a b
y2 TYPE65534 \# 0
z2 SPF "x"
z2 TXT "x"
_25._tcp SMIMEA 3 0 0 0102
dn DNAME other.example.net.
ptr PTR host.example.net.
mb MB a
mg MG a
mr MR a
rt RT 10 a
wks WKS 192.0.2.9 tcp 25 smtp domain 0 65535
*.w A 192.0.2.7
a\(b\)\;c\"d\$e\@f\\g\009h A 192.0.2.8
n NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
"#;

#[test]
fn writer_round_trip_and_named_checkzone() {
    let (recs, res) = parse(ZOO);
    res.unwrap();
    assert_eq!(recs.len(), ZOO.lines().count() - 1);
    let text = write_all(&recs);
    assert!(text.lines().all(|l| l.split('\t').count() >= 5), "{text}");
    let (back, res) = parse(&text);
    res.unwrap();
    assert_eq!(back.len(), recs.len());
    for (a, b) in recs.iter().zip(&back) {
        assert!(
            a.owner.eq_exact(&b.owner)
                && a.ttl == b.ttl
                && a.rtype == b.rtype
                && a.rdata == b.rdata,
            "{a:?} {b:?}"
        );
    }
    // write_zone output is accepted by BIND's checker.
    let d = tempdir();
    let path = d.path().join("example.com.zone");
    let mut buf = Vec::new();
    write_zone(&mut buf, &n("example.com."), recs.iter()).unwrap();
    std::fs::write(&path, &buf).unwrap();
    let Some(checker) = named_checkzone() else {
        return;
    };
    let out = std::process::Command::new(&checker)
        .args(["-q", "example.com"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "named-checkzone rejected:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&buf)
    );
    // And BIND's own rendering of the zone reads back to the same records.
    let out = std::process::Command::new(&checker)
        .args(["-q", "-D", "-o", "-", "example.com"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (from_bind, res) = parse(&String::from_utf8_lossy(&out.stdout));
    res.unwrap();
    let key = |r: &Record| {
        (
            r.owner.to_lowercase().as_wire().to_vec(),
            r.rtype,
            r.rdata.clone(),
            r.ttl,
        )
    };
    let mut a: Vec<_> = recs.iter().map(key).collect();
    let mut b: Vec<_> = from_bind.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

fn named_checkzone() -> Option<PathBuf> {
    ["/usr/bin/named-checkzone", "/usr/sbin/named-checkzone"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn arb_record() -> impl Strategy<Value = (String, u32, RType, String)> {
    let owner = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..8), 0..3);
    let rd = prop_oneof![
        any::<[u8; 4]>().prop_map(|a| (RType::A, format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]))),
        any::<[u8; 16]>().prop_map(|a| (RType::AAAA, std::net::Ipv6Addr::from(a).to_string())),
        (any::<u16>(), "[a-z]{1,5}").prop_map(|(p, l)| (RType::MX, format!("{p} {l}"))),
        "[a-zA-Z0-9]{1,8}".prop_map(|l| (RType::CNAME, format!("{l}.example.com."))),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 1..3).prop_map(
            |v| {
                let mut s = String::new();
                for x in v {
                    crate::rdata::text::write_quoted(&mut s, &x);
                    s.push(' ');
                }
                (RType::TXT, s)
            }
        ),
        (any::<u16>(), any::<u16>(), any::<u16>())
            .prop_map(|(a, b, c)| (RType::SRV, format!("{a} {b} {c} t"))),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(|d| {
            let mut s = format!("\\# {} ", d.len());
            crate::rdata::text::write_hex(&mut s, &d);
            (RType(65280), s)
        }),
    ];
    (owner, 0u32..=0x7FFF_FFFF, rd).prop_map(|(labels, ttl, (t, rd))| {
        let mut name = Name::from_labels(labels.iter().map(|l| l.as_slice()))
            .unwrap()
            .to_string();
        name.push_str("example.com.");
        if name.starts_with('.') {
            name.remove(0);
        }
        (name, ttl, t, rd)
    })
}

proptest! {
    #[test]
    fn write_then_parse_round_trip(recs in proptest::collection::vec(arb_record(), 1..10)) {
        let origin = n("example.com.");
        let mut parsed = Vec::new();
        for (owner, ttl, t, rd) in &recs {
            let toks = crate::zonefile::lexer::tokenize(rd.as_bytes()).unwrap();
            let rdata = rdata::from_text(*t, &toks, &origin).unwrap();
            parsed.push(Record { owner: owner.parse().unwrap(), class: crate::rdata::Class::IN, ttl: *ttl, rtype: *t, rdata: rdata.into() });
        }
        let text = write_all(&parsed);
        let (back, res) = parse(&text);
        prop_assert!(res.is_ok(), "{:?}\n{}", res, text);
        prop_assert_eq!(back.len(), parsed.len());
        for (a, b) in parsed.iter().zip(&back) {
            prop_assert!(a.owner.eq_exact(&b.owner), "{} vs {}", a.owner, b.owner);
            prop_assert_eq!((a.ttl, a.rtype, &a.rdata), (b.ttl, b.rtype, &b.rdata));
        }
    }

    #[test]
    fn every_native_type_writes_and_reads_back(
        cases in proptest::collection::vec((crate::rdata::tests::arb_case2(), "[a-zA-Z0-9*_-]{1,10}", 0u32..=0x7FFF_FFFF), 1..12)
    ) {
        let origin = n("example.com.");
        let mut recs = Vec::new();
        for ((t, text), label, ttl) in &cases {
            let rdata = rdata::from_str(*t, text, &origin).unwrap();
            let owner = Name::parse(label, Some(&origin)).unwrap();
            recs.push(Record { owner, class: crate::rdata::Class::IN, ttl: *ttl, rtype: *t, rdata: rdata.into() });
        }
        let mut buf = Vec::new();
        write_zone(&mut buf, &origin, recs.iter()).unwrap();
        let (back, res) = parse(&String::from_utf8(buf).unwrap());
        prop_assert!(res.is_ok(), "{:?}", res);
        prop_assert_eq!(back, recs);
    }

    #[test]
    fn parser_never_panics(text in "[ -~\n\t]{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
    }

    #[test]
    fn parser_never_panics_on_record_like_lines(
        lines in proptest::collection::vec(
            ("[a-z@*\\$;()\"]{0,4}", "( |\t)", "(IN|CH|1h|60|)", "(A|TXT|MX|SOA|SVCB|LOC|NSEC|\\$GENERATE|\\$TTL|\\$ORIGIN|TYPE9|)", "[ -~]{0,30}"),
            0..8,
        )
    ) {
        let text: String = lines.iter().map(|(a, b, c, d, e)| format!("{a}{b}{c} {d} {e}\n")).collect();
        let _ = parse(&text);
    }
}
