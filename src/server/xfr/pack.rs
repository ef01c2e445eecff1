//! Packing transfer records into messages, fast.
//!
//! A transfer writes every record of the zone, so the general
//! [`crate::wire::builder::MessageBuilder`] (which searches every name
//! written so far for a suffix) would cost more than the rest of the
//! transfer. Zone data allows a cheaper scheme that catches almost all of
//! the gain: every name in a zone ends in the apex, and records come
//! grouped by owner. So a name is compressed two ways only:
//!
//! - equal to the previous owner (exact bytes): a pointer to it;
//! - ending in the apex (exact bytes, on a label boundary): its own
//!   labels, then a pointer to where the apex was first written (the
//!   question, when the client spelled the apex as we do).
//!
//! Matches are case-sensitive so every name keeps the case it has in the
//! zone. Names in rdata are compressed only for the RFC 1035 types (RFC
//! 3597 §4). Pointers must land below 0x4000: later positions are simply
//! not remembered.

use crate::rdata::RType;
use crate::wire::builder::{rdata_parts, Full};
use crate::wire::message::HEADER_LEN;

/// Offsets at which compression pointers may point.
const MAX_POINTER: usize = 0x3FFF;

/// One record to pack, borrowed from the zone or a diff.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Owner in uncompressed wire form.
    pub owner: &'a [u8],
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    /// Uncompressed wire rdata.
    pub rdata: &'a [u8],
}

/// One transfer message under construction.
pub struct Packer {
    buf: Vec<u8>,
    limit: usize,
    count: u16,
    apex: Vec<u8>,
    apex_at: Option<u16>,
    prev_owner: (usize, usize),
    prev_owner_at: Option<u16>,
    /// Payload size to advertise in an OPT record (EDNS requests only).
    opt: Option<u16>,
}

/// Size of an OPT record without options.
const OPT_LEN: usize = 11;

impl Packer {
    /// A packer for the zone at `apex` (wire form, the zone's own case).
    pub fn new(apex: &[u8]) -> Packer {
        Packer {
            buf: Vec::with_capacity(64 * 1024),
            limit: 512,
            count: 0,
            apex: apex.to_vec(),
            apex_at: None,
            prev_owner: (0, 0),
            prev_owner_at: None,
            opt: None,
        }
    }

    /// Adds an OPT record advertising `udp_size` at [`Packer::finish`]
    /// (RFC 6891 §6.1.1: an EDNS request gets an EDNS answer); call after
    /// [`Packer::start`], its room is taken from the limit.
    pub fn set_opt(&mut self, udp_size: u16) {
        if self.opt.is_none() {
            self.limit = self.limit.saturating_sub(OPT_LEN);
        }
        self.opt = Some(udp_size);
    }

    /// Starts a message: header (`flags` with the rcode), the question as
    /// sent, and a size `limit` for everything before a TSIG record.
    pub fn start(&mut self, id: u16, flags: u16, question: (&[u8], u16, u16), limit: usize) {
        self.buf.clear();
        self.count = 0;
        self.limit = limit;
        self.prev_owner_at = None;
        self.apex_at = None;
        self.opt = None;
        self.buf.extend_from_slice(&id.to_be_bytes());
        self.buf.extend_from_slice(&flags.to_be_bytes());
        self.buf.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        let (qname, qtype, qclass) = question;
        if qname == self.apex.as_slice() {
            self.apex_at = Some(HEADER_LEN as u16);
        }
        self.buf.extend_from_slice(qname);
        self.buf.extend_from_slice(&qtype.to_be_bytes());
        self.buf.extend_from_slice(&qclass.to_be_bytes());
    }

