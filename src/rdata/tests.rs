//! Tests of the rdata codec: every native type, the generic form,
//! message decoding and canonical form.

use super::*;
use crate::zonefile::lexer::tokenize;
use proptest::prelude::*;

fn origin() -> Name {
    "example.com.".parse().unwrap()
}

fn wire(rtype: RType, text: &str) -> Vec<u8> {
    from_str(rtype, text, &origin()).unwrap_or_else(|e| panic!("{rtype} {text}: {e}"))
}

fn err(rtype: RType, text: &str) -> String {
    match from_str(rtype, text, &origin()) {
        Ok(w) => panic!("{rtype} {text} parsed to {w:?}"),
        Err(e) => e.to_string(),
    }
}

/// text -> wire -> text -> wire gives the same wire; returns the text.
fn stable(rtype: RType, text: &str) -> String {
    let w1 = wire(rtype, text);
    let t1 = to_text(rtype, &w1).unwrap();
    let w2 = from_str(rtype, &t1, &Name::root()).unwrap_or_else(|e| panic!("{rtype} {t1}: {e}"));
    assert_eq!(w1, w2, "{rtype}: {text} -> {t1}");
    validate(rtype, &w1).unwrap();
    t1
}

#[test]
fn every_native_type_round_trips() {
    let cases: &[(RType, &str, &str)] = &[
        (RType::A, "192.0.2.1", "192.0.2.1"),
        (RType::AAAA, "2001:DB8::1", "2001:db8::1"),
        (RType::NS, "ns1", "ns1.example.com."),
        (RType::CNAME, "@", "example.com."),
        (RType::DNAME, "other.net.", "other.net."),
        (RType::PTR, "host.example.", "host.example."),
        (RType::SOA, "ns hostmaster ( 2024010101 1h 15m 2w 300 )", "ns.example.com. hostmaster.example.com. 2024010101 3600 900 1209600 300"),
        (RType::MX, "10 mail", "10 mail.example.com."),
        (RType::TXT, "\"hello world\" unquoted \"\" \"a\\\"b\\\\c\\010\"", "\"hello world\" \"unquoted\" \"\" \"a\\\"b\\\\c\\010\""),
        (RType::SPF, "\"v=spf1 -all\"", "\"v=spf1 -all\""),
        (RType::HINFO, "\"PC\" Linux", "\"PC\" \"Linux\""),
        (RType::RP, "admin.example.com. .", "admin.example.com. ."),
        (RType::AFSDB, "1 afs", "1 afs.example.com."),
        (RType::SRV, "0 5 5060 sip", "0 5 5060 sip.example.com."),
        (RType::NAPTR, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."),
        (RType::CAA, "0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\""),
        (RType::TLSA, "3 1 0 ( 0123456789abcdef 0123456789ABCDEF )", "3 1 0 0123456789ABCDEF0123456789ABCDEF"),
        (RType::SMIMEA, "3 1 0 abcd", "3 1 0 ABCD"),
        (RType::SSHFP, "4 1 ( 01234567 89abcdef0123456789ABCDEF01234567 )", "4 1 0123456789ABCDEF0123456789ABCDEF01234567"),
        (RType::OPENPGPKEY, "AQID BAU=", "AQIDBAU="),
        (RType::URI, "10 1 \"https://example.com/\"", "10 1 \"https://example.com/\""),
        (RType::LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000.00m 10.00m"),
        (RType::LOC, "42 21 54 N 71 06 18 W -24m 30m", "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m"),
        (RType::CERT, "PKIX 1 RSASHA256 AQID", "1 1 8 AQID"),
        (RType::DS, "12345 13 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )", "12345 13 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
        (RType::CDS, "0 0 0 00", "0 0 0 00"),
        (RType::DNSKEY, "257 3 ECDSAP256SHA256 ( AQID BAUG )", "257 3 13 AQIDBAUG"),
        (RType::CDNSKEY, "0 3 0 AA==", "0 3 0 AA=="),
        (RType::RRSIG, "A 13 3 3600 20260101000000 20251201000000 12345 example.com. AQID", "A 13 3 3600 20260101000000 20251201000000 12345 example.com. AQID"),
        (RType::RRSIG, "TYPE65280 8 2 60 1767225600 1764547200 1 @ AQID", "TYPE65280 8 2 60 20260101000000 20251201000000 1 example.com. AQID"),
        (RType::NSEC, "next A MX RRSIG NSEC TYPE1234", "next.example.com. A MX RRSIG NSEC TYPE1234"),
        (RType::NSEC3, "1 1 10 AABBCCDD 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG", "1 1 10 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG"),
        (RType::NSEC3PARAM, "1 0 0 -", "1 0 0 -"),
        (RType::ZONEMD, "2024010101 1 241 ( abcdef abcdef abcdef abcdef )", "2024010101 1 241 ABCDEFABCDEFABCDEFABCDEF"),
        (RType::CSYNC, "66 3 A NS AAAA", "66 3 A NS AAAA"),
        (RType::SVCB, "1 . alpn=h2,h3 port=8443", "1 . alpn=\"h2,h3\" port=8443"),
        (RType::HTTPS, "0 svc.example.net.", "0 svc.example.net."),
        (
            RType::HTTPS,
            "1 . ipv6hint=2001:db8::1,2001:db8::2 ech=AQID mandatory=port,alpn key65000=\"x y\" no-default-alpn port=\"443\" ipv4hint=192.0.2.1,192.0.2.2 alpn=\"h3,h\\\\,x\" dohpath=/q{?dns}",
            "1 . mandatory=alpn,port alpn=\"h3,h\\\\,x\" no-default-alpn port=443 ipv4hint=192.0.2.1,192.0.2.2 ech=AQID ipv6hint=2001:db8::1,2001:db8::2 dohpath=\"/q{?dns}\" key65000=\"x y\"",
        ),
        (RType::WKS, "1.2.3.4 tcp 25 smtp domain 0 65535", "1.2.3.4 6 0 25 53 65535"),
        (RType::WKS, "1.2.3.4 17", "1.2.3.4 17"),
        (RType::NID, "10 0014:4fff:ff20:ee64", "10 14:4fff:ff20:ee64"),
        (RType::L32, "10 10.1.2.0", "10 10.1.2.0"),
        (RType::L64, "10 2001:0DB8:1140:1000", "10 2001:db8:1140:1000"),
        (RType::LP, "10 x", "10 x.example.com."),
        (RType::AVC, "\"app-name:WOLFGANG|app-class:OAM\" x", "\"app-name:WOLFGANG|app-class:OAM\" \"x\""),
        (RType::X25, "311061700956", "\"311061700956\""),
        (RType::MB, "mb", "mb.example.com."),
        (RType::MG, "mg", "mg.example.com."),
        (RType::MR, "mr", "mr.example.com."),
        (RType::MINFO, "r e", "r.example.com. e.example.com."),
        (RType::KX, "10 kx", "10 kx.example.com."),
        (RType::PX, "10 a b", "10 a.example.com. b.example.com."),
        (RType::RT, "10 rt", "10 rt.example.com."),
        (RType::EUI48, "00-00-5e-00-53-2a", "00-00-5e-00-53-2a"),
        (RType::EUI64, "00-00-5E-EF-10-00-00-2A", "00-00-5e-ef-10-00-00-2a"),
        (RType::DHCID, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
        (RType::IPSECKEY, "10 1 2 192.0.2.38 AQNRU3mG", "10 1 2 192.0.2.38 AQNRU3mG"),
        (RType::IPSECKEY, "10 0 2 . AQNRU3mG", "10 0 2 . AQNRU3mG"),
        (RType::IPSECKEY, "10 3 2 gw.example.net. AQNRU3mG", "10 3 2 gw.example.net. AQNRU3mG"),
    ];
    for &(rtype, input, expected) in cases {
        assert_eq!(stable(rtype, input), expected, "{rtype} {input}");
    }
}

#[test]
fn tokens_built_by_hand() {
    // The API other modules use without the lexer.
    let toks = [Token::new("10"), Token::new("mail")];
    assert_eq!(
        from_text(RType::MX, &toks, &origin()).unwrap(),
        b"\x00\x0a\x04mail\x07example\x03com\x00"
    );
    let toks = [Token::quoted("two words"), Token::quoted("")];
    assert_eq!(
        from_text(RType::TXT, &toks, &origin()).unwrap(),
        b"\x09two words\x00"
    );
    // Names, like numbers, may not be quoted (BIND).
    assert!(from_text(RType::CNAME, &[Token::quoted("@")], &origin()).is_err());
}

#[test]
fn wire_forms() {
    assert_eq!(wire(RType::MX, "10 @"), b"\x00\x0a\x07example\x03com\x00");
    assert_eq!(wire(RType::TXT, "a \"\""), b"\x01a\x00");
    assert_eq!(wire(RType::TXT, "\\065\\;"), b"\x02A;");
    assert_eq!(wire(RType::NSEC3PARAM, "1 0 0 -"), b"\x01\x00\x00\x00\x00");
    assert_eq!(
        wire(RType::NSEC, "a. A RRSIG"),
        b"\x01a\x00\x00\x06\x40\x00\x00\x00\x00\x02"
    );
    assert_eq!(
        wire(RType::CAA, "128 tbs \"Unknown\""),
        b"\x80\x03tbsUnknown"
    );
    assert_eq!(
        wire(RType::LOC, "0 N 0 E 0"),
        [0, 0x12, 0x16, 0x13, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0x98, 0x96, 0x80]
    );
    assert_eq!(
        wire(RType::SVCB, "1 . port=53 alpn=dot"),
        b"\x00\x01\x00\x00\x01\x00\x04\x03dot\x00\x03\x00\x02\x00\x35"
    );
}

#[test]
fn generic_form_for_every_type() {
    assert_eq!(wire(RType::A, "\\# 4 C0000201"), [192, 0, 2, 1]);
    assert_eq!(wire(RType(65280), "\\# 3 ( 01 0203 )"), [1, 2, 3]);
    assert_eq!(wire(RType::NULL, "\\# 0"), b"");
    assert_eq!(to_text(RType(65280), &[1, 2, 3]).unwrap(), "\\# 3 010203");
    assert_eq!(to_text(RType::NULL, &[]).unwrap(), "\\# 0");
    assert_eq!(stable(RType::NULL, "\\# 2 abcd"), "\\# 2 ABCD");
    // Known type, rdata that does not fit: error on input, generic on output.
    assert!(err(RType::A, "\\# 3 010203").contains("malformed A rdata"));
    assert_eq!(to_text(RType::A, &[1, 2, 3]).unwrap(), "\\# 3 010203");
    assert!(err(RType::A, "\\# 4 0102").contains("length 4 but 2"));
    assert!(err(RType::A, "\\# x").contains("length"));
    assert!(err(RType::NULL, "abc").contains("generic form"));
}

#[test]
fn error_messages() {
    assert_eq!(err(RType::A, "999.1.1.1"), "bad IPv4 address \"999.1.1.1\"");
    assert_eq!(err(RType::AAAA, "1.2.3.4"), "bad IPv6 address \"1.2.3.4\"");
    assert_eq!(
        err(RType::SOA, "a b 1"),
        "expected 7 fields for SOA, found 3"
    );
    assert_eq!(err(RType::MX, "10"), "expected 2 fields for MX, found 1");
    assert_eq!(
        err(RType::MX, "10 a b"),
        "unexpected \"b\" after the MX rdata"
    );
    assert_eq!(err(RType::MX, "70000 a"), "bad 16-bit number \"70000\"");
    assert_eq!(
        err(RType::TXT, &"x".repeat(256)),
        "TXT string longer than 255 octets"
    );
    assert!(err(RType::TXT, "").starts_with("expected at least 1 fields"));
    assert!(err(RType::DS, "1 2 3").contains("expected at least 4 fields for DS"));
    assert!(err(RType::DS, "1 2 3 abc").contains("odd number"));
    assert!(err(RType::DS, "1 2 2 abcd").contains("digest length"));
    // Quotes only where a character-string stands (as BIND).
    assert_eq!(
        err(RType::MX, "\"10\" a"),
        "unexpected quoted string \"10\""
    );
    assert!(err(RType::CNAME, "\"a\"").contains("quoted"));
    assert!(err(RType::DNSKEY, "257 3 13 \"AQID\"").contains("quoted"));
    assert!(err(RType::URI, "10 1 x").contains("must be quoted"));
    assert!(err(RType::URI, "10 1").contains("expected at least 3"));
    assert!(err(RType::CAA, "0 issue").contains("expected at least 3"));
    for good in [
        "\"\"",
        "\"!a!b!\"",
        "\"!a!b!i\"",
        "\"!(a)!\\\\1!\"",
        "\"!a\\\\!b!c!\"",
    ] {
        wire(RType::NAPTR, &format!("1 2 \"\" \"\" {good} ."));
    }
    for bad in [
        "c",
        "!a!b!x",
        "!a!b",
        "!a!\\\\1!",
        "1a1b1",
        "iai",
        "!!!",
        "aba",
    ] {
        let e = err(RType::NAPTR, &format!("1 2 \"\" \"\" \"{bad}\" ."));
        assert!(e.contains("bad NAPTR regexp"), "{bad}: {e}");
    }
    assert!(err(RType::A, "01.2.3.4").contains("IPv4"));
    assert!(err(RType::X25, "123").contains("4 or more digits"));
    assert!(err(RType::X25, "12a45").contains("4 or more digits"));
    assert!(err(RType::NID, "1 1:2:3").contains("64-bit locator"));
    assert!(err(RType::ZONEMD, "1 1 241 abcd").contains("12 octets"));
    assert!(err(RType::DNSKEY, "257 3 13 !!").contains("bad base64"));
    assert!(err(RType::CNAME, "a..b").contains("bad domain name"));
    assert!(err(RType::RRSIG, "A 13 3 3600 20261301000000 1 1 a. AA").contains("signature time"));
    assert!(err(RType::NSEC, "a. BOGUS").contains("record type"));
    assert!(err(RType::HTTPS, "1 . port=1 port=2").contains("duplicate"));
    assert!(err(RType::HTTPS, "1 . foo=1").contains("SvcParam key"));
    assert!(err(RType::HTTPS, "1 . key3=\\001").contains("bad SvcParam value"));
    // Generic keys carry the wire form, also for keys that have names.
    assert_eq!(
        wire(
            RType::SVCB,
            "3 . key1=\"\\002h2\" key3=\\031\\144 key4=\"\\192\\000\\002\\005\" key65535=\"\""
        ),
        wire(
            RType::SVCB,
            "3 . alpn=h2 port=8080 ipv4hint=192.0.2.5 key65535"
        )
    );
    assert!(err(RType::HTTPS, "1 . mandatory=port alpn=h2")
        .contains("mandatory SvcParam key is missing"));
    assert!(err(RType::HTTPS, "1 . no-default-alpn").contains("without alpn"));
    assert!(err(RType::NSEC, "next.").contains("empty type bitmap"));
    // An IPSECKEY without a key reads, but is written generically (BIND needs a key).
    assert_eq!(
        to_text(
            RType::IPSECKEY,
            &wire(RType::IPSECKEY, "10 2 0 2001:db8::1")
        )
        .unwrap()
        .split(' ')
        .next(),
        Some("\\#")
    );
    assert!(err(RType::LOC, "91 N 0 E 0").contains("LOC"));
    assert!(err(RType::CAA, "0 is-sue x").contains("CAA tag"));
    assert!(err(RType::EUI48, "00-00-5e-00-53").contains("EUI-48"));
    assert!(err(RType::IPSECKEY, "10 1 2 gw.example. AA").contains("gateway"));
    assert!(err(RType::DNSKEY, "257 3 NOSUCHALG AA").contains("algorithm"));
}

#[test]
fn read_rdata_decompresses_listed_types() {
    // Header-less fake message: "example.com" at 0, then an MX rdata.
    let mut msg = b"\x07example\x03com\x00".to_vec();
    let off = msg.len();
    msg.extend_from_slice(b"\x00\x0a\x04mail\xc0\x00");
    let r = read_rdata(&msg, off, msg.len() - off, RType::MX).unwrap();
    assert_eq!(r, b"\x00\x0a\x04mail\x07example\x03com\x00");
    // SOA: two compressed names then the counters.
    let off2 = msg.len();
    msg.extend_from_slice(b"\x02ns\xc0\x00\xc0\x00");
    msg.extend_from_slice(&[0u8; 20]);
    let r = read_rdata(&msg, off2, msg.len() - off2, RType::SOA).unwrap();
    assert_eq!(
        to_text(RType::SOA, &r).unwrap(),
        "ns.example.com. example.com. 0 0 0 0 0"
    );
    // Not allowed for DNAME (RFC 3597 §4 list), nor forward or self pointers.
    let off3 = msg.len();
    msg.extend_from_slice(b"\xc0\x00");
    assert!(read_rdata(&msg, off3, 2, RType::DNAME).is_err());
    let fwd = b"\xc0\x02\x00";
    assert!(read_rdata(fwd, 0, 3, RType::NS).is_err());
    let selfp = b"\x01a\xc0\x00";
    assert!(read_rdata(selfp, 0, 4, RType::NS).is_err());
    // Bounds.
    assert!(read_rdata(&msg, msg.len() - 1, 5, RType::A).is_err());
    assert!(read_rdata(b"\x01\x02\x03", 0, 3, RType::A).is_err());
    assert_eq!(
        read_rdata(b"\x01\x02\x03\x04", 0, 4, RType::A).unwrap(),
        [1, 2, 3, 4]
    );
}

#[test]
fn names_inside_rdata() {
    let r = wire(RType::SRV, "0 5 443 t");
    let v = name_ranges(RType::SRV, &r);
    assert_eq!((v.len(), &v[0]), (1, &(6..r.len())));
    let r = wire(RType::SOA, "a b 1 2 3 4 5");
    assert_eq!(name_ranges(RType::SOA, &r), [0..15, 15..30]);
    assert!(name_ranges(RType::A, &[1, 2, 3, 4]).is_empty());
    assert!(name_ranges(RType::MX, &[0, 1, 0xC0, 0]).is_empty());
    assert!(may_compress(RType::MX) && may_compress(RType::SOA) && may_compress(RType::PTR));
    assert!(!may_compress(RType::SRV) && !may_compress(RType::DNAME) && !may_compress(RType::RP));
}

#[test]
fn canonical_form() {
    let mut r = wire(RType::MX, "10 MAIL.Example.COM.");
    canonicalize(RType::MX, &mut r);
    assert_eq!(to_text(RType::MX, &r).unwrap(), "10 mail.example.com.");
    let mut r = wire(
        RType::RRSIG,
        "A 13 3 3600 20260101000000 20251201000000 1 EXAMPLE.com. AQID",
    );
    canonicalize(RType::RRSIG, &mut r);
    assert!(to_text(RType::RRSIG, &r)
        .unwrap()
        .contains(" example.com. "));
    // NSEC (RFC 6840 §5.1), TXT and SVCB are left alone.
    for (t, s) in [
        (RType::NSEC, "NEXT.example. A"),
        (RType::TXT, "ABC"),
        (RType::SVCB, "1 TARGET."),
    ] {
        let mut r = wire(t, s);
        let before = r.clone();
        canonicalize(t, &mut r);
        assert_eq!(r, before, "{t}");
    }
}

fn arb_case() -> impl Strategy<Value = (RType, String)> {
    let label = "[a-zA-Z0-9_-]{1,12}";
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| (RType::A, format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]))),
        any::<[u8; 16]>().prop_map(|a| (RType::AAAA, std::net::Ipv6Addr::from(a).to_string())),
        (any::<u16>(), label).prop_map(|(p, l)| (RType::MX, format!("{p} {l}"))),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..4).prop_map(
            |strs| {
                let mut s = String::new();
                crate::rdata::text::write_quoted(&mut s, &[]);
                s.clear();
                for x in strs {
                    crate::rdata::text::write_quoted(&mut s, &x);
                    s.push(' ');
                }
                (RType::TXT, s)
            }
        ),
        (any::<u16>(), any::<u16>(), any::<u16>(), label)
            .prop_map(|(a, b, c, l)| (RType::SRV, format!("{a} {b} {c} {l}"))),
        (
            any::<u16>(),
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 1..64)
        )
            .prop_map(|(k, a, d)| (RType::DS, format!("{k} {a} 5 {}", hex(&d)))),
        proptest::collection::vec(any::<u16>(), 0..8).prop_map(|ts| {
            let names: Vec<String> = ts.iter().map(|t| RType(*t).to_string()).collect();
            (RType::NSEC, format!("n.example. A {}", names.join(" ")))
        }),
        (any::<u32>(), any::<u32>())
            .prop_map(|(a, b)| (RType::RRSIG, format!("AAAA 13 2 300 {a} {b} 9 x. AAAA"))),
        proptest::collection::vec(any::<u8>(), 0..50)
            .prop_map(|d| (RType(65000), format!("\\# {} {}", d.len(), hex(&d)))),
    ]
}

