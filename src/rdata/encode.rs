//! Presentation format to wire form (`from_text`).
//!
//! The tokens of one record's rdata are consumed field by field following
//! the type's [`Schema`]. Errors carry the index of the offending token so
//! the zone-file parser can report its column. The `\# len hex` generic
//! form is accepted for every type and checked against the type's layout.

use super::schema::{schema, Field, Schema};
use super::text::*;
use super::{bitmap, loc, svcb, wire, wks, RType, RdataError, Token, TokenError};
use crate::zone::name::Name;

fn at(index: usize) -> impl Fn(RdataError) -> TokenError {
    move |error| TokenError { index, error }
}

/// Converts rdata tokens to wire form; see [`super::from_text`].
pub(crate) fn encode(rtype: RType, toks: &[Token], origin: &Name) -> Result<Vec<u8>, TokenError> {
    let mut out = Vec::with_capacity(32);
    encode_into(rtype, toks, origin, &mut out)?;
    Ok(out)
}

/// As [`encode`], appending to `out` (a scratch buffer the zone-file
/// parser reuses, so each record costs one exact-size allocation).
pub(crate) fn encode_into(
    rtype: RType,
    toks: &[Token],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), TokenError> {
    if let Some(first) = toks.first() {
        if !first.quoted && first.text == b"\\#" {
            out.extend_from_slice(&generic(rtype, toks)?);
            return Ok(());
        }
    }
    // Fast paths for the bulk of real zones.
    match rtype {
        RType::A if toks.len() == 1 && !toks[0].quoted => {
            let a = parse_ipv4(toks[0].text).ok_or_else(|| TokenError {
                index: 0,
                error: RdataError::bad("IPv4 address", toks[0].text),
            })?;
            out.extend_from_slice(&a);
            return Ok(());
        }
        RType::AAAA if toks.len() == 1 && !toks[0].quoted => {
            let a = parse_ipv6(toks[0].text).ok_or_else(|| TokenError {
                index: 0,
                error: RdataError::bad("IPv6 address", toks[0].text),
            })?;
            out.extend_from_slice(&a);
            return Ok(());
        }
        _ => {}
    }
    let Some(sch) = schema(rtype) else {
        return Err(TokenError {
            index: 0,
            error: RdataError::GenericOnly(rtype),
        });
    };
    let start = out.len();
    let mut i = 0usize;
    for &field in sch.fields {
        if field.is_rest() {
            encode_rest(
                field,
                &toks[i.min(toks.len())..],
                i,
                out,
                rtype,
                origin,
                &sch,
            )?;
            i = toks.len();
            continue;
        }
        let Some(t) = toks.get(i) else {
            return Err(missing(rtype, &sch, toks.len()));
        };
        encode_field(field, t, out, rtype, origin).map_err(at(i))?;
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        return Err(TokenError {
            index: i,
            error: RdataError::Extra {
                rtype,
                text: t.lossy(),
            },
        });
    }
    if out.len() - start > 65535 {
        return Err(TokenError {
            index: 0,
            error: RdataError::Invalid(format!("{rtype} rdata longer than 65535 octets")),
        });
    }
    wire::type_rules(rtype, &out[start..]).map_err(at(toks.len().saturating_sub(1)))
}

/// Rest-of-record fields that need at least one token.
fn needs_token(f: Field) -> bool {
    matches!(f, Field::Strs | Field::Base64 | Field::Hex | Field::Rest)
}

/// "expected N fields" for a record that ran out of tokens.
fn missing(rtype: RType, sch: &Schema, found: usize) -> TokenError {
    let fixed = sch.fields.iter().filter(|f| !f.is_rest()).count();
    let rest = sch.fields.iter().any(|&f| needs_token(f));
    TokenError {
        index: found,
        error: RdataError::Missing {
            rtype,
            expected: fixed + rest as usize,
            at_least: sch.fields.iter().any(|f| f.is_rest()),
            found,
        },
    }
}

