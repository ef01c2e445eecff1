//! Record data: type codes, presentation format <-> wire form, and where
//! the domain names inside each type's rdata are (for compression,
//! canonical form and additional-section processing).
//!
//! # Design
//!
//! Each natively supported type is described once, as a list of fields
//! (the `schema` module); the four conversions below walk that list. Everything is
//! kept as uncompressed wire bytes (`Vec<u8>`/`Box<[u8]>`): no per-type
//! structs, so unknown types (RFC 3597) flow through the same paths.
//!
//! # Types
//!
//! Native presentation format: A NS MD MF CNAME SOA MB MG MR WKS PTR HINFO
//! MINFO MX TXT RP AFSDB X25 RT SIG KEY PX AAAA LOC SRV NAPTR KX CERT DNAME
//! DS SSHFP IPSECKEY RRSIG NSEC DNSKEY DHCID NSEC3 NSEC3PARAM TLSA SMIMEA
//! CDS CDNSKEY OPENPGPKEY CSYNC ZONEMD SVCB HTTPS SPF NID L32 L64 LP EUI48
//! EUI64 URI CAA AVC TA DLV. Every other type (NULL, A6, APL, HIP, ...) is
//! read and written in the RFC 3597 form `\# len hex`, which also works for
//! the native ones.
//!
//! What BIND refuses we refuse too (checked with `named-checkzone`): quoted
//! tokens outside character-strings, digest lengths that contradict the DS
//! or SSHFP digest type, SVCB `mandatory` keys that are absent, NAPTR
//! regexps that are not `delim ere delim repl delim [i]`, NSEC without
//! types. So a zone we load, BIND loads, and what we write, BIND reads.
//!
//! # Failure modes
//!
//! Text that does not fit a type is an [`RdataError`] naming the field;
//! wire data from the network that does not fit its type is rejected by
//! [`read_rdata`]. [`to_text`] never fails on odd data: it falls back to the
//! generic `\# len hex` form, which every DNS server reads.

pub mod bitmap;
mod decode;
mod encode;
mod error;
mod loc;
pub mod rtype;
mod schema;
mod svcb;
pub mod text;
mod token;
mod wire;
mod wks;

pub use error::{RdataError, TokenError};
pub use rtype::{Class, RType};
pub use token::Token;

use crate::zone::name::Name;

/// Presentation tokens of one record's rdata to uncompressed wire form.
/// Names are relative to `origin`; `\# len hex` works for every type.
pub fn from_text(rtype: RType, tokens: &[Token<'_>], origin: &Name) -> Result<Vec<u8>, RdataError> {
    encode::encode(rtype, tokens, origin).map_err(|e| e.error)
}

/// As [`from_text`], with the index of the token an error is about.
pub fn from_text_at(
    rtype: RType,
    tokens: &[Token<'_>],
    origin: &Name,
) -> Result<Vec<u8>, TokenError> {
    encode::encode(rtype, tokens, origin)
}

/// As [`from_text_at`], appending to `out` (which holds partial data after
/// an error: callers reuse it as scratch and clear it per record).
pub fn from_text_into(
    rtype: RType,
    tokens: &[Token<'_>],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), TokenError> {
    encode::encode_into(rtype, tokens, origin, out)
}

/// Convenience: rdata text such as `10 mail.example.com.` to wire form
/// (lexed like one zone-file line, parentheses and quotes allowed).
pub fn from_str(rtype: RType, text: &str, origin: &Name) -> Result<Vec<u8>, RdataError> {
    let tokens = crate::zonefile::lexer::tokenize(text.as_bytes())
        .map_err(|e| RdataError::Invalid(e.to_string()))?;
    from_text(rtype, &tokens, origin)
}

/// Uncompressed wire rdata to presentation format (absolute names).
/// Unknown types and malformed rdata come out as `\# len hex`.
pub fn to_text(rtype: RType, rdata: &[u8]) -> Result<String, RdataError> {
    decode::to_text(rtype, rdata)
}

/// Reads `rdlen` octets of rdata at `offset` in a DNS message: names of
/// the types that may be compressed are decompressed (backward pointers
/// only), known types are checked for structure. Returns uncompressed wire.
pub fn read_rdata(
    msg: &[u8],
    offset: usize,
    rdlen: usize,
    rtype: RType,
) -> Result<Vec<u8>, RdataError> {
    wire::read(msg, offset, rdlen, rtype)
}

/// Checks uncompressed wire rdata against its type's layout.
pub fn validate(rtype: RType, rdata: &[u8]) -> Result<(), RdataError> {
    wire::validate(rtype, rdata)
}

/// Byte ranges of the domain names inside uncompressed `rdata`, in order
/// (MX exchange, SRV target, SOA names, ...): for additional-section
/// processing and name compression. Empty for types without names and for
/// malformed rdata.
pub fn name_ranges(rtype: RType, rdata: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut v = Vec::new();
    let ok = wire::walk(rtype, rdata, |f, s, e| {
        if f == schema::Field::Name {
            v.push(s..e);
        }
    });
    if ok.is_err() {
        v.clear();
    }
    v
}

/// True for the types whose rdata names may be compressed when sending:
/// only the well-known RFC 1035 types (RFC 3597 §4).
pub fn may_compress(rtype: RType) -> bool {
    matches!(rtype.0, 2..=9 | 12 | 14 | 15)
}

/// Lowercases, in place, the names that RFC 4034 §6.2 (as corrected by
/// RFC 6840 §5.1) puts in canonical form. Malformed rdata is left alone.
pub fn canonicalize(rtype: RType, rdata: &mut [u8]) {
    wire::canonicalize(rtype, rdata)
}

#[cfg(test)]
pub(crate) mod tests;
