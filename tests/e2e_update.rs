//! End-to-end dynamic updates (RFC 2136 with TSIG, RFC 8945) against the
//! real binary: nsupdate (`-y` and `-k`) and knsupdate doing every update
//! and prerequisite form, refusals that must leave the zone untouched,
//! restart and SIGKILL durability of the journal, SIGHUP reloads that merge
//! the zone file with dynamic data, and TSIG-signed queries with dig.
//!
//! Every check reads the result back with dig, and every step checks the
//! SOA serial too: with `serial = "increment"` an accepted change moves it
//! by exactly one and anything else must leave it alone, so the serial is
//! the cheapest witness of "nothing else changed".

mod common;
#[path = "support/nsupdate.rs"]
mod nsupdate;
#[path = "support/tsig.rs"]
mod tsig;

use base64::Engine as _;
use common::{require, wait_for, Server, SERVER_TABLE};
use nsupdate::{generate_key, send, Client};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ZONE: &str = "e2e.test";
/// The serial in the zone file; the first accepted update makes it 101.
const INITIAL: u32 = 100;

const KEY: &str = "update-key";
const KEY_SECRET: &str = "TQGe6smiRUb8AIs5yjicy77T7WcuR+rV/aCnsOYlKGI=";
/// Same length as KEY_SECRET, different bytes: a wrong secret, not a
/// malformed one.
const WRONG_SECRET: &str = "AAAe6smiRUb8AIs5yjicy77T7WcuR+rV/aCnsOYlKGI=";
const ACME: &str = "acme";
const ACME_SECRET: &str =
    "xeXvy+zkA8s6mjOOdzqaaluDRWI++00B2cN5JVmp0PKRYSJVOLhXqwUl7+jcJtL2hmRfamGya3V3RPrWlNh38g==";

const ZONE_FILE: &str = "$ORIGIN e2e.test.\n\
$TTL 300\n\
@    SOA ns1 hostmaster 100 7200 3600 1209600 300\n\
@    NS  ns1\n\
ns1  A   192.0.2.1\n\
www  A   192.0.2.80\n\
old  A   192.0.2.70\n";

/// A second zone without `update`: default deny.
const STATIC_FILE: &str = "$ORIGIN static.test.\n\
$TTL 300\n\
@    SOA ns1 hostmaster 1 7200 3600 1209600 300\n\
@    NS  ns1\n\
ns1  A   192.0.2.1\n";

/// The config every test uses; `extra` is appended (more keys).
fn config(extra_grants: &str, extra: &str) -> String {
    format!(
        r#"
{SERVER_TABLE}
[[tsig]]
name = "{KEY}"
algorithm = "hmac-sha256"
secret = "{KEY_SECRET}"

[[tsig]]
name = "{ACME}"
algorithm = "hmac-sha512"
secret = "{ACME_SECRET}"

[[zone]]
name = "e2e.test"
file = "zones/e2e.test.zone"
serial = "increment"
update = ["{KEY}", {{ key = "{ACME}", name = "_acme-challenge.*", types = ["TXT"] }}{extra_grants}]

[[zone]]
name = "static.test"
file = "zones/static.test.zone"
{extra}"#
    )
}

/// A deployment directory with both zone files and `files` (path, text).
fn deployment(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["zones", "keys"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
    }
    std::fs::write(dir.path().join("zones/e2e.test.zone"), ZONE_FILE).expect("zone");
    std::fs::write(dir.path().join("zones/static.test.zone"), STATIC_FILE).expect("zone");
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).expect("write file");
    }
    dir
}

fn start(config: &str) -> Server {
    Server::start_in(deployment(&[]), config, ZONE)
}

fn require_tools() {
    for t in ["dig", "nsupdate", "knsupdate"] {
        require(t);
    }
}

// ---------------------------------------------------------------- reading

/// Runs dig; a timeout (the machine is shared, and the crash test fsyncs
/// hard beside the others) is retried twice, and each retry is reported
/// on stderr so that a server that drops queries still shows.
fn dig_retry(s: &Server, args: &[&str]) -> String {
    let mut out = s.dig(args);
    for _ in 0..2 {
        if !out.contains("timed out") && !out.contains("no servers could be reached") {
            break;
        }
        eprintln!("dig {args:?} timed out, retrying:\n{out}");
        out = s.dig(args);
    }
    out
}

/// The SOA serial served now.
fn serial(s: &Server) -> u32 {
    let out = dig_retry(s, &["+short", ZONE, "SOA"]);
    out.split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            // Ask again in full, so the failure shows the rcode and flags.
            let full = s.dig(&[ZONE, "SOA"]);
            panic!(
                "no SOA serial in dig output:\n{out}\nasked again:\n{full}\nlog:\n{}",
                s.log()
            )
        })
}

/// The rdata of one RRset as dig +short prints it, sorted.
fn rrset(s: &Server, name: &str, rtype: &str) -> Vec<String> {
    let out = dig_retry(s, &["+short", name, rtype]);
    assert!(!out.contains(";;"), "dig failed for {name} {rtype}:\n{out}");
    let mut v: Vec<String> = out.lines().map(|l| l.trim().to_string()).collect();
    v.retain(|l| !l.is_empty());
    v.sort();
    v
}

