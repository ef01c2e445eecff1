//! `[[target]]`: where zones are pushed and how.
//!
//! Secrets (API keys, AWS secret keys) are named by an environment
//! variable or a file and read only when the provider is built; the value
//! never appears in `Debug` output, logs, plans or status.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The kinds of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// PowerDNS Authoritative HTTP API.
    PowerDns,
    /// AWS Route 53.
    Route53,
    /// Cloudflare (API token).
    Cloudflare,
    /// deSEC (token).
    Desec,
    /// Gandi LiveDNS (personal access token).
    Gandi,
    /// Hetzner Cloud DNS, the DNS API of api.hetzner.cloud (API token).
    Hetzner,
    /// DigitalOcean domains (personal access token).
    DigitalOcean,
    /// Any primary taking RFC 2136 UPDATE (read back by AXFR), with TSIG.
    Rfc2136,
    /// A provider that pulls the zone by AXFR/IXFR: only its serial is watched.
    Secondary,
}

/// What to do when a provider's content drifts from ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DriftMode {
    /// Log, show in status, and push our content back.
    #[default]
    Heal,
    /// Log and show in status only.
    Report,
}

/// Where a secret comes from.
#[derive(Clone)]
pub enum Secret {
    Env(String),
    File(PathBuf),
    None,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Env(v) => write!(f, "env:{v}"),
            Secret::File(p) => write!(f, "file:{}", p.display()),
            Secret::None => f.write_str("none"),
        }
    }
}

impl Secret {
    /// The secret's value (trailing whitespace of a file trimmed).
    pub fn read(&self) -> Result<Option<String>, String> {
        match self {
            Secret::Env(var) => std::env::var(var)
                .map(Some)
                .map_err(|_| format!("environment variable {var} is not set")),
            Secret::File(p) => std::fs::read_to_string(p)
                .map(|s| Some(s.trim_end().to_string()))
                .map_err(|e| format!("cannot read {}: {e}", p.display())),
            Secret::None => Ok(None),
        }
    }
}

/// One validated `[[target]]`.
#[derive(Clone, Debug)]
pub struct TargetConfig {
    pub name: String,
    pub kind: TargetKind,
    /// API base URL (PowerDNS: `http://host:8081`; Route 53: default AWS).
    pub url: Option<String>,
    /// The API key / token / AWS secret access key.
    pub api_key: Secret,
    /// AWS access key id (not secret).
    pub key_id: Option<String>,
    /// Provider-side zone id (Route 53 hosted zone id), looked up by name if absent.
    pub zone_id: Option<String>,
    /// PowerDNS server id.
    pub server_id: String,
    /// DNS server (rfc2136): address:port.
    pub server: Option<SocketAddr>,
    /// TSIG key name (rfc2136); its base64 secret via api_key_env/file.
    pub tsig_key: Option<String>,
    pub tsig_algorithm: String,
    pub region: String,
    pub ttl_min: Option<u32>,
    pub ttl_max: Option<u32>,
    /// Refuse plans that would skip unsupported types.
    pub strict: bool,
    /// Delete records at the provider that polyzone does not manage.
    pub purge: bool,
    pub drift: DriftMode,
    pub drift_interval: Duration,
    /// Per request.
    pub timeout: Duration,
    /// Attempts per request for transient failures.
    pub retries: u32,
    /// Requests per second at most (0 = unlimited).
    pub rate: f64,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Authoritative servers `verify` asks; empty = the zone's NS.
    pub nameservers: Vec<SocketAddr>,
    /// Whether `verify` checks this target (an API emulator serves no DNS).
    pub verify: bool,
    /// Share of a zone's records a plan may delete or change without `--force`.
    pub threshold: f64,
    /// Zones smaller than this are never held by the threshold.
    pub threshold_min_records: usize,
    /// The operator asserts that the parent holds no DS for signed zones
    /// pushed here, so serving them unsigned breaks nothing.
    pub allow_unsigned: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    name: String,
    kind: TargetKind,
    url: Option<String>,
    api_key_env: Option<String>,
    api_key_file: Option<PathBuf>,
    key_id: Option<String>,
    zone_id: Option<String>,
    server_id: Option<String>,
    server: Option<String>,
    tsig_key: Option<String>,
    tsig_algorithm: Option<String>,
    region: Option<String>,
    ttl_min: Option<u32>,
    ttl_max: Option<u32>,
    strict: Option<bool>,
    purge: Option<bool>,
    drift: Option<DriftMode>,
    drift_interval: Option<crate::config::HumanDuration>,
    timeout: Option<crate::config::HumanDuration>,
    retries: Option<u32>,
    rate: Option<f64>,
    concurrency: Option<usize>,
    nameservers: Option<Vec<String>>,
    verify: Option<bool>,
    threshold: Option<f64>,
    threshold_min_records: Option<usize>,
    allow_unsigned: Option<bool>,
}

