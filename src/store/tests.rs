//! Store tests: append and read back, continuity, restart, IXFR chains,
//! history, compaction, corruption, and the figures for the closing note.

use std::time::Instant;

use redb::{ReadableDatabase, ReadableTable};

use super::*;
use crate::rdata::{Class, RType};
use crate::zone::builder::ZoneBuilder;
use crate::zone::ZoneVersion;

pub(super) fn name(s: &str) -> Name {
    s.parse().expect("test name")
}

pub(super) fn apex() -> Name {
    name("example.com")
}

pub(super) fn soa(serial: u32) -> Record {
    let mut v = Vec::new();
    v.extend_from_slice(name("ns1.example.com").as_wire());
    v.extend_from_slice(name("hostmaster.example.com").as_wire());
    for x in [serial, 3600, 900, 604800, 300] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    Record::new(apex(), RType::SOA, 3600, v)
}

/// `h<i>.example.com A` with an address derived from `i`.
pub(super) fn host(i: u32) -> Record {
    let b = i.to_be_bytes();
    Record::new(
        name(&format!("h{i}.example.com")),
        RType::A,
        300,
        b.to_vec(),
    )
}

pub(super) fn base(serial: u32) -> Vec<Record> {
    vec![
        soa(serial),
        Record::new(apex(), RType::NS, 3600, name("ns1.example.com").as_wire()),
        Record::new(name("ns1.example.com"), RType::A, 3600, vec![192, 0, 2, 1]),
        Record::new(name("www.example.com"), RType::A, 3600, vec![192, 0, 2, 2]),
    ]
}

/// The diff from `serial` to `serial + 1` that also adds and removes the
/// given records.
pub(super) fn bump(serial: u32, add: Vec<Record>, remove: Vec<Record>) -> Diff {
    let mut removed = vec![soa(serial)];
    removed.extend(remove);
    let mut added = vec![soa(serial.wrapping_add(1))];
    added.extend(add);
    Diff {
        serial_from: serial,
        serial_to: serial.wrapping_add(1),
        removed,
        added,
    }
}

pub(super) fn meta(who: &str) -> CommitMeta {
    CommitMeta {
        time: 1_795_737_600,
        who: who.into(),
    }
}

fn build(records: Vec<Record>) -> ZoneVersion {
    let mut b = ZoneBuilder::new(apex(), Class::IN);
    for r in records {
        b.add(r).expect("fixture record");
    }
    b.finish().expect("fixture zone")
}

fn temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

/// A store with a snapshot at 1 and `n` diffs, each adding `h<serial>`.
fn filled(n: u32) -> (tempfile::TempDir, Store) {
    let (dir, store) = temp();
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    let diffs: Vec<_> = (1..=n)
        .map(|s| (bump(s, vec![host(s + 1)], vec![]), meta("test")))
        .collect();
    store.append(&apex(), &diffs).unwrap();
    (dir, store)
}

/// The zone at serial `1 + n` as [`filled`] builds it.
fn expected(n: u32) -> Vec<Record> {
    let mut r = base(1 + n);
    r.extend((2..=1 + n).map(host));
    build(r).records_canonical()
}

fn restored(store: &Store) -> ZoneVersion {
    store
        .load(&apex())
        .unwrap()
        .expect("zone stored")
        .into_version(&apex())
        .unwrap()
}

/// The server shares one store between its tasks.
#[test]
fn store_is_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Store>();
    shareable::<StoreError>();
}

