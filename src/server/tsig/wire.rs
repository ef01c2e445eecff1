//! The TSIG record on the wire: finding it in a message, reading its
//! fields, appending a new one, and feeding the digest (RFC 8945 §4).
//!
//! Everything here works on raw message bytes and never panics: every
//! offset is checked against the message, names are read with the same
//! backward-pointer rule as [`skip_name`], and a record that does not fill
//! its RDLENGTH exactly is malformed.

use hmac::{Hmac, KeyInit, Mac};

use super::TsigAlgorithm;
use crate::rdata::{Class, RType};
use crate::wire::message::{read_name, skip_name, HEADER_LEN};
use crate::zone::name::Name;

/// The message is malformed as far as TSIG is concerned (bad framing, a
/// TSIG that is not the last record, two TSIGs, a TSIG outside the
/// additional section, trailing bytes). Always answered with FORMERR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Malformed;

/// A TSIG record as found in a message.
#[derive(Debug, Clone)]
pub(super) struct TsigRecord {
    /// Offset of the record's owner name: the message without its TSIG is
    /// `msg[..start]`.
    pub start: usize,
    pub key_name: Name,
    pub algorithm: Name,
    pub time_signed: u64,
    pub fudge: u16,
    pub mac: Vec<u8>,
    pub original_id: u16,
    pub error: u16,
    pub other: Vec<u8>,
}

fn be16(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// Walks the whole message and returns its TSIG record, if any.
///
/// RFC 8945 §5.2: the TSIG must be the last record of the additional
/// section and there may be only one. Since it must be the very last
/// record of the message, a TSIG anywhere else (a second one included) is
/// [`Malformed`].
pub(super) fn locate(msg: &[u8]) -> Result<Option<TsigRecord>, Malformed> {
    if msg.len() < HEADER_LEN {
        return Err(Malformed);
    }
    let count = |i| be16(msg, i).map(usize::from).ok_or(Malformed);
    let (qd, an, ns, ar) = (count(4)?, count(6)?, count(8)?, count(10)?);
    let mut pos = HEADER_LEN;
    for _ in 0..qd {
        pos = skip_name(msg, pos).ok_or(Malformed)? + 4;
        if pos > msg.len() {
            return Err(Malformed);
        }
    }
    let total = an + ns + ar;
    let mut found = None;
    for i in 0..total {
        let start = pos;
        pos = skip_name(msg, pos).ok_or(Malformed)?;
        let rtype = be16(msg, pos).ok_or(Malformed)?;
        let rdlen = usize::from(be16(msg, pos + 8).ok_or(Malformed)?);
        let rd_start = pos + 10;
        let rd_end = rd_start + rdlen;
        if rd_end > msg.len() {
            return Err(Malformed);
        }
        if RType(rtype) == RType::TSIG {
            if i + 1 != total || i < an + ns {
                return Err(Malformed);
            }
            let class = be16(msg, pos + 2).ok_or(Malformed)?;
            // RFC 8945 §4.2: CLASS is ANY. Anything else is not a TSIG we
            // could digest the way the sender did.
            if Class(class) != Class::ANY {
                return Err(Malformed);
            }
            found = Some(read_record(msg, start, rd_start, rd_end)?);
        }
        pos = rd_end;
    }
    if pos != msg.len() {
        return Err(Malformed);
    }
    Ok(found)
}

/// Reads the owner and RDATA of a TSIG record.
fn read_record(
    msg: &[u8],
    start: usize,
    rd_start: usize,
    rd_end: usize,
) -> Result<TsigRecord, Malformed> {
    let (key_name, _) = read_name(msg, start).ok_or(Malformed)?;
    let rd = &msg[..rd_end];
    let (algorithm, mut p) = read_name(rd, rd_start).ok_or(Malformed)?;
    // Fixed-size fields after the algorithm name, each bounded by RDLENGTH.
    let mut take = |n: usize| -> Result<&[u8], Malformed> {
        let s = rd.get(p..p + n).ok_or(Malformed)?;
        p += n;
        Ok(s)
    };
    let time_signed = take(6)?
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let fudge = be16(take(2)?, 0).ok_or(Malformed)?;
    let mac_len = usize::from(be16(take(2)?, 0).ok_or(Malformed)?);
    let mac = take(mac_len)?.to_vec();
    let original_id = be16(take(2)?, 0).ok_or(Malformed)?;
    let error = be16(take(2)?, 0).ok_or(Malformed)?;
    let other_len = usize::from(be16(take(2)?, 0).ok_or(Malformed)?);
    let other = take(other_len)?.to_vec();
    if p != rd_end {
        return Err(Malformed);
    }
    Ok(TsigRecord {
        start,
        key_name,
        algorithm,
        time_signed,
        fudge,
        mac,
        original_id,
        error,
        other,
    })
}

/// The fields of a TSIG record to append.
pub(super) struct NewRecord<'a> {
    pub key_name: &'a Name,
    pub algorithm: &'a Name,
    pub time_signed: u64,
    pub fudge: u16,
    pub mac: &'a [u8],
    pub original_id: u16,
    pub error: u16,
    pub other: &'a [u8],
}

impl<'a> NewRecord<'a> {
    /// The record of a message signed at `now` without an error: default
    /// fudge, no other data (requests and each message of a stream).
    pub(super) fn signed(
        key_name: &'a Name,
        algorithm: &'a Name,
        now: u64,
        mac: &'a [u8],
        original_id: u16,
    ) -> Self {
        NewRecord {
            key_name,
            algorithm,
            time_signed: now,
            fudge: super::DEFAULT_FUDGE,
            mac,
            original_id,
            error: 0,
            other: &[],
        }
    }
}

