//! The per-record family (Cloudflare, DigitalOcean): the API holds one
//! record per value, each with a server-assigned id, while the engine
//! thinks in RRsets. This is the translation both ways, generic over the
//! id's type: gathering a read's records into RRsets (keeping each value's
//! id), and turning RRset changes into record deletes, in-place updates
//! and creates.

use std::collections::HashMap;

use super::{Change, ReadResult};
use crate::sync::rrset::{RRsetData, RRsetKey};
use crate::zone::name::Name;

/// Record ids by RRset, each with its value (canonical wire form).
pub type RecordIds<Id> = HashMap<RRsetKey, Vec<(Box<[u8]>, Id)>>;

/// One RRset as gathered: TTL, rdatas and their ids (in the same order).
type Gathered<Id> = (u32, Vec<Vec<u8>>, Vec<Id>);

/// Records of a read, gathered per RRset.
pub struct Gather<'a, Id> {
    zone: &'a Name,
    sets: HashMap<RRsetKey, Gathered<Id>>,
}

impl<'a, Id: Clone> Gather<'a, Id> {
    pub fn new(zone: &'a Name) -> Self {
        Gather {
            zone,
            sets: HashMap::new(),
        }
    }

    /// Adds one record given in presentation format; `what` describes it in
    /// `out.unparsed` if the value does not parse.
    pub fn add(
        &mut self,
        key: RRsetKey,
        text: &str,
        ttl: u32,
        id: Id,
        what: &str,
        out: &mut ReadResult,
    ) {
        let rd = match crate::rdata::from_str(key.rtype, text, self.zone) {
            Ok(rd) => rd,
            Err(e) => {
                out.unparsed.push(format!("{what}: {e}"));
                return;
            }
        };
        let e = self
            .sets
            .entry(key)
            .or_insert_with(|| (ttl, vec![], vec![]));
        if e.0 != ttl {
            e.0 = 0; // values with different TTLs: the plan rewrites them
        }
        e.1.push(rd);
        e.2.push(id);
    }

    /// Puts the RRsets into `out` and returns the ids of their values.
    pub fn finish(self, out: &mut ReadResult) -> RecordIds<Id> {
        let mut ids = RecordIds::new();
        for (key, (ttl, rds, rids)) in self.sets {
            let data = RRsetData::new(key.rtype, ttl, rds.clone());
            let mut pairs = Vec::new();
            for (mut rd, id) in rds.into_iter().zip(rids) {
                crate::rdata::canonicalize(key.rtype, &mut rd);
                pairs.push((rd.into_boxed_slice(), id));
            }
            ids.insert(key.clone(), pairs);
            out.rrsets.insert(key, data);
        }
        ids
    }
}

/// The record requests a batch of RRset changes comes to.
pub struct Plan<Id> {
    pub deletes: Vec<(RRsetKey, Id)>,
    /// Id, new value, new TTL.
    pub updates: Vec<(RRsetKey, Id, Box<[u8]>, u32)>,
    pub creates: Vec<(RRsetKey, Box<[u8]>, u32)>,
}

