//! Entries of the store as bytes, and back.
//!
//! Every stored value is one frame:
//!
//! ```text
//! [format version u8][kind u8][body ...][crc32 u32]      -- CRC-32 (IEEE) of everything before it
//! ```
//!
//! Bodies (integers big-endian):
//!
//! ```text
//! diff:      serial_from u32, serial_to u32, time u64, who_len u16, who (UTF-8),
//!            n_removed u32, n_added u32, removed records, added records
//! snapshot:  serial u32, n u32, records
//! head:      snapshot_serial u32, last_serial u32, first_seq u64, next_seq u64,
//!            diff_count u64, diff_bytes u64, snapshot_seq u64, snapshot_bytes u64
//!            (the last two absent in heads written before they existed:
//!            the journal then starts at the snapshot, whose size is unknown)
//! record:    owner, class u16, type u16, ttl u32, rdlen u16, rdata
//! owner:     0x00 (same owner as the record before) | 0x01 name_len u8, name (wire form)
//! ```
//!
//! The record counts come before the records so that a history listing
//! reads a diff's header without decoding its records. Decoding trusts
//! nothing: every length is checked against the bytes that are left, a
//! count never reserves more memory than the remaining bytes could hold,
//! names go through [`Name::from_wire`], and bytes left over are an error.

use crate::rdata::{Class, RType};
use crate::zone::name::{Name, NameError};
use crate::zone::record::{Record, RecordRef};
use crate::zone::version::ZoneVersion;
use crate::zone::Diff;

use super::{CommitMeta, FileState};

/// The format written by this version of polyzone.
pub const FORMAT_VERSION: u8 = 1;

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Diff = 1,
    Snapshot = 2,
    Head = 3,
    FileState = 4,
}

/// Smallest encoded record: same-owner tag, class, type, ttl, rdlen.
const MIN_RECORD: usize = 1 + 2 + 2 + 4 + 2;
/// Version and kind before the body, CRC after it.
const FRAME_OVERHEAD: usize = 2 + 4;

/// Why bytes could not be decoded (or a value encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("{0} bytes are too short for an entry")]
    TooShort(usize),
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum { stored: u32, computed: u32 },
    #[error("format version {0} is not known to this polyzone (it writes version {FORMAT_VERSION}); upgrade polyzone")]
    Version(u8),
    #[error("expected a {expected:?} entry, found kind {found}")]
    Kind { expected: Kind, found: u8 },
    #[error("entry ends inside {0}")]
    Truncated(&'static str),
    #[error("bad owner name: {0}")]
    Name(NameError),
    #[error("bad owner tag {0:#04x}")]
    OwnerTag(u8),
    #[error("first record repeats an owner that was never given")]
    NoPreviousOwner,
    #[error("author is not UTF-8")]
    Utf8,
    #[error("{0} bytes left over after the entry")]
    Trailing(usize),
    #[error("{0} is too long to encode")]
    TooLong(&'static str),
    #[error("snapshot said {said} records but {got} were given")]
    CountMismatch { said: usize, got: usize },
}

/// The fixed part of a diff entry, enough for a history listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffSummary {
    pub serial_from: u32,
    pub serial_to: u32,
    pub meta: CommitMeta,
    pub removed: usize,
    pub added: usize,
}

/// A zone's bookkeeping: where its journal starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneHead {
    /// Serial of the snapshot, which is where the journal starts.
    pub snapshot_serial: u32,
    /// `serial_to` of the newest diff, or the snapshot serial.
    pub last_serial: u32,
    /// Sequence number of the oldest diff kept.
    pub first_seq: u64,
    /// Sequence number the next diff gets.
    pub next_seq: u64,
    /// Number of diffs kept (`next_seq - first_seq`).
    pub diff_count: u64,
    /// Sum of the encoded sizes of the diffs kept.
    pub diff_bytes: u64,
    /// Sequence number of the first diff after the snapshot: restoring
    /// replays `snapshot_seq..next_seq`; the diffs before it are kept for
    /// history and IXFR only (`first_seq <= snapshot_seq <= next_seq`).
    pub snapshot_seq: u64,
    /// Encoded size of the snapshot (0 when unknown: heads written
    /// before it was kept).
    pub snapshot_bytes: u64,
}

// ---- encoding ----

struct Writer {
    buf: Vec<u8>,
    /// Where the previous record's owner sits in `buf` (not a copy: an
    /// encoder that cloned each owner spent a third of its time in the
    /// allocator).
    prev_owner: Option<std::ops::Range<usize>>,
}

