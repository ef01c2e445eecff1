//! A fake of DigitalOcean's domain records API (`/v2/domains/{d}/records`),
//! from its documented shapes: `Authorization: Bearer` (401 `{"id":
//! "unauthorized", "message": …}` otherwise), records `{id, type, name,
//! data, priority, port, weight, ttl, flags, tag}` with `@` for the apex,
//! targets stored without the trailing dot, TXT `data` one raw string,
//! pages (`page`, `per_page` default 20, at most 200) linked by
//! `links.pages.next`, TTL below 30 refused with 422. Like the real API it
//! accepts an identical record twice, so duplicates would show. On demand:
//! 429 with Retry-After, 500 before and after a write.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::fake_kit::{FakeServer, Faults, Gate, Page, Replies};
use crate::pass_gate;

pub const TOKEN: &str = "dop_v1_test-token";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub rtype: String,
    pub name: String,
    pub data: String,
    pub priority: Option<u64>,
    pub port: Option<u64>,
    pub weight: Option<u64>,
    pub ttl: u64,
}

#[derive(Default)]
pub struct DoState {
    pub domain: String,
    pub base: String,
    pub records: BTreeMap<u64, Record>,
    pub next_id: u64,
    /// Auth and fault injection switches and counters.
    pub gate: Faults,
    pub max_page: u64,
}

pub type FakeDigitalOcean = FakeServer<DoState>;

impl FakeDigitalOcean {
    pub fn start(domain: &str) -> FakeDigitalOcean {
        let state = DoState {
            domain: domain.to_string(),
            next_id: 1000,
            ..DoState::default()
        };
        let fake = FakeServer::serve(state, "/v2", |state, _| {
            Router::new()
                .route("/v2/domains/{d}/records", get(list).post(create))
                .route("/v2/domains/{d}/records/{id}", put(update).delete(remove))
                .with_state(state)
        });
        // `links.pages.next` carries absolute URLs.
        fake.lock().base = fake.url.clone();
        fake
    }

    pub fn records(&self) -> Vec<Record> {
        self.lock().records.values().cloned().collect()
    }

    /// The values (data, with priority/weight/port in front where set) and
    /// TTLs at (relative name, type), sorted.
    pub fn rrset(&self, name: &str, t: &str) -> (Vec<String>, Vec<u64>) {
        let mut vals = Vec::new();
        let mut ttls = Vec::new();
        for r in self.records() {
            if r.name == name && r.rtype == t {
                let mut v = String::new();
                for n in [r.priority, r.weight, r.port].into_iter().flatten() {
                    v.push_str(&format!("{n} "));
                }
                v.push_str(&r.data);
                vals.push(v);
                ttls.push(r.ttl);
            }
        }
        vals.sort();
        ttls.sort();
        ttls.dedup();
        (vals, ttls)
    }
}

type Shared = Arc<Mutex<DoState>>;

fn err(status: StatusCode, id: &str, message: &str) -> Response {
    (status, Json(json!({"id": id, "message": message}))).into_response()
}

/// Bearer auth and faults, in DigitalOcean's words.
fn gate(st: &mut DoState, headers: &HeaderMap, write: bool) -> Gate {
    st.gate.gate(
        headers,
        write,
        &Replies {
            authorization: format!("Bearer {TOKEN}"),
            refused: || {
                err(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Unable to authenticate you.",
                )
            },
            throttled: || {
                err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "API Rate limit exceeded.",
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
        "Server was unable to give you a response.",
    )
}

fn not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "not_found",
        "The resource you were accessing could not be found.",
    )
}

fn record_json(id: u64, r: &Record) -> Value {
    json!({"id": id, "type": r.rtype, "name": r.name, "data": r.data, "priority": r.priority,
           "port": r.port, "ttl": r.ttl, "weight": r.weight, "flags": null, "tag": null})
}

