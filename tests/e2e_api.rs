//! End-to-end tests of the control API against the real binary: every
//! endpoint and every documented error status, scoped tokens, rate limits,
//! `if_serial` under concurrent writers, TLS, and the Prometheus scrape.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{require, wait_for, Server, SERVER_TABLE};
use polyzone::api::auth::hash_text;
use polyzone::cli::client::{send, Reply};
use serde_json::{json, Value};

const ZONES: &[(&str, &str)] = &[
    (
        "api.test.zone",
        "$ORIGIN api.test.\n$TTL 3600\n\
         @    IN SOA ns1.api.test. hostmaster.api.test. 1 7200 3600 1209600 300\n\
         @    IN NS  ns1.api.test.\n\
         ns1  IN A   192.0.2.1\n\
         www  IN A   192.0.2.80\n",
    ),
    (
        "other.test.zone",
        "$ORIGIN other.test.\n$TTL 3600\n\
         @    IN SOA ns1.other.test. hostmaster.other.test. 1 7200 3600 1209600 300\n\
         @    IN NS  ns1.other.test.\n\
         ns1  IN A   192.0.2.2\n",
    ),
];

fn config(extra_server: &str) -> String {
    format!(
        r#"
{SERVER_TABLE}{extra_server}

[[zone]]
name = "api.test"
file = "zones/api.test.zone"

[[zone]]
name = "other.test"
file = "zones/other.test.zone"

[[token]]
name = "ci"
scope = "write"
zones = ["api.test"]
hash = "{ci}"

[[token]]
name = "viewer"
scope = "read"
hash = "{viewer}"

[[token]]
name = "slow"
scope = "read"
rate = "2/m"
hash = "{slow}"
"#,
        ci = hash_text("ci-secret"),
        viewer = hash_text("viewer-secret"),
        slow = hash_text("slow-secret"),
    )
}

/// The server and how to reach its API.
struct Api {
    server: Server,
    addr: SocketAddr,
    control: String,
}

impl Api {
    fn start(extra_server: &str, dir: Option<tempfile::TempDir>) -> Api {
        let server = match dir {
            None => Server::start(&config(extra_server), ZONES, "api.test"),
            Some(d) => {
                std::fs::create_dir_all(d.path().join("zones")).unwrap();
                for (f, c) in ZONES {
                    std::fs::write(d.path().join("zones").join(f), c).unwrap();
                }
                Server::start_in(d, &config(extra_server), "api.test")
            }
        };
        let cfg = polyzone::config::Config::load(&server.path().join("polyzone.toml")).unwrap();
        let token_file = cfg.server.data_dir.join("control.token");
        assert!(wait_for(Duration::from_secs(10), || token_file.exists()));
        let control = std::fs::read_to_string(&token_file)
            .unwrap()
            .trim()
            .to_string();
        Api {
            addr: cfg.server.api_listen,
            server,
            control,
        }
    }

    fn call(&self, token: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let token = token.map(|t| {
            if t == "control" {
                self.control.as_str()
            } else {
                t
            }
        });
        send(
            self.addr,
            token,
            method,
            path,
            "application/json",
            body.as_bytes(),
        )
        .unwrap()
    }

    fn json(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(Some(token), method, path, body);
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    fn serial(&self, zone: &str) -> u64 {
        self.json("control", "GET", &format!("/api/v1/zones/{zone}"), None)["serial"]
            .as_u64()
            .unwrap()
    }
}

/// Asserts an error answer: status, and a JSON body whose `field` is `field`.
fn expect_error(r: &Reply, status: u16, field: Option<&str>) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.body));
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    if let Some(f) = field {
        assert_eq!(v["field"].as_str(), Some(f), "{v}");
    }
    v
}

fn replace(name: &str, rtype: &str, ttl: u32, records: &[&str]) -> Value {
    json!({"name": name, "type": rtype, "ttl": ttl, "records": records, "changetype": "replace"})
}

