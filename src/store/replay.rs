//! Replaying diffs over a snapshot, for restoring a zone at start-up and
//! for compaction.
//!
//! Replay happens at record level in a [`Replay`]: a map from owner to
//! its RRsets, changed in place by each diff. Applying a diff to a
//! `ZoneVersion` copies the whole zone (versions are immutable), which is
//! right for serving but would make a restart with a thousand diffs over
//! a large zone cost a thousand copies of it. The rules are those of
//! `ZoneVersion::apply`: every removed record must exist (TTL not
//! compared), every added one must not and must lie inside the zone, an
//! RRset keeps the TTL it was created with, and after each diff the apex
//! has exactly one SOA, carrying the diff's `serial_to`.

use std::collections::HashMap;

use crate::rdata::{Class, RType};
use crate::zone::builder::ZoneBuilder;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::{cmp_records, soa_fields};
use crate::zone::{Diff, ZoneVersion};

use super::{zone_str, Restored, StoreError};

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

    /// The serial the replayed zone is at.
    pub(super) fn serial(&self) -> u32 {
        self.serial
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
    pub(super) fn into_sorted_records(self) -> Vec<Record> {
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
        // The snapshot is stored in canonical order: the builder's fast
        // path. Diffs then apply in place, each costing O(its size).
        let snapshot_len = records.len();
        let mut builder =
            ZoneBuilder::with_capacity(apex.clone(), class_of(&records), snapshot_len);
        for rec in records {
            builder
                .add(rec)
                .map_err(|e| replay_err(snapshot_serial, e))?;
        }
        let mut version = builder
            .finish()
            .map_err(|e| replay_err(snapshot_serial, e.to_string()))?;
        for diff in &diffs {
            version
                .apply_in_place(diff)
                .map_err(|e| replay_err(diff.serial_from, e.to_string()))?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{apex, base, name, soa};
    use proptest::prelude::*;

    /// A zone at `serial` from (owner index, TXT or A, data byte, TTL choice).
    fn zone_of(serial: u32, items: &[(usize, bool, u8, bool)]) -> ZoneVersion {
        const OWNERS: [&str; 6] = ["www", "a.b", "x.a.b", "*.w", "Mixed.Case", "mixed.CASE"];
        let mut recs = base(serial);
        for &(o, txt, byte, long) in items {
            let owner = name(&format!("{}.example.com", OWNERS[o % OWNERS.len()]));
            let ttl = if long { 3600 } else { 60 };
            if txt {
                recs.push(Record::new(owner, RType::TXT, ttl, vec![1, byte]));
            } else {
                recs.push(Record::new(owner, RType::A, ttl, vec![10, 0, 0, byte]));
            }
        }
        let mut b = ZoneBuilder::new(apex(), Class::IN);
        for r in recs {
            b.add(r).expect("fixture record");
        }
        b.finish().expect("fixture zone")
    }

    fn items() -> impl Strategy<Value = Vec<(usize, bool, u8, bool)>> {
        proptest::collection::vec((0usize..6, any::<bool>(), 0u8..4, any::<bool>()), 0..12)
    }

    proptest! {
        /// Replay gives the zone that ZoneVersion::apply gives.
        #[test]
        fn replay_equals_apply(a in items(), b in items(), c in items()) {
            let (za, zb, zc) = (zone_of(1, &a), zone_of(2, &b), zone_of(3, &c));
            let d1 = Diff::between(&za, &zb);
            let d2 = Diff::between(&zb, &zc);
            let stepwise = za.apply(&d1).unwrap().apply(&d2).unwrap();
            let restored = Restored {
                snapshot_serial: 1,
                records: za.records_canonical(),
                diffs: vec![d1, d2],
            };
            let v = restored.into_version(&apex()).unwrap();
            prop_assert_eq!(v.serial(), 3);
            prop_assert_eq!(v.records_canonical(), stepwise.records_canonical());
            prop_assert_eq!(v.name_count(), stepwise.name_count());
        }
    }

    #[test]
    fn replay_refuses_what_apply_refuses() {
        let z = zone_of(1, &[(0, false, 1, true)]);
        let www = || Record::new(name("www.example.com"), RType::A, 3600, vec![10, 0, 0, 1]);
        let cases = [
            // Removing a record that is not there.
            (
                vec![
                    soa(1),
                    Record::new(name("nope.example.com"), RType::A, 1, vec![1, 2, 3, 4]),
                ],
                vec![soa(2)],
            ),
            // Adding one that is.
            (vec![soa(1)], vec![soa(2), www()]),
            // Outside the zone.
            (
                vec![soa(1)],
                vec![
                    soa(2),
                    Record::new(name("x.test"), RType::A, 1, vec![1, 2, 3, 4]),
                ],
            ),
            // The SOA does not carry serial_to.
            (vec![soa(1)], vec![soa(7)]),
            // No SOA left.
            (vec![soa(1)], vec![]),
        ];
        for (removed, added) in cases {
            let diff = Diff {
                serial_from: 1,
                serial_to: 2,
                removed,
                added,
            };
            assert!(z.apply(&diff).is_err(), "apply accepted {diff:?}");
            let r = Restored {
                snapshot_serial: 1,
                records: z.records_canonical(),
                diffs: vec![diff],
            };
            assert!(matches!(
                r.into_version(&apex()),
                Err(StoreError::Replay { .. })
            ));
        }
    }
}
