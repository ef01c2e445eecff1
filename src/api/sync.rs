//! Sync routes of the control API: plans and status per target, apply now
//! (with `force` past the safety threshold), verification over DNS.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{authorize, zone_name, ApiError, ApiState};
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
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the sync engine is not running".into(),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetQuery {
    target: Option<String>,
}

async fn plan(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Query(q): Query<TargetQuery>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    state.engine.zone(&zone)?;
    let sync = engine()?;
    let plans = sync.plans(&zone, q.target.as_deref(), None).await;
    let status = sync.status(Some(&zone));
    Ok(Json(json!({ "plans": plans, "status": status })).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ApplyBody {
    #[serde(default)]
    force: bool,
    target: Option<String>,
}

async fn apply(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    body: Option<Json<ApplyBody>>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    state.engine.zone(&zone)?;
    let body = body.map(|b| b.0).unwrap_or_default();
    let sync = engine()?;
    let results = sync
        .plans(&zone, body.target.as_deref(), Some(body.force))
        .await;
    let status = sync.status(Some(&zone));
    Ok(Json(json!({ "results": results, "status": status })).into_response())
}

async fn verify(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
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
    Ok(Json(report).into_response())
}

async fn status(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let sync = engine()?;
    Ok(Json(json!({ "status": sync.status(None) })).into_response())
}
