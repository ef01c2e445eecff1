//! A minimal HTTP/1.1 client for the control API on loopback: one request
//! per connection, bearer token from `data_dir/control.token`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::config::Config;

/// Sends a request and returns the body of a 2xx answer; other answers
/// become errors carrying the server's message.
pub fn request(
    config: &Config,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> anyhow::Result<String> {
    let token_path = crate::api::token::path(&config.server.data_dir);
    let token = std::fs::read_to_string(&token_path).with_context(|| {
        format!(
            "reading {} (is the server running with this config?)",
            token_path.display()
        )
    })?;
    let addr = config.server.api_listen;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(|| {
            format!("connecting to the control API at {addr} (is `polyzone serve` running?)")
        })?;
    stream.set_read_timeout(Some(Duration::from_secs(600)))?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        token.trim(),
        body.len()
    );
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .context("malformed HTTP answer")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    if !(200..300).contains(&status) {
        let msg = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or(body);
        bail!("{msg} (HTTP {status})");
    }
    Ok(body)
}

/// Joins a chunked transfer-encoded body.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
