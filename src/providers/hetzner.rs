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

use super::common::{
    add_relative_rrset, base_url, deletes_first, get_json, no_zone_on_404, numbered_pages,
    plain_lower, relative_name, required_secret, Auth, Page,
};
use super::http::Http;
use super::{BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle};
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
    auth: Auth,
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

/// The page after this one, as `meta.pagination.next_page` says.
fn next_page(meta: Option<Meta>) -> Option<u32> {
    meta.and_then(|m| m.pagination).and_then(|p| p.next_page)
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
        let token = required_secret(
            t,
            "API token",
            "needs api_key_env or api_key_file (a Hetzner Cloud API token)",
        )?;
        Ok(Hetzner {
            http,
            base: base_url(t, "https://api.hetzner.cloud/v1"),
            auth: Auth::Bearer(token),
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

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let sets = numbered_pages(|page, _| {
            let url = format!(
                "{}/zones/{}/rrsets?page={page}&per_page={PER_PAGE}",
                self.base,
                plain_lower(zone)
            );
            async move {
                let got: RRsetPage =
                    get_json(&self.http, &self.auth, "read rrsets", "rrsets", &url)
                        .await
                        .map_err(no_zone_on_404(zone))?;
                Ok(Page {
                    items: got.rrsets,
                    next: next_page(got.meta),
                })
            }
        })
        .await?;
        let mut out = ReadResult::default();
        for s in sets {
            let values: Vec<String> = s.records.into_iter().map(|r| r.value).collect();
            // A `null` TTL is the zone's default.
            let ttl = s.ttl.unwrap_or(0);
            add_relative_rrset(zone, "@", (&s.name, &s.rtype), ttl, &values, &mut out);
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
                    self.auth.request(c, reqwest::Method::GET, &url, None)
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
                self.auth
                    .request(c, reqwest::Method::POST, &url, Some(body))
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
        let zone_url = format!("{}/zones/{}/rrsets", self.base, plain_lower(zone));
        // Deletes first: a name may switch to CNAME.
        for c in deletes_first(changes) {
            let name = relative_name(zone, &c.key.name, "@");
            let rrset_url = format!("{zone_url}/{name}/{}", c.key.rtype);
            match &c.new {
                None => {
                    let r = self
                        .http
                        .send("delete rrset", |cl| {
                            self.auth
                                .request(cl, reqwest::Method::DELETE, &rrset_url, None)
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
                            self.auth
                                .request(cl, reqwest::Method::POST, &zone_url, Some(&body))
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
    forward_provider_basics!(change);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let zones = numbered_pages(|page, _| {
                let url = format!("{}/zones?page={page}&per_page={PER_PAGE}", self.base);
                async move {
                    let got: ZonePage =
                        get_json(&self.http, &self.auth, "list zones", "zones", &url).await?;
                    Ok(Page {
                        items: got.zones,
                        next: next_page(got.meta),
                    })
                }
            })
            .await?;
            let out = zones
                .into_iter()
                .filter_map(|z| z.name.parse().ok())
                .collect();
            Ok(out)
        })
    }
}
