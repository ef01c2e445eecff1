//! A TSIG lab for checking polyzone's signatures with real clients.
//!
//! ```text
//! cargo run --example tsig_lab -- keygen NAME [ALGORITHM]
//! cargo run --example tsig_lab -- serve PORT ALG:NAME:SECRET [--skew SECONDS] [--unsigned-middle] [--corrupt-mac]
//! ```
//! `serve` answers on 127.0.0.1:PORT (UDP and TCP) with a signed reply:
//! one A record (192.0.2.1) for any query, a 3-message AXFR stream of
//! `lab.test.` (SOA, 40 TXT records, 40 more, SOA), NOTAUTH with BADKEY /
//! BADSIG / BADTIME / BADTRUNC as `verify_request` decides, REFUSED for
//! unsigned queries. `--skew` shifts the server clock (to provoke
//! BADTIME); `--unsigned-middle` leaves the second AXFR message unsigned
//! (RFC 8945 §5.3.1); `--corrupt-mac` breaks every MAC (a negative
//! control for the client checks). See `scripts/tsig/check_with_dig.sh`.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{SystemTime, UNIX_EPOCH};

use polyzone::server::tsig::{
    sign_response, verify_request, KeyRing, TsigContext, TsigKey, TsigOutcome, TsigStream,
};
use polyzone::wire::message::parse_request;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("keygen") => {
            let name = args.get(1).map(String::as_str).unwrap_or("update-key");
            let alg = args.get(2).map(String::as_str).unwrap_or("hmac-sha256");
            print!("{}", polyzone::cli::tsig::generate(name, alg)?);
            Ok(())
        }
        Some("serve") => serve(&args[1..]),
        _ => anyhow::bail!("usage: tsig_lab keygen NAME [ALG] | serve PORT ALG:NAME:SECRET [--skew S] [--unsigned-middle] [--corrupt-mac]"),
    }
}

struct Lab {
    keys: KeyRing,
    skew: i64,
    unsigned_middle: bool,
    corrupt_mac: bool,
}

fn serve(args: &[String]) -> anyhow::Result<()> {
    let port: u16 = args
        .first()
        .ok_or_else(|| anyhow::anyhow!("PORT"))?
        .parse()?;
    let mut keys = KeyRing::new();
    let (mut skew, mut unsigned_middle, mut corrupt_mac) = (0i64, false, false);
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--skew" => {
                skew = it
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--skew S"))?
                    .parse()?
            }
            "--unsigned-middle" => unsigned_middle = true,
            "--corrupt-mac" => corrupt_mac = true,
            spec => {
                let mut p = spec.splitn(3, ':');
                let (alg, name, secret) = (p.next(), p.next(), p.next());
                let (Some(alg), Some(name), Some(secret)) = (alg, name, secret) else {
                    anyhow::bail!("key spec ALG:NAME:SECRET, got {spec}");
                };
                keys.insert(TsigKey::from_config(name, alg, secret)?);
            }
        }
    }
    let lab = Lab {
        keys,
        skew,
        unsigned_middle,
        corrupt_mac,
    };
    let udp = UdpSocket::bind(("127.0.0.1", port))?;
    let tcp = TcpListener::bind(("127.0.0.1", port))?;
    eprintln!("tsig_lab: listening on 127.0.0.1:{port} (udp+tcp)");
    std::thread::scope(|s| {
        s.spawn(|| loop {
            let mut buf = [0u8; 65535];
            if let Ok((n, peer)) = udp.recv_from(&mut buf) {
                for reply in lab.corrupt(lab.answer(&buf[..n])) {
                    let _ = udp.send_to(&reply, peer);
                }
            }
        });
        for conn in tcp.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut len = [0u8; 2];
            if c.read_exact(&mut len).is_err() {
                continue;
            }
            let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if c.read_exact(&mut msg).is_err() {
                continue;
            }
            for reply in lab.corrupt(lab.answer(&msg)) {
                let _ = c.write_all(&(reply.len() as u16).to_be_bytes());
                let _ = c.write_all(&reply);
            }
        }
    });
    Ok(())
}

fn now(skew: i64) -> u64 {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    t.saturating_add_signed(skew)
}

impl Lab {
    /// With `--corrupt-mac`, flips a bit in the last MAC octet of every
    /// signed reply: a negative control for the client checks.
    fn corrupt(&self, mut replies: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        if self.corrupt_mac {
            for r in &mut replies {
                // MAC, Original ID, Error, Other Len (0) end the record.
                if let Some(i) = r.len().checked_sub(7) {
                    r[i] ^= 1;
                }
            }
        }
        replies
    }

    fn answer(&self, msg: &[u8]) -> Vec<Vec<u8>> {
        let Ok(req) = parse_request(msg) else {
            return Vec::new();
        };
        let now = now(self.skew);
        let header = |rcode: u16, an: u16| {
            let mut r = Vec::new();
            r.extend_from_slice(&req.id.to_be_bytes());
            let flags = 0x8000 | 0x0400 | (req.flags & 0x7900) | rcode;
            r.extend_from_slice(&flags.to_be_bytes());
            r.extend_from_slice(&[0, 1]);
            r.extend_from_slice(&an.to_be_bytes());
            r.extend_from_slice(&[0, 0, 0, 0]);
            r.extend_from_slice(req.qname);
            r.extend_from_slice(&req.qtype.0.to_be_bytes());
            r.extend_from_slice(&req.qclass.0.to_be_bytes());
            r
        };
        let ctx: TsigContext = match verify_request(msg, &self.keys, now) {
            TsigOutcome::Valid(ctx) => ctx,
            TsigOutcome::Invalid {
                error,
                ctx_for_reply,
            } => {
                eprintln!("tsig_lab: {error}");
                let mut r = header(9, 0);
                let _ = sign_response(&mut r, &ctx_for_reply, error.code(), now);
                return vec![r];
            }
            TsigOutcome::FormErr => return vec![header(1, 0)],
            TsigOutcome::Unsigned => return vec![header(5, 0)],
        };
        if req.qtype.0 != 252 {
            let mut r = header(0, 1);
            r.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2C, 0, 4, 192, 0, 2, 1]);
            if sign_response(&mut r, &ctx, 0, now).is_err() {
                return Vec::new();
            }
            return vec![r];
        }
        let Some(mut stream) = TsigStream::new(&ctx) else {
            return Vec::new();
        };
        let soa = [
            0xC0, 12, 0, 6, 0, 1, 0, 0, 1, 0x2C, 0, 24, 0xC0, 12, 0xC0, 12, 0, 0, 0, 1, 0, 0, 0,
            60, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 60,
        ];
        let txt = |i: u16| {
            let mut rr = vec![0xC0, 12, 0, 16, 0, 1, 0, 0, 1, 0x2C, 0, 6, 5];
            rr.extend_from_slice(format!("t{i:04}").as_bytes());
            rr
        };
        let mut out = Vec::new();
        for part in 0..3u16 {
            // SOA first in the first message and last in the last one.
            let mut r = header(0, if part == 1 { 40 } else { 41 });
            if part == 0 {
                r.extend_from_slice(&soa);
            }
            for i in 0..40 {
                r.extend_from_slice(&txt(part * 40 + i));
            }
            if part == 2 {
                r.extend_from_slice(&soa);
            }
            if part == 1 && self.unsigned_middle {
                if stream.add_unsigned(&r).is_err() {
                    return Vec::new();
                }
            } else if stream.sign(&mut r, now).is_err() {
                return Vec::new();
            }
            out.push(r);
        }
        out
    }
}
