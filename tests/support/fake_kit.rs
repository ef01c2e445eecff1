//! What the fake provider servers share: serving an axum router on a free
//! loopback port from its own runtime, the gate every request passes
//! (bearer/token check, then deterministic fault injection: 429 with
//! Retry-After, 500 before a write, 500 after a write), and the read-out of
//! an RRset-keyed record store. Each fake keeps its own error bodies and
//! routes: those are what differ between the providers' APIs.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::HeaderMap;
use axum::response::Response;
use axum::Router;

/// A fake's server: its runtime lives as long as this value.
pub struct Served {
    pub port: u16,
    _rt: tokio::runtime::Runtime,
}

/// Serves the router `make(port)` builds on 127.0.0.1 (the port is given
/// to `make` for fakes whose answers carry their own URL).
pub fn serve(make: impl FnOnce(u16) -> Router) -> Served {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind fake");
    let port = listener.local_addr().expect("addr").port();
    let app = make(port);
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Served { port, _rt: rt }
}

/// A running fake: the API's base URL (what polyzone's target is given),
/// the state its handlers share, and its server.
pub struct FakeServer<S> {
    pub url: String,
    pub state: Arc<Mutex<S>>,
    _served: Served,
}

impl<S> FakeServer<S> {
    /// Serves the router `routes(state, port)` builds over `state`; the
    /// API's base URL is `http://127.0.0.1:PORT` followed by `base_path`.
    pub fn serve(
        state: S,
        base_path: &str,
        routes: impl FnOnce(Arc<Mutex<S>>, u16) -> Router,
    ) -> FakeServer<S> {
        let state = Arc::new(Mutex::new(state));
        let served = serve(|port| routes(state.clone(), port));
        FakeServer {
            url: format!("http://127.0.0.1:{}{base_path}", served.port),
            state,
            _served: served,
        }
    }

    /// The fake's state, for a test to read or set.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().expect("state")
    }
}

/// RRsets keyed by (name, type): (ttl, values as sent).
pub type Rrsets = BTreeMap<(String, String), (u64, Vec<String>)>;

/// The state of a fake that stores RRsets keyed by (name, type), as the
/// RRset-family providers do.
pub trait RrsetStore {
    /// (name, type) -> (ttl, values as sent)
    fn rrsets(&self) -> &Rrsets;
}

impl<S: RrsetStore> FakeServer<S> {
    /// The sorted values and the TTL of one RRset (see [`rrset_of`]).
    pub fn rrset(&self, name: &str, rtype: &str) -> (Vec<String>, u64) {
        rrset_of(self.lock().rrsets(), name, rtype)
    }

    /// How many RRsets the fake holds.
    pub fn count(&self) -> usize {
        self.lock().rrsets().len()
    }
}

/// The switches and counters of a fake's gate.
#[derive(Default)]
pub struct Faults {
    /// Percent of requests that fail (deterministically spread).
    pub fail_percent: u64,
    /// Refuse every request as unauthenticated.
    pub unauthorized: bool,
    /// Requests seen (refused ones included).
    pub requests: u64,
    /// Faults injected.
    pub faults: u64,
}

/// How one provider refuses and fails, in its own words.
pub struct Replies {
    /// The `Authorization` value a request must carry.
    pub authorization: String,
    pub refused: fn() -> Response,
    pub throttled: fn() -> Response,
    /// The `Retry-After` a throttled answer carries (seconds).
    pub retry_after: &'static str,
    pub server_error: fn() -> Response,
}

pub enum Gate {
    Pass,
    /// Do the write, then answer 500.
    FailAfter,
    Refuse(Response),
}

/// The gate's verdict on a request (`Pass` or `FailAfter`); a refusal is
/// returned from the handler as its answer.
#[macro_export]
macro_rules! pass_gate {
    ($gate:expr) => {
        match $gate {
            $crate::fake_kit::Gate::Refuse(r) => return r,
            verdict => verdict,
        }
    };
}

impl Faults {
    /// Auth and fault injection, before every handler. Faults rotate
    /// 429, 500 after the write (writes only), 500 before it.
    pub fn gate(&mut self, headers: &HeaderMap, write: bool, replies: &Replies) -> Gate {
        self.requests += 1;
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if self.unauthorized || auth != replies.authorization {
            return Gate::Refuse((replies.refused)());
        }
        if self.fail_percent > 0 && (self.requests * 37) % 100 < self.fail_percent {
            self.faults += 1;
            return match self.faults % 3 {
                0 => {
                    let mut r = (replies.throttled)();
                    r.headers_mut()
                        .insert("retry-after", replies.retry_after.parse().expect("header"));
                    Gate::Refuse(r)
                }
                1 if write => Gate::FailAfter,
                _ => Gate::Refuse((replies.server_error)()),
            };
        }
        Gate::Pass
    }
}

/// A number from the query string (`page`, `per_page`), or `default` if
/// it is absent or not a number.
pub fn query_num<T: FromStr>(q: &HashMap<String, String>, key: &str, default: T) -> T {
    q.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A page a list request asks for: `page` (counted from 1) and
/// `per_page` from its query string. Each fake bounds the size its own
/// way (clamped, or refused).
#[derive(Clone, Copy)]
pub struct Page {
    pub number: usize,
    pub size: usize,
}

impl Page {
    /// The page asked for: page 1 when `page` is absent, 0 or not a
    /// number, `default_size` items when `per_page` is absent.
    pub fn asked(q: &HashMap<String, String>, default_size: usize) -> Page {
        Page {
            number: query_num(q, "page", 1).max(1),
            size: query_num(q, "per_page", default_size),
        }
    }

    /// The same page with its size brought into `min..=max`.
    pub fn clamped(self, min: usize, max: usize) -> Page {
        Page {
            size: self.size.clamp(min, max),
            ..self
        }
    }

    /// This page's items out of all of them.
    pub fn of<I: Iterator>(self, items: I) -> impl Iterator<Item = I::Item> {
        items.skip((self.number - 1) * self.size).take(self.size)
    }

    /// The number of the last page for `total` items (1 when there are
    /// none).
    pub fn last(self, total: usize) -> usize {
        total.div_ceil(self.size).max(1)
    }
}

/// The sorted values and the TTL of one RRset of a store keyed by (name,
/// type); nothing and 0 if it is absent.
pub fn rrset_of(store: &Rrsets, name: &str, rtype: &str) -> (Vec<String>, u64) {
    match store.get(&(name.to_string(), rtype.to_string())) {
        Some((ttl, values)) => {
            let mut values = values.clone();
            values.sort();
            (values, *ttl)
        }
        None => (vec![], 0),
    }
}
