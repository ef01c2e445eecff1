//! `polyzone sync plan|apply|status` and `polyzone verify ZONE`: they ask
//! the running server (which holds the workers and the provider caches).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;
use crate::sync::report::PlanReport;
use crate::sync::verify::VerifyReport;

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Show what each target would change (reads the providers, changes nothing).
    Plan {
        #[arg(long)]
        zone: Option<String>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Push now; `--force` lets a plan past the safety threshold.
    Apply {
        #[arg(long)]
        zone: Option<String>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
    /// Per target: applied serial, lag, last error, next retry.
    Status {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "polyzone.toml")]
        config: PathBuf,
    },
}

/// Zones to act on: the one given, or every zone with targets.
fn zones(config: &Config, zone: Option<&str>) -> Vec<String> {
    match zone {
        Some(z) => vec![z.to_string()],
        None => config
            .zones
            .iter()
            .filter(|z| !z.targets.is_empty())
            .map(|z| z.name.to_string())
            .collect(),
    }
}

fn target_query(target: Option<&str>) -> String {
    target.map(|t| format!("?target={t}")).unwrap_or_default()
}

/// Runs a sync command; `Ok(false)` = something is wrong (exit non-zero).
pub fn run(cmd: SyncCommand) -> anyhow::Result<bool> {
    match cmd {
        SyncCommand::Plan {
            zone,
            target,
            json,
            config,
        } => {
            let config = load(&config)?;
            let mut all = Vec::new();
            for z in zones(&config, zone.as_deref()) {
                let path = format!("/api/v1/zones/{z}/sync{}", target_query(target.as_deref()));
                let v: serde_json::Value =
                    serde_json::from_str(&super::client::request(&config, "GET", &path, None)?)?;
                all.extend(v["plans"].as_array().cloned().unwrap_or_default());
            }
            print_reports(&all, json)
        }
        SyncCommand::Apply {
            zone,
            target,
            force,
            json,
            config,
        } => {
            let config = load(&config)?;
            let mut all = Vec::new();
            for z in zones(&config, zone.as_deref()) {
                let body = serde_json::json!({"force": force, "target": target}).to_string();
                let v: serde_json::Value = serde_json::from_str(&super::client::request(
                    &config,
                    "POST",
                    &format!("/api/v1/zones/{z}/sync"),
                    Some(&body),
                )?)?;
                all.extend(v["results"].as_array().cloned().unwrap_or_default());
            }
            print_reports(&all, json)
        }
        SyncCommand::Status { json, config } => {
            let config = load(&config)?;
            let text = super::client::request(&config, "GET", "/api/v1/sync/status", None)?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v["status"])?);
                return Ok(true);
            }
            println!(
                "{:<24} {:<12} {:<9} {:>10} {:>10} {:>5} {:>8}  last error",
                "zone", "target", "state", "serial", "applied", "lag", "lag s"
            );
            let mut ok = true;
            for s in v["status"].as_array().into_iter().flatten() {
                let state = s["state"].as_str().unwrap_or("?");
                ok &= state == "ok";
                println!(
                    "{:<24} {:<12} {:<9} {:>10} {:>10} {:>5} {:>8.1}  {}{}",
                    s["zone"].as_str().unwrap_or(""),
                    s["target"].as_str().unwrap_or(""),
                    state,
                    s["current_serial"].to_string(),
                    s["applied_serial"].to_string(),
                    s["lag_serials"].to_string(),
                    s["lag_seconds"].as_f64().unwrap_or(0.0),
                    s["last_error"].as_str().unwrap_or("-"),
                    s["next_retry"]
                        .as_u64()
                        .map(|t| format!(" (next retry at {t})"))
                        .unwrap_or_default(),
                );
                for d in s["drift"].as_array().into_iter().flatten() {
                    println!("    drift: {}", d.as_str().unwrap_or(""));
                }
            }
            Ok(ok)
        }
    }
}

fn load(path: &Path) -> anyhow::Result<Config> {
    Config::load(path).context("loading the configuration")
}

fn print_reports(all: &[serde_json::Value], json: bool) -> anyhow::Result<bool> {
    let reports: Vec<PlanReport> = all
        .iter()
        .map(|v| serde_json::from_value(v.clone()))
        .collect::<Result<_, _>>()
        .context("reading the server's answer")?;
    let ok = reports
        .iter()
        .all(|r| r.error.is_none() && r.refused.is_none() && r.held.is_none());
    if json {
        println!("{}", serde_json::to_string_pretty(all)?);
    } else {
        for r in &reports {
            println!("{}", r.to_text());
        }
    }
    Ok(ok)
}

/// `polyzone verify ZONE`: `Ok(false)` on any mismatch.
pub fn verify(config: &Path, zone: &str, json: bool) -> anyhow::Result<bool> {
    let config = load(config)?;
    let text = super::client::request(
        &config,
        "GET",
        &format!("/api/v1/zones/{zone}/verify"),
        None,
    )?;
    let report: VerifyReport =
        serde_json::from_str(&text).context("reading the server's answer")?;
    if json {
        println!("{text}");
    } else {
        println!("{}", report.to_text());
    }
    Ok(report.ok)
}
