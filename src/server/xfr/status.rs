//! What each secondary has: the last serial it acknowledged by NOTIFY and
//! the last serial it transferred.
//!
//! NOTIFY targets are known by the address they are sent to (`ip:port`
//! from the zone's `notify` list); transfers by the source address of the
//! request and the TSIG key that signed it (a secondary's port is
//! ephemeral). The two are reported side by side: a secondary behind NAT
//! or with a separate transfer source cannot be joined reliably.
//!
//! Kept in memory (a restart forgets it; the start-up NOTIFY round fills
//! it again) and shown on the control API at
//! `GET /api/v1/zones/{zone}/secondaries`.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use serde::Serialize;

use crate::zone::name::Name;

/// The NOTIFY state of one (zone, target).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
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
}

/// The registry, shared by the transfer code, NOTIFY and the control API.
#[derive(Default)]
pub struct SecondaryStatus {
    zones: Mutex<HashMap<Name, ZoneEntry>>,
}

/// The status of one zone, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneSecondaries {
    pub zone: String,
    pub notify: Vec<NotifyTarget>,
    pub transfers: Vec<TransferState>,
}

/// One NOTIFY target and its state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

    /// A NOTIFY for `serial` is about to go to `target`.
    pub fn notify_sent(&self, zone: &Name, target: SocketAddr, serial: u32) {
        crate::metrics::notify_sent(&zone.to_string());
        self.with(zone, |z| {
            z.notify.entry(target).or_default().sent_serial = Some(serial);
        });
    }

    /// `target` answered the NOTIFY for `serial` with NOERROR.
    pub fn notify_acked(&self, zone: &Name, target: SocketAddr, serial: u32, now: u64) {
        crate::metrics::notify_acked(&zone.to_string());
        self.with(zone, |z| {
            let s = z.notify.entry(target).or_default();
            s.acked_serial = Some(serial);
            s.acked_at = Some(now);
            s.last_error = None;
        });
    }

    /// The NOTIFY to `target` failed for good.
    pub fn notify_failed(&self, zone: &Name, target: SocketAddr, error: String) {
        self.with(zone, |z| {
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
        self.with(zone, |z| {
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

    /// Everything known about `zone`'s secondaries.
    pub fn zone(&self, zone: &Name) -> ZoneSecondaries {
        self.with(zone, |z| ZoneSecondaries {
            zone: zone.to_string(),
            notify: z
                .notify
                .iter()
                .map(|(a, s)| NotifyTarget {
                    address: *a,
                    state: s.clone(),
                })
                .collect(),
            transfers: z.transfers.values().cloned().collect(),
        })
    }
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
}
