//! End-to-end DNSSEC signing against the real binary: the zone taken by
//! AXFR and by `polyzone zone export` from a running server passes
//! `dnssec-verify`, `ldns-verify-zone` and `kzonecheck -d on` for each
//! algorithm with NSEC and NSEC3; random updates through nsupdate keep it
//! verifying and re-sign only what changed; keys from `dnssec-keygen` are
//! imported and used; with a fast settable clock, signatures are refreshed
//! before they expire, and ZSK, KSK and CSK rollovers run from start to
//! end while a validating unbound, its clock set to the simulated time and
//! its trust anchors following the parent's DS set, gets validated answers
//! at every step.

mod common;
#[path = "support/nsupdate.rs"]
mod nsupdate;
#[path = "support/validator.rs"]
mod validator;

use common::{polyzone_bin, require, wait_for, Server};
use nsupdate::{send, Client};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

const ZONE: &str = "signed.test";
const KEY: &str = "update-key";
const KEY_SECRET: &str = "TQGe6smiRUb8AIs5yjicy77T7WcuR+rV/aCnsOYlKGI=";

const ZONE_FILE: &str = "$ORIGIN signed.test.\n\
$TTL 300\n\
@ IN SOA ns1 hostmaster 100 3600 600 86400 300\n\
@ IN NS ns1\n\
ns1 IN A 192.0.2.1\n\
www IN A 192.0.2.2\n\
www IN AAAA 2001:db8::2\n\
Mixed.Case IN TXT \"case kept\"\n\
a.b.c IN TXT \"deep name, two empty non-terminals\"\n\
*.wild IN MX 10 mail\n\
mail IN A 192.0.2.3\n\
sub IN NS ns.sub\n\
ns.sub IN A 192.0.2.4\n\
secure IN NS ns.elsewhere.example.\n\
secure IN DS 12345 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\
alias IN CNAME www\n";

fn config(policy: &str, extra_zone: &str) -> String {
    format!(
        r#"
[server]
listen = ["127.0.0.1:{{PORT}}"]
api_listen = "127.0.0.1:{{API_PORT}}"
data_dir = "data"
keys_dir = "keys"

[[tsig]]
name = "{KEY}"
algorithm = "hmac-sha256"
secret = "{KEY_SECRET}"

[[policy]]
name = "p"
{policy}

[[zone]]
name = "{ZONE}"
file = "zones/{ZONE}.zone"
serial = "increment"
update = ["{KEY}"]
dnssec = "p"
{extra_zone}
"#
    )
}

fn start(policy: &str) -> Server {
    Server::start(
        &config(policy, ""),
        &[("signed.test.zone", ZONE_FILE)],
        ZONE,
    )
}

