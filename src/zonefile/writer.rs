//! Zone writer: records to BIND presentation format.
//!
//! Every line is self-contained (absolute owner, explicit TTL and class,
//! no `$ORIGIN`), so a reader needs no state and any line can be diffed or
//! grepped on its own. Rdata comes from [`crate::rdata::to_text`], which
//! falls back to the RFC 3597 generic form, so output always re-loads.

use crate::rdata::{self, Class, RType};
use crate::zone::name::Name;
use crate::zone::record::Record;
use std::fmt::Write as _;

/// Appends one record as `owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata\n`.
pub fn write_record(
    out: &mut String,
    owner: &Name,
    ttl: u32,
    class: Class,
    rtype: RType,
    rdata: &[u8],
) {
    let text = rdata::to_text(rtype, rdata).unwrap_or_else(|_| {
        let mut s = format!("\\# {} ", rdata.len());
        rdata::text::write_hex(&mut s, rdata);
        s
    });
    let _ = writeln!(out, "{owner}\t{ttl}\t{class}\t{rtype}\t{text}");
}

/// Writes a whole zone. The caller passes records in the order wanted
/// (canonical, SOA first).
pub fn write_zone<'a, W: std::io::Write>(
    mut out: W,
    origin: &Name,
    records: impl Iterator<Item = &'a Record>,
) -> std::io::Result<()> {
    writeln!(out, "; zone {origin}")?;
    let mut line = String::with_capacity(256);
    for r in records {
        line.clear();
        write_record(&mut line, &r.owner, r.ttl, r.class, r.rtype, &r.rdata);
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}
