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
    /// Per target: applied serial, lag, last error, next retry; then per
    /// DNS secondary: the serial it acknowledged by NOTIFY and the serial
    /// it last transferred (text only; `--json` prints the targets).
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
            print_secondaries(&config)?;
            Ok(ok)
        }
    }
}

/// The secondaries of every zone: one line per NOTIFY address and one
/// per transfer client (source address and TSIG key).
fn print_secondaries(config: &Config) -> anyhow::Result<()> {
    let mut lines = Vec::new();
    for zc in &config.zones {
        let path = format!("/api/v1/zones/{}/secondaries", zc.name);
        let v: serde_json::Value =
            serde_json::from_str(&super::client::request(config, "GET", &path, None)?)
                .context("reading the server's answer")?;
        lines.extend(secondary_lines(&zc.name.to_string(), &v));
    }
    if !lines.is_empty() {
        println!();
        println!(
            "{:<24} {:<9} {:<40} {:>10} {:>10}  detail",
            "zone", "secondary", "address", "serial", "sent"
        );
        for l in lines {
            println!("{l}");
        }
    }
    Ok(())
}

/// The text lines of one zone's `…/secondaries` answer.
fn secondary_lines(zone: &str, v: &serde_json::Value) -> Vec<String> {
    let num = |x: &serde_json::Value| x.as_u64().map_or("-".to_string(), |n| n.to_string());
    let mut out = Vec::new();
    for n in v["notify"].as_array().into_iter().flatten() {
        out.push(format!(
            "{:<24} {:<9} {:<40} {:>10} {:>10}  {}",
            zone,
            "notify",
            n["address"].as_str().unwrap_or("?"),
            num(&n["acked_serial"]),
            num(&n["sent_serial"]),
            match (n["last_error"].as_str(), n["acked_at"].as_u64()) {
                (Some(e), _) => format!("last error: {e}"),
                (None, Some(t)) => format!("serial acknowledged at {t}"),
                (None, None) => "not acknowledged yet".to_string(),
            }
        ));
    }
    for t in v["transfers"].as_array().into_iter().flatten() {
        let who = match t["key"].as_str() {
            Some(k) => format!("{} key {k}", t["source"].as_str().unwrap_or("?")),
            None => t["source"].as_str().unwrap_or("?").to_string(),
        };
        out.push(format!(
            "{:<24} {:<9} {:<40} {:>10} {:>10}  serial transferred by {} at {}, {} transfer(s)",
            zone,
            "transfer",
            who,
            num(&t["serial"]),
            "-",
            t["kind"].as_str().unwrap_or("?"),
            num(&t["at"]),
            num(&t["count"]),
        ));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondaries_as_text() {
        let v = serde_json::json!({
            "zone": "example.com.",
            "notify": [
                {"address": "127.0.0.1:5301", "sent_serial": 8, "acked_serial": 7, "acked_at": 100, "last_error": null},
                {"address": "127.0.0.1:5302", "sent_serial": 8, "acked_serial": null, "acked_at": null, "last_error": "timed out"}
            ],
            "transfers": [
                {"source": "127.0.0.1", "key": "xfr-key.", "serial": 7, "kind": "IXFR", "at": 101, "count": 3}
            ]
        });
        let lines = secondary_lines("example.com.", &v);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("notify") && lines[0].contains("127.0.0.1:5301"));
        assert!(
            lines[0].contains(" 7 ") && lines[0].contains(" 8 "),
            "{}",
            lines[0]
        );
        assert!(lines[1].contains("last error: timed out"), "{}", lines[1]);
        assert!(lines[2].contains("127.0.0.1 key xfr-key.") && lines[2].contains(" 7 "));
        assert!(
            lines[2].contains("IXFR at 101, 3 transfer(s)"),
            "{}",
            lines[2]
        );
    }
}
