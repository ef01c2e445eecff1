//! The DNS server: listeners and the glue between a packet and an answer.
//!
//! `udp` is the fast path (one blocking thread per core), `tcp` runs on a
//! small tokio runtime, `query` is the answer logic and `catalog` finds the
//! zone. Zone data is reached through [`arc_swap::ArcSwap`] pointers, so
//! reloads publish a new version without stopping any listener.

pub mod catalog;
pub mod query;
pub mod tcp;
pub mod tsig;
pub mod udp;

#[cfg(test)]
mod query_tests;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;

use crate::config::Config;
use crate::load::load_zone;
use crate::wire::builder::MessageBuilder;
use crate::wire::message::{flags, parse_request, rcode, ParseError};
use crate::zone::Zone;
use catalog::Catalog;
use query::{AnswerOptions, Transport};

/// What every listener shares.
pub struct Shared {
    pub catalog: ArcSwap<Catalog>,
    pub answer: AnswerOptions,
}

/// Builds the answer to one message; `None` means send nothing.
pub fn respond<'b>(
    msg: &[u8],
    catalog: &Catalog,
    opts: &AnswerOptions,
    transport: Transport,
    builder: &'b mut MessageBuilder,
) -> Option<&'b [u8]> {
    match parse_request(msg) {
        Ok(req) => query::answer(&req, catalog, opts, transport, builder),
        Err(ParseError::Drop) => return None,
        Err(ParseError::FormErr { id, flags: f }) => {
            // No question is echoed: it could not be read.
            builder.start(id, flags::QR | (f & (0x7800 | flags::RD)), None, 512);
            builder.set_rcode(rcode::FORMERR);
        }
    }
    Some(builder.finish())
}

/// Loads every zone of `config`; any failure is an error.
pub fn load_all(config: &Config) -> anyhow::Result<Vec<Arc<Zone>>> {
    let mut zones = Vec::new();
    for zc in &config.zones {
        let loaded = load_zone(zc).with_context(|| format!("zone {}", zc.name))?;
        for w in &loaded.warnings {
            tracing::warn!(zone = %zc.name, "{w}");
        }
        tracing::info!(
            zone = %zc.name,
            serial = loaded.version.serial(),
            records = loaded.version.record_count(),
            "zone loaded"
        );
        zones.push(Arc::new(Zone::new(loaded.version)));
    }
    Ok(zones)
}

/// Re-reads every zone file; a zone whose file fails keeps serving its
/// current version.
pub fn reload_all(config: &Config, catalog: &Catalog) {
    for zc in &config.zones {
        let Some(zone) = catalog.get(&zc.name) else {
            continue;
        };
        match load_zone(zc) {
            Ok(loaded) => {
                let old = zone.current().serial();
                let new = loaded.version.serial();
                for w in &loaded.warnings {
                    tracing::warn!(zone = %zc.name, "{w}");
                }
                if !crate::zone::serial::Serial(new).is_after(crate::zone::serial::Serial(old))
                    && old != new
                {
                    tracing::warn!(zone = %zc.name, old, new, "reloaded zone's serial is not later than the served one");
                }
                zone.publish(loaded.version);
                tracing::info!(zone = %zc.name, old_serial = old, serial = new, "zone reloaded");
            }
            Err(e) => {
                tracing::error!(zone = %zc.name, "reload failed, still serving serial {}: {e:#}", zone.current().serial());
            }
        }
    }
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(config: Config) -> anyhow::Result<()> {
    let zones = load_all(&config)?;
    let shared = Arc::new(Shared {
        catalog: ArcSwap::from_pointee(Catalog::new(zones)),
        answer: AnswerOptions {
            udp_payload_max: config.server.udp_payload_max,
        },
    });
    let workers = config.server.udp_workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let addrs: Vec<SocketAddr> = config.server.listen.clone();
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
        for addr in &addrs {
            let listener = tcp_listener(*addr).with_context(|| format!("binding TCP {addr}"))?;
            tokio::spawn(tcp::serve(
                listener,
                shared.clone(),
                config.server.tcp_idle_timeout.0,
                config.server.tcp_max_connections,
            ));
        }
        tracing::info!(listen = ?addrs, udp_workers = workers, "serving");
        signals(&config, &shared).await
    })
}

fn tcp_listener(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
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
    tokio::net::TcpListener::from_std(sock.into())
}

async fn signals(config: &Config, shared: &Shared) -> anyhow::Result<()> {
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
                let catalog = shared.catalog.load_full();
                let config = config.clone();
                // Parsing a big zone is blocking work.
                let _ = tokio::task::spawn_blocking(move || reload_all(&config, &catalog)).await;
            }
        }
    }
    tracing::info!("stopping");
    Ok(())
}
