//! The control API: REST over HTTP (or HTTPS, see [`tls`]) on `api_listen`
//! (loopback by default). Developers, CI pipelines and the CLI change
//! zones here; it is a second door to the one commit path
//! ([`Engine::commit_with`]), never a parallel one: every write is
//! validated, given a serial by the zone's policy, journaled durably and
//! only then answered, and history attributes it to `token:<name>`.
//!
//! # Layout
//! One file per resource: [`zones`] (list, status), [`rrsets`] (read,
//! atomic PATCH), [`zonefile`] (export/import in BIND format), [`history`]
//! (history, diff, rollback, reload), [`secondaries`] (NOTIFY and
//! transfer status); [`auth`] (tokens, scopes, rates),
//! [`errors`] (the JSON error body and the extractors that produce it),
//! [`openapi`] (the OpenAPI 3.1 document, generated from the handlers'
//! annotations), [`tls`], and `/metrics` from [`crate::metrics`].
//!
//! # Adding endpoints (e.g. the sync routes)
//! Write the handlers in their own file with `#[utoipa::path(...)]`
//! annotations, take [`Caller`] as the first argument (authentication and
//! rate limit) and check its scope (`may_read`/`may_write` of the zone),
//! read bodies with [`errors::Body`] and query strings with
//! [`errors::Params`], and return `Result<Json<T>, ApiError>` with `T:
//! ToSchema`. Then (1) add the routes in [`router`] next to the others, and
//! (2) list the handlers in `paths(...)` of [`openapi::ApiDoc`] (or give
//! the module its own `#[derive(OpenApi)]` and `merge` it in
//! [`openapi::document`]). The contract tests and schemathesis pick the new
//! operations up from the served document.
//!
//! # Limits
//! JSON bodies up to [`JSON_LIMIT`], zone imports up to [`IMPORT_LIMIT`]
//! (413 beyond). Handlers that touch the store run on the blocking pool.

pub mod auth;
pub mod errors;
pub mod history;
pub mod keys;
pub mod openapi;
pub mod rrset_rules;
pub mod rrsets;
pub mod secondaries;
pub mod sync;
pub mod tls;
pub mod token;
pub mod zonefile;
pub mod zones;

use std::sync::Arc;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::commit::{CommitError, Engine};
use crate::config::Config;
use crate::zone::name::Name;
use auth::{Auth, Principal};
use errors::ApiError;

/// Largest JSON request body.
pub const JSON_LIMIT: usize = 1 << 20;
/// Largest zone import (BIND text).
pub const IMPORT_LIMIT: usize = 256 << 20;

/// What the handlers share.
pub struct ApiState {
    pub engine: Arc<Engine>,
    pub auth: Auth,
}

/// The authenticated caller of a request (401/429 when there is none).
pub struct Caller(pub Arc<Principal>);

impl FromRequestParts<Arc<ApiState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, ApiError> {
        state.auth.authenticate(&parts.headers).map(Caller)
    }
}

/// The router of the control API.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/api/v1/health", get(history::health))
        .route("/api/v1/openapi.json", get(openapi::serve_document))
        .route("/api/v1/reload", post(history::reload))
        .route("/api/v1/zones", get(zones::list))
        .route("/api/v1/zones/{zone}", get(zones::status))
        .route(
            "/api/v1/zones/{zone}/rrsets",
            get(rrsets::read).patch(rrsets::patch),
        )
        .route("/api/v1/zones/{zone}/export", get(zonefile::export))
        .route(
            "/api/v1/zones/{zone}/import",
            post(zonefile::import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/api/v1/zones/{zone}/history", get(history::history))
        .route("/api/v1/zones/{zone}/diff", get(history::diff))
        .route("/api/v1/zones/{zone}/rollback", post(history::rollback))
        .route(
            "/api/v1/zones/{zone}/secondaries",
            get(secondaries::secondaries),
        )
        .route("/metrics", get(metrics))
        .merge(sync::routes())
        .merge(keys::routes())
        .fallback(errors::not_found)
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::map_response(count_answer))
        .with_state(state)
}

/// Binds `api_listen` and serves the API (TLS when configured) in the
/// background of the current runtime. The control token is created here.
pub async fn spawn(config: &Config, engine: Arc<Engine>) -> anyhow::Result<()> {
    let control =
        token::load_or_create(&config.server.data_dir).context("writing the control token")?;
    let state = Arc::new(ApiState {
        engine,
        auth: Auth::new(&control, &config.tokens),
    });
    let addr = config.server.api_listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the control API on {addr}"))?;
    let app = router(state);
    match (&config.server.tls_cert, &config.server.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = tls::load(cert, key).await?;
            tokio::spawn(tls::serve(listener, app, tls));
        }
        _ => {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!("control API stopped: {e}");
                }
            });
        }
    }
    Ok(())
}

/// A zone named in a path: 422 when it is no name, 403 when the token does
/// not cover it, 404 when it is not served here.
pub fn zone_for(
    state: &ApiState,
    caller: &Principal,
    zone: &str,
    write: bool,
) -> Result<Name, ApiError> {
    let name: Name = zone
        .parse()
        .map_err(|e| ApiError::invalid("zone", format!("`{zone}`: {e}")))?;
    if write {
        caller.may_write(&name)?;
    } else {
        caller.may_read(&name)?;
    }
    state.engine.zone(&name)?;
    Ok(name)
}

/// Runs store work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// As [`blocking`] for calls that fail with a [`CommitError`].
pub async fn engine_call<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CommitError> + Send + 'static,
) -> Result<T, ApiError> {
    blocking(move || f().map_err(ApiError::from)).await
}

/// `GET /metrics`: Prometheus text format; any valid token (a scraper is
/// given a `read` token).
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "No or unknown token", body = errors::ErrorBody),
        (status = 429, description = "Over the token's rate", body = errors::ErrorBody),
    ))]
pub async fn metrics(State(state): State<Arc<ApiState>>, _caller: Caller) -> impl IntoResponse {
    let text = crate::metrics::render(&state.engine);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        text,
    )
}

/// Counts every answer for `/metrics`.
async fn count_answer(r: axum::response::Response) -> axum::response::Response {
    crate::metrics::api_answer(r.status().as_u16());
    r
}

/// A JSON answer.
pub type ApiResult<T> = Result<Json<T>, ApiError>;
