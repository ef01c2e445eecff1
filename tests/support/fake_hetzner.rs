//! A fake of Hetzner Cloud DNS (`api.hetzner.cloud/v1`), from its
//! documented shapes: `Authorization: Bearer` (401 with
//! `{"error": {"code": "unauthorized", …}}` otherwise), RRsets `{name,
//! type, ttl, records: [{value, comment}]}` with `@` for the apex, pages
//! (`page`, `per_page` default 25, at most 100, `meta.pagination`),
//! `POST /zones/{z}/rrsets` (409 `uniqueness_error` when the RRset
//! exists), `DELETE …/rrsets/{name}/{type}`, the actions `set_records` and
//! `change_ttl` answered `running` and finished on `GET /actions/{id}`,
//! TTL below 60 refused with 422 `invalid_input`. On demand: 429 with
//! Retry-After, 500 before and after a write.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::fake_kit::{FakeServer, Faults, Gate, Page, Replies, RrsetStore, Rrsets};
use crate::pass_gate;

pub const TOKEN: &str = "hetzner-cloud-test-token";

#[derive(Default)]
pub struct HetznerState {
    pub zone: String,
    /// (name, type) -> (ttl, values as sent)
    pub rrsets: Rrsets,
    /// Auth and fault injection switches and counters.
    pub gate: Faults,
    pub max_page: u64,
    pub next_action: u64,
    /// Actions polled through `GET /actions/{id}`.
    pub actions_polled: u64,
}

pub type FakeHetzner = FakeServer<HetznerState>;

impl FakeHetzner {
    pub fn start(zone: &str) -> FakeHetzner {
        let state = HetznerState {
            zone: zone.to_string(),
            ..HetznerState::default()
        };
        FakeServer::serve(state, "/v1", |state, _| {
            Router::new()
                .route("/v1/zones/{z}/rrsets", get(list).post(create))
                .route("/v1/zones/{z}/rrsets/{name}/{t}", delete(remove))
                .route("/v1/zones/{z}/rrsets/{name}/{t}/actions/{a}", post(action))
                .route("/v1/actions/{id}", get(get_action))
                .with_state(state)
        })
    }
}

impl RrsetStore for HetznerState {
    fn rrsets(&self) -> &Rrsets {
        &self.rrsets
    }
}

type Shared = Arc<Mutex<HetznerState>>;

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message, "details": {}}})),
    )
        .into_response()
}

/// Bearer auth and faults, in Hetzner's words.
fn gate(st: &mut HetznerState, headers: &HeaderMap, write: bool) -> Gate {
    st.gate.gate(
        headers,
        write,
        &Replies {
            authorization: format!("Bearer {TOKEN}"),
            refused: || {
                err(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "unable to authenticate",
                )
            },
            throttled: || {
                err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_exceeded",
                    "limit of 3600 requests per hour reached",
                )
            },
            retry_after: "1",
            server_error,
        },
    )
}

fn server_error() -> Response {
    err(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "Error while handling your request",
    )
}

fn no_zone() -> Response {
    err(StatusCode::NOT_FOUND, "not_found", "zone not found")
}

fn new_action(st: &mut HetznerState, command: &str) -> Value {
    st.next_action += 1;
    json!({"id": st.next_action, "command": command, "status": "running", "progress": 0,
           "started": "2026-01-01T00:00:00+00:00", "finished": null, "resources": [], "error": null})
}

fn rrset_json(name: &str, t: &str, ttl: u64, vals: &[String]) -> Value {
    let records: Vec<Value> = vals
        .iter()
        .map(|v| json!({"value": v, "comment": null}))
        .collect();
    json!({"id": format!("{name}/{t}"), "name": name, "type": t, "ttl": ttl,
           "labels": {}, "protection": {"change": false}, "records": records})
}

async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(z): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, false));
    if z != st.zone {
        return no_zone();
    }
    let asked = Page::asked(&q, 25);
    let (page, per_page) = (asked.number, asked.size);
    if !(1..=100).contains(&per_page) {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "per_page must be between 1 and 100",
        );
    }
    st.max_page = st.max_page.max(page as u64);
    let total = st.rrsets.len();
    let last_page = asked.last(total);
    let items: Vec<Value> = asked
        .of(st.rrsets.iter())
        .map(|((n, t), (ttl, vals))| rrset_json(n, t, *ttl, vals))
        .collect();
    let next = (page < last_page).then_some(page + 1);
    let prev = (page > 1).then(|| page - 1);
    Json(json!({"rrsets": items, "meta": {"pagination": {
        "page": page, "per_page": per_page, "previous_page": prev, "next_page": next,
        "last_page": last_page, "total_entries": total}}}))
    .into_response()
}

fn values(body: &Value) -> Option<Vec<String>> {
    body["records"].as_array().map(|a| {
        a.iter()
            .filter_map(|r| r["value"].as_str().map(str::to_string))
            .collect()
    })
}

async fn create(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(z): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if z != st.zone {
        return no_zone();
    }
    let (Some(name), Some(t), Some(vals)) = (
        body["name"].as_str().map(str::to_string),
        body["type"].as_str().map(str::to_string),
        values(&body),
    ) else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "invalid input in fields 'name', 'type', 'records'",
        );
    };
    let ttl = body["ttl"].as_u64().unwrap_or(3600);
    if ttl < 60 {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "invalid input in field 'ttl'",
        );
    }
    if st.rrsets.contains_key(&(name.clone(), t.clone())) {
        return err(
            StatusCode::CONFLICT,
            "uniqueness_error",
            "rrset with the same name and type already exists",
        );
    }
    st.rrsets
        .insert((name.clone(), t.clone()), (ttl, vals.clone()));
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    let action = new_action(&mut st, "create_rrset");
    (
        StatusCode::CREATED,
        Json(json!({"rrset": rrset_json(&name, &t, ttl, &vals), "action": action})),
    )
        .into_response()
}

async fn remove(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((z, name, t)): Path<(String, String, String)>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if z != st.zone {
        return no_zone();
    }
    if st.rrsets.remove(&(name, t)).is_none() {
        return err(StatusCode::NOT_FOUND, "not_found", "rrset not found");
    }
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    let action = new_action(&mut st, "delete_rrset");
    (StatusCode::CREATED, Json(json!({ "action": action }))).into_response()
}

async fn action(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((z, name, t, a)): Path<(String, String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if z != st.zone {
        return no_zone();
    }
    let key = (name, t);
    let Some(entry) = st.rrsets.get_mut(&key) else {
        return err(StatusCode::NOT_FOUND, "not_found", "rrset not found");
    };
    match a.as_str() {
        "set_records" => match values(&body) {
            Some(v) if !v.is_empty() => entry.1 = v,
            _ => {
                return err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    "invalid input in field 'records'",
                )
            }
        },
        "change_ttl" => match body["ttl"].as_u64() {
            Some(ttl) if ttl >= 60 => entry.0 = ttl,
            _ => {
                return err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    "invalid input in field 'ttl'",
                )
            }
        },
        _ => return err(StatusCode::NOT_FOUND, "not_found", "action not found"),
    }
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    let action = new_action(&mut st, &a);
    (StatusCode::CREATED, Json(json!({ "action": action }))).into_response()
}

async fn get_action(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, false));
    if id == 0 || id > st.next_action {
        return err(StatusCode::NOT_FOUND, "not_found", "action not found");
    }
    st.actions_polled += 1;
    Json(
        json!({"action": {"id": id, "command": "set_records", "status": "success", "progress": 100,
        "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:00:01+00:00",
        "resources": [], "error": null}}),
    )
    .into_response()
}