#[test]
fn endpoints_and_error_statuses() {
    require("dig");
    let api = Api::start("", None);
    let rr = "/api/v1/zones/api.test/rrsets";

    // health and the document need no token
    assert_eq!(api.json("x", "GET", "/api/v1/health", None)["status"], "ok");
    let doc = api.call(None, "GET", "/api/v1/openapi.json", None);
    assert_eq!(doc.status, 200);
    let doc: Value = serde_json::from_str(&doc.body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/zones/{zone}/rrsets"]["patch"].is_object());

    // 401: no token, unknown token
    expect_error(&api.call(None, "GET", "/api/v1/zones", None), 401, None);
    expect_error(
        &api.call(Some("wrong"), "GET", "/api/v1/zones", None),
        401,
        None,
    );

    // zones: list and status; a zone-scoped token sees only its zone
    let all = api.json("control", "GET", "/api/v1/zones", None);
    assert_eq!(all["zones"].as_array().unwrap().len(), 2);
    let mine = api.json("ci-secret", "GET", "/api/v1/zones", None);
    assert_eq!(mine["zones"], json!([{"name": "api.test.", "serial": 1}]));
    let st = api.json("viewer-secret", "GET", "/api/v1/zones/api.test", None);
    assert_eq!(st["serial"], 1);
    assert_eq!(st["records"], 4);
    assert_eq!(st["signing"]["signed"], false);
    expect_error(
        &api.call(Some("control"), "GET", "/api/v1/zones/nope.test", None),
        404,
        None,
    );
    expect_error(
        &api.call(Some("control"), "GET", "/api/v1/zones/a..b", None),
        422,
        Some("zone"),
    );
    expect_error(
        &api.call(Some("ci-secret"), "GET", "/api/v1/zones/other.test", None),
        403,
        None,
    );
    expect_error(
        &api.call(Some("control"), "GET", "/api/v1/nothing", None),
        404,
        None,
    );

    // rrsets: read with filters
    let www = api.json(
        "viewer-secret",
        "GET",
        &format!("{rr}?name=www&type=A"),
        None,
    );
    assert_eq!(
        www["rrsets"],
        json!([{"name": "www.api.test.", "type": "A", "ttl": 3600, "records": ["192.0.2.80"]}])
    );
    let ns = api.json("viewer-secret", "GET", &format!("{rr}?type=NS"), None);
    assert_eq!(ns["rrsets"].as_array().unwrap().len(), 1);
    expect_error(
        &api.call(Some("control"), "GET", &format!("{rr}?type=BOGUS"), None),
        422,
        Some("type"),
    );
    expect_error(
        &api.call(
            Some("control"),
            "GET",
            &format!("{rr}?name=x.other.test."),
            None,
        ),
        422,
        Some("name"),
    );
    expect_error(
        &api.call(Some("control"), "GET", &format!("{rr}?color=red"), None),
        422,
        Some("color"),
    );

    // PATCH: a record written through the API answers on dig, attributed in history
    let r = api.json(
        "ci-secret",
        "PATCH",
        rr,
        Some(
            json!({"changes": [replace("new", "A", 300, &["192.0.2.7", "192.0.2.8"]),
                                replace("@", "MX", 600, &["10 mail.api.test."])],
                    "if_serial": 1}),
        ),
    );
    assert_eq!(r, json!({"serial": 2, "changed": true}));
    let out = api.server.dig(&["new.api.test", "A", "+short"]);
    assert!(
        out.contains("192.0.2.7") && out.contains("192.0.2.8"),
        "{out}"
    );
    let out = api.server.dig(&["api.test", "MX", "+short"]);
    assert!(out.contains("10 mail.api.test."), "{out}");
    let out = api.server.dig(&["api.test", "SOA", "+short"]);
    assert!(out.contains(" 2 7200 "), "{out}");
    // the same again changes nothing and commits nothing
    let r = api.json(
        "ci-secret",
        "PATCH",
        rr,
        Some(json!({"changes": [replace("new", "A", 300, &["192.0.2.8", "192.0.2.7"])]})),
    );
    assert_eq!(r, json!({"serial": 2, "changed": false}));
    let h = api.json(
        "viewer-secret",
        "GET",
        "/api/v1/zones/api.test/history?limit=5",
        None,
    );
    assert_eq!(h["history"][0]["who"], "token:ci");
    assert_eq!(h["history"][0]["serial_to"], 2);

    // 409: the zone moved on
    let e = expect_error(
        &api.call(
            Some("ci-secret"),
            "PATCH",
            rr,
            Some(json!({"changes": [replace("x", "A", 60, &["192.0.2.9"])], "if_serial": 1})),
        ),
        409,
        Some("if_serial"),
    );
    assert_eq!(e["serial"], 2);

    // 422 names the field; the zone is unchanged
    let bad = [
        (
            json!({"changes": [replace("x", "A", 60, &["192.0.2.300"])]}),
            "changes[0].records[0]",
        ),
        (
            json!({"changes": [replace("x", "A", 60, &["192.0.2.3"]), replace("y", "FOO", 60, &["1"])]}),
            "changes[1].type",
        ),
        (
            json!({"changes": [replace("x.other.test.", "A", 60, &["192.0.2.3"])]}),
            "changes[0].name",
        ),
        (
            json!({"changes": [replace("@", "SOA", 60, &["a. b. 1 2 3 4 5"])]}),
            "changes[0].type",
        ),
        (
            json!({"changes": [{"name": "x", "type": "A", "records": ["192.0.2.3"], "changetype": "replace"}]}),
            "changes[0].ttl",
        ),
        (
            json!({"changes": [replace("x", "A", 60, &[])]}),
            "changes[0].records",
        ),
        (
            json!({"changes": [replace("www", "CNAME", 60, &["api.test."])]}),
            "changes[0]",
        ),
        (
            json!({"changes": [{"name": "@", "type": "NS", "changetype": "delete"}]}),
            "changes",
        ),
        (json!({"changes": []}), "changes"),
        (
            json!({"changes": [replace("x", "A", 60, &["192.0.2.3"])], "color": 1}),
            "color",
        ),
        (
            json!({"changes": [{"name": "x", "type": "A", "changetype": "upsert"}]}),
            "changes[0].changetype",
        ),
        (
            json!({"changes": [{"name": "x", "type": "A", "changetype": "delete", "extra": 1}]}),
            "changes[0].extra",
        ),
        (
            json!({"changes": [replace("x", "A", 60, &["192.0.2.3"]), replace("X", "A", 60, &["192.0.2.4"])]}),
            "changes[1].name",
        ),
    ];
    for (body, field) in bad {
        let r = api.call(Some("ci-secret"), "PATCH", rr, Some(body.clone()));
        assert_eq!(r.status, 422, "{body} was accepted: {}", r.body);
        expect_error(&r, 422, Some(field));
    }
    let r = send(
        api.addr,
        Some(&api.control),
        "PATCH",
        rr,
        "application/json",
        b"{not json",
    )
    .unwrap();
    expect_error(&r, 422, Some("body"));
    assert_eq!(
        api.serial("api.test"),
        2,
        "a refused change must leave the zone alone"
    );

    // 415 and 413
    let r = send(
        api.addr,
        Some(&api.control),
        "PATCH",
        rr,
        "text/plain",
        b"{}",
    )
    .unwrap();
    expect_error(&r, 415, None);
    let huge = format!("{{\"changes\": [], \"pad\": \"{}\"}}", "x".repeat(2 << 20));
    let r = send(
        api.addr,
        Some(&api.control),
        "PATCH",
        rr,
        "application/json",
        huge.as_bytes(),
    )
    .unwrap();
    expect_error(&r, 413, None);

    // 403: a read-only token cannot write, a zone-scoped one not elsewhere
    let change = json!({"changes": [replace("x", "A", 60, &["192.0.2.3"])]});
    expect_error(
        &api.call(Some("viewer-secret"), "PATCH", rr, Some(change.clone())),
        403,
        None,
    );
    expect_error(
        &api.call(
            Some("ci-secret"),
            "PATCH",
            "/api/v1/zones/other.test/rrsets",
            Some(change.clone()),
        ),
        403,
        None,
    );
    expect_error(
        &api.call(Some("ci-secret"), "POST", "/api/v1/reload", None),
        403,
        None,
    );
    expect_error(
        &api.call(
            Some("viewer-secret"),
            "POST",
            "/api/v1/zones/api.test/rollback",
            Some(json!({"to": 1})),
        ),
        403,
        None,
    );
    assert_eq!(api.serial("other.test"), 1);

    // delete
    let r = api.json(
        "ci-secret",
        "PATCH",
        rr,
        Some(json!({"changes": [{"name": "new", "type": "A", "changetype": "delete"}]})),
    );
    assert_eq!(r["serial"], 3);
    assert!(api.server.dig(&["new.api.test", "A"]).contains("NXDOMAIN"));

    // export, import (dry run and for real, $INCLUDE refused)
    let ex = api.call(
        Some("viewer-secret"),
        "GET",
        "/api/v1/zones/api.test/export",
        None,
    );
    assert_eq!(ex.status, 200);
    assert!(ex.header("content-type").unwrap().starts_with("text/dns"));
    assert!(
        ex.body.contains("www.api.test.\t3600\tIN\tA\t192.0.2.80"),
        "{}",
        ex.body
    );
    let text = format!("{}import.api.test. 120 IN TXT \"hello\"\n", ex.body);
    let imp = |q: &str, tok: &str, body: &str| {
        send(
            api.addr,
            Some(tok),
            "POST",
            &format!("/api/v1/zones/api.test/import{q}"),
            "text/dns",
            body.as_bytes(),
        )
        .unwrap()
    };
    let r = imp("?dry_run=true", "viewer-secret", &text);
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["serial_to"], 4);
    assert!(v["added"].to_string().contains("hello"), "{v}");
    assert_eq!(api.serial("api.test"), 3, "a dry run commits nothing");
    expect_error(&imp("", "viewer-secret", &text), 403, None);
    let r = imp("", "ci-secret", &text);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(api
        .server
        .dig(&["import.api.test", "TXT", "+short"])
        .contains("hello"));
    expect_error(
        &imp("", "ci-secret", "$INCLUDE /etc/passwd\n"),
        422,
        Some("body"),
    );
    expect_error(
        &imp("", "ci-secret", "www IN A 192.0.2.999\n"),
        422,
        Some("body"),
    );
    expect_error(
        &imp("?dry_run=maybe", "ci-secret", &text),
        422,
        Some("dry_run"),
    );
    assert_eq!(api.serial("api.test"), 4);

    // diff, rollback
    let d = api.call(
        Some("viewer-secret"),
        "GET",
        "/api/v1/zones/api.test/diff?from=3&to=4",
        None,
    );
    assert_eq!(d.status, 200);
    assert!(
        d.body.contains("; serial 3 -> 4") && d.body.contains("+ import.api.test."),
        "{}",
        d.body
    );
    expect_error(
        &api.call(
            Some("viewer-secret"),
            "GET",
            "/api/v1/zones/api.test/diff?from=3",
            None,
        ),
        422,
        Some("to"),
    );
    let r = api.json(
        "ci-secret",
        "POST",
        "/api/v1/zones/api.test/rollback",
        Some(json!({"to": 3})),
    );
    assert_eq!(r["serial"], 5);
    assert!(!api
        .server
        .dig(&["import.api.test", "TXT", "+short"])
        .contains("hello"));
    expect_error(
        &api.call(
            Some("ci-secret"),
            "POST",
            "/api/v1/zones/api.test/rollback",
            Some(json!({"to": 5})),
        ),
        409,
        None,
    );
    expect_error(
        &api.call(
            Some("ci-secret"),
            "POST",
            "/api/v1/zones/api.test/rollback",
            Some(json!({"to": "x"})),
        ),
        422,
        Some("to"),
    );

    // reload
    let r = api.json("control", "POST", "/api/v1/reload", None);
    assert_eq!(r["report"].as_array().unwrap().len(), 2);

    // 429 with Retry-After: "2/m" holds one request (a second's worth, at
    // least one), then refills one every 30 s
    assert_eq!(
        api.call(Some("slow-secret"), "GET", "/api/v1/zones", None)
            .status,
        200
    );
    let r = api.call(Some("slow-secret"), "GET", "/api/v1/zones", None);
    expect_error(&r, 429, None);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");

    // metrics: strict text format, counting what happened above
    let m = api.call(Some("viewer-secret"), "GET", "/metrics", None);
    assert_eq!(m.status, 200);
    assert!(m
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let samples =
        polyzone::metrics::parse_exposition(&m.body).unwrap_or_else(|e| panic!("{e}\n{}", m.body));
    let value = |name: &str, label: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l.iter().any(|(_, v)| v == label))
            .map(|s| s.2)
    };
    assert_eq!(value("polyzone_zone_serial", "api.test."), Some(5.0));
    assert!(value("polyzone_queries_total", "NXDOMAIN").unwrap() >= 1.0);
    assert!(value("polyzone_queries_by_type_total", "TXT").unwrap() >= 2.0);
    assert!(samples
        .iter()
        .any(|(n, _, v)| n == "polyzone_commits_total" && *v >= 4.0));
    assert!(value("polyzone_api_requests_total", "422").unwrap() >= 14.0);
    assert!(value("polyzone_api_requests_total", "429").unwrap() >= 1.0);
    expect_error(&api.call(None, "GET", "/metrics", None), 401, None);

    // the CLI talks to the same API
    let out = Command::new(common::polyzone_bin())
        .args(["zone", "list", "--config"])
        .arg(api.server.path().join("polyzone.toml"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("api.test.\t5") && listing.contains("other.test.\t1"),
        "{listing}"
    );
}

