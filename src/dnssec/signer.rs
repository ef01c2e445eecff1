//! The zone signer: turns a diff of data into the same diff plus the
//! DNSSEC records it requires, so one serial carries the whole change.
//!
//! # The steps of [`ZoneSigner::seal`]
//! 1. DNSSEC records in the incoming diff (RRSIG, NSEC, NSEC3, NSEC3PARAM,
//!    DNSKEY, CDS, CDNSKEY) are dropped: the signer owns them. This is what
//!    makes rollbacks and file reloads of stale signed data safe.
//! 2. The apex key records (DNSKEY, CDS/CDNSKEY of the signing KSKs,
//!    NSEC3PARAM) are brought to what the key set says.
//! 3. The affected names are the owners the diff touches, their ancestors
//!    (empty non-terminals appear and vanish), and everything under a name
//!    whose NS or DNAME changed (occlusion changes). The chain index moves
//!    along; NSEC/NSEC3 records are recomputed for affected chain members
//!    and for the predecessors of names that entered or left the chain.
//! 4. Signatures: at each affected owner, an RRSIG per signing key and
//!    authoritative RRset; an existing one is kept unless its RRset
//!    changed, its key no longer signs, or it is due for refresh.
//!
//! A full pass is the same with every name affected; it re-signs only
//! what is missing or due, so it also serves as the periodic refresh.
//! Signing runs on two threads, split at owner-name boundaries.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::chain::{predecessor, status, successor, CanonName, ChainIndex};
use super::keys::KeyPair;
use super::nsec::nsec_rdata;
use super::nsec3::{hash_of_owner, hashed_owner, next_hash, Nsec3Params, HASH_LEN};
use super::policy::{Denial, Policy};
use super::sign::time_before;
use crate::rdata::RType;
use crate::zone::diff::Diff;
use crate::zone::name::{lowercase_wire, Name};
use crate::zone::node::Node;
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;

mod jobs;
mod scan;

/// What a key does in the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    Ksk,
    Zsk,
    Csk,
}

/// A key of the zone and what it is used for right now.
#[derive(Debug, Clone)]
pub struct ZoneKey {
    pub pair: Arc<KeyPair>,
    pub role: Role,
    /// Its DNSKEY is in the zone.
    pub published: bool,
    /// It makes signatures (over the key set for a KSK, over data for a ZSK).
    pub signing: bool,
    /// Its CDS/CDNSKEY are published (an active KSK the parent should use).
    pub cds: bool,
}

impl ZoneKey {
    fn signs_keyset(&self) -> bool {
        self.signing && matches!(self.role, Role::Ksk | Role::Csk)
    }
    fn signs_data(&self) -> bool {
        self.signing && matches!(self.role, Role::Zsk | Role::Csk)
    }
}

