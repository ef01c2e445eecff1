//! LOC rdata (RFC 1876): degrees/minutes/seconds and metres to the
//! 16-octet wire form and back.
//!
//! Text: `d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]`
//! with RFC 1876 defaults size 1m, hp 10000m, vp 10m.

use super::{RdataError, Token};
use std::fmt::Write;

const EQUATOR: i64 = 1 << 31;
/// Altitude is stored in cm above -100 000 m.
const ALT_BASE: i64 = 10_000_000;

/// Parses a decimal with up to `frac` fraction digits, scaled by 10^frac.
fn fixed(text: &[u8], frac: u32, neg_ok: bool) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.strip_suffix(['m', 'M']).unwrap_or(s);
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) if neg_ok => (true, r),
        Some(_) => return None,
        None => (false, s),
    };
    let (int, fr) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || fr.len() > frac as usize
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !fr.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 12
    {
        return None;
    }
    let mut v: i64 = int.parse().ok()?;
    let mut f: i64 = if fr.is_empty() { 0 } else { fr.parse().ok()? };
    for _ in fr.len()..frac as usize {
        f *= 10;
    }
    v = v * 10i64.pow(frac) + f;
    Some(if neg { -v } else { v })
}

/// RFC 1876 size encoding: mantissa and power of ten of a length in cm.
fn size_byte(cm: i64) -> Option<u8> {
    let mut exp = 0u32;
    let mut m = cm;
    while m > 9 {
        if m % 10 != 0 && exp >= 9 {
            return None;
        }
        m /= 10;
        exp += 1;
    }
    if exp > 9 {
        return None;
    }
    Some(((m as u8) << 4) | exp as u8)
}

fn size_cm(b: u8) -> Option<u64> {
    let (m, e) = ((b >> 4) as u64, (b & 15) as u32);
    (m <= 9 && e <= 9).then(|| m * 10u64.pow(e))
}

/// Parses one coordinate (degrees, optional minutes and seconds, then the
/// hemisphere letter). Returns the wire value and tokens used.
fn coord(toks: &[Token], pos: &[u8; 2], max_deg: i64) -> Result<(u32, usize), (usize, RdataError)> {
    let bad = |i: usize, what| {
        (
            i,
            RdataError::bad(what, toks.get(i).map_or(&b""[..], |t| t.text)),
        )
    };
    let mut parts = [0i64; 3];
    let mut i = 0;
    while i < toks.len() && i < 3 {
        let t = toks[i].text;
        if t.len() == 1 && pos.contains(&t[0].to_ascii_uppercase()) {
            break;
        }
        parts[i] = if i == 2 {
            fixed(t, 3, false).ok_or_else(|| bad(i, "LOC seconds"))?
        } else {
            fixed(t, 0, false).ok_or_else(|| bad(i, "LOC degrees or minutes"))?
        };
        i += 1;
    }
    if i == 0 {
        return Err(bad(0, "LOC degrees"));
    }
    let hemi = toks
        .get(i)
        .map(|t| t.text)
        .filter(|t| t.len() == 1 && pos.contains(&t[0].to_ascii_uppercase()));
    let Some(hemi) = hemi else {
        return Err(bad(i, "LOC hemisphere"));
    };
    if parts[0] > max_deg || parts[1] > 59 || parts[2] > 59_999 {
        return Err(bad(0, "LOC coordinate"));
    }
    let ms = parts[0] * 3_600_000 + parts[1] * 60_000 + parts[2];
    if ms > max_deg * 3_600_000 {
        return Err(bad(0, "LOC coordinate"));
    }
    let v = if hemi[0].to_ascii_uppercase() == pos[0] {
        EQUATOR + ms
    } else {
        EQUATOR - ms
    };
    Ok((v as u32, i + 1))
}

pub(crate) fn encode(toks: &[Token], out: &mut Vec<u8>) -> Result<(), (usize, RdataError)> {
    let (lat, n1) = coord(toks, b"NS", 90)?;
    let (lon, n2) = coord(&toks[n1..], b"EW", 180).map_err(|(i, e)| (i + n1, e))?;
    let mut i = n1 + n2;
    let alt_tok = toks
        .get(i)
        .ok_or((i, RdataError::Invalid("LOC needs an altitude".into())))?;
    let alt =
        fixed(alt_tok.text, 2, true).ok_or((i, RdataError::bad("LOC altitude", alt_tok.text)))?;
    let alt = alt + ALT_BASE;
    if !(0..=u32::MAX as i64).contains(&alt) {
        return Err((i, RdataError::bad("LOC altitude", alt_tok.text)));
    }
    i += 1;
    let mut sizes = [100i64, 1_000_000, 1_000]; // 1m, 10000m, 10m in cm
    for s in sizes.iter_mut() {
        let Some(t) = toks.get(i) else { break };
        let cm = fixed(t.text, 2, false)
            .and_then(size_byte)
            .ok_or((i, RdataError::bad("LOC size or precision", t.text)))?;
        *s = size_cm(cm).map_or(0, |v| v as i64);
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        return Err((
            i,
            RdataError::Invalid(format!("unexpected \"{}\" after the LOC rdata", t.lossy())),
        ));
    }
    out.push(0);
    for s in sizes {
        out.push(size_byte(s).unwrap_or(0x12));
    }
    out.extend_from_slice(&lat.to_be_bytes());
    out.extend_from_slice(&lon.to_be_bytes());
    out.extend_from_slice(&(alt as u32).to_be_bytes());
    Ok(())
}

fn write_coord(s: &mut String, v: u32, hemi: [char; 2]) {
    let d = v as i64 - EQUATOR;
    let (h, ms) = if d >= 0 { (hemi[0], d) } else { (hemi[1], -d) };
    let _ = write!(
        s,
        "{} {} {}.{:03} {}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000,
        h
    );
}

fn write_cm(s: &mut String, cm: i64) {
    let sign = if cm < 0 { "-" } else { "" };
    let a = cm.abs();
    let _ = write!(s, "{sign}{}.{:02}m", a / 100, a % 100);
}

/// Text of validated 16-octet LOC rdata; `None` if a field is out of range.
pub(crate) fn text(r: &[u8]) -> Option<String> {
    if r.len() != 16 || r[0] != 0 {
        return None;
    }
    // A size byte that text would not give back (like 0e1 for zero) makes
    // the caller fall back to the generic form, so round trips are exact.
    let canonical = |b: u8| size_cm(b).filter(|&cm| size_byte(cm as i64) == Some(b));
    let size = canonical(r[1])?;
    let hp = canonical(r[2])?;
    let vp = canonical(r[3])?;
    let word = |k: usize| u32::from_be_bytes([r[k], r[k + 1], r[k + 2], r[k + 3]]);
    let (lat, lon, alt) = (word(4), word(8), word(12));
    if (lat as i64 - EQUATOR).abs() > 90 * 3_600_000
        || (lon as i64 - EQUATOR).abs() > 180 * 3_600_000
    {
        return None;
    }
    let mut s = String::new();
    write_coord(&mut s, lat, ['N', 'S']);
    s.push(' ');
    write_coord(&mut s, lon, ['E', 'W']);
    s.push(' ');
    write_cm(&mut s, alt as i64 - ALT_BASE);
    for v in [size, hp, vp] {
        s.push(' ');
        write_cm(&mut s, v as i64);
    }
    Some(s)
}
