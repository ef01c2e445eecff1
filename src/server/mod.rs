//! The DNS server: listeners and the glue between a packet and an answer.
//!
//! `udp` is the fast path (one blocking thread per core), `tcp` runs on a
//! small tokio runtime, `query` is the answer logic and `catalog` finds the
//! zone. Zone data is reached through [`arc_swap::ArcSwap`] pointers, so
//! reloads publish a new version without stopping any listener.

pub mod acl;
pub mod catalog;
pub(crate) mod denial;
pub mod notify;
pub mod query;
pub mod tcp;
pub mod tsig;
pub mod udp;
pub mod update;
pub mod xfr;

#[cfg(test)]
mod query_tests;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;

use crate::commit::{Engine, UpdateJob};
use crate::config::Config;
use crate::rdata::RType;
use crate::wire::builder::MessageBuilder;
use crate::wire::message::{flags, opcode, parse_request, rcode, ParseError};
use catalog::Catalog;
use query::{AnswerOptions, Transport};
use tsig::{KeyRing, TsigContext, TsigOutcome};

/// What every listener shares.
pub struct Shared {
    pub catalog: ArcSwap<Catalog>,
    pub answer: AnswerOptions,
    /// Where RFC 2136 updates go; `None` refuses them (NOTIMP).
    pub writer: Option<std::sync::mpsc::Sender<UpdateJob>>,
    /// TSIG keys of the configuration.
    pub keys: KeyRing,
    /// The journal and zone settings for transfers; `None` refuses them.
    pub engine: Option<Arc<Engine>>,
}

/// What to do with one received message.
pub enum Action<'b> {
    /// Send this answer (built in the caller's builder).
    Reply(&'b [u8]),
    /// Send this answer (built elsewhere, e.g. TSIG-signed).
    Owned(Vec<u8>),
    /// Send nothing.
    Drop,
    /// An update for the writer; the answer comes later.
    Update(PendingUpdate),
    /// An AXFR/IXFR query: the listener answers it with [`xfr`], which
    /// needs the peer address and, over TCP, streams many messages.
    Transfer(xfr::TransferRequest),
}

/// An update request on its way to the writer.
pub struct PendingUpdate {
    msg: Vec<u8>,
    tsig: Option<TsigContext>,
}

/// Decides what to do with one message: TSIG is verified first (RFC 8945
/// §5.2), queries are answered at once, updates go to the writer.
pub fn handle<'b>(
    msg: &[u8],
    shared: &Shared,
    catalog: &Catalog,
    transport: Transport,
    builder: &'b mut MessageBuilder,
) -> Action<'b> {
    let req = match parse_request(msg) {
        Ok(r) => r,
        Err(ParseError::Drop) => return Action::Drop,
        Err(ParseError::FormErr { id, flags: f }) => return Action::Reply(formerr(builder, id, f)),
    };
    let mut tsig_ctx = None;
    if req.tsig_at.is_some() {
        let now = crate::commit::now();
        match tsig::verify_request(msg, &shared.keys, now) {
            TsigOutcome::Valid(ctx) => tsig_ctx = Some(ctx),
            TsigOutcome::Unsigned => {}
            TsigOutcome::FormErr => return Action::Reply(formerr(builder, req.id, req.flags)),
            TsigOutcome::Invalid {
                error,
                ctx_for_reply,
            } => {
                // NOTAUTH with the TSIG error and no data (RFC 8945 §5.2).
                tracing::info!(key = %ctx_for_reply.key_name, error = ?error, "TSIG verification failed");
                let question = Some((req.qname, req.qtype.0, req.qclass.0));
                builder.start(
                    req.id,
                    flags::QR | (req.flags & (0x7800 | flags::RD | flags::CD)),
                    question,
                    512,
                );
                builder.set_rcode(rcode::NOTAUTH);
                let mut v = builder.finish().to_vec();
                if let Err(e) = tsig::sign_response(&mut v, &ctx_for_reply, error.code(), now) {
                    tracing::warn!("cannot add TSIG to an error reply: {e}");
                }
                return Action::Owned(v);
            }
        }
    }
    if req.opcode == opcode::UPDATE && shared.writer.is_some() {
        tracing::trace!(id = req.id, "update received");
        return Action::Update(PendingUpdate {
            msg: msg.to_vec(),
            tsig: tsig_ctx,
        });
    }
    if req.opcode == opcode::QUERY && matches!(req.qtype, RType::AXFR | RType::IXFR) {
        return Action::Transfer(xfr::TransferRequest {
            msg: msg.to_vec(),
            tsig: tsig_ctx,
        });
    }
    if req.opcode == opcode::NOTIFY {
        // We are the primary: nobody tells us about a newer serial.
        tracing::debug!(id = req.id, "NOTIFY received: REFUSED");
        return Action::Owned(refuse_notify(&req, tsig_ctx.as_ref(), builder));
    }
    match tsig_ctx {
        None => {
            query::answer(&req, catalog, &shared.answer, transport, 0, builder);
            let reply = builder.finish();
            crate::metrics::query(req.qtype.0, reply.get(3).map_or(0, |b| b & 0x0f));
            Action::Reply(reply)
        }
        Some(ctx) => {
            query::answer(
                &req,
                catalog,
                &shared.answer,
                transport,
                ctx.reply_tsig_len(0),
                builder,
            );
            let mut v = builder.finish().to_vec();
            crate::metrics::query(req.qtype.0, v.get(3).map_or(0, |b| b & 0x0f));
            if let Err(e) = tsig::sign_response(&mut v, &ctx, 0, crate::commit::now()) {
                tracing::warn!("cannot sign a reply: {e}");
            }
            Action::Owned(v)
        }
    }
}

