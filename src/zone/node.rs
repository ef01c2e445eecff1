//! One owner name and its RRsets, packed into a single allocation.
//!
//! A zone of a million names is a million nodes, so a node is one boxed
//! byte string rather than a tree of small allocations: one pointer chase
//! from the hash table reaches the name and all of its data, and the
//! memory cost is the data plus a few header bytes.
//!
//! Layout (integers big-endian):
//! ```text
//! [name_len u8][owner name, wire form, case as written][children u32][n_sets u8]
//! n_sets x [rtype u16][ttl u32][count u16][bytes u32]   -- RRset headers, type order
//! for each set, count x [rdlen u16][rdata]             -- RRset bodies, in header order
//! ```
//! `children` counts the direct child nodes; a node with no RRsets and
//! children is an empty non-terminal, one with neither is removed.
//! Nodes are immutable once built and shared between zone versions by
//! reference count; a change builds a new node.

use std::sync::Arc;

use crate::rdata::RType;
use crate::zone::name::Name;

const SET_HDR: usize = 2 + 4 + 2 + 4;

/// An immutable node: owner name, child count and RRsets.
#[derive(Clone, PartialEq, Eq)]
pub struct Node(Arc<[u8]>);

/// A borrowed view of one RRset inside a node.
#[derive(Clone, Copy, Debug)]
pub struct RRsetRef<'a> {
    pub rtype: RType,
    pub ttl: u32,
    count: u16,
    body: &'a [u8],
}

impl<'a> RRsetRef<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.count as usize
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// The rdata of each record, in wire form.
    pub fn rdatas(&self) -> RdataIter<'a> {
        RdataIter { body: self.body }
    }
    /// The first record's rdata (e.g. of a CNAME, DNAME or SOA).
    pub fn first(&self) -> Option<&'a [u8]> {
        self.rdatas().next()
    }
}

/// Iterator over the rdatas of an RRset.
#[derive(Clone)]
pub struct RdataIter<'a> {
    body: &'a [u8],
}

impl<'a> Iterator for RdataIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.body.len() < 2 {
            return None;
        }
        let len = u16::from_be_bytes([self.body[0], self.body[1]]) as usize;
        let rd = self.body.get(2..2 + len)?;
        self.body = &self.body[2 + len..];
        Some(rd)
    }
}

/// An owned RRset used while building or changing nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRset {
    pub rtype: RType,
    pub ttl: u32,
    pub rdatas: Vec<Box<[u8]>>,
}

impl RRset {
    pub fn new(rtype: RType, ttl: u32) -> RRset {
        RRset {
            rtype,
            ttl,
            rdatas: Vec::new(),
        }
    }
    /// Adds an rdata unless an identical one is there; returns whether added.
    pub fn insert(&mut self, rdata: &[u8]) -> bool {
        if self.rdatas.iter().any(|r| &r[..] == rdata) {
            return false;
        }
        self.rdatas.push(rdata.into());
        true
    }
    /// Like [`RRset::insert`], taking ownership (no copy).
    pub fn insert_owned(&mut self, rdata: Box<[u8]>) -> bool {
        if self.rdatas.contains(&rdata) {
            return false;
        }
        self.rdatas.push(rdata);
        true
    }
    /// Removes an rdata; returns whether it was there.
    pub fn remove(&mut self, rdata: &[u8]) -> bool {
        let before = self.rdatas.len();
        self.rdatas.retain(|r| &r[..] != rdata);
        self.rdatas.len() != before
    }
}

/// Why a node could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("more than 255 RRsets at one name")]
    TooManySets,
    #[error("more than 65535 records in one RRset")]
    TooManyRecords,
    #[error("rdata longer than 65535 octets")]
    RdataTooLong,
}

