//! NOTIFY out (RFC 1996): tell each secondary of a new serial at once.
//!
//! One task per (zone, target) follows the zone's published serials
//! ([`crate::zone::Zone::subscribe`]). On start-up and on every new serial
//! it sends a NOTIFY (opcode 4, AA, question `zone SOA`, the SOA in the
//! answer section as §3.7 allows) over UDP, TSIG-signed with the target's
//! key when one is configured, and waits for the matching answer: same ID,
//! QR, opcode NOTIFY, and a TSIG that verifies against our request MAC.
//!
//! - NOERROR: acknowledged; logged and kept in the status registry.
//! - Another rcode (REFUSED, NOTAUTH, ...): the secondary said no; retrying
//!   would not change its mind, so the failure is logged and kept.
//! - No answer: retried with the timeout doubling (1, 2, 4, 8, 16 s: five
//!   tries in about half a minute), then given up until the next serial.
//!
//! Serials published while a NOTIFY is pending are coalesced: the watch
//! channel only holds the newest, and the pending NOTIFY is abandoned for
//! one with the newer serial (RFC 1996 §4.7).
//!
//! # Config
//! A `notify` entry is `"ip:port"` or `{ addr = "ip:port", key = "name" }`,
//! the key naming a `[[tsig]]` section.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use tokio::net::UdpSocket;

use crate::commit::Engine;
use crate::config::Config;
use crate::rdata::RType;
use crate::server::tsig::{self, KeyRing, TsigKey};
use crate::wire::builder::{MessageBuilder, Section};
use crate::wire::message::{flags, opcode, rcode};
use crate::zone::name::Name;
use crate::zone::Zone;

/// Seconds to wait for each try's answer.
const TIMEOUTS: [u64; 5] = [1, 2, 4, 8, 16];

/// One secondary to notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    pub addr: SocketAddr,
    /// The `[[tsig]]` key NOTIFY is signed with.
    pub key: Option<Name>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTarget {
    Plain(String),
    Full(FullTarget),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullTarget {
    addr: String,
    key: Option<String>,
}

impl<'de> Deserialize<'de> for NotifyTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NotifyTarget, D::Error> {
        let (addr, key) = match RawTarget::deserialize(d).map_err(|_| {
            D::Error::custom(
                "a notify entry is \"ip:port\" or { addr = \"ip:port\", key = \"key-name\" }",
            )
        })? {
            RawTarget::Plain(a) => (a, None),
            RawTarget::Full(f) => (f.addr, f.key),
        };
        let addr = addr.parse::<SocketAddr>().map_err(|_| {
            D::Error::custom(format!(
                "`{addr}` is not an address:port (e.g. 127.0.0.1:5301 or [::1]:5301)"
            ))
        })?;
        let key = key
            .map(|k| {
                k.parse::<Name>()
                    .map_err(|e| D::Error::custom(format!("key `{k}`: {e}")))
            })
            .transpose()?;
        Ok(NotifyTarget { addr, key })
    }
}

/// Starts the NOTIFY tasks of every zone (on the current tokio runtime).
pub fn spawn_all(config: &Config, engine: &Arc<Engine>, keys: &KeyRing) {
    for zc in &config.zones {
        let Ok((_, zone)) = engine.zone(&zc.name) else {
            continue;
        };
        for target in &zc.notify {
            let key = match &target.key {
                Some(k) => match keys.get(k) {
                    Some(key) => Some(key.clone()),
                    None => {
                        // The config check makes this unreachable.
                        tracing::error!(zone = %zc.name, %k, "NOTIFY key unknown, target skipped");
                        continue;
                    }
                },
                None => None,
            };
            tokio::spawn(follow(zone.clone(), target.addr, key, engine.clone()));
        }
    }
}

/// Notifies `target` of every new serial of `zone`, the current one first.
async fn follow(
    zone: Arc<Zone>,
    target: SocketAddr,
    key: Option<Arc<TsigKey>>,
    engine: Arc<Engine>,
) {
    let mut serials = zone.subscribe();
    loop {
        let serial = *serials.borrow_and_update();
        let superseded = tokio::select! {
            () = notify(&zone, target, key.as_deref(), &engine, serial) => false,
            changed = serials.changed() => {
                if changed.is_err() {
                    return;
                }
                true
            }
        };
        if !superseded && serials.changed().await.is_err() {
            return;
        }
    }
}

/// Sends one NOTIFY for `serial` until answered or out of tries.
async fn notify(
    zone: &Zone,
    target: SocketAddr,
    key: Option<&TsigKey>,
    engine: &Engine,
    serial: u32,
) {
    let status = engine.secondaries();
    let name = zone.name().clone();
    status.notify_sent(&name, target, serial);
    let result = try_notify(zone, target, key, serial).await;
    match result {
        Ok(tries) => {
            tracing::info!(zone = %name, %target, serial, tries, "NOTIFY acknowledged");
            status.notify_acked(&name, target, serial, crate::commit::now());
        }
        Err(e) => {
            tracing::warn!(zone = %name, %target, serial, "NOTIFY failed: {e}");
            status.notify_failed(&name, target, e);
        }
    }
}

