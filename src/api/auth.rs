//! Who may call the control API: bearer tokens with a scope.
//!
//! Tokens come from the config (`[[token]]`) and from the control token
//! file (`data_dir/control.token`, a full-scope token named `control` that
//! the CLI uses). Only SHA-256 hashes of the secrets are kept; a presented
//! token is hashed and compared with every known hash in constant time, so
//! neither a prefix nor which token matched leaks through timing.
//!
//! Scopes: `read` may read; `write` may also change zones. `zones`, when
//! given, limits the token to those zones for reading and writing alike
//! (listing shows only them); server-wide actions (reload) need a `write`
//! token without `zones`.
//!
//! Each configured token may carry a `rate` (`"50/s"`, `"600/m"`): a token
//! bucket that holds one second's worth of requests (at least one) and
//! refills continuously. Over the rate the answer is 429 with
//! `Retry-After`. The control token is not limited: it is the operator's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::ApiError;
use crate::zone::name::Name;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
}

/// A requests-per-second rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
}

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || format!("`{s}` is not a rate like \"50/s\", \"600/m\" or \"3600/h\"");
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let secs = match unit.trim() {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        if n == 0 {
            return Err(format!("`{s}`: a rate of zero would refuse every request"));
        }
        Ok(Rate {
            per_second: f64::from(n) / secs,
        })
    }
}

/// One `[[token]]` as written in the config.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    name: String,
    scope: Scope,
    zones: Option<Vec<String>>,
    hash: Option<String>,
    secret_file: Option<PathBuf>,
    rate: Option<String>,
}

/// A validated `[[token]]`.
#[derive(Clone)]
pub struct TokenConfig {
    pub name: String,
    pub scope: Scope,
    /// The zones it is limited to; `None` = all.
    pub zones: Option<Vec<Name>>,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
    pub rate: Option<Rate>,
}

impl std::fmt::Debug for TokenConfig {
    // Even the hash stays out of logs: it would allow offline guessing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("name", &self.name)
            .field("scope", &self.scope)
            .field("zones", &self.zones)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of a secret.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// The `hash = "sha256:<hex>"` form of a secret (for `polyzone token hash`
/// style tooling and tests).
pub fn hash_text(secret: &str) -> String {
    let h = hash_secret(secret);
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let hex = text.trim().strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A new random token: the secret, then the `[[token]]` section that
/// accepts it (only the hash goes into the config).
pub fn generate(name: &str, scope: &str, zones: &[String]) -> anyhow::Result<String> {
    if scope != "read" && scope != "write" {
        anyhow::bail!("--scope must be `read` or `write`, not `{scope}`");
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let zones = if zones.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = zones.iter().map(|z| format!("{z:?}")).collect();
        format!("zones = [{}]\n", list.join(", "))
    };
    Ok(format!(
        "# secret for the client (Authorization: Bearer ...), shown once:\n# {secret}\n\
         [[token]]\nname = {name:?}\nscope = \"{scope}\"\n{zones}hash = \"{}\"\n",
        hash_text(&secret)
    ))
}

/// Validates the `[[token]]` entries; an error is `(key, message)`.
pub fn tokens_from_config(
    raw: Vec<RawToken>,
    base: &Path,
    zones: &[Name],
) -> Result<Vec<TokenConfig>, (String, String)> {
    let mut out: Vec<TokenConfig> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = |f: &str| format!("token[{i}]{f}");
        if t.name.is_empty() || t.name == "control" || out.iter().any(|o| o.name == t.name) {
            return Err((
                key(".name"),
                format!(
                    "`{}` must be non-empty, unique and not `control` (the control token's name)",
                    t.name
                ),
            ));
        }
        let hash = match (t.hash, t.secret_file) {
            (Some(h), None) => parse_hash(&h).ok_or_else(|| {
                (
                    key(".hash"),
                    "is not `sha256:` followed by 64 hex digits".to_string(),
                )
            })?,
            (None, Some(file)) => {
                let file = base.join(file);
                let secret = std::fs::read_to_string(&file).map_err(|e| {
                    (
                        key(".secret_file"),
                        format!("cannot read {}: {e}", file.display()),
                    )
                })?;
                if secret.trim().is_empty() {
                    return Err((key(".secret_file"), format!("{} is empty", file.display())));
                }
                hash_secret(&secret)
            }
            _ => {
                return Err((
                    key(""),
                    "needs exactly one of `hash` (\"sha256:<hex>\") or `secret_file`".into(),
                ))
            }
        };
        let zone_names = match t.zones {
            None => None,
            Some(list) => {
                let mut names = Vec::new();
                for z in list {
                    let n: Name = z
                        .parse()
                        .map_err(|e| (key(".zones"), format!("`{z}`: {e}")))?;
                    if !zones.contains(&n) {
                        return Err((key(".zones"), format!("zone {n} is not configured")));
                    }
                    names.push(n);
                }
                Some(names)
            }
        };
        let rate = t
            .rate
            .map(|r| r.parse::<Rate>())
            .transpose()
            .map_err(|e| (key(".rate"), e))?;
        out.push(TokenConfig {
            name: t.name,
            scope: t.scope,
            zones: zone_names,
            hash,
            rate,
        });
    }
    Ok(out)
}

/// A token bucket.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: Rate) -> Bucket {
        let capacity = rate.per_second.max(1.0);
        Bucket {
            rate: rate.per_second,
            capacity,
            tokens: capacity,
            at: Instant::now(),
        }
    }

    /// Takes one request's token, or tells how many seconds until one is there.
    fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// An authenticated caller.
