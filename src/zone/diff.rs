//! The one change format of the system.
//!
//! A [`Diff`] takes a zone from `serial_from` to `serial_to` by removing
//! and adding whole records, exactly like one IXFR sequence (RFC 1995):
//! `removed` holds the old SOA, `added` the new one. The journal stores
//! diffs, IXFR serves them, the signer and the provider sync consume them,
//! and history and rollback show and invert them.

use std::collections::HashSet;

use crate::rdata::RType;
use crate::zone::record::Record;
use crate::zone::version::{cmp_records, ZoneError, ZoneVersion};

/// A change from one serial to the next.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    pub serial_from: u32,
    pub serial_to: u32,
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
}

/// Why a diff does not apply to a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("serial mismatch: zone is at {have}, diff expects {diff_from}")]
    SerialMismatch { have: u32, diff_from: u32 },
    #[error("record to remove does not exist: {0} {1}")]
    MissingRecord(String, RType),
    #[error("record to add already exists: {0} {1}")]
    DuplicateRecord(String, RType),
    #[error("record outside the zone: {0}")]
    OutOfZone(String),
    #[error("the change leaves the zone unservable: {0}")]
    Zone(ZoneError),
}

/// An IXFR-style text listing of diffs: for each, its serials, then the
/// removed records prefixed `-` and the added ones `+`, in zone-file form.
pub fn listing(diffs: &[Diff]) -> String {
    let mut out = String::new();
    for d in diffs {
        out.push_str(&format!("; serial {} -> {}\n", d.serial_from, d.serial_to));
        for (sign, records) in [('-', &d.removed), ('+', &d.added)] {
            for r in records {
                out.push(sign);
                out.push(' ');
                crate::zonefile::write_record(
                    &mut out, &r.owner, r.ttl, r.class, r.rtype, &r.rdata,
                );
            }
        }
    }
    out
}

impl Diff {
    /// The diff that undoes this one.
    pub fn invert(&self) -> Diff {
        Diff {
            serial_from: self.serial_to,
            serial_to: self.serial_from,
            removed: self.added.clone(),
            added: self.removed.clone(),
        }
    }

    /// True when nothing but (possibly) the SOA changes.
    pub fn is_empty(&self) -> bool {
        self.removed
            .iter()
            .chain(&self.added)
            .all(|r| r.rtype == RType::SOA)
    }

    /// The difference that turns `old` into `new`, records in canonical
    /// order. TTL changes appear as a removal and an addition.
    pub fn between(old: &ZoneVersion, new: &ZoneVersion) -> Diff {
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let key = |r: &Record| (r.owner.to_lowercase(), r.rtype, r.ttl, r.rdata.clone());
        for node in new.nodes() {
            let old_node = old.find(node.owner_wire());
            for set in node.rrsets() {
                let old_set = old_node.and_then(|n| n.get(set.rtype));
                for rd in set.rdatas() {
                    let same =
                        old_set.is_some_and(|o| o.ttl == set.ttl && o.rdatas().any(|x| x == rd));
                    if !same {
                        added.push(Record::new(node.owner(), set.rtype, set.ttl, rd));
                    }
                }
            }
        }
        for node in old.nodes() {
            let new_node = new.find(node.owner_wire());
            for set in node.rrsets() {
                let new_set = new_node.and_then(|n| n.get(set.rtype));
                for rd in set.rdatas() {
                    let same =
                        new_set.is_some_and(|o| o.ttl == set.ttl && o.rdatas().any(|x| x == rd));
                    if !same {
                        removed.push(Record::new(node.owner(), set.rtype, set.ttl, rd));
                    }
                }
            }
        }
        // Deduplicate defensively (a node never holds duplicates, but the
        // invariant costs nothing to keep).
        let mut seen = HashSet::new();
        removed.retain(|r| seen.insert(key(r)));
        seen.clear();
        added.retain(|r| seen.insert(key(r)));
        removed.sort_by(cmp_records);
        added.sort_by(cmp_records);
        Diff {
            serial_from: old.serial(),
            serial_to: new.serial(),
            removed,
            added,
        }
    }
}