/// The rcode dig reports for a query.
fn status(s: &Server, name: &str, rtype: &str) -> String {
    let out = dig_retry(s, &[name, rtype]);
    out.split("status: ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("no status in dig output:\n{out}"))
        .to_string()
}

/// A summary of everything the refusal tests could have touched.
fn snapshot(s: &Server) -> Vec<(String, Vec<String>)> {
    let probes = [
        (ZONE, "SOA"),
        (ZONE, "NS"),
        ("www.e2e.test", "A"),
        ("www.e2e.test", "TXT"),
        ("new.e2e.test", "A"),
        ("_acme-challenge.www.e2e.test", "TXT"),
        ("_acme-challenge.www.e2e.test", "A"),
        ("x.static.test", "A"),
        ("static.test", "SOA"),
    ];
    probes
        .iter()
        .map(|(n, t)| (format!("{n} {t}"), rrset(s, n, t)))
        .collect()
}

/// One update session: sends updates and checks the rcode and the serial
/// after each (bumped by one when `changes`, unchanged otherwise).
struct Session<'a> {
    s: &'a Server,
    client: Client<'a>,
    serial: u32,
}

impl<'a> Session<'a> {
    fn new(s: &'a Server, client: Client<'a>) -> Session<'a> {
        Session {
            s,
            client,
            serial: serial(s),
        }
    }

    fn expect(&mut self, body: &str, rcode: &str, changes: bool) {
        let got = send(self.s, self.client, ZONE, body);
        assert_eq!(
            got,
            rcode,
            "{:?} sent\n{body}server log:\n{}",
            self.client,
            self.s.log()
        );
        if changes {
            self.serial += 1;
        }
        assert_eq!(
            serial(self.s),
            self.serial,
            "serial after {:?} sent\n{body}(answered {got})",
            self.client
        );
    }
}

// ------------------------------------------- 1. every form, every client

/// Every update form (RFC 2136 §2.5) and prerequisite form (§2.4) with the
/// rcode §3.2.5 gives for a failing one, through one client. `p` keeps the
/// clients' names apart on the shared server.
fn every_form(s: &Server, client: Client, p: &str) {
    let h = format!("h.{p}.e2e.test.");
    let nx = format!("nx.{p}.e2e.test.");
    let mut u = Session::new(s, client);

    // Add (§2.5.1): two A RRs and a TXT in one message, one serial step.
    u.expect(
        &format!(
            "update add {h} 300 A 192.0.2.1\nupdate add {h} 300 A 192.0.2.2\n\
             update add {h} 300 TXT \"t1\"\n"
        ),
        "NOERROR",
        true,
    );
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(rrset(s, &h, "TXT"), ["\"t1\""]);

    // A duplicate is ignored (§3.4.2.2): NOERROR and no new serial.
    u.expect(
        &format!("update add {h} 300 A 192.0.2.1\n"),
        "NOERROR",
        false,
    );
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.1", "192.0.2.2"]);

    // Prerequisites, each guarding the addition of its own marker TXT, so
    // a pass is seen as the marker appearing and a failure as its absence.
    let cases: Vec<(String, &str)> = vec![
        // §2.4.4 name is in use / §3.2.5 NXDOMAIN.
        (format!("prereq yxdomain {h}\n"), "NOERROR"),
        (format!("prereq yxdomain {nx}\n"), "NXDOMAIN"),
        // §2.4.5 name is not in use / YXDOMAIN.
        (format!("prereq nxdomain {nx}\n"), "NOERROR"),
        (format!("prereq nxdomain {h}\n"), "YXDOMAIN"),
        // §2.4.1 RRset exists (value independent) / NXRRSET.
        (format!("prereq yxrrset {h} A\n"), "NOERROR"),
        (format!("prereq yxrrset {h} AAAA\n"), "NXRRSET"),
        // §2.4.2 RRset exists (value dependent): the whole RRset must match.
        (
            format!("prereq yxrrset {h} A 192.0.2.1\nprereq yxrrset {h} A 192.0.2.2\n"),
            "NOERROR",
        ),
        (format!("prereq yxrrset {h} A 192.0.2.1\n"), "NXRRSET"),
        (format!("prereq yxrrset {h} A 192.0.2.9\n"), "NXRRSET"),
        (format!("prereq yxrrset {nx} A 192.0.2.1\n"), "NXRRSET"),
        // §2.4.3 RRset does not exist / YXRRSET.
        (format!("prereq nxrrset {h} AAAA\n"), "NOERROR"),
        (format!("prereq nxrrset {h} A\n"), "YXRRSET"),
        // All or nothing (§3.2, §3.4): the first prerequisite holds, the
        // second fails, and the delete in the same message must not happen.
        (
            format!("prereq yxdomain {h}\nprereq nxrrset {h} TXT\nupdate delete {h} A\n"),
            "YXRRSET",
        ),
    ];
    for (i, (prereq, rcode)) in cases.iter().enumerate() {
        let marker = format!("m{i}.{p}.e2e.test.");
        let body = format!("{prereq}update add {marker} 300 TXT \"m{i}\"\n");
        let pass = *rcode == "NOERROR";
        u.expect(&body, rcode, pass);
        let want: Vec<String> = if pass {
            vec![format!("\"m{i}\"")]
        } else {
            vec![]
        };
        assert_eq!(rrset(s, &marker, "TXT"), want, "marker after\n{body}");
    }
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(rrset(s, &h, "TXT"), ["\"t1\""]);

    // Delete one RR (§2.5.4).
    u.expect(&format!("update delete {h} A 192.0.2.1\n"), "NOERROR", true);
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.2"]);
    assert_eq!(rrset(s, &h, "TXT"), ["\"t1\""]);
    // Deleting an RR that is not there changes nothing (§3.4.2.4).
    u.expect(
        &format!("update delete {h} A 192.0.2.99\n"),
        "NOERROR",
        false,
    );
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.2"]);

    // Delete an RRset (§2.5.2).
    u.expect(&format!("update delete {h} TXT\n"), "NOERROR", true);
    assert!(rrset(s, &h, "TXT").is_empty());
    assert_eq!(rrset(s, &h, "A"), ["192.0.2.2"]);

    // Delete all RRsets at a name (§2.5.3): the name is gone.
    u.expect(
        &format!("update add {h} 300 AAAA 2001:db8::1\n"),
        "NOERROR",
        true,
    );
    u.expect(&format!("update delete {h}\n"), "NOERROR", true);
    assert_eq!(status(s, &h, "A"), "NXDOMAIN");
    assert_eq!(status(s, &h, "AAAA"), "NXDOMAIN");
    // The zone's own data is untouched by all of this.
    assert_eq!(rrset(s, "www.e2e.test", "A"), ["192.0.2.80"]);
}

