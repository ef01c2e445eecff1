//! DNS providers behind one trait: what the sync engine needs from any of
//! them is to read a zone's RRsets and to apply a batch of RRset changes.
//!
//! A provider file only translates between [`RRsets`] and its API's JSON or
//! XML; timeouts, retries, rate limits and authentication failures are
//! handled once in [`http::Http`], normalisation once in
//! [`crate::sync::normalize`], planning once in [`crate::sync::plan`]. What
//! differs between providers and matters to the planner is declared in
//! [`Capabilities`].

/// The [`Provider`] methods an HTTP provider only forwards: capabilities
/// from its `caps` field, the request count from its `http` client, and
/// `read`/`apply` boxed from its own async `read_zone` and `$apply`
/// methods. Each provider writes only what differs (`list_zones`, and
/// `create_zone` where it can).
macro_rules! forward_provider_basics {
    ($apply:ident) => {
        fn capabilities(&self) -> &$crate::providers::Capabilities {
            &self.caps
        }

        fn requests(&self) -> u64 {
            self.http.requests()
        }

        fn read<'a>(
            &'a self,
            zone: &'a $crate::zone::name::Name,
        ) -> $crate::providers::BoxFuture<
            'a,
            Result<$crate::providers::ReadResult, $crate::providers::ProviderError>,
        > {
            Box::pin(self.read_zone(zone))
        }

        fn apply<'a>(
            &'a self,
            zone: &'a $crate::zone::name::Name,
            changes: &'a [$crate::providers::Change],
        ) -> $crate::providers::BoxFuture<'a, Result<(), $crate::providers::ProviderError>> {
            Box::pin(self.$apply(zone, changes))
        }
    };
}

pub mod cloudflare;
pub mod common;
pub mod desec;
pub mod digitalocean;
pub mod gandi;
pub mod hetzner;
pub mod http;
pub mod per_record;
pub mod powerdns;
pub mod rfc2136;
pub mod route53;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::rdata::RType;
use crate::sync::rrset::{RRsetData, RRsetKey, RRsets};
use crate::sync::target::{TargetConfig, TargetKind};
use crate::zone::name::Name;

/// A boxed future, so the trait can be used as `dyn Provider`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a provider's TXT records are exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxtStyle {
    /// RFC 1035 presentation: each string quoted, split at 255 octets.
    Quoted,
    /// One raw string per record: the provider joins the strings, so a
    /// multi-string TXT comes back as one (re-split at 255 octets).
    Joined,
}

/// What a provider can hold; the planner shapes the desired state by it.
#[derive(Clone, Debug)]
pub struct Capabilities {
    pub ttl_min: u32,
    pub ttl_max: u32,
    /// Types it accepts (DNSSEC types are decided by `signs_itself` and
    /// `dnssec_types`, not listed here).
    pub types: &'static [RType],
    /// Whether the apex NS RRset may be changed through the API.
    pub apex_ns: bool,
    /// One request applies the whole batch or nothing.
    pub atomic_batch: bool,
    /// Most RRset changes in one request.
    pub max_batch: usize,
    /// The provider signs the zone itself (or cannot serve signatures):
    /// DNSSEC records are never pushed to it.
    pub signs_itself: bool,
    pub txt: TxtStyle,
}

impl Capabilities {
    /// Whether an RRset of this type can be pushed.
    pub fn supports(&self, rtype: RType) -> bool {
        self.types.contains(&rtype)
    }
}

/// The data types most providers take (no DNSSEC machinery, no SOA).
pub const COMMON_TYPES: &[RType] = &[
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
];

/// One RRset change. `old` is what the provider had (Route 53 deletes by
/// exact content), `new` what it must have; `None` = absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: RRsetKey,
    pub old: Option<RRsetData>,
    pub new: Option<RRsetData>,
}

impl Change {
    pub fn is_delete(&self) -> bool {
        self.new.is_none()
    }
}