/// Samples of every native type, for mutation.
pub(crate) fn arb_case2() -> impl Strategy<Value = (RType, String)> {
    let samples: Vec<(RType, &'static str)> = vec![
        (RType::SOA, "ns h 1 2 3 4 5"),
        (RType::HINFO, "a b"),
        (RType::NAPTR, "1 2 \"U\" \"E2U+sip\" \"!^.*$!sip:x@y!\" ."),
        (RType::CAA, "0 issue \"ca\""),
        (RType::LOC, "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m"),
        (RType::CERT, "1 1 8 AQID"),
        (RType::DNSKEY, "257 3 13 AQID"),
        (RType::RRSIG, "A 13 3 3600 20260101000000 20251201000000 1 example.com. AQID"),
        (RType::NSEC, "a. A RRSIG NSEC TYPE1234"),
        (RType::NSEC3, "1 1 10 AABB 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"),
        (RType::NSEC3PARAM, "1 0 10 AABB"),
        (RType::CSYNC, "1 3 A NS"),
        (RType::SVCB, "1 . alpn=h2,h3 port=443 ipv4hint=1.2.3.4 ech=AQID ipv6hint=::1 mandatory=port key999=x"),
        (RType::HTTPS, "1 . no-default-alpn alpn=h2 dohpath=/q{?dns}"),
        (RType::IPSECKEY, "10 3 2 gw.example. AQID"),
        (RType::IPSECKEY, "10 2 2 ::1 AQID"),
        (RType::WKS, "1.2.3.4 6 25 80"),
        (RType::URI, "1 1 \"x\""),
        (RType::NID, "1 1:2:3:4"),
        (RType::EUI48, "00-00-5e-00-53-2a"),
        (RType::ZONEMD, "1 1 241 000102030405060708090a0b"),
        (RType::SSHFP, "1 1 0102030405060708090a0b0c0d0e0f1011121314"),
        (RType::DS, "1 8 2 0102030405060708090a0b0c0d0e0f10111213140102030405060708090a0b0c"),
        (RType::MINFO, "a b"),
        (RType::TXT, "a \"\" b"),
        (RType::X25, "12345"),
    ];
    proptest::sample::select(samples).prop_map(|(t, s)| (t, s.to_string()))
}

