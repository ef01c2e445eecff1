//! One immutable version of a zone: every node by name, and the lookups the
//! answer logic needs.
//!
//! Nodes live in a hash table keyed by the owner name folded to lowercase,
//! so that every lookup — exact match, closest encloser (one probe per
//! label), wildcard (`*.` + closest encloser) — costs O(labels), never a
//! scan or a tree walk. Canonical order is produced on demand for export
//! and transfers, where it is needed once per pass over the whole zone.
//!
//! Empty non-terminals are real (empty) nodes, so "no node" always means
//! "no name at or below here", which is what makes the closest-encloser
//! search and the wildcard rules of RFC 4592 a handful of probes.
//!
//! Versions are immutable: [`ZoneVersion::apply`] builds the next version
//! from a [`Diff`] and leaves this one to the readers that still hold it.

use std::cmp::Ordering;

use crate::rdata::{Class, RType};
use crate::zone::diff::{Diff, DiffError};
use crate::zone::name::{canonical_cmp_wire, Name, MAX_NAME_LEN};
use crate::zone::node::{Node, RRset, RRsetRef};
use crate::zone::ordered::DenialIndex;
use crate::zone::record::{Record, RecordRef};
use crate::zone::table::NodeTable;

/// The hasher shared by every version of every zone (fixed keys, so a
/// table can be cloned into the next version without rehashing).
fn hasher() -> &'static ahash::RandomState {
    static H: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    H.get_or_init(ahash::RandomState::new)
}

/// Hash of a wire name folded to lowercase.
#[inline]
pub(crate) fn hash_name(wire: &[u8]) -> u64 {
    if wire.iter().any(u8::is_ascii_uppercase) {
        let mut buf = [0u8; MAX_NAME_LEN];
        let n = wire.len().min(MAX_NAME_LEN);
        for (d, s) in buf[..n].iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        hasher().hash_one(&buf[..n])
    } else {
        hasher().hash_one(wire)
    }
}

/// An immutable, complete zone at one serial.
#[derive(Clone)]
pub struct ZoneVersion {
    apex: Name,
    /// Labels of the apex, counted once (every lookup needs it).
    apex_labels: usize,
    class: Class,
    serial: u32,
    neg_ttl: u32,
    nodes: NodeTable,
    records: usize,
    /// NSEC/NSEC3 chains in order; only for zones that have them.
    denial: Option<DenialIndex>,
}

impl std::fmt::Debug for ZoneVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneVersion")
            .field("apex", &self.apex)
            .field("serial", &self.serial)
            .field("names", &self.nodes.len())
            .field("records", &self.records)
            .finish()
    }
}

/// A zone that is not fit to serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("zone {0} has no SOA record at its apex")]
    NoSoa(Name),
    #[error("zone {0} has more than one SOA record")]
    MultipleSoa(Name),
    #[error("zone {0} has no NS records at its apex")]
    NoNs(Name),
    #[error("{0}")]
    Node(#[from] crate::zone::node::NodeError),
}

impl ZoneVersion {
    /// Assembles a version from a filled node table and checks the apex.
    pub(crate) fn from_table(
        apex: Name,
        class: Class,
        nodes: NodeTable,
        records: usize,
    ) -> Result<ZoneVersion, ZoneError> {
        let apex_labels = apex.label_count();
        let mut v = ZoneVersion {
            apex,
            apex_labels,
            class,
            serial: 0,
            neg_ttl: 0,
            nodes,
            records,
            denial: None,
        };
        v.denial = DenialIndex::build(v.nodes.iter());
        v.refresh_apex()?;
        Ok(v)
    }

    /// Re-reads serial and negative TTL from the apex SOA.
    fn refresh_apex(&mut self) -> Result<(), ZoneError> {
        let apex = self
            .find(self.apex.as_wire())
            .ok_or_else(|| ZoneError::NoSoa(self.apex.clone()))?;
        let soa = apex
            .get(RType::SOA)
            .ok_or_else(|| ZoneError::NoSoa(self.apex.clone()))?;
        if soa.len() != 1 {
            return Err(ZoneError::MultipleSoa(self.apex.clone()));
        }
        if !apex.has(RType::NS) {
            return Err(ZoneError::NoNs(self.apex.clone()));
        }
        let fields = soa
            .first()
            .and_then(soa_fields)
            .ok_or_else(|| ZoneError::NoSoa(self.apex.clone()))?;
        // RFC 2308 §5: negative answers carry min(SOA TTL, SOA MINIMUM).
        let neg_ttl = soa.ttl.min(fields.minimum);
        self.serial = fields.serial;
        self.neg_ttl = neg_ttl;
        Ok(())
    }

