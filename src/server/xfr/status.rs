//! What each secondary has: the last serial it acknowledged by NOTIFY and
//! the last serial it transferred.
//!
//! NOTIFY targets are known by the address they are sent to (`ip:port`
//! from the zone's `notify` list); transfers by the source address of the
//! request and the TSIG key that signed it (a secondary's port is
//! ephemeral). The two are reported side by side: a secondary behind NAT
//! or with a separate transfer source cannot be joined reliably.
//!
//! Kept in memory and shown on the control API at
//! `GET /api/v1/zones/{zone}/secondaries` (and in the zone's status and
//! `polyzone sync status`). It is persisted per zone in the store's meta
//! table so a restart keeps it — but never on the query path or per
//! transfer message: a change marks the zone dirty, and a background task
//! ([`spawn_persister`]) writes the dirty zones at most once per
//! [`PERSIST_EVERY`], plus once more when the server stops. A crash loses
//! at most that last second, which the next NOTIFY round and transfers
//! fill again.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ZoneConfig;
use crate::store::Store;
use crate::zone::name::Name;

/// The store meta key of a zone's registry (JSON of [`ZoneSecondaries`]).
pub const META_KEY: &str = "secondaries";

/// How often the dirty zones are written to the store.
pub const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// The NOTIFY state of one (zone, target).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct NotifyState {
    /// Serial of the last NOTIFY sent.
    pub sent_serial: Option<u32>,
    /// Serial of the last NOTIFY the secondary answered NOERROR.
    pub acked_serial: Option<u32>,
    /// Unix time of that answer.
    pub acked_at: Option<u64>,
    /// The last failure (no answer after every retry, or an error rcode).
    pub last_error: Option<String>,
}

/// The last completed transfer from one (zone, source, key).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TransferState {
    #[schema(value_type = String)]
    pub source: IpAddr,
    /// TSIG key name, when the request was signed.
    pub key: Option<String>,
    pub serial: u32,
    /// `AXFR`, `IXFR`, or `IXFR-as-AXFR` (journal out of reach).
    pub kind: String,
    /// Unix time the last message was written.
    pub at: u64,
    /// Completed transfers so far.
    pub count: u64,
}

#[derive(Default)]
struct ZoneEntry {
    notify: BTreeMap<SocketAddr, NotifyState>,
    transfers: BTreeMap<(IpAddr, Option<String>), TransferState>,
    /// Changed since it was last written to the store.
    dirty: bool,
}

/// The registry, shared by the transfer code, NOTIFY and the control API.
#[derive(Default)]
pub struct SecondaryStatus {
    zones: Mutex<HashMap<Name, ZoneEntry>>,
}

/// The status of one zone, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ZoneSecondaries {
    pub zone: String,
    pub notify: Vec<NotifyTarget>,
    pub transfers: Vec<TransferState>,
}

/// One NOTIFY target and its state.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotifyTarget {
    #[schema(value_type = String)]
    pub address: SocketAddr,
    #[serde(flatten)]
    pub state: NotifyState,
}

impl SecondaryStatus {
    pub fn new() -> SecondaryStatus {
        SecondaryStatus::default()
    }

    fn with<T>(&self, zone: &Name, f: impl FnOnce(&mut ZoneEntry) -> T) -> T {
        // A poisoned lock only means a panic elsewhere mid-update of plain
        // counters: the data is still usable.
        let mut zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
        f(zones.entry(zone.clone()).or_default())
    }

    /// Like [`SecondaryStatus::with`], for a change: marks the zone dirty.
    fn change<T>(&self, zone: &Name, f: impl FnOnce(&mut ZoneEntry) -> T) -> T {
        self.with(zone, |z| {
            z.dirty = true;
            f(z)
        })
    }

    /// A NOTIFY for `serial` is about to go to `target`.
    pub fn notify_sent(&self, zone: &Name, target: SocketAddr, serial: u32) {
        crate::metrics::notify_sent(&zone.to_string());
        self.change(zone, |z| {
            z.notify.entry(target).or_default().sent_serial = Some(serial);
        });
    }

