//! Type bitmaps of NSEC, NSEC3 and CSYNC (RFC 4034 §4.1.2).

use super::text::parse_rtype;
use super::{RType, RdataError, Token};

/// Encodes a list of type mnemonics; the error carries the token index.
pub(crate) fn encode(toks: &[Token], out: &mut Vec<u8>) -> Result<(), (usize, RdataError)> {
    let mut types = Vec::with_capacity(toks.len());
    for (i, t) in toks.iter().enumerate() {
        types.push(parse_rtype(t).map_err(|e| (i, e))?.0);
    }
    push_types(out, &mut types);
    Ok(())
}

/// Appends the bitmap of `types` (sorted and deduplicated in place).
pub fn push_types(out: &mut Vec<u8>, types: &mut Vec<u16>) {
    types.sort_unstable();
    types.dedup();
    let mut i = 0;
    while i < types.len() {
        let window = (types[i] >> 8) as u8;
        let mut bits = [0u8; 32];
        let mut used = 0;
        while i < types.len() && (types[i] >> 8) as u8 == window {
            let low = (types[i] & 0xFF) as usize;
            bits[low / 8] |= 0x80 >> (low % 8);
            used = low / 8 + 1;
            i += 1;
        }
        out.push(window);
        out.push(used as u8);
        out.extend_from_slice(&bits[..used]);
    }
}

/// Checks window order, block lengths and the no-trailing-zero rule.
pub(crate) fn validate(mut r: &[u8]) -> Result<(), &'static str> {
    let mut last: Option<u8> = None;
    while !r.is_empty() {
        if r.len() < 2 {
            return Err("truncated type bitmap");
        }
        let (window, len) = (r[0], r[1] as usize);
        if last.is_some_and(|l| window <= l) {
            return Err("type bitmap windows out of order");
        }
        if len == 0 || len > 32 || r.len() < 2 + len {
            return Err("bad type bitmap block length");
        }
        if r[1 + len] == 0 {
            return Err("type bitmap block with trailing zero octet");
        }
        last = Some(window);
        r = &r[2 + len..];
    }
    Ok(())
}

/// The types in a validated bitmap, in order.
pub fn types(mut r: &[u8]) -> Vec<RType> {
    let mut v = Vec::new();
    while r.len() >= 2 {
        let (window, len) = (r[0] as u16, (r[1] as usize).min(r.len() - 2));
        for (k, &byte) in r[2..2 + len].iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    v.push(RType(window << 8 | (k as u16 * 8 + bit)));
                }
            }
        }
        r = &r[2 + len..];
    }
    v
}
