//! Wire-form rdata: structure checks, reading rdata out of a DNS message
//! (name decompression), and the canonical form of RFC 4034 §6.2.
//!
//! Every routine here walks the type's [`Schema`] over untrusted bytes and
//! bounds-checks each step; a malformed record is an error, never a panic.
//! Compression pointers are followed only for the types whose names may be
//! compressed, only backwards (a pointer must point before the name that
//! uses it, which also rules out loops), and the decompressed name is held
//! to the 255-octet limit.

use super::schema::{schema, Field};
use super::{svcb, RType, RdataError};
use crate::zone::name::{Name, MAX_NAME_LEN};

fn malformed(rtype: RType, reason: &'static str) -> RdataError {
    RdataError::Malformed { rtype, reason }
}

/// End offset of `field` starting at `pos` in uncompressed rdata `r`.
pub(crate) fn field_end(
    rtype: RType,
    field: Field,
    r: &[u8],
    pos: usize,
) -> Result<usize, RdataError> {
    let need = |n: usize| -> Result<usize, RdataError> {
        if pos + n <= r.len() {
            Ok(pos + n)
        } else {
            Err(malformed(rtype, "rdata too short"))
        }
    };
    let rest = &r[pos.min(r.len())..];
    match field {
        Field::U8 | Field::Alg | Field::Protocol => need(1),
        Field::U16 | Field::CertType | Field::TypeCode => need(2),
        Field::U32 | Field::Period | Field::Time | Field::A => need(4),
        Field::Aaaa => need(16),
        Field::Eui48 => need(6),
        Field::Eui64 | Field::Ilnp64 => need(8),
        Field::Name => Name::wire_len(rest)
            .map(|n| pos + n)
            .map_err(|_| malformed(rtype, "bad domain name")),
        Field::Str | Field::Salt => {
            let len = *rest
                .first()
                .ok_or_else(|| malformed(rtype, "rdata too short"))? as usize;
            need(1 + len)
        }
        Field::Hash32 | Field::CaaTag => {
            let len = *rest
                .first()
                .ok_or_else(|| malformed(rtype, "rdata too short"))? as usize;
            if len == 0 {
                return Err(malformed(rtype, "empty length-prefixed field"));
            }
            if field == Field::CaaTag && !rest[1..].iter().take(len).all(u8::is_ascii_alphanumeric)
            {
                return Err(malformed(rtype, "CAA tag is not alphanumeric"));
            }
            need(1 + len)
        }
        Field::Strs => {
            if rest.is_empty() {
                return Err(malformed(rtype, "no character-string"));
            }
            let mut p = 0;
            while p < rest.len() {
                p += 1 + rest[p] as usize;
            }
            if p != rest.len() {
                return Err(malformed(rtype, "character-string runs past the end"));
            }
            Ok(r.len())
        }
        Field::Base64 | Field::Hex => {
            if rest.is_empty() {
                return Err(malformed(rtype, "missing key or digest data"));
            }
            Ok(r.len())
        }
        Field::Base64Opt | Field::Rest | Field::Ports => Ok(r.len()),
        Field::Bitmap => {
            super::bitmap::validate(rest).map_err(|reason| malformed(rtype, reason))?;
            Ok(r.len())
        }
        Field::Loc => {
            if rest.len() != 16 || rest[0] != 0 {
                return Err(malformed(rtype, "LOC must be 16 octets of version 0"));
            }
            Ok(r.len())
        }
        Field::SvcParams => {
            svcb::validate(rest).map_err(|reason| malformed(rtype, reason))?;
            Ok(r.len())
        }
        Field::Gateway => match r.get(1) {
            Some(0) => Ok(pos),
            Some(1) => need(4),
            Some(2) => need(16),
            Some(3) => field_end(rtype, Field::Name, r, pos),
            _ => Err(malformed(rtype, "unknown gateway type")),
        },
    }
}

/// Calls `f(field, start, end)` for each field of uncompressed rdata after
/// checking that the fields exactly cover it. Types without a schema are
/// opaque and always valid.
pub(crate) fn walk(
    rtype: RType,
    r: &[u8],
    mut f: impl FnMut(Field, usize, usize),
) -> Result<(), RdataError> {
    let Some(sch) = schema(rtype) else {
        return Ok(());
    };
    let mut pos = 0;
    for &field in sch.fields {
        let end = field_end(rtype, field, r, pos)?;
        f(field, pos, end);
        pos = end;
    }
    if pos != r.len() {
        return Err(malformed(rtype, "trailing octets"));
    }
    type_rules(rtype, r)
}

