//! Reading a whole UPDATE message (RFC 2136 §2) into typed operations.
//!
//! The four sections of an UPDATE reuse the query sections: zone
//! (question), prerequisites (answer), updates (authority) and additional.
//! The meaning of a prerequisite or update RR lies in its class, TTL and
//! rdata length (RFC 2136 §2.4, §2.5); this parser turns each RR into one
//! variant of [`Prerequisite`] or [`Update`], so the processing code never
//! sees a combination the RFC does not define. Every structural problem —
//! a bad class, a non-zero TTL where zero is required, rdata on a delete,
//! a meta type where data is expected, rdata that does not fit its type —
//! is FORMERR for the whole message, before any zone data is consulted.
//!
//! The parser never panics and never trusts a count or a length: every
//! read is bounds-checked, compressed names must point backwards (see
//! [`crate::wire::message::skip_name`]), and bytes after the last record
//! are malformed.

use crate::rdata::{read_rdata, Class, RType};
use crate::wire::message::{opcode, rcode, read_name, HEADER_LEN};
use crate::zone::name::Name;
use crate::zone::record::Record;

/// A parsed UPDATE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    /// The message ID, echoed in the answer.
    pub id: u16,
    /// The zone named in the zone section (ZNAME).
    pub zone: Name,
    /// The prerequisite section, in message order.
    pub prerequisites: Vec<Prerequisite>,
    /// The update section, in message order (order matters: RFC 2136
    /// §3.4.2 applies the RRs one after another).
    pub updates: Vec<Update>,
}

/// One prerequisite RR (RFC 2136 §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prerequisite {
    /// Class ANY, type ANY: the name owns at least one RR (else NXDOMAIN).
    NameInUse(Name),
    /// Class NONE, type ANY: the name owns no RR (else YXDOMAIN).
    NameNotInUse(Name),
    /// Class ANY, a type: an RRset of that type exists (else NXRRSET).
    RRsetExists(Name, RType),
    /// Class NONE, a type: no RRset of that type exists (else YXRRSET).
    RRsetAbsent(Name, RType),
    /// Zone class: one member of an RRset that must exist with exactly the
    /// members listed (all such RRs of one name and type form the set).
    RRsetMember {
        owner: Name,
        rtype: RType,
        rdata: Box<[u8]>,
    },
}

impl Prerequisite {
    /// The name the prerequisite is about.
    pub fn owner(&self) -> &Name {
        match self {
            Prerequisite::NameInUse(n)
            | Prerequisite::NameNotInUse(n)
            | Prerequisite::RRsetExists(n, _)
            | Prerequisite::RRsetAbsent(n, _) => n,
            Prerequisite::RRsetMember { owner, .. } => owner,
        }
    }
}

/// One update RR (RFC 2136 §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// Zone class: add this RR (§2.5.1).
    Add(Record),
    /// Class ANY, a type: delete the RRset (§2.5.2).
    DeleteRRset { owner: Name, rtype: RType },
    /// Class ANY, type ANY: delete every RRset at the name (§2.5.3).
    DeleteName(Name),
    /// Class NONE: delete the RR with this rdata (§2.5.4).
    DeleteRR {
        owner: Name,
        rtype: RType,
        rdata: Box<[u8]>,
    },
}

impl Update {
    /// The name the update touches.
    pub fn owner(&self) -> &Name {
        match self {
            Update::Add(r) => &r.owner,
            Update::DeleteRRset { owner, .. }
            | Update::DeleteName(owner)
            | Update::DeleteRR { owner, .. } => owner,
        }
    }
    /// The type it touches; ANY for [`Update::DeleteName`].
    pub fn rtype(&self) -> RType {
        match self {
            Update::Add(r) => r.rtype,
            Update::DeleteRRset { rtype, .. } | Update::DeleteRR { rtype, .. } => *rtype,
            Update::DeleteName(_) => RType::ANY,
        }
    }
}

/// The fixed part of one RR, with its rdata still in the message.
struct RawRr {
    owner: Name,
    rtype: RType,
    class: Class,
    ttl: u32,
    rdata_at: usize,
    rdlen: usize,
}

/// A cursor over the message; every method fails instead of reading past
/// the end.
struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u16(&mut self) -> Option<u16> {
        let b = self.msg.get(self.pos..self.pos + 2)?;
        self.pos += 2;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.msg.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn name(&mut self) -> Option<Name> {
        let (name, next) = read_name(self.msg, self.pos)?;
        self.pos = next;
        Some(name)
    }
    fn rr(&mut self) -> Option<RawRr> {
        let owner = self.name()?;
        let rtype = RType(self.u16()?);
        let class = Class(self.u16()?);
        let ttl = self.u32()?;
        let rdlen = self.u16()? as usize;
        let rdata_at = self.pos;
        if rdata_at + rdlen > self.msg.len() {
            return None;
        }
        self.pos += rdlen;
        Some(RawRr {
            owner,
            rtype,
            class,
            ttl,
            rdata_at,
            rdlen,
        })
    }
    fn rdata(&self, rr: &RawRr) -> Option<Box<[u8]>> {
        read_rdata(self.msg, rr.rdata_at, rr.rdlen, rr.rtype)
            .ok()
            .map(Vec::into_boxed_slice)
    }
}

