//! Control API routes of DNSSEC: the served (signed) zone as text, the key
//! list with each key's role and state, and a full signing pass on demand.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::{authorize, blocking, zone_name, ApiError, ApiState};
use crate::commit::CommitError;

/// The DNSSEC routes (merged into the main router).
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/v1/zones/{zone}/export", get(export))
        .route("/api/v1/zones/{zone}/keys", get(list))
        .route("/api/v1/zones/{zone}/keys/resign", post(resign))
}

/// The zone as served now, in BIND format (signed if signed).
async fn export(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let text = blocking(move || {
        let (_, z) = engine.zone(&zone)?;
        let version = z.current();
        let records = version.records_canonical();
        let mut out = Vec::new();
        crate::zonefile::write_zone(&mut out, version.apex(), records.iter())
            .map_err(|e| CommitError::Invalid(e.to_string()))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    })
    .await?;
    Ok(text.into_response())
}

/// Each key: tag, algorithm, role, whether published and signing, and the
/// zone's next signing event (Unix time).
async fn list(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let body = blocking(move || {
        engine.zone(&zone)?;
        let state = engine
            .dnssec()
            .zone(&zone)
            .ok_or_else(|| CommitError::Invalid(format!("zone {zone} is not signed")))?;
        let s = state
            .lock()
            .map_err(|_| CommitError::Invalid("signer lock poisoned".into()))?;
        let refresh = s.signer.policy.rrsig_refresh;
        let next = s
            .signer
            .earliest_expiration
            .map(|e| (e as u64).saturating_sub(refresh));
        let keys: Vec<_> = s
            .signer
            .keys
            .iter()
            .map(|k| {
                json!({
                    "tag": k.pair.key_tag(),
                    "algorithm": k.pair.algorithm.mnemonic(),
                    "role": format!("{:?}", k.role).to_uppercase(),
                    "published": k.published,
                    "signing": k.signing,
                    "cds": k.cds,
                })
            })
            .collect();
        Ok(json!({
            "zone": zone.to_string(),
            "policy": s.signer.policy.name,
            "keys": keys,
            "next_event": next.map(|t| json!({"time": t, "what": "signature refresh"})),
            "now": engine.dnssec().clock.now(),
        }))
    })
    .await?;
    Ok(Json(body).into_response())
}

/// Commits a full signing pass now; answers with the new serial.
async fn resign(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let serial = blocking(move || crate::signing::resign(&engine, &zone)).await?;
    Ok(Json(json!({ "serial": serial })).into_response())
}