#[test]
fn concurrent_appends_stay_continuous() {
    let (_d, store) = temp();
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    // Four writers race to extend the same zone; each reads the serial
    // and appends from it. Losers get a Discontinuity and retry, as a
    // committer racing another would; the journal never forks.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut done = 0;
                while done < 10 {
                    let at = store.zone_serial(&apex()).unwrap();
                    let d = bump(at, vec![host(at + 1)], vec![]);
                    match store.append(&apex(), &[(d, meta("t"))]) {
                        Ok(()) => done += 1,
                        Err(StoreError::Discontinuity { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    });
    assert_eq!(store.zone_serial(&apex()), Some(41));
    assert_eq!(restored(&store).records_canonical(), expected(40));
}

#[test]
fn append_and_read_back() {
    let (_d, store) = temp();
    assert!(store.load(&apex()).unwrap().is_none());
    assert_eq!(store.zone_serial(&apex()), None);
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    assert_eq!(store.zone_serial(&apex()), Some(1));
    // One single append and one batch (group commit).
    let d1 = bump(1, vec![host(7)], vec![]);
    let d2 = bump(2, vec![host(8)], vec![host(7)]);
    let d3 = bump(
        3,
        vec![],
        vec![Record::new(
            name("www.example.com"),
            RType::A,
            3600,
            vec![192, 0, 2, 2],
        )],
    );
    store
        .append(&apex(), &[(d1.clone(), meta("tsig:k"))])
        .unwrap();
    store
        .append(
            &apex(),
            &[
                (d2.clone(), meta("api:t")),
                (d3.clone(), meta("file-reload")),
            ],
        )
        .unwrap();
    assert_eq!(store.zone_serial(&apex()), Some(4));
    let r = store.load(&apex()).unwrap().unwrap();
    assert_eq!(r.snapshot_serial, 1);
    assert_eq!(r.diffs, vec![d1.clone(), d2.clone(), d3.clone()]);
    // The rebuilt zone equals the snapshot with ZoneVersion::apply run on it.
    let stepwise = build(base(1))
        .apply(&d1)
        .unwrap()
        .apply(&d2)
        .unwrap()
        .apply(&d3)
        .unwrap();
    let v = r.into_version(&apex()).unwrap();
    assert_eq!(v.serial(), 4);
    assert_eq!(v.records_canonical(), stepwise.records_canonical());
    assert_eq!(v.name_count(), stepwise.name_count());
    // Case of the zone name does not matter.
    assert_eq!(store.zone_serial(&name("EXAMPLE.com")), Some(4));
}

#[test]
fn continuity_is_enforced() {
    let (_d, store) = temp();
    let err = store
        .append(&apex(), &[(bump(1, vec![], vec![]), meta("x"))])
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownZone { .. }), "{err}");
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    // A gap.
    let err = store
        .append(&apex(), &[(bump(2, vec![], vec![]), meta("x"))])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Discontinuity {
                last: 1,
                from: 2,
                to: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("example.com"), "{err}");
    // A batch whose second diff is wrong writes nothing at all.
    let err = store
        .append(
            &apex(),
            &[
                (bump(1, vec![host(2)], vec![]), meta("x")),
                (bump(5, vec![], vec![]), meta("x")),
            ],
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Discontinuity { last: 2, .. }),
        "{err}"
    );
    assert_eq!(store.zone_serial(&apex()), Some(1));
    assert!(store.load(&apex()).unwrap().unwrap().diffs.is_empty());
    // Backwards (RFC 1982) and standing still are refused.
    let mut back = bump(1, vec![], vec![]);
    back.serial_to = 1u32.wrapping_sub(5);
    let err = store.append(&apex(), &[(back, meta("x"))]).unwrap_err();
    assert!(matches!(err, StoreError::SerialNotForward { .. }), "{err}");
    let mut same = bump(1, vec![], vec![]);
    same.serial_to = 1;
    assert!(store.append(&apex(), &[(same, meta("x"))]).is_err());
    // Wrapping past 2^32 - 1 is moving forward.
    let top = u32::MAX - 1;
    store.write_snapshot(&apex(), top, &base(top)).unwrap();
    store
        .append(
            &apex(),
            &[
                (bump(top, vec![], vec![]), meta("x")),
                (bump(u32::MAX, vec![host(1)], vec![]), meta("x")),
            ],
        )
        .unwrap();
    assert_eq!(store.zone_serial(&apex()), Some(0));
    assert_eq!(restored(&store).serial(), 0);
}

#[test]
fn restart_gives_the_same_zone() {
    let (dir, store) = filled(20);
    let before = restored(&store).records_canonical();
    assert_eq!(before, expected(20));
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.zone_serial(&apex()), Some(21));
    let after = restored(&store);
    assert_eq!(after.serial(), 21);
    assert_eq!(after.records_canonical(), before);
    // And it goes on from there.
    store
        .append(&apex(), &[(bump(21, vec![host(99)], vec![]), meta("x"))])
        .unwrap();
    assert_eq!(store.zone_serial(&apex()), Some(22));
}

