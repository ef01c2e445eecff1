//! Writing DNS responses with name compression and a size limit.
//!
//! The builder appends records into a reusable buffer. Names are
//! compressed (RFC 1035 §4.1.4) against every name written so far, with a
//! case-sensitive match so that each owner keeps exactly the case it has
//! in the zone (or in the question, for synthesized owners). Names inside
//! rdata are compressed only for the RFC 1035 types (RFC 3597 §4).
//!
//! A whole RRset is added or nothing of it: if it would pass the limit the
//! buffer is rolled back and [`Full`] returned, and the caller decides
//! between setting TC and leaving the RRset out.

use crate::rdata::RType;
use crate::wire::message::HEADER_LEN;

/// The message reached its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// The sections after the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer = 0,
    Authority = 1,
    Additional = 2,
}

/// Offsets at which compression pointers may point (< 0x4000).
const MAX_POINTER: usize = 0x3FFF;

/// A response under construction.
pub struct MessageBuilder {
    buf: Vec<u8>,
    limit: usize,
    counts: [u16; 3],
    /// (offset in message, start in `arena`, length): a name suffix that
    /// was written uncompressed at that offset.
    names: Vec<(u16, u16, u8)>,
    arena: Vec<u8>,
    /// State right after the question, for [`MessageBuilder::rollback_to_question`].
    after_question: Mark,
}

/// A rollback point.
#[derive(Clone, Copy)]
pub struct Mark {
    len: usize,
    counts: [u16; 3],
    names: usize,
    arena: usize,
}

impl Default for MessageBuilder {
    fn default() -> Self {
        MessageBuilder::new()
    }
}

impl MessageBuilder {
    pub fn new() -> MessageBuilder {
        MessageBuilder {
            buf: Vec::with_capacity(4096),
            limit: 512,
            counts: [0; 3],
            names: Vec::with_capacity(32),
            arena: Vec::with_capacity(512),
            after_question: Mark {
                len: 0,
                counts: [0; 3],
                names: 0,
                arena: 0,
            },
        }
    }

    /// Starts a response: header with `id` and `flags`, and the question
    /// copied as sent (`qname` in wire form). `limit` caps the size.
    pub fn start(
        &mut self,
        id: u16,
        flags: u16,
        question: Option<(&[u8], u16, u16)>,
        limit: usize,
    ) {
        self.buf.clear();
        self.names.clear();
        self.arena.clear();
        self.counts = [0; 3];
        self.limit = limit.max(HEADER_LEN);
        self.buf.extend_from_slice(&id.to_be_bytes());
        self.buf.extend_from_slice(&flags.to_be_bytes());
        let qd: u16 = u16::from(question.is_some());
        self.buf.extend_from_slice(&qd.to_be_bytes());
        self.buf.extend_from_slice(&[0; 6]);
        if let Some((qname, qtype, qclass)) = question {
            self.write_name(qname, true);
            self.buf.extend_from_slice(&qtype.to_be_bytes());
            self.buf.extend_from_slice(&qclass.to_be_bytes());
        }
        self.after_question = self.mark();
    }

    /// Drops every record, keeping header and question (for TC answers).
    pub fn rollback_to_question(&mut self) {
        self.rollback(self.after_question);
    }

    /// Changes the size limit (e.g. to reserve room for OPT).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }
    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Sets or clears header flag bits.
    pub fn set_flags(&mut self, set: u16, clear: u16) {
        let f = (u16::from_be_bytes([self.buf[2], self.buf[3]]) & !clear) | set;
        self.buf[2..4].copy_from_slice(&f.to_be_bytes());
    }

    /// Sets the 4-bit header RCODE.
    pub fn set_rcode(&mut self, rcode: u16) {
        self.set_flags(rcode & 0xF, 0xF);
    }

    pub fn count(&self, section: Section) -> u16 {
        self.counts[section as usize]
    }

    pub fn mark(&self) -> Mark {
        Mark {
            len: self.buf.len(),
            counts: self.counts,
            names: self.names.len(),
            arena: self.arena.len(),
        }
    }

