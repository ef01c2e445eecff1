//! `polyzone import --zone Z --target T`: read a zone from a provider's
//! API and write it as a BIND zone file — the migration path onto
//! polyzone. Works offline (no server needed): it builds the target's
//! provider from the config and reads once.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::rdata::RType;
use crate::zone::name::Name;
use crate::zone::record::Record;

/// Arguments of the provider form of `import`.
pub struct ImportTargetArgs {
    /// The zone to import.
    pub zone: String,
    /// The `[[target]]` to read it from.
    pub target: String,
    /// Where to write the zone file (default: stdout).
    pub out: Option<PathBuf>,
    pub config: PathBuf,
}

/// Reads the zone and writes the file.
pub fn run(args: &ImportTargetArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config).context("loading the configuration")?;
    let zone: Name = args
        .zone
        .parse()
        .map_err(|e| anyhow::anyhow!("zone `{}`: {e}", args.zone))?;
    let Some(target) = config.targets.iter().find(|t| t.name == args.target) else {
        bail!(
            "target `{}` is not defined in a [[target]] section",
            args.target
        );
    };
    let provider = crate::providers::build(target)
        .with_context(|| format!("target {}", target.name))?
        .with_context(|| {
            format!(
                "target {} has no API to read from (kind secondary: use --axfr)",
                target.name
            )
        })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let read = rt
        .block_on(provider.read(&zone))
        .with_context(|| format!("reading {zone} from {}", target.name))?;
    for u in &read.unparsed {
        eprintln!("warning: not imported (cannot parse): {u}");
    }
    let mut records: Vec<Record> = Vec::new();
    for (key, data) in &read.rrsets {
        for rd in &data.rdatas {
            records.push(Record::new(
                key.name.clone(),
                key.rtype,
                data.ttl,
                rd.to_vec(),
            ));
        }
    }
    let has_soa = records
        .iter()
        .any(|r| r.rtype == RType::SOA && r.owner == zone);
    if !has_soa {
        eprintln!("warning: the provider returned no SOA for {zone}; writing a placeholder SOA (serial 1)");
        let soa = crate::rdata::from_str(
            RType::SOA,
            "ns.invalid. hostmaster.invalid. 1 7200 3600 1209600 3600",
            &zone,
        )
        .context("placeholder SOA")?;
        records.push(Record::new(zone.clone(), RType::SOA, 3600, soa));
    }
    // SOA first, then canonical order.
    records.sort_by(|a, b| {
        let soa = |r: &Record| !(r.rtype == RType::SOA && r.owner == zone);
        soa(a)
            .cmp(&soa(b))
            .then_with(|| crate::zone::version::cmp_records(a, b))
    });
    match &args.out {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            crate::zonefile::write_zone(std::io::BufWriter::new(f), &zone, records.iter())?;
            eprintln!(
                "{zone}: {} records from {} written to {}",
                records.len(),
                target.name,
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            crate::zonefile::write_zone(&mut lock, &zone, records.iter())?;
            lock.flush()?;
        }
    }
    Ok(())
}
