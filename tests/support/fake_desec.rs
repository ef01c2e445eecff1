//! A fake of deSEC's API (`/api/v1`), from its documented shapes:
//! `Authorization: Token` (401 `{"detail": "Invalid token."}` otherwise),
//! RRsets `{subname, type, ttl, records}`, cursor pagination of 500 RRsets
//! with `Link` headers (an un-cursored list of more than 500 is refused
//! with 400 and a `Link` to the first page), atomic bulk PATCH where
//! `records: []` deletes, `minimum_ttl` 3600 enforced with a 400, and on
//! demand 429 with `Retry-After` and the documented throttle message, 500
//! before and after a write.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::fake_kit::{FakeServer, Faults, Gate, Replies, RrsetStore, Rrsets};
use crate::pass_gate;

pub const TOKEN: &str = "desec-test-token";
const PAGE: usize = 500;

#[derive(Default)]
pub struct DesecState {
    pub domain: String,
    /// (subname, type) -> (ttl, records)
    pub rrsets: Rrsets,
    /// Auth and fault injection switches and counters.
    pub gate: Faults,
    pub pages_served: u64,
}

pub type FakeDesec = FakeServer<DesecState>;

impl FakeDesec {
    pub fn start(domain: &str) -> FakeDesec {
        let state = DesecState {
            domain: domain.to_string(),
            ..DesecState::default()
        };
        // The port is in the state: `Link` headers carry absolute URLs.
        FakeServer::serve(state, "/api/v1", |state, port| {
            Router::new()
                .route("/api/v1/domains/{d}/rrsets/", get(list).patch(patch))
                .with_state((state, port))
        })
    }
}

impl RrsetStore for DesecState {
    fn rrsets(&self) -> &Rrsets {
        &self.rrsets
    }
}

type Shared = (Arc<Mutex<DesecState>>, u16);

fn detail(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "detail": text }))).into_response()
}

/// Token auth and faults, in deSEC's words (its 500 is an HTML page).
fn gate(st: &mut DesecState, headers: &HeaderMap, write: bool) -> Gate {
    st.gate.gate(
        headers,
        write,
        &Replies {
            authorization: format!("Token {TOKEN}"),
            refused: || detail(StatusCode::UNAUTHORIZED, "Invalid token."),
            throttled: || {
                detail(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Request was throttled. Expected available in 1 second.",
                )
            },
            retry_after: "1",
            server_error: || {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<h1>Server Error (500)</h1>",
                )
                    .into_response()
            },
        },
    )
}

async fn list(
    State((s, port)): State<Shared>,
    headers: HeaderMap,
    Path(d): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, false));
    if d != st.domain {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let base = format!("http://127.0.0.1:{port}/api/v1/domains/{d}/rrsets/");
    let all: Vec<Value> = st
        .rrsets
        .iter()
        .map(|((sub, t), (ttl, recs))| {
            let name = if sub.is_empty() { format!("{d}.") } else { format!("{sub}.{d}.") };
            json!({"domain": d, "subname": sub, "name": name, "type": t, "ttl": ttl, "records": recs,
                   "created": "2026-01-01T00:00:00Z", "touched": "2026-01-01T00:00:00Z"})
        })
        .collect();
    let Some(cursor) = q.get("cursor") else {
        if all.len() > PAGE {
            let mut r = detail(
                StatusCode::BAD_REQUEST,
                "Pagination required. You can query up to 500 items at a time ([...])",
            );
            r.headers_mut().insert(
                "link",
                format!("<{base}?cursor=>; rel=\"first\"")
                    .parse()
                    .expect("header"),
            );
            return r;
        }
        return Json(all).into_response();
    };
    // The cursor is an opaque offset here.
    let start: usize = if cursor.is_empty() {
        0
    } else {
        cursor.trim_start_matches('c').parse().unwrap_or(0)
    };
    st.pages_served += 1;
    let page: Vec<Value> = all.iter().skip(start).take(PAGE).cloned().collect();
    let mut links = vec![format!("<{base}?cursor=>; rel=\"first\"")];
    if start + PAGE < all.len() {
        links.push(format!("<{base}?cursor=c{}>; rel=\"next\"", start + PAGE));
    }
    let mut r = Json(page).into_response();
    r.headers_mut()
        .insert("link", links.join(", ").parse().expect("header"));
    r
}

async fn patch(
    State((s, _)): State<Shared>,
    headers: HeaderMap,
    Path(d): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.domain {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let Some(items) = body.as_array() else {
        return detail(
            StatusCode::BAD_REQUEST,
            "Expected a list of items but got type \"dict\".",
        );
    };
    // Validate everything first: the bulk request is atomic.
    let mut errors = Vec::new();
    let mut ops = Vec::new();
    for it in items {
        let sub = it["subname"].as_str();
        let t = it["type"].as_str();
        let ttl = it["ttl"].as_u64();
        let recs: Option<Vec<String>> = it["records"].as_array().map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        });
        match (sub, t, ttl, recs) {
            (Some(sub), Some(t), Some(ttl), Some(recs)) => {
                if ttl < 3600 && !recs.is_empty() {
                    errors.push(
                        json!({"ttl": ["Ensure this value is greater than or equal to 3600."]}),
                    );
                } else if sub.ends_with('.') {
                    errors.push(json!({"subname": ["Enter a valid hostname."]}));
                } else if t == "SOA" || (sub.is_empty() && t == "NS") {
                    errors.push(json!({"type": [format!("You cannot tinker with the {t} RR set. It is managed automatically.")]}));
                } else {
                    errors.push(json!({}));
                    ops.push((sub.to_string(), t.to_string(), ttl, recs));
                }
            }
            _ => errors.push(json!({"non_field_errors": ["Invalid data."]})),
        }
    }
    if errors
        .iter()
        .any(|e| e.as_object().is_some_and(|o| !o.is_empty()))
    {
        return (StatusCode::BAD_REQUEST, Json(Value::Array(errors))).into_response();
    }
    for (sub, t, ttl, recs) in ops {
        if recs.is_empty() {
            st.rrsets.remove(&(sub, t));
        } else {
            st.rrsets.insert((sub, t), (ttl, recs));
        }
    }
    if matches!(g, Gate::FailAfter) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "<h1>Server Error (500)</h1>",
        )
            .into_response();
    }
    Json(json!([])).into_response()
}
