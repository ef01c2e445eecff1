//! Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995), TSIG-signed
//! per RFC 8945 §5.3.1.
//!
//! # Flow
//! The dispatcher ([`super::handle`]) verifies TSIG and hands every
//! AXFR/IXFR query here as a [`TransferRequest`]; the listener adds the
//! peer address. [`plan`] then decides, without I/O: the zone must be one
//! we serve at exactly the question's name (else NOTAUTH), the zone's
//! `transfer` list must admit the peer (else REFUSED, see [`super::acl`]),
//! and an IXFR becomes one of: the single current SOA (client current),
//! the condensed diff from the journal, or the whole zone in AXFR form
//! (serial out of the journal's reach, or newer than ours).
//!
//! # Streaming
//! Over TCP the answer is a stream of messages of 16 KiB, each built,
//! signed and written before the next is started: the socket's
//! back-pressure paces the transfer and memory stays at one message, not
//! the encoded zone. Records come straight from the version's node table
//! (hash order: AXFR only requires the SOA first and last), every type
//! including DNSSEC records whatever the DO bit, each RRSIG with the TTL
//! of the RRset it covers. The version is an immutable snapshot, so a
//! commit during a transfer does not disturb it.
//!
//! Over UDP, AXFR is NOTIMP; an IXFR that fits the client's payload size is
//! sent, anything else gets the single SOA so the client retries over TCP
//! (RFC 1995 §2).

pub mod ixfr;
pub mod pack;
pub mod status;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::commit::CommitError;
use crate::rdata::{Class, RType};
use crate::server::tsig::{self, TsigContext, TsigStream};
use crate::server::Shared;
use crate::wire::message::{flags, parse_request, rcode};
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::serial::Serial;
use crate::zone::version::ZoneVersion;
use pack::{Packer, RecordRef};

/// Largest single-message answer, before its TSIG record.
const MESSAGE_MAX: usize = u16::MAX as usize;
/// Size of each message of a streamed transfer. 16 KiB (as nsd and knotd
/// send) rather than 64: every offset stays below the 0x3FFF
/// compression-pointer limit, and the client can start parsing sooner.
const STREAM_MESSAGE: usize = 16 * 1024;
/// Octets of queued messages written to the socket at once.
const WRITE_BATCH: usize = 64 * 1024;
/// A client that takes longer than this to accept one batch is dropped:
/// a stalled transfer would otherwise pin an old zone version in memory.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An AXFR/IXFR query whose TSIG (if any) verified.
pub struct TransferRequest {
    pub(super) msg: Vec<u8>,
    pub(super) tsig: Option<TsigContext>,
}

/// What the answer will be.
enum Plan {
    /// One message with this rcode and these records (refusals, the single
    /// current SOA).
    Single { rcode: u16, soa: Option<Record> },
    /// The whole zone.
    Axfr { version: Arc<ZoneVersion> },
    /// The condensed difference sequence.
    Ixfr { diff: Diff },
}

/// The parts of the request the answer echoes.
struct Echo {
    id: u16,
    flags: u16,
    qname: Vec<u8>,
    qtype: u16,
    qclass: u16,
    zone: Option<Name>,
    /// Payload size for the OPT record of single-message answers, when the
    /// request had one (stream messages go without: RFC 5936 makes OPT in
    /// transfer messages optional, and no client needs it).
    opt: Option<u16>,
}

/// What a transfer was, for the log and the status registry.
struct Outcome {
    zone: Name,
    kind: &'static str,
    serial: u32,
}

