//! A minimal DNS client for verification: one question to one server over
//! UDP (TCP when the answer is truncated), the answer section decoded into
//! records. Non-recursive: it asks authoritative servers what they serve.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::rdata::{Class, RType};
use crate::wire::message::{read_name, skip_name};
use crate::zone::name::Name;
use crate::zone::record::Record;

/// What a server answered.
#[derive(Debug)]
pub struct Answer {
    pub rcode: u8,
    pub authoritative: bool,
    pub records: Vec<Record>,
}

fn build_query(id: u16, name: &Name, rtype: RType) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    m.extend_from_slice(name.as_wire());
    m.extend_from_slice(&rtype.0.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    // OPT: 1232-octet payload (RFC 9715 guidance), no flags.
    m.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    m
}

/// Asks `server` for `name`/`rtype`.
pub async fn query(
    server: SocketAddr,
    name: &Name,
    rtype: RType,
    timeout: Duration,
) -> Result<Answer, String> {
    let mut idb = [0u8; 2];
    getrandom::fill(&mut idb).map_err(|e| e.to_string())?;
    let id = u16::from_be_bytes(idb);
    let q = build_query(id, name, rtype);
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(|e| format!("{e}"))?;
    let sock = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
    sock.connect(server).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 65535];
    let mut answer = None;
    for _ in 0..3 {
        sock.send(&q).await.map_err(|e| e.to_string())?;
        match tokio::time::timeout(timeout, sock.recv(&mut buf)).await {
            Ok(Ok(n)) if n >= 12 && buf[..2] == id.to_be_bytes() => {
                answer = Some(buf[..n].to_vec());
                break;
            }
            Ok(Err(e)) => return Err(e.to_string()),
            _ => continue,
        }
    }
    let msg = answer.ok_or_else(|| format!("no answer from {server}"))?;
    let msg = if msg[2] & 0x02 != 0 {
        tcp_query(server, &q, timeout).await?
    } else {
        msg
    };
    parse(&msg).ok_or_else(|| format!("malformed answer from {server}"))
}

async fn tcp_query(server: SocketAddr, q: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let work = async {
        let mut s = TcpStream::connect(server).await?;
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(q);
        s.write_all(&framed).await?;
        let len = s.read_u16().await? as usize;
        let mut msg = vec![0u8; len];
        s.read_exact(&mut msg).await?;
        Ok::<_, std::io::Error>(msg)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("TCP to {server} timed out"))?
        .map_err(|e| format!("TCP to {server}: {e}"))
}

fn u16_at(msg: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]))
}

pub(crate) fn parse(msg: &[u8]) -> Option<Answer> {
    let rcode = msg.get(3)? & 0x0F;
    let authoritative = msg.get(2)? & 0x04 != 0;
    let qd = u16_at(msg, 4)?;
    let an = u16_at(msg, 6)?;
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4;
    }
    let mut records = Vec::with_capacity(an as usize);
    for _ in 0..an {
        let (owner, p) = read_name(msg, pos)?;
        let rtype = RType(u16_at(msg, p)?);
        let class = u16_at(msg, p + 2)?;
        let ttl = u32::from_be_bytes(msg.get(p + 4..p + 8)?.try_into().ok()?);
        let rdlen = u16_at(msg, p + 8)? as usize;
        let rdata = crate::rdata::read_rdata(msg, p + 10, rdlen, rtype).ok()?;
        pos = p + 10 + rdlen;
        let mut r = Record::new(owner, rtype, ttl, rdata);
        r.class = Class(class);
        records.push(r);
    }
    Some(Answer {
        rcode,
        authoritative,
        records,
    })
}

/// The SOA serial `server` serves for `zone`.
pub async fn soa_serial(server: SocketAddr, zone: &Name, timeout: Duration) -> Result<u32, String> {
    let a = query(server, zone, RType::SOA, timeout).await?;
    if a.rcode != 0 {
        return Err(format!("rcode {} for {zone} SOA", a.rcode));
    }
    a.records
        .iter()
        .find(|r| r.rtype == RType::SOA)
        .and_then(|r| crate::zone::version::soa_fields(&r.rdata))
        .map(|f| f.serial)
        .ok_or_else(|| format!("no SOA for {zone} in the answer"))
}
