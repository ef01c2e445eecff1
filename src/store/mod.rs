//! The durable store: the journal of diffs, zone snapshots and small
//! per-zone state, in one [redb] file (`data_dir/polyzone.redb`).
//!
//! A change is acknowledged only after [`Store::append`] has returned,
//! and `append` returns only after the write transaction that holds the
//! change has been committed with `fsync`. Everything else in the server
//! (the served version, IXFR, NOTIFY, provider sync) follows from what is
//! in here, so after any crash the server restarts from exactly the
//! acknowledged changes.
//!
//! # Data model
//!
//! Per zone the store keeps one **snapshot** (the full zone at one serial;
//! it is the diff from the empty zone, so snapshots and changes share one
//! record format) and the **journal**: the [`Diff`]s that follow the
//! snapshot, in order, each continuing the previous one (`serial_from` of
//! a diff equals `serial_to` of the one before, and the first one starts
//! at the snapshot's serial). The zone at its newest serial is the
//! snapshot with every diff applied.
//!
//! The journal may reach back before the snapshot: diffs the snapshot
//! already holds are kept for history and IXFR until the
//! [`RetentionPolicy`] drops them. A new snapshot is written from the
//! served version by a background thread ([`Store::install_snapshot`]),
//! so no commit ever waits for the whole zone to be encoded.
//!
//! # Data format
//!
//! redb tables (keys are the zone apex in lowercase wire form, so
//! `Example.COM` and `example.com` are one zone):
//!
//! | table | key | value |
//! |---|---|---|
//! | `zones` | zone | the zone's head: snapshot serial, last serial, first and next sequence number, diff count and bytes |
//! | `snapshots` | zone | snapshot entry: serial and every record |
//! | `journal` | (zone, sequence number) | diff entry: serials, commit time and author, removed and added records |
//! | `serials` | (zone, serial_from) | sequence number of the diff that starts at that serial |
//! | `meta` | (zone, key) | small opaque values (file state, sync state) |
//!
//! Diffs are keyed by a per-zone sequence number, never by serial:
//! serials wrap around (RFC 1982) and so do not sort; the `serials` index
//! finds the start of an IXFR chain without reading the journal.
//!
//! Every entry is framed by `codec.rs`: a format version, a kind byte, the
//! body (big-endian integers, names in wire form, an owner repeated from
//! the record before costs one byte) and a CRC-32 over all of it. A reader
//! refuses a version it does not know instead of guessing.
//!
//! # Failure modes
//!
//! - **Crash or power loss during a commit.** redb writes copy-on-write
//!   pages and flips to the new root only when the commit is complete,
//!   then fsyncs; a commit either is all there after restart or not at
//!   all. A batch of diffs passed to one `append` is one transaction, so
//!   it also survives whole or not at all. The next [`Store::open`] walks
//!   the file once anyway (see below), so commits do without redb's
//!   quick-repair mode, which would cost a second fsync per commit (it
//!   measured at less than half the append rate).
//! - **Bit rot, a truncated value, a bug that wrote garbage.** The CRC or
//!   the decoder catches it and the read returns
//!   [`StoreError::Corrupt`] naming the zone and the entry; decoding never
//!   panics and never allocates more than the bytes it was given justify.
//!   The zone is then not restored from the store: the operator reloads
//!   it from its zone file (which writes a fresh snapshot).
//! - **A broken chain** (a diff that does not start where the previous
//!   one ended, a record to remove that is not there) is refused when
//!   appending ([`StoreError::Discontinuity`]) and reported when
//!   restoring ([`StoreError::Replay`]), never silently skipped.
//! - **The file was damaged outside redb** (disk error, a stray write):
//!   [`Store::open`] verifies every page checksum of the file (one read
//!   of it, at start-up only) and fails with the path in the message
//!   instead of serving from damaged pages (damage in free space is
//!   harmless and opens fine; a test damages bytes all over the file and
//!   sees either an error or the intact zone, never a panic).
//! - **The file is locked by another process** (a second server on the
//!   same `data_dir`): [`Store::open`] fails with the path in the message.
//! - **Disk full or an I/O error during a commit**: the transaction is
//!   rolled back, the error is returned, nothing is acknowledged.
//!
//! # Restoration
//!
//! At start-up the server calls [`Store::load`] for each zone and
//! [`Restored::into_version`] to rebuild the served version: the snapshot
//! records go into a [`ZoneBuilder`](crate::zone::builder::ZoneBuilder)
//! after the diffs have been replayed over them at record level (one
//! pass, not one full copy of the zone per diff), with the same rules as
//! [`ZoneVersion::apply`](crate::zone::ZoneVersion::apply): every removed
//! record must exist, every added one must not, and after each diff the
//! apex SOA must carry the diff's `serial_to`.

pub mod codec;
mod history;
mod journal;
mod replay;
mod snapshot;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_crash;

use std::path::{Path, PathBuf};

use redb::{Database, TableDefinition};

use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::Diff;

pub use codec::CodecError;

/// Zone heads: zone key → encoded [`codec::ZoneHead`].
const ZONES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("zones");
/// Snapshots: zone key → encoded snapshot entry.
const SNAPSHOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("snapshots");
/// The journal: (zone key, sequence number) → encoded diff entry.
const JOURNAL: TableDefinition<(&[u8], u64), &[u8]> = TableDefinition::new("journal");
/// Where a serial's diff is: (zone key, serial_from) → sequence number.
const SERIALS: TableDefinition<(&[u8], u32), u64> = TableDefinition::new("serials");
/// Small per-zone values: (zone key, key) → bytes.
const META: TableDefinition<(&[u8], &str), &[u8]> = TableDefinition::new("meta");

