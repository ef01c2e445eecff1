//! DNSSEC answers (DO=1) checked by real validators.
//!
//! A parent zone `dnssec.test` (wildcards, an empty non-terminal, a CNAME
//! chain, a DNAME, a signed and an unsigned delegation) and its signed child
//! `secure.dnssec.test` are signed with BIND's `dnssec-signzone` — NSEC,
//! NSEC3, and NSEC3 with opt-out — and served by polyzone as ordinary zones
//! (with the unsigned child `insecure.dnssec.test`). A validating `unbound`
//! with the parent's KSK as trust anchor resolves through polyzone: every
//! signed answer must come back with AD, the insecure child without AD, and
//! nothing with SERVFAIL. `delv` pointed at polyzone itself must agree
//! ("fully validated"). Referral responses are checked directly for the DS
//! or the proof of its absence.

#[path = "support/bind_sign.rs"]
mod bind_sign;
mod common;
#[path = "support/validator.rs"]
mod validator;

use bind_sign::{keygen, run, signzone, Denial};
use common::{require, wait_for, Server, SERVER_TABLE};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use validator::{flags, status, Validator};

const PARENT: &str = "dnssec.test";

const PARENT_ZONE: &str = r#"$ORIGIN dnssec.test.
$TTL 3600
@           SOA   ns1 hostmaster 2026112701 7200 3600 1209600 300
@           NS    ns1
@           NS    ns2
@           MX    10 mail
ns1         A     127.0.0.1
ns2         A     127.0.0.1
mail        A     192.0.2.11
www         A     192.0.2.10
www         AAAA  2001:db8::10
alias       CNAME chain1
chain1      CNAME www
deadend     CNAME nowhere
*.wild      A     192.0.2.20
*.wild      TXT   "wild"
*.wc        CNAME www
a.b.ent     A     192.0.2.30
dn          DNAME dnssec.test.
secure      NS    ns.secure
ns.secure   A     127.0.0.1
insecure    NS    ns.insecure
ns.insecure A     127.0.0.1
; an empty non-terminal with only an unsigned delegation below: opt-out
; leaves it without an NSEC3
x.optent    NS    ns.x.optent
ns.x.optent A     127.0.0.1
"#;

const SECURE_ZONE: &str = r#"$ORIGIN secure.dnssec.test.
$TTL 3600
@           SOA   ns hostmaster 1 7200 3600 1209600 300
@           NS    ns
ns          A     127.0.0.1
www         A     192.0.2.40
"#;

const INSECURE_ZONE: &str = r#"$ORIGIN insecure.dnssec.test.
$TTL 3600
@           SOA   ns hostmaster 1 7200 3600 1209600 300
@           NS    ns
ns          A     127.0.0.1
www         A     192.0.2.50
"#;

/// Makes a KSK and a ZSK for `zone` in `dir`; returns the KSK's DS record.
fn keys(dir: &Path, zone: &str) -> String {
    let ksk = dir.join(format!("{}.key", keygen(dir, zone)));
    run(Command::new("dnssec-dsfromkey").arg("-2").arg(ksk))
        .trim()
        .to_string()
}

/// Signs `text` as `zone` with the keys in `dir`; returns the signed file.
fn sign(dir: &Path, zone: &str, text: &str, denial: Denial) -> String {
    signzone(dir, zone, text, denial, &[])
}

/// The signed zones of one lab: parent, secure child, insecure child, and
/// the parent's trust anchor (a DS record).
struct Zones {
    parent: String,
    secure: String,
    insecure: String,
    anchor: String,
}