/// Parses a whole UPDATE message; `Err` holds the rcode to answer with
/// (always FORMERR). A trailing TSIG RR in the additional section is
/// tolerated (the caller verifies and strips it, or checks it itself);
/// the rest of the additional section is ignored (RFC 2136 §3.8 gives it
/// no meaning for the server).
pub fn parse_update(msg: &[u8]) -> Result<UpdateRequest, u16> {
    parse(msg).ok_or(rcode::FORMERR)
}

fn parse(msg: &[u8]) -> Option<UpdateRequest> {
    let header = msg.get(..HEADER_LEN)?;
    let word = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let id = word(0);
    let flags = word(2);
    // A response, or another opcode, is not an update request.
    if flags & 0x8000 != 0 || ((flags >> 11) & 0xF) as u8 != opcode::UPDATE {
        return None;
    }
    let (zocount, prcount, upcount, adcount) = (word(4), word(6), word(8), word(10));
    // RFC 2136 §3.1.1: exactly one zone, type SOA.
    if zocount != 1 {
        return None;
    }
    let mut r = Reader {
        msg,
        pos: HEADER_LEN,
    };
    let zone = r.name()?;
    let (ztype, zclass) = (RType(r.u16()?), Class(r.u16()?));
    if ztype != RType::SOA || zclass != Class::IN {
        return None;
    }
    // Counts are not trusted for allocation: each RR takes 11 octets or more.
    let cap = |n: u16| (n as usize).min(msg.len() / 11);
    let mut prerequisites = Vec::with_capacity(cap(prcount));
    for _ in 0..prcount {
        let rr = r.rr()?;
        prerequisites.push(prerequisite(&r, rr)?);
    }
    let mut updates = Vec::with_capacity(cap(upcount));
    for _ in 0..upcount {
        let rr = r.rr()?;
        updates.push(update(&r, rr)?);
    }
    for i in 0..adcount {
        let rr = r.rr()?;
        // RFC 8945 §5.1: a TSIG anywhere but last makes the message malformed.
        if rr.rtype == RType::TSIG && i + 1 != adcount {
            return None;
        }
    }
    if r.pos != msg.len() {
        return None;
    }
    Some(UpdateRequest {
        id,
        zone,
        prerequisites,
        updates,
    })
}

/// RFC 2136 §2.4 / §3.2: what a prerequisite RR means, or `None` (FORMERR).
fn prerequisite(r: &Reader<'_>, rr: RawRr) -> Option<Prerequisite> {
    if rr.ttl != 0 {
        return None;
    }
    let rdata = || r.rdata(&rr);
    match rr.class {
        Class::ANY | Class::NONE => {
            if rr.rdlen != 0 || (rr.rtype.is_meta() && rr.rtype != RType::ANY) {
                return None;
            }
            let owner = rr.owner;
            Some(match (rr.class == Class::ANY, rr.rtype == RType::ANY) {
                (true, true) => Prerequisite::NameInUse(owner),
                (true, false) => Prerequisite::RRsetExists(owner, rr.rtype),
                (false, true) => Prerequisite::NameNotInUse(owner),
                (false, false) => Prerequisite::RRsetAbsent(owner, rr.rtype),
            })
        }
        Class::IN if !rr.rtype.is_meta() => Some(Prerequisite::RRsetMember {
            rdata: rdata()?,
            owner: rr.owner,
            rtype: rr.rtype,
        }),
        _ => None,
    }
}

/// RFC 2136 §2.5 / §3.4.1.3: what an update RR means, or `None` (FORMERR).
fn update(r: &Reader<'_>, rr: RawRr) -> Option<Update> {
    match rr.class {
        Class::IN if !rr.rtype.is_meta() => {
            let rdata = r.rdata(&rr)?;
            Some(Update::Add(Record {
                owner: rr.owner,
                class: Class::IN,
                ttl: rr.ttl,
                rtype: rr.rtype,
                rdata,
            }))
        }
        Class::ANY => {
            if rr.ttl != 0 || rr.rdlen != 0 {
                return None;
            }
            match rr.rtype {
                RType::ANY => Some(Update::DeleteName(rr.owner)),
                t if t.is_meta() => None,
                rtype => Some(Update::DeleteRRset {
                    owner: rr.owner,
                    rtype,
                }),
            }
        }
        Class::NONE if rr.ttl == 0 && !rr.rtype.is_meta() => Some(Update::DeleteRR {
            rdata: r.rdata(&rr)?,
            owner: rr.owner,
            rtype: rr.rtype,
        }),
        _ => None,
    }
}
