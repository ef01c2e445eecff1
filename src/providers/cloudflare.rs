//! Cloudflare (`/client/v4`, `Authorization: Bearer`): the per-record
//! family. Each record value has a server-assigned id; an RRset change
//! becomes deletes, in-place updates (PUT on an id whose value goes away,
//! so a single-value CNAME is changed, never duplicated) and creates.
//!
//! Ids come from the last full read and are kept up to date by our own
//! writes. Writes are not atomic: when one fails the engine re-reads the
//! zone (fresh ids, the true state) and plans again, so a retried request
//! never leaves a duplicate. Cloudflare itself refuses an identical second
//! record, which backs that up.
//!
//! Types: those with a plain `content` (A, AAAA, CNAME, NS, PTR, TXT) and
//! MX (`priority` apart); the ones Cloudflare models as a `data` object
//! (SRV, CAA, TLSA, ...) are skipped with a warning for now. Proxied
//! records serve Cloudflare's addresses, not ours: they are left alone.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::common::{base_url, numbered_pages, required_secret, Auth, Page};
use super::http::Http;
use super::per_record::{forget, plan, remember, Gather, Plan, RecordIds};
use super::{BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle};
use crate::rdata::RType;
use crate::sync::rrset::RRsetKey;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

const TYPES: &[RType] = &[
    RType::A,
    RType::AAAA,
    RType::CNAME,
    RType::NS,
    RType::PTR,
    RType::TXT,
    RType::MX,
];
const PER_PAGE: usize = 100;

type Ids = RecordIds<String>;

