//! DNSSEC: keys, the incremental signer, NSEC/NSEC3 chains, policies and
//! a settable clock. Plain data and computation, no network I/O: the
//! commit path calls [`Registry::seal`] on every diff of a signed zone, and
//! the scheduler in [`crate::signing`] asks for full passes when signatures
//! come due.
//!
//! # Keys on disk
//! A signed zone's keys are BIND key file pairs in `keys_dir`
//! (`K<zone>.+<alg>+<tag>.key/.private`); a zone with a policy and no key
//! of the policy's algorithm gets a KSK and a ZSK (or one CSK) generated at
//! start-up. Keys of other algorithms in the directory are ignored.
//!
//! # Failure modes
//! A seal that fails refuses the change (the caller answers SERVFAIL or
//! reports the error) and forgets the chain index, which is rebuilt from
//! the served version on the next change.

pub mod chain;
pub mod clock;
pub mod kasp;
pub mod keyfile;
pub mod keys;
pub mod nsec;
pub mod nsec3;
pub mod policy;
pub mod sign;
pub mod signer;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::rdata::RType;
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::version::ZoneVersion;

pub use clock::Clock;
pub use policy::Policy;
pub use signer::{Role, Scope, SignError, ZoneKey, ZoneSigner};

/// Why the DNSSEC state of a zone could not be set up or used.
#[derive(Debug, thiserror::Error)]
pub enum DnssecError {
    #[error(transparent)]
    KeyFile(#[from] keyfile::KeyFileError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{0}")]
    Clock(String),
    #[error("zone {0} is not signed")]
    NotSigned(Name),
}

/// One signed zone: its signer, its key state and whether a full pass is due.
pub struct SignedZone {
    pub signer: ZoneSigner,
    /// The next seal looks at every name (first signing, key change).
    pub full_requested: bool,
    /// Every key pair of the zone found in `keys_dir`, by tag.
    pub pairs: Vec<Arc<keys::KeyPair>>,
    /// What each key does and the rollovers in progress.
    pub kasp: kasp::KaspState,
}

/// Metadata key of a zone's [`kasp::KaspState`] in the store.
pub const KASP_META: &str = "dnssec-kasp";

impl SignedZone {
    /// Makes the signer's key list follow the key state (keys whose files
    /// are missing are left out, with a warning).
    pub fn apply_kasp(&mut self) {
        let mut keys = Vec::new();
        for u in &self.kasp.keys {
            match self.pairs.iter().find(|p| p.key_tag() == u.tag) {
                Some(pair) => keys.push(ZoneKey {
                    pair: pair.clone(),
                    role: u.role,
                    published: u.published,
                    signing: u.signing,
                    cds: u.cds,
                }),
                None => tracing::warn!(tag = u.tag, "key state names a key without files"),
            }
        }
        self.signer.keys = keys;
        self.signer.cds_delete = self.kasp.unsign.is_some();
        self.full_requested = true;
    }

    /// Adopts a stored key state; keys on disk it does not know (imported
    /// since) are taken as active.
    pub fn restore(&mut self, bytes: &[u8]) {
        let Ok(mut state) = serde_json::from_slice::<kasp::KaspState>(bytes) else {
            tracing::warn!("stored DNSSEC key state unreadable, starting from the key files");
            return;
        };
        state
            .keys
            .retain(|k| self.pairs.iter().any(|p| p.key_tag() == k.tag));
        for k in &self.kasp.keys {
            if !state.keys.iter().any(|s| s.tag == k.tag) {
                state.keys.push(k.clone());
            }
        }
        self.kasp = state;
        self.apply_kasp();
        // Whether the served zone matches is for the scheduler's first look.
        self.full_requested = false;
    }

    /// The state as stored.
    pub fn encode_kasp(&self) -> Vec<u8> {
        serde_json::to_vec(&self.kasp).unwrap_or_default()
    }
}

/// The signing state of every signed zone, shared by the commit path and
/// the scheduler.
pub struct Registry {
    pub clock: Clock,
    pub keys_dir: PathBuf,
    zones: HashMap<Name, Arc<Mutex<SignedZone>>>,
}

impl Registry {
    /// Loads (or generates) the keys of every zone that has a policy.
    pub fn open(config: &crate::config::Config) -> Result<Registry, DnssecError> {
        let clock = match &config.server.clock {
            Some(spec) => Clock::parse(spec),
            None => Clock::from_env(),
        }
        .map_err(DnssecError::Clock)?;
        let keys_dir = config.server.keys_dir.clone();
        let mut zones = HashMap::new();
        for zc in &config.zones {
            let Some(policy) = &zc.dnssec else {
                continue;
            };
            let keys = load_or_generate(&keys_dir, &zc.name, policy, clock.now())?;
            let kasp = kasp::KaspState::all_active(
                &keys
                    .iter()
                    .map(|k| (k.pair.key_tag(), k.role))
                    .collect::<Vec<_>>(),
                clock.now(),
            );
            let pairs = keys.iter().map(|k| k.pair.clone()).collect();
            let signer = ZoneSigner::new(zc.name.clone(), policy.clone(), keys);
            zones.insert(
                zc.name.clone(),
                // The scheduler looks at the zone first and asks for a full
                // pass only when something is missing or due: a restart of
                // a signed zone commits nothing.
                Arc::new(Mutex::new(SignedZone {
                    signer,
                    full_requested: false,
                    pairs,
                    kasp,
                })),
            );
        }
        Ok(Registry {
            clock,
            keys_dir,
            zones,
        })
    }