    /// `target` answered the NOTIFY for `serial` with NOERROR.
    pub fn notify_acked(&self, zone: &Name, target: SocketAddr, serial: u32, now: u64) {
        crate::metrics::notify_acked(&zone.to_string());
        self.change(zone, |z| {
            let s = z.notify.entry(target).or_default();
            s.acked_serial = Some(serial);
            s.acked_at = Some(now);
            s.last_error = None;
        });
    }

    /// The NOTIFY to `target` failed for good.
    pub fn notify_failed(&self, zone: &Name, target: SocketAddr, error: String) {
        self.change(zone, |z| {
            z.notify.entry(target).or_default().last_error = Some(error);
        });
    }

    /// A transfer of `serial` to `source` completed.
    pub fn transferred(
        &self,
        zone: &Name,
        source: IpAddr,
        key: Option<&Name>,
        serial: u32,
        kind: &str,
        now: u64,
    ) {
        let key = key.map(|k| k.to_string());
        // AXFR, IXFR, IXFR-as-AXFR → the metric's two kinds.
        let metric_kind = if kind == "IXFR" { "ixfr" } else { "axfr" };
        crate::metrics::transfer(&zone.to_string(), metric_kind);
        self.change(zone, |z| {
            let entry = z
                .transfers
                .entry((source, key.clone()))
                .or_insert_with(|| TransferState {
                    source,
                    key,
                    serial,
                    kind: String::new(),
                    at: now,
                    count: 0,
                });
            entry.serial = serial;
            entry.kind = kind.to_string();
            entry.at = now;
            entry.count += 1;
        });
    }

    /// Reads back what [`SecondaryStatus::persist`] wrote for each zone.
    pub fn restore_all(&self, store: &Store, zones: &[ZoneConfig]) {
        for zc in zones {
            let notify: Vec<SocketAddr> = zc.notify.iter().map(|t| t.addr).collect();
            self.restore(store, &zc.name, &notify);
        }
    }

    /// Reads back what [`SecondaryStatus::persist`] wrote for `zone`.
    /// NOTIFY state is kept only for addresses still in its `notify` list.
    /// A registry that cannot be read is logged and skipped: it is status,
    /// not zone data.
    pub fn restore(&self, store: &Store, zone: &Name, notify: &[SocketAddr]) {
        let saved = match store.get_meta(zone, META_KEY) {
            Ok(Some(bytes)) => serde_json::from_slice::<ZoneSecondaries>(&bytes)
                .map_err(|e| format!("unreadable: {e}")),
            Ok(None) => return,
            Err(e) => Err(e.to_string()),
        };
        let saved = match saved {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%zone, "cannot restore the secondaries' status: {e}");
                return;
            }
        };
        self.with(zone, |z| {
            for n in saved.notify {
                if notify.contains(&n.address) {
                    z.notify.insert(n.address, n.state);
                }
            }
            for t in saved.transfers {
                z.transfers.insert((t.source, t.key.clone()), t);
            }
        });
        tracing::debug!(%zone, "secondaries' status restored");
    }

    /// Writes every zone changed since the last call to the store. The
    /// lock is held only to copy the dirty zones out; a zone whose write
    /// fails stays dirty for the next call.
    pub fn persist(&self, store: &Store) {
        let dirty: Vec<(Name, ZoneSecondaries)> = {
            let mut zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
            zones
                .iter_mut()
                .filter(|(_, z)| z.dirty)
                .map(|(name, z)| {
                    z.dirty = false;
                    (name.clone(), z.view(name))
                })
                .collect()
        };
        for (zone, view) in dirty {
            let written = serde_json::to_vec(&view)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    store
                        .put_meta(&zone, META_KEY, &bytes)
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                tracing::warn!(%zone, "cannot store the secondaries' status: {e}");
                self.with(&zone, |z| z.dirty = true);
            }
        }
    }

    /// Everything known about `zone`'s secondaries.
    pub fn zone(&self, zone: &Name) -> ZoneSecondaries {
        self.with(zone, |z| z.view(zone))
    }
}

impl ZoneEntry {
    fn view(&self, zone: &Name) -> ZoneSecondaries {
        ZoneSecondaries {
            zone: zone.to_string(),
            notify: self
                .notify
                .iter()
                .map(|(a, s)| NotifyTarget {
                    address: *a,
                    state: s.clone(),
                })
                .collect(),
            transfers: self.transfers.values().cloned().collect(),
        }
    }
}