    pub fn rollback(&mut self, m: Mark) {
        self.buf.truncate(m.len);
        self.counts = m.counts;
        self.names.truncate(m.names);
        self.arena.truncate(m.arena);
    }

    /// Adds every rdata of one RRset, all or nothing.
    pub fn push_rrset<'a>(
        &mut self,
        section: Section,
        owner: &[u8],
        rtype: RType,
        class: u16,
        ttl: u32,
        rdatas: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), Full> {
        let m = self.mark();
        for rd in rdatas {
            if let Err(e) = self.push_rr(section, owner, rtype, class, ttl, rd) {
                self.rollback(m);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Adds one record (rolled back if it does not fit).
    pub fn push_rr(
        &mut self,
        section: Section,
        owner: &[u8],
        rtype: RType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), Full> {
        let m = self.mark();
        self.write_name(owner, true);
        self.buf.extend_from_slice(&rtype.0.to_be_bytes());
        self.buf.extend_from_slice(&class.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.write_rdata(rtype, rdata);
        let rdlen = self.buf.len() - len_at - 2;
        if self.buf.len() > self.limit || rdlen > u16::MAX as usize {
            self.rollback(m);
            return Err(Full);
        }
        self.buf[len_at..len_at + 2].copy_from_slice(&(rdlen as u16).to_be_bytes());
        self.counts[section as usize] += 1;
        Ok(())
    }

    /// Appends an OPT record (RFC 6891) regardless of the limit: the
    /// caller reserved room for it.
    pub fn push_opt(&mut self, udp_size: u16, ext_rcode: u8, dnssec_ok: bool) {
        self.buf.push(0);
        self.buf.extend_from_slice(&RType::OPT.0.to_be_bytes());
        self.buf.extend_from_slice(&udp_size.to_be_bytes());
        let ttl: u32 = ((ext_rcode as u32) << 24) | if dnssec_ok { 0x8000 } else { 0 };
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.counts[Section::Additional as usize] += 1;
    }

    /// Writes the section counts and returns the message.
    pub fn finish(&mut self) -> &[u8] {
        for (i, c) in self.counts.iter().enumerate() {
            let at = 6 + 2 * i;
            self.buf[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
        &self.buf
    }

    /// Writes rdata, compressing the embedded names of RFC 1035 types.
    fn write_rdata(&mut self, rtype: RType, rd: &[u8]) {
        rdata_parts(rtype, rd, |part, is_name| {
            if is_name {
                self.write_name(part, true);
            } else {
                self.buf.extend_from_slice(part);
            }
        });
    }

    /// Writes a wire name, replacing the longest already-written suffix
    /// (exact case) by a pointer.
    fn write_name(&mut self, wire: &[u8], compress: bool) {
        // The first (longest) suffix already in the message.
        let mut s = 0usize;
        let mut pointer = None;
        while s < wire.len() && wire[s] != 0 {
            if compress {
                if let Some(off) = self.find(&wire[s..]) {
                    pointer = Some(off);
                    break;
                }
            }
            s += 1 + wire[s] as usize;
        }
        let s = s.min(wire.len());
        self.register(wire, s);
        self.buf.extend_from_slice(&wire[..s]);
        match pointer {
            Some(off) => self.buf.extend_from_slice(&(0xC000 | off).to_be_bytes()),
            None => self.buf.push(0),
        }
    }

    /// Remembers the suffixes of `wire` that start before `upto`, at the
    /// offsets they are about to be written to.
    fn register(&mut self, wire: &[u8], upto: usize) {
        if upto == 0 {
            return;
        }
        let base = self.buf.len();
        let astart = self.arena.len();
        self.arena.extend_from_slice(wire);
        let mut t = 0usize;
        while t < upto {
            let at = base + t;
            if at > MAX_POINTER || astart + t > u16::MAX as usize {
                break;
            }
            self.names
                .push((at as u16, (astart + t) as u16, (wire.len() - t) as u8));
            t += 1 + wire[t] as usize;
        }
    }

    fn find(&self, suffix: &[u8]) -> Option<u16> {
        self.names.iter().find_map(|&(off, a, len)| {
            let a = a as usize;
            (len as usize == suffix.len() && &self.arena[a..a + len as usize] == suffix)
                .then_some(off)
        })
    }
}

/// The names inside an RR's rdata that a writer may compress: those of the
/// RFC 1035 types (RFC 3597 §4 forbids it for every later type). Each entry
/// is the number of fixed octets before the next name.
fn compressible_names(rtype: RType) -> &'static [usize] {
    match rtype {
        RType::NS
        | RType::CNAME
        | RType::PTR
        | RType::MD
        | RType::MF
        | RType::MB
        | RType::MG
        | RType::MR => &[0],
        RType::MX => &[2],
        RType::SOA | RType::MINFO => &[0, 0],
        _ => &[],
    }
}

/// Splits rdata for a message writer: `emit(part, true)` for each name of
/// [`compressible_names`], `emit(part, false)` for the octets around them,
/// in order. Rdata that does not hold the expected names (stored data is
/// checked, so only a bug gets here) goes out as it is from that point.
pub(crate) fn rdata_parts(rtype: RType, rd: &[u8], mut emit: impl FnMut(&[u8], bool)) {
    let mut pos = 0usize;
    for &skip in compressible_names(rtype) {
        // Fixed fields before the name are copied as they are.
        let Some(fixed) = rd.get(pos..pos + skip) else {
            break;
        };
        emit(fixed, false);
        pos += skip;
        match crate::zone::name::Name::wire_len(&rd[pos..]) {
            Ok(n) => {
                emit(&rd[pos..pos + n], true);
                pos += n;
            }
            Err(_) => break,
        }
    }
    emit(rd.get(pos..).unwrap_or(&[]), false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_owner_and_rdata_names() {
        let mut b = MessageBuilder::new();
        let q = b"\x03www\x07example\x03com\x00";
        b.start(1, 0x8400, Some((q, 5, 1)), 512);
        let target = b"\x03web\x07example\x03com\x00";
        b.push_rr(Section::Answer, q, RType::CNAME, 1, 300, target)
            .unwrap();
        b.push_rr(Section::Answer, target, RType::A, 1, 300, &[192, 0, 2, 1])
            .unwrap();
        let msg = b.finish().to_vec();
        // header 12 + question 17+4; answer 1: ptr(2)+10+rdata(3 "web" + ptr 2 = 6)
        // answer 2: ptr(2)+10+4
        assert_eq!(msg.len(), 12 + 21 + 2 + 10 + 6 + 2 + 10 + 4);
        assert_eq!(&msg[6..8], &[0, 2]);
        // The CNAME owner points at the question name.
        assert_eq!(&msg[33..35], &[0xC0, 12]);
    }

    #[test]
    fn case_differences_are_not_compressed_away() {
        let mut b = MessageBuilder::new();
        b.start(
            1,
            0x8400,
            Some((b"\x03WWW\x07example\x03com\x00", 1, 1)),
            512,
        );
        b.push_rr(
            Section::Answer,
            b"\x03www\x07example\x03com\x00",
            RType::A,
            1,
            1,
            &[1, 2, 3, 4],
        )
        .unwrap();
        let msg = b.finish().to_vec();
        // "www" written in full, then a pointer to "example.com" of the question.
        assert_eq!(&msg[33..39], &[3, b'w', b'w', b'w', 0xC0, 16]);
    }

    #[test]
    fn full_rolls_back() {
        let mut b = MessageBuilder::new();
        b.start(1, 0x8400, Some((b"\x00", 16, 1)), 60);
        let big = [b'x'; 40];
        let r = b.push_rrset(
            Section::Answer,
            b"\x00",
            RType::TXT,
            1,
            1,
            [&big[..], &big[..]].into_iter(),
        );
        assert_eq!(r, Err(Full));
        assert_eq!(b.count(Section::Answer), 0);
        assert_eq!(b.len(), 17);
    }
}
