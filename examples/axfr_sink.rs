//! A minimal AXFR client for `scripts/bench/xfr.sh`: sends one AXFR over
//! TCP and reads the answer stream, walking every record (names, types,
//! rdata lengths) to count them and to find the closing SOA, but never
//! turning anything into text. So the time it reports is mostly the
//! server's and the socket's, where `dig +noall` spends more time parsing
//! than the server spends sending.
//!
//! `cargo run --release --example axfr_sink -- 127.0.0.1:5300 example.com`
//! prints `records N messages M bytes B seconds S`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use polyzone::wire::message::skip_name;
use polyzone::zone::name::Name;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 3, "usage: axfr_sink HOST:PORT ZONE");
    let addr: SocketAddr = args[1].parse()?;
    let zone: Name = args[2]
        .parse()
        .map_err(|e| anyhow::anyhow!("zone {}: {e}", args[2]))?;
    let started = Instant::now();
    let mut sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(zone.as_wire());
    q.extend_from_slice(&[0, 252, 0, 1]);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    sock.write_all(&framed)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, sock);
    let (mut records, mut messages, mut bytes, mut soas) = (0u64, 0u64, 0u64, 0u32);
    let mut buf = vec![0u8; 65535];
    while soas < 2 {
        let mut len = [0u8; 2];
        reader.read_exact(&mut len)?;
        let len = u16::from_be_bytes(len) as usize;
        let msg = &mut buf[..len];
        reader.read_exact(msg)?;
        messages += 1;
        bytes += len as u64 + 2;
        anyhow::ensure!(len >= 12, "short message");
        anyhow::ensure!(msg[3] & 0x0f == 0, "rcode {}", msg[3] & 0x0f);
        let qd = u16::from_be_bytes([msg[4], msg[5]]);
        let an = u16::from_be_bytes([msg[6], msg[7]]);
        let mut pos = 12;
        for _ in 0..qd {
            pos = skip_name(msg, pos).ok_or_else(|| anyhow::anyhow!("bad question"))? + 4;
        }
        for _ in 0..an {
            pos = skip_name(msg, pos).ok_or_else(|| anyhow::anyhow!("bad owner"))?;
            let fixed = msg
                .get(pos..pos + 10)
                .ok_or_else(|| anyhow::anyhow!("truncated record"))?;
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
            pos += 10 + rdlen;
            anyhow::ensure!(pos <= len, "rdata past the end");
            records += 1;
            if rtype == 6 {
                soas += 1;
            }
        }
    }
    println!(
        "records {records} messages {messages} bytes {bytes} seconds {:.3}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
