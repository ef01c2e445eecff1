//! Builds a [`ZoneVersion`] from a stream of records, checking the rules a
//! zone must obey as each record arrives, so every complaint can name the
//! record (and so the file:line) that broke the rule.
//!
//! Records of one owner usually come together; they are gathered and
//! packed into one node when the owner changes. An owner seen again later
//! has its node unpacked and repacked, which is correct but slower, so
//! zone files in any order load, sorted ones load fastest.
//!
//! Rules: the class is the zone's; owners lie inside the zone; CNAME
//! stands alone (RRSIG/NSEC aside, RFC 2181 §10.1, RFC 4035 §2.5); one
//! SOA, only at the apex; nothing below a DNAME (RFC 6672 §2.3);
//! duplicates are dropped; a differing TTL in one RRset is warned about
//! and the first TTL kept (RFC 2181 §5.2). The apex needs SOA and NS.

use crate::rdata::{Class, RType};
use crate::zone::name::Name;
use crate::zone::node::{Node, RRset};
use crate::zone::record::Record;
use crate::zone::table::NodeTable;
use crate::zone::version::{link_to_parent, ZoneError, ZoneVersion};

/// Accumulates records into a zone.
pub struct ZoneBuilder {
    apex: Name,
    class: Class,
    nodes: NodeTable,
    cur_owner: Option<Name>,
    cur_sets: Vec<RRset>,
    /// Child count of the current owner when it already had a node.
    cur_children: Option<u32>,
    dnames: Vec<Name>,
    records: usize,
}

/// What adding a record did, when it did not simply add it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// An identical record was already there.
    Duplicate,
    /// Added with the RRset's existing TTL instead of its own.
    TtlMismatch {
        kept: u32,
        given: u32,
    },
}

impl ZoneBuilder {
    pub fn new(apex: Name, class: Class) -> ZoneBuilder {
        ZoneBuilder::with_capacity(apex, class, 0)
    }

    /// A builder expecting about `names` owner names: growing a big table
    /// step by step rehashes every node several times.
    pub fn with_capacity(apex: Name, class: Class, names: usize) -> ZoneBuilder {
        ZoneBuilder {
            apex,
            class,
            records: 0,
            nodes: NodeTable::with_capacity(names),
            cur_owner: None,
            cur_sets: Vec::new(),
            cur_children: None,
            dnames: Vec::new(),
        }
    }

    /// Adds one record; an `Err` says why the record is not acceptable
    /// (the zone is then not to be served).
    pub fn add(&mut self, rec: Record) -> Result<AddOutcome, String> {
        if rec.class != self.class {
            return Err(format!(
                "class {} differs from the zone's class {}",
                rec.class, self.class
            ));
        }
        if !rec.owner.is_subdomain_of(&self.apex) {
            return Err(format!("{} is outside the zone {}", rec.owner, self.apex));
        }
        if rec.rtype.is_meta() {
            return Err(format!("meta type {} cannot be in a zone", rec.rtype));
        }
        if rec.rtype == RType::SOA && rec.owner != self.apex {
            return Err(format!(
                "SOA record at {} is not at the zone apex {}",
                rec.owner, self.apex
            ));
        }
        if self.cur_owner.as_ref() != Some(&rec.owner) {
            self.start_owner(&rec.owner)?;
        }
        if rec.rtype == RType::DNAME {
            if self.cur_children.is_some_and(|c| c > 0) {
                return Err(format!(
                    "DNAME at {} but names exist below it (RFC 6672 §2.3)",
                    rec.owner
                ));
            }
            if !self.dnames.contains(&rec.owner) {
                self.dnames.push(rec.owner.clone());
            }
        }
        self.check_cname_exclusive(&rec)?;
        let set = match self.cur_sets.iter_mut().find(|s| s.rtype == rec.rtype) {
            Some(set) => set,
            None => {
                self.cur_sets.push(RRset::new(rec.rtype, rec.ttl));
                self.cur_sets
                    .last_mut()
                    .ok_or("internal: empty RRset list")?
            }
        };
        if rec.rtype == RType::SOA && !set.rdatas.is_empty() && !set.rdatas.contains(&rec.rdata) {
            return Err(format!("more than one SOA record at {}", rec.owner));
        }
        if rec.rtype == RType::CNAME && !set.rdatas.is_empty() && !set.rdatas.contains(&rec.rdata) {
            return Err(format!("more than one CNAME record at {}", rec.owner));
        }
        if !set.insert_owned(rec.rdata) {
            return Ok(AddOutcome::Duplicate);
        }
        self.records += 1;
        // RRSIGs keep the TTL of what they cover (see Node::record_ttl).
        if set.ttl != rec.ttl && rec.rtype != RType::RRSIG {
            return Ok(AddOutcome::TtlMismatch {
                kept: set.ttl,
                given: rec.ttl,
            });
        }
        Ok(AddOutcome::Added)
    }

