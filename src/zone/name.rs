//! Domain names.
//!
//! A [`Name`] is an absolute domain name kept in uncompressed wire format
//! (length-prefixed labels ending with the root label), with the case it was
//! written in. Equality, hashing and ordering ignore ASCII case, as DNS
//! requires (RFC 4343); ordering is the DNSSEC canonical order of RFC 4034
//! §6.1 (labels compared right to left as lowercase octet strings).
//! [`Name::eq_exact`] compares case too, for the rare places where it matters
//! (answer owner case, zone-file round trips).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest name in wire format (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a name could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("label longer than 63 octets")]
    LabelTooLong,
    #[error("name longer than 255 octets")]
    NameTooLong,
    #[error("empty label inside a name")]
    EmptyLabel,
    #[error("bad escape sequence in name")]
    BadEscape,
    #[error("malformed wire-format name")]
    BadWire,
    #[error("relative name and no origin to complete it")]
    NoOrigin,
}

/// An absolute domain name in uncompressed wire format.
#[derive(Clone)]
pub struct Name(Box<[u8]>);

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name(Box::new([0u8]))
    }

    /// Builds a name from uncompressed wire bytes, checking the structure.
    pub fn from_wire(wire: &[u8]) -> Result<Name, NameError> {
        let len = Self::wire_len(wire)?;
        if len != wire.len() {
            return Err(NameError::BadWire);
        }
        Ok(Name(wire.into()))
    }

    /// Length of the uncompressed wire name at the start of `wire`
    /// (including the root label), checking label and name limits.
    pub fn wire_len(wire: &[u8]) -> Result<usize, NameError> {
        let mut pos = 0usize;
        loop {
            let len = *wire.get(pos).ok_or(NameError::BadWire)? as usize;
            if len > MAX_LABEL_LEN {
                return Err(if len & 0xC0 != 0 {
                    NameError::BadWire
                } else {
                    NameError::LabelTooLong
                });
            }
            pos += 1 + len;
            if pos > MAX_NAME_LEN {
                return Err(NameError::NameTooLong);
            }
            if pos > wire.len() {
                return Err(NameError::BadWire);
            }
            if len == 0 {
                return Ok(pos);
            }
        }
    }

    /// Builds a name from its labels, leftmost first (without the root label).
    pub fn from_labels<'a, I>(labels: I) -> Result<Name, NameError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut out = Vec::with_capacity(32);
        for label in labels {
            push_label(&mut out, label)?;
        }
        out.push(0);
        if out.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(out.into_boxed_slice()))
    }

    /// Parses a name in presentation format (`www.example.com.`, with
    /// `\DDD` and `\X` escapes). A name without a trailing dot is relative
    /// and gets `origin` appended; `@` is *not* handled here (the zone-file
    /// parser decides where `@` may stand).
    pub fn parse(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        if text == "." {
            return Ok(Name::root());
        }
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 2);
        let mut label: Vec<u8> = Vec::with_capacity(64);
        let mut i = 0;
        let mut absolute = false;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'.' => {
                    if label.is_empty() {
                        return Err(NameError::EmptyLabel);
                    }
                    push_label(&mut out, &label)?;
                    label.clear();
                    if i + 1 == bytes.len() {
                        absolute = true;
                    }
                    i += 1;
                }
                b'\\' => {
                    let (byte, used) = unescape(&bytes[i + 1..])?;
                    label.push(byte);
                    i += 1 + used;
                }
                _ => {
                    label.push(c);
                    i += 1;
                }
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong);
            }
        }
        if !label.is_empty() {
            push_label(&mut out, &label)?;
        }
        if !absolute {
            let origin = origin.ok_or(NameError::NoOrigin)?;
            out.extend_from_slice(&origin.0[..origin.0.len() - 1]);
        }
        out.push(0);
        if out.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(out.into_boxed_slice()))
    }

    /// The uncompressed wire form, root label included.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Length of the wire form.
    pub fn wire_len_bytes(&self) -> usize {
        self.0.len()
    }

    /// True for the root name.
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// Labels from the leftmost one, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels {
            wire: &self.0,
            pos: 0,
        }
    }

    /// Number of labels, not counting the root label.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// True when the leftmost label is `*`.
    pub fn is_wildcard(&self) -> bool {
        self.0.len() >= 2 && self.0[0] == 1 && self.0[1] == b'*'
    }

    /// The name with ASCII letters folded to lowercase.
    pub fn to_lowercase(&self) -> Name {
        let mut v = self.0.clone();
        lowercase_wire(&mut v);
        Name(v)
    }

    /// True when the name has no uppercase ASCII letters.
    pub fn is_lowercase(&self) -> bool {
        !self.0.iter().any(|b| b.is_ascii_uppercase())
    }

    /// Case-sensitive equality.
    pub fn eq_exact(&self, other: &Name) -> bool {
        self.0 == other.0
    }

    /// True when `self` equals `ancestor` or lies below it.
    pub fn is_subdomain_of(&self, ancestor: &Name) -> bool {
        let (a, b) = (&self.0, &ancestor.0);
        if b.len() > a.len() {
            return false;
        }
        let off = a.len() - b.len();
        // The suffix must start on a label boundary.
        if !self.label_offsets().any(|o| o == off) && off != a.len() - 1 {
            return false;
        }
        a[off..].eq_ignore_ascii_case(b)
    }

    /// The name with its leftmost label removed; `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = 1 + self.0[0] as usize;
        Some(Name(self.0[skip..].into()))
    }

    /// The name with its `n` leftmost labels removed (root if `n` is too big).
    pub fn strip_left(&self, n: usize) -> Name {
        let mut pos = 0usize;
        for _ in 0..n {
            if self.0[pos] == 0 {
                break;
            }
            pos += 1 + self.0[pos] as usize;
        }
        Name(self.0[pos..].into())
    }

    /// The wire bytes of the suffix after removing `n` leftmost labels,
    /// without allocating.
    pub fn suffix_wire(&self, n: usize) -> &[u8] {
        let mut pos = 0usize;
        for _ in 0..n {
            if self.0[pos] == 0 {
                break;
            }
            pos += 1 + self.0[pos] as usize;
        }
        &self.0[pos..]
    }

    /// `label.self`.
    pub fn prepend_label(&self, label: &[u8]) -> Result<Name, NameError> {
        let mut out = Vec::with_capacity(self.0.len() + label.len() + 1);
        push_label(&mut out, label)?;
        out.extend_from_slice(&self.0);
        if out.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(out.into_boxed_slice()))
    }

    /// Replaces the suffix `old` (which `self` must be below or equal to)
    /// with `new`: the DNAME substitution of RFC 6672 §2.2.
    pub fn replace_suffix(&self, old: &Name, new: &Name) -> Result<Name, NameError> {
        if !self.is_subdomain_of(old) {
            return Err(NameError::BadWire);
        }
        let keep = self.0.len() - old.0.len();
        let mut out = Vec::with_capacity(keep + new.0.len());
        out.extend_from_slice(&self.0[..keep]);
        out.extend_from_slice(&new.0);
        if out.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(out.into_boxed_slice()))
    }

    /// `self` relative to `origin` in presentation format (`@` for the
    /// origin itself), or the absolute form when not below it.
    pub fn to_relative_string(&self, origin: &Name) -> String {
        if self == origin {
            return "@".to_string();
        }
        if self.is_subdomain_of(origin) && !origin.is_root() {
            let keep = self.0.len() - origin.0.len();
            let mut s = String::new();
            write_labels(&mut s, &self.0[..keep]);
            return s;
        }
        self.to_string()
    }

    /// Byte offsets of each label start (leftmost first, root excluded).
    fn label_offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            let len = self.0[pos] as usize;
            if len == 0 {
                return None;
            }
            let here = pos;
            pos += 1 + len;
            Some(here)
        })
    }
}

