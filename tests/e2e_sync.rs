//! Provider fan-out end to end: the real `polyzone` binary pushing one zone
//! to a real PowerDNS (HTTP API, checked over DNS too) and to moto_server
//! (Route 53), driven by nsupdate; drift, outages, throttling, refused
//! credentials, the safety threshold, the DNSSEC guard and `verify`.

mod common;
#[path = "support/nsupdate.rs"]
mod nsupdate;
#[path = "support/sync_kit.rs"]
mod sync_kit;
#[path = "support/sync_peers.rs"]
mod sync_peers;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{require, wait_for, Server};
use nsupdate::{send, Client};
use sync_kit::{sync_config, target_status};
use sync_peers::{dig_short, Fault, FaultProxy, Moto, Pdns, PDNS_KEY};

const ZONE: &str = "sync.test";
const SECRET: &str = "c3luYy10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm";
const KEY: &str = "hmac-sha256:k:c3luYy10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm";

const ZONE_FILE: &str = r#"$ORIGIN sync.test.
$TTL 300
@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@        NS    ns1
ns1      A     127.0.0.1
www      A     192.0.2.1
www      A     192.0.2.2
@        MX    10 mail
mail     A     192.0.2.3
txt      TXT   "hello world" "second \"quoted\" string"
Mixed    CNAME WWW.sync.test.
_sip._tcp SRV  0 5 5060 www
@        CAA   0 issue "letsencrypt.org"
h1       A     198.51.100.1
h2       A     198.51.100.2
"#;

fn require_tools() {
    for t in [
        "dig",
        "nsupdate",
        "curl",
        "pdns_server",
        "sqlite3",
        "moto_server",
    ] {
        require(t);
    }
}

/// The config: the zone pushed to `targets`, each target table given.
fn config(targets: &[&str], tables: &str) -> String {
    sync_config(ZONE, SECRET, targets, tables)
}

fn pdns_table(name: &str, url: &str, dns_port: u16, extra: &str) -> String {
    format!(
        r#"
[[target]]
name = "{name}"
kind = "powerdns"
url = "{url}"
api_key_file = "zones/pdns.key"
nameservers = ["127.0.0.1:{dns_port}"]
timeout = "5s"
{extra}
"#
    )
}

fn moto_table(m: &Moto) -> String {
    format!(
        r#"
[[target]]
name = "r53"
kind = "route53"
url = "{}"
key_id = "AKIDPOLYZONETEST"
api_key_file = "zones/aws.key"
verify = false
"#,
        m.url()
    )
}

fn start(config: &str, zone_file: &str) -> Server {
    Server::start(
        config,
        &[
            ("sync.test.zone", zone_file),
            ("pdns.key", PDNS_KEY),
            ("aws.key", "not-checked-by-moto"),
        ],
        ZONE,
    )
}

fn update(s: &Server, body: &str) {
    assert_eq!(send(s, Client::NsupdateY(KEY), ZONE, body), "NOERROR");
}

