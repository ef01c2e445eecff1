//! A fake of Cloudflare's DNS API (`/client/v4`), written from its
//! documented shapes: the `{success, errors, messages, result,
//! result_info}` envelope, bearer-token auth (403 with error 10000 when
//! wrong), `page`/`per_page` pagination (at most 100 records a page),
//! record ids, refusal of an identical second record (81058) and of a
//! CNAME beside other data (81053), and on demand 429 with Retry-After,
//! 500 before a write and 500 after a write was done (the ambiguous case
//! that makes naive retries duplicate records).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::fake_kit::{FakeServer, Faults, Gate, Page, Replies};
use crate::pass_gate;

pub const TOKEN: &str = "cf-test-token";
const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Clone, Debug, PartialEq)]
pub struct Rec {
    pub id: String,
    pub rtype: String,
    pub name: String,
    pub content: String,
    pub ttl: u64,
    pub priority: Option<u64>,
}

#[derive(Default)]
pub struct FakeState {
    pub zone: String,
    pub records: Vec<Rec>,
    next_id: u64,
    /// Auth and fault injection switches and counters.
    pub gate: Faults,
    /// Highest page number asked for.
    pub max_page: u64,
}

pub type FakeCloudflare = FakeServer<FakeState>;

impl FakeCloudflare {
    pub fn start(zone: &str) -> FakeCloudflare {
        let state = FakeState {
            zone: zone.to_string(),
            ..FakeState::default()
        };
        FakeServer::serve(state, "/client/v4", |state, _| {
            Router::new()
                .route("/client/v4/zones", get(zones))
                .route("/client/v4/zones/{zid}/dns_records", get(list).post(create))
                .route(
                    "/client/v4/zones/{zid}/dns_records/{id}",
                    axum::routing::put(update).delete(delete),
                )
                .with_state(state)
        })
    }

    pub fn records(&self) -> Vec<Rec> {
        self.lock().records.clone()
    }

    /// Sorted contents and the TTLs of one RRset.
    pub fn rrset(&self, name: &str, rtype: &str) -> (Vec<String>, Vec<u64>) {
        let recs = self.records();
        let mut v: Vec<&Rec> = recs
            .iter()
            .filter(|r| r.name == name && r.rtype == rtype)
            .collect();
        v.sort_by(|a, b| a.content.cmp(&b.content));
        (
            v.iter()
                .map(|r| match r.priority {
                    Some(p) => format!("{p} {}", r.content),
                    None => r.content.clone(),
                })
                .collect(),
            v.iter().map(|r| r.ttl).collect(),
        )
    }
}

fn envelope(result: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result})
}

fn error(status: StatusCode, code: u64, message: &str) -> Response {
    (
        status,
        Json(json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})),
    )
        .into_response()
}

/// Bearer auth and faults, in Cloudflare's words (a refused token is a
/// 403; throttling asks to retry at once). Anything but a GET is a write.
fn gate(st: &mut FakeState, headers: &HeaderMap, method: &Method) -> Gate {
    st.gate.gate(
        headers,
        *method != Method::GET,
        &Replies {
            authorization: format!("Bearer {TOKEN}"),
            refused: || error(StatusCode::FORBIDDEN, 10000, "Authentication error"),
            throttled: || {
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    971,
                    "Please wait and consider throttling your request speed",
                )
            },
            retry_after: "0",
            server_error: || error(StatusCode::INTERNAL_SERVER_ERROR, 10001, "Internal error"),
        },
    )
}

async fn zones(
    State(s): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, &Method::GET));
    let list = if q.get("name").is_none_or(|n| *n == st.zone) {
        vec![json!({"id": ZONE_ID, "name": st.zone, "status": "active"})]
    } else {
        vec![]
    };
    let n = list.len();
    let mut v = envelope(json!(list));
    v["result_info"] =
        json!({"page": 1, "per_page": 50, "count": n, "total_count": n, "total_pages": 1});
    Json(v).into_response()
}

fn rec_json(r: &Rec) -> Value {
    let mut v = json!({"id": r.id, "type": r.rtype, "name": r.name, "content": r.content, "ttl": r.ttl,
                       "proxied": false, "proxiable": false, "zone_id": ZONE_ID});
    if let Some(p) = r.priority {
        v["priority"] = json!(p);
    }
    v
}

