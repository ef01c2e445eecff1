//! The ordered index of a signed zone: the owners of its NSEC records in
//! canonical order and the hashes of its NSEC3 records in hash order.
//!
//! Denial of existence needs "the record just before this name" (the NSEC
//! or NSEC3 that covers it), which a hash table cannot answer. Only zones
//! that contain NSEC or NSEC3 get this index, so unsigned zones pay nothing.
//!
//! Like [`crate::zone::table::NodeTable`], a set is a large sorted array
//! shared between versions (behind an `Arc`) plus a small sorted overlay
//! of the changes since: a new version costs O(change · log n), a lookup
//! O(log n) in each part, and the overlay is folded into a fresh array
//! once it passes about √n entries, which keeps the amortized fold cost
//! per change at O(√n) rather than O(n).
//!
//! NSEC owners are stored as keys whose plain byte order is the canonical
//! order of RFC 4034 §6.1 (see [`canonical_key`]), so a binary search is a
//! series of `memcmp`s. The index holds keys only; the records themselves
//! stay in the node table and are found by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::rdata::RType;
use crate::zone::name::label_starts;
use crate::zone::node::Node;
use crate::zone::nsec3::{owner_hash, Hash};

/// Smallest overlay that is folded into the base.
const FOLD_AT: usize = 256;

fn fold_threshold(base: usize) -> usize {
    FOLD_AT.max(2 * (base as f64).sqrt() as usize)
}

/// A sorted set: shared sorted base plus an overlay of additions (`true`)
/// and removals (`false`).
#[derive(Clone, Debug)]
pub struct SortedSet<K: Ord + Clone> {
    base: Arc<Vec<K>>,
    overlay: BTreeMap<K, bool>,
    len: usize,
}

