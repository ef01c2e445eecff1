//! Tokens of presentation-format text.
//!
//! The zone-file lexer cuts a record into tokens and hands the rdata part to
//! [`crate::rdata::from_text`]. A token borrows its bytes from the source
//! text with escapes (`\DDD`, `\X`) still in place: only the field parser
//! knows whether a token is a name (where `\.` is a literal dot inside a
//! label), a character-string or a number, so unescaping happens there.
//! Bytes rather than `str`: zone files are not required to be UTF-8.

/// One whitespace-separated piece of presentation text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The raw text, escapes intact, without the quotes of a quoted string.
    pub text: &'a [u8],
    /// True when the text was written in double quotes.
    pub quoted: bool,
    /// Line of the first byte (1-based; 0 when not from a file).
    pub line: u32,
    /// Column of the first byte (1-based, in bytes; 0 when not from a file).
    pub col: u32,
}

impl<'a> Token<'a> {
    /// An unquoted token not tied to a source position.
    pub fn new(text: &'a str) -> Token<'a> {
        Token {
            text: text.as_bytes(),
            quoted: false,
            line: 0,
            col: 0,
        }
    }

    /// A quoted token not tied to a source position.
    pub fn quoted(text: &'a str) -> Token<'a> {
        Token {
            text: text.as_bytes(),
            quoted: true,
            line: 0,
            col: 0,
        }
    }

    /// The text for error messages (invalid UTF-8 replaced).
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(self.text).into_owned()
    }

    /// True for the unquoted text `s` (ASCII case-insensitive).
    pub fn is(&self, s: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(s.as_bytes())
    }
}
