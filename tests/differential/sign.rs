//! Signing the differential zone with BIND's `dnssec-signzone`, so that
//! every server under test serves the very same signatures and the DO=1
//! replies can be compared record for record.

use crate::common::require;
use std::process::Command;

/// How the signed zone denies existence.
#[derive(Clone, Copy, Debug)]
pub enum Denial {
    Nsec,
    /// RFC 9276 parameters: no salt, no extra iterations.
    Nsec3,
    Nsec3OptOut,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a BIND tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `zone_text` signed as `origin` with a fresh ECDSAP256SHA256 KSK and ZSK.
pub fn signed(origin: &str, zone_text: &str, denial: Denial) -> String {
    for tool in ["dnssec-keygen", "dnssec-signzone"] {
        require(tool);
    }
    let dir = tempfile::tempdir().expect("signing temp dir");
    let d = dir.path();
    for ksk in [true, false] {
        let mut cmd = Command::new("dnssec-keygen");
        cmd.arg("-q")
            .arg("-K")
            .arg(d)
            .args(["-a", "ECDSAP256SHA256"]);
        if ksk {
            cmd.args(["-f", "KSK"]);
        }
        run(cmd.arg(origin));
    }
    let unsigned = d.join("zone.unsigned");
    let signed = d.join("zone.signed");
    std::fs::write(&unsigned, zone_text).expect("write unsigned zone");
    let mut cmd = Command::new("dnssec-signzone");
    // -d: the dsset file goes to the scratch dir, not the working directory.
    cmd.args(["-q", "-S", "-P"])
        .arg("-K")
        .arg(d)
        .arg("-d")
        .arg(d)
        .args(["-o", origin, "-N", "keep"]);
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