impl<K: Ord + Clone> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet {
            base: Arc::new(Vec::new()),
            overlay: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<K: Ord + Clone> SortedSet<K> {
    /// A set from unsorted keys (duplicates dropped).
    pub fn from_keys(mut keys: Vec<K>) -> SortedSet<K> {
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        let len = keys.len();
        SortedSet {
            base: Arc::new(keys),
            overlay: BTreeMap::new(),
            len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn in_base(&self, k: &K) -> bool {
        self.base.binary_search(k).is_ok()
    }

    pub fn contains(&self, k: &K) -> bool {
        match self.overlay.get(k) {
            Some(&present) => present,
            None => self.in_base(k),
        }
    }

    /// Adds a key; returns whether it was new.
    pub fn insert(&mut self, k: K) -> bool {
        if self.contains(&k) {
            return false;
        }
        if self.in_base(&k) {
            self.overlay.remove(&k);
        } else {
            self.overlay.insert(k, true);
        }
        self.len += 1;
        self.maybe_fold();
        true
    }

    /// Removes a key; returns whether it was there.
    pub fn remove(&mut self, k: &K) -> bool {
        if !self.contains(k) {
            return false;
        }
        if self.in_base(k) {
            self.overlay.insert(k.clone(), false);
        } else {
            self.overlay.remove(k);
        }
        self.len -= 1;
        self.maybe_fold();
        true
    }

    /// The greatest key `<= k`, if any.
    pub fn pred_or_eq(&self, k: &K) -> Option<&K> {
        // Base: walk down from the insertion point past removed keys (each
        // removed key is an overlay entry, so the walk is bounded by it).
        let mut i = self.base.partition_point(|x| x <= k);
        let from_base = loop {
            if i == 0 {
                break None;
            }
            i -= 1;
            let x = &self.base[i];
            if self.overlay.get(x) != Some(&false) {
                break Some(x);
            }
        };
        let from_overlay = self
            .overlay
            .range(..=k)
            .rev()
            .find(|(_, &present)| present)
            .map(|(x, _)| x);
        match (from_base, from_overlay) {
            (Some(a), Some(b)) => Some(if a >= b { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// The greatest key of all.
    pub fn last(&self) -> Option<&K> {
        let from_base = self
            .base
            .iter()
            .rev()
            .find(|x| self.overlay.get(*x) != Some(&false));
        let from_overlay = self.overlay.iter().rev().find(|(_, &p)| p).map(|(x, _)| x);
        match (from_base, from_overlay) {
            (Some(a), Some(b)) => Some(if a >= b { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    fn maybe_fold(&mut self) {
        if self.overlay.len() < fold_threshold(self.base.len()) {
            return;
        }
        let overlay = std::mem::take(&mut self.overlay);
        let mut merged = Vec::with_capacity(self.len);
        let mut adds = overlay
            .iter()
            .filter(|(_, &p)| p)
            .map(|(k, _)| k)
            .peekable();
        for k in self.base.iter() {
            if overlay.get(k) == Some(&false) {
                continue;
            }
            while let Some(a) = adds.next_if(|a| *a < k) {
                merged.push(a.clone());
            }
            merged.push(k.clone());
        }
        merged.extend(adds.cloned());
        self.base = Arc::new(merged);
    }

    /// Approximate heap bytes (for memory reports), not counting what `K`
    /// points to.
    pub fn heap_size(&self) -> usize {
        self.base.capacity() * std::mem::size_of::<K>()
            + self.overlay.len() * (std::mem::size_of::<K>() + 16)
    }
}

/// A name key whose byte order is canonical DNS order: labels from the
/// right, folded to lowercase, each followed by 0x00; bytes 0x00 and 0x01
/// inside a label are escaped as 0x01 0x01 and 0x01 0x02, so a terminator
/// sorts before every label byte and a shorter label before its
/// extensions.
pub fn canonical_key(wire: &[u8]) -> Box<[u8]> {
    let mut starts = [0u8; 128];
    let n = label_starts(wire, &mut starts);
    let mut out = Vec::with_capacity(wire.len() + 4);
    for &s in starts[..n].iter().rev() {
        let s = s as usize;
        for &b in &wire[s + 1..s + 1 + wire[s] as usize] {
            match b {
                0 | 1 => out.extend_from_slice(&[1, b + 1]),
                _ => out.push(b.to_ascii_lowercase()),
            }
        }
        out.push(0);
    }
    out.into_boxed_slice()
}

/// The wire name (lowercase) of a [`canonical_key`].
pub fn key_to_wire(key: &[u8]) -> Vec<u8> {
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    let mut it = key.iter();
    while let Some(&b) = it.next() {
        match b {
            0 => labels.push(std::mem::take(&mut cur)),
            1 => cur.push(it.next().map_or(0, |e| e.saturating_sub(1))),
            _ => cur.push(b),
        }
    }
    let mut out = Vec::with_capacity(key.len() + 1);
    for l in labels.iter().rev() {
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
    out
}

/// The NSEC and NSEC3 chains of one zone version.
#[derive(Clone, Debug, Default)]
pub struct DenialIndex {
    nsec: SortedSet<Box<[u8]>>,
    nsec3: SortedSet<Hash>,
}

impl DenialIndex {
    /// Indexes every node that holds an NSEC or NSEC3 RRset; `None` when
    /// there is none (an unsigned zone).
    pub fn build<'a>(nodes: impl Iterator<Item = &'a Node>) -> Option<DenialIndex> {
        let mut nsec = Vec::new();
        let mut nsec3 = Vec::new();
        for n in nodes {
            if n.has(RType::NSEC) {
                nsec.push(canonical_key(n.owner_wire()));
            }
            if n.has(RType::NSEC3) {
                if let Some(h) = owner_hash(n.owner_wire()) {
                    nsec3.push(h);
                }
            }
        }
        if nsec.is_empty() && nsec3.is_empty() {
            return None;
        }
        Some(DenialIndex {
            nsec: SortedSet::from_keys(nsec),
            nsec3: SortedSet::from_keys(nsec3),
        })
    }

    /// Brings the entry of one owner in line with its node after a change
    /// (`None`: the name no longer exists).
    pub fn refresh(&mut self, owner_wire: &[u8], node: Option<&Node>) {
        let key = canonical_key(owner_wire);
        if node.is_some_and(|n| n.has(RType::NSEC)) {
            self.nsec.insert(key);
        } else {
            self.nsec.remove(&key);
        }
        if let Some(h) = owner_hash(owner_wire) {
            if node.is_some_and(|n| n.has(RType::NSEC3)) {
                self.nsec3.insert(h);
            } else {
                self.nsec3.remove(&h);
            }
        }
    }

    /// Number of NSEC owners.
    pub fn nsec_len(&self) -> usize {
        self.nsec.len()
    }
    /// Number of NSEC3 hashes.
    pub fn nsec3_len(&self) -> usize {
        self.nsec3.len()
    }

    /// The owner (lowercase wire) of the NSEC that matches or covers
    /// `wire`: the greatest NSEC owner at or before it in canonical order.
    pub fn nsec_at_or_before(&self, wire: &[u8]) -> Option<Vec<u8>> {
        let key = canonical_key(wire);
        self.nsec.pred_or_eq(&key).map(|k| key_to_wire(k))
    }

    /// The NSEC3 hash that matches or covers `hash`; the chain wraps, so a
    /// hash before the first one is covered by the last.
    pub fn nsec3_at_or_before(&self, hash: &Hash) -> Option<Hash> {
        self.nsec3
            .pred_or_eq(hash)
            .or_else(|| self.nsec3.last())
            .copied()
    }

    /// True when an NSEC3 with exactly this hash exists.
    pub fn has_nsec3(&self, hash: &Hash) -> bool {
        self.nsec3.contains(hash)
    }

    /// Approximate heap bytes used by the index.
    pub fn heap_size(&self) -> usize {
        // Each NSEC key is a boxed name of ~wire length (allocator rounding
        // not counted).
        self.nsec.heap_size() + self.nsec.len() * 24 + self.nsec3.heap_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::name::tests::RFC4034_ORDER;
    use crate::zone::name::{canonical_cmp_wire, Name};
    use proptest::prelude::*;

    fn w(s: &str) -> Vec<u8> {
        s.parse::<Name>().unwrap().as_wire().to_vec()
    }

    #[test]
    fn keys_sort_canonically_and_round_trip() {
        // RFC 4034 §6.1 example order.
        let names = RFC4034_ORDER;
        let keys: Vec<Box<[u8]>> = names.iter().map(|n| canonical_key(&w(n))).collect();
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1], "{:?} !< {:?}", pair[0], pair[1]);
        }
        for n in names {
            let mut lc = w(n);
            crate::zone::name::lowercase_wire(&mut lc);
            assert_eq!(key_to_wire(&canonical_key(&w(n))), lc);
        }
        assert_eq!(key_to_wire(&canonical_key(&w("\\000.x"))), w("\\000.x"));
    }

    proptest! {
        #[test]
        fn key_order_is_canonical_order(
            a in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..4), 0..4),
            b in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..4), 0..4),
        ) {
            let wire = |ls: &Vec<Vec<u8>>| {
                let mut v = Vec::new();
                for l in ls { v.push(l.len() as u8); v.extend_from_slice(l); }
                v.push(0);
                v
            };
            let (wa, wb) = (wire(&a), wire(&b));
            prop_assert_eq!(canonical_key(&wa).cmp(&canonical_key(&wb)), canonical_cmp_wire(&wa, &wb));
        }

        #[test]
        fn sorted_set_matches_a_btreeset(
            start in proptest::collection::vec(0u16..500, 0..300),
            ops in proptest::collection::vec((any::<bool>(), 0u16..500), 0..2000),
            probes in proptest::collection::vec(0u16..520, 1..50),
        ) {
            let mut model: std::collections::BTreeSet<u16> = start.iter().copied().collect();
            let mut set = SortedSet::from_keys(start);
            let shared = set.clone();
            for (add, k) in ops {
                if add {
                    prop_assert_eq!(set.insert(k), model.insert(k));
                } else {
                    prop_assert_eq!(set.remove(&k), model.remove(&k));
                }
            }
            prop_assert_eq!(set.len(), model.len());
            for p in probes {
                prop_assert_eq!(set.pred_or_eq(&p), model.range(..=p).next_back());
                prop_assert_eq!(set.contains(&p), model.contains(&p));
            }
            prop_assert_eq!(set.last(), model.iter().next_back());
            // Versions share the base but never see each other's changes.
            let _ = shared.len();
        }
    }
}