fn zones(denial: Denial) -> Zones {
    for tool in ["dnssec-keygen", "dnssec-signzone", "dnssec-dsfromkey"] {
        require(tool);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let child_ds = keys(dir.path(), "secure.dnssec.test");
    let secure = sign(dir.path(), "secure.dnssec.test", SECURE_ZONE, Denial::Nsec);
    let anchor = keys(dir.path(), PARENT);
    let parent_text = format!("{PARENT_ZONE}{child_ds}\n");
    let parent = sign(dir.path(), PARENT, &parent_text, denial);
    Zones {
        parent,
        secure,
        insecure: INSECURE_ZONE.to_string(),
        anchor,
    }
}

/// The config serving the parent zone, and the zones in `more_zones`.
fn config(more_zones: &str) -> String {
    format!(
        r#"
{SERVER_TABLE}keys_dir = "keys"

[[zone]]
name = "dnssec.test"
file = "zones/parent.zone"
{more_zones}"#
    )
}

/// The parent and both children.
fn all_zones() -> String {
    config(
        r#"
[[zone]]
name = "secure.dnssec.test"
file = "zones/secure.zone"

[[zone]]
name = "insecure.dnssec.test"
file = "zones/insecure.zone"
"#,
    )
}

fn serve(z: &Zones) -> Server {
    Server::start(
        &all_zones(),
        &[
            ("parent.zone", &z.parent),
            ("secure.zone", &z.secure),
            ("insecure.zone", &z.insecure),
        ],
        PARENT,
    )
}

/// A validating unbound that reaches the three zones only at polyzone,
/// once it resolves the parent's SOA.
fn unbound(auth_port: u16, anchor: &str) -> Validator {
    let v = Validator::start_for(
        &[PARENT, "secure.dnssec.test", "insecure.dnssec.test"],
        auth_port,
        &[anchor.to_string()],
        None,
    );
    let up = wait_for(Duration::from_secs(10), || {
        v.dig(&["dnssec.test", "SOA"]).contains("status: NOERROR")
    });
    assert!(up, "unbound did not come up: {}", v.log());
    v
}

/// Records of one section of a dig reply as (owner, type, rdata).
fn section(out: &str, name: &str) -> Vec<(String, String, String)> {
    let head = format!(";; {name} SECTION:");
    let Some(start) = out.find(&head) else {
        return Vec::new();
    };
    out[start + head.len()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut t = l.split_whitespace();
            let owner = t.next()?.to_lowercase();
            let _ttl = t.next()?;
            let _class = t.next()?;
            let rtype = t.next()?.to_string();
            let rdata = t.collect::<Vec<_>>().join(" ");
            Some((owner, rtype, rdata))
        })
        .collect()
}

/// Every case: (name, type, expected rcode, expect AD, proven by a
/// next-closer NSEC3 — which under opt-out proves only insecurely: RFC 5155
/// §9.2 has validators answer those without AD, but never SERVFAIL).
const CASES: &[(&str, &str, &str, bool, bool)] = &[
    ("www.dnssec.test", "A", "NOERROR", true, false),
    ("dnssec.test", "DNSKEY", "NOERROR", true, false),
    ("dnssec.test", "MX", "NOERROR", true, false),
    ("nx.dnssec.test", "A", "NXDOMAIN", true, true),
    ("deep.nx.dnssec.test", "A", "NXDOMAIN", true, true),
    ("www.dnssec.test", "TXT", "NOERROR", true, false),
    ("b.ent.dnssec.test", "A", "NOERROR", true, false),
    ("ent.dnssec.test", "TXT", "NOERROR", true, false),
    ("x.wild.dnssec.test", "A", "NOERROR", true, true),
    ("x.y.wild.dnssec.test", "TXT", "NOERROR", true, true),
    ("x.wild.dnssec.test", "MX", "NOERROR", true, true),
    ("foo.wc.dnssec.test", "A", "NOERROR", true, true),
    ("alias.dnssec.test", "A", "NOERROR", true, false),
    ("deadend.dnssec.test", "A", "NXDOMAIN", true, true),
    ("www.dn.dnssec.test", "A", "NOERROR", true, false),
    ("secure.dnssec.test", "DS", "NOERROR", true, false),
    ("insecure.dnssec.test", "DS", "NOERROR", true, true),
    ("www.secure.dnssec.test", "A", "NOERROR", true, false),
    ("nx.secure.dnssec.test", "A", "NXDOMAIN", true, false),
    ("www.insecure.dnssec.test", "A", "NOERROR", false, false),
    ("optent.dnssec.test", "TXT", "NOERROR", true, true),
];

