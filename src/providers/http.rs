//! The one HTTP path of every provider: per-request timeout, a request-rate
//! limit and a concurrency limit per target, retries of transient failures
//! with backoff and jitter (honouring `Retry-After`), and the mapping of
//! HTTP answers onto [`ProviderError`] — 401/403 are final, never retried.
//!
//! A request is rebuilt for every attempt (by the caller's closure) so that
//! signed requests (Route 53) carry a fresh signature and timestamp.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Semaphore};

use super::ProviderError;
use crate::sync::retry::{parse_retry_after, Backoff};
use crate::sync::target::TargetConfig;

/// An answer with a 2xx status.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A target's HTTP client.
pub struct Http {
    pub client: reqwest::Client,
    target: String,
    retries: u32,
    backoff: Backoff,
    /// Smallest gap between two request starts (from `rate`).
    interval: Option<Duration>,
    next_slot: Mutex<Instant>,
    in_flight: Semaphore,
    /// Text in a 400 answer that means "throttled" (Route 53 says so in XML).
    throttle_marker: Option<&'static str>,
    requests: AtomicU64,
}

impl Http {
    pub fn new(t: &TargetConfig) -> Result<Http, ProviderError> {
        let client = reqwest::Client::builder()
            .timeout(t.timeout)
            .connect_timeout(t.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("polyzone/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Config(format!("HTTP client: {e}")))?;
        Ok(Http {
            client,
            target: t.name.clone(),
            retries: t.retries,
            backoff: Backoff {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(30),
            },
            interval: (t.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / t.rate)),
            next_slot: Mutex::new(Instant::now()),
            in_flight: Semaphore::new(t.concurrency),
            throttle_marker: None,
            requests: AtomicU64::new(0),
        })
    }

    /// Treat 400 answers containing `marker` as throttling.
    pub fn with_throttle_marker(mut self, marker: &'static str) -> Http {
        self.throttle_marker = Some(marker);
        self
    }

    /// Requests sent so far (every attempt counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Waits for the rate limiter's next slot.
    async fn pace(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let wait = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + interval;
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends the request `build` makes, retrying transient failures.
    pub async fn send<F>(&self, what: &str, build: F) -> Result<Response, ProviderError>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::Request, ProviderError>,
    {
        let mut attempt = 0;
        loop {
            let result = self.once(&build).await;
            match result {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() && attempt + 1 < self.retries => {
                    let retry_after = match &e {
                        ProviderError::RateLimited { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let delay = self.backoff.delay(attempt, retry_after);
                    tracing::warn!(target_name = %self.target, %what, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, "retrying: {e}");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends the request once, without retrying: for a write that is not
    /// idempotent (a create), where a retry after a lost answer would
    /// duplicate; the engine re-reads the zone and plans again instead.
    pub async fn send_once<F>(&self, build: F) -> Result<Response, ProviderError>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::Request, ProviderError>,
    {
        self.once(&build).await
    }

    async fn once<F>(&self, build: &F) -> Result<Response, ProviderError>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::Request, ProviderError>,
    {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| ProviderError::Transport("client closed".into()))?;
        self.pace().await;
        let request = build(&self.client)?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client
            .execute(request)
            .await
            .map_err(|e| ProviderError::Transport(describe(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = resp
            .bytes()
            .await
            .map_err(|e| ProviderError::Transport(describe(&e)))?
            .to_vec();
        if (200..300).contains(&status) {
            return Ok(Response {
                status,
                headers,
                body,
            });
        }
        let message = short(&String::from_utf8_lossy(&body));
        Err(match status {
            401 | 403 => ProviderError::Auth { status, message },
            429 => ProviderError::RateLimited {
                status,
                retry_after,
            },
            400 if self.throttle_marker.is_some_and(|m| message.contains(m)) => {
                ProviderError::RateLimited {
                    status,
                    retry_after,
                }
            }
            _ => ProviderError::Http { status, message },
        })
    }
}

/// A reqwest error with its causes, without the URL's query (no secrets
/// travel in URLs, but keep logs short).
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "request timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

/// An error body cut to a readable length.
fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(rate: f64) -> TargetConfig {
        #[derive(serde::Deserialize)]
        struct W {
            target: Vec<crate::sync::target::RawTarget>,
        }
        let text = format!("[[target]]\nname='t'\nkind='route53'\nrate={rate}\n");
        let w: W = toml::from_str(&text).expect("toml");
        crate::sync::target::parse_targets(w.target, std::path::Path::new("/"))
            .expect("target")
            .remove(0)
    }

    #[tokio::test]
    async fn rate_limit_spaces_requests() {
        let http = Http::new(&target(50.0)).expect("client");
        let start = Instant::now();
        for _ in 0..6 {
            http.pace().await;
        }
        // Six slots at 50/s: the first at once, five more 20 ms apart.
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );
        let unlimited = Http::new(&target(0.0)).expect("client");
        let start = Instant::now();
        for _ in 0..100 {
            unlimited.pace().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
