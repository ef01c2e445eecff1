//! NSEC records (RFC 4034 §4): the next name in canonical order and the
//! types present at the owner.

use crate::rdata::bitmap::push_types;
use crate::rdata::RType;
use crate::zone::name::lowercase_wire;

/// NSEC rdata: `next` (written in lowercase) and the bitmap of `types`,
/// to which NSEC and RRSIG are added (both exist at every NSEC owner of
/// a signed zone).
pub fn nsec_rdata(next_wire: &[u8], types: &[RType]) -> Vec<u8> {
    let mut out = next_wire.to_vec();
    lowercase_wire(&mut out);
    let mut t: Vec<u16> = types.iter().map(|t| t.0).collect();
    t.push(RType::NSEC.0);
    t.push(RType::RRSIG.0);
    push_types(&mut out, &mut t);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_has_nsec_and_rrsig() {
        let rd = nsec_rdata(b"\x01B\x07example\x00", &[RType::A, RType::MX]);
        assert_eq!(&rd[..11], b"\x01b\x07example\x00");
        let types = crate::rdata::bitmap::types(&rd[11..]);
        assert_eq!(types, vec![RType::A, RType::MX, RType::RRSIG, RType::NSEC]);
    }
}
