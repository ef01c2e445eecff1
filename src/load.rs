//! From a zone file to a servable [`ZoneVersion`]: the parser streams
//! records into the [`ZoneBuilder`], and every complaint from either is
//! reported as `file:line:col: message`.
//!
//! Parsing and building run on two threads joined by a bounded channel of
//! record batches: the text work and the table work of a big zone overlap,
//! which nearly halves its load time on two cores. Positions travel as
//! plain numbers (a file index, line, column), so the threads share no
//! reference counts.

use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use crate::config::ZoneConfig;
use crate::rdata::Class;
use crate::zone::builder::{AddOutcome, ZoneBuilder};
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;
use crate::zonefile::{parse_file, ParseOptions};

/// Records per batch sent from the parser to the builder.
const BATCH: usize = 4096;
/// Batches in flight; bounds the memory the pipeline holds.
const IN_FLIGHT: usize = 8;
/// The builder stops reporting after this many errors.
const MAX_ERRORS: usize = 50;

/// A loaded zone and what was worth a warning.
pub struct Loaded {
    pub version: ZoneVersion,
    pub warnings: Vec<String>,
}

/// A zone file that cannot be served, with every error found.
#[derive(Debug, thiserror::Error)]
#[error("{}", errors.join("\n"))]
pub struct LoadError {
    pub errors: Vec<String>,
}

/// Records with their positions, and the files those positions refer to.
struct Batch {
    files: Vec<Arc<Path>>,
    records: Vec<(Record, u16, u32, u32)>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            files: Vec::new(),
            records: Vec::with_capacity(BATCH),
        }
    }
}

/// Parses and checks the zone file of `zc`.
pub fn load_zone(zc: &ZoneConfig) -> Result<Loaded, LoadError> {
    // About one owner name per 32 bytes of zone file (typical records
    // are 25-60 bytes); a close guess saves rehashing a big table.
    let size_hint = std::fs::metadata(&zc.file)
        .map(|m| m.len() as usize / 32)
        .unwrap_or(0);
    let mut builder = ZoneBuilder::with_capacity(zc.name.clone(), Class::IN, size_hint);
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let opts = ParseOptions::new(zc.name.clone());
    let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);

    let parsed = std::thread::scope(|s| {
        let parser = s.spawn(move || {
            let mut batch = Batch::new();
            let result = parse_file(&zc.file, &opts, &mut |rec, pos| {
                let idx = match batch.files.iter().position(|f| Arc::ptr_eq(f, &pos.file)) {
                    Some(i) => i,
                    None => {
                        batch.files.push(pos.file.clone());
                        batch.files.len() - 1
                    }
                };
                batch.records.push((rec, idx as u16, pos.line, pos.col));
                if batch.records.len() == BATCH {
                    // A closed channel means the builder gave up; keep parsing
                    // only to report syntax errors.
                    let _ = tx.send(std::mem::replace(&mut batch, Batch::new()));
                }
                Ok(())
            });
            if !batch.records.is_empty() {
                let _ = tx.send(batch);
            }
            result
        });
        for batch in rx {
            for (rec, file, line, col) in batch.records {
                let at = || format!("{}:{line}:{col}", batch.files[file as usize].display());
                match builder.add(rec) {
                    Ok(AddOutcome::Added) | Ok(AddOutcome::Duplicate) => {}
                    Ok(AddOutcome::TtlMismatch { kept, given }) => warnings.push(format!(
                        "{}: TTL {given} differs from the RRset's TTL {kept}; using {kept}",
                        at()
                    )),
                    Err(e) => {
                        if errors.len() < MAX_ERRORS {
                            errors.push(format!("{}: {e}", at()));
                        }
                    }
                }
            }
        }
        parser.join()
    });
    let parse_warnings = match parsed {
        Ok(Ok(w)) => w,
        Ok(Err(errs)) => {
            let mut all: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            all.append(&mut errors);
            return Err(LoadError { errors: all });
        }
        Err(_) => {
            return Err(LoadError {
                errors: vec!["internal error: the zone parser panicked".into()],
            })
        }
    };
    if !errors.is_empty() {
        return Err(LoadError { errors });
    }
    let mut all: Vec<String> = parse_warnings.iter().map(|w| w.to_string()).collect();
    all.append(&mut warnings);
    let version = builder.finish().map_err(|e| LoadError {
        errors: vec![format!("{}:1:1: {e}", zc.file.display())],
    })?;
    Ok(Loaded {
        version,
        warnings: all,
    })
}
