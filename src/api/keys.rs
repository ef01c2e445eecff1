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
        .route("/api/v1/zones/{zone}/keys/rollover", post(rollover))
        .route("/api/v1/zones/{zone}/keys/ds-seen", post(ds_seen))
        .route("/api/v1/zones/{zone}/keys/unsign", post(unsign))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloverBody {
    /// `zsk` or `ksk`.
    kind: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DsSeenBody {
    tag: u16,
}

/// Runs `f` on the zone's signing state under its lock, then commits a
/// full signing pass (the key records changed).
fn with_signed_zone<T>(
    engine: &crate::commit::Engine,
    zone: &crate::zone::name::Name,
    f: impl FnOnce(&mut crate::dnssec::SignedZone) -> Result<T, String>,
) -> Result<(T, u32), CommitError> {
    engine.zone(zone)?;
    let state = engine
        .dnssec()
        .zone(zone)
        .ok_or_else(|| CommitError::Invalid(format!("zone {zone} is not signed")))?;
    let out = {
        let mut s = state
            .lock()
            .map_err(|_| CommitError::Invalid("signer lock poisoned".into()))?;
        f(&mut s).map_err(CommitError::Invalid)?
    };
    let serial = crate::signing::resign(engine, zone)?;
    Ok((out, serial))
}

/// Starts a ZSK or KSK rollover now.
async fn rollover(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Json(body): Json<RolloverBody>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let ksk = match body.kind.as_str() {
        "ksk" => true,
        "zsk" => false,
        other => {
            return Err(ApiError(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("kind `{other}` is not zsk or ksk"),
            ))
        }
    };
    let engine = state.engine.clone();
    let (tag, serial) = blocking(move || {
        let now = engine.dnssec().clock.now();
        with_signed_zone(&engine, &zone, |s| {
            crate::signing::start_roll(&engine, &zone, s, ksk, now)
        })
    })
    .await?;
    Ok(Json(json!({ "new_key": tag, "serial": serial })).into_response())
}

/// The parent serves the DS of a new KSK: its rollover may go on.
async fn ds_seen(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    Json(body): Json<DsSeenBody>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let ((), serial) = blocking(move || {
        with_signed_zone(&engine, &zone, |s| {
            crate::signing::ds_seen(&engine, &zone, s, body.tag)
        })
    })
    .await?;
    Ok(Json(json!({ "serial": serial })).into_response())
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
        let refresh_at = s
            .signer
            .earliest_expiration
            .map(|e| (e as u64).saturating_sub(refresh));
        let mut events: Vec<(u64, String)> = Vec::new();
        if let Some(t) = refresh_at {
            events.push((t, "signature refresh".into()));
        }
        for r in &s.kasp.rolls {
            if let Some(t) = r.due() {
                events.push((t, r.describe()));
            }
        }
        if let Some(t) = s.kasp.zsk_expiry(&s.signer.policy) {
            events.push((t, "ZSK lifetime ends: rollover starts".into()));
        }
        events.sort();
        let waiting: Vec<String> = s
            .kasp
            .rolls
            .iter()
            .filter(|r| r.due().is_none())
            .map(|r| r.describe())
            .collect();
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
            "next_event": events.first().map(|(t, w)| json!({"time": t, "what": w})),
            "events": events.iter().map(|(t, w)| json!({"time": t, "what": w})).collect::<Vec<_>>(),
            "waiting": waiting,
            "unsign": s.kasp.unsign.map(|u| format!("{u:?}")),
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

/// Starts taking the zone insecure: CDS/CDNSKEY delete are published; the
/// records go after `ds-seen` with tag 0 and the parent's DS TTL.
async fn unsign(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(zone): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let zone = zone_name(&zone)?;
    let engine = state.engine.clone();
    let ((), serial) = blocking(move || {
        with_signed_zone(&engine, &zone, |s| {
            crate::signing::unsign(&engine, &zone, s)
        })
    })
    .await?;
    Ok(Json(json!({ "serial": serial })).into_response())
}
