//! Signing test zones with BIND's `dnssec-keygen` and `dnssec-signzone`
//! (ECDSAP256SHA256, a KSK and a ZSK per zone), for tests that serve zones
//! signed by another implementation.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// How a signed zone denies existence.
#[derive(Clone, Copy, Debug)]
pub enum Denial {
    Nsec,
    /// RFC 9276 parameters: no salt, no extra iterations.
    Nsec3,
    Nsec3OptOut,
}

/// Runs a BIND tool; its stdout, or a panic with all it printed.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a BIND tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes a KSK and a ZSK for `zone` in `dir`; the KSK's file name without
/// `.key` or `.private`.
pub fn keygen(dir: &Path, zone: &str) -> String {
    let mut ksk = String::new();
    for ksk_flag in [true, false] {
        let mut cmd = Command::new("dnssec-keygen");
        cmd.arg("-q")
            .arg("-K")
            .arg(dir)
            .args(["-a", "ECDSAP256SHA256"]);
        if ksk_flag {
            cmd.args(["-f", "KSK"]);
        }
        let name = run(cmd.arg(zone)).trim().to_string();
        if ksk_flag {
            ksk = name;
        }
    }
    ksk
}

/// Signs `text` as `zone` with the keys in `dir` (`extra`: more
/// `dnssec-signzone` flags); the signed zone file.
pub fn signzone(dir: &Path, zone: &str, text: &str, denial: Denial, extra: &[&str]) -> String {
    let unsigned = dir.join(format!("{zone}.unsigned"));
    let signed = dir.join(format!("{zone}.signed"));
    std::fs::write(&unsigned, text).expect("write unsigned zone");
    let mut cmd = Command::new("dnssec-signzone");
    // -d: the dsset file goes to the scratch dir, not the working directory.
    cmd.args(["-q", "-S"])
        .args(extra)
        .arg("-K")
        .arg(dir)
        .arg("-d")
        .arg(dir)
        .args(["-o", zone, "-N", "keep"]);
    match denial {
        Denial::Nsec => {}
        Denial::Nsec3 => {
            cmd.args(["-3", "-", "-H", "0"]);
        }
        Denial::Nsec3OptOut => {
            cmd.args(["-3", "-", "-H", "0", "-A"]);
        }
    }
    run(cmd.arg("-f").arg(&signed).arg(&unsigned));
    std::fs::read_to_string(&signed).expect("read signed zone")
}
