//! Pieces every provider would otherwise write again: the common part of
//! the type lists, reading the target's secret, an authenticated JSON
//! request, the 404 that means "no such zone", a JSON GET, names relative
//! to the apex, the deletes-first order of a batch, page-numbered reads,
//! and the read of an RRset-shaped answer.
//!
//! What differs between providers (the auth header, the apex marker, when
//! paging ends) is a parameter here, so each provider file still says
//! plainly what its API does.

use std::future::Future;

use serde::de::DeserializeOwned;

use super::http::Http;
use super::{parse_values, Change, ProviderError, ReadResult, COMMON_TYPES};
use crate::rdata::RType;
use crate::sync::target::TargetConfig;
use crate::zone::name::{Name, NameError};

/// [`COMMON_TYPES`] followed by a provider's `extra` types, for its
/// `const` type list; `N` is the total (a mismatch fails the build).
pub const fn with_common<const N: usize>(extra: &[RType]) -> [RType; N] {
    assert!(COMMON_TYPES.len() + extra.len() == N);
    let mut out = [RType(0); N];
    let mut i = 0;
    while i < COMMON_TYPES.len() {
        out[i] = COMMON_TYPES[i];
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        out[i + j] = extra[j];
        j += 1;
    }
    out
}

/// The target's API secret (`api_key_env` / `api_key_file`), which it must
/// have. `label` names the secret in a read error; `missing` is the whole
/// message after `target <name>: ` when none is configured.
pub fn required_secret(
    t: &TargetConfig,
    label: &str,
    missing: &str,
) -> Result<String, ProviderError> {
    t.api_key
        .read()
        .map_err(|e| ProviderError::Config(format!("target {}: {label}: {e}", t.name)))?
        .ok_or_else(|| ProviderError::Config(format!("target {}: {missing}", t.name)))
}

/// The target's `url`, or the provider's public endpoint.
pub fn base_url(t: &TargetConfig, default: &str) -> String {
    t.url.clone().unwrap_or_else(|| default.to_string())
}

/// How a provider's requests carry the secret.
pub enum Auth {
    /// `Authorization: Bearer <token>` (Cloudflare, Gandi, Hetzner,
    /// DigitalOcean).
    Bearer(String),
    /// `Authorization: Token <token>` (deSEC).
    Token(String),
    /// `X-API-Key: <key>` plus `Accept: application/json` (PowerDNS, which
    /// may otherwise answer errors as text).
    ApiKey(String),
}

impl Auth {
    /// A request with this authentication and, if given, a JSON body.
    pub fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Request, ProviderError> {
        let b = client.request(method, url);
        let mut b = match self {
            Auth::Bearer(token) => b.bearer_auth(token),
            Auth::Token(token) => b.header("Authorization", format!("Token {token}")),
            Auth::ApiKey(key) => b
                .header("X-API-Key", key)
                .header("Accept", "application/json"),
        };
        if let Some(body) = body {
            b = b.json(body);
        }
        b.build().map_err(|e| ProviderError::Config(e.to_string()))
    }
}

/// `GET`s `url` (retrying as [`Http::send`] does) and decodes its JSON;
/// `label` names the answer in a decoding error.
pub async fn get_json<T: DeserializeOwned>(
    http: &Http,
    auth: &Auth,
    what: &str,
    label: &str,
    url: &str,
) -> Result<T, ProviderError> {
    let resp = http
        .send(what, |c| auth.request(c, reqwest::Method::GET, url, None))
        .await?;
    serde_json::from_slice(&resp.body).map_err(|e| ProviderError::Invalid(format!("{label}: {e}")))
}

/// Maps a 404 on a zone's own URL to [`ProviderError::NoZone`].
pub fn no_zone_on_404(zone: &Name) -> impl FnOnce(ProviderError) -> ProviderError + '_ {
    move |e| match e {
        ProviderError::Http { status: 404, .. } => ProviderError::NoZone(zone.clone()),
        e => e,
    }
}

