//! Snapshots (a full copy of a zone at one serial), loading a zone's
//! snapshot and journal, and keeping the journal bounded.
//!
//! Two separate jobs keep a journal small, because they cost very
//! different amounts:
//! - a new **snapshot** costs the whole zone (every record encoded and
//!   written). The writer never does it: a background thread encodes the
//!   served version it already has in memory and installs it with
//!   [`Store::install_snapshot`], which only has to point the zone head at
//!   it. Restoring then replays only the diffs after it.
//! - **trimming** drops the oldest diffs beyond the [`RetentionPolicy`],
//!   but only those the snapshot already contains; it costs a few deletes
//!   and runs with every append and every snapshot.
//!
//! So history (and IXFR) reaches back up to the policy, restoring replays
//! at most about half of it, and no commit waits for a snapshot.

use redb::{ReadableDatabase, ReadableTable};

use crate::rdata::RType;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::{soa_fields, ZoneVersion};

use super::codec::{self, ZoneHead};
use super::journal::{decode_entry, read_head};
use super::replay::Replay;
use super::{
    zone_key, zone_str, Restored, RetentionPolicy, Store, StoreError, JOURNAL, SERIALS, SNAPSHOTS,
    ZONES,
};

/// The serial in the apex SOA among `records`, or a description of why
/// there is none, for [`StoreError::SnapshotSerial`].
fn apex_soa_serial(apex: &Name, records: &[Record]) -> Result<u32, String> {
    let mut soas = records
        .iter()
        .filter(|r| r.rtype == RType::SOA && r.owner == *apex);
    match (soas.next(), soas.next()) {
        (None, _) => Err("no SOA at the apex".into()),
        (Some(_), Some(_)) => Err("more than one SOA at the apex".into()),
        (Some(soa), None) => soa_fields(&soa.rdata)
            .ok_or_else(|| "a malformed SOA".into())
            .map(|f| f.serial),
    }
}

impl Store {
    /// Stores a full copy of the zone at `serial` and makes it the start
    /// of the zone's journal: diffs stored before are deleted (IXFR from
    /// older serials then falls back to AXFR). Use it when a zone is
    /// first stored, or when its content is replaced rather than changed;
    /// regular changes go through [`Store::append`]. The apex SOA in
    /// `records` must carry `serial`.
    pub fn write_snapshot(
        &self,
        zone: &Name,
        serial: u32,
        records: &[Record],
    ) -> Result<(), StoreError> {
        match apex_soa_serial(zone, records) {
            Ok(s) if s == serial => {}
            Ok(s) => {
                return Err(StoreError::SnapshotSerial {
                    zone: zone_str(zone),
                    serial,
                    found: format!("an SOA with serial {s}"),
                })
            }
            Err(found) => {
                return Err(StoreError::SnapshotSerial {
                    zone: zone_str(zone),
                    serial,
                    found,
                })
            }
        }
        let bytes =
            codec::encode_snapshot(serial, records).map_err(|source| StoreError::Encode {
                zone: zone_str(zone),
                what: format!("snapshot at serial {serial}"),
                source,
            })?;
        self.put_snapshot(zone, serial, &bytes)
    }

    /// [`Store::write_snapshot`] of a whole version, encoded while walking
    /// it (no copy of its records); returns the encoded snapshot.
    pub fn write_version_snapshot(
        &self,
        zone: &Name,
        v: &ZoneVersion,
    ) -> Result<Vec<u8>, StoreError> {
        let serial = v.serial();
        let bytes = codec::encode_version(v).map_err(|source| StoreError::Encode {
            zone: zone_str(zone),
            what: format!("snapshot at serial {serial}"),
            source,
        })?;
        self.put_snapshot(zone, serial, &bytes)?;
        Ok(bytes)
    }

