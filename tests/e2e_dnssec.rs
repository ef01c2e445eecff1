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

use common::{polyzone_bin, require, wait_for, Server, SERVER_TABLE};
use nsupdate::{send, Client};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use validator::Validator;

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
{SERVER_TABLE}keys_dir = "keys"

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
    s.export(ZONE)
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
    // dnssec-verify wants data signed by a key without the SEP flag
    // unless told (-z) that a key with it (a CSK) signs everything.
    let dnssec_verify: &[&str] = if sep_keys_only(text) {
        &["-z", "-o", ZONE]
    } else {
        &["-o", ZONE]
    };
    let runs = [
        ("dnssec-verify", strings(dnssec_verify)),
        ("ldns-verify-zone", vec![]),
        ("kzonecheck", strings(&["-o", ZONE, "-d", "on"])),
    ];
    run_verifiers(&path, text, &runs, label);
}

/// Runs each verifier (tool, arguments) on the zone file at `path`, which
/// holds `text`; panics with the output of one that rejects it, saying
/// `when` it was checked.
fn run_verifiers(path: &Path, text: &str, runs: &[(&str, Vec<String>)], when: &str) {
    for (tool, args) in runs {
        let out = Command::new(tool)
            .args(args)
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("running {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} rejects the zone ({when}):\n{}{}\nzone:\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Every DNSKEY of the zone has the SEP flag (a CSK zone).
fn sep_keys_only(text: &str) -> bool {
    // Owner TTL class type flags ...: by fields, as dig and the export
    // space them differently.
    let flags: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.get(3) == Some(&"DNSKEY"))
        .filter_map(|f| f.get(4).map(|s| s.to_string()))
        .collect();
    !flags.is_empty() && flags.iter().all(|f| *f == "257")
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
    // (algorithm, denial, one combined signing key)
    let mut cases: Vec<(&str, &str, bool)> = Vec::new();
    for alg in ["ecdsap256sha256", "ed25519", "rsasha256"] {
        for denial in ["nsec", "nsec3"] {
            cases.push((alg, denial, false));
        }
    }
    cases.push(("ecdsap256sha256", "nsec3", true));
    for (alg, denial, csk) in cases {
        let s = Server::start(
            &config(
                &format!("algorithm = \"{alg}\"\ndenial = \"{denial}\"\ncsk = {csk}"),
                &format!("transfer = [\"{KEY}\"]"),
            ),
            &[("signed.test.zone", ZONE_FILE)],
            ZONE,
        );
        let text = wait_signed(&s);
        verify_all(&s, &text, &format!("{alg}-{denial}-csk{csk}"));
        assert_eq!(
            text.lines().filter(|l| l.contains("\tDNSKEY\t")).count(),
            if csk { 1 } else { 2 }
        );
        // The same zone as a secondary takes it: verifies, and holds
        // exactly the exported records.
        let xfr = axfr(&s);
        verify_all(&s, &xfr, &format!("{alg}-{denial}-csk{csk}-axfr"));
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
    let out = s.polyzone(&["diff", ZONE, &from.to_string(), &to.to_string()]);
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
        // Sent again once if nsupdate times out. In about 1 run in 30 of
        // this test nsupdate stalls mid-batch: a capture on lo shows our
        // answer to its last update delivered (NOERROR, TSIG MAC checked
        // independently), then nothing more from nsupdate, neither the next
        // update nor a retry, while every server thread is idle: the stall
        // is on the client's side. Every update here is idempotent (an add
        // of a present RR or a delete of an absent one changes nothing), so
        // the second send ends in the same zone.
        let script = body.trim_end_matches("send\n");
        let rcode = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            send(&s, Client::NsupdateY(&y), ZONE, script)
        }))
        .unwrap_or_else(|_| {
            eprintln!("batch {batch}: nsupdate got no answer; sending the batch again");
            send(&s, Client::NsupdateY(&y), ZONE, script)
        });
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
    let out = s.polyzone(&["keys", "list", ZONE]);
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
    let cfg = clock_config(policy, 3600);
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
    let out = s.polyzone(&["keys", "list", ZONE]);
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

/// Verifies the zone at the simulated time `now` with the verifiers that
/// take a time: `ldns-verify-zone -t` and `kzonecheck -t`. kzonecheck 3.2
/// takes keys with the SEP flag for KSKs only unless there is exactly one
/// DNSKEY, so it rejects every zone in the middle of a CSK roll (two keys
/// with the SEP flag, none without), however it is signed — even one
/// `dnssec-signzone -z` signs with both; there ldns-verify-zone alone
/// checks.
fn verify_all_at(s: &Server, text: &str, now: u64) {
    require("kzonecheck");
    require("ldns-verify-zone");
    let path = s.path().join("verify-clock.zone");
    std::fs::write(&path, text).expect("write zone");
    let dnskeys = text
        .lines()
        .filter(|l| l.split_whitespace().nth(3) == Some("DNSKEY"))
        .count();
    let mut runs = vec![("ldns-verify-zone", strings(&["-t", &ymdhms(now)]))];
    if !(sep_keys_only(text) && dnskeys > 1) {
        runs.push((
            "kzonecheck",
            strings(&["-o", ZONE, "-d", "on", "-t", &now.to_string()]),
        ));
    }
    let when = format!("at simulated time {}", ymdhms(now));
    run_verifiers(&path, text, &runs, &when);
}

/// `polyzone keys ARGS... ZONE` against the test server; its stdout.
fn keys_cmd(s: &Server, args: &[&str]) -> String {
    let out = s.polyzone(&[&["keys"], args].concat());
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
    start_roll_clock(speed, "")
}

/// A server on a clock `speed` times faster than real time, with the
/// rollover policy plus `extra` policy lines.
fn start_roll_clock(speed: u32, extra: &str) -> Server {
    let cfg = clock_config(&format!("{ROLL_POLICY}\n{extra}"), speed);
    Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE)
}