/// Decides the answer. `udp` only changes what AXFR means.
fn plan(
    shared: &Shared,
    t: &TransferRequest,
    peer: IpAddr,
    udp: bool,
) -> (Echo, Plan, Option<Outcome>) {
    let single = |rc| Plan::Single {
        rcode: rc,
        soa: None,
    };
    let Ok(req) = parse_request(&t.msg) else {
        // The dispatcher parsed it already; keep a safe answer anyway.
        let echo = Echo {
            id: u16::from_be_bytes([t.msg[0], t.msg[1]]),
            flags: 0,
            qname: vec![0],
            qtype: 0,
            qclass: 0,
            zone: None,
            opt: None,
        };
        return (echo, single(rcode::FORMERR), None);
    };
    let mut echo = Echo {
        id: req.id,
        flags: req.flags,
        qname: req.qname.to_vec(),
        qtype: req.qtype.0,
        qclass: req.qclass.0,
        zone: None,
        opt: req.edns.map(|_| shared.answer.udp_payload_max),
    };
    let key = t.tsig.as_ref().map(|c| &c.key_name);
    let qtype = if req.qtype == RType::AXFR {
        "AXFR"
    } else {
        "IXFR"
    };
    if req.qclass != Class::IN {
        return (echo, single(rcode::REFUSED), None);
    }
    let catalog = shared.catalog.load();
    let zone = match catalog.find(req.qname_lc()) {
        Some(z) if z.name().to_lowercase().as_wire() == req.qname_lc() => z.clone(),
        _ => {
            tracing::info!(%peer, qtype, "transfer of a zone not served here: NOTAUTH");
            return (echo, single(rcode::NOTAUTH), None);
        }
    };
    drop(catalog);
    let name = zone.name().clone();
    echo.zone = Some(name.clone());
    let Some(engine) = &shared.engine else {
        return (echo, single(rcode::REFUSED), None);
    };
    let allowed = engine
        .zone(&name)
        .is_ok_and(|(zc, _)| zc.transfer.allows(peer, key));
    if !allowed {
        tracing::info!(zone = %name, %peer, key = ?key.map(|k| k.to_string()), qtype, "transfer refused by the zone's transfer list");
        return (echo, single(rcode::REFUSED), None);
    }
    if udp && req.qtype == RType::AXFR {
        return (echo, single(rcode::NOTIMP), None);
    }
    let version = zone.current();
    let current = version.serial();
    let outcome = |kind| {
        Some(Outcome {
            zone: name.clone(),
            kind,
            serial: current,
        })
    };
    if req.qtype == RType::AXFR {
        return (echo, Plan::Axfr { version }, outcome("AXFR"));
    }
    let Some(client) = ixfr::client_serial(&t.msg, &req) else {
        return (echo, single(rcode::FORMERR), None);
    };
    if client == current {
        let soa = soa_record(&version);
        return (
            echo,
            Plan::Single {
                rcode: rcode::NOERROR,
                soa,
            },
            outcome("IXFR-current"),
        );
    }
    let as_axfr = |why: &str| {
        tracing::info!(zone = %name, %peer, client, current, "IXFR answered with the whole zone: {why}");
        Plan::Axfr {
            version: version.clone(),
        }
    };
    if Serial(client).is_after(Serial(current)) {
        let p = as_axfr("the client's serial is newer than ours");
        return (echo, p, outcome("IXFR-as-AXFR"));
    }
    match engine.diffs(&name, client, current) {
        Ok(chain) => match ixfr::condense(&chain) {
            Some(diff) => (echo, Plan::Ixfr { diff }, outcome("IXFR")),
            None => (
                echo,
                as_axfr("empty journal chain"),
                outcome("IXFR-as-AXFR"),
            ),
        },
        Err(CommitError::OutOfReach { .. }) => (
            echo,
            as_axfr("the journal no longer reaches that serial"),
            outcome("IXFR-as-AXFR"),
        ),
        Err(e) => {
            tracing::warn!(zone = %name, "reading the journal for IXFR: {e}");
            (
                echo,
                as_axfr("journal read failed"),
                outcome("IXFR-as-AXFR"),
            )
        }
    }
}

/// The zone's SOA as a record (owner in the zone's case).
fn soa_record(v: &ZoneVersion) -> Option<Record> {
    let apex = v.apex_node()?;
    let set = apex.get(RType::SOA)?;
    Some(Record {
        owner: apex.owner(),
        class: v.class(),
        ttl: set.ttl,
        rtype: RType::SOA,
        rdata: set.first()?.into(),
    })
}

fn rref(r: &Record) -> RecordRef<'_> {
    RecordRef {
        owner: r.owner.as_wire(),
        rtype: r.rtype,
        class: r.class.0,
        ttl: r.ttl,
        rdata: &r.rdata,
    }
}