#[test]
fn every_update_and_prerequisite_form_with_nsupdate_and_knsupdate() {
    require_tools();
    // A key made by `polyzone tsig generate`: its BIND clause is both the
    // server's secret_file and nsupdate's -k file, so one file proves that
    // the generator, the config reader and BIND agree.
    let (_, clause) = generate_key("gen-key", "hmac-sha384");
    let dir = deployment(&[("keys/gen-key.key", &clause)]);
    let key_file = dir.path().join("keys/gen-key.key");
    let cfg = config(
        ", \"gen-key\"",
        "\n[[tsig]]\nname = \"gen-key\"\nalgorithm = \"hmac-sha384\"\nsecret_file = \"keys/gen-key.key\"\n",
    );
    let s = Server::start_in(dir, &cfg, ZONE);
    assert_eq!(serial(&s), INITIAL);
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    every_form(&s, Client::NsupdateY(&y), "y");
    every_form(&s, Client::NsupdateK(&key_file), "k");
    let kn = format!("hmac-sha256:{KEY} {KEY_SECRET}");
    every_form(&s, Client::Knsupdate(&kn), "kn");
}

// ----------------------------------------------------------- 2. refusals

/// Sends a hand-signed update adding `new.e2e.test A 192.0.2.50` with the
/// TSIG time `time_signed`; returns what the reply says.
fn raw_signed_add(s: &Server, time_signed: u64) -> tsig::ReplyInfo {
    let secret = base64::engine::general_purpose::STANDARD
        .decode(KEY_SECRET)
        .expect("base64");
    let msg = tsig::update(
        0x4242,
        ZONE,
        &[tsig::UpdateRr {
            owner: "new.e2e.test",
            rtype: 1,
            ttl: 300,
            rdata: &[192, 0, 2, 50],
        }],
    );
    let msg = tsig::sign_sha256(&msg, KEY, &secret, time_signed);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    sock.send_to(&msg, s.addr).expect("send");
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).expect("no reply to a signed update");
    let info = tsig::reply_info(&buf[..n]).expect("malformed reply");
    assert!(
        info.is_response && info.id == 0x4242 && info.opcode == 5,
        "{info:?}"
    );
    info
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

