//! The command line: turns arguments into library calls, and errors into
//! messages that say what to do next.

pub mod client;
pub mod import;
pub mod import_target;
pub mod keys;
pub mod sync;
pub mod tsig;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::load::load_zone;
use crate::zone::name::Name;

#[derive(Parser)]
#[command(
    name = "polyzone",
    version,
    about = "Hidden-primary authoritative DNS server"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Validate the config and every zone file.
    Check {
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Show who changed a zone and when (newest first).
    History {
        zone: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// List the changes between two serials (IXFR style).
    Diff {
        zone: String,
        from: u32,
        to: u32,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Undo every change after a serial, as a new serial.
    Rollback {
        zone: String,
        #[arg(long)]
        to: u32,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Make the running server re-read its zone files.
    Reload {
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// TSIG keys.
    Tsig {
        #[command(subcommand)]
        command: TsigCommand,
    },
    /// Control API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Zone commands.
    Zone {
        #[command(subcommand)]
        command: ZoneCommand,
    },
    /// Pull a zone into a BIND file (migration): from another primary by
    /// AXFR, or from a provider's API (`--target`).
    #[command(group(clap::ArgGroup::new("source").required(true).args(["axfr", "target"])))]
    Import {
        #[arg(long)]
        zone: String,
        /// The primary to transfer from (AXFR over TCP).
        #[arg(long, value_name = "HOST:PORT")]
        axfr: Option<String>,
        /// A `[[target]]` of the config to read the zone from.
        #[arg(long, value_name = "TARGET")]
        target: Option<String>,
        /// A [[tsig]] key name of the config, or name:algorithm:secret.
        #[arg(long, value_name = "KEY")]
        tsig: Option<String>,
        /// Where to write the zone (default: zones/<zone>.zone with --axfr,
        /// stdout with --target).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Provider sync: plan, apply, status.
    Sync {
        #[command(subcommand)]
        command: sync::SyncCommand,
    },
    /// Ask each target's nameservers whether they serve the zone as they should.
    Verify {
        zone: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// DNSSEC keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
}

#[derive(Subcommand)]
enum TsigCommand {
    /// Print a new random key as a config snippet and a BIND key clause.
    Generate {
        name: String,
        #[arg(long, default_value = "hmac-sha256")]
        algorithm: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a new API token: prints the secret (for the client) and the
    /// `[[token]]` section (with its hash) for polyzone.toml.
    Generate {
        name: String,
        /// `read` or `write`.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Limit the token to these zones (repeatable).
        #[arg(long = "zone")]
        zones: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ZoneCommand {
    /// List the zones a running server serves, with their serials.
    List {
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Print a zone in BIND format on stdout.
    Export {
        zone: String,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Serve { config } => serve(&config),
        Command::Check { config } => return check(&config),
        Command::History {
            zone,
            limit,
            config,
        } => history(&config, &zone, limit),
        Command::Diff {
            zone,
            from,
            to,
            config,
        } => remote(
            &config,
            "GET",
            &format!("/api/v1/zones/{zone}/diff?from={from}&to={to}"),
            None,
        )
        .map(|text| print!("{text}")),
        Command::Rollback { zone, to, config } => {
            let body = format!("{{\"to\": {to}}}");
            remote(
                &config,
                "POST",
                &format!("/api/v1/zones/{zone}/rollback"),
                Some(&body),
            )
            .and_then(|text| {
                let v: serde_json::Value = serde_json::from_str(&text)?;
                println!(
                    "{zone}: rolled back to the content of serial {to}, now serial {}",
                    v["serial"]
                );
                Ok(())
            })
        }
        Command::Reload { config } => {
            remote(&config, "POST", "/api/v1/reload", None).and_then(|text| {
                let v: serde_json::Value = serde_json::from_str(&text)?;
                for line in v["report"].as_array().into_iter().flatten() {
                    println!("{}", line.as_str().unwrap_or_default());
                }
                Ok(())
            })
        }
        Command::Tsig {
            command: TsigCommand::Generate { name, algorithm },
        } => tsig::generate(&name, &algorithm).map(|text| print!("{text}")),
        Command::Zone {
            command: ZoneCommand::Export { zone, config },
        } => export(&config, &zone),
        Command::Import {
            zone,
            axfr,
            target,
            tsig,
            out,
            force,
            config,
        } => match (axfr, target) {
            (_, Some(target)) => import_target::run(&import_target::ImportTargetArgs {
                zone,
                target,
                out,
                config,
            }),
            (Some(axfr), None) => import::run(&import::ImportArgs {
                zone: &zone,
                axfr: &axfr,
                tsig: tsig.as_deref(),
                out: out.as_deref(),
                force,
                config: &config,
            })
            .map(|summary| println!("{summary}")),
            (None, None) => Err(anyhow::anyhow!("import needs --axfr or --target")),
        },
        Command::Zone {
            command: ZoneCommand::List { config },
        } => remote(&config, "GET", "/api/v1/zones", None).and_then(|text| {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            for z in v["zones"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}",
                    z["name"].as_str().unwrap_or_default(),
                    z["serial"]
                );
            }
            Ok(())
        }),
        Command::Token {
            command: TokenCommand::Generate { name, scope, zones },
        } => crate::api::auth::generate(&name, &scope, &zones).map(|text| print!("{text}")),
        Command::Sync { command } => sync::run(command).and_then(|ok| {
            ok.then_some(())
                .ok_or_else(|| anyhow::anyhow!("not every target is in order (see above)"))
        }),
        Command::Verify { zone, json, config } => {
            sync::verify(&config, &zone, json).and_then(|ok| {
                ok.then_some(())
                    .ok_or_else(|| anyhow::anyhow!("{zone}: mismatches found"))
            })
        }
        Command::Keys { command } => keys::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("polyzone: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("POLYZONE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn serve(path: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::load(path).context("loading the configuration")?;
    crate::server::run(config)
}

/// Validates everything; prints each problem as `file:line:col: message`.
fn check(path: &std::path::Path) -> ExitCode {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for zc in &config.zones {
        match load_zone(zc) {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "{}: ok, serial {}, {} records",
                    zc.name,
                    loaded.version.serial(),
                    loaded.version.record_count()
                );
            }
            Err(e) => {
                failed = true;
                for err in &e.errors {
                    eprintln!("{err}");
                }
                eprintln!("{}: zone not loadable", zc.name);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn remote(
    path: &std::path::Path,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> anyhow::Result<String> {
    let config = Config::load(path).context("loading the configuration")?;
    client::request(&config, method, url, body)
}

fn history(path: &std::path::Path, zone: &str, limit: usize) -> anyhow::Result<()> {
    let text = remote(
        path,
        "GET",
        &format!("/api/v1/zones/{zone}/history?limit={limit}"),
        None,
    )?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    println!(
        "{:>10}  {:>10}  {:<20}  {:<24}  {:>6}  {:>6}",
        "from", "to", "time (UTC)", "who", "+", "-"
    );
    for e in v["history"].as_array().into_iter().flatten() {
        let time = e["time"].as_u64().unwrap_or(0);
        println!(
            "{:>10}  {:>10}  {:<20}  {:<24}  {:>6}  {:>6}",
            e["serial_from"],
            e["serial_to"],
            utc(time),
            e["who"].as_str().unwrap_or(""),
            e["added"],
            e["removed"]
        );
    }
    Ok(())
}

/// `YYYY-MM-DD hh:mm:ss` of a Unix time.
fn utc(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let s = t % 86_400;
    let (y, m, d) = crate::zone::serial::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// The zone as served: from the running server when there is one, else
/// from the store (snapshot + journal), else from its zone file.
fn export(path: &std::path::Path, zone: &str) -> anyhow::Result<()> {
    let config = Config::load(path).context("loading the configuration")?;
    let name: Name = zone
        .parse()
        .map_err(|e| anyhow::anyhow!("`{zone}` is not a zone name: {e}"))?;
    let zc = config
        .zones
        .iter()
        .find(|z| z.name == name)
        .with_context(|| format!("zone {name} is not in {}", path.display()))?;
    let running = std::net::TcpStream::connect_timeout(
        &config.server.api_listen,
        std::time::Duration::from_secs(2),
    )
    .is_ok();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if running {
        let text = client::request(
            &config,
            "GET",
            &format!("/api/v1/zones/{name}/export"),
            None,
        )?;
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    let store_file = config.server.data_dir.join(crate::store::STORE_FILE);
    let stored = if store_file.exists() {
        let store = crate::store::Store::open(&config.server.data_dir)
            .with_context(|| format!("opening {}", store_file.display()))?;
        match store.load(&name)? {
            Some(restored) => Some(restored.into_version(&name)?),
            None => None,
        }
    } else {
        None
    };
    let version = match stored {
        Some(v) => v,
        None => load_zone(zc)?.version,
    };
    let records = version.records_canonical();
    crate::zonefile::write_zone(&mut out, version.apex(), records.iter())?;
    out.flush()?;
    Ok(())
}
