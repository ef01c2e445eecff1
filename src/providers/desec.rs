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
    RType::URI,
    RType::DNAME,
    RType::HTTPS,
    RType::SVCB,
    RType::OPENPGPKEY,
    RType::SMIMEA,
    RType::CERT,
];

/// A deSEC account.
pub struct Desec {
    http: Http,
    base: String,
    token: String,
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
        let token = t
            .api_key
            .read()
            .map_err(|e| ProviderError::Config(format!("target {}: token: {e}", t.name)))?
            .ok_or_else(|| {
                ProviderError::Config(format!(
                    "target {}: needs api_key_env or api_key_file (a deSEC token)",
                    t.name
                ))
            })?;
        Ok(Desec {
            http,
            base: t
                .url
                .clone()
                .unwrap_or_else(|| "https://desec.io/api/v1".into()),
            token,
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

    fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Request, ProviderError> {
        let mut b = client
            .request(method, url)
            .header("Authorization", format!("Token {}", self.token));
        if let Some(body) = body {
            b = b.json(body);
        }
        b.build().map_err(|e| ProviderError::Config(e.to_string()))
    }

    fn domain(zone: &Name) -> String {
        let s = zone.to_lowercase().to_string();
        s.strip_suffix('.').unwrap_or(&s).to_string()
    }

    /// Every page of a cursor-paginated list, starting at `url`.
    async fn pages(
        &self,
        what: &str,
        first: String,
    ) -> Result<Vec<serde_json::Value>, ProviderError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut guard = 0;
        while let Some(url) = next.take() {
            guard += 1;
            if guard > 10_000 {
                return Err(ProviderError::Invalid(format!(
                    "{what}: pagination does not end"
                )));
            }
            let resp = self
                .http
                .send(what, |c| self.request(c, reqwest::Method::GET, &url, None))
                .await?;
            let page: Vec<serde_json::Value> = serde_json::from_slice(&resp.body)
                .map_err(|e| ProviderError::Invalid(format!("{what}: {e}")))?;
            out.extend(page);
            next = resp
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| link(v, "next"));
        }
        Ok(out)
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        // An empty cursor asks for the first page: deSEC refuses an
        // un-cursored list of more than 500 RRsets.
        let url = format!(
            "{}/domains/{}/rrsets/?cursor=",
            self.base,
            Self::domain(zone)
        );
        let sets = self.pages("read rrsets", url).await.map_err(|e| match e {
            ProviderError::Http { status: 404, .. } => ProviderError::NoZone(zone.clone()),
            e => e,
        })?;
        let mut out = ReadResult::default();
        for v in sets {
            let set: RRsetJson = serde_json::from_value(v)
                .map_err(|e| ProviderError::Invalid(format!("rrset: {e}")))?;
            let Some(rtype) = RType::from_mnemonic(&set.rtype) else {
                out.unparsed
                    .push(format!("{} {}: unknown type", set.subname, set.rtype));
                continue;
            };
            let owner = if set.subname.is_empty() {
                Ok(zone.clone())
            } else {
                format!("{}.{}", set.subname, zone).parse::<Name>()
            };
            match owner {
                Ok(name) => parse_values(zone, &name, rtype, set.ttl, &set.records, &mut out),
                Err(e) => out.unparsed.push(format!("{}: {e}", set.subname)),
            }
        }
        Ok(out)
    }

    async fn patch(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let apex = format!(".{}", zone.to_lowercase());
        let mut body = Vec::with_capacity(changes.len());
        for c in changes {
            let owner = c.key.name.to_lowercase();
            // Labels left of the apex, no trailing dot; "" at the apex.
            let subname = if owner == *zone {
                String::new()
            } else {
                let full = owner.to_string();
                full.strip_suffix(&apex).unwrap_or(&full).to_string()
            };
            let (ttl, records) = match &c.new {
                Some(d) => (d.ttl, d.texts(c.key.rtype)),
                // deSEC wants a valid TTL even on delete.
                None => (self.caps.ttl_min.max(3600), vec![]),
            };
            body.push(json!({"subname": subname, "type": c.key.rtype.to_string(), "ttl": ttl, "records": records}));
        }
        let body = serde_json::Value::Array(body);
        let url = format!("{}/domains/{}/rrsets/", self.base, Self::domain(zone));
        self.http
            .send("patch rrsets", |c| {
                self.request(c, reqwest::Method::PATCH, &url, Some(&body))
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
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

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

    fn read<'a>(&'a self, zone: &'a Name) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(self.read_zone(zone))
    }

    fn apply<'a>(
        &'a self,
        zone: &'a Name,
        changes: &'a [Change],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(self.patch(zone, changes))
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