#[test]
fn refusals_leave_the_zone_unchanged() {
    require_tools();
    let s = start(&config("", ""));
    let before = snapshot(&s);
    assert_eq!(serial(&s), INITIAL);
    let add = "update add new.e2e.test. 300 A 192.0.2.50\n";
    let y_ok = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let y_unknown = format!("hmac-sha256:nokey:{KEY_SECRET}");
    let y_wrong = format!("hmac-sha256:{KEY}:{WRONG_SECRET}");
    let acme = format!("hmac-sha512:{ACME}:{ACME_SECRET}");
    let cases: Vec<(&str, Client, &str, String, &str)> = vec![
        // Default deny: no TSIG at all.
        ("no key", Client::Unsigned, ZONE, add.into(), "REFUSED"),
        // RFC 8945 §5.2.1: an unknown key is NOTAUTH with TSIG error BADKEY.
        (
            "unknown key",
            Client::NsupdateY(&y_unknown),
            ZONE,
            add.into(),
            "NOTAUTH(BADKEY)",
        ),
        // §5.2.3: a MAC that does not verify is NOTAUTH/BADSIG.
        (
            "wrong secret",
            Client::NsupdateY(&y_wrong),
            ZONE,
            add.into(),
            "NOTAUTH(BADSIG)",
        ),
        // The acme key may only touch TXT at _acme-challenge.*: another
        // name, or another type at the granted name, is REFUSED (§3.3).
        (
            "acme on www A",
            Client::NsupdateY(&acme),
            ZONE,
            "update add www.e2e.test. 300 A 192.0.2.99\n".into(),
            "REFUSED",
        ),
        (
            "acme on www TXT",
            Client::NsupdateY(&acme),
            ZONE,
            "update add www.e2e.test. 300 TXT \"no\"\n".into(),
            "REFUSED",
        ),
        (
            "acme on _acme-challenge A",
            Client::NsupdateY(&acme),
            ZONE,
            "update add _acme-challenge.www.e2e.test. 300 A 192.0.2.99\n".into(),
            "REFUSED",
        ),
        // A granted RR beside a refused one: the whole message is refused.
        (
            "acme mixed",
            Client::NsupdateY(&acme),
            ZONE,
            "update add _acme-challenge.www.e2e.test. 300 TXT \"tok\"\n\
             update delete www.e2e.test. A\n"
                .into(),
            "REFUSED",
        ),
        // §3.1.2: a zone this server is not authoritative for.
        (
            "zone not served",
            Client::NsupdateY(&y_ok),
            "nope.test",
            "update add x.nope.test. 300 A 192.0.2.1\n".into(),
            "NOTAUTH",
        ),
        // A served zone without `update` keys: default deny.
        (
            "zone without grants",
            Client::NsupdateY(&y_ok),
            "static.test",
            "update add x.static.test. 300 A 192.0.2.1\n".into(),
            "REFUSED",
        ),
    ];
    for (what, client, zone, body, rcode) in &cases {
        let got = send(&s, *client, zone, body);
        assert_eq!(&got, rcode, "{what}: rcode; log:\n{}", s.log());
        assert_eq!(snapshot(&s), before, "{what}: the zone changed");
    }

    // Timestamp outside the fudge (RFC 8945 §5.2.3): NOTAUTH with BADTIME
    // (18), both an hour late and an hour early. nsupdate cannot be told to
    // lie about the time (and faketime is not installed), so these
    // messages are signed here.
    let now = unix_now();
    for t in [now - 3600, now + 3600] {
        let r = raw_signed_add(&s, t);
        assert_eq!(
            (r.rcode, r.tsig_error),
            (9, Some(18)),
            "signed at {t}, now {now}: {r:?}"
        );
        // §5.2.3: a BADTIME answer is signed (the key is known and the MAC
        // good) and carries the server's time in Other Data (6 octets), so
        // the client can tell how far off its clock is.
        assert_eq!(r.tsig_mac_len, Some(32), "BADTIME answer unsigned: {r:?}");
        assert_eq!(r.tsig_other_len, Some(6), "no server time: {r:?}");
        assert_eq!(snapshot(&s), before, "BADTIME update changed the zone");
    }
    // The same hand-made message signed now is accepted: the refusals
    // above were for the time, not for a broken signer.
    let r = raw_signed_add(&s, now);
    assert_eq!(
        (r.rcode, r.tsig_error, r.tsig_mac_len),
        (0, Some(0), Some(32))
    );
    assert_eq!(rrset(&s, "new.e2e.test", "A"), ["192.0.2.50"]);
    assert_eq!(serial(&s), INITIAL + 1);

    // The acme key inside its grant works.
    let got = send(
        &s,
        Client::NsupdateY(&acme),
        ZONE,
        "update add _acme-challenge.www.e2e.test. 300 TXT \"token-1\"\n",
    );
    assert_eq!(got, "NOERROR", "log:\n{}", s.log());
    assert_eq!(
        rrset(&s, "_acme-challenge.www.e2e.test", "TXT"),
        ["\"token-1\""]
    );
    assert_eq!(serial(&s), INITIAL + 2);
}

// ------------------------------------------------------------ 3. restart

/// Stops `s` (SIGKILL when `kill`, else SIGTERM and a clean exit) and
/// starts the binary again on the same directory, so on the same data_dir
/// (on a new port: no stray datagram can reach the new process).
fn restart(mut s: Server, config: &str, kill: bool) -> Server {
    if kill {
        let _ = s.child.kill();
        let _ = s.child.wait();
    } else {
        s.signal("TERM");
        let mut status = None;
        let exited = wait_for(Duration::from_secs(10), || {
            status = s.child.try_wait().expect("try_wait");
            status.is_some()
        });
        assert!(
            exited,
            "still running 10 s after SIGTERM; log:\n{}",
            s.log()
        );
        let status = status.expect("status");
        assert!(
            status.success(),
            "exit after SIGTERM: {status}; log:\n{}",
            s.log()
        );
    }
    // `Server` owns the directory and kills its child on drop: take the
    // directory out (leaving an empty one to be dropped) to start anew.
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    drop(s);
    Server::start_in(dir, config, ZONE)
}