/// Appends a length-prefixed label.
fn push_label(out: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel);
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(NameError::LabelTooLong);
    }
    out.push(label.len() as u8);
    out.extend_from_slice(label);
    if out.len() >= MAX_NAME_LEN {
        return Err(NameError::NameTooLong);
    }
    Ok(())
}

/// Decodes the escape after a backslash: `\DDD` (decimal) or `\X`.
/// Returns the byte and how many input bytes it used.
pub fn unescape(rest: &[u8]) -> Result<(u8, usize), NameError> {
    match rest {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let v = (a - b'0') as u32 * 100 + (b - b'0') as u32 * 10 + (c - b'0') as u32;
            u8::try_from(v)
                .map(|v| (v, 3))
                .map_err(|_| NameError::BadEscape)
        }
        [a, ..] if a.is_ascii_digit() => Err(NameError::BadEscape),
        [x, ..] => Ok((*x, 1)),
        [] => Err(NameError::BadEscape),
    }
}

/// Folds ASCII uppercase to lowercase in a wire name or label in place.
/// Length octets are below 64 and so never change.
pub fn lowercase_wire(wire: &mut [u8]) {
    for b in wire.iter_mut() {
        b.make_ascii_lowercase();
    }
}

/// Writes labels (wire bytes up to, not including, a root label) in
/// presentation format, without the trailing dot.
fn write_labels(s: &mut String, mut wire: &[u8]) {
    let mut first = true;
    while let Some((&len, rest)) = wire.split_first() {
        if len == 0 {
            break;
        }
        if !first {
            s.push('.');
        }
        first = false;
        let (label, tail) = rest.split_at((len as usize).min(rest.len()));
        for &b in label {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    s.push('\\');
                    s.push(b as char);
                }
                0x21..=0x7E => s.push(b as char),
                _ => s.push_str(&format!("\\{:03}", b)),
            }
        }
        wire = tail;
    }
}