fn encode_field(
    field: Field,
    t: &Token,
    out: &mut Vec<u8>,
    rtype: RType,
    origin: &Name,
) -> Result<(), RdataError> {
    // Like BIND, only character-strings may be quoted.
    if t.quoted && field != Field::Str {
        return Err(quoted_error(t));
    }
    match field {
        Field::U8 => out.push(parse_u8(t, "8-bit number")?),
        Field::U16 => out.extend_from_slice(&parse_u16(t, "16-bit number")?.to_be_bytes()),
        Field::U32 => out.extend_from_slice(&parse_u32(t, "32-bit number")?.to_be_bytes()),
        Field::Period => {
            let v = parse_ttl(t.text).ok_or_else(|| RdataError::bad("time period", t.text))?;
            out.extend_from_slice(&v.to_be_bytes())
        }
        Field::Alg => out.push(parse_algorithm(t)?),
        Field::CertType => out.extend_from_slice(&parse_cert_type(t)?.to_be_bytes()),
        Field::TypeCode => out.extend_from_slice(&parse_rtype(t)?.0.to_be_bytes()),
        Field::Time => out.extend_from_slice(&parse_time(t)?.to_be_bytes()),
        Field::A => out.extend_from_slice(
            &parse_ipv4(t.text).ok_or_else(|| RdataError::bad("IPv4 address", t.text))?,
        ),
        Field::Aaaa => out.extend_from_slice(
            &parse_ipv6(t.text).ok_or_else(|| RdataError::bad("IPv6 address", t.text))?,
        ),
        Field::Name => push_name(out, t, origin)?,
        Field::Str => push_char_string(out, t, rtype)?,
        Field::Salt => {
            if t.text == b"-" {
                out.push(0);
            } else {
                let len_pos = out.len();
                out.push(0);
                push_hex(out, std::slice::from_ref(t))?;
                let len = out.len() - len_pos - 1;
                if len > 255 {
                    return Err(RdataError::bad("salt (over 255 octets)", t.text));
                }
                out[len_pos] = len as u8;
            }
        }
        Field::Hash32 => {
            let v = base32hex_decode(t.text).filter(|v| !v.is_empty() && v.len() <= 255);
            let v = v.ok_or_else(|| RdataError::bad("base32hex hash", t.text))?;
            out.push(v.len() as u8);
            out.extend_from_slice(&v);
        }
        Field::Eui48 => push_eui(out, t, 6)?,
        Field::Eui64 => push_eui(out, t, 8)?,
        Field::CaaTag => {
            if t.text.is_empty()
                || t.text.len() > 255
                || !t.text.iter().all(u8::is_ascii_alphanumeric)
            {
                return Err(RdataError::bad("CAA tag", t.text));
            }
            out.push(t.text.len() as u8);
            out.extend_from_slice(t.text);
        }
        Field::Protocol => out.push(wks::parse_protocol(t)?),
        Field::Ilnp64 => push_ilnp64(out, t)?,
        Field::Gateway => match out.get(1) {
            Some(0) if t.text == b"." => {}
            Some(1) => out.extend_from_slice(
                &parse_ipv4(t.text).ok_or_else(|| RdataError::bad("IPv4 gateway", t.text))?,
            ),
            Some(2) => out.extend_from_slice(
                &parse_ipv6(t.text).ok_or_else(|| RdataError::bad("IPv6 gateway", t.text))?,
            ),
            Some(3) => push_name(out, t, origin)?,
            _ => {
                return Err(RdataError::bad(
                    "IPSECKEY gateway for its gateway type",
                    t.text,
                ))
            }
        },
        _ => unreachable_rest(field)?,
    }
    Ok(())
}

fn quoted_error(t: &Token) -> RdataError {
    RdataError::Invalid(format!("unexpected quoted string \"{}\"", t.lossy()))
}

fn unreachable_rest(field: Field) -> Result<(), RdataError> {
    Err(RdataError::Invalid(format!(
        "internal: field {field:?} takes the rest of the record"
    )))
}

fn encode_rest(
    field: Field,
    toks: &[Token],
    first: usize,
    out: &mut Vec<u8>,
    rtype: RType,
    origin: &Name,
    sch: &Schema,
) -> Result<(), TokenError> {
    if needs_token(field) && toks.is_empty() {
        return Err(missing(rtype, sch, first));
    }
    if matches!(
        field,
        Field::Base64 | Field::Base64Opt | Field::Hex | Field::Bitmap | Field::Loc
    ) {
        if let Some(k) = toks.iter().position(|t| t.quoted) {
            return Err(at(first + k)(quoted_error(&toks[k])));
        }
    }
    match field {
        Field::Strs => {
            for (k, t) in toks.iter().enumerate() {
                push_char_string(out, t, rtype).map_err(at(first + k))?;
            }
            Ok(())
        }
        Field::Base64 | Field::Base64Opt => push_base64(out, toks).map_err(at(first)),
        Field::Hex => push_hex(out, toks).map_err(at(first)),
        Field::Bitmap => bitmap::encode(toks, out).map_err(|(k, e)| at(first + k)(e)),
        Field::Rest => {
            // One string: the CAA value (quoted or not), the URI target
            // (quoted, RFC 7553 §4.4).
            if let Some(extra) = toks.get(1) {
                return Err(at(first + 1)(RdataError::Extra {
                    rtype,
                    text: extra.lossy(),
                }));
            }
            if rtype == RType::URI && !toks[0].quoted {
                return Err(at(first)(RdataError::bad(
                    "URI target (must be quoted)",
                    toks[0].text,
                )));
            }
            unescape_into(out, toks[0].text).map_err(at(first))
        }
        Field::Loc => loc::encode(toks, out).map_err(|(k, e)| at(first + k)(e)),
        Field::Ports => wks::encode_ports(toks, out).map_err(|(k, e)| at(first + k)(e)),
        Field::SvcParams => svcb::encode(toks, out, origin).map_err(|(k, e)| at(first + k)(e)),
        _ => unreachable_rest(field).map_err(at(first)),
    }
}