/// Initial push to both, an update reaching both within a second (over
/// DNS at pdns, through the API at moto), an empty second plan, a TTL-only
/// change and a delete, verify passing and then failing after tampering.
#[test]
fn pushes_every_serial_to_pdns_and_route53() {
    require_tools();
    let pdns = Pdns::start();
    pdns.create_zone(ZONE);
    let moto = Moto::start(ZONE);
    let tables = pdns_table("pdns", &pdns.url(), pdns.dns_port, "") + &moto_table(&moto);
    let s = start(&config(&["pdns", "r53"], &tables), ZONE_FILE);

    // Initial push: everything, in wire-equal form, at both.
    assert!(
        wait_for(Duration::from_secs(10), || pdns.dig("txt.sync.test", "TXT")
            == vec![
                "\"hello world\" \"second \\\"quoted\\\" string\"".to_string()
            ]),
        "txt at pdns: {:?}\n{}",
        pdns.dig("txt.sync.test", "TXT"),
        s.log()
    );
    assert!(wait_for(Duration::from_secs(10), || moto
        .rrset("www.sync.test.", "A")
        .0
        .len()
        == 2));
    assert_eq!(pdns.dig("mixed.sync.test", "CNAME"), vec!["www.sync.test."]);
    assert_eq!(
        moto.rrset("_sip._tcp.sync.test.", "SRV").0,
        vec!["0 5 5060 www.sync.test."]
    );
    assert_eq!(
        moto.rrset("sync.test.", "CAA").0,
        vec!["0 issue \"letsencrypt.org\""]
    );

    // A second plan is empty for both (text form, case, quoting agree).
    let (ok, plan) = s.cli(&["sync", "plan"]);
    assert!(ok, "{plan}");
    assert_eq!(plan.matches("no changes").count(), 2, "{plan}");

    // An update reaches both within a second.
    let t0 = Instant::now();
    update(
        &s,
        "update add new.sync.test. 60 A 203.0.113.7\nupdate delete www.sync.test. A 192.0.2.2\n",
    );
    assert!(
        wait_for(Duration::from_secs(1), || pdns.dig("new.sync.test", "A")
            == vec!["203.0.113.7"]
            && pdns.dig("www.sync.test", "A") == vec!["192.0.2.1"]),
        "pdns did not serve the update within 1 s\n{}",
        s.log()
    );
    assert!(
        wait_for(
            Duration::from_secs(1)
                .saturating_sub(t0.elapsed())
                .max(Duration::from_millis(200)),
            || { moto.rrset("new.sync.test.", "A") == (vec!["203.0.113.7".to_string()], 60) }
        ),
        "route53 did not get the update within 1 s"
    );
    assert_eq!(moto.rrset("www.sync.test.", "A").0, vec!["192.0.2.1"]);

    // A TTL-only change, then a delete.
    update(
        &s,
        "update delete h1.sync.test. A\nupdate add h1.sync.test. 900 A 198.51.100.1\n",
    );
    assert!(wait_for(Duration::from_secs(2), || pdns
        .rrset(ZONE, "h1.sync.test.", "A")
        .1
        == 900
        && moto.rrset("h1.sync.test.", "A").1 == 900));
    update(&s, "update delete h2.sync.test. A\n");
    assert!(wait_for(Duration::from_secs(2), || pdns
        .dig("h2.sync.test", "A")
        .is_empty()
        && moto.rrset("h2.sync.test.", "A").0.is_empty()));

    let st = target_status(&s, "pdns");
    assert_eq!(st["state"], "ok", "{st}");
    assert_eq!(st["applied_serial"], st["current_serial"], "{st}");

    // verify asks pdns over DNS: all match; then a record changed behind
    // our back is a mismatch and a non-zero exit.
    let (ok, out) = s.cli(&["verify", ZONE]);
    assert!(ok, "{out}");
    assert!(out.contains("OK"), "{out}");
    pdns.replace(ZONE, "mail.sync.test.", "A", 300, &["192.0.2.99"]);
    let (ok, out) = s.cli(&["verify", ZONE]);
    assert!(!ok, "verify passed after tampering: {out}");
    assert!(out.contains("mail.sync.test. A"), "{out}");

    // Records polyzone does not manage are left alone.
    pdns.replace(ZONE, "theirs.sync.test.", "A", 300, &["192.0.2.50"]);
    update(&s, "update add later.sync.test. 60 A 203.0.113.8\n");
    assert!(wait_for(Duration::from_secs(2), || pdns
        .dig("later.sync.test", "A")
        == vec!["203.0.113.8"]));
    assert_eq!(pdns.dig("theirs.sync.test", "A"), vec!["192.0.2.50"]);

    // A record written through the API reaches both targets like an
    // nsupdate does, and so does a delete; the zone's status shows both
    // targets at each new serial.
    let rrsets = format!("/api/v1/zones/{ZONE}/rrsets");
    let set = serde_json::json!({"changes": [{"name": "api", "type": "A", "ttl": 120,
        "records": ["203.0.113.21", "203.0.113.20"], "changetype": "replace"}]});
    let written = api(&s, "PATCH", &rrsets, Some(&set));
    let serial = written["serial"].as_u64().expect("serial");
    assert_eq!(written["changed"], true, "{written}");
    let want = vec!["203.0.113.20".to_string(), "203.0.113.21".to_string()];
    assert!(
        wait_for(Duration::from_secs(2), || pdns.dig("api.sync.test", "A")
            == want
            && moto.rrset("api.sync.test.", "A") == (want.clone(), 120)),
        "the API's record did not reach both targets: pdns {:?}, route53 {:?}\n{}",
        pdns.dig("api.sync.test", "A"),
        moto.rrset("api.sync.test.", "A"),
        s.log()
    );
    assert_targets_at(&s, serial);
    let gone = serde_json::json!({"changes": [
        {"name": "api", "type": "A", "changetype": "delete"},
        {"name": "later", "type": "A", "changetype": "delete"}]});
    let deleted = api(&s, "PATCH", &rrsets, Some(&gone));
    let serial = deleted["serial"].as_u64().expect("serial");
    assert!(
        wait_for(Duration::from_secs(2), || pdns
            .dig("api.sync.test", "A")
            .is_empty()
            && pdns.dig("later.sync.test", "A").is_empty()
            && moto.rrset("api.sync.test.", "A").0.is_empty()
            && moto.rrset("later.sync.test.", "A").0.is_empty()),
        "the API's delete did not reach both targets\n{}",
        s.log()
    );
    assert_targets_at(&s, serial);
}

