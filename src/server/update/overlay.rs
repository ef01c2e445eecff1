//! The scratch copy of the names one update touches, and the net diff.
//!
//! Each touched name is copied out of the version once (its RRsets as
//! they were, and as they are becoming); the update RRs change the copy in
//! message order, and [`Overlay::finish`] checks the zone rules on the
//! result and compares copy and original. Untouched names are never
//! copied, so an update costs what it touches, not the zone's size — with
//! one exception: a DNAME added above existing names needs a scan of the
//! version to see whether any of them keeps data (rare, and refused).

use std::collections::HashMap;

use super::{signer_owned, Update};
use crate::rdata::RType;
use crate::wire::message::rcode::{REFUSED, SERVFAIL};
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::node::RRset;
use crate::zone::record::Record;
use crate::zone::serial::{Serial, SerialPolicy};
use crate::zone::version::{cmp_records, soa_fields, ZoneVersion};

/// Most RRsets one node holds (its format counts them in a u8).
const MAX_SETS: usize = 255;
/// Most RRs one RRset holds (a u16 count).
const MAX_RRS: usize = 65_535;

/// Rdata in canonical form (RFC 4034 §6.2): the form in which two RRs are
/// "the same" for duplicates, deletes and prerequisites.
pub(super) fn canonical(rtype: RType, rdata: &[u8]) -> Vec<u8> {
    let mut v = rdata.to_vec();
    crate::rdata::canonicalize(rtype, &mut v);
    v
}

/// True when two rdatas of `rtype` are the same RR's data. The canonical
/// form keeps lengths, so most comparisons end without allocating.
fn same_rdata(rtype: RType, a: &[u8], b: &[u8]) -> bool {
    a == b || (a.len() == b.len() && canonical(rtype, a) == canonical(rtype, b))
}

/// Types that may share a name with a CNAME (RFC 4035 §2.5), as in
/// `zone::builder`.
fn cname_companion(rtype: RType) -> bool {
    matches!(rtype, RType::RRSIG | RType::NSEC)
}

/// One touched name: its RRsets in the version and now. `current` never
/// holds an empty RRset.
struct Work {
    /// The owner as the zone spells it (or as the update did, if new).
    owner: Name,
    original: Vec<RRset>,
    current: Vec<RRset>,
}

impl Work {
    fn get(&self, rtype: RType) -> Option<&RRset> {
        self.current.iter().find(|s| s.rtype == rtype)
    }
    fn get_mut(&mut self, rtype: RType) -> Option<&mut RRset> {
        self.current.iter_mut().find(|s| s.rtype == rtype)
    }
    fn has(&self, rtype: RType) -> bool {
        self.get(rtype).is_some()
    }
    fn had(&self, rtype: RType) -> bool {
        self.original.iter().any(|s| s.rtype == rtype)
    }

    /// Appends this name's part of the net diff. An RRset whose TTL
    /// changed is removed and added whole, as IXFR must express it.
    fn diff_into(&self, skip: Option<RType>, removed: &mut Vec<Record>, added: &mut Vec<Record>) {
        let emit = |from: &[RRset], to: &[RRset], out: &mut Vec<Record>| {
            for s in from.iter().filter(|s| Some(s.rtype) != skip) {
                let other = to.iter().find(|o| o.rtype == s.rtype && o.ttl == s.ttl);
                for rd in &s.rdatas {
                    if !other.is_some_and(|o| o.rdatas.contains(rd)) {
                        out.push(Record::new(self.owner.clone(), s.rtype, s.ttl, rd.clone()));
                    }
                }
            }
        };
        emit(&self.original, &self.current, removed);
        emit(&self.current, &self.original, added);
    }
}

/// The touched names of one update in progress.
pub(super) struct Overlay<'v> {
    version: &'v ZoneVersion,
    apex: Name,
    nodes: HashMap<Name, Work>,
}

