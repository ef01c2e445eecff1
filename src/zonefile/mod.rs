//! TEMPORARY interface shim until the zonefile branch merges.
use std::path::Path;
use std::sync::Arc;

use crate::rdata::Class;
use crate::zone::name::Name;
use crate::zone::record::Record;

#[derive(Debug, Clone)]
pub struct SourcePos {
    pub file: Arc<Path>,
    pub line: u32,
    pub col: u32,
}
impl std::fmt::Display for SourcePos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}
#[derive(Debug, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct ZoneFileError {
    pub pos: SourcePos,
    pub message: String,
}
pub struct ParseOptions {
    pub origin: Name,
    pub default_ttl: Option<u32>,
    pub class: Class,
}
impl ParseOptions {
    pub fn new(origin: Name) -> Self {
        ParseOptions {
            origin,
            default_ttl: None,
            class: Class::IN,
        }
    }
}
pub fn parse_file(
    path: &Path,
    _opts: &ParseOptions,
    _sink: &mut dyn FnMut(Record, &SourcePos) -> Result<(), String>,
) -> Result<Vec<ZoneFileError>, Vec<ZoneFileError>> {
    Err(vec![ZoneFileError {
        pos: SourcePos {
            file: path.into(),
            line: 0,
            col: 0,
        },
        message: "shim".into(),
    }])
}
pub fn write_zone<'a, W: std::io::Write>(
    _out: W,
    _origin: &Name,
    _records: impl Iterator<Item = &'a Record>,
) -> std::io::Result<()> {
    Ok(())
}
