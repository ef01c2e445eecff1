//! Control API routes of DNSSEC: the key list with each key's role and
//! state, rollovers, DS seen at the parent, going insecure, and a full
//! signing pass on demand. (The signed zone as text is `…/export`.)

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::errors::{Body, ErrorBody};
use super::{engine_call, zone_for, ApiError, ApiState, Caller};
use crate::commit::{CommitError, Engine};
use crate::dnssec::kasp::RollKind;
use crate::dnssec::SignedZone;
use crate::zone::name::Name;

/// The DNSSEC routes (merged into the main router).
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/v1/zones/{zone}/keys", get(list))
        .route("/api/v1/zones/{zone}/keys/resign", post(resign))
        .route("/api/v1/zones/{zone}/keys/rollover", post(rollover))
        .route("/api/v1/zones/{zone}/keys/ds-seen", post(ds_seen))
        .route("/api/v1/zones/{zone}/keys/unsign", post(unsign))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloverBody {
    /// `zsk`, `ksk`, or `csk` (for a policy with `csk = true`).
    kind: String,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DsSeenBody {
    tag: u16,
}

/// Runs `f` on the zone's signing state under its lock, then commits a
/// full signing pass (the key records changed).
fn with_signed_zone<T>(
    engine: &Engine,
    zone: &Name,
    f: impl FnOnce(&mut SignedZone) -> Result<T, String>,
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

/// Runs `step` on the signed `zone` (access already checked) off the async
/// threads, as [`with_signed_zone`] does; returns its result and the serial
/// of the signing pass after it.
async fn signed_step<T: Send + 'static>(
    state: &ApiState,
    zone: Name,
    step: impl FnOnce(&Engine, &Name, &mut SignedZone) -> Result<T, String> + Send + 'static,
) -> Result<(T, u32), ApiError> {
    let engine = state.engine.clone();
    engine_call(move || with_signed_zone(&engine, &zone, |s| step(&engine, &zone, s))).await
}

/// The error answers every key step below documents (all but `list`,
/// whose 403 reads differently). Only for the OpenAPI document: the
/// answers themselves are `ApiError`s.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only, never built
enum StepErrors {
    #[response(status = 401, description = "No or unknown token")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "The token may not write the zone")]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "Zone not served here")]
    NotServed(ErrorBody),
    #[response(
        status = 409,
        description = "The zone is not signed, or the step does not apply now"
    )]
    NotNow(ErrorBody),
    #[response(status = 422, description = "Invalid zone name or body")]
    Invalid(ErrorBody),
    #[response(status = 429, description = "Over the token's rate")]
    OverRate(ErrorBody),
}

/// What a step with a JSON body adds to [`StepErrors`].
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only, never built
enum BodyErrors {
    #[response(status = 413, description = "Body too large")]
    TooLarge(ErrorBody),
    #[response(status = 415, description = "Not JSON")]
    NotJson(ErrorBody),
}

/// Starts a ZSK, KSK or CSK rollover now.
#[utoipa::path(post, path = "/api/v1/zones/{zone}/keys/rollover", tag = "dnssec",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    request_body = RolloverBody,
    responses(
        (status = 200, description = "The new key's tag and the serial that publishes it", body = Object),
        StepErrors,
        BodyErrors,
    ))]
pub async fn rollover(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Body(body): Body<RolloverBody>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    let kind = match body.kind.as_str() {
        "ksk" => RollKind::Ksk,
        "zsk" => RollKind::Zsk,
        "csk" => RollKind::Csk,
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("`{other}` is not zsk, ksk or csk"),
            ))
        }
    };
    let (tag, serial) = signed_step(&state, zone, move |engine, zone, s| {
        let now = engine.dnssec().clock.now();
        crate::signing::start_roll(engine, zone, s, kind, now)
    })
    .await?;
    Ok(Json(json!({ "new_key": tag, "serial": serial })))
}

/// The parent serves the DS of a new KSK: its rollover may go on.
#[utoipa::path(post, path = "/api/v1/zones/{zone}/keys/ds-seen", tag = "dnssec",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    request_body = DsSeenBody,
    responses(
        (status = 200, description = "The serial that records it", body = Object),
        StepErrors,
        BodyErrors,
    ))]
pub async fn ds_seen(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Body(body): Body<DsSeenBody>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    let ((), serial) = signed_step(&state, zone, move |engine, zone, s| {
        crate::signing::ds_seen(engine, zone, s, body.tag)
    })
    .await?;
    Ok(Json(json!({ "serial": serial })))
}

/// Each key: tag, algorithm, role, whether published and signing, and the
/// zone's next signing event (Unix time).
#[utoipa::path(get, path = "/api/v1/zones/{zone}/keys", tag = "dnssec",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "Keys, states and the next events", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 409, description = "The zone is not signed, or the step does not apply now", body = ErrorBody),
        (status = 422, description = "Invalid zone name or body", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, false)?;
    let engine = state.engine.clone();
    let body = engine_call(move || {
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
    Ok(Json(body))
}

/// Commits a full signing pass now; answers with the new serial.
#[utoipa::path(post, path = "/api/v1/zones/{zone}/keys/resign", tag = "dnssec",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "The new serial", body = Object),
        StepErrors,
    ))]
pub async fn resign(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    let engine = state.engine.clone();
    let serial = engine_call(move || crate::signing::resign(&engine, &zone)).await?;
    Ok(Json(json!({ "serial": serial })))
}

/// Starts taking the zone insecure: CDS/CDNSKEY delete are published; the
/// records go after `ds-seen` with tag 0 and the parent's DS TTL.
#[utoipa::path(post, path = "/api/v1/zones/{zone}/keys/unsign", tag = "dnssec",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "The serial that publishes CDS/CDNSKEY delete", body = Object),
        StepErrors,
    ))]
pub async fn unsign(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = zone_for(&state, &caller, &zone, true)?;
    let ((), serial) = signed_step(&state, zone, crate::signing::unsign).await?;
    Ok(Json(json!({ "serial": serial })))
}
