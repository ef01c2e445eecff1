//! Zone-file parity: polyzone's master-file parser against BIND's.
//!
//! The corpus is `tests/zones/corpus/NN-topic.zone`; each file starts with a
//! line `; origin: <zone>` that names its origin. Files under
//! `tests/zones/corpus/inc/` are `$INCLUDE`d by corpus files and are not
//! corpus entries themselves.
//!
//! For every corpus file:
//!
//! 1. polyzone parses the file;
//! 2. `named-checkzone -D -o - <origin> <file>` dumps the zone as BIND reads
//!    it, and polyzone parses that dump too (it is plain master-file text with
//!    absolute names and explicit TTLs, so it exercises little of the parser);
//! 3. the two are compared as sets of (lowercased owner, class, type, TTL,
//!    canonical rdata); a mismatch prints the records found on one side only.
//!
//! A second test writes what polyzone parsed with `zonefile::write_zone`,
//! checks that `named-checkzone -q` accepts the result and that polyzone and
//! BIND both read it back to the same set.
//!
//! Working directory: `named-checkzone` resolves `$INCLUDE` paths against
//! its current directory, polyzone against the including file's directory.
//! The corpus writes include paths as `inc/xxx.zone` and runs
//! `named-checkzone` with CWD = the corpus directory, so both agree. (Nested
//! includes cannot be written so that both rules resolve them, so the corpus
//! has none.)
//!
//! What the comparison forgives, on purpose:
//! - duplicates (a set holds each RR once; BIND drops duplicate RRs too);
//! - order of records;
//! - case of owner names, and of names inside rdata for the types that RFC
//!   4034 §6.2 lowercases (`rdata::canonicalize`); BIND keeps the spelling of
//!   the *last* duplicate it saw, polyzone may keep another.
//! - TTLs within one RRset: BIND gives a whole RRset the TTL of its first
//!   record ("TTL set to prior TTL" warning) when the records are adjacent.
//!   The parser reports each record as written; the loader makes the RRset
//!   TTL uniform. [`uniform_rrset_ttls`] applies that rule (first TTL seen in
//!   file order wins) to both sides before comparing. Every other TTL rule
//!   ($TTL, RFC 1035 "last explicit TTL", SOA MINIMUM without $TTL, $TTL
//!   leaking out of an $INCLUDE) is the parser's job and is compared as is.
//!
//! `named-checkzone` is required: a missing binary fails the test (CI
//! installs bind9-utils), it never skips.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use polyzone::rdata::{canonicalize, to_text, Class, RType};
use polyzone::zone::name::Name;
use polyzone::zone::record::Record;
use polyzone::zonefile::{parse_file, write_zone, ParseOptions, SourcePos};

/// The corpus needs at least this many files to count as a corpus.
const MIN_CORPUS_FILES: usize = 30;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("zones")
        .join("corpus")
}

/// Every `*.zone` directly in the corpus directory (not `inc/`), sorted.
fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read corpus dir {}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus dir entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "zone"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The origin named by the first line, `; origin: <zone>`.
fn origin_of(path: &Path) -> Result<String, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&text);
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .trim();
    let origin = first
        .strip_prefix(';')
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix("origin:"))
        .map(str::trim)
        .filter(|o| !o.is_empty() && !o.contains(char::is_whitespace))
        .ok_or_else(|| format!("first line is not `; origin: <zone>`: {first:?}"))?;
    Ok(origin.to_string())
}

fn origin_name(origin: &str) -> Result<Name, String> {
    let absolute = if origin.ends_with('.') {
        origin.to_string()
    } else {
        format!("{origin}.")
    };
    absolute
        .parse::<Name>()
        .map_err(|e| format!("bad origin {origin:?}: {e:?}"))
}

/// Parses one file with polyzone's parser. Warnings are ignored; errors are
/// returned one per line.
fn parse_with_polyzone(path: &Path, origin: &Name) -> Result<Vec<Record>, String> {
    let opts = ParseOptions::new(origin.clone());
    let mut records = Vec::new();
    let mut sink = |record: Record, _pos: &SourcePos| -> Result<(), String> {
        records.push(record);
        Ok(())
    };
    match parse_file(path, &opts, &mut sink) {
        Ok(_warnings) => Ok(records),
        Err(errors) => {
            let mut msg = format!("polyzone could not parse {}:", path.display());
            for e in &errors {
                let _ = write!(msg, "\n    {e}");
            }
            Err(msg)
        }
    }
}

/// Runs `named-checkzone` with CWD = `cwd` and returns its stdout; a
/// non-zero exit is an error carrying stderr.
fn named_checkzone(cwd: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("named-checkzone")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("cannot run named-checkzone: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "named-checkzone {} (in {}) failed with {}:\n{}{}",
            args.join(" "),
            cwd.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| format!("named-checkzone wrote non-UTF-8 output: {e}"))
}

