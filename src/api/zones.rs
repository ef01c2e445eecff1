//! The zones served here: list and status.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::errors::ErrorBody;
use super::{zone_for, ApiResult, ApiState, Caller};
use crate::server::xfr::status::ZoneSecondaries;
use crate::zone::name::Name;

/// One zone in the list.
#[derive(Serialize, ToSchema)]
pub struct ZoneSummary {
    /// The apex, absolute (`example.com.`).
    pub name: String,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ZoneList {
    pub zones: Vec<ZoneSummary>,
}

/// The zones the token covers, by name.
#[utoipa::path(get, path = "/api/v1/zones", tag = "zones",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The zones", body = ZoneList),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
) -> ApiResult<ZoneList> {
    let mut zones: Vec<ZoneSummary> = state
        .engine
        .zone_names()
        .into_iter()
        .filter(|n| caller.sees(n))
        .filter_map(|n| {
            let (_, z) = state.engine.zone(&n).ok()?;
            Some(ZoneSummary {
                name: n.to_string(),
                serial: z.current().serial(),
            })
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(ZoneList { zones }))
}

/// DNSSEC state of a zone.
#[derive(Serialize, ToSchema)]
pub struct Signing {
    /// Whether the zone is signed here.
    pub signed: bool,
}

/// A zone's status.
#[derive(Serialize, ToSchema)]
pub struct ZoneStatus {
    pub name: String,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: u32,
    /// Records served (SOA included).
    pub records: u64,
    /// Owner names.
    pub names: u64,
    /// The serial policy: `increment`, `unixtime` or `dateserial`.
    pub serial_policy: String,
    pub signing: Signing,
    /// Each sync target of the zone (`targets` in its config) and where it
    /// stands; `GET /api/v1/zones/{zone}/sync` has the plans.
    pub targets: Vec<TargetStatus>,
    /// The zone's DNS secondaries: per NOTIFY address the serial it last
    /// acknowledged, per transfer client the serial it last transferred.
    pub secondaries: ZoneSecondaries,
}

/// Where one sync target stands.
#[derive(Serialize, ToSchema)]
pub struct TargetStatus {
    /// The target's name (`[[target]] name`).
    pub name: String,
    /// Provider kind (`powerdns`, `route53`, ...); `unknown` when no sync
    /// engine runs.
    pub kind: String,
    /// `starting`, `ok` (at the zone's serial), `pending` (behind, working
    /// on it), `failing` (retrying), `stopped` (credentials refused),
    /// `held` (over the safety threshold), `refused` (no plan possible), or
    /// `not_running` (no sync engine in this process).
    pub state: String,
    /// The serial the target was last brought to, if any.
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: Option<u32>,
    /// Serials behind the zone (RFC 1982 distance), 0 when in sync.
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub lag_serials: u32,
    /// Seconds since the first serial not yet at the target was published.
    pub lag_seconds: f64,
    /// Unix time of the last successful push.
    #[schema(format = Int64, minimum = 0)]
    pub last_push: Option<u64>,
    /// The last failure, while failing.
    pub last_error: Option<String>,
    /// Unix time of the next retry, while failing.
    #[schema(format = Int64, minimum = 0)]
    pub next_retry: Option<u64>,
    /// RRsets found changed at the provider by the last read-back.
    pub drift: Vec<String>,
    /// Drifted RRsets found since the start (each finding counts).
    #[schema(format = Int64, minimum = 0)]
    pub drift_found: u64,
    /// Unix time of the last read-back for drift.
    #[schema(format = Int64, minimum = 0)]
    pub last_drift_check: Option<u64>,
}

impl TargetStatus {
    /// A configured target without a worker to ask.
    fn not_running(name: &str) -> TargetStatus {
        TargetStatus {
            name: name.to_string(),
            kind: "unknown".into(),
            state: "not_running".into(),
            serial: None,
            lag_serials: 0,
            lag_seconds: 0.0,
            last_push: None,
            last_error: None,
            next_retry: None,
            drift: Vec::new(),
            drift_found: 0,
            last_drift_check: None,
        }
    }

    fn of(s: crate::sync::report::TargetStatus) -> TargetStatus {
        // The engine's enum serializes to the documented lowercase words.
        let state = serde_json::to_value(&s.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "unknown".into());
        TargetStatus {
            name: s.target,
            kind: s.kind,
            state,
            serial: s.applied_serial,
            lag_serials: s.lag_serials,
            lag_seconds: s.lag_seconds,
            last_push: s.last_apply,
            last_error: s.last_error,
            next_retry: s.next_retry,
            drift: s.drift,
            drift_found: s.drift_found,
            last_drift_check: s.last_drift_check,
        }
    }
}

/// The zone's targets in config order, each with its worker's status.
fn targets_of(zone: &Name, configured: &[String]) -> Vec<TargetStatus> {
    let mut running = crate::sync::engine::handle()
        .map(|sync| sync.status(Some(zone)))
        .unwrap_or_default();
    configured
        .iter()
        .map(|t| match running.iter().position(|s| &s.target == t) {
            Some(i) => TargetStatus::of(running.swap_remove(i)),
            None => TargetStatus::not_running(t),
        })
        .collect()
}

/// Serial, size, signing state, sync targets and secondaries of one zone.
#[utoipa::path(get, path = "/api/v1/zones/{zone}", tag = "zones",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "The zone's status", body = ZoneStatus),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn status(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> ApiResult<ZoneStatus> {
    let name = zone_for(&state, &caller, &zone, false)?;
    let (zc, z) = state.engine.zone(&name)?;
    let v = z.current();
    Ok(Json(ZoneStatus {
        name: name.to_string(),
        serial: v.serial(),
        records: v.record_count() as u64,
        names: v.name_count() as u64,
        serial_policy: format!("{:?}", zc.serial).to_ascii_lowercase(),
        signing: Signing {
            signed: v
                .apex_node()
                .is_some_and(|n| n.has(crate::rdata::RType::DNSKEY)),
        },
        targets: targets_of(&name, &zc.targets),
        secondaries: state.engine.secondaries().zone(&name),
    }))
}
