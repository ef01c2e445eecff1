//! AWS Route 53 (`/2013-04-01`, XML, SigV4 with service `route53`).
//!
//! Reads page by page (`maxitems`, `IsTruncated`, `NextRecordName`,
//! `NextRecordType`); writes with ChangeResourceRecordSets: UPSERT for a
//! new or changed RRset, DELETE with the exact old content for a removed
//! one. Route 53 caps a batch at 1,000 values with UPSERT counting twice,
//! so large batches are split. Alias and routing-policy record sets are
//! not ours: they are reported as unparsed and never touched.

use std::collections::HashMap;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use tokio::sync::Mutex;

use super::common::{base_url, required_secret, with_common};
use super::http::Http;
use super::{
    parse_values, BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle,
    COMMON_TYPES,
};
use crate::rdata::RType;
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// What Route 53 takes beyond [`COMMON_TYPES`].
const EXTRA_TYPES: &[RType] = &[RType::SVCB, RType::HTTPS];
const TYPES: &[RType] = &with_common::<{ COMMON_TYPES.len() + EXTRA_TYPES.len() }>(EXTRA_TYPES);

/// Values per request at most (UPSERT counts double, see module doc).
const MAX_VALUES: usize = 1000;
const PAGE: usize = 300;
const NS_XML: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// A Route 53 account.
pub struct Route53 {
    http: Http,
    base: String,
    key_id: String,
    secret: String,
    region: String,
    zone_id: Option<String>,
    ids: Mutex<HashMap<Name, String>>,
    caps: Capabilities,
}

impl Route53 {
    pub fn new(t: &TargetConfig, http: Http) -> Result<Route53, ProviderError> {
        let secret = required_secret(
            t,
            "secret key",
            "needs api_key_env or api_key_file (the AWS secret access key)",
        )?;
        let key_id = t.key_id.clone().ok_or_else(|| {
            ProviderError::Config(format!(
                "target {}: needs key_id (the AWS access key id)",
                t.name
            ))
        })?;
        Ok(Route53 {
            http: http.with_throttle_marker("Throttling"),
            base: base_url(t, "https://route53.amazonaws.com"),
            key_id,
            secret,
            region: t.region.clone(),
            zone_id: t.zone_id.clone(),
            ids: Mutex::new(HashMap::new()),
            caps: Capabilities {
                ttl_min: 0,
                ttl_max: i32::MAX as u32,
                types: TYPES,
                apex_ns: true,
                atomic_batch: true,
                max_batch: 500,
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
        })
    }

    /// A signed request; `path_query` starts with `/2013-04-01/`.
    fn signed(
        &self,
        client: &reqwest::Client,
        method: &str,
        path_query: &str,
        body: &[u8],
    ) -> Result<reqwest::Request, ProviderError> {
        let url = format!("{}{}", self.base, path_query);
        let identity = Credentials::new(&self.key_id, &self.secret, None, None, "polyzone").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("route53")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| ProviderError::Config(format!("SigV4: {e}")))?
            .into();
        let content_type = ("content-type", "application/xml");
        let headers = if body.is_empty() {
            vec![]
        } else {
            vec![content_type]
        };
        let signable = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| ProviderError::Config(format!("SigV4: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| ProviderError::Config(format!("SigV4: {e}")))?
            .into_parts();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| ProviderError::Config(e.to_string()))?;
        let mut b = client.request(method, &url);
        for (k, v) in headers {
            b = b.header(k, v);
        }
        for (k, v) in instructions.headers() {
            b = b.header(k, v);
        }
        if !body.is_empty() {
            b = b.body(body.to_vec());
        }
        b.build().map_err(|e| ProviderError::Config(e.to_string()))
    }

    async fn get(&self, what: &str, path_query: &str) -> Result<xml::Element, ProviderError> {
        let resp = self
            .http
            .send(what, |c| self.signed(c, "GET", path_query, b""))
            .await?;
        xml::parse(&resp.text()).map_err(ProviderError::Invalid)
    }

    /// Every hosted zone: (name, id without the `/hostedzone/` prefix).
    async fn hosted_zones(&self) -> Result<Vec<(Name, String)>, ProviderError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut q = "/2013-04-01/hostedzone?maxitems=100".to_string();
            if let Some(m) = &marker {
                q.push_str(&format!("&marker={}", urlencode(m)));
            }
            let doc = self.get("list zones", &q).await?;
            for z in doc
                .path(&["HostedZones"])
                .map(|e| e.children("HostedZone"))
                .into_iter()
                .flatten()
            {
                let (Some(name), Some(id)) = (z.text_of("Name"), z.text_of("Id")) else {
                    continue;
                };
                if let Ok(n) = name.parse::<Name>() {
                    out.push((n, id.trim_start_matches("/hostedzone/").to_string()));
                }
            }
            if doc.text_of("IsTruncated") != Some("true") {
                return Ok(out);
            }
            marker = doc.text_of("NextMarker").map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    async fn zone_id(&self, zone: &Name) -> Result<String, ProviderError> {
        if let Some(id) = &self.zone_id {
            return Ok(id.clone());
        }
        if let Some(id) = self.ids.lock().await.get(zone) {
            return Ok(id.clone());
        }
        let found = self
            .hosted_zones()
            .await?
            .into_iter()
            .find(|(n, _)| n == zone)
            .map(|(_, id)| id)
            .ok_or_else(|| ProviderError::NoZone(zone.clone()))?;
        self.ids.lock().await.insert(zone.clone(), found.clone());
        Ok(found)
    }

    async fn read_zone(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let id = self.zone_id(zone).await?;
        let mut out = ReadResult::default();
        let mut next: Option<(String, String)> = None;
        loop {
            let mut q = format!("/2013-04-01/hostedzone/{id}/rrset?maxitems={PAGE}");
            if let Some((n, t)) = &next {
                q.push_str(&format!("&name={}&type={}", urlencode(n), urlencode(t)));
            }
            let doc = self.get("read zone", &q).await?;
            let sets = doc.path(&["ResourceRecordSets"]);
            for s in sets
                .map(|e| e.children("ResourceRecordSet"))
                .into_iter()
                .flatten()
            {
                read_set(zone, s, &mut out);
            }
            if doc.text_of("IsTruncated") != Some("true") {
                return Ok(out);
            }
            match (doc.text_of("NextRecordName"), doc.text_of("NextRecordType")) {
                (Some(n), Some(t)) => next = Some((n.to_string(), t.to_string())),
                _ => {
                    return Err(ProviderError::Invalid(
                        "truncated page without NextRecordName".into(),
                    ))
                }
            }
        }
    }

    async fn change(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let id = self.zone_id(zone).await?;
        // Split by value count; each part is one atomic ChangeBatch.
        let mut part: Vec<String> = Vec::new();
        let mut values = 0;
        let mut parts: Vec<Vec<String>> = Vec::new();
        for c in changes {
            let (xml, n) = change_xml(c);
            if values + n > MAX_VALUES && !part.is_empty() {
                parts.push(std::mem::take(&mut part));
                values = 0;
            }
            part.push(xml);
            values += n;
        }
        if !part.is_empty() {
            parts.push(part);
        }
        for p in parts {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest xmlns=\"{NS_XML}\"><ChangeBatch><Comment>polyzone</Comment><Changes>{}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
                p.concat()
            );
            let path = format!("/2013-04-01/hostedzone/{id}/rrset");
            self.http
                .send("change rrsets", |c| {
                    self.signed(c, "POST", &path, body.as_bytes())
                })
                .await?;
        }
        Ok(())
    }
}

