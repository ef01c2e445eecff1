//! The name table of a zone version: a large shared base plus a small
//! private overlay of the names changed since.
//!
//! A new version must cost O(change), not O(zone): copying a table of a
//! million nodes for every update would make one update cost ~100 ms. So a
//! version shares its predecessor's base table (behind an `Arc`) and keeps
//! its changes in an overlay: replaced or added nodes, and tombstones for
//! removed names. Lookups probe the overlay first, and only when it is not
//! empty. When the overlay grows past a bound it is folded into a fresh
//! base (nodes are reference-counted, so that copies pointers, not data);
//! the bound keeps both the per-commit overlay copy and the amortized fold
//! small.
//!
//! While a table is not shared (a zone being built), changes go straight
//! into the base.

use std::sync::Arc;

use hashbrown::HashTable;

use crate::zone::node::Node;
use crate::zone::version::hash_name;

/// Smallest overlay size that triggers folding into a new base.
const FOLD_AT: usize = 256;

/// The overlay size at which folding pays: every commit copies the
/// overlay (cost ~ overlay) and a fold copies the base (cost ~ base, once
/// per `overlay` commits); both are balanced near the square root of the
/// base size.
fn fold_threshold(base: usize) -> usize {
    FOLD_AT.max(2 * (base as f64).sqrt() as usize)
}

/// An overlay entry: a node that replaces (or adds to) the base, or a
/// tombstone hiding a base node.
#[derive(Clone)]
enum Slot {
    Live(Node),
    Gone(Box<[u8]>),
}

impl Slot {
    fn key(&self) -> &[u8] {
        match self {
            Slot::Live(n) => n.owner_wire(),
            Slot::Gone(k) => k,
        }
    }
}

