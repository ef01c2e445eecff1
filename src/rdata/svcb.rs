//! SvcParams of SVCB and HTTPS (RFC 9460 §2.1, §7 and Appendix A).
//!
//! Text is a list of `key[=value]`; a quoted value may come as its own
//! token (`alpn="h2,h3"` lexes as `alpn=` then `"h2,h3"`). Values that are
//! lists use commas, with `\,` for a literal comma inside an item. On the
//! wire the params are sorted by key number, without duplicates.

use super::encode::{parse_ipv4, parse_ipv6};
use super::text::{base64_text, push_base64, unescape_into, write_quoted};
use super::{RdataError, Token};
use crate::zone::name::Name;
use std::fmt::Write;

const KEYS: &[&str] = &[
    "mandatory",
    "alpn",
    "no-default-alpn",
    "port",
    "ipv4hint",
    "ech",
    "ipv6hint",
    "dohpath",
];

fn key_number(k: &[u8]) -> Option<u16> {
    if let Some(i) = KEYS
        .iter()
        .position(|n| k.eq_ignore_ascii_case(n.as_bytes()))
    {
        return Some(i as u16);
    }
    let digits = k.strip_prefix(b"key")?;
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    super::text::parse_uint(digits, 65535).map(|v| v as u16)
}

fn key_name(s: &mut String, k: u16) {
    match KEYS.get(k as usize) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "key{k}");
        }
    }
}

/// Splits an unescaped value list on commas, honouring `\,` and `\\`.
fn split_list(v: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\\' if i + 1 < v.len() => {
                cur.push(v[i + 1]);
                i += 2;
            }
            b',' => {
                items.push(std::mem::take(&mut cur));
                i += 1;
            }
            b => {
                cur.push(b);
                i += 1;
            }
        }
    }
    items.push(cur);
    items
}

fn encode_value(key: u16, raw: Option<&Token>, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let text = raw.map(|t| t.text).unwrap_or(b"");
    let bad = |what| RdataError::bad(what, text);
    let mut val = Vec::new();
    unescape_into(&mut val, text)?;
    match key {
        0 => {
            let mut keys = Vec::new();
            for item in split_list(&val) {
                keys.push(
                    key_number(&item)
                        .filter(|&k| k != 0)
                        .ok_or_else(|| bad("mandatory key list"))?,
                );
            }
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad("mandatory key list (duplicate key)"));
            }
            keys.iter()
                .for_each(|k| out.extend_from_slice(&k.to_be_bytes()));
        }
        1 => {
            for item in split_list(&val) {
                if item.is_empty() || item.len() > 255 {
                    return Err(bad("alpn list"));
                }
                out.push(item.len() as u8);
                out.extend_from_slice(&item);
            }
        }
        2 => {
            if raw.is_some() {
                return Err(bad("no-default-alpn (takes no value)"));
            }
        }
        3 => {
            let p = super::text::parse_uint(&val, 65535).ok_or_else(|| bad("port"))?;
            out.extend_from_slice(&(p as u16).to_be_bytes());
        }
        4 => {
            for item in split_list(&val) {
                out.extend_from_slice(&parse_ipv4(&item).ok_or_else(|| bad("ipv4hint"))?);
            }
        }
        6 => {
            for item in split_list(&val) {
                out.extend_from_slice(&parse_ipv6(&item).ok_or_else(|| bad("ipv6hint"))?);
            }
        }
        5 => {
            let t = Token {
                text: &val,
                quoted: false,
                line: 0,
                col: 0,
            };
            push_base64(out, std::slice::from_ref(&t))?;
        }
        7 => {
            if std::str::from_utf8(&val).is_err() || val.is_empty() {
                return Err(bad("dohpath"));
            }
            out.extend_from_slice(&val);
        }
        _ => out.extend_from_slice(&val),
    }
    Ok(())
}

/// Encodes params; the error carries the index of the token at fault.
pub(crate) fn encode(
    toks: &[Token],
    out: &mut Vec<u8>,
    _origin: &Name,
) -> Result<(), (usize, RdataError)> {
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let idx = i;
        let (key, value): (&[u8], Option<Token>) = match t.text.iter().position(|&b| b == b'=') {
            Some(eq) if eq + 1 == t.text.len() => {
                // `key=` followed by a quoted value token.
                match toks.get(i + 1).filter(|n| n.quoted) {
                    Some(n) => {
                        i += 1;
                        (&t.text[..eq], Some(*n))
                    }
                    None => (&t.text[..eq], Some(Token { text: b"", ..*t })),
                }
            }
            Some(eq) => (
                &t.text[..eq],
                Some(Token {
                    text: &t.text[eq + 1..],
                    ..*t
                }),
            ),
            None => (t.text, None),
        };
        i += 1;
        let k = key_number(key).ok_or((idx, RdataError::bad("SvcParam key", key)))?;
        if params.iter().any(|(p, _)| *p == k) {
            return Err((idx, RdataError::bad("SvcParam (duplicate key)", key)));
        }
        // `keyNNNNN=` takes the value's wire form even for keys that have
        // names (RFC 9460 §2.1), as BIND and Knot read it.
        let generic = key.len() > 3 && key[..3].eq_ignore_ascii_case(b"key");
        let mut v = Vec::new();
        if generic {
            unescape_into(&mut v, value.map_or(&b""[..], |t| t.text)).map_err(|e| (idx, e))?;
        } else {
            if value.is_none() && k != 2 {
                return Err((idx, RdataError::bad("SvcParam (value required)", key)));
            }
            encode_value(k, value.as_ref(), &mut v).map_err(|e| (idx, e))?;
        }
        if v.len() > 65535 {
            return Err((idx, RdataError::bad("SvcParam value (too long)", key)));
        }
        let mut one = Vec::with_capacity(4 + v.len());
        one.extend_from_slice(&k.to_be_bytes());
        one.extend_from_slice(&(v.len() as u16).to_be_bytes());
        one.extend_from_slice(&v);
        if validate(&one).is_err() {
            return Err((idx, RdataError::bad("SvcParam value", t.text)));
        }
        params.push((k, v));
    }
    params.sort_by_key(|(k, _)| *k);
    for (k, v) in params {
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(&v);
    }
    Ok(())
}

