//! The signing scheduler: one thread that keeps every signed zone's
//! signatures fresh. It wakes when the earliest signature of a zone enters
//! its refresh window (or when asked, e.g. after a key change) and commits
//! a new serial through the [`Engine`], whose seal step then re-signs what
//! is due. Expirations are spread by the policy's jitter, so one wake-up
//! re-signs a slice of the zone, not all of it; refresh starts
//! `rrsig_refresh` before expiry, so signatures never expire while served
//! as long as the server runs.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use crate::commit::{retarget_soa, CommitError, Engine};
use crate::store::CommitMeta;
use crate::zone::diff::Diff;
use crate::zone::name::Name;

/// The longest real time the scheduler sleeps before looking again.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Starts the scheduler; a name sent to the returned channel asks for a
/// full pass over that zone now.
pub fn spawn(engine: Arc<Engine>) -> std::io::Result<Sender<Name>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signer".into())
        .spawn(move || run(&engine, &rx))?;
    Ok(tx)
}

fn run(engine: &Engine, rx: &Receiver<Name>) {
    let registry = engine.dnssec();
    if registry.zones().next().is_none() {
        return;
    }
    loop {
        let now = registry.clock.now();
        let mut next = now + 3600;
        for (name, state) in registry.zones() {
            let (due, wake) = {
                let Ok(mut s) = state.lock() else {
                    return;
                };
                let refresh = s.signer.policy.rrsig_refresh;
                if s.signer.earliest_expiration.is_none() && !s.full_requested {
                    // Unknown after a start: look at the zone once.
                    if let Ok((_, zone)) = engine.zone(name) {
                        let current = zone.current();
                        if s.signer.needs_full_pass(&current, now) {
                            s.full_requested = true;
                        }
                    }
                }
                let wake = s
                    .signer
                    .earliest_expiration
                    .map_or(now + refresh, |e| (e as u64).saturating_sub(refresh));
                (s.full_requested || wake <= now, wake)
            };
            if due {
                match resign(engine, name) {
                    Ok(serial) => tracing::info!(zone = %name, serial, "signatures refreshed"),
                    Err(e) => tracing::error!(zone = %name, "re-signing failed: {e}"),
                }
                next = next.min(now + 1);
            } else {
                next = next.min(wake);
            }
        }
        let sleep = registry.clock.real_until(next).min(MAX_SLEEP);
        match rx.recv_timeout(sleep.max(Duration::from_millis(50))) {
            Ok(zone) => {
                if let Some(state) = registry.zone(&zone) {
                    if let Ok(mut s) = state.lock() {
                        s.full_requested = true;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Nobody can ask any more: keep the timer running alone.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(sleep),
        }
    }
}

/// Commits a new serial of `zone` with a full signing pass.
pub fn resign(engine: &Engine, zone: &Name) -> Result<u32, CommitError> {
    if let Some(state) = engine.dnssec().zone(zone) {
        if let Ok(mut s) = state.lock() {
            s.full_requested = true;
        }
    }
    let (zc, _) = engine.zone(zone)?;
    let policy = zc.serial;
    engine.commit_with(zone, |current| {
        let serial = policy.next(current.serial(), crate::commit::now());
        let mut diff = Diff::default();
        retarget_soa(&mut diff, current, serial)?;
        let meta = CommitMeta {
            time: crate::commit::now(),
            who: "dnssec".into(),
        };
        Ok((vec![(diff, meta)], serial))
    })
}
