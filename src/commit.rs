//! The commit path: every change to a served zone — a dynamic update, a
//! zone-file reload, a rollback — becomes a [`Diff`], is appended to the
//! journal and made durable (fsync), and only then is the new version
//! published and the change acknowledged.
//!
//! One writer at a time: commits of all zones are serialized by a mutex,
//! so each diff is computed against the version it will be applied to.
//! Batches of diffs (several updates waiting at once) go to the store in
//! one transaction — one fsync — which is what makes concurrent clients
//! fast (group commit).
//!
//! # Zone file and dynamic data together
//! The store remembers the zone file as last loaded (a snapshot in the
//! zone's metadata) and the file's hash. When the file changes, only the
//! difference between the old and the new file is applied to the current
//! zone, so dynamic updates survive; where both touched the same record,
//! the file wins. The serial is the later (RFC 1982) of the file's serial
//! and the zone policy's next serial.
//!
//! # Restoration
//! At start-up each zone is the store's snapshot plus its journal; a zone
//! the store has never seen is loaded from its file and snapshotted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{Config, ZoneConfig};
use crate::load::{load_zone, LoadError};
use crate::rdata::RType;
use crate::server::catalog::Catalog;
use crate::store::codec::{decode_snapshot, encode_version};
use crate::store::{CommitMeta, FileState, HistoryEntry, RetentionPolicy, Store, StoreError};
use crate::zone::builder::ZoneBuilder;
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::serial::Serial;
use crate::zone::version::{soa_fields, ZoneVersion};
use crate::zone::Zone;

/// Metadata key of the zone file's last loaded contents.
const FILE_SNAPSHOT: &str = "file-snapshot";
/// From this many records, a commit builds its new version on one core
/// while another writes the journal.
const PARALLEL_APPLY_RECORDS: usize = 50_000;

/// Why a change was not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("zone {0} is not served here")]
    UnknownZone(Name),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("zone file: {0}")]
    Load(#[from] LoadError),
    #[error("{0}")]
    Invalid(String),
    #[error("the journal of {zone} no longer reaches serial {serial}")]
    OutOfReach { zone: Name, serial: u32 },
}

