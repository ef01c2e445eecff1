//! Shared harness for end-to-end tests: start the real `polyzone` binary on
//! a free loopback port with a config and zone files in a temp dir, wait
//! until it answers, and stop it (by PID) when dropped.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the built binary under test.
pub fn polyzone_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_polyzone"))
}

/// A loopback port that is free for both UDP and TCP right now.
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = tcp.local_addr().expect("addr").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// True when an external tool is on PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Panics with a clear message when a required tool is missing: CI installs
/// every peer, so a missing one is a setup error, not a reason to skip.
pub fn require(tool: &str) {
    assert!(
        have(tool),
        "required tool `{tool}` is not installed (see .ci/run)"
    );
}

/// The `[server]` table most test configs start with: loopback ports that
/// [`Server::start`] fills in, state in `data/` under the test's directory.
/// Meant for `format!`, where its braces are not read as placeholders.
pub const SERVER_TABLE: &str = r#"[server]
listen = ["127.0.0.1:{PORT}"]
api_listen = "127.0.0.1:{API_PORT}"
data_dir = "data"
"#;

/// A config that serves each of `zones` from `zones/<zone>.zone`, with
/// nothing else set.
pub fn zones_config(zones: &[&str]) -> String {
    let mut config = format!("\n{SERVER_TABLE}keys_dir = \"keys\"\n");
    for zone in zones {
        config.push_str(&format!(
            "\n[[zone]]\nname = \"{zone}\"\nfile = \"zones/{zone}.zone\"\n"
        ));
    }
    config
}

/// Runs `polyzone serve` on `dir/polyzone.toml`, in `dir`, its stderr
/// going to `log`.
pub fn spawn_serve(dir: &Path, log: std::fs::File) -> Child {
    Command::new(polyzone_bin())
        .arg("serve")
        .arg("--config")
        .arg(dir.join("polyzone.toml"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn polyzone")
}

/// A running polyzone server.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
}

impl Server {
    /// Writes `zones` (file name, content) under `dir/zones/`, a config made
    /// from `config` (where `{PORT}` and `{API_PORT}` are replaced), and
    /// starts `polyzone serve`; waits until `wait_zone` answers SOA.
    pub fn start(config: &str, zones: &[(&str, &str)], wait_zone: &str) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("zones")).expect("mkdir zones");
        std::fs::create_dir_all(dir.path().join("keys")).expect("mkdir keys");
        for (file, content) in zones {
            std::fs::write(dir.path().join("zones").join(file), content).expect("write zone");
        }
        Self::start_in(dir, config, wait_zone)
    }

    /// Like [`Server::start`] with a prepared directory.
    ///
    /// The ports come from [`free_port`], which cannot reserve them: another
    /// test (or a client's ephemeral port) may take one before the server
    /// binds it. A start that fails only for that reason is retried with
    /// new ports.
    pub fn start_in(dir: tempfile::TempDir, config: &str, wait_zone: &str) -> Server {
        Self::start_in_within(dir, config, wait_zone, Duration::from_secs(30))
    }

    /// Like [`Server::start_in`], giving the server `limit` to answer (a
    /// debug build loading a very large zone needs longer than 30 s).
    pub fn start_in_within(
        dir: tempfile::TempDir,
        config: &str,
        wait_zone: &str,
        limit: Duration,
    ) -> Server {
        let mut dir = Some(dir);
        for attempt in 1..=5 {
            let d = dir.take().expect("directory kept between attempts");
            match Self::try_start(d, config, wait_zone, limit) {
                Ok(server) => return server,
                Err((d, log)) if log.contains("Address already in use") && attempt < 5 => {
                    eprintln!("polyzone start: a port was taken meanwhile, retrying ({log})");
                    dir = Some(d);
                }
                Err((_, log)) => panic!("polyzone did not start; log:\n{log}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn try_start(
        dir: tempfile::TempDir,
        config: &str,
        wait_zone: &str,
        limit: Duration,
    ) -> Result<Server, (tempfile::TempDir, String)> {
        let port = free_port();
        let api_port = free_port();
        let config = config
            .replace("{PORT}", &port.to_string())
            .replace("{API_PORT}", &api_port.to_string());
        std::fs::write(dir.path().join("polyzone.toml"), config).expect("write config");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut child = spawn_serve(dir.path(), log);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log_of = |dir: &tempfile::TempDir| {
            std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
        };
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                let log = format!("exited early ({status}): {}", log_of(&dir));
                return Err((dir, log));
            }
            if soa_answers(addr, wait_zone) {
                return Ok(Server {
                    child,
                    port,
                    dir,
                    addr,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = format!(
            "no SOA answer for {wait_zone} in {limit:?}: {}",
            log_of(&dir)
        );
        Err((dir, log))
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sends a signal to the server process.
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status();
    }

    /// Runs `polyzone ARGS... --config CONFIG` with this server's config.
    pub fn polyzone(&self, args: &[&str]) -> Output {
        Command::new(polyzone_bin())
            .args(args)
            .arg("--config")
            .arg(self.path().join("polyzone.toml"))
            .output()
            .expect("run polyzone")
    }

    /// [`Server::polyzone`] as a user at the terminal sees it: whether it
    /// exited 0, and its stdout followed by its stderr.
    pub fn cli(&self, args: &[&str]) -> (bool, String) {
        let out = self.polyzone(args);
        (out.status.success(), out_str(out))
    }

    /// `polyzone zone export ZONE`: the zone as this server serves it (or,
    /// once stopped, as its store holds it).
    pub fn export(&self, zone: &str) -> String {
        let out = self.polyzone(&["zone", "export", zone]);
        assert!(
            out.status.success(),
            "export of {zone} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 zone")
    }

    /// Runs `dig` against this server with extra arguments.
    pub fn dig(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("dig");
        cmd.arg(format!("@{}", self.addr.ip()))
            .arg("-p")
            .arg(self.port.to_string());
        cmd.args(["+norec", "+time=2", "+tries=1"]);
        cmd.args(args);
        out_str(cmd.output().expect("run dig"))
    }

    /// Runs `kdig` against this server with extra arguments.
    pub fn kdig(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("kdig");
        cmd.arg(format!("@{}", self.addr.ip()))
            .arg("-p")
            .arg(self.port.to_string());
        cmd.args(["+norec", "+time=2", "+retry=0"]);
        cmd.args(args);
        out_str(cmd.output().expect("run kdig"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn out_str(o: Output) -> String {
    let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&o.stderr));
    s
}

/// Sends a bare SOA query over UDP and reports whether an authoritative
/// NOERROR answer came back.
pub fn soa_answers(addr: SocketAddr, zone: &str) -> bool {
    let sock = match UdpSocket::bind("127.0.0.1:0") {
        Ok(s) => s,
        Err(_) => return false,
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in zone
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 6, 0, 1]);
    if sock.send_to(&q, addr).is_err() {
        return false;
    }
    let mut buf = [0u8; 4096];
    match sock.recv(&mut buf) {
        Ok(n) if n >= 12 => buf[0] == 0x12 && buf[2] & 0x84 == 0x84 && buf[3] & 0x0f == 0,
        _ => false,
    }
}

/// Polls `cond` every 20 ms for up to `limit`; true as soon as it holds.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
