//! End-to-end answer logic: the real `polyzone serve` binary, queried with
//! both `dig` (BIND) and `kdig` (Knot), checked record by record.
//!
//! Every expectation here was first checked against knotd 3.2 and named 9.18
//! serving the same zone. Where the two differ the test follows the RFC
//! clause named at the assertion (and the interface contract in DESIGN.md §4).
//!
//! The test zone is our own, not the example one, so that each answer path has
//! exactly one name that exercises it. Two zones are served: `e2e.test` (SOA
//! TTL 3600 > MINIMUM 300) and `neg.test` (SOA TTL 60 < MINIMUM 600), so the
//! negative TTL = min(SOA TTL, MINIMUM) rule (RFC 2308 §5) is seen both ways.

mod common;
#[path = "support/dig.rs"]
mod dig;
#[path = "support/raw.rs"]
mod raw;

use common::{require, zones_config, Server};
use dig::{ask, rrs, Tool, TOOLS};
use raw::{is_response, opcode, query, rcode, read_tcp_message, udp_exchange};
use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The main test zone; `big` (see [`e2e_zone`]) is appended at run time.
const E2E_ZONE: &str = r#"$ORIGIN e2e.test.
$TTL 3600
@           IN SOA  ns1.e2e.test. hostmaster.e2e.test. (
                    2026010101 ; serial
                    7200       ; refresh
                    3600       ; retry
                    1209600    ; expire
                    300 )      ; minimum: below the SOA TTL, so it is the negative TTL
@           IN NS   ns1.e2e.test.
@           IN NS   ns2.e2e.test.
ns1         IN A    192.0.2.1
ns2         IN A    192.0.2.2
; four RRsets at one name: ANY over UDP must pick one, over TCP give all
host        IN A    192.0.2.10
host        IN AAAA 2001:db8::10
host        IN TXT  "host text"
host        IN MX   10 mail.e2e.test.
mail        IN A    192.0.2.25
; owner written in mixed case: answers keep the zone's spelling
MiXeD       IN A    192.0.2.20
; a chain of two CNAMEs ending in an RRset of two A records
www         IN CNAME web.e2e.test.
web         IN CNAME lb.e2e.test.
lb          IN A    192.0.2.30
lb          IN A    192.0.2.31
out         IN CNAME www.example.org.
dangling    IN CNAME missing.e2e.test.
; ent and b.ent are empty non-terminals
a.b.ent     IN A    192.0.2.40
*.wild      IN A    192.0.2.50
*.wild      IN TXT  "wildcard"
; host.wild exists, so it is the closest encloser of x.host.wild (no *.host.wild)
host.wild   IN A    192.0.2.51
old         IN DNAME new.e2e.test.
x.new       IN A    192.0.2.60
; a 214-octet target: a long enough owner below `long` overflows 255 octets
long        IN DNAME wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.e2e.test.
; delegation with in-bailiwick glue and sibling glue (ns.sib, below another cut)
sub         IN NS   ns1.sub.e2e.test.
sub         IN NS   ns.sib.e2e.test.
ns1.sub     IN A    192.0.2.70
ns1.sub     IN AAAA 2001:db8::70
sib         IN NS   ns.sib.e2e.test.
ns.sib      IN A    192.0.2.71
; a signed delegation: the parent holds (and answers) the DS
sec         IN NS   ns1.sec.e2e.test.
sec         IN DS   12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns1.sec     IN A    192.0.2.72
"#;

const NEG_ZONE: &str = "$ORIGIN neg.test.
$TTL 3600
@   60 IN SOA ns1.neg.test. hostmaster.neg.test. 1 7200 3600 1209600 600
@      IN NS  ns1.neg.test.
ns1    IN A   192.0.2.3
";

const SOA_E2E: &str =
    "e2e.test. 300 SOA ns1.e2e.test. hostmaster.e2e.test. 2026010101 7200 3600 1209600 300";

/// Number of strings in the `big` TXT RRset and their payload.
const BIG_COUNT: usize = 12;

fn big_txt(i: usize) -> String {
    format!("big-{i:02}-{}", "y".repeat(120))
}