fn hex(d: &[u8]) -> String {
    let mut s = String::new();
    crate::rdata::text::write_hex(&mut s, d);
    s
}

proptest! {
    #[test]
    fn text_wire_text_is_stable((rtype, text) in arb_case()) {
        let w1 = from_str(rtype, &text, &origin()).unwrap();
        let t1 = to_text(rtype, &w1).unwrap();
        let w2 = from_str(rtype, &t1, &origin()).unwrap();
        prop_assert_eq!(&w1, &w2);
        prop_assert_eq!(t1, to_text(rtype, &w2).unwrap());
    }

    #[test]
    fn read_rdata_never_panics(msg in proptest::collection::vec(any::<u8>(), 0..80), off in 0usize..90, len in 0usize..90, t in prop_oneof![0u16..300, Just(32768u16), Just(32769u16)]) {
        let rtype = RType(t);
        if let Ok(r) = read_rdata(&msg, off, len, rtype) {
            // Whatever it accepts is valid uncompressed rdata of the type.
            prop_assert!(validate(rtype, &r).is_ok());
            let text = to_text(rtype, &r).unwrap();
            let mut c = r.clone();
            canonicalize(rtype, &mut c);
            prop_assert_eq!(from_str(rtype, &text, &Name::root()), Ok(r.clone()), "{} {}", rtype, text);
        }
    }

    #[test]
    fn read_rdata_returns_valid_uncompressed_rdata_unchanged((rtype, text) in arb_case(), pad in 0usize..4) {
        let w = from_str(rtype, &text, &origin()).unwrap();
        let mut msg = vec![0u8; pad];
        msg.extend_from_slice(&w);
        prop_assert_eq!(read_rdata(&msg, pad, w.len(), rtype).unwrap(), w.clone());
        // One octet short is never accepted for fixed-layout types.
        if rtype == RType::A || rtype == RType::AAAA || rtype == RType::MX || rtype == RType::SRV {
            prop_assert!(read_rdata(&msg, pad, w.len() - 1, rtype).is_err());
        }
    }

    #[test]
    fn mutated_rdata_is_rejected_or_round_trips((rtype, text) in arb_case2(), at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut w = from_str(rtype, &text, &origin()).unwrap();
        if !w.is_empty() {
            let i = at % w.len();
            if cut { w.truncate(i) } else { w[i] = byte }
        }
        if let Ok(r) = read_rdata(&w, 0, w.len(), rtype) {
            let t = to_text(rtype, &r).unwrap();
            prop_assert_eq!(from_str(rtype, &t, &Name::root()), Ok(r), "{} {}", rtype, t);
        }
    }

    #[test]
    fn from_text_never_panics(
        words in proptest::collection::vec("[ -~]{0,12}", 0..6),
        t in prop_oneof![0u16..300, Just(32768u16), Just(32769u16), any::<u16>()],
    ) {
        let text = words.join(" ");
        if let Ok(toks) = tokenize(text.as_bytes()) {
            let _ = from_text(RType(t), &toks, &origin());
        }
    }
}
