//! A zone as BIND text: export the current version, import a new one.
//!
//! An import states the whole zone as it should be. Its difference to the
//! current version becomes one diff committed through the commit path
//! (attributed to the token), or with `dry_run=true` is only returned. The
//! SOA's fields come from the text, its serial from the zone's policy (the
//! text's serial is ignored: serials only move forward, by policy).
//! `$INCLUDE` is refused: it would let a caller read the server's files.

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::errors::{too_large, ApiError, ErrorBody, Params};
use super::{blocking, zone_for, ApiState, Caller};
use crate::commit::{now, retarget_soa, with_serial};
use crate::rdata::Class;
use crate::store::CommitMeta;
use crate::zone::builder::ZoneBuilder;
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::version::ZoneVersion;
use crate::zonefile::{parse_str, ParseOptions};

/// The current zone in BIND format (one self-contained line per record).
#[utoipa::path(get, path = "/api/v1/zones/{zone}/export", tag = "zonefile",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    responses(
        (status = 200, description = "The zone, SOA first", body = String, content_type = "text/dns"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone name", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let apex = zone_for(&state, &caller, &zone, false)?;
    let (_, z) = state.engine.zone(&apex)?;
    let version = z.current();
    let text = blocking(move || {
        let records = version.records_canonical();
        let mut out = Vec::new();
        crate::zonefile::write_zone(&mut out, version.apex(), records.iter())
            .map_err(ApiError::internal)?;
        String::from_utf8(out).map_err(ApiError::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/dns; charset=utf-8")], text))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Only compute and return the change.
    pub dry_run: Option<bool>,
}

/// What an import changes (or changed).
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub dry_run: bool,
    /// False when the text equals the zone as served (nothing committed).
    pub changed: bool,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial_from: u32,
    /// The serial after the import (with `dry_run`: the one it would get).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial_to: u32,
    /// Records removed, zone-file form (SOA included).
    pub removed: Vec<String>,
    /// Records added, zone-file form (SOA included).
    pub added: Vec<String>,
}

/// Replaces the zone's contents with BIND text (the diff is committed).
#[utoipa::path(post, path = "/api/v1/zones/{zone}/import", tag = "zonefile",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex"), ImportQuery),
    request_body(content = String, content_type = "text/dns", description = "The whole zone in BIND format; names relative to the apex"),
    responses(
        (status = 200, description = "Committed and durable, or computed (dry_run)", body = ImportResult),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not change the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "The text is no valid zone; the zone is unchanged", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Params(q): Params<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportResult>, ApiError> {
    let dry_run = q.dry_run.unwrap_or(false);
    let apex = zone_for(&state, &caller, &zone, !dry_run)?;
    let body = body.map_err(|rej| {
        if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(rej.status(), rej.body_text())
        }
    })?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid("body", "the zone text is not UTF-8"))?;
    let engine = state.engine.clone();
    let who = caller.who();
    blocking(move || {
        let imported = parse_import(&text, &apex)?;
        let (zc, _) = engine.zone(&apex)?;
        let policy = zc.serial;
        let outcome = engine.commit_with(&apex, |current| {
            let diff = match import_diff(current, &imported, policy) {
                Ok(d) => d,
                Err(e) => return Ok((Vec::new(), Err(e))),
            };
            let result = describe(current, diff.as_ref(), dry_run);
            match diff {
                Some(d) if !dry_run => {
                    let meta = CommitMeta { time: now(), who };
                    Ok((vec![(d, meta)], Ok(result)))
                }
                _ => Ok((Vec::new(), Ok(result))),
            }
        });
        outcome.map_err(ApiError::from)?
    })
    .await
    .map(Json)
}

/// The zone the text describes.
fn parse_import(text: &str, apex: &Name) -> Result<ZoneVersion, ApiError> {
    if text
        .lines()
        .any(|l| l.trim_start().to_ascii_uppercase().starts_with("$INCLUDE"))
    {
        return Err(ApiError::invalid(
            "body",
            "$INCLUDE is not allowed in an import",
        ));
    }
    let mut builder = ZoneBuilder::new(apex.clone(), Class::IN);
    let mut errors: Vec<String> = Vec::new();
    let parsed = parse_str(
        text,
        FsPath::new("import"),
        &ParseOptions::new(apex.clone()),
        &mut |rec, _pos| builder.add(rec).map(|_| ()),
    );
    if let Err(errs) = parsed {
        errors.extend(errs.iter().take(10).map(|e| e.to_string()));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid("body", errors.join("; ")));
    }
    builder
        .finish()
        .map_err(|e| ApiError::invalid("body", e.to_string()))
}

/// The diff from `current` to the imported zone, the SOA serial set by
/// policy; `None` when nothing but the serial differs.
fn import_diff(
    current: &ZoneVersion,
    imported: &ZoneVersion,
    policy: crate::zone::serial::SerialPolicy,
) -> Result<Option<Diff>, ApiError> {
    let mut diff = Diff::between(current, imported);
    let soa_of = |v: &ZoneVersion| {
        v.soa()
            .and_then(|s| s.first().map(|rd| (s.ttl, rd.to_vec())))
    };
    let same_soa = match (soa_of(current), soa_of(imported)) {
        (Some((t1, a)), Some((t2, b))) => {
            t1 == t2 && with_serial(&b, current.serial()).is_ok_and(|b| b == a)
        }
        _ => false,
    };
    if diff.is_empty() && same_soa {
        return Ok(None);
    }
    retarget_soa(&mut diff, current, policy.next(current.serial(), now()))
        .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    current
        .apply(&diff)
        .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    Ok(Some(diff))
}

fn describe(current: &ZoneVersion, diff: Option<&Diff>, dry_run: bool) -> ImportResult {
    let lines = |records: &[crate::zone::record::Record]| {
        records
            .iter()
            .map(|r| {
                let mut s = String::new();
                crate::zonefile::write_record(&mut s, &r.owner, r.ttl, r.class, r.rtype, &r.rdata);
                s.trim_end().to_string()
            })
            .collect::<Vec<_>>()
    };
    match diff {
        Some(d) => ImportResult {
            dry_run,
            changed: true,
            serial_from: d.serial_from,
            serial_to: d.serial_to,
            removed: lines(&d.removed),
            added: lines(&d.added),
        },
        None => ImportResult {
            dry_run,
            changed: false,
            serial_from: current.serial(),
            serial_to: current.serial(),
            removed: Vec::new(),
            added: Vec::new(),
        },
    }
}