#[test]
fn diffs_between_chains() {
    let (_d, store) = filled(10);
    let all = store.diffs_between(&apex(), 1, 11).unwrap().unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!((all[0].serial_from, all[9].serial_to), (1, 11));
    let mid = store.diffs_between(&apex(), 4, 7).unwrap().unwrap();
    assert_eq!(
        mid.iter().map(|d| d.serial_to).collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert_eq!(store.diffs_between(&apex(), 11, 11).unwrap(), Some(vec![]));
    assert_eq!(store.diffs_between(&apex(), 5, 5).unwrap(), Some(vec![]));
    // Never in the journal: AXFR instead.
    assert_eq!(store.diffs_between(&apex(), 500, 11).unwrap(), None);
    assert_eq!(
        store.diffs_between(&name("other.test"), 1, 2).unwrap(),
        None
    );
    // `to` is not ahead of `from`.
    assert!(matches!(
        store.diffs_between(&apex(), 7, 4),
        Err(StoreError::SerialNotFound { from: 7, to: 4, .. })
    ));
    assert!(store.diffs_between(&apex(), 11, 12).is_err());
    // The chain applied to the zone at `from` gives the zone at `to`.
    let mut v = build({
        let mut r = base(4);
        r.extend((2..=4).map(host));
        r
    });
    for d in &mid {
        v = v.apply(d).unwrap();
    }
    assert_eq!(v.records_canonical(), {
        let mut r = base(7);
        r.extend((2..=7).map(host));
        build(r).records_canonical()
    });
}

#[test]
fn history_newest_first() {
    let (_d, store) = temp();
    assert!(store.history(&apex(), 10).unwrap().is_empty());
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    store
        .append(
            &apex(),
            &[(bump(1, vec![host(2), host(3)], vec![]), meta("tsig:upd"))],
        )
        .unwrap();
    store
        .append(
            &apex(),
            &[(bump(2, vec![], vec![host(2)]), meta("rollback"))],
        )
        .unwrap();
    let h = store.history(&apex(), 10).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0].serial_from, h[0].serial_to, h[0].who.as_str()),
        (2, 3, "rollback")
    );
    assert_eq!((h[0].added, h[0].removed), (1, 2));
    assert_eq!(
        (h[1].serial_from, h[1].serial_to, h[1].who.as_str()),
        (1, 2, "tsig:upd")
    );
    assert_eq!((h[1].added, h[1].removed), (3, 1));
    assert_eq!(h[1].time, 1_795_737_600);
    assert_eq!(store.history(&apex(), 1).unwrap().len(), 1);
}

#[test]
fn compaction_keeps_the_zone_and_bounds_the_journal() {
    let (_d, store) = filled(50);
    let before = restored(&store).records_canonical();
    let policy = RetentionPolicy {
        max_diffs: 12,
        max_bytes: 1 << 30,
    };
    assert!(store.needs_snapshot(&apex(), &policy));
    store.compact(&apex(), &policy).unwrap();
    assert!(!store.needs_snapshot(&apex(), &policy));
    let r = store.load(&apex()).unwrap().unwrap();
    // Everything folded into the snapshot: nothing to replay.
    assert_eq!((r.snapshot_serial, r.diffs.len()), (51, 0));
    assert_eq!(r.into_version(&apex()).unwrap().records_canonical(), before);
    assert_eq!(store.zone_serial(&apex()), Some(51));
    // History and IXFR keep the newest 12 diffs, from before the snapshot.
    assert_eq!(store.diffs_between(&apex(), 1, 51).unwrap(), None);
    assert_eq!(store.diffs_between(&apex(), 38, 51).unwrap(), None);
    assert_eq!(
        store.diffs_between(&apex(), 39, 51).unwrap().unwrap().len(),
        12
    );
    assert_eq!(store.history(&apex(), 100).unwrap().len(), 12);
    // Three more appends: not yet due a snapshot, replayed on load.
    for s in 51..54 {
        store
            .append(&apex(), &[(bump(s, vec![host(s + 1)], vec![]), meta("x"))])
            .unwrap();
    }
    assert!(!store.needs_snapshot(&apex(), &policy));
    assert_eq!(store.load(&apex()).unwrap().unwrap().diffs.len(), 3);
    assert_eq!(restored(&store).records_canonical(), expected(53));
    // A byte limit: each diff here is well over 50 bytes, so at most a
    // few survive a 200-byte budget.
    let by_bytes = RetentionPolicy {
        max_diffs: 1000,
        max_bytes: 200,
    };
    assert!(store.needs_snapshot(&apex(), &by_bytes));
    store.compact(&apex(), &by_bytes).unwrap();
    assert!(store.history(&apex(), 100).unwrap().len() < 3);
    let r = store.load(&apex()).unwrap().unwrap();
    assert_eq!((r.snapshot_serial, r.diffs.len()), (54, 0));
    assert_eq!(
        r.into_version(&apex()).unwrap().records_canonical(),
        expected(53)
    );
    // Nothing to fold is not an error; zero diffs kept drops all history.
    store.compact(&apex(), &by_bytes).unwrap();
    store
        .compact(
            &apex(),
            &RetentionPolicy {
                max_diffs: 0,
                max_bytes: 0,
            },
        )
        .unwrap();
    assert!(store.history(&apex(), 100).unwrap().is_empty());
    assert_eq!(restored(&store).records_canonical(), expected(53));
    assert_eq!(store.diffs_between(&apex(), 54, 54).unwrap(), Some(vec![]));
}