/// The zone as a TSIG-signed AXFR gives it, with the closing SOA taken
/// off (a zone file has one SOA).
fn axfr(s: &Server) -> String {
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let out = s.dig(&["-y", &y, "+noall", "+answer", "AXFR", ZONE]);
    let mut lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    let is_soa = |l: &str| l.split_whitespace().nth(3) == Some("SOA");
    assert!(
        lines.len() > 2 && is_soa(lines[0]) && lines.last().is_some_and(|l| is_soa(l)),
        "not a complete AXFR:\n{out}"
    );
    assert_eq!(
        lines[0],
        lines[lines.len() - 1],
        "opening and closing SOA differ"
    );
    lines.pop();
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A zone text in one canonical form (BIND's full dump, one record per
/// line, names in DNSSEC order), so texts written by different tools
/// compare record for record.
fn canonical(s: &Server, text: &str, label: &str) -> Vec<String> {
    require("named-compilezone");
    let path = s.path().join(format!("canon-{label}.zone"));
    std::fs::write(&path, text).expect("write zone");
    let out = Command::new("named-compilezone")
        .args([
            "-q", "-i", "none", "-k", "ignore", "-s", "full", "-o", "-", ZONE,
        ])
        .arg(&path)
        .output()
        .expect("run named-compilezone");
    assert!(
        out.status.success(),
        "named-compilezone ({label}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

/// The zone as the server exports it.
fn export(s: &Server) -> String {
    let out = Command::new(polyzone_bin())
        .args(["zone", "export", ZONE, "--config"])
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("run polyzone zone export");
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 zone")
}

/// Waits until the served zone is signed (the first full sign is
/// committed in the background after start-up).
fn wait_signed(s: &Server) -> String {
    let mut text = String::new();
    let ok = wait_for(Duration::from_secs(60), || {
        text = export(s);
        text.contains("\tDNSKEY\t") && text.contains("\tRRSIG\tSOA ")
    });
    assert!(ok, "zone never signed; log:\n{}", s.log());
    text
}

/// Runs the three verifiers on a zone text; panics with their output.
fn verify_all(s: &Server, text: &str, label: &str) {
    let path = s.path().join(format!("verify-{label}.zone"));
    std::fs::write(&path, text).expect("write zone for verifiers");
    let runs: [(&str, Vec<&str>); 3] = [
        ("dnssec-verify", vec!["-o", ZONE]),
        ("ldns-verify-zone", vec![]),
        ("kzonecheck", vec!["-o", ZONE, "-d", "on"]),
    ];
    for (tool, args) in runs {
        let out = Command::new(tool)
            .args(&args)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("running {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} rejects the zone ({label}):\n{}{}\nzone:\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn require_verifiers() {
    for tool in [
        "dnssec-verify",
        "ldns-verify-zone",
        "kzonecheck",
        "nsupdate",
    ] {
        require(tool);
    }
}

#[test]
fn signed_zone_verifies_for_each_algorithm_and_denial() {
    require_verifiers();
    for alg in ["ecdsap256sha256", "ed25519", "rsasha256"] {
        for denial in ["nsec", "nsec3"] {
            let s = Server::start(
                &config(
                    &format!("algorithm = \"{alg}\"\ndenial = \"{denial}\""),
                    &format!("transfer = [\"{KEY}\"]"),
                ),
                &[("signed.test.zone", ZONE_FILE)],
                ZONE,
            );
            let text = wait_signed(&s);
            verify_all(&s, &text, &format!("{alg}-{denial}"));
            // The same zone as a secondary takes it: verifies, and holds
            // exactly the exported records.
            let xfr = axfr(&s);
            verify_all(&s, &xfr, &format!("{alg}-{denial}-axfr"));
            let (a, e) = (canonical(&s, &xfr, "axfr"), canonical(&s, &text, "export"));
            assert!(a.len() > 30, "AXFR too small: {xfr}");
            assert_eq!(a, e, "AXFR and export differ ({alg}, {denial})");
            // Delegation NS and glue are not signed; the DS is.
            assert!(!text.contains("\tRRSIG\tNS 13 3 ") && !text.contains("\tRRSIG\tNS 15 3 "));
            assert!(text
                .lines()
                .any(|l| l.starts_with("secure.signed.test.") && l.contains("\tRRSIG\tDS ")));
            assert!(!text
                .lines()
                .any(|l| l.starts_with("ns.sub.signed.test.") && l.contains("\tRRSIG\t")));
            assert!(text.contains("\tCDS\t") && text.contains("\tCDNSKEY\t"));
            if denial == "nsec3" {
                assert!(
                    text.contains("\tNSEC3PARAM\t1 0 0 -"),
                    "RFC 9276 parameters"
                );
            }
        }
    }
}

/// The SOA serial of an exported zone.
fn soa_serial(text: &str) -> u32 {
    text.lines()
        .find(|l| l.contains("\tSOA\t"))
        .and_then(|l| l.split_whitespace().nth(6))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Reads the journal's diffs between two serials (`polyzone diff`) and
/// checks, diff by diff, that each added RRSIG covers an RRset that the
/// same diff changed, or sits at or below a name whose NS set changed.
fn check_only_changed_resigned(s: &Server, from: u32, to: u32, batch: usize) {
    let out = Command::new(polyzone_bin())
        .args(["diff", ZONE, &from.to_string(), &to.to_string(), "--config"])
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("run polyzone diff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut diffs = 0;
    for section in listing.split("; serial ").skip(1) {
        diffs += 1;
        let mut changed: BTreeSet<(String, String)> = BTreeSet::new();
        let mut signed: BTreeSet<(String, String)> = BTreeSet::new();
        for line in section.lines().skip(1) {
            let Some((sign, rest)) = line.split_once(' ') else {
                continue;
            };
            let f: Vec<&str> = rest.splitn(5, '\t').collect();
            if f.len() < 5 {
                continue;
            }
            let owner = f[0].to_ascii_lowercase();
            if f[3] == "RRSIG" {
                if sign == "+" {
                    let covered = f[4].split_whitespace().next().unwrap_or("").to_string();
                    signed.insert((owner, covered));
                }
            } else {
                changed.insert((owner, f[3].to_string()));
            }
        }
        let cuts: Vec<&String> = changed
            .iter()
            .filter(|(_, t)| t == "NS")
            .map(|(o, _)| o)
            .collect();
        for k in &signed {
            let moved = cuts
                .iter()
                .any(|c| k.0 == **c || k.0.ends_with(&format!(".{c}")));
            assert!(
                changed.contains(k) || moved,
                "batch {batch}: {k:?} re-signed although unchanged in:\n{section}"
            );
        }
    }
    assert_eq!(diffs as u32, to - from, "one diff per update");
}

/// A tiny deterministic generator, so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn random_updates(denial: &str, seed: u64, batches: usize, per_batch: usize) {
    require_verifiers();
    let s = start(&format!("denial = \"{denial}\""));
    let mut text = wait_signed(&s);
    verify_all(&s, &text, "initial");
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let mut rng = Lcg(seed);
    // Names: new ones, deep ones (empty non-terminals appear and vanish),
    // under the wildcard, at and below delegations.
    let owners = [
        "n1", "n2.x", "n3.y.x", "c", "b.c", "q.a.b.c", "sub", "deep.sub", "secure", "z.wild",
        "*.wild", "www", "d1", "d2", "e.d1",
    ];
    let mut present: BTreeSet<String> = BTreeSet::new();
    for batch in 0..batches {
        let mut body = String::new();
        let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
        for _ in 0..per_batch {
            let owner = owners[rng.next(owners.len() as u64) as usize];
            let fqdn = format!("{owner}.{ZONE}.");
            let rr = match rng.next(4) {
                0 => format!("{fqdn} 300 IN A 192.0.2.{}", 10 + rng.next(3)),
                1 => format!("{fqdn} 300 IN TXT \"v{}\"", rng.next(3)),
                2 if owner == "d1" || owner == "d2" => format!("{fqdn} 300 IN NS ns.elsewhere.example."),
                2 => format!("{fqdn} 300 IN AAAA 2001:db8::{}", rng.next(3)),
                _ if owner == "d1" || owner == "d2" => format!(
                    "{fqdn} 300 IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddee{:02x}",
                    rng.next(3)
                ),
                _ => format!("{fqdn} 300 IN MX 5 mail.{ZONE}."),
            };
            let f: Vec<&str> = rr.split_whitespace().collect();
            touched.insert((f[0].to_ascii_lowercase(), f[3].to_string()));
            if present.contains(&rr) {
                body.push_str(&format!("update delete {rr}\nsend\n"));
                present.remove(&rr);
            } else {
                body.push_str(&format!("update add {rr}\nsend\n"));
                present.insert(rr);
            }
        }
        let rcode = send(
            &s,
            Client::NsupdateY(&y),
            ZONE,
            body.trim_end_matches("send\n"),
        );
        assert_eq!(rcode, "NOERROR", "batch {batch}; log:\n{}", s.log());
        let next = export(&s);
        verify_all(&s, &next, &format!("{denial}-batch-{batch}"));
        // In every committed diff of the batch, new signatures are only
        // for RRsets that diff changed (chain records and SOA included), or
        // at and below a name whose NS set it changed (authority moved).
        let serial = |t: &str| soa_serial(t);
        check_only_changed_resigned(&s, serial(&text), serial(&next), batch);
        text = next;
    }
}

#[test]
fn random_updates_keep_the_nsec_zone_verified() {
    random_updates("nsec", 7, 10, 50);
}

#[test]
fn random_updates_keep_the_nsec3_zone_verified() {
    random_updates("nsec3", 11, 10, 50);
}

#[test]
fn dnssec_keygen_keys_are_imported_and_used() {
    require_verifiers();
    require("dnssec-keygen");
    let tmp = tempfile::tempdir().expect("tempdir");
    let keygen = |extra: &[&str]| -> String {
        let out = Command::new("dnssec-keygen")
            .args(["-a", "ECDSAP256SHA256", "-K"])
            .arg(tmp.path())
            .args(extra)
            .arg(ZONE)
            .output()
            .expect("run dnssec-keygen");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let ksk = keygen(&["-f", "KSK"]);
    let zsk = keygen(&[]);
    let tag = |base: &str| -> u32 { base.rsplit('+').next().unwrap_or("0").parse().unwrap_or(0) };
    // Import into a prepared deployment before the server starts.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("zones")).expect("mkdir");
    std::fs::write(dir.path().join("zones/signed.test.zone"), ZONE_FILE).expect("zone");
    let cfg = config("", "")
        .replace("{PORT}", "5399")
        .replace("{API_PORT}", "8399");
    std::fs::write(dir.path().join("polyzone.toml"), &cfg).expect("config");
    for base in [&ksk, &zsk] {
        let out = Command::new(polyzone_bin())
            .args(["keys", "import", ZONE, "--config"])
            .arg(dir.path().join("polyzone.toml"))
            .arg(tmp.path().join(format!("{base}.private")))
            .output()
            .expect("run polyzone keys import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s = Server::start_in(dir, &config("", ""), ZONE);
    let text = wait_signed(&s);
    verify_all(&s, &text, "imported");
    let dnskeys: Vec<&str> = text.lines().filter(|l| l.contains("\tDNSKEY\t")).collect();
    assert_eq!(dnskeys.len(), 2, "only the imported keys: {dnskeys:?}");
    for t in [tag(&ksk), tag(&zsk)] {
        assert!(
            text.lines()
                .any(|l| l.contains("\tRRSIG\t") && l.contains(&format!(" {t} {ZONE}."))),
            "no signature by imported key {t}"
        );
    }
    // `keys list` shows both with their roles.
    let out = Command::new(polyzone_bin())
        .args(["keys", "list", ZONE, "--config"])
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("run polyzone keys list");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains(&tag(&ksk).to_string()) && list.contains("KSK"),
        "{list}"
    );
    assert!(
        list.contains(&tag(&zsk).to_string()) && list.contains("ZSK"),
        "{list}"
    );
}

/// With the clock running 3600 times faster (an hour a second) and a one
/// day validity, signatures reach their refresh window within seconds:
/// the scheduler must re-sign them so that none is ever near expiry.
#[test]
fn signatures_are_refreshed_before_they_expire() {
    require("kzonecheck");
    let policy = "rrsig_validity = \"1d\"\nrrsig_refresh = \"12h\"\nrrsig_jitter = \"1h\"";
    let cfg = config(policy, "").replace(
        "keys_dir = \"keys\"",
        "keys_dir = \"keys\"\nclock = \"speed=3600\"",
    );
    let s = Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE);
    let first = wait_signed(&s);
    let start_serial = soa_serial(&first);
    // 20 real seconds = 20 simulated hours: every first signature (valid
    // 23-24 h) passes its refresh point at 11-12 h.
    for _ in 0..20 {
        std::thread::sleep(Duration::from_secs(1));
        let text = export(&s);
        let min_exp = text
            .lines()
            .filter(|l| l.contains("\tRRSIG\t"))
            .filter_map(|l| {
                l.split('\t')
                    .nth(4)?
                    .split_whitespace()
                    .nth(4)
                    .map(String::from)
            })
            .min()
            .expect("signatures present");
        // Expirations are YYYYMMDDHHMMSS: the minimum must stay ahead of
        // the simulated now by more than a few hours.
        let sim_now = simulated_now(&s);
        assert!(
            min_exp > ymdhms(sim_now + 3 * 3600),
            "a signature is close to expiry: {min_exp} vs now {}",
            ymdhms(sim_now)
        );
    }
    let last = export(&s);
    assert!(soa_serial(&last) > start_serial, "no refresh was committed");
    verify_all_at(&s, &last, simulated_now(&s));
}

fn simulated_now(s: &Server) -> u64 {
    let out = Command::new(polyzone_bin())
        .args(["keys", "list", ZONE, "--config"])
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("keys list");
    let text = String::from_utf8_lossy(&out.stdout);
    // "next event: ... at YYYY-MM-DD hh:mm:ss (now YYYY-MM-DD hh:mm:ss)"
    let now = text
        .split("(now ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no simulated time in: {text}"));
    parse_utc(now)
}

fn parse_utc(s: &str) -> u64 {
    let d: Vec<u64> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let (y, m, day) = (d[0] as i64, d[1] as i64, d[2] as i64);
    // Days from civil (H. Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days as u64 * 86_400 + d[3] * 3600 + d[4] * 60 + d[5]
}

fn ymdhms(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let s = t % 86_400;
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// kzonecheck takes the time to check at, so the simulated zone can be
/// verified at its own "now".
fn verify_all_at(s: &Server, text: &str, now: u64) {
    require("kzonecheck");
    let path = s.path().join("verify-clock.zone");
    std::fs::write(&path, text).expect("write zone");
    let out = Command::new("kzonecheck")
        .args(["-o", ZONE, "-d", "on", "-t"])
        .arg(now.to_string())
        .arg(&path)
        .output()
        .expect("kzonecheck");
    assert!(
        out.status.success(),
        "kzonecheck at simulated time: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `polyzone keys ARGS... ZONE` against the test server; its stdout.
fn keys_cmd(s: &Server, args: &[&str]) -> String {
    let out = Command::new(polyzone_bin())
        .arg("keys")
        .args(args)
        .arg("--config")
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("run polyzone keys");
    assert!(
        out.status.success(),
        "keys {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The key tags of the DNSKEYs, of the keys that sign DNSKEY and SOA, and
/// of the CDS records in a zone text.
struct KeyView {
    dnskeys: BTreeSet<u32>,
    soa_signers: BTreeSet<u32>,
    dnskey_signers: BTreeSet<u32>,
    cds: BTreeSet<u32>,
}

fn key_view(text: &str) -> KeyView {
    let dnskeys = text
        .lines()
        .filter(|l| l.contains("\tDNSKEY\t"))
        .filter_map(|l| dnskey_tag(l.split('\t').nth(4)?))
        .collect();
    let sig_tags = |covered: &str| -> BTreeSet<u32> {
        text.lines()
            .filter(|l| l.contains("\tRRSIG\t"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').nth(4)?.split_whitespace().collect();
                (f.first() == Some(&covered)).then(|| f.get(6)?.parse().ok())?
            })
            .collect()
    };
    let cds = text
        .lines()
        .filter(|l| l.contains("\tCDS\t"))
        .filter_map(|l| {
            l.split('\t')
                .nth(4)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    KeyView {
        dnskeys,
        soa_signers: sig_tags("SOA"),
        dnskey_signers: sig_tags("DNSKEY"),
        cds,
    }
}

/// The key tag (RFC 4034 Appendix B) of DNSKEY rdata in presentation form.
fn dnskey_tag(rdata: &str) -> Option<u32> {
    use base64::Engine as _;
    let f: Vec<&str> = rdata.split_whitespace().collect();
    let flags: u16 = f.first()?.parse().ok()?;
    let alg: u8 = f.get(2)?.parse().ok()?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(f.get(3..)?.concat())
        .ok()?;
    let mut wire = flags.to_be_bytes().to_vec();
    wire.extend_from_slice(&[3, alg]);
    wire.extend_from_slice(&key);
    let mut ac: u32 = 0;
    for (i, b) in wire.iter().enumerate() {
        ac += if i % 2 == 1 {
            *b as u32
        } else {
            (*b as u32) << 8
        };
    }
    ac += (ac >> 16) & 0xFFFF;
    Some(ac & 0xFFFF)
}

const ROLL_POLICY: &str = "dnskey_ttl = \"1h\"\npropagation_delay = \"1h\"\nparent_ds_ttl = \"2h\"\nparent_propagation_delay = \"1h\"\nzsk_lifetime = \"0\"";

fn start_fast_clock(speed: u32) -> Server {
    let cfg = config(ROLL_POLICY, "").replace(
        "keys_dir = \"keys\"",
        &format!("keys_dir = \"keys\"\nclock = \"speed={speed}\""),
    );
    Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE)
}

/// A ZSK roll driven by the clock (an hour per second): at every step the
/// zone verifies at its simulated time, only published keys sign, the new
/// ZSK is published at least DNSKEY TTL + propagation delay before it
/// signs, and the old one stays published after it stopped signing.
#[test]
fn zsk_rollover_has_no_verification_gap() {
    require("kzonecheck");
    let s = start_fast_clock(3600);
    wait_signed(&s);
    let before = key_view(&export(&s));
    assert_eq!(before.soa_signers.len(), 1);
    let old_zsk = *before.soa_signers.iter().next().unwrap();
    let out = keys_cmd(&s, &["rollover", ZONE, "--zsk"]);
    let new_zsk: u32 = out
        .split("new key ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no new key in: {out}"));
    let published_at = simulated_now(&s);
    let mut first_signed_by_new: Option<u64> = None;
    let mut old_stopped: Option<u64> = None;
    let mut done = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(500));
        let now = simulated_now(&s);
        let text = export(&s);
        verify_all_at(&s, &text, now);
        let v = key_view(&text);
        assert!(
            v.soa_signers.is_subset(&v.dnskeys),
            "a signer is not published"
        );
        if v.soa_signers.contains(&new_zsk) && first_signed_by_new.is_none() {
            first_signed_by_new = Some(now);
        }
        if !v.soa_signers.contains(&old_zsk) && old_stopped.is_none() {
            old_stopped = Some(now);
            assert!(
                v.dnskeys.contains(&old_zsk),
                "old ZSK removed as it stopped signing"
            );
        }
        if !v.dnskeys.contains(&old_zsk) {
            done = true;
            break;
        }
    }
    assert!(done, "the ZSK roll did not finish; log:\n{}", s.log());
    let signed_at = first_signed_by_new.expect("new ZSK signed");
    assert!(
        signed_at >= published_at + 2 * 3600 - 60,
        "new ZSK signed {}s after publication",
        signed_at - published_at
    );
}

/// A KSK roll: the new KSK signs the key set at once, CDS switch after the
/// DNSKEY TTL, and the old KSK stays, however long, until `ds-seen`.
#[test]
fn ksk_rollover_waits_for_ds_seen() {
    require("kzonecheck");
    let s = start_fast_clock(3600);
    wait_signed(&s);
    let before = key_view(&export(&s));
    let old_ksk = *before.cds.iter().next().expect("CDS of the KSK");
    let out = keys_cmd(&s, &["rollover", ZONE, "--ksk"]);
    let new_ksk: u32 = out
        .split("new key ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no new key in: {out}"));
    // Ten simulated hours: CDS moves to the new key, the old one stays.
    let mut switched = false;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        let now = simulated_now(&s);
        let text = export(&s);
        verify_all_at(&s, &text, now);
        let v = key_view(&text);
        assert!(v.dnskeys.contains(&old_ksk), "old KSK left before ds-seen");
        assert!(v.dnskey_signers.contains(&old_ksk) && v.dnskey_signers.contains(&new_ksk));
        switched |= v.cds == BTreeSet::from([new_ksk]);
    }
    assert!(switched, "CDS never switched to the new KSK");
    assert!(keys_cmd(&s, &["list", ZONE]).contains("waiting: waiting for the parent"));
    keys_cmd(&s, &["ds-seen", ZONE, &new_ksk.to_string()]);
    // Parent DS TTL (2h) + its propagation delay (1h): about 3 seconds.
    let mut gone = false;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(500));
        let now = simulated_now(&s);
        let text = export(&s);
        verify_all_at(&s, &text, now);
        let v = key_view(&text);
        if !v.dnskeys.contains(&old_ksk) {
            assert_eq!(v.dnskey_signers, BTreeSet::from([new_ksk]));
            gone = true;
            break;
        }
    }
    assert!(gone, "old KSK never removed; log:\n{}", s.log());
}

/// Going insecure: CDS/CDNSKEY delete are published while the zone stays
/// signed and verifying; after `ds-seen ZONE 0` and the parent's DS TTL
/// the DNSSEC records are gone, and later updates stay unsigned.
#[test]
fn unsign_publishes_cds_delete_then_goes_insecure() {
    require("kzonecheck");
    require("nsupdate");
    let s = start_fast_clock(3600);
    wait_signed(&s);
    keys_cmd(&s, &["unsign", ZONE]);
    let ok = wait_for(Duration::from_secs(10), || {
        let text = export(&s);
        text.contains("\tCDS\t0 0 0 00") && text.contains("\tCDNSKEY\t0 3 0 AA==")
    });
    assert!(ok, "no CDS/CDNSKEY delete; log:\n{}", s.log());
    // Still signed, for as long as the parent keeps its DS.
    std::thread::sleep(Duration::from_secs(3));
    let text = export(&s);
    assert!(text.contains("\tRRSIG\tSOA ") && text.contains("\tDNSKEY\t"));
    verify_all_at(&s, &text, simulated_now(&s));
    keys_cmd(&s, &["ds-seen", ZONE, "0"]);
    let gone = wait_for(Duration::from_secs(20), || {
        let text = export(&s);
        !text.contains("\tRRSIG\t") && !text.contains("\tDNSKEY\t") && !text.contains("\tNSEC")
    });
    assert!(gone, "DNSSEC records still served; log:\n{}", s.log());
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let rc = send(
        &s,
        Client::NsupdateY(&y),
        ZONE,
        &format!("update add late.{ZONE}. 300 IN A 192.0.2.9\n"),
    );
    assert_eq!(rc, "NOERROR");
    let text = export(&s);
    assert!(text.contains("late.signed.test.") && !text.contains("\tRRSIG\t"));
}

/// A KSK roll that watches the parent: a second polyzone serves the parent
/// zone `test.`; the roll goes on by itself once the parent serves the DS
/// of the new key (added there with nsupdate from the child's CDS).
#[test]
fn ksk_rollover_sees_the_new_ds_at_the_parent() {
    require("kzonecheck");
    require("nsupdate");
    let parent_zone = "$ORIGIN test.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.53\nsigned IN NS ns1.signed\nns1.signed IN A 192.0.2.1\n";
    let parent_cfg = format!(
        "[server]\nlisten = [\"127.0.0.1:{{PORT}}\"]\napi_listen = \"127.0.0.1:{{API_PORT}}\"\ndata_dir = \"data\"\n\n[[tsig]]\nname = \"{KEY}\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{KEY_SECRET}\"\n\n[[zone]]\nname = \"test\"\nfile = \"zones/test.zone\"\nupdate = [\"{KEY}\"]\n"
    );
    let parent = Server::start(&parent_cfg, &[("test.zone", parent_zone)], "test");
    let policy = format!(
        "{ROLL_POLICY}\nparent_nameservers = [\"127.0.0.1:{}\"]",
        parent.port
    );
    let cfg = config(&policy, "").replace(
        "keys_dir = \"keys\"",
        "keys_dir = \"keys\"\nclock = \"speed=3600\"",
    );
    let s = Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE);
    wait_signed(&s);
    let old_ksk = *key_view(&export(&s)).cds.iter().next().expect("CDS");
    let out = keys_cmd(&s, &["rollover", ZONE, "--ksk"]);
    let new_ksk: u32 = out
        .split("new key ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no new key in: {out}"));
    let mut cds_line = String::new();
    let switched = wait_for(Duration::from_secs(15), || {
        let text = export(&s);
        match text.lines().find(|l| l.contains("\tCDS\t")) {
            Some(l) if key_view(&text).cds == BTreeSet::from([new_ksk]) => {
                cds_line = l.split('\t').nth(4).unwrap_or("").to_string();
                true
            }
            _ => false,
        }
    });
    assert!(switched, "CDS never switched; log:\n{}", s.log());
    // Without the DS at the parent the old KSK stays.
    std::thread::sleep(Duration::from_secs(4));
    assert!(key_view(&export(&s)).dnskeys.contains(&old_ksk));
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let rc = send(
        &parent,
        Client::NsupdateY(&y),
        "test",
        &format!("update add signed.test. 3600 IN DS {cds_line}\n"),
    );
    assert_eq!(rc, "NOERROR");
    let gone = wait_for(Duration::from_secs(20), || {
        !key_view(&export(&s)).dnskeys.contains(&old_ksk)
    });
    assert!(
        gone,
        "old KSK still there after the parent served the DS; log:\n{}",
        s.log()
    );
    let text = export(&s);
    verify_all_at(&s, &text, simulated_now(&s));
}

/// A restart keeps the signed zone, its keys and a rollover in progress,
/// and commits nothing new: the serial stays.
#[test]
fn restart_keeps_keys_signatures_and_rollover_state() {
    require_verifiers();
    let cfg = config(ROLL_POLICY, "");
    let mut s = Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE);
    wait_signed(&s);
    keys_cmd(&s, &["rollover", ZONE, "--zsk"]);
    let before = export(&s);
    let list_before = keys_cmd(&s, &["list", ZONE]);
    s.signal("TERM");
    let exited = wait_for(Duration::from_secs(10), || {
        s.child.try_wait().ok().flatten().is_some()
    });
    assert!(exited, "no exit after SIGTERM");
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    drop(s);
    let s = Server::start_in(dir, &cfg, ZONE);
    // Give the scheduler time to look at the zone.
    std::thread::sleep(Duration::from_secs(2));
    let after = export(&s);
    assert_eq!(
        soa_serial(&after),
        soa_serial(&before),
        "a restart committed a change"
    );
    assert_eq!(after, before);
    verify_all(&s, &after, "restarted");
    let list_after = keys_cmd(&s, &["list", ZONE]);
    assert!(
        list_after.contains("ZSK") && list_after.contains("becomes active"),
        "{list_after}"
    );
    assert_eq!(
        list_before
            .lines()
            .filter(|l| l.contains("ECDSAP256SHA256"))
            .count(),
        list_after
            .lines()
            .filter(|l| l.contains("ECDSAP256SHA256"))
            .count()
    );
}
