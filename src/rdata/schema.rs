//! The field layout of every natively supported type.
//!
//! One table drives all four conversions (text to wire, wire to text,
//! message decoding and canonical form), so a type's fields are described
//! once. Types not listed here still work in the RFC 3597 generic form.

use super::RType;

/// One field of a type's rdata, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    U8,
    U16,
    U32,
    /// A 32-bit time period; text may use TTL units (`1h`).
    Period,
    /// DNSSEC algorithm number; text may use a mnemonic.
    Alg,
    /// CERT type; text may use a mnemonic.
    CertType,
    /// A record type code, written as its mnemonic.
    TypeCode,
    /// RRSIG inception/expiration.
    Time,
    A,
    Aaaa,
    Name,
    /// One `<character-string>`.
    Str,
    /// One or more `<character-string>`s to the end.
    Strs,
    /// Base64 to the end, at least one octet.
    Base64,
    /// Base64 to the end, possibly empty (IPSECKEY public key).
    Base64Opt,
    /// Hex to the end, at least one octet.
    Hex,
    /// Length-prefixed hex, `-` for empty (NSEC3 salt).
    Salt,
    /// Length-prefixed base32hex (NSEC3 next hashed owner).
    Hash32,
    /// NSEC-style type bitmap to the end.
    Bitmap,
    Eui48,
    Eui64,
    /// Length-prefixed CAA tag.
    CaaTag,
    /// The rest of the rdata as one quoted string (CAA value, URI target).
    Rest,
    /// The whole LOC rdata (RFC 1876).
    Loc,
    /// SVCB/HTTPS SvcParams to the end.
    SvcParams,
    /// IPSECKEY gateway, shaped by the gateway type in rdata octet 1.
    Gateway,
    /// WKS protocol number; text may use a name.
    Protocol,
    /// 64-bit ILNP locator/node id written as four hex groups (RFC 6742).
    Ilnp64,
    /// WKS port bitmap to the end; text lists ports.
    Ports,
}

impl Field {
    /// True for fields that take every remaining token.
    pub(crate) fn is_rest(self) -> bool {
        matches!(
            self,
            Field::Strs
                | Field::Base64
                | Field::Base64Opt
                | Field::Hex
                | Field::Bitmap
                | Field::Rest
                | Field::Loc
                | Field::SvcParams
                | Field::Ports
        )
    }
}

/// The layout of a type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schema {
    pub fields: &'static [Field],
    /// Names may arrive compressed (RFC 3597 §4 and its receiver list).
    pub compress: bool,
    /// Names are lowercased in canonical form (RFC 4034 §6.2, RFC 6840 §5.1).
    pub canonical: bool,
}

use Field::*;

const fn s(fields: &'static [Field], compress: bool, canonical: bool) -> Option<Schema> {
    Some(Schema {
        fields,
        compress,
        canonical,
    })
}

/// Layout of `rtype`, `None` when it is only supported in generic form.
pub(crate) fn schema(rtype: RType) -> Option<Schema> {
    match rtype.0 {
        1 => s(&[A], false, false),
        2..=5 | 7..=9 | 12 => s(&[Name], true, true), // NS MD MF CNAME MB MG MR PTR
        6 => s(
            &[Name, Name, U32, Period, Period, Period, Period],
            true,
            true,
        ),
        11 => s(&[A, Protocol, Ports], false, false), // WKS
        13 => s(&[Str, Str], false, false),
        19 => s(&[Str], false, false),       // X25           // HINFO
        14 => s(&[Name, Name], true, true),  // MINFO
        15 => s(&[U16, Name], true, true),   // MX
        16 | 99 => s(&[Strs], false, false), // TXT SPF
        17 => s(&[Name, Name], true, true),  // RP
        18 | 21 => s(&[U16, Name], true, true), // AFSDB RT
        24 => s(
            &[TypeCode, Alg, U8, U32, Time, Time, U16, Name, Base64],
            true,
            true,
        ), // SIG
        25 | 48 | 60 => s(&[U16, U8, Alg, Base64], false, false), // KEY DNSKEY CDNSKEY
        26 => s(&[U16, Name, Name], true, true), // PX
        28 => s(&[Aaaa], false, false),
        29 => s(&[Loc], false, false),
        33 => s(&[U16, U16, U16, Name], true, true), // SRV
        35 => s(&[U16, U16, Str, Str, Str, Name], true, true), // NAPTR
        36 => s(&[U16, Name], false, true),          // KX
        37 => s(&[CertType, U16, Alg, Base64], false, false), // CERT
        39 => s(&[Name], false, true),               // DNAME
        43 | 59 | 32768 | 32769 => s(&[U16, Alg, U8, Hex], false, false), // DS CDS TA DLV
        44 => s(&[U8, U8, Hex], false, false),       // SSHFP
        45 => s(&[U8, U8, U8, Gateway, Base64Opt], false, false), // IPSECKEY
        46 => s(
            &[TypeCode, Alg, U8, U32, Time, Time, U16, Name, Base64],
            false,
            true,
        ), // RRSIG
        47 => s(&[Name, Bitmap], false, false),      // NSEC (RFC 6840 §5.1: not lowercased)
        49 => s(&[Base64], false, false),            // DHCID
        50 => s(&[U8, U8, U16, Salt, Hash32, Bitmap], false, false), // NSEC3
        51 => s(&[U8, U8, U16, Salt], false, false), // NSEC3PARAM
        52 | 53 => s(&[U8, U8, U8, Hex], false, false), // TLSA SMIMEA
        61 => s(&[Base64], false, false),            // OPENPGPKEY
        62 => s(&[U32, U16, Bitmap], false, false),  // CSYNC
        63 => s(&[U32, U8, U8, Hex], false, false),  // ZONEMD
        64 | 65 => s(&[U16, Name, SvcParams], false, false), // SVCB HTTPS
        104 | 106 => s(&[U16, Ilnp64], false, false), // NID L64
        105 => s(&[U16, A], false, false),           // L32
        107 => s(&[U16, Name], false, false),        // LP
        108 => s(&[Eui48], false, false),
        109 => s(&[Eui64], false, false),
        256 => s(&[U16, U16, Rest], false, false),   // URI
        257 => s(&[U8, CaaTag, Rest], false, false), // CAA
        258 => s(&[Strs], false, false),             // AVC
        _ => None,
    }
}
