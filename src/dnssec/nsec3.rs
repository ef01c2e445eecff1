//! NSEC3 (RFC 5155) with the parameters of RFC 9276: SHA-1, no extra
//! iterations, no salt by default; opt-out optional.

use data_encoding::BASE32HEX_NOPAD;
use sha1::{Digest, Sha1};

use crate::rdata::bitmap::push_types;
use crate::rdata::RType;
use crate::zone::name::{lowercase_wire, Name, NameError};

/// The length of a SHA-1 hash.
pub const HASH_LEN: usize = 20;

/// The NSEC3 chain parameters of a zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nsec3Params {
    pub iterations: u16,
    pub salt: Vec<u8>,
    pub opt_out: bool,
}

impl Nsec3Params {
    /// NSEC3PARAM rdata (flags are always 0 there, RFC 5155 §4.1.2).
    pub fn param_rdata(&self) -> Vec<u8> {
        let mut out = vec![1, 0];
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.push(self.salt.len() as u8);
        out.extend_from_slice(&self.salt);
        out
    }

    /// The hash of a name (RFC 5155 §5).
    pub fn hash(&self, name_wire: &[u8]) -> [u8; HASH_LEN] {
        let mut lower = name_wire.to_vec();
        lowercase_wire(&mut lower);
        let mut h = Sha1::new();
        h.update(&lower);
        h.update(&self.salt);
        let mut out: [u8; HASH_LEN] = h.finalize().into();
        for _ in 0..self.iterations {
            let mut h = Sha1::new();
            h.update(out);
            h.update(&self.salt);
            out = h.finalize().into();
        }
        out
    }

    /// NSEC3 rdata: parameters, next hashed owner, bitmap of `types`.
    pub fn nsec3_rdata(&self, next: &[u8; HASH_LEN], types: &[RType]) -> Vec<u8> {
        let mut out = vec![1, u8::from(self.opt_out)];
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.push(self.salt.len() as u8);
        out.extend_from_slice(&self.salt);
        out.push(HASH_LEN as u8);
        out.extend_from_slice(next);
        let mut t: Vec<u16> = types.iter().map(|t| t.0).collect();
        push_types(&mut out, &mut t);
        out
    }
}

/// The owner of the NSEC3 record of a hash: `<base32hex>.<apex>`.
pub fn hashed_owner(hash: &[u8; HASH_LEN], apex: &Name) -> Result<Name, NameError> {
    let label = BASE32HEX_NOPAD.encode(hash).to_ascii_lowercase();
    apex.prepend_label(label.as_bytes())
}

/// The hash an NSEC3 owner name stands for, when its first label is one.
pub fn hash_of_owner(owner_wire: &[u8]) -> Option<[u8; HASH_LEN]> {
    let len = *owner_wire.first()? as usize;
    let label = owner_wire.get(1..1 + len)?.to_ascii_uppercase();
    let bytes = BASE32HEX_NOPAD.decode(&label).ok()?;
    bytes.try_into().ok()
}

/// The next-hashed-owner field of NSEC3 rdata.
pub fn next_hash(rdata: &[u8]) -> Option<[u8; HASH_LEN]> {
    let salt_len = *rdata.get(4)? as usize;
    let at = 5 + salt_len;
    let hlen = *rdata.get(at)? as usize;
    rdata.get(at + 1..at + 1 + hlen)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5155_appendix_a_hash() {
        // RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
        let p = Nsec3Params {
            iterations: 12,
            salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
            opt_out: false,
        };
        let apex: Name = "example".parse().unwrap();
        let h = p.hash(apex.as_wire());
        let owner = hashed_owner(&h, &apex).unwrap();
        assert_eq!(
            owner.to_string(),
            "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example."
        );
        let a: Name = "a.example".parse().unwrap();
        let h = p.hash(a.as_wire());
        assert_eq!(
            hashed_owner(&h, &apex).unwrap().to_string(),
            "35mthgpgcu1qg68fab165klnsnk3dpvl.example."
        );
        assert_eq!(hash_of_owner(owner.as_wire()), Some(p.hash(apex.as_wire())));
        let rd = p.nsec3_rdata(&h, &[RType::A]);
        assert_eq!(next_hash(&rd), Some(h));
    }
}
