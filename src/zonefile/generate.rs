//! `$GENERATE range[/step] lhs [ttl] [class] type rhs` (BIND extension).
//!
//! Each iteration substitutes the counter into `lhs` and `rhs` and feeds
//! the resulting line through the ordinary record parser, so generated
//! records obey exactly the same rules as written ones. In `lhs`/`rhs`:
//! `$` is the counter, `${offset[,width[,base]]}` formats it (bases `d`,
//! `o`, `x`, `X`, and `n`/`N` for reversed nibble labels as in BIND), `$$`
//! is a literal `$` and `\$` stays an escaped `$`. As in BIND, a quoted
//! `rhs` is re-read as rdata text after substitution.

use super::lexer::tokenize;
use super::parser::{at, Fail, FileCtx, Parser};
use crate::rdata::text::parse_uint;
use crate::rdata::{Class, RType, Token};
use std::fmt::Write;

/// Most records one `$GENERATE` may produce (guards against typos such as
/// `1-100000000`).
const MAX_ITERATIONS: u64 = 10_000_000;

pub(super) fn run(
    p: &mut Parser,
    ctx: &mut FileCtx,
    d: &Token,
    args: &[Token],
) -> Result<(), Fail> {
    if args.len() < 4 {
        return Err(at(
            &ctx.file,
            d,
            "$GENERATE needs: range lhs [ttl] [class] type rhs",
        ));
    }
    let (start, stop, step) = range(args[0].text).ok_or_else(|| {
        at(
            &ctx.file,
            &args[0],
            format!(
                "bad $GENERATE range \"{}\" (want start-stop[/step])",
                args[0].lossy()
            ),
        )
    })?;
    if (stop - start) / step >= MAX_ITERATIONS {
        return Err(at(&ctx.file, &args[0], "$GENERATE range too large"));
    }
    let lhs = &args[1];
    // Skip optional TTL and class to find the type; the rest is rhs.
    let mut k = 2;
    while k < args.len() - 1 && k < 4 && is_ttl_or_class(&args[k]) {
        k += 1;
    }
    if RType::from_mnemonic(&args[k].lossy()).is_none() {
        return Err(at(
            &ctx.file,
            &args[k],
            format!("unknown RR type \"{}\"", args[k].lossy()),
        ));
    }
    let middle = &args[2..=k];
    let rhs = &args[k + 1..];
    if rhs.is_empty() {
        return Err(at(&ctx.file, &args[k], "$GENERATE needs a right-hand side"));
    }
    let mut v = start;
    while v <= stop {
        let line = expand_line(v, lhs, middle, rhs).map_err(|(t, m)| at(&ctx.file, t, m))?;
        let mut toks = tokenize(&line).map_err(|e| {
            at(
                &ctx.file,
                d,
                format!("$GENERATE produced bad text: {}", e.message),
            )
        })?;
        // Report problems at the directive, not in the generated text.
        for t in toks.iter_mut() {
            t.line = d.line;
            t.col = d.col;
        }
        if toks.is_empty() {
            return Err(at(&ctx.file, d, "$GENERATE produced an empty line"));
        }
        p.record(ctx, false, &toks)?;
        v += step;
    }
    Ok(())
}

fn is_ttl_or_class(t: &Token) -> bool {
    !t.quoted
        && (t.text.first().is_some_and(u8::is_ascii_digit)
            || std::str::from_utf8(t.text)
                .ok()
                .and_then(Class::from_mnemonic)
                .is_some())
}

/// `start-stop[/step]`.
fn range(t: &[u8]) -> Option<(u64, u64, u64)> {
    let s = std::str::from_utf8(t).ok()?;
    let (r, step) = match s.split_once('/') {
        Some((r, st)) => (r, parse_uint(st.as_bytes(), u32::MAX as u64)?),
        None => (s, 1),
    };
    let (a, b) = r.split_once('-')?;
    let (a, b) = (
        parse_uint(a.as_bytes(), u32::MAX as u64)?,
        parse_uint(b.as_bytes(), u32::MAX as u64)?,
    );
    (a <= b && step > 0).then_some((a, b, step))
}

fn expand_line<'t>(
    v: u64,
    lhs: &'t Token,
    middle: &'t [Token],
    rhs: &'t [Token],
) -> Result<Vec<u8>, (&'t Token<'t>, String)> {
    let mut line = Vec::with_capacity(64);
    substitute(&mut line, lhs.text, v).map_err(|m| (lhs, m))?;
    for t in middle {
        line.push(b' ');
        line.extend_from_slice(t.text);
    }
    if rhs.len() == 1 && rhs[0].quoted {
        line.push(b' ');
        substitute(&mut line, rhs[0].text, v).map_err(|m| (&rhs[0], m))?;
    } else {
        for t in rhs {
            line.push(b' ');
            if t.quoted {
                line.push(b'"');
            }
            substitute(&mut line, t.text, v).map_err(|m| (t, m))?;
            if t.quoted {
                line.push(b'"');
            }
        }
    }
    Ok(line)
}