impl<'v> Overlay<'v> {
    pub(super) fn new(version: &'v ZoneVersion) -> Overlay<'v> {
        Overlay {
            version,
            apex: version.apex().clone(),
            nodes: HashMap::new(),
        }
    }

    /// The scratch copy of `owner`, made on first touch.
    fn work(&mut self, owner: &Name) -> &mut Work {
        let version = self.version;
        self.nodes
            .entry(owner.clone())
            .or_insert_with(|| match version.node(owner) {
                Some(node) => {
                    let sets = node.to_rrsets();
                    Work {
                        owner: node.owner(),
                        original: sets.clone(),
                        current: sets,
                    }
                }
                None => Work {
                    owner: owner.clone(),
                    original: Vec::new(),
                    current: Vec::new(),
                },
            })
    }

    /// Applies one update RR (RFC 2136 §3.4.2). RRs the RFC says to
    /// ignore change nothing.
    pub(super) fn apply(&mut self, u: &Update) {
        match u {
            Update::Add(rec) => self.add(rec),
            Update::DeleteRRset { owner, rtype } => {
                if *owner == self.apex && matches!(*rtype, RType::SOA | RType::NS) {
                    return;
                }
                self.work(owner).current.retain(|s| s.rtype != *rtype);
            }
            Update::DeleteName(owner) => {
                let at_apex = *owner == self.apex;
                self.work(owner).current.retain(|s| {
                    signer_owned(s.rtype) || (at_apex && matches!(s.rtype, RType::SOA | RType::NS))
                });
            }
            Update::DeleteRR {
                owner,
                rtype,
                rdata,
            } => self.delete_rr(owner, *rtype, rdata),
        }
    }

    fn add(&mut self, rec: &Record) {
        let rtype = rec.rtype;
        if rtype == RType::SOA {
            // §3.4.2.2: an SOA elsewhere than the apex has no meaning here.
            if rec.owner == self.apex {
                self.add_soa(rec);
            }
            return;
        }
        let w = self.work(&rec.owner);
        // §3.4.2.2: CNAME and other data exclude each other; the add that
        // would break the rule is ignored.
        if rtype == RType::CNAME {
            if w.current
                .iter()
                .any(|s| s.rtype != RType::CNAME && !cname_companion(s.rtype))
            {
                return;
            }
        } else if !cname_companion(rtype) && w.has(RType::CNAME) {
            return;
        }
        let Some(set) = w.get_mut(rtype) else {
            w.current.push(RRset {
                rtype,
                ttl: rec.ttl,
                rdatas: vec![rec.rdata.clone()],
            });
            return;
        };
        // RFC 2181 §5.2: one TTL per RRset, the newest one.
        set.ttl = rec.ttl;
        if set.rdatas.iter().any(|r| same_rdata(rtype, r, &rec.rdata)) {
            return;
        }
        match rtype {
            // A name has one CNAME: the new one replaces it.
            RType::CNAME => set.rdatas.clear(),
            // §3.4.2.2: a WKS with the same address and protocol replaces.
            RType::WKS => set.rdatas.retain(|r| r.get(..5) != rec.rdata.get(..5)),
            _ => {}
        }
        set.rdatas.push(rec.rdata.clone());
    }

    /// §3.4.2.2: an SOA replaces the apex SOA only if its serial is later.
    fn add_soa(&mut self, rec: &Record) {
        let apex = self.apex.clone();
        let Some(set) = self.work(&apex).get_mut(RType::SOA) else {
            return;
        };
        let old = set.rdatas.first().and_then(|r| soa_fields(r));
        let (Some(new), Some(old)) = (soa_fields(&rec.rdata), old) else {
            return;
        };
        if Serial(new.serial).is_after(Serial(old.serial)) {
            set.ttl = rec.ttl;
            set.rdatas = vec![rec.rdata.clone()];
        }
    }

    /// §3.4.2.4: delete one RR; never the SOA, never the last apex NS.
    fn delete_rr(&mut self, owner: &Name, rtype: RType, rdata: &[u8]) {
        if rtype == RType::SOA {
            return;
        }
        let at_apex = *owner == self.apex;
        let w = self.work(owner);
        let Some(set) = w.get_mut(rtype) else {
            return;
        };
        let Some(i) = set.rdatas.iter().position(|r| same_rdata(rtype, r, rdata)) else {
            return;
        };
        if at_apex && rtype == RType::NS && set.rdatas.len() == 1 {
            return;
        }
        set.rdatas.remove(i);
        w.current.retain(|s| !s.rdatas.is_empty());
    }

    /// Checks the zone rules on the result and returns the net diff with
    /// the new SOA, or `None` when nothing changed.
    pub(super) fn finish(self, policy: SerialPolicy, now: u64) -> Result<Option<Diff>, u16> {
        self.check_rules()?;
        let old_soa = self.version.soa().ok_or(SERVFAIL)?;
        let old_rdata: Box<[u8]> = old_soa.first().ok_or(SERVFAIL)?.into();
        let old_serial = self.version.serial();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let mut new_soa = None;
        for w in self.nodes.values() {
            if w.owner == self.apex {
                w.diff_into(Some(RType::SOA), &mut removed, &mut added);
                new_soa = w
                    .get(RType::SOA)
                    .map(|s| (s.ttl, s.rdatas.first().cloned()));
            } else {
                w.diff_into(None, &mut removed, &mut added);
            }
        }
        let explicit = match new_soa {
            Some((ttl, Some(rd))) if ttl != old_soa.ttl || rd != old_rdata => Some((ttl, rd)),
            _ => None,
        };
        let (ttl, rdata, serial) = match explicit {
            Some((ttl, rd)) => {
                let serial = soa_fields(&rd).ok_or(SERVFAIL)?.serial;
                (ttl, rd, serial)
            }
            None if removed.is_empty() && added.is_empty() => return Ok(None),
            None => {
                let serial = policy.next(old_serial, now);
                (
                    old_soa.ttl,
                    with_serial(&old_rdata, serial).ok_or(SERVFAIL)?,
                    serial,
                )
            }
        };
        let apex = self.apex.clone();
        removed.push(Record::new(
            apex.clone(),
            RType::SOA,
            old_soa.ttl,
            old_rdata,
        ));
        added.push(Record::new(apex, RType::SOA, ttl, rdata));
        removed.sort_by(cmp_records);
        added.sort_by(cmp_records);
        Ok(Some(Diff {
            serial_from: old_serial,
            serial_to: serial,
            removed,
            added,
        }))
    }

    /// The rules of `zone::builder` that an update can break.
    fn check_rules(&self) -> Result<(), u16> {
        for (name, w) in &self.nodes {
            if w.current.is_empty() {
                continue;
            }
            if w.current.len() > MAX_SETS || w.current.iter().any(|s| s.rdatas.len() > MAX_RRS) {
                return Err(REFUSED);
            }
            // Kept by `add`; checked again so that a slip there can never
            // publish a zone the builder would reject.
            if w.has(RType::CNAME)
                && w.current
                    .iter()
                    .any(|s| s.rtype != RType::CNAME && !cname_companion(s.rtype))
            {
                return Err(SERVFAIL);
            }
            if self.dname_above(name) {
                return Err(REFUSED);
            }
            if w.has(RType::DNAME) && !w.had(RType::DNAME) && self.data_below(name) {
                return Err(REFUSED);
            }
        }
        Ok(())
    }

    /// True when the result has an RRset of `rtype` at `name`.
    fn has(&self, name: &Name, rtype: RType) -> bool {
        match self.nodes.get(name) {
            Some(w) => w.has(rtype),
            None => self.version.node(name).is_some_and(|n| n.has(rtype)),
        }
    }

    /// True when a proper ancestor of `name` in the zone holds a DNAME.
    fn dname_above(&self, name: &Name) -> bool {
        let mut cur = name.parent();
        while let Some(p) = cur {
            if !p.is_subdomain_of(&self.apex) {
                return false;
            }
            if self.has(&p, RType::DNAME) {
                return true;
            }
            cur = p.parent();
        }
        false
    }

    /// True when the result has data strictly below `name`.
    fn data_below(&self, name: &Name) -> bool {
        let below = |n: &Name| n != name && n.is_subdomain_of(name);
        if self
            .nodes
            .iter()
            .any(|(n, w)| below(n) && !w.current.is_empty())
        {
            return true;
        }
        if self.version.node(name).is_none_or(|n| n.children() == 0) {
            return false;
        }
        // Names below in the version keep their data unless emptied here.
        self.version.nodes().any(|node| {
            let owner = node.owner();
            below(&owner)
                && !node.is_empty()
                && self.nodes.get(&owner).is_none_or(|w| !w.current.is_empty())
        })
    }
}

/// SOA rdata with another serial.
fn with_serial(rdata: &[u8], serial: u32) -> Option<Box<[u8]>> {
    let m = Name::wire_len(rdata).ok()?;
    let r = Name::wire_len(rdata.get(m..)?).ok()?;
    let mut v = rdata.to_vec();
    v.get_mut(m + r..m + r + 4)?
        .copy_from_slice(&serial.to_be_bytes());
    Some(v.into_boxed_slice())
}
