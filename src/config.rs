//! The TOML configuration (`polyzone.toml`): parsing, validation, defaults.
//!
//! Unknown keys are errors (a misspelt key must never be silently
//! ignored), and every error names the key. Relative paths are resolved
//! against the directory of the config file, so a deployment directory can
//! be moved or run from anywhere.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::server::acl::TransferAcl;
use crate::server::notify::NotifyTarget;
use crate::server::update::UpdateAcl;
use crate::zone::name::Name;
use crate::zone::serial::SerialPolicy;

/// A problem with the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Parses `<number><unit>` (no unit = the first unit's multiplier, 1).
fn parse_scaled(s: &str, units: &[(&str, u64)], what: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not {what}"))?;
    let unit = unit.trim();
    let mult = if unit.is_empty() {
        1
    } else {
        units
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = units.iter().map(|(u, _)| *u).collect();
                format!("`{s}`: unknown unit `{unit}` (use {})", names.join(", "))
            })?
    };
    Ok(n.saturating_mul(mult))
}

/// A config value written as text with a unit, or as a plain number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scaled {
    Text(String),
    Number(u64),
}

impl Scaled {
    fn value(self, units: &[(&str, u64)], what: &str) -> Result<u64, String> {
        match self {
            Scaled::Text(t) => parse_scaled(&t, units, what),
            Scaled::Number(n) => Ok(n),
        }
    }
}

const DURATION_UNITS: [(&str, u64); 5] = [
    ("s", 1),
    ("m", 60),
    ("h", 3600),
    ("d", 86_400),
    ("w", 604_800),
];
const SIZE_UNITS: [(&str, u64); 4] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

/// A duration written `90s`, `15m`, `2h`, `14d` or `1w` (or plain seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl std::str::FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_scaled(s, &DURATION_UNITS, "a duration like 90s, 15m, 14d")
            .map(|n| HumanDuration(Duration::from_secs(n)))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Scaled::deserialize(d)?
            .value(&DURATION_UNITS, "a duration like 90s, 15m, 14d")
            .map(|n| HumanDuration(Duration::from_secs(n)))
            .map_err(serde::de::Error::custom)
    }
}

/// A size written as a number of bytes or with a unit: `100MiB`, `512KiB`, `1GiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Scaled::deserialize(d)?
            .value(&SIZE_UNITS, "a size like 100MiB")
            .map(ByteSize)
            .map_err(serde::de::Error::custom)
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub tsig: Vec<TsigKeyConfig>,
    pub zones: Vec<ZoneConfig>,
    /// Control API tokens (`[[token]]`).
    pub tokens: Vec<crate::api::auth::TokenConfig>,
    /// `[[target]]`: where zones are pushed (see `sync::target`).
    pub targets: Vec<crate::sync::target::TargetConfig>,
}