fn validate_all(denial: Denial) {
    require("dig");
    let z = zones(denial);
    let server = serve(&z);
    let unbound = unbound(server.port, &z.anchor);
    let mut failures = Vec::new();
    for &(name, qtype, rcode, ad, next_closer) in CASES {
        let ad = ad && !(next_closer && matches!(denial, Denial::Nsec3OptOut));
        let out = unbound.dig(&[name, qtype]);
        let (st, has_ad) = status(&out);
        if st != rcode || has_ad != ad {
            failures.push(format!(
                "{name} {qtype}: got {st} ad={has_ad}, want {rcode} ad={ad}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{denial:?}: {failures:#?}\nunbound log:\n{}",
        unbound.log()
    );
    drop(unbound);
    drop(server);
    // The parent alone: its delegations are real referrals here.
    let parent = Server::start(&config(""), &[("parent.zone", &z.parent)], PARENT);
    check_referrals(&parent, denial);
    check_delv(&parent, &z.anchor, denial);
}

/// Referrals straight from polyzone: NS plus the signed DS, or NS plus
/// the NSEC/NSEC3 proof that there is no DS; never RRSIGs over NS or glue.
fn check_referrals(server: &Server, denial: Denial) {
    let out = server.dig(&["+dnssec", "www.secure.dnssec.test", "A"]);
    let auth = section(&out, "AUTHORITY");
    let types: Vec<&str> = auth.iter().map(|r| r.1.as_str()).collect();
    assert!(types.contains(&"NS") && types.contains(&"DS"), "{out}");
    assert!(
        auth.iter()
            .any(|r| r.1 == "RRSIG" && r.2.starts_with("DS ")),
        "{out}"
    );
    assert!(
        !auth
            .iter()
            .any(|r| r.1 == "RRSIG" && r.2.starts_with("NS ")),
        "{out}"
    );
    assert!(section(&out, "ANSWER").is_empty(), "{out}");
    assert!(!flags(&out).iter().any(|f| f == "aa"), "{out}");

    let out = server.dig(&["+dnssec", "www.insecure.dnssec.test", "A"]);
    let auth = section(&out, "AUTHORITY");
    let proof = match denial {
        Denial::Nsec => "NSEC",
        Denial::Nsec3 | Denial::Nsec3OptOut => "NSEC3",
    };
    assert!(
        auth.iter().any(|r| r.1 == proof),
        "{denial:?}: no {proof} in referral: {out}"
    );
    assert!(!auth.iter().any(|r| r.1 == "DS"), "{out}");
    if let Denial::Nsec = denial {
        // The NSEC at the cut lists NS but not DS.
        let nsec = auth.iter().find(|r| r.1 == "NSEC").expect("nsec");
        assert_eq!(nsec.0, "insecure.dnssec.test.", "{out}");
        assert!(nsec.2.contains(" NS ") && !nsec.2.contains(" DS "), "{out}");
    }
    // Without DO the answers carry no DNSSEC records at all.
    for (name, qtype) in [("www.dnssec.test", "A"), ("nx.dnssec.test", "A")] {
        let out = server.dig(&[name, qtype]);
        for sec in ["ANSWER", "AUTHORITY", "ADDITIONAL"] {
            assert!(
                !section(&out, sec)
                    .iter()
                    .any(|r| matches!(r.1.as_str(), "RRSIG" | "NSEC" | "NSEC3")),
                "{out}"
            );
        }
    }
}

/// delv validates answers fetched from polyzone directly.
fn check_delv(server: &Server, anchor: &str, denial: Denial) {
    require("delv");
    let dir = tempfile::tempdir().expect("tempdir");
    // "dnssec.test. IN DS tag alg digesttype digest"
    let f: Vec<&str> = anchor.split_whitespace().collect();
    assert!(f.len() >= 7, "odd DS: {anchor}");
    let digest: String = f[6..].concat();
    let file = dir.path().join("anchor.conf");
    std::fs::write(
        &file,
        format!(
            "trust-anchors {{ \"{}\" static-ds {} {} {} \"{}\"; }};\n",
            f[0], f[3], f[4], f[5], digest
        ),
    )
    .expect("write anchor");
    let mut failures = Vec::new();
    for &(name, qtype, rcode, ad, next_closer) in CASES {
        let opt_out = next_closer && matches!(denial, Denial::Nsec3OptOut);
        if !ad || opt_out || name.ends_with("secure.dnssec.test") {
            // delv asks polyzone only, which serves the children itself.
            continue;
        }
        let out = Command::new("delv")
            .arg("-a")
            .arg(&file)
            .arg(format!("+root={PARENT}"))
            .arg("@127.0.0.1")
            .arg("-p")
            .arg(server.port.to_string())
            .args([name, qtype])
            .output()
            .expect("run delv");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Positive: "; fully validated"; negative: "; negative response,
        // fully validated" plus the kind of denial.
        let kind = match rcode {
            "NXDOMAIN" => "NXDOMAIN",
            _ if text.contains("negative response") => "NXRRSET",
            _ => "",
        };
        let ok = text.contains("fully validated") && text.contains(kind);
        if !ok || text.contains("validation fail") || text.contains("insecurity proof failed") {
            failures.push(format!("{name} {qtype}:\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{denial:?} delv: {failures:#?}");
}

#[test]
fn nsec_answers_validate() {
    validate_all(Denial::Nsec);
}

#[test]
fn nsec3_answers_validate() {
    validate_all(Denial::Nsec3);
}

#[test]
fn nsec3_opt_out_answers_validate() {
    validate_all(Denial::Nsec3OptOut);
}
