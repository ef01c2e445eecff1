//! `GET /api/v1/zones/{zone}/secondaries`: what each secondary was told
//! (NOTIFY) and what it transferred (see `server::xfr::status`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use super::errors::ErrorBody;
use super::{zone_for, ApiResult, ApiState, Caller};
use crate::server::xfr::status::ZoneSecondaries;

/// NOTIFY and transfer status of the zone's secondaries.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/secondaries", tag = "zones",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "Per NOTIFY target and per transfer source", body = ZoneSecondaries),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn secondaries(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> ApiResult<ZoneSecondaries> {
    let name = zone_for(&state, &caller, &zone, false)?;
    Ok(Json(state.engine.secondaries().zone(&name)))
}