/// The single writer of every served zone.
pub struct Engine {
    store: Store,
    zones: HashMap<Name, (ZoneConfig, Arc<Zone>)>,
    retention: RetentionPolicy,
    lock: Mutex<()>,
    /// The snapshot thread's queue, once it runs (see [`Engine::spawn_writer`]).
    snapshot_queue: Mutex<Option<std::sync::mpsc::Sender<Name>>>,
    /// Zones queued for a snapshot, so a busy zone is queued once.
    snapshot_pending: Mutex<std::collections::HashSet<Name>>,
    /// What each secondary acknowledged and transferred (NOTIFY, AXFR/IXFR).
    secondaries: crate::server::xfr::status::SecondaryStatus,
    /// Signing state of the signed zones (see `seal`).
    dnssec: crate::dnssec::Registry,
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Engine {
    /// Opens the store and brings every configured zone up to date:
    /// snapshot + journal, then any change of its zone file since.
    pub fn open(config: &Config) -> Result<(Engine, Catalog), CommitError> {
        std::fs::create_dir_all(&config.server.data_dir).map_err(|e| {
            CommitError::Invalid(format!(
                "cannot create {}: {e}",
                config.server.data_dir.display()
            ))
        })?;
        let mut store = Store::open(&config.server.data_dir)?;
        let retention = RetentionPolicy {
            max_diffs: config.server.journal_max_diffs,
            max_bytes: config.server.journal_max_bytes,
        };
        store.set_retention(retention);
        let mut engine = Engine {
            store,
            zones: HashMap::new(),
            retention,
            lock: Mutex::new(()),
            snapshot_queue: Mutex::new(None),
            snapshot_pending: Mutex::new(Default::default()),
            secondaries: Default::default(),
            dnssec: crate::dnssec::Registry::open(config)
                .map_err(|e| CommitError::Invalid(format!("DNSSEC: {e}")))?,
        };
        engine.dnssec.restore_states(&engine.store);
        let mut served = Vec::new();
        for zc in &config.zones {
            let (zone, restored) = engine.restore(zc)?;
            served.push(zone.clone());
            engine
                .zones
                .insert(zc.name.clone(), (zc.clone(), zone.clone()));
            // A zone restored from the journal may have a newer file; one
            // just read from its file is current by definition.
            if restored {
                engine.sync_file(zc, &zone)?;
            }
        }
        release_free_memory();
        Ok((engine, Catalog::new(served)))
    }

    /// The zone as the store has it (`true`), or as its file has it when
    /// the store has never seen it (`false`; its snapshot is written later,
    /// see [`Engine::spawn_snapshots`]).
    fn restore(&self, zc: &ZoneConfig) -> Result<(Arc<Zone>, bool), CommitError> {
        if let Some(restored) = self.store.load(&zc.name)? {
            let diffs = restored.diffs.len();
            let version = restored.into_version(&zc.name)?;
            tracing::info!(zone = %zc.name, serial = version.serial(), diffs, "zone restored from the journal");
            return Ok((Arc::new(Zone::new(version)), true));
        }
        let loaded = load_zone(zc)?;
        for w in &loaded.warnings {
            tracing::warn!(zone = %zc.name, "{w}");
        }
        let version = loaded.version;
        tracing::info!(zone = %zc.name, serial = version.serial(), records = version.record_count(), "zone loaded from its file");
        Ok((Arc::new(Zone::new(version)), false))
    }

    /// Writes, in the background, the first snapshot of every zone that
    /// was loaded from its file: serving starts at once, and the zone file
    /// itself is the durable copy until then. A commit that comes first
    /// writes the snapshot itself (see [`Engine::ensure_snapshot`]).
    pub fn spawn_snapshots(self: &Arc<Self>) {
        let engine = self.clone();
        let spawned = std::thread::Builder::new()
            .name("snapshot".into())
            .spawn(move || {
                for (zc, zone) in engine.zones.values() {
                    let Ok(_guard) = engine.lock.lock() else {
                        return;
                    };
                    if let Err(e) = engine.ensure_snapshot(zc, zone) {
                        tracing::error!(zone = %zc.name, "cannot write the first snapshot: {e}");
                    }
                }
                release_free_memory();
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the snapshot thread: {e}");
        }
    }

    /// Makes sure the store has the zone (snapshot of the served version
    /// and the file's state); call with the writer lock held.
    fn ensure_snapshot(&self, zc: &ZoneConfig, zone: &Arc<Zone>) -> Result<(), CommitError> {
        if self.store.zone_serial(&zc.name).is_some() {
            return Ok(());
        }
        let version = zone.current();
        // The snapshot is also the file's loaded state: encoded once.
        let snap = self.store.write_version_snapshot(&zc.name, &version)?;
        self.remember_file(zc, &version, &snap)?;
        tracing::info!(zone = %zc.name, serial = version.serial(), "first snapshot written");
        Ok(())
    }

    /// Records `version` (encoded as a snapshot: `snap`) as the state of
    /// the zone file as it is now on disk.
    fn remember_file(
        &self,
        zc: &ZoneConfig,
        version: &ZoneVersion,
        snap: &[u8],
    ) -> Result<(), CommitError> {
        let bytes = std::fs::read(&zc.file)
            .map_err(|e| CommitError::Invalid(format!("cannot read {}: {e}", zc.file.display())))?;
        self.store.put_meta(&zc.name, FILE_SNAPSHOT, snap)?;
        self.store.set_file_state(
            &zc.name,
            FileState {
                serial: version.serial(),
                hash: FileState::hash_of(&bytes),
            },
        )?;
        Ok(())
    }

    /// Applies the change of a zone file since it was last loaded.
    fn sync_file(&self, zc: &ZoneConfig, zone: &Arc<Zone>) -> Result<Option<u32>, CommitError> {
        let bytes = std::fs::read(&zc.file)
            .map_err(|e| CommitError::Invalid(format!("cannot read {}: {e}", zc.file.display())))?;
        let state = self.store.file_state(&zc.name)?;
        if state.is_some_and(|s| s.hash == FileState::hash_of(&bytes)) {
            return Ok(None);
        }
        let new_file = load_zone(zc)?;
        for w in &new_file.warnings {
            tracing::warn!(zone = %zc.name, "{w}");
        }
        let new_file = new_file.version;
        let old_records = match self.store.get_meta(&zc.name, FILE_SNAPSHOT)? {
            Some(bytes) => {
                decode_snapshot(&bytes)
                    .map_err(|e| CommitError::Invalid(e.to_string()))?
                    .1
            }
            None => Vec::new(),
        };
        let new_records = new_file.records_canonical();
        let _guard = self
            .lock
            .lock()
            .map_err(|_| CommitError::Invalid("writer lock poisoned".into()))?;
        self.ensure_snapshot(zc, zone)?;
        let current = zone.current();
        let merged = merge_file_change(&current, &old_records, &new_records, &zc.name, zc.serial)?;
        let diff = Diff::between(&current, &merged);
        let new_snap = encoded(&new_file)?;
        if diff.is_empty() {
            self.remember_file(zc, &new_file, &new_snap)?;
            return Ok(None);
        }
        let diff = self.seal(zc, &current, diff)?;
        let meta = CommitMeta {
            time: now(),
            who: "file-reload".into(),
        };
        // Applied before it is journaled: the journal never holds a diff
        // that does not apply.
        let version = apply(&current, &diff)?;
        let (added, removed) = (diff.added.len(), diff.removed.len());
        self.store.append(&zc.name, &[(diff, meta)])?;
        self.remember_file(zc, &new_file, &new_snap)?;
        let serial = version.serial();
        zone.publish(version);
        self.compact(&zc.name);
        tracing::info!(zone = %zc.name, serial, added, removed, "zone file change committed");
        Ok(Some(serial))
    }

    /// Re-reads every zone file; a zone whose file fails keeps serving.
    pub fn reload(&self) -> Vec<String> {
        let mut report = Vec::new();
        for (zc, zone) in self.zones.values() {
            match self.sync_file(zc, zone) {
                Ok(Some(serial)) => report.push(format!("{}: reloaded, serial {serial}", zc.name)),
                Ok(None) => report.push(format!("{}: unchanged", zc.name)),
                Err(e) => {
                    tracing::error!(zone = %zc.name, "reload failed, still serving serial {}: {e}", zone.current().serial());
                    report.push(format!("{}: reload failed: {e}", zc.name));
                }
            }
        }
        report
    }

    /// The secondaries' NOTIFY and transfer status.
    /// The store (for followers' small state, e.g. sync's applied serials).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn secondaries(&self) -> &crate::server::xfr::status::SecondaryStatus {
        &self.secondaries
    }

    /// The served zone and its settings.
    pub fn zone(&self, name: &Name) -> Result<(&ZoneConfig, &Arc<Zone>), CommitError> {
        self.zones
            .get(name)
            .map(|(c, z)| (c, z))
            .ok_or_else(|| CommitError::UnknownZone(name.clone()))
    }

    /// The names of every served zone.
    pub fn zone_names(&self) -> Vec<Name> {
        self.zones.keys().cloned().collect()
    }

    /// Computes and commits changes under the writer lock: `make` gets the
    /// current version and returns the diffs to commit (each against the
    /// result of the previous one). Durable before it returns.
    pub fn commit_with<T>(
        &self,
        zone: &Name,
        make: impl FnOnce(&ZoneVersion) -> Result<(Vec<(Diff, CommitMeta)>, T), CommitError>,
    ) -> Result<T, CommitError> {
        let (zc, z) = self.zone(zone)?;
        let _guard = self
            .lock
            .lock()
            .map_err(|_| CommitError::Invalid("writer lock poisoned".into()))?;
        let current = z.current();
        // The zone's first snapshot (the version before this commit) is
        // written while the change is made and sealed: for a zone signed
        // at its first load, both take seconds and neither needs the other.
        let sealed = std::time::Instant::now();
        let (out, version, diffs) = std::thread::scope(|s| {
            let first_snapshot = self
                .store
                .zone_serial(&zc.name)
                .is_none()
                .then(|| s.spawn(|| self.ensure_snapshot(zc, z)));
            let made = self.make_and_seal(zc, &current, make);
            if let Some(h) = first_snapshot {
                // A panic there is a bug: it goes on up as one here.
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            }
            made
        })?;
        let Some((last, _)) = diffs.last() else {
            return Ok(out);
        };
        let started = std::time::Instant::now();
        let big = last.removed.len() + last.added.len() >= PARALLEL_APPLY_RECORDS;
        let version = if big {
            // A full signing pass or a big reload: building the new
            // version and writing the journal take seconds each, so they
            // run side by side. The journal transaction is committed only
            // once the diff is known to apply: a journal must never hold a
            // diff that replay would refuse.
            std::thread::scope(|s| {
                let (applied_tx, applied_rx) = std::sync::mpsc::channel::<bool>();
                let diffs = &diffs;
                let journal = s.spawn(move || {
                    let confirm = || applied_rx.recv().unwrap_or(false);
                    let stored = self.store.append_if(&zc.name, diffs, confirm)?;
                    Ok::<_, StoreError>((stored, started.elapsed().as_millis() as u64))
                });
                let version = apply(&version, last);
                let apply_ms = started.elapsed().as_millis() as u64;
                // The receiver only goes away when the journal thread
                // failed, which its result reports.
                let _ = applied_tx.send(version.is_ok());
                // A panic there is a bug: it goes on up as one here.
                let (stored, journal_ms) = journal
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
                let version = version?;
                debug_assert!(stored, "an applied diff is always journaled");
                tracing::debug!(zone = %zc.name, records = last.removed.len() + last.added.len(), apply_ms, journal_ms, "big commit");
                Ok::<_, CommitError>(version)
            })?
        } else {
            let version = apply(&version, last)?;
            self.store.append(&zc.name, &diffs)?;
            version
        };
        crate::metrics::commit(diffs.len(), started.elapsed().as_micros() as u64);
        tracing::debug!(zone = %zc.name, sealed_applied_ms = sealed.elapsed().as_millis() as u64, append_ms = started.elapsed().as_millis() as u64, "committed");
        self.write_back(zc, &version);
        z.publish(version);
        self.compact(&zc.name);
        Ok(out)
    }

    /// The diffs `make` returns for `current`, each sealed against the
    /// version the ones before it made; also the version the last one
    /// applies to (the caller applies it beside the journal write).
    #[allow(clippy::type_complexity)]
    fn make_and_seal<T>(
        &self,
        zc: &ZoneConfig,
        current: &ZoneVersion,
        make: impl FnOnce(&ZoneVersion) -> Result<(Vec<(Diff, CommitMeta)>, T), CommitError>,
    ) -> Result<(T, ZoneVersion, Vec<(Diff, CommitMeta)>), CommitError> {
        let (made, out) = make(current)?;
        let mut version = current.clone();
        let mut diffs: Vec<(Diff, CommitMeta)> = Vec::with_capacity(made.len());
        for (d, meta) in made {
            if let Some((last, _)) = diffs.last() {
                version = apply(&version, last)?;
            }
            diffs.push((self.seal(zc, &version, d)?, meta));
        }
        Ok((out, version, diffs))
    }

    /// With `zonefile_sync`, writes the zone back to its file atomically
    /// (temp file, fsync, rename, fsync of the directory) and records it as
    /// the file's loaded state, so a reload sees no change. A failure is
    /// logged: the journal already holds the change.
    fn write_back(&self, zc: &ZoneConfig, version: &ZoneVersion) {
        if !zc.zonefile_sync {
            return;
        }
        let records = version.records_canonical();
        let result = write_atomically(&zc.file, |w| {
            crate::zonefile::write_zone(w, version.apex(), records.iter())
        })
        .map_err(|e| CommitError::Invalid(format!("writing {}: {e}", zc.file.display())))
        .and_then(|()| encoded(version))
        .and_then(|snap| self.remember_file(zc, version, &snap));
        if let Err(e) = result {
            tracing::error!(zone = %zc.name, "zonefile_sync failed: {e}");
        }
    }

    /// The last step before a diff is applied and journaled: whatever
    /// the zone's own machinery adds to every change goes here, so that one
    /// serial carries the whole change (DNSSEC: the new signatures and the
    /// repaired NSEC/NSEC3 links). `before` is the version it applies to.
    fn seal(&self, zc: &ZoneConfig, before: &ZoneVersion, diff: Diff) -> Result<Diff, CommitError> {
        self.dnssec
            .seal(&zc.name, before, diff)
            .map_err(|e| CommitError::Invalid(format!("DNSSEC: {e}")))
    }

    /// The signing state of the signed zones.
    pub fn dnssec(&self) -> &crate::dnssec::Registry {
        &self.dnssec
    }

    /// Queues a new snapshot of the zone when its journal is due one
    /// (see `store/snapshot.rs`); without a snapshot thread (tools, tests)
    /// it is written at once.
    fn compact(&self, zone: &Name) {
        if !self.store.needs_snapshot(zone, &self.retention) {
            return;
        }
        if let Ok(queue) = self.snapshot_queue.lock() {
            if let Some(queue) = queue.as_ref() {
                let fresh = self
                    .snapshot_pending
                    .lock()
                    .is_ok_and(|mut p| p.insert(zone.clone()));
                if fresh && queue.send(zone.clone()).is_err() {
                    tracing::warn!(%zone, "the snapshot thread is gone");
                }
                return;
            }
        }
        self.snapshot_now(zone);
    }

    /// Encodes the served version of a zone and installs it as the
    /// store's snapshot. Needs no lock: the version is immutable and the
    /// store checks that its serial is still in the journal's chain.
    fn snapshot_now(&self, zone: &Name) {
        let Ok((_, z)) = self.zone(zone) else { return };
        let version = z.current();
        let started = std::time::Instant::now();
        let bytes = match encode_version(&version) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%zone, "cannot encode a snapshot: {e}");
                return;
            }
        };
        match self
            .store
            .install_snapshot(zone, version.serial(), &bytes, &self.retention)
        {
            Ok(true) => {
                tracing::info!(%zone, serial = version.serial(), bytes = bytes.len(), ms = started.elapsed().as_millis() as u64, "snapshot written")
            }
            Ok(false) => tracing::debug!(%zone, serial = version.serial(), "snapshot superseded"),
            Err(e) => tracing::warn!(%zone, "cannot write a snapshot: {e}"),
        }
    }

    /// The snapshot thread: writes queued snapshots at a lower CPU
    /// priority than serving.
    fn spawn_snapshotter(self: &Arc<Self>) -> std::io::Result<()> {
        let (tx, rx) = std::sync::mpsc::channel::<Name>();
        let engine = self.clone();
        std::thread::Builder::new()
            .name("snapshotter".into())
            .spawn(move || {
                // SAFETY: plain syscalls on the calling thread.
                unsafe {
                    let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                    libc::setpriority(libc::PRIO_PROCESS, tid, 10);
                }
                while let Ok(zone) = rx.recv() {
                    engine.snapshot_now(&zone);
                    if let Ok(mut p) = engine.snapshot_pending.lock() {
                        p.remove(&zone);
                    }
                    release_free_memory();
                }
            })?;
        if let Ok(mut q) = self.snapshot_queue.lock() {
            *q = Some(tx);
        }
        Ok(())
    }

    /// Newest-first history of a zone.
    pub fn history(&self, zone: &Name, limit: usize) -> Result<Vec<HistoryEntry>, CommitError> {
        self.zone(zone)?;
        Ok(self.store.history(zone, limit)?)
    }

    /// The diffs from `from` to `to`.
    pub fn diffs(&self, zone: &Name, from: u32, to: u32) -> Result<Vec<Diff>, CommitError> {
        self.zone(zone)?;
        self.store
            .diffs_between(zone, from, to)?
            .ok_or_else(|| CommitError::OutOfReach {
                zone: zone.clone(),
                serial: from,
            })
    }

    /// Commits the inverse of every change after serial `to`, as a new serial.
    pub fn rollback(&self, zone: &Name, to: u32, who: &str) -> Result<u32, CommitError> {
        let (zc, _) = self.zone(zone)?;
        let policy = zc.serial;
        self.commit_with(zone, |current| {
            if current.serial() == to {
                return Err(CommitError::Invalid(format!(
                    "{zone} is already at serial {to}"
                )));
            }
            let chain = self
                .store
                .diffs_between(zone, to, current.serial())?
                .ok_or_else(|| CommitError::OutOfReach {
                    zone: zone.clone(),
                    serial: to,
                })?;
            // Replay the inverses to find the old zone, then express the
            // whole return as one forward diff with a fresh serial.
            let mut old = current.clone();
            for d in chain.iter().rev() {
                old = old
                    .apply(&d.invert())
                    .map_err(|e| CommitError::Invalid(e.to_string()))?;
            }
            let serial = policy.next(current.serial(), now());
            let mut diff = Diff::between(current, &old);
            retarget_soa(&mut diff, current, serial)?;
            let meta = CommitMeta {
                time: now(),
                who: who.to_string(),
            };
            Ok((vec![(diff, meta)], serial))
        })
    }
}

