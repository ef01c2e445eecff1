//! Gandi LiveDNS (`/v5/livedns`, `Authorization: Bearer <PAT>`): RRsets
//! `{rrset_name, rrset_type, rrset_ttl, rrset_values}` with `@` for the
//! apex, read page by page (`page`, `per_page`, the `total-count` header),
//! written one RRset per request (`PUT` replaces it, `DELETE` removes it;
//! both idempotent, so a retried request cannot duplicate anything).
//! Values are presentation format; Gandi may return targets relative to
//! the zone, which parsing against the zone origin makes absolute. TTLs
//! are 300..2592000. The apex NS is Gandi's.

use serde::Deserialize;
use serde_json::json;

use super::http::Http;
use super::{
    parse_values, BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle,
};
use crate::rdata::RType;
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
    RType::NAPTR,
    RType::SSHFP,
    RType::TLSA,
    RType::DS,
    RType::SPF,
    RType::LOC,
    RType::DNAME,
    RType::HINFO,
];
const PER_PAGE: usize = 100;

/// A Gandi account (personal access token).
pub struct Gandi {
    http: Http,
    base: String,
    token: String,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct RRsetJson {
    rrset_name: String,
    rrset_type: String,
    #[serde(default)]
    rrset_ttl: u32,
    #[serde(default)]
    rrset_values: Vec<String>,
}

#[derive(Deserialize)]
struct DomainJson {
    fqdn: String,
}

impl Gandi {
    pub fn new(t: &TargetConfig, http: Http) -> Result<Gandi, ProviderError> {
        let token = t
            .api_key
            .read()
            .map_err(|e| ProviderError::Config(format!("target {}: token: {e}", t.name)))?
            .ok_or_else(|| {
                ProviderError::Config(format!(
                    "target {}: needs api_key_env or api_key_file (a personal access token)",
                    t.name
                ))
            })?;
        Ok(Gandi {
            http,
            base: t
                .url
                .clone()
                .unwrap_or_else(|| "https://api.gandi.net/v5/livedns".into()),
            token,
            caps: Capabilities {
                ttl_min: 300,
                ttl_max: 2_592_000,
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

    fn fqdn(zone: &Name) -> String {
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
        let mut page = 1;
        loop {
            let url = format!(
                "{}/domains/{}/records?page={page}&per_page={PER_PAGE}",
                self.base,
                Self::fqdn(zone)
            );
            let resp = self
                .http
                .send("read records", |c| {
                    self.request(c, reqwest::Method::GET, &url, None)
                })
                .await
                .map_err(|e| match e {
                    ProviderError::Http { status: 404, .. } => ProviderError::NoZone(zone.clone()),
                    e => e,
                })?;
            let got: Vec<RRsetJson> = serde_json::from_slice(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("records: {e}")))?;
            let n = got.len();
            sets.extend(got);
            let total: Option<usize> = resp
                .headers
                .get("total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let done = match total {
                Some(t) => sets.len() >= t,
                None => n < PER_PAGE,
            };
            if done || n == 0 {
                break;
            }
            page += 1;
        }
        let mut out = ReadResult::default();
        for s in sets {
            let Some(rtype) = RType::from_mnemonic(&s.rrset_type) else {
                out.unparsed
                    .push(format!("{} {}: unknown type", s.rrset_name, s.rrset_type));
                continue;
            };
            let owner = if s.rrset_name == "@" {
                Ok(zone.clone())
            } else {
                format!("{}.{}", s.rrset_name, zone).parse::<Name>()
            };
            match owner {
                Ok(name) => {
                    parse_values(zone, &name, rtype, s.rrset_ttl, &s.rrset_values, &mut out)
                }
                Err(e) => out.unparsed.push(format!("{}: {e}", s.rrset_name)),
            }
        }
        Ok(out)
    }

    async fn change(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        // Deletes first: a name may switch to CNAME.
        let ordered = changes
            .iter()
            .filter(|c| c.is_delete())
            .chain(changes.iter().filter(|c| !c.is_delete()));
        for c in ordered {
            let url = format!(
                "{}/domains/{}/records/{}/{}",
                self.base,
                Self::fqdn(zone),
                Self::rrset_name(zone, &c.key.name),
                c.key.rtype
            );
            match &c.new {
                None => {
                    let r = self
                        .http
                        .send("delete rrset", |cl| {
                            self.request(cl, reqwest::Method::DELETE, &url, None)
                        })
                        .await;
                    match r {
                        // Already gone (a retry after a lost answer).
                        Ok(_) | Err(ProviderError::Http { status: 404, .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Some(d) => {
                    let body = json!({"rrset_ttl": d.ttl, "rrset_values": d.texts(c.key.rtype)});
                    self.http
                        .send("put rrset", |cl| {
                            self.request(cl, reqwest::Method::PUT, &url, Some(&body))
                        })
                        .await?;
                }
            }
        }
        Ok(())
    }
}

impl Provider for Gandi {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/domains?per_page=500", self.base);
            let resp = self
                .http
                .send("list domains", |c| {
                    self.request(c, reqwest::Method::GET, &url, None)
                })
                .await?;
            let list: Vec<DomainJson> = serde_json::from_slice(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("domains: {e}")))?;
            Ok(list
                .into_iter()
                .filter_map(|d| d.fqdn.parse().ok())
                .collect())
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
