//! End-to-end zone transfers out: knotd, nsd and named as TSIG secondaries
//! of polyzone (initial AXFR, NOTIFY → IXFR, many updates across a
//! restart), the transfer access list (key-only and CIDR-only), NOTIFY
//! received as a primary, IXFR from a serial the journal no longer holds,
//! and a 1,000,000-record AXFR to kdig and to knotd.
//!
//! Every check reads the peers' own view: their logs (to prove an IXFR was
//! used) and their answers (dig, AXFR of their copy), compared with what
//! `polyzone zone export` prints.

mod common;
#[path = "support/dig.rs"]
#[allow(dead_code)]
mod dig;
#[path = "support/nsupdate.rs"]
mod nsupdate;
#[path = "support/peers.rs"]
mod peers;
#[path = "support/raw.rs"]
#[allow(dead_code)]
mod raw;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{polyzone_bin, require, soa_answers, wait_for, Server};
use dig::Rr;
use nsupdate::{send, Client};
use peers::{Kind, Peer};

const ZONE: &str = "xfr.test";
/// hmac-sha256 secret shared with the peers (test-only).
const SECRET: &str = "dGhpcy1pcy10aGUteGZyLXRlc3Qta2V5LW9mLTMyLWI=";
const OTHER_SECRET: &str = "b3RoZXIta2V5LW5vdC1vbi10aGUtdHJhbnNmZXItbGk=";

fn key_y() -> String {
    format!("hmac-sha256:xfr-key:{SECRET}")
}