#[test]
fn generated_token_snippet_accepts_its_secret() {
    let out = Command::new(common::polyzone_bin())
        .args([
            "token", "generate", "deploy", "--scope", "write", "--zone", "api.test",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let secret = text.lines().nth(1).unwrap().trim_start_matches("# ");
    assert_eq!(secret.len(), 64);
    assert!(text.contains(&hash_text(secret)), "{text}");
    assert!(
        text.contains("scope = \"write\"") && text.contains("zones = [\"api.test\"]"),
        "{text}"
    );
}

#[test]
fn concurrent_writers_with_if_serial() {
    let api = Api::start("", None);
    let rr = "/api/v1/zones/api.test/rrsets";
    let start = api.serial("api.test");
    const WRITERS: usize = 8;
    let results: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|i| {
                let api = &api;
                s.spawn(move || {
                    let body = json!({"changes": [replace(&format!("w{i}"), "A", 60, &[&format!("192.0.2.{}", 100 + i)])],
                                      "if_serial": start});
                    api.call(Some("ci-secret"), "PATCH", rr, Some(body)).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|s| **s == 200).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|s| **s == 409).count(),
        WRITERS - 1,
        "{results:?}"
    );
    // The losers retry with the serial they are told; nothing is lost.
    for i in 0..WRITERS {
        let name = format!("w{i}");
        loop {
            let have = api.json("control", "GET", &format!("{rr}?name={name}"), None);
            if !have["rrsets"].as_array().unwrap().is_empty() {
                break;
            }
            let body = json!({"changes": [replace(&name, "A", 60, &[&format!("192.0.2.{}", 100 + i)])],
                              "if_serial": have["serial"]});
            let r = api.call(Some("ci-secret"), "PATCH", rr, Some(body));
            assert!(r.status == 200 || r.status == 409, "{}", r.body);
        }
    }
    assert_eq!(api.serial("api.test"), start + WRITERS as u64);
    for i in 0..WRITERS {
        let out = api.server.dig(&[&format!("w{i}.api.test"), "A", "+short"]);
        assert!(out.contains(&format!("192.0.2.{}", 100 + i)), "{out}");
    }
    let h = api.json("control", "GET", "/api/v1/zones/api.test/history", None);
    let by_ci = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["who"] == "token:ci")
        .count();
    assert_eq!(by_ci, WRITERS);
}

fn make_cert(dir: &Path) {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("api.key"))
        .arg("-out")
        .arg(dir.join("api.crt"))
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tls_when_configured() {
    require("openssl");
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    make_cert(dir.path());
    let ca = dir.path().join("api.crt");
    let api = Api::start("tls_cert = \"api.crt\"\ntls_key = \"api.key\"", Some(dir));
    let url = format!(
        "https://127.0.0.1:{}/api/v1/zones/api.test/rrsets",
        api.addr.port()
    );
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(&ca)
        .args(["-X", "PATCH", "-H", "content-type: application/json", "-H"])
        .arg(format!("authorization: Bearer {}", api.control))
        .args(["-d", r#"{"changes":[{"name":"tls","type":"A","ttl":60,"records":["192.0.2.44"],"changetype":"replace"}]}"#])
        .arg(&url)
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["serial"],
        2,
        "{body}"
    );
    assert!(api
        .server
        .dig(&["tls.api.test", "A", "+short"])
        .contains("192.0.2.44"));
    // plain HTTP on the TLS port gets no API answer
    let plain = send(
        api.addr,
        Some(&api.control),
        "GET",
        "/api/v1/zones",
        "application/json",
        b"",
    );
    assert!(plain.map_or(true, |r| r.status != 200));
    // and the certificate is checked: an unknown CA is refused
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .arg(&url)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn import_takes_more_than_the_json_limit() {
    let api = Api::start("", None);
    let ex = api.call(
        Some("control"),
        "GET",
        "/api/v1/zones/api.test/export",
        None,
    );
    let mut text = ex.body.clone();
    let long = "x".repeat(200);
    for i in 0..6000 {
        text.push_str(&format!("t{i}.api.test. 60 IN TXT \"{long}\" \"{i}\"\n"));
    }
    assert!(text.len() > polyzone::api::JSON_LIMIT);
    let r = send(
        api.addr,
        Some(&api.control),
        "POST",
        "/api/v1/zones/api.test/import",
        "text/dns",
        text.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        v["added"].as_array().unwrap().len(),
        6001,
        "6000 TXT and the new SOA"
    );
    assert!(api
        .server
        .dig(&["t5999.api.test", "TXT", "+short"])
        .contains("5999"));
}
