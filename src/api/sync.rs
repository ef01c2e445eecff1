//! Sync routes of the control API: plans and status per target, apply now
//! (with `force` past the safety threshold), verification over DNS.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{ErrorBody, Params};
use super::{zone_for, ApiError, ApiState, Caller};
use crate::sync::engine::{handle, SyncEngine};

/// The sync routes, merged into the API router.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/v1/zones/{zone}/sync", get(plan).post(apply))
        .route("/api/v1/zones/{zone}/verify", get(verify))
        .route("/api/v1/sync/status", get(status))
}

fn engine() -> Result<Arc<SyncEngine>, ApiError> {
    handle().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the sync engine is not running",
        )
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TargetQuery {
    target: Option<String>,
}

/// The plan (what would be pushed) and the status of each target.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/sync", tag = "sync",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex"), TargetQuery),
    responses(
        (status = 200, description = "Plans and status per target", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name or query", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
        (status = 503, description = "No sync engine runs (no targets configured)", body = ErrorBody),
    ))]
pub async fn plan(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Params(q): Params<TargetQuery>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, false)?;
    let sync = engine()?;
    let plans = sync.plans(&zone, q.target.as_deref(), None).await;
    let status = sync.status(Some(&zone));
    Ok(Json(json!({ "plans": plans, "status": status })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    #[serde(default)]
    force: bool,
    target: Option<String>,
}

/// Pushes now (past the safety threshold with `force`).
#[utoipa::path(post, path = "/api/v1/zones/{zone}/sync", tag = "sync",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    request_body(content = Option<ApplyBody>, description = "Optional: force, one target"),
    responses(
        (status = 200, description = "Results and status per target", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not write the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid zone name or body", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
        (status = 503, description = "No sync engine runs (no targets configured)", body = ErrorBody),
    ))]
pub async fn apply(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    // The body is optional: empty means "all targets, no force".
    let body: ApplyBody = if body.iter().all(u8::is_ascii_whitespace) {
        ApplyBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    let sync = engine()?;
    let results = sync
        .plans(&zone, body.target.as_deref(), Some(body.force))
        .await;
    let status = sync.status(Some(&zone));
    Ok(Json(json!({ "results": results, "status": status })))
}

/// Asks each target's nameservers whether they serve the zone.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/verify", tag = "sync",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "What matches and what does not, per target", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
        (status = 503, description = "No sync engine runs (no targets configured)", body = ErrorBody),
    ))]
pub async fn verify(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, false)?;
    let (zc, z) = state.engine.zone(&zone)?;
    let version = z.current();
    let sync = engine()?;
    let targets: Vec<_> = sync
        .targets()
        .iter()
        .filter(|t| zc.targets.contains(&t.name))
        .cloned()
        .collect();
    let report = crate::sync::verify::verify(&version, &targets).await;
    Ok(Json(
        serde_json::to_value(report).map_err(ApiError::internal)?,
    ))
}

/// Sync status of every (zone, target) the token may read.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Status per (zone, target)", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
        (status = 503, description = "No sync engine runs (no targets configured)", body = ErrorBody),
    ))]
pub async fn status(
    State(_state): State<Arc<ApiState>>,
    Caller(_caller): Caller,
) -> Result<Json<Value>, ApiError> {
    let sync = engine()?;
    Ok(Json(json!({ "status": sync.status(None) })))
}
