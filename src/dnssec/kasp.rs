//! Key and signing policy state: which key is published, signing, or has
//! its CDS out, and the rollover in progress, as a state machine whose
//! every wait respects TTLs and propagation delays (RFC 6781 §4.1,
//! RFC 7583).
//!
//! # ZSK pre-publish roll (RFC 7583 §3.2)
//! `Publish`: the new ZSK's DNSKEY is added, not signing. After the
//! DNSKEY TTL plus the propagation delay every resolver can have it, so
//! `Activate`: the new ZSK signs and the old one stops (every signature
//! is replaced in one commit). The old DNSKEY stays until signatures made
//! with it have left caches (the largest TTL of the zone's signatures,
//! bounded here by `max_ttl`, plus the propagation delay); then `Remove`.
//!
//! # KSK double-DS roll (RFC 7583 §3.3, with CDS per RFC 7344)
//! `Publish`: the new KSK is added and signs the DNSKEY RRset beside the
//! old one, so either DS validates. After the DNSKEY TTL plus propagation
//! delay, CDS/CDNSKEY switch to the new key and the roll waits for the
//! parent: `ds-seen` (by hand, or by querying the parent's servers)
//! confirms the parent serves the new DS. After the parent's DS TTL and
//! its propagation delay no cache holds the old DS only, and the old KSK is
//! removed.
//!
//! # CSK roll (RFC 7583 §3.4: double-DS for the key set, pre-publish for
//! the data)
//! With one combined key the roll has to satisfy both the DS at the parent
//! and the signatures over the data. `Publish`: the new CSK's DNSKEY is
//! added and it signs the DNSKEY RRset beside the old one (role `Ksk` for
//! now), so the key set validates under either DS. After the DNSKEY TTL
//! plus propagation delay every cached key set holds the new key, so
//! `Activate`: the new key takes over the data signatures and CDS/CDNSKEY
//! (role `Csk`), while the old one keeps signing only the key set (role
//! `Ksk`): validators that still hold the old DS, or data signed by the
//! old key, go on validating. The roll then waits for the parent as a KSK
//! roll does; the old key is removed once both the old DS (parent DS TTL
//! plus its propagation delay after `ds-seen`) and the old data signatures
//! (largest TTL plus propagation delay after activation) can have left
//! caches.
//!
//! The state is plain data (serde JSON in the store's zone metadata);
//! [`KaspState::advance`] is a pure function of the state and the time.

use serde::{Deserialize, Serialize};

use super::policy::Policy;
use super::signer::Role;

/// What one key is doing now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    pub tag: u16,
    pub role: Role,
    pub published: bool,
    pub signing: bool,
    pub cds: bool,
    /// When it started signing (for its lifetime).
    pub active_since: Option<u64>,
}

/// A rollover in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Roll {
    /// ZSK `new` is published; at `at` it takes over from `old`.
    ZskPublished { new: u16, old: u16, at: u64 },
    /// `new` signs; at `at` the old DNSKEY is removed.
    ZskRetiring { new: u16, old: u16, at: u64 },
    /// KSK `new` is published and signs the key set; at `at` CDS switch.
    KskPublished { new: u16, old: u16, at: u64 },
    /// CDS points at `new`; waiting for the parent to serve its DS.
    KskWaitingDs { new: u16, old: u16 },
    /// The parent serves the new DS; at `at` the old KSK goes.
    KskRetiring { new: u16, old: u16, at: u64 },
    /// CSK `new` is published and signs the key set; at `at` it takes
    /// over the data signatures and CDS/CDNSKEY.
    CskPublished { new: u16, old: u16, at: u64 },
    /// `new` signs everything, `old` only the key set; waiting for the
    /// parent to serve the new DS. Signatures made by `old` over the data
    /// can be cached until `sigs_gone`.
    CskWaitingDs { new: u16, old: u16, sigs_gone: u64 },
    /// The parent serves the new DS; at `at` the old CSK goes.
    CskRetiring { new: u16, old: u16, at: u64 },
}

