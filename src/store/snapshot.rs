//! Snapshots (a full copy of a zone at one serial), loading a zone's
//! snapshot and journal, and compaction (folding the oldest diffs into a
//! new snapshot).

use redb::{ReadableDatabase, ReadableTable};

use crate::rdata::RType;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::soa_fields;

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
            };
            txn.open_table(SNAPSHOTS)?
                .insert(key.as_slice(), bytes.as_slice())?;
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
        let mut diffs = Vec::with_capacity(head.diff_count.min(1 << 20) as usize);
        let mut at = snapshot_serial;
        for item in
            journal.range((key.as_slice(), head.first_seq)..(key.as_slice(), head.next_seq))?
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
        if at != head.last_serial || diffs.len() as u64 != head.diff_count {
            return Err(StoreError::Replay {
                zone: zone_str(zone),
                serial: at,
                reason: format!(
                    "the journal ends at serial {at} with {} diffs, the zone head says {} with {}",
                    diffs.len(),
                    head.last_serial,
                    head.diff_count
                ),
            });
        }
        Ok(Some(Restored {
            snapshot_serial,
            records,
            diffs,
        }))
    }

    /// True when the zone's journal is over `policy`; cheap (reads the
    /// zone head only). A read error counts as "no" and is logged:
    /// compaction would meet the same error and report it.
    pub fn needs_compaction(&self, zone: &Name, policy: &RetentionPolicy) -> bool {
        match self.head(zone) {
            Ok(Some(h)) => over_policy(&h, policy),
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(zone = %zone, "cannot read the journal head: {e}");
                false
            }
        }
    }

    /// Folds the oldest diffs into a new snapshot until the journal is
    /// within half of `policy` (room for the next half before compacting
    /// again: a compaction rewrites the whole snapshot, so it should come
    /// once per many commits), in one transaction: the new snapshot is the old
    /// one with the folded diffs applied, at the serial where the kept
    /// diffs start. The served zone is the same before and after.
    pub fn compact(&self, zone: &Name, policy: &RetentionPolicy) -> Result<(), StoreError> {
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            let Some(mut head) = read_head(&zones, zone, &key)? else {
                return Ok(());
            };
            if !over_policy(&head, policy) {
                return Ok(());
            }
            let mut journal = txn.open_table(JOURNAL)?;
            let drop = count_to_drop(&journal, &key, &head, policy)?;
            if drop == 0 {
                return Ok(());
            }
            let mut snapshots = txn.open_table(SNAPSHOTS)?;
            let (serial, records) = read_snapshot(&snapshots, zone, &key)?;
            let mut replay = Replay::new(zone, serial, records);
            let mut dropped_bytes = 0u64;
            let end = head.first_seq + drop;
            for item in journal.range((key.as_slice(), head.first_seq)..(key.as_slice(), end))? {
                let (k, v) = item?;
                dropped_bytes += v.value().len() as u64;
                let (diff, _) = decode_entry(zone, k.value().1, v.value())?;
                replay.apply(&diff).map_err(|reason| StoreError::Replay {
                    zone: zone_str(zone),
                    serial: diff.serial_from,
                    reason,
                })?;
            }
            let new_serial = replay.serial();
            let records = replay.into_sorted_records();
            let bytes = codec::encode_snapshot(new_serial, &records).map_err(|source| {
                StoreError::Encode {
                    zone: zone_str(zone),
                    what: format!("snapshot at serial {new_serial}"),
                    source,
                }
            })?;
            snapshots.insert(key.as_slice(), bytes.as_slice())?;
            drop_journal_range(&mut journal, &txn, &key, head.first_seq, end)?;
            head.snapshot_serial = new_serial;
            head.first_seq = end;
            head.diff_count -= drop;
            head.diff_bytes = head.diff_bytes.saturating_sub(dropped_bytes);
            zones.insert(key.as_slice(), codec::encode_head(&head).as_slice())?;
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

fn over_policy(h: &ZoneHead, p: &RetentionPolicy) -> bool {
    h.diff_count > p.max_diffs as u64 || h.diff_bytes > p.max_bytes
}

/// How many of the oldest diffs must go so that the rest fits three
/// quarters of `policy`: walks from the newest diff back while both
/// limits hold. Trimming below the limit leaves room for half of it
/// before the next compaction, so a zone at its limit does not get its
/// whole snapshot rewritten on every commit.
fn count_to_drop(
    journal: &impl ReadableTable<(&'static [u8], u64), &'static [u8]>,
    key: &[u8],
    head: &ZoneHead,
    policy: &RetentionPolicy,
) -> Result<u64, StoreError> {
    let max_diffs = policy.max_diffs as u64 - policy.max_diffs as u64 / 2;
    let max_bytes = policy.max_bytes - policy.max_bytes / 2;
    let mut kept = 0u64;
    let mut kept_bytes = 0u64;
    for item in journal
        .range((key, head.first_seq)..(key, head.next_seq))?
        .rev()
    {
        let (_, v) = item?;
        let len = v.value().len() as u64;
        if kept >= max_diffs || kept_bytes + len > max_bytes {
            break;
        }
        kept += 1;
        kept_bytes += len;
    }
    Ok(head.diff_count.saturating_sub(kept))
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
        let Some(v) = journal.remove((key, seq))? else {
            continue;
        };
        // The serial is at a fixed place in the frame; a frame too short
        // to hold it has no index entry worth removing.
        let Some(from) = v.value().get(2..6).map(|b| [b[0], b[1], b[2], b[3]]) else {
            continue;
        };
        let from = u32::from_be_bytes(from);
        let points_here = serials.get((key, from))?.is_some_and(|s| s.value() == seq);
        if points_here {
            serials.remove((key, from))?;
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
