//! Wire form to presentation format (`to_text`).
//!
//! Output is what BIND (and our parser) read back to the same wire bytes:
//! names absolute, strings quoted with `\DDD` for unprintable octets, one
//! line. Types without a schema, and rdata that does not fit its type's
//! layout, come out in the RFC 3597 generic form so nothing is lost.

use super::schema::Field;
use super::text::*;
use super::{bitmap, loc, svcb, wire, wks, RType, RdataError};
use std::fmt::Write;

/// `\# len hex`.
pub(crate) fn generic(rdata: &[u8]) -> String {
    let mut s = format!("\\# {}", rdata.len());
    if !rdata.is_empty() {
        s.push(' ');
        write_hex(&mut s, rdata);
    }
    s
}

pub(crate) fn to_text(rtype: RType, r: &[u8]) -> Result<String, RdataError> {
    if super::schema::schema(rtype).is_none() {
        return Ok(generic(r));
    }
    let mut fields = Vec::with_capacity(8);
    if wire::walk(rtype, r, |f, s, e| fields.push((f, s, e))).is_err() {
        return Ok(generic(r));
    }
    let mut s = String::with_capacity(r.len() * 2 + 16);
    for (f, start, end) in fields {
        let v = &r[start..end];
        let before = s.len();
        let sep = !s.is_empty();
        if sep {
            s.push(' ');
        }
        let mark = s.len();
        if !field_text(&mut s, f, v, r) {
            return Ok(generic(r));
        }
        // Empty optional fields (IPSECKEY key, empty bitmap) leave no text.
        if sep && s.len() == mark {
            s.truncate(before);
        }
    }
    Ok(s)
}

/// Appends one field; false when it cannot be shown natively.
fn field_text(s: &mut String, f: Field, v: &[u8], whole: &[u8]) -> bool {
    let be16 = |v: &[u8]| u16::from_be_bytes([v[0], v[1]]);
    let be32 = |v: &[u8]| u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
    match f {
        Field::U8 | Field::Alg => {
            let _ = write!(s, "{}", v[0]);
        }
        Field::U16 | Field::CertType => {
            let _ = write!(s, "{}", be16(v));
        }
        Field::U32 | Field::Period => {
            let _ = write!(s, "{}", be32(v));
        }
        Field::TypeCode => {
            let _ = write!(s, "{}", RType(be16(v)));
        }
        Field::Time => s.push_str(&time_text(be32(v))),
        Field::A => {
            let _ = write!(s, "{}.{}.{}.{}", v[0], v[1], v[2], v[3]);
        }
        Field::Aaaa => {
            let mut o = [0u8; 16];
            o.copy_from_slice(v);
            let _ = write!(s, "{}", std::net::Ipv6Addr::from(o));
        }
        Field::Name => return write_name(s, v).is_ok(),
        Field::Str => write_quoted(s, &v[1..]),
        Field::Strs => {
            let mut p = v;
            let mut first = true;
            while let Some((&l, rest)) = p.split_first() {
                if !first {
                    s.push(' ');
                }
                first = false;
                let l = (l as usize).min(rest.len());
                write_quoted(s, &rest[..l]);
                p = &rest[l..];
            }
        }
        Field::Base64 => s.push_str(&base64_text(v)),
        // BIND insists on a key in text; an empty one needs the generic form.
        Field::Base64Opt if v.is_empty() => return false,
        Field::Base64Opt => s.push_str(&base64_text(v)),
        Field::Hex => write_hex(s, v),
        Field::Salt => {
            if v.len() == 1 {
                s.push('-');
            } else {
                write_hex(s, &v[1..]);
            }
        }
        Field::Hash32 => s.push_str(&base32hex_text(&v[1..])),
        Field::Bitmap => {
            let names: Vec<String> = bitmap::types(v).iter().map(|t| t.to_string()).collect();
            s.push_str(&names.join(" "));
        }
        Field::Eui48 | Field::Eui64 => {
            let parts: Vec<String> = v.iter().map(|b| format!("{b:02x}")).collect();
            s.push_str(&parts.join("-"));
        }
        Field::CaaTag => match std::str::from_utf8(&v[1..]) {
            Ok(t) => s.push_str(t),
            Err(_) => return false,
        },
        Field::Rest => write_quoted(s, v),
        Field::Loc => match loc::text(v) {
            Some(t) => s.push_str(&t),
            None => return false,
        },
        Field::SvcParams => {
            // `svcb::text` writes a leading space before every param.
            if s.ends_with(' ') {
                s.pop();
            }
            svcb::text(s, v);
        }
        Field::Ilnp64 => {
            let g: Vec<String> = v
                .chunks_exact(2)
                .map(|c| format!("{:x}", be16(c)))
                .collect();
            s.push_str(&g.join(":"));
        }
        Field::Protocol => {
            let _ = write!(s, "{}", v[0]);
        }
        // Trailing zero octets would not survive a text round trip.
        Field::Ports if v.last() == Some(&0) => return false,
        Field::Ports => wks::ports_text(s, v),
        Field::Gateway => match whole.get(1) {
            Some(0) => s.push('.'),
            Some(1) => return field_text(s, Field::A, v, whole),
            Some(2) => return field_text(s, Field::Aaaa, v, whole),
            Some(3) => return write_name(s, v).is_ok(),
            _ => return false,
        },
    }
    true
}
