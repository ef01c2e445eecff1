//! The zones served here: list and status.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::errors::ErrorBody;
use super::{zone_for, ApiResult, ApiState, Caller};

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
    /// Each sync target's status (filled once provider sync is configured).
    pub targets: Vec<TargetStatus>,
}

/// Where a target stands (see the sync endpoints for the detail).
#[derive(Serialize, ToSchema)]
pub struct TargetStatus {
    pub name: String,
    /// The serial the target was last brought to, if any.
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: Option<u32>,
}

/// Serial, size, signing state and targets of one zone.
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
        targets: Vec::new(),
    }))
}
