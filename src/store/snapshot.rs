//! Snapshots (a full copy of a zone at one serial), restoring a zone from
//! its snapshot and journal, and compaction.
//!
//! Replaying diffs happens at record level in a [`Replay`]: a map from
//! (owner, type) to the RRset, changed in place by each diff. Applying a
//! diff to a `ZoneVersion` copies the whole zone (versions are
//! immutable), which is right for serving but would make a restart with
//! a thousand diffs over a large zone cost a thousand copies.

use std::collections::HashMap;

use redb::{ReadableDatabase, ReadableTable};

use crate::rdata::{Class, RType};
use crate::zone::builder::ZoneBuilder;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::{cmp_records, soa_fields};
use crate::zone::{Diff, ZoneVersion};

use super::codec::{self, ZoneHead};
use super::journal::{decode_entry, read_head};
use super::{
    zone_key, zone_str, Restored, RetentionPolicy, Store, StoreError, JOURNAL, SERIALS, SNAPSHOTS,
    ZONES,
};

/// One RRset while replaying.
struct ReplaySet {
    /// Case of the first record that created the set.
    owner: Name,
    class: Class,
    rtype: RType,
    ttl: u32,
    rdatas: Vec<Box<[u8]>>,
}

/// A zone as a map of RRsets, changed in place by diffs.
pub(super) struct Replay {
    apex: Name,
    serial: u32,
    /// Owner → its RRsets; names compare and hash case-insensitively.
    nodes: HashMap<Name, Vec<ReplaySet>>,
}

impl Replay {
    /// Starts from a snapshot. Duplicates in the snapshot are dropped,
    /// as the zone builder drops them.
    pub(super) fn new(apex: &Name, serial: u32, records: Vec<Record>) -> Replay {
        let mut r = Replay {
            apex: apex.clone(),
            serial,
            nodes: HashMap::with_capacity(records.len() / 2),
        };
        for rec in records {
            r.insert(rec);
        }
        r
    }

    /// Adds a record; false when it was already there.
    fn insert(&mut self, rec: Record) -> bool {
        let sets = self.nodes.entry(rec.owner.clone()).or_default();
        match sets.iter_mut().find(|s| s.rtype == rec.rtype) {
            Some(set) => {
                if set.rdatas.iter().any(|r| r[..] == rec.rdata[..]) {
                    return false;
                }
                // The RRset keeps its TTL, as ZoneVersion::apply does.
                set.rdatas.push(rec.rdata);
            }
            None => sets.push(ReplaySet {
                owner: rec.owner,
                class: rec.class,
                rtype: rec.rtype,
                ttl: rec.ttl,
                rdatas: vec![rec.rdata],
            }),
        }
        true
    }

    /// Removes a record (TTL not compared); false when it was not there.
    fn remove(&mut self, rec: &Record) -> bool {
        let Some(sets) = self.nodes.get_mut(&rec.owner) else {
            return false;
        };
        let Some(i) = sets.iter().position(|s| s.rtype == rec.rtype) else {
            return false;
        };
        let set = &mut sets[i];
        let Some(j) = set.rdatas.iter().position(|r| r[..] == rec.rdata[..]) else {
            return false;
        };
        set.rdatas.swap_remove(j);
        if set.rdatas.is_empty() {
            sets.swap_remove(i);
            if sets.is_empty() {
                self.nodes.remove(&rec.owner);
            }
        }
        true
    }

    /// Applies one diff with the rules of `ZoneVersion::apply`.
    pub(super) fn apply(&mut self, diff: &Diff) -> Result<(), String> {
        if diff.serial_from != self.serial {
            return Err(format!(
                "the zone is at serial {}, the diff starts at {}",
                self.serial, diff.serial_from
            ));
        }
        for rec in &diff.removed {
            if !self.remove(rec) {
                return Err(format!(
                    "record to remove does not exist: {} {}",
                    rec.owner, rec.rtype
                ));
            }
        }
        for rec in &diff.added {
            if !rec.owner.is_subdomain_of(&self.apex) {
                return Err(format!("record outside the zone: {}", rec.owner));
            }
            if !self.insert(rec.clone()) {
                return Err(format!(
                    "record to add already exists: {} {}",
                    rec.owner, rec.rtype
                ));
            }
        }
        match self.soa_serial() {
            Some(s) if s == diff.serial_to => {}
            Some(s) => {
                return Err(format!(
                    "after the diff to {} the SOA says serial {s}",
                    diff.serial_to
                ))
            }
            None => return Err("the diff leaves the zone without one SOA".into()),
        }
        self.serial = diff.serial_to;
        Ok(())
    }

