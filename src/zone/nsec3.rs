//! NSEC3 hashing (RFC 5155 §5) and the base32hex owner labels of NSEC3
//! records (RFC 4648 §7, no padding).
//!
//! Only hash algorithm 1 (SHA-1) is defined, so a hash is always 20 bytes
//! and its owner label 32 characters; anything else is treated as "not an
//! NSEC3 hash we understand" and ignored by the callers.

use sha1::{Digest, Sha1};

use crate::zone::name::MAX_NAME_LEN;

/// Length of a SHA-1 NSEC3 hash.
pub const HASH_LEN: usize = 20;
/// An NSEC3 owner hash.
pub type Hash = [u8; HASH_LEN];

const B32HEX: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

/// The parameters that select a zone's NSEC3 chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nsec3Params<'a> {
    pub iterations: u16,
    pub salt: &'a [u8],
}

impl<'a> Nsec3Params<'a> {
    /// Reads NSEC3PARAM rdata (algorithm, flags, iterations, salt length,
    /// salt); `None` for an unknown algorithm or malformed data.
    pub fn from_nsec3param(rdata: &'a [u8]) -> Option<Nsec3Params<'a>> {
        if rdata.len() < 5 || rdata[0] != 1 {
            return None;
        }
        let iterations = u16::from_be_bytes([rdata[2], rdata[3]]);
        let salt = rdata.get(5..5 + rdata[4] as usize)?;
        Some(Nsec3Params { iterations, salt })
    }

    /// The hash of a name (wire form; folded to lowercase here).
    pub fn hash(&self, wire: &[u8]) -> Hash {
        let mut lc = [0u8; MAX_NAME_LEN];
        let n = wire.len().min(MAX_NAME_LEN);
        for (d, s) in lc[..n].iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        let mut h = Sha1::new();
        h.update(&lc[..n]);
        h.update(self.salt);
        let mut out: Hash = [0; HASH_LEN];
        out.copy_from_slice(&h.finalize());
        for _ in 0..self.iterations {
            let mut h = Sha1::new();
            h.update(out);
            h.update(self.salt);
            out.copy_from_slice(&h.finalize());
        }
        out
    }
}

/// The hash in the first label of an NSEC3 owner name, if it is one.
pub fn owner_hash(owner_wire: &[u8]) -> Option<Hash> {
    let len = *owner_wire.first()? as usize;
    decode_label(owner_wire.get(1..1 + len)?)
}

/// Decodes a 32-character base32hex label (either case) into a hash.
pub fn decode_label(label: &[u8]) -> Option<Hash> {
    if label.len() != 32 {
        return None;
    }
    let mut out: Hash = [0; HASH_LEN];
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    let mut i = 0usize;
    for &c in label {
        let v = match c.to_ascii_lowercase() {
            d @ b'0'..=b'9' => d - b'0',
            l @ b'a'..=b'v' => l - b'a' + 10,
            _ => return None,
        };
        acc = (acc << 5) | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out[i] = (acc >> bits) as u8;
            i += 1;
        }
    }
    Some(out)
}

/// The owner name of the NSEC3 record for `hash` in the zone `apex`
/// (wire form, lowercase label).
pub fn owner_wire(hash: &Hash, apex_wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(33 + apex_wire.len());
    out.push(32);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &b in hash {
        acc = (acc << 8) | b as u64;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32HEX[((acc >> bits) & 31) as usize]);
        }
    }
    out.extend_from_slice(apex_wire);
    out
}

/// True when the opt-out flag is set in NSEC3 rdata.
pub fn opt_out(rdata: &[u8]) -> bool {
    rdata.get(1).is_some_and(|f| f & 1 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::name::Name;

    /// RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
    #[test]
    fn rfc5155_appendix_a_hashes() {
        let p = Nsec3Params::from_nsec3param(&[1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd]).unwrap();
        let cases = [
            ("example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
        ];
        let apex: Name = "example".parse().unwrap();
        for (name, want) in cases {
            let n: Name = name.parse().unwrap();
            let h = p.hash(n.as_wire());
            let owner = owner_wire(&h, apex.as_wire());
            assert_eq!(&owner[1..33], want.as_bytes(), "{name}");
            assert_eq!(owner_hash(&owner), Some(h));
        }
        assert!(decode_label(b"0p9mhaveqvm6t7vbl5lop2u3t2rp3to!").is_none());
        assert!(decode_label(b"short").is_none());
    }
}
