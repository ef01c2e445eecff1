//! Prints a zone file as polyzone reads it: one absolute record per line
//! (the writer's format), then the warnings and errors on stderr. Handy
//! for comparing with `named-checkzone -D -o - ORIGIN FILE`.
//!
//! ```text
//! cargo run --example zonefile_dump -- zones/example.com.zone example.com.
//! ```

use polyzone::zone::name::Name;
use polyzone::zonefile::{parse_file, write_record, ParseOptions};
use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(origin)) = (args.next(), args.next()) else {
        eprintln!("usage: zonefile_dump FILE ORIGIN");
        std::process::exit(2);
    };
    let origin: Name = match origin.parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("bad origin: {e}");
            std::process::exit(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    let res = parse_file(
        &PathBuf::from(path),
        &ParseOptions::new(origin),
        &mut |r, _| {
            line.clear();
            write_record(&mut line, &r.owner, r.ttl, r.class, r.rtype, &r.rdata);
            out.write_all(line.as_bytes()).map_err(|e| e.to_string())
        },
    );
    match res {
        Ok(warnings) => warnings.iter().for_each(|w| eprintln!("warning: {w}")),
        Err(errors) => {
            errors.iter().for_each(|e| eprintln!("error: {e}"));
            std::process::exit(1);
        }
    }
}