#[derive(Debug)]
pub struct Principal {
    pub name: String,
    pub scope: Scope,
    pub zones: Option<Vec<Name>>,
    hash: [u8; 32],
    bucket: Option<Mutex<Bucket>>,
}

impl Principal {
    /// How history records its changes.
    pub fn who(&self) -> String {
        format!("token:{}", self.name)
    }

    /// Whether the token covers `zone` at all.
    pub fn sees(&self, zone: &Name) -> bool {
        self.zones.as_ref().is_none_or(|z| z.contains(zone))
    }

    /// 403 unless the token may read `zone`.
    pub fn may_read(&self, zone: &Name) -> Result<(), ApiError> {
        if self.sees(zone) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "token `{}` is limited to other zones than {zone}",
                self.name
            )))
        }
    }

    /// 403 unless the token may change `zone`.
    pub fn may_write(&self, zone: &Name) -> Result<(), ApiError> {
        self.may_read(zone)?;
        if self.scope == Scope::Write {
            Ok(())
        } else {
            Err(forbidden(format!(
                "token `{}` has scope `read`; changing {zone} needs `write`",
                self.name
            )))
        }
    }

    /// 403 unless the token may act on the whole server.
    pub fn may_admin(&self) -> Result<(), ApiError> {
        if self.scope == Scope::Write && self.zones.is_none() {
            Ok(())
        } else {
            Err(forbidden(format!(
                "token `{}` is not a server-wide write token",
                self.name
            )))
        }
    }
}

fn forbidden(msg: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, msg)
}

/// Every token the API accepts.
pub struct Auth {
    principals: Vec<Arc<Principal>>,
}

impl Auth {
    /// The control token (full scope, unlimited) and the configured ones.
    pub fn new(control: &str, configured: &[TokenConfig]) -> Auth {
        let mut principals = vec![Arc::new(Principal {
            name: "control".into(),
            scope: Scope::Write,
            zones: None,
            hash: hash_secret(control),
            bucket: None,
        })];
        for t in configured {
            principals.push(Arc::new(Principal {
                name: t.name.clone(),
                scope: t.scope,
                zones: t.zones.clone(),
                hash: t.hash,
                bucket: t.rate.map(|r| Mutex::new(Bucket::new(r))),
            }));
        }
        Auth { principals }
    }