    fn check_cname_exclusive(&self, rec: &Record) -> Result<(), String> {
        let other_ok = |t: RType| matches!(t, RType::RRSIG | RType::NSEC);
        let has_cname = self.cur_sets.iter().any(|s| s.rtype == RType::CNAME);
        let has_other = self
            .cur_sets
            .iter()
            .any(|s| s.rtype != RType::CNAME && !other_ok(s.rtype) && !s.rdatas.is_empty());
        if rec.rtype == RType::CNAME && has_other {
            return Err(format!("CNAME and other data at {}", rec.owner));
        }
        if rec.rtype != RType::CNAME && !other_ok(rec.rtype) && has_cname {
            return Err(format!("CNAME and other data at {}", rec.owner));
        }
        Ok(())
    }

    /// Flushes the previous owner and makes `owner` current, unpacking
    /// its node if it already exists.
    fn start_owner(&mut self, owner: &Name) -> Result<(), String> {
        self.flush();
        if let Some(d) = self
            .dnames
            .iter()
            .find(|d| owner.is_subdomain_of(d) && *d != owner)
        {
            return Err(format!(
                "{owner} is below the DNAME at {d} and can never be reached (RFC 6672 §2.3)"
            ));
        }
        match self.nodes.take(owner.as_wire()) {
            Some(node) => {
                self.cur_sets = node.to_rrsets();
                self.cur_children = Some(node.children());
                // Keep the case of the first mention (an empty non-terminal
                // created from a child has the child's case, which is fine).
                self.cur_owner = Some(node.owner());
            }
            None => {
                self.cur_sets.clear();
                self.cur_children = None;
                self.cur_owner = Some(owner.clone());
            }
        }
        Ok(())
    }