/// What the server does: a snapshot of a version it serves (here one in
/// the middle of the journal), installed while appends go on.
#[test]
fn installed_snapshot_moves_the_replay_start_and_never_back() {
    let (_d, mut store) = filled(20);
    let policy = RetentionPolicy {
        max_diffs: 8,
        max_bytes: 1 << 30,
    };
    store.set_retention(policy);
    // The zone at serial 11, as a server would hold it in memory.
    let mut v = restored(&store);
    for d in store
        .diffs_between(&apex(), 11, 21)
        .unwrap()
        .unwrap()
        .iter()
        .rev()
    {
        v = v.apply(&d.invert()).unwrap();
    }
    assert_eq!(v.serial(), 11);
    let snap = codec::encode_snapshot(11, &v.records_canonical()).unwrap();
    assert!(store.install_snapshot(&apex(), 11, &snap, &policy).unwrap());
    let r = store.load(&apex()).unwrap().unwrap();
    assert_eq!((r.snapshot_serial, r.diffs.len()), (11, 10));
    assert_eq!(
        r.into_version(&apex()).unwrap().records_canonical(),
        expected(20)
    );
    // Trimmed to 8 diffs? Not below the snapshot's replay start: the 10
    // diffs after it must stay, so only the folded ones went.
    assert_eq!(store.history(&apex(), 100).unwrap().len(), 10);
    // An older serial, or one not in the chain, is refused and changes nothing.
    let old = codec::encode_snapshot(5, &base(5)).unwrap();
    assert!(!store.install_snapshot(&apex(), 5, &old, &policy).unwrap());
    assert!(!store.install_snapshot(&apex(), 999, &old, &policy).unwrap());
    assert_eq!(store.load(&apex()).unwrap().unwrap().snapshot_serial, 11);
    // Appends trim what the snapshot holds once over the policy.
    for s in 21..30 {
        store
            .append(&apex(), &[(bump(s, vec![host(s + 1)], vec![]), meta("x"))])
            .unwrap();
    }
    let r = store.load(&apex()).unwrap().unwrap();
    assert_eq!((r.snapshot_serial, r.diffs.len()), (11, 19));
    assert_eq!(
        r.into_version(&apex()).unwrap().records_canonical(),
        expected(29)
    );
}