/// The file name of the store inside the data directory.
pub const STORE_FILE: &str = "polyzone.redb";

/// redb's page cache. Its default (1 GiB) is far more than a journal
/// needs; the zones themselves live in memory as `ZoneVersion`s anyway.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Who made a change and when; stored with each diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeta {
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// The author: `tsig:KEYNAME`, `file-reload`, `api:TOKEN`, `rollback`, ...
    pub who: String,
}

/// What [`Store::load`] found for a zone: a snapshot and the diffs after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The serial of the snapshot.
    pub snapshot_serial: u32,
    /// Every record of the zone at `snapshot_serial`.
    pub records: Vec<Record>,
    /// The diffs after the snapshot, oldest first, each continuing the
    /// one before.
    pub diffs: Vec<Diff>,
}

/// One line of a zone's change history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub serial_from: u32,
    pub serial_to: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub who: String,
    /// Number of records added (SOA included).
    pub added: usize,
    /// Number of records removed (SOA included).
    pub removed: usize,
}

/// How much journal to keep per zone: the oldest diffs beyond it are
/// dropped once a snapshot holds them (see `snapshot.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Most diffs kept.
    pub max_diffs: usize,
    /// Most bytes of encoded diffs kept (the snapshot is not counted: it
    /// is the zone itself and cannot shrink).
    pub max_bytes: u64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            max_diffs: 1000,
            max_bytes: 100 * 1024 * 1024,
        }
    }
}

/// The zone file a zone was last loaded from: its SOA serial and the
/// SHA-256 of its bytes. SHA-256 rather than a 64-bit hash because
/// "unchanged" decides whether an edit is ignored, so a collision must
/// be out of the question, and the cost (a few ms per MB) is paid once
/// per reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    pub serial: u32,
    pub hash: [u8; 32],
}

impl FileState {
    /// The hash to put in [`FileState::hash`] for a file's contents.
    pub fn hash_of(contents: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(contents).into()
    }
}

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the store {path}: {source} (is another polyzone running on this data_dir?)"
    )]
    Open {
        path: PathBuf,
        source: redb::DatabaseError,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("storage error: {0}")]
    Db(#[from] redb::Error),
    #[error("zone {zone} is not in the store; write a snapshot of it before appending diffs")]
    UnknownZone { zone: String },
    #[error(
        "zone {zone}: diff {from} -> {to} does not continue the journal, which ends at serial {last}"
    )]
    Discontinuity {
        zone: String,
        last: u32,
        from: u32,
        to: u32,
    },
    #[error("zone {zone}: diff {from} -> {to} does not move the serial forward (RFC 1982)")]
    SerialNotForward { zone: String, from: u32, to: u32 },
    #[error("zone {zone}: snapshot for serial {serial} has {found} (the apex SOA must carry the snapshot's serial)")]
    SnapshotSerial {
        zone: String,
        serial: u32,
        found: String,
    },
    #[error("zone {zone}: serial {to} does not follow serial {from} in the journal")]
    SerialNotFound { zone: String, from: u32, to: u32 },
    #[error("zone {zone}: stored {what} is corrupt: {source}; reload the zone from its file")]
    Corrupt {
        zone: String,
        what: String,
        source: CodecError,
    },
    #[error("zone {zone}: the journal does not replay at serial {serial}: {reason}")]
    Replay {
        zone: String,
        serial: u32,
        reason: String,
    },
    #[error("zone {zone}: cannot encode {what}: {source}")]
    Encode {
        zone: String,
        what: String,
        source: CodecError,
    },
}

/// redb has one error type per operation; all of them become
/// [`StoreError::Db`] through redb's umbrella error.
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The durable store of every zone. Share it behind an `Arc`: readers
/// run concurrently with the one writer (redb MVCC), and write
/// transactions are serialized, so appends from several tasks are safe
/// (the continuity check runs inside the transaction). One process at a
/// time can open the file.
pub struct Store {
    db: Database,
    path: PathBuf,
    /// How much history [`Store::append`] keeps (see [`RetentionPolicy`]).
    retention: RetentionPolicy,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) `data_dir/polyzone.redb`. After a crash
    /// this is where redb rolls back to the last complete commit.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(STORE_FILE);
        // The integrity check verifies every page checksum on open (one
        // read of the file), so a file damaged outside redb is an error
        // here rather than a panic in the middle of serving.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .set_check_integrity_on_open(true)
            .create(&path)
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let store = Store {
            db,
            path,
            retention: RetentionPolicy::default(),
        };
        store.create_tables()?;
        Ok(store)
    }

    /// Sets how much history appends keep from now on.
    pub fn set_retention(&mut self, policy: RetentionPolicy) {
        self.retention = policy;
    }

    /// The path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the tables once, so read transactions never meet a
    /// missing table.
    fn create_tables(&self) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        txn.open_table(ZONES)?;
        txn.open_table(SNAPSHOTS)?;
        txn.open_table(JOURNAL)?;
        txn.open_table(SERIALS)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(())
    }

    /// A write transaction that is durable when `commit` returns (fsync).
    fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write()?;
        // Immediate is redb's default; said here because the whole
        // acknowledgement contract rests on it.
        txn.set_durability(redb::Durability::Immediate)
            .map_err(|e| StoreError::Db(e.into()))?;
        Ok(txn)
    }
}

/// The key of a zone: its apex in lowercase wire form.
fn zone_key(zone: &Name) -> Vec<u8> {
    zone.to_lowercase().as_wire().to_vec()
}

/// A zone's name for messages.
fn zone_str(zone: &Name) -> String {
    zone.to_string()
}