/// One `[[tsig]]` key, its secret decoded.
#[derive(Clone)]
pub struct TsigKeyConfig {
    pub name: Name,
    /// BIND's spelling: `hmac-sha256`, `hmac-md5`, ...
    pub algorithm: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for TsigKeyConfig {
    // Secrets never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsigKeyConfig")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The TSIG algorithms a key may use (RFC 8945 §6).
pub const TSIG_ALGORITHMS: [&str; 6] = [
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
];

/// `[server]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: Vec<SocketAddr>,
    /// Control API address (used by the control API; reserved until then).
    pub api_listen: SocketAddr,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    /// Largest UDP answer (and the size advertised in OPT).
    pub udp_payload_max: u16,
    pub tcp_idle_timeout: HumanDuration,
    pub tcp_max_connections: usize,
    /// UDP worker threads per address; default: one per core.
    pub udp_workers: Option<usize>,
    /// Journal retention: most diffs kept per zone (older ones are folded
    /// into the snapshot).
    pub journal_max_diffs: usize,
    /// Journal retention: most bytes of diffs kept per zone.
    pub journal_max_bytes: u64,
    /// PEM certificate chain and key: the control API speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The DNSSEC clock (`POLYZONE_CLOCK` syntax, for tests); overrides the environment.
    pub clock: Option<String>,
}

/// One `[[zone]]`.
#[derive(Debug, Clone)]
pub struct ZoneConfig {
    pub name: Name,
    /// The zone file, resolved against the config's directory.
    pub file: PathBuf,
    /// How the serial moves on each change.
    pub serial: SerialPolicy,
    /// Write the current zone back to its file after each change.
    pub zonefile_sync: bool,
    /// Who may send RFC 2136 updates; empty refuses all.
    pub update: UpdateAcl,
    /// Who may AXFR/IXFR the zone (key names, CIDRs); empty refuses all.
    pub transfer: TransferAcl,
    /// Secondaries sent a NOTIFY on each new serial.
    pub notify: Vec<NotifyTarget>,
    /// `[[target]]` names this zone is pushed to.
    pub targets: Vec<String>,
    /// The signing policy (`dnssec = "name"`); `None` = unsigned.
    pub dnssec: Option<crate::dnssec::Policy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<RawServer>,
    #[serde(default)]
    tsig: Vec<RawTsig>,
    #[serde(default)]
    zone: Vec<RawZone>,
    #[serde(default)]
    token: Vec<crate::api::auth::RawToken>,
    #[serde(default)]
    target: Vec<crate::sync::target::RawTarget>,
    #[serde(default)]
    policy: Vec<crate::dnssec::policy::RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTsig {
    name: String,
    algorithm: Option<String>,
    secret: Option<String>,
    secret_file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Vec<String>>,
    api_listen: Option<String>,
    data_dir: Option<PathBuf>,
    keys_dir: Option<PathBuf>,
    udp_payload_max: Option<u16>,
    tcp_idle_timeout: Option<HumanDuration>,
    tcp_max_connections: Option<usize>,
    udp_workers: Option<usize>,
    journal_max_diffs: Option<usize>,
    journal_max_bytes: Option<ByteSize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    clock: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: String,
    file: PathBuf,
    serial: Option<SerialPolicy>,
    zonefile_sync: Option<bool>,
    update: Option<UpdateAcl>,
    transfer: Option<TransferAcl>,
    notify: Option<Vec<NotifyTarget>>,
    targets: Option<Vec<String>>,
    dnssec: Option<String>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; `path` locates relative paths and names errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let s = raw.server.unwrap_or_default();
        let listen_raw = s.listen.unwrap_or_else(|| vec!["127.0.0.1:5300".into()]);
        if listen_raw.is_empty() {
            return Err(invalid(
                "server.listen",
                "needs at least one address".into(),
            ));
        }
        let mut listen = Vec::new();
        for a in &listen_raw {
            listen.push(a.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    "server.listen",
                    format!("`{a}` is not an address:port (e.g. 127.0.0.1:5300 or [::1]:5300)"),
                )
            })?);
        }
        let api_raw = s.api_listen.unwrap_or_else(|| "127.0.0.1:8300".into());
        let api_listen = api_raw.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "server.api_listen",
                format!("`{api_raw}` is not an address:port"),
            )
        })?;
        let udp_payload_max = s.udp_payload_max.unwrap_or(1232);
        if !(512..=4096).contains(&udp_payload_max) {
            return Err(invalid(
                "server.udp_payload_max",
                format!("{udp_payload_max} is outside 512..=4096"),
            ));
        }
        let tcp_max_connections = s.tcp_max_connections.unwrap_or(512);
        if tcp_max_connections == 0 {
            return Err(invalid(
                "server.tcp_max_connections",
                "must be at least 1".into(),
            ));
        }
        if s.tls_cert.is_some() != s.tls_key.is_some() {
            return Err(invalid(
                "server.tls_cert",
                "tls_cert and tls_key go together (PEM files)".into(),
            ));
        }
        if s.udp_workers == Some(0) {
            return Err(invalid("server.udp_workers", "must be at least 1".into()));
        }
        let server = ServerConfig {
            listen,
            api_listen,
            data_dir: base.join(s.data_dir.unwrap_or_else(|| "data".into())),
            keys_dir: base.join(s.keys_dir.unwrap_or_else(|| "keys".into())),
            udp_payload_max,
            tcp_idle_timeout: s
                .tcp_idle_timeout
                .unwrap_or(HumanDuration(Duration::from_secs(10))),
            tcp_max_connections,
            udp_workers: s.udp_workers,
            journal_max_diffs: s.journal_max_diffs.unwrap_or(1000).max(1),
            journal_max_bytes: s.journal_max_bytes.map_or(100 << 20, |b| b.0),
            tls_cert: s.tls_cert.map(|p| base.join(p)),
            tls_key: s.tls_key.map(|p| base.join(p)),
            clock: s.clock,
        };
        if let Some(c) = &server.clock {
            crate::dnssec::Clock::parse(c).map_err(|e| invalid("server.clock", e))?;
        }
        let mut policies: Vec<crate::dnssec::Policy> = Vec::new();
        for (i, p) in raw.policy.into_iter().enumerate() {
            let p = p
                .validate()
                .map_err(|(k, m)| invalid(&format!("policy[{i}].{k}"), m))?;
            if policies.iter().any(|o| o.name == p.name) {
                return Err(invalid(
                    &format!("policy[{i}].name"),
                    format!("policy `{}` is defined twice", p.name),
                ));
            }
            policies.push(p);
        }
        let mut zones: Vec<ZoneConfig> = Vec::new();
        for (i, z) in raw.zone.into_iter().enumerate() {
            let key = format!("zone[{i}].name");
            let name: Name = z
                .name
                .parse()
                .map_err(|e| invalid(&key, format!("`{}`: {e}", z.name)))?;
            if zones.iter().any(|o| o.name == name) {
                return Err(invalid(&key, format!("zone {name} is configured twice")));
            }
            let dnssec = match z.dnssec {
                None => None,
                Some(p) => Some(policies.iter().find(|o| o.name == p).cloned().ok_or_else(
                    || {
                        invalid(
                            &format!("zone[{i}].dnssec"),
                            format!("no [[policy]] named `{p}`"),
                        )
                    },
                )?),
            };
            zones.push(ZoneConfig {
                name,
                dnssec,
                file: base.join(z.file),
                serial: z.serial.unwrap_or_default(),
                zonefile_sync: z.zonefile_sync.unwrap_or(false),
                update: z.update.unwrap_or_default(),
                transfer: z.transfer.unwrap_or_default(),
                notify: z.notify.unwrap_or_default(),
                targets: z.targets.unwrap_or_default(),
            });
        }
        let tsig = tsig_keys(raw.tsig, &base, &invalid)?;
        let targets = crate::sync::target::parse_targets(raw.target, &base)
            .map_err(|(key, message)| invalid(&key, message))?;
        for (i, z) in zones.iter().enumerate() {
            if let Some(t) = z
                .targets
                .iter()
                .find(|t| !targets.iter().any(|d| &d.name == *t))
            {
                return Err(invalid(
                    &format!("zone[{i}].targets"),
                    format!("target `{t}` is not defined in a [[target]] section"),
                ));
            }
        }
        for (i, z) in zones.iter().enumerate() {
            for g in &z.update.grants {
                let known = g
                    .key
                    .parse::<Name>()
                    .is_ok_and(|k| tsig.iter().any(|t| t.name == k));
                if !known {
                    return Err(invalid(
                        &format!("zone[{i}].update"),
                        format!("key `{}` is not defined in a [[tsig]] section", g.key),
                    ));
                }
            }
        }
        for (i, z) in zones.iter().enumerate() {
            let transfer_keys = z
                .transfer
                .keys()
                .map(|k| (format!("zone[{i}].transfer"), k));
            let notify_keys = z
                .notify
                .iter()
                .filter_map(|t| t.key.as_ref())
                .map(|k| (format!("zone[{i}].notify"), k));
            for (at, k) in transfer_keys.chain(notify_keys) {
                if !tsig.iter().any(|t| &t.name == k) {
                    return Err(invalid(
                        &at,
                        format!("key `{k}` is not defined in a [[tsig]] section"),
                    ));
                }
            }
        }
        let zone_names: Vec<Name> = zones.iter().map(|z| z.name.clone()).collect();
        let tokens = crate::api::auth::tokens_from_config(raw.token, &base, &zone_names)
            .map_err(|(key, message)| invalid(&key, message))?;
        Ok(Config {
            path: path.to_path_buf(),
            server,
            tsig,
            zones,
            tokens,
            targets,
        })
    }
}