/// Rules beyond field layout that BIND enforces, so that whatever we
/// accept BIND accepts too (and `to_text` output always re-loads there).
pub(crate) fn type_rules(rtype: RType, r: &[u8]) -> Result<(), RdataError> {
    match rtype {
        RType::NSEC => {
            let n = Name::wire_len(r).map_err(|_| malformed(rtype, "bad domain name"))?;
            if n == r.len() {
                return Err(malformed(rtype, "empty type bitmap"));
            }
            Ok(())
        }
        RType::SVCB | RType::HTTPS => {
            let n = r
                .get(2..)
                .and_then(|x| Name::wire_len(x).ok())
                .ok_or_else(|| malformed(rtype, "bad domain name"))?;
            svcb::consistent(&r[2 + n..]).map_err(|reason| malformed(rtype, reason))
        }
        RType::NAPTR => naptr_regexp(r).map_err(|reason| malformed(rtype, reason)),
        // A PSDN address: at least four decimal digits (RFC 1183 §3.1; BIND).
        RType::X25 if r.len() < 5 || !r[1..].iter().all(u8::is_ascii_digit) => {
            Err(malformed(rtype, "X25 address must be 4 or more digits"))
        }
        _ => digest_length(rtype, r),
    }
}

/// The NAPTR regexp field (RFC 3403 §3.2): empty, or
/// `<delim>ere<delim>replacement<delim>[i]` with a delimiter that is not a
/// digit, `\` or the flag `i`, a non-empty expression, and back-references
/// `\1`..`\9` only to groups the expression has. BIND checks the same.
fn naptr_regexp(r: &[u8]) -> Result<(), &'static str> {
    // Skip order, preference, flags and services.
    let mut pos = 4;
    for _ in 0..2 {
        pos += 1 + *r.get(pos).ok_or("rdata too short")? as usize;
    }
    let len = *r.get(pos).ok_or("rdata too short")? as usize;
    let re = r.get(pos + 1..pos + 1 + len).ok_or("rdata too short")?;
    let Some((&delim, rest)) = re.split_first() else {
        return Ok(());
    };
    const BAD: &str = "bad NAPTR regexp";
    if delim.is_ascii_digit() || delim == b'\\' || delim == b'i' || delim == 0 {
        return Err(BAD);
    }
    let mut part = 0; // 0: expression, 1: replacement, 2: flags
    let mut groups = 0u8;
    let mut expr_len = 0usize;
    let mut i = 0;
    while i < rest.len() {
        let c = rest[i];
        if part == 2 {
            if c != b'i' || i + 1 != rest.len() {
                return Err(BAD);
            }
        } else if c == b'\\' {
            let next = *rest.get(i + 1).ok_or(BAD)?;
            if part == 1 && next.is_ascii_digit() && (next == b'0' || next - b'0' > groups) {
                return Err(BAD);
            }
            if part == 0 {
                expr_len += 2;
            }
            i += 1;
        } else if c == delim {
            if part == 0 && expr_len == 0 {
                return Err(BAD);
            }
            part += 1;
        } else if part == 0 {
            expr_len += 1;
            if c == b'(' {
                groups = groups.saturating_add(1);
            }
        }
        i += 1;
    }
    if part != 2 {
        return Err(BAD);
    }
    Ok(())
}