/// The test config with `policy`, on a clock `speed` times faster than
/// real time.
fn clock_config(policy: &str, speed: u32) -> String {
    config(policy, "").replace(
        "keys_dir = \"keys\"",
        &format!("keys_dir = \"keys\"\nclock = \"speed={speed}\""),
    )
}

/// Simulated seconds per real second in the rollover tests with unbound:
/// one step (export, kzonecheck, a fresh unbound, its queries) takes well
/// under a second here, i.e. under 20 simulated minutes, inside the hour
/// by which inceptions are backdated. So signatures made while a step runs
/// are valid at the simulated time that step's validator was given.
const ROLL_SPEED: u32 = 1200;

/// The new key's tag in the output of `keys rollover`.
fn new_key_of(out: &str) -> u32 {
    out.split("new key ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no new key in: {out}"))
}

/// One step of a roll: the served zone, the simulated time right after it
/// was taken (so every signature in it was made before), kzonecheck at
/// that time, and its keys.
fn roll_step(s: &Server) -> (u64, String, KeyView) {
    let text = export(s);
    let now = simulated_now(s);
    verify_all_at(s, &text, now);
    let view = key_view(&text);
    (now, text, view)
}

/// Asks for a roll (`--zsk`, `--ksk` or `--csk`): the simulated time it
/// was asked at, and the new key's tag.
fn begin_roll(s: &Server, flag: &str) -> (u64, u32) {
    let asked_at = simulated_now(s);
    let new = new_key_of(&keys_cmd(s, &["rollover", ZONE, flag]));
    (asked_at, new)
}

/// What a roll's own checks make of one step.
enum Step {
    /// The roll goes on; the step counts in this phase.
    In(usize),
    /// The roll is over; the step counts in this phase, if any.
    Over(Option<usize>),
}