    /// Number of labels of the apex name.
    pub fn apex_labels(&self) -> usize {
        self.apex_labels
    }

    /// The zone's apex name (case as in the zone file).
    pub fn apex(&self) -> &Name {
        &self.apex
    }
    pub fn class(&self) -> Class {
        self.class
    }
    /// The SOA serial of this version.
    pub fn serial(&self) -> u32 {
        self.serial
    }
    /// TTL of negative answers: min(SOA TTL, SOA MINIMUM).
    pub fn negative_ttl(&self) -> u32 {
        self.neg_ttl
    }
    /// Number of names (empty non-terminals included).
    pub fn name_count(&self) -> usize {
        self.nodes.len()
    }
    /// Number of records.
    pub fn record_count(&self) -> usize {
        self.records
    }

    /// The node for a wire name (any case).
    #[inline]
    pub fn find(&self, wire: &[u8]) -> Option<&Node> {
        self.nodes.find(wire)
    }

    /// The node for a name.
    pub fn node(&self, name: &Name) -> Option<&Node> {
        self.find(name.as_wire())
    }

    /// The apex node (always present in a valid version).
    pub fn apex_node(&self) -> Option<&Node> {
        self.find(self.apex.as_wire())
    }

    /// The apex SOA RRset.
    pub fn soa(&self) -> Option<RRsetRef<'_>> {
        self.apex_node().and_then(|n| n.get(RType::SOA))
    }

    /// All nodes, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// All nodes in DNSSEC canonical order (RFC 4034 §6.1).
    pub fn nodes_canonical(&self) -> Vec<&Node> {
        // Sorting by a precomputed key (one byte comparison) rather than by
        // comparing labels from the right at every step: on a million
        // names the comparisons, each touching two nodes far apart in
        // memory, were most of the cost.
        let mut v: Vec<(Box<[u8]>, &Node)> = crate::zone::node::Prefetched::new(self.nodes.iter())
            .map(|n| (crate::zone::ordered::canonical_key(n.owner_wire()), n))
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(_, n)| n).collect()
    }

    /// Every record in canonical order, the apex SOA first (zone-file and
    /// AXFR order).
    pub fn records_canonical(&self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.records);
        self.visit_canonical(|r| {
            out.push(Record {
                owner: r.owner.clone(),
                class: r.class,
                ttl: r.ttl,
                rtype: r.rtype,
                rdata: r.rdata.into(),
            })
        });
        out
    }

    /// Every record in the order of [`ZoneVersion::records_canonical`],
    /// lent one at a time: writing a snapshot this way needs no copy of
    /// the zone's records.
    pub fn visit_canonical(&self, mut f: impl FnMut(RecordRef<'_>)) {
        for node in self.nodes_canonical() {
            let owner = node.owner();
            let mut sets: Vec<RRsetRef<'_>> = node.rrsets().collect();
            if owner == self.apex {
                // SOA first at the apex.
                sets.sort_by_key(|s| {
                    if s.rtype == RType::SOA {
                        0
                    } else {
                        1 + s.rtype.0 as u32
                    }
                });
            }
            let mut rdatas: Vec<&[u8]> = Vec::new();
            for set in sets {
                // RFC 4034 §6.3: records of an RRset in canonical (octet) order.
                rdatas.clear();
                rdatas.extend(set.rdatas());
                rdatas.sort_unstable();
                for rd in &rdatas {
                    f(RecordRef {
                        owner: &owner,
                        class: self.class,
                        ttl: node.record_ttl(&set, rd),
                        rtype: set.rtype,
                        rdata: rd,
                    });
                }
            }
        }
    }

    /// The next version: this one with `diff` applied. Every removed
    /// record must exist and every added one must not (IXFR semantics);
    /// the diff must replace the SOA, and the result must still be a
    /// servable zone.
    pub fn apply(&self, diff: &Diff) -> Result<ZoneVersion, DiffError> {
        let mut next = self.clone();
        next.apply_in_place(diff)?;
        Ok(next)
    }

    /// [`ZoneVersion::apply`] without keeping the old version (replaying a
    /// journal). On an error the version is left half changed and must be
    /// dropped.
    pub fn apply_in_place(&mut self, diff: &Diff) -> Result<(), DiffError> {
        self.apply_changes(diff)?;
        self.nodes.maybe_fold();
        Ok(())
    }

    /// [`ZoneVersion::apply`] for a short-lived intermediate version (the
    /// signer's working copies): never folds the overlay, so the cost of a
    /// fold is paid once, by the version that is kept.
    pub fn apply_unfolded(&self, diff: &Diff) -> Result<ZoneVersion, DiffError> {
        let mut next = self.clone();
        next.apply_changes(diff)?;
        Ok(next)
    }

    fn apply_changes(&mut self, diff: &Diff) -> Result<(), DiffError> {
        if diff.serial_from != self.serial {
            return Err(DiffError::SerialMismatch {
                have: self.serial,
                diff_from: diff.serial_from,
            });
        }
        self.nodes
            .prepare_for(diff.removed.len() + diff.added.len());
        for rec in &diff.removed {
            self.remove_record(rec)?;
        }
        // Runs of records at one owner (a node's new signatures, a file
        // read in order) rebuild the node once, not once per record.
        for run in diff
            .added
            .chunk_by(|a, b| a.owner.as_wire() == b.owner.as_wire())
        {
            self.add_records(run)?;
        }
        self.refresh_denial(diff);
        self.refresh_apex().map_err(DiffError::Zone)?;
        if self.serial != diff.serial_to {
            return Err(DiffError::SerialMismatch {
                have: self.serial,
                diff_from: diff.serial_to,
            });
        }
        Ok(())
    }

    /// The ordered NSEC/NSEC3 index; `None` for a zone without either.
    pub fn denial(&self) -> Option<&DenialIndex> {
        self.denial.as_ref()
    }

    /// Keeps the ordered index in step with a diff: only owners whose
    /// NSEC/NSEC3 records changed are touched (O(change · log n)).
    fn refresh_denial(&mut self, diff: &Diff) {
        let is_chain = |r: &&Record| matches!(r.rtype, RType::NSEC | RType::NSEC3);
        let mut changed = diff.removed.iter().chain(&diff.added).filter(is_chain);
        let Some(first) = changed.next() else {
            return;
        };
        match self.denial.as_mut() {
            // The zone just became signed: index it once.
            None => self.denial = DenialIndex::build(self.nodes.iter()),
            Some(index) => {
                for rec in std::iter::once(first).chain(changed) {
                    let wire = rec.owner.as_wire();
                    index.refresh(wire, self.nodes.find(wire));
                }
                if index.nsec_len() == 0 && index.nsec3_len() == 0 {
                    // The zone went unsigned.
                    self.denial = None;
                }
            }
        }
    }

    fn take(&mut self, wire: &[u8]) -> Option<Node> {
        self.nodes.take(wire)
    }

    fn put(&mut self, node: Node) {
        self.nodes.put(node);
    }

    fn remove_record(&mut self, rec: &Record) -> Result<(), DiffError> {
        let missing = || DiffError::MissingRecord(rec.owner.to_string(), rec.rtype);
        let node = self.take(rec.owner.as_wire()).ok_or_else(missing)?;
        let mut sets = node.to_rrsets();
        let children = node.children();
        let removed = sets
            .iter_mut()
            .find(|s| s.rtype == rec.rtype)
            .is_some_and(|s| s.remove(&rec.rdata));
        if !removed {
            self.put(node);
            return Err(missing());
        }
        sets.retain(|s| !s.rdatas.is_empty());
        self.records -= 1;
        let owner = node.owner();
        if sets.is_empty() && children == 0 && owner != self.apex {
            self.unlink_from_parent(&owner);
        } else {
            self.put(
                Node::build(&owner, children, &mut sets).map_err(|e| DiffError::Zone(e.into()))?,
            );
        }
        Ok(())
    }

    /// After a node was removed: decrement the parent's child count and
    /// drop parents that became empty non-terminals without children.
    fn unlink_from_parent(&mut self, removed: &Name) {
        let mut cur = removed.clone();
        while let Some(parent) = cur.parent() {
            if !parent.is_subdomain_of(&self.apex) {
                return;
            }
            let Some(node) = self.take(parent.as_wire()) else {
                return;
            };
            let children = node.children().saturating_sub(1);
            if children == 0 && node.is_empty() && parent != self.apex {
                cur = parent;
                continue;
            }
            self.put(node.with_children(children));
            return;
        }
    }

    /// Adds records that all have the same owner (exactly). On an error the
    /// node is left as it was.
    fn add_records(&mut self, recs: &[Record]) -> Result<(), DiffError> {
        let Some(first) = recs.first() else {
            return Ok(());
        };
        let owner = &first.owner;
        if !owner.is_subdomain_of(&self.apex) {
            return Err(DiffError::OutOfZone(owner.to_string()));
        }
        let old = self.take(owner.as_wire());
        let (mut sets, children) = match &old {
            Some(node) => (node.to_rrsets(), node.children()),
            None => (Vec::new(), 0),
        };
        let mut failed = None;
        for rec in recs {
            let added = match sets.iter_mut().find(|s| s.rtype == rec.rtype) {
                Some(set) => set.insert(&rec.rdata),
                None => {
                    let mut set = RRset::new(rec.rtype, rec.ttl);
                    set.insert(&rec.rdata);
                    sets.push(set);
                    true
                }
            };
            if !added {
                failed = Some(DiffError::DuplicateRecord(owner.to_string(), rec.rtype));
                break;
            }
        }
        // The existing node keeps the case its owner was first written in.
        let zone_error = |e: crate::zone::node::NodeError| DiffError::Zone(e.into());
        let built = match (failed, &old) {
            (Some(e), _) => Err(e),
            (None, Some(node)) => {
                Node::build(&node.owner(), children, &mut sets).map_err(zone_error)
            }
            (None, None) => Node::build(owner, 0, &mut sets).map_err(zone_error),
        };
        match built {
            Ok(node) => {
                self.put(node);
                if old.is_none() {
                    self.link_to_parent(owner);
                }
                self.records += recs.len();
                Ok(())
            }
            Err(e) => {
                if let Some(node) = old {
                    self.put(node);
                }
                Err(e)
            }
        }
    }

    /// After a new node was inserted: count it in its parent, creating
    /// empty non-terminals up to the first existing ancestor.
    pub(crate) fn link_to_parent(&mut self, added: &Name) {
        link_to_parent(&mut self.nodes, &self.apex, added);
    }
}

