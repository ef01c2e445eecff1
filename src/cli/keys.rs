//! `polyzone keys ...`: DNSSEC keys of a zone. `list` asks the running
//! server; `generate` and `import` write BIND key files into `keys_dir`,
//! where the server finds them at its next start.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::config::{Config, ZoneConfig};
use crate::dnssec::keyfile;
use crate::dnssec::keys::{Algorithm, KeyPair};
use crate::zone::name::Name;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Each key's role and state, and the zone's next signing event.
    List {
        zone: String,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Make a new key (a ZSK unless --ksk) into keys_dir.
    Generate {
        zone: String,
        /// A key-signing key (SEP flag, DNSKEY flags 257).
        #[arg(long)]
        ksk: bool,
        /// ecdsap256sha256 | ed25519 | rsasha256; default: the zone policy's.
        #[arg(long)]
        algorithm: Option<String>,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Import keys made by dnssec-keygen (give the .key or .private files).
    Import {
        zone: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Start a key rollover now (ZSK pre-publish, KSK double-DS, or CSK
    /// for a policy with `csk = true`).
    Rollover {
        zone: String,
        #[arg(long, conflicts_with_all = ["ksk", "csk"], required_unless_present_any = ["ksk", "csk"])]
        zsk: bool,
        #[arg(long, conflicts_with = "csk")]
        ksk: bool,
        #[arg(long)]
        csk: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Go insecure: publish CDS/CDNSKEY delete (RFC 8078); DNSSEC records
    /// are removed after `ds-seen ZONE 0` and the parent's DS TTL.
    Unsign {
        zone: String,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Confirm that the parent serves the DS of a new KSK (tag 0: that the
    /// parent removed the DS, when going insecure).
    DsSeen {
        zone: String,
        keytag: u16,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Sign the whole zone again now (after adding or importing keys).
    Resign {
        zone: String,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
}

/// Runs one `keys` command.
pub fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::List { zone, config } => list(&config, &zone),
        KeysCommand::Generate {
            zone,
            ksk,
            algorithm,
            config,
        } => generate(&config, &zone, ksk, algorithm.as_deref()),
        KeysCommand::Import {
            zone,
            files,
            config,
        } => import(&config, &zone, &files),
        KeysCommand::Rollover {
            zone,
            ksk,
            csk,
            config,
            ..
        } => {
            let config = Config::load(&config).context("loading the configuration")?;
            let kind = match (ksk, csk) {
                (true, _) => "ksk",
                (_, true) => "csk",
                _ => "zsk",
            };
            let text = super::client::request(
                &config,
                "POST",
                &format!("/api/v1/zones/{zone}/keys/rollover"),
                Some(&format!("{{\"kind\": \"{kind}\"}}")),
            )?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            println!(
                "{zone}: {} rollover started, new key {}, serial {}",
                kind.to_uppercase(),
                v["new_key"],
                v["serial"]
            );
            Ok(())
        }
        KeysCommand::DsSeen {
            zone,
            keytag,
            config,
        } => {
            let config = Config::load(&config).context("loading the configuration")?;
            super::client::request(
                &config,
                "POST",
                &format!("/api/v1/zones/{zone}/keys/ds-seen"),
                Some(&format!("{{\"tag\": {keytag}}}")),
            )?;
            println!("{zone}: DS of key {keytag} seen at the parent");
            Ok(())
        }
        KeysCommand::Unsign { zone, config } => {
            let config = Config::load(&config).context("loading the configuration")?;
            super::client::request(
                &config,
                "POST",
                &format!("/api/v1/zones/{zone}/keys/unsign"),
                None,
            )?;
            println!("{zone}: CDS/CDNSKEY delete published; run `keys ds-seen {zone} 0` once the parent has removed the DS");
            Ok(())
        }
        KeysCommand::Resign { zone, config } => {
            let config = Config::load(&config).context("loading the configuration")?;
            let text = super::client::request(
                &config,
                "POST",
                &format!("/api/v1/zones/{zone}/keys/resign"),
                None,
            )?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            println!("{zone}: signed again, serial {}", v["serial"]);
            Ok(())
        }
    }
}

fn zone_config<'a>(config: &'a Config, zone: &str) -> anyhow::Result<(Name, &'a ZoneConfig)> {
    let name: Name = zone
        .parse()
        .map_err(|e| anyhow::anyhow!("`{zone}` is not a zone name: {e}"))?;
    let zc = config
        .zones
        .iter()
        .find(|z| z.name == name)
        .with_context(|| format!("zone {name} is not in {}", config.path.display()))?;
    Ok((name, zc))
}

fn list(path: &Path, zone: &str) -> anyhow::Result<()> {
    let config = Config::load(path).context("loading the configuration")?;
    let text = super::client::request(&config, "GET", &format!("/api/v1/zones/{zone}/keys"), None)?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    println!(
        "zone {}  policy {}",
        zone,
        v["policy"].as_str().unwrap_or("")
    );
    println!(
        "{:>6}  {:<16}  {:<4}  {:<9}  {:<7}  {:<3}",
        "tag", "algorithm", "role", "published", "signing", "cds"
    );
    for k in v["keys"].as_array().into_iter().flatten() {
        println!(
            "{:>6}  {:<16}  {:<4}  {:<9}  {:<7}  {:<3}",
            k["tag"],
            k["algorithm"].as_str().unwrap_or(""),
            k["role"].as_str().unwrap_or(""),
            k["published"],
            k["signing"],
            k["cds"]
        );
    }
    match v["next_event"].as_object() {
        Some(e) => println!(
            "next event: {} at {} (now {})",
            e.get("what").and_then(|w| w.as_str()).unwrap_or(""),
            super::utc(e.get("time").and_then(|t| t.as_u64()).unwrap_or(0)),
            super::utc(v["now"].as_u64().unwrap_or(0))
        ),
        None => println!(
            "next event: none scheduled (now {})",
            super::utc(v["now"].as_u64().unwrap_or(0))
        ),
    }
    for e in v["events"].as_array().into_iter().flatten().skip(1) {
        println!(
            "then: {} at {}",
            e["what"].as_str().unwrap_or(""),
            super::utc(e["time"].as_u64().unwrap_or(0))
        );
    }
    if let Some(u) = v["unsign"].as_str() {
        println!("going insecure: {u}");
    }
    for w in v["waiting"].as_array().into_iter().flatten() {
        println!("waiting: {}", w.as_str().unwrap_or(""));
    }
    Ok(())
}

fn generate(path: &Path, zone: &str, ksk: bool, algorithm: Option<&str>) -> anyhow::Result<()> {
    let config = Config::load(path).context("loading the configuration")?;
    let (name, zc) = zone_config(&config, zone)?;
    let alg = match algorithm {
        Some(a) => Algorithm::from_name(a)
            .with_context(|| format!("`{a}` is not ecdsap256sha256, ed25519 or rsasha256"))?,
        None => zc
            .dnssec
            .as_ref()
            .map_or(Algorithm::EcdsaP256Sha256, |p| p.algorithm),
    };
    let key = KeyPair::generate(alg, if ksk { 257 } else { 256 })?;
    let base = keyfile::write(&config.server.keys_dir, &name, &key, crate::commit::now())?;
    println!("{}", base.display());
    Ok(())
}

fn import(path: &Path, zone: &str, files: &[PathBuf]) -> anyhow::Result<()> {
    let config = Config::load(path).context("loading the configuration")?;
    let (name, _) = zone_config(&config, zone)?;
    for f in files {
        let (public, key) = keyfile::read(f)?;
        if public.owner != name {
            bail!(
                "{}: the key belongs to {}, not {name}",
                f.display(),
                public.owner
            );
        }
        let base = keyfile::write(&config.server.keys_dir, &name, &key, crate::commit::now())?;
        println!("imported key {} as {}", key.key_tag(), base.display());
    }
    Ok(())
}
