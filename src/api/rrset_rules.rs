//! The zone rules a PATCH of RRsets can break, checked on the touched
//! owners only.
//!
//! Applying a diff to a whole version just to see whether it is valid
//! costs a copy of the version's overlay (and now and then a fold of a
//! million-name table) — and the commit path applies it again. Every rule
//! that [`ZoneVersion::apply`] and the PATCH add is local to one node, so
//! it is enough to work out, for each owner a change touches, which RRsets
//! the node would hold afterwards:
//! - RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME stands alone (DNSSEC
//!   records aside) — `apply` does not check this one;
//! - the apex keeps its NS RRset (its SOA is the server's and cannot be
//!   patched);
//! - a node holds at most 255 RRsets, an RRset at most 65535 records, an
//!   rdata at most 65535 octets (the packed node format).
//!
//! The changes must be consistent with the version (records removed exist,
//! records added do not): the PATCH builds its diff from the version, so
//! they are by construction.

use std::collections::BTreeMap;

use super::errors::ApiError;
use crate::rdata::RType;
use crate::zone::diff::DiffError;
use crate::zone::name::Name;
use crate::zone::version::{ZoneError, ZoneVersion};

/// One change as the rules see it: owner, type, and how many records the
/// RRset holds afterwards (0 = deleted) with their longest rdata.
pub struct Touched<'a> {
    pub owner: &'a Name,
    pub rtype: RType,
    pub records: usize,
    pub longest_rdata: usize,
}

/// The RRset types at one owner after the changes, with the index of the
/// first change at that owner (for the error's field).
struct After<'a> {
    first: usize,
    owner: &'a Name,
    sets: BTreeMap<RType, usize>,
}

