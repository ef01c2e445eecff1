//! The zone model: names, records, nodes, immutable versions and diffs.
//!
//! Data flows one way: records (from a zone file, an update, a transfer)
//! go through [`builder::ZoneBuilder`] or [`version::ZoneVersion::apply`]
//! into a new immutable [`version::ZoneVersion`]; a [`Zone`] publishes the
//! current version through an atomic pointer swap, so readers (queries,
//! transfers, exports) never wait for writers and never see half a change.

pub mod builder;
pub mod diff;
pub mod name;
pub mod node;
pub mod record;
pub mod serial;
pub mod table;
pub mod version;

use std::sync::Arc;

use arc_swap::ArcSwap;

pub use diff::Diff;
pub use name::Name;
pub use record::Record;
pub use version::ZoneVersion;

/// A served zone: its name and its current version.
pub struct Zone {
    name: Name,
    current: ArcSwap<ZoneVersion>,
}

impl Zone {
    pub fn new(version: ZoneVersion) -> Zone {
        Zone {
            name: version.apex().clone(),
            current: ArcSwap::from_pointee(version),
        }
    }
    /// The zone's apex.
    pub fn name(&self) -> &Name {
        &self.name
    }
    /// The version being served now; cheap, lock-free.
    pub fn current(&self) -> Arc<ZoneVersion> {
        self.current.load_full()
    }
    /// A guard for the hot path (no reference-count traffic).
    pub fn load(&self) -> arc_swap::Guard<Arc<ZoneVersion>> {
        self.current.load()
    }
    /// Publishes a new version.
    pub fn publish(&self, version: ZoneVersion) {
        self.current.store(Arc::new(version));
    }
}