/// The test zone with `big`: 12 TXT records of ~130 octets, ~1.7 kB on the
/// wire, more than the 1232-octet UDP cap.
fn e2e_zone() -> String {
    let mut z = E2E_ZONE.to_string();
    for i in 1..=BIG_COUNT {
        z.push_str(&format!("big         IN TXT  \"{}\"\n", big_txt(i)));
    }
    z
}

fn start() -> Server {
    require("dig");
    require("kdig");
    let zone = e2e_zone();
    Server::start(
        &zones_config(&["e2e.test", "neg.test"]),
        &[("e2e.test.zone", &zone), ("neg.test.zone", NEG_ZONE)],
        "e2e.test",
    )
}

// ---------------------------------------------------------------------------
// positive answers

#[test]
fn positive_answer_is_authoritative() {
    let s = start();
    for t in TOOLS {
        ask(&s, t, &["host.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["host.e2e.test. 3600 A 192.0.2.10"]);
        ask(&s, t, &["host.e2e.test", "AAAA"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["host.e2e.test. 3600 AAAA 2001:db8::10"]);
        ask(&s, t, &["e2e.test", "NS"])
            .rcode_aa("NOERROR", true)
            .answer_is(&[
                "e2e.test. 3600 NS ns1.e2e.test.",
                "e2e.test. 3600 NS ns2.e2e.test.",
            ]);
        // The SOA in the answer section keeps its own TTL; only the negative
        // answers' copy is clamped to MINIMUM.
        ask(&s, t, &["e2e.test", "SOA"]).rcode_aa("NOERROR", true).answer_is(&[
            "e2e.test. 3600 SOA ns1.e2e.test. hostmaster.e2e.test. 2026010101 7200 3600 1209600 300",
        ]);
    }
}

#[test]
fn cname_chain_is_followed_inside_the_zone() {
    let s = start();
    for t in TOOLS {
        let r = ask(&s, t, &["www.e2e.test", "A"]);
        r.rcode_aa("NOERROR", true).answer_is(&[
            "www.e2e.test. 3600 CNAME web.e2e.test.",
            "web.e2e.test. 3600 CNAME lb.e2e.test.",
            "lb.e2e.test. 3600 A 192.0.2.30",
            "lb.e2e.test. 3600 A 192.0.2.31",
        ]);
        // RFC 1034 §4.3.2 step 3a: the chain starts at the qname.
        assert_eq!(r.answer[0].owner, "www.e2e.test.", "chain order\n{}", r.raw);
        // A CNAME asked for by type is the answer itself: no chasing.
        ask(&s, t, &["www.e2e.test", "CNAME"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["www.e2e.test. 3600 CNAME web.e2e.test."]);
        // Leaving the zone ends the chain: the resolver continues from there.
        ask(&s, t, &["out.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["out.e2e.test. 3600 CNAME www.example.org."]);
        // RFC 6604 §2.1: the rcode is the one of the last name in the chain.
        ask(&s, t, &["dangling.e2e.test", "A"])
            .rcode_aa("NXDOMAIN", true)
            .answer_is(&["dangling.e2e.test. 3600 CNAME missing.e2e.test."])
            .authority_is(&[SOA_E2E]);
    }
}

// ---------------------------------------------------------------------------
// negative answers

#[test]
fn nxdomain_and_nodata_carry_soa_with_negative_ttl() {
    let s = start();
    for t in TOOLS {
        ask(&s, t, &["nope.e2e.test", "A"]).negative("NXDOMAIN", SOA_E2E);
        ask(&s, t, &["host.e2e.test", "SRV"]).negative("NOERROR", SOA_E2E);
        // neg.test: SOA TTL 60 < MINIMUM 600, so 60 (RFC 2308 §5).
        let soa_neg = "neg.test. 60 SOA ns1.neg.test. hostmaster.neg.test. 1 7200 3600 1209600 600";
        ask(&s, t, &["nope.neg.test", "A"]).negative("NXDOMAIN", soa_neg);
        ask(&s, t, &["neg.test", "MX"]).negative("NOERROR", soa_neg);
    }
}

#[test]
fn empty_non_terminal_is_nodata() {
    let s = start();
    for t in TOOLS {
        // RFC 8020: a name with descendants exists, so NOERROR, not NXDOMAIN.
        ask(&s, t, &["b.ent.e2e.test", "A"]).negative("NOERROR", SOA_E2E);
        ask(&s, t, &["ent.e2e.test", "TXT"]).negative("NOERROR", SOA_E2E);
        ask(&s, t, &["a.b.ent.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["a.b.ent.e2e.test. 3600 A 192.0.2.40"]);
        ask(&s, t, &["c.b.ent.e2e.test", "A"]).negative("NXDOMAIN", SOA_E2E);
    }
}

// ---------------------------------------------------------------------------
// wildcards (RFC 4592)

#[test]
fn wildcard_synthesis_uses_the_qname_as_owner() {
    let s = start();
    for t in TOOLS {
        ask(&s, t, &["anything.wild.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["anything.wild.e2e.test. 3600 A 192.0.2.50"]);
        // Several labels below the closest encloser still match (§3.3.1).
        ask(&s, t, &["a.b.wild.e2e.test", "TXT"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["a.b.wild.e2e.test. 3600 TXT \"wildcard\""]);
        // The wildcard owns A and TXT only: other types are NODATA (§3.3.1
        // with the wildcard as the matched name), not NXDOMAIN.
        ask(&s, t, &["x.wild.e2e.test", "MX"]).negative("NOERROR", SOA_E2E);
        // An existing name is answered from its own data, never the wildcard.
        ask(&s, t, &["host.wild.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["host.wild.e2e.test. 3600 A 192.0.2.51"]);
        ask(&s, t, &["host.wild.e2e.test", "TXT"]).negative("NOERROR", SOA_E2E);
        // The wildcard's own name can be asked for literally.
        ask(&s, t, &["*.wild.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["*.wild.e2e.test. 3600 A 192.0.2.50"]);
    }
}

#[test]
fn wildcard_is_blocked_below_an_existing_name() {
    let s = start();
    for t in TOOLS {
        // RFC 4592 §2.2.2: the closest encloser of x.host.wild is host.wild,
        // and *.host.wild does not exist; *.wild is not consulted.
        ask(&s, t, &["x.host.wild.e2e.test", "A"]).negative("NXDOMAIN", SOA_E2E);
        // Likewise an empty non-terminal is a closest encloser of its own.
        ask(&s, t, &["x.ent.e2e.test", "A"]).negative("NXDOMAIN", SOA_E2E);
    }
}

// ---------------------------------------------------------------------------
// DNAME (RFC 6672)

#[test]
fn dname_synthesizes_a_cname() {
    let s = start();
    for t in TOOLS {
        // §3.1: the DNAME, then the synthesized CNAME (TTL of the DNAME),
        // then the target, here inside the zone, so it is followed.
        ask(&s, t, &["x.old.e2e.test", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&[
                "old.e2e.test. 3600 DNAME new.e2e.test.",
                "x.old.e2e.test. 3600 CNAME x.new.e2e.test.",
                "x.new.e2e.test. 3600 A 192.0.2.60",
            ]);
        // The target does not exist: the rcode follows the chain (RFC 6604).
        ask(&s, t, &["y.old.e2e.test", "A"])
            .rcode_aa("NXDOMAIN", true)
            .answer_is(&[
                "old.e2e.test. 3600 DNAME new.e2e.test.",
                "y.old.e2e.test. 3600 CNAME y.new.e2e.test.",
            ])
            .authority_is(&[SOA_E2E]);
        // The DNAME owner itself is not redirected (§2.3).
        ask(&s, t, &["old.e2e.test", "DNAME"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["old.e2e.test. 3600 DNAME new.e2e.test."]);
        ask(&s, t, &["old.e2e.test", "A"]).negative("NOERROR", SOA_E2E);
    }
}

#[test]
fn dname_overflow_is_yxdomain() {
    let s = start();
    // 63+63 octets of labels: the qname fits (143 octets) but the substituted
    // name (128 + 214) does not fit 255.
    let qname = format!("{}.{}.long.e2e.test", "a".repeat(63), "b".repeat(63));
    for t in TOOLS {
        let r = ask(&s, t, &[&qname, "A"]);
        // RFC 6672 §2.2: YXDOMAIN. named does this; knotd 3.2 answers
        // NXDOMAIN instead, which claims the name does not exist.
        assert_eq!(r.status, "YXDOMAIN", "rcode\n{}", r.raw);
        assert!(r.has_flag("aa"), "AA flag\n{}", r.raw);
        // No CNAME can be synthesized; the DNAME itself may be given (named does).
        assert!(
            r.answer.iter().all(|rr| rr.rtype == "DNAME"),
            "answer must not hold a CNAME\n{}",
            r.raw
        );
    }
}

// ---------------------------------------------------------------------------
// delegations

#[test]
fn referral_has_ns_in_authority_and_glue_in_additional() {
    let s = start();
    let ns = [
        "sub.e2e.test. 3600 NS ns1.sub.e2e.test.",
        "sub.e2e.test. 3600 NS ns.sib.e2e.test.",
    ];
    // ns.sib lives below the `sib` cut: sibling glue (RFC 9471 §2.2), which
    // knotd and named both include, as we do.
    let glue = [
        "ns1.sub.e2e.test. 3600 A 192.0.2.70",
        "ns1.sub.e2e.test. 3600 AAAA 2001:db8::70",
        "ns.sib.e2e.test. 3600 A 192.0.2.71",
    ];
    for t in TOOLS {
        for q in [
            "sub.e2e.test",
            "deep.below.sub.e2e.test",
            "ns1.sub.e2e.test",
        ] {
            // RFC 1034 §4.3.2 step 3b: not authoritative below the cut.
            ask(&s, t, &[q, "A"])
                .rcode_aa("NOERROR", false)
                .answer_is(&[])
                .authority_is(&ns)
                .additional_is(&glue);
        }
        // NS at the cut is the child's data: a referral as well, not an answer.
        ask(&s, t, &["sub.e2e.test", "NS"])
            .rcode_aa("NOERROR", false)
            .answer_is(&[])
            .authority_is(&ns)
            .additional_is(&glue);
    }
}

#[test]
fn ds_is_answered_by_the_parent() {
    let s = start();
    for t in TOOLS {
        // RFC 4035 §3.1.4.1: DS lives on the parent side of the cut.
        ask(&s, t, &["sec.e2e.test", "DS"]).rcode_aa("NOERROR", true).answer_is(&[
            "sec.e2e.test. 3600 DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
        ]);
        // No DS: authoritative NODATA from the parent, not a referral.
        ask(&s, t, &["sub.e2e.test", "DS"]).negative("NOERROR", SOA_E2E);
    }
}

// ---------------------------------------------------------------------------
// ANY (RFC 8482)

const HOST_ALL: [&str; 4] = [
    "host.e2e.test. 3600 A 192.0.2.10",
    "host.e2e.test. 3600 AAAA 2001:db8::10",
    "host.e2e.test. 3600 TXT \"host text\"",
    "host.e2e.test. 3600 MX 10 mail.e2e.test.",
];

#[test]
fn any_is_minimal_over_udp_and_full_over_tcp() {
    let s = start();
    for t in TOOLS {
        // UDP: one RRset (RFC 8482 §4.1), which one is the server's choice.
        // (knotd does this; named 9.18 returns everything by default.)
        // dig 9.18 sends ANY over TCP unless told +notcp; +ignore keeps a
        // TC reply from being retried over TCP behind our back.
        let r = ask(&s, t, &["+notcp", "+ignore", "host.e2e.test", "ANY"]);
        r.rcode_aa("NOERROR", true);
        assert!(!r.answer.is_empty(), "empty ANY answer\n{}", r.raw);
        let first = &r.answer[0].rtype;
        assert!(
            r.answer.iter().all(|rr| &rr.rtype == first),
            "more than one RRset over UDP\n{}",
            r.raw
        );
        for rr in &r.answer {
            assert!(
                HOST_ALL.contains(&rr.to_string().as_str()),
                "{rr} is not host's data\n{}",
                r.raw
            );
        }
        // TCP: the conventional full answer (§4.4 lets transports differ;
        // named does this, knotd is minimal on TCP too).
        ask(&s, t, &["+tcp", "host.e2e.test", "ANY"])
            .rcode_aa("NOERROR", true)
            .answer_is(&HOST_ALL);
    }
}

// ---------------------------------------------------------------------------
// rcodes without data

#[test]
fn names_outside_every_zone_are_refused() {
    let s = start();
    for t in TOOLS {
        for q in ["www.example.org", "test", "e2e.test.example"] {
            let r = ask(&s, t, &[q, "A"]);
            assert_eq!(r.status, "REFUSED", "rcode for {q}\n{}", r.raw);
            assert!(!r.has_flag("aa"), "AA on REFUSED\n{}", r.raw);
            assert!(
                r.answer.is_empty() && r.authority.is_empty(),
                "data on REFUSED\n{}",
                r.raw
            );
        }
    }
}

#[test]
fn edns_version_1_is_badvers() {
    let s = start();
    for t in TOOLS {
        // dig would retry with version 0 on BADVERS unless told not to.
        let args: &[&str] = match t {
            Tool::Dig => &["+edns=1", "+noednsnegotiation", "host.e2e.test", "A"],
            Tool::Kdig => &["+edns=1", "host.e2e.test", "A"],
        };
        let r = ask(&s, t, args);
        // RFC 6891 §6.1.3: extended rcode 16 needs an OPT to carry it, and
        // that OPT states the version we do speak.
        assert_eq!(r.status, "BADVERS", "rcode\n{}", r.raw);
        assert_eq!(r.edns_version, Some(0), "OPT with version 0\n{}", r.raw);
        assert!(r.answer.is_empty(), "no data with BADVERS\n{}", r.raw);
    }
}

#[test]
fn edns_is_echoed_only_when_asked() {
    let s = start();
    for t in TOOLS {
        // RFC 6891 §7: an OPT in the reply iff the query had one.
        let r = ask(&s, t, &["+edns=0", "+bufsize=1232", "host.e2e.test", "A"]);
        r.rcode_aa("NOERROR", true)
            .answer_is(&["host.e2e.test. 3600 A 192.0.2.10"]);
        assert_eq!(r.edns_version, Some(0), "OPT in reply\n{}", r.raw);
        let r = ask(&s, t, &["+noedns", "host.e2e.test", "A"]);
        r.rcode_aa("NOERROR", true)
            .answer_is(&["host.e2e.test. 3600 A 192.0.2.10"]);
        assert_eq!(
            r.edns_version, None,
            "no OPT without EDNS in the query\n{}",
            r.raw
        );
    }
}

/// Sends `qname` A over UDP as raw bytes (kdig lowercases names before
/// sending, so it cannot ask in mixed case) and returns whether the question
/// came back byte for byte, and the answer owners as spelt in the reply.
fn raw_case_query(addr: SocketAddr, qname: &str) -> (bool, Vec<String>) {
    let q = query(0xcafe, 0, qname, 1);
    let reply = udp_exchange(addr, &q, Duration::from_secs(5)).expect("no reply");
    let echoed = reply.get(12..q.len()) == Some(&q[12..]);
    let msg = hickory_proto::op::Message::from_vec(&reply).expect("decode reply");
    (
        echoed,
        msg.answers.iter().map(|r| r.name.to_string()).collect(),
    )
}

#[test]
fn question_case_is_echoed() {
    let s = start();
    // The question comes back byte for byte: RFC 4343 §4.1 (no case folding
    // on output); resolvers match it (RFC 5452 §3) and 0x20 randomization
    // (draft-vixie-dnsext-dns0x20) relies on it. knotd and named both echo.
    for q in [
        "HoSt.E2e.TeSt",
        "mixed.E2E.TEST",
        "NoPe.e2e.test",
        "WWW.example.ORG",
    ] {
        let r = ask(&s, Tool::Dig, &[q, "A"]);
        assert_eq!(r.question, vec![format!("{q}.")], "question\n{}", r.raw);
        assert!(
            raw_case_query(s.addr, q).0,
            "raw question for {q} not echoed"
        );
    }
}

#[test]
fn answer_owner_keeps_the_zone_case() {
    let s = start();
    // Owners are spelt as in the zone file, whatever the question's case:
    // "when data enters the domain system, its original case should be
    // preserved" (RFC 1035 §2.3.3). RFC 4343 §4.1 does not say whose case
    // wins (erratum 6361), so this is the contract's choice: named does
    // this, knotd copies the qname's case instead.
    for (q, owner, addr) in [
        ("HoSt.E2e.TeSt", "host.e2e.test.", "192.0.2.10"),
        ("mixed.E2E.TEST", "MiXeD.e2e.test.", "192.0.2.20"),
    ] {
        let r = ask(&s, Tool::Dig, &[q, "A"]);
        r.rcode_aa("NOERROR", true);
        let want = rrs(&[&format!("{owner} 3600 A {addr}")]);
        assert_eq!(r.answer, want, "answer owner\n{}", r.raw);
        assert_eq!(raw_case_query(s.addr, q).1, vec![owner.to_string()]);
    }
    // A wildcard answer's owner is the qname as asked (RFC 4592 §3.3.1: the
    // owner is QNAME); knotd keeps its case, named lowercases it.
    let q = "Some.WILD.e2e.test";
    let r = ask(&s, Tool::Dig, &[q, "A"]);
    let want = rrs(&["Some.WILD.e2e.test. 3600 A 192.0.2.50"]);
    assert_eq!(r.answer, want, "wildcard owner\n{}", r.raw);
    assert_eq!(raw_case_query(s.addr, q).1, vec![format!("{q}.")]);
}

// ---------------------------------------------------------------------------
// truncation

#[test]
fn big_answer_truncates_over_udp_and_is_whole_over_tcp() {
    let s = start();
    for t in TOOLS {
        // dig and kdig both spell "do not retry over TCP" +ignore.
        for bufsize in ["512", "1232", "4096"] {
            let b = format!("+bufsize={bufsize}");
            let r = ask(&s, t, &["+ignore", &b, "big.e2e.test", "TXT"]);
            assert_eq!(r.status, "NOERROR", "rcode\n{}", r.raw);
            assert!(r.has_flag("tc"), "TC with bufsize {bufsize}\n{}", r.raw);
            // RFC 6891 §7: the OPT stays in a truncated reply.
            assert_eq!(r.edns_version, Some(0), "OPT kept in TC reply\n{}", r.raw);
            // Capped at min(client size, 1232): even a 4096 client gets TC.
            let cap = bufsize.parse::<usize>().unwrap_or(512).min(1232);
            let size = r
                .size
                .unwrap_or_else(|| panic!("no size printed\n{}", r.raw));
            assert!(size <= cap, "{size} octets > {cap}\n{}", r.raw);
        }
        // Without EDNS the limit is 512 (RFC 1035 §4.2.1).
        let r = ask(&s, t, &["+ignore", "+noedns", "big.e2e.test", "TXT"]);
        assert!(r.has_flag("tc"), "TC without EDNS\n{}", r.raw);
        assert!(
            r.size.is_some_and(|n| n <= 512),
            "size without EDNS\n{}",
            r.raw
        );

        let want: Vec<String> = (1..=BIG_COUNT)
            .map(|i| format!("big.e2e.test. 3600 TXT \"{}\"", big_txt(i)))
            .collect();
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        ask(&s, t, &["+tcp", "big.e2e.test", "TXT"])
            .rcode_aa("NOERROR", true)
            .answer_is(&want);
        // Without +ignore the clients retry over TCP themselves: the
        // behaviour a resolver sees.
        ask(&s, t, &["big.e2e.test", "TXT"])
            .rcode_aa("NOERROR", true)
            .answer_is(&want);
    }
}

// ---------------------------------------------------------------------------
// raw packets: what dig and kdig cannot send

/// After hostile input the server must still answer normally.
fn assert_still_serving(s: &Server) {
    assert!(
        common::soa_answers(s.addr, "e2e.test"),
        "server stopped answering; log:\n{}",
        s.log()
    );
}

#[test]
fn unknown_opcode_is_notimp() {
    require("dig");
    let s = start();
    // 2 = STATUS (never defined), 3 = unassigned, 6 = DSO (RFC 8490 §5.1:
    // NOTIMP from a server without DSO), 15 = unassigned.
    for op in [2u16, 3, 6, 15] {
        let id = 0xbe00 | op;
        let reply = udp_exchange(
            s.addr,
            &query(id, op << 11, "host.e2e.test", 1),
            Duration::from_secs(5),
        )
        .unwrap_or_else(|| panic!("no reply to opcode {op}"));
        assert!(reply.len() >= 12, "short reply to opcode {op}: {reply:?}");
        assert_eq!(u16::from_be_bytes([reply[0], reply[1]]), id, "id echoed");
        assert!(is_response(&reply), "QR set");
        // RFC 6895 §2.2 / RFC 1035 §4.1.1: NOTIMP, opcode copied.
        assert_eq!(opcode(&reply), op as u8, "opcode echoed");
        assert_eq!(rcode(&reply), 4, "NOTIMP for opcode {op}");
    }
    assert_still_serving(&s);
}

#[test]
fn malformed_queries_get_formerr_or_are_dropped() {
    require("dig");
    let s = start();
    // A question name that is a compression pointer to itself: the header
    // is fine, so the sender can be told (RFC 1035 §4.1.1 FORMERR). knotd
    // drops it silently; named answers FORMERR, as does the contract.
    let mut lp = query(0xf00d, 0, "", 1);
    lp.truncate(12);
    lp.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    let reply = udp_exchange(s.addr, &lp, Duration::from_secs(5))
        .expect("FORMERR for a pointer loop, got nothing");
    assert_eq!(
        u16::from_be_bytes([reply[0], reply[1]]),
        0xf00d,
        "id echoed"
    );
    assert!(is_response(&reply), "QR set");
    assert_eq!(rcode(&reply), 1, "FORMERR for a pointer loop");

    // A question cut short after its labels: FORMERR as well.
    let mut cut = query(0xf00e, 0, "host.e2e.test", 1);
    cut.truncate(cut.len() - 5);
    let reply = udp_exchange(s.addr, &cut, Duration::from_secs(5))
        .expect("FORMERR for a cut question, got nothing");
    assert_eq!(rcode(&reply), 1, "FORMERR for a cut question");

    // Shorter than a header: no ID to answer reliably; both peers drop it.
    // Either dropping or FORMERR is fine, a crash or a NOERROR is not.
    if let Some(reply) = udp_exchange(s.addr, &[0xf0, 0x0f, 0x00], Duration::from_secs(1)) {
        assert!(
            reply.len() >= 12 && rcode(&reply) == 1,
            "short header must get FORMERR or nothing: {reply:?}"
        );
    }
    assert_still_serving(&s);
}

#[test]
fn tcp_pipelined_queries_are_all_answered() {
    require("dig");
    let s = start();
    let mut stream = TcpStream::connect(s.addr).expect("connect tcp");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // Both queries in one write, before any reply: RFC 7766 §6.2.1.1
    // requires the server to process them all (in any order).
    let mut out = Vec::new();
    for (id, name) in [
        (0x0101u16, "host.e2e.test"),
        (0x0202, "lb.e2e.test"),
        (0x0303, "nope.e2e.test"),
    ] {
        let q = query(id, 0, name, 1);
        out.extend_from_slice(&(q.len() as u16).to_be_bytes());
        out.extend_from_slice(&q);
    }
    stream.write_all(&out).expect("write queries");
    let mut answers: HashMap<u16, (u16, Vec<String>)> = HashMap::new();
    for _ in 0..3 {
        let bytes = read_tcp_message(&mut stream);
        // hickory-proto as an independent decoder of our encoding.
        let msg = hickory_proto::op::Message::from_vec(&bytes).expect("decode reply");
        let mut data: Vec<String> = msg.answers.iter().map(|r| r.data.to_string()).collect();
        data.sort();
        answers.insert(
            msg.metadata.id,
            (u16::from(msg.metadata.response_code), data),
        );
    }
    assert_eq!(
        answers.get(&0x0101),
        Some(&(0, vec!["192.0.2.10".to_string()])),
        "{answers:?}"
    );
    assert_eq!(
        answers.get(&0x0202),
        Some(&(0, vec!["192.0.2.30".to_string(), "192.0.2.31".to_string()])),
        "{answers:?}"
    );
    assert_eq!(answers.get(&0x0303), Some(&(3, vec![])), "{answers:?}");

    // The connection stays usable for a further query after the batch.
    let q = query(0x0404, 0, "mail.e2e.test", 1);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    stream.write_all(&framed).expect("write 4th query");
    let msg =
        hickory_proto::op::Message::from_vec(&read_tcp_message(&mut stream)).expect("decode 4th");
    assert_eq!(msg.metadata.id, 0x0404);
    assert_eq!(msg.answers.len(), 1);
    assert_eq!(msg.answers[0].data.to_string(), "192.0.2.25");
}