/// Replaces `$`, `$$` and `${...}` in `text` for counter `v`.
///
/// A bare `$` after a `${offset...}` in the same string adds that offset
/// (but not the width or base): BIND does this, so we do too, or the same
/// file would load differently in the two servers.
pub(super) fn substitute(out: &mut Vec<u8>, text: &[u8], v: u64) -> Result<(), String> {
    let mut offset = 0i64;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\\' => {
                out.extend_from_slice(&text[i..(i + 2).min(text.len())]);
                i += 2;
            }
            b'$' if text.get(i + 1) == Some(&b'$') => {
                out.extend_from_slice(b"\\$");
                i += 2;
            }
            b'$' if text.get(i + 1) == Some(&b'{') => {
                let close = text[i..]
                    .iter()
                    .position(|&b| b == b'}')
                    .ok_or("unterminated ${ in $GENERATE")?;
                let spec = &text[i + 2..i + close];
                offset = format_counter(out, spec, v)?;
                i += close + 1;
            }
            b'$' => {
                let n = v as i64 + offset;
                if n < 0 {
                    return Err(format!("$GENERATE value {n} is negative"));
                }
                let _ = write!(Bytes(out), "{n}");
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

/// `offset[,width[,base]]`; returns the offset.
fn format_counter(out: &mut Vec<u8>, spec: &[u8], v: u64) -> Result<i64, String> {
    let bad = || {
        format!(
            "bad $GENERATE modifier ${{{}}}",
            String::from_utf8_lossy(spec)
        )
    };
    let s = std::str::from_utf8(spec).map_err(|_| bad())?;
    let mut parts = s.split(',');
    let offset: i64 = parts
        .next()
        .filter(|p| !p.is_empty())
        .map_or(Ok(0), |p| p.parse())
        .map_err(|_| bad())?;
    let width: usize = parts
        .next()
        .map_or(Ok(0), |p| p.parse())
        .map_err(|_| bad())?;
    let base = parts.next().unwrap_or("d");
    if parts.next().is_some() || width > 255 {
        return Err(bad());
    }
    let n = v as i64 + offset;
    if n < 0 {
        return Err(format!("$GENERATE value {n} is negative"));
    }
    let mut w = Bytes(out);
    match base {
        "d" => write!(w, "{n:0width$}"),
        "o" => write!(w, "{n:0width$o}"),
        "x" => write!(w, "{n:0width$x}"),
        "X" => write!(w, "{n:0width$X}"),
        "n" | "N" => {
            nibbles(out, n as u64, width, base == "N");
            Ok(())
        }
        _ => return Err(bad()),
    }
    .map_err(|_| bad())?;
    Ok(offset)
}

/// Reversed nibble labels (`0x1a` → `a.1`); `width` counts output
/// characters including the dots, so an even width ends in a dot and
/// makes the name absolute, exactly as BIND does.
fn nibbles(out: &mut Vec<u8>, mut v: u64, mut width: usize, upper: bool) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    loop {
        out.push(digits[(v & 15) as usize]);
        v >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || v != 0 {
            out.push(b'.');
            width = width.saturating_sub(1);
        }
        if v == 0 && width == 0 {
            break;
        }
    }
}

/// `fmt::Write` into a byte vector.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(t: &str, v: u64) -> String {
        let mut o = Vec::new();
        substitute(&mut o, t.as_bytes(), v).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn substitutions() {
        assert_eq!(sub("host$", 7), "host7");
        assert_eq!(sub("h${0,4,n}", 1), "h1.0.");
        assert_eq!(sub("h${0,3,n}", 15), "hf.0");
        assert_eq!(sub("x${0,6,N}q", 250), "xA.F.0.q");
        assert_eq!(sub("x${-1,3,x}\\$", 10), "x009\\$");
        assert_eq!(sub("y$$", 1), "y\\$");
        assert_eq!(sub("z${1}", 1), "z2");
        assert_eq!(sub("${0,2,X}", 255), "FF");
        assert_eq!(sub("${0,4,o}", 8), "0010");
        // BIND carries the last offset (only) to later bare `$`s.
        assert_eq!(sub("${0,3,x} $ ${5} $ ${0,2} $", 10), "00a 10 15 15 10 10");
        assert_eq!(sub("h${2,3,x}-$", 10), "h00c-12");
        let mut o = Vec::new();
        assert!(substitute(&mut o, b"${-5}", 1).is_err());
        assert!(substitute(&mut o, b"${0,1,q}", 1).is_err());
        assert!(substitute(&mut o, b"${0", 1).is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(range(b"1-10"), Some((1, 10, 1)));
        assert_eq!(range(b"1-10/3"), Some((1, 10, 3)));
        assert_eq!(range(b"10-1"), None);
        assert_eq!(range(b"1-10/0"), None);
    }
}