    fn flush(&mut self) {
        let Some(owner) = self.cur_owner.take() else {
            return;
        };
        let children = self.cur_children.take();
        let mut sets = std::mem::take(&mut self.cur_sets);
        let node = match Node::build(&owner, children.unwrap_or(0), &mut sets) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(owner = %owner, "dropping node: {e}");
                return;
            }
        };
        self.nodes.put(node);
        if children.is_none() {
            link_to_parent(&mut self.nodes, &self.apex, &owner);
        }
        sets.clear();
        self.cur_sets = sets;
    }

    /// Completes the zone; fails when the apex lacks SOA or NS.
    pub fn finish(mut self) -> Result<ZoneVersion, ZoneError> {
        self.flush();
        self.nodes.shrink_to_fit();
        ZoneVersion::from_table(self.apex, self.class, self.nodes, self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::diff::Diff;

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn soa(serial: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(name("ns1.example.com").as_wire());
        v.extend_from_slice(name("hostmaster.example.com").as_wire());
        for x in [serial, 3600, 900, 604800, 300] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    fn rec(owner: &str, t: RType, rd: &[u8]) -> Record {
        Record::new(name(owner), t, 3600, rd)
    }

    fn base() -> Vec<Record> {
        vec![
            rec("example.com", RType::SOA, &soa(1)),
            rec("example.com", RType::NS, name("ns1.example.com").as_wire()),
            rec("ns1.example.com", RType::A, &[192, 0, 2, 1]),
            rec("a.b.c.example.com", RType::A, &[192, 0, 2, 2]),
            rec("www.example.com", RType::A, &[192, 0, 2, 3]),
            rec("www.example.com", RType::A, &[192, 0, 2, 4]),
        ]
    }

    fn build(records: Vec<Record>) -> Result<ZoneVersion, String> {
        let mut b = ZoneBuilder::new(name("example.com"), Class::IN);
        for r in records {
            b.add(r)?;
        }
        b.finish().map_err(|e| e.to_string())
    }

    #[test]
    fn builds_with_empty_non_terminals() {
        let z = build(base()).unwrap();
        assert_eq!(z.serial(), 1);
        assert_eq!(z.negative_ttl(), 300);
        assert_eq!(z.record_count(), 6);
        let ent = z.node(&name("b.c.example.com")).unwrap();
        assert!(ent.is_empty());
        assert_eq!(ent.children(), 1);
        assert_eq!(z.apex_node().unwrap().children(), 3); // ns1, c, www
        assert_eq!(
            z.node(&name("WWW.example.COM"))
                .unwrap()
                .get(RType::A)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn rejects_bad_zones() {
        let mut r = base();
        r.push(rec(
            "www.example.com",
            RType::CNAME,
            name("x.example.com").as_wire(),
        ));
        assert!(build(r).unwrap_err().contains("CNAME and other data"));
        let mut r = base();
        r.push(rec("d.example.com", RType::DNAME, name("x.test").as_wire()));
        r.push(rec("x.d.example.com", RType::A, &[1, 2, 3, 4]));
        assert!(build(r).unwrap_err().contains("below the DNAME"));
        let mut r = base();
        r.push(rec("x.d.example.com", RType::A, &[1, 2, 3, 4]));
        r.push(rec("d.example.com", RType::DNAME, name("x.test").as_wire()));
        assert!(build(r).unwrap_err().contains("names exist below"));
        let r: Vec<Record> = base()
            .into_iter()
            .filter(|r| r.rtype != RType::NS)
            .collect();
        assert!(build(r).unwrap_err().contains("no NS"));
        let mut r = base();
        r.push(rec("other.test", RType::A, &[1, 2, 3, 4]));
        assert!(build(r).unwrap_err().contains("outside the zone"));
    }

    #[test]
    fn diff_apply_invert_roundtrip() {
        let old = build(base()).unwrap();
        let mut recs = base();
        recs[0] = rec("example.com", RType::SOA, &soa(2));
        recs.retain(|r| r.owner != name("a.b.c.example.com"));
        recs.push(rec("new.deep.example.com", RType::TXT, b"\x02hi"));
        let new = build(recs).unwrap();
        let diff = Diff::between(&old, &new);
        assert_eq!(diff.serial_from, 1);
        assert_eq!(diff.serial_to, 2);
        let applied = old.apply(&diff).unwrap();
        assert_eq!(Diff::between(&applied, &new).removed.len(), 0);
        assert_eq!(Diff::between(&applied, &new).added.len(), 0);
        // The ENTs of the removed deep name are gone, the new ones exist.
        assert!(applied.node(&name("b.c.example.com")).is_none());
        assert!(applied.node(&name("c.example.com")).is_none());
        assert!(applied.node(&name("deep.example.com")).unwrap().is_empty());
        assert_eq!(applied.name_count(), new.name_count());
        let back = applied.apply(&diff.invert()).unwrap();
        assert_eq!(back.records_canonical(), old.records_canonical());
        // A diff from the wrong serial is refused.
        assert!(back.apply(&diff.invert()).is_err());
    }

    #[test]
    fn runs_of_records_at_one_owner_apply_together_or_not_at_all() {
        let old = build(base()).unwrap();
        let bump = |added: Vec<Record>| Diff {
            serial_from: 1,
            serial_to: 2,
            removed: vec![rec("example.com", RType::SOA, &soa(1))],
            added: [vec![rec("example.com", RType::SOA, &soa(2))], added].concat(),
        };
        // A new name with three records, an existing one with two more.
        let diff = bump(vec![
            rec("new.example.com", RType::A, &[10, 0, 0, 1]),
            rec("new.example.com", RType::A, &[10, 0, 0, 2]),
            rec("new.example.com", RType::TXT, b"\x02hi"),
            rec("www.example.com", RType::TXT, b"\x02yo"),
            rec("www.example.com", RType::A, &[192, 0, 2, 5]),
        ]);
        let v = old.apply(&diff).unwrap();
        assert_eq!(v.record_count(), old.record_count() + 5);
        assert_eq!(
            v.node(&name("new.example.com"))
                .unwrap()
                .get(RType::A)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            v.node(&name("www.example.com"))
                .unwrap()
                .get(RType::A)
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            v.apex_node().unwrap().children(),
            old.apex_node().unwrap().children() + 1
        );
        assert_eq!(
            v.apply(&diff.invert()).unwrap().records_canonical(),
            old.records_canonical()
        );
        // A duplicate inside a run is refused and names its type.
        let dup = bump(vec![
            rec("www.example.com", RType::TXT, b"\x02yo"),
            rec("www.example.com", RType::A, &[192, 0, 2, 3]),
        ]);
        let err = old.apply(&dup).unwrap_err();
        assert!(
            matches!(
                err,
                crate::zone::diff::DiffError::DuplicateRecord(_, RType::A)
            ),
            "{err}"
        );
        // The old version is untouched.
        assert_eq!(
            old.node(&name("www.example.com")).unwrap().rrsets().count(),
            1
        );
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        /// A zone from a list of (owner index, type choice, rdata byte).
        fn zone_of(serial: u32, items: &[(usize, bool, u8)]) -> ZoneVersion {
            const OWNERS: [&str; 6] = ["www", "a.b", "x.a.b", "*.w", "deep.er.still", "Mixed.Case"];
            let mut r = base();
            r[0] = rec("example.com", RType::SOA, &soa(serial));
            for &(o, txt, byte) in items {
                let owner = format!("{}.example.com", OWNERS[o % OWNERS.len()]);
                if txt {
                    r.push(rec(&owner, RType::TXT, &[1, byte]));
                } else {
                    r.push(rec(&owner, RType::A, &[10, 0, 0, byte]));
                }
            }
            build(r).unwrap()
        }

        proptest! {
            #[test]
            fn diff_apply_and_invert(
                a in proptest::collection::vec((0usize..6, any::<bool>(), 0u8..4), 0..12),
                b in proptest::collection::vec((0usize..6, any::<bool>(), 0u8..4), 0..12),
            ) {
                let old = zone_of(1, &a);
                let new = zone_of(2, &b);
                let diff = Diff::between(&old, &new);
                let applied = old.apply(&diff).unwrap();
                prop_assert_eq!(applied.records_canonical(), new.records_canonical());
                prop_assert_eq!(applied.name_count(), new.name_count());
                let back = applied.apply(&diff.invert()).unwrap();
                prop_assert_eq!(back.records_canonical(), old.records_canonical());
                prop_assert_eq!(back.name_count(), old.name_count());
                prop_assert_eq!(back.record_count(), old.record_count());
            }
        }
    }
}