    /// Adopts the key states the store holds (after a restart).
    pub fn restore_states(&self, store: &crate::store::Store) {
        for (name, state) in &self.zones {
            match store.get_meta(name, KASP_META) {
                Ok(Some(bytes)) => {
                    if let Ok(mut s) = state.lock() {
                        s.restore(&bytes);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::error!(zone = %name, "cannot read the DNSSEC key state: {e}"),
            }
        }
    }

    /// The signed zones.
    pub fn zones(&self) -> impl Iterator<Item = (&Name, &Arc<Mutex<SignedZone>>)> {
        self.zones.iter()
    }

    /// The state of one signed zone.
    pub fn zone(&self, name: &Name) -> Option<&Arc<Mutex<SignedZone>>> {
        self.zones.get(name)
    }

    /// Seals a diff: unchanged for an unsigned zone, else signed (see
    /// [`ZoneSigner::seal`]).
    pub fn seal(&self, zone: &Name, before: &ZoneVersion, diff: Diff) -> Result<Diff, DnssecError> {
        let Some(state) = self.zones.get(zone) else {
            return Ok(diff);
        };
        let mut state = state
            .lock()
            .map_err(|_| DnssecError::Clock("signer lock poisoned".into()))?;
        if state.kasp.is_unsigned() {
            let strip = state.full_requested;
            state.full_requested = false;
            state.signer.invalidate();
            return Ok(signer::unsigned_diff(before, diff, strip));
        }
        let scope = if state.full_requested {
            Scope::Full
        } else {
            Scope::Incremental
        };
        match state.signer.seal(before, diff, scope, self.clock.now()) {
            Ok(d) => {
                state.full_requested = false;
                let name = zone.to_string();
                let made = d.added.iter().filter(|r| r.rtype == RType::RRSIG).count();
                crate::metrics::signatures_made(&name, made as u64);
                if let Some(e) = state.signer.earliest_expiration {
                    crate::metrics::signature_next_expiry(&name, e as u64);
                }
                Ok(d)
            }
            Err(e) => {
                state.signer.invalidate();
                Err(e.into())
            }
        }
    }
}

/// The keys of `zone` in `dir` for the policy's algorithm; a KSK and a
/// ZSK (or a CSK) are generated and written when there are none.
pub fn load_or_generate(
    dir: &std::path::Path,
    zone: &Name,
    policy: &Policy,
    now: u64,
) -> Result<Vec<ZoneKey>, DnssecError> {
    let found: Vec<keys::KeyPair> = keyfile::read_zone_keys(dir, zone)?
        .into_iter()
        .filter(|k| k.algorithm == policy.algorithm)
        .collect();
    let pairs =
        if found.iter().any(|k| k.is_sep()) && (policy.csk || found.iter().any(|k| !k.is_sep())) {
            found
        } else {
            let mut made = found;
            if !made.iter().any(|k| k.is_sep()) {
                let k = keys::KeyPair::generate(policy.algorithm, 257)?;
                keyfile::write(dir, zone, &k, now)?;
                tracing::info!(%zone, tag = k.key_tag(), "generated a key-signing key");
                made.push(k);
            }
            if !policy.csk && !made.iter().any(|k| !k.is_sep()) {
                let k = keys::KeyPair::generate(policy.algorithm, 256)?;
                keyfile::write(dir, zone, &k, now)?;
                tracing::info!(%zone, tag = k.key_tag(), "generated a zone-signing key");
                made.push(k);
            }
            made
        };
    Ok(pairs
        .into_iter()
        .map(|k| {
            let role = match (k.is_sep(), policy.csk) {
                (true, true) => Role::Csk,
                (true, false) => Role::Ksk,
                (false, _) => Role::Zsk,
            };
            ZoneKey {
                cds: role != Role::Zsk,
                pair: Arc::new(k),
                role,
                published: true,
                signing: true,
            }
        })
        .collect())
}