/// Every node of a zone version, by case-folded owner name.
#[derive(Clone, Default)]
pub struct NodeTable {
    base: Arc<HashTable<Node>>,
    overlay: HashTable<Slot>,
    len: usize,
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl NodeTable {
    /// A table with room for about `capacity` names.
    pub fn with_capacity(capacity: usize) -> NodeTable {
        NodeTable {
            base: Arc::new(HashTable::with_capacity(capacity)),
            overlay: HashTable::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The node of a wire name (any case).
    #[inline]
    pub fn find(&self, wire: &[u8]) -> Option<&Node> {
        let hash = hash_name(wire);
        if !self.overlay.is_empty() {
            match self.overlay.find(hash, |s| same(s.key(), wire)) {
                Some(Slot::Live(n)) => return Some(n),
                Some(Slot::Gone(_)) => return None,
                None => {}
            }
        }
        self.base.find(hash, |n| same(n.owner_wire(), wire))
    }

    /// Removes and returns the node of a name.
    pub fn take(&mut self, wire: &[u8]) -> Option<Node> {
        let hash = hash_name(wire);
        if self.overlay.is_empty() {
            if let Some(base) = Arc::get_mut(&mut self.base) {
                let entry = base.find_entry(hash, |n| same(n.owner_wire(), wire)).ok()?;
                self.len -= 1;
                return Some(entry.remove().0);
            }
        }
        let in_base = self
            .base
            .find(hash, |n| same(n.owner_wire(), wire))
            .cloned();
        match self.overlay.find_entry(hash, |s| same(s.key(), wire)) {
            Ok(entry) => match entry.remove().0 {
                Slot::Live(n) => {
                    if in_base.is_some() {
                        self.overlay
                            .insert_unique(hash, Slot::Gone(wire.into()), |s| hash_name(s.key()));
                    }
                    self.len -= 1;
                    Some(n)
                }
                gone @ Slot::Gone(_) => {
                    self.overlay
                        .insert_unique(hash, gone, |s| hash_name(s.key()));
                    None
                }
            },
            Err(_) => {
                let n = in_base?;
                self.overlay
                    .insert_unique(hash, Slot::Gone(wire.into()), |s| hash_name(s.key()));
                self.len -= 1;
                Some(n)
            }
        }
    }

    /// Inserts a node whose name is not in the table.
    pub fn put(&mut self, node: Node) {
        let hash = hash_name(node.owner_wire());
        self.len += 1;
        if self.overlay.is_empty() {
            if let Some(base) = Arc::get_mut(&mut self.base) {
                base.insert_unique(hash, node, |n| hash_name(n.owner_wire()));
                return;
            }
        }
        let wire = node.owner_wire().to_vec();
        match self.overlay.find_entry(hash, |s| same(s.key(), &wire)) {
            Ok(entry) => {
                // Replaces a tombstone (or, against the contract, a live node).
                let (old, vacant) = entry.remove();
                if matches!(old, Slot::Live(_)) {
                    self.len -= 1;
                }
                vacant.insert(Slot::Live(node));
            }
            Err(vacant) => {
                vacant
                    .into_table()
                    .insert_unique(hash, Slot::Live(node), |s| hash_name(s.key()));
            }
        }
    }

    /// Changes a node's child count in place.
    pub fn set_children(&mut self, wire: &[u8], children: u32) -> bool {
        match self.take(wire) {
            Some(mut n) => {
                n.set_children(children);
                self.put(n);
                true
            }
            None => false,
        }
    }

    /// Every node, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Node> {
        let overlay = &self.overlay;
        let shadowed = move |n: &Node| {
            !overlay.is_empty()
                && overlay
                    .find(hash_name(n.owner_wire()), |s| same(s.key(), n.owner_wire()))
                    .is_some()
        };
        self.base
            .iter()
            .filter(move |n| !shadowed(n))
            .chain(self.overlay.iter().filter_map(|s| match s {
                Slot::Live(n) => Some(n),
                Slot::Gone(_) => None,
            }))
    }

    /// Folds a large overlay into a new base (copies node pointers only).
    pub fn maybe_fold(&mut self) {
        if self.overlay.len() < fold_threshold(self.base.len()) {
            return;
        }
        self.fold();
    }

    /// Before a change of about `changes` names: when that many would make
    /// the overlay fold anyway, the table takes a private base first, so
    /// that the changes go straight into it instead of through tombstones
    /// and copies in the overlay (a full signing pass touches every name).
    pub fn prepare_for(&mut self, changes: usize) {
        let private = self.overlay.is_empty() && Arc::get_mut(&mut self.base).is_some();
        if !private && changes >= fold_threshold(self.base.len()) {
            self.fold();
        }
    }

    fn fold(&mut self) {
        let mut base: HashTable<Node> = HashTable::with_capacity(self.len);
        for n in self.iter() {
            base.insert_unique(hash_name(n.owner_wire()), n.clone(), |x| {
                hash_name(x.owner_wire())
            });
        }
        self.base = Arc::new(base);
        self.overlay = HashTable::new();
    }

    /// Releases spare capacity of an unshared base.
    pub fn shrink_to_fit(&mut self) {
        if let Some(base) = Arc::get_mut(&mut self.base) {
            base.shrink_to_fit(|n| hash_name(n.owner_wire()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::name::Name;

    fn node(s: &str) -> Node {
        Node::build(&s.parse::<Name>().unwrap(), 0, &mut []).unwrap()
    }

    #[test]
    fn overlay_shadows_the_shared_base() {
        let mut t = NodeTable::with_capacity(4);
        t.put(node("a.test"));
        t.put(node("b.test"));
        let snapshot = t.clone(); // shares the base: later changes go to the overlay
        assert!(t.take(b"\x01A\x04test\x00").is_some());
        assert!(t.find(b"\x01a\x04test\x00").is_none());
        assert!(t.take(b"\x01a\x04test\x00").is_none());
        t.put(node("c.test"));
        t.put(node("a.test"));
        assert_eq!(t.len(), 3);
        assert!(t.find(b"\x01a\x04test\x00").is_some());
        assert_eq!(t.iter().count(), 3);
        assert!(t.set_children(b"\x01b\x04test\x00", 5));
        assert_eq!(t.find(b"\x01b\x04test\x00").unwrap().children(), 5);
        // The older version is untouched.
        assert_eq!(snapshot.len(), 2);
        assert_eq!(snapshot.find(b"\x01b\x04test\x00").unwrap().children(), 0);
        assert!(snapshot.find(b"\x01c\x04test\x00").is_none());
    }

    #[test]
    fn folding_keeps_every_node() {
        let mut t = NodeTable::with_capacity(8);
        t.put(node("keep.test"));
        let _shared = t.clone();
        for i in 0..FOLD_AT + 10 {
            t.put(node(&format!("n{i}.test")));
        }
        t.maybe_fold();
        assert_eq!(t.len(), FOLD_AT + 11);
        assert_eq!(t.iter().count(), FOLD_AT + 11);
        assert!(t.find(b"\x04keep\x04test\x00").is_some());
    }
}