/// BIND's reading of `file` (relative to `cwd`), dumped with `-D` and parsed
/// back with polyzone's parser.
fn records_as_bind_reads(
    cwd: &Path,
    file: &str,
    origin: &str,
    origin_name: &Name,
) -> Result<Vec<Record>, String> {
    let dump = named_checkzone(cwd, &["-D", "-o", "-", origin, file])?;
    let tmp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let dump_path = tmp.path().join("bind-dump.zone");
    std::fs::write(&dump_path, &dump).map_err(|e| format!("write {}: {e}", dump_path.display()))?;
    parse_with_polyzone(&dump_path, origin_name)
        .map_err(|e| format!("{e}\n  (this is BIND's dump of {file}; the dump was:)\n{dump}"))
}

/// Gives every RRset the TTL of its first record, in the order the records
/// came from the parser (file order). See the module docs.
fn uniform_rrset_ttls(records: &[Record]) -> Vec<Record> {
    let mut first_ttl: HashMap<(Vec<u8>, Class, RType), u32> = HashMap::new();
    records
        .iter()
        .map(|r| {
            let key = (r.owner.to_lowercase().as_wire().to_vec(), r.class, r.rtype);
            let ttl = *first_ttl.entry(key).or_insert(r.ttl);
            let mut r = r.clone();
            r.ttl = ttl;
            r
        })
        .collect()
}

/// The identity a record is compared by: lowercased owner, class, type,
/// TTL, canonical rdata.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct RrKey {
    owner: Vec<u8>,
    class: Class,
    rtype: RType,
    ttl: u32,
    rdata: Vec<u8>,
}

/// The records as a set, each key mapped to the canonical record (for
/// printing and for writing).
fn canonical_set(records: &[Record]) -> BTreeMap<RrKey, Record> {
    let mut set = BTreeMap::new();
    for r in uniform_rrset_ttls(records) {
        let mut rdata = r.rdata.to_vec();
        // Lowercases the names inside the rdata where RFC 4034 §6.2 says so.
        canonicalize(r.rtype, &mut rdata);
        let owner = r.owner.to_lowercase();
        let key = RrKey {
            owner: owner.as_wire().to_vec(),
            class: r.class,
            rtype: r.rtype,
            ttl: r.ttl,
            rdata: rdata.clone(),
        };
        let canonical = Record {
            owner,
            class: r.class,
            ttl: r.ttl,
            rtype: r.rtype,
            rdata: rdata.into(),
        };
        set.entry(key).or_insert(canonical);
    }
    set
}

/// One record in presentation form, for diffs.
fn render(r: &Record) -> String {
    let rdata = match to_text(r.rtype, &r.rdata) {
        Ok(text) => text,
        Err(_) => {
            let hex: String = r.rdata.iter().map(|b| format!("{b:02X}")).collect();
            format!("\\# {} {hex}    (to_text failed)", r.rdata.len())
        }
    };
    format!("{} {} {} {} {}", r.owner, r.ttl, r.class, r.rtype, rdata)
}

