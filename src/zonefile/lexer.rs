//! Zone-file lexer: bytes to entries of tokens.
//!
//! An *entry* is one logical line: a physical line, or several joined by
//! parentheses. Tokens borrow from the source (no allocation per token);
//! escapes are left in place for the field parsers. `;` starts a comment
//! outside quotes; `(`, `)` and `"` delimit tokens even without spaces
//! around them, as in BIND. A quoted string must end on its line.
//!
//! On a malformed line (unbalanced `)` or quote) the lexer reports the
//! error and skips to the next line, so the parser can go on and collect
//! further errors.

use crate::rdata::Token;

/// One logical line's framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Line where the entry starts.
    pub line: u32,
    /// The line began with a blank: the owner is omitted.
    pub blank_owner: bool,
}

/// A lexical error with its position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct LexError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Bytes that end an unquoted token.
static DELIM: [bool; 256] = {
    let mut t = [false; 256];
    let d = b" \t\r\n;()\"";
    let mut i = 0;
    while i < d.len() {
        t[d[i] as usize] = true;
        i += 1;
    }
    t
};

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn col(&self, at: usize) -> u32 {
        (at - self.line_start + 1) as u32
    }

    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Skips the rest of the current line (not the newline itself).
    fn skip_line(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    }

    fn fail(
        &mut self,
        line: u32,
        col: u32,
        message: impl Into<String>,
    ) -> Option<Result<Entry, LexError>> {
        self.skip_line();
        Some(Err(LexError {
            line,
            col,
            message: message.into(),
        }))
    }

    /// Fills `toks` with the next entry's tokens. `None` at end of input.
    pub fn next_entry(&mut self, toks: &mut Vec<Token<'a>>) -> Option<Result<Entry, LexError>> {
        toks.clear();
        let src = self.src;
        let mut depth = 0u32;
        let mut open_at = (0u32, 0u32);
        let mut entry = Entry {
            line: self.line,
            blank_owner: false,
        };
        loop {
            let Some(&c) = src.get(self.pos) else {
                if depth > 0 {
                    toks.clear();
                    return Some(Err(LexError {
                        line: open_at.0,
                        col: open_at.1,
                        message: "unbalanced parentheses: '(' never closed".into(),
                    }));
                }
                return (!toks.is_empty()).then_some(Ok(entry));
            };
            match c {
                b'\n' => {
                    self.newline();
                    if depth == 0 && !toks.is_empty() {
                        return Some(Ok(entry));
                    }
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b';' => self.skip_line(),
                b'(' => {
                    if depth == 0 {
                        open_at = (self.line, self.col(self.pos));
                    }
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    if depth == 0 {
                        let (l, col) = (self.line, self.col(self.pos));
                        toks.clear();
                        return self.fail(l, col, "unbalanced parentheses: ')' without '('");
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                b'"' => {
                    let (l, col) = (self.line, self.col(self.pos));
                    let start = self.pos + 1;
                    let mut i = start;
                    loop {
                        match src.get(i) {
                            Some(b'\\') if src.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
                            Some(b'"') => break,
                            Some(b'\n') | None | Some(b'\\') => {
                                toks.clear();
                                return self.fail(l, col, "unterminated quoted string");
                            }
                            Some(_) => i += 1,
                        }
                    }
                    if toks.is_empty() {
                        entry = self.start_entry();
                    }
                    toks.push(Token {
                        text: &src[start..i],
                        quoted: true,
                        line: l,
                        col,
                    });
                    self.pos = i + 1;
                }
                _ => {
                    let start = self.pos;
                    let mut i = start;
                    while let Some(&b) = src.get(i) {
                        if b == b'\\' {
                            // An escaped delimiter belongs to the token.
                            i += if src.get(i + 1).is_some_and(|&n| n != b'\n') {
                                2
                            } else {
                                1
                            };
                        } else if DELIM[b as usize] {
                            break;
                        } else {
                            i += 1;
                        }
                    }
                    if toks.is_empty() {
                        entry = self.start_entry();
                    }
                    toks.push(Token {
                        text: &src[start..i],
                        quoted: false,
                        line: self.line,
                        col: self.col(start),
                    });
                    self.pos = i;
                }
            }
        }
    }

    /// Framing of an entry whose first token is on the current line.
    fn start_entry(&self) -> Entry {
        let first = self.src.get(self.line_start).copied();
        Entry {
            line: self.line,
            blank_owner: matches!(first, Some(b' ' | b'\t')),
        }
    }
}

/// All tokens of `text` (parentheses and newlines joined) as one list.
pub fn tokenize(text: &[u8]) -> Result<Vec<Token<'_>>, LexError> {
    let mut lx = Lexer::new(text);
    let mut all = Vec::new();
    let mut toks = Vec::new();
    while let Some(e) = lx.next_entry(&mut toks) {
        e?;
        all.extend_from_slice(&toks);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(Vec<String>, bool)> {
        let mut lx = Lexer::new(src.as_bytes());
        let mut toks = Vec::new();
        let mut out = Vec::new();
        while let Some(e) = lx.next_entry(&mut toks) {
            let e = e.unwrap();
            out.push((toks.iter().map(|t| t.lossy()).collect(), e.blank_owner));
        }
        out
    }

    #[test]
    fn entries_and_parens() {
        let v = texts("a A 1.2.3.4 ; c\n\n  B ( 1\n 2 ) ;x\n\"q;(\\\"\"x\n");
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].0, ["a", "A", "1.2.3.4"]);
        assert!(!v[0].1);
        assert_eq!(v[1].0, ["B", "1", "2"]);
        assert!(v[1].1);
        assert_eq!(v[2].0, ["q;(\\\"", "x"]);
    }

    #[test]
    fn escapes_stay_in_tokens() {
        let v = texts("a\\ b\\;c\\(d A x(y)\n");
        assert_eq!(v[0].0, ["a\\ b\\;c\\(d", "A", "x", "y"]);
    }

    #[test]
    fn errors_recover() {
        let mut lx = Lexer::new(b"a )\nb A 1.2.3.4\nc \"open\nd (\n");
        let mut toks = Vec::new();
        let e = lx.next_entry(&mut toks).unwrap().unwrap_err();
        assert_eq!((e.line, e.col), (1, 3));
        assert!(lx.next_entry(&mut toks).unwrap().is_ok());
        assert_eq!(toks[0].text, b"b");
        let e = lx.next_entry(&mut toks).unwrap().unwrap_err();
        assert_eq!((e.line, e.col), (3, 3));
        let e = lx.next_entry(&mut toks).unwrap().unwrap_err();
        assert_eq!(e.line, 4);
        assert!(lx.next_entry(&mut toks).is_none());
    }
}