/// Digest lengths fixed by the digest type, checked as BIND does so that
/// what we accept BIND accepts too.
pub(crate) fn digest_length(rtype: RType, r: &[u8]) -> Result<(), RdataError> {
    // Offset of the digest-type octet; the digest follows it.
    let at = match rtype {
        RType::DS | RType::CDS | RType::TA | RType::DLV => 3,
        RType::SSHFP => 1,
        RType::ZONEMD => 5,
        _ => return Ok(()),
    };
    let (Some(&kind), Some(digest)) = (r.get(at), r.get(at + 1..)) else {
        return Err(malformed(rtype, "rdata too short"));
    };
    let want = match (rtype, kind) {
        (RType::DS | RType::CDS | RType::TA | RType::DLV, 1) | (RType::SSHFP, 1) => 20,
        (RType::DS | RType::CDS | RType::TA | RType::DLV, 2 | 3) | (RType::SSHFP, 2) => 32,
        (RType::DS | RType::CDS | RType::TA | RType::DLV, 4) | (RType::ZONEMD, 1) => 48,
        (RType::ZONEMD, 2) => 64,
        (RType::ZONEMD, _) => {
            return if digest.len() >= 12 {
                Ok(())
            } else {
                Err(malformed(rtype, "digest shorter than 12 octets"))
            }
        }
        _ => return Ok(()),
    };
    if digest.len() != want {
        return Err(malformed(
            rtype,
            "digest length does not match the digest type",
        ));
    }
    Ok(())
}

/// Checks the structure of uncompressed rdata against its type.
pub(crate) fn validate(rtype: RType, r: &[u8]) -> Result<(), RdataError> {
    walk(rtype, r, |_, _, _| ())
}

/// See [`super::read_rdata`].
pub(crate) fn read(
    msg: &[u8],
    offset: usize,
    rdlen: usize,
    rtype: RType,
) -> Result<Vec<u8>, RdataError> {
    let end = offset
        .checked_add(rdlen)
        .filter(|&e| e <= msg.len())
        .ok_or_else(|| malformed(rtype, "rdata runs past the message"))?;
    let raw = &msg[offset..end];
    let Some(sch) = schema(rtype).filter(|s| s.compress) else {
        validate(rtype, raw)?;
        return Ok(raw.to_vec());
    };
    let mut out = Vec::with_capacity(rdlen + 16);
    let mut pos = offset;
    for &field in sch.fields {
        if field == Field::Name {
            pos = decompress(msg, pos, end, &mut out)
                .ok_or_else(|| malformed(rtype, "bad or looping compressed name"))?;
        } else {
            // Fixed-shape fields: measure them in place, copy as they are.
            let e = field_end(rtype, field, &msg[offset..end], pos - offset)? + offset;
            out.extend_from_slice(&msg[pos..e]);
            pos = e;
        }
    }
    if pos != end {
        return Err(malformed(rtype, "trailing octets"));
    }
    type_rules(rtype, &out)?;
    Ok(out)
}

/// Appends the name at `pos` in `msg`, following backward pointers; its
/// in-line part must end by `limit`. Returns the offset after the in-line part.
fn decompress(msg: &[u8], mut pos: usize, limit: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut after: Option<usize> = None;
    let mut name_len = 0usize;
    // Every pointer must go strictly backwards from the last one.
    let mut ceiling = pos;
    loop {
        let len = *msg.get(pos)? as usize;
        match len & 0xC0 {
            0x00 => {
                let lim = if after.is_none() { limit } else { msg.len() };
                if pos + 1 + len > lim {
                    return None;
                }
                name_len += 1 + len;
                if name_len > MAX_NAME_LEN {
                    return None;
                }
                out.extend_from_slice(&msg[pos..pos + 1 + len]);
                pos += 1 + len;
                if len == 0 {
                    return Some(after.unwrap_or(pos));
                }
            }
            0xC0 => {
                let lim = if after.is_none() { limit } else { msg.len() };
                if pos + 2 > lim {
                    return None;
                }
                let target = ((len & 0x3F) << 8) | msg[pos + 1] as usize;
                if target >= ceiling {
                    return None;
                }
                after.get_or_insert(pos + 2);
                ceiling = target;
                pos = target;
            }
            _ => return None,
        }
    }
}

/// See [`super::canonicalize`].
pub(crate) fn canonicalize(rtype: RType, r: &mut [u8]) {
    let Some(sch) = schema(rtype) else { return };
    if !sch.canonical {
        return;
    }
    let mut names: [(usize, usize); 4] = [(0, 0); 4];
    let mut n = 0;
    let ok = walk(rtype, r, |f, s, e| {
        if f == Field::Name && n < names.len() {
            names[n] = (s, e);
            n += 1;
        }
    });
    if ok.is_ok() {
        for &(s, e) in &names[..n] {
            r[s..e].make_ascii_lowercase();
        }
    }
}