/// A zone from the project's generator.
fn gen_zone(n: usize, out: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/gen_zone.py");
    let st = Command::new("python3")
        .arg(script)
        .args(["-n", &n.to_string(), "-z", ZONE, "-o"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .expect("run gen_zone.py");
    assert!(st.success(), "gen_zone.py failed");
}

/// The server's log without terminal colour codes.
fn plain_log(s: &Server) -> String {
    let log = s.log();
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn serial_of(s: &Server) -> u32 {
    let out = s.dig(&["+short", ZONE, "SOA"]);
    out.split_whitespace()
        .nth(2)
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no SOA from polyzone: {out}"))
}

/// Records of dig/`zone export` text as a set (SOA once, names lowercase).
fn record_set(text: &str) -> BTreeSet<Rr> {
    text.lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .filter_map(Rr::parse)
        .map(|mut r| {
            r.owner = r.owner.to_lowercase();
            r
        })
        .collect()
}

fn export(s: &Server) -> BTreeSet<Rr> {
    record_set(&s.export(ZONE))
}

/// Stops polyzone (SIGTERM) and starts it again on the same ports.
fn restart(s: &mut Server) {
    s.signal("TERM");
    let _ = s.child.wait();
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(s.path().join("server.log"))
        .expect("log");
    s.child = common::spawn_serve(s.path(), log);
    assert!(
        wait_for(Duration::from_secs(30), || soa_answers(s.addr, ZONE)),
        "polyzone did not come back: {}",
        s.log()
    );
}

fn primary_config(peers: &[Peer], extra_zone_keys: &str) -> String {
    let notify: Vec<String> = peers
        .iter()
        .map(|p| format!("{{ addr = \"127.0.0.1:{}\", key = \"xfr-key\" }}", p.port))
        .collect();
    xfr_config(
        "",
        &format!(
            "zonefile_sync = true\nupdate = [\"xfr-key\"]\ntransfer = [\"xfr-key\"]\nnotify = [{}]\n{extra_zone_keys}",
            notify.join(", ")
        ),
    )
}

/// The config of polyzone serving ZONE from its file, with the key
/// `xfr-key`: `server_keys` go in the `[server]` table, `zone_keys` in the
/// zone's.
fn xfr_config(server_keys: &str, zone_keys: &str) -> String {
    format!(
        r#"[server]
listen = ["127.0.0.1:{{PORT}}"]
api_listen = "127.0.0.1:{{API_PORT}}"
{server_keys}

[[tsig]]
name = "xfr-key"
secret = "{SECRET}"

[[zone]]
name = "{ZONE}"
file = "zones/{ZONE}.zone"
{zone_keys}
"#
    )
}

/// Starts polyzone with the generated zone and the peers' NOTIFY
/// addresses, then the peers; waits for the initial AXFR everywhere.
fn primary_with_peers(records: usize, extra: &str) -> (Server, Vec<Peer>) {
    for k in peers::ALL {
        require(k.tool());
    }
    require("dig");
    require("nsupdate");
    let mut peers: Vec<Peer> = peers::ALL.iter().map(|k| Peer::new(*k)).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("zones")).expect("zones dir");
    gen_zone(records, &dir.path().join(format!("zones/{ZONE}.zone")));
    let s = Server::start_in(dir, &primary_config(&peers, extra), ZONE);
    for p in &mut peers {
        p.start(ZONE, s.port, SECRET);
    }
    let s0 = serial_of(&s);
    for p in &peers {
        assert!(
            p.wait_serial(ZONE, s0, Duration::from_secs(60)),
            "{:?} did not get serial {s0} by AXFR; its log:\n{}\npolyzone:\n{}",
            p.kind,
            p.log(),
            plain_log(&s)
        );
    }
    (s, peers)
}

/// Each peer's own evidence that it took serial `to` by IXFR.
fn assert_ixfr_in_peer_log(p: &Peer, to: u32) {
    let log = p.log();
    let ok = match p.kind {
        // "[xfr.test.] IXFR, incoming, remote 127.0.0.1@P, finished, ..."
        // then "refresh, ..., zone updated, ..., serial 1 -> 2, ..."
        Kind::Knot => {
            log.lines()
                .any(|l| l.contains("IXFR, incoming") && l.contains("finished"))
                && log.contains(&format!("-> {to},"))
        }
        // nsd does not name the transfer type; it logs the size of what it
        // received: "received update to serial N ... of B bytes". An IXFR
        // of a small change is a small fraction of the initial AXFR.
        Kind::Nsd => {
            let bytes = |serial: String| {
                log.lines()
                    .find(|l| {
                        l.contains(&format!("received update to serial {serial} "))
                            && l.contains(" of ")
                    })
                    .and_then(|l| l.split(" of ").nth(1))
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|b| b.parse::<u64>().ok())
            };
            let first = log
                .lines()
                .find_map(|l| l.split("received update to serial ").nth(1))
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string);
            match (first.and_then(bytes), bytes(to.to_string())) {
                (Some(full), Some(inc)) => inc * 10 < full,
                _ => false,
            }
        }
        // named logs the record count of each transfer: "Transfer
        // completed: 1 messages, 6 records, ... (serial 2)". An IXFR of a
        // small change carries a handful, the AXFR the whole zone.
        Kind::Named => {
            let records = |l: &str| {
                l.split("messages, ")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            };
            let done: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("Transfer completed"))
                .collect();
            let first = done.first().and_then(|l| records(l));
            let last = done
                .iter()
                .find(|l| l.ends_with(&format!("(serial {to})")))
                .and_then(|l| records(l));
            matches!((first, last), (Some(full), Some(inc)) if inc * 10 < full)
        }
    };
    if std::env::var("XFR_DEBUG").is_ok() {
        eprintln!("===== {:?} ok={ok}\n{log}", p.kind);
        return;
    }
    assert!(
        ok,
        "{:?}: no IXFR to serial {to} in its log:\n{log}",
        p.kind
    );
}

