//! Raw DNS packets over UDP and TCP, for what dig and kdig cannot send
//! (unknown opcodes, malformed messages, pipelined TCP, mixed-case names).

use std::io::Read;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

/// A query message: header with `id` and `flags` (opcode etc.), one question.
pub fn query(id: u16, flags: u16, qname: &str, qtype: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&flags.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in qname.split('.').filter(|l| !l.is_empty()) {
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    p
}

/// Sends one datagram and waits (generously) for one reply.
pub fn udp_exchange(addr: SocketAddr, pkt: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    sock.set_read_timeout(Some(wait)).expect("timeout");
    sock.send_to(pkt, addr).expect("send");
    let mut buf = vec![0u8; 65535];
    match sock.recv(&mut buf) {
        Ok(n) => Some(buf[..n].to_vec()),
        Err(_) => None,
    }
}

pub fn rcode(reply: &[u8]) -> u8 {
    reply[3] & 0x0f
}

pub fn opcode(reply: &[u8]) -> u8 {
    (reply[2] >> 3) & 0x0f
}

pub fn is_response(reply: &[u8]) -> bool {
    reply[2] & 0x80 != 0
}

/// Reads one length-prefixed DNS message from a TCP stream (RFC 1035 §4.2.2).
pub fn read_tcp_message(stream: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).expect("read length");
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut msg).expect("read message");
    msg
}