/// Every record of `v` but the SOA, in node-table order. A plain struct
/// rather than an adapter chain: the chain's closures make the TCP task's
/// future fail the `Send` check (a known limit of higher-ranked lifetimes
/// in async code).
struct ZoneRecords<'a> {
    nodes: Box<dyn Iterator<Item = &'a crate::zone::node::Node> + Send + 'a>,
    class: u16,
    node: Option<&'a crate::zone::node::Node>,
    sets: Vec<crate::zone::node::RRsetRef<'a>>,
    set: usize,
    rdatas: Option<crate::zone::node::RdataIter<'a>>,
}

impl<'a> ZoneRecords<'a> {
    fn new(v: &'a ZoneVersion) -> ZoneRecords<'a> {
        ZoneRecords {
            nodes: Box::new(crate::zone::node::Prefetched::new(v.nodes())),
            class: v.class().0,
            node: None,
            sets: Vec::with_capacity(8),
            set: 0,
            rdatas: None,
        }
    }
}

impl<'a> Iterator for ZoneRecords<'a> {
    type Item = RecordRef<'a>;
    fn next(&mut self) -> Option<RecordRef<'a>> {
        loop {
            if let (Some(node), Some(rdatas)) = (self.node, self.rdatas.as_mut()) {
                if let Some(rd) = rdatas.next() {
                    let set = &self.sets[self.set];
                    return Some(RecordRef {
                        owner: node.owner_wire(),
                        rtype: set.rtype,
                        class: self.class,
                        ttl: node.record_ttl(set, rd),
                        rdata: rd,
                    });
                }
                self.set += 1;
                self.rdatas = self.sets.get(self.set).map(|s| s.rdatas());
                continue;
            }
            let node = self.nodes.next()?;
            self.node = Some(node);
            self.sets.clear();
            self.sets
                .extend(node.rrsets().filter(|s| s.rtype != RType::SOA));
            self.set = 0;
            self.rdatas = self.sets.first().map(|s| s.rdatas());
        }
    }
}

/// The records of an IXFR answer: new SOA, old SOA, deletions, new SOA,
/// additions, new SOA (RFC 1995 §4).
fn diff_records(d: &Diff) -> Box<dyn Iterator<Item = RecordRef<'_>> + Send + '_> {
    let new_soa = d.added.iter().find(|r| r.rtype == RType::SOA);
    Box::new(
        new_soa
            .into_iter()
            .chain(d.removed.iter())
            .chain(d.added.iter())
            .chain(new_soa)
            .map(rref),
    )
}

/// Header flags of an answer: QR, AA, the request's opcode and RD.
fn answer_flags(echo: &Echo, rc: u16) -> u16 {
    let aa = if rc == rcode::NOERROR { flags::AA } else { 0 };
    flags::QR | aa | (echo.flags & (0x7800 | flags::RD)) | (rc & 0xF)
}