/// One RFC 2136 UPDATE waiting for the writer.
pub struct UpdateJob {
    /// The whole message as received.
    pub msg: Vec<u8>,
    /// The TSIG key that signed it, verified by the caller.
    pub key: Option<Name>,
    /// Sends the answer: gets the rcode and builds and sends the reply
    /// (signing it when the request was signed).
    pub reply: ReplyFn,
}

/// Sends the answer of an update, given its rcode.
pub type ReplyFn = Box<dyn FnOnce(u16) + Send>;

/// Updates handled in one batch at most (one fsync for all of them).
const MAX_BATCH: usize = 256;

impl Engine {
    /// Starts the writer thread; updates sent to the returned channel are
    /// processed in arrival order, batched while the disk is busy.
    pub fn spawn_writer(self: &Arc<Self>) -> std::io::Result<std::sync::mpsc::Sender<UpdateJob>> {
        self.spawn_snapshotter()?;
        let (tx, rx) = std::sync::mpsc::channel::<UpdateJob>();
        let engine = self.clone();
        std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    engine.process_updates(batch);
                }
            })?;
        Ok(tx)
    }

    /// Decides every update of a batch against the zone as the updates
    /// before it left it, writes all resulting diffs durably, publishes,
    /// and only then answers.
    fn process_updates(&self, jobs: Vec<UpdateJob>) {
        use crate::server::update::{parse_update, process_update, UpdateOutcome};
        use crate::wire::message::rcode;
        let Ok(_guard) = self.lock.lock() else {
            for job in jobs {
                (job.reply)(rcode::SERVFAIL);
            }
            return;
        };
        let now = now();
        let started = std::time::Instant::now();
        let batch = jobs.len();
        // Per zone: the evolving version and the diffs made so far.
        let mut work: HashMap<Name, (ZoneVersion, Vec<(Diff, CommitMeta)>)> = HashMap::new();
        let mut waiting: Vec<(Name, ReplyFn)> = Vec::new();
        for job in jobs {
            let req = match parse_update(&job.msg) {
                Ok(r) => r,
                Err(rc) => {
                    (job.reply)(rc);
                    continue;
                }
            };
            let Some((zc, zone)) = self.zones.get(&req.zone) else {
                (job.reply)(rcode::NOTAUTH);
                continue;
            };
            if !work.contains_key(&zc.name) {
                if let Err(e) = self.ensure_snapshot(zc, zone) {
                    tracing::error!(zone = %zc.name, "cannot write the first snapshot: {e}");
                    (job.reply)(rcode::SERVFAIL);
                    continue;
                }
            }
            let entry = work
                .entry(zc.name.clone())
                .or_insert_with(|| ((*zone.current()).clone(), Vec::new()));
            let outcome =
                process_update(&req, &entry.0, job.key.as_ref(), &zc.update, zc.serial, now);
            let outcome = match outcome {
                UpdateOutcome::Commit(diff) => match self.seal(zc, &entry.0, diff) {
                    Ok(d) => UpdateOutcome::Commit(d),
                    Err(e) => {
                        tracing::error!(zone = %zc.name, "cannot complete an accepted update: {e}");
                        UpdateOutcome::Refuse(rcode::SERVFAIL)
                    }
                },
                other => other,
            };
            match outcome {
                UpdateOutcome::Commit(diff) => match entry.0.apply(&diff) {
                    Ok(next) => {
                        let who = job
                            .key
                            .as_ref()
                            .map_or("unsigned".to_string(), |k| format!("tsig:{k}"));
                        entry.0 = next;
                        entry.1.push((diff, CommitMeta { time: now, who }));
                        waiting.push((zc.name.clone(), job.reply));
                    }
                    Err(e) => {
                        tracing::error!(zone = %zc.name, "an accepted update does not apply: {e}");
                        (job.reply)(rcode::SERVFAIL);
                    }
                },
                // Answered after the earlier updates of the batch are
                // durable, so a client never sees its NOERROR overtake them.
                UpdateOutcome::NoChange => waiting.push((zc.name.clone(), job.reply)),
                UpdateOutcome::Refuse(rc) => {
                    crate::metrics::update(rc);
                    (job.reply)(rc)
                }
            }
        }
        let mut failed: Vec<Name> = Vec::new();
        let mut committed: Vec<Name> = Vec::new();
        let logged: Vec<(Name, u32, String, usize, usize)> = work
            .iter()
            .flat_map(|(zone, (_, diffs))| {
                diffs.iter().map(|(d, m)| {
                    let (added, removed) = (d.added.len(), d.removed.len());
                    (zone.clone(), d.serial_to, m.who.clone(), added, removed)
                })
            })
            .collect();
        for (name, (version, diffs)) in work {
            if diffs.is_empty() {
                continue;
            }
            let Some((zc, zone)) = self.zones.get(&name) else {
                continue;
            };
            let appended = std::time::Instant::now();
            match self.store.append(&name, &diffs) {
                Ok(()) => {
                    crate::metrics::commit(diffs.len(), appended.elapsed().as_micros() as u64);
                    self.write_back(zc, &version);
                    zone.publish(version);
                    committed.push(name);
                }
                Err(e) => {
                    tracing::error!(zone = %name, "journal write failed, {} updates not applied: {e}", diffs.len());
                    failed.push(name);
                }
            }
        }
        tracing::debug!(
            batch,
            micros = started.elapsed().as_micros() as u64,
            "update batch durable"
        );
        for (zone, reply) in waiting {
            let rc = if failed.contains(&zone) {
                rcode::SERVFAIL
            } else {
                rcode::NOERROR
            };
            crate::metrics::update(rc);
            reply(rc);
        }
        // Logged once answered: the log write is not on the clients' path.
        for (zone, serial, who, added, removed) in logged {
            if !failed.contains(&zone) {
                tracing::info!(%zone, serial, %who, added, removed, "update");
            }
        }
        for name in committed {
            self.compact(&name);
        }
    }
}

