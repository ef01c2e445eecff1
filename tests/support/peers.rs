//! Real secondaries for transfer tests: knotd, nsd and named configured as
//! TSIG (hmac-sha256) secondaries of a primary on loopback (the recipes of
//! peers.md §4), each in its own temp dir, stopped by PID when dropped.
//!
//! Each peer pulls from its own source address (knotd 127.0.0.2, nsd
//! 127.0.0.3, named 127.0.0.4), so the primary's log and status tell them
//! apart; every one accepts TSIG-signed NOTIFY from 127.0.0.1 and lets
//! tests AXFR its copy without a key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{free_port, wait_for};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Knot,
    Nsd,
    Named,
}

pub const ALL: [Kind; 3] = [Kind::Knot, Kind::Nsd, Kind::Named];

impl Kind {
    pub fn source(self) -> &'static str {
        match self {
            Kind::Knot => "127.0.0.2",
            Kind::Nsd => "127.0.0.3",
            Kind::Named => "127.0.0.4",
        }
    }
    pub fn tool(self) -> &'static str {
        match self {
            Kind::Knot => "knotd",
            Kind::Nsd => "nsd",
            Kind::Named => "named",
        }
    }
}

/// One running secondary.
pub struct Peer {
    pub kind: Kind,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Peer {
    /// Picks a port; [`Peer::start`] runs the server on it.
    pub fn new(kind: Kind) -> Peer {
        Peer {
            kind,
            port: free_port(),
            dir: tempfile::tempdir().expect("tempdir"),
            child: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the secondary for `zone` with primary `127.0.0.1:primary`.
    pub fn start(&mut self, zone: &str, primary: u16, secret: &str) {
        let d = self.dir.path().to_path_buf();
        let log = std::fs::File::create(d.join("server.log")).expect("log");
        let mut cmd = match self.kind {
            Kind::Knot => {
                std::fs::create_dir_all(d.join("db")).expect("db dir");
                let conf = knot_conf(&d, self.port, zone, primary, secret);
                std::fs::write(d.join("knot.conf"), conf).expect("knot.conf");
                let mut c = Command::new("knotd");
                c.arg("-c").arg(d.join("knot.conf"));
                c
            }
            Kind::Nsd => {
                let conf = nsd_conf(&d, self.port, zone, primary, secret);
                std::fs::write(d.join("nsd.conf"), conf).expect("nsd.conf");
                let mut c = Command::new("nsd");
                c.arg("-d").arg("-c").arg(d.join("nsd.conf"));
                c
            }
            Kind::Named => {
                let conf = named_conf(&d, self.port, zone, primary, secret);
                std::fs::write(d.join("named.conf"), conf).expect("named.conf");
                let mut c = Command::new("named");
                c.args(["-g", "-n", "1", "-c"]).arg(d.join("named.conf"));
                c
            }
        };
        let child = cmd
            .current_dir(&d)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.kind.tool()));
        self.child = Some(child);
    }

    /// The server's log (nsd writes its own file).
    pub fn log(&self) -> String {
        let mut s = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        s.push_str(&std::fs::read_to_string(self.dir.path().join("nsd.log")).unwrap_or_default());
        s
    }

    /// `dig` against the secondary.
    pub fn dig(&self, args: &[&str]) -> String {
        let out = Command::new("dig")
            .arg("@127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .args(["+norec", "+time=1", "+tries=1"])
            .args(args)
            .output()
            .expect("run dig");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The serial it serves, if it answers.
    pub fn serial(&self, zone: &str) -> Option<u32> {
        let out = self.dig(&["+short", zone, "SOA"]);
        out.split_whitespace().nth(2)?.parse().ok()
    }

    /// Waits until it serves `serial`.
    pub fn wait_serial(&self, zone: &str, serial: u32, limit: Duration) -> bool {
        wait_for(limit, || self.serial(zone) == Some(serial))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let stopped = wait_for(Duration::from_secs(5), || {
                matches!(c.try_wait(), Ok(Some(_)))
            });
            if !stopped {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

fn knot_conf(d: &Path, port: u16, zone: &str, primary: u16, secret: &str) -> String {
    let d = d.display();
    format!(
        r#"server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{d}/db"
log:
  - target: stderr
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: primary
    address: 127.0.0.1@{primary}
    via: {src}
    key: xfr-key
acl:
  - id: from_primary
    address: 127.0.0.1
    key: xfr-key
    action: notify
  - id: xfr_out
    address: 127.0.0.0/8
    action: transfer
zone:
  - domain: {zone}
    storage: "{d}"
    file: "{zone}.zone"
    master: primary
    acl: [ from_primary, xfr_out ]
    zonefile-sync: -1
    journal-content: all
"#,
        src = Kind::Knot.source()
    )
}

fn nsd_conf(d: &Path, port: u16, zone: &str, primary: u16, secret: &str) -> String {
    let d = d.display();
    format!(
        r#"server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "{d}"
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 2
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
key:
    name: xfr-key
    algorithm: hmac-sha256
    secret: "{secret}"
zone:
    name: {zone}
    zonefile: "{zone}.zone"
    allow-notify: 127.0.0.1 xfr-key
    request-xfr: 127.0.0.1@{primary} xfr-key
    outgoing-interface: {src}
    provide-xfr: 127.0.0.0/8 NOKEY
"#,
        src = Kind::Nsd.source()
    )
}

fn named_conf(d: &Path, port: u16, zone: &str, primary: u16, secret: &str) -> String {
    let dd = d.display();
    format!(
        r#"key "xfr-key" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
    directory "{dd}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    pid-file "{dd}/named.pid";
    session-keyfile "{dd}/session.key";
    managed-keys-directory "{dd}";
    recursion no;
    dnssec-validation no;
    notify no;
    transfer-source {src};
    query-source address {src};
    request-ixfr yes;
    allow-transfer {{ 127.0.0.0/8; }};
}};
controls {{ }};
zone "{zone}" {{
    type secondary;
    primaries {{ 127.0.0.1 port {primary} key "xfr-key"; }};
    file "{dd}/{zone}.db";
    allow-notify {{ key "xfr-key"; }};
}};
"#,
        src = Kind::Named.source()
    )
}

/// A temp path under the peer's dir (for files the test writes).
pub fn file(p: &Peer, name: &str) -> PathBuf {
    p.path().join(name)
}