/// A record from a request body, as DigitalOcean stores it (targets
/// without the trailing dot, the apex as `@`).
fn from_body(domain: &str, body: &Value) -> Result<Record, &'static str> {
    let bad = |m: &'static str| m;
    let rtype = body["type"]
        .as_str()
        .ok_or_else(|| bad("Type is required"))?;
    if !matches!(
        rtype,
        "A" | "AAAA" | "CAA" | "CNAME" | "MX" | "NS" | "SRV" | "TXT"
    ) {
        return Err(bad("Type is invalid"));
    }
    let name = body["name"]
        .as_str()
        .ok_or_else(|| bad("Name is required"))?;
    let mut data = body["data"]
        .as_str()
        .ok_or_else(|| bad("Data is required"))?
        .to_string();
    if matches!(rtype, "CNAME" | "MX" | "NS" | "SRV") {
        if !data.ends_with('.') {
            return Err(bad(
                "Data must be a fully qualified hostname ending in a dot",
            ));
        }
        data.pop();
        if data == domain {
            data = "@".into();
        }
    }
    let ttl = body["ttl"].as_u64().unwrap_or(1800);
    if ttl < 30 {
        return Err(bad("Ttl must be at least 30"));
    }
    if matches!(rtype, "MX" | "SRV") && body["priority"].as_u64().is_none() {
        return Err(bad("Priority is required"));
    }
    if rtype == "SRV" && (body["port"].as_u64().is_none() || body["weight"].as_u64().is_none()) {
        return Err(bad("Port and weight are required"));
    }
    Ok(Record {
        rtype: rtype.to_string(),
        name: name.to_string(),
        data,
        priority: body["priority"].as_u64(),
        port: body["port"].as_u64(),
        weight: body["weight"].as_u64(),
        ttl,
    })
}

async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(d): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock().expect("state");
    pass_gate!(gate(&mut st, &headers, false));
    if d != st.domain {
        return not_found();
    }
    let asked = Page::asked(&q, 20).clamped(1, 200);
    let (page, per_page) = (asked.number, asked.size);
    st.max_page = st.max_page.max(page as u64);
    // The documented filters: `type`, and `name` as a full name.
    let full = |n: &str| {
        if n == "@" {
            d.clone()
        } else {
            format!("{n}.{d}")
        }
    };
    let total = st
        .records
        .values()
        .filter(|r| q.get("type").is_none_or(|t| *t == r.rtype))
        .filter(|r| q.get("name").is_none_or(|n| *n == full(&r.name)))
        .count();
    let last = asked.last(total);
    let items: Vec<Value> = asked
        .of(st
            .records
            .iter()
            .filter(|(_, r)| q.get("type").is_none_or(|t| *t == r.rtype))
            .filter(|(_, r)| q.get("name").is_none_or(|n| *n == full(&r.name))))
        .map(|(id, r)| record_json(*id, r))
        .collect();
    let link = |p: usize| {
        format!(
            "{}/domains/{d}/records?page={p}&per_page={per_page}",
            st.base
        )
    };
    let mut pages = serde_json::Map::new();
    if page < last {
        pages.insert("next".into(), json!(link(page + 1)));
        pages.insert("last".into(), json!(link(last)));
    }
    if page > 1 {
        pages.insert("first".into(), json!(link(1)));
        pages.insert("prev".into(), json!(link(page - 1)));
    }
    Json(json!({"domain_records": items, "links": {"pages": pages}, "meta": {"total": total}}))
        .into_response()
}

async fn create(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(d): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.domain {
        return not_found();
    }
    let rec = match from_body(&d, &body) {
        Ok(r) => r,
        Err(m) => return err(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable_entity", m),
    };
    st.next_id += 1;
    let id = st.next_id;
    st.records.insert(id, rec.clone());
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    (
        StatusCode::CREATED,
        Json(json!({"domain_record": record_json(id, &rec)})),
    )
        .into_response()
}

async fn update(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((d, id)): Path<(String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.domain || !st.records.contains_key(&id) {
        return not_found();
    }
    let rec = match from_body(&d, &body) {
        Ok(r) => r,
        Err(m) => return err(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable_entity", m),
    };
    st.records.insert(id, rec.clone());
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    Json(json!({"domain_record": record_json(id, &rec)})).into_response()
}

async fn remove(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((d, id)): Path<(String, u64)>,
) -> Response {
    let mut st = s.lock().expect("state");
    let g = pass_gate!(gate(&mut st, &headers, true));
    if d != st.domain || st.records.remove(&id).is_none() {
        return not_found();
    }
    if matches!(g, Gate::FailAfter) {
        return server_error();
    }
    StatusCode::NO_CONTENT.into_response()
}