/// REFUSED to a NOTIFY, signed when it was.
fn refuse_notify(
    req: &crate::wire::message::Request<'_>,
    tsig_ctx: Option<&TsigContext>,
    builder: &mut MessageBuilder,
) -> Vec<u8> {
    builder.start(
        req.id,
        flags::QR | (req.flags & 0x7800),
        Some((req.qname, req.qtype.0, req.qclass.0)),
        512,
    );
    builder.set_rcode(rcode::REFUSED);
    let mut v = builder.finish().to_vec();
    if let Some(ctx) = tsig_ctx {
        if let Err(e) = tsig::sign_response(&mut v, ctx, 0, crate::commit::now()) {
            tracing::warn!("cannot sign a NOTIFY answer: {e}");
        }
    }
    v
}

fn formerr(builder: &mut MessageBuilder, id: u16, f: u16) -> &[u8] {
    // No question is echoed: it could not be read.
    builder.start(id, flags::QR | (f & (0x7800 | flags::RD)), None, 512);
    builder.set_rcode(rcode::FORMERR);
    builder.finish()
}

/// Hands an update to the writer; `send` gets the encoded answer once the
/// change is durable (or refused), TSIG-signed when the request was.
pub fn submit_update(
    shared: &Shared,
    pending: PendingUpdate,
    send: impl FnOnce(Vec<u8>) + Send + 'static,
) {
    let PendingUpdate { msg, tsig } = pending;
    let Some(writer) = &shared.writer else { return };
    let request = msg.clone();
    let key = tsig.as_ref().map(|c| c.key_name.clone());
    let reply = move |rc: u16| {
        tracing::trace!(
            id = u16::from_be_bytes([request[0], request[1]]),
            rc,
            "update answered"
        );
        let mut bytes = update_reply(&request, rc);
        if let Some(ctx) = &tsig {
            if let Err(e) = tsig::sign_response(&mut bytes, ctx, 0, crate::commit::now()) {
                tracing::warn!("cannot sign an update reply: {e}");
            }
        }
        send(bytes)
    };
    let job = UpdateJob {
        msg,
        key,
        reply: Box::new(reply),
    };
    if let Err(e) = writer.send(job) {
        // The writer is gone (shutting down): answer SERVFAIL.
        (e.0.reply)(rcode::SERVFAIL);
    }
}

