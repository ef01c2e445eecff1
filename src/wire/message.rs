//! Parsing of incoming DNS requests (RFC 1035 §4.1, RFC 6891).
//!
//! The parser reads only what answering needs — the header, the single
//! question, and the OPT record — and walks every other record just far
//! enough to prove the message is well formed. It never allocates and
//! never panics: every length and pointer is checked against the message,
//! pointers must point backwards (no loops, no forward references), and
//! bytes after the last record make the message malformed.

use crate::rdata::{Class, RType};
use crate::zone::name::{Name, MAX_NAME_LEN};

/// Size of the fixed header.
pub const HEADER_LEN: usize = 12;

/// Header flag bits (in the 16-bit flags word).
pub mod flags {
    pub const QR: u16 = 0x8000;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    pub const AD: u16 = 0x0020;
    pub const CD: u16 = 0x0010;
}

/// Opcodes (RFC 1035, 1996, 2136).
pub mod opcode {
    pub const QUERY: u8 = 0;
    pub const NOTIFY: u8 = 4;
    pub const UPDATE: u8 = 5;
}

/// Response codes (RFC 1035, 2136, 6891).
pub mod rcode {
    pub const NOERROR: u16 = 0;
    pub const FORMERR: u16 = 1;
    pub const SERVFAIL: u16 = 2;
    pub const NXDOMAIN: u16 = 3;
    pub const NOTIMP: u16 = 4;
    pub const REFUSED: u16 = 5;
    pub const YXDOMAIN: u16 = 6;
    pub const NOTAUTH: u16 = 9;
    pub const BADVERS: u16 = 16;
}

/// The EDNS(0) parameters of a request (RFC 6891 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub udp_size: u16,
    pub version: u8,
    pub dnssec_ok: bool,
}

/// A parsed request. `qname` borrows the question name as sent (its case
/// is echoed in the answer); `qname_lc` is the same name folded to
/// lowercase for lookups.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub id: u16,
    pub flags: u16,
    pub opcode: u8,
    pub qname: &'a [u8],
    pub qname_lc: [u8; MAX_NAME_LEN],
    pub qtype: RType,
    pub qclass: Class,
    pub edns: Option<Edns>,
    /// Counts of the answer, authority and additional sections.
    pub counts: [u16; 3],
    /// Offset just after the question.
    pub question_end: usize,
    /// Offset of a TSIG record, which must be the last one (RFC 8945 §5.1).
    pub tsig_at: Option<usize>,
}

impl Request<'_> {
    /// The lowercase question name in wire form.
    pub fn qname_lc(&self) -> &[u8] {
        &self.qname_lc[..self.qname.len()]
    }
    pub fn rd(&self) -> bool {
        self.flags & flags::RD != 0
    }
    pub fn cd(&self) -> bool {
        self.flags & flags::CD != 0
    }
    pub fn dnssec_ok(&self) -> bool {
        self.edns.is_some_and(|e| e.dnssec_ok)
    }
}

/// Why a request gets no normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Not worth an answer: shorter than a header, or itself a response.
    Drop,
    /// Well enough formed to answer FORMERR with this id, flags and opcode.
    FormErr { id: u16, flags: u16 },
}