/// How a roll went: steps taken, steps seen in each phase, and whether it
/// came to its end.
struct RollSteps<const N: usize> {
    kind: &'static str,
    phases: [&'static str; N],
    steps: u32,
    per_phase: [u32; N],
    over: bool,
}

impl<const N: usize> RollSteps<N> {
    /// The roll ended (else panics with `unfinished` and the server log),
    /// and every phase was seen at two steps at least, so each was
    /// validated at more than one time.
    fn assert_complete(&self, s: &Server, unfinished: &str) {
        assert!(self.over, "{unfinished}; log:\n{}", s.log());
        eprintln!(
            "{} roll: {} steps, per phase {:?}",
            self.kind, self.steps, self.per_phase
        );
        assert!(
            self.per_phase.iter().all(|n| *n >= 2),
            "too few steps in a phase ({}): {:?}",
            self.phases.join(", "),
            self.per_phase
        );
    }
}

/// Steps a `kind` roll through simulated time, 200 ms apart, for at most
/// `max_steps` steps or until `check` says it is over. At each step the
/// served zone verifies at its time ([`roll_step`]), a fresh validating
/// unbound trusting each DS set a cache may hold then gets validated
/// answers, and `check` makes the roll's own checks on the zone (time,
/// text, keys), acting as `parent` where the roll needs it.
fn drive_roll<const N: usize>(
    s: &Server,
    kind: &'static str,
    phases: [&'static str; N],
    max_steps: usize,
    parent: &mut Parent,
    mut check: impl FnMut(u64, &str, &KeyView, &mut Parent) -> Step,
) -> RollSteps<N> {
    let mut roll = RollSteps {
        kind,
        phases,
        steps: 0,
        per_phase: [0; N],
        over: false,
    };
    for _ in 0..max_steps {
        std::thread::sleep(Duration::from_millis(200));
        let (now, text, v) = roll_step(s);
        roll.steps += 1;
        // The DS sets are chosen for the time the validators run, not the
        // time of the export: the verifiers above take a few simulated
        // minutes, more on a loaded machine, and an old DS set must not be
        // tried once the zone may rightly have dropped its key.
        let validating_at = simulated_now(s) + ANCHOR_MARGIN;
        for anchors in parent.anchor_sets(validating_at) {
            validate_now(s, &anchors, &format!("{kind} roll step {}", roll.steps));
        }
        let (phase, over) = match check(now, &text, &v, parent) {
            Step::In(phase) => (Some(phase), false),
            Step::Over(phase) => (phase, true),
        };
        if let Some(phase) = phase {
            roll.per_phase[phase] += 1;
        }
        if over {
            roll.over = true;
            break;
        }
    }
    roll
}

/// Simulated time a step's validators may take (1.5 real seconds at
/// [`ROLL_SPEED`]): a cached DS set is tried only while it stays valid for
/// at least this long.
const ANCHOR_MARGIN: u64 = 1800;

/// The zone's CDS records as the DS records a parent that follows them
/// (RFC 7344) publishes, in presentation form.
fn cds_as_ds(text: &str) -> Vec<String> {
    let ds: Vec<String> = text
        .lines()
        .filter(|l| l.contains("\tCDS\t"))
        .filter_map(|l| l.split('\t').nth(4))
        .map(|rdata| format!("{ZONE}. DS {rdata}"))
        .collect();
    assert!(!ds.is_empty(), "no CDS in:\n{text}");
    ds
}

/// The parent of the zone during a roll as validators see it: the DS set
/// it serves, and the set it served before, which a cache may hold for the
/// parent's DS TTL after the change (and the one it served at the start).
struct Parent {
    ds: Vec<String>,
    previous: Option<(Vec<String>, u64)>,
    at_start: Vec<String>,
}

/// `parent_ds_ttl` of [`ROLL_POLICY`].
const PARENT_DS_TTL: u64 = 2 * 3600;

impl Parent {
    fn following(text: &str) -> Parent {
        let ds = cds_as_ds(text);
        Parent {
            at_start: ds.clone(),
            ds,
            previous: None,
        }
    }

    /// Once the zone waits for the parent: the parent takes the new DS
    /// from the zone's CDS at `now` and the test tells the zone with
    /// `ds-seen` for key `new`. Returns `now`.
    fn takes_new_ds(&mut self, s: &Server, text: &str, now: u64, new: u32) -> u64 {
        assert!(keys_cmd(s, &["list", ZONE]).contains("waiting: waiting for the parent"));
        self.follow_cds(text, now);
        keys_cmd(s, &["ds-seen", ZONE, &new.to_string()]);
        now
    }

    /// After a KSK or CSK roll: the parent's DS validates, and the DS set
    /// from before the roll alone no longer does.
    fn check_after_roll(&self, s: &Server, kind: &str) {
        validate_now(s, &self.ds, &format!("after the {kind} roll"));
        validation_fails(
            s,
            &self.at_start,
            simulated_now(s),
            "the old DS alone after the roll",
        );
    }

    /// The parent takes the zone's current CDS as its DS set at `now`.
    fn follow_cds(&mut self, text: &str, now: u64) {
        let new = cds_as_ds(text);
        let old = std::mem::replace(&mut self.ds, new);
        self.previous = Some((old, now + PARENT_DS_TTL));
    }

    /// Every DS set a validator may hold at `now`.
    fn anchor_sets(&self, now: u64) -> Vec<Vec<String>> {
        let mut sets = vec![self.ds.clone()];
        if let Some((old, until)) = &self.previous {
            if now < *until {
                sets.push(old.clone());
            }
        }
        sets
    }
}

/// What must validate at every step: a name, NODATA at the apex, NXDOMAIN,
/// a wildcard answer and the key set.
const STEP_QUERIES: &[(&str, &str, &str)] = &[
    ("www.signed.test", "A", "NOERROR"),
    ("signed.test", "A", "NOERROR"),
    ("nx.signed.test", "A", "NXDOMAIN"),
    ("x.wild.signed.test", "MX", "NOERROR"),
    ("signed.test", "DNSKEY", "NOERROR"),
];

/// A fresh validating unbound (no cache) trusting `anchors`, its clock at
/// polyzone's simulated now, resolves [`STEP_QUERIES`] at the server:
/// every answer must come back validated (AD), none SERVFAIL.
fn validate_now(s: &Server, anchors: &[String], label: &str) {
    let now = simulated_now(s);
    let v = Validator::start(ZONE, s.port, anchors, Some(&ymdhms(now)));
    for (name, qtype, want) in STEP_QUERIES {
        let (rcode, ad, out) = v.ask(name, qtype);
        assert!(
            rcode == *want && ad,
            "{label}: {name} {qtype} at {} trusting {anchors:?}: {rcode} ad={ad}\n{out}\nunbound log:\n{}\nzone:\n{}",
            ymdhms(now),
            v.log(),
            export(s)
        );
    }
}

/// The same validator with `anchors` gets SERVFAIL for a name of the zone.
fn validation_fails(s: &Server, anchors: &[String], date: u64, label: &str) {
    let v = Validator::start(ZONE, s.port, anchors, Some(&ymdhms(date)));
    let (rcode, ad, out) = v.ask("www.signed.test", "A");
    assert!(
        rcode == "SERVFAIL" && !ad,
        "{label}: expected SERVFAIL, got {rcode} ad={ad}:\n{out}"
    );
}

/// The validator of the rollover tests really validates: with the zone's
/// DS as trust anchor it answers with AD; with a wrong DS, or its clock
/// past the signatures' expiration or before their inception, SERVFAIL.
#[test]
fn validator_needs_the_right_anchor_and_time() {
    let s = start("");
    let text = wait_signed(&s);
    let ds = cds_as_ds(&text);
    let now = simulated_now(&s);
    validate_now(&s, &ds, "right anchor");
    let wrong: Vec<String> = ds
        .iter()
        .map(|d| {
            let flip = if d.ends_with('0') { "1" } else { "0" };
            format!("{}{flip}", &d[..d.len() - 1])
        })
        .collect();
    validation_fails(&s, &wrong, now, "wrong DS");
    validation_fails(&s, &ds, now + 30 * 86_400, "after expiration");
    validation_fails(&s, &ds, now - 2 * 3600, "before inception");
}

/// A ZSK roll driven by the clock: at every step the zone verifies at its
/// simulated time and a fresh validating unbound (clock set to that time,
/// the KSK's DS as trust anchor) gets validated answers; only published
/// keys sign, the new ZSK is published at least DNSKEY TTL + propagation
/// delay before it signs, and the old one stays published after it stopped
/// signing.
#[test]
fn zsk_rollover_has_no_validation_gap() {
    require("kzonecheck");
    let s = start_roll_clock(ROLL_SPEED, "");
    let first = wait_signed(&s);
    // The parent never changes its DS in a ZSK roll: the KSK's DS is the
    // one anchor throughout.
    let mut parent = Parent::following(&first);
    let before = key_view(&first);
    assert_eq!(before.soa_signers.len(), 1);
    let old_zsk = *before.soa_signers.iter().next().unwrap();
    validate_now(&s, &parent.ds, "before the ZSK roll");
    let (published_at, new_zsk) = begin_roll(&s, "--zsk");
    let mut first_signed_by_new: Option<u64> = None;
    let mut old_stopped: Option<u64> = None;
    let roll = drive_roll(
        &s,
        "ZSK",
        ["published", "old retiring"],
        80,
        &mut parent,
        |now, _, v, _| {
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
                return Step::Over(None);
            }
            // Seen before the new key could be in every cache: not signing.
            if now + 60 < published_at + 2 * 3600 {
                assert_eq!(v.soa_signers, BTreeSet::from([old_zsk]), "at {now}");
            }
            Step::In(usize::from(v.soa_signers.contains(&new_zsk)))
        },
    );
    roll.assert_complete(&s, "the ZSK roll did not finish");
    let signed_at = first_signed_by_new.expect("new ZSK signed");
    assert!(
        signed_at >= published_at + 2 * 3600 - 60,
        "new ZSK signed {}s after publication",
        signed_at - published_at
    );
    validate_now(&s, &parent.ds, "after the ZSK roll");
}

/// A KSK roll driven by the clock, with the test as the parent: the new
/// KSK signs the key set at once, CDS switch after the DNSKEY TTL, and the
/// old KSK stays, however long, until `ds-seen`; the parent then takes the
/// new DS from the CDS. At every step a fresh validating unbound trusting
/// each DS set a cache may hold then (the parent's, and the one before for
/// its TTL) gets validated answers; afterwards the old DS alone fails.
#[test]
fn ksk_rollover_waits_for_ds_seen() {
    require("kzonecheck");
    let s = start_roll_clock(ROLL_SPEED, "");
    let first = wait_signed(&s);
    let mut parent = Parent::following(&first);
    let old_ksk = *key_view(&first).cds.iter().next().expect("CDS of the KSK");
    let zsk = key_view(&first).soa_signers;
    validate_now(&s, &parent.ds, "before the KSK roll");
    let (published_at, new_ksk) = begin_roll(&s, "--ksk");
    let mut switched_at: Option<u64> = None;
    let mut ds_seen_at: Option<u64> = None;
    let roll = drive_roll(
        &s,
        "KSK",
        [
            "before the CDS switch",
            "waiting for the parent",
            "after it",
        ],
        150,
        &mut parent,
        |now, text, v, parent| {
            assert_eq!(v.soa_signers, zsk, "the ZSK signs the data throughout");
            assert!(v.dnskey_signers.is_subset(&v.dnskeys));
            let phase = if ds_seen_at.is_some() {
                2
            } else if switched_at.is_some() {
                1
            } else {
                0
            };
            if ds_seen_at.is_none() {
                assert!(v.dnskeys.contains(&old_ksk), "old KSK left before ds-seen");
                assert!(v.dnskey_signers.contains(&old_ksk) && v.dnskey_signers.contains(&new_ksk));
                if switched_at.is_none() && v.cds == BTreeSet::from([new_ksk]) {
                    assert!(
                        now >= published_at + 2 * 3600,
                        "CDS switched {}s after publication",
                        now - published_at
                    );
                    switched_at = Some(now);
                } else if switched_at.is_none() {
                    assert_eq!(v.cds, BTreeSet::from([old_ksk]));
                }
                // Well past the time the old key would go after a ds-seen:
                // it is still here; now the parent takes the new DS.
                if switched_at.is_some_and(|t| now >= t + 4 * 3600) {
                    ds_seen_at = Some(parent.takes_new_ds(&s, text, now, new_ksk));
                }
            } else if !v.dnskeys.contains(&old_ksk) {
                assert_eq!(v.dnskey_signers, BTreeSet::from([new_ksk]));
                assert!(now >= ds_seen_at.unwrap_or(0) + PARENT_DS_TTL);
                return Step::Over(Some(phase));
            }
            Step::In(phase)
        },
    );
    assert!(switched_at.is_some(), "CDS never switched to the new KSK");
    roll.assert_complete(&s, "old KSK never removed");
    parent.check_after_roll(&s, "KSK");
}

/// A CSK roll (policy `csk = true`) driven by the clock, with the test as
/// the parent: the new CSK is published and signs only the key set; after
/// the DNSKEY TTL and propagation delay it takes over every signature and
/// the CDS in one step while the old key keeps signing the key set; the
/// old key stays until `ds-seen` and then until the parent's DS TTL and
/// its own data signatures have passed. At every step the zone verifies
/// and a fresh validating unbound trusting each DS set a cache may hold
/// gets validated answers.
#[test]
fn csk_rollover_has_no_validation_gap() {
    require("kzonecheck");
    let s = start_roll_clock(ROLL_SPEED, "csk = true");
    let first = wait_signed(&s);
    let before = key_view(&first);
    assert_eq!(before.dnskeys.len(), 1, "one CSK");
    let old = *before.dnskeys.iter().next().unwrap();
    let just_old = BTreeSet::from([old]);
    assert!(before.soa_signers == just_old && before.cds == just_old);
    let mut parent = Parent::following(&first);
    validate_now(&s, &parent.ds, "before the CSK roll");
    // A CSK zone has no KSK or ZSK to roll.
    for kind in ["--ksk", "--zsk"] {
        let out = s.polyzone(&["keys", "rollover", ZONE, kind]);
        assert!(!out.status.success(), "{kind} accepted in a CSK zone");
    }
    let (published_at, new) = begin_roll(&s, "--csk");
    let both = BTreeSet::from([old, new]);
    let just_new = BTreeSet::from([new]);
    let mut active_at: Option<u64> = None;
    let mut ds_seen_at: Option<u64> = None;
    let roll = drive_roll(
        &s,
        "CSK",
        ["published", "active and waiting", "after ds-seen"],
        150,
        &mut parent,
        |now, text, v, parent| {
            assert!(v.dnskey_signers.is_subset(&v.dnskeys) && v.soa_signers.is_subset(&v.dnskeys));
            let phase = if ds_seen_at.is_some() {
                2
            } else if active_at.is_some() || v.soa_signers == just_new {
                1
            } else {
                0
            };
            if active_at.is_none() {
                if v.soa_signers == just_new {
                    // The data signatures and the CDS move together.
                    assert_eq!(v.cds, just_new, "CDS not switched with the signatures");
                    assert!(
                        now >= published_at + 2 * 3600,
                        "new CSK signs {}s after publication",
                        now - published_at
                    );
                    active_at = Some(now);
                } else {
                    assert_eq!(v.soa_signers, just_old, "published, not yet signing data");
                    assert_eq!(v.cds, just_old);
                    assert_eq!(v.dnskeys, both);
                    assert_eq!(
                        v.dnskey_signers, both,
                        "the new CSK signs the key set at once"
                    );
                    return Step::In(phase);
                }
            }
            if ds_seen_at.is_none() {
                assert_eq!(v.soa_signers, just_new);
                assert_eq!(v.dnskeys, both, "old CSK left before ds-seen");
                assert_eq!(
                    v.dnskey_signers, both,
                    "the old CSK keeps the key set valid"
                );
                if active_at.is_some_and(|t| now >= t + 4 * 3600) {
                    ds_seen_at = Some(parent.takes_new_ds(&s, text, now, new));
                }
            } else if !v.dnskeys.contains(&old) {
                assert!(now >= ds_seen_at.unwrap_or(0) + PARENT_DS_TTL);
                assert!(
                    v.dnskey_signers == just_new && v.soa_signers == just_new && v.cds == just_new
                );
                return Step::Over(Some(phase));
            }
            Step::In(phase)
        },
    );
    assert!(
        active_at.is_some(),
        "the new CSK never took over; log:\n{}",
        s.log()
    );
    roll.assert_complete(&s, "old CSK never removed");
    let list = keys_cmd(&s, &["list", ZONE]);
    assert!(
        list.lines()
            .any(|l| l.contains(&new.to_string()) && l.contains("CSK")),
        "{list}"
    );
    parent.check_after_roll(&s, "CSK");
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
        "{SERVER_TABLE}\n[[tsig]]\nname = \"{KEY}\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{KEY_SECRET}\"\n\n[[zone]]\nname = \"test\"\nfile = \"zones/test.zone\"\nupdate = [\"{KEY}\"]\n"
    );
    let parent = Server::start(&parent_cfg, &[("test.zone", parent_zone)], "test");
    let policy = format!(
        "{ROLL_POLICY}\nparent_nameservers = [\"127.0.0.1:{}\"]",
        parent.port
    );
    let cfg = clock_config(&policy, 3600);
    let s = Server::start(&cfg, &[("signed.test.zone", ZONE_FILE)], ZONE);
    wait_signed(&s);
    let old_ksk = *key_view(&export(&s)).cds.iter().next().expect("CDS");
    let new_ksk = new_key_of(&keys_cmd(&s, &["rollover", ZONE, "--ksk"]));
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
