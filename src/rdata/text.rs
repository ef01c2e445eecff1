//! Presentation-format field codecs shared by all types: numbers, TTLs,
//! names, character-strings, hex, base64, base32hex and DNSSEC times.
//!
//! Parsers work on raw token bytes and never allocate for numbers; names
//! and strings are written straight into the rdata being built. Every
//! parser returns an error naming the field rather than panicking: the
//! input is untrusted.

use super::{RType, RdataError, Token};
use crate::zone::name::{self, Name, NameError, MAX_LABEL_LEN, MAX_NAME_LEN};
use base64::Engine;
use std::fmt::Write;

/// Unsigned decimal number that fits `max`, or `None`.
pub(crate) fn parse_uint(text: &[u8], max: u64) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    (v <= max).then_some(v)
}

pub(crate) fn parse_u8(t: &Token, what: &'static str) -> Result<u8, RdataError> {
    parse_uint(t.text, u8::MAX as u64)
        .map(|v| v as u8)
        .ok_or_else(|| RdataError::bad(what, t.text))
}

pub(crate) fn parse_u16(t: &Token, what: &'static str) -> Result<u16, RdataError> {
    parse_uint(t.text, u16::MAX as u64)
        .map(|v| v as u16)
        .ok_or_else(|| RdataError::bad(what, t.text))
}

pub(crate) fn parse_u32(t: &Token, what: &'static str) -> Result<u32, RdataError> {
    parse_uint(t.text, u32::MAX as u64)
        .map(|v| v as u32)
        .ok_or_else(|| RdataError::bad(what, t.text))
}

/// A TTL or time period: plain seconds, or BIND units (`1w2d3h4m5s`, any
/// case). A number without a unit after a unit (`1h30`) is rejected, as
/// BIND does. `None` when malformed or above `u32::MAX`.
pub fn parse_ttl(text: &[u8]) -> Option<u32> {
    if let Some(v) = parse_uint(text, u32::MAX as u64) {
        return Some(v as u32);
    }
    let mut total: u64 = 0;
    let mut i = 0;
    if text.is_empty() {
        return None;
    }
    while i < text.len() {
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        let n = parse_uint(&text[start..i], u32::MAX as u64)?;
        let mult = match text.get(i)?.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86400,
            b'w' => 604800,
            _ => return None,
        };
        i += 1;
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    u32::try_from(total).ok()
}

/// Appends the wire form of the name in `t` to `out`. `@` (unquoted)
/// stands for `origin`; names without a trailing dot are relative to it.
pub(crate) fn push_name(out: &mut Vec<u8>, t: &Token, origin: &Name) -> Result<(), RdataError> {
    push_name_relative(out, t, origin).map(|_| ())
}

/// As [`push_name`]; `Ok(true)` when the name was relative to `origin`.
pub(crate) fn push_name_relative(
    out: &mut Vec<u8>,
    t: &Token,
    origin: &Name,
) -> Result<bool, RdataError> {
    let text = t.text;
    let err = |reason| RdataError::BadName {
        text: t.lossy(),
        reason,
    };
    if !t.quoted && text == b"@" {
        out.extend_from_slice(origin.as_wire());
        return Ok(true);
    }
    if text == b"." {
        out.push(0);
        return Ok(false);
    }
    if text.is_empty() {
        return Err(err(NameError::EmptyLabel));
    }
    let start = out.len();
    let mut len_pos = out.len();
    out.push(0);
    let mut label_len = 0usize;
    let mut absolute = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        let byte = match c {
            b'.' => {
                if label_len == 0 {
                    return Err(err(NameError::EmptyLabel));
                }
                out[len_pos] = label_len as u8;
                i += 1;
                if i == text.len() {
                    absolute = true;
                } else {
                    len_pos = out.len();
                    out.push(0);
                    label_len = 0;
                }
                continue;
            }
            b'\\' => {
                let (b, used) = name::unescape(&text[i + 1..]).map_err(err)?;
                i += 1 + used;
                b
            }
            _ => {
                i += 1;
                c
            }
        };
        out.push(byte);
        label_len += 1;
        if label_len > MAX_LABEL_LEN {
            return Err(err(NameError::LabelTooLong));
        }
    }
    if absolute {
        out.push(0);
    } else {
        out[len_pos] = label_len as u8;
        out.extend_from_slice(origin.as_wire());
    }
    if out.len() - start > MAX_NAME_LEN {
        return Err(err(NameError::NameTooLong));
    }
    Ok(!absolute)
}

