//! RRsets of a zone: read them, change them atomically.
//!
//! A PATCH is a list of changes, each replacing or deleting one RRset
//! (owner + type), like the PowerDNS API. The whole list becomes one
//! [`Diff`] — only the records that really change, so an unchanged
//! replace costs nothing and journals nothing — committed through
//! [`Engine::commit_with`](crate::commit::Engine::commit_with) with the
//! next serial of the zone's policy. It is decided under the writer lock
//! against the version it applies to, so `if_serial` (the serial the
//! client last saw) is a real compare-and-swap: of concurrent writers
//! holding the same serial exactly one wins, the others get 409.
//!
//! The SOA and the DNSSEC records (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY)
//! belong to the server (serial policy, signer) and cannot be patched.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::errors::{ApiError, Body, ErrorBody, Params};
use super::rrset_rules::{self, Touched};
use super::{blocking, zone_for, ApiResult, ApiState, Caller};
use crate::commit::{now, retarget_soa};
use crate::rdata::RType;
use crate::store::CommitMeta;
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;

/// One RRset.
#[derive(Serialize, ToSchema)]
pub struct RRset {
    /// Owner, absolute (`www.example.com.`).
    pub name: String,
    /// Type mnemonic (`A`, `MX`, `TYPE65400`).
    #[serde(rename = "type")]
    pub rtype: String,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub ttl: u32,
    /// Rdata in presentation format, names absolute.
    pub records: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RRsetList {
    /// The serial these RRsets belong to (pass it as `if_serial`).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: u32,
    pub rrsets: Vec<RRset>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RRsetQuery {
    /// Only this owner (absolute, or relative to the zone).
    pub name: Option<String>,
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub rtype: Option<String>,
}

/// The zone's RRsets, optionally of one owner and/or type.
#[utoipa::path(get, path = "/api/v1/zones/{zone}/rrsets", tag = "rrsets",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex"), RRsetQuery),
    responses(
        (status = 200, description = "RRsets in canonical order", body = RRsetList),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token does not cover the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 422, description = "Invalid zone, name or type", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn read(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Params(q): Params<RRsetQuery>,
) -> ApiResult<RRsetList> {
    let apex = zone_for(&state, &caller, &zone, false)?;
    let name = q
        .name
        .as_deref()
        .map(|n| owner_in(n, &apex, "name"))
        .transpose()?;
    let rtype = q
        .rtype
        .as_deref()
        .map(|t| parse_type(t, "type"))
        .transpose()?;
    let (_, z) = state.engine.zone(&apex)?;
    let version = z.current();
    let list = blocking(move || Ok(collect(&version, name.as_ref(), rtype))).await?;
    Ok(Json(list))
}

fn collect(v: &ZoneVersion, name: Option<&Name>, rtype: Option<RType>) -> RRsetList {
    let mut rrsets: Vec<RRset> = Vec::new();
    let mut push = |owner: Name, set_type: RType, ttl: u32, rdata: &[u8]| {
        let text = crate::rdata::to_text(set_type, rdata).unwrap_or_default();
        match rrsets.last_mut() {
            Some(last) if last.name == owner.to_string() && last.rtype == set_type.to_string() => {
                last.records.push(text)
            }
            _ => rrsets.push(RRset {
                name: owner.to_string(),
                rtype: set_type.to_string(),
                ttl,
                records: vec![text],
            }),
        }
    };
    match name {
        Some(n) => {
            if let Some(node) = v.node(n) {
                let mut sets: Vec<_> = node.rrsets().collect();
                sets.sort_by_key(|s| s.rtype);
                for set in sets
                    .into_iter()
                    .filter(|s| rtype.is_none_or(|t| t == s.rtype))
                {
                    let mut rds: Vec<&[u8]> = set.rdatas().collect();
                    rds.sort_unstable();
                    for rd in rds {
                        push(node.owner(), set.rtype, node.record_ttl(&set, rd), rd);
                    }
                }
            }
        }
        None => {
            for r in v.records_canonical() {
                if rtype.is_none_or(|t| t == r.rtype) {
                    push(r.owner, r.rtype, r.ttl, &r.rdata);
                }
            }
        }
    }
    RRsetList {
        serial: v.serial(),
        rrsets,
    }
}

/// What a change does to its RRset.
#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChangeType {
    /// The RRset becomes exactly `records` with `ttl`.
    Replace,
    /// The RRset goes away (`ttl` and `records` must be absent).
    Delete,
}

/// One RRset change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Owner (absolute, or relative to the zone).
    pub name: String,
    /// Type mnemonic.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub rtype: String,
    /// Required with `replace`; at most 2147483647 (RFC 2181 §8).
    #[schema(maximum = 2147483647)]
    pub ttl: Option<u32>,
    /// Rdata in presentation format; required (non-empty) with `replace`.
    pub records: Option<Vec<String>>,
    pub changetype: ChangeType,
}

/// `PATCH …/rrsets`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    /// Applied together or not at all.
    pub changes: Vec<Change>,
    /// Commit only if the zone is still at this serial (else 409).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub if_serial: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PatchResult {
    /// The zone's serial after the request.
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: u32,
    /// False when the changes were already in place (nothing committed).
    pub changed: bool,
}

