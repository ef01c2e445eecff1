//! DigitalOcean (`/v2/domains/{domain}/records`, `Authorization: Bearer`):
//! the per-record family. Each record value is `{id, type, name, data,
//! priority, port, weight, ttl}` with `@` for the apex; targets are sent
//! absolute and come back without the trailing dot (or `@`). Reads follow
//! `links.pages.next` (100 a page). TXT `data` is one raw string: the
//! desired state joins TXT strings likewise ([`TxtStyle::Joined`]).
//!
//! An RRset change becomes deletes, in-place updates (`PUT` on an id whose
//! value goes away, so a CNAME is changed, never doubled) and creates.
//! Ids come from the last full read, kept up to date by our writes.
//! DigitalOcean accepts identical records twice, so a create is never
//! blindly retried: after a failed attempt we look the value up (`name`
//! and `type` filters) and take the id of a copy we did not know of, and
//! only create again if there is none. Deletes and updates by id are
//! idempotent and retried as usual.
//!
//! Types: A, AAAA, CNAME, MX, NS, SRV, TXT (CAA is skipped for now: its
//! value needs DigitalOcean's own trailing-dot rules).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::common::{
    absolute_name, base_url, get_json, gone_is_ok, linked_pages, no_zone_on_404, plain_lower,
    relative_name, required_secret, Auth,
};
use super::http::Http;
use super::per_record::{forget, plan, remember, Gather, Plan, RecordIds};
use super::{BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle};
use crate::rdata::RType;
use crate::sync::desired::txt_octets;
use crate::sync::rrset::RRsetKey;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

const TYPES: &[RType] = &[
    RType::A,
    RType::AAAA,
    RType::CNAME,
    RType::MX,
    RType::NS,
    RType::SRV,
    RType::TXT,
];
const PER_PAGE: usize = 100;

type Ids = RecordIds<u64>;

