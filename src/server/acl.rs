//! Who may transfer a zone: the zone's `transfer` list.
//!
//! Each entry is either a TSIG key name or an address block in CIDR form
//! (`127.0.0.0/8`, `::1/128`; a bare address is a /32 or /128):
//!
//! - a **key** entry admits a request carrying a valid TSIG made with that
//!   key, from any address;
//! - a **CIDR** entry admits a request from a source address inside it,
//!   signed or not;
//! - a request matching **any** entry is allowed; an empty or absent list
//!   refuses everyone.
//!
//! A request signed with an unknown key or a bad MAC never gets here: the
//! dispatcher answers it NOTAUTH with the TSIG error (RFC 8945 §5.2), so it
//! is never allowed, even from a listed address. The same list guards
//! AXFR and IXFR, over UDP and TCP.

use std::fmt;
use std::net::IpAddr;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use crate::zone::name::Name;

/// An address block: the network address and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True when `ip` lies inside the block. IPv4-mapped IPv6 sources
    /// (a dual-stack socket) are compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// The first `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = (bits / 8) as usize;
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xFFu8 << (8 - rest);
    a[full] & mask == b[full] & mask
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("`{a}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("`/{p}` is not a prefix length 0..={max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// One entry of a `transfer` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclEntry {
    Key(Name),
    Net(Cidr),
}

impl AclEntry {
    /// An entry with a digit or a colon before any `/` that parses as an
    /// address is a CIDR; anything else must be a key name.
    pub fn parse(s: &str) -> Result<AclEntry, String> {
        let looks_like_addr = s.contains(':')
            || s.split('/')
                .next()
                .is_some_and(|a| a.parse::<IpAddr>().is_ok());
        if looks_like_addr {
            return s.parse().map(AclEntry::Net);
        }
        s.parse::<Name>()
            .map(AclEntry::Key)
            .map_err(|e| format!("`{s}` is neither an address block nor a key name: {e}"))
    }
}

/// The zone's `transfer` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferAcl {
    pub entries: Vec<AclEntry>,
}

impl TransferAcl {
    /// Parses the list as written in the config.
    pub fn parse(items: &[String]) -> Result<TransferAcl, String> {
        let entries = items
            .iter()
            .map(|s| AclEntry::parse(s.trim()))
            .collect::<Result<_, _>>()?;
        Ok(TransferAcl { entries })
    }

    /// The key names the list mentions (the config checks they exist).
    pub fn keys(&self) -> impl Iterator<Item = &Name> {
        self.entries.iter().filter_map(|e| match e {
            AclEntry::Key(k) => Some(k),
            AclEntry::Net(_) => None,
        })
    }

    /// True when a request from `source`, with a verified TSIG made with
    /// `key` (or none), may transfer the zone.
    pub fn allows(&self, source: IpAddr, key: Option<&Name>) -> bool {
        self.entries.iter().any(|e| match e {
            AclEntry::Key(k) => key == Some(k),
            AclEntry::Net(n) => n.contains(source),
        })
    }
}

impl<'de> Deserialize<'de> for TransferAcl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TransferAcl, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        TransferAcl::parse(&items).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_matching() {
        let n: Cidr = "127.0.0.0/8".parse().unwrap();
        assert!(n.contains(ip("127.1.2.3")));
        assert!(!n.contains(ip("128.0.0.1")));
        assert!(n.contains(ip("::ffff:127.0.0.9")));
        let n: Cidr = "192.0.2.128/25".parse().unwrap();
        assert!(n.contains(ip("192.0.2.200")));
        assert!(!n.contains(ip("192.0.2.100")));
        let n: Cidr = "::1".parse().unwrap();
        assert!(n.contains(ip("::1")));
        assert!(!n.contains(ip("::2")));
        assert!(!n.contains(ip("127.0.0.1")));
        let n: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(n.contains(ip("203.0.113.1")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("10.0.0/8".parse::<Cidr>().is_err());
    }

    #[test]
    fn keys_and_networks() {
        let acl = TransferAcl::parse(&[
            "transfer-key".into(),
            "127.0.0.0/8".into(),
            "2001:db8::/32".into(),
        ])
        .unwrap();
        let key: Name = "transfer-key".parse().unwrap();
        let other: Name = "other-key".parse().unwrap();
        assert_eq!(acl.keys().count(), 1);
        // A listed key admits from anywhere.
        assert!(acl.allows(ip("198.51.100.1"), Some(&key)));
        // Another (valid) key from an unlisted address does not.
        assert!(!acl.allows(ip("198.51.100.1"), Some(&other)));
        // A listed address admits, signed or not.
        assert!(acl.allows(ip("127.0.0.1"), None));
        assert!(acl.allows(ip("2001:db8::5"), Some(&other)));
        assert!(!acl.allows(ip("198.51.100.1"), None));
        // Empty refuses all.
        assert!(!TransferAcl::default().allows(ip("127.0.0.1"), Some(&key)));
        let keyonly = TransferAcl::parse(&["transfer-key".into()]).unwrap();
        assert!(!keyonly.allows(ip("127.0.0.1"), None));
        assert!(TransferAcl::parse(&["10.0.0.0/99".into()]).is_err());
        assert!(TransferAcl::parse(&["bad..name".into()]).is_err());
    }
}