/// The RFC 3597 form: `\# <length> <hex>...`.
fn generic(rtype: RType, toks: &[Token]) -> Result<Vec<u8>, TokenError> {
    let len_tok = toks.get(1).ok_or_else(|| TokenError {
        index: 1,
        error: RdataError::Generic("missing length after \\#".into()),
    })?;
    let len = parse_uint(len_tok.text, 65535).ok_or_else(|| TokenError {
        index: 1,
        error: RdataError::bad("generic rdata length", len_tok.text),
    })? as usize;
    let mut out = Vec::with_capacity(len);
    push_hex(&mut out, &toks[2..]).map_err(at(2))?;
    if out.len() != len {
        return Err(TokenError {
            index: 1,
            error: RdataError::Generic(format!("length {len} but {} octets of data", out.len())),
        });
    }
    wire::validate(rtype, &out).map_err(at(2))?;
    Ok(out)
}

/// Dotted-quad IPv4, exactly four decimal parts of at most 255.
pub(crate) fn parse_ipv4(t: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut part = 0usize;
    let mut val: u32 = 0;
    let mut digits = 0;
    for &b in t {
        match b {
            b'0'..=b'9' => {
                // No leading zeros: `010` is octal to some parsers (BIND rejects it).
                if digits == 1 && val == 0 {
                    return None;
                }
                val = val * 10 + (b - b'0') as u32;
                digits += 1;
                if digits > 3 || val > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || part == 3 {
                    return None;
                }
                out[part] = val as u8;
                part += 1;
                val = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    out[3] = val as u8;
    Some(out)
}

pub(crate) fn parse_ipv6(t: &[u8]) -> Option<[u8; 16]> {
    let s = std::str::from_utf8(t).ok()?;
    s.parse::<std::net::Ipv6Addr>().ok().map(|a| a.octets())
}

/// Four groups of 1-4 hex digits joined by `:` (RFC 6742 §2.1).
fn push_ilnp64(out: &mut Vec<u8>, t: &Token) -> Result<(), RdataError> {
    let bad = || RdataError::bad("64-bit locator", t.text);
    let groups: Vec<&[u8]> = t.text.split(|&b| b == b':').collect();
    if groups.len() != 4 {
        return Err(bad());
    }
    for g in groups {
        if g.is_empty() || g.len() > 4 {
            return Err(bad());
        }
        let mut v: u16 = 0;
        for &c in g {
            let d = (c as char).to_digit(16).ok_or_else(bad)? as u16;
            v = v << 4 | d;
        }
        out.extend_from_slice(&v.to_be_bytes());
    }
    Ok(())
}

/// EUI-48/64: hex pairs joined by `-` (RFC 7043 §3.2, §4.2).
fn push_eui(out: &mut Vec<u8>, t: &Token, n: usize) -> Result<(), RdataError> {
    let bad = || {
        RdataError::bad(
            if n == 6 {
                "EUI-48 address"
            } else {
                "EUI-64 address"
            },
            t.text,
        )
    };
    let parts: Vec<&[u8]> = t.text.split(|&b| b == b'-').collect();
    if parts.len() != n || parts.iter().any(|p| p.len() != 2) {
        return Err(bad());
    }
    for p in parts {
        let tok = Token {
            text: p,
            quoted: false,
            line: 0,
            col: 0,
        };
        push_hex(out, std::slice::from_ref(&tok)).map_err(|_| bad())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4() {
        assert_eq!(parse_ipv4(b"10.0.0.1"), Some([10, 0, 0, 1]));
        assert_eq!(parse_ipv4(b"999.1.1.1"), None);
        assert_eq!(parse_ipv4(b"1.2.3"), None);
        assert_eq!(parse_ipv4(b"1.2.3.4.5"), None);
        assert_eq!(parse_ipv4(b"1..3.4"), None);
        assert_eq!(parse_ipv4(b"1.2.3.4."), None);
        assert_eq!(parse_ipv4(b"0001.2.3.4"), None);
    }
}