/// The zone status (`GET /api/v1/zones/ZONE`) reaches `serial` with both
/// targets `ok` at it, pushed and not lagging.
fn assert_targets_at(s: &Server, serial: u64) {
    let path = format!("/api/v1/zones/{ZONE}");
    let at = |v: &serde_json::Value| {
        let targets = v["targets"].as_array().cloned().unwrap_or_default();
        v["serial"] == serial
            && targets.len() == 2
            && ["pdns", "r53"].iter().all(|name| {
                targets.iter().any(|t| {
                    t["name"] == *name
                        && t["state"] == "ok"
                        && t["serial"] == serial
                        && t["lag_serials"] == 0
                        && t["last_push"].as_u64().is_some()
                        && t["last_error"].is_null()
                })
            })
    };
    assert!(
        wait_for(Duration::from_secs(3), || at(&api(s, "GET", &path, None))),
        "targets not shown at {serial}: {}",
        api(s, "GET", &path, None)
    );
    let v = api(s, "GET", &path, None);
    assert_eq!(v["targets"][0]["kind"], "powerdns", "{v}");
    assert_eq!(v["targets"][1]["kind"], "route53", "{v}");
    assert!(v["secondaries"]["notify"].is_array(), "{v}");
}

/// One control API call with the server's control token; the JSON answer
/// of a 2xx (a failure fails the test with the server's error).
fn api(
    s: &Server,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    let token = std::fs::read_to_string(s.path().join("data/control.token")).expect("token");
    let config = std::fs::read_to_string(s.path().join("polyzone.toml")).expect("config");
    let api_addr = config
        .lines()
        .find_map(|l| l.strip_prefix("api_listen = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .expect("api_listen in config");
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-X", method, "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {}", token.trim()));
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data-binary"])
            .arg(b.to_string());
    }
    let out = cmd
        .arg(format!("http://{api_addr}{path}"))
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (json, code) = text.rsplit_once('\n').unwrap_or((&text, ""));
    assert!(
        code.starts_with('2'),
        "{method} {path}: HTTP {code}: {json}"
    );
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{method} {path}: {e}: {json}"))
}

/// Starts polyzone pushing to `pdns`, read back every second (`extra`:
/// more target keys); once pdns serves the zone, changes a record there
/// behind polyzone's back.
fn start_and_drift(pdns: &Pdns, extra: &str) -> Server {
    let tables = pdns_table(
        "pdns",
        &pdns.url(),
        pdns.dns_port,
        &format!("drift_interval = \"1s\"\n{extra}"),
    );
    let s = start(&config(&["pdns"], &tables), ZONE_FILE);
    assert!(wait_for(Duration::from_secs(10), || pdns
        .dig("mail.sync.test", "A")
        == vec!["192.0.2.3"]));
    pdns.replace(ZONE, "mail.sync.test.", "A", 300, &["192.0.2.66"]);
    s
}

/// A record changed at the provider is found at the next read-back and
/// healed; with `drift = "report"` it is only reported.
#[test]
fn drift_is_healed_or_reported() {
    require_tools();
    // The zone is not created at pdns: polyzone creates it.
    let pdns = Pdns::start();
    let s = start_and_drift(&pdns, "");
    assert!(
        wait_for(Duration::from_secs(5), || pdns.dig("mail.sync.test", "A")
            == vec!["192.0.2.3"]),
        "drift not healed\n{}",
        s.log()
    );
    assert!(s.log().contains("drift: mail.sync.test. A"), "{}", s.log());
    assert!(
        target_status(&s, "pdns")["drift_found"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    );
    drop(s);

    let pdns2 = Pdns::start();
    pdns2.create_zone(ZONE);
    let s = start_and_drift(&pdns2, "drift = \"report\"");
    assert!(
        wait_for(Duration::from_secs(5), || {
            target_status(&s, "pdns")["drift"]
                .as_array()
                .is_some_and(|d| {
                    d.iter()
                        .any(|l| l.as_str().unwrap_or("").starts_with("mail.sync.test. A"))
                })
        }),
        "drift not reported\n{}",
        s.log()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        pdns2.dig("mail.sync.test", "A"),
        vec!["192.0.2.66"],
        "report mode healed"
    );
    // Our own changes still go out in report mode.
    update(&s, "update add new.sync.test. 60 A 203.0.113.7\n");
    assert!(wait_for(Duration::from_secs(2), || pdns2
        .dig("new.sync.test", "A")
        == vec!["203.0.113.7"]));
    assert_eq!(pdns2.dig("mail.sync.test", "A"), vec!["192.0.2.66"]);
}

/// A target that is down does not hold back the other; it catches up by
/// itself when it is back.
#[test]
fn a_target_down_holds_back_nobody_and_catches_up() {
    require_tools();
    let mut pdns = Pdns::start();
    pdns.create_zone(ZONE);
    let moto = Moto::start(ZONE);
    let tables = pdns_table("pdns", &pdns.url(), pdns.dns_port, "") + &moto_table(&moto);
    // 700 more RRsets: Route 53 batches split (1,000 values, UPSERT counts
    // twice) and reads paged (300 a page).
    let mut zone = ZONE_FILE.to_string();
    for i in 0..700 {
        zone.push_str(&format!("bulk{i} A 198.51.{}.{}\n", i / 250, i % 250));
    }
    let s = start(&config(&["pdns", "r53"], &tables), &zone);
    assert!(wait_for(Duration::from_secs(20), || pdns
        .dig("mail.sync.test", "A")
        == vec!["192.0.2.3"]
        && moto.rrset("bulk699.sync.test.", "A").0
            == vec!["198.51.2.199"]));
    let (ok, plan) = s.cli(&["sync", "plan", "--target", "r53"]);
    assert!(ok && plan.contains("no changes"), "{plan}");
    pdns.stop();
    update(&s, "update add down.sync.test. 60 A 203.0.113.9\n");
    assert!(
        wait_for(Duration::from_secs(2), || moto
            .rrset("down.sync.test.", "A")
            .0
            == vec!["203.0.113.9"]),
        "route53 held back by a down pdns\n{}",
        s.log()
    );
    assert!(wait_for(Duration::from_secs(10), || target_status(
        &s, "pdns"
    )["state"]
        == "failing"));
    std::thread::sleep(Duration::from_millis(300));
    let st = target_status(&s, "pdns");
    assert!(
        st["lag_serials"].as_u64() >= Some(1) && st["lag_seconds"].as_f64() > Some(0.2),
        "{st}"
    );
    assert!(st["next_retry"].as_u64().is_some(), "{st}");
    assert!(target_status(&s, "pdns")["last_error"]
        .as_str()
        .unwrap_or("")
        .contains("connect"));
    pdns.restart();
    assert!(
        wait_for(Duration::from_secs(15), || pdns.dig("down.sync.test", "A")
            == vec!["203.0.113.9"]),
        "pdns did not catch up\n{}",
        s.log()
    );
    assert!(wait_for(Duration::from_secs(5), || target_status(
        &s, "pdns"
    )["state"]
        == "ok"));
}

/// 429 with Retry-After is waited out (and the change lands); 401 stops the
/// target with a clear status instead of retrying forever.
#[test]
fn throttling_is_honoured_and_refused_credentials_stop_the_target() {
    require_tools();
    let pdns = Pdns::start();
    pdns.create_zone(ZONE);
    let proxy = FaultProxy::start(pdns.api_port);
    let tables = pdns_table("pdns", &proxy.url(), pdns.dns_port, "");
    let s = start(&config(&["pdns"], &tables), ZONE_FILE);
    assert!(wait_for(Duration::from_secs(10), || pdns
        .dig("mail.sync.test", "A")
        == vec!["192.0.2.3"]));

    proxy.set(Fault::Throttle { n: 2, secs: 1 });
    proxy.times.lock().expect("times").clear();
    update(&s, "update add slow.sync.test. 60 A 203.0.113.10\n");
    assert!(
        wait_for(Duration::from_secs(10), || pdns.dig("slow.sync.test", "A")
            == vec!["203.0.113.10"]),
        "throttled change never landed\n{}",
        s.log()
    );
    let times = proxy.times.lock().expect("times").clone();
    let throttled: Vec<_> = times
        .iter()
        .filter(|(_, c)| *c == 429)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(throttled.len(), 2, "{times:?}");
    let after = times
        .iter()
        .find(|(t, c)| *c == 0 && *t > throttled[1])
        .expect("a request after the 429s")
        .0;
    assert!(
        after - throttled[1] >= Duration::from_millis(950),
        "Retry-After not honoured: {:?}",
        after - throttled[1]
    );
    assert!(
        throttled[1] - throttled[0] >= Duration::from_millis(950),
        "Retry-After not honoured between retries"
    );

    proxy.set(Fault::Unauthorized);
    update(&s, "update add denied.sync.test. 60 A 203.0.113.11\n");
    assert!(
        wait_for(Duration::from_secs(5), || target_status(&s, "pdns")
            ["state"]
            == "stopped"),
        "401 did not stop the target: {}\n{}",
        target_status(&s, "pdns"),
        s.log()
    );
    let st = target_status(&s, "pdns");
    assert!(
        st["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("authentication refused (HTTP 401)"),
        "{st}"
    );
    let seen = proxy.seen.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        proxy.seen.load(std::sync::atomic::Ordering::SeqCst),
        seen,
        "a stopped target kept retrying"
    );
    let (ok, out) = s.cli(&["sync", "status"]);
    assert!(!ok && out.contains("stopped"), "{out}");
    // Fixed credentials + a forced apply resume it.
    proxy.set(Fault::Pass);
    let (ok, out) = s.cli(&["sync", "apply"]);
    assert!(ok, "{out}");
    assert_eq!(pdns.dig("denied.sync.test", "A"), vec!["203.0.113.11"]);
}

/// A plan deleting more than 30% of a zone of 10+ records waits for
/// `--force`; a signed zone is refused for a target that would serve it
/// unsigned.
#[test]
fn safety_threshold_and_dnssec_guard() {
    require_tools();
    let pdns = Pdns::start();
    pdns.create_zone(ZONE);
    let mut zone = ZONE_FILE.to_string();
    for i in 0..10 {
        zone.push_str(&format!("bulk{i} A 198.51.100.{}\n", 10 + i));
    }
    let tables = pdns_table("pdns", &pdns.url(), pdns.dns_port, "");
    let s = start(&config(&["pdns"], &tables), &zone);
    assert!(wait_for(Duration::from_secs(10), || pdns
        .dig("bulk9.sync.test", "A")
        == vec!["198.51.100.19"]));
    let mut body = String::new();
    for i in 0..10 {
        body.push_str(&format!("update delete bulk{i}.sync.test. A\n"));
    }
    update(&s, &body);
    assert!(
        wait_for(Duration::from_secs(5), || target_status(&s, "pdns")
            ["state"]
            == "held"),
        "large deletion not held: {}",
        target_status(&s, "pdns")
    );
    assert_eq!(
        pdns.dig("bulk0.sync.test", "A"),
        vec!["198.51.100.10"],
        "deleted without --force"
    );
    let (ok, out) = s.cli(&["sync", "apply"]);
    assert!(
        !ok && out.contains("HELD") && out.contains("--force"),
        "{out}"
    );
    let (ok, out) = s.cli(&["sync", "apply", "--force"]);
    assert!(ok, "{out}");
    assert!(pdns.dig("bulk0.sync.test", "A").is_empty());
    assert!(wait_for(Duration::from_secs(5), || target_status(
        &s, "pdns"
    )["state"]
        == "ok"));
    drop(s);

    // A DNSKEY at the apex: the zone is signed, pdns would serve it unsigned.
    let signed = ZONE_FILE.to_string()
        + "@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n";
    let pdns2 = Pdns::start();
    pdns2.create_zone(ZONE);
    let tables = pdns_table(
        "pdns",
        &pdns2.url(),
        pdns2.dns_port,
        "drift_interval = \"1s\"",
    );
    let s = start(&config(&["pdns"], &tables), &signed);
    assert!(wait_for(Duration::from_secs(5), || target_status(
        &s, "pdns"
    )["state"]
        == "refused"));
    // A refused serial is re-checked at the drift interval, not in a busy loop.
    let before = cpu_ticks(s.child.id());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(s.child.id()) - before;
    assert!(
        used < 100,
        "the worker spins on a refused plan: {used} ticks in 3 s"
    );
    let (ok, out) = s.cli(&["sync", "plan"]);
    assert!(
        !ok && out.contains("REFUSED") && out.contains("DNSSEC-signed"),
        "{out}"
    );
    assert!(
        pdns2.dig("www.sync.test", "A").is_empty(),
        "a signed zone was pushed unsigned"
    );
}

/// Kills polyzone (SIGKILL) and starts it again on the same data: the
/// applied serial was recorded, so nothing is pushed again; a serial the
/// provider missed while polyzone was down (or mid-push) goes out.
fn restart(mut s: Server, config: &str) -> Server {
    let _ = s.child.kill();
    let _ = s.child.wait();
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    drop(s);
    Server::start_in(dir, config, ZONE)
}

#[test]
fn a_restart_resumes_without_pushing_again() {
    require_tools();
    let pdns = Pdns::start();
    pdns.create_zone(ZONE);
    let proxy = FaultProxy::start(pdns.api_port);
    let cfg = config(
        &["pdns"],
        &pdns_table("pdns", &proxy.url(), pdns.dns_port, ""),
    );
    let s = start(&cfg, ZONE_FILE);
    assert!(wait_for(Duration::from_secs(10), || target_status(
        &s, "pdns"
    )["state"]
        == "ok"));
    let s = restart(s, &cfg);
    let before = proxy.seen.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    let st = target_status(&s, "pdns");
    assert_eq!(st["applied_serial"], st["current_serial"], "{st}");
    assert_eq!(
        proxy.seen.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "an applied serial was pushed again after a restart"
    );
    // An update, then a kill before (or while) it is pushed: the next
    // start converges, and the RRset is there once.
    update(&s, "update add crash.sync.test. 60 A 203.0.113.20\nupdate add crash.sync.test. 60 A 203.0.113.21\n");
    let s = restart(s, &cfg);
    assert!(
        wait_for(Duration::from_secs(10), || pdns.dig("crash.sync.test", "A")
            == vec!["203.0.113.20", "203.0.113.21"]),
        "no convergence after a restart\n{}",
        s.log()
    );
    assert_eq!(pdns.rrset(ZONE, "crash.sync.test.", "A").0.len(), 2);
    let (ok, plan) = s.cli(&["sync", "plan"]);
    assert!(ok && plan.contains("no changes"), "{plan}");
}

/// `polyzone import --zone Z --target T` reads a zone from a provider and
/// writes a BIND file that loads.
#[test]
fn import_reads_a_zone_from_a_provider() {
    require_tools();
    let pdns = Pdns::start();
    pdns.create_zone("imported.test");
    pdns.replace(
        "imported.test",
        "www.imported.test.",
        "A",
        120,
        &["192.0.2.5", "192.0.2.6"],
    );
    pdns.replace(
        "imported.test",
        "t.imported.test.",
        "TXT",
        60,
        &["\"a b\" \"c\""],
    );
    pdns.replace(
        "imported.test",
        "ns1.imported.test.",
        "A",
        60,
        &["127.0.0.1"],
    );
    let tables = pdns_table("pdns", &pdns.url(), pdns.dns_port, "");
    let s = start(&config(&["pdns"], &tables), ZONE_FILE);
    let out = s.path().join("imported.zone");
    let (ok, text) = s.cli(&[
        "import",
        "--zone",
        "imported.test",
        "--target",
        "pdns",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(ok, "{text}");
    let zone = std::fs::read_to_string(&out).expect("imported file");
    assert!(
        zone.contains("www.imported.test.\t120\tIN\tA\t192.0.2.5"),
        "{zone}"
    );
    assert!(
        zone.contains("t.imported.test.\t60\tIN\tTXT\t\"a b\" \"c\""),
        "{zone}"
    );
    let first = zone.lines().find(|l| !l.starts_with(';')).unwrap_or("");
    assert!(first.contains("\tSOA\t"), "SOA must come first: {zone}");
    // It loads as a zone.
    require("named-checkzone");
    let o = Command::new("named-checkzone")
        .args(["imported.test"])
        .arg(&out)
        .output()
        .expect("run named-checkzone");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

/// A `secondary` target pulls by zone transfer: the engine only watches
/// the serial its nameservers serve. Here the nameserver is polyzone
/// itself (it always serves its current serial), so the target follows
/// every update; verify compares the SOA serial.
#[test]
fn a_secondary_target_is_followed_by_its_serial() {
    require_tools();
    let tables = r#"
[[target]]
name = "sec"
kind = "secondary"
nameservers = ["127.0.0.1:{PORT}"]
"#;
    let s = start(&config(&["sec"], tables), ZONE_FILE);
    assert!(
        wait_for(Duration::from_secs(5), || target_status(&s, "sec")["state"]
            == "ok"),
        "{}",
        target_status(&s, "sec")
    );
    update(&s, "update add sec.sync.test. 60 A 203.0.113.30\n");
    assert!(wait_for(Duration::from_secs(5), || {
        let st = target_status(&s, "sec");
        st["applied_serial"] == st["current_serial"] && st["current_serial"] != 1
    }));
    let (ok, out) = s.cli(&["verify", ZONE]);
    assert!(
        ok && out.contains("sec (127.0.0.1:") && out.contains("1 of 1 match"),
        "{out}"
    );
}

/// named as a primary taking TSIG-signed RFC 2136 UPDATEs: polyzone reads
/// it by AXFR and pushes every serial as one UPDATE; dig shows the result.
#[test]
fn rfc2136_target_pushes_to_named_by_update() {
    require_tools();
    require("named");
    let d = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let named_secret = "bmFtZWQtdXBkYXRlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZA==";
    let conf = format!(
        "options {{ directory \"{dir}\"; listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
         pid-file \"{dir}/named.pid\"; session-keyfile \"{dir}/session.key\"; managed-keys-directory \"{dir}\";\n\
         recursion no; dnssec-validation no; notify no; }};\ncontrols {{ }};\n\
         key \"push\" {{ algorithm hmac-sha256; secret \"{named_secret}\"; }};\n\
         zone \"sync.test\" {{ type primary; file \"{dir}/sync.test.zone\"; allow-update {{ key push; }}; allow-transfer {{ key push; }}; }};\n",
        dir = d.path().display()
    );
    std::fs::write(d.path().join("named.conf"), conf).expect("named.conf");
    let mut named = Command::new("named");
    named
        .args(["-g", "-n", "1", "-c"])
        .arg(d.path().join("named.conf"));
    let _named = start_primary("named", named, d.path(), port);
    rfc2136_suite(port, named_secret);
}

/// The zone an RFC 2136 primary starts with: one name (`old`) that
/// polyzone does not manage, for `purge = true` to remove.
const PRIMARY_ZONE: &str = "$ORIGIN sync.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 127.0.0.1\nold A 192.0.2.200\n";

/// Writes [`PRIMARY_ZONE`] to `dir`/sync.test.zone, runs `cmd` (named or
/// knotd, configured to load it and listen on `port`) with its stderr in
/// `dir`/`what`.log, and waits until it answers for the zone.
fn start_primary(what: &str, mut cmd: Command, dir: &Path, port: u16) -> Kill {
    std::fs::write(dir.join("sync.test.zone"), PRIMARY_ZONE).expect("primary zone");
    let log_path = dir.join(format!("{what}.log"));
    let log = std::fs::File::create(&log_path).expect("log");
    let peer = Kill(
        cmd.stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}")),
    );
    let up = wait_for(Duration::from_secs(15), || {
        !dig_short(port, "sync.test", "SOA").is_empty()
    });
    assert!(
        up,
        "{what} did not start: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    peer
}

/// Stops a peer process (by PID) when the test ends, passed or not.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Pushes the zone by UPDATE to the primary on `port` (key `push`) and
/// checks the result over DNS there.
fn rfc2136_suite(port: u16, secret: &str) {
    let dig = |name: &str, t: &str| dig_short(port, name, t);
    let tables = format!(
        r#"
[[target]]
name = "named"
kind = "rfc2136"
server = "127.0.0.1:{port}"
tsig_key = "push"
api_key_file = "zones/named.secret"
nameservers = ["127.0.0.1:{port}"]
purge = true
"#
    );
    let s = Server::start(
        &config(&["named"], &tables),
        &[("sync.test.zone", ZONE_FILE), ("named.secret", secret)],
        ZONE,
    );
    assert!(
        wait_for(Duration::from_secs(10), || dig("www.sync.test", "A")
            == vec!["192.0.2.1", "192.0.2.2"]),
        "{}\n{}",
        target_status(&s, "named"),
        s.log()
    );
    assert_eq!(
        dig("_sip._tcp.sync.test", "SRV"),
        vec!["0 5 5060 www.sync.test."]
    );
    assert!(
        dig("old.sync.test", "A").is_empty(),
        "purge = true removes what polyzone does not manage"
    );
    update(
        &s,
        "update add new.sync.test. 60 A 203.0.113.7\nupdate delete www.sync.test. A 192.0.2.2\n",
    );
    assert!(wait_for(Duration::from_secs(1), || dig(
        "new.sync.test",
        "A"
    ) == vec![
        "203.0.113.7"
    ] && dig(
        "www.sync.test",
        "A"
    ) == vec![
        "192.0.2.1"
    ]));
    let (ok, plan) = s.cli(&["sync", "plan"]);
    assert!(ok && plan.contains("no changes"), "{plan}");
    let (ok, out) = s.cli(&["verify", ZONE]);
    assert!(ok, "{out}");
}

/// The same by UPDATE to knotd (TSIG, AXFR read-back).
#[test]
fn rfc2136_target_pushes_to_knot_by_update() {
    require_tools();
    require("knotd");
    let d = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let secret = "a25vdC11cGRhdGUtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZQ==";
    std::fs::create_dir_all(d.path().join("db")).expect("db dir");
    let dir = d.path().display();
    let conf = format!(
        "server:\n    rundir: \"{dir}\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{dir}/db\"\n\
         key:\n  - id: push\n    algorithm: hmac-sha256\n    secret: {secret}\n\
         acl:\n  - id: push_acl\n    key: push\n    action: [update, transfer]\n\
         zone:\n  - domain: sync.test\n    storage: \"{dir}\"\n    file: \"sync.test.zone\"\n    acl: push_acl\n    zonefile-sync: -1\n"
    );
    std::fs::write(d.path().join("knot.conf"), conf).expect("knot.conf");
    let mut knot = Command::new("knotd");
    knot.arg("-c").arg(d.path().join("knot.conf"));
    let _knot = start_primary("knotd", knot, d.path(), port);
    rfc2136_suite(port, secret);
}

/// utime + stime of a process, in clock ticks (/proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) follow ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}
