//! The record parser: entries from the lexer to [`Record`]s.
//!
//! State that spans the whole load (`$TTL`, the last explicit TTL, the
//! include stack, the error list) lives in [`Parser`]; state scoped to one
//! file (`$ORIGIN`, the previous owner) lives in [`FileCtx`], so an
//! `$INCLUDE`d file cannot change the including file's origin.

use super::lexer::{Entry, Lexer};
use super::{generate, ParseOptions, Sink, SourcePos, ZoneFileError, MAX_ERRORS};
use crate::rdata::text::{parse_name, parse_ttl, push_name_relative};
use crate::rdata::{self, Class, RType, Token};
use crate::zone::name::Name;
use crate::zone::record::Record;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest `$INCLUDE` nesting accepted.
const MAX_INCLUDE_DEPTH: usize = 20;
/// Warnings kept; more are counted, not stored.
const MAX_WARNINGS: usize = 1000;
/// BIND's MAXTTL (RFC 2181 §8).
const MAX_TTL: u32 = 0x7FFF_FFFF;

/// Per-file state.
pub(super) struct FileCtx {
    pub file: Arc<Path>,
    pub origin: Name,
    /// Wire form of the previous owner; empty before the first record.
    pub owner: Vec<u8>,
    /// The previous owner is known to be inside the zone (saves the check).
    pub owner_in_zone: bool,
    /// Position handed to the sink, reused so that a record costs no
    /// reference-count traffic on `file`.
    pub pos: SourcePos,
}

impl FileCtx {
    pub fn new(file: Arc<Path>, origin: Name) -> FileCtx {
        FileCtx {
            pos: SourcePos {
                file: file.clone(),
                line: 0,
                col: 0,
            },
            file,
            origin,
            owner: Vec::new(),
            owner_in_zone: false,
        }
    }
}

pub(super) struct Parser<'o, 's, 'k> {
    opts: &'o ParseOptions,
    sink: &'s mut Sink<'k>,
    warnings: Vec<ZoneFileError>,
    errors: Vec<ZoneFileError>,
    dropped_warnings: usize,
    /// `$TTL` (or SOA MINIMUM when no TTL was known for the SOA).
    default_ttl: Option<u32>,
    /// Last explicit TTL, for RFC 1035 semantics without `$TTL`.
    last_ttl: Option<u32>,
    warned_1035: bool,
    /// Canonical paths of the files being read, outermost first.
    stack: Vec<PathBuf>,
    stopped: bool,
    /// Scratch for rdata, reused so each record allocates exactly once.
    rdata_buf: Vec<u8>,
    /// Scratch for a new owner name.
    owner_buf: Vec<u8>,
}

/// An error to report, built where the position is known.
pub(super) type Fail = ZoneFileError;

pub(super) fn at(file: &Arc<Path>, t: &Token, message: impl Into<String>) -> Fail {
    ZoneFileError {
        pos: SourcePos {
            file: file.clone(),
            line: t.line,
            col: t.col,
        },
        message: message.into(),
    }
}

impl<'o, 's, 'k> Parser<'o, 's, 'k> {
    pub fn new(opts: &'o ParseOptions, sink: &'s mut Sink<'k>) -> Self {
        Parser {
            opts,
            sink,
            warnings: Vec::new(),
            errors: Vec::new(),
            dropped_warnings: 0,
            default_ttl: opts.default_ttl,
            last_ttl: None,
            warned_1035: false,
            stack: Vec::new(),
            stopped: false,
            rdata_buf: Vec::with_capacity(512),
            owner_buf: Vec::with_capacity(256),
        }
    }