impl Node {
    /// Packs an owner, its child count and RRsets (sorted here by type).
    pub fn build(owner: &Name, children: u32, sets: &mut [RRset]) -> Result<Node, NodeError> {
        sets.sort_by_key(|s| s.rtype);
        let sets: Vec<&RRset> = sets.iter().filter(|s| !s.rdatas.is_empty()).collect();
        let n_sets = u8::try_from(sets.len()).map_err(|_| NodeError::TooManySets)?;
        let wire = owner.as_wire();
        let mut size = 1 + wire.len() + 4 + 1 + sets.len() * SET_HDR;
        for s in &sets {
            size += s.rdatas.iter().map(|r| 2 + r.len()).sum::<usize>();
        }
        let mut out = Vec::with_capacity(size);
        out.push(wire.len() as u8);
        out.extend_from_slice(wire);
        out.extend_from_slice(&children.to_be_bytes());
        out.push(n_sets);
        for s in &sets {
            let count = u16::try_from(s.rdatas.len()).map_err(|_| NodeError::TooManyRecords)?;
            let bytes: usize = s.rdatas.iter().map(|r| 2 + r.len()).sum();
            out.extend_from_slice(&s.rtype.0.to_be_bytes());
            out.extend_from_slice(&s.ttl.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&(bytes as u32).to_be_bytes());
        }
        for s in &sets {
            for r in &s.rdatas {
                let len = u16::try_from(r.len()).map_err(|_| NodeError::RdataTooLong)?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(r);
            }
        }
        debug_assert_eq!(out.len(), size);
        Ok(Node(out.into()))
    }

    /// The owner name in wire form, case as written in the zone.
    pub fn owner_wire(&self) -> &[u8] {
        let len = self.0[0] as usize;
        &self.0[1..1 + len]
    }

    /// Asks the CPU to start loading this node's bytes (owner and RRset
    /// headers) into cache. Walks over a whole zone (AXFR, full signing)
    /// visit nodes in hash-table order, which is unrelated to where they
    /// sit in memory, so without this nearly every node is a cache miss.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.0.as_ptr() as *const i8;
            // SAFETY: a prefetch is only a hint; it never faults or reads
            // memory architecturally, and `p` points into a live Arc.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch(p, _MM_HINT_T0);
                if self.0.len() > 48 {
                    _mm_prefetch(p.wrapping_add(64), _MM_HINT_T0);
                }
            }
        }
    }

    /// The owner as a [`Name`].
    pub fn owner(&self) -> Name {
        // The bytes were a valid Name when the node was built.
        Name::from_wire(self.owner_wire()).unwrap_or_else(|_| Name::root())
    }

    fn hdr_start(&self) -> usize {
        1 + self.0[0] as usize
    }

    /// Number of direct child nodes.
    pub fn children(&self) -> u32 {
        let p = self.hdr_start();
        u32::from_be_bytes([self.0[p], self.0[p + 1], self.0[p + 2], self.0[p + 3]])
    }

    /// A copy of this node with another child count.
    pub fn with_children(&self, children: u32) -> Node {
        let mut n = self.clone();
        n.set_children(children);
        n
    }

    /// Changes the child count, copying the node first if it is shared.
    pub fn set_children(&mut self, children: u32) {
        let p = self.hdr_start();
        if Arc::get_mut(&mut self.0).is_none() {
            self.0 = Arc::from(&self.0[..]);
        }
        if let Some(bytes) = Arc::get_mut(&mut self.0) {
            bytes[p..p + 4].copy_from_slice(&children.to_be_bytes());
        }
    }

    /// Number of RRsets.
    pub fn set_count(&self) -> usize {
        self.0[self.hdr_start() + 4] as usize
    }

    /// True for an empty non-terminal (or a node about to be removed).
    pub fn is_empty(&self) -> bool {
        self.set_count() == 0
    }

    /// Every RRset, in type order.
    pub fn rrsets(&self) -> impl Iterator<Item = RRsetRef<'_>> + '_ {
        let base = self.hdr_start() + 5;
        let n = self.set_count();
        let mut body = base + n * SET_HDR;
        (0..n).map(move |i| {
            let h = &self.0[base + i * SET_HDR..base + (i + 1) * SET_HDR];
            let rtype = RType(u16::from_be_bytes([h[0], h[1]]));
            let ttl = u32::from_be_bytes([h[2], h[3], h[4], h[5]]);
            let count = u16::from_be_bytes([h[6], h[7]]);
            let bytes = u32::from_be_bytes([h[8], h[9], h[10], h[11]]) as usize;
            let set = RRsetRef {
                rtype,
                ttl,
                count,
                body: &self.0[body..body + bytes],
            };
            body += bytes;
            set
        })
    }

    /// The RRset of one type.
    pub fn get(&self, rtype: RType) -> Option<RRsetRef<'_>> {
        self.rrsets().find(|s| s.rtype == rtype)
    }

    /// The TTL a record of `set` is given on output (answers, transfers,
    /// exports, snapshots). All RRSIGs at a name share one stored RRset, but
    /// each signature takes the TTL of the RRset it covers (RFC 4034 §3),
    /// so the stored RRSIG TTL is never used: a signature over a type the
    /// node does not have falls back to its Original TTL field, capped by
    /// the stored TTL.
    pub fn record_ttl(&self, set: &RRsetRef<'_>, rdata: &[u8]) -> u32 {
        if set.rtype != RType::RRSIG || rdata.len() < 8 {
            return set.ttl;
        }
        let covered = RType(u16::from_be_bytes([rdata[0], rdata[1]]));
        match self.get(covered) {
            Some(c) => c.ttl,
            None => u32::from_be_bytes([rdata[4], rdata[5], rdata[6], rdata[7]]).min(set.ttl),
        }
    }

    /// True when an RRset of this type exists.
    pub fn has(&self, rtype: RType) -> bool {
        let base = self.hdr_start() + 5;
        let want = rtype.0.to_be_bytes();
        (0..self.set_count()).any(|i| self.0[base + i * SET_HDR..base + i * SET_HDR + 2] == want)
    }

    /// Owned copies of the RRsets, for building a changed node.
    pub fn to_rrsets(&self) -> Vec<RRset> {
        self.rrsets()
            .map(|s| RRset {
                rtype: s.rtype,
                ttl: s.ttl,
                rdatas: s.rdatas().map(Into::into).collect(),
            })
            .collect()
    }

    /// Bytes used by this node's allocation.
    pub fn heap_size(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Node");
        d.field("owner", &self.owner())
            .field("children", &self.children());
        let sets: Vec<(RType, u32, usize)> =
            self.rrsets().map(|s| (s.rtype, s.ttl, s.len())).collect();
        d.field("rrsets", &sets).finish()
    }
}

