//! A single resource record with its data in wire form.

use crate::rdata::{Class, RType};
use crate::zone::name::Name;

/// One resource record. `rdata` is the uncompressed wire form, names in it
/// keep the case they were written in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub owner: Name,
    pub class: Class,
    pub ttl: u32,
    pub rtype: RType,
    pub rdata: Box<[u8]>,
}

/// A record lent by a zone version (see `ZoneVersion::visit_canonical`).
#[derive(Clone, Copy, Debug)]
pub struct RecordRef<'a> {
    pub owner: &'a Name,
    pub class: Class,
    pub ttl: u32,
    pub rtype: RType,
    pub rdata: &'a [u8],
}

impl Record {
    /// This record, lent.
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            owner: &self.owner,
            class: self.class,
            ttl: self.ttl,
            rtype: self.rtype,
            rdata: &self.rdata,
        }
    }

    pub fn new(owner: Name, rtype: RType, ttl: u32, rdata: impl Into<Box<[u8]>>) -> Record {
        Record {
            owner,
            class: Class::IN,
            ttl,
            rtype,
            rdata: rdata.into(),
        }
    }

    /// Same owner (ignoring case), class, type and rdata: the identity of an
    /// RR in RFC 2136 and RFC 2181 terms (TTL is not part of it).
    pub fn same_rr(&self, other: &Record) -> bool {
        self.rtype == other.rtype
            && self.class == other.class
            && self.owner == other.owner
            && self.rdata == other.rdata
    }
}