/// Which kind of rollover to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollKind {
    Zsk,
    Ksk,
    Csk,
}

/// Going insecure (RFC 8078 §4): the CDS/CDNSKEY delete records are
/// published while the zone stays signed; once the parent has removed the
/// DS (`ds-seen ZONE 0`) and the DS can have left caches, the DNSSEC
/// records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unsign {
    /// CDS/CDNSKEY delete published; waiting for the parent.
    WaitingDsRemoval,
    /// The parent has no DS; at `at` the signatures and keys are removed.
    Removing { at: u64 },
    /// The zone is served unsigned.
    Done,
}

/// The key state of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KaspState {
    pub keys: Vec<KeyUse>,
    pub rolls: Vec<Roll>,
    #[serde(default)]
    pub unsign: Option<Unsign>,
}

/// Why a request does not fit the state.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KaspError {
    #[error("a {0} rollover is already in progress")]
    Busy(&'static str),
    #[error("no active {0} to roll")]
    NoActive(&'static str),
    #[error("no KSK rollover is waiting for the DS of key {0}")]
    NotWaiting(u16),
}

impl Roll {
    /// The time of its next step, or `None` when it waits for the parent.
    pub fn due(&self) -> Option<u64> {
        match self {
            Roll::ZskPublished { at, .. }
            | Roll::ZskRetiring { at, .. }
            | Roll::KskPublished { at, .. }
            | Roll::KskRetiring { at, .. }
            | Roll::CskPublished { at, .. }
            | Roll::CskRetiring { at, .. } => Some(*at),
            Roll::KskWaitingDs { .. } | Roll::CskWaitingDs { .. } => None,
        }
    }
    /// The key whose DS the roll waits for at the parent, if it waits.
    pub fn waiting_for_ds(&self) -> Option<u16> {
        match self {
            Roll::KskWaitingDs { new, .. } | Roll::CskWaitingDs { new, .. } => Some(*new),
            _ => None,
        }
    }
    fn is_zsk(&self) -> bool {
        matches!(self, Roll::ZskPublished { .. } | Roll::ZskRetiring { .. })
    }
    /// A human description for `keys list`.
    pub fn describe(&self) -> String {
        match self {
            Roll::ZskPublished { new, old, .. } => {
                format!("ZSK {new} becomes active, {old} retires")
            }
            Roll::ZskRetiring { old, .. } => format!("retired ZSK {old} is removed"),
            Roll::KskPublished { new, .. } => format!("CDS/CDNSKEY switch to KSK {new}"),
            Roll::KskWaitingDs { new, .. } => {
                format!("waiting for the parent to serve the DS of KSK {new} (keys ds-seen)")
            }
            Roll::KskRetiring { old, .. } => format!("old KSK {old} is removed"),
            Roll::CskPublished { new, old, .. } => format!(
                "CSK {new} takes over the signatures and CDS/CDNSKEY, {old} signs only the key set"
            ),
            Roll::CskWaitingDs { new, .. } => {
                format!("waiting for the parent to serve the DS of CSK {new} (keys ds-seen)")
            }
            Roll::CskRetiring { old, .. } => format!("old CSK {old} is removed"),
        }
    }
}

impl KaspState {
    /// A state where every key is published and signing in its role.
    pub fn all_active(keys: &[(u16, Role)], now: u64) -> KaspState {
        KaspState {
            keys: keys
                .iter()
                .map(|&(tag, role)| KeyUse {
                    tag,
                    role,
                    published: true,
                    signing: true,
                    cds: role != Role::Zsk,
                    active_since: Some(now),
                })
                .collect(),
            rolls: Vec::new(),
            unsign: None,
        }
    }

    fn key_mut(&mut self, tag: u16) -> Option<&mut KeyUse> {
        self.keys.iter_mut().find(|k| k.tag == tag)
    }

    /// The earliest time something is due.
    pub fn next_event(&self) -> Option<u64> {
        let unsign = match self.unsign {
            Some(Unsign::Removing { at }) => Some(at),
            _ => None,
        };
        self.rolls.iter().filter_map(Roll::due).chain(unsign).min()
    }

    /// Starts going insecure.
    pub fn start_unsign(&mut self) -> Result<(), KaspError> {
        if self.unsign.is_some() {
            return Err(KaspError::Busy("unsign"));
        }
        self.rolls.clear();
        self.unsign = Some(Unsign::WaitingDsRemoval);
        Ok(())
    }

    /// True once the zone is to be served without DNSSEC records.
    pub fn is_unsigned(&self) -> bool {
        self.unsign == Some(Unsign::Done)
    }

    /// Starts a ZSK roll to the (already generated) key `new`.
    pub fn start_zsk_roll(&mut self, new: u16, policy: &Policy, now: u64) -> Result<(), KaspError> {
        if self.rolls.iter().any(Roll::is_zsk) {
            return Err(KaspError::Busy("ZSK"));
        }
        let old = self.active_tag("ZSK", |k| k.role == Role::Zsk && k.signing)?;
        // Published only: it signs once the roll takes over.
        self.publish_new(new, Role::Zsk, false, None);
        let at = dnskey_propagated(policy, now);
        self.rolls.push(Roll::ZskPublished { new, old, at });
        Ok(())
    }

    /// Starts a KSK roll to the (already generated) key `new`.
    pub fn start_ksk_roll(&mut self, new: u16, policy: &Policy, now: u64) -> Result<(), KaspError> {
        if self.rolls.iter().any(|r| !r.is_zsk()) {
            return Err(KaspError::Busy("KSK"));
        }
        let old = self.active_tag("KSK", |k| {
            matches!(k.role, Role::Ksk | Role::Csk) && k.signing && k.published
        })?;
        // Signs the key set from now on, so its lifetime starts now.
        self.publish_new(new, Role::Ksk, true, Some(now));
        let at = dnskey_propagated(policy, now);
        self.rolls.push(Roll::KskPublished { new, old, at });
        Ok(())
    }

    /// Starts a CSK roll to the (already generated) key `new`: it is
    /// published and signs the key set now (see the module comment).
    pub fn start_csk_roll(&mut self, new: u16, policy: &Policy, now: u64) -> Result<(), KaspError> {
        if !self.rolls.is_empty() {
            return Err(KaspError::Busy("CSK"));
        }
        let old = self.active_tag("CSK", |k| k.role == Role::Csk && k.signing && k.published)?;
        // Role `Ksk` until activation: the signer lets it sign the key
        // set only. Its lifetime starts when it takes over as CSK.
        self.publish_new(new, Role::Ksk, true, None);
        let at = dnskey_propagated(policy, now);
        self.rolls.push(Roll::CskPublished { new, old, at });
        Ok(())
    }

    /// The tag of the first key `is_active` picks: the one a roll of
    /// `what` replaces.
    fn active_tag(
        &self,
        what: &'static str,
        is_active: impl Fn(&KeyUse) -> bool,
    ) -> Result<u16, KaspError> {
        self.keys
            .iter()
            .find(|k| is_active(k))
            .map(|k| k.tag)
            .ok_or(KaspError::NoActive(what))
    }

    /// Adds the new key of a roll, published (its CDS comes later).
    fn publish_new(&mut self, tag: u16, role: Role, signing: bool, active_since: Option<u64>) {
        self.keys.push(KeyUse {
            tag,
            role,
            published: true,
            signing,
            cds: false,
            active_since,
        });
    }

    /// The parent serves the DS of `tag`.
    /// Tag 0 while going insecure: the parent no longer has a DS.
    pub fn ds_seen(&mut self, tag: u16, policy: &Policy, now: u64) -> Result<(), KaspError> {
        let at = now + policy.parent_ds_ttl + policy.parent_propagation_delay;
        if tag == 0 && self.unsign == Some(Unsign::WaitingDsRemoval) {
            self.unsign = Some(Unsign::Removing { at });
            return Ok(());
        }
        for r in &mut self.rolls {
            match *r {
                Roll::KskWaitingDs { new, old } if new == tag => {
                    *r = Roll::KskRetiring { new, old, at };
                    return Ok(());
                }
                Roll::CskWaitingDs {
                    new,
                    old,
                    sigs_gone,
                } if new == tag => {
                    // The old key also made the data signatures: it stays
                    // until those can have left caches too.
                    let at = at.max(sigs_gone);
                    *r = Roll::CskRetiring { new, old, at };
                    return Ok(());
                }
                _ => {}
            }
        }
        Err(KaspError::NotWaiting(tag))
    }

    /// Takes every step that is due at `now`; true when the zone's key
    /// records or signers changed (a full signing pass is needed).
    /// `max_ttl` bounds how long old signatures live in caches.
    pub fn advance(&mut self, policy: &Policy, now: u64, max_ttl: u64) -> bool {
        let mut changed = false;
        // Automatic ZSK roll at the end of its lifetime needs a new key,
        // which the caller makes: see `zsk_due`.
        let rolls = std::mem::take(&mut self.rolls);
        let mut next = Vec::new();
        for r in rolls {
            let due = r.due().is_some_and(|at| at <= now);
            if !due {
                next.push(r);
                continue;
            }
            changed = true;
            match r {
                Roll::ZskPublished { new, old, .. } => {
                    if let Some(k) = self.key_mut(new) {
                        k.signing = true;
                        k.active_since = Some(now);
                    }
                    if let Some(k) = self.key_mut(old) {
                        k.signing = false;
                    }
                    let at = now + max_ttl + policy.propagation_delay;
                    next.push(Roll::ZskRetiring { new, old, at });
                }
                Roll::ZskRetiring { old, .. } => {
                    self.keys.retain(|k| k.tag != old);
                }
                Roll::KskPublished { new, old, .. } => {
                    if let Some(k) = self.key_mut(new) {
                        k.cds = true;
                    }
                    if let Some(k) = self.key_mut(old) {
                        k.cds = false;
                    }
                    next.push(Roll::KskWaitingDs { new, old });
                }
                Roll::KskRetiring { old, .. } | Roll::CskRetiring { old, .. } => {
                    self.keys.retain(|k| k.tag != old);
                }
                Roll::CskPublished { new, old, .. } => {
                    if let Some(k) = self.key_mut(new) {
                        k.role = Role::Csk;
                        k.cds = true;
                        k.active_since = Some(now);
                    }
                    if let Some(k) = self.key_mut(old) {
                        // Keeps the key set validating under the old DS.
                        k.role = Role::Ksk;
                        k.cds = false;
                    }
                    let sigs_gone = now + max_ttl + policy.propagation_delay;
                    next.push(Roll::CskWaitingDs {
                        new,
                        old,
                        sigs_gone,
                    });
                }
                Roll::KskWaitingDs { .. } | Roll::CskWaitingDs { .. } => next.push(r),
            }
        }
        self.rolls = next;
        if let Some(Unsign::Removing { at }) = self.unsign {
            if at <= now {
                self.unsign = Some(Unsign::Done);
                changed = true;
            }
        }
        changed
    }

    /// True when the signing ZSK has outlived `zsk_lifetime` and no ZSK
    /// roll is running (the caller then generates a key and starts one).
    pub fn zsk_due(&self, policy: &Policy, now: u64) -> bool {
        policy.zsk_lifetime > 0
            && !self.rolls.iter().any(Roll::is_zsk)
            && self.keys.iter().any(|k| {
                k.role == Role::Zsk
                    && k.signing
                    && k.active_since
                        .is_some_and(|t| t + policy.zsk_lifetime <= now)
            })
    }

    /// True when the signing KSK (or CSK) has outlived `ksk_lifetime` and
    /// no KSK or CSK roll (nor going insecure) is running.
    pub fn ksk_due(&self, policy: &Policy, now: u64) -> bool {
        policy.ksk_lifetime > 0
            && self.unsign.is_none()
            && !self.rolls.iter().any(|r| !r.is_zsk())
            && self.keys.iter().any(|k| {
                matches!(k.role, Role::Ksk | Role::Csk)
                    && k.signing
                    && k.active_since
                        .is_some_and(|t| t + policy.ksk_lifetime <= now)
            })
    }

    /// When the signing ZSK reaches its lifetime.
    pub fn zsk_expiry(&self, policy: &Policy) -> Option<u64> {
        if policy.zsk_lifetime == 0 || self.rolls.iter().any(Roll::is_zsk) {
            return None;
        }
        self.keys
            .iter()
            .filter(|k| k.role == Role::Zsk && k.signing)
            .filter_map(|k| k.active_since.map(|t| t + policy.zsk_lifetime))
            .min()
    }
}

/// When a DNSKEY set published at `now` has reached every cache and
/// secondary: its TTL plus the propagation delay.
fn dnskey_propagated(policy: &Policy, now: u64) -> u64 {
    now + policy.dnskey_ttl as u64 + policy.propagation_delay
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let raw: super::super::policy::RawPolicy = toml::from_str(
            "name = \"p\"\ndnskey_ttl = \"1h\"\npropagation_delay = \"1h\"\nparent_ds_ttl = \"1d\"\nparent_propagation_delay = \"1h\"",
        )
        .unwrap();
        raw.validate().unwrap()
    }

    #[test]
    fn zsk_roll_waits_for_ttls() {
        let p = policy();
        let mut s = KaspState::all_active(&[(1, Role::Ksk), (2, Role::Zsk)], 0);
        s.start_zsk_roll(3, &p, 1000).unwrap();
        assert_eq!(s.start_zsk_roll(4, &p, 1000), Err(KaspError::Busy("ZSK")));
        assert!(!s.advance(&p, 1000 + 7199, 300));
        // Published, not yet signing: both DNSKEYs in the zone.
        assert!(s.keys.iter().all(|k| k.published));
        assert!(s.advance(&p, 1000 + 7200, 300));
        let signing: Vec<u16> = s.keys.iter().filter(|k| k.signing).map(|k| k.tag).collect();
        assert_eq!(signing, vec![1, 3]);
        assert_eq!(s.next_event(), Some(8200 + 300 + 3600));
        assert!(s.advance(&p, 8200 + 3900, 300));
        assert_eq!(s.keys.iter().map(|k| k.tag).collect::<Vec<_>>(), vec![1, 3]);
        assert!(s.rolls.is_empty());
    }

    #[test]
    fn lifetimes_start_rolls() {
        let mut p = policy();
        p.ksk_lifetime = 1000;
        p.zsk_lifetime = 500;
        let s = KaspState::all_active(&[(1, Role::Ksk), (2, Role::Zsk)], 0);
        assert!(!s.ksk_due(&p, 999) && s.ksk_due(&p, 1000));
        assert!(!s.zsk_due(&p, 499) && s.zsk_due(&p, 500));
        assert_eq!(s.zsk_expiry(&p), Some(500));
    }

    #[test]
    fn unsign_waits_for_ds_removal() {
        let p = policy();
        let mut s = KaspState::all_active(&[(1, Role::Ksk), (2, Role::Zsk)], 0);
        s.start_unsign().unwrap();
        assert!(!s.advance(&p, 1_000_000, 300));
        assert!(!s.is_unsigned());
        assert_eq!(s.ds_seen(7, &p, 10), Err(KaspError::NotWaiting(7)));
        s.ds_seen(0, &p, 10).unwrap();
        assert!(!s.advance(&p, 10 + 86_400, 300));
        assert!(s.advance(&p, 10 + 90_000, 300));
        assert!(s.is_unsigned());
    }

    #[test]
    fn ksk_roll_waits_for_the_parent() {
        let p = policy();
        let mut s = KaspState::all_active(&[(1, Role::Ksk), (2, Role::Zsk)], 0);
        s.start_ksk_roll(5, &p, 0).unwrap();
        assert!(s.advance(&p, 7200, 300));
        assert!(s.keys.iter().find(|k| k.tag == 5).unwrap().cds);
        assert!(!s.keys.iter().find(|k| k.tag == 1).unwrap().cds);
        // However long it takes, the old KSK stays until ds-seen.
        assert!(!s.advance(&p, 10_000_000, 300));
        assert_eq!(s.keys.len(), 3);
        assert_eq!(s.ds_seen(1, &p, 10_000_000), Err(KaspError::NotWaiting(1)));
        s.ds_seen(5, &p, 10_000_000).unwrap();
        assert!(!s.advance(&p, 10_000_000 + 86_400, 300));
        assert!(s.advance(&p, 10_000_000 + 90_000, 300));
        assert_eq!(s.keys.iter().map(|k| k.tag).collect::<Vec<_>>(), vec![2, 5]);
    }

    /// (role, signing, cds) of key `tag`.
    fn use_of(s: &KaspState, tag: u16) -> Option<(Role, bool, bool)> {
        s.keys
            .iter()
            .find(|k| k.tag == tag)
            .map(|k| (k.role, k.signing, k.cds))
    }

    #[test]
    fn csk_roll_signs_the_key_set_first_and_waits_for_parent_and_caches() {
        let p = policy();
        let mut s = KaspState::all_active(&[(1, Role::Csk)], 0);
        assert_eq!(
            s.start_zsk_roll(9, &p, 0),
            Err(KaspError::NoActive("ZSK")),
            "no ZSK to roll in a CSK zone"
        );
        s.start_csk_roll(5, &p, 1000).unwrap();
        assert_eq!(s.start_csk_roll(6, &p, 1000), Err(KaspError::Busy("CSK")));
        // Published: the new key signs only the key set, the old one
        // everything, and the CDS stays on the old key.
        assert_eq!(use_of(&s, 5), Some((Role::Ksk, true, false)));
        assert_eq!(use_of(&s, 1), Some((Role::Csk, true, true)));
        assert!(!s.advance(&p, 1000 + 7199, 600));
        // After DNSKEY TTL + propagation delay: the new key takes over.
        assert!(s.advance(&p, 1000 + 7200, 600));
        assert_eq!(use_of(&s, 5), Some((Role::Csk, true, true)));
        assert_eq!(use_of(&s, 1), Some((Role::Ksk, true, false)));
        assert!(s.rolls[0].describe().contains("waiting for the parent"));
        // However long it takes, the old key stays until ds-seen.
        assert!(!s.advance(&p, 1_000_000, 600));
        assert_eq!(s.ds_seen(1, &p, 1_000_000), Err(KaspError::NotWaiting(1)));
        s.ds_seen(5, &p, 1_000_000).unwrap();
        // Parent DS TTL (1d) + its propagation delay (1h).
        assert_eq!(s.next_event(), Some(1_000_000 + 90_000));
        assert!(!s.advance(&p, 1_000_000 + 89_999, 600));
        assert!(s.advance(&p, 1_000_000 + 90_000, 600));
        assert_eq!(s.keys.len(), 1);
        assert_eq!(use_of(&s, 5), Some((Role::Csk, true, true)));
        assert!(s.rolls.is_empty());
    }

    #[test]
    fn csk_roll_keeps_the_old_key_while_its_data_signatures_are_cached() {
        let p = policy();
        let mut s = KaspState::all_active(&[(1, Role::Csk)], 0);
        s.start_csk_roll(5, &p, 0).unwrap();
        // A zone with a two-day TTL: old data signatures outlive the DS.
        assert!(s.advance(&p, 7200, 172_800));
        s.ds_seen(5, &p, 7300).unwrap();
        assert_eq!(s.next_event(), Some(7200 + 172_800 + 3600));
    }

    #[test]
    fn csk_lifetime_starts_a_roll() {
        let mut p = policy();
        p.ksk_lifetime = 1000;
        let mut s = KaspState::all_active(&[(1, Role::Csk)], 0);
        assert!(!s.ksk_due(&p, 999) && s.ksk_due(&p, 1000));
        s.start_csk_roll(5, &p, 1000).unwrap();
        assert!(!s.ksk_due(&p, 5000));
    }
}