/// Replaces or deletes RRsets atomically; durable before it answers.
#[utoipa::path(patch, path = "/api/v1/zones/{zone}/rrsets", tag = "rrsets",
    security(("bearer" = [])),
    params(("zone" = String, Path, description = "Zone apex")),
    request_body = PatchRequest,
    responses(
        (status = 200, description = "Committed (or already so); durable", body = PatchResult),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not change the zone", body = ErrorBody),
        (status = 404, description = "Zone not served here", body = ErrorBody),
        (status = 409, description = "The zone is no longer at `if_serial`", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "Invalid change; the zone is unchanged", body = ErrorBody),
        (status = 429, description = "Over the token's rate", body = ErrorBody),
    ))]
pub async fn patch(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(zone): Path<String>,
    Body(req): Body<PatchRequest>,
) -> ApiResult<PatchResult> {
    let apex = zone_for(&state, &caller, &zone, true)?;
    let wanted = parse_changes(&req.changes, &apex)?;
    let engine = state.engine.clone();
    let who = caller.who();
    let started = std::time::Instant::now();
    let result = blocking(move || {
        let (zc, _) = engine.zone(&apex)?;
        let policy = zc.serial;
        let outcome = engine.commit_with(&apex, |current| {
            // The decision and its refusal travel as the value: an `Err`
            // here would lose the status.
            let decided = decide(current, &wanted, req.if_serial, policy);
            match decided {
                Ok(Some(diff)) => {
                    let serial = diff.serial_to;
                    let meta = CommitMeta { time: now(), who };
                    Ok((
                        vec![(diff, meta)],
                        Ok(PatchResult {
                            serial,
                            changed: true,
                        }),
                    ))
                }
                Ok(None) => Ok((
                    Vec::new(),
                    Ok(PatchResult {
                        serial: current.serial(),
                        changed: false,
                    }),
                )),
                Err(e) => Ok((Vec::new(), Err(e))),
            }
        });
        match outcome {
            Ok(r) => r,
            Err(e) => Err(ApiError::from(e)),
        }
    })
    .await?;
    tracing::debug!(
        micros = started.elapsed().as_micros() as u64,
        serial = result.serial,
        "rrset patch"
    );
    Ok(Json(result))
}

/// A change, parsed: owner, type and the records wanted (empty = delete).
struct Wanted {
    owner: Name,
    rtype: RType,
    ttl: u32,
    rdatas: Vec<Vec<u8>>,
}

