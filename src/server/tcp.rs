//! DNS over TCP (RFC 7766): length-prefixed messages, pipelined requests
//! answered in order, an idle timeout, and a cap on open connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::server::query::Transport;
use crate::server::{handle, submit_update, Action, Shared};
use crate::wire::builder::MessageBuilder;

/// Accepts connections on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>, idle: Duration, max_conns: usize) {
    let slots = Arc::new(Semaphore::new(max_conns));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("tcp accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            // Over the limit: close at once rather than queue (RFC 7766 §6.2.2).
            tracing::debug!(%peer, "tcp connection limit reached, closing");
            drop(stream);
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, peer, &shared, idle).await {
                tracing::debug!(%peer, "tcp connection ended: {e}");
            }
            drop(permit);
        });
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    idle: Duration,
) -> std::io::Result<()> {
    stream.set_nodelay(true).ok();
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    let mut builder = MessageBuilder::new();
    let mut msg = Vec::with_capacity(512);
    let mut out = Vec::with_capacity(4096);
    loop {
        let len = match tokio::time::timeout(idle, rd.read_u16()).await {
            Err(_) => return Ok(()), // idle timeout
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(r) => r? as usize,
        };
        msg.resize(len, 0);
        tokio::time::timeout(idle, rd.read_exact(&mut msg))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "partial message"))??;
        let catalog = shared.catalog.load();
        let action = handle(&msg, shared, &catalog, Transport::Tcp, &mut builder);
        drop(catalog);
        let update_answer;
        let resp: &[u8] = match action {
            Action::Reply(r) => r,
            Action::Owned(v) => {
                update_answer = v;
                &update_answer
            }
            Action::Drop => {
                tracing::debug!(%peer, "dropping unanswerable tcp message");
                continue;
            }
            Action::Transfer(t) => {
                // Streamed here; pipelined requests wait until it is done.
                crate::server::xfr::tune_socket(wr.as_ref());
                crate::server::xfr::serve_tcp(shared, t, peer, &mut wr).await?;
                continue;
            }
            Action::Update(pending) => {
                // Answered in order: the next request waits for this one.
                let (tx, rx) = tokio::sync::oneshot::channel();
                submit_update(shared, pending, move |bytes| {
                    let _ = tx.send(bytes);
                });
                update_answer = rx
                    .await
                    .map_err(|_| std::io::Error::other("update dropped"))?;
                &update_answer
            }
        };
        out.clear();
        out.extend_from_slice(&(resp.len() as u16).to_be_bytes());
        out.extend_from_slice(resp);
        // Pipelined requests already buffered are answered before flushing.
        wr.write_all(&out).await?;
    }
}