#[test]
fn snapshot_resets_the_journal_and_checks_its_serial() {
    let (_d, store) = filled(5);
    let err = store.write_snapshot(&apex(), 9, &base(8)).unwrap_err();
    assert!(
        matches!(err, StoreError::SnapshotSerial { serial: 9, .. }),
        "{err}"
    );
    let no_soa: Vec<Record> = base(9).into_iter().skip(1).collect();
    assert!(store.write_snapshot(&apex(), 9, &no_soa).is_err());
    store.write_snapshot(&apex(), 100, &base(100)).unwrap();
    let r = store.load(&apex()).unwrap().unwrap();
    assert_eq!((r.snapshot_serial, r.diffs.len()), (100, 0));
    assert_eq!(store.diffs_between(&apex(), 1, 6).unwrap(), None);
    assert!(store.history(&apex(), 10).unwrap().is_empty());
    store
        .append(&apex(), &[(bump(100, vec![host(3)], vec![]), meta("x"))])
        .unwrap();
    assert_eq!(
        store
            .diffs_between(&apex(), 100, 101)
            .unwrap()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn meta_file_state_and_zone_removal() {
    let (dir, store) = filled(3);
    let other = name("other.test");
    assert_eq!(store.file_state(&apex()).unwrap(), None);
    let fs = FileState {
        serial: 4,
        hash: FileState::hash_of(b"$ORIGIN example.com.\n"),
    };
    store.set_file_state(&apex(), fs).unwrap();
    store
        .put_meta(&apex(), "sync:pdns", b"{\"serial\":4}")
        .unwrap();
    store.put_meta(&other, "sync:pdns", b"other").unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.file_state(&apex()).unwrap(), Some(fs));
    assert_eq!(
        store.get_meta(&apex(), "sync:pdns").unwrap().as_deref(),
        Some(&b"{\"serial\":4}"[..])
    );
    assert_eq!(store.zones().unwrap(), vec![apex()]);
    store.delete_zone(&apex()).unwrap();
    assert!(store.load(&apex()).unwrap().is_none());
    assert_eq!(store.file_state(&apex()).unwrap(), None);
    assert_eq!(
        store.get_meta(&other, "sync:pdns").unwrap().as_deref(),
        Some(&b"other"[..])
    );
    let t = store.db.begin_read().unwrap();
    assert_eq!(
        redb::ReadableTableMetadata::len(&t.open_table(JOURNAL).unwrap()).unwrap(),
        0
    );
    assert_eq!(
        redb::ReadableTableMetadata::len(&t.open_table(SERIALS).unwrap()).unwrap(),
        0
    );
}

#[test]
fn corruption_is_reported_not_served() {
    let (_d, store) = filled(3);
    let key = zone_key(&apex());
    // Flip one byte of the second diff on disk.
    let txn = store.db.begin_write().unwrap();
    {
        let mut j = txn.open_table(JOURNAL).unwrap();
        let mut bytes = j
            .get((key.as_slice(), 1))
            .unwrap()
            .unwrap()
            .value()
            .to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        j.insert((key.as_slice(), 1), bytes.as_slice()).unwrap();
    }
    txn.commit().unwrap();
    let err = store.load(&apex()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("example.com") && msg.contains("#1") && msg.contains("checksum"),
        "{msg}"
    );
    assert!(store.diffs_between(&apex(), 1, 4).is_err());
    assert!(store.history(&apex(), 10).is_err());
    // A diff that does not match the zone fails the replay, naming it.
    let (_d2, store) = temp();
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    store
        .append(&apex(), &[(bump(1, vec![], vec![host(42)]), meta("x"))])
        .unwrap();
    let err = store
        .load(&apex())
        .unwrap()
        .unwrap()
        .into_version(&apex())
        .unwrap_err();
    assert!(matches!(err, StoreError::Replay { serial: 1, .. }), "{err}");
    assert!(store
        .compact(
            &apex(),
            &RetentionPolicy {
                max_diffs: 0,
                max_bytes: 0
            }
        )
        .is_err());
    // The failed compaction changed nothing.
    assert_eq!(store.load(&apex()).unwrap().unwrap().diffs.len(), 1);
}

#[test]
fn damaged_file_is_an_error_not_a_panic() {
    let (dir, store) = filled(30);
    drop(store);
    let original = std::fs::read(dir.path().join(STORE_FILE)).unwrap();
    let want = expected(30);
    let (mut errors, mut intact) = (0, 0);
    // Damage one byte at a time, spread over the whole file.
    for i in 1..40 {
        let at = original.len() * i / 40;
        let mut bytes = original.clone();
        bytes[at] ^= 0x5a;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(STORE_FILE), &bytes).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            let store = Store::open(d.path())?;
            let r = store.load(&apex())?.ok_or(StoreError::UnknownZone {
                zone: "gone".into(),
            })?;
            r.into_version(&apex())
        });
        match outcome {
            Err(_) => panic!("damage at byte {at} of {} panicked", original.len()),
            Ok(Err(_)) => errors += 1,
            // Unused pages, or redb's redundant commit slot: the zone must be whole.
            Ok(Ok(v)) => {
                assert_eq!(
                    v.records_canonical(),
                    want,
                    "damage at byte {at} changed the zone"
                );
                intact += 1;
            }
        }
    }
    println!("damaged file: {errors} errors, {intact} intact");
}

