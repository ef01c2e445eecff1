//! The control API: an HTTP endpoint on `api_listen` (loopback by default)
//! through which the CLI acts on the running server — history, diffs,
//! rollback, reload. Every request but `/api/v1/health` needs the bearer
//! token the server writes to `data_dir/control.token` (mode 0600) on its
//! first start; whoever can read that file may control the server.
//!
//! Handlers only translate HTTP to calls of the commit [`Engine`] (which
//! does blocking disk work, so it runs on the blocking pool) and errors to
//! status codes with a JSON body naming the problem.

pub mod keys;
pub mod token;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::commit::{CommitError, Engine};
use crate::zone::name::Name;

/// What the handlers share.
pub struct ApiState {
    pub engine: Arc<Engine>,
    pub token: String,
}

/// The router of the control API.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route(
            "/api/v1/health",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
        .route("/api/v1/reload", post(reload))
        .route("/api/v1/zones/{zone}/history", get(history))
        .route("/api/v1/zones/{zone}/diff", get(diff))
        .route("/api/v1/zones/{zone}/rollback", post(rollback))
        .merge(keys::routes())
        .with_state(state)
}

/// Serves the API until the runtime stops.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<ApiState>) {
    if let Err(e) = axum::serve(listener, router(state)).await {
        tracing::error!("control API stopped: {e}");
    }
}

/// An error answer: status and a JSON body `{"error": "..."}`.
struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<CommitError> for ApiError {
    fn from(e: CommitError) -> ApiError {
        let status = match &e {
            CommitError::UnknownZone(_) => StatusCode::NOT_FOUND,
            CommitError::OutOfReach { .. } | CommitError::Invalid(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

fn authorize(state: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if token::same(given, &state.token) {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (see data_dir/control.token)".into(),
        ))
    }
}

fn zone_name(zone: &str) -> Result<Name, ApiError> {
    zone.parse().map_err(|e| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("zone `{zone}`: {e}"),
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CommitError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(ApiError::from)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    limit: Option<usize>,
}

async fn history(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let limit = q.limit.unwrap_or(100);
    let entries = blocking(move || engine.history(&zone, limit)).await?;
    let list: Vec<_> = entries
        .iter()
        .map(|e| {
            json!({"serial_from": e.serial_from, "serial_to": e.serial_to, "time": e.time,
                   "who": e.who, "added": e.added, "removed": e.removed})
        })
        .collect();
    Ok(Json(json!({ "history": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: u32,
    to: u32,
}

async fn diff(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let diffs = blocking(move || engine.diffs(&zone, q.from, q.to)).await?;
    Ok(crate::zone::diff::listing(&diffs).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    to: u32,
}

async fn rollback(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Json(body): Json<RollbackBody>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let serial = blocking(move || engine.rollback(&zone, body.to, "rollback")).await?;
    Ok(Json(json!({ "serial": serial })).into_response())
}

async fn reload(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let engine = state.engine.clone();
    let report = blocking(move || Ok(engine.reload())).await?;
    Ok(Json(json!({ "report": report })).into_response())
}
