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
pub mod nsec3;
pub mod ordered;
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
    /// The serial of each published version, for whoever follows the zone
    /// (NOTIFY, provider sync): they wake on a change and read `current`.
    serial: tokio::sync::watch::Sender<u32>,
}

impl Zone {
    pub fn new(version: ZoneVersion) -> Zone {
        let (serial, _) = tokio::sync::watch::channel(version.serial());
        Zone {
            name: version.apex().clone(),
            current: ArcSwap::from_pointee(version),
            serial,
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
    /// Publishes a new version and tells the followers its serial.
    pub fn publish(&self, version: ZoneVersion) {
        let serial = version.serial();
        self.current.store(Arc::new(version));
        self.serial.send_replace(serial);
    }
    /// Follows the zone: the receiver sees the serial of every published
    /// version (intermediate ones may be skipped when they come quickly,
    /// which is what NOTIFY and sync want: only the latest matters).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u32> {
        self.serial.subscribe()
    }
}
