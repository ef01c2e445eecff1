//! Raw DNS queries over UDP and TCP. Packets are built by hand so the test
//! controls every bit (letter case, EDNS buffer size, DO) independently of
//! any library's defaults; responses are returned undecoded.

use crate::queries::{Query, Transport};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(2);
const UDP_TRIES: usize = 2;

/// The query message with the given id: QR=0, RD=0, one question, and an
/// OPT record when the query has EDNS.
pub fn encode(query: &Query, id: u16) -> Vec<u8> {
    let mut msg = Vec::with_capacity(64);
    msg.extend_from_slice(&id.to_be_bytes());
    msg.extend_from_slice(&[0, 0]); // opcode QUERY, no flags
    let arcount: u16 = if query.edns.is_some() { 1 } else { 0 };
    for count in [1u16, 0, 0, arcount] {
        msg.extend_from_slice(&count.to_be_bytes());
    }
    for label in query.name.split('.').filter(|l| !l.is_empty()) {
        msg.push(label.len() as u8);
        msg.extend_from_slice(label.as_bytes());
    }
    msg.push(0);
    msg.extend_from_slice(&query.qtype.to_be_bytes());
    msg.extend_from_slice(&1u16.to_be_bytes()); // class IN
    if let Some(edns) = query.edns {
        msg.push(0); // owner: root
        msg.extend_from_slice(&41u16.to_be_bytes()); // OPT
        msg.extend_from_slice(&edns.payload.to_be_bytes());
        msg.extend_from_slice(&[0, 0]); // extended rcode, version 0
        let flags: u16 = if edns.dnssec_ok { 0x8000 } else { 0 };
        msg.extend_from_slice(&flags.to_be_bytes());
        msg.extend_from_slice(&[0, 0]); // no options
    }
    msg
}

/// A client bound to one server; keeps its UDP socket across queries.
pub struct Client {
    server: SocketAddr,
    udp: UdpSocket,
    next_id: u16,
}

impl Client {
    pub fn new(server: SocketAddr) -> Client {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP client socket");
        udp.set_read_timeout(Some(TIMEOUT))
            .expect("set UDP timeout");
        Client {
            server,
            udp,
            next_id: 1,
        }
    }

    /// Sends the query and returns the raw response, or why there is none.
    pub fn ask(&mut self, query: &Query) -> Result<Vec<u8>, String> {
        self.next_id = self.next_id.wrapping_add(1);
        let msg = encode(query, self.next_id);
        match query.transport {
            Transport::Udp => self.ask_udp(&msg),
            Transport::Tcp => ask_tcp(self.server, &msg),
        }
    }

    fn ask_udp(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; 65535];
        for _ in 0..UDP_TRIES {
            self.udp
                .send_to(msg, self.server)
                .map_err(|e| format!("udp send: {e}"))?;
            // Skip late answers to an earlier, timed-out try of another query.
            while let Ok((len, from)) = self.udp.recv_from(&mut buf) {
                if from == self.server && len >= 2 && buf[..2] == msg[..2] {
                    return Ok(buf[..len].to_vec());
                }
            }
        }
        Err("udp: no response".to_string())
    }
}

fn ask_tcp(server: SocketAddr, msg: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream =
        TcpStream::connect_timeout(&server, TIMEOUT).map_err(|e| format!("tcp connect: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| format!("tcp timeout: {e}"))?;
    let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(msg);
    stream
        .write_all(&framed)
        .map_err(|e| format!("tcp write: {e}"))?;
    let mut len = [0u8; 2];
    stream
        .read_exact(&mut len)
        .map_err(|e| format!("tcp read length: {e}"))?;
    let mut response = vec![0u8; u16::from_be_bytes(len) as usize];
    stream
        .read_exact(&mut response)
        .map_err(|e| format!("tcp read message: {e}"))?;
    Ok(response)
}