    /// The caller of a request: 401 without a known token, 429 over its rate.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Principal>, ApiError> {
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "send `Authorization: Bearer <token>` (the control token is in data_dir/control.token)",
                )
            })?;
        let hash = hash_secret(given);
        // Look at every token, no early exit.
        let mut found: Option<&Arc<Principal>> = None;
        for p in &self.principals {
            if bool::from(p.hash.ct_eq(&hash)) {
                found = Some(p);
            }
        }
        let p =
            found.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown bearer token"))?;
        if let Some(bucket) = &p.bucket {
            let mut b = bucket
                .lock()
                .map_err(|_| ApiError::internal("rate limiter lock poisoned"))?;
            if let Err(wait) = b.take(Instant::now()) {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("token `{}` is over its rate; retry in {wait} s", p.name),
                );
                e.retry_after = Some(wait);
                return Err(e);
            }
        }
        Ok(p.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn bearer(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {t}").parse().unwrap());
        h
    }

    #[test]
    fn scopes_and_zones() {
        let zone: Name = "a.test".parse().unwrap();
        let other: Name = "b.test".parse().unwrap();
        let raw: Vec<RawToken> =
            toml::from_str::<std::collections::HashMap<String, Vec<RawToken>>>(&format!(
                "[[token]]\nname = \"ro\"\nscope = \"read\"\nhash = \"{}\"\n\
                 [[token]]\nname = \"w\"\nscope = \"write\"\nzones = [\"a.test\"]\nhash = \"{}\"\n",
                hash_text("ro-secret"),
                hash_text("w-secret")
            ))
            .unwrap()
            .remove("token")
            .unwrap();
        let cfg = tokens_from_config(raw, Path::new("/"), &[zone.clone(), other.clone()]).unwrap();
        let auth = Auth::new("ctl", &cfg);
        assert_eq!(
            auth.authenticate(&HeaderMap::new()).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            auth.authenticate(&bearer("nope")).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        let ro = auth.authenticate(&bearer("ro-secret")).unwrap();
        assert!(ro.may_read(&zone).is_ok());
        assert_eq!(
            ro.may_write(&zone).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        let w = auth.authenticate(&bearer("w-secret")).unwrap();
        assert!(w.may_write(&zone).is_ok());
        assert_eq!(
            w.may_write(&other).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert!(w.may_admin().is_err());
        let c = auth.authenticate(&bearer("ctl")).unwrap();
        assert!(c.may_admin().is_ok() && c.may_write(&other).is_ok());
        assert_eq!(c.who(), "token:control");
    }

    #[test]
    fn config_errors_name_the_key() {
        let parse = |t: &str| {
            let raw = toml::from_str::<std::collections::HashMap<String, Vec<RawToken>>>(t)
                .unwrap()
                .remove("token")
                .unwrap();
            tokens_from_config(raw, Path::new("/"), &["a.test".parse().unwrap()])
        };
        let e =
            parse("[[token]]\nname = \"x\"\nscope = \"read\"\nhash = \"md5:00\"\n").unwrap_err();
        assert_eq!(e.0, "token[0].hash");
        let h = hash_text("s");
        let e = parse(&format!(
            "[[token]]\nname = \"x\"\nscope = \"read\"\nhash = \"{h}\"\nzones = [\"b.test\"]\n"
        ))
        .unwrap_err();
        assert_eq!(e.0, "token[0].zones");
        let e = parse(&format!(
            "[[token]]\nname = \"x\"\nscope = \"read\"\nhash = \"{h}\"\nrate = \"5/day\"\n"
        ))
        .unwrap_err();
        assert_eq!(e.0, "token[0].rate");
        let e = parse("[[token]]\nname = \"x\"\nscope = \"read\"\n").unwrap_err();
        assert_eq!(e.0, "token[0]");
    }

    #[test]
    fn config_file_keys() {
        let parse = |t: &str| crate::config::Config::parse(t, Path::new("/etc/pz/polyzone.toml"));
        let zone = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n";
        let c = parse(&format!(
            "{zone}[[token]]\nname = \"ci\"\nscope = \"write\"\nzones = [\"a.test\"]\nhash = \"{}\"\nrate = \"50/s\"\n",
            hash_text("s")
        ))
        .unwrap();
        assert_eq!(c.tokens[0].name, "ci");
        assert_eq!(c.tokens[0].rate, Some(Rate { per_second: 50.0 }));
        let e = parse(&format!(
            "{zone}[[token]]\nname = \"ci\"\nscope = \"admin\"\nhash = \"x\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("scope"), "{e}");
        let e = parse(&format!(
            "{zone}[[token]]\nname = \"ci\"\nscope = \"read\"\nhash = \"x\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("token[0].hash"), "{e}");
        let e = parse("[server]\ntls_cert = \"c.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("server.tls_cert"), "{e}");
        let c = parse("[server]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        assert_eq!(c.server.tls_key.unwrap(), Path::new("/etc/pz/k.pem"));
    }

    #[test]
    fn bucket_refills() {
        let mut b = Bucket::new("2/s".parse().unwrap());
        let t0 = Instant::now();
        assert!(b.take(t0).is_ok() && b.take(t0).is_ok());
        assert_eq!(b.take(t0), Err(1));
        assert!(b.take(t0 + Duration::from_millis(600)).is_ok());
        assert!(b.take(t0 + Duration::from_millis(600)).is_err());
    }
}