/// See [`ZoneVersion::link_to_parent`]; shared with the builder.
pub(crate) fn link_to_parent(nodes: &mut NodeTable, apex: &Name, added: &Name) {
    if added == apex {
        return;
    }
    let apex_len = apex.as_wire().len();
    let mut cur: &[u8] = added.as_wire();
    while cur.len() > apex_len {
        let parent = &cur[1 + cur[0] as usize..];
        if let Some(c) = nodes.find(parent).map(Node::children) {
            nodes.set_children(parent, c + 1);
            return;
        }
        // An empty non-terminal (or the apex, before its records arrive).
        let ent = Name::from_wire(parent)
            .map_err(|_| ())
            .and_then(|p| Node::build(&p, 1, &mut []).map_err(|_| ()));
        if let Ok(ent) = ent {
            nodes.put(ent);
        }
        cur = parent;
    }
}

/// The fields of SOA rdata that the server needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoaFields {
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// Reads the fixed fields after the two names of SOA rdata.
pub fn soa_fields(rdata: &[u8]) -> Option<SoaFields> {
    let m = Name::wire_len(rdata).ok()?;
    let r = Name::wire_len(rdata.get(m..)?).ok()?;
    let f = rdata.get(m + r..m + r + 20)?;
    let u = |i: usize| u32::from_be_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
    Some(SoaFields {
        serial: u(0),
        refresh: u(4),
        retry: u(8),
        expire: u(12),
        minimum: u(16),
    })
}

/// Orders records canonically by owner, then type, then rdata.
pub fn cmp_records(a: &Record, b: &Record) -> Ordering {
    canonical_cmp_wire(a.owner.as_wire(), b.owner.as_wire())
        .then(a.rtype.cmp(&b.rtype))
        .then_with(|| a.rdata.cmp(&b.rdata))
}