/// Answers for `queries` (lines `NAME TYPE`) in one dig run (`dig -f`),
/// as a map owner (no final dot, lowercase) → sorted "TYPE rdata" lines.
fn batch(s: &Server, queries: &[String]) -> BTreeMap<String, Vec<String>> {
    let file = s.path().join("queries.txt");
    std::fs::write(&file, queries.join("\n") + "\n").expect("write queries");
    let out = s.dig(&[
        "+noall",
        "+answer",
        "-f",
        file.to_str().expect("utf-8 path"),
    ]);
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with(';') || f.len() < 5 {
            assert!(
                !line.contains("timed out") && !line.contains("failed"),
                "dig batch: {line}"
            );
            continue;
        }
        let owner = f[0].trim_end_matches('.').to_ascii_lowercase();
        m.entry(owner)
            .or_default()
            .push(format!("{} {}", f[3], f[4..].join(" ")));
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

#[test]
fn restart_restores_every_update_and_the_serial() {
    require_tools();
    let cfg = config("", "");
    let s = start(&cfg);
    // N updates in one nsupdate run (one message per `send`), then a
    // delete of a file record and of one of the new names, so that the
    // journal holds removals too.
    const N: u32 = 40;
    let mut script = String::new();
    for i in 0..N {
        script.push_str(&format!(
            "update add r{i}.e2e.test. 300 A 198.51.100.{i}\nsend\n"
        ));
    }
    script.push_str("update delete old.e2e.test. A\nsend\n");
    script.push_str("update delete r0.e2e.test.\n");
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    assert_eq!(send(&s, Client::NsupdateY(&y), ZONE, &script), "NOERROR");
    let want_serial = INITIAL + N + 2;
    assert_eq!(serial(&s), want_serial, "log:\n{}", s.log());

    let mut queries: Vec<String> = (0..N).map(|i| format!("r{i}.e2e.test A")).collect();
    queries.extend(
        [
            "old.e2e.test A",
            "www.e2e.test A",
            "e2e.test SOA",
            "e2e.test NS",
        ]
        .map(String::from),
    );
    let before = batch(&s, &queries);
    // r1..r(N-1), www and the apex (SOA and NS under one owner).
    assert_eq!(before.len(), N as usize - 1 + 2, "{before:#?}");
    assert!(!before.contains_key("r0.e2e.test") && !before.contains_key("old.e2e.test"));

    let s = restart(s, &cfg, false);
    assert_eq!(
        serial(&s),
        want_serial,
        "serial after restart; log:\n{}",
        s.log()
    );
    assert_eq!(batch(&s, &queries), before, "zone after restart");
    // The journal goes on from there.
    assert_eq!(
        send(
            &s,
            Client::NsupdateY(&y),
            ZONE,
            "update add after.e2e.test. 300 A 192.0.2.3\n"
        ),
        "NOERROR"
    );
    assert_eq!(serial(&s), want_serial + 1);
    assert_eq!(rrset(&s, "after.e2e.test", "A"), ["192.0.2.3"]);

    // `zone export` shows the zone as served, not as its file has it:
    // from the running server, and after it stopped from the store.
    let export = |s: &Server| s.export(ZONE);
    let has = |text: &str, owner: &str| text.lines().any(|l| l.starts_with(owner));
    let live = export(&s);
    assert!(
        has(&live, "after.e2e.test.") && has(&live, "r1.e2e.test."),
        "{live}"
    );
    assert!(
        !has(&live, "old.e2e.test.") && !has(&live, "r0.e2e.test."),
        "{live}"
    );
    let mut s = s;
    s.signal("TERM");
    assert!(wait_for(Duration::from_secs(10), || s
        .child
        .try_wait()
        .ok()
        .flatten()
        .is_some()));
    assert_eq!(export(&s), live, "offline export from the store");
}

// ------------------------------------------------------- 4. crash safety

/// xorshift64*: enough randomness for kill moments, seeded from the clock
/// and printed so a failing run can be told apart from the next one.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The address of update number `i` (distinct for every i < 2^24).
fn crash_rdata(i: u32) -> [u8; 4] {
    [10, (i >> 16) as u8, (i >> 8) as u8, i as u8]
}

/// What the streaming client saw.
#[derive(Default)]
struct Stream {
    /// Updates 1..=sent were sent (some never reached a live server).
    sent: u32,
    /// Updates answered NOERROR: these must survive every crash.
    acked: Vec<u32>,
    /// Updates answered with anything else (there should be none).
    other: Vec<(u32, u8)>,
}

/// Sends hand-signed single-record updates, one at a time, each adding
/// `c{i}.e2e.test A 10.x.y.z`, to whatever address `target` holds, until
/// `stop`. An update without an answer (server killed, or dead port) is
/// not retried: it may or may not have committed, and the final check
/// accounts for both.
///
/// `sock` is bound once, before any restart: `free_port` can then never
/// hand its port to a new server (which would fail to bind), and no
/// per-update socket can draw a dead server's port and read its own
/// datagram back as the answer. It is connected to the current server so
/// that ICMP "port unreachable" from a dead one is reported at once.
fn stream_updates(
    sock: UdpSocket,
    target: Arc<Mutex<SocketAddr>>,
    stop: Arc<AtomicBool>,
) -> Stream {
    let secret = base64::engine::general_purpose::STANDARD
        .decode(KEY_SECRET)
        .expect("base64");
    let mut st = Stream::default();
    let mut buf = [0u8; 4096];
    let mut connected = None;
    while !stop.load(Ordering::Relaxed) {
        let addr = *target.lock().expect("target lock");
        if connected != Some(addr) {
            sock.connect(addr).expect("connect");
            connected = Some(addr);
        }
        st.sent += 1;
        let i = st.sent;
        let owner = format!("c{i}.e2e.test");
        let rdata = crash_rdata(i);
        let id = i as u16;
        let msg = tsig::update(
            id,
            ZONE,
            &[tsig::UpdateRr {
                owner: &owner,
                rtype: 1,
                ttl: 300,
                rdata: &rdata,
            }],
        );
        let msg = tsig::sign_sha256(&msg, KEY, &secret, unix_now());
        if sock.send(&msg).is_err() {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        match await_reply(&sock, id, &mut buf) {
            Some(0) => st.acked.push(i),
            Some(rcode) => st.other.push((i, rcode)),
            // No answer: the server died or is not up yet (backoff).
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    st
}

/// The rcode of the answer to update `id`, waiting up to 0.5 s; late
/// answers to earlier updates (ids differ) are skipped.
fn await_reply(sock: &UdpSocket, id: u16, buf: &mut [u8]) -> Option<u8> {
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        let n = sock.recv(buf).ok()?;
        match tsig::reply_info(&buf[..n]) {
            Some(r) if r.id == id && r.is_response && r.opcode == 5 => return Some(r.rcode),
            Some(r) if r.id != id => continue,
            other => panic!("unexpected reply to update {id}: {other:?}"),
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_update() {
    require_tools();
    const KILLS: u32 = 50;
    // Bounds the loop if restarts are slow on a busy machine; the test
    // fails below if that costs kills.
    const TIME_LIMIT: Duration = Duration::from_secs(45);
    let cfg = config("", "");
    let mut s = start(&cfg);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed:#x}");
    let mut rng = Rng(seed);

    let target = Arc::new(Mutex::new(s.addr));
    let stop = Arc::new(AtomicBool::new(false));
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind client socket");
    let client = {
        let (t, st) = (target.clone(), stop.clone());
        std::thread::spawn(move || stream_updates(sock, t, st))
    };
    let started = Instant::now();
    let mut kills = 0;
    while kills < KILLS && started.elapsed() < TIME_LIMIT {
        // A random moment: anywhere from at once to ~0.15 s of streaming,
        // so kills land before, during and after fsyncs and answers.
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        s = restart(s, &cfg, true);
        *target.lock().expect("target lock") = s.addr;
        kills += 1;
    }
    // Let the last server take a few updates, then stop the client.
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    let st = client.join().expect("client thread");
    // And one last crash, with the client quiet, before the check.
    let s = restart(s, &cfg, true);
    let elapsed = started.elapsed();

    let queries: Vec<String> = (1..=st.sent).map(|i| format!("c{i}.e2e.test A")).collect();
    let mut present = batch(&s, &queries);
    // Anything acknowledged but not in the batch answer is asked once
    // more, alone, so a lost datagram of dig's cannot pass for a lost
    // update.
    for &i in &st.acked {
        let name = format!("c{i}.e2e.test");
        if let std::collections::btree_map::Entry::Vacant(e) = present.entry(name) {
            let v = rrset(&s, e.key(), "A");
            if !v.is_empty() {
                e.insert(v.into_iter().map(|a| format!("A {a}")).collect());
            }
        }
    }
    let lost: Vec<u32> = st
        .acked
        .iter()
        .copied()
        .filter(|i| !present.contains_key(&format!("c{i}.e2e.test")))
        .collect();
    eprintln!(
        "crash test: {kills} kills in {elapsed:?}, {} sent, {} acknowledged, {} present, {} lost",
        st.sent,
        st.acked.len(),
        present.len(),
        lost.len()
    );
    assert!(kills >= KILLS, "only {kills} kills in {TIME_LIMIT:?}");
    assert!(
        !st.acked.is_empty(),
        "no update was acknowledged; log:\n{}",
        s.log()
    );
    assert!(
        st.other.is_empty(),
        "updates answered with an error: {:?}",
        st.other
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged updates lost (first: {:?}); log:\n{}",
        lost.len(),
        &lost[..lost.len().min(10)],
        s.log()
    );
    // Consistency: every name present holds exactly its own address...
    let sent: BTreeSet<String> = (1..=st.sent).map(|i| format!("c{i}.e2e.test")).collect();
    for (name, rrs) in &present {
        assert!(sent.contains(name), "unexpected name {name}");
        let i: u32 = name[1..name.find('.').expect("dot")]
            .parse()
            .expect("index");
        let [a, b, c, d] = crash_rdata(i);
        assert_eq!(rrs, &[format!("A {a}.{b}.{c}.{d}")], "{name}");
    }
    // ...and each committed update moved the serial by exactly one: no
    // commit was half-applied, applied twice or lost from the SOA alone.
    assert_eq!(
        serial(&s),
        INITIAL + present.len() as u32,
        "serial vs. committed updates; log:\n{}",
        s.log()
    );
    // The file's own data survived the crashes too.
    assert_eq!(rrset(&s, "www.e2e.test", "A"), ["192.0.2.80"]);
}

// ------------------------------------------------------------- 5. reload

/// Rewrites the zone file and sends SIGHUP; waits for the serial to move
/// past `old` (the reload commits the file's change as a new serial) and
/// returns the new serial.
fn reload(s: &Server, text: &str, old: u32) -> u32 {
    // Written aside and renamed in, so a reload can never read half a
    // file (one test sends a second SIGHUP while this one may be pending).
    let tmp = s.path().join("zones/e2e.test.zone.tmp");
    std::fs::write(&tmp, text).expect("write zone");
    std::fs::rename(&tmp, s.path().join("zones/e2e.test.zone")).expect("rename zone");
    s.signal("HUP");
    let mut now = old;
    let moved = wait_for(Duration::from_secs(10), || {
        now = serial(s);
        now != old
    });
    assert!(
        moved,
        "serial still {old} 10 s after SIGHUP; log:\n{}",
        s.log()
    );
    now
}

#[test]
fn sighup_merges_the_zone_file_with_dynamic_records() {
    require_tools();
    let s = start(&config("", ""));
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let mut u = Session::new(&s, Client::NsupdateY(&y));
    u.expect(
        "update add dyn.e2e.test. 300 A 192.0.2.11\n",
        "NOERROR",
        true,
    );
    u.expect(
        "update add clash.e2e.test. 300 A 192.0.2.12\n",
        "NOERROR",
        true,
    );
    u.expect(
        "update add www.e2e.test. 300 TXT \"dynamic\"\n",
        "NOERROR",
        true,
    );
    let after_updates = u.serial;

    // The file gains `filenew` and loses `old`; its serial (100) is behind
    // the zone's, so the reload takes the policy's next serial.
    let edited = ZONE_FILE.replace("old  A   192.0.2.70\n", "filenew A 192.0.2.71\n");
    let serial1 = reload(&s, &edited, after_updates);
    assert_eq!(serial1, after_updates + 1, "one commit for the file change");
    assert_eq!(rrset(&s, "filenew.e2e.test", "A"), ["192.0.2.71"]);
    assert_eq!(status(&s, "old.e2e.test", "A"), "NXDOMAIN");
    assert_eq!(rrset(&s, "dyn.e2e.test", "A"), ["192.0.2.11"]);
    assert_eq!(rrset(&s, "clash.e2e.test", "A"), ["192.0.2.12"]);
    assert_eq!(rrset(&s, "www.e2e.test", "A"), ["192.0.2.80"]);
    assert_eq!(rrset(&s, "www.e2e.test", "TXT"), ["\"dynamic\""]);

    // The file now puts a CNAME where an update put an A: the two cannot
    // coexist (RFC 1034 §3.6.2) and the file wins, with a log line.
    let clashing = format!("{edited}clash CNAME www\n");
    let serial2 = reload(&s, &clashing, serial1);
    assert_eq!(serial2, serial1 + 1);
    assert_eq!(rrset(&s, "clash.e2e.test", "CNAME"), ["www.e2e.test."]);
    let a = s.dig(&["+noall", "+answer", "clash.e2e.test", "A"]);
    assert!(
        !a.contains("192.0.2.12"),
        "the dynamic A is still served:\n{a}"
    );
    let log = s.log();
    assert!(
        log.contains("clash.e2e.test") && log.contains("dropped"),
        "no log line about the dropped dynamic record; log:\n{log}"
    );
    // Everything else dynamic is still there, and updates go on.
    assert_eq!(rrset(&s, "dyn.e2e.test", "A"), ["192.0.2.11"]);
    assert_eq!(rrset(&s, "www.e2e.test", "TXT"), ["\"dynamic\""]);
    assert_eq!(rrset(&s, "filenew.e2e.test", "A"), ["192.0.2.71"]);
    let mut u = Session::new(&s, Client::NsupdateY(&y));
    u.expect(
        "update add dyn2.e2e.test. 300 A 192.0.2.13\n",
        "NOERROR",
        true,
    );
    assert_eq!(rrset(&s, "dyn2.e2e.test", "A"), ["192.0.2.13"]);
}

// ------------------------------------------------- 6. TSIG-signed queries

const ALGORITHMS: [&str; 6] = [
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
];

/// The TSIG line of dig's TSIG PSEUDOSECTION.
fn tsig_line(out: &str) -> Option<&str> {
    out.lines()
        .skip_while(|l| !l.contains("TSIG PSEUDOSECTION"))
        .nth(1)
}

#[test]
fn signed_queries_and_updates_with_every_algorithm() {
    require_tools();
    // One key per algorithm, made by `polyzone tsig generate`.
    let keys: Vec<(String, &str, String)> = ALGORITHMS
        .iter()
        .map(|alg| {
            let name = format!("k-{alg}");
            let (secret, _) = generate_key(&name, alg);
            (name, *alg, secret)
        })
        .collect();
    let mut extra = String::new();
    let mut grants = String::new();
    for (name, alg, secret) in &keys {
        extra.push_str(&format!(
            "\n[[tsig]]\nname = \"{name}\"\nalgorithm = \"{alg}\"\nsecret = \"{secret}\"\n"
        ));
        grants.push_str(&format!(", \"{name}\""));
    }
    let s = start(&config(&grants, &extra));
    let mut want_serial = INITIAL;
    for (name, alg, secret) in &keys {
        let y = format!("{alg}:{name}:{secret}");
        for tcp in ["+notcp", "+tcp"] {
            // A signed query gets a signed answer that dig verifies: dig says
            // nothing about TSIG unless verification fails.
            let out = s.dig(&["+nocookie", tcp, "-y", &y, "www.e2e.test", "A"]);
            assert!(out.contains("status: NOERROR"), "{alg}:\n{out}");
            assert!(out.contains("192.0.2.80"), "{alg}:\n{out}");
            for bad in [
                "Couldn't verify",
                "WARNING",
                "TSIG error",
                "expected a TSIG",
            ] {
                assert!(!out.contains(bad), "{alg}: dig says {bad:?}:\n{out}");
            }
            let line = tsig_line(&out).unwrap_or_else(|| panic!("{alg}: unsigned answer:\n{out}"));
            assert!(
                line.contains(&format!("{alg}.")) && line.contains("NOERROR"),
                "{alg}: {line}"
            );

            // The same key with a wrong secret: NOTAUTH, TSIG error BADSIG
            // (RFC 8945 §5.2.3), and no data.
            let wrong = format!("{alg}:{name}:{WRONG_SECRET}");
            let out = s.dig(&["+nocookie", tcp, "-y", &wrong, "www.e2e.test", "A"]);
            assert!(
                out.contains("status: NOTAUTH"),
                "{alg} wrong secret:\n{out}"
            );
            assert!(
                !out.contains("192.0.2.80"),
                "{alg} wrong secret got data:\n{out}"
            );
            let line = tsig_line(&out).unwrap_or_else(|| panic!("{alg}: no TSIG in:\n{out}"));
            assert!(line.contains("BADSIG"), "{alg} wrong secret: {line}");
        }

        // And an update signed with this algorithm is accepted.
        let owner = format!("{alg}.e2e.test.");
        let body = format!("update add {owner} 300 TXT \"{alg}\"\n");
        assert_eq!(
            send(&s, Client::NsupdateY(&y), ZONE, &body),
            "NOERROR",
            "{alg}"
        );
        want_serial += 1;
        assert_eq!(rrset(&s, &owner, "TXT"), [format!("\"{alg}\"")]);
        assert_eq!(serial(&s), want_serial);
        // And over TCP.
        let body = format!("update add {owner} 300 AAAA 2001:db8::1\n");
        assert_eq!(
            send(&s, Client::NsupdateTcp(&y), ZONE, &body),
            "NOERROR",
            "{alg} over TCP"
        );
        want_serial += 1;
        assert_eq!(rrset(&s, &owner, "AAAA"), ["2001:db8::1"]);
        assert_eq!(serial(&s), want_serial);
    }
}

// ------------------------------------------------- the §3.4.2 zone rules

#[test]
fn apex_cname_soa_and_ttl_rules() {
    require_tools();
    let s = start(&config("", ""));
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let mut u = Session::new(&s, Client::NsupdateY(&y));

    // The apex SOA and NS are never deleted (§3.4.2.3/§3.4.2.4): the
    // deletes are ignored, so NOERROR and no new serial.
    for body in [
        "update delete e2e.test. NS\n",
        "update delete e2e.test. NS ns1.e2e.test.\n",
        "update delete e2e.test. SOA\n",
        "update delete e2e.test.\n",
    ] {
        u.expect(body, "NOERROR", false);
        assert_eq!(rrset(&s, ZONE, "NS"), ["ns1.e2e.test."], "after\n{body}");
    }

    // CNAME and other data exclude each other (§3.4.2.2, RFC 1034 §3.6.2):
    // the conflicting add is ignored, not an error.
    u.expect(
        "update add www.e2e.test. 300 CNAME ns1.e2e.test.\n",
        "NOERROR",
        false,
    );
    assert!(rrset(&s, "www.e2e.test", "CNAME").is_empty());
    assert_eq!(rrset(&s, "www.e2e.test", "A"), ["192.0.2.80"]);
    u.expect(
        "update add cn.e2e.test. 300 CNAME ns1.e2e.test.\n",
        "NOERROR",
        true,
    );
    u.expect(
        "update add cn.e2e.test. 300 A 192.0.2.5\n",
        "NOERROR",
        false,
    );
    assert_eq!(rrset(&s, "cn.e2e.test", "CNAME"), ["ns1.e2e.test."]);
    assert!(!rrset(&s, "cn.e2e.test", "A").contains(&"192.0.2.5".to_string()));

    // A client SOA with a later serial sets it (§3.4.2.2); an earlier one
    // is ignored (§3.4.2.2 "if the serial is lower, ignore").
    let soa = |n: u32| {
        format!("update add e2e.test. 300 SOA ns1.e2e.test. hostmaster.e2e.test. {n} 7200 3600 1209600 300\n")
    };
    let send_y = |body: &str| send(&s, Client::NsupdateY(&y), ZONE, body);
    assert_eq!(send_y(&soa(500)), "NOERROR");
    assert_eq!(serial(&s), 500);
    assert_eq!(send_y(&soa(400)), "NOERROR");
    assert_eq!(serial(&s), 500);

    // Re-adding an RR with another TTL changes the RRset's TTL (RFC 2181
    // §5.2: one TTL per RRset) and is a change.
    assert_eq!(
        send_y("update add www.e2e.test. 60 A 192.0.2.80\n"),
        "NOERROR"
    );
    assert_eq!(serial(&s), 501);
    let a = s.dig(&["+noall", "+answer", "www.e2e.test", "A"]);
    let ttl: Vec<&str> = a
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(ttl, ["60"], "{a}");

    // Names outside the zone: NOTZONE (§3.4.1.3, §3.2.5), nothing changes.
    assert_eq!(
        send_y("update add x.other.test. 300 A 192.0.2.1\n"),
        "NOTZONE"
    );
    assert_eq!(send_y("prereq yxdomain x.other.test.\n"), "NOTZONE");
    assert_eq!(serial(&s), 501);
}

#[test]
fn merged_state_survives_restart_and_offline_file_edits() {
    require_tools();
    let cfg = config("", "");
    let s = start(&cfg);
    let y = format!("hmac-sha256:{KEY}:{KEY_SECRET}");
    let mut u = Session::new(&s, Client::NsupdateY(&y));
    u.expect(
        "update add dyn.e2e.test. 300 A 192.0.2.11\n",
        "NOERROR",
        true,
    );
    let edited = format!("{ZONE_FILE}filenew A 192.0.2.71\n");
    let merged = reload(&s, &edited, u.serial);
    let names: Vec<String> = ["dyn", "filenew", "old", "www"]
        .iter()
        .map(|n| format!("{n}.e2e.test A"))
        .chain([format!("{ZONE} SOA")])
        .collect();
    let before = batch(&s, &names);

    // A clean restart restores the merged zone and does not commit the
    // (unchanged) file again.
    let s = restart(s, &cfg, false);
    assert_eq!(serial(&s), merged, "log:\n{}", s.log());
    assert_eq!(batch(&s, &names), before);
    // SIGHUP with the file unchanged is no commit either: the next real
    // file change must move the serial by exactly one. (Two HUPs may be
    // merged into one, which gives the same count.)
    s.signal("HUP");
    let again = format!("{edited}second A 192.0.2.73\n");
    assert_eq!(reload(&s, &again, merged), merged + 1, "log:\n{}", s.log());

    // The file edited without a SIGHUP (the running server does not look
    // at it) is applied at the next start-up, dynamic data kept.
    let offline = format!("{again}offline A 192.0.2.74\n");
    std::fs::write(s.path().join("zones/e2e.test.zone"), &offline).expect("write zone");
    assert_eq!(serial(&s), merged + 1);
    let s = restart(s, &cfg, false);
    assert_eq!(serial(&s), merged + 2, "log:\n{}", s.log());
    assert_eq!(rrset(&s, "offline.e2e.test", "A"), ["192.0.2.74"]);
    assert_eq!(rrset(&s, "second.e2e.test", "A"), ["192.0.2.73"]);
    assert_eq!(rrset(&s, "dyn.e2e.test", "A"), ["192.0.2.11"]);
    assert_eq!(rrset(&s, "filenew.e2e.test", "A"), ["192.0.2.71"]);
}