impl Writer {
    fn new(kind: Kind, capacity: usize) -> Writer {
        let mut buf = Vec::with_capacity(capacity + FRAME_OVERHEAD);
        buf.push(FORMAT_VERSION);
        buf.push(kind as u8);
        Writer {
            buf,
            prev_owner: None,
        }
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn count(&mut self, n: usize, what: &'static str) -> Result<(), CodecError> {
        self.u32(u32::try_from(n).map_err(|_| CodecError::TooLong(what))?);
        Ok(())
    }
    fn record(&mut self, r: RecordRef<'_>) -> Result<(), CodecError> {
        // Exact comparison: a change of case is a different owner to keep.
        let wire = r.owner.as_wire();
        if self
            .prev_owner
            .as_ref()
            .is_some_and(|p| self.buf[p.clone()] == *wire)
        {
            self.buf.push(0);
        } else {
            self.buf.push(1);
            // A Name is at most 255 octets, so this never fails.
            self.buf
                .push(u8::try_from(wire.len()).map_err(|_| CodecError::TooLong("owner"))?);
            let at = self.buf.len();
            self.buf.extend_from_slice(wire);
            self.prev_owner = Some(at..self.buf.len());
        }
        self.u16(r.class.0);
        self.u16(r.rtype.0);
        self.u32(r.ttl);
        let len = u16::try_from(r.rdata.len()).map_err(|_| CodecError::TooLong("rdata"))?;
        self.u16(len);
        self.buf.extend_from_slice(r.rdata);
        Ok(())
    }
    fn records(&mut self, recs: &[Record]) -> Result<(), CodecError> {
        recs.iter().try_for_each(|r| self.record(r.as_ref()))
    }
    fn finish(mut self) -> Vec<u8> {
        let crc = crc32fast::hash(&self.buf);
        self.buf.extend_from_slice(&crc.to_be_bytes());
        self.buf
    }
}

/// A rough size of records once encoded, to allocate once.
fn size_hint(recs: &[Record]) -> usize {
    recs.iter().map(|r| MIN_RECORD + r.rdata.len() + 8).sum()
}

/// Encodes a journal entry.
pub fn encode_diff(diff: &Diff, meta: &CommitMeta) -> Result<Vec<u8>, CodecError> {
    let mut w = Writer::new(
        Kind::Diff,
        40 + meta.who.len() + size_hint(&diff.removed) + size_hint(&diff.added),
    );
    w.u32(diff.serial_from);
    w.u32(diff.serial_to);
    w.u64(meta.time);
    w.u16(u16::try_from(meta.who.len()).map_err(|_| CodecError::TooLong("author"))?);
    w.buf.extend_from_slice(meta.who.as_bytes());
    w.count(diff.removed.len(), "removed records")?;
    w.count(diff.added.len(), "added records")?;
    w.records(&diff.removed)?;
    w.records(&diff.added)?;
    Ok(w.finish())
}

/// Encodes a snapshot entry.
pub fn encode_snapshot(serial: u32, records: &[Record]) -> Result<Vec<u8>, CodecError> {
    let mut w = Writer::new(Kind::Snapshot, 8 + size_hint(records));
    w.u32(serial);
    w.count(records.len(), "snapshot records")?;
    w.records(records)?;
    Ok(w.finish())
}

/// Encodes a snapshot entry from records lent one at a time (see
/// `ZoneVersion::visit_canonical`): the same bytes as [`encode_snapshot`]
/// without a copy of the zone's records. `count` must be the number of
/// records pushed; `capacity` is a guess of the encoded size.
pub struct SnapshotEncoder {
    w: Writer,
    count: usize,
    pushed: usize,
    error: Option<CodecError>,
}

impl SnapshotEncoder {
    pub fn new(serial: u32, count: usize, capacity: usize) -> Result<SnapshotEncoder, CodecError> {
        let mut w = Writer::new(Kind::Snapshot, 8 + capacity);
        w.u32(serial);
        w.count(count, "snapshot records")?;
        Ok(SnapshotEncoder {
            w,
            count,
            pushed: 0,
            error: None,
        })
    }

    pub fn push(&mut self, r: RecordRef<'_>) {
        if self.error.is_none() {
            self.pushed += 1;
            if let Err(e) = self.w.record(r) {
                self.error = Some(e);
            }
        }
    }

    pub fn finish(self) -> Result<Vec<u8>, CodecError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.pushed != self.count {
            return Err(CodecError::CountMismatch {
                said: self.count,
                got: self.pushed,
            });
        }
        Ok(self.w.finish())
    }
}