/// One whole answer message, TSIG-signed when the request was.
fn single_message(echo: &Echo, rc: u16, records: &[RecordRef<'_>], t: &TransferRequest) -> Vec<u8> {
    let reserve = t.tsig.as_ref().map_or(0, |c| c.reply_tsig_len(0));
    let mut p = Packer::new(&echo.qname);
    p.start(
        echo.id,
        answer_flags(echo, rc),
        (&echo.qname, echo.qtype, echo.qclass),
        MESSAGE_MAX - reserve,
    );
    if let Some(size) = echo.opt {
        p.set_opt(size);
    }
    for r in records {
        // Single answers hold at most one SOA: it always fits.
        let _ = p.push(r);
    }
    let mut msg = p.finish().clone();
    sign_single(&mut msg, t);
    msg
}

fn sign_single(msg: &mut Vec<u8>, t: &TransferRequest) {
    if let Some(ctx) = &t.tsig {
        if let Err(e) = tsig::sign_response(msg, ctx, 0, crate::commit::now()) {
            tracing::warn!("cannot sign a transfer answer: {e}");
        }
    }
}

/// Answers an AXFR/IXFR query that came over UDP.
pub fn answer_udp(shared: &Shared, t: TransferRequest, peer: IpAddr) -> Vec<u8> {
    let (echo, plan, outcome) = plan(shared, &t, peer, true);
    let soa_only = |version: &ZoneVersion| {
        let soa = soa_record(version);
        single_message(
            &echo,
            rcode::NOERROR,
            &soa.iter().map(rref).collect::<Vec<_>>(),
            &t,
        )
    };
    match plan {
        Plan::Single { rcode, soa } => {
            single_message(&echo, rcode, &soa.iter().map(rref).collect::<Vec<_>>(), &t)
        }
        // Too big for a datagram: the SOA tells the client to use TCP.
        Plan::Axfr { version, .. } => soa_only(&version),
        Plan::Ixfr { diff } => {
            let payload = parse_request(&t.msg)
                .ok()
                .and_then(|r| r.edns)
                .map_or(512, |e| {
                    e.udp_size
                        .clamp(512, shared.answer.udp_payload_max.max(512))
                });
            let reserve = t.tsig.as_ref().map_or(0, |c| c.reply_tsig_len(0));
            let mut p = Packer::new(&echo.qname);
            p.start(
                echo.id,
                answer_flags(&echo, rcode::NOERROR),
                (&echo.qname, echo.qtype, echo.qclass),
                (payload as usize).saturating_sub(reserve),
            );
            if let Some(size) = echo.opt {
                p.set_opt(size);
            }
            let fits = diff_records(&diff).all(|r| p.push(&r).is_ok());
            if fits {
                let mut msg = p.finish().clone();
                sign_single(&mut msg, &t);
                if let (Some(o), Some(engine)) = (outcome, &shared.engine) {
                    let key = t.tsig.as_ref().map(|c| &c.key_name);
                    engine.secondaries().transferred(
                        &o.zone,
                        peer,
                        key,
                        o.serial,
                        "IXFR-udp",
                        crate::commit::now(),
                    );
                }
                msg
            } else {
                let soa = diff.added.iter().find(|r| r.rtype == RType::SOA);
                single_message(
                    &echo,
                    rcode::NOERROR,
                    &soa.into_iter().map(rref).collect::<Vec<_>>(),
                    &t,
                )
            }
        }
    }
}

/// Gives a transfer connection a deep send buffer (1 MiB): dozens of
/// messages can then wait in the kernel while the client parses, instead of
/// the server stalling every 16 KiB until the client is scheduled again
/// (which, on a busy machine, dominated the transfer time).
pub fn tune_socket(stream: &tokio::net::TcpStream) {
    if let Err(e) = socket2::SockRef::from(stream).set_send_buffer_size(1 << 20) {
        tracing::debug!("cannot enlarge the send buffer of a transfer: {e}");
    }
}

/// Answers an AXFR/IXFR query that came over TCP, writing each message
/// (length-prefixed) to `wr` as soon as it is full.
pub async fn serve_tcp<W: AsyncWrite + Unpin>(
    shared: &Shared,
    t: TransferRequest,
    peer: SocketAddr,
    wr: &mut W,
) -> std::io::Result<()> {
    let started = Instant::now();
    let (echo, plan, outcome) = plan(shared, &t, peer.ip(), false);
    let mut sender = Sender {
        echo: &echo,
        stream: t.tsig.as_ref().and_then(TsigStream::new),
        reserve: t.tsig.as_ref().map_or(0, |c| c.reply_tsig_len(0)),
        frame: Vec::with_capacity(WRITE_BATCH + MESSAGE_MAX + 2),
        messages: 0,
        records: 0,
        bytes: 0,
    };
    let sent = async {
        match plan {
            Plan::Single { rcode, soa } => {
                let msg =
                    single_message(&echo, rcode, &soa.iter().map(rref).collect::<Vec<_>>(), &t);
                sender.records += soa.iter().count() as u64;
                sender.write(wr, &msg).await?;
            }
            Plan::Axfr { version, .. } => {
                let Some(soa) = soa_record(&version) else {
                    let msg = single_message(&echo, rcode::SERVFAIL, &[], &t);
                    sender.write(wr, &msg).await?;
                    return sender.drain(wr).await;
                };
                let records = Box::new(
                    std::iter::once(rref(&soa))
                        .chain(ZoneRecords::new(&version))
                        .chain(std::iter::once(rref(&soa))),
                );
                sender.stream_records(wr, records).await?;
            }
            Plan::Ixfr { diff } => sender.stream_records(wr, diff_records(&diff)).await?,
        }
        sender.drain(wr).await?;
        wr.flush().await
    }
    .await;
    if let Err(e) = sent {
        if let Some(o) = &outcome {
            tracing::warn!(zone = %o.zone, %peer, kind = o.kind, "transfer aborted after {} messages: {e}", sender.messages);
        }
        return Err(e);
    }
    if let (Some(o), Some(engine)) = (outcome, &shared.engine) {
        let key = t.tsig.as_ref().map(|c| &c.key_name);
        engine.secondaries().transferred(
            &o.zone,
            peer.ip(),
            key,
            o.serial,
            o.kind,
            crate::commit::now(),
        );
        tracing::info!(
            zone = %o.zone, %peer, kind = o.kind, serial = o.serial,
            key = ?key.map(|k| k.to_string()),
            messages = sender.messages, records = sender.records, bytes = sender.bytes,
            elapsed_us = started.elapsed().as_micros() as u64,
            "transfer sent"
        );
    }
    Ok(())
}

/// Frames, signs and writes the messages of one answer.
struct Sender<'e> {
    echo: &'e Echo,
    stream: Option<TsigStream>,
    reserve: usize,
    frame: Vec<u8>,
    messages: u64,
    records: u64,
    bytes: u64,
}