fn parse_changes(changes: &[Change], apex: &Name) -> Result<Vec<Wanted>, ApiError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let at = |f: &str| format!("changes[{i}].{f}");
        let owner = owner_in(&c.name, apex, &at("name"))?;
        let rtype = parse_type(&c.rtype, &at("type"))?;
        if rtype == RType::SOA || rtype.is_dnssec() {
            return Err(ApiError::invalid(
                at("type"),
                format!("{rtype} records are managed by the server (serial policy, signer)"),
            ));
        }
        if !seen.insert((owner.to_lowercase(), rtype)) {
            return Err(ApiError::invalid(
                at("name"),
                format!("{owner} {rtype} is changed twice in one request"),
            ));
        }
        let (ttl, rdatas) = match c.changetype {
            ChangeType::Delete => {
                if c.ttl.is_some() || c.records.is_some() {
                    return Err(ApiError::invalid(
                        at("records"),
                        "a delete takes neither `ttl` nor `records`",
                    ));
                }
                (0, Vec::new())
            }
            ChangeType::Replace => {
                let ttl = c
                    .ttl
                    .ok_or_else(|| ApiError::invalid(at("ttl"), "a replace needs a ttl"))?;
                if ttl > i32::MAX as u32 {
                    return Err(ApiError::invalid(
                        at("ttl"),
                        "is above 2147483647 (RFC 2181 §8)",
                    ));
                }
                let records = c.records.as_deref().unwrap_or_default();
                if records.is_empty() {
                    return Err(ApiError::invalid(
                        at("records"),
                        "a replace needs at least one record (use changetype delete)",
                    ));
                }
                let mut rdatas: Vec<Vec<u8>> = Vec::with_capacity(records.len());
                for (j, text) in records.iter().enumerate() {
                    let rd = crate::rdata::from_str(rtype, text, apex).map_err(|e| {
                        ApiError::invalid(
                            format!("changes[{i}].records[{j}]"),
                            format!("`{text}`: {e}"),
                        )
                    })?;
                    if !rdatas.contains(&rd) {
                        rdatas.push(rd);
                    }
                }
                (ttl, rdatas)
            }
        };
        out.push(Wanted {
            owner,
            rtype,
            ttl,
            rdatas,
        });
    }
    if out.is_empty() {
        return Err(ApiError::invalid("changes", "no changes given"));
    }
    Ok(out)
}

/// The diff that makes `current` hold the wanted RRsets, `None` when it
/// already does; an error leaves the zone as it is.
fn decide(
    current: &ZoneVersion,
    wanted: &[Wanted],
    if_serial: Option<u32>,
    policy: crate::zone::serial::SerialPolicy,
) -> Result<Option<Diff>, ApiError> {
    if let Some(expected) = if_serial {
        if expected != current.serial() {
            return Err(ApiError::moved_on(expected, current.serial()));
        }
    }
    let mut diff = Diff::default();
    for w in wanted {
        let mut old: Vec<(u32, Vec<u8>)> = Vec::new();
        if let Some(node) = current.node(&w.owner) {
            if let Some(set) = node.get(w.rtype) {
                for rd in set.rdatas() {
                    old.push((node.record_ttl(&set, rd), rd.to_vec()));
                }
            }
        }
        for (ttl, rd) in &old {
            if *ttl != w.ttl || !w.rdatas.contains(rd) {
                diff.removed
                    .push(Record::new(w.owner.clone(), w.rtype, *ttl, rd.clone()));
            }
        }
        for rd in &w.rdatas {
            if !old.iter().any(|(t, o)| *t == w.ttl && o == rd) {
                diff.added
                    .push(Record::new(w.owner.clone(), w.rtype, w.ttl, rd.clone()));
            }
        }
    }
    if diff.removed.is_empty() && diff.added.is_empty() {
        return Ok(None);
    }
    // Checked here, on the touched owners only, not by applying the diff
    // (the commit applies it once): a broken zone rule (CNAME beside other
    // data, no NS at the apex) is a 422 that names the change.
    let touched: Vec<Touched<'_>> = wanted
        .iter()
        .map(|w| Touched {
            owner: &w.owner,
            rtype: w.rtype,
            records: w.rdatas.len(),
            longest_rdata: w.rdatas.iter().map(Vec::len).max().unwrap_or(0),
        })
        .collect();
    rrset_rules::check(current, &touched)?;
    let serial = policy.next(current.serial(), now());
    retarget_soa(&mut diff, current, serial).map_err(ApiError::from)?;
    Ok(Some(diff))
}

/// An owner name in the zone: absolute, or relative to the apex (`@` is
/// the apex).
pub fn owner_in(text: &str, apex: &Name, field: &str) -> Result<Name, ApiError> {
    let name = if text == "@" {
        apex.clone()
    } else {
        Name::parse(text, Some(apex))
            .map_err(|e| ApiError::invalid(field, format!("`{text}`: {e}")))?
    };
    if !name.is_subdomain_of(apex) {
        return Err(ApiError::invalid(
            field,
            format!("{name} is not in the zone {apex}"),
        ));
    }
    Ok(name)
}