/// Parses a request.
pub fn parse_request(msg: &[u8]) -> Result<Request<'_>, ParseError> {
    if msg.len() < HEADER_LEN {
        return Err(ParseError::Drop);
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let fl = u16::from_be_bytes([msg[2], msg[3]]);
    if fl & flags::QR != 0 {
        return Err(ParseError::Drop);
    }
    let formerr = ParseError::FormErr { id, flags: fl };
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    if qd != 1 {
        return Err(formerr);
    }
    // The question name: no compression possible (nothing precedes it
    // but the header), so any pointer is malformed.
    let mut pos = HEADER_LEN;
    let qstart = pos;
    let mut qname_lc = [0u8; MAX_NAME_LEN];
    loop {
        let len = *msg.get(pos).ok_or(formerr)? as usize;
        if len & 0xC0 != 0 {
            return Err(formerr);
        }
        let end = pos + 1 + len;
        if end - qstart > MAX_NAME_LEN || end > msg.len() {
            return Err(formerr);
        }
        qname_lc[pos - qstart] = len as u8;
        for (d, s) in qname_lc[pos - qstart + 1..end - qstart]
            .iter_mut()
            .zip(&msg[pos + 1..end])
        {
            *d = s.to_ascii_lowercase();
        }
        pos = end;
        if len == 0 {
            break;
        }
    }
    let qname = &msg[qstart..pos];
    let tail = msg.get(pos..pos + 4).ok_or(formerr)?;
    let qtype = RType(u16::from_be_bytes([tail[0], tail[1]]));
    let qclass = Class(u16::from_be_bytes([tail[2], tail[3]]));
    pos += 4;
    let question_end = pos;

    let mut edns = None;
    let mut tsig_at = None;
    let total = an as usize + ns as usize + ar as usize;
    for i in 0..total {
        let owner_start = pos;
        pos = skip_name(msg, pos).ok_or(formerr)?;
        let f = msg.get(pos..pos + 10).ok_or(formerr)?;
        let rtype = RType(u16::from_be_bytes([f[0], f[1]]));
        let class = u16::from_be_bytes([f[2], f[3]]);
        let ttl = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
        let rdlen = u16::from_be_bytes([f[8], f[9]]) as usize;
        pos += 10;
        if pos + rdlen > msg.len() {
            return Err(formerr);
        }
        if rtype == RType::TSIG {
            // RFC 8945 §5.1: only as the very last record of the additional section.
            if i + 1 != total || i < an as usize + ns as usize {
                return Err(formerr);
            }
            tsig_at = Some(owner_start);
        }
        if rtype == RType::OPT {
            // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
            let in_additional = i >= an as usize + ns as usize;
            if edns.is_some() || !in_additional || msg[owner_start] != 0 {
                return Err(formerr);
            }
            check_options(&msg[pos..pos + rdlen]).ok_or(formerr)?;
            edns = Some(Edns {
                udp_size: class,
                version: (ttl >> 16) as u8,
                dnssec_ok: ttl & 0x8000 != 0,
            });
        }
        pos += rdlen;
    }
    if pos != msg.len() {
        return Err(formerr);
    }
    Ok(Request {
        id,
        flags: fl,
        opcode: ((fl >> 11) & 0xF) as u8,
        qname,
        qname_lc,
        qtype,
        qclass,
        edns,
        counts: [an, ns, ar],
        question_end,
        tsig_at,
    })
}

/// Checks that EDNS options tile the OPT rdata exactly.
fn check_options(mut rd: &[u8]) -> Option<()> {
    while !rd.is_empty() {
        let len = u16::from_be_bytes([*rd.get(2)?, *rd.get(3)?]) as usize;
        rd = rd.get(4 + len..)?;
    }
    Some(())
}

/// Skips a possibly compressed name at `pos`; returns the offset after it.
/// Pointers must point strictly backwards from the name that holds them,
/// which rules out loops; the expanded name must fit in 255 octets.
pub fn skip_name(msg: &[u8], pos: usize) -> Option<usize> {
    let mut cur = pos;
    let mut end = None;
    let mut expanded = 0usize;
    let mut limit = pos;
    loop {
        let len = *msg.get(cur)? as usize;
        match len & 0xC0 {
            0x00 => {
                expanded += 1 + len;
                if expanded > MAX_NAME_LEN {
                    return None;
                }
                if cur + 1 + len > msg.len() {
                    return None;
                }
                if len == 0 {
                    return Some(end.unwrap_or(cur + 1));
                }
                cur += 1 + len;
            }
            0xC0 => {
                let target = ((len & 0x3F) << 8) | *msg.get(cur + 1)? as usize;
                if target >= limit {
                    return None;
                }
                if end.is_none() {
                    end = Some(cur + 2);
                }
                limit = target;
                cur = target;
            }
            _ => return None,
        }
    }
}