/// Validates `[[tsig]]` entries and decodes their secrets.
fn tsig_keys(
    raw: Vec<RawTsig>,
    base: &Path,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Vec<TsigKeyConfig>, ConfigError> {
    let mut keys: Vec<TsigKeyConfig> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("tsig[{i}]{field}");
        let name: Name = t
            .name
            .parse()
            .map_err(|e| invalid(&key(".name"), format!("`{}`: {e}", t.name)))?;
        if keys.iter().any(|k| k.name == name) {
            return Err(invalid(
                &key(".name"),
                format!("key {name} is defined twice"),
            ));
        }
        let algorithm = t
            .algorithm
            .unwrap_or_else(|| "hmac-sha256".into())
            .to_ascii_lowercase();
        if !TSIG_ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(invalid(
                &key(".algorithm"),
                format!("`{algorithm}` is not one of {}", TSIG_ALGORITHMS.join(", ")),
            ));
        }
        let encoded = match (t.secret, t.secret_file) {
            (Some(s), None) => s,
            (None, Some(file)) => {
                let file = base.join(file);
                std::fs::read_to_string(&file).map_err(|e| {
                    invalid(
                        &key(".secret_file"),
                        format!("cannot read {}: {e}", file.display()),
                    )
                })?
            }
            _ => {
                return Err(invalid(
                    &key(""),
                    "needs exactly one of `secret` (base64) or `secret_file`".into(),
                ))
            }
        };
        let secret = decode_secret(&encoded)
            .ok_or_else(|| invalid(&key(".secret"), "is not valid base64".into()))?;
        if secret.is_empty() {
            return Err(invalid(&key(".secret"), "is empty".into()));
        }
        keys.push(TsigKeyConfig {
            name,
            algorithm,
            secret,
        });
    }
    Ok(keys)
}