impl Sender<'_> {
    /// Queues one message (length-prefixed); the queue goes to the socket
    /// once it holds [`WRITE_BATCH`] octets, so a stream of 16 KiB messages
    /// costs a quarter of the system calls and wake-ups.
    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        msg: &[u8],
    ) -> std::io::Result<()> {
        self.frame
            .extend_from_slice(&(msg.len() as u16).to_be_bytes());
        self.frame.extend_from_slice(msg);
        self.messages += 1;
        self.bytes += msg.len() as u64;
        if self.frame.len() >= WRITE_BATCH {
            self.drain(wr).await?;
        }
        Ok(())
    }

    /// Writes whatever is queued.
    async fn drain<W: AsyncWrite + Unpin>(&mut self, wr: &mut W) -> std::io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(&self.frame))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "transfer client stalled")
            })??;
        self.frame.clear();
        Ok(())
    }

    /// Packs `records` into as many messages as needed and writes each.
    async fn stream_records<'r, W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        records: Box<dyn Iterator<Item = RecordRef<'r>> + Send + 'r>,
    ) -> std::io::Result<()> {
        let mut records = records.peekable();
        let zone_wire = self
            .echo
            .zone
            .as_ref()
            .map_or_else(|| self.echo.qname.clone(), |z| z.as_wire().to_vec());
        let mut p = Packer::new(&zone_wire);
        let echo = self.echo;
        while records.peek().is_some() {
            p.start(
                echo.id,
                answer_flags(echo, rcode::NOERROR),
                (&echo.qname, echo.qtype, echo.qclass),
                STREAM_MESSAGE - self.reserve,
            );
            while let Some(r) = records.peek() {
                if p.push(r).is_err() {
                    break;
                }
                records.next();
            }
            if p.count() == 0 {
                // A record larger than a usual message gets one of its own,
                // up to the 64 KiB a TCP message can hold.
                p.start(
                    echo.id,
                    answer_flags(echo, rcode::NOERROR),
                    (&echo.qname, echo.qtype, echo.qclass),
                    MESSAGE_MAX - self.reserve,
                );
                match records.peek() {
                    Some(r) if p.push(r).is_ok() => {
                        records.next();
                    }
                    _ => {
                        return Err(std::io::Error::other(
                            "a record does not fit in a transfer message",
                        ))
                    }
                }
            }
            self.records += u64::from(p.count());
            let msg = p.finish();
            if let Some(s) = &mut self.stream {
                s.sign(msg, crate::commit::now()).map_err(|e| {
                    std::io::Error::other(format!("signing a transfer message: {e}"))
                })?;
            }
            self.write(wr, msg).await?;
        }
        Ok(())
    }
}