/// Iterator over the labels of a name, leftmost first.
pub struct Labels<'a> {
    wire: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.wire.get(self.pos)? as usize;
        if len == 0 {
            return None;
        }
        let start = self.pos + 1;
        self.pos = start + len;
        self.wire.get(start..start + len)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Hash in 8-byte words with case folded; must agree with `eq`.
        let mut chunks = self.0.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            state.write_u64(u64::from_le_bytes(w) | fold_mask(&w));
        }
        for &b in chunks.remainder() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// Bit 0x20 set on every byte that is an ASCII uppercase letter.
#[inline]
fn fold_mask(w: &[u8; 8]) -> u64 {
    let mut m = 0u64;
    for (i, b) in w.iter().enumerate() {
        if b.is_ascii_uppercase() {
            m |= 0x20 << (i * 8);
        }
    }
    m
}

impl Ord for Name {
    /// Canonical DNS name order (RFC 4034 §6.1).
    fn cmp(&self, other: &Name) -> Ordering {
        canonical_cmp_wire(&self.0, &other.0)
    }
}
impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Canonical order (RFC 4034 §6.1) of two names given in wire form.
pub fn canonical_cmp_wire(a: &[u8], b: &[u8]) -> Ordering {
    let mut la: [u8; 128] = [0; 128];
    let mut lb: [u8; 128] = [0; 128];
    let na = label_starts(a, &mut la);
    let nb = label_starts(b, &mut lb);
    for (&pa, &pb) in la[..na].iter().rev().zip(lb[..nb].iter().rev()) {
        let (pa, pb) = (pa as usize, pb as usize);
        let x = &a[pa + 1..pa + 1 + a[pa] as usize];
        let y = &b[pb + 1..pb + 1 + b[pb] as usize];
        let ord = cmp_label(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    na.cmp(&nb)
}

/// Fills `out` with the offset of each label of a wire name; returns the
/// count. A label that runs past the end stops the walk.
pub(crate) fn label_starts(wire: &[u8], out: &mut [u8; 128]) -> usize {
    let mut pos = 0usize;
    let mut n = 0usize;
    while let Some(&len) = wire.get(pos) {
        if len == 0 || n == out.len() || pos + 1 + len as usize > wire.len() {
            break;
        }
        out[n] = pos as u8;
        n += 1;
        pos += 1 + len as usize;
    }
    n
}

/// The wire name after dropping `n` leftmost labels (the root when it has
/// no more than `n`).
pub(crate) fn strip_left_wire(wire: &[u8], n: usize) -> &[u8] {
    let mut pos = 0usize;
    for _ in 0..n {
        match wire.get(pos) {
            Some(&0) | None => break,
            Some(&len) => pos += 1 + len as usize,
        }
    }
    &wire[pos.min(wire.len())..]
}

/// The number of labels of a wire name, the root not counted.
pub(crate) fn label_count_wire(wire: &[u8]) -> usize {
    let mut pos = 0usize;
    let mut n = 0usize;
    while let Some(&len) = wire.get(pos) {
        if len == 0 {
            break;
        }
        n += 1;
        pos += 1 + len as usize;
    }
    n
}

fn cmp_label(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let ord = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        let mut s = String::with_capacity(self.0.len() + 4);
        write_labels(&mut s, &self.0);
        s.push('.');
        f.write_str(&s)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self)
    }
}

