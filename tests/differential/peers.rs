//! knotd and nsd as reference servers: each gets a config in its own temp
//! dir, listens on a free loopback port, is polled until it answers the
//! zone's SOA, and is stopped by PID (SIGTERM, then SIGKILL) when dropped.

use crate::common::{free_port, require, soa_answers};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A third-party server process serving the test zone.
pub struct Peer {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Peer {
    /// knotd with one worker of each kind, never writing back the zone file.
    pub fn knot(zone: &str, zone_text: &str) -> Peer {
        require("knotd");
        let (dir, zone_file) = scratch(zone, zone_text);
        let port = free_port();
        let d = dir.path().display();
        std::fs::create_dir_all(dir.path().join("db")).expect("mkdir knot db");
        let conf = format!(
            "server:\n    rundir: \"{d}\"\n    listen: [ 127.0.0.1@{port} ]\n    udp-workers: 1\n    \
             tcp-workers: 1\n    background-workers: 1\ndatabase:\n    storage: \"{d}/db\"\n\
             log:\n  - target: stderr\n    any: info\ntemplate:\n  - id: default\n    \
             zonefile-sync: -1\n    journal-content: none\nzone:\n  - domain: {zone}\n    \
             file: \"{}\"\n",
            zone_file.display()
        );
        let conf_path = dir.path().join("knot.conf");
        std::fs::write(&conf_path, conf).expect("write knot.conf");
        let args = ["-c".to_string(), conf_path.display().to_string()];
        Peer::spawn("knotd", "knotd", &args, dir, port, zone)
    }

    /// nsd with one server process, no chroot, no privilege drop, and
    /// response-rate-limiting off (Debian enables it; the test sends bursts
    /// from one address).
    pub fn nsd(zone: &str, zone_text: &str) -> Peer {
        require("nsd");
        let (dir, zone_file) = scratch(zone, zone_text);
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "server:\n    ip-address: 127.0.0.1@{port}\n    port: {port}\n    server-count: 1\n    \
             username: \"\"\n    chroot: \"\"\n    database: \"\"\n    zonelistfile: \"{d}/zone.list\"\n    \
             xfrdfile: \"{d}/xfrd.state\"\n    pidfile: \"{d}/nsd.pid\"\n    logfile: \"{d}/nsd.log\"\n    \
             rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\nremote-control:\n    control-enable: no\n\
             zone:\n    name: {zone}\n    zonefile: \"{}\"\n",
            zone_file.display()
        );
        let conf_path = dir.path().join("nsd.conf");
        std::fs::write(&conf_path, conf).expect("write nsd.conf");
        let args = [
            "-d".to_string(),
            "-c".to_string(),
            conf_path.display().to_string(),
        ];
        Peer::spawn("nsd", "nsd", &args, dir, port, zone)
    }

    fn spawn(
        name: &'static str,
        program: &str,
        args: &[String],
        dir: tempfile::TempDir,
        port: u16,
        zone: &str,
    ) -> Peer {
        let log = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&log).expect("create peer log");
        let child = Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut peer = Peer {
            name,
            addr,
            child,
            log,
            _dir: dir,
        };
        peer.wait_ready(zone);
        peer
    }

    fn wait_ready(&mut self, zone: &str) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited early ({status}); log:\n{}",
                    self.name,
                    self.log()
                );
            }
            if soa_answers(self.addr, zone) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{} did not answer SOA for {zone}; log:\n{}",
            self.name,
            self.log()
        );
    }

    /// stderr plus nsd's own log file, for failure messages.
    pub fn log(&self) -> String {
        let mut text = std::fs::read_to_string(&self.log).unwrap_or_default();
        if let Some(dir) = self.log.parent() {
            text.push_str(&std::fs::read_to_string(dir.join("nsd.log")).unwrap_or_default());
        }
        text
    }
}

impl Drop for Peer {
    /// SIGTERM first: nsd's started process stops its forked servers only
    /// then (SIGKILL would orphan them, still holding the port).
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temp dir holding the zone file.
fn scratch(zone: &str, zone_text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("peer temp dir");
    let file = zone_path(dir.path(), zone);
    std::fs::write(&file, zone_text).expect("write zone file");
    (dir, file)
}

fn zone_path(dir: &Path, zone: &str) -> PathBuf {
    dir.join(format!("{zone}.zone"))
}
