//! Crash safety: a child process appends diffs one at a time and prints
//! each serial once `append` has returned; the test kills it with SIGKILL
//! at random moments, reopens the store and checks that every
//! acknowledged serial is there and the store is consistent.
//!
//! The child is this very test binary, run with [`CHILD_ENV`] set and
//! filtered to [`crash_child_writer`], which does nothing in a normal run.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::tests::{apex, base, bump, host, meta};
use super::*;
use crate::zone::serial::Serial;

const CHILD_ENV: &str = "POLYZONE_STORE_CRASH_DIR";
const CHILD_TEST: &str = "store::tests_crash::crash_child_writer";

/// The writer run in the child process.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // a normal test run: nothing to do
    };
    let store = Store::open(Path::new(&dir)).expect("child: open");
    let zone = apex();
    let mut out = std::io::stdout();
    if store.zone_serial(&zone).is_none() {
        store
            .write_snapshot(&zone, 1, &base(1))
            .expect("child: snapshot");
        writeln!(out, "ack 1").and_then(|_| out.flush()).ok();
    }
    let mut s = store.zone_serial(&zone).expect("child: serial");
    // Compacting now and then puts some kills in the middle of one.
    let policy = RetentionPolicy {
        max_diffs: 8,
        max_bytes: 1 << 30,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let d = bump(s, vec![host(s + 1)], vec![]);
        store
            .append(&zone, &[(d, meta("crash-test"))])
            .expect("child: append");
        s += 1;
        // Only now, after the fsync, is the serial acknowledged.
        writeln!(out, "ack {s}").and_then(|_| out.flush()).ok();
        if store.needs_snapshot(&zone, &policy) {
            store.compact(&zone, &policy).expect("child: compact");
        }
    }
}

/// A small xorshift generator: the kill times need no more than that.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn crash_safety_under_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return; // never recurse from inside a child
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    println!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let mut acked_max = 0u32;
    let mut rounds_with_progress = 0;
    let started = Instant::now();
    for round in 0..24 {
        let mut child = Command::new(&exe)
            .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.parse::<u32>().ok())
                {
                    acks.push(n);
                }
            }
            acks
        });
        // Between 10 and 250 ms: some kills land during start-up and
        // repair, most during appends, fsyncs and compactions.
        std::thread::sleep(Duration::from_millis(10 + rng.next() % 240));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap child");
        let acks = reader.join().expect("reader thread");

        let store = Store::open(dir.path()).expect("reopen after kill");
        let Some(r) = store.load(&apex()).expect("load after kill") else {
            assert!(
                acks.is_empty(),
                "round {round}: acknowledged {acks:?} but nothing stored"
            );
            continue;
        };
        let v = r.into_version(&apex()).expect("rebuild after kill");
        let serial = v.serial();
        for &a in &acks {
            assert!(
                !Serial(a).is_after(Serial(serial)),
                "round {round}: serial {a} was acknowledged, the store has {serial}"
            );
        }
        // At most one commit can be on disk without its acknowledgement.
        if let Some(&last) = acks.last() {
            assert!(
                serial == last || serial == last + 1,
                "round {round}: last ack {last}, store at {serial}"
            );
            rounds_with_progress += 1;
            acked_max = acked_max.max(last);
        }
        // Consistent: exactly the records of every serial up to `serial`.
        assert_eq!(
            v.record_count(),
            base(1).len() + serial as usize - 1,
            "round {round}"
        );
        for s in 2..=serial {
            assert!(
                v.node(&host(s).owner).is_some(),
                "round {round}: h{s} missing"
            );
        }
        assert_eq!(store.zone_serial(&apex()), Some(serial));
        drop(store);
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "crash test too slow"
        );
    }
    println!(
        "crash test: 24 kills, {rounds_with_progress} rounds with acknowledged appends, \
         last acknowledged serial {acked_max}, {:?}",
        started.elapsed()
    );
    assert!(
        rounds_with_progress >= 5,
        "too few rounds got to append anything"
    );
}