#[test]
fn secondaries_follow_by_notify_and_ixfr_across_restart() {
    let (mut s, peers) = primary_with_peers(500, "");
    let s0 = serial_of(&s);
    let log = plain_log(&s);
    for p in &peers {
        assert!(
            log.lines().any(|l| l.contains("transfer sent")
                && l.contains(&format!("peer={}:", p.kind.source()))
                && l.contains("\"AXFR\"")),
            "no AXFR to {:?} in polyzone's log:\n{log}",
            p.kind
        );
    }

    // One update → NOTIFY → IXFR at each peer.
    let rc = send(
        &s,
        Client::NsupdateY(&key_y()),
        ZONE,
        &format!("update add new1.{ZONE}. 300 IN A 192.0.2.55\nupdate delete r1.{ZONE}. A\n"),
    );
    assert_eq!(rc, "NOERROR");
    let s1 = serial_of(&s);
    assert_ne!(s1, s0);
    for p in &peers {
        assert!(
            p.wait_serial(ZONE, s1, Duration::from_secs(10)),
            "{:?} did not follow to {s1}:\n{}",
            p.kind,
            p.log()
        );
        assert_eq!(
            p.dig(&["+short", &format!("new1.{ZONE}"), "A"]).trim(),
            "192.0.2.55",
            "{:?}",
            p.kind
        );
        assert_eq!(
            p.dig(&["+short", &format!("r1.{ZONE}"), "A"]).trim(),
            "",
            "{:?}",
            p.kind
        );
        assert_ixfr_in_peer_log(p, s1);
    }
    let log = plain_log(&s);
    for p in &peers {
        assert!(
            log.lines().any(|l| l.contains("transfer sent")
                && l.contains(&format!("peer={}:", p.kind.source()))
                && l.contains("\"IXFR\"")
                && l.contains(&format!("serial={s1}"))),
            "no IXFR to {:?} in polyzone's log:\n{log}",
            p.kind
        );
        assert!(log.contains("NOTIFY acknowledged"), "{log}");
    }

    // Twenty more, with a restart after the tenth.
    for i in 0..20 {
        let rc = send(
            &s,
            Client::NsupdateY(&key_y()),
            ZONE,
            &format!(
                "update add u{i}.{ZONE}. 300 IN TXT \"update {i}\"\nupdate delete r{}.{ZONE}.\n",
                10 + i
            ),
        );
        assert_eq!(rc, "NOERROR", "update {i}");
        if i == 9 {
            restart(&mut s);
        }
    }
    let last = serial_of(&s);
    let want = export(&s);
    assert!(want.iter().any(|r| r.owner == format!("u19.{ZONE}.")));
    for p in &peers {
        assert!(
            p.wait_serial(ZONE, last, Duration::from_secs(30)),
            "{:?} did not reach {last}:\n{}",
            p.kind,
            p.log()
        );
        let got = record_set(&p.dig(&["+noall", "+answer", ZONE, "AXFR"]));
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{:?} differs from `zone export`: missing {missing:?}, extra {extra:?}",
            p.kind
        );
    }
    // Migration path: import from a real primary (named's copy, unsigned)
    // and from polyzone itself (TSIG key named in the config).
    let named = peers.iter().find(|p| p.kind == Kind::Named).expect("named");
    let out_named = s.path().join("imported-from-named.zone");
    let imported = import(&s, named.port, None, &out_named);
    assert_eq!(
        imported, want,
        "import from named differs from `zone export`"
    );
    let out_self = s.path().join("imported-from-polyzone.zone");
    assert_eq!(import(&s, s.port, Some("xfr-key"), &out_self), want);
    // An existing file is kept without --force.
    let again = Command::new(polyzone_bin())
        .args([
            "import",
            "--zone",
            ZONE,
            "--axfr",
            &format!("127.0.0.1:{}", named.port),
            "--out",
        ])
        .arg(&out_named)
        .output()
        .expect("run import");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    // The status registry saw every peer's last transfer and NOTIFY ack.
    let acked = |v: &serde_json::Value, p: &Peer| {
        v["notify"].as_array().is_some_and(|a| {
            a.iter().any(|n| {
                n["address"] == format!("127.0.0.1:{}", p.port) && n["acked_serial"] == last
            })
        })
    };
    assert!(
        wait_for(Duration::from_secs(10), || {
            let v = status(&s);
            peers.iter().all(|p| acked(&v, p))
        }),
        "NOTIFY of {last} not acknowledged by all: {}",
        status(&s)
    );
    let v = status(&s);
    for p in &peers {
        let t = v["transfers"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["source"] == p.kind.source()))
            .unwrap_or_else(|| panic!("no transfer status for {:?}: {v}", p.kind));
        assert_eq!(t["serial"], last, "{v}");
    }

    // The registry survives a restart: the peers are current, so nothing
    // transfers again, yet every peer's last transfer is still known (and
    // counts on). `polyzone sync status` shows it.
    restart(&mut s);
    let transferred_before = |v: &serde_json::Value, p: &Peer| {
        v["transfers"].as_array().is_some_and(|a| {
            a.iter().any(|t| {
                t["source"] == p.kind.source()
                    && t["serial"] == last
                    && t["count"].as_u64().is_some_and(|c| c >= 2)
            })
        })
    };
    assert!(
        wait_for(Duration::from_secs(10), || try_status(&s)
            .is_some_and(|v| peers.iter().all(|p| transferred_before(&v, p)))),
        "the transfer status did not survive the restart: {:?}",
        try_status(&s)
    );
    let out = Command::new(polyzone_bin())
        .args(["sync", "status", "--config"])
        .arg(s.path().join("polyzone.toml"))
        .output()
        .expect("run polyzone sync status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in &peers {
        let has = |kind: &str, who: &str| {
            text.lines().any(|l| {
                l.contains(kind)
                    && l.contains(who)
                    && l.split_whitespace().any(|w| w == last.to_string())
            })
        };
        assert!(
            has("transfer", p.kind.source()),
            "{:?} transfer missing:\n{text}",
            p.kind
        );
        assert!(
            has("notify", &format!("127.0.0.1:{}", p.port)),
            "{:?} NOTIFY missing:\n{text}",
            p.kind
        );
    }
}

