//! Hetzner Cloud DNS, the DNS API of `api.hetzner.cloud/v1`
//! (`Authorization: Bearer <token>`): the RRset family. RRsets are
//! `{name, type, ttl, records:[{value, comment}]}` with `@` for the apex
//! and values in presentation format (TXT quoted); reads are paged
//! (`page`, `per_page`, `meta.pagination.next_page`). Writes are one RRset
//! at a time: `POST /zones/{z}/rrsets` creates, the actions `set_records`
//! and `change_ttl` change (two calls: Hetzner has no single replace),
//! `DELETE /zones/{z}/rrsets/{name}/{type}` removes. Actions run
//! asynchronously; we wait on `GET /actions/{id}` until they end. Every
//! write is idempotent (a create that finds the RRset there is turned into
//! a replace), so a retried request never duplicates. SOA and apex NS are
//! Hetzner's.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::http::Http;
use super::{
    parse_values, BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle,
};
use crate::rdata::RType;
use crate::sync::rrset::RRsetData;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

const TYPES: &[RType] = &[
    RType::A,
    RType::AAAA,
    RType::CNAME,
    RType::MX,
    RType::NS,
    RType::TXT,
    RType::SRV,
    RType::CAA,
    RType::PTR,
    RType::TLSA,
    RType::DS,
    RType::HTTPS,
    RType::SVCB,
];
const PER_PAGE: usize = 100;
/// How long an asynchronous action may run before we call it failed.
const ACTION_WAIT: Duration = Duration::from_secs(60);

/// A Hetzner Cloud project (one API token).
pub struct Hetzner {
    http: Http,
    base: String,
    token: String,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    next_page: Option<u32>,
}