/// Reads a possibly compressed name at `pos`; returns it (case as sent)
/// and the offset after its in-line part. [`skip_name`] checks the
/// structure first (backward pointers only, 255-octet limit), so the walk
/// below ends.
pub fn read_name(msg: &[u8], pos: usize) -> Option<(Name, usize)> {
    let next = skip_name(msg, pos)?;
    let mut wire = Vec::with_capacity(64);
    let mut cur = pos;
    // A name has at most 128 labels; the bound only guards against a
    // future change to skip_name's checks.
    for _ in 0..=256 {
        let len = *msg.get(cur)? as usize;
        if len & 0xC0 == 0xC0 {
            cur = ((len & 0x3F) << 8) | *msg.get(cur + 1)? as usize;
            continue;
        }
        wire.extend_from_slice(msg.get(cur..cur + 1 + len)?);
        if len == 0 {
            return Name::from_wire(&wire).ok().map(|n| (n, next));
        }
        cur += 1 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(name: &[u8], qtype: u16) -> Vec<u8> {
        let mut q = vec![0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(name);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    #[test]
    fn parses_a_simple_query() {
        let q = query(b"\x03WwW\x07example\x03com\x00", 1);
        let r = parse_request(&q).unwrap();
        assert_eq!(r.id, 0xABCD);
        assert!(r.rd());
        assert_eq!(r.qname, b"\x03WwW\x07example\x03com\x00");
        assert_eq!(r.qname_lc(), b"\x03www\x07example\x03com\x00");
        assert_eq!(r.qtype, RType::A);
        assert!(r.edns.is_none());
    }

    #[test]
    fn parses_edns() {
        let mut q = query(b"\x00", 6);
        q[11] = 1;
        q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 1, 0x80, 0, 0, 4, 0, 10, 0, 0]);
        let r = parse_request(&q).unwrap();
        assert_eq!(
            r.edns,
            Some(Edns {
                udp_size: 1232,
                version: 1,
                dnssec_ok: true
            })
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(matches!(parse_request(&[0; 5]), Err(ParseError::Drop)));
        let fe = |q: &[u8]| matches!(parse_request(q), Err(ParseError::FormErr { .. }));
        // Pointer in the question.
        assert!(fe(&query(b"\xC0\x0C", 1)));
        // Truncated question.
        let q = query(b"\x03www\x00", 1);
        assert!(fe(&q[..q.len() - 1]));
        // Garbage after the message.
        let mut q = query(b"\x00", 1);
        q.push(0);
        assert!(fe(&q));
        // Counts beyond the message.
        let mut q = query(b"\x00", 1);
        q[7] = 5;
        assert!(fe(&q));
        // A response is dropped.
        let mut q = query(b"\x00", 1);
        q[2] |= 0x80;
        assert_eq!(parse_request(&q).map(|_| ()), Err(ParseError::Drop));
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        // An answer record whose owner points at itself.
        let mut q = query(b"\x00", 1);
        q[7] = 1;
        let at = q.len() as u8;
        q.extend_from_slice(&[0xC0, at, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert!(parse_request(&q).is_err());
        // Forward pointer.
        let mut q = query(b"\x00", 1);
        q[7] = 1;
        let at = q.len() as u8 + 2;
        q.extend_from_slice(&[0xC0, at, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert!(parse_request(&q).is_err());
        // Backward pointer to the question name is fine.
        let mut q = query(b"\x03www\x00", 1);
        q[7] = 1;
        q.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        assert!(parse_request(&q).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_request(&bytes);
        }
        #[test]
        fn never_panics_on_mutated_queries(flips in proptest::collection::vec((0usize..64, any::<u8>()), 1..6), extra in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut q = query(b"\x03www\x07example\x03com\x00", 1);
            q[11] = 1;
            q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0]);
            q.extend_from_slice(&extra);
            for (i, b) in flips { if i < q.len() { q[i] = b; } }
            let _ = parse_request(&q);
        }
    }
}