/// `polyzone import --axfr` into `out`; the records it wrote.
fn import(s: &Server, port: u16, key: Option<&str>, out: &Path) -> BTreeSet<Rr> {
    let mut cmd = Command::new(polyzone_bin());
    cmd.args([
        "import",
        "--zone",
        ZONE,
        "--axfr",
        &format!("127.0.0.1:{port}"),
    ])
    .arg("--out")
    .arg(out)
    .arg("--config")
    .arg(s.path().join("polyzone.toml"));
    if let Some(k) = key {
        cmd.args(["--tsig", k]);
    }
    let o = cmd.output().expect("run polyzone import");
    assert!(
        o.status.success(),
        "import from {port} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    record_set(&std::fs::read_to_string(out).expect("imported file"))
}

/// `GET /api/v1/zones/ZONE/secondaries`, or what kept it from answering.
fn secondaries(s: &Server) -> Result<serde_json::Value, String> {
    let token = std::fs::read_to_string(s.path().join("data/control.token"))
        .map_err(|e| format!("token: {e}"))?;
    let out = Command::new("curl")
        .args([
            "-sf",
            "-H",
            &format!("Authorization: Bearer {}", token.trim()),
        ])
        .arg(format!(
            "http://127.0.0.1:{}/api/v1/zones/{ZONE}/secondaries",
            api_port(s)
        ))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    serde_json::from_slice(&out.stdout).map_err(|e| format!("status JSON: {e}"))
}

/// [`status`], or `None` while the API does not answer.
fn try_status(s: &Server) -> Option<serde_json::Value> {
    secondaries(s).ok()
}

/// `GET /api/v1/zones/ZONE/secondaries`.
fn status(s: &Server) -> serde_json::Value {
    secondaries(s).unwrap_or_else(|e| panic!("{e}"))
}

/// The API port from the config the harness wrote.
fn api_port(s: &Server) -> u16 {
    let cfg = std::fs::read_to_string(s.path().join("polyzone.toml")).expect("config");
    cfg.lines()
        .find_map(|l| l.strip_prefix("api_listen = \"127.0.0.1:"))
        .and_then(|l| l.trim_end_matches('"').parse().ok())
        .expect("api_listen in config")
}

fn kdig(s: &Server, args: &[&str]) -> String {
    let out = Command::new("kdig")
        .arg("@127.0.0.1")
        .arg("-p")
        .arg(s.port.to_string())
        .args(["+time=5", "+retry=0"])
        .args(args)
        .output()
        .expect("run kdig");
    let mut t = String::from_utf8_lossy(&out.stdout).into_owned();
    t.push_str(&String::from_utf8_lossy(&out.stderr));
    t
}

/// Records kdig reports for a finished transfer (`;; Received ... K records`).
fn kdig_records(out: &str) -> Option<usize> {
    let l = out.lines().find(|l| l.starts_with(";; Received"))?;
    let i = l.find(" records")?;
    l[..i].rsplit([' ', '(']).next()?.parse().ok()
}

#[test]
fn transfer_acl_key_only_cidr_only_and_notify_refused() {
    require("kdig");
    require("dig");
    // A 20 KB TXT record: bigger than a usual transfer message.
    let big = format!("\"{}\" ", "x".repeat(250)).repeat(80);
    let zone = |name: &str| {
        format!(
            "$ORIGIN {name}.\n$TTL 300\n@ SOA ns hostmaster 7 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nbig TXT {big}\n"
        )
    };
    let config = format!(
        r#"[server]
listen = ["127.0.0.1:{{PORT}}"]
api_listen = "127.0.0.1:{{API_PORT}}"
[[tsig]]
name = "xfr-key"
secret = "{SECRET}"
[[tsig]]
name = "other-key"
secret = "{OTHER_SECRET}"
[[zone]]
name = "keyonly.test"
file = "zones/keyonly.test.zone"
transfer = ["xfr-key"]
[[zone]]
name = "cidr.test"
file = "zones/cidr.test.zone"
transfer = ["127.0.0.2/32"]
[[zone]]
name = "closed.test"
file = "zones/closed.test.zone"
"#
    );
    let s = Server::start(
        &config,
        &[
            ("keyonly.test.zone", &zone("keyonly.test")),
            ("cidr.test.zone", &zone("cidr.test")),
            ("closed.test.zone", &zone("closed.test")),
        ],
        "keyonly.test",
    );
    let ok = |out: &str| kdig_records(out) == Some(6);
    let refused = |out: &str| out.contains("REFUSED") && kdig_records(out).is_none();
    let y = format!("hmac-sha256:xfr-key:{SECRET}");
    let other = format!("hmac-sha256:other-key:{OTHER_SECRET}");
    let wrong = format!("hmac-sha256:xfr-key:{OTHER_SECRET}");

    // Key-only list: the key admits, nothing else does.
    let out = kdig(&s, &["-y", &y, "keyonly.test", "AXFR"]);
    assert!(ok(&out), "{out}");
    let out = kdig(&s, &["keyonly.test", "AXFR"]);
    assert!(refused(&out), "unsigned: {out}");
    let out = kdig(&s, &["-y", &other, "keyonly.test", "AXFR"]);
    assert!(refused(&out), "unlisted key: {out}");
    let out = kdig(&s, &["-y", &wrong, "keyonly.test", "AXFR"]);
    assert!(
        kdig_records(&out).is_none() && (out.contains("NOTAUTH") || out.contains("BADSIG")),
        "wrong secret: {out}"
    );
    let out = kdig(&s, &["-y", &y, "keyonly.test", "IXFR=1"]);
    assert!(kdig_records(&out).is_some(), "IXFR with the key: {out}");
    let out = kdig(&s, &["keyonly.test", "IXFR=1"]);
    assert!(refused(&out), "unsigned IXFR: {out}");

    // CIDR-only list: the source address decides, a key adds nothing.
    let out = kdig(&s, &["-b", "127.0.0.2", "cidr.test", "AXFR"]);
    assert!(ok(&out), "listed address: {out}");
    let out = kdig(&s, &["-b", "127.0.0.1", "cidr.test", "AXFR"]);
    assert!(refused(&out), "unlisted address: {out}");
    let out = kdig(&s, &["-b", "127.0.0.1", "-y", &y, "cidr.test", "AXFR"]);
    assert!(refused(&out), "unlisted address with a key: {out}");

    // No list: refused to all.
    let out = kdig(&s, &["-y", &y, "closed.test", "AXFR"]);
    assert!(refused(&out), "no transfer list: {out}");
    // A name that is not a zone apex: NOTAUTH.
    let out = kdig(&s, &["-y", &y, "www.keyonly.test", "AXFR"]);
    assert!(out.contains("NOTAUTH"), "{out}");

    // Secondaries poll with TSIG-signed SOA queries: signed answers.
    let out = s.dig(&["-y", &y, "keyonly.test", "SOA"]);
    assert!(out.contains("status: NOERROR"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("TSIG") && l.contains("NOERROR")),
        "no TSIG in the SOA answer: {out}"
    );
    assert!(!out.contains("tsig verify failure"), "{out}");

    // NOTIFY to a primary: REFUSED (opcode echoed).
    let notify = raw::query(0x4242, 4 << 11, "keyonly.test", 6);
    let reply = raw::udp_exchange(s.addr, &notify, Duration::from_secs(2)).expect("an answer");
    assert!(raw::is_response(&reply));
    assert_eq!((raw::opcode(&reply), raw::rcode(&reply)), (4, 5));
}

#[test]
fn ixfr_from_beyond_the_journal_gets_the_whole_zone() {
    require("dig");
    require("nsupdate");
    let config = xfr_config(
        "journal_max_diffs = 2",
        "zonefile_sync = true\nupdate = [\"xfr-key\"]\ntransfer = [\"127.0.0.0/8\"]",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("zones")).expect("zones dir");
    gen_zone(50, &dir.path().join(format!("zones/{ZONE}.zone")));
    let s = Server::start_in(dir, &config, ZONE);
    let s0 = serial_of(&s);
    for i in 0..6 {
        let rc = send(
            &s,
            Client::NsupdateY(&key_y()),
            ZONE,
            &format!("update add j{i}.{ZONE}. 300 IN A 192.0.2.{}\n", 10 + i),
        );
        assert_eq!(rc, "NOERROR");
    }
    let now = serial_of(&s);
    let answer = |from: u32| -> Vec<Rr> {
        s.dig(&["+noall", "+answer", ZONE, &format!("IXFR={from}")])
            .lines()
            .filter_map(Rr::parse)
            .collect()
    };
    // Beyond the journal: AXFR form, SOA first and last, nothing but data
    // in between, exactly the exported zone.
    let full = answer(s0);
    assert!(full.len() > 50, "{full:?}");
    assert_eq!(full[0].rtype, "SOA");
    assert_eq!(full.last().map(|r| r.rtype.as_str()), Some("SOA"));
    assert_eq!(
        full.iter().filter(|r| r.rtype == "SOA").count(),
        2,
        "AXFR form has no inner SOA: {full:?}"
    );
    let got: BTreeSet<Rr> = full
        .into_iter()
        .map(|mut r| {
            r.owner = r.owner.to_lowercase();
            r
        })
        .collect();
    assert_eq!(got, export(&s));
    // Within reach: incremental (old SOA second), just the last addition.
    let inc = answer(now - 1);
    let types: Vec<&str> = inc.iter().map(|r| r.rtype.as_str()).collect();
    assert_eq!(types, ["SOA", "SOA", "SOA", "A", "SOA"], "{inc:?}");
    assert_eq!(inc[3].owner, format!("j5.{ZONE}."));
    // Current: the single SOA.
    let cur = answer(now);
    assert_eq!(cur.len(), 1, "{cur:?}");
    // Over UDP a small IXFR fits in one datagram.
    let udp: Vec<Rr> = s
        .dig(&[
            "+notcp",
            "+noall",
            "+answer",
            ZONE,
            &format!("IXFR={}", now - 1),
        ])
        .lines()
        .filter_map(Rr::parse)
        .collect();
    assert_eq!(udp.len(), 5, "{udp:?}");
    assert!(plain_log(&s).contains("journal no longer reaches"));
}

#[test]
fn million_record_axfr_to_kdig_and_knotd() {
    require("kdig");
    require("knotd");
    let n = 1_000_000;
    let mut knot = Peer::new(Kind::Knot);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("zones")).expect("zones dir");
    let file: PathBuf = dir.path().join(format!("zones/{ZONE}.zone"));
    gen_zone(n, &file);
    let in_file = std::fs::read_to_string(&file)
        .expect("zone")
        .lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with('$') && !l.trim().is_empty())
        .count();
    let config = xfr_config(
        "",
        &format!(
            "transfer = [\"xfr-key\", \"127.0.0.1/32\"]\nnotify = [{{ addr = \"127.0.0.1:{}\", key = \"xfr-key\" }}]",
            knot.port
        ),
    );
    // Time for a debug build to load 1,000,000 records on a busy CI
    // machine.
    let s = Server::start_in_within(dir, &config, ZONE, Duration::from_secs(300));
    let serial = serial_of(&s);
    // kdig: every record, SOA counted twice.
    let out = kdig(&s, &["-y", &key_y(), ZONE, "AXFR"]);
    assert_eq!(kdig_records(&out), Some(in_file + 1), "{out}");
    // knotd pulls it (TSIG, many messages) and serves it.
    knot.start(ZONE, s.port, SECRET);
    assert!(
        knot.wait_serial(ZONE, serial, Duration::from_secs(180)),
        "knotd did not load the 1M zone:\n{}",
        knot.log()
    );
    let out = Command::new("kdig")
        .arg("@127.0.0.1")
        .arg("-p")
        .arg(knot.port.to_string())
        .args([ZONE, "AXFR"])
        .output()
        .expect("kdig");
    let out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(kdig_records(&out), Some(in_file + 1), "{out}");
    assert!(knot.log().contains("AXFR, incoming"), "{}", knot.log());
}