/// Encodes a snapshot of a whole version while walking it: the bytes of
/// `encode_snapshot(v.serial(), &v.records_canonical())` without that copy
/// of the zone (for a signed million-record zone, 6M allocations).
pub fn encode_version(v: &ZoneVersion) -> Result<Vec<u8>, CodecError> {
    // The packed nodes hold every owner and rdata once, plus a record
    // header each: close to the encoded size, so one allocation does.
    let capacity = v.nodes().map(|n| n.heap_size()).sum::<usize>() + 12 * v.record_count();
    let mut enc = SnapshotEncoder::new(v.serial(), v.record_count(), capacity)?;
    v.visit_canonical(|r| enc.push(r));
    enc.finish()
}

/// Encodes a zone head.
pub fn encode_head(h: &ZoneHead) -> Vec<u8> {
    let mut w = Writer::new(Kind::Head, 40);
    w.u32(h.snapshot_serial);
    w.u32(h.last_serial);
    w.u64(h.first_seq);
    w.u64(h.next_seq);
    w.u64(h.diff_count);
    w.u64(h.diff_bytes);
    w.u64(h.snapshot_seq);
    w.u64(h.snapshot_bytes);
    w.finish()
}

/// Encodes a zone file state.
pub fn encode_file_state(s: &FileState) -> Vec<u8> {
    let mut w = Writer::new(Kind::FileState, 36);
    w.u32(s.serial);
    w.buf.extend_from_slice(&s.hash);
    w.finish()
}

// ---- decoding ----

struct Reader<'a> {
    buf: &'a [u8],
    prev_owner: Option<Name>,
}

