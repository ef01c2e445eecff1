//! Asks the parent's name servers for a zone's DS RRset: the only network
//! I/O of DNSSEC key management. A KSK rollover goes on when every
//! configured parent server serves the new key's DS; going insecure goes on
//! when none serves any DS. One UDP query per server (EDNS, 1232 bytes),
//! TCP when the answer is truncated; a server that does not answer counts
//! as "not yet".

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use crate::rdata::RType;
use crate::zone::name::{lowercase_wire, Name};

const TIMEOUT: Duration = Duration::from_secs(2);

/// The DS rdatas one server serves for `zone` (`None`: no usable answer).
pub fn query_ds(server: SocketAddr, zone: &Name) -> Option<Vec<Vec<u8>>> {
    let id = getrandom::u32().ok()? as u16;
    let q = build_query(id, zone);
    let bind: SocketAddr = if server.is_ipv6() {
        "[::]:0".parse().ok()?
    } else {
        "0.0.0.0:0".parse().ok()?
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.set_read_timeout(Some(TIMEOUT)).ok()?;
    sock.send_to(&q, server).ok()?;
    let mut buf = vec![0u8; 4096];
    let reply = loop {
        let (n, from) = sock.recv_from(&mut buf).ok()?;
        if from == server && n >= 12 && u16::from_be_bytes([buf[0], buf[1]]) == id {
            break buf[..n].to_vec();
        }
    };
    let reply = if reply[2] & 0x02 != 0 {
        tcp_query(server, &q)?
    } else {
        reply
    };
    parse_ds(&reply, zone)
}

fn tcp_query(server: SocketAddr, q: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&server, TIMEOUT).ok()?;
    s.set_read_timeout(Some(TIMEOUT)).ok()?;
    let mut msg = (q.len() as u16).to_be_bytes().to_vec();
    msg.extend_from_slice(q);
    s.write_all(&msg).ok()?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let mut out = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut out).ok()?;
    Some(out)
}

/// A DS query without recursion, with an OPT record.
fn build_query(id: u16, zone: &Name) -> Vec<u8> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    let mut name = zone.as_wire().to_vec();
    lowercase_wire(&mut name);
    q.extend_from_slice(&name);
    q.extend_from_slice(&RType::DS.0.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    // OPT: root owner, type 41, payload 1232, no flags, no options.
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    q
}

/// Skips a (possibly compressed) name; returns the offset after it.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)? as usize;
        if len == 0 {
            return Some(at + 1);
        }
        if len & 0xC0 == 0xC0 {
            return Some(at + 2);
        }
        at += 1 + len;
    }
}

/// The DS rdatas in the answer section of a NOERROR reply.
fn parse_ds(m: &[u8], zone: &Name) -> Option<Vec<Vec<u8>>> {
    if m.len() < 12 || m[2] & 0x80 == 0 || m[3] & 0x0F != 0 {
        return None;
    }
    let qd = u16::from_be_bytes([m[4], m[5]]);
    let an = u16::from_be_bytes([m[6], m[7]]);
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(m, at)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        at = skip_name(m, at)?;
        let h = m.get(at..at + 10)?;
        let rtype = u16::from_be_bytes([h[0], h[1]]);
        let rdlen = u16::from_be_bytes([h[8], h[9]]) as usize;
        let rd = m.get(at + 10..at + 10 + rdlen)?;
        if rtype == RType::DS.0 {
            out.push(rd.to_vec());
        }
        at += 10 + rdlen;
    }
    let _ = zone;
    Some(out)
}

/// True when every server answers and serves a DS equal to `want`
/// (key tag, algorithm, digest type and digest); an empty `want` asks
/// instead that no server serves any DS.
pub fn all_serve(servers: &[SocketAddr], zone: &Name, want: Option<&[u8]>) -> bool {
    !servers.is_empty()
        && servers.iter().all(|s| match query_ds(*s, zone) {
            None => false,
            Some(ds) => match want {
                Some(w) => ds.iter().any(|d| d.as_slice() == w),
                None => ds.is_empty(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_ds_answer() {
        let zone: Name = "child.test".parse().unwrap();
        let mut m = build_query(7, &zone);
        m.truncate(m.len() - 11); // drop the OPT
        m[2] = 0x84;
        m[7] = 1; // one answer
        m[11] = 0;
        m.extend_from_slice(&[
            0xC0, 12, 0, 43, 0, 1, 0, 0, 0, 60, 0, 6, 1, 2, 13, 2, 0xAA, 0xBB,
        ]);
        assert_eq!(
            parse_ds(&m, &zone),
            Some(vec![vec![1, 2, 13, 2, 0xAA, 0xBB]])
        );
        m[3] = 3; // NXDOMAIN
        assert_eq!(parse_ds(&m, &zone), None);
    }
}