    pub fn finish(mut self) -> Result<Vec<ZoneFileError>, Vec<ZoneFileError>> {
        if self.dropped_warnings > 0 {
            if let Some(last) = self.warnings.last().cloned() {
                self.warnings.push(ZoneFileError {
                    pos: last.pos,
                    message: format!("{} more warnings not shown", self.dropped_warnings),
                });
            }
        }
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(self.errors)
        }
    }

    fn error(&mut self, e: ZoneFileError) {
        self.errors.push(e);
        if self.errors.len() >= MAX_ERRORS {
            self.stopped = true;
        }
    }

    pub(super) fn warn(&mut self, pos: SourcePos, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(ZoneFileError { pos, message });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Reads and parses a top-level file.
    pub fn run_file(&mut self, path: &Path) {
        let file: Arc<Path> = Arc::from(path);
        match std::fs::read(path) {
            Ok(data) => {
                self.stack
                    .push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
                let mut ctx = FileCtx::new(file, self.opts.origin.clone());
                self.run(&data, &mut ctx);
            }
            Err(e) => self.error(ZoneFileError {
                pos: SourcePos {
                    file,
                    line: 0,
                    col: 0,
                },
                message: format!("cannot read zone file: {e}"),
            }),
        }
    }

    /// Parses in-memory text labelled `label`.
    pub fn run_text(&mut self, text: &[u8], label: &Path) {
        self.stack
            .push(std::fs::canonicalize(label).unwrap_or_else(|_| label.to_path_buf()));
        let mut ctx = FileCtx::new(Arc::from(label), self.opts.origin.clone());
        self.run(text, &mut ctx);
    }

    fn run(&mut self, text: &[u8], ctx: &mut FileCtx) {
        let mut lx = Lexer::new(text);
        let mut toks: Vec<Token> = Vec::with_capacity(16);
        while let Some(r) = lx.next_entry(&mut toks) {
            if self.stopped {
                return;
            }
            let res = match r {
                Ok(entry) => self.entry(ctx, entry, &toks),
                Err(e) => Err(ZoneFileError {
                    pos: SourcePos {
                        file: ctx.file.clone(),
                        line: e.line,
                        col: e.col,
                    },
                    message: e.message,
                }),
            };
            if let Err(e) = res {
                self.error(e);
            }
        }
    }

    fn entry(&mut self, ctx: &mut FileCtx, entry: Entry, toks: &[Token]) -> Result<(), Fail> {
        let first = &toks[0];
        if !entry.blank_owner && !first.quoted && first.text.first() == Some(&b'$') {
            return self.directive(ctx, toks);
        }
        self.record(ctx, entry.blank_owner, toks)
    }

    /// Parses one record line (also used for `$GENERATE` output).
    pub(super) fn record(
        &mut self,
        ctx: &mut FileCtx,
        blank_owner: bool,
        toks: &[Token],
    ) -> Result<(), Fail> {
        let mut i = 0;
        if !blank_owner {
            // Parsed aside so that a bad owner leaves the previous one intact.
            self.owner_buf.clear();
            let relative = push_name_relative(&mut self.owner_buf, &toks[0], &ctx.origin)
                .map_err(|e| at(&ctx.file, &toks[0], e.to_string()))?;
            std::mem::swap(&mut self.owner_buf, &mut ctx.owner);
            // A name relative to an origin inside the zone is inside it too.
            ctx.owner_in_zone = relative && ctx.origin.is_subdomain_of(&self.opts.origin);
            i = 1;
        } else if ctx.owner.is_empty() {
            return Err(at(
                &ctx.file,
                &toks[0],
                "no owner name, and no previous record to take it from",
            ));
        }
        let mut ttl: Option<(u32, &Token)> = None;
        let mut class: Option<(Class, &Token)> = None;
        while let Some(t) = toks.get(i).filter(|t| !t.quoted) {
            if ttl.is_none() && t.text.first().is_some_and(u8::is_ascii_digit) {
                let v = parse_ttl(t.text)
                    .ok_or_else(|| at(&ctx.file, t, format!("bad TTL \"{}\"", t.lossy())))?;
                ttl = Some((v, t));
            } else if let Some(c) = class.is_none().then(|| class_of(t.text)).flatten() {
                class = Some((c, t));
            } else {
                break;
            }
            i += 1;
        }
        let Some(type_tok) = toks.get(i) else {
            let last = &toks[toks.len() - 1];
            return Err(at(&ctx.file, last, "missing record type"));
        };
        let rtype = type_of(type_tok.text)
            .filter(|_| !type_tok.quoted)
            .ok_or_else(|| {
                at(
                    &ctx.file,
                    type_tok,
                    format!("unknown RR type \"{}\"", type_tok.lossy()),
                )
            })?;
        if rtype.is_meta() {
            return Err(at(
                &ctx.file,
                type_tok,
                format!("{rtype} is a meta type and cannot be in a zone"),
            ));
        }
        if let Some((c, class_tok)) = class {
            if c != self.opts.class {
                return Err(at(
                    &ctx.file,
                    class_tok,
                    format!("class '{c}' != zone class '{}'", self.opts.class),
                ));
            }
        }
        let owner =
            Name::from_wire(&ctx.owner).map_err(|e| at(&ctx.file, &toks[0], e.to_string()))?;
        ctx.pos.line = toks[0].line;
        ctx.pos.col = toks[0].col;
        let pos = &ctx.pos;
        let rd = &toks[i + 1..];
        self.rdata_buf.clear();
        rdata::from_text_into(rtype, rd, &ctx.origin, &mut self.rdata_buf).map_err(|e| {
            let t = rd.get(e.index).or(rd.last()).unwrap_or(type_tok);
            at(&ctx.file, t, e.error.to_string())
        })?;
        let rdata: Box<[u8]> = Box::from(&self.rdata_buf[..]);
        let ttl = self.resolve_ttl(ttl, rtype, &rdata, pos, &ctx.file, type_tok)?;
        // Checked after the rdata so that bad data is an error even when the
        // record would be dropped: BIND reads the whole line first too.
        if !ctx.owner_in_zone && !owner.is_subdomain_of(&self.opts.origin) {
            self.warn(pos.clone(), format!("ignoring out-of-zone data ({owner})"));
            return Ok(());
        }
        let rec = Record {
            owner,
            class: self.opts.class,
            ttl,
            rtype,
            rdata,
        };
        (self.sink)(rec, pos).map_err(|message| ZoneFileError {
            pos: pos.clone(),
            message,
        })
    }

    /// TTL rules of BIND's loader (see the module docs).
    fn resolve_ttl(
        &mut self,
        explicit: Option<(u32, &Token)>,
        rtype: RType,
        rdata: &[u8],
        pos: &SourcePos,
        file: &Arc<Path>,
        type_tok: &Token,
    ) -> Result<u32, Fail> {
        if let Some((v, t)) = explicit {
            let v = self.clamp(
                v,
                "TTL",
                SourcePos {
                    file: file.clone(),
                    line: t.line,
                    col: t.col,
                },
            );
            self.last_ttl = Some(v);
            return Ok(v);
        }
        if let Some(d) = self.default_ttl {
            return Ok(d);
        }
        if let Some(l) = self.last_ttl {
            if !self.warned_1035 {
                self.warned_1035 = true;
                self.warn(pos.clone(), "using RFC1035 TTL semantics".into());
            }
            return Ok(l);
        }
        if rtype == RType::SOA && rdata.len() >= 4 {
            let m = &rdata[rdata.len() - 4..];
            let min = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
            self.warn(
                pos.clone(),
                "no TTL specified; using SOA MINTTL instead".into(),
            );
            let min = self.clamp(min, "TTL", pos.clone());
            self.default_ttl = Some(min);
            return Ok(min);
        }
        Err(at(
            file,
            type_tok,
            "no TTL specified (no $TTL and no earlier TTL); zone rejected",
        ))
    }

    fn clamp(&mut self, v: u32, what: &str, pos: SourcePos) -> u32 {
        if v > MAX_TTL {
            self.warn(pos, format!("{what} {v} > MAXTTL, setting {what} to 0"));
            0
        } else {
            v
        }
    }

    fn directive(&mut self, ctx: &mut FileCtx, toks: &[Token]) -> Result<(), Fail> {
        let d = &toks[0];
        let args = &toks[1..];
        let file = ctx.file.clone();
        let want = |n: std::ops::RangeInclusive<usize>| -> Result<(), Fail> {
            if n.contains(&args.len()) {
                Ok(())
            } else if args.len() < *n.start() {
                Err(at(
                    &file,
                    d,
                    format!("{} needs {} argument(s)", d.lossy(), n.start()),
                ))
            } else {
                Err(at(
                    &file,
                    &args[*n.end()],
                    format!(
                        "unexpected \"{}\" after {}",
                        args[*n.end()].lossy(),
                        d.lossy()
                    ),
                ))
            }
        };
        if d.is("$ORIGIN") {
            want(1..=1)?;
            ctx.origin = parse_name(&args[0], &ctx.origin)
                .map_err(|e| at(&ctx.file, &args[0], e.to_string()))?;
        } else if d.is("$TTL") {
            want(1..=1)?;
            let v = parse_ttl(args[0].text).ok_or_else(|| {
                at(
                    &ctx.file,
                    &args[0],
                    format!("bad TTL \"{}\"", args[0].lossy()),
                )
            })?;
            let pos = SourcePos {
                file: ctx.file.clone(),
                line: args[0].line,
                col: args[0].col,
            };
            self.default_ttl = Some(self.clamp(v, "$TTL", pos));
        } else if d.is("$INCLUDE") {
            want(1..=2)?;
            self.include(ctx, &args[0], args.get(1))?;
        } else if d.is("$GENERATE") {
            generate::run(self, ctx, d, args)?;
        } else {
            return Err(at(
                &ctx.file,
                d,
                format!("unknown directive \"{}\"", d.lossy()),
            ));
        }
        Ok(())
    }

    fn include(
        &mut self,
        ctx: &FileCtx,
        path_tok: &Token,
        origin_tok: Option<&Token>,
    ) -> Result<(), Fail> {
        let fail = |m: String| at(&ctx.file, path_tok, m);
        let rel = PathBuf::from(String::from_utf8_lossy(path_tok.text).into_owned());
        let path = match ctx.file.parent() {
            Some(dir) if rel.is_relative() => dir.join(&rel),
            _ => rel,
        };
        let origin = match origin_tok {
            Some(t) => parse_name(t, &ctx.origin).map_err(|e| at(&ctx.file, t, e.to_string()))?,
            None => ctx.origin.clone(),
        };
        let canon = std::fs::canonicalize(&path)
            .map_err(|e| fail(format!("cannot open $INCLUDE file {}: {e}", path.display())))?;
        if self.stack.contains(&canon) {
            return Err(fail(format!(
                "$INCLUDE loop: {} is already being read",
                path.display()
            )));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(fail(format!(
                "$INCLUDE nested deeper than {MAX_INCLUDE_DEPTH} files"
            )));
        }
        let data = std::fs::read(&path)
            .map_err(|e| fail(format!("cannot read $INCLUDE file {}: {e}", path.display())))?;
        self.stack.push(canon);
        let mut inner = FileCtx::new(Arc::from(path.as_path()), origin);
        // As in BIND, the included file starts with the includer's previous
        // owner, and the includer's own is untouched by what it reads.
        inner.owner.clone_from(&ctx.owner);
        inner.owner_in_zone = ctx.owner_in_zone;
        self.run(&data, &mut inner);
        self.stack.pop();
        Ok(())
    }
}

/// Class mnemonic or `CLASSnnn`, with a fast path for `IN`.
fn class_of(t: &[u8]) -> Option<Class> {
    if t.eq_ignore_ascii_case(b"IN") {
        return Some(Class::IN);
    }
    Class::from_mnemonic(std::str::from_utf8(t).ok()?)
}

/// Type mnemonic or `TYPEnnn`, with fast paths for the common types.
fn type_of(t: &[u8]) -> Option<RType> {
    match t {
        b"A" => Some(RType::A),
        b"AAAA" => Some(RType::AAAA),
        b"NS" => Some(RType::NS),
        b"MX" => Some(RType::MX),
        b"TXT" => Some(RType::TXT),
        b"CNAME" => Some(RType::CNAME),
        _ => RType::from_mnemonic(std::str::from_utf8(t).ok()?),
    }
}