#[derive(Deserialize)]
struct Meta {
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct RecordJson {
    value: String,
}

#[derive(Deserialize)]
struct RRsetJson {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    /// `null` = the zone's default TTL.
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    records: Vec<RecordJson>,
}

#[derive(Deserialize)]
struct RRsetPage {
    #[serde(default)]
    rrsets: Vec<RRsetJson>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct ZoneJson {
    name: String,
}

#[derive(Deserialize)]
struct ZonePage {
    #[serde(default)]
    zones: Vec<ZoneJson>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct ActionJson {
    id: u64,
    status: String,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ActionEnvelope {
    action: ActionJson,
}

impl Hetzner {
    pub fn new(t: &TargetConfig, http: Http) -> Result<Hetzner, ProviderError> {
        let token = t
            .api_key
            .read()
            .map_err(|e| ProviderError::Config(format!("target {}: API token: {e}", t.name)))?
            .ok_or_else(|| {
                ProviderError::Config(format!(
                    "target {}: needs api_key_env or api_key_file (a Hetzner Cloud API token)",
                    t.name
                ))
            })?;
        Ok(Hetzner {
            http,
            base: t
                .url
                .clone()
                .unwrap_or_else(|| "https://api.hetzner.cloud/v1".into()),
            token,
            caps: Capabilities {
                ttl_min: 60,
                ttl_max: 2_147_483_647,
                types: TYPES,
                apex_ns: false,
                atomic_batch: false,
                max_batch: 100,
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
        })
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Request, ProviderError> {
        let mut b = client.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            b = b.json(body);
        }
        b.build().map_err(|e| ProviderError::Config(e.to_string()))
    }

    fn zone_name(zone: &Name) -> String {
        let s = zone.to_lowercase().to_string();
        s.strip_suffix('.').unwrap_or(&s).to_string()
    }

    /// `@` for the apex, else the labels left of it.
    fn rrset_name(zone: &Name, name: &Name) -> String {
        if name == zone {
            return "@".into();
        }
        let full = name.to_lowercase().to_string();
        let apex = format!(".{}", zone.to_lowercase());
        full.strip_suffix(&apex).unwrap_or(&full).to_string()
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let mut sets: Vec<RRsetJson> = Vec::new();
        let mut page = 1u32;
        loop {
            let url = format!(
                "{}/zones/{}/rrsets?page={page}&per_page={PER_PAGE}",
                self.base,
                Self::zone_name(zone)
            );
            let resp = self
                .http
                .send("read rrsets", |c| {
                    self.request(c, reqwest::Method::GET, &url, None)
                })
                .await
                .map_err(|e| match e {
                    ProviderError::Http { status: 404, .. } => ProviderError::NoZone(zone.clone()),
                    e => e,
                })?;
            let got: RRsetPage = serde_json::from_slice(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("rrsets: {e}")))?;
            let n = got.rrsets.len();
            sets.extend(got.rrsets);
            match got
                .meta
                .and_then(|m| m.pagination)
                .and_then(|p| p.next_page)
            {
                Some(next) if next > page && n > 0 => page = next,
                _ => break,
            }
        }
        let mut out = ReadResult::default();
        for s in sets {
            let Some(rtype) = RType::from_mnemonic(&s.rtype) else {
                out.unparsed
                    .push(format!("{} {}: unknown type", s.name, s.rtype));
                continue;
            };
            let owner = if s.name == "@" {
                Ok(zone.clone())
            } else {
                format!("{}.{}", s.name, zone).parse::<Name>()
            };
            let values: Vec<String> = s.records.into_iter().map(|r| r.value).collect();
            match owner {
                Ok(name) => parse_values(zone, &name, rtype, s.ttl.unwrap_or(0), &values, &mut out),
                Err(e) => out.unparsed.push(format!("{}: {e}", s.name)),
            }
        }
        Ok(out)
    }

    /// Waits until an action has ended; an action that ends in `error` is
    /// a failed request.
    async fn wait_action(&self, body: &[u8]) -> Result<(), ProviderError> {
        let env: ActionEnvelope = serde_json::from_slice(body)
            .map_err(|e| ProviderError::Invalid(format!("action: {e}")))?;
        let mut action = env.action;
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            match action.status.as_str() {
                "success" => return Ok(()),
                "error" => {
                    return Err(ProviderError::Http {
                        status: 422,
                        message: format!(
                            "action {} failed: {}",
                            action.id,
                            action.error.unwrap_or_default()
                        ),
                    })
                }
                _ => {}
            }
            if started.elapsed() > ACTION_WAIT {
                return Err(ProviderError::Transport(format!(
                    "action {} still running after {}s",
                    action.id,
                    ACTION_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
            let url = format!("{}/actions/{}", self.base, action.id);
            let resp = self
                .http
                .send("get action", |c| {
                    self.request(c, reqwest::Method::GET, &url, None)
                })
                .await?;
            action = serde_json::from_slice::<ActionEnvelope>(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("action: {e}")))?
                .action;
        }
    }

    /// Runs one RRset action (`set_records`, `change_ttl`).
    async fn action(
        &self,
        rrset_url: &str,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), ProviderError> {
        let url = format!("{rrset_url}/actions/{name}");
        let resp = self
            .http
            .send(name, |c| {
                self.request(c, reqwest::Method::POST, &url, Some(body))
            })
            .await?;
        self.wait_action(&resp.body).await
    }

    /// Replaces an existing RRset's values and TTL.
    async fn replace(
        &self,
        rrset_url: &str,
        old: Option<&RRsetData>,
        new: &RRsetData,
        records: &serde_json::Value,
    ) -> Result<(), ProviderError> {
        if old.is_none_or(|o| o.rdatas != new.rdatas) {
            self.action(rrset_url, "set_records", &json!({ "records": records }))
                .await?;
        }
        if old.is_none_or(|o| o.ttl != new.ttl) {
            self.action(rrset_url, "change_ttl", &json!({ "ttl": new.ttl }))
                .await?;
        }
        Ok(())
    }

    async fn change(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let zone_url = format!("{}/zones/{}/rrsets", self.base, Self::zone_name(zone));
        // Deletes first: a name may switch to CNAME.
        let ordered = changes
            .iter()
            .filter(|c| c.is_delete())
            .chain(changes.iter().filter(|c| !c.is_delete()));
        for c in ordered {
            let name = Self::rrset_name(zone, &c.key.name);
            let rrset_url = format!("{zone_url}/{name}/{}", c.key.rtype);
            match &c.new {
                None => {
                    let r = self
                        .http
                        .send("delete rrset", |cl| {
                            self.request(cl, reqwest::Method::DELETE, &rrset_url, None)
                        })
                        .await;
                    match r {
                        Ok(resp) if !resp.body.is_empty() => {
                            // Deletion may answer with an action to wait on.
                            if serde_json::from_slice::<ActionEnvelope>(&resp.body).is_ok() {
                                self.wait_action(&resp.body).await?;
                            }
                        }
                        // Already gone (a retry after a lost answer).
                        Ok(_) | Err(ProviderError::Http { status: 404, .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Some(d) => {
                    let records: serde_json::Value = d
                        .texts(c.key.rtype)
                        .into_iter()
                        .map(|v| json!({ "value": v }))
                        .collect();
                    if c.old.is_some() {
                        self.replace(&rrset_url, c.old.as_ref(), d, &records)
                            .await?;
                        continue;
                    }
                    let body = json!({"name": name, "type": c.key.rtype.to_string(), "ttl": d.ttl, "records": records});
                    let r = self
                        .http
                        .send("create rrset", |cl| {
                            self.request(cl, reqwest::Method::POST, &zone_url, Some(&body))
                        })
                        .await;
                    match r {
                        Ok(_) => {}
                        // There already (a retried create whose first
                        // attempt went through, or a stale read): replace.
                        Err(ProviderError::Http { status: 409, .. }) => {
                            self.replace(&rrset_url, None, d, &records).await?
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }
}

impl Provider for Hetzner {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut page = 1u32;
            loop {
                let url = format!("{}/zones?page={page}&per_page={PER_PAGE}", self.base);
                let resp = self
                    .http
                    .send("list zones", |c| {
                        self.request(c, reqwest::Method::GET, &url, None)
                    })
                    .await?;
                let got: ZonePage = serde_json::from_slice(&resp.body)
                    .map_err(|e| ProviderError::Invalid(format!("zones: {e}")))?;
                let n = got.zones.len();
                out.extend(got.zones.into_iter().filter_map(|z| z.name.parse().ok()));
                match got
                    .meta
                    .and_then(|m| m.pagination)
                    .and_then(|p| p.next_page)
                {
                    Some(next) if next > page && n > 0 => page = next,
                    _ => break,
                }
            }
            Ok(out)
        })
    }

    fn read<'a>(&'a self, zone: &'a Name) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(self.read_zone(zone))
    }

    fn apply<'a>(
        &'a self,
        zone: &'a Name,
        changes: &'a [Change],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(self.change(zone, changes))
    }
}
