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
use crate::dnssec::kasp::RollKind;
use crate::dnssec::{SignedZone, KASP_META};
use crate::store::CommitMeta;
use crate::zone::diff::Diff;
use crate::zone::name::Name;

/// The longest real time the scheduler sleeps before looking again.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// The pause after a failed signing pass.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How often the parent's servers are asked while a rollover waits for them.
const PARENT_CHECK_EVERY: Duration = Duration::from_secs(2);

/// What a zone waits for at its parent: the DS of a new KSK (its rdata),
/// or the removal of every DS (`None`).
type ParentWait = (Vec<std::net::SocketAddr>, u16, Option<Vec<u8>>);

/// The parent check a zone needs now, if any (taken under the lock, done
/// without it: network I/O never holds up commits).
fn parent_check(
    _engine: &Engine,
    zone: &Name,
    state: &std::sync::Mutex<SignedZone>,
) -> Option<ParentWait> {
    let s = state.lock().ok()?;
    let servers = s.signer.policy.parent_nameservers.clone();
    if servers.is_empty() {
        return None;
    }
    if s.kasp.unsign == Some(crate::dnssec::kasp::Unsign::WaitingDsRemoval) {
        return Some((servers, 0, None));
    }
    let new = s
        .kasp
        .rolls
        .iter()
        .find_map(crate::dnssec::kasp::Roll::waiting_for_ds)?;
    let pair = s.pairs.iter().find(|p| p.key_tag() == new)?;
    let mut apex = zone.as_wire().to_vec();
    crate::zone::name::lowercase_wire(&mut apex);
    let ds = crate::dnssec::keys::ds_rdata(&apex, &pair.dnskey_rdata());
    Some((servers, new, Some(ds)))
}