/// Decodes a base64 secret; a secret file may hold just the secret, or a
/// BIND `key` clause (the `secret "...";` line is used).
fn decode_secret(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = text.trim();
    let b64 = match text.find("secret") {
        Some(i) if text.contains('{') => text[i + 6..].split('"').nth(1)?,
        _ => text,
    };
    let compact: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Config, ConfigError> {
        Config::parse(t, Path::new("/etc/pz/polyzone.toml"))
    }

    #[test]
    fn defaults_and_paths() {
        let c =
            parse("[[zone]]\nname = \"example.com\"\nfile = \"zones/example.com.zone\"\n").unwrap();
        assert_eq!(c.server.listen, vec!["127.0.0.1:5300".parse().unwrap()]);
        assert_eq!(c.server.udp_payload_max, 1232);
        assert_eq!(
            c.zones[0].file,
            PathBuf::from("/etc/pz/zones/example.com.zone")
        );
        assert_eq!(c.server.data_dir, PathBuf::from("/etc/pz/data"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("[server]\nlisten = [\"127.0.0.1:5300\"]\nlisen = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("lisen"), "{e}");
        let e = parse("[server]\nlisten = [\"localhost\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("server.listen"), "{e}");
        let e = parse("[server]\nudp_payload_max = 100\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("server.udp_payload_max"), "{e}");
        let e = parse("[[zone]]\nname = \"a..b\"\nfile = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("zone[0].name"), "{e}");
        let e = parse("[server]\ntcp_idle_timeout = \"5q\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tcp_idle_timeout"), "{e}");
    }

    #[test]
    fn tsig_keys() {
        let c = parse("[[tsig]]\nname = \"k1\"\nsecret = \"c2VjcmV0\"\n").unwrap();
        assert_eq!(c.tsig[0].secret, b"secret");
        assert_eq!(c.tsig[0].algorithm, "hmac-sha256");
        assert!(!format!("{:?}", c.tsig[0]).contains("c2VjcmV0"));
        let e = parse("[[tsig]]\nname = \"k1\"\nalgorithm = \"hmac-foo\"\nsecret = \"c2VjcmV0\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tsig[0].algorithm"), "{e}");
        let e = parse("[[tsig]]\nname = \"k1\"\nsecret = \"!!\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tsig[0].secret"), "{e}");
        let bind = "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";\n};\n";
        assert_eq!(decode_secret(bind).unwrap(), b"secret");
        let c =
            parse("[[zone]]\nname = \"a.test\"\nfile = \"x\"\nserial = \"dateserial\"\n").unwrap();
        assert_eq!(c.zones[0].serial, SerialPolicy::Dateserial);
        let e =
            parse("[[zone]]\nname = \"a.test\"\nfile = \"x\"\nserial = \"weekly\"\n").unwrap_err();
        assert!(e.to_string().contains("serial"), "{e}");
    }

    #[test]
    fn transfer_and_notify() {
        let base = "[[tsig]]\nname = \"xfr-key\"\nsecret = \"c2VjcmV0\"\n[[zone]]\nname = \"a.test\"\nfile = \"x\"\n";
        let c = parse(&format!(
            "{base}transfer = [\"xfr-key\", \"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:5301\", {{ addr = \"[::1]:5302\", key = \"xfr-key\" }}]\n"
        ))
        .unwrap();
        assert_eq!(c.zones[0].transfer.entries.len(), 2);
        assert_eq!(c.zones[0].notify.len(), 2);
        assert!(parse(base).unwrap().zones[0].transfer.entries.is_empty());
        for (bad, key) in [
            ("transfer = [\"nokey\"]", "zone[0].transfer"),
            (
                "notify = [{ addr = \"127.0.0.1:53\", key = \"nokey\" }]",
                "zone[0].notify",
            ),
            ("transfer = [\"10.0.0.0/40\"]", "transfer"),
            ("notify = [\"localhost\"]", "notify"),
        ] {
            let e = parse(&format!("{base}{bad}\n")).unwrap_err().to_string();
            assert!(e.contains(key), "{bad}: {e}");
        }
    }

    #[test]
    fn journal_retention() {
        let c =
            parse("[server]\njournal_max_diffs = 10000\njournal_max_bytes = \"1GiB\"\n").unwrap();
        assert_eq!(
            (c.server.journal_max_diffs, c.server.journal_max_bytes),
            (10000, 1 << 30)
        );
        let e = parse("[server]\njournal_max_bytes = \"1PB\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("journal_max_bytes"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(
            "90s".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(90)
        );
        assert_eq!(
            "14d".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(14 * 86_400)
        );
        assert!("1y".parse::<HumanDuration>().is_err());
    }
}