/// Checks the rules on every owner the changes touch. An error names the
/// change at fault as `changes[i]` (`changes` when the apex loses its NS,
/// as applying the whole request did).
pub fn check(current: &ZoneVersion, changes: &[Touched<'_>]) -> Result<(), ApiError> {
    let limit = usize::from(u16::MAX);
    // Keyed by owner (names compare case-insensitively), in canonical order.
    let mut owners: BTreeMap<&Name, After<'_>> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.records > limit || c.longest_rdata > limit {
            return Err(ApiError::invalid(
                format!("changes[{i}].records"),
                format!(
                    "{} {}: at most 65535 records of at most 65535 octets each",
                    c.owner, c.rtype
                ),
            ));
        }
        let after = owners.entry(c.owner).or_insert_with(|| After {
            first: i,
            owner: c.owner,
            sets: current
                .node(c.owner)
                .map(|n| n.rrsets().map(|s| (s.rtype, s.len())).collect())
                .unwrap_or_default(),
        });
        if c.records == 0 {
            after.sets.remove(&c.rtype);
        } else {
            after.sets.insert(c.rtype, c.records);
        }
    }
    let mut afters: Vec<&After<'_>> = owners.values().collect();
    afters.sort_by_key(|a| a.first);
    // The rules `apply` enforces first, as when the whole diff was applied
    // to check it; then the CNAME rule, at the first owner breaking it.
    for a in &afters {
        if a.sets.len() > usize::from(u8::MAX) {
            return Err(ApiError::invalid(
                format!("changes[{}]", a.first),
                format!("{} would hold more than 255 RRsets", a.owner),
            ));
        }
        if a.owner == current.apex() && !a.sets.contains_key(&RType::NS) {
            let e = DiffError::Zone(ZoneError::NoNs(current.apex().clone()));
            return Err(ApiError::invalid("changes", e.to_string()));
        }
    }
    for a in &afters {
        let other_data = a.sets.keys().any(|t| *t != RType::CNAME && !t.is_dnssec());
        if a.sets.contains_key(&RType::CNAME) && other_data {
            return Err(ApiError::invalid(
                format!("changes[{}]", a.first),
                format!("{} would hold a CNAME beside other data", a.owner),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::rdata::Class;
    use crate::zone::builder::ZoneBuilder;
    use crate::zone::record::Record;

    fn name(s: &str) -> Name {
        s.parse().expect("name")
    }

    /// example.com: its SOA, then `recs` (owner, type, rdata), all with
    /// TTL 300, through the zone builder (the zone rules hold).
    pub(in crate::api) fn example_zone(recs: &[(&str, RType, Vec<u8>)]) -> ZoneVersion {
        let apex = name("example.com");
        let mut b = ZoneBuilder::new(apex.clone(), Class::IN);
        let soa = crate::rdata::from_str(RType::SOA, "ns1 host 1 2 3 4 5", &apex).expect("soa");
        b.add(Record::new(apex, RType::SOA, 300, soa)).expect("soa");
        for (o, t, rd) in recs {
            b.add(Record::new(name(o), *t, 300, rd.clone()))
                .expect("add");
        }
        b.finish().expect("zone")
    }

    fn zone() -> ZoneVersion {
        example_zone(&[
            (
                "example.com",
                RType::NS,
                name("ns1.example.com").as_wire().to_vec(),
            ),
            ("ns1.example.com", RType::A, vec![192, 0, 2, 1]),
            ("www.example.com", RType::A, vec![192, 0, 2, 2]),
            (
                "alias.example.com",
                RType::CNAME,
                name("www.example.com").as_wire().to_vec(),
            ),
        ])
    }

    fn change(owner: &Name, rtype: RType, records: usize) -> Touched<'_> {
        Touched {
            owner,
            rtype,
            records,
            longest_rdata: 4,
        }
    }

    fn field(r: Result<(), ApiError>) -> Option<String> {
        r.err().and_then(|e| e.body.field)
    }

    #[test]
    fn cname_beside_other_data_is_refused_at_its_change() {
        let z = zone();
        let (www, alias, new) = (
            name("WWW.example.com"),
            name("alias.example.com"),
            name("n.example.com"),
        );
        let ok = [change(&new, RType::A, 1)];
        assert!(check(&z, &ok).is_ok());
        let bad = [change(&new, RType::A, 1), change(&www, RType::CNAME, 1)];
        assert_eq!(field(check(&z, &bad)).as_deref(), Some("changes[1]"));
        let bad = [change(&alias, RType::TXT, 1)];
        assert_eq!(field(check(&z, &bad)).as_deref(), Some("changes[0]"));
        // Replacing the A by a CNAME in one request is fine, and so is a
        // CNAME beside its DNSSEC records.
        let swap = [change(&www, RType::CNAME, 1), change(&www, RType::A, 0)];
        assert!(check(&z, &swap).is_ok());
        let signed = [change(&alias, RType::RRSIG, 1)];
        assert!(check(&z, &signed).is_ok());
        // Deleting the CNAME first makes room.
        let swap = [change(&alias, RType::CNAME, 0), change(&alias, RType::A, 1)];
        assert!(check(&z, &swap).is_ok());
    }

    #[test]
    fn the_apex_keeps_its_ns_and_limits_hold() {
        let z = zone();
        let apex = name("EXAMPLE.com");
        let e = check(&z, &[change(&apex, RType::NS, 0)]).expect_err("apex NS deleted");
        assert_eq!(e.body.field.as_deref(), Some("changes"));
        assert!(
            e.body.error.contains("no NS records at its apex"),
            "{}",
            e.body.error
        );
        assert!(check(&z, &[change(&apex, RType::NS, 2)]).is_ok());
        let many = [change(&apex, RType::TXT, 70_000)];
        assert_eq!(
            field(check(&z, &many)).as_deref(),
            Some("changes[0].records")
        );
        let types: Vec<Name> = vec![name("t.example.com")];
        let lots: Vec<Touched<'_>> = (1..=256u16)
            .map(|t| change(&types[0], RType(1000 + t), 1))
            .collect();
        assert_eq!(field(check(&z, &lots)).as_deref(), Some("changes[0]"));
        assert!(check(&z, &lots[..255]).is_ok());
    }
}