/// Plans the record requests of `changes` against the known ids. A value
/// kept is updated only if the TTL changes; a new value reuses the id of
/// a value going away (so a single-value CNAME is changed in place, never
/// doubled) before a record is created; values left over are deleted.
/// The caller sends deletes of every change first (a name may switch to
/// CNAME), then updates, then creates.
pub fn plan<Id: Clone + PartialEq>(ids: &RecordIds<Id>, changes: &[Change]) -> Plan<Id> {
    let mut plan = Plan {
        deletes: Vec::new(),
        updates: Vec::new(),
        creates: Vec::new(),
    };
    for c in changes {
        let have: Vec<(Box<[u8]>, Id)> = ids.get(&c.key).cloned().unwrap_or_default();
        let (ttl, want): (u32, Vec<&Box<[u8]>>) = match &c.new {
            Some(d) => (d.ttl, d.rdatas.iter().collect()),
            None => (0, vec![]),
        };
        let ttl_changed = c.old.as_ref().is_none_or(|o| o.ttl != ttl);
        let mut spare: Vec<&(Box<[u8]>, Id)> =
            have.iter().filter(|(rd, _)| !want.contains(&rd)).collect();
        for rd in &want {
            match have.iter().find(|(h, _)| h == *rd) {
                Some((_, id)) if ttl_changed => {
                    plan.updates
                        .push((c.key.clone(), id.clone(), (*rd).clone(), ttl))
                }
                Some(_) => {}
                None => match spare.pop() {
                    Some((_, id)) => {
                        plan.updates
                            .push((c.key.clone(), id.clone(), (*rd).clone(), ttl))
                    }
                    None => plan.creates.push((c.key.clone(), (*rd).clone(), ttl)),
                },
            }
        }
        for (_, id) in spare {
            plan.deletes.push((c.key.clone(), id.clone()));
        }
    }
    plan
}

/// Records that the record `id` of `key` is gone.
pub fn forget<Id: PartialEq>(ids: &mut RecordIds<Id>, key: &RRsetKey, id: &Id) {
    if let Some(v) = ids.get_mut(key) {
        v.retain(|(_, i)| i != id);
    }
}

/// Records that the record `id` of `key` now holds `rd`.
pub fn remember<Id: PartialEq>(ids: &mut RecordIds<Id>, key: RRsetKey, id: Id, rd: Box<[u8]>) {
    let v = ids.entry(key).or_default();
    v.retain(|(_, i)| *i != id);
    v.push((rd, id));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::RType;

    fn key(name: &str, rtype: RType) -> RRsetKey {
        RRsetKey {
            name: name.parse().expect("name"),
            rtype,
        }
    }

    fn a(text: &str) -> Box<[u8]> {
        let zone: Name = "example.test".parse().expect("zone");
        crate::rdata::from_str(RType::A, text, &zone)
            .expect("A")
            .into_boxed_slice()
    }

    #[test]
    fn plan_updates_in_place_then_creates_and_deletes() {
        let k = key("www.example.test", RType::A);
        let mut ids: RecordIds<u64> = RecordIds::new();
        ids.insert(k.clone(), vec![(a("192.0.2.1"), 1), (a("192.0.2.2"), 2)]);
        let data = |ttl, vals: &[&str]| {
            RRsetData::new(RType::A, ttl, vals.iter().map(|v| a(v).into_vec()))
        };
        // One value kept, one replaced (in place), one added (created).
        let change = Change {
            key: k.clone(),
            old: Some(data(300, &["192.0.2.1", "192.0.2.2"])),
            new: Some(data(300, &["192.0.2.1", "192.0.2.8", "192.0.2.9"])),
        };
        let p = plan(&ids, &[change]);
        assert!(p.deletes.is_empty());
        assert_eq!(p.updates.len(), 1);
        assert_eq!(p.updates[0].1, 2);
        assert_eq!(p.creates.len(), 1);
        // A TTL change updates every kept value; a delete removes them all.
        let change = Change {
            key: k.clone(),
            old: Some(data(300, &["192.0.2.1", "192.0.2.2"])),
            new: Some(data(600, &["192.0.2.1", "192.0.2.2"])),
        };
        assert_eq!(plan(&ids, &[change]).updates.len(), 2);
        let change = Change {
            key: k.clone(),
            old: Some(data(300, &["192.0.2.1", "192.0.2.2"])),
            new: None,
        };
        let p = plan(&ids, &[change]);
        assert_eq!(p.deletes.len(), 2);
        assert!(p.updates.is_empty() && p.creates.is_empty());
        forget(&mut ids, &k, &1);
        remember(&mut ids, k.clone(), 2, a("192.0.2.7"));
        assert_eq!(ids[&k], vec![(a("192.0.2.7"), 2)]);
    }
}