/// One `<Change>` and the number of values it counts for.
fn change_xml(c: &Change) -> (String, usize) {
    let (action, data) = match (&c.new, &c.old) {
        (Some(new), _) => ("UPSERT", new),
        (None, Some(old)) => ("DELETE", old),
        (None, None) => ("DELETE", &EMPTY),
    };
    let values: String = data
        .texts(c.key.rtype)
        .iter()
        .map(|v| {
            format!(
                "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                xml::escape(v)
            )
        })
        .collect();
    let n = data.rdatas.len() * if action == "UPSERT" { 2 } else { 1 };
    (
        format!(
            "<Change><Action>{action}</Action><ResourceRecordSet><Name>{}</Name><Type>{}</Type><TTL>{}</TTL><ResourceRecords>{values}</ResourceRecords></ResourceRecordSet></Change>",
            xml::escape(&c.key.name.to_string()),
            c.key.rtype,
            data.ttl
        ),
        n,
    )
}

static EMPTY: crate::sync::rrset::RRsetData = crate::sync::rrset::RRsetData {
    ttl: 0,
    rdatas: std::collections::BTreeSet::new(),
};

/// One `<ResourceRecordSet>` into `out`.
fn read_set(zone: &Name, s: &xml::Element, out: &mut ReadResult) {
    let raw_name = s.text_of("Name").unwrap_or_default();
    let rtype_text = s.text_of("Type").unwrap_or_default();
    if s.child("AliasTarget").is_some() || s.child("SetIdentifier").is_some() {
        out.unparsed
            .push(format!("{raw_name} {rtype_text}: alias or routing policy"));
        return;
    }
    let Some(rtype) = RType::from_mnemonic(rtype_text) else {
        out.unparsed
            .push(format!("{raw_name} {rtype_text}: unknown type"));
        return;
    };
    let name: Name = match decode_octal(raw_name).parse() {
        Ok(n) => n,
        Err(e) => {
            out.unparsed.push(format!("{raw_name}: {e}"));
            return;
        }
    };
    let ttl = s.text_of("TTL").and_then(|t| t.parse().ok()).unwrap_or(0);
    let values: Vec<String> = s
        .path(&["ResourceRecords"])
        .map(|rr| rr.children("ResourceRecord"))
        .into_iter()
        .flatten()
        .filter_map(|r| r.text_of("Value").map(str::to_string))
        .collect();
    parse_values(zone, &name, rtype, ttl, &values, out);
}