/// The tries; `Ok(n)` after the n-th try was acknowledged.
async fn try_notify(
    zone: &Zone,
    target: SocketAddr,
    key: Option<&TsigKey>,
    serial: u32,
) -> Result<usize, String> {
    let local: IpAddr = match (target.ip(), target.ip().is_loopback()) {
        (IpAddr::V4(_), true) => Ipv4Addr::LOCALHOST.into(),
        (IpAddr::V4(_), false) => Ipv4Addr::UNSPECIFIED.into(),
        (IpAddr::V6(_), true) => Ipv6Addr::LOCALHOST.into(),
        (IpAddr::V6(_), false) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let sock = UdpSocket::bind((local, 0))
        .await
        .map_err(|e| format!("binding a UDP socket: {e}"))?;
    // Connected: only the target's datagrams are received.
    sock.connect(target)
        .await
        .map_err(|e| format!("connecting to {target}: {e}"))?;
    let mut buf = vec![0u8; 4096];
    for (i, secs) in TIMEOUTS.iter().enumerate() {
        let (msg, id, mac) = build(zone, key, serial)?;
        if let Err(e) = sock.send(&msg).await {
            tracing::debug!(%target, "NOTIFY send failed: {e}");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(*secs);
        loop {
            let n = match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                // e.g. ICMP port unreachable: wait out the timeout, retry.
                Ok(Err(_)) => {
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                Ok(Ok(n)) => n,
            };
            match check_answer(&buf[..n], id, key, &mac) {
                Answer::Ignore => continue,
                Answer::Ack => return Ok(i + 1),
                Answer::Rejected(why) => return Err(why),
            }
        }
        tracing::debug!(%target, serial, try_ = i + 1, "no answer to NOTIFY yet");
    }
    Err(format!("no answer after {} tries", TIMEOUTS.len()))
}

/// A NOTIFY message; returns it, its ID and its TSIG MAC (empty unsigned).
fn build(
    zone: &Zone,
    key: Option<&TsigKey>,
    serial: u32,
) -> Result<(Vec<u8>, u16, Vec<u8>), String> {
    let mut idb = [0u8; 2];
    getrandom::fill(&mut idb).map_err(|e| format!("random ID: {e}"))?;
    let id = u16::from_be_bytes(idb);
    let version = zone.current();
    let mut b = MessageBuilder::new();
    let apex = version.apex().as_wire().to_vec();
    b.start(
        id,
        (u16::from(opcode::NOTIFY) << 11) | flags::AA,
        Some((&apex, RType::SOA.0, version.class().0)),
        512,
    );
    // The SOA of the serial being announced (a newer version may exist
    // already; the secondary asks for the newest anyway).
    if let Some(set) = version.soa() {
        if let Some(rd) = set.first() {
            if version.serial() == serial {
                let _ = b.push_rr(
                    Section::Answer,
                    &apex,
                    RType::SOA,
                    version.class().0,
                    set.ttl,
                    rd,
                );
            }
        }
    }
    let mut msg = b.finish().to_vec();
    let mac = match key {
        Some(k) => tsig::sign_request(&mut msg, k, crate::commit::now())
            .map_err(|e| format!("signing NOTIFY: {e}"))?,
        None => Vec::new(),
    };
    Ok((msg, id, mac))
}

enum Answer {
    /// Not the answer to our NOTIFY (stale try, forged, garbage).
    Ignore,
    Ack,
    Rejected(String),
}

fn check_answer(msg: &[u8], id: u16, key: Option<&TsigKey>, mac: &[u8]) -> Answer {
    if msg.len() < 12 || u16::from_be_bytes([msg[0], msg[1]]) != id {
        return Answer::Ignore;
    }
    let fl = u16::from_be_bytes([msg[2], msg[3]]);
    if fl & flags::QR == 0 || ((fl >> 11) & 0xF) as u8 != opcode::NOTIFY {
        return Answer::Ignore;
    }
    let rc = fl & 0xF;
    if let Some(k) = key {
        if let Err(e) = tsig::verify_response(msg, k, mac, crate::commit::now()) {
            // An unsigned error answer still tells us the secondary said no.
            return if rc != rcode::NOERROR {
                Answer::Rejected(format!("rcode {rc}, TSIG: {e}"))
            } else {
                tracing::debug!("NOTIFY answer with a bad TSIG ignored: {e}");
                Answer::Ignore
            };
        }
    }
    if rc == rcode::NOERROR {
        Answer::Ack
    } else {
        Answer::Rejected(format!("the secondary answered rcode {rc}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        notify: Vec<NotifyTarget>,
    }

    #[test]
    fn both_config_forms() {
        let t: T = toml::from_str(
            "notify = [\"127.0.0.1:5301\", { addr = \"[::1]:5302\", key = \"xfr-key\" }]",
        )
        .unwrap();
        assert_eq!(t.notify[0].addr, "127.0.0.1:5301".parse().unwrap());
        assert_eq!(t.notify[0].key, None);
        assert_eq!(t.notify[1].addr, "[::1]:5302".parse().unwrap());
        assert_eq!(t.notify[1].key, Some("xfr-key".parse().unwrap()));
        assert!(toml::from_str::<T>("notify = [\"localhost:53\"]").is_err());
        assert!(
            toml::from_str::<T>("notify = [{ addr = \"127.0.0.1:53\", kee = \"k\" }]").is_err()
        );
    }
}