fn parse_type(text: &str, field: &str) -> Result<RType, ApiError> {
    let t = RType::from_mnemonic(text)
        .ok_or_else(|| ApiError::invalid(field, format!("`{text}` is not a record type")))?;
    if t.is_meta() || t.0 == 0 {
        return Err(ApiError::invalid(
            field,
            format!("{t} is a meta type, not stored in zones"),
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::rrset_rules::tests::example_zone;
    use crate::zone::serial::SerialPolicy;

    fn name(s: &str) -> Name {
        s.parse().expect("name")
    }

    fn zone() -> ZoneVersion {
        example_zone(&[
            ("example.com", RType::NS, rdata(RType::NS)),
            ("www.example.com", RType::A, rdata(RType::A)),
            ("alias.example.com", RType::CNAME, rdata(RType::CNAME)),
        ])
    }

    fn rdata(t: RType) -> Vec<u8> {
        match t {
            RType::A => vec![192, 0, 2, 9],
            RType::TXT => b"\x03abc".to_vec(),
            _ => name("www.example.com").as_wire().to_vec(),
        }
    }

    /// What the PATCH did before: apply the whole diff, then the CNAME
    /// rule on the result.
    fn by_applying(current: &ZoneVersion, diff: &Diff, wanted: &[Wanted]) -> bool {
        let Ok(next) = current.apply(diff) else {
            return false;
        };
        wanted.iter().all(|w| {
            next.node(&w.owner).is_none_or(|n| {
                !n.has(RType::CNAME)
                    || n.rrsets()
                        .all(|s| s.rtype == RType::CNAME || s.rtype.is_dnssec())
            })
        })
    }

    /// The owner-local check accepts exactly what applying the diff did,
    /// over every pair of changes on a few owners and types.
    #[test]
    fn local_rules_match_applying_the_diff() {
        let z = zone();
        let owners = [
            "example.com",
            "www.example.com",
            "alias.example.com",
            "new.example.com",
        ];
        let types = [RType::A, RType::CNAME, RType::NS, RType::TXT];
        let mut singles = Vec::new();
        for o in owners {
            for t in types {
                for ttl in [0, 300, 600] {
                    singles.push((o, t, ttl));
                }
            }
        }
        let make = |(o, t, ttl): (&str, RType, u32)| Wanted {
            owner: name(o),
            rtype: t,
            ttl,
            rdatas: if ttl == 0 { Vec::new() } else { vec![rdata(t)] },
        };
        let mut checked = (0, 0);
        for (i, a) in singles.iter().enumerate() {
            for b in singles.iter().skip(i) {
                let mut wanted = vec![make(*a)];
                if (a.0, a.1) != (b.0, b.1) {
                    wanted.push(make(*b));
                }
                match decide(&z, &wanted, None, SerialPolicy::Increment) {
                    Ok(None) => {}
                    Ok(Some(diff)) => {
                        assert!(by_applying(&z, &diff, &wanted), "{a:?} {b:?} accepted");
                        checked.0 += 1;
                    }
                    Err(e) => {
                        let mut diff = Diff::default();
                        // The same diff, built without the check.
                        for w in &wanted {
                            if let Some(set) = z.node(&w.owner).and_then(|n| n.get(w.rtype)) {
                                for rd in set.rdatas() {
                                    diff.removed.push(Record::new(
                                        w.owner.clone(),
                                        w.rtype,
                                        set.ttl,
                                        rd,
                                    ));
                                }
                            }
                            for rd in &w.rdatas {
                                diff.added.push(Record::new(
                                    w.owner.clone(),
                                    w.rtype,
                                    w.ttl,
                                    rd.clone(),
                                ));
                            }
                        }
                        retarget_soa(&mut diff, &z, z.serial() + 1).expect("soa");
                        assert!(
                            !by_applying(&z, &diff, &wanted),
                            "{a:?} {b:?} refused: {:?}",
                            e.body
                        );
                        assert_eq!(e.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
                        checked.1 += 1;
                    }
                }
            }
        }
        assert!(checked.0 > 100 && checked.1 > 100, "{checked:?}");
    }
}