/// Structure check of wire params (sorted keys, known value shapes).
pub(crate) fn validate(mut r: &[u8]) -> Result<(), &'static str> {
    let mut last: Option<u16> = None;
    while !r.is_empty() {
        if r.len() < 4 {
            return Err("truncated SvcParam");
        }
        let key = u16::from_be_bytes([r[0], r[1]]);
        let len = u16::from_be_bytes([r[2], r[3]]) as usize;
        if last.is_some_and(|l| key <= l) {
            return Err("SvcParam keys out of order");
        }
        let v = r.get(4..4 + len).ok_or("truncated SvcParam value")?;
        let ok = match key {
            0 => !v.is_empty() && v.len() % 2 == 0,
            1 => !v.is_empty() && alpn_ok(v),
            2 => v.is_empty(),
            3 => v.len() == 2,
            4 => !v.is_empty() && v.len() % 4 == 0,
            6 => !v.is_empty() && v.len() % 16 == 0,
            7 => !v.is_empty() && std::str::from_utf8(v).is_ok(),
            _ => true,
        };
        if !ok {
            return Err("bad SvcParam value");
        }
        last = Some(key);
        r = &r[4 + len..];
    }
    Ok(())
}

/// RFC 9460 §8 and §7.1.1: keys listed in `mandatory` are present, and
/// `no-default-alpn` comes with `alpn`. Expects validated params.
pub(crate) fn consistent(mut r: &[u8]) -> Result<(), &'static str> {
    let mut keys = Vec::new();
    let mut mandatory: &[u8] = &[];
    while r.len() >= 4 {
        let key = u16::from_be_bytes([r[0], r[1]]);
        let len = (u16::from_be_bytes([r[2], r[3]]) as usize).min(r.len() - 4);
        if key == 0 {
            mandatory = &r[4..4 + len];
        }
        keys.push(key);
        r = &r[4 + len..];
    }
    for k in mandatory.chunks_exact(2) {
        let k = u16::from_be_bytes([k[0], k[1]]);
        if k == 0 || !keys.contains(&k) {
            return Err("a mandatory SvcParam key is missing");
        }
    }
    if keys.contains(&2) && !keys.contains(&1) {
        return Err("no-default-alpn without alpn");
    }
    Ok(())
}

fn alpn_ok(mut v: &[u8]) -> bool {
    while let Some((&len, rest)) = v.split_first() {
        if len == 0 || rest.len() < len as usize {
            return false;
        }
        v = &rest[len as usize..];
    }
    true
}

/// Escapes one list item so `split_list` gives it back.
fn list_item(out: &mut Vec<u8>, item: &[u8]) {
    for &b in item {
        if b == b',' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// Text of validated params, each `key=value` separated by spaces.
pub(crate) fn text(s: &mut String, mut r: &[u8]) {
    while r.len() >= 4 {
        let key = u16::from_be_bytes([r[0], r[1]]);
        let len = (u16::from_be_bytes([r[2], r[3]]) as usize).min(r.len() - 4);
        let v = &r[4..4 + len];
        r = &r[4 + len..];
        s.push(' ');
        key_name(s, key);
        match key {
            0 => {
                s.push('=');
                for (i, k) in v.chunks_exact(2).enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    key_name(s, u16::from_be_bytes([k[0], k[1]]));
                }
            }
            1 => {
                let mut list = Vec::new();
                let mut p = v;
                while let Some((&l, rest)) = p.split_first() {
                    let l = (l as usize).min(rest.len());
                    if !list.is_empty() {
                        list.push(b',');
                    }
                    list_item(&mut list, &rest[..l]);
                    p = &rest[l..];
                }
                s.push('=');
                write_quoted(s, &list);
            }
            2 => {}
            3 if v.len() == 2 => {
                let _ = write!(s, "={}", u16::from_be_bytes([v[0], v[1]]));
            }
            4 => {
                s.push('=');
                let ips: Vec<String> = v
                    .chunks_exact(4)
                    .map(|a| std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string())
                    .collect();
                s.push_str(&ips.join(","));
            }
            6 => {
                s.push('=');
                let ips: Vec<String> = v
                    .chunks_exact(16)
                    .map(|a| {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(a);
                        std::net::Ipv6Addr::from(o).to_string()
                    })
                    .collect();
                s.push_str(&ips.join(","));
            }
            5 => {
                let _ = write!(s, "={}", base64_text(v));
            }
            _ => {
                if !v.is_empty() || key >= 8 {
                    s.push('=');
                    write_quoted(s, v);
                }
            }
        }
    }
}