impl<'a> Reader<'a> {
    /// Checks the frame (length, CRC, version, kind) and returns a reader
    /// over the body.
    fn open(bytes: &'a [u8], kind: Kind) -> Result<Reader<'a>, CodecError> {
        if bytes.len() < FRAME_OVERHEAD {
            return Err(CodecError::TooShort(bytes.len()));
        }
        let (data, crc) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let computed = crc32fast::hash(data);
        if stored != computed {
            return Err(CodecError::Checksum { stored, computed });
        }
        if data[0] != FORMAT_VERSION {
            return Err(CodecError::Version(data[0]));
        }
        if data[1] != kind as u8 {
            return Err(CodecError::Kind {
                expected: kind,
                found: data[1],
            });
        }
        Ok(Reader {
            buf: &data[2..],
            prev_owner: None,
        })
    }
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
        if self.buf.len() < n {
            return Err(CodecError::Truncated(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
    fn record(&mut self) -> Result<Record, CodecError> {
        let owner = match self.u8("owner tag")? {
            0 => self.prev_owner.clone().ok_or(CodecError::NoPreviousOwner)?,
            1 => {
                let len = self.u8("owner length")? as usize;
                let name = Name::from_wire(self.take(len, "owner")?).map_err(CodecError::Name)?;
                self.prev_owner = Some(name.clone());
                name
            }
            t => return Err(CodecError::OwnerTag(t)),
        };
        let class = Class(self.u16("class")?);
        let rtype = RType(self.u16("type")?);
        let ttl = self.u32("ttl")?;
        let len = self.u16("rdata length")? as usize;
        let rdata = self.take(len, "rdata")?;
        Ok(Record {
            owner,
            class,
            ttl,
            rtype,
            rdata: rdata.into(),
        })
    }
    /// `n` records; the reservation is bounded by what the bytes left
    /// could hold, so a forged count cannot exhaust memory.
    fn records(&mut self, n: usize) -> Result<Vec<Record>, CodecError> {
        let mut out = Vec::with_capacity(n.min(self.buf.len() / MIN_RECORD));
        for _ in 0..n {
            out.push(self.record()?);
        }
        Ok(out)
    }
    fn end(self) -> Result<(), CodecError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(CodecError::Trailing(self.buf.len()))
        }
    }
    fn summary(&mut self) -> Result<DiffSummary, CodecError> {
        let serial_from = self.u32("serial_from")?;
        let serial_to = self.u32("serial_to")?;
        let time = self.u64("time")?;
        let who_len = self.u16("author length")? as usize;
        let who = std::str::from_utf8(self.take(who_len, "author")?)
            .map_err(|_| CodecError::Utf8)?
            .to_string();
        let removed = self.u32("removed count")? as usize;
        let added = self.u32("added count")? as usize;
        Ok(DiffSummary {
            serial_from,
            serial_to,
            meta: CommitMeta { time, who },
            removed,
            added,
        })
    }
}

/// Decodes a journal entry.
pub fn decode_diff(bytes: &[u8]) -> Result<(Diff, CommitMeta), CodecError> {
    let mut r = Reader::open(bytes, Kind::Diff)?;
    let s = r.summary()?;
    let removed = r.records(s.removed)?;
    let added = r.records(s.added)?;
    r.end()?;
    let diff = Diff {
        serial_from: s.serial_from,
        serial_to: s.serial_to,
        removed,
        added,
    };
    Ok((diff, s.meta))
}

/// Decodes the fixed part of a journal entry (the CRC still covers, and
/// so checks, the whole entry).
pub fn decode_diff_summary(bytes: &[u8]) -> Result<DiffSummary, CodecError> {
    Reader::open(bytes, Kind::Diff)?.summary()
}

/// Decodes a snapshot entry into its serial and records.
pub fn decode_snapshot(bytes: &[u8]) -> Result<(u32, Vec<Record>), CodecError> {
    let mut r = Reader::open(bytes, Kind::Snapshot)?;
    let serial = r.u32("serial")?;
    let n = r.u32("record count")? as usize;
    let records = r.records(n)?;
    r.end()?;
    Ok((serial, records))
}

/// Decodes a zone head.
pub fn decode_head(bytes: &[u8]) -> Result<ZoneHead, CodecError> {
    let mut r = Reader::open(bytes, Kind::Head)?;
    let mut h = ZoneHead {
        snapshot_serial: r.u32("snapshot serial")?,
        last_serial: r.u32("last serial")?,
        first_seq: r.u64("first sequence number")?,
        next_seq: r.u64("next sequence number")?,
        diff_count: r.u64("diff count")?,
        diff_bytes: r.u64("diff bytes")?,
        snapshot_seq: 0,
        snapshot_bytes: 0,
    };
    // Heads written before history outlived the snapshot end here: their
    // journal started at the snapshot.
    if r.buf.is_empty() {
        h.snapshot_seq = h.first_seq;
    } else {
        h.snapshot_seq = r.u64("snapshot sequence number")?;
        h.snapshot_bytes = r.u64("snapshot size")?;
    }
    r.end()?;
    Ok(h)
}

/// Decodes a zone file state.
pub fn decode_file_state(bytes: &[u8]) -> Result<FileState, CodecError> {
    let mut r = Reader::open(bytes, Kind::FileState)?;
    let s = FileState {
        serial: r.u32("serial")?,
        hash: r.array("hash")?,
    };
    r.end()?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..12), 0..5).prop_map(
            |labels| {
                Name::from_labels(labels.iter().map(|l| l.as_slice()))
                    .unwrap_or_else(|_| Name::root())
            },
        )
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        (
            arb_name(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..40),
        )
            .prop_map(|(owner, class, rtype, ttl, rdata)| Record {
                owner,
                class: Class(class),
                ttl,
                rtype: RType(rtype),
                rdata: rdata.into(),
            })
    }

    /// Records with runs of one owner, as real zones have them.
    fn arb_records() -> impl Strategy<Value = Vec<Record>> {
        proptest::collection::vec((arb_record(), 0usize..3), 0..20).prop_map(|v| {
            let mut out: Vec<Record> = Vec::new();
            for (r, repeat) in v {
                for i in 0..=repeat {
                    let mut r = r.clone();
                    r.ttl = r.ttl.wrapping_add(i as u32);
                    out.push(r);
                }
            }
            out
        })
    }

    fn arb_diff() -> impl Strategy<Value = (Diff, CommitMeta)> {
        (
            any::<u32>(),
            any::<u32>(),
            arb_records(),
            arb_records(),
            any::<u64>(),
            ".{0,20}",
        )
            .prop_map(|(f, t, removed, added, time, who)| {
                (
                    Diff {
                        serial_from: f,
                        serial_to: t,
                        removed,
                        added,
                    },
                    CommitMeta { time, who },
                )
            })
    }

    /// Record equality that also sees the owner's case.
    fn same_exact(a: &[Record], b: &[Record]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x == y && x.owner.eq_exact(&y.owner))
    }

    proptest! {
        #[test]
        fn diff_round_trip((diff, meta) in arb_diff()) {
            let bytes = encode_diff(&diff, &meta).unwrap();
            let (d2, m2) = decode_diff(&bytes).unwrap();
            prop_assert_eq!(&d2, &diff);
            prop_assert!(same_exact(&d2.removed, &diff.removed));
            prop_assert!(same_exact(&d2.added, &diff.added));
            prop_assert_eq!(&m2, &meta);
            let s = decode_diff_summary(&bytes).unwrap();
            prop_assert_eq!(s.removed, diff.removed.len());
            prop_assert_eq!(s.added, diff.added.len());
        }

        #[test]
        fn snapshot_round_trip(serial in any::<u32>(), recs in arb_records()) {
            let bytes = encode_snapshot(serial, &recs).unwrap();
            let (s2, r2) = decode_snapshot(&bytes).unwrap();
            prop_assert_eq!(s2, serial);
            prop_assert!(same_exact(&r2, &recs));
        }

        #[test]
        fn head_round_trip(a in any::<u32>(), b in any::<u32>(), c in any::<u64>(), d in any::<u64>()) {
            let h = ZoneHead { snapshot_serial: a, last_serial: b, first_seq: c, next_seq: d,
                               diff_count: c ^ d, diff_bytes: d.rotate_left(7),
                               snapshot_seq: c.rotate_left(3), snapshot_bytes: d ^ 5 };
            prop_assert_eq!(decode_head(&encode_head(&h)).unwrap(), h);
        }

        /// Any flipped bit is caught (CRC-32 detects every single-bit error).
        #[test]
        fn bit_flip_detected((diff, meta) in arb_diff(), pos in any::<usize>(), bit in 0u8..8) {
            let mut bytes = encode_diff(&diff, &meta).unwrap();
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            prop_assert!(decode_diff(&bytes).is_err());
        }

        /// Garbage, with or without a valid frame around it, never panics.
        #[test]
        fn garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), kind in 1u8..5) {
            let _ = decode_diff(&body);
            let _ = decode_snapshot(&body);
            let _ = decode_head(&body);
            let mut framed = vec![FORMAT_VERSION, kind];
            framed.extend_from_slice(&body);
            let crc = crc32fast::hash(&framed);
            framed.extend_from_slice(&crc.to_be_bytes());
            let _ = decode_diff(&framed);
            let _ = decode_diff_summary(&framed);
            let _ = decode_snapshot(&framed);
            let _ = decode_head(&framed);
            let _ = decode_file_state(&framed);
        }

        /// Every truncation of a valid entry is an error, not a panic.
        #[test]
        fn truncation_is_error((diff, meta) in arb_diff(), cut in any::<usize>()) {
            let bytes = encode_diff(&diff, &meta).unwrap();
            let cut = cut % bytes.len();
            prop_assert!(decode_diff(&bytes[..cut]).is_err());
        }
    }

    /// A head from before `snapshot_seq` existed: its journal started at
    /// the snapshot.
    #[test]
    fn old_head_without_snapshot_seq() {
        let h = ZoneHead {
            snapshot_serial: 7,
            last_serial: 9,
            first_seq: 40,
            next_seq: 42,
            diff_count: 2,
            diff_bytes: 300,
            snapshot_seq: 1234,
            snapshot_bytes: 99,
        };
        let new = encode_head(&h);
        let mut old = new[..new.len() - 4 - 16].to_vec();
        let crc = crc32fast::hash(&old);
        old.extend_from_slice(&crc.to_be_bytes());
        let decoded = decode_head(&old).unwrap();
        assert_eq!(
            decoded,
            ZoneHead {
                snapshot_seq: 40,
                snapshot_bytes: 0,
                ..h
            }
        );
    }

    #[test]
    fn refuses_unknown_version_and_kind() {
        let mut b = encode_head(&ZoneHead {
            snapshot_serial: 1,
            last_serial: 1,
            first_seq: 0,
            next_seq: 0,
            diff_count: 0,
            diff_bytes: 0,
            snapshot_seq: 0,
            snapshot_bytes: 0,
        });
        assert!(matches!(decode_snapshot(&b), Err(CodecError::Kind { .. })));
        b[0] = 9;
        let n = b.len();
        let crc = crc32fast::hash(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(decode_head(&b), Err(CodecError::Version(9)));
    }

    #[test]
    fn forged_count_does_not_allocate() {
        // A valid frame claiming 4 billion records in 4 bytes.
        let mut w = Writer::new(Kind::Snapshot, 8);
        w.u32(7);
        w.u32(u32::MAX);
        let b = w.finish();
        assert_eq!(decode_snapshot(&b), Err(CodecError::Truncated("owner tag")));
    }

    #[test]
    fn file_state_round_trip() {
        let s = FileState {
            serial: 42,
            hash: FileState::hash_of(b"zone"),
        };
        assert_eq!(decode_file_state(&encode_file_state(&s)).unwrap(), s);
    }
}