/// `None` when the sets are equal, else a readable diff: records only on the
/// left, records only on the right, and RRs that differ only in TTL.
fn diff_sets(
    left_label: &str,
    left: &BTreeMap<RrKey, Record>,
    right_label: &str,
    right: &BTreeMap<RrKey, Record>,
) -> Option<String> {
    let only_left: Vec<&Record> = left
        .iter()
        .filter(|(k, _)| !right.contains_key(*k))
        .map(|(_, r)| r)
        .collect();
    let only_right: Vec<&Record> = right
        .iter()
        .filter(|(k, _)| !left.contains_key(*k))
        .map(|(_, r)| r)
        .collect();
    if only_left.is_empty() && only_right.is_empty() {
        return None;
    }
    // RRs present on both sides with different TTLs are easier to read as one line.
    let same_rr = |a: &Record, b: &Record| {
        a.owner == b.owner && a.class == b.class && a.rtype == b.rtype && a.rdata == b.rdata
    };
    let mut out = String::new();
    let mut ttl_only = Vec::new();
    for l in &only_left {
        if let Some(r) = only_right.iter().find(|r| same_rr(l, r)) {
            ttl_only.push(format!(
                "    {}  ({left_label} TTL {}, {right_label} TTL {})",
                render(l),
                l.ttl,
                r.ttl
            ));
        }
    }
    let mut section = |title: &str, recs: &[&Record], other: &[&Record]| {
        let lines: Vec<String> = recs
            .iter()
            .filter(|r| !other.iter().any(|o| same_rr(r, o)))
            .map(|r| format!("    {}", render(r)))
            .collect();
        if !lines.is_empty() {
            let _ = writeln!(out, "  only in {title} ({}):", lines.len());
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    };
    section(left_label, &only_left, &only_right);
    section(right_label, &only_right, &only_left);
    if !ttl_only.is_empty() {
        let _ = writeln!(out, "  same RR, different TTL ({}):", ttl_only.len());
        for line in ttl_only {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(
        out,
        "  ({left_label}: {} records, {right_label}: {} records)",
        left.len(),
        right.len()
    );
    Some(out)
}

/// Parity of one corpus file; `Err` carries the report.
fn check_parity(path: &Path) -> Result<(), String> {
    let dir = corpus_dir();
    let name = file_name(path);
    let origin = origin_of(path)?;
    let origin_name = origin_name(&origin)?;
    let ours = canonical_set(&parse_with_polyzone(path, &origin_name)?);
    let bind = canonical_set(&records_as_bind_reads(&dir, &name, &origin, &origin_name)?);
    if ours.is_empty() {
        return Err("polyzone read no records at all".to_string());
    }
    match diff_sets("polyzone", &ours, "BIND", &bind) {
        None => Ok(()),
        Some(diff) => Err(format!(
            "polyzone and BIND read different zones (origin {origin}):\n{diff}"
        )),
    }
}

/// Round trip of one corpus file through `write_zone`; `Err` carries the report.
fn check_round_trip(path: &Path) -> Result<(), String> {
    let dir = corpus_dir();
    let name = file_name(path);
    let origin = origin_of(path)?;
    let origin_name = origin_name(&origin)?;
    let parsed = canonical_set(&parse_with_polyzone(path, &origin_name)?);

    let tmp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let written = tmp.path().join("written.zone");
    let file = std::fs::File::create(&written)
        .map_err(|e| format!("create {}: {e}", written.display()))?;
    let mut out = std::io::BufWriter::new(file);
    write_zone(&mut out, &origin_name, parsed.values())
        .map_err(|e| format!("write_zone failed: {e}"))?;
    std::io::Write::flush(&mut out).map_err(|e| format!("flush {}: {e}", written.display()))?;
    drop(out);
    let written_text = std::fs::read_to_string(&written).unwrap_or_default();
    let with_text = |msg: String| format!("{msg}\n  --- the written zone ---\n{written_text}");

    let written_str = written.to_string_lossy().into_owned();
    named_checkzone(tmp.path(), &["-q", &origin, &written_str])
        .map_err(|e| with_text(format!("BIND rejects the zone written by write_zone: {e}")))?;

    let reread = canonical_set(&parse_with_polyzone(&written, &origin_name).map_err(with_text)?);
    if let Some(diff) = diff_sets("parsed", &parsed, "re-read", &reread) {
        return Err(with_text(format!(
            "write_zone + parse is not the identity:\n{diff}"
        )));
    }

    // The written zone must also mean the same to BIND as the original did.
    let bind_original = canonical_set(&records_as_bind_reads(&dir, &name, &origin, &origin_name)?);
    let bind_written = canonical_set(&records_as_bind_reads(
        tmp.path(),
        &written_str,
        &origin,
        &origin_name,
    )?);
    if let Some(diff) = diff_sets(
        "BIND(original)",
        &bind_original,
        "BIND(written)",
        &bind_written,
    ) {
        return Err(with_text(format!(
            "BIND reads the written zone differently from the original:\n{diff}"
        )));
    }
    Ok(())
}

/// Runs `check` on every corpus file and fails once with every report.
fn for_every_corpus_file(what: &str, check: fn(&Path) -> Result<(), String>) {
    common::require("named-checkzone");
    let files = corpus_files();
    assert!(
        files.len() >= MIN_CORPUS_FILES,
        "corpus {} has {} files, expected at least {MIN_CORPUS_FILES}",
        corpus_dir().display(),
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        if let Err(report) = check(path) {
            failures.push(format!("=== {}: {report}", file_name(path)));
        }
    }
    assert!(
        failures.is_empty(),
        "{what}: {} of {} corpus files failed\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn corpus_is_complete() {
    let files = corpus_files();
    assert!(
        files.len() >= MIN_CORPUS_FILES,
        "corpus {} has {} files, expected at least {MIN_CORPUS_FILES}",
        corpus_dir().display(),
        files.len()
    );
    let bad: Vec<String> = files
        .iter()
        .filter_map(|p| {
            origin_of(p)
                .and_then(|o| origin_name(&o))
                .err()
                .map(|e| format!("{}: {e}", file_name(p)))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "corpus files without a usable `; origin:` line:\n{}",
        bad.join("\n")
    );
}

#[test]
fn bind_accepts_every_corpus_file() {
    for_every_corpus_file("named-checkzone -q", |path| {
        let origin = origin_of(path)?;
        named_checkzone(&corpus_dir(), &["-q", &origin, &file_name(path)]).map(|_| ())
    });
}

#[test]
fn parser_matches_bind() {
    for_every_corpus_file("parity with BIND", check_parity);
}

#[test]
fn write_zone_round_trips() {
    for_every_corpus_file("write_zone round trip", check_round_trip);
}