impl std::str::FromStr for Name {
    type Err = NameError;
    /// Parses an absolute name; a missing trailing dot is accepted.
    fn from_str(s: &str) -> Result<Name, NameError> {
        Name::parse(s, Some(&Name::root()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(n("www.Example.com.").to_string(), "www.Example.com.");
        assert_eq!(n("a\\.b.c").to_string(), "a\\.b.c.");
        assert_eq!(n("a\\032b.c").to_string(), "a\\032b.c.");
        assert_eq!(n(".").to_string(), ".");
        let origin = n("example.com");
        assert_eq!(
            Name::parse("www", Some(&origin)).unwrap(),
            n("www.example.com")
        );
        assert!(Name::parse("www", None).is_err());
        assert!(Name::parse("a..b", Some(&origin)).is_err());
        assert!(Name::parse(&"a".repeat(64), Some(&origin)).is_err());
        assert!(Name::parse("\\256", Some(&origin)).is_err());
    }

    /// The RFC 4034 §6.1 example names, in canonical order (also the
    /// order test of the canonical keys in `ordered`).
    pub(crate) const RFC4034_ORDER: &[&str] = &[
        "example",
        "a.example",
        "yljkjljk.a.example",
        "Z.a.example",
        "zABC.a.EXAMPLE",
        "z.example",
        "\\001.z.example",
        "*.z.example",
        "\\200.z.example",
    ];

    #[test]
    fn canonical_order_rfc4034_example() {
        for w in RFC4034_ORDER.windows(2) {
            assert!(n(w[0]) < n(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn subdomain_and_case() {
        assert!(n("a.b.EXAMPLE.com").is_subdomain_of(&n("example.COM")));
        assert!(!n("aexample.com").is_subdomain_of(&n("example.com")));
        assert!(n("x.y").is_subdomain_of(&Name::root()));
        assert_eq!(n("WWW.example.com"), n("www.example.com"));
        assert!(!n("WWW.example.com").eq_exact(&n("www.example.com")));
        assert_eq!(n("a.b.c").parent().unwrap(), n("b.c"));
        assert_eq!(n("a.b.c").strip_left(2), n("c"));
        assert_eq!(
            n("x.a.example")
                .replace_suffix(&n("a.example"), &n("b.test"))
                .unwrap(),
            n("x.b.test")
        );
    }

    proptest! {
        #[test]
        fn hash_agrees_with_eq(label in "[a-zA-Z0-9]{1,20}") {
            use std::collections::hash_map::DefaultHasher;
            let a = n(&format!("{label}.Example.com"));
            let b = a.to_lowercase();
            let h = |x: &Name| { let mut s = DefaultHasher::new(); x.hash(&mut s); s.finish() };
            prop_assert_eq!(h(&a), h(&b));
        }

        #[test]
        fn canonical_order_matches_reference(
            a in proptest::collection::vec("[a-cA-C*\\-]{1,3}", 0..4),
            b in proptest::collection::vec("[a-cA-C*\\-]{1,3}", 0..4),
        ) {
            let na = Name::from_labels(a.iter().map(|l| l.as_bytes())).unwrap();
            let nb = Name::from_labels(b.iter().map(|l| l.as_bytes())).unwrap();
            // Reference: labels right to left, lowercase, compared as octet strings.
            let key = |v: &Vec<String>| -> Vec<Vec<u8>> {
                v.iter().rev().map(|l| l.to_ascii_lowercase().into_bytes()).collect()
            };
            prop_assert_eq!(na.cmp(&nb), key(&a).cmp(&key(&b)));
            prop_assert_eq!(na == nb, key(&a) == key(&b));
        }

        #[test]
        fn display_parse_roundtrip(labels in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..10), 0..5)) {
            let name = Name::from_labels(labels.iter().map(|l| l.as_slice())).unwrap();
            let back: Name = name.to_string().parse().unwrap();
            prop_assert!(back.eq_exact(&name));
        }
    }
}
