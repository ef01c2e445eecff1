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

use super::common::{
    add_relative_rrset, base_url, deletes_first, get_json, gone_is_ok, no_zone_on_404,
    numbered_pages, plain_lower, relative_name, required_secret, with_common, Auth, Page,
};
use super::http::Http;
use super::{
    BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle, COMMON_TYPES,
};
use crate::rdata::RType;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// What Gandi takes beyond [`COMMON_TYPES`].
const EXTRA_TYPES: &[RType] = &[RType::LOC, RType::DNAME, RType::HINFO];
const TYPES: &[RType] = &with_common::<{ COMMON_TYPES.len() + EXTRA_TYPES.len() }>(EXTRA_TYPES);
const PER_PAGE: usize = 100;

/// A Gandi account (personal access token).
pub struct Gandi {
    http: Http,
    base: String,
    auth: Auth,
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
        let token = required_secret(
            t,
            "token",
            "needs api_key_env or api_key_file (a personal access token)",
        )?;
        Ok(Gandi {
            http,
            base: base_url(t, "https://api.gandi.net/v5/livedns"),
            auth: Auth::Bearer(token),
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

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let sets = numbered_pages(|page, so_far| {
            let url = format!(
                "{}/domains/{}/records?page={page}&per_page={PER_PAGE}",
                self.base,
                plain_lower(zone)
            );
            async move {
                let resp = self
                    .http
                    .send("read records", |c| {
                        self.auth.request(c, reqwest::Method::GET, &url, None)
                    })
                    .await
                    .map_err(no_zone_on_404(zone))?;
                let items: Vec<RRsetJson> = serde_json::from_slice(&resp.body)
                    .map_err(|e| ProviderError::Invalid(format!("records: {e}")))?;
                // Gandi says how many there are in all; without that, a
                // short page is the last.
                let total: Option<usize> = resp
                    .headers
                    .get("total-count")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let done = match total {
                    Some(t) => so_far + items.len() >= t,
                    None => items.len() < PER_PAGE,
                };
                Ok(Page {
                    items,
                    next: (!done).then_some(page + 1),
                })
            }
        })
        .await?;
        let mut out = ReadResult::default();
        for s in sets {
            add_relative_rrset(
                zone,
                "@",
                (&s.rrset_name, &s.rrset_type),
                s.rrset_ttl,
                &s.rrset_values,
                &mut out,
            );
        }
        Ok(out)
    }

    async fn change(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        // Deletes first: a name may switch to CNAME.
        for c in deletes_first(changes) {
            let url = format!(
                "{}/domains/{}/records/{}/{}",
                self.base,
                plain_lower(zone),
                relative_name(zone, &c.key.name, "@"),
                c.key.rtype
            );
            match &c.new {
                None => {
                    gone_is_ok(
                        self.http
                            .send("delete rrset", |cl| {
                                self.auth.request(cl, reqwest::Method::DELETE, &url, None)
                            })
                            .await,
                    )?;
                }
                Some(d) => {
                    let body = json!({"rrset_ttl": d.ttl, "rrset_values": d.texts(c.key.rtype)});
                    self.http
                        .send("put rrset", |cl| {
                            self.auth
                                .request(cl, reqwest::Method::PUT, &url, Some(&body))
                        })
                        .await?;
                }
            }
        }
        Ok(())
    }
}

impl Provider for Gandi {
    forward_provider_basics!(change);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/domains?per_page=500", self.base);
            let list: Vec<DomainJson> =
                get_json(&self.http, &self.auth, "list domains", "domains", &url).await?;
            Ok(list
                .into_iter()
                .filter_map(|d| d.fqdn.parse().ok())
                .collect())
        })
    }
}
