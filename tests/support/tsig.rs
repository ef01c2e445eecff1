//! Hand-built RFC 2136 UPDATE messages signed with TSIG (RFC 8945,
//! hmac-sha256), for what nsupdate cannot do: sign with a chosen time (the
//! BADTIME case, without faketime) and stream thousands of updates without
//! a process per update (the crash test). Written from the RFC, not from
//! the server's code, so that a shared misreading cannot hide a bug.
#![allow(dead_code)]

use hmac::{Hmac, KeyInit, Mac};

const TYPE_SOA: u16 = 6;
const TYPE_TSIG: u16 = 250;
const CLASS_IN: u16 = 1;
const CLASS_ANY: u16 = 255;
/// Fudge sent by nsupdate and kdig too (RFC 8945 §10 recommends 300 s).
const FUDGE: u16 = 300;

/// A name in uncompressed wire form, lowercased (RFC 8945 §4.3.3 wants the
/// canonical form of the key and algorithm names in the digest).
pub fn name_wire(name: &str) -> Vec<u8> {
    let mut w = Vec::new();
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        w.push(label.len() as u8);
        w.extend(label.to_ascii_lowercase().bytes());
    }
    w.push(0);
    w
}

/// One RR for the update section: owner, type, TTL, rdata.
pub struct UpdateRr<'a> {
    pub owner: &'a str,
    pub rtype: u16,
    pub ttl: u32,
    pub rdata: &'a [u8],
}

/// An unsigned UPDATE (opcode 5) for `zone` with only additions (class IN,
/// RFC 2136 §2.5.1) and no prerequisites.
pub fn update(id: u16, zone: &str, adds: &[UpdateRr]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend((5u16 << 11).to_be_bytes());
    m.extend(1u16.to_be_bytes()); // ZOCOUNT
    m.extend(0u16.to_be_bytes()); // PRCOUNT
    m.extend((adds.len() as u16).to_be_bytes()); // UPCOUNT
    m.extend(0u16.to_be_bytes()); // ADCOUNT
    m.extend(name_wire(zone));
    m.extend(TYPE_SOA.to_be_bytes());
    m.extend(CLASS_IN.to_be_bytes());
    for rr in adds {
        m.extend(name_wire(rr.owner));
        m.extend(rr.rtype.to_be_bytes());
        m.extend(CLASS_IN.to_be_bytes());
        m.extend(rr.ttl.to_be_bytes());
        m.extend((rr.rdata.len() as u16).to_be_bytes());
        m.extend(rr.rdata);
    }
    m
}

/// Appends a TSIG RR (hmac-sha256, fudge 300) signed at `time_signed`
/// (seconds since the epoch) to `msg`, per RFC 8945 §4.3: the digest covers
/// the message as it is (ARCOUNT without the TSIG) followed by the TSIG
/// variables.
pub fn sign_sha256(msg: &[u8], key_name: &str, secret: &[u8], time_signed: u64) -> Vec<u8> {
    let key = name_wire(key_name);
    let alg = name_wire("hmac-sha256");
    let time = &time_signed.to_be_bytes()[2..]; // 48 bits
    let mut vars = Vec::new();
    vars.extend(&key);
    vars.extend(CLASS_ANY.to_be_bytes());
    vars.extend(0u32.to_be_bytes()); // TTL
    vars.extend(&alg);
    vars.extend(time);
    vars.extend(FUDGE.to_be_bytes());
    vars.extend(0u16.to_be_bytes()); // error
    vars.extend(0u16.to_be_bytes()); // other len
    let mut h = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    h.update(msg);
    h.update(&vars);
    let mac = h.finalize().into_bytes();

    let mut rdata = Vec::new();
    rdata.extend(&alg);
    rdata.extend(time);
    rdata.extend(FUDGE.to_be_bytes());
    rdata.extend((mac.len() as u16).to_be_bytes());
    rdata.extend(mac.as_slice());
    rdata.extend(&msg[0..2]); // original ID
    rdata.extend(0u16.to_be_bytes()); // error
    rdata.extend(0u16.to_be_bytes()); // other len

    let mut out = msg.to_vec();
    let arcount = u16::from_be_bytes([out[10], out[11]]) + 1;
    out[10..12].copy_from_slice(&arcount.to_be_bytes());
    out.extend(&key);
    out.extend(TYPE_TSIG.to_be_bytes());
    out.extend(CLASS_ANY.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend((rdata.len() as u16).to_be_bytes());
    out.extend(rdata);
    out
}

/// What a reply says: header rcode and, when it ends with a TSIG RR, that
/// RR's error field and MAC length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyInfo {
    pub id: u16,
    pub is_response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub tsig_error: Option<u16>,
    pub tsig_mac_len: Option<usize>,
    /// Length of the TSIG Other Data (6 with the server's time on BADTIME).
    pub tsig_other_len: Option<u16>,
}

/// Skips a (possibly compressed) name; `None` on a malformed one.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)? as usize;
        match len {
            0 => return Some(at + 1),
            l if l & 0xC0 == 0xC0 => return Some(at + 2),
            l => at += 1 + l,
        }
    }
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]))
}

/// Reads the header and the trailing TSIG RR, if any; `None` when the
/// message cannot be walked.
pub fn reply_info(m: &[u8]) -> Option<ReplyInfo> {
    let qd = u16_at(m, 4)? as usize;
    let rrs = (u16_at(m, 6)? + u16_at(m, 8)? + u16_at(m, 10)?) as usize;
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(m, at)? + 4;
    }
    let mut last_tsig = None;
    for _ in 0..rrs {
        at = skip_name(m, at)?;
        let rtype = u16_at(m, at)?;
        let rdlen = u16_at(m, at + 8)? as usize;
        let rdata = at + 10;
        at = rdata + rdlen;
        last_tsig = None;
        if rtype == TYPE_TSIG {
            let p = skip_name(m, rdata)? + 6 + 2; // algorithm, time, fudge
            let mac_len = u16_at(m, p)? as usize;
            let error = u16_at(m, p + 2 + mac_len + 2)?;
            let other_len = u16_at(m, p + 2 + mac_len + 4)?;
            last_tsig = Some((error, mac_len, other_len));
        }
    }
    Some(ReplyInfo {
        id: u16_at(m, 0)?,
        is_response: m.get(2)? & 0x80 != 0,
        opcode: (m.get(2)? >> 3) & 0x0f,
        rcode: m.get(3)? & 0x0f,
        tsig_error: last_tsig.map(|t| t.0),
        tsig_mac_len: last_tsig.map(|t| t.1),
        tsig_other_len: last_tsig.map(|t| t.2),
    })
}