/// Why a diff could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("applying the change: {0}")]
    Apply(#[from] crate::zone::diff::DiffError),
    #[error("signing: {0}")]
    Key(#[from] super::keys::KeyError),
    #[error("zone {0} has no signing key")]
    NoKey(Name),
    #[error("name: {0}")]
    Name(#[from] crate::zone::name::NameError),
}

/// Which names a seal looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only what the diff touches.
    Incremental,
    /// Every name (first signing, key changes, signature refresh).
    Full,
}

/// The signing state of one zone.
pub struct ZoneSigner {
    apex: Name,
    apex_lower: Vec<u8>,
    pub policy: Policy,
    pub keys: Vec<ZoneKey>,
    /// The chain index and the serial it describes.
    index: Option<(u32, ChainIndex)>,
    /// CDS/CDNSKEY delete records replace the keys' ones (RFC 8078 §4).
    pub cds_delete: bool,
    /// The earliest expiration among the signatures made or kept by the
    /// last full pass and every seal since (the scheduler's next wake-up).
    pub earliest_expiration: Option<u32>,
}

/// Records a step adds and removes.
#[derive(Default)]
struct Change {
    removed: Vec<Record>,
    added: Vec<Record>,
}

impl Change {
    fn apply_to(&self, v: &ZoneVersion) -> Result<ZoneVersion, SignError> {
        if self.removed.is_empty() && self.added.is_empty() {
            return Ok(v.clone());
        }
        Ok(v.apply_unfolded(&Diff {
            serial_from: v.serial(),
            serial_to: v.serial(),
            removed: self.removed.clone(),
            added: self.added.clone(),
        })?)
    }
}

/// The types whose RRsets changed, by lowercased owner. hashbrown's
/// hasher (foldhash, randomly seeded per process) rather than SipHash: a
/// full pass notes a million names here.
type Changed = hashbrown::HashMap<Vec<u8>, Vec<RType>>;

fn note_changed(changed: &mut Changed, r: &Record) {
    let types = changed.entry(lower(r.owner.as_wire())).or_default();
    if !types.contains(&r.rtype) {
        types.push(r.rtype);
    }
}

fn lower(wire: &[u8]) -> Vec<u8> {
    let mut v = wire.to_vec();
    lowercase_wire(&mut v);
    v
}

/// The types the signer owns; dropped from incoming diffs.
pub fn is_managed(t: RType) -> bool {
    matches!(
        t,
        RType::RRSIG
            | RType::NSEC
            | RType::NSEC3
            | RType::NSEC3PARAM
            | RType::DNSKEY
            | RType::CDS
            | RType::CDNSKEY
    )
}

impl ZoneSigner {
    pub fn new(apex: Name, policy: Policy, keys: Vec<ZoneKey>) -> ZoneSigner {
        let apex_lower = lower(apex.as_wire());
        ZoneSigner {
            apex,
            apex_lower,
            policy,
            keys,
            index: None,
            cds_delete: false,
            earliest_expiration: None,
        }
    }

    fn nsec3(&self) -> Option<&Nsec3Params> {
        match &self.policy.denial {
            Denial::Nsec => None,
            Denial::Nsec3(p) => Some(p),
        }
    }

    /// The chain index for `v`, rebuilt when it describes another serial.
    fn take_index(&mut self, v: &ZoneVersion) -> ChainIndex {
        match self.index.take() {
            Some((serial, idx)) if serial == v.serial() => idx,
            _ => {
                let started = std::time::Instant::now();
                let idx = ChainIndex::build(v, self.nsec3());
                tracing::debug!(zone = %self.apex, names = idx.len(), ms = started.elapsed().as_millis() as u64, "chain index built");
                idx
            }
        }
    }

    /// Forgets the index (a sealed diff was not committed).
    pub fn invalidate(&mut self) {
        self.index = None;
    }

    /// The apex records the key set and policy call for.
    fn apex_records(&self) -> Vec<Record> {
        let ttl = self.policy.dnskey_ttl;
        let mut out = Vec::new();
        for k in self.keys.iter().filter(|k| k.published) {
            let rd = k.pair.dnskey_rdata();
            out.push(Record::new(
                self.apex.clone(),
                RType::DNSKEY,
                ttl,
                rd.clone(),
            ));
            if k.cds && !self.cds_delete {
                out.push(Record::new(
                    self.apex.clone(),
                    RType::CDNSKEY,
                    ttl,
                    rd.clone(),
                ));
                out.push(Record::new(
                    self.apex.clone(),
                    RType::CDS,
                    ttl,
                    super::keys::ds_rdata(&self.apex_lower, &rd),
                ));
            }
        }
        if self.cds_delete {
            out.push(Record::new(
                self.apex.clone(),
                RType::CDS,
                ttl,
                vec![0, 0, 0, 0, 0],
            ));
            out.push(Record::new(
                self.apex.clone(),
                RType::CDNSKEY,
                ttl,
                vec![0, 0, 3, 0, 0],
            ));
        }
        if let Some(p) = self.nsec3() {
            out.push(Record::new(
                self.apex.clone(),
                RType::NSEC3PARAM,
                0,
                p.param_rdata(),
            ));
        }
        out
    }

    /// Step 2: the apex key records as a change against `v`.
    fn apex_change(&self, v: &ZoneVersion) -> Change {
        let want = self.apex_records();
        let mut change = Change::default();
        let Some(apex) = v.apex_node() else {
            return change;
        };
        for t in [RType::DNSKEY, RType::CDS, RType::CDNSKEY, RType::NSEC3PARAM] {
            let want_t: Vec<&Record> = want.iter().filter(|r| r.rtype == t).collect();
            let have = apex.get(t);
            let same = match have {
                None => want_t.is_empty(),
                Some(h) => {
                    h.len() == want_t.len()
                        && want_t
                            .iter()
                            .all(|w| w.ttl == h.ttl && h.rdatas().any(|rd| rd == &w.rdata[..]))
                }
            };
            if same {
                continue;
            }
            if let Some(h) = have {
                for rd in h.rdatas() {
                    change
                        .removed
                        .push(Record::new(self.apex.clone(), t, h.ttl, rd));
                }
            }
            change.added.extend(want_t.into_iter().cloned());
        }
        change
    }

    /// Seals `diff` (against `before`) for a signed zone: see the module docs.
    pub fn seal(
        &mut self,
        before: &ZoneVersion,
        diff: Diff,
        scope: Scope,
        now: u64,
    ) -> Result<Diff, SignError> {
        if !self.keys.iter().any(ZoneKey::signs_data)
            || !self.keys.iter().any(ZoneKey::signs_keyset)
        {
            return Err(SignError::NoKey(self.apex.clone()));
        }
        let started = std::time::Instant::now();
        let mut index = if scope == Scope::Full && self.nsec3().is_none() {
            // The full pass sorts the names itself (see `full_nsec_chain`).
            self.index = None;
            ChainIndex::Nsec(BTreeSet::new())
        } else {
            self.take_index(before)
        };
        // Step 1.
        let mut data = diff;
        data.removed.retain(|r| !is_managed(r.rtype));
        data.added.retain(|r| !is_managed(r.rtype));
        let after0 = before.apply_unfolded(&data)?;
        // Microseconds since the start, after each step (debug log).
        let mut steps: Vec<(&str, u64)> = vec![("data", started.elapsed().as_micros() as u64)];
        // Step 2, and the signatures and NSEC of names whose data is all
        // gone: without them the node (and empty parents) disappears, so
        // that the chain sees the names that will really exist.
        let mut apex_change = self.apex_change(&after0);
        let mut cleaned: HashSet<Vec<u8>> = HashSet::new();
        for r in &data.removed {
            let Some(node) = after0.find(r.owner.as_wire()) else {
                continue;
            };
            if node.rrsets().any(|s| !super::chain::is_chain_type(s.rtype))
                || !cleaned.insert(lower(r.owner.as_wire()))
            {
                continue;
            }
            for t in [RType::RRSIG, RType::NSEC] {
                remove_type(&after0, r.owner.as_wire(), t, &mut apex_change);
            }
        }
        let after1 = apex_change.apply_to(&after0)?;
        steps.push(("apex", started.elapsed().as_micros() as u64));
        // Step 3: affected names and the types whose RRsets changed.
        let mut changed = Changed::new();
        for r in data
            .removed
            .iter()
            .chain(&data.added)
            .chain(&apex_change.removed)
            .chain(&apex_change.added)
        {
            note_changed(&mut changed, r);
        }
        let affected = self.affected_names(before, &after1, &changed, scope);
        steps.push(("affected", started.elapsed().as_micros() as u64));
        let chain = self.chain_change(before, &after1, &affected, &mut index, scope)?;
        steps.push(("chain", started.elapsed().as_micros() as u64));
        let after2 = chain.apply_to(&after1)?;
        steps.push(("chain_apply", started.elapsed().as_micros() as u64));
        changed.reserve(chain.added.len());
        for r in chain.removed.iter().chain(&chain.added) {
            note_changed(&mut changed, r);
        }
        // Step 4: signatures at every affected owner and chain owner.
        let nodes: Vec<&Node> = if scope == Scope::Full {
            // Every name: the signatures of each one are checked. Order
            // does not matter here, and sorting a million names does.
            after2.nodes().collect()
        } else {
            let mut owners: BTreeSet<CanonName> =
                affected.iter().map(|w| CanonName::new(w)).collect();
            for r in chain.removed.iter().chain(&chain.added) {
                owners.insert(CanonName::new(r.owner.as_wire()));
            }
            owners.iter().filter_map(|c| after2.find(&c.0)).collect()
        };
        steps.push(("owners", started.elapsed().as_micros() as u64));
        let sigs = self.signature_change(&after2, &nodes, &changed, now, scope)?;
        steps.push(("sigs", started.elapsed().as_micros() as u64));
        let mut out = data;
        // Reserved once: a full pass moves millions of records here.
        out.removed
            .reserve(apex_change.removed.len() + chain.removed.len() + sigs.removed.len());
        out.added
            .reserve(apex_change.added.len() + chain.added.len() + sigs.added.len());
        for c in [apex_change, chain, sigs] {
            out.removed.extend(c.removed);
            out.added.extend(c.added);
        }
        cancel_pairs(&mut out);
        steps.push(("cancel", started.elapsed().as_micros() as u64));
        self.index = Some((out.serial_to, index));
        tracing::debug!(zone = %self.apex, ?scope, added = out.added.len(), removed = out.removed.len(), ?steps, micros = started.elapsed().as_micros() as u64, "sealed");
        Ok(out)
    }

    /// The lowercased names whose chain records or signatures may change.
    fn affected_names(
        &self,
        before: &ZoneVersion,
        after: &ZoneVersion,
        changed: &Changed,
        scope: Scope,
    ) -> HashSet<Vec<u8>> {
        let mut out: HashSet<Vec<u8>> = HashSet::new();
        if scope == Scope::Full {
            if self.nsec3().is_none() {
                // The NSEC chain of a full pass is rebuilt from every node.
                return out;
            }
            for v in [before, after] {
                for n in v.nodes() {
                    if !super::chain::is_nsec3_owner(n) {
                        out.insert(lower(n.owner_wire()));
                    }
                }
            }
            return out;
        }
        let apex_len = self.apex_lower.len();
        let mut cut_changed: Vec<Name> = Vec::new();
        for (wire, types) in changed {
            out.insert(wire.clone());
            let mut cur: &[u8] = wire;
            while cur.len() > apex_len {
                cur = &cur[1 + cur[0] as usize..];
                out.insert(cur.to_vec());
            }
            if types.contains(&RType::NS) || types.contains(&RType::DNAME) {
                let has_children = [before, after]
                    .iter()
                    .any(|v| v.find(wire).is_some_and(|n| n.children() > 0));
                if has_children {
                    if let Ok(n) = Name::from_wire(wire) {
                        cut_changed.push(n);
                    }
                }
            }
        }
        // Occlusion changed below these names: all their descendants.
        if !cut_changed.is_empty() {
            for v in [before, after] {
                for n in v.nodes() {
                    let owner = n.owner();
                    if cut_changed.iter().any(|c| owner.is_subdomain_of(c)) {
                        out.insert(lower(n.owner_wire()));
                    }
                }
            }
        }
        out
    }

    /// Step 3: moves the index and recomputes the NSEC/NSEC3 records.
    fn chain_change(
        &self,
        before: &ZoneVersion,
        after: &ZoneVersion,
        affected: &HashSet<Vec<u8>>,
        index: &mut ChainIndex,
        scope: Scope,
    ) -> Result<Change, SignError> {
        let ttl = after.negative_ttl();
        let mut change = Change::default();
        match (index, self.nsec3()) {
            (ChainIndex::Nsec(set), None) if scope == Scope::Full => {
                full_nsec_chain(after, set, ttl, &mut change);
                drop_nsec3_nodes(after, &mut change);
            }
            (ChainIndex::Nsec(set), None) => {
                let mut redo: BTreeSet<CanonName> = BTreeSet::new();
                let mut moved: Vec<CanonName> = Vec::new();
                let mut gone: Vec<Vec<u8>> = Vec::new();
                for wire in affected {
                    let key = CanonName(wire.clone().into());
                    let now_in = status(after, wire).in_nsec_chain();
                    let was_in = set.contains(&key);
                    if now_in {
                        redo.insert(key.clone());
                        if !was_in {
                            set.insert(key.clone());
                            moved.push(key);
                        }
                    } else {
                        gone.push(wire.clone());
                        if was_in {
                            set.remove(&key);
                            moved.push(key);
                        }
                    }
                }
                for k in &moved {
                    if let Some(p) = predecessor(set, k) {
                        redo.insert(p);
                    }
                }
                for wire in gone {
                    remove_type(after, &wire, RType::NSEC, &mut change);
                }
                for k in redo {
                    let Some(node) = after.find(&k.0) else {
                        continue;
                    };
                    let next = successor(set, &k).unwrap_or_else(|| k.clone());
                    let st = status(after, &k.0);
                    let types: Vec<RType> = node
                        .rrsets()
                        .map(|s| s.rtype)
                        .filter(|t| !super::chain::is_chain_type(*t))
                        .filter(|t| !st.delegation || matches!(*t, RType::NS | RType::DS))
                        .collect();
                    let rd = nsec_rdata(&next.0, &types);
                    replace_set(node, RType::NSEC, ttl, vec![rd], &mut change);
                }
                if scope == Scope::Full {
                    drop_nsec3_nodes(after, &mut change);
                }
            }
            (ChainIndex::Nsec3(set), Some(p)) => {
                let mut redo: HashMap<[u8; HASH_LEN], Vec<RType>> = HashMap::new();
                let mut moved: Vec<[u8; HASH_LEN]> = Vec::new();
                for wire in affected {
                    let h = p.hash(wire);
                    let st = status(after, wire);
                    let now_in = st.in_nsec3_chain(p);
                    let was_in = set.contains(&h);
                    if now_in {
                        let node = after.find(wire);
                        let mut types: Vec<RType> = node
                            .map(|n| {
                                n.rrsets()
                                    .map(|s| s.rtype)
                                    .filter(|t| !super::chain::is_chain_type(*t))
                                    .filter(|t| {
                                        !st.delegation || matches!(*t, RType::NS | RType::DS)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        // Signed data at the name: its RRSIGs are there too.
                        if !types.is_empty() && (!st.delegation || st.has_ds) {
                            types.push(RType::RRSIG);
                        }
                        redo.insert(h, types);
                        if !was_in {
                            set.insert(h);
                            moved.push(h);
                        }
                    } else if was_in {
                        set.remove(&h);
                        moved.push(h);
                        let owner = hashed_owner(&h, &self.apex)?;
                        remove_type(after, owner.as_wire(), RType::NSEC3, &mut change);
                    }
                }
                if scope == Scope::Full {
                    // Stale NSEC3 records (other parameters, or of names
                    // gone) and any NSEC records from an NSEC chain.
                    for n in after.nodes() {
                        if super::chain::is_nsec3_owner(n) {
                            let keep = hash_of_owner(n.owner_wire())
                                .is_some_and(|h| set.contains(&h) || redo.contains_key(&h));
                            if !keep {
                                remove_type(after, n.owner_wire(), RType::NSEC3, &mut change);
                            }
                        } else if n.has(RType::NSEC) {
                            remove_type(after, n.owner_wire(), RType::NSEC, &mut change);
                        }
                    }
                }
                // A set: neighbours that entered or left together share
                // one predecessor, which must be rewritten once.
                let mut patch: BTreeSet<[u8; HASH_LEN]> = BTreeSet::new();
                for h in &moved {
                    if let Some(pred) = predecessor(set, h) {
                        if !redo.contains_key(&pred) {
                            patch.insert(pred);
                        }
                    }
                }
                for (h, types) in &redo {
                    let next = successor(set, h).unwrap_or(*h);
                    let rd = p.nsec3_rdata(&next, types);
                    let owner = hashed_owner(h, &self.apex)?;
                    self.put_nsec3(after, &owner, ttl, rd, &mut change);
                }
                for h in patch {
                    let owner = hashed_owner(&h, &self.apex)?;
                    let next = successor(set, &h).unwrap_or(h);
                    let Some(old) = after
                        .find(owner.as_wire())
                        .and_then(|n| n.get(RType::NSEC3))
                        .and_then(|s| s.first())
                    else {
                        // The predecessor has no record yet: only happens
                        // when the chain is incomplete; a full pass repairs it.
                        continue;
                    };
                    let mut rd = old.to_vec();
                    if next_hash(&rd).is_some() {
                        let at = 6 + rd[4] as usize;
                        rd[at..at + HASH_LEN].copy_from_slice(&next);
                    }
                    self.put_nsec3(after, &owner, ttl, rd, &mut change);
                }
            }
            // The index was built for the other denial type: the policy
            // changed. Callers rebuild (see `take_index`), so this is a bug.
            _ => {
                return Err(SignError::NoKey(self.apex.clone()));
            }
        }
        let _ = before;
        Ok(change)
    }

    fn put_nsec3(&self, v: &ZoneVersion, owner: &Name, ttl: u32, rd: Vec<u8>, change: &mut Change) {
        match v.find(owner.as_wire()) {
            Some(node) => replace_set(node, RType::NSEC3, ttl, vec![rd], change),
            None => change
                .added
                .push(Record::new(owner.clone(), RType::NSEC3, ttl, rd)),
        }
    }

    /// Step 4: RRSIGs at `nodes` of `v` (the zone with every other change).
    fn signature_change(
        &mut self,
        v: &ZoneVersion,
        nodes: &[&Node],
        changed: &Changed,
        now: u64,
        scope: Scope,
    ) -> Result<Change, SignError> {
        let signed = self.sign_nodes(v, nodes, changed, now)?;
        // A full pass saw every signature: its minimum replaces the old one.
        if scope == Scope::Full {
            self.earliest_expiration = signed.earliest;
        } else if let Some(e) = signed.earliest {
            self.earliest_expiration = Some(match self.earliest_expiration {
                Some(old) if time_before(old, e) => old,
                _ => e,
            });
        }
        Ok(Change {
            removed: signed.removed,
            added: signed.added,
        })
    }
}

/// The NSEC chain of a full pass: every name that belongs in it, sorted
/// once by a precomputed canonical key (a plain byte comparison), each
/// linked to the next. The incremental path's ordered set is then built
/// from the sorted names in one go.
fn full_nsec_chain(v: &ZoneVersion, set: &mut BTreeSet<CanonName>, ttl: u32, change: &mut Change) {
    let mut members: Vec<(Box<[u8]>, &Node, bool)> = Vec::with_capacity(v.name_count());
    for node in crate::zone::node::Prefetched::new(v.nodes()) {
        let st = status(v, node.owner_wire());
        if st.in_nsec_chain() {
            members.push((
                crate::zone::ordered::canonical_key(node.owner_wire()),
                node,
                st.delegation,
            ));
        } else if node.has(RType::NSEC) {
            remove_type(v, node.owner_wire(), RType::NSEC, change);
        }
    }
    members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<Vec<u8>> = members.iter().map(|m| lower(m.1.owner_wire())).collect();
    for (i, (_, node, delegation)) in members.iter().enumerate() {
        let next = &names[(i + 1) % names.len()];
        let types: Vec<RType> = node
            .rrsets()
            .map(|s| s.rtype)
            .filter(|t| !super::chain::is_chain_type(*t))
            .filter(|t| !delegation || matches!(*t, RType::NS | RType::DS))
            .collect();
        replace_set(
            node,
            RType::NSEC,
            ttl,
            vec![nsec_rdata(next, &types)],
            change,
        );
    }
    // Already in order: the set is built without comparing twice.
    *set = names.into_iter().map(|w| CanonName(w.into())).collect();
}

/// Removes the whole `rtype` set at `wire` (if any).
fn remove_type(v: &ZoneVersion, wire: &[u8], rtype: RType, change: &mut Change) {
    if let Some(node) = v.find(wire) {
        if let Some(set) = node.get(rtype) {
            let owner = node.owner();
            for rd in set.rdatas() {
                change
                    .removed
                    .push(Record::new(owner.clone(), rtype, set.ttl, rd));
            }
        }
    }
}

/// Makes the `rtype` set at `node` exactly `want` (with `ttl`).
fn replace_set(node: &Node, rtype: RType, ttl: u32, want: Vec<Vec<u8>>, change: &mut Change) {
    let owner = node.owner();
    if let Some(set) = node.get(rtype) {
        let same = set.ttl == ttl
            && set.len() == want.len()
            && want.iter().all(|w| set.rdatas().any(|rd| rd == &w[..]));
        if same {
            return;
        }
        for rd in set.rdatas() {
            change
                .removed
                .push(Record::new(owner.clone(), rtype, set.ttl, rd));
        }
    }
    for rd in want {
        change
            .added
            .push(Record::new(owner.clone(), rtype, ttl, rd));
    }
}

/// Removes every NSEC3 chain node (the zone moved to NSEC).
fn drop_nsec3_nodes(v: &ZoneVersion, change: &mut Change) {
    for n in v.nodes() {
        if super::chain::is_nsec3_owner(n) {
            remove_type(v, n.owner_wire(), RType::NSEC3, change);
        }
    }
}

/// Drops records that are both removed and added (same TTL and data).
/// Cheap for big diffs: only records whose rdata is also removed are
/// compared in full.
fn cancel_pairs(d: &mut Diff) {
    if d.removed.is_empty() || d.added.is_empty() {
        return;
    }
    let key = |r: &Record| (lower(r.owner.as_wire()), r.rtype, r.ttl, r.rdata.clone());
    // hashbrown's hasher (foldhash, randomly seeded per process) rather
    // than SipHash: a full pass looks up millions of added signatures here.
    let candidates: HashSet<_> = {
        let removed_rdata: hashbrown::HashSet<&[u8]> =
            d.removed.iter().map(|r| &r.rdata[..]).collect();
        d.added
            .iter()
            .filter(|r| removed_rdata.contains(&r.rdata[..]))
            .map(key)
            .collect()
    };
    if candidates.is_empty() {
        return;
    }
    let both: HashSet<_> = d
        .removed
        .iter()
        .map(key)
        .filter(|k| candidates.contains(k))
        .collect();
    if both.is_empty() {
        return;
    }
    d.removed.retain(|r| !both.contains(&key(r)));
    d.added.retain(|r| !both.contains(&key(r)));
}

/// The diff that takes a zone insecure: `diff` without DNSSEC records,
/// plus, with `strip_all`, the removal of every DNSSEC record in `before`.
pub fn unsigned_diff(before: &ZoneVersion, mut diff: Diff, strip_all: bool) -> Diff {
    diff.removed.retain(|r| !is_managed(r.rtype));
    diff.added.retain(|r| !is_managed(r.rtype));
    if strip_all {
        for node in before.nodes() {
            let owner = node.owner();
            for set in node.rrsets().filter(|s| is_managed(s.rtype)) {
                for rd in set.rdatas() {
                    diff.removed
                        .push(Record::new(owner.clone(), set.rtype, set.ttl, rd));
                }
            }
        }
    }
    diff
}
