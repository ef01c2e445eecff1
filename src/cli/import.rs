//! `polyzone import --zone Z --axfr HOST:PORT [--tsig KEY] [--out FILE]`:
//! the migration path from an existing primary.
//!
//! The zone is pulled by AXFR ([`crate::xfr_client`]), built with
//! [`ZoneBuilder`] so every rule a served zone must meet is checked (SOA at
//! the apex, CNAME alone, no records below a DNAME, ...), and written as a
//! BIND file in canonical order, atomically (temp file, rename). An
//! existing file is kept unless `--force`.
//!
//! `--tsig` names a `[[tsig]]` key of the config, or gives one inline as
//! `name:algorithm:base64secret` (as `dig -y` spells it, with the
//! algorithm first or second).

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::rdata::{Class, RType};
use crate::server::tsig::{TsigAlgorithm, TsigKey};
use crate::zone::builder::{AddOutcome, ZoneBuilder};
use crate::zone::name::Name;

/// What `polyzone import` was asked to do.
pub struct ImportArgs<'a> {
    pub zone: &'a str,
    pub axfr: &'a str,
    pub tsig: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub force: bool,
    pub config: &'a Path,
}

/// Runs the import; returns the summary line.
pub fn run(args: &ImportArgs<'_>) -> anyhow::Result<String> {
    let zone: Name = args
        .zone
        .parse()
        .map_err(|e| anyhow::anyhow!("`{}` is not a zone name: {e}", args.zone))?;
    let out = match args.out {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("zones").join(format!("{}.zone", args.zone.trim_end_matches('.'))),
    };
    if out.exists() && !args.force {
        bail!(
            "{} exists; pass --force to overwrite it or --out to write elsewhere",
            out.display()
        );
    }
    let addr = resolve(args.axfr)?;
    let key = match args.tsig {
        Some(k) => Some(tsig_key(k, args.config)?),
        None => None,
    };
    let transfer = crate::xfr_client::axfr(addr, &zone, key.as_ref(), Duration::from_secs(30))
        .with_context(|| format!("AXFR of {zone} from {addr}"))?;
    let mut builder = ZoneBuilder::with_capacity(zone.clone(), Class::IN, transfer.records.len());
    for r in transfer.records {
        let what = format!("{} {}", r.owner, r.rtype);
        match builder.add(r) {
            Ok(AddOutcome::Added) => {}
            Ok(AddOutcome::Duplicate) => tracing::warn!("duplicate record dropped: {what}"),
            Ok(AddOutcome::TtlMismatch { kept, given }) => {
                tracing::warn!("{what}: TTL {given} differs from its RRset's {kept}, {kept} kept")
            }
            Err(e) => bail!("the transferred zone is not servable: {what}: {e}"),
        }
    }
    let version = builder
        .finish()
        .map_err(|e| anyhow::anyhow!("the transferred zone is not servable: {e}"))?;
    let records = version.records_canonical();
    write_atomically(&out, |w| {
        crate::zonefile::write_zone(w, version.apex(), records.iter())
    })
    .with_context(|| format!("writing {}", out.display()))?;
    let dnssec = records.iter().filter(|r| r.rtype == RType::RRSIG).count();
    Ok(format!(
        "{zone}: serial {} from {addr}, {} records ({dnssec} RRSIG) in {} messages, written to {}",
        version.serial(),
        records.len(),
        transfer.messages,
        out.display()
    ))
}

fn resolve(hostport: &str) -> anyhow::Result<SocketAddr> {
    hostport
        .to_socket_addrs()
        .with_context(|| format!("`{hostport}` is not HOST:PORT"))?
        .next()
        .with_context(|| format!("`{hostport}` resolves to no address"))
}

/// A key given inline (`name:alg:secret` or `alg:name:secret`) or by the
/// name of a `[[tsig]]` section of the config.
fn tsig_key(spec: &str, config: &Path) -> anyhow::Result<TsigKey> {
    let parts: Vec<&str> = spec.splitn(3, ':').collect();
    if let [a, b, secret] = parts[..] {
        let (name, alg) = if TsigAlgorithm::from_config_str(a).is_some() {
            (b, a)
        } else {
            (a, b)
        };
        return TsigKey::from_config(name, alg, secret)
            .with_context(|| format!("the inline key `{name}`"));
    }
    let name: Name = Name::parse(spec, Some(&Name::root()))
        .map_err(|e| anyhow::anyhow!("`{spec}` is not a key name: {e}"))?;
    let config = Config::load(config)
        .context("loading the configuration for the --tsig key (or give it as name:alg:secret)")?;
    let k = config
        .tsig
        .iter()
        .find(|k| k.name == name)
        .with_context(|| format!("no [[tsig]] key `{spec}` in {}", config.path.display()))?;
    let algorithm = TsigAlgorithm::from_config_str(&k.algorithm)
        .with_context(|| format!("unknown TSIG algorithm {}", k.algorithm))?;
    Ok(TsigKey {
        name: k.name.clone(),
        algorithm,
        secret: k.secret.clone(),
    })
}

/// Writes `path` through a temp file in the same directory and a rename,
/// so a failed import never leaves half a zone file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("zone.import-tmp");
    let file = std::fs::File::create(&tmp)?;
    let result = (|| {
        let mut w = std::io::BufWriter::new(&file);
        write(&mut w)?;
        w.flush()?;
        drop(w);
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
}
