//! PowerDNS Authoritative HTTP API (`/api/v1/servers/{id}`, `X-API-Key`).
//!
//! Reads a zone with one `GET /zones/{zone}` (all RRsets, no paging);
//! writes with `PATCH /zones/{zone}`, one atomic request per batch, DELETEs
//! before REPLACEs so a type swap at a name (A → CNAME) is valid inside the
//! batch. Record content is presentation format, TXT quoted.

use serde::Deserialize;
use serde_json::json;

use super::common::{deletes_first, get_json, no_zone_on_404, required_secret, with_common, Auth};
use super::http::Http;
use super::{
    parse_values, BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle,
    COMMON_TYPES,
};
use crate::rdata::RType;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// What PowerDNS takes beyond [`COMMON_TYPES`].
const EXTRA_TYPES: &[RType] = &[
    RType::LOC,
    RType::URI,
    RType::DNAME,
    RType::HINFO,
    RType::RP,
    RType::AFSDB,
    RType::CERT,
    RType::OPENPGPKEY,
    RType::SMIMEA,
    RType::SVCB,
    RType::HTTPS,
    RType::KX,
    RType::CDS,
    RType::CDNSKEY,
];
const TYPES: &[RType] = &with_common::<{ COMMON_TYPES.len() + EXTRA_TYPES.len() }>(EXTRA_TYPES);

/// A PowerDNS server.
pub struct PowerDns {
    http: Http,
    base: String,
    auth: Auth,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct ZoneJson {
    #[serde(default)]
    rrsets: Vec<RRsetJson>,
}

#[derive(Deserialize)]
struct ZoneListEntry {
    name: String,
}

#[derive(Deserialize)]
struct RRsetJson {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    #[serde(default)]
    records: Vec<RecordJson>,
}

#[derive(Deserialize)]
struct RecordJson {
    content: String,
    #[serde(default)]
    disabled: bool,
}

impl PowerDns {
    pub fn new(t: &TargetConfig, http: Http) -> Result<PowerDns, ProviderError> {
        let api_key = required_secret(t, "api key", "needs api_key_env or api_key_file")?;
        let url = t.url.clone().unwrap_or_default();
        Ok(PowerDns {
            http,
            base: format!("{url}/api/v1/servers/{}", t.server_id),
            auth: Auth::ApiKey(api_key),
            caps: Capabilities {
                ttl_min: 0,
                ttl_max: i32::MAX as u32,
                types: TYPES,
                apex_ns: true,
                atomic_batch: true,
                max_batch: 1000,
                // pdns signs online (or serves unsigned); presigned zones
                // would need PRESIGNED metadata, which we do not set.
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
        })
    }

    /// Zone ids are names with the trailing dot; `/` is escaped as `=2F`.
    fn zone_url(&self, zone: &Name) -> String {
        let id = zone.to_lowercase().to_string().replace('/', "=2F");
        format!("{}/zones/{}", self.base, id)
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let url = self.zone_url(zone);
        let resp = self
            .http
            .send("read zone", |c| {
                self.auth.request(c, reqwest::Method::GET, &url, None)
            })
            .await
            .map_err(|e| not_found(e, zone))?;
        let z: ZoneJson = serde_json::from_slice(&resp.body)
            .map_err(|e| ProviderError::Invalid(format!("zone JSON: {e}")))?;
        let mut out = ReadResult::default();
        for set in z.rrsets {
            let Some(rtype) = RType::from_mnemonic(&set.rtype) else {
                out.unparsed
                    .push(format!("{} {}: unknown type", set.name, set.rtype));
                continue;
            };
            let name: Name = match set.name.parse() {
                Ok(n) => n,
                Err(e) => {
                    out.unparsed.push(format!("{}: {e}", set.name));
                    continue;
                }
            };
            let values: Vec<String> = set
                .records
                .into_iter()
                .filter(|r| !r.disabled)
                .map(|r| r.content)
                .collect();
            parse_values(zone, &name, rtype, set.ttl, &values, &mut out);
        }
        Ok(out)
    }

    async fn patch(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let mut rrsets = Vec::with_capacity(changes.len());
        // DELETEs first: a name may change type within one batch.
        for c in deletes_first(changes) {
            let name = c.key.name.to_lowercase().to_string();
            let rtype = c.key.rtype.to_string();
            match &c.new {
                None => rrsets.push(json!({"name": name, "type": rtype, "changetype": "DELETE"})),
                Some(data) => {
                    let records: Vec<_> = data
                        .texts(c.key.rtype)
                        .into_iter()
                        .map(|content| json!({"content": content, "disabled": false}))
                        .collect();
                    rrsets.push(json!({"name": name, "type": rtype, "ttl": data.ttl,
                                       "changetype": "REPLACE", "records": records}));
                }
            }
        }
        let body = json!({ "rrsets": rrsets });
        let url = self.zone_url(zone);
        self.http
            .send("patch zone", |c| {
                self.auth
                    .request(c, reqwest::Method::PATCH, &url, Some(&body))
            })
            .await
            .map_err(|e| not_found(e, zone))?;
        Ok(())
    }
}

/// pdns answers 404 (≥4.2) or 422 "Could not find domain" for a zone it lacks.
fn not_found(e: ProviderError, zone: &Name) -> ProviderError {
    match &e {
        ProviderError::Http {
            status: 422,
            message,
        } if message.contains("Could not find domain") => ProviderError::NoZone(zone.clone()),
        _ => no_zone_on_404(zone)(e),
    }
}

impl Provider for PowerDns {
    forward_provider_basics!(patch);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/zones", self.base);
            let list: Vec<ZoneListEntry> =
                get_json(&self.http, &self.auth, "list zones", "zone list JSON", &url).await?;
            Ok(list
                .into_iter()
                .filter_map(|z| z.name.parse().ok())
                .collect())
        })
    }

    fn create_zone<'a>(
        &'a self,
        zone: &'a Name,
        nameservers: &'a [Name],
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(async move {
            let ns: Vec<String> = nameservers
                .iter()
                .map(|n| n.to_lowercase().to_string())
                .collect();
            let body = json!({"name": zone.to_lowercase().to_string(), "kind": "Native", "nameservers": ns});
            let url = format!("{}/zones", self.base);
            self.http
                .send("create zone", |c| {
                    self.auth
                        .request(c, reqwest::Method::POST, &url, Some(&body))
                })
                .await?;
            Ok(true)
        })
    }
}
