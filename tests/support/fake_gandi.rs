//! A fake of Gandi LiveDNS (`/v5/livedns`), from its documented shapes:
//! `Authorization: Bearer` (401 `{"code": 401, "object": "HTTPUnauthorized"}`
//! otherwise), RRsets `{rrset_name, rrset_type, rrset_ttl, rrset_values}`
//! with `@` for the apex, `page`/`per_page` pagination with a `total-count`
//! header, PUT/DELETE per RRset, TTL 300..2592000 enforced with a 400, and
//! targets inside the zone returned relative (no trailing dot), as Gandi
//! does. On demand: 429 with Retry-After, 500 before and after a write.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::fake_kit::{FakeServer, Faults, Gate, Page, Replies, RrsetStore, Rrsets};
use crate::pass_gate;

pub const TOKEN: &str = "gandi-test-pat";

#[derive(Default)]
pub struct GandiState {
    pub fqdn: String,
    /// (rrset_name, type) -> (ttl, values as sent)
    pub rrsets: Rrsets,
    /// Auth and fault injection switches and counters.
    pub gate: Faults,
    pub max_page: u64,
}

pub type FakeGandi = FakeServer<GandiState>;

impl FakeGandi {
    pub fn start(fqdn: &str) -> FakeGandi {
        let state = GandiState {
            fqdn: fqdn.to_string(),
            ..GandiState::default()
        };
        FakeServer::serve(state, "/v5/livedns", |state, _| {
            Router::new()
                .route("/v5/livedns/domains/{d}/records", get(list))
                .route(
                    "/v5/livedns/domains/{d}/records/{name}/{t}",
                    axum::routing::put(put).delete(delete),
                )
                .with_state(state)
        })
    }
}

impl RrsetStore for GandiState {
    fn rrsets(&self) -> &Rrsets {
        &self.rrsets
    }
}

type Shared = Arc<Mutex<GandiState>>;

fn err(status: StatusCode, object: &str, message: &str) -> Response {
    (
        status,
        Json(
            json!({"code": status.as_u16(), "message": message, "object": object, "cause": object}),
        ),
    )
        .into_response()
}

/// Bearer auth and faults, in Gandi's words.
fn gate(st: &mut GandiState, headers: &HeaderMap, write: bool) -> Gate {
    st.gate.gate(
        headers,
        write,
        &Replies {
            authorization: format!("Bearer {TOKEN}"),
            refused: || {
                err(
                    StatusCode::UNAUTHORIZED,
                    "HTTPUnauthorized",
                    "The server could not verify that you authenticated",
                )
            },
            throttled: || {
                err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "HTTPTooManyRequests",
                    "Too Many Requests",
                )
            },
            retry_after: "1",
            server_error: || {
                err(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "HTTPInternalServerError",
                    "Internal Server Error",
                )
            },
        },
    )
}

/// Names inside the zone come back relative, as Gandi returns them.
fn relative(fqdn: &str, t: &str, v: &str) -> String {
    if !matches!(t, "CNAME" | "MX" | "NS" | "SRV" | "DNAME") {
        return v.to_string();
    }
    let suffix = format!(".{fqdn}.");
    v.split(' ')
        .map(|w| w.strip_suffix(&suffix).unwrap_or(w).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(d): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, false));
    if d != st.fqdn {
        return err(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            "The resource could not be found.",
        );
    }
    let page = Page::asked(&q, 100).clamped(1, 100);
    st.max_page = st.max_page.max(page.number as u64);
    let total = st.rrsets.len();
    let items: Vec<Value> = page
        .of(st.rrsets.iter())
        .map(|((n, t), (ttl, vals))| {
            let vals: Vec<String> = vals.iter().map(|v| relative(&d, t, v)).collect();
            json!({"rrset_name": n, "rrset_type": t, "rrset_ttl": ttl, "rrset_values": vals,
                   "rrset_href": format!("/v5/livedns/domains/{d}/records/{n}/{t}")})
        })
        .collect();
    let mut r = Json(items).into_response();
    r.headers_mut()
        .insert("total-count", total.to_string().parse().expect("header"));
    r
}

async fn put(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((d, name, t)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.fqdn {
        return err(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            "The resource could not be found.",
        );
    }
    let ttl = body["rrset_ttl"].as_u64().unwrap_or(10800);
    if !(300..=2_592_000).contains(&ttl) {
        return err(
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
            "rrset_ttl: must be between 300 and 2592000",
        );
    }
    let Some(vals) = body["rrset_values"].as_array() else {
        return err(
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
            "rrset_values: required",
        );
    };
    let vals: Vec<String> = vals
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    st.rrsets.insert((name, t), (ttl, vals));
    if matches!(g, Gate::FailAfter) {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "HTTPInternalServerError",
            "Internal Server Error",
        );
    }
    (
        StatusCode::CREATED,
        Json(json!({"message": "DNS Record Created"})),
    )
        .into_response()
}

async fn delete(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((d, name, t)): Path<(String, String, String)>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.fqdn || st.rrsets.remove(&(name, t)).is_none() {
        return err(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            "The resource could not be found.",
        );
    }
    if matches!(g, Gate::FailAfter) {
        return err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "HTTPInternalServerError",
            "Internal Server Error",
        );
    }
    StatusCode::NO_CONTENT.into_response()
}