/// Hands memory freed after big one-off jobs (loading, snapshots) back to
/// the operating system, so the resident size reflects the zones served.
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks the allocator's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Replaces `path` with what `write` produces, never leaving a partial file.
fn write_atomically(
    path: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.polyzone-tmp"));
    let file = std::fs::File::create(&tmp)?;
    {
        let mut w = std::io::BufWriter::new(&file);
        write(&mut w)?;
        w.flush()?;
    }
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Makes `diff` end at `serial`: its added SOA gets that serial (the
/// removed one is the current SOA).
pub fn retarget_soa(
    diff: &mut Diff,
    current: &ZoneVersion,
    serial: u32,
) -> Result<(), CommitError> {
    let soa = current
        .soa()
        .and_then(|s| s.first().map(|rd| (s.ttl, rd.to_vec())))
        .ok_or_else(|| CommitError::Invalid("zone has no SOA".into()))?;
    let target_rdata = diff
        .added
        .iter()
        .find(|r| r.rtype == RType::SOA)
        .map(|r| r.rdata.to_vec())
        .unwrap_or_else(|| soa.1.clone());
    let ttl = diff
        .added
        .iter()
        .find(|r| r.rtype == RType::SOA)
        .map_or(soa.0, |r| r.ttl);
    diff.removed.retain(|r| r.rtype != RType::SOA);
    diff.added.retain(|r| r.rtype != RType::SOA);
    diff.removed.push(Record::new(
        current.apex().clone(),
        RType::SOA,
        soa.0,
        soa.1,
    ));
    diff.added.push(Record::new(
        current.apex().clone(),
        RType::SOA,
        ttl,
        with_serial(&target_rdata, serial)?,
    ));
    diff.serial_from = current.serial();
    diff.serial_to = serial;
    Ok(())
}

/// SOA rdata with another serial.
pub fn with_serial(rdata: &[u8], serial: u32) -> Result<Vec<u8>, CommitError> {
    let bad = || CommitError::Invalid("malformed SOA rdata".into());
    let m = Name::wire_len(rdata).map_err(|_| bad())?;
    let r = Name::wire_len(rdata.get(m..).ok_or_else(bad)?).map_err(|_| bad())?;
    let at = m + r;
    let mut out = rdata.to_vec();
    out.get_mut(at..at + 4)
        .ok_or_else(bad)?
        .copy_from_slice(&serial.to_be_bytes());
    Ok(out)
}

/// The current zone with the file's change (old file → new file) laid over
/// it. The file wins where both changed a record; the SOA comes from the
/// new file with the later of its serial and the policy's next serial.
fn merge_file_change(
    current: &ZoneVersion,
    old_file: &[Record],
    new_file: &[Record],
    apex: &Name,
    policy: crate::zone::serial::SerialPolicy,
) -> Result<ZoneVersion, CommitError> {
    use std::collections::HashSet;
    let key = |r: &Record| (r.owner.to_lowercase(), r.rtype, r.rdata.clone());
    let old: HashSet<_> = old_file
        .iter()
        .filter(|r| r.rtype != RType::SOA)
        .map(key)
        .collect();
    let new: HashSet<_> = new_file
        .iter()
        .filter(|r| r.rtype != RType::SOA)
        .map(key)
        .collect();
    let mut records: Vec<Record> = Vec::new();
    let mut touched = 0usize;
    for r in current.records_canonical() {
        if r.rtype == RType::SOA {
            continue;
        }
        let k = key(&r);
        if old.contains(&k) && !new.contains(&k) {
            touched += 1;
            continue; // removed from the file
        }
        records.push(r);
    }
    let have: HashSet<_> = records.iter().map(key).collect();
    for r in new_file.iter().filter(|r| r.rtype != RType::SOA) {
        if !old.contains(&key(r)) && !have.contains(&key(r)) {
            records.push(r.clone());
        }
    }
    let file_soa = new_file
        .iter()
        .find(|r| r.rtype == RType::SOA)
        .ok_or_else(|| CommitError::Invalid("zone file has no SOA".into()))?;
    let file_serial = soa_fields(&file_soa.rdata).map(|f| f.serial).unwrap_or(0);
    let next = policy.next(current.serial(), now());
    let serial = if Serial(file_serial).is_after(Serial(next)) {
        file_serial
    } else {
        next
    };
    records.push(Record::new(
        apex.clone(),
        RType::SOA,
        file_soa.ttl,
        with_serial(&file_soa.rdata, serial)?,
    ));
    // Rebuild through the builder so the zone rules hold; where a dynamic
    // record now conflicts with the file (e.g. CNAME beside new data), the
    // dynamic one is dropped: the file wins.
    let from_file: HashSet<_> = new.clone();
    let mut builder = ZoneBuilder::new(apex.clone(), current.class());
    let (file_recs, dyn_recs): (Vec<Record>, Vec<Record>) = records
        .into_iter()
        .partition(|r| r.rtype == RType::SOA || from_file.contains(&key(r)));
    for r in file_recs {
        builder.add(r).map_err(CommitError::Invalid)?;
    }
    for r in dyn_recs {
        if let Err(e) = builder.add(r.clone()) {
            tracing::warn!(zone = %apex, "dynamic record {} {} dropped: the zone file now conflicts with it ({e})", r.owner, r.rtype);
        }
    }
    if touched > 0 {
        tracing::info!(zone = %apex, touched, "zone file change removed records");
    }
    builder
        .finish()
        .map_err(|e| CommitError::Invalid(e.to_string()))
}

/// `version` encoded as a snapshot.
fn encoded(version: &ZoneVersion) -> Result<Vec<u8>, CommitError> {
    encode_version(version).map_err(|e| CommitError::Invalid(e.to_string()))
}

/// `version` with `diff` applied, as a commit error when it does not apply.
fn apply(version: &ZoneVersion, diff: &Diff) -> Result<ZoneVersion, CommitError> {
    version
        .apply(diff)
        .map_err(|e| CommitError::Invalid(e.to_string()))
}
