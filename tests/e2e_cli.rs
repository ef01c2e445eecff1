//! End-to-end CLI behaviour of the real binary: `polyzone check` on good and
//! bad input, and `polyzone serve` under SIGHUP (reload) and SIGTERM (stop).

mod common;

use common::{polyzone_bin, require, wait_for, zones_config, Server};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn config() -> String {
    zones_config(&["cli.test"])
}

/// A small zone at `serial` whose one host name, `v{serial}`, tells which
/// version is being served.
fn zone(serial: u32) -> String {
    format!(
        "$ORIGIN cli.test.\n\
         $TTL 3600\n\
         @    IN SOA ns1.cli.test. hostmaster.cli.test. {serial} 7200 3600 1209600 300\n\
         @    IN NS  ns1.cli.test.\n\
         ns1  IN A   192.0.2.1\n\
         v{serial}   IN A   192.0.2.{serial}\n"
    )
}

/// Line 7 holds an IPv4 address with an octet of 256.
const BAD_LINE: &str = "bad  IN A   192.0.2.256";

fn broken_zone(serial: u32) -> String {
    let z = format!("{}{BAD_LINE}\n", zone(serial));
    assert_eq!(
        z.lines().nth(6),
        Some(BAD_LINE),
        "the bad record must be on line 7"
    );
    z
}

fn run_check(dir: &Path, args: &[&str]) -> Output {
    Command::new(polyzone_bin())
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run polyzone check")
}

fn text(o: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temp deployment with `config` and `zones/cli.test.zone`.
fn deployment(config: &str, zone_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("zones")).expect("mkdir zones");
    std::fs::create_dir_all(dir.path().join("keys")).expect("mkdir keys");
    let config = config
        .replace("{PORT}", "5399")
        .replace("{API_PORT}", "8399");
    std::fs::write(dir.path().join("polyzone.toml"), config).expect("write config");
    std::fs::write(dir.path().join("zones/cli.test.zone"), zone_text).expect("write zone");
    dir
}

// ---------------------------------------------------------------------------
// polyzone check

#[test]
fn check_accepts_the_embedded_default() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // No --config: ./polyzone.toml is the default path.
    let o = run_check(root, &[]);
    assert!(
        o.status.success(),
        "check of the shipped polyzone.toml failed\n{}",
        text(&o)
    );
    let o = run_check(root, &["--config", "polyzone.toml"]);
    assert!(
        o.status.success(),
        "check --config polyzone.toml failed\n{}",
        text(&o)
    );
}

#[test]
fn check_accepts_a_good_deployment_from_elsewhere() {
    let dir = deployment(&config(), &zone(1));
    // Zone paths are relative to the config file, not to the working
    // directory: run from / to prove it.
    let cfg = dir.path().join("polyzone.toml");
    let o = run_check(
        Path::new("/"),
        &["--config", cfg.to_str().expect("utf-8 path")],
    );
    assert!(o.status.success(), "check failed\n{}", text(&o));
}

#[test]
fn check_reports_file_line_col_for_a_bad_zone() {
    let dir = deployment(&config(), &broken_zone(1));
    let o = run_check(dir.path(), &[]);
    assert!(!o.status.success(), "check passed a bad zone\n{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    // 1-based column of the bad token, the way compilers and editors count,
    // so `file:line:col` can be clicked to the spot.
    let col = BAD_LINE.find("192.0.2.256").expect("token") + 1;
    let want = format!("cli.test.zone:7:{col}:");
    assert!(
        stderr.contains(&want),
        "expected `{want}` in stderr\n{}",
        text(&o)
    );
}

#[test]
fn check_names_an_unknown_config_key() {
    // A typo in [server] and one in [[zone]]: each must be named, since a
    // silently ignored key is a setting the operator thinks is on.
    for (typo, config) in [
        ("listne", config().replace("listen =", "listne =")),
        (
            "serail",
            config().replace("file = ", "serail = \"increment\"\nfile = "),
        ),
    ] {
        let dir = deployment(&config, &zone(1));
        let o = run_check(dir.path(), &[]);
        assert!(
            !o.status.success(),
            "unknown key `{typo}` accepted\n{}",
            text(&o)
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(typo),
            "error does not name `{typo}`\n{}",
            text(&o)
        );
    }
}

// ---------------------------------------------------------------------------
// polyzone serve: signals

/// The SOA serial the server answers now, if any.
fn serial(s: &Server) -> Option<u32> {
    let out = s.dig(&["+short", "cli.test", "SOA"]);
    out.split_whitespace().nth(2).and_then(|n| n.parse().ok())
}

fn address(s: &Server, name: &str) -> String {
    s.dig(&["+short", name, "A"]).trim().to_string()
}

#[test]
fn sighup_with_a_broken_zone_keeps_the_old_version() {
    require("dig");
    let s = Server::start(&config(), &[("cli.test.zone", &zone(1))], "cli.test");
    assert_eq!(serial(&s), Some(1));
    assert_eq!(address(&s, "v1.cli.test"), "192.0.2.1");

    let zone_file = s.path().join("zones/cli.test.zone");
    std::fs::write(&zone_file, broken_zone(2)).expect("write broken zone");
    s.signal("HUP");
    // The failed reload is logged with the place of the error; waiting for
    // that line proves the reload was tried before we look at the answers.
    let want = "cli.test.zone:7:";
    assert!(
        wait_for(Duration::from_secs(10), || s.log().contains(want)),
        "no `{want}` in the log after SIGHUP; log:\n{}",
        s.log()
    );
    assert_eq!(
        serial(&s),
        Some(1),
        "a broken zone replaced the served one; log:\n{}",
        s.log()
    );
    assert_eq!(address(&s, "v1.cli.test"), "192.0.2.1");
    assert_eq!(
        address(&s, "v2.cli.test"),
        "",
        "data of the broken version is served"
    );

    std::fs::write(&zone_file, zone(2)).expect("write fixed zone");
    s.signal("HUP");
    assert!(
        wait_for(Duration::from_secs(10), || serial(&s) == Some(2)),
        "fixed zone not loaded after SIGHUP; log:\n{}",
        s.log()
    );
    assert_eq!(address(&s, "v2.cli.test"), "192.0.2.2");
    assert_eq!(
        address(&s, "v1.cli.test"),
        "",
        "data of the old version is still served"
    );
}

#[test]
fn sigterm_stops_cleanly() {
    require("dig");
    let mut s = Server::start(&config(), &[("cli.test.zone", &zone(1))], "cli.test");
    s.signal("TERM");
    let mut status = None;
    // 5 s is the contract's bound; polling returns as soon as it exits.
    let exited = wait_for(Duration::from_secs(5), || {
        status = s.child.try_wait().expect("try_wait");
        status.is_some()
    });
    assert!(exited, "still running 5 s after SIGTERM; log:\n{}", s.log());
    let status = status.expect("exit status");
    assert!(
        status.success(),
        "exit after SIGTERM: {status}; log:\n{}",
        s.log()
    );
}
