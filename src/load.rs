//! From a zone file to a servable [`ZoneVersion`]: the parser streams
//! records into the [`ZoneBuilder`], and every complaint from either is
//! reported as `file:line:col: message`.

use crate::config::ZoneConfig;
use crate::rdata::Class;
use crate::zone::builder::{AddOutcome, ZoneBuilder};
use crate::zone::version::ZoneVersion;
use crate::zonefile::{parse_file, ParseOptions};

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

/// Parses and checks the zone file of `zc`.
pub fn load_zone(zc: &ZoneConfig) -> Result<Loaded, LoadError> {
    let mut builder = ZoneBuilder::new(zc.name.clone(), Class::IN);
    let mut warnings = Vec::new();
    let opts = ParseOptions::new(zc.name.clone());
    let mut sink = |rec, pos: &crate::zonefile::SourcePos| match builder.add(rec) {
        Ok(AddOutcome::Added) | Ok(AddOutcome::Duplicate) => Ok(()),
        Ok(AddOutcome::TtlMismatch { kept, given }) => {
            warnings.push(format!(
                "{pos}: TTL {given} differs from the RRset's TTL {kept}; using {kept}"
            ));
            Ok(())
        }
        Err(e) => Err(e),
    };
    let parse_warnings = parse_file(&zc.file, &opts, &mut sink).map_err(|errs| LoadError {
        errors: errs.iter().map(|e| e.to_string()).collect(),
    })?;
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
