//! Record types and classes: numeric codes and their mnemonics.

use std::fmt;

/// A resource record type (RFC 1035 §3.2.2 and later registrations).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RType(pub u16);

macro_rules! rtypes {
    ($($name:ident = $code:expr),* $(,)?) => {
        impl RType {
            $(pub const $name: RType = RType($code);)*
            /// Mnemonic of a registered type, `None` for others.
            pub fn mnemonic(self) -> Option<&'static str> {
                match self.0 { $($code => Some(stringify!($name)),)* _ => None }
            }
            /// The type named by a mnemonic (case-insensitive) or `TYPEnnn`.
            pub fn from_mnemonic(s: &str) -> Option<RType> {
                $(if s.eq_ignore_ascii_case(stringify!($name)) { return Some(RType($code)); })*
                let rest = s.get(..4).filter(|p| p.eq_ignore_ascii_case("TYPE")).and(s.get(4..))?;
                if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) { return None; }
                rest.parse::<u16>().ok().map(RType)
            }
        }
    };
}

rtypes! {
    A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9, NULL = 10,
    WKS = 11, PTR = 12, HINFO = 13, MINFO = 14, MX = 15, TXT = 16, RP = 17, AFSDB = 18,
    X25 = 19, ISDN = 20, RT = 21, NSAP = 22, SIG = 24, KEY = 25, PX = 26, GPOS = 27, AAAA = 28,
    LOC = 29, NXT = 30, SRV = 33, NAPTR = 35, KX = 36, CERT = 37, A6 = 38, DNAME = 39, OPT = 41,
    APL = 42, DS = 43, SSHFP = 44, IPSECKEY = 45, RRSIG = 46, NSEC = 47, DNSKEY = 48, DHCID = 49,
    NSEC3 = 50, NSEC3PARAM = 51, TLSA = 52, SMIMEA = 53, HIP = 55, CDS = 59, CDNSKEY = 60,
    OPENPGPKEY = 61, CSYNC = 62, ZONEMD = 63, SVCB = 64, HTTPS = 65, SPF = 99, NID = 104,
    L32 = 105, L64 = 106, LP = 107, EUI48 = 108, EUI64 = 109, TKEY = 249, TSIG = 250,
    IXFR = 251, AXFR = 252, MAILB = 253, MAILA = 254, ANY = 255, URI = 256, CAA = 257,
    AVC = 258, DOA = 259, AMTRELAY = 260, TA = 32768, DLV = 32769,
}

impl RType {
    /// Meta and question-only types (RFC 6895 §3.1) that never live in a zone.
    pub fn is_meta(self) -> bool {
        matches!(self.0, 0 | 41 | 128..=255)
    }
    /// Types whose RRsets belong to the DNSSEC machinery rather than to the data.
    pub fn is_dnssec(self) -> bool {
        matches!(
            self,
            RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::NSEC3PARAM | RType::DNSKEY
        )
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}
impl fmt::Debug for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A record class.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class(pub u16);

impl Class {
    pub const IN: Class = Class(1);
    pub const CH: Class = Class(3);
    pub const HS: Class = Class(4);
    pub const NONE: Class = Class(254);
    pub const ANY: Class = Class(255);

    pub fn mnemonic(self) -> Option<&'static str> {
        match self.0 {
            1 => Some("IN"),
            3 => Some("CH"),
            4 => Some("HS"),
            254 => Some("NONE"),
            255 => Some("ANY"),
            _ => None,
        }
    }
    /// The class named by a mnemonic (case-insensitive) or `CLASSnnn`.
    pub fn from_mnemonic(s: &str) -> Option<Class> {
        for c in [Class::IN, Class::CH, Class::HS, Class::NONE, Class::ANY] {
            if c.mnemonic().is_some_and(|m| m.eq_ignore_ascii_case(s)) {
                return Some(c);
            }
        }
        if s.eq_ignore_ascii_case("CHAOS") {
            return Some(Class::CH);
        }
        let rest = s
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("CLASS"))
            .and(s.get(5..))?;
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest.parse::<u16>().ok().map(Class)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "CLASS{}", self.0),
        }
    }
}
impl fmt::Debug for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn mnemonics() {
        assert_eq!(RType::from_mnemonic("aaaa"), Some(RType::AAAA));
        assert_eq!(RType::from_mnemonic("TYPE65280"), Some(RType(65280)));
        assert_eq!(RType::from_mnemonic("TYPE"), None);
        assert_eq!(RType::from_mnemonic("TYPE70000"), None);
        assert_eq!(RType(65280).to_string(), "TYPE65280");
        assert_eq!(Class::from_mnemonic("class3"), Some(Class::CH));
    }
}