/// A 404 on a delete is success: the thing is already gone (typically a
/// retry whose first attempt went through but whose answer was lost).
pub fn gone_is_ok<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ProviderError::Http { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A name lowercased and without the trailing dot, as most JSON APIs
/// write domains.
pub fn plain_lower(name: &Name) -> String {
    let s = name.to_lowercase().to_string();
    s.strip_suffix('.').unwrap_or(&s).to_string()
}

/// The labels of `name` left of `zone` (lowercased, no dot); `apex` for the
/// apex itself (`@` for most providers, `""` for deSEC).
pub fn relative_name(zone: &Name, name: &Name, apex: &str) -> String {
    if name == zone {
        return apex.to_string();
    }
    let full = name.to_lowercase().to_string();
    let suffix = format!(".{}", zone.to_lowercase());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// The owner a relative name (as [`relative_name`] writes it) stands for.
pub fn absolute_name(zone: &Name, relative: &str, apex: &str) -> Result<Name, NameError> {
    if relative == apex {
        Ok(zone.clone())
    } else {
        format!("{relative}.{zone}").parse()
    }
}

/// The changes of a batch with every delete first: a name may switch type
/// (to CNAME) within one batch.
pub fn deletes_first(changes: &[Change]) -> impl Iterator<Item = &Change> {
    changes
        .iter()
        .filter(|c| c.is_delete())
        .chain(changes.iter().filter(|c| !c.is_delete()))
}

/// Adds one RRset as an RRset-family provider returns it (a name relative
/// to the zone, a type mnemonic, a TTL, values in presentation format);
/// what cannot be read goes to `out.unparsed`.
pub fn add_relative_rrset(
    zone: &Name,
    apex: &str,
    (name, rtype): (&str, &str),
    ttl: u32,
    values: &[String],
    out: &mut ReadResult,
) {
    let Some(t) = RType::from_mnemonic(rtype) else {
        out.unparsed.push(format!("{name} {rtype}: unknown type"));
        return;
    };
    match absolute_name(zone, name, apex) {
        Ok(owner) => parse_values(zone, &owner, t, ttl, values, out),
        Err(e) => out.unparsed.push(format!("{name}: {e}")),
    }
}

/// One page of a page-numbered list, and the number of the page after it
/// (`None` on the last).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u32>,
}

/// Every item of a page-numbered list. `fetch(page, so_far)` reads page
/// `page` (from 1) with `so_far` items collected before it and says what
/// comes next. Reading stops at an empty page and at a `next` that does
/// not move forward, so a provider that repeats a page cannot loop.
pub async fn numbered_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(u32, usize) -> Fut,
    Fut: Future<Output = Result<Page<T>, ProviderError>>,
{
    let mut all = Vec::new();
    let mut page = 1u32;
    loop {
        let got = fetch(page, all.len()).await?;
        let n = got.items.len();
        all.extend(got.items);
        match got.next {
            Some(next) if next > page && n > 0 => page = next,
            _ => return Ok(all),
        }
    }
}

/// Every item of a list whose pages link to the next one by URL, starting
/// at `first`. `fetch(url)` reads one page and returns the next page's URL.
/// More than 10,000 pages is an error, not a loop forever.
pub async fn linked_pages<T, F, Fut>(
    what: &str,
    first: String,
    mut fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut all = Vec::new();
    let mut next = Some(first);
    let mut guard = 0;
    while let Some(url) = next.take() {
        guard += 1;
        if guard > 10_000 {
            return Err(ProviderError::Invalid(format!(
                "{what}: pagination does not end"
            )));
        }
        let (items, following) = fetch(url).await?;
        all.extend(items);
        next = following;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_common_appends_extra() {
        const EXTRA: &[RType] = &[RType::LOC, RType::URI];
        let all = with_common::<{ COMMON_TYPES.len() + EXTRA.len() }>(EXTRA);
        assert_eq!(&all[..COMMON_TYPES.len()], COMMON_TYPES);
        assert_eq!(&all[COMMON_TYPES.len()..], EXTRA);
    }

    #[test]
    fn relative_names_round_trip() {
        let zone: Name = "Example.TEST".parse().expect("zone");
        for (name, apex, rel) in [
            ("example.test", "@", "@"),
            ("example.test", "", ""),
            ("WWW.example.test", "@", "www"),
            ("a.b.example.test", "", "a.b"),
        ] {
            let n: Name = name.parse().expect("name");
            assert_eq!(relative_name(&zone, &n, apex), rel);
            assert_eq!(absolute_name(&zone, rel, apex).expect("back"), n);
        }
        assert_eq!(plain_lower(&zone), "example.test");
    }

    #[tokio::test]
    async fn numbered_pages_stop() {
        // Three pages, the last says no next.
        let all = numbered_pages(|page, so_far| async move {
            assert_eq!(so_far, (page as usize - 1) * 2);
            Ok(Page {
                items: vec![page; 2],
                next: (page < 3).then_some(page + 1),
            })
        })
        .await
        .expect("pages");
        assert_eq!(all, vec![1, 1, 2, 2, 3, 3]);
        // A provider that keeps pointing back at page 1 does not loop.
        let all = numbered_pages(|_, _| async {
            Ok(Page {
                items: vec![0u8],
                next: Some(1),
            })
        })
        .await
        .expect("pages");
        assert_eq!(all.len(), 1);
    }
}