    /// Installs an encoded snapshot at `serial` as the start of the journal.
    fn put_snapshot(&self, zone: &Name, serial: u32, bytes: &[u8]) -> Result<(), StoreError> {
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            let old = read_head(&zones, zone, &key)?;
            // Sequence numbers never go back, so a stale index entry can
            // never point at a new diff.
            let next_seq = old.map_or(0, |h| h.next_seq);
            if let Some(old) = old {
                delete_diffs(&txn, &key, old.first_seq, old.next_seq)?;
            }
            let head = ZoneHead {
                snapshot_serial: serial,
                last_serial: serial,
                first_seq: next_seq,
                next_seq,
                diff_count: 0,
                diff_bytes: 0,
                snapshot_seq: next_seq,
                snapshot_bytes: bytes.len() as u64,
            };
            txn.open_table(SNAPSHOTS)?.insert(key.as_slice(), bytes)?;
            zones.insert(key.as_slice(), codec::encode_head(&head).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Everything needed to rebuild the zone at its newest serial, or
    /// `None` for a zone that is not in the store. The chain is checked
    /// (each diff continues the one before); the records are checked by
    /// [`Restored::into_version`].
    pub fn load(&self, zone: &Name) -> Result<Option<Restored>, StoreError> {
        let key = zone_key(zone);
        let txn = self.db.begin_read()?;
        let zones = txn.open_table(ZONES)?;
        let Some(head) = read_head(&zones, zone, &key)? else {
            return Ok(None);
        };
        let (snapshot_serial, records) = read_snapshot(&txn.open_table(SNAPSHOTS)?, zone, &key)?;
        if snapshot_serial != head.snapshot_serial {
            return Err(StoreError::Replay {
                zone: zone_str(zone),
                serial: head.snapshot_serial,
                reason: format!("the stored snapshot is at serial {snapshot_serial}"),
            });
        }
        let journal = txn.open_table(JOURNAL)?;
        let replayed = head.next_seq.saturating_sub(head.snapshot_seq);
        let mut diffs = Vec::with_capacity(replayed.min(1 << 20) as usize);
        let mut at = snapshot_serial;
        for item in
            journal.range((key.as_slice(), head.snapshot_seq)..(key.as_slice(), head.next_seq))?
        {
            let (k, v) = item?;
            let seq = k.value().1;
            let (diff, _) = decode_entry(zone, seq, v.value())?;
            if diff.serial_from != at {
                return Err(StoreError::Replay {
                    zone: zone_str(zone),
                    serial: at,
                    reason: format!("journal entry #{seq} starts at serial {}", diff.serial_from),
                });
            }
            at = diff.serial_to;
            diffs.push(diff);
        }
        if at != head.last_serial || diffs.len() as u64 != replayed {
            return Err(StoreError::Replay {
                zone: zone_str(zone),
                serial: at,
                reason: format!(
                    "the journal ends at serial {at} with {} diffs, the zone head says {} with {}",
                    diffs.len(),
                    head.last_serial,
                    replayed
                ),
            });
        }
        Ok(Some(Restored {
            snapshot_serial,
            records,
            diffs,
        }))
    }

    /// True when the zone is due a new snapshot: restoring would replay
    /// half of what `policy` keeps and an eighth of the snapshot's size,
    /// or the journal is over its byte limit and only a newer snapshot
    /// lets trimming proceed. Cheap (reads the
    /// zone head only); a read error counts as "no" and is logged.
    pub fn needs_snapshot(&self, zone: &Name, policy: &RetentionPolicy) -> bool {
        match self.head(zone) {
            Ok(Some(h)) => due_snapshot(&h, policy),
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(zone = %zone, "cannot read the journal head: {e}");
                false
            }
        }
    }

    /// Makes `snapshot` (an [`codec::encode_snapshot`] of the zone at
    /// `serial`, which a caller built from a version it serves) the zone's
    /// snapshot, then trims the journal to `policy`. `serial` must be one
    /// the journal passed through since the current snapshot: the newest
    /// serial, or the start of a diff after the snapshot. Returns `false`
    /// and changes nothing when it is not (the zone moved on past a full
    /// replacement, or a newer snapshot is already installed), so a slow
    /// background snapshot can never roll a zone back.
    pub fn install_snapshot(
        &self,
        zone: &Name,
        serial: u32,
        snapshot: &[u8],
        policy: &RetentionPolicy,
    ) -> Result<bool, StoreError> {
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            let Some(mut head) = read_head(&zones, zone, &key)? else {
                return Ok(false);
            };
            let after = if serial == head.last_serial {
                head.next_seq
            } else {
                match txn.open_table(SERIALS)?.get((key.as_slice(), serial))? {
                    Some(seq) => seq.value(),
                    None => return Ok(false),
                }
            };
            if after <= head.snapshot_seq || after > head.next_seq {
                return Ok(false);
            }
            txn.open_table(SNAPSHOTS)?
                .insert(key.as_slice(), snapshot)?;
            head.snapshot_serial = serial;
            head.snapshot_seq = after;
            head.snapshot_bytes = snapshot.len() as u64;
            trim(&txn, &key, &mut head, policy)?;
            zones.insert(key.as_slice(), codec::encode_head(&head).as_slice())?;
        }
        txn.commit()?;
        Ok(true)
    }

