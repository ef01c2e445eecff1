//! Questions about what the store holds: a zone's change history, its
//! newest serial, the zones stored, and small per-zone values (the state
//! of the zone file last loaded, sync state).

use redb::{ReadableDatabase, ReadableTable};

use crate::zone::name::Name;

use super::codec;
use super::journal::read_head;
use super::snapshot::delete_diffs;
use super::{
    zone_key, zone_str, FileState, HistoryEntry, Store, StoreError, JOURNAL, META, SNAPSHOTS, ZONES,
};

/// The `meta` key under which [`Store::set_file_state`] keeps its value.
const FILE_STATE_KEY: &str = "file-state";

impl Store {
    /// The zone's newest `limit` changes, newest first. Empty for a zone
    /// that is not stored. Reads each entry's header only.
    pub fn history(&self, zone: &Name, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        let key = zone_key(zone);
        let txn = self.db.begin_read()?;
        let Some(head) = read_head(&txn.open_table(ZONES)?, zone, &key)? else {
            return Ok(Vec::new());
        };
        let journal = txn.open_table(JOURNAL)?;
        let mut out = Vec::with_capacity(limit.min(head.diff_count as usize));
        let range =
            journal.range((key.as_slice(), head.first_seq)..(key.as_slice(), head.next_seq))?;
        for item in range.rev().take(limit) {
            let (k, v) = item?;
            let s =
                codec::decode_diff_summary(v.value()).map_err(|source| StoreError::Corrupt {
                    zone: zone_str(zone),
                    what: format!("journal entry #{}", k.value().1),
                    source,
                })?;
            out.push(HistoryEntry {
                serial_from: s.serial_from,
                serial_to: s.serial_to,
                time: s.meta.time,
                who: s.meta.who,
                added: s.added,
                removed: s.removed,
            });
        }
        Ok(out)
    }

    /// The zone's newest serial (the last diff's `serial_to`, or the
    /// snapshot's serial); `None` for a zone that is not stored. A read
    /// error is logged and counts as `None`.
    pub fn zone_serial(&self, zone: &Name) -> Option<u32> {
        match self.head(zone) {
            Ok(h) => h.map(|h| h.last_serial),
            Err(e) => {
                tracing::warn!(zone = %zone, "cannot read the journal head: {e}");
                None
            }
        }
    }

    /// Every zone in the store, by apex in lowercase.
    pub fn zones(&self) -> Result<Vec<Name>, StoreError> {
        let txn = self.db.begin_read()?;
        let zones = txn.open_table(ZONES)?;
        let mut out = Vec::new();
        for item in zones.iter()? {
            let (k, _) = item?;
            match Name::from_wire(k.value()) {
                Ok(n) => out.push(n),
                Err(e) => tracing::warn!("skipping a stored zone with a malformed name: {e}"),
            }
        }
        Ok(out)
    }

    /// Removes everything stored for a zone (snapshot, journal, meta
    /// values), in one transaction. For a zone removed from the config.
    pub fn delete_zone(&self, zone: &Name) -> Result<(), StoreError> {
        let key = zone_key(zone);
        let txn = self.begin_write()?;
        {
            let mut zones = txn.open_table(ZONES)?;
            if let Some(head) = read_head(&zones, zone, &key)? {
                delete_diffs(&txn, &key, head.first_seq, head.next_seq)?;
            }
            zones.remove(key.as_slice())?;
            txn.open_table(SNAPSHOTS)?.remove(key.as_slice())?;
            let mut meta = txn.open_table(META)?;
            let mut keys: Vec<String> = Vec::new();
            for item in meta.range((key.as_slice(), "")..)? {
                let (k, _) = item?;
                let (z, m) = k.value();
                if z != key.as_slice() {
                    break;
                }
                keys.push(m.to_string());
            }
            for m in keys {
                meta.remove((key.as_slice(), m.as_str()))?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Stores a small value for a zone (durably, like everything else).
    pub fn put_meta(&self, zone: &Name, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let zk = zone_key(zone);
        let txn = self.begin_write()?;
        txn.open_table(META)?.insert((zk.as_slice(), key), value)?;
        txn.commit()?;
        Ok(())
    }

    /// A value stored with [`Store::put_meta`].
    pub fn get_meta(&self, zone: &Name, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let zk = zone_key(zone);
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get((zk.as_slice(), key))?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    /// Records which zone file content the zone was last loaded from.
    pub fn set_file_state(&self, zone: &Name, state: FileState) -> Result<(), StoreError> {
        self.put_meta(zone, FILE_STATE_KEY, &codec::encode_file_state(&state))
    }

    /// The zone file state last recorded, if any.
    pub fn file_state(&self, zone: &Name) -> Result<Option<FileState>, StoreError> {
        let Some(bytes) = self.get_meta(zone, FILE_STATE_KEY)? else {
            return Ok(None);
        };
        codec::decode_file_state(&bytes)
            .map(Some)
            .map_err(|source| StoreError::Corrupt {
                zone: zone_str(zone),
                what: "zone file state".into(),
                source,
            })
    }
}