/// Parses a name token into a [`Name`] (see [`push_name`]).
pub(crate) fn parse_name(t: &Token, origin: &Name) -> Result<Name, RdataError> {
    let mut buf = Vec::with_capacity(t.text.len() + origin.wire_len_bytes() + 2);
    push_name(&mut buf, t, origin)?;
    Name::from_wire(&buf).map_err(|reason| RdataError::BadName {
        text: t.lossy(),
        reason,
    })
}

/// Appends the bytes of `text` with `\DDD` and `\X` escapes decoded.
pub(crate) fn unescape_into(out: &mut Vec<u8>, text: &[u8]) -> Result<(), RdataError> {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            let (b, used) = name::unescape(&text[i + 1..])
                .map_err(|_| RdataError::bad("escape sequence", &text[i..]))?;
            out.push(b);
            i += 1 + used;
        } else {
            // Copy the run up to the next backslash in one go.
            let run = text[i..]
                .iter()
                .position(|&b| b == b'\\')
                .unwrap_or(text.len() - i);
            out.extend_from_slice(&text[i..i + run]);
            i += run;
        }
    }
    Ok(())
}

/// Appends a `<character-string>` (length octet and bytes).
pub(crate) fn push_char_string(
    out: &mut Vec<u8>,
    t: &Token,
    rtype: RType,
) -> Result<(), RdataError> {
    let len_pos = out.len();
    out.push(0);
    unescape_into(out, t.text)?;
    let len = out.len() - len_pos - 1;
    if len > 255 {
        return Err(RdataError::StringTooLong { rtype });
    }
    out[len_pos] = len as u8;
    Ok(())
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex spread over several tokens (whitespace inside allowed).
pub(crate) fn push_hex(out: &mut Vec<u8>, toks: &[Token]) -> Result<(), RdataError> {
    let mut half: Option<u8> = None;
    for t in toks {
        for &b in t.text {
            let v = hex_val(b).ok_or_else(|| RdataError::bad("hex data", t.text))?;
            match half.take() {
                None => half = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
    }
    if half.is_some() {
        return Err(RdataError::Invalid(
            "hex data has an odd number of digits".into(),
        ));
    }
    Ok(())
}

/// Base64 of RFC 4648, padding optional, spread over several tokens.
pub(crate) fn push_base64(out: &mut Vec<u8>, toks: &[Token]) -> Result<(), RdataError> {
    let mut joined = Vec::with_capacity(toks.iter().map(|t| t.text.len()).sum());
    for t in toks {
        joined.extend_from_slice(t.text);
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(&joined)
        .map_err(|_| RdataError::bad("base64 data", &joined))?;
    out.extend_from_slice(&bytes);
    Ok(())
}

pub(crate) fn base64_text(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes unpadded base32hex (RFC 4648 §7), either case.
pub(crate) fn base32hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    let upper: Vec<u8> = text.iter().map(|b| b.to_ascii_uppercase()).collect();
    data_encoding::BASE32HEX_NOPAD.decode(&upper).ok()
}

pub(crate) fn base32hex_text(bytes: &[u8]) -> String {
    data_encoding::BASE32HEX_NOPAD.encode(bytes)
}

pub(crate) fn write_hex(s: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    s.reserve(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// Writes bytes as a quoted character-string that both we and BIND read
/// back to the same bytes.
pub(crate) fn write_quoted(s: &mut String, bytes: &[u8]) {
    s.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            0x20..=0x7E => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{:03}", b);
            }
        }
    }
    s.push('"');
}

/// Writes a name held in wire form (absolute, with the trailing dot).
pub(crate) fn write_name(s: &mut String, wire: &[u8]) -> Result<(), NameError> {
    let n = Name::from_wire(wire)?;
    let _ = write!(s, "{n}");
    Ok(())
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// An RRSIG time: `YYYYMMDDHHmmSS` (UTC, any year: BIND writes dates before
/// 1970 for times read in its ±68-year window) or seconds since the epoch. Dates
/// map to 32-bit serial time modulo 2^32 (RFC 4034 §3.2).
pub(crate) fn parse_time(t: &Token) -> Result<u32, RdataError> {
    let bad = || RdataError::bad("signature time", t.text);
    let x = t.text;
    if x.len() != 14 {
        return parse_uint(x, u32::MAX as u64)
            .map(|v| v as u32)
            .ok_or_else(bad);
    }
    if !x.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let num =
        |r: std::ops::Range<usize>| x[r].iter().fold(0i64, |a, &b| a * 10 + (b - b'0') as i64);
    let (y, mo, d, h, mi, s) = (
        num(0..4),
        num(4..6),
        num(6..8),
        num(8..10),
        num(10..12),
        num(12..14),
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    Ok(secs.rem_euclid(1 << 32) as u32)
}

/// `YYYYMMDDHHmmSS` of a 32-bit time, taken as the date nearest to the
/// years 1970..2106 (serial arithmetic is the signer's business).
pub(crate) fn time_text(v: u32) -> String {
    let secs = v as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let r = secs.rem_euclid(86400);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        y,
        m,
        d,
        r / 3600,
        r / 60 % 60,
        r % 60
    )
}

/// DNSSEC algorithm numbers and their BIND mnemonics.
const ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("NSEC3DSA", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("NSEC3RSASHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

pub(crate) fn parse_algorithm(t: &Token) -> Result<u8, RdataError> {
    if let Some(v) = parse_uint(t.text, 255) {
        return Ok(v as u8);
    }
    ALGORITHMS
        .iter()
        .find(|(m, _)| t.text.eq_ignore_ascii_case(m.as_bytes()))
        .map(|&(_, v)| v)
        .ok_or_else(|| RdataError::bad("DNSSEC algorithm", t.text))
}

/// CERT types of RFC 4398 §2.1.
const CERT_TYPES: &[(&str, u16)] = &[
    ("PKIX", 1),
    ("SPKI", 2),
    ("PGP", 3),
    ("IPKIX", 4),
    ("ISPKI", 5),
    ("IPGP", 6),
    ("ACPKIX", 7),
    ("IACPKIX", 8),
    ("URI", 253),
    ("OID", 254),
];

pub(crate) fn parse_cert_type(t: &Token) -> Result<u16, RdataError> {
    if let Some(v) = parse_uint(t.text, 65535) {
        return Ok(v as u16);
    }
    CERT_TYPES
        .iter()
        .find(|(m, _)| t.text.eq_ignore_ascii_case(m.as_bytes()))
        .map(|&(_, v)| v)
        .ok_or_else(|| RdataError::bad("certificate type", t.text))
}

/// A type mnemonic or `TYPEnnn`.
pub(crate) fn parse_rtype(t: &Token) -> Result<RType, RdataError> {
    std::str::from_utf8(t.text)
        .ok()
        .and_then(RType::from_mnemonic)
        .ok_or_else(|| RdataError::bad("record type", t.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl(b"3600"), Some(3600));
        assert_eq!(parse_ttl(b"1h30m"), Some(5400));
        assert_eq!(parse_ttl(b"1W"), Some(604800));
        assert_eq!(parse_ttl(b"2d"), Some(172800));
        assert_eq!(parse_ttl(b"1h30"), None);
        assert_eq!(parse_ttl(b"4294967296"), None);
        assert_eq!(parse_ttl(b""), None);
        assert_eq!(parse_ttl(b"h"), None);
    }

    #[test]
    fn times() {
        let t = Token::new("20260101000000");
        let v = parse_time(&t).unwrap();
        assert_eq!(v, 1767225600);
        assert_eq!(time_text(v), "20260101000000");
        assert_eq!(parse_time(&Token::new("1767225600")).unwrap(), v);
        assert!(parse_time(&Token::new("20261301000000")).is_err());
    }

    #[test]
    fn names() {
        let origin: Name = "example.com.".parse().unwrap();
        let mut out = Vec::new();
        push_name(&mut out, &Token::new("a\\.b.c"), &origin).unwrap();
        assert_eq!(
            Name::from_wire(&out).unwrap().to_string(),
            "a\\.b.c.example.com."
        );
        out.clear();
        push_name(&mut out, &Token::new("@"), &origin).unwrap();
        assert_eq!(out, origin.as_wire());
        assert!(push_name(&mut out, &Token::new("a..b"), &origin).is_err());
        assert!(push_name(&mut out, &Token::new(&"x".repeat(64)), &origin).is_err());
        let long = vec!["abcdefghij"; 30].join(".") + ".";
        assert!(push_name(&mut out, &Token::new(&long), &origin).is_err());
    }
}