/// Asks the parent's servers; on success takes the `ds-seen` step.
fn check_parent(
    engine: &Engine,
    zone: &Name,
    state: &std::sync::Mutex<SignedZone>,
    (servers, tag, want): ParentWait,
) {
    if !crate::parent_ds::all_serve(&servers, zone, want.as_deref()) {
        return;
    }
    let Ok(mut s) = state.lock() else {
        return;
    };
    match ds_seen(engine, zone, &mut s, tag) {
        Ok(()) => tracing::info!(%zone, tag, "the parent's servers serve the expected DS set"),
        Err(e) => tracing::warn!(%zone, "parent check: {e}"),
    }
}

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
    // Remember the key state from the first start on (key lifetimes count
    // from there).
    for (name, state) in registry.zones() {
        if matches!(engine.store().get_meta(name, KASP_META), Ok(None)) {
            if let Ok(s) = state.lock() {
                save_kasp(engine, name, &s);
            }
        }
    }
    let mut last_parent_check: std::collections::HashMap<Name, std::time::Instant> =
        std::collections::HashMap::new();
    let mut failed_at: std::collections::HashMap<Name, std::time::Instant> =
        std::collections::HashMap::new();
    loop {
        let now = registry.clock.now();
        let mut next = now + 3600;
        let mut parent_wait = false;
        for (name, state) in registry.zones() {
            if let Some(waiting) = parent_check(engine, name, state) {
                parent_wait = true;
                let recent = last_parent_check
                    .get(name)
                    .is_some_and(|t| t.elapsed() < PARENT_CHECK_EVERY);
                if !recent {
                    last_parent_check.insert(name.clone(), std::time::Instant::now());
                    check_parent(engine, name, state, waiting);
                }
            }
            let (due, wake) = {
                let Ok(mut s) = state.lock() else {
                    return;
                };
                key_events(engine, name, &mut s, now);
                if s.kasp.is_unsigned() {
                    // Insecure: only the pass that strips the records.
                    let due = s.full_requested;
                    drop(s);
                    if due {
                        if let Err(e) = resign(engine, name) {
                            tracing::error!(zone = %name, "removing DNSSEC records failed: {e}");
                        }
                    }
                    continue;
                }
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
                    .map_or(now + refresh, |e| (e as u64).saturating_sub(refresh))
                    .min(s.kasp.next_event().unwrap_or(u64::MAX))
                    .min(s.kasp.zsk_expiry(&s.signer.policy).unwrap_or(u64::MAX));
                (s.full_requested || wake <= now, wake)
            };
            // A pass that failed is retried after a pause, not in a loop.
            let backing_off = failed_at
                .get(name)
                .is_some_and(|t| t.elapsed() < RETRY_AFTER);
            if due && !backing_off {
                let started = std::time::Instant::now();
                match resign(engine, name) {
                    Ok(serial) => {
                        failed_at.remove(name);
                        tracing::info!(zone = %name, serial, ms = started.elapsed().as_millis() as u64, "signing pass committed")
                    }
                    Err(e) => {
                        failed_at.insert(name.clone(), std::time::Instant::now());
                        tracing::error!(zone = %name, "re-signing failed, retrying in {}s: {e}", RETRY_AFTER.as_secs());
                    }
                }
                next = next.min(now + 1);
            } else if !backing_off {
                next = next.min(wake);
            }
        }
        let mut sleep = registry.clock.real_until(next).min(MAX_SLEEP);
        if parent_wait {
            sleep = sleep.min(PARENT_CHECK_EVERY);
        }
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

/// Stores the key state of a zone; a failure is logged (the state in
/// memory goes on, and is written again at the next change).
pub fn save_kasp(engine: &Engine, zone: &Name, state: &SignedZone) {
    if let Err(e) = engine
        .store()
        .put_meta(zone, KASP_META, &state.encode_kasp())
    {
        tracing::error!(%zone, "cannot store the DNSSEC key state: {e}");
    }
}

/// Takes the key steps due at `now` (lifetime-driven ZSK roll, rollover
/// transitions); asks for a full pass when keys changed.
fn key_events(engine: &Engine, zone: &Name, state: &mut SignedZone, now: u64) {
    let policy = state.signer.policy.clone();
    let mut changed = false;
    if state.kasp.zsk_due(&policy, now) {
        match start_roll(engine, zone, state, RollKind::Zsk, now) {
            Ok(tag) => tracing::info!(%zone, tag, "ZSK lifetime reached: rollover started"),
            Err(e) => tracing::error!(%zone, "cannot start the ZSK rollover: {e}"),
        }
    }
    if state.kasp.ksk_due(&policy, now) {
        // A CSK lives as long as a KSK (`ksk_lifetime`).
        let kind = if policy.csk {
            RollKind::Csk
        } else {
            RollKind::Ksk
        };
        match start_roll(engine, zone, state, kind, now) {
            Ok(tag) => tracing::info!(%zone, tag, ?kind, "key lifetime reached: rollover started"),
            Err(e) => tracing::error!(%zone, ?kind, "cannot start the rollover: {e}"),
        }
    }
    if state.kasp.next_event().is_some_and(|t| t <= now) {
        let max_ttl = engine
            .zone(zone)
            .map(|(_, z)| max_ttl(&z.current()))
            .unwrap_or(86_400);
        changed |= state.kasp.advance(&policy, now, max_ttl);
    }
    if changed {
        tracing::info!(%zone, rolls = ?state.kasp.rolls, "key state changed");
        state.apply_kasp();
        save_kasp(engine, zone, state);
    }
}

/// The largest TTL in a zone version: how long a signature may stay in a
/// cache after it left the zone.
fn max_ttl(v: &crate::zone::ZoneVersion) -> u64 {
    v.nodes()
        .flat_map(|n| n.rrsets().map(|s| s.ttl))
        .max()
        .unwrap_or(0) as u64
}

/// Generates a key and starts a rollover of `kind` to it; returns the new
/// key's tag.
pub fn start_roll(
    engine: &Engine,
    zone: &Name,
    state: &mut SignedZone,
    kind: RollKind,
    now: u64,
) -> Result<u16, String> {
    let policy = state.signer.policy.clone();
    match (policy.csk, kind) {
        (true, RollKind::Zsk | RollKind::Ksk) => {
            return Err("the policy uses a CSK: roll it with a CSK rollover".into())
        }
        (false, RollKind::Csk) => {
            return Err("the policy uses a KSK and a ZSK: roll one of them".into())
        }
        _ => {}
    }
    let flags = if kind == RollKind::Zsk { 256 } else { 257 };
    let key = crate::dnssec::keys::KeyPair::generate(policy.algorithm, flags)
        .map_err(|e| e.to_string())?;
    let tag = key.key_tag();
    if state.pairs.iter().any(|p| p.key_tag() == tag) {
        return Err(format!(
            "key tag {tag} collides with a key of the zone; try again"
        ));
    }
    let mut kasp = state.kasp.clone();
    match kind {
        RollKind::Zsk => kasp.start_zsk_roll(tag, &policy, now),
        RollKind::Ksk => kasp.start_ksk_roll(tag, &policy, now),
        RollKind::Csk => kasp.start_csk_roll(tag, &policy, now),
    }
    .map_err(|e| e.to_string())?;
    crate::dnssec::keyfile::write(&engine.dnssec().keys_dir, zone, &key, now)
        .map_err(|e| e.to_string())?;
    state.pairs.push(std::sync::Arc::new(key));
    state.kasp = kasp;
    state.apply_kasp();
    save_kasp(engine, zone, state);
    Ok(tag)
}

/// Records that the parent serves the DS of KSK `tag`.
pub fn ds_seen(
    engine: &Engine,
    zone: &Name,
    state: &mut SignedZone,
    tag: u16,
) -> Result<(), String> {
    let now = engine.dnssec().clock.now();
    let policy = state.signer.policy.clone();
    state
        .kasp
        .ds_seen(tag, &policy, now)
        .map_err(|e| e.to_string())?;
    save_kasp(engine, zone, state);
    Ok(())
}

/// Starts taking the zone insecure (CDS/CDNSKEY delete).
pub fn unsign(engine: &Engine, zone: &Name, state: &mut SignedZone) -> Result<(), String> {
    state.kasp.start_unsign().map_err(|e| e.to_string())?;
    state.apply_kasp();
    save_kasp(engine, zone, state);
    Ok(())
}