/// Size on the wire of a TSIG record (owner uncompressed).
pub(super) fn record_len(key_name: &Name, algorithm: &Name, mac: usize, other: usize) -> usize {
    key_name.as_wire().len() + 10 + algorithm.as_wire().len() + 16 + mac + other
}

/// Appends a TSIG record and increments ARCOUNT. The caller has checked
/// that the message has a header and ARCOUNT < 65535.
pub(super) fn append(msg: &mut Vec<u8>, r: &NewRecord<'_>) {
    let rdlen = r.algorithm.as_wire().len() + 16 + r.mac.len() + r.other.len();
    msg.extend_from_slice(r.key_name.as_wire());
    msg.extend_from_slice(&RType::TSIG.0.to_be_bytes());
    msg.extend_from_slice(&Class::ANY.0.to_be_bytes());
    msg.extend_from_slice(&0u32.to_be_bytes());
    // Lengths fit: a name is at most 255 octets, a MAC at most 64, and
    // Other Data is at most 6 octets when we write it.
    msg.extend_from_slice(&(rdlen as u16).to_be_bytes());
    msg.extend_from_slice(r.algorithm.as_wire());
    msg.extend_from_slice(&time48(r.time_signed));
    msg.extend_from_slice(&r.fudge.to_be_bytes());
    msg.extend_from_slice(&(r.mac.len() as u16).to_be_bytes());
    msg.extend_from_slice(r.mac);
    msg.extend_from_slice(&r.original_id.to_be_bytes());
    msg.extend_from_slice(&r.error.to_be_bytes());
    msg.extend_from_slice(&(r.other.len() as u16).to_be_bytes());
    msg.extend_from_slice(r.other);
    let ar = u16::from_be_bytes([msg[10], msg[11]]).wrapping_add(1);
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// A time as the 48-bit big-endian field of TSIG (higher bits dropped:
/// they are zero until the year 8,921,556).
pub(super) fn time48(t: u64) -> [u8; 6] {
    let b = t.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// A running HMAC of one of the six algorithms.
#[derive(Clone)]
pub(super) enum MacState {
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

/// HMAC (RFC 2104) accepts keys of any length, so building one cannot fail.
const ANY_KEY_LEN: &str = "HMAC takes keys of any length";

impl MacState {
    pub fn new(algorithm: TsigAlgorithm, secret: &[u8]) -> MacState {
        use TsigAlgorithm as A;
        match algorithm {
            A::HmacMd5 => MacState::Md5(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
            A::HmacSha1 => MacState::Sha1(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
            A::HmacSha224 => MacState::Sha224(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
            A::HmacSha256 => MacState::Sha256(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
            A::HmacSha384 => MacState::Sha384(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
            A::HmacSha512 => MacState::Sha512(Hmac::new_from_slice(secret).expect(ANY_KEY_LEN)),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            MacState::Md5(m) => m.update(data),
            MacState::Sha1(m) => m.update(data),
            MacState::Sha224(m) => m.update(data),
            MacState::Sha256(m) => m.update(data),
            MacState::Sha384(m) => m.update(data),
            MacState::Sha512(m) => m.update(data),
        }
    }

    pub fn finalize(self) -> Vec<u8> {
        match self {
            MacState::Md5(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha1(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha224(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha256(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha384(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// A prior MAC (request MAC, or the previous message's MAC in a
    /// stream): its length as 16 bits, then the MAC (RFC 8945 §4.3.1).
    pub fn prior_mac(&mut self, mac: &[u8]) {
        self.update(&(mac.len() as u16).to_be_bytes());
        self.update(mac);
    }

    /// The message without its TSIG: ID replaced by the Original ID and
    /// ARCOUNT decremented (RFC 8945 §4.3.1, §5.2).
    pub fn message_without_tsig(&mut self, msg: &[u8], tsig_start: usize, original_id: u16) {
        // `locate` found a TSIG, so there is a header and ARCOUNT >= 1.
        let ar = u16::from_be_bytes([msg[10], msg[11]]).saturating_sub(1);
        self.update(&original_id.to_be_bytes());
        self.update(&msg[2..10]);
        self.update(&ar.to_be_bytes());
        self.update(&msg[HEADER_LEN..tsig_start]);
    }

    /// The TSIG variables (RFC 8945 §4.3.3), names in canonical form.
    pub fn variables(
        &mut self,
        key_name: &Name,
        algorithm: &Name,
        time_signed: u64,
        fudge: u16,
        error: u16,
        other: &[u8],
    ) {
        self.update(key_name.to_lowercase().as_wire());
        self.update(&Class::ANY.0.to_be_bytes());
        self.update(&0u32.to_be_bytes());
        self.update(algorithm.to_lowercase().as_wire());
        self.timers(time_signed, fudge);
        self.update(&error.to_be_bytes());
        self.update(&(other.len() as u16).to_be_bytes());
        self.update(other);
    }

    /// The TSIG variables of a received record.
    pub fn variables_of(&mut self, rec: &TsigRecord) {
        self.variables(
            &rec.key_name,
            &rec.algorithm,
            rec.time_signed,
            rec.fudge,
            rec.error,
            &rec.other,
        );
    }

    /// The TSIG timers only (RFC 8945 §4.3.3), for messages after the
    /// first of a stream.
    pub fn timers(&mut self, time_signed: u64, fudge: u16) {
        self.update(&time48(time_signed));
        self.update(&fudge.to_be_bytes());
    }
}

/// Compares a received (possibly truncated) MAC with the first octets of
/// the computed one in constant time. The length is not secret.
pub(super) fn mac_matches(computed: &[u8], received: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    match computed.get(..received.len()) {
        Some(prefix) if !received.is_empty() => prefix.ct_eq(received).into(),
        _ => false,
    }
}