    fn soa_serial(&self) -> Option<u32> {
        let set = self
            .nodes
            .get(&self.apex)?
            .iter()
            .find(|s| s.rtype == RType::SOA)?;
        match set.rdatas.as_slice() {
            [one] => soa_fields(one).map(|f| f.serial),
            _ => None,
        }
    }

    /// Every record, grouped by owner (the order the zone builder is
    /// fastest with).
    fn into_records(self) -> impl Iterator<Item = Record> {
        self.nodes.into_values().flatten().flat_map(|set| {
            let ReplaySet {
                owner,
                class,
                rtype,
                ttl,
                rdatas,
            } = set;
            rdatas.into_iter().map(move |rdata| Record {
                owner: owner.clone(),
                class,
                ttl,
                rtype,
                rdata,
            })
        })
    }

    /// Every record in canonical order, as a snapshot stores them.
    fn into_sorted_records(self) -> Vec<Record> {
        let mut v: Vec<Record> = self.into_records().collect();
        v.sort_by(cmp_records);
        v
    }
}

impl Restored {
    /// Rebuilds the zone: the snapshot with every diff replayed, checked
    /// by the zone builder. `apex` is the zone's name.
    pub fn into_version(self, apex: &Name) -> Result<ZoneVersion, StoreError> {
        let zone = zone_str(apex);
        let Restored {
            snapshot_serial,
            records,
            diffs,
        } = self;
        let target = diffs.last().map_or(snapshot_serial, |d| d.serial_to);
        let replay_err = |serial: u32, reason: String| StoreError::Replay {
            zone: zone.clone(),
            serial,
            reason,
        };
        let mut builder =
            ZoneBuilder::with_capacity(apex.clone(), class_of(&records), records.len());
        if diffs.is_empty() {
            // Snapshots are stored in canonical order: the fast path.
            for rec in records {
                builder.add(rec).map_err(|e| replay_err(target, e))?;
            }
        } else {
            let mut replay = Replay::new(apex, snapshot_serial, records);
            for diff in &diffs {
                replay
                    .apply(diff)
                    .map_err(|e| replay_err(diff.serial_from, e))?;
            }
            for rec in replay.into_records() {
                builder.add(rec).map_err(|e| replay_err(target, e))?;
            }
        }
        let version = builder
            .finish()
            .map_err(|e| replay_err(target, e.to_string()))?;
        if version.serial() != target {
            return Err(replay_err(
                target,
                format!("the rebuilt zone has serial {}", version.serial()),
            ));
        }
        Ok(version)
    }
}

/// The class of a zone's records (IN when there are none).
fn class_of(records: &[Record]) -> Class {
    records.first().map_or(Class::IN, |r| r.class)
}

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
    /// within three quarters of `policy` (room for the next quarter before
    /// compacting again), in one transaction: the new snapshot is the old
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
            let new_serial = replay.serial;
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
/// limits hold. Trimming below the limit leaves room for a quarter of it
/// before the next compaction, so a zone at its limit does not get its
/// whole snapshot rewritten on every commit.
fn count_to_drop(
    journal: &impl ReadableTable<(&'static [u8], u64), &'static [u8]>,
    key: &[u8],
    head: &ZoneHead,
    policy: &RetentionPolicy,
) -> Result<u64, StoreError> {
    let max_diffs = policy.max_diffs as u64 - policy.max_diffs as u64 / 4;
    let max_bytes = policy.max_bytes - policy.max_bytes / 4;
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