/// Validates the `[[target]]` tables; errors are `(key, message)`.
pub fn parse_targets(
    raw: Vec<RawTarget>,
    base: &Path,
) -> Result<Vec<TargetConfig>, (String, String)> {
    let mut out: Vec<TargetConfig> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = |f: &str| format!("target[{i}].{f}");
        if t.name.is_empty()
            || !t
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err((
                key("name"),
                format!("`{}`: use letters, digits, - and _", t.name),
            ));
        }
        if out.iter().any(|o| o.name == t.name) {
            return Err((key("name"), format!("target {} is defined twice", t.name)));
        }
        let api_key = match (t.api_key_env, t.api_key_file) {
            (Some(v), None) => Secret::Env(v),
            (None, Some(f)) => Secret::File(base.join(f)),
            (None, None) => Secret::None,
            (Some(_), Some(_)) => {
                return Err((
                    key("api_key_env"),
                    "give api_key_env or api_key_file, not both".into(),
                ))
            }
        };
        if t.kind == TargetKind::PowerDns && t.url.is_none() {
            return Err((key("url"), "a powerdns target needs the API url".into()));
        }
        if let Some(u) = &t.url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err((key("url"), format!("`{u}` is not an http(s) URL")));
            }
        }
        let mut nameservers = Vec::new();
        for ns in t.nameservers.unwrap_or_default() {
            nameservers.push(
                ns.parse::<SocketAddr>()
                    .map_err(|_| (key("nameservers"), format!("`{ns}` is not address:port")))?,
            );
        }
        let threshold = t.threshold.unwrap_or(30.0);
        if !(0.0..=100.0).contains(&threshold) {
            return Err((key("threshold"), format!("{threshold} is not a percentage")));
        }
        if let (Some(lo), Some(hi)) = (t.ttl_min, t.ttl_max) {
            if lo > hi {
                return Err((key("ttl_min"), format!("{lo} is above ttl_max {hi}")));
            }
        }
        let rate = t.rate.unwrap_or(0.0);
        if !rate.is_finite() || rate < 0.0 {
            return Err((key("rate"), format!("{rate} is not a request rate")));
        }
        let server = match &t.server {
            Some(s) => Some(
                s.parse::<SocketAddr>()
                    .map_err(|_| (key("server"), format!("`{s}` is not address:port")))?,
            ),
            None => None,
        };
        if t.kind == TargetKind::Rfc2136 && server.is_none() {
            return Err((
                key("server"),
                "an rfc2136 target needs the server's address:port".into(),
            ));
        }
        out.push(TargetConfig {
            name: t.name,
            kind: t.kind,
            url: t.url.map(|u| u.trim_end_matches('/').to_string()),
            api_key,
            key_id: t.key_id,
            zone_id: t.zone_id,
            server_id: t.server_id.unwrap_or_else(|| "localhost".into()),
            server,
            tsig_key: t.tsig_key,
            tsig_algorithm: t.tsig_algorithm.unwrap_or_else(|| "hmac-sha256".into()),
            region: t.region.unwrap_or_else(|| "us-east-1".into()),
            ttl_min: t.ttl_min,
            ttl_max: t.ttl_max,
            strict: t.strict.unwrap_or(false),
            purge: t.purge.unwrap_or(false),
            drift: t.drift.unwrap_or_default(),
            drift_interval: t.drift_interval.map_or(Duration::from_secs(300), |d| d.0),
            timeout: t.timeout.map_or(Duration::from_secs(10), |d| d.0),
            retries: t.retries.unwrap_or(5).max(1),
            rate,
            concurrency: t.concurrency.unwrap_or(4).max(1),
            nameservers,
            verify: t.verify.unwrap_or(true),
            threshold: threshold / 100.0,
            threshold_min_records: t.threshold_min_records.unwrap_or(10),
            allow_unsigned: t.allow_unsigned.unwrap_or(false),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<TargetConfig>, (String, String)> {
        #[derive(Deserialize)]
        struct W {
            target: Vec<RawTarget>,
        }
        let w: W = toml::from_str(text).map_err(|e| ("toml".into(), e.to_string()))?;
        parse_targets(w.target, Path::new("/etc/pz"))
    }

    #[test]
    fn parses_and_defaults() {
        let t = parse(
            "[[target]]\nname='pdns'\nkind='powerdns'\nurl='http://127.0.0.1:8081/'\napi_key_file='k'\ndrift='report'\ndrift_interval='2s'\n",
        )
        .unwrap();
        assert_eq!(t[0].url.as_deref(), Some("http://127.0.0.1:8081"));
        assert_eq!(t[0].drift, DriftMode::Report);
        assert_eq!(t[0].drift_interval, Duration::from_secs(2));
        assert!((t[0].threshold - 0.3).abs() < 1e-9);
        assert!(matches!(&t[0].api_key, Secret::File(p) if p == Path::new("/etc/pz/k")));
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("[[target]]\nname='p'\nkind='powerdns'\n").unwrap_err();
        assert_eq!(e.0, "target[0].url");
        let e = parse("[[target]]\nname='p'\nkind='route53'\nthreshold=120.0\n").unwrap_err();
        assert_eq!(e.0, "target[0].threshold");
        assert!(parse("[[target]]\nname='p'\nkind='route53'\nbogus=1\n").is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        let t = parse("[[target]]\nname='r'\nkind='route53'\napi_key_env='AWS_SECRET'\n").unwrap();
        let shown = format!("{:?}", t[0]);
        assert!(shown.contains("env:AWS_SECRET"));
    }
}
