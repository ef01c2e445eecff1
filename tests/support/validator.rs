//! A validating unbound on loopback that reaches one zone (or a few) only
//! at a polyzone server (stub zones), with the trust anchors a test gives it and,
//! for servers on a simulated clock, that clock's time for checking
//! signature inception and expiration (`val-override-date`). Its cache
//! lives as long as the process: a test that wants a fresh view at every
//! step starts a new one.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{free_port, require, wait_for};

pub struct Validator {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Validator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Validator {
    /// Starts unbound for `zone` served at 127.0.0.1:`auth_port`, trusting
    /// `anchors` (DS or DNSKEY records in presentation form, owner first).
    /// `date` (YYYYMMDDHHMMSS) replaces the current time for signature
    /// validity, with no clock skew allowed: signatures must be valid at
    /// exactly that time.
    pub fn start(zone: &str, auth_port: u16, anchors: &[String], date: Option<&str>) -> Validator {
        Self::start_for(&[zone], auth_port, anchors, date)
    }

    /// Like [`Validator::start`] for several zones, all served at
    /// 127.0.0.1:`auth_port` (a parent and its children, say).
    pub fn start_for(
        zones: &[&str],
        auth_port: u16,
        anchors: &[String],
        date: Option<&str>,
    ) -> Validator {
        require("unbound");
        require("dig");
        let zones: Vec<&str> = zones.iter().map(|z| z.trim_end_matches('.')).collect();
        let mut last_log = String::new();
        // A port from free_port() may be taken before unbound binds it.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let mut conf = format!(
                r#"server:
    interface: 127.0.0.1@{port}
    port: {port}
    outgoing-interface: 127.0.0.1
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    local-zone: "." refuse
"#,
                d = dir.path().display()
            );
            for zone in &zones {
                conf.push_str(&format!("    local-zone: \"{zone}.\" transparent\n"));
            }
            if let Some(date) = date {
                conf.push_str(&format!(
                    "    val-override-date: \"{date}\"\n    val-sig-skew-min: 0\n    val-sig-skew-max: 0\n"
                ));
            }
            for a in anchors {
                conf.push_str(&format!("    trust-anchor: \"{a}\"\n"));
            }
            for zone in &zones {
                conf.push_str(&format!(
                    "stub-zone:\n    name: \"{zone}.\"\n    stub-addr: 127.0.0.1@{auth_port}\n"
                ));
            }
            conf.push_str("remote-control:\n    control-enable: no\n");
            let path = dir.path().join("unbound.conf");
            std::fs::write(&path, conf).expect("write unbound.conf");
            let log = std::fs::File::create(dir.path().join("unbound.log")).expect("log");
            let child = Command::new("unbound")
                .arg("-d")
                .arg("-c")
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start unbound");
            let mut v = Validator { child, port, dir };
            // Any answer means it is up; the answers are the test's.
            let mut exited = false;
            let up = wait_for(Duration::from_secs(10), || {
                exited = matches!(v.child.try_wait(), Ok(Some(_)));
                exited || v.dig(&["version.bind", "CH", "TXT"]).contains("status: ")
            });
            if up && !exited {
                return v;
            }
            last_log = v.log();
            if !last_log.contains("Address already in use") {
                break;
            }
        }
        panic!("unbound did not come up: {last_log}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("unbound.log")).unwrap_or_default()
    }

    /// `dig +dnssec` through the validator.
    pub fn dig(&self, args: &[&str]) -> String {
        let out = Command::new("dig")
            .arg("@127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .args(["+dnssec", "+time=5", "+tries=1"])
            .args(args)
            .output()
            .expect("run dig");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The rcode of a query and whether it came back with AD.
    pub fn ask(&self, name: &str, qtype: &str) -> (String, bool, String) {
        let out = self.dig(&[name, qtype]);
        let (rcode, ad) = status(&out);
        (rcode, ad, out)
    }
}

/// The rcode of a dig reply and whether its flags include AD.
pub fn status(out: &str) -> (String, bool) {
    let rcode = out
        .split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("none")
        .to_string();
    let ad = flags(out).iter().any(|f| f == "ad");
    (rcode, ad)
}

/// The header flags of a dig reply (`qr`, `aa`, `ad`, ...).
pub fn flags(out: &str) -> Vec<String> {
    out.split(";; flags: ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}