/// Figures for the closing note: appends per second (one diff per fsync,
/// and batches of 8), and the time to reopen and rebuild after 10,000
/// single-record diffs. Printed, not asserted (run with --nocapture).
#[test]
fn figures_append_rate_and_reopen_time() {
    let (dir, store) = temp();
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    let mut s = 1u32;
    let singles = 200;
    let t = Instant::now();
    for _ in 0..singles {
        store
            .append(
                &apex(),
                &[(bump(s, vec![host(s + 1)], vec![]), meta("bench"))],
            )
            .unwrap();
        s += 1;
    }
    let single_rate = singles as f64 / t.elapsed().as_secs_f64();
    let batches = 100;
    let t = Instant::now();
    for _ in 0..batches {
        let batch: Vec<_> = (0..8)
            .map(|i| (bump(s + i, vec![host(s + i + 1)], vec![]), meta("bench")))
            .collect();
        store.append(&apex(), &batch).unwrap();
        s += 8;
    }
    let batch_rate = (batches * 8) as f64 / t.elapsed().as_secs_f64();
    // Fill up to 10,000 diffs in large batches (their rate is not the point).
    while s < 10_001 {
        let n = (10_001 - s).min(500);
        let batch: Vec<_> = (0..n)
            .map(|i| (bump(s + i, vec![host(s + i + 1)], vec![]), meta("bench")))
            .collect();
        store.append(&apex(), &batch).unwrap();
        s += n;
    }
    drop(store);
    let t = Instant::now();
    let store = Store::open(dir.path()).unwrap();
    let opened = t.elapsed();
    let r = store.load(&apex()).unwrap().unwrap();
    let loaded = t.elapsed();
    assert_eq!(r.diffs.len(), 10_000);
    let diffs = r.diffs.clone();
    let v = r.into_version(&apex()).unwrap();
    let rebuilt = t.elapsed();
    assert_eq!(v.serial(), 10_001);
    assert_eq!(v.record_count(), 4 + 10_000);
    let mut want = base(10_001);
    want.extend((2..=10_001).map(host));
    assert_eq!(v.records_canonical(), build(want).records_canonical());
    // For comparison: the first 1,000 diffs through ZoneVersion::apply,
    // one immutable version (a full copy) per diff.
    let t2 = Instant::now();
    let mut step = build(base(1));
    for d in &diffs[..1000] {
        step = step.apply(d).unwrap();
    }
    let stepwise = t2.elapsed();
    assert_eq!(step.serial(), 1001);
    let size = std::fs::metadata(dir.path().join(STORE_FILE)).map_or(0, |m| m.len());
    println!(
        "store figures: single-diff appends {single_rate:.0}/s, batches of 8 {batch_rate:.0} diffs/s; \
         10,000 diffs: open {opened:?}, load {:?}, rebuild {:?} (total {rebuilt:?}); \
         ZoneVersion::apply of the first 1,000 diffs {stepwise:?}; file {size} bytes",
        loaded - opened,
        rebuilt - loaded,
    );
}

#[test]
fn a_version_encodes_to_the_snapshot_of_its_records() {
    // Several RRsets and records per name, mixed case, and an RRSIG,
    // which takes the TTL of the RRset it covers.
    let mut records = base(30);
    records.extend((0..50).map(host));
    records.push(Record::new(
        name("WWW.example.com"),
        RType::A,
        3600,
        vec![192, 0, 2, 9],
    ));
    records.push(Record::new(
        name("www.example.com"),
        RType::TXT,
        60,
        b"\x02hi".to_vec(),
    ));
    let mut sig = vec![0u8, 1, 13, 3, 0, 0, 0, 60];
    sig.extend_from_slice(&[7u8; 40]);
    records.push(Record::new(
        name("www.example.com"),
        RType::RRSIG,
        7200,
        sig,
    ));
    let v = build(records);
    let walked = codec::encode_version(&v).unwrap();
    let copied = codec::encode_snapshot(v.serial(), &v.records_canonical()).unwrap();
    assert_eq!(walked, copied);
    let (serial, back) = codec::decode_snapshot(&walked).unwrap();
    assert_eq!(serial, 30);
    assert_eq!(back, v.records_canonical());
    assert_eq!(back.len(), 4 + 50 + 3);
}

#[test]
fn an_append_not_confirmed_stores_nothing() {
    let (_d, store) = temp();
    store.write_snapshot(&apex(), 1, &base(1)).unwrap();
    let d1 = bump(1, vec![host(7)], vec![]);
    let stored = store
        .append_if(&apex(), &[(d1.clone(), meta("t"))], || false)
        .unwrap();
    assert!(!stored);
    assert_eq!(store.zone_serial(&apex()), Some(1));
    assert!(store.history(&apex(), 10).unwrap().is_empty());
    // The same diff goes in afterwards, once.
    assert!(store
        .append_if(&apex(), &[(d1, meta("t"))], || true)
        .unwrap());
    assert_eq!(store.zone_serial(&apex()), Some(2));
    assert_eq!(store.history(&apex(), 10).unwrap().len(), 1);
    let mut want = base(2);
    want.push(host(7));
    assert_eq!(
        restored(&store).records_canonical(),
        build(want).records_canonical()
    );
}