/// The answer to an UPDATE: header with the rcode and the zone section
/// echoed (RFC 2136 §3.8).
pub fn update_reply(request: &[u8], rc: u16) -> Vec<u8> {
    let mut b = MessageBuilder::new();
    let id = u16::from_be_bytes([request[0], request[1]]);
    let f = u16::from_be_bytes([request[2], request[3]]);
    let zone = parse_request(request)
        .ok()
        .map(|r| (r.qname.to_vec(), r.qtype.0, r.qclass.0));
    let question = zone.as_ref().map(|(n, t, c)| (&n[..], *t, *c));
    b.start(id, flags::QR | (f & 0x7800), question, 512);
    b.set_rcode(rc);
    b.finish().to_vec()
}

/// The key ring of a configuration.
pub fn key_ring(config: &Config) -> anyhow::Result<KeyRing> {
    let mut ring = KeyRing::new();
    for k in &config.tsig {
        let algorithm = tsig::TsigAlgorithm::from_config_str(&k.algorithm)
            .with_context(|| format!("unknown TSIG algorithm {}", k.algorithm))?;
        ring.insert(tsig::TsigKey {
            name: k.name.clone(),
            algorithm,
            secret: k.secret.clone(),
        });
    }
    Ok(ring)
}

/// Builds the answer to one query; `None` means send nothing.
pub fn respond<'b>(
    msg: &[u8],
    catalog: &Catalog,
    opts: &AnswerOptions,
    transport: Transport,
    builder: &'b mut MessageBuilder,
) -> Option<&'b [u8]> {
    match parse_request(msg) {
        Ok(req) => query::answer(&req, catalog, opts, transport, 0, builder),
        Err(ParseError::Drop) => return None,
        Err(ParseError::FormErr { id, flags: f }) => return Some(formerr(builder, id, f)),
    }
    Some(builder.finish())
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(config: Config) -> anyhow::Result<()> {
    let (engine, catalog) = Engine::open(&config).context("opening the zones")?;
    let engine = Arc::new(engine);
    engine.spawn_snapshots();
    let writer = engine.spawn_writer().context("starting the writer")?;
    crate::signing::spawn(engine.clone()).context("starting the signing scheduler")?;
    let shared = Arc::new(Shared {
        catalog: ArcSwap::from_pointee(catalog),
        answer: AnswerOptions {
            udp_payload_max: config.server.udp_payload_max,
        },
        writer: Some(writer),
        keys: key_ring(&config)?,
        engine: Some(engine.clone()),
    });
    let workers = config.server.udp_workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let addrs: Vec<SocketAddr> = config.server.listen.clone();
    // TCP first: its bind fails when another server holds the port, while
    // UDP sockets with SO_REUSEPORT would silently share it.
    let mut tcp_listeners = Vec::new();
    for addr in &addrs {
        tcp_listeners.push(tcp_listener(*addr).with_context(|| format!("binding TCP {addr}"))?);
    }
    for addr in &addrs {
        for i in 0..workers {
            let sock = udp::bind(*addr).with_context(|| format!("binding UDP {addr}"))?;
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("udp-{addr}-{i}"))
                .spawn(move || udp::run_worker(sock, shared))
                .context("starting a UDP worker")?;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("polyzone-rt")
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tokio::spawn(tcp::serve(
                listener,
                shared.clone(),
                config.server.tcp_idle_timeout.0,
                config.server.tcp_max_connections,
            ));
        }
        // Before the first NOTIFY, so the start-up round adds to it.
        engine.secondaries().restore_all(engine.store(), &config.zones);
        xfr::status::spawn_persister(engine.clone());
        notify::spawn_all(&config, &engine, &shared.keys);
        crate::sync::engine::start(engine.clone(), &config);
        crate::api::spawn(&config, engine.clone()).await?;
        tracing::info!(listen = ?addrs, api = %config.server.api_listen, udp_workers = workers, "serving");
        let stopped = signals(&engine).await;
        engine.secondaries().persist(engine.store());
        stopped
    })
}

fn tcp_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let domain = if addr.is_ipv6() {
        socket2::Domain::IPV6
    } else {
        socket2::Domain::IPV4
    };
    let sock = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(1024)?;
    Ok(sock.into())
}

async fn signals(engine: &Arc<Engine>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading zone files");
                let engine = engine.clone();
                // Parsing a big zone is blocking work.
                let _ = tokio::task::spawn_blocking(move || engine.reload()).await;
            }
        }
    }
    tracing::info!("stopping");
    Ok(())
}