    /// Folds every diff into a new snapshot read back from the store and
    /// trims the journal to `policy`: the offline form of what the server
    /// does with [`Store::install_snapshot`] (it costs a full replay).
    pub fn compact(&self, zone: &Name, policy: &RetentionPolicy) -> Result<(), StoreError> {
        let Some(restored) = self.load(zone)? else {
            return Ok(());
        };
        if restored.diffs.is_empty() {
            return self.trim_journal(zone, policy);
        }
        let mut replay = Replay::new(zone, restored.snapshot_serial, restored.records);
        for diff in &restored.diffs {
            replay.apply(diff).map_err(|reason| StoreError::Replay {
                zone: zone_str(zone),
                serial: diff.serial_from,
                reason,
            })?;
        }
        let serial = replay.serial();
        let records = replay.into_sorted_records();
        let bytes =
            codec::encode_snapshot(serial, &records).map_err(|source| StoreError::Encode {
                zone: zone_str(zone),
                what: format!("snapshot at serial {serial}"),
                source,
            })?;
        self.install_snapshot(zone, serial, &bytes, policy)?;
        Ok(())
    }

    /// Drops the oldest diffs beyond `policy` that the snapshot holds.
    pub fn trim_journal(&self, zone: &Name, policy: &RetentionPolicy) -> Result<(), StoreError> {
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            let Some(mut head) = read_head(&zones, zone, &key)? else {
                return Ok(());
            };
            if trim(&txn, &key, &mut head, policy)? {
                zones.insert(key.as_slice(), codec::encode_head(&head).as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// The zone's head, if the zone is stored.
    pub(super) fn head(&self, zone: &Name) -> Result<Option<ZoneHead>, StoreError> {
        let txn = self.db.begin_read()?;
        let zones = txn.open_table(ZONES)?;
        read_head(&zones, zone, &zone_key(zone))
    }
}

/// See [`Store::needs_snapshot`]. A snapshot costs the whole zone, so
/// between half the policy's count and the full count it also waits until
/// the diffs since the last one add up to half of its size: a zone is not rewritten for every few
/// hundred small changes (snapshots cost at most twice the bytes of the
/// changes, measured: at 1/8 a 10k-record zone spent a third of a core on
/// snapshots under 6,000 updates/s), at the price of replaying more diffs
/// on restart. The byte limit of the policy always holds.
fn due_snapshot(h: &ZoneHead, p: &RetentionPolicy) -> bool {
    let since = h.next_seq.saturating_sub(h.snapshot_seq);
    if since == 0 {
        return false;
    }
    if h.diff_bytes > p.max_bytes {
        return true;
    }
    // The diffs since the snapshot are the newest ones: estimate their
    // size from the mean of the journal.
    let since_bytes = h.diff_bytes / h.diff_count.max(1) * since;
    // The configured count is a bound: a journal never holds more than
    // twice `max_diffs` (that many before the snapshot, that many after).
    since >= (p.max_diffs as u64).max(1)
        || (since >= (p.max_diffs as u64 / 2).max(1)
            && since_bytes.saturating_mul(2) >= h.snapshot_bytes)
}

/// Drops diffs from the old end of the journal while it is over `policy`,
/// never one after the snapshot (restoring needs those). Updates `head`;
/// `true` when something was dropped. A zone at its limit drops one or
/// two diffs per append, so the cost is spread evenly.
pub(super) fn trim(
    txn: &redb::WriteTransaction,
    key: &[u8],
    head: &mut ZoneHead,
    policy: &RetentionPolicy,
) -> Result<bool, StoreError> {
    let over =
        |h: &ZoneHead| h.diff_count > policy.max_diffs as u64 || h.diff_bytes > policy.max_bytes;
    if !over(head) || head.first_seq >= head.snapshot_seq {
        return Ok(false);
    }
    let mut journal = txn.open_table(JOURNAL)?;
    let mut serials = txn.open_table(SERIALS)?;
    let start = head.first_seq;
    while over(head) && head.first_seq < head.snapshot_seq {
        let seq = head.first_seq;
        if let Some(v) = journal.remove((key, seq))? {
            let v = v.value();
            head.diff_bytes = head.diff_bytes.saturating_sub(v.len() as u64);
            unindex(&mut serials, key, seq, v)?;
        }
        head.first_seq += 1;
        head.diff_count = head.diff_count.saturating_sub(1);
    }
    Ok(head.first_seq != start)
}

/// Removes the `serials` entry of the diff `seq` (framed as `frame`) if it
/// still points at that diff.
fn unindex(
    serials: &mut redb::Table<(&'static [u8], u32), u64>,
    key: &[u8],
    seq: u64,
    frame: &[u8],
) -> Result<(), StoreError> {
    // The serial is at a fixed place in the frame; a frame too short to
    // hold it has no index entry worth removing.
    let Some(from) = frame.get(2..6).map(|b| [b[0], b[1], b[2], b[3]]) else {
        return Ok(());
    };
    let from = u32::from_be_bytes(from);
    let points_here = serials.get((key, from))?.is_some_and(|s| s.value() == seq);
    if points_here {
        serials.remove((key, from))?;
    }
    Ok(())
}

/// Reads and decodes a zone's snapshot.
fn read_snapshot(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    zone: &Name,
    key: &[u8],
) -> Result<(u32, Vec<Record>), StoreError> {
    let corrupt = |source| StoreError::Corrupt {
        zone: zone_str(zone),
        what: "snapshot".into(),
        source,
    };
    let v = table
        .get(key)?
        .ok_or_else(|| corrupt(codec::CodecError::TooShort(0)))?;
    codec::decode_snapshot(v.value()).map_err(corrupt)
}

/// Deletes the diffs with sequence numbers in `first..end` and the index
/// entries that point at them.
fn drop_journal_range(
    journal: &mut redb::Table<(&'static [u8], u64), &'static [u8]>,
    txn: &redb::WriteTransaction,
    key: &[u8],
    first: u64,
    end: u64,
) -> Result<(), StoreError> {
    let mut serials = txn.open_table(SERIALS)?;
    for seq in first..end {
        if let Some(v) = journal.remove((key, seq))? {
            unindex(&mut serials, key, seq, v.value())?;
        }
    }
    Ok(())
}

/// Deletes every diff of a zone in `first..end` (see [`drop_journal_range`]).
pub(super) fn delete_diffs(
    txn: &redb::WriteTransaction,
    key: &[u8],
    first: u64,
    end: u64,
) -> Result<(), StoreError> {
    let mut journal = txn.open_table(JOURNAL)?;
    drop_journal_range(&mut journal, txn, key, first, end)
}