/// Writes the registry of `engine` to its store every [`PERSIST_EVERY`]
/// when something changed; call inside the runtime. The store write is
/// blocking work (an fsync), so it runs off the async workers.
pub fn spawn_persister(engine: Arc<crate::commit::Engine>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERSIST_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let engine = engine.clone();
            let done =
                tokio::task::spawn_blocking(move || engine.secondaries().persist(engine.store()));
            if done.await.is_err() {
                tracing::error!("the secondaries' status writer panicked");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_notify_and_transfers() {
        let s = SecondaryStatus::new();
        let z: Name = "example.com".parse().unwrap();
        let t: SocketAddr = "127.0.0.1:5301".parse().unwrap();
        s.notify_sent(&z, t, 5);
        assert_eq!(s.zone(&z).notify[0].state.acked_serial, None);
        s.notify_acked(&z, t, 5, 100);
        s.transferred(&z, "127.0.0.1".parse().unwrap(), None, 5, "AXFR", 101);
        s.transferred(&z, "127.0.0.1".parse().unwrap(), None, 6, "IXFR", 102);
        let v = s.zone(&z);
        assert_eq!(v.notify[0].state.acked_serial, Some(5));
        assert_eq!(v.transfers.len(), 1);
        assert_eq!((v.transfers[0].serial, v.transfers[0].count), (6, 2));
        assert_eq!(v.transfers[0].kind, "IXFR");
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["notify"][0]["address"], "127.0.0.1:5301");
        assert_eq!(json["notify"][0]["acked_serial"], 5);
    }

    #[test]
    fn persisted_when_changed_and_restored() {
        let dir = tempfile::tempdir().unwrap();
        let z: Name = "example.com".parse().unwrap();
        let (kept, dropped): (SocketAddr, SocketAddr) = (
            "127.0.0.1:5301".parse().unwrap(),
            "127.0.0.1:5302".parse().unwrap(),
        );
        let key: Name = "xfr-key".parse().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let s = SecondaryStatus::new();
            s.notify_sent(&z, kept, 7);
            s.notify_acked(&z, kept, 7, 100);
            s.notify_failed(&z, dropped, "timed out".into());
            s.transferred(&z, "::1".parse().unwrap(), Some(&key), 7, "IXFR", 101);
            s.persist(&store);
            assert!(store.get_meta(&z, META_KEY).unwrap().is_some());
            // Nothing changed: nothing is written.
            store.put_meta(&z, META_KEY, b"sentinel").unwrap();
            s.persist(&store);
            assert_eq!(store.get_meta(&z, META_KEY).unwrap().unwrap(), b"sentinel");
            s.transferred(&z, "::1".parse().unwrap(), Some(&key), 8, "IXFR", 102);
            s.persist(&store);
        }
        let store = Store::open(dir.path()).unwrap();
        let s = SecondaryStatus::new();
        s.restore(&store, &z, &[kept]);
        let v = s.zone(&z);
        assert_eq!(v.notify.len(), 1, "{v:?}");
        assert_eq!(v.notify[0].address, kept);
        assert_eq!(v.notify[0].state.acked_serial, Some(7));
        assert_eq!(v.notify[0].state.acked_at, Some(100));
        assert_eq!(v.transfers.len(), 1);
        let t = &v.transfers[0];
        assert_eq!(
            (t.serial, t.count, t.key.as_deref()),
            (8, 2, Some("xfr-key."))
        );
        // A restored registry is not dirty; new transfers add to it.
        store.put_meta(&z, META_KEY, b"sentinel").unwrap();
        s.persist(&store);
        assert_eq!(store.get_meta(&z, META_KEY).unwrap().unwrap(), b"sentinel");
        s.transferred(&z, "::1".parse().unwrap(), Some(&key), 9, "IXFR", 103);
        assert_eq!(s.zone(&z).transfers[0].count, 3);
        // Garbage in the store is skipped, not fatal.
        let fresh = SecondaryStatus::new();
        fresh.restore(&store, &z, &[kept]);
        assert!(fresh.zone(&z).transfers.is_empty());
    }
}