    /// Records in the answer section so far.
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Size of the message so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing has been started.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends one record to the answer section, or nothing when it would
    /// pass the limit.
    pub fn push(&mut self, r: &RecordRef<'_>) -> Result<(), Full> {
        let mark = (
            self.buf.len(),
            self.apex_at,
            self.prev_owner,
            self.prev_owner_at,
        );
        let owner_at = self.buf.len();
        self.write_name(r.owner, true);
        self.buf.extend_from_slice(&r.rtype.0.to_be_bytes());
        self.buf.extend_from_slice(&r.class.to_be_bytes());
        self.buf.extend_from_slice(&r.ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.write_rdata(r.rtype, r.rdata);
        let rdlen = self.buf.len() - len_at - 2;
        if self.buf.len() > self.limit || rdlen > u16::MAX as usize || self.count == u16::MAX - 1 {
            self.buf.truncate(mark.0);
            (self.apex_at, self.prev_owner, self.prev_owner_at) = (mark.1, mark.2, mark.3);
            return Err(Full);
        }
        self.buf[len_at..len_at + 2].copy_from_slice(&(rdlen as u16).to_be_bytes());
        self.count += 1;
        if owner_at <= MAX_POINTER {
            self.prev_owner_at = Some(owner_at as u16);
            self.prev_owner = (owner_at, r.owner.len());
        } else {
            self.prev_owner_at = None;
        }
        Ok(())
    }

    /// Writes the answer count (and the OPT record) and returns the
    /// message, ready for a TSIG record. Call once per message.
    pub fn finish(&mut self) -> &mut Vec<u8> {
        self.buf[6..8].copy_from_slice(&self.count.to_be_bytes());
        if let Some(size) = self.opt.take() {
            self.buf.push(0);
            self.buf.extend_from_slice(&RType::OPT.0.to_be_bytes());
            self.buf.extend_from_slice(&size.to_be_bytes());
            self.buf.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            self.buf[10..12].copy_from_slice(&1u16.to_be_bytes());
        }
        &mut self.buf
    }

    fn write_name(&mut self, wire: &[u8], is_owner: bool) {
        if is_owner {
            if let Some(at) = self.prev_owner_at {
                let (start, len) = self.prev_owner;
                if len == wire.len() && self.same_as_written(start, wire) {
                    self.buf.extend_from_slice(&(0xC000 | at).to_be_bytes());
                    return;
                }
            }
        }
        match self.apex_prefix(wire) {
            Some(prefix) => {
                self.buf.extend_from_slice(&wire[..prefix]);
                match self.apex_at {
                    Some(at) => self.buf.extend_from_slice(&(0xC000 | at).to_be_bytes()),
                    None => {
                        let at = self.buf.len();
                        self.buf.extend_from_slice(&wire[prefix..]);
                        if at <= MAX_POINTER {
                            self.apex_at = Some(at as u16);
                        }
                    }
                }
            }
            None => self.buf.extend_from_slice(wire),
        }
    }

    /// True when the owner written at `start` (uncompressed prefix, maybe
    /// then a pointer) spells `wire`; only called with an equal length,
    /// and cheap because owners of one node repeat back to back.
    fn same_as_written(&self, start: usize, wire: &[u8]) -> bool {
        let mut pos = start;
        let mut i = 0usize;
        // Follow at most a few pointers: they only ever point backwards.
        for _ in 0..8 {
            loop {
                let Some(&b) = self.buf.get(pos) else {
                    return false;
                };
                if b & 0xC0 == 0xC0 {
                    let Some(&lo) = self.buf.get(pos + 1) else {
                        return false;
                    };
                    pos = (((b & 0x3F) as usize) << 8) | lo as usize;
                    break;
                }
                let n = b as usize + 1;
                if wire.get(i..i + n) != self.buf.get(pos..pos + n) {
                    return false;
                }
                i += n;
                pos += n;
                if b == 0 {
                    return i == wire.len();
                }
            }
        }
        false
    }

    /// Length of the labels before the apex when `wire` ends in it.
    fn apex_prefix(&self, wire: &[u8]) -> Option<usize> {
        let alen = self.apex.len();
        let mut pos = 0usize;
        while wire.len() - pos > alen {
            pos += 1 + *wire.get(pos)? as usize;
        }
        (wire.len() - pos == alen && wire[pos..] == self.apex[..]).then_some(pos)
    }

    fn write_rdata(&mut self, rtype: RType, rd: &[u8]) {
        // A name in rdata is never the previous owner again: only the
        // apex pointer applies (`is_owner` false).
        rdata_parts(rtype, rd, |part, is_name| {
            if is_name {
                self.write_name(part, false);
            } else {
                self.buf.extend_from_slice(part);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Message;
    use hickory_proto::serialize::binary::BinDecodable;

    fn wire(s: &str) -> Vec<u8> {
        s.parse::<crate::zone::name::Name>()
            .unwrap()
            .as_wire()
            .to_vec()
    }

    fn rr<'a>(owner: &'a [u8], rtype: RType, rdata: &'a [u8]) -> RecordRef<'a> {
        RecordRef {
            owner,
            rtype,
            class: 1,
            ttl: 300,
            rdata,
        }
    }

    #[test]
    fn compresses_and_decodes() {
        let apex = wire("Example.com");
        let www = wire("www.Example.com");
        let mail = wire("mail.other.net");
        let mut mx = vec![0, 10];
        mx.extend_from_slice(&wire("mx.Example.com"));
        let mut p = Packer::new(&apex);
        p.start(7, 0x8400, (&wire("example.com"), 252, 1), 65535);
        p.push(&rr(&apex, RType::MX, &mx)).unwrap();
        p.push(&rr(&www, RType::A, &[192, 0, 2, 1])).unwrap();
        p.push(&rr(&www, RType::A, &[192, 0, 2, 2])).unwrap();
        p.push(&rr(&www, RType::CNAME, &mail)).unwrap();
        p.push(&rr(&mail, RType::A, &[192, 0, 2, 3])).unwrap();
        let msg = p.finish().clone();
        let m = Message::from_bytes(&msg).expect("hickory decodes it");
        let got: Vec<String> = m.answers.iter().map(|r| r.to_string()).collect();
        assert_eq!(got.len(), 5);
        assert!(
            got[0].starts_with("Example.com. 300 IN MX 10 mx.Example.com."),
            "{got:?}"
        );
        assert!(
            got[1].starts_with("www.Example.com. 300 IN A 192.0.2.1"),
            "{got:?}"
        );
        assert!(
            got[2].starts_with("www.Example.com. 300 IN A 192.0.2.2"),
            "{got:?}"
        );
        assert!(got[3].contains("mail.other.net."), "{got:?}");
        assert!(got[4].starts_with("mail.other.net."), "{got:?}");
        // header 12 + question 17; apex owner in full (the question's case
        // differs) 13+10 + MX 2+\x02mx+ptr 5; www: 4+ptr+10+4; www again: ptr
        // 2+10+4; CNAME 2+10+16; mail.other.net in full 16+10+4.
        assert_eq!(msg.len(), 29 + 30 + 20 + 16 + 28 + 30);
    }

    #[test]
    fn full_leaves_message_intact() {
        let apex = wire("example.com");
        let mut p = Packer::new(&apex);
        p.start(1, 0x8400, (&apex, 252, 1), 80);
        let txt = [5u8, b'h', b'e', b'l', b'l', b'o'];
        let mut n = 0;
        while p.push(&rr(&apex, RType::TXT, &txt)).is_ok() {
            n += 1;
        }
        assert!(n >= 1);
        let before = p.len();
        assert_eq!(p.push(&rr(&apex, RType::TXT, &txt)), Err(Full));
        assert_eq!(p.len(), before);
        let msg = p.finish().clone();
        let m = Message::from_bytes(&msg).unwrap();
        assert_eq!(m.answers.len(), n);
    }

    #[test]
    fn opt_is_appended_within_the_limit() {
        let apex = wire("example.com");
        let mut p = Packer::new(&apex);
        p.start(1, 0x8400, (&apex, 251, 1), 512);
        p.set_opt(1232);
        let txt = [200u8; 201];
        let mut n = 0;
        while p.push(&rr(&apex, RType::TXT, &txt)).is_ok() {
            n += 1;
        }
        let msg = p.finish().clone();
        assert!(msg.len() <= 512, "{}", msg.len());
        let m = Message::from_bytes(&msg).unwrap();
        assert_eq!(m.answers.len(), n);
        assert_eq!(m.edns.as_ref().map(|e| e.max_payload()), Some(1232));
    }

    #[test]
    fn question_in_other_case_is_not_a_pointer_target() {
        let apex = wire("example.com");
        let mut p = Packer::new(&apex);
        p.start(1, 0x8400, (&wire("EXAMPLE.COM"), 252, 1), 65535);
        p.push(&rr(&wire("a.example.com"), RType::A, &[1, 2, 3, 4]))
            .unwrap();
        p.push(&rr(&wire("b.example.com"), RType::A, &[1, 2, 3, 5]))
            .unwrap();
        let msg = p.finish().clone();
        let m = Message::from_bytes(&msg).unwrap();
        let owners: Vec<String> = m.answers.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(owners, ["a.example.com.", "b.example.com."]);
    }
}