/// Route 53 writes unusual name octets as `\ooo` (octal, e.g. `\052` for
/// `*`); our parser reads RFC 1035 `\DDD` (decimal).
fn decode_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            match u8::try_from(v) {
                Ok(c) if c.is_ascii_graphic() && c != b'.' && c != b'\\' => out.push(c as char),
                _ => out.push_str(&format!("\\{v:03}")),
            }
            i += 4;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

impl Provider for Route53 {
    forward_provider_basics!(change);

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async move {
            Ok(self
                .hosted_zones()
                .await?
                .into_iter()
                .map(|(n, _)| n)
                .collect())
        })
    }
}

/// A small element tree over quick-xml, enough for Route 53's answers.
pub mod xml {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    #[derive(Debug, Default)]
    pub struct Element {
        pub name: String,
        pub text: String,
        pub children: Vec<Element>,
    }

    impl Element {
        pub fn child(&self, name: &str) -> Option<&Element> {
            self.children.iter().find(|c| c.name == name)
        }
        pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
            self.children.iter().filter(move |c| c.name == name)
        }
        pub fn text_of(&self, name: &str) -> Option<&str> {
            self.child(name).map(|c| c.text.as_str())
        }
        pub fn path(&self, names: &[&str]) -> Option<&Element> {
            names.iter().try_fold(self, |e, n| e.child(n))
        }
    }

    /// The document's root element.
    pub fn parse(text: &str) -> Result<Element, String> {
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Element> = vec![Element::default()];
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => stack.push(Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                }),
                Ok(Event::Empty(e)) => {
                    let el = Element {
                        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                        ..Element::default()
                    };
                    if let Some(top) = stack.last_mut() {
                        top.children.push(el);
                    }
                }
                Ok(Event::Text(t)) => {
                    let s = t.unescape().map_err(|e| format!("XML: {e}"))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Ok(Event::CData(t)) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&t));
                    }
                }
                Ok(Event::End(_)) => {
                    let done = stack.pop().ok_or("XML: unbalanced end tag")?;
                    match stack.last_mut() {
                        Some(top) => top.children.push(done),
                        None => return Err("XML: unbalanced end tag".into()),
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => return Err(format!("XML at {}: {e}", reader.buffer_position())),
            }
        }
        let mut doc = stack.pop().ok_or("XML: empty")?;
        if !stack.is_empty() {
            return Err("XML: unclosed element".into());
        }
        doc.children
            .pop()
            .ok_or_else(|| "XML: no root element".into())
    }

    /// Escapes text for an element body.
    pub fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_names() {
        assert_eq!(decode_octal("\\052.w.example.test."), "*.w.example.test.");
        assert_eq!(decode_octal("a\\100b."), "a@b.");
        assert_eq!(decode_octal("a\\056b."), "a\\046b.");
    }

    #[test]
    fn change_xml_counts_upserts_twice_and_deletes_by_content() {
        use crate::sync::rrset::{RRsetData, RRsetKey};
        let zone: Name = "example.test".parse().unwrap();
        let key = RRsetKey {
            name: "t.example.test".parse().unwrap(),
            rtype: RType::TXT,
        };
        let data = RRsetData::new(
            RType::TXT,
            300,
            [crate::rdata::from_str(RType::TXT, "\"a<b\" \"c\"", &zone).unwrap()],
        );
        let upsert = Change {
            key: key.clone(),
            old: None,
            new: Some(data.clone()),
        };
        let (xml, n) = change_xml(&upsert);
        assert_eq!(n, 2);
        assert!(xml.contains("<Action>UPSERT</Action>"), "{xml}");
        assert!(xml.contains("<Value>\"a&lt;b\" \"c\"</Value>"), "{xml}");
        let delete = Change {
            key,
            old: Some(data),
            new: None,
        };
        let (xml, n) = change_xml(&delete);
        assert_eq!(n, 1);
        assert!(
            xml.contains("<Action>DELETE</Action>") && xml.contains("<TTL>300</TTL>"),
            "{xml}"
        );
    }

    #[test]
    fn xml_tree() {
        let doc = xml::parse(
            "<?xml version=\"1.0\"?><R xmlns=\"x\"><A>1 &amp; 2</A><B><C>x</C><C>y</C></B><E/></R>",
        )
        .unwrap();
        assert_eq!(doc.name, "R");
        assert_eq!(doc.text_of("A"), Some("1 & 2"));
        assert_eq!(doc.path(&["B"]).unwrap().children("C").count(), 2);
        assert!(doc.child("E").is_some());
    }
}