/// A DigitalOcean account (one personal access token).
pub struct DigitalOcean {
    http: Http,
    base: String,
    auth: Auth,
    /// Record ids by RRset, as of the last read plus our writes.
    ids: Mutex<Ids>,
    /// Attempts per create (the target's `retries`).
    retries: u32,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct Pages {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    pages: Option<Pages>,
}

#[derive(Deserialize)]
struct RecordJson {
    id: u64,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    data: String,
    #[serde(default)]
    priority: Option<u16>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    weight: Option<u16>,
    #[serde(default)]
    ttl: u32,
}

#[derive(Deserialize)]
struct RecordPage {
    #[serde(default)]
    domain_records: Vec<RecordJson>,
    #[serde(default)]
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Created {
    domain_record: RecordJson,
}

#[derive(Deserialize)]
struct DomainJson {
    name: String,
}

#[derive(Deserialize)]
struct DomainPage {
    #[serde(default)]
    domains: Vec<DomainJson>,
    #[serde(default)]
    links: Option<Links>,
}

impl DigitalOcean {
    pub fn new(t: &TargetConfig, http: Http) -> Result<DigitalOcean, ProviderError> {
        let token = required_secret(
            t,
            "API token",
            "needs api_key_env or api_key_file (a personal access token)",
        )?;
        Ok(DigitalOcean {
            http,
            base: base_url(t, "https://api.digitalocean.com/v2"),
            auth: Auth::Bearer(token),
            ids: Mutex::new(HashMap::new()),
            retries: t.retries,
            caps: Capabilities {
                ttl_min: 30,
                ttl_max: 2_147_483_647,
                types: TYPES,
                apex_ns: false,
                atomic_batch: false,
                max_batch: 100,
                signs_itself: true,
                txt: TxtStyle::Joined,
            },
        })
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let first = format!(
            "{}/domains/{}/records?page=1&per_page={PER_PAGE}",
            self.base,
            plain_lower(zone)
        );
        let records = linked_pages("records", first, |url| async move {
            let page: RecordPage =
                get_json(&self.http, &self.auth, "read records", "read records", &url)
                    .await
                    .map_err(no_zone_on_404(zone))?;
            let n = page.domain_records.len();
            let next = page
                .links
                .and_then(|l| l.pages)
                .and_then(|p| p.next)
                .filter(|_| n > 0);
            Ok((page.domain_records, next))
        })
        .await?;
        let mut out = ReadResult::default();
        let mut gather = Gather::new(zone);
        for r in records {
            let what = format!("{} {} `{}`", r.name, r.rtype, r.data);
            let Some(rtype) = RType::from_mnemonic(&r.rtype).filter(|t| TYPES.contains(t)) else {
                // SOA is DigitalOcean's; anything else is not ours to touch.
                if r.rtype != "SOA" {
                    out.unparsed.push(format!("{what}: type not handled"));
                }
                continue;
            };
            let owner = absolute_name(zone, &r.name, "@");
            let (Ok(name), Some(text)) = (owner, presentation(zone, rtype, &r)) else {
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
        let records_url = format!("{}/domains/{}/records", self.base, plain_lower(zone));
        let url = |id: u64| format!("{records_url}/{id}");
        let mut ids = self.ids.lock().await;
        let Plan {
            deletes,
            updates,
            creates,
        } = plan(&ids, changes);
        for (key, id) in deletes {
            gone_is_ok(
                self.http
                    .send("delete record", |cl| {
                        self.auth
                            .request(cl, reqwest::Method::DELETE, &url(id), None)
                    })
                    .await,
            )?;
            forget(&mut ids, &key, &id);
        }
        for (key, id, rd, ttl) in updates {
            let body = record_body(zone, &key, &rd, ttl)?;
            self.http
                .send("update record", |cl| {
                    self.auth
                        .request(cl, reqwest::Method::PUT, &url(id), Some(&body))
                })
                .await?;
            remember(&mut ids, key, id, rd);
        }
        for (key, rd, ttl) in creates {
            let body = record_body(zone, &key, &rd, ttl)?;
            let known: Vec<u64> = ids
                .get(&key)
                .map(|v| v.iter().map(|(_, i)| *i).collect())
                .unwrap_or_default();
            let id = self
                .create(zone, &records_url, &key, &rd, &body, &known)
                .await?;
            ids.entry(key).or_default().push((rd, id));
        }
        Ok(())
    }
}

impl DigitalOcean {
    /// Creates one record value and returns its id; a failed attempt is
    /// retried only once a lookup shows the value did not get through.
    async fn create(
        &self,
        zone: &Name,
        records_url: &str,
        key: &RRsetKey,
        rd: &[u8],
        body: &serde_json::Value,
        known: &[u64],
    ) -> Result<u64, ProviderError> {
        let mut attempt = 0u32;
        loop {
            let r = self
                .http
                .send_once(|cl| {
                    self.auth
                        .request(cl, reqwest::Method::POST, records_url, Some(body))
                })
                .await;
            let e = match r {
                Ok(resp) => {
                    let created: Created = serde_json::from_slice(&resp.body)
                        .map_err(|e| ProviderError::Invalid(format!("create record: {e}")))?;
                    return Ok(created.domain_record.id);
                }
                Err(e) if e.is_transient() && attempt + 1 < self.retries => e,
                Err(e) => return Err(e),
            };
            let delay = match &e {
                ProviderError::RateLimited {
                    retry_after: Some(d),
                    ..
                } => *d,
                _ => std::time::Duration::from_millis(100 << attempt.min(6)),
            };
            tracing::warn!(%key, attempt = attempt + 1, "create failed, checking before retrying: {e}");
            tokio::time::sleep(delay).await;
            if let Some(id) = self.find_new(zone, records_url, key, rd, known).await? {
                return Ok(id);
            }
            attempt += 1;
        }
    }

    /// The id of a record holding `rd` at `key` that is not in `known`.
    async fn find_new(
        &self,
        zone: &Name,
        records_url: &str,
        key: &RRsetKey,
        rd: &[u8],
        known: &[u64],
    ) -> Result<Option<u64>, ProviderError> {
        let url = format!(
            "{records_url}?type={}&name={}&per_page=200",
            key.rtype,
            plain_lower(&key.name)
        );
        let page: RecordPage =
            get_json(&self.http, &self.auth, "find record", "find record", &url).await?;
        for r in page.domain_records {
            if known.contains(&r.id) || r.rtype != key.rtype.to_string() {
                continue;
            }
            let Some(text) = presentation(zone, key.rtype, &r) else {
                continue;
            };
            if let Ok(mut got) = crate::rdata::from_str(key.rtype, &text, zone) {
                crate::rdata::canonicalize(key.rtype, &mut got);
                if got == rd {
                    return Ok(Some(r.id));
                }
            }
        }
        Ok(None)
    }
}

/// A target as read: `@` is the apex, anything else absolute without the
/// trailing dot.
fn target(zone: &Name, data: &str) -> String {
    if data == "@" {
        zone.to_string()
    } else if data.ends_with('.') {
        data.to_string()
    } else {
        format!("{data}.")
    }
}

/// One record as DigitalOcean returns it, in presentation format.
fn presentation(zone: &Name, rtype: RType, r: &RecordJson) -> Option<String> {
    Some(match rtype {
        RType::MX => format!("{} {}", r.priority?, target(zone, &r.data)),
        RType::SRV => format!(
            "{} {} {} {}",
            r.priority?,
            r.weight?,
            r.port?,
            target(zone, &r.data)
        ),
        RType::CNAME | RType::NS => target(zone, &r.data),
        RType::TXT => quote_raw(&r.data),
        _ => r.data.clone(),
    })
}

/// A raw TXT value as quoted strings of at most 255 octets.
fn quote_raw(raw: &str) -> String {
    if raw.is_empty() {
        return "\"\"".into();
    }
    raw.as_bytes()
        .chunks(255)
        .map(|c| {
            let mut s = String::from("\"");
            for &b in c {
                match b {
                    b'"' | b'\\' => {
                        s.push('\\');
                        s.push(char::from(b));
                    }
                    0x20..=0x7e => s.push(char::from(b)),
                    _ => s.push_str(&format!("\\{b:03}")),
                }
            }
            s.push('"');
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TXT rdata's strings joined into one raw value.
fn join_raw(rd: &[u8]) -> String {
    String::from_utf8_lossy(&txt_octets(rd)).into_owned()
}

/// The JSON of one record value.
fn record_body(
    zone: &Name,
    key: &RRsetKey,
    rd: &[u8],
    ttl: u32,
) -> Result<serde_json::Value, ProviderError> {
    let name = relative_name(zone, &key.name, "@");
    let rtype = key.rtype.to_string();
    if key.rtype == RType::TXT {
        return Ok(json!({"type": rtype, "name": name, "data": join_raw(rd), "ttl": ttl}));
    }
    let text =
        crate::rdata::to_text(key.rtype, rd).map_err(|e| ProviderError::Invalid(e.to_string()))?;
    let words: Vec<&str> = text.split(' ').collect();
    let num = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| ProviderError::Invalid(format!("{rtype} `{text}`")))
    };
    Ok(match (key.rtype, words.as_slice()) {
        (RType::MX, [pref, host]) => {
            json!({"type": rtype, "name": name, "data": host, "priority": num(pref)?, "ttl": ttl})
        }
        (RType::SRV, [prio, weight, port, host]) => json!({
            "type": rtype, "name": name, "data": host, "priority": num(prio)?,
            "weight": num(weight)?, "port": num(port)?, "ttl": ttl
        }),
        (RType::MX | RType::SRV, _) => {
            return Err(ProviderError::Invalid(format!("{rtype} `{text}`")))
        }
        _ => json!({"type": rtype, "name": name, "data": text, "ttl": ttl}),
    })
}

impl Provider for DigitalOcean {
    forward_provider_basics!(change);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut next = Some(format!("{}/domains?page=1&per_page={PER_PAGE}", self.base));
            let mut guard = 0;
            while let Some(url) = next.take() {
                guard += 1;
                if guard > 1000 {
                    break;
                }
                let page: DomainPage =
                    get_json(&self.http, &self.auth, "list domains", "list domains", &url).await?;
                let n = page.domains.len();
                out.extend(page.domains.into_iter().filter_map(|d| d.name.parse().ok()));
                next = page
                    .links
                    .and_then(|l| l.pages)
                    .and_then(|p| p.next)
                    .filter(|_| n > 0);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip() {
        let zone: Name = "example.test".parse().unwrap();
        for (t, text) in [
            (RType::MX, "10 mail.example.test."),
            (RType::SRV, "0 5 5060 sip.example.test."),
            (RType::CNAME, "www.example.test."),
            (RType::TXT, "\"v=spf1 -all\""),
            (RType::A, "192.0.2.1"),
        ] {
            let rd = crate::rdata::from_str(t, text, &zone).unwrap();
            let key = RRsetKey {
                name: "x.example.test".parse().unwrap(),
                rtype: t,
            };
            let body = record_body(&zone, &key, &rd, 300).unwrap();
            assert_eq!(body["name"], "x");
            // What DigitalOcean hands back: targets without the dot.
            let data = body["data"].as_str().unwrap();
            let r = RecordJson {
                id: 1,
                rtype: t.to_string(),
                name: "x".into(),
                data: data.strip_suffix('.').unwrap_or(data).into(),
                priority: body["priority"].as_u64().map(|v| v as u16),
                port: body["port"].as_u64().map(|v| v as u16),
                weight: body["weight"].as_u64().map(|v| v as u16),
                ttl: 300,
            };
            let back = presentation(&zone, t, &r).unwrap();
            let rd2 = crate::rdata::from_str(t, &back, &zone).unwrap();
            assert_eq!(rd, rd2, "{t}: {text} -> {body} -> {back}");
        }
        // A raw TXT longer than one string is split, with quotes escaped.
        let long = format!("a\"b{}", "c".repeat(300));
        let rd = crate::rdata::from_str(RType::TXT, &quote_raw(&long), &zone).unwrap();
        assert_eq!(join_raw(&rd), long);
    }
}
