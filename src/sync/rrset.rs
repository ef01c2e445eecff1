//! The state both sides of a sync are compared in: RRsets keyed by
//! (owner, type), their records as canonical wire rdata.
//!
//! Comparing wire forms rather than provider text is what makes quoting,
//! escaping, letter case and trailing dots irrelevant: every provider's
//! text is parsed back into wire form before it is compared.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::rdata::RType;
use crate::zone::name::Name;

/// One RRset's identity. Names compare case-insensitively (see [`Name`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RRsetKey {
    pub name: Name,
    pub rtype: RType,
}

impl fmt::Display for RRsetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.rtype)
    }
}

/// One RRset's content: a TTL and its records' rdata (canonical wire form,
/// RFC 4034 §6.2, so names inside compare case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRsetData {
    pub ttl: u32,
    pub rdatas: BTreeSet<Box<[u8]>>,
}

impl RRsetData {
    /// An RRset from rdatas in any case; they are canonicalised here.
    pub fn new(rtype: RType, ttl: u32, rdatas: impl IntoIterator<Item = Vec<u8>>) -> RRsetData {
        let rdatas = rdatas
            .into_iter()
            .map(|mut rd| {
                crate::rdata::canonicalize(rtype, &mut rd);
                rd.into_boxed_slice()
            })
            .collect();
        RRsetData { ttl, rdatas }
    }

    /// The records in presentation form (absolute names), sorted.
    pub fn texts(&self, rtype: RType) -> Vec<String> {
        self.rdatas
            .iter()
            .map(|rd| {
                crate::rdata::to_text(rtype, rd).unwrap_or_else(|_| {
                    // to_text falls back to RFC 3597 itself; this is unreachable
                    // in practice but must not panic.
                    format!("\\# {}", rd.len())
                })
            })
            .collect()
    }
}

/// A zone's content as a sync compares it.
pub type RRsets = BTreeMap<RRsetKey, RRsetData>;

/// Number of records in a set of RRsets.
pub fn record_count(sets: &RRsets) -> usize {
    sets.values().map(|d| d.rdatas.len()).sum()
}
