//! An AXFR client (RFC 5936 §4): pulls a whole zone from a primary over
//! TCP, for `polyzone import --axfr` (migrating from an existing BIND or
//! Knot primary) and for tests.
//!
//! The request is TSIG-signed when a key is given, and then every answer
//! message goes through [`TsigStreamVerifier`]: the stream must start and
//! end signed, with at most 99 unsigned messages in a row, so a truncated
//! or spliced transfer fails. The transfer is complete at the second SOA
//! with the serial of the first (RFC 5936 §2.2); anything else — an error
//! rcode, a closed connection, records after the last SOA, a name outside
//! the zone — is an error, and nothing is returned.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::rdata::{read_rdata, Class, RType};
use crate::server::tsig::{self, TsigKey, TsigStreamVerifier};
use crate::wire::builder::MessageBuilder;
use crate::wire::message::{flags, read_name, skip_name, HEADER_LEN};
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::soa_fields;

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum AxfrError {
    #[error("connecting to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("talking to {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{addr} refused the transfer of {zone}: rcode {rcode}")]
    Refused {
        addr: SocketAddr,
        zone: Name,
        rcode: u16,
    },
    #[error("TSIG check of the answer failed: {0}")]
    Tsig(String),
    #[error("malformed answer from {addr}: {what}")]
    Malformed { addr: SocketAddr, what: String },
}

/// A received zone: every record in the order sent, the SOA once.
#[derive(Debug)]
pub struct Transfer {
    pub serial: u32,
    pub records: Vec<Record>,
    pub messages: usize,
}

/// Transfers `zone` from `addr`, signing with `key` when given.
pub fn axfr(
    addr: SocketAddr,
    zone: &Name,
    key: Option<&TsigKey>,
    timeout: Duration,
) -> Result<Transfer, AxfrError> {
    let io = |source| AxfrError::Io { addr, source };
    let malformed = |what: String| AxfrError::Malformed { addr, what };
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let id = u16::from_be_bytes(id);
    let mut b = MessageBuilder::new();
    b.start(
        id,
        0,
        Some((zone.as_wire(), RType::AXFR.0, Class::IN.0)),
        512,
    );
    let mut query = b.finish().to_vec();
    let mut verifier = match key {
        Some(k) => {
            let mac = tsig::sign_request(&mut query, k, crate::commit::now())
                .map_err(|e| AxfrError::Tsig(e.to_string()))?;
            Some(TsigStreamVerifier::new(k, &mac))
        }
        None => None,
    };
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|source| AxfrError::Connect { addr, source })?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_nodelay(true).ok();
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    stream.write_all(&framed).map_err(io)?;

    let mut reader = std::io::BufReader::with_capacity(128 * 1024, stream);
    let mut records: Vec<Record> = Vec::new();
    let mut serial = None;
    let mut messages = 0usize;
    let mut msg = Vec::with_capacity(65535);
    loop {
        let mut len = [0u8; 2];
        reader.read_exact(&mut len).map_err(io)?;
        msg.resize(u16::from_be_bytes(len) as usize, 0);
        reader.read_exact(&mut msg).map_err(io)?;
        messages += 1;
        if msg.len() < HEADER_LEN || u16::from_be_bytes([msg[0], msg[1]]) != id {
            return Err(malformed("an answer with another ID".into()));
        }
        if let Some(v) = &mut verifier {
            v.verify(&msg, crate::commit::now())
                .map_err(|e| AxfrError::Tsig(e.to_string()))?;
        }
        let fl = u16::from_be_bytes([msg[2], msg[3]]);
        if fl & flags::QR == 0 {
            return Err(malformed("a message that is not a response".into()));
        }
        if fl & 0xF != 0 {
            return Err(AxfrError::Refused {
                addr,
                zone: zone.clone(),
                rcode: fl & 0xF,
            });
        }
        let done = read_answers(&msg, zone, &mut records, &mut serial).map_err(malformed)?;
        if done {
            break;
        }
    }
    if let Some(v) = &verifier {
        v.finish().map_err(|e| AxfrError::Tsig(e.to_string()))?;
    }
    let serial = serial.ok_or_else(|| malformed("no SOA".into()))?;
    Ok(Transfer {
        serial,
        records,
        messages,
    })
}

/// Reads the answer section of one message into `records`; true once the
/// closing SOA was read.
fn read_answers(
    msg: &[u8],
    zone: &Name,
    records: &mut Vec<Record>,
    serial: &mut Option<u32>,
) -> Result<bool, String> {
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
    let (qd, an) = (count(4), count(6));
    let mut pos = HEADER_LEN;
    for _ in 0..qd {
        pos = skip_name(msg, pos).ok_or("bad question name")? + 4;
    }
    for i in 0..an {
        let (owner, p) = read_name(msg, pos).ok_or("bad owner name")?;
        let field = |o: usize, n: usize| msg.get(p + o..p + o + n).ok_or("record cut short");
        let rtype = RType(u16::from_be_bytes(field(0, 2)?.try_into().map_err(|_| "")?));
        let class = Class(u16::from_be_bytes(field(2, 2)?.try_into().map_err(|_| "")?));
        let ttl = u32::from_be_bytes(field(4, 4)?.try_into().map_err(|_| "")?);
        let rdlen = u16::from_be_bytes(field(8, 2)?.try_into().map_err(|_| "")?) as usize;
        let rdata =
            read_rdata(msg, p + 10, rdlen, rtype).map_err(|e| format!("{owner} {rtype}: {e}"))?;
        pos = p + 10 + rdlen;
        if !owner.is_subdomain_of(zone) {
            return Err(format!("{owner} is outside the zone {zone}"));
        }
        if rtype == RType::SOA {
            let s = soa_fields(&rdata).ok_or("bad SOA")?.serial;
            match *serial {
                None if owner == *zone => *serial = Some(s),
                None => return Err(format!("the first record is a SOA of {owner}")),
                Some(first) if first == s && owner == *zone => {
                    if i + 1 != an {
                        return Err("records after the closing SOA".into());
                    }
                    return Ok(true);
                }
                Some(_) => return Err(format!("a second SOA ({owner} serial {s})")),
            }
        } else if serial.is_none() {
            return Err(format!("the transfer starts with {rtype}, not the SOA"));
        }
        records.push(Record {
            owner,
            class,
            ttl,
            rtype,
            rdata: rdata.into_boxed_slice(),
        });
    }
    Ok(false)
}
