//! Dynamic update (RFC 2136): from an UPDATE message to a [`Diff`].
//!
//! Pure logic, no I/O. The server parses the message with
//! [`parse_update`], verifies TSIG, picks the zone's current version and,
//! holding the zone's write lock, calls [`process_update`]; a
//! [`UpdateOutcome::Commit`] diff then goes through the normal commit path
//! (journal, signer, publish) like every other change.
//!
//! # Processing order
//!
//! 1. Zone section (§3.1): the zone must be this version's apex, else
//!    NOTAUTH.
//! 2. Authorisation, coarse: no TSIG key, or a key without any grant in
//!    the zone's [`UpdateAcl`], is REFUSED before the prerequisites are
//!    read, so that strangers cannot probe the zone through them.
//! 3. Prerequisites (§3.2), in message order, the first failure deciding:
//!    NOTZONE, NXDOMAIN, YXDOMAIN, NXRRSET or YXRRSET; value-dependent RRs
//!    are gathered into RRsets and compared as whole sets afterwards.
//! 4. Prescan (§3.4.1) and fine authorisation (§3.3), per update RR in
//!    order: NOTZONE for names outside the zone, REFUSED for types the
//!    signer owns (RRSIG, NSEC, NSEC3) and for RRs the key is not granted.
//!    Structural errors (classes, TTLs, meta types) were already FORMERR
//!    in [`parse_update`].
//! 5. The updates (§3.4.2) are applied one after another to a scratch copy
//!    of the touched names; the [`Diff`] is the net difference between that
//!    copy and the version, so an RR added and deleted in one message
//!    leaves no trace. All or nothing: any refusal leaves no change.
//!
//! # Decisions
//!
//! * **TTL.** RFC 2181 §5.2 forbids differing TTLs in one RRset. An added
//!   RR's TTL becomes the TTL of its whole RRset, even when the RR itself
//!   was already there (RFC 2136 §3.4.2.2 replaces a duplicate zone RR with
//!   the update RR, TTL included); within one message the last add wins.
//!   BIND 9.18 does the same (checked with nsupdate against named). In the
//!   diff a TTL change is the removal of every RR with the old TTL and the
//!   addition of every RR with the new one, exactly as IXFR expresses it.
//! * **Equal rdata** means equal in canonical form (RFC 4034 §6.2: names
//!   in rdata compared ignoring case), for duplicates, deletes and
//!   value-dependent prerequisites; the zone keeps the spelling it had.
//! * **CNAME** (§3.4.2.2): a CNAME add at a name with other data, or other
//!   data at a CNAME, is silently ignored; a CNAME add at a CNAME replaces
//!   it. RRSIG and NSEC may stand beside a CNAME (RFC 4035 §2.5).
//! * **DNAME**: an update that would leave data below a DNAME (a DNAME
//!   above existing names, or names below a DNAME) is REFUSED as a whole:
//!   such data is unreachable (RFC 6672 §2.3) and the zone rules of
//!   `zone::builder` reject it. (BIND accepts it and leaves the data
//!   occluded; a zone file with it would not load here.)
//! * **SOA**: an SOA add is honoured only at the apex and only when its
//!   serial is later (RFC 1982) than the current one; then that serial is
//!   the new serial. Otherwise, if anything changed, the serial moves by the
//!   zone's [`SerialPolicy`]. (BIND instead applies an SOA with an
//!   earlier serial and then bumps the serial itself; RFC 2136 says to
//!   ignore it, and so do we.) Deletes of the apex SOA and NS RRsets, and
//!   of the last apex NS, are ignored (§3.4.2.3, §3.4.2.4). A commit may
//!   change nothing but the SOA (a client-set SOA): it is still a commit.
//! * **Empty non-terminals** own no RRs: "name is in use" fails on them
//!   with NXDOMAIN, as in BIND.
//! * **Signer-owned types** (RRSIG, NSEC, NSEC3) cannot be updated
//!   (REFUSED), and "delete all RRsets at a name" leaves them for the
//!   signer, which re-signs the changed names from the diff.
//! * **Limits**: a result with more than 255 RRsets at a name or 65535 RRs
//!   in an RRset is REFUSED (the node format holds no more).
//!
//! # Failure modes
//!
//! Nothing here panics on input; malformed messages are FORMERR and every
//! rule violation is a [`UpdateOutcome::Refuse`] with the RFC's rcode. The
//! diff always applies to the version it was computed from (the tests check
//! this with [`ZoneVersion::apply`]); the caller must hold the zone's write
//! lock between `process_update` and the commit, or recompute.

mod grant;
mod overlay;
mod parse;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_grants;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_updates;

use std::collections::HashMap;

pub use grant::{Grant, NamePattern, PatternError, UpdateAcl};
pub use parse::{parse_update, Prerequisite, Update, UpdateRequest};

use crate::rdata::RType;
use crate::wire::message::rcode::{NOTAUTH, NXDOMAIN, REFUSED, YXDOMAIN};
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::serial::SerialPolicy;
use crate::zone::version::ZoneVersion;
use overlay::{canonical, Overlay};

/// RFC 2136 §2.2 rcodes that `wire::message::rcode` does not define.
pub mod rcode {
    pub use crate::wire::message::rcode::*;
    /// An RRset that should not exist does.
    pub const YXRRSET: u16 = 7;
    /// An RRset that should exist does not.
    pub const NXRRSET: u16 = 8;
    /// A name in the prerequisite or update section is outside the zone.
    pub const NOTZONE: u16 = 10;
}
use rcode::{NOTZONE, NXRRSET, YXRRSET};

