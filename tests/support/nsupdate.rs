//! The update clients, nsupdate and knsupdate, driven through a script on
//! stdin against a test server, their outcome read back as an rcode
//! mnemonic; and `polyzone tsig generate`, whose output feeds them.
#![allow(dead_code)]

use crate::common::{polyzone_bin, Server};
use std::path::Path;
use std::process::{Command, Stdio};

/// The three update clients. Their parsers and retry logic differ (BIND's
/// and Knot's libraries), and so do the messages they build (e.g. class
/// and TTL of prerequisite RRs), so each can catch different bugs.
#[derive(Clone, Copy, Debug)]
pub enum Client<'a> {
    /// `nsupdate -y hmac-sha256:update-key:SECRET` (or another `-y` key).
    NsupdateY(&'a str),
    /// The same over TCP (`nsupdate -v`): another listener, and the TSIG
    /// code path for a stream.
    NsupdateTcp(&'a str),
    /// `nsupdate -k FILE` (a BIND key clause).
    NsupdateK(&'a Path),
    /// `knsupdate` with a `key ALG:NAME SECRET` line; holds `ALG:NAME SECRET`.
    Knsupdate(&'a str),
    /// `nsupdate` without any key.
    Unsigned,
}

/// Sends one update (`body`: update/prereq lines with absolute names) and
/// returns the rcode the client reports: `NOERROR`, `NXRRSET`,
/// `NOTAUTH(BADSIG)`...
pub fn send(s: &Server, client: Client, zone: &str, body: &str) -> String {
    let header = format!("server 127.0.0.1 {}\nzone {zone}.\n", s.port);
    // nsupdate checks host names by default and would refuse an A record
    // at `_acme-challenge.…` itself, before the server could refuse it.
    let header_ns = format!("{header}check-names no\n");
    let (mut cmd, script) = match client {
        Client::NsupdateY(y) => {
            let mut c = Command::new("nsupdate");
            c.args(["-y", y]);
            (c, format!("{header_ns}{body}send\n"))
        }
        Client::NsupdateTcp(y) => {
            let mut c = Command::new("nsupdate");
            c.args(["-v", "-y", y]);
            (c, format!("{header_ns}{body}send\n"))
        }
        Client::NsupdateK(file) => {
            let mut c = Command::new("nsupdate");
            c.arg("-k").arg(file);
            (c, format!("{header_ns}{body}send\n"))
        }
        Client::Unsigned => (Command::new("nsupdate"), format!("{header_ns}{body}send\n")),
        Client::Knsupdate(k) => {
            let c = Command::new("knsupdate");
            let key = format!("key {k}\n");
            (c, format!("{header}{key}{body}send\n"))
        }
    };
    // Short timeouts: a server that does not answer is a failure, and the
    // tools' defaults (minutes) would hide it behind a hung test.
    cmd.args(["-t", "5"]);
    let knot = matches!(client, Client::Knsupdate(_));
    let out = run_with_stdin(cmd, &script);
    parse_update_result(knot, &out.0, out.1).unwrap_or_else(|| {
        panic!(
            "cannot read the outcome of {client:?}:\n{script}\n{}",
            out.0
        )
    })
}

pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> (String, bool) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn update client");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write script");
    let o = child.wait_with_output().expect("wait update client");
    let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&o.stderr));
    (text, o.status.success())
}

/// nsupdate prints `update failed: NXRRSET` (or `NOTAUTH(BADSIG)`),
/// knsupdate `update failed with error 'NXRRSET'`; both exit 0 on success.
pub fn parse_update_result(knot: bool, out: &str, ok: bool) -> Option<String> {
    let marker = if knot {
        "update failed with error '"
    } else {
        "update failed: "
    };
    if let Some(i) = out.find(marker) {
        let rest = &out[i + marker.len()..];
        let end = rest.find(['\'', '\n']).unwrap_or(rest.len());
        return Some(rest[..end].trim().to_string());
    }
    if ok && !out.contains("ERROR") && !out.contains("timed out") {
        return Some("NOERROR".to_string());
    }
    None
}

/// Runs `polyzone tsig generate NAME --algorithm ALG` and returns
/// (base64 secret from the config snippet, the BIND key clause).
pub fn generate_key(name: &str, alg: &str) -> (String, String) {
    let o = Command::new(polyzone_bin())
        .args(["tsig", "generate", name, "--algorithm", alg])
        .output()
        .expect("run polyzone tsig generate");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "tsig generate failed:\n{text}");
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no secret line in:\n{text}"))
        .to_string();
    let start = text
        .find("key \"")
        .unwrap_or_else(|| panic!("no key clause in:\n{text}"));
    let end = start + text[start..].find("};").expect("end of key clause") + 2;
    (secret, format!("{}\n", &text[start..end]))
}
