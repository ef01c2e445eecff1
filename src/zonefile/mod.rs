//! BIND master files: lexer, parser (RFC 1035 §5 plus BIND's `$ORIGIN`,
//! `$TTL`, `$INCLUDE`, `$GENERATE`), and writer.
//!
//! # Design
//!
//! The parser streams: each record goes to a caller-supplied sink as soon
//! as it is parsed, so loading a million-record zone never holds a second
//! copy of it. A file is read into memory once and lexed over bytes;
//! tokens borrow from that buffer, and only the owner [`Name`] and the
//! rdata bytes of each record are allocated.
//!
//! # BIND compatibility
//!
//! The reference is `named-checkzone`: a file it loads, we load to the same
//! records, and the reverse (the parity corpus in `tests/zones/corpus` and
//! randomized comparisons were used to check this). Some of its rules that
//! are easy to get wrong: `$ORIGIN` is scoped to the file that sets it but
//! `$TTL` is not; an `$INCLUDE`d file starts with the includer's previous
//! owner and does not change it; in `$GENERATE`, a bare `$` after
//! `${offset}` in the same string adds that offset; only character-strings
//! may be quoted in rdata (an owner name may be, a type may not).
//! `$INCLUDE` paths are relative to the including file (BIND: to its
//! working directory).
//!
//! # Failure modes
//!
//! Every problem is a [`ZoneFileError`] naming `file:line:col`. After an
//! error the parser resumes at the next line, so one run reports up to
//! [`MAX_ERRORS`] errors. Records owned outside the zone are skipped with
//! a warning (as BIND does); a TTL above 2^31-1 becomes 0 with a warning
//! (RFC 2181 §8, BIND behaviour); a record without any TTL to inherit
//! takes the SOA MINIMUM if it is the SOA, else it is an error — exactly
//! what `named-checkzone` does.

mod generate;
pub mod lexer;
mod parser;
mod writer;

use crate::rdata::Class;
use crate::zone::name::Name;
use crate::zone::record::Record;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use crate::rdata::Token;
pub use writer::{write_record, write_zone};

/// After this many errors the parser gives up.
pub const MAX_ERRORS: usize = 50;

/// Where something is in a zone file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePos {
    pub file: Arc<Path>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// An error or warning at a position in a zone file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct ZoneFileError {
    pub pos: SourcePos,
    pub message: String,
}

/// What the parser needs to know about the zone.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// The zone apex: the initial `$ORIGIN`; records outside it are skipped.
    pub origin: Name,
    /// A `$TTL` in force before the file sets one.
    pub default_ttl: Option<u32>,
    /// The zone's class; records of another class are errors.
    pub class: Class,
}

impl ParseOptions {
    pub fn new(origin: Name) -> ParseOptions {
        ParseOptions {
            origin,
            default_ttl: None,
            class: Class::IN,
        }
    }
}

/// Where the parser sends each record. An `Err` becomes an error at the
/// record's position.
pub type Sink<'a> = dyn FnMut(Record, &SourcePos) -> Result<(), String> + 'a;

/// Parses the zone file at `path`, sending every record to `sink`.
/// `Ok` holds the warnings; `Err` the errors (and parsing went on after
/// each to find more, up to [`MAX_ERRORS`]).
pub fn parse_file(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut Sink<'_>,
) -> Result<Vec<ZoneFileError>, Vec<ZoneFileError>> {
    let mut p = parser::Parser::new(opts, sink);
    p.run_file(path);
    p.finish()
}

/// As [`parse_file`] for text in memory; `file_label` names it in
/// messages and its directory anchors relative `$INCLUDE` paths.
pub fn parse_str(
    text: &str,
    file_label: &Path,
    opts: &ParseOptions,
    sink: &mut Sink<'_>,
) -> Result<Vec<ZoneFileError>, Vec<ZoneFileError>> {
    let mut p = parser::Parser::new(opts, sink);
    p.run_text(text.as_bytes(), file_label);
    p.finish()
}

#[cfg(test)]
mod tests;
