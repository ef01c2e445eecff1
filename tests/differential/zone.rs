//! The zone every server under test loads: a hand-written part that holds
//! one example of each answer-logic corner case (wildcards, empty
//! non-terminals, CNAME chains and loops, DNAME, delegations with and without
//! DS, oversized RRsets that force truncation) plus a deterministic bulk of
//! ordinary records so lookups are not only over a dozen names.

use crate::rng::Rng;

pub const ORIGIN: &str = "diff.test";

/// Names of the generated bulk: `h0` .. `h{BULK-1}`.
pub const BULK: usize = 300;

/// Hand-written corner cases. Relative names are under `diff.test.`.
const FIXED: &str = r#"$ORIGIN diff.test.
$TTL 3600
@           IN SOA   ns1 hostmaster 2026112701 7200 1800 1209600 300
@           IN NS    ns1
@           IN NS    ns2
@           IN MX    10 mail
@           IN TXT   "apex"
@           IN A     192.0.2.1
@           IN AAAA  2001:db8::1
@           IN CAA   0 issue "ca.example"
ns1         IN A     192.0.2.53
ns1         IN AAAA  2001:db8::53
ns2         IN A     192.0.2.54
mail        IN A     192.0.2.25
host        IN A     192.0.2.80
host        IN AAAA  2001:db8::80
host        IN TXT   "host"
Mixed-Case  IN A     192.0.2.81
_sip._udp   IN SRV   10 5 5060 host
ptr         IN PTR   host.diff.test.
info        IN HINFO "cpu" "os"
opaque      IN TYPE65300 \# 3 010203
; wildcards: a wildcard with data, an explicit name beside it, an empty
; non-terminal below the wildcard's parent, and a wildcard owning a CNAME
*.wild      IN A     192.0.2.100
*.wild      IN TXT   "wild"
*.wild      IN MX    10 mail
exists.wild IN A     192.0.2.101
leaf.ent.wild IN A   192.0.2.102
*.wc        IN CNAME host
*.wcnx      IN CNAME nowhere
; empty non-terminals: b.ent and c.b.ent have no data of their own
a.c.b.ent   IN A     192.0.2.110
x.ent       IN TXT   "sibling of an empty non-terminal"
; CNAME chains
c1          IN CNAME c2
c2          IN CNAME c3
c3          IN CNAME host
cdangling   IN CNAME nothere
cwild       IN CNAME foo.wild
cwc         IN CNAME bar.wc
cout        IN CNAME www.example.org.
cdeleg      IN CNAME host.deleg
cdname      IN CNAME host.dn
cent        IN CNAME b.ent
loop1       IN CNAME loop2
loop2       IN CNAME loop1
self        IN CNAME self
; DNAME: in-zone target, target with a wildcard, out-of-zone target, and
; other data beside the DNAME at its owner
dn          IN DNAME target
dn          IN TXT   "beside the dname"
host.target IN A     192.0.2.120
deep.sub.target IN A 192.0.2.121
dnw         IN DNAME wild
dnout       IN DNAME example.net.
; delegations: with glue and DS, with only out-of-zone servers, with a name
; server that is a sibling in the parent zone (no glue below the cut)
deleg       IN NS    ns1.deleg
deleg       IN NS    ns2.deleg
deleg       IN DS    12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns1.deleg   IN A     192.0.2.201
ns2.deleg   IN AAAA  2001:db8::201
outdeleg    IN NS    ns.example.net.
sibdeleg    IN NS    ns1
sibdeleg    IN NS    host
; oversized RRsets: `big` only fits over TCP or with a large EDNS buffer,
; `medium` and `many` do not fit 512 bytes but fit 1232; `bigdeleg` is a
; referral whose glue does not fit 512 bytes
"#;

/// The whole zone file text.
pub fn zone_text(seed: u64) -> String {
    let mut text = String::from(FIXED);
    push_large_rrsets(&mut text);
    push_bulk(&mut text, seed);
    text
}

fn push_large_rrsets(text: &mut String) {
    let filler = "x".repeat(90);
    for i in 0..30 {
        text.push_str(&format!("big IN TXT \"{i:02} {filler}\"\n"));
    }
    for i in 0..6 {
        text.push_str(&format!("medium IN TXT \"{i:02} {filler}\"\n"));
    }
    for i in 0..40 {
        text.push_str(&format!("many IN A 198.51.100.{i}\n"));
    }
    for i in 0..10 {
        let ns = format!("name-server-with-a-long-label-{i}.bigdeleg");
        text.push_str(&format!("bigdeleg IN NS {ns}\n{ns} IN A 203.0.113.{i}\n"));
        text.push_str(&format!("{ns} IN AAAA 2001:db8:53::{i}\n"));
    }
}

/// Ordinary names with one to three RRsets each; CNAMEs point at other bulk
/// names (sometimes at names that do not exist).
fn push_bulk(text: &mut String, seed: u64) {
    let mut rng = Rng::new(seed);
    for i in 0..BULK {
        let name = format!("h{i}");
        if rng.chance(10) {
            let target = rng.below(BULK + 20); // > BULK: a dangling chain
            text.push_str(&format!("{name} IN CNAME h{target}\n"));
            continue;
        }
        if rng.chance(8) {
            // a TXT RRset of ~650 bytes: truncated without EDNS
            for k in 0..6 {
                text.push_str(&format!("{name} IN TXT \"{k} {}\"\n", "y".repeat(100)));
            }
        }
        for rtype in bulk_types(&mut rng) {
            text.push_str(&format!(
                "{name} IN {rtype} {}\n",
                bulk_rdata(rtype, i, &mut rng)
            ));
        }
    }
}

pub const BULK_TYPES: [&str; 4] = ["A", "AAAA", "MX", "TXT"];

fn bulk_types(rng: &mut Rng) -> Vec<&'static str> {
    let mut types: Vec<&'static str> = BULK_TYPES
        .iter()
        .copied()
        .filter(|_| rng.chance(45))
        .collect();
    if types.is_empty() {
        types.push("A");
    }
    types
}

fn bulk_rdata(rtype: &str, i: usize, rng: &mut Rng) -> String {
    match rtype {
        "A" => format!("10.{}.{}.{}", i / 256, i % 256, rng.below(250) + 1),
        "AAAA" => format!("2001:db8:1::{:x}:{:x}", i, rng.below(0xffff)),
        "MX" => format!("{} h{}", rng.below(50), rng.below(BULK)),
        _ => format!("\"bulk {i} {}\"", rng.next_u64()),
    }
}
