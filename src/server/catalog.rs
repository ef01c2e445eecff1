//! The set of served zones, found by the most specific apex of a name.

use std::collections::HashMap;
use std::sync::Arc;

use crate::zone::Zone;

/// Every zone the server answers for, keyed by lowercase apex.
#[derive(Default)]
pub struct Catalog {
    zones: HashMap<Box<[u8]>, Arc<Zone>, ahash::RandomState>,
}

impl Catalog {
    pub fn new(zones: impl IntoIterator<Item = Arc<Zone>>) -> Catalog {
        let mut map = HashMap::with_hasher(ahash::RandomState::new());
        for z in zones {
            map.insert(z.name().to_lowercase().as_wire().into(), z);
        }
        Catalog { zones: map }
    }

    /// The zone with the longest apex that `qname_lc` (lowercase wire)
    /// is at or below.
    #[inline]
    pub fn find(&self, qname_lc: &[u8]) -> Option<&Arc<Zone>> {
        let mut pos = 0usize;
        loop {
            let suffix = qname_lc.get(pos..)?;
            if let Some(z) = self.zones.get(suffix) {
                return Some(z);
            }
            let len = *suffix.first()? as usize;
            if len == 0 {
                return None;
            }
            pos += 1 + len;
        }
    }

    /// A zone by its name.
    pub fn get(&self, name: &crate::zone::Name) -> Option<&Arc<Zone>> {
        self.zones.get(name.to_lowercase().as_wire())
    }

    pub fn zones(&self) -> impl Iterator<Item = &Arc<Zone>> {
        self.zones.values()
    }

    pub fn len(&self) -> usize {
        self.zones.len()
    }
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}
