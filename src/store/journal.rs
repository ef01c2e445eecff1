//! Appending diffs to a zone's journal and reading chains of them back.
//!
//! Appends are checked for continuity before anything is written: a
//! journal with a gap or an overlap could never be replayed, so it must
//! never exist. One call is one redb write transaction, committed with
//! fsync; a caller that gathers the changes of many updates into one call
//! (group commit) pays for one fsync instead of many.

use redb::{ReadableDatabase, ReadableTable};

use crate::zone::name::Name;
use crate::zone::serial::Serial;
use crate::zone::Diff;

use super::codec::{self, ZoneHead};
use super::{zone_key, zone_str, CommitMeta, Store, StoreError, JOURNAL, SERIALS, ZONES};

/// Reads and decodes a zone's head from any table that can be read.
pub(super) fn read_head(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    zone: &Name,
    key: &[u8],
) -> Result<Option<ZoneHead>, StoreError> {
    let Some(v) = table.get(key)? else {
        return Ok(None);
    };
    codec::decode_head(v.value())
        .map(Some)
        .map_err(|source| StoreError::Corrupt {
            zone: zone_str(zone),
            what: "zone head".into(),
            source,
        })
}

/// Decodes one journal entry, naming it in the error.
pub(super) fn decode_entry(
    zone: &Name,
    seq: u64,
    bytes: &[u8],
) -> Result<(Diff, CommitMeta), StoreError> {
    codec::decode_diff(bytes).map_err(|source| StoreError::Corrupt {
        zone: zone_str(zone),
        what: format!("journal entry #{seq}"),
        source,
    })
}

impl Store {
    /// Appends diffs to a zone's journal, all in one durable transaction:
    /// when this returns `Ok` every diff is on disk (fsync), and after a
    /// crash either all of them are there or none.
    ///
    /// Each diff must start at the serial the zone is at (the previous
    /// diff's `serial_to`, or the snapshot's serial) and move the serial
    /// forward in RFC 1982 terms; otherwise nothing is written and the
    /// error names the zone and the serials. The zone must have a
    /// snapshot ([`Store::write_snapshot`]).
    pub fn append(&self, zone: &Name, diffs: &[(Diff, CommitMeta)]) -> Result<(), StoreError> {
        self.append_if(zone, diffs, || true).map(|_| ())
    }

    /// [`Store::append`], except that once everything is written but not
    /// yet committed it asks `confirm`: on `false` the transaction is
    /// dropped, nothing is stored, and the result is `Ok(false)`. A caller
    /// that checks the diffs on another thread meanwhile (applying them)
    /// overlaps the two without ever journaling a diff that does not apply.
    pub fn append_if(
        &self,
        zone: &Name,
        diffs: &[(Diff, CommitMeta)],
        confirm: impl FnOnce() -> bool,
    ) -> Result<bool, StoreError> {
        if diffs.is_empty() {
            return Ok(confirm());
        }
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            let mut journal = txn.open_table(JOURNAL)?;
            let mut serials = txn.open_table(SERIALS)?;
            let mut head =
                read_head(&zones, zone, &key)?.ok_or_else(|| StoreError::UnknownZone {
                    zone: zone_str(zone),
                })?;
            for (diff, meta) in diffs {
                check_continues(zone, head.last_serial, diff)?;
                let bytes =
                    codec::encode_diff(diff, meta).map_err(|source| StoreError::Encode {
                        zone: zone_str(zone),
                        what: format!("diff {} -> {}", diff.serial_from, diff.serial_to),
                        source,
                    })?;
                journal.insert((key.as_slice(), head.next_seq), bytes.as_slice())?;
                // A serial seen before (only possible after the serial
                // space wrapped within one journal) now points at the
                // newest diff, which is the one IXFR must start from.
                serials.insert((key.as_slice(), diff.serial_from), head.next_seq)?;
                head.next_seq += 1;
                head.diff_count += 1;
                head.diff_bytes += bytes.len() as u64;
                head.last_serial = diff.serial_to;
            }
            drop(journal);
            drop(serials);
            super::snapshot::trim(&txn, &key, &mut head, &self.retention)?;
            zones.insert(key.as_slice(), codec::encode_head(&head).as_slice())?;
        }
        // Dropping the transaction on any error above aborts it.
        if !confirm() {
            txn.abort()?;
            return Ok(false);
        }
        txn.commit()?;
        Ok(true)
    }

    /// The diffs that take the zone from serial `from` to serial `to`, in
    /// order; empty when `from == to` and the zone has been at that
    /// serial. `None` when the journal does not reach back to `from`
    /// (compacted away, never there, or the zone is unknown): the caller
    /// falls back to a full transfer. An error when `from` is found but
    /// `to` does not follow it.
    pub fn diffs_between(
        &self,
        zone: &Name,
        from: u32,
        to: u32,
    ) -> Result<Option<Vec<Diff>>, StoreError> {
        let key = zone_key(zone);
        let txn = self.db.begin_read()?;
        let zones = txn.open_table(ZONES)?;
        let Some(head) = read_head(&zones, zone, &key)? else {
            return Ok(None);
        };
        let serials = txn.open_table(SERIALS)?;
        let start = serials.get((key.as_slice(), from))?.map(|v| v.value());
        let start = match start {
            Some(seq) if seq >= head.first_seq && seq < head.next_seq => seq,
            // The newest serial has no diff starting at it yet.
            _ if from == head.last_serial => {
                return if to == from {
                    Ok(Some(Vec::new()))
                } else {
                    Err(StoreError::SerialNotFound {
                        zone: zone_str(zone),
                        from,
                        to,
                    })
                };
            }
            _ => return Ok(None),
        };
        if from == to {
            return Ok(Some(Vec::new()));
        }
        let journal = txn.open_table(JOURNAL)?;
        let mut out = Vec::new();
        let mut at = from;
        for item in journal.range((key.as_slice(), start)..(key.as_slice(), head.next_seq))? {
            let (k, v) = item?;
            let (diff, _) = decode_entry(zone, k.value().1, v.value())?;
            if diff.serial_from != at {
                return Err(StoreError::Replay {
                    zone: zone_str(zone),
                    serial: at,
                    reason: format!(
                        "journal entry #{} starts at serial {} instead",
                        k.value().1,
                        diff.serial_from
                    ),
                });
            }
            at = diff.serial_to;
            out.push(diff);
            if at == to {
                return Ok(Some(out));
            }
        }
        Err(StoreError::SerialNotFound {
            zone: zone_str(zone),
            from,
            to,
        })
    }
}

/// Checks that `diff` continues a journal that ends at `last`.
fn check_continues(zone: &Name, last: u32, diff: &Diff) -> Result<(), StoreError> {
    if diff.serial_from != last {
        return Err(StoreError::Discontinuity {
            zone: zone_str(zone),
            last,
            from: diff.serial_from,
            to: diff.serial_to,
        });
    }
    if !Serial(diff.serial_to).is_after(Serial(diff.serial_from)) {
        return Err(StoreError::SerialNotForward {
            zone: zone_str(zone),
            from: diff.serial_from,
            to: diff.serial_to,
        });
    }
    Ok(())
}