/// Why a provider request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// 401/403: retrying will not help; the target stops until reconfigured.
    #[error("authentication refused (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    /// Throttled (429 or the provider's own throttling error).
    #[error("rate limited (HTTP {status}){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Any other HTTP error answer.
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// No answer: connection refused, reset, timed out.
    #[error("{0}")]
    Transport(String),
    /// The zone does not exist at the provider.
    #[error("zone {0} does not exist at the provider")]
    NoZone(Name),
    /// An answer we cannot make sense of.
    #[error("unexpected answer: {0}")]
    Invalid(String),
    /// Misconfiguration (a missing secret, a bad URL).
    #[error("{0}")]
    Config(String),
}

impl ProviderError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. } | ProviderError::Transport(_) => true,
            ProviderError::Http { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }
}

/// A provider API.
pub trait Provider: Send + Sync {
    fn capabilities(&self) -> &Capabilities;
    /// HTTP requests sent so far (every retry counts).
    fn requests(&self) -> u64;
    /// The zones the account holds.
    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>>;
    /// Every RRset of a zone, as the provider has it, in wire form. Values
    /// it returns that do not parse are reported in the second part (they
    /// are never touched).
    fn read<'a>(&'a self, zone: &'a Name) -> BoxFuture<'a, Result<ReadResult, ProviderError>>;
    /// Creates a zone the provider lacks, with these apex nameservers;
    /// `Ok(false)` where zones are created by other means (the default).
    fn create_zone<'a>(
        &'a self,
        _zone: &'a Name,
        _nameservers: &'a [Name],
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(async { Ok(false) })
    }
    /// Applies a batch (at most `max_batch` changes); on success every
    /// change is in place.
    fn apply<'a>(
        &'a self,
        zone: &'a Name,
        changes: &'a [Change],
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// What [`Provider::read`] returns.
#[derive(Debug, Default, Clone)]
pub struct ReadResult {
    pub rrsets: RRsets,
    /// RRsets the provider holds that we cannot parse (left alone).
    pub unparsed: Vec<String>,
}

/// Parses provider text values of one RRset into wire form.
pub fn parse_values(
    zone: &Name,
    name: &Name,
    rtype: RType,
    ttl: u32,
    values: &[String],
    out: &mut ReadResult,
) {
    let mut rdatas = Vec::with_capacity(values.len());
    for v in values {
        match crate::rdata::from_str(rtype, v, zone) {
            Ok(rd) => rdatas.push(rd),
            Err(e) => {
                // The provider's own SOA is never compared; some emulators
                // return it mangled, which is no reason to warn.
                if rtype != RType::SOA {
                    out.unparsed.push(format!("{name} {rtype} `{v}`: {e}"));
                }
                return;
            }
        }
    }
    if rdatas.is_empty() {
        return;
    }
    out.rrsets.insert(
        RRsetKey {
            name: name.clone(),
            rtype,
        },
        RRsetData::new(rtype, ttl, rdatas),
    );
}

/// Builds the provider of a target. Kinds without an API (`secondary`)
/// have none.
pub fn build(target: &TargetConfig) -> Result<Option<Box<dyn Provider>>, ProviderError> {
    let http = || http::Http::new(target);
    Ok(match target.kind {
        TargetKind::PowerDns => Some(Box::new(powerdns::PowerDns::new(target, http()?)?)),
        TargetKind::Route53 => Some(Box::new(route53::Route53::new(target, http()?)?)),
        TargetKind::Cloudflare => Some(Box::new(cloudflare::Cloudflare::new(target, http()?)?)),
        TargetKind::Desec => Some(Box::new(desec::Desec::new(target, http()?)?)),
        TargetKind::Gandi => Some(Box::new(gandi::Gandi::new(target, http()?)?)),
        TargetKind::Hetzner => Some(Box::new(hetzner::Hetzner::new(target, http()?)?)),
        TargetKind::DigitalOcean => {
            Some(Box::new(digitalocean::DigitalOcean::new(target, http()?)?))
        }
        TargetKind::Rfc2136 => Some(Box::new(rfc2136::Rfc2136::new(target)?)),
        TargetKind::Secondary => None,
    })
}
