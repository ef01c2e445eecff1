//! History, diffs and rollback of a zone; server health and reload.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::errors::{ApiError, Body, ErrorBody, Params};
use super::{engine_call, zone_for, ApiResult, ApiState, Caller};

/// `GET /api/v1/health`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the server answers.
    pub status: String,
}

/// Liveness; needs no token.
#[utoipa::path(get, path = "/api/v1/health", tag = "server",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// `POST /api/v1/reload`.
#[derive(Serialize, ToSchema)]
pub struct ReloadReport {
    /// One line per zone: reloaded (with the serial), unchanged or failed.
    pub report: Vec<String>,
}

/// Re-reads every zone file; a zone whose file fails keeps serving.
#[utoipa::path(post, path = "/api/v1/reload", tag = "server",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reload done", body = ReloadReport),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not a server-wide write token", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn reload(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
) -> ApiResult<ReloadReport> {
    caller.may_admin()?;
    let engine = state.engine.clone();
    let report = engine_call(move || Ok(engine.reload())).await?;
    Ok(Json(ReloadReport { report }))
}

/// Most history entries one request returns.
const MAX_HISTORY: u32 = 100_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Most entries returned, newest first (default 100).
    #[param(maximum = 100000)]
    pub limit: Option<u32>,
}

/// One committed change.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial_from: u32,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial_to: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Who made it: `token:<name>`, `tsig:<key>`, `unsigned`, `file-reload`.
    pub who: String,
    /// Records added (the new SOA included).
    pub added: u64,
    /// Records removed (the old SOA included).
    pub removed: u64,
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub history: Vec<HistoryEntry>,
}

/// The zone's journal, newest first.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/history", tag = "history",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex"), HistoryQuery),
    responses(
        (status = 200, description = "Newest first", body = History),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name or parameter", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Params(q): Params<HistoryQuery>,
) -> ApiResult<History> {
    let zone = zone_for(&state, &caller, &zone, false)?;
    let engine = state.engine.clone();
    let limit = q.limit.unwrap_or(100);
    if limit > MAX_HISTORY {
        return Err(ApiError::invalid(
            "limit",
            format!("at most {MAX_HISTORY} entries per request"),
        ));
    }
    let limit = limit as usize;
    let entries = engine_call(move || engine.history(&zone, limit)).await?;
    let history = entries
        .into_iter()
        .map(|e| HistoryEntry {
            serial_from: e.serial_from,
            serial_to: e.serial_to,
            time: e.time,
            who: e.who,
            added: e.added as u64,
            removed: e.removed as u64,
        })
        .collect();
    Ok(Json(History { history }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The serial the listing starts from.
    #[param(format = Int64, maximum = 4294967295_u64)]
    pub from: u32,
    /// The serial it ends at.
    #[param(format = Int64, maximum = 4294967295_u64)]
    pub to: u32,
}

/// The changes between two serials as an IXFR-style listing: `; serial a
/// -> b`, then `-` removed and `+` added records in zone-file form.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/diff", tag = "history",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex"), DiffQuery),
    responses(
        (status = 200, description = "The listing", body = String, content_type = "text/plain"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 409, description = "The journal no longer reaches `from`, or `to` is not a serial of it", body = ErrorBody),
        (status = 422, description = "Invalid zone name or parameter", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn diff(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Params(q): Params<DiffQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let zone = zone_for(&state, &caller, &zone, false)?;
    let engine = state.engine.clone();
    let diffs = engine_call(move || engine.diffs(&zone, q.from, q.to)).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        crate::zone::diff::listing(&diffs),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// The serial whose contents come back (as a new serial).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub to: u32,
}

/// A committed change.
#[derive(Serialize, ToSchema)]
pub struct Committed {
    /// The zone's serial after the request.
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: u32,
}

/// Commits the inverse of every change after serial `to`, as a new serial.
#[utoipa::path(post, path = "/api/v1/zones/{zone}/rollback", tag = "history",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    request_body = RollbackRequest,
    responses(
        (status = 200, description = "Rolled back; durable", body = Committed),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not change the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 409, description = "Already at that serial, or the journal no longer reaches it", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "Invalid body or zone name", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn rollback(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Body(body): Body<RollbackRequest>,
) -> ApiResult<Committed> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    let engine = state.engine.clone();
    let who = caller.who();
    let serial = engine_call(move || engine.rollback(&zone, body.to, &who)).await?;
    Ok(Json(Committed { serial }))
}
