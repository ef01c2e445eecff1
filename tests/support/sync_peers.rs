//! Provider peers for the sync tests, each started on free loopback ports
//! and stopped by PID when dropped: pdns_server (sqlite backend, HTTP API,
//! DNS), moto_server (Route 53), and a fault-injecting HTTP proxy that
//! fronts a real API (429 with Retry-After, 401).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{free_port, wait_for};

pub const PDNS_KEY: &str = "pdns-test-key";

/// Runs curl and returns (HTTP status, body).
pub fn curl(args: &[&str]) -> (u16, String) {
    let o = Command::new("curl")
        .args(["-s", "-m", "5", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// Every line `dig +short` prints for `name rtype` at 127.0.0.1:`port`,
/// sorted. dig's comment lines are kept: a timeout shows as a line, so it
/// never passes for an empty answer.
pub fn dig_short(port: u16, name: &str, rtype: &str) -> Vec<String> {
    let o = Command::new("dig")
        .args([
            "+short",
            "+norec",
            "+time=1",
            "+tries=1",
            "@127.0.0.1",
            "-p",
        ])
        .arg(port.to_string())
        .args([name, rtype])
        .output()
        .expect("run dig");
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// A PowerDNS Authoritative server with its API.
pub struct Pdns {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub dns_port: u16,
    pub api_port: u16,
}

impl Pdns {
    pub fn start() -> Pdns {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("pdns.sqlite3");
        let schema =
            std::fs::read_to_string("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
                .expect("pdns-backend-sqlite3 schema (apt install pdns-backend-sqlite3)");
        let mut sqlite = Command::new("sqlite3")
            .arg(&db)
            .stdin(Stdio::piped())
            .spawn()
            .expect("run sqlite3");
        sqlite
            .stdin
            .take()
            .expect("stdin")
            .write_all(schema.as_bytes())
            .expect("write schema");
        assert!(
            sqlite.wait().expect("sqlite3").success(),
            "schema load failed"
        );
        let mut p = Pdns {
            child: None,
            dir,
            dns_port: 0,
            api_port: 0,
        };
        p.launch();
        p
    }

    fn launch(&mut self) {
        for _ in 0..5 {
            if self.dns_port == 0 {
                self.dns_port = free_port();
                self.api_port = free_port();
            }
            let d = self.dir.path();
            let conf = format!(
                "launch=gsqlite3\ngsqlite3-database={db}\ngsqlite3-dnssec=yes\nlocal-address=127.0.0.1:{dns}\n\
                 socket-dir={d}\nguardian=no\ndaemon=no\ndisable-syslog=yes\napi=yes\napi-key={PDNS_KEY}\n\
                 webserver=yes\nwebserver-address=127.0.0.1\nwebserver-port={api}\nwebserver-allow-from=127.0.0.1,::1\n\
                 default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600\ncache-ttl=0\nnegquery-cache-ttl=0\nquery-cache-ttl=0\nzone-cache-refresh-interval=0\n",
                db = d.join("pdns.sqlite3").display(),
                d = d.display(),
                dns = self.dns_port,
                api = self.api_port
            );
            std::fs::write(d.join("pdns.conf"), conf).expect("pdns.conf");
            let log = std::fs::File::create(d.join("pdns.log")).expect("log");
            let child = Command::new("pdns_server")
                .arg(format!("--config-dir={}", d.display()))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn pdns_server");
            self.child = Some(child);
            if wait_for(Duration::from_secs(15), || self.api_up()) {
                return;
            }
            self.stop();
            self.dns_port = 0; // a port was taken: new ones
        }
        panic!("pdns_server did not start: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdns.log")).unwrap_or_default()
    }

    fn api_up(&self) -> bool {
        curl(&[
            "-H",
            &format!("X-API-Key: {PDNS_KEY}"),
            &format!("{}/api/v1/servers/localhost", self.url()),
        ])
        .0 == 200
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// Stops the server (kept stopped until [`Pdns::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn api(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let url = format!("{}/api/v1/servers/localhost{path}", self.url());
        let key = format!("X-API-Key: {PDNS_KEY}");
        let mut args = vec![
            "-X",
            method,
            "-H",
            &key,
            "-H",
            "Content-Type: application/json",
            &url,
        ];
        if let Some(b) = body {
            args.extend(["-d", b]);
        }
        curl(&args)
    }

    pub fn create_zone(&self, zone: &str) {
        let body = format!(r#"{{"name":"{zone}.","kind":"Native","nameservers":["ns1.{zone}."]}}"#);
        let (code, text) = self.api("POST", "/zones", Some(&body));
        assert_eq!(code, 201, "create zone at pdns: {text}");
    }

    /// Replaces one RRset directly at pdns (behind polyzone's back).
    pub fn replace(&self, zone: &str, name: &str, rtype: &str, ttl: u32, contents: &[&str]) {
        let records: Vec<String> = contents
            .iter()
            .map(|c| format!(r#"{{"content":{},"disabled":false}}"#, json_str(c)))
            .collect();
        let body = format!(
            r#"{{"rrsets":[{{"name":"{name}","type":"{rtype}","ttl":{ttl},"changetype":"REPLACE","records":[{}]}}]}}"#,
            records.join(",")
        );
        let (code, text) = self.api("PATCH", &format!("/zones/{zone}."), Some(&body));
        assert_eq!(code, 204, "patch at pdns: {text}");
    }

    /// The contents of one RRset as the API returns it (sorted), and its TTL.
    pub fn rrset(&self, zone: &str, name: &str, rtype: &str) -> (Vec<String>, u32) {
        let (code, text) = self.api("GET", &format!("/zones/{zone}."), None);
        if code != 200 {
            return (vec![], 0);
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        for s in v["rrsets"].as_array().into_iter().flatten() {
            if s["name"] == name && s["type"] == rtype {
                let mut c: Vec<String> = s["records"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["content"].as_str().map(str::to_string))
                    .collect();
                c.sort();
                return (c, s["ttl"].as_u64().unwrap_or(0) as u32);
            }
        }
        (vec![], 0)
    }

    /// Every RRset (name, type) at pdns, but SOA.
    pub fn rrset_count(&self, zone: &str) -> usize {
        let (_, text) = self.api("GET", &format!("/zones/{zone}."), None);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        v["rrsets"].as_array().map_or(0, |a| a.len())
    }

    /// `dig +short` against pdns's DNS port, without dig's comment lines.
    pub fn dig(&self, name: &str, rtype: &str) -> Vec<String> {
        dig_short(self.dns_port, name, rtype)
            .into_iter()
            .filter(|l| !l.starts_with(';') && !l.is_empty())
            .collect()
    }
}

impl Drop for Pdns {
    fn drop(&mut self) {
        self.stop();
    }
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// moto_server picks the emulated service from the SigV4 credential scope
/// (unsigned requests go to S3), so test requests carry a dummy one.
const MOTO_AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0";

/// moto_server emulating Route 53.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub zone_id: String,
}

impl Moto {
    pub fn start(zone: &str) -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server (pip install 'moto[server]')");
        let mut m = Moto {
            child,
            port,
            zone_id: String::new(),
        };
        assert!(
            wait_for(Duration::from_secs(30), || curl(&[
                "-H",
                MOTO_AUTH,
                &format!("{}/2013-04-01/hostedzone", m.url())
            ])
            .0 == 200),
            "moto_server did not start"
        );
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Name>{zone}.</Name><CallerReference>polyzone-test</CallerReference></CreateHostedZoneRequest>"
        );
        let (code, text) = curl(&[
            "-H",
            MOTO_AUTH,
            "-H",
            "Content-Type: application/xml",
            "-X",
            "POST",
            "-d",
            &body,
            &format!("{}/2013-04-01/hostedzone", m.url()),
        ]);
        assert!(
            code == 201 || code == 200,
            "create hosted zone: {code} {text}"
        );
        let id = between(&text, "<Id>", "</Id>").expect("zone id in answer");
        m.zone_id = id.trim_start_matches("/hostedzone/").to_string();
        m
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Values and TTL of one RRset (all pages are read).
    pub fn rrset(&self, name: &str, rtype: &str) -> (Vec<String>, u32) {
        let (_, text) = curl(&[
            "-H",
            MOTO_AUTH,
            &format!(
                "{}/2013-04-01/hostedzone/{}/rrset?maxitems=1000",
                self.url(),
                self.zone_id
            ),
        ]);
        for set in text.split("<ResourceRecordSet>").skip(1) {
            if between(set, "<Name>", "</Name>").as_deref() == Some(name)
                && between(set, "<Type>", "</Type>").as_deref() == Some(rtype)
            {
                let ttl = between(set, "<TTL>", "</TTL>")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let mut values: Vec<String> = set
                    .split("<Value>")
                    .skip(1)
                    .filter_map(|v| {
                        v.split_once("</Value>")
                            .map(|(a, _)| a.replace("&quot;", "\""))
                    })
                    .collect();
                values.sort();
                return (values, ttl);
            }
        }
        (vec![], 0)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn between(s: &str, a: &str, b: &str) -> Option<String> {
    let start = s.find(a)? + a.len();
    let end = s[start..].find(b)? + start;
    Some(s[start..end].to_string())
}

/// What the fault proxy does with the next requests.
#[derive(Clone, Debug)]
pub enum Fault {
    Pass,
    /// Answer 429 with `Retry-After: secs` to the next `n` requests.
    Throttle {
        n: usize,
        secs: u64,
    },
    /// Answer 401 to everything.
    Unauthorized,
}

/// An HTTP/1.1 proxy in front of a real API that injects faults. One
/// request per connection (answers say `Connection: close`).
pub struct FaultProxy {
    pub port: u16,
    pub fault: Arc<Mutex<Fault>>,
    /// Requests seen, and how many got a fault.
    pub seen: Arc<AtomicUsize>,
    pub faulted: Arc<AtomicUsize>,
    /// When the throttled requests and the first one after came.
    pub times: Arc<Mutex<Vec<(std::time::Instant, u16)>>>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let p = FaultProxy {
            port,
            fault: Arc::new(Mutex::new(Fault::Pass)),
            seen: Arc::new(AtomicUsize::new(0)),
            faulted: Arc::new(AtomicUsize::new(0)),
            times: Arc::new(Mutex::new(Vec::new())),
        };
        let (fault, seen, faulted, times) = (
            p.fault.clone(),
            p.seen.clone(),
            p.faulted.clone(),
            p.times.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (fault, seen, faulted, times) =
                    (fault.clone(), seen.clone(), faulted.clone(), times.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream_port, &fault, &seen, &faulted, &times);
                });
            }
        });
        p
    }

    pub fn set(&self, f: Fault) {
        *self.fault.lock().expect("fault lock") = f;
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn read_request(conn: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = conn.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
    }
}

/// Rewrites the Connection header of a request or answer to `close`.
fn close_connection(msg: &[u8]) -> Vec<u8> {
    let Some(end) = msg.windows(4).position(|w| w == b"\r\n\r\n") else {
        return msg.to_vec();
    };
    let head = String::from_utf8_lossy(&msg[..end]);
    let mut out: Vec<String> = Vec::new();
    for (i, l) in head.split("\r\n").enumerate() {
        if i > 0
            && (l.to_ascii_lowercase().starts_with("connection:")
                || l.to_ascii_lowercase().starts_with("keep-alive:"))
        {
            continue;
        }
        out.push(l.to_string());
    }
    out.push("Connection: close".into());
    let mut v = out.join("\r\n").into_bytes();
    v.extend_from_slice(&msg[end..]);
    v
}

fn serve(
    mut conn: TcpStream,
    upstream: u16,
    fault: &Mutex<Fault>,
    seen: &AtomicUsize,
    faulted: &AtomicUsize,
    times: &Mutex<Vec<(std::time::Instant, u16)>>,
) -> std::io::Result<()> {
    let req = read_request(&mut conn)?;
    if req.is_empty() {
        return Ok(());
    }
    seen.fetch_add(1, Ordering::SeqCst);
    let answer = {
        let mut f = fault.lock().expect("fault lock");
        match &mut *f {
            Fault::Throttle { n, secs } if *n > 0 => {
                *n -= 1;
                Some((
                    429,
                    format!("Retry-After: {secs}\r\n"),
                    "{\"error\":\"Too many requests\"}",
                ))
            }
            Fault::Unauthorized => Some((401, String::new(), "{\"error\":\"Unauthorized\"}")),
            _ => None,
        }
    };
    if let Some((code, extra, body)) = answer {
        faulted.fetch_add(1, Ordering::SeqCst);
        times
            .lock()
            .expect("times")
            .push((std::time::Instant::now(), code));
        let text = format!(
            "HTTP/1.1 {code} Fault\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(text.as_bytes())?;
        return Ok(());
    }
    times
        .lock()
        .expect("times")
        .push((std::time::Instant::now(), 0));
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(&close_connection(&req))?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    conn.write_all(&close_connection(&resp))?;
    Ok(())
}

/// Writes a secret file for a target (mode 0600).
pub fn write_secret(path: &Path, secret: &str) {
    std::fs::write(path, secret).expect("write secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}
