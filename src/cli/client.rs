//! A minimal HTTP/1.1 client for the control API on loopback: one request
//! per connection, bearer token from `data_dir/control.token`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
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
    let reply = send(
        addr,
        Some(token.trim()),
        method,
        path,
        "application/json",
        body.unwrap_or("").as_bytes(),
    )?;
    if !(200..300).contains(&reply.status) {
        let msg = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or(reply.body);
        bail!("{msg} (HTTP {})", reply.status);
    }
    Ok(reply.body)
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The header block, as received.
    pub head: String,
    pub body: String,
}

impl Reply {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends one request (plain HTTP) and returns whatever status came back.
pub fn send(
    addr: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<Reply> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(|| {
            format!("connecting to the control API at {addr} (is `polyzone serve` running?)")
        })?;
    stream.set_read_timeout(Some(Duration::from_secs(600)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(req.as_bytes())?;
    stream.write_all(body)?;
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
    Ok(Reply {
        status,
        head: head.to_string(),
        body,
    })
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
