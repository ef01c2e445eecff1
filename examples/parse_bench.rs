//! Times `zonefile::parse_file` on a large zone.
//!
//! ```text
//! python3 ../shared/tools/gen_zone.py -n 1000000 -o /tmp/pz-1m.zone
//! cargo run --release --example parse_bench -- /tmp/pz-1m.zone bench.test.
//! ```

use polyzone::zone::name::Name;
use polyzone::zonefile::{parse_file, ParseOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/pz-1m.zone".into()));
    let origin: Name = match args.next().unwrap_or_else(|| "bench.test.".into()).parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("bad origin: {e}");
            std::process::exit(2);
        }
    };
    let opts = ParseOptions::new(origin);
    for run in 0..3 {
        let t = Instant::now();
        // Keep the records, as a zone loader would.
        let mut records = Vec::with_capacity(1_100_000);
        let res = parse_file(&path, &opts, &mut |r, _| {
            records.push(r);
            Ok(())
        });
        let el = t.elapsed();
        let bytes: usize = records
            .iter()
            .map(|r| r.rdata.len() + r.owner.wire_len_bytes())
            .sum();
        match res {
            Ok(w) => println!(
                "run {run}: {} records ({} bytes of names+rdata) in {:.3} s, {} warnings",
                records.len(),
                bytes,
                el.as_secs_f64(),
                w.len()
            ),
            Err(e) => {
                for e in e.iter().take(5) {
                    eprintln!("{e}");
                }
                std::process::exit(1);
            }
        }
    }
}