async fn list(
    State(s): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Path(zid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, &Method::GET));
    if zid != ZONE_ID {
        return error(
            StatusCode::NOT_FOUND,
            7003,
            "Could not route to /zones/..., perhaps your object identifier is invalid?",
        );
    }
    let asked = Page::asked(&q, 100).clamped(5, 100);
    let (page, per_page) = (asked.number, asked.size);
    st.max_page = st.max_page.max(page as u64);
    // Filters: exact `name` and `type`.
    let matching: Vec<&Rec> = st
        .records
        .iter()
        .filter(|r| {
            q.get("name").is_none_or(|n| *n == r.name)
                && q.get("type").is_none_or(|t| *t == r.rtype)
        })
        .collect();
    let total = matching.len();
    let items: Vec<Value> = asked.of(matching.into_iter()).map(rec_json).collect();
    let mut v = envelope(json!(items));
    v["result_info"] = json!({"page": page, "per_page": per_page, "count": items.len(),
                              "total_count": total, "total_pages": asked.last(total)});
    Json(v).into_response()
}

/// The fields of a record body: type, name, content, ttl, priority.
type Fields = (String, String, String, u64, Option<u64>);

fn parse_body(body: &Value) -> Result<Fields, Box<Response>> {
    let s = |k: &str| body[k].as_str().map(str::to_string);
    let (Some(t), Some(name), Some(content)) = (s("type"), s("name"), s("content")) else {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            9000,
            "DNS record type, name and content are required",
        )));
    };
    let ttl = body["ttl"].as_u64().unwrap_or(1);
    if ttl != 1 && !(60..=86400).contains(&ttl) {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
        )));
    }
    if name.ends_with('.') {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            9005,
            "Content for name must not end with a dot",
        )));
    }
    let priority = body["priority"].as_u64();
    if t == "MX" && priority.is_none() {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            9100,
            "MX records require a priority",
        )));
    }
    Ok((t, name, content, ttl, priority))
}

/// Cloudflare's conflicts: an identical record, a CNAME beside anything.
fn conflict(
    st: &FakeState,
    skip: Option<&str>,
    t: &str,
    name: &str,
    content: &str,
    prio: Option<u64>,
) -> Option<Response> {
    let others = st
        .records
        .iter()
        .filter(|r| Some(r.id.as_str()) != skip && r.name == name);
    for r in others {
        if r.rtype == t && r.content == content && r.priority == prio {
            return Some(error(
                StatusCode::BAD_REQUEST,
                81058,
                "An identical record already exists.",
            ));
        }
        if (r.rtype == "CNAME") != (t == "CNAME") || (t == "CNAME" && r.rtype == "CNAME") {
            return Some(error(
                StatusCode::BAD_REQUEST,
                81053,
                "A CNAME record with that host already exists.",
            ));
        }
    }
    None
}

async fn create(
    State(s): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, &Method::POST));
    let (t, name, content, ttl, priority) = match parse_body(&body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(r) = conflict(&st, None, &t, &name, &content, priority) {
        return r;
    }
    st.next_id += 1;
    let rec = Rec {
        id: format!("{:032x}", st.next_id),
        rtype: t,
        name,
        content,
        ttl,
        priority,
    };
    let out = rec_json(&rec);
    st.records.push(rec);
    if matches!(g, Gate::FailAfter) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 10001, "Internal error");
    }
    Json(envelope(out)).into_response()
}

async fn update(
    State(s): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Path((_zid, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, &Method::PUT));
    let (t, name, content, ttl, priority) = match parse_body(&body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Some(r) = conflict(&st, Some(&id), &t, &name, &content, priority) {
        return r;
    }
    let Some(rec) = st.records.iter_mut().find(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, 81044, "Record does not exist.");
    };
    *rec = Rec {
        id: id.clone(),
        rtype: t,
        name,
        content,
        ttl,
        priority,
    };
    let out = rec_json(rec);
    if matches!(g, Gate::FailAfter) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 10001, "Internal error");
    }
    Json(envelope(out)).into_response()
}

async fn delete(
    State(s): State<Arc<Mutex<FakeState>>>,
    headers: HeaderMap,
    Path((_zid, id)): Path<(String, String)>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, &Method::DELETE));
    let before = st.records.len();
    st.records.retain(|r| r.id != id);
    if st.records.len() == before {
        return error(StatusCode::NOT_FOUND, 81044, "Record does not exist.");
    }
    if matches!(g, Gate::FailAfter) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 10001, "Internal error");
    }
    Json(envelope(json!({"id": id}))).into_response()
}