/// What an update comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Commit this diff (it replaces the SOA: `removed` holds the old one,
    /// `added` the new one), then answer NOERROR.
    Commit(Diff),
    /// The prerequisites hold but nothing changes: answer NOERROR, keep
    /// the serial.
    NoChange,
    /// Answer with this rcode and change nothing.
    Refuse(u16),
}

impl UpdateOutcome {
    /// The rcode of the answer (NOERROR for a commit, once it is durable).
    pub fn rcode(&self) -> u16 {
        match self {
            UpdateOutcome::Commit(_) | UpdateOutcome::NoChange => rcode::NOERROR,
            UpdateOutcome::Refuse(rc) => *rc,
        }
    }
}

/// Types the signer maintains; clients may not change them.
fn signer_owned(rtype: RType) -> bool {
    matches!(rtype, RType::RRSIG | RType::NSEC | RType::NSEC3)
}

/// Decides an update against `version` (the zone's current version).
/// `key` is the name of the TSIG key that signed the message, if any (the
/// caller has verified the signature); `now` is seconds since the epoch,
/// for the serial policy.
pub fn process_update(
    req: &UpdateRequest,
    version: &ZoneVersion,
    key: Option<&Name>,
    acl: &UpdateAcl,
    policy: SerialPolicy,
    now: u64,
) -> UpdateOutcome {
    match decide(req, version, key, acl, policy, now) {
        Ok(Some(diff)) => UpdateOutcome::Commit(diff),
        Ok(None) => UpdateOutcome::NoChange,
        Err(rc) => UpdateOutcome::Refuse(rc),
    }
}

fn decide(
    req: &UpdateRequest,
    version: &ZoneVersion,
    key: Option<&Name>,
    acl: &UpdateAcl,
    policy: SerialPolicy,
    now: u64,
) -> Result<Option<Diff>, u16> {
    if &req.zone != version.apex() || version.class() != crate::rdata::Class::IN {
        return Err(NOTAUTH);
    }
    let key = key.ok_or(REFUSED)?;
    if !acl.knows(key) {
        return Err(REFUSED);
    }
    check_prerequisites(&req.prerequisites, version)?;
    prescan(&req.updates, version, key, acl)?;
    let mut work = Overlay::new(version);
    for u in &req.updates {
        work.apply(u);
    }
    work.finish(policy, now)
}

/// RFC 2136 §3.2: every prerequisite must hold.
fn check_prerequisites(prereqs: &[Prerequisite], version: &ZoneVersion) -> Result<(), u16> {
    let apex = version.apex();
    // Value-dependent prerequisites, gathered per (name, type) and
    // compared as whole RRsets after the loop (§3.2.3).
    let mut sets: HashMap<(Name, RType), Vec<Vec<u8>>> = HashMap::new();
    for p in prereqs {
        let owner = p.owner();
        if !owner.is_subdomain_of(apex) {
            return Err(NOTZONE);
        }
        // An empty non-terminal owns no RRs: it is not "in use".
        let node = version.node(owner).filter(|n| !n.is_empty());
        let has = |t: RType| node.is_some_and(|n| n.has(t));
        match p {
            Prerequisite::NameInUse(_) if node.is_none() => return Err(NXDOMAIN),
            Prerequisite::NameNotInUse(_) if node.is_some() => return Err(YXDOMAIN),
            Prerequisite::RRsetExists(_, t) if !has(*t) => return Err(NXRRSET),
            Prerequisite::RRsetAbsent(_, t) if has(*t) => return Err(YXRRSET),
            Prerequisite::RRsetMember {
                owner,
                rtype,
                rdata,
            } => {
                let set = sets.entry((owner.clone(), *rtype)).or_default();
                let c = canonical(*rtype, rdata);
                if !set.contains(&c) {
                    set.push(c);
                }
            }
            _ => {}
        }
    }
    for ((owner, rtype), want) in &sets {
        let have = version.node(owner).and_then(|n| n.get(*rtype));
        let Some(have) = have else {
            return Err(NXRRSET);
        };
        let mut have: Vec<Vec<u8>> = have.rdatas().map(|r| canonical(*rtype, r)).collect();
        have.sort_unstable();
        have.dedup();
        let mut want = want.clone();
        want.sort_unstable();
        if have != want {
            return Err(NXRRSET);
        }
    }
    Ok(())
}

/// RFC 2136 §3.4.1 and §3.3: every update RR must be inside the zone, of
/// a type clients may change, and granted to the key.
fn prescan(
    updates: &[Update],
    version: &ZoneVersion,
    key: &Name,
    acl: &UpdateAcl,
) -> Result<(), u16> {
    let apex = version.apex();
    for u in updates {
        let owner = u.owner();
        if !owner.is_subdomain_of(apex) {
            return Err(NOTZONE);
        }
        let rtype = u.rtype();
        if signer_owned(rtype) {
            return Err(REFUSED);
        }
        let granted = match u {
            // Deleting every RRset needs a grant for each type there (or
            // for ANY). Types added earlier in this message were granted
            // when they were checked; the apex SOA and NS stay anyway.
            Update::DeleteName(_) => {
                acl.permits(key, owner, RType::ANY)
                    || version.node(owner).is_none_or(|n| {
                        n.rrsets().all(|s| {
                            signer_owned(s.rtype)
                                || (owner == apex && matches!(s.rtype, RType::SOA | RType::NS))
                                || acl.permits(key, owner, s.rtype)
                        })
                    })
            }
            _ => acl.permits(key, owner, rtype),
        };
        if !granted {
            return Err(REFUSED);
        }
    }
    Ok(())
}
