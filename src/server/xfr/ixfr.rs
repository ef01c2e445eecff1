//! IXFR (RFC 1995): the client's serial, and the condensed answer.
//!
//! The journal holds one diff per serial; a client several serials behind
//! gets them condensed into one difference sequence (RFC 1995 §3 allows
//! it): a record added and later removed, or removed and later added back
//! unchanged, drops out. Records are compared with their TTL, so a TTL
//! change stays a delete plus an add.

use std::collections::HashMap;

use crate::rdata::RType;
use crate::wire::message::{skip_name, Request};
use crate::zone::diff::Diff;
use crate::zone::record::Record;

/// The serial in the SOA of an IXFR request's authority section (RFC 1995
/// §3); `None` when there is none or it is malformed (FORMERR).
pub fn client_serial(msg: &[u8], req: &Request<'_>) -> Option<u32> {
    let [an, ns, _] = req.counts;
    let mut pos = req.question_end;
    // Skip any answer records (there should be none).
    for _ in 0..an {
        pos = skip_rr(msg, pos)?;
    }
    for _ in 0..ns {
        let start = skip_name(msg, pos)?;
        let rtype = u16::from_be_bytes([*msg.get(start)?, *msg.get(start + 1)?]);
        let rdlen = u16::from_be_bytes([*msg.get(start + 8)?, *msg.get(start + 9)?]) as usize;
        let rdata = start + 10;
        if rtype == RType::SOA.0 {
            // MNAME and RNAME, maybe compressed, then the serial.
            let after = skip_name(msg, skip_name(msg, rdata)?)?;
            if after + 4 > rdata + rdlen {
                return None;
            }
            let s = msg.get(after..after + 4)?;
            return Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        }
        pos = rdata + rdlen;
    }
    None
}

fn skip_rr(msg: &[u8], pos: usize) -> Option<usize> {
    let p = skip_name(msg, pos)?;
    let rdlen = u16::from_be_bytes([*msg.get(p + 8)?, *msg.get(p + 9)?]) as usize;
    let end = p + 10 + rdlen;
    (end <= msg.len()).then_some(end)
}

/// Folds a chain of diffs into one, from the first diff's serial to the
/// last one's. `None` for an empty chain.
pub fn condense(chain: &[Diff]) -> Option<Diff> {
    let first = chain.first()?;
    let last = chain.last()?;
    let mut removed = Ordered::default();
    let mut added = Ordered::default();
    for d in chain {
        for r in d.removed.iter().filter(|r| r.rtype != RType::SOA) {
            if !added.take(r) {
                removed.put(r);
            }
        }
        for r in d.added.iter().filter(|r| r.rtype != RType::SOA) {
            if !removed.take(r) {
                added.put(r);
            }
        }
    }
    let soa = |records: &[Record]| records.iter().find(|r| r.rtype == RType::SOA).cloned();
    let mut out = Diff {
        serial_from: first.serial_from,
        serial_to: last.serial_to,
        removed: Vec::new(),
        added: Vec::new(),
    };
    out.removed.extend(soa(&first.removed));
    out.removed.extend(removed.into_vec());
    out.added.extend(soa(&last.added));
    out.added.extend(added.into_vec());
    Some(out)
}

/// A set of records that keeps insertion order.
#[derive(Default)]
struct Ordered {
    items: Vec<Option<Record>>,
    index: HashMap<Record, usize>,
}

impl Ordered {
    fn put(&mut self, r: &Record) {
        if !self.index.contains_key(r) {
            self.index.insert(r.clone(), self.items.len());
            self.items.push(Some(r.clone()));
        }
    }
    /// Removes `r` if present (same owner, type, class, TTL and rdata).
    fn take(&mut self, r: &Record) -> bool {
        match self.index.remove(r) {
            Some(i) => {
                self.items[i] = None;
                true
            }
            None => false,
        }
    }
    fn into_vec(self) -> Vec<Record> {
        self.items.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::name::Name;

    fn a(owner: &str, last: u8, ttl: u32) -> Record {
        Record::new(
            owner.parse::<Name>().unwrap(),
            RType::A,
            ttl,
            vec![192, 0, 2, last],
        )
    }
    fn soa(serial: u32) -> Record {
        let mut rd = vec![0u8, 0];
        rd.extend_from_slice(&serial.to_be_bytes());
        rd.extend_from_slice(&[0; 16]);
        Record::new("example.com".parse::<Name>().unwrap(), RType::SOA, 300, rd)
    }
    fn diff(from: u32, to: u32, removed: Vec<Record>, added: Vec<Record>) -> Diff {
        let mut d = Diff {
            serial_from: from,
            serial_to: to,
            removed: vec![soa(from)],
            added: vec![soa(to)],
        };
        d.removed.extend(removed);
        d.added.extend(added);
        d
    }

    #[test]
    fn add_then_remove_cancels_and_ttl_changes_stay() {
        let chain = [
            diff(1, 2, vec![], vec![a("x.example.com", 1, 300)]),
            diff(2, 3, vec![a("y.example.com", 2, 300)], vec![]),
            diff(3, 4, vec![a("x.example.com", 1, 300)], vec![]),
            diff(4, 5, vec![], vec![a("y.example.com", 2, 300)]),
            diff(
                5,
                6,
                vec![a("z.example.com", 3, 300)],
                vec![a("z.example.com", 3, 600)],
            ),
            diff(6, 7, vec![], vec![a("w.example.com", 4, 300)]),
        ];
        let c = condense(&chain).unwrap();
        assert_eq!((c.serial_from, c.serial_to), (1, 7));
        assert_eq!(c.removed, vec![soa(1), a("z.example.com", 3, 300)]);
        assert_eq!(
            c.added,
            vec![
                soa(7),
                a("z.example.com", 3, 600),
                a("w.example.com", 4, 300)
            ]
        );
        assert!(condense(&[]).is_none());
    }

    #[test]
    fn condensed_diff_applies_like_the_chain() {
        // Remove, add back with the same data: nothing left but SOAs.
        let chain = [
            diff(1, 2, vec![a("x.example.com", 1, 300)], vec![]),
            diff(2, 3, vec![], vec![a("x.example.com", 1, 300)]),
        ];
        let c = condense(&chain).unwrap();
        assert_eq!(c.removed, vec![soa(1)]);
        assert_eq!(c.added, vec![soa(3)]);
    }

    #[test]
    fn reads_the_client_serial() {
        // IXFR query for example.com with serial 42 in the authority SOA,
        // whose names are compressed against the question.
        let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
        let qname = Name::parse("example.com.", None).unwrap();
        m.extend_from_slice(qname.as_wire());
        m.extend_from_slice(&[0, 251, 0, 1]);
        m.extend_from_slice(&[0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 0]);
        let rdata = [&[0xC0u8, 12, 0xC0, 12][..], &42u32.to_be_bytes(), &[0; 16]].concat();
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
        let req = crate::wire::message::parse_request(&m).unwrap();
        assert_eq!(client_serial(&m, &req), Some(42));
        // Without the SOA there is no serial.
        let mut bare = m[..12 + 13 + 4].to_vec();
        bare[9] = 0;
        let req = crate::wire::message::parse_request(&bare).unwrap();
        assert_eq!(client_serial(&bare, &req), None);
    }
}