/// A Cloudflare account (one API token).
pub struct Cloudflare {
    http: Http,
    base: String,
    auth: Auth,
    zone_ids: Mutex<HashMap<Name, String>>,
    /// Record ids by RRset, as of the last read plus our writes.
    ids: Mutex<Ids>,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct Envelope<T> {
    result: Option<T>,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ResultInfo {
    #[serde(default)]
    total_pages: Option<u32>,
    #[serde(default)]
    count: Option<usize>,
}

#[derive(Deserialize)]
struct ZoneJson {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct RecordJson {
    id: String,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    ttl: u32,
    #[serde(default)]
    priority: Option<u16>,
    #[serde(default)]
    proxied: bool,
}

impl Cloudflare {
    pub fn new(t: &TargetConfig, http: Http) -> Result<Cloudflare, ProviderError> {
        let token = required_secret(
            t,
            "API token",
            "needs api_key_env or api_key_file (an API token)",
        )?;
        Ok(Cloudflare {
            http,
            base: base_url(t, "https://api.cloudflare.com/client/v4"),
            auth: Auth::Bearer(token),
            zone_ids: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
            caps: Capabilities {
                ttl_min: 60,
                ttl_max: 86_400,
                types: TYPES,
                apex_ns: false,
                atomic_batch: false,
                max_batch: 100,
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
        })
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        what: &str,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Envelope<T>, ProviderError> {
        let resp = self
            .http
            .send(what, |c| self.auth.request(c, method.clone(), url, body))
            .await?;
        serde_json::from_slice(&resp.body)
            .map_err(|e| ProviderError::Invalid(format!("{what}: {e}")))
    }

    async fn zone_id(&self, zone: &Name) -> Result<String, ProviderError> {
        if let Some(id) = self.zone_ids.lock().await.get(zone) {
            return Ok(id.clone());
        }
        let url = format!("{}/zones?name={}", self.base, plain(zone));
        let env: Envelope<Vec<ZoneJson>> = self
            .call("find zone", reqwest::Method::GET, &url, None)
            .await?;
        let id = env
            .result
            .unwrap_or_default()
            .into_iter()
            .find(|z| z.name.parse::<Name>().is_ok_and(|n| &n == zone))
            .map(|z| z.id)
            .ok_or_else(|| ProviderError::NoZone(zone.clone()))?;
        self.zone_ids.lock().await.insert(zone.clone(), id.clone());
        Ok(id)
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let zid = self.zone_id(zone).await?;
        let records = numbered_pages(|page, _| {
            let url = format!(
                "{}/zones/{zid}/dns_records?page={page}&per_page={PER_PAGE}",
                self.base
            );
            async move {
                let env: Envelope<Vec<RecordJson>> = self
                    .call("read records", reqwest::Method::GET, &url, None)
                    .await?;
                let items = env.result.unwrap_or_default();
                let info = env.result_info;
                let last = match info.as_ref().and_then(|i| i.total_pages) {
                    Some(total) => page >= total,
                    None => info.and_then(|i| i.count).unwrap_or(items.len()) < PER_PAGE,
                };
                Ok(Page {
                    items,
                    next: (!last).then_some(page + 1),
                })
            }
        })
        .await?;
        let mut out = ReadResult::default();
        let mut gather = Gather::new(zone);
        for r in records {
            let what = format!("{} {} `{}`", r.name, r.rtype, r.content);
            if r.proxied {
                out.unparsed
                    .push(format!("{what}: proxied (served by Cloudflare)"));
                continue;
            }
            let Some(rtype) =
                RType::from_mnemonic(&r.rtype).filter(|t| TYPES.contains(t) || *t == RType::SOA)
            else {
                out.unparsed.push(format!("{what}: type not handled"));
                continue;
            };
            let (Ok(name), Some(text)) = (
                r.name.parse::<Name>(),
                presentation(rtype, &r.content, r.priority),
            ) else {
                out.unparsed.push(format!("{what}: cannot read"));
                continue;
            };
            gather.add(
                RRsetKey { name, rtype },
                &text,
                r.ttl,
                r.id,
                &what,
                &mut out,
            );
        }
        *self.ids.lock().await = gather.finish(&mut out);
        Ok(out)
    }

    async fn change(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let zid = self.zone_id(zone).await?;
        let url = |id: &str| format!("{}/zones/{zid}/dns_records/{id}", self.base);
        let mut ids = self.ids.lock().await;
        let Plan {
            deletes,
            updates,
            creates,
        } = plan(&ids, changes);
        for (key, id) in deletes {
            self.call::<serde_json::Value>(
                "delete record",
                reqwest::Method::DELETE,
                &url(&id),
                None,
            )
            .await?;
            forget(&mut ids, &key, &id);
        }
        for (key, id, rd, ttl) in updates {
            let body = record_body(&key, &rd, ttl)?;
            self.call::<serde_json::Value>(
                "update record",
                reqwest::Method::PUT,
                &url(&id),
                Some(&body),
            )
            .await?;
            remember(&mut ids, key, id, rd);
        }
        for (key, rd, ttl) in creates {
            let body = record_body(&key, &rd, ttl)?;
            let create_url = format!("{}/zones/{zid}/dns_records", self.base);
            let created = self
                .call::<RecordJson>(
                    "create record",
                    reqwest::Method::POST,
                    &create_url,
                    Some(&body),
                )
                .await;
            let id = match created {
                Ok(env) => env
                    .result
                    .map(|r| r.id)
                    .ok_or_else(|| ProviderError::Invalid("create answer without id".into()))?,
                // A retried create whose first attempt went through (the
                // answer was lost): the record is there; find its id.
                Err(ProviderError::Http {
                    status: 400,
                    message,
                }) if message.contains("81058") => self.find_id(&zid, zone, &key, &rd).await?,
                Err(e) => return Err(e),
            };
            ids.entry(key).or_default().push((rd, id));
        }
        Ok(())
    }
}

impl Cloudflare {
    /// The id of one existing record value (`name` and `type` filters).
    async fn find_id(
        &self,
        zid: &str,
        zone: &Name,
        key: &RRsetKey,
        rd: &[u8],
    ) -> Result<String, ProviderError> {
        let url = format!(
            "{}/zones/{zid}/dns_records?type={}&name={}&per_page={PER_PAGE}",
            self.base,
            key.rtype,
            plain(&key.name)
        );
        let env: Envelope<Vec<RecordJson>> = self
            .call("find record", reqwest::Method::GET, &url, None)
            .await?;
        for r in env.result.unwrap_or_default() {
            let Some(text) = presentation(key.rtype, &r.content, r.priority) else {
                continue;
            };
            if let Ok(mut got) = crate::rdata::from_str(key.rtype, &text, zone) {
                crate::rdata::canonicalize(key.rtype, &mut got);
                if got == rd {
                    return Ok(r.id);
                }
            }
        }
        Err(ProviderError::Invalid(format!(
            "{key}: said to exist but not found"
        )))
    }
}

/// A name as Cloudflare writes it: no trailing dot.
fn plain(name: &Name) -> String {
    let s = name.to_string();
    s.strip_suffix('.').unwrap_or(&s).to_string()
}

/// Cloudflare's content (+ priority) to presentation format.
fn presentation(rtype: RType, content: &str, priority: Option<u16>) -> Option<String> {
    let absolute = |s: &str| {
        if s.ends_with('.') {
            s.to_string()
        } else {
            format!("{s}.")
        }
    };
    Some(match rtype {
        RType::MX => format!("{} {}", priority?, absolute(content)),
        RType::CNAME | RType::NS | RType::PTR => absolute(content),
        RType::TXT if content.starts_with('"') => content.to_string(),
        RType::TXT => {
            // A raw value: quote it, 255 octets per string.
            let escaped: Vec<u8> = content.bytes().collect();
            escaped
                .chunks(255)
                .map(|c| {
                    let s = String::from_utf8_lossy(c);
                    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => content.to_string(),
    })
}

/// The JSON of one record value.
fn record_body(key: &RRsetKey, rd: &[u8], ttl: u32) -> Result<serde_json::Value, ProviderError> {
    let text =
        crate::rdata::to_text(key.rtype, rd).map_err(|e| ProviderError::Invalid(e.to_string()))?;
    let strip = |s: &str| s.strip_suffix('.').unwrap_or(s).to_string();
    let name = plain(&key.name);
    Ok(match key.rtype {
        RType::MX => {
            let (pref, host) = text
                .split_once(' ')
                .ok_or_else(|| ProviderError::Invalid(format!("MX `{text}`")))?;
            let pref: u16 = pref
                .parse()
                .map_err(|_| ProviderError::Invalid(format!("MX `{text}`")))?;
            json!({"type": "MX", "name": name, "content": strip(host), "priority": pref, "ttl": ttl, "proxied": false})
        }
        RType::CNAME | RType::NS | RType::PTR => {
            json!({"type": key.rtype.to_string(), "name": name, "content": strip(&text), "ttl": ttl, "proxied": false})
        }
        _ => {
            json!({"type": key.rtype.to_string(), "name": name, "content": text, "ttl": ttl, "proxied": false})
        }
    })
}

impl Provider for Cloudflare {
    forward_provider_basics!(change);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/zones?per_page=50", self.base);
            let env: Envelope<Vec<ZoneJson>> = self
                .call("list zones", reqwest::Method::GET, &url, None)
                .await?;
            Ok(env
                .result
                .unwrap_or_default()
                .into_iter()
                .filter_map(|z| z.name.parse().ok())
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_round_trip() {
        let zone: Name = "example.test".parse().unwrap();
        for (t, content, prio) in [
            (RType::MX, "mail.example.test", Some(10)),
            (RType::CNAME, "www.example.test", None),
            (RType::TXT, "\"v=spf1 -all\"", None),
            (RType::A, "192.0.2.1", None),
        ] {
            let text = presentation(t, content, prio).unwrap();
            let rd = crate::rdata::from_str(t, &text, &zone).unwrap();
            let key = RRsetKey {
                name: "x.example.test".parse().unwrap(),
                rtype: t,
            };
            let body = record_body(&key, &rd, 300).unwrap();
            assert_eq!(body["content"], content, "{t}");
            assert_eq!(body["name"], "x.example.test");
            if let Some(p) = prio {
                assert_eq!(body["priority"], p);
            }
        }
        // A raw TXT longer than one string is split, not refused.
        let long = "a".repeat(300);
        let text = presentation(RType::TXT, &long, None).unwrap();
        assert!(crate::rdata::from_str(RType::TXT, &text, &zone).is_ok());
    }
}
