//! The ordered index of the names in a zone's denial chain, kept per
//! signed zone and moved along by every diff.
//!
//! A zone version is a hash table (no order), but repairing an NSEC or
//! NSEC3 chain needs the predecessor and successor of a name. The index
//! holds only what ordering needs: for NSEC the lowercased owner names in
//! the chain (canonical order), for NSEC3 the 20-byte hashes. It belongs
//! to one serial; a signer whose index is for another serial rebuilds it
//! from the version (after a restart, or when a sealed diff was not
//! committed).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::nsec3::{Nsec3Params, HASH_LEN};
use crate::rdata::RType;
use crate::zone::name::{canonical_cmp_wire, lowercase_wire};
use crate::zone::node::Node;
use crate::zone::version::ZoneVersion;

/// A lowercased wire name ordered canonically (RFC 4034 §6.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CanonName(pub Box<[u8]>);

impl CanonName {
    pub fn new(wire: &[u8]) -> CanonName {
        let mut v = wire.to_vec();
        lowercase_wire(&mut v);
        CanonName(v.into())
    }
}

impl Ord for CanonName {
    fn cmp(&self, other: &Self) -> Ordering {
        canonical_cmp_wire(&self.0, &other.0)
    }
}

impl PartialOrd for CanonName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The chain members of one zone version.
#[derive(Debug)]
pub enum ChainIndex {
    Nsec(BTreeSet<CanonName>),
    Nsec3(BTreeSet<[u8; HASH_LEN]>),
}

/// Where a name stands in a zone for signing purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameStatus {
    /// A node exists (data or empty non-terminal).
    pub exists: bool,
    /// Below a zone cut or a DNAME: not authoritative, never signed.
    pub occluded: bool,
    /// A zone cut (NS below the apex).
    pub delegation: bool,
    /// Has authoritative data (besides DNSSEC records).
    pub has_data: bool,
    /// A DS RRset at a delegation.
    pub has_ds: bool,
    /// The node is the owner of an NSEC3 record (part of the chain itself).
    pub nsec3_owner: bool,
}

/// True for the types the signer maintains at every name.
pub fn is_chain_type(t: RType) -> bool {
    matches!(t, RType::RRSIG | RType::NSEC | RType::NSEC3)
}

/// True for a node holding only NSEC3 (and its signatures).
pub fn is_nsec3_owner(node: &Node) -> bool {
    node.has(RType::NSEC3)
        && node
            .rrsets()
            .all(|s| s.rtype == RType::NSEC3 || s.rtype == RType::RRSIG)
}

/// The status of the name `wire` (any case) in `v`.
pub fn status(v: &ZoneVersion, wire: &[u8]) -> NameStatus {
    let apex_len = v.apex().as_wire().len();
    let node = v.find(wire);
    let is_apex = wire.len() == apex_len;
    let mut occluded = false;
    // Walk the proper ancestors down to the apex: an NS below the apex or
    // a DNAME anywhere above the name hides it.
    let mut cur = wire;
    while cur.len() > apex_len {
        cur = &cur[1 + cur[0] as usize..];
        if let Some(n) = v.find(cur) {
            if n.has(RType::DNAME) || (cur.len() > apex_len && n.has(RType::NS)) {
                occluded = true;
                break;
            }
        }
    }
    match node {
        None => NameStatus {
            exists: false,
            occluded,
            delegation: false,
            has_data: false,
            has_ds: false,
            nsec3_owner: false,
        },
        Some(n) => NameStatus {
            exists: true,
            occluded,
            delegation: !is_apex && n.has(RType::NS),
            has_data: n.rrsets().any(|s| !is_chain_type(s.rtype)),
            has_ds: n.has(RType::DS),
            nsec3_owner: is_nsec3_owner(n),
        },
    }
}

impl NameStatus {
    /// True when the name has an NSEC record in a signed zone.
    pub fn in_nsec_chain(&self) -> bool {
        self.exists && !self.occluded && !self.nsec3_owner && self.has_data
    }

    /// True when the name has an NSEC3 record (empty non-terminals too,
    /// RFC 5155 §7.1; insecure delegations left out under opt-out).
    pub fn in_nsec3_chain(&self, p: &Nsec3Params) -> bool {
        let opted_out = p.opt_out && self.delegation && !self.has_ds;
        self.exists && !self.occluded && !self.nsec3_owner && !opted_out
    }
}

impl ChainIndex {
    /// Builds the index of `v` from scratch.
    pub fn build(v: &ZoneVersion, nsec3: Option<&Nsec3Params>) -> ChainIndex {
        match nsec3 {
            None => ChainIndex::Nsec(
                v.nodes()
                    .filter(|n| status(v, n.owner_wire()).in_nsec_chain())
                    .map(|n| CanonName::new(n.owner_wire()))
                    .collect(),
            ),
            Some(p) => ChainIndex::Nsec3(
                v.nodes()
                    .filter(|n| status(v, n.owner_wire()).in_nsec3_chain(p))
                    .map(|n| p.hash(n.owner_wire()))
                    .collect(),
            ),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ChainIndex::Nsec(s) => s.len(),
            ChainIndex::Nsec3(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The next element after `k`, wrapping around to the first.
pub fn successor<T: Ord + Clone>(set: &BTreeSet<T>, k: &T) -> Option<T> {
    use std::ops::Bound::{Excluded, Unbounded};
    set.range((Excluded(k), Unbounded))
        .next()
        .or_else(|| set.iter().next())
        .cloned()
}

/// The element before `k`, wrapping around to the last.
pub fn predecessor<T: Ord + Clone>(set: &BTreeSet<T>, k: &T) -> Option<T> {
    set.range(..k)
        .next_back()
        .or_else(|| set.iter().next_back())
        .cloned()
}
