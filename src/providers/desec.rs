//! deSEC (`/api/v1`, `Authorization: Token`): the RRset family, like
//! PowerDNS but with its own surface. RRsets are `{subname, type, ttl,
//! records}` (records in presentation format); reads are cursor-paginated
//! (`Link: <…>; rel="next"`, 500 RRsets a page); writes are one atomic
//! bulk `PATCH /domains/{d}/rrsets/` per batch, an empty `records` list
//! deleting the RRset. deSEC signs every zone itself and owns the apex NS;
//! TTLs below the domain's `minimum_ttl` (3600 unless deSEC lowered it for
//! the account: set the target's `ttl_min`) are raised.

use serde::Deserialize;
use serde_json::json;

use super::common::{
    add_relative_rrset, base_url, linked_pages, no_zone_on_404, plain_lower, relative_name,
    required_secret, with_common, Auth,
};
use super::http::Http;
use super::{
    BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle, COMMON_TYPES,
};
use crate::rdata::RType;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// What deSEC takes beyond [`COMMON_TYPES`].
const EXTRA_TYPES: &[RType] = &[
    RType::LOC,
    RType::URI,
    RType::DNAME,
    RType::HTTPS,
    RType::SVCB,
    RType::OPENPGPKEY,
    RType::SMIMEA,
    RType::CERT,
];
const TYPES: &[RType] = &with_common::<{ COMMON_TYPES.len() + EXTRA_TYPES.len() }>(EXTRA_TYPES);

/// A deSEC account.
pub struct Desec {
    http: Http,
    base: String,
    auth: Auth,
    caps: Capabilities,
}

#[derive(Deserialize)]
struct RRsetJson {
    subname: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    #[serde(default)]
    records: Vec<String>,
}

#[derive(Deserialize)]
struct DomainJson {
    name: String,
}

impl Desec {
    pub fn new(t: &TargetConfig, http: Http) -> Result<Desec, ProviderError> {
        let token = required_secret(
            t,
            "token",
            "needs api_key_env or api_key_file (a deSEC token)",
        )?;
        Ok(Desec {
            http,
            base: base_url(t, "https://desec.io/api/v1"),
            auth: Auth::Token(token),
            caps: Capabilities {
                ttl_min: t.ttl_min.unwrap_or(3600),
                ttl_max: 86_400,
                types: TYPES,
                apex_ns: false,
                atomic_batch: true,
                max_batch: 1000,
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
        })
    }

    /// Every page of a cursor-paginated list, starting at `first`.
    async fn pages(
        &self,
        what: &str,
        first: String,
    ) -> Result<Vec<serde_json::Value>, ProviderError> {
        linked_pages(what, first, |url| async move {
            let resp = self
                .http
                .send(what, |c| {
                    self.auth.request(c, reqwest::Method::GET, &url, None)
                })
                .await?;
            let page: Vec<serde_json::Value> = serde_json::from_slice(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("{what}: {e}")))?;
            let next = resp
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| link(v, "next"));
            Ok((page, next))
        })
        .await
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        // An empty cursor asks for the first page: deSEC refuses an
        // un-cursored list of more than 500 RRsets.
        let url = format!(
            "{}/domains/{}/rrsets/?cursor=",
            self.base,
            plain_lower(zone)
        );
        let sets = self
            .pages("read rrsets", url)
            .await
            .map_err(no_zone_on_404(zone))?;
        let mut out = ReadResult::default();
        for v in sets {
            let set: RRsetJson = serde_json::from_value(v)
                .map_err(|e| ProviderError::Invalid(format!("rrset: {e}")))?;
            // deSEC's apex is the empty subname.
            add_relative_rrset(
                zone,
                "",
                (&set.subname, &set.rtype),
                set.ttl,
                &set.records,
                &mut out,
            );
        }
        Ok(out)
    }

    async fn patch(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let mut body = Vec::with_capacity(changes.len());
        for c in changes {
            // Labels left of the apex, no trailing dot; "" at the apex.
            let subname = relative_name(zone, &c.key.name, "");
            let (ttl, records) = match &c.new {
                Some(d) => (d.ttl, d.texts(c.key.rtype)),
                // deSEC wants a valid TTL even on delete.
                None => (self.caps.ttl_min.max(3600), vec![]),
            };
            body.push(json!({"subname": subname, "type": c.key.rtype.to_string(), "ttl": ttl, "records": records}));
        }
        let body = serde_json::Value::Array(body);
        let url = format!("{}/domains/{}/rrsets/", self.base, plain_lower(zone));
        self.http
            .send("patch rrsets", |c| {
                self.auth
                    .request(c, reqwest::Method::PATCH, &url, Some(&body))
            })
            .await?;
        Ok(())
    }
}

/// The URL of relation `rel` in a `Link` header (RFC 8288).
fn link(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let wanted = params.split(';').any(|p| {
            p.trim().trim_start_matches("rel=").trim_matches('"') == rel
                && p.trim().starts_with("rel=")
        });
        wanted.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

impl Provider for Desec {
    forward_provider_basics!(patch);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            let list = self
                .pages("list domains", format!("{}/domains/?cursor=", self.base))
                .await?;
            Ok(list
                .into_iter()
                .filter_map(|v| serde_json::from_value::<DomainJson>(v).ok())
                .filter_map(|d| d.name.parse().ok())
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let h = r#"<https://desec.io/api/v1/domains/x/rrsets/?cursor=>; rel="first", <https://desec.io/api/v1/domains/x/rrsets/?cursor=abc>; rel="next""#;
        assert_eq!(
            link(h, "next").as_deref(),
            Some("https://desec.io/api/v1/domains/x/rrsets/?cursor=abc")
        );
        assert_eq!(
            link(h, "first").as_deref(),
            Some("https://desec.io/api/v1/domains/x/rrsets/?cursor=")
        );
        assert_eq!(link(h, "prev"), None);
    }
}
