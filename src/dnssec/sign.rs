//! RRSIG over one RRset (RFC 4034 §3.1.8.1).
//!
//! The signed data is the RRSIG rdata up to the signer name (in lowercase)
//! followed by every RR of the set in canonical form: owner lowercased,
//! the original TTL, names inside the rdata lowercased for the types of
//! RFC 4034 §6.2 as amended by RFC 6840 §5.1, records sorted by their
//! canonical rdata (§6.3), duplicates removed.

use super::keys::{KeyError, KeyPair};
use crate::rdata::{Class, RType};
use crate::zone::name::{lowercase_wire, Name};

/// The fixed fields of one signature to make.
#[derive(Debug, Clone, Copy)]
pub struct SigTimes {
    pub inception: u32,
    pub expiration: u32,
}

/// Labels of an owner for the RRSIG Labels field: the root and a leading
/// `*` are not counted (RFC 4034 §3.1.3).
pub fn rrsig_labels(owner: &Name) -> u8 {
    let n = owner.label_count();
    let n = if owner.is_wildcard() { n - 1 } else { n };
    n.min(255) as u8
}

/// The RRSIG rdata (without the signature) for a set.
fn rrsig_header(
    owner: &Name,
    rtype: RType,
    ttl: u32,
    key: &KeyPair,
    signer: &[u8],
    times: SigTimes,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(18 + signer.len() + 96);
    out.extend_from_slice(&rtype.0.to_be_bytes());
    out.push(key.algorithm.number());
    out.push(rrsig_labels(owner));
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&times.expiration.to_be_bytes());
    out.extend_from_slice(&times.inception.to_be_bytes());
    out.extend_from_slice(&key.key_tag().to_be_bytes());
    out.extend_from_slice(signer);
    out
}

/// The canonical RRset bytes that follow the RRSIG header in the signed data.
pub fn canonical_rrset<'a>(
    owner: &Name,
    rtype: RType,
    class: Class,
    ttl: u32,
    rdatas: impl Iterator<Item = &'a [u8]>,
    out: &mut Vec<u8>,
) {
    let mut owner_wire = owner.as_wire().to_vec();
    lowercase_wire(&mut owner_wire);
    let mut canon: Vec<Vec<u8>> = rdatas
        .map(|rd| {
            let mut v = rd.to_vec();
            crate::rdata::canonicalize(rtype, &mut v);
            v
        })
        .collect();
    canon.sort_unstable();
    canon.dedup();
    for rd in canon {
        out.extend_from_slice(&owner_wire);
        out.extend_from_slice(&rtype.0.to_be_bytes());
        out.extend_from_slice(&class.0.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        out.extend_from_slice(&rd);
    }
}

/// A complete RRSIG rdata over the RRset `(owner, rtype, ttl, rdatas)`.
/// `signer` is the zone apex in lowercase wire form.
#[allow(clippy::too_many_arguments)]
pub fn sign_rrset<'a>(
    owner: &Name,
    rtype: RType,
    class: Class,
    ttl: u32,
    rdatas: impl Iterator<Item = &'a [u8]>,
    key: &KeyPair,
    signer: &[u8],
    times: SigTimes,
) -> Result<Vec<u8>, KeyError> {
    let mut rdata = rrsig_header(owner, rtype, ttl, key, signer, times);
    let mut data = rdata.clone();
    canonical_rrset(owner, rtype, class, ttl, rdatas, &mut data);
    let sig = key.sign(&data)?;
    rdata.extend_from_slice(&sig);
    Ok(rdata)
}

/// The fields of an existing RRSIG that decide whether to keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrsigInfo {
    pub covered: RType,
    pub algorithm: u8,
    pub original_ttl: u32,
    pub expiration: u32,
    pub inception: u32,
    pub key_tag: u16,
}

/// Reads the fixed fields of RRSIG rdata.
pub fn rrsig_info(rdata: &[u8]) -> Option<RrsigInfo> {
    let f = rdata.get(..18)?;
    let u32_at = |i: usize| u32::from_be_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
    Some(RrsigInfo {
        covered: RType(u16::from_be_bytes([f[0], f[1]])),
        algorithm: f[2],
        original_ttl: u32_at(4),
        expiration: u32_at(8),
        inception: u32_at(12),
        key_tag: u16::from_be_bytes([f[16], f[17]]),
    })
}

/// RFC 1982 comparison of 32-bit signature times: true when `a` is before `b`.
pub fn time_before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::keys::Algorithm;

    #[test]
    fn labels_field() {
        assert_eq!(rrsig_labels(&"*.a.example.".parse().unwrap()), 2);
        assert_eq!(rrsig_labels(&"a.example.".parse().unwrap()), 2);
        assert_eq!(rrsig_labels(&Name::root()), 0);
    }

    #[test]
    fn canonical_form_lowercases_and_sorts() {
        let owner: Name = "WWW.Example.".parse().unwrap();
        let a = crate::rdata::from_str(RType::MX, "10 B.Example.", &Name::root()).unwrap();
        let b = crate::rdata::from_str(RType::MX, "5 a.example.", &Name::root()).unwrap();
        let mut out = Vec::new();
        canonical_rrset(
            &owner,
            RType::MX,
            Class::IN,
            300,
            [&a[..], &b[..], &b[..]].into_iter(),
            &mut out,
        );
        // Two records (the duplicate dropped), `5 a` first, all lowercase.
        let owner_wire = b"\x03www\x07example\x00";
        let mut want = Vec::new();
        for rd in [
            &b"\x00\x05\x01a\x07example\x00"[..],
            b"\x00\x0a\x01b\x07example\x00",
        ] {
            want.extend_from_slice(owner_wire);
            want.extend_from_slice(&[0, 15, 0, 1, 0, 0, 1, 44, 0, rd.len() as u8]);
            want.extend_from_slice(rd);
        }
        assert_eq!(out, want);
    }

    #[test]
    fn rrsig_fields_round_trip() {
        let key = KeyPair::generate(Algorithm::Ed25519, 256).unwrap();
        let owner: Name = "*.example.".parse().unwrap();
        let rd = sign_rrset(
            &owner,
            RType::A,
            Class::IN,
            60,
            [&[192u8, 0, 2, 1][..]].into_iter(),
            &key,
            b"\x07example\x00",
            SigTimes {
                inception: 100,
                expiration: 200,
            },
        )
        .unwrap();
        let info = rrsig_info(&rd).unwrap();
        assert_eq!(info.covered, RType::A);
        assert_eq!((info.inception, info.expiration), (100, 200));
        assert_eq!(info.key_tag, key.key_tag());
        assert_eq!(rd[3], 1);
        assert!(time_before(0xFFFF_FFF0, 5));
        assert!(!time_before(5, 5));
    }
}
