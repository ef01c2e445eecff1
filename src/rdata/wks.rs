//! WKS (RFC 1035 §3.4.2): protocol and port-bitmap fields.
//!
//! Protocols and services may be written by name. BIND looks names up in
//! the host's `/etc/protocols` and `/etc/services`, so what it accepts
//! varies between hosts; we keep a fixed table of the common names so a
//! zone loads the same everywhere, and always write numbers.

use super::text::parse_uint;
use super::{RdataError, Token};

const PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("sctp", 132),
];

const SERVICES: &[(&str, u16)] = &[
    ("echo", 7),
    ("discard", 9),
    ("daytime", 13),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
];

pub(crate) fn parse_protocol(t: &Token) -> Result<u8, RdataError> {
    if let Some(v) = parse_uint(t.text, 255) {
        return Ok(v as u8);
    }
    PROTOCOLS
        .iter()
        .find(|(n, _)| t.text.eq_ignore_ascii_case(n.as_bytes()))
        .map(|&(_, v)| v)
        .ok_or_else(|| RdataError::bad("WKS protocol", t.text))
}

/// Appends the port bitmap (trailing zero octets omitted).
pub(crate) fn encode_ports(toks: &[Token], out: &mut Vec<u8>) -> Result<(), (usize, RdataError)> {
    let mut bits: Vec<u8> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let port = match parse_uint(t.text, 65535) {
            Some(p) => p as usize,
            None => SERVICES
                .iter()
                .find(|(n, _)| t.text.eq_ignore_ascii_case(n.as_bytes()))
                .map(|&(_, p)| p as usize)
                .ok_or_else(|| (i, RdataError::bad("WKS port or service", t.text)))?,
        };
        if bits.len() <= port / 8 {
            bits.resize(port / 8 + 1, 0);
        }
        bits[port / 8] |= 0x80 >> (port % 8);
    }
    out.extend_from_slice(&bits);
    Ok(())
}

/// The ports of a bitmap, as text.
pub(crate) fn ports_text(s: &mut String, bitmap: &[u8]) {
    let mut first = true;
    for (k, &b) in bitmap.iter().enumerate() {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                if !first {
                    s.push(' ');
                }
                first = false;
                s.push_str(&(k * 8 + bit).to_string());
            }
        }
    }
}