/// Wraps a node iterator so that each node is prefetched [`AHEAD`] steps
/// before it is returned.
pub struct Prefetched<'a, I: Iterator<Item = &'a Node>> {
    inner: I,
    ahead: std::collections::VecDeque<&'a Node>,
}

/// How far ahead [`Prefetched`] reads: enough to cover a memory latency
/// with the work of packing or hashing a few nodes.
const AHEAD: usize = 12;

impl<'a, I: Iterator<Item = &'a Node>> Prefetched<'a, I> {
    pub fn new(mut inner: I) -> Self {
        let mut ahead = std::collections::VecDeque::with_capacity(AHEAD + 1);
        for n in inner.by_ref().take(AHEAD) {
            n.prefetch();
            ahead.push_back(n);
        }
        Prefetched { inner, ahead }
    }
}

impl<'a, I: Iterator<Item = &'a Node>> Iterator for Prefetched<'a, I> {
    type Item = &'a Node;
    #[inline]
    fn next(&mut self) -> Option<&'a Node> {
        if let Some(n) = self.inner.next() {
            n.prefetch();
            self.ahead.push_back(n);
        }
        self.ahead.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_and_read() {
        let owner: Name = "www.Example.com".parse().unwrap();
        let mut a = RRset::new(RType::A, 300);
        assert!(a.insert(&[192, 0, 2, 1]));
        assert!(!a.insert(&[192, 0, 2, 1]));
        a.insert(&[192, 0, 2, 2]);
        let mut txt = RRset::new(RType::TXT, 60);
        txt.insert(b"\x05hello");
        let node = Node::build(&owner, 3, &mut [txt, a]).unwrap();
        assert!(Name::from_wire(node.owner_wire()).unwrap().eq_exact(&owner));
        assert_eq!(node.children(), 3);
        assert_eq!(node.set_count(), 2);
        let types: Vec<RType> = node.rrsets().map(|s| s.rtype).collect();
        assert_eq!(types, vec![RType::A, RType::TXT]);
        let a = node.get(RType::A).unwrap();
        assert_eq!(a.ttl, 300);
        assert_eq!(
            a.rdatas().collect::<Vec<_>>(),
            vec![&[192, 0, 2, 1][..], &[192, 0, 2, 2][..]]
        );
        assert!(node.has(RType::TXT) && !node.has(RType::MX));
        assert_eq!(node.with_children(0).children(), 0);
        assert_eq!(node.to_rrsets().len(), 2);
    }
}
