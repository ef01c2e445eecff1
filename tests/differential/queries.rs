//! The query set: every interesting name of the zone crossed with a list of
//! types, the generated names with their own and foreign types, names that do
//! not exist, each sent in several transport/EDNS/case variants. Deterministic
//! for a given seed.

use crate::rng::Rng;
use crate::zone::{BULK, BULK_TYPES, ORIGIN};

/// How a query travels and what EDNS it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub dnssec_ok: bool,
}

#[derive(Clone, Debug)]
pub struct Query {
    /// Absolute name, without the trailing dot, in the case it is sent in.
    pub name: String,
    pub qtype: u16,
    pub transport: Transport,
    pub edns: Option<Edns>,
}

impl Query {
    pub fn describe(&self) -> String {
        let edns = match self.edns {
            None => "no-edns".to_string(),
            Some(e) => format!("edns={}{}", e.payload, if e.dnssec_ok { "+do" } else { "" }),
        };
        let transport = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        format!(
            "{}. {} {transport} {edns}",
            self.name,
            type_name(self.qtype)
        )
    }
}

/// Query types: everything the zone holds plus some it never holds.
pub const TYPES: [(&str, u16); 17] = [
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("PTR", 12),
    ("HINFO", 13),
    ("MX", 15),
    ("TXT", 16),
    ("AAAA", 28),
    ("SRV", 33),
    ("DNAME", 39),
    ("DS", 43),
    ("RRSIG", 46),
    ("DNSKEY", 48),
    ("CAA", 257),
    ("TYPE65300", 65300),
    ("ANY", 255),
];

pub fn type_name(code: u16) -> String {
    TYPES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| format!("TYPE{code}"))
}

fn type_code(name: &str) -> u16 {
    TYPES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .expect("known type name")
}

/// Names (relative to the origin, "@" = apex) that exercise one answer rule
/// each; they are crossed with every type in [`TYPES`].
const PROBE_NAMES: &[&str] = &[
    // apex and plain data
    "@",
    "ns1",
    "ns2",
    "mail",
    "host",
    "mixed-case",
    "_sip._udp",
    "_udp",
    "ptr",
    "info",
    "opaque",
    // wildcards: synthesis, NODATA at the synthesised name, the literal
    // wildcard owner, an explicit name beside the wildcard and a name below
    // it, an empty non-terminal beside the wildcard and names below it
    "foo.wild",
    "a.b.wild",
    "*.wild",
    "wild",
    "exists.wild",
    "x.exists.wild",
    "ent.wild",
    "leaf.ent.wild",
    "y.ent.wild",
    "x.wc",
    "*.wc",
    "x.wcnx",
    // empty non-terminals and their neighbours
    "ent",
    "b.ent",
    "c.b.ent",
    "a.c.b.ent",
    "x.ent",
    "z.b.ent",
    "zz.ent",
    // CNAME chains, dangling, to a wildcard, out of zone, into a delegation,
    // through a DNAME, to an empty non-terminal, loops, below a CNAME owner
    "c1",
    "c2",
    "c3",
    "cdangling",
    "cwild",
    "cwc",
    "cout",
    "cdeleg",
    "cdname",
    "cent",
    "loop1",
    "loop2",
    "self",
    "x.c1",
    // DNAME: its owner, names below it (existing, nonexistent, deep), to a
    // wildcard subtree, out of zone; the target subtree itself
    "dn",
    "host.dn",
    "deep.sub.dn",
    "sub.dn",
    "nothere.dn",
    "a.b.nothere.dn",
    "x.dnw",
    "x.y.dnw",
    "dnw",
    "host.dnout",
    "dnout",
    "target",
    "host.target",
    // delegations: at the cut, glue names, below the cut, out-of-zone and
    // sibling name servers
    "deleg",
    "ns1.deleg",
    "ns2.deleg",
    "host.deleg",
    "a.b.deleg",
    "outdeleg",
    "x.outdeleg",
    "sibdeleg",
    "www.sibdeleg",
    // oversized answers
    "big",
    "medium",
    "many",
    "bigdeleg",
    "www.bigdeleg",
    // nonexistent
    "nx1",
    "nope.host",
    "a.b.c.nothing",
];

/// Names outside the zone: the server is not authoritative for them.
const FOREIGN_NAMES: &[&str] = &["example.com", "test", "other.test"];

fn absolute(relative: &str) -> String {
    if relative == "@" {
        ORIGIN.to_string()
    } else {
        format!("{relative}.{ORIGIN}")
    }
}

/// (name, type) pairs before transport variants.
fn base_queries(rng: &mut Rng) -> Vec<(String, u16)> {
    let mut base = Vec::new();
    for name in PROBE_NAMES {
        for (_, code) in TYPES {
            base.push((absolute(name), code));
        }
    }
    for name in FOREIGN_NAMES {
        base.push((name.to_string(), type_code("A")));
        base.push((name.to_string(), type_code("SOA")));
    }
    for i in 0..BULK + 40 {
        // BULK..BULK+40 do not exist
        let name = absolute(&format!("h{i}"));
        for rtype in BULK_TYPES {
            base.push((name.clone(), type_code(rtype)));
        }
        base.push((name.clone(), rng.pick(&TYPES).1));
    }
    base
}

/// Randomises the letter case of a name (RFC 4343: servers must match
/// names case-insensitively).
fn mix_case(name: &str, rng: &mut Rng) -> String {
    name.chars()
        .map(|c| {
            if rng.chance(50) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// Every base query in three fixed variants (UDP with EDNS 1232, UDP without
/// EDNS, TCP) and, for a third of them, a random fourth one with a tiny
/// buffer, mixed case or the DO bit.
pub fn build(seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed);
    let mut queries = Vec::new();
    for (name, qtype) in base_queries(&mut rng) {
        let dnssec_ok = rng.chance(50);
        let q = |transport, edns, name: &str| Query {
            name: name.to_string(),
            qtype,
            transport,
            edns,
        };
        queries.push(q(
            Transport::Udp,
            Some(Edns {
                payload: 1232,
                dnssec_ok,
            }),
            &name,
        ));
        queries.push(q(Transport::Udp, None, &name));
        let tcp_edns = rng.chance(50).then_some(Edns {
            payload: 4096,
            dnssec_ok: !dnssec_ok,
        });
        queries.push(q(Transport::Tcp, tcp_edns, &mix_case(&name, &mut rng)));
        if rng.chance(33) {
            queries.push(random_variant(&name, qtype, &mut rng));
        }
    }
    queries
}

fn random_variant(name: &str, qtype: u16, rng: &mut Rng) -> Query {
    let transport = if rng.chance(25) {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let payload = *rng.pick(&[512u16, 512, 1232, 4096]);
    let edns = rng.chance(80).then_some(Edns {
        payload,
        dnssec_ok: rng.chance(50),
    });
    Query {
        name: mix_case(name, rng),
        qtype,
        transport,
        edns,
    }
}
