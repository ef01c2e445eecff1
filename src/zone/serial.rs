//! Serial number arithmetic (RFC 1982) and the serial policies.
//!
//! Serials are compared only through [`Serial`], never as plain integers:
//! 4294967295 is *before* 1.

use std::cmp::Ordering;

/// A zone serial with RFC 1982 comparison and addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Serial(pub u32);

impl Serial {
    /// RFC 1982 §3.1 addition (n at most 2^31 - 1).
    pub fn plus(self, n: u32) -> Serial {
        Serial(self.0.wrapping_add(n.min(0x7FFF_FFFF)))
    }

    /// RFC 1982 §3.2 comparison; `None` when the two are exactly 2^31
    /// apart and the order is undefined.
    pub fn compare(self, other: Serial) -> Option<Ordering> {
        let (a, b) = (self.0, other.0);
        if a == b {
            return Some(Ordering::Equal);
        }
        let d = b.wrapping_sub(a);
        match d.cmp(&0x8000_0000) {
            Ordering::Less => Some(Ordering::Less),
            Ordering::Greater => Some(Ordering::Greater),
            Ordering::Equal => None,
        }
    }

    /// True when `self` is strictly after `other`.
    pub fn is_after(self, other: Serial) -> bool {
        self.compare(other) == Some(Ordering::Greater)
    }
}

/// How a zone's serial moves on each change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SerialPolicy {
    /// old + 1.
    #[default]
    Increment,
    /// Seconds since the epoch, or old + 1 if that is not later.
    Unixtime,
    /// YYYYMMDDnn, or old + 1 if that is not later.
    Dateserial,
}

impl SerialPolicy {
    /// The serial that follows `old` at time `now` (seconds since epoch).
    pub fn next(self, old: u32, now: u64) -> u32 {
        let candidate = match self {
            SerialPolicy::Increment => None,
            SerialPolicy::Unixtime => Some(now as u32),
            SerialPolicy::Dateserial => {
                let (y, m, d) = civil_from_days((now / 86_400) as i64);
                u32::try_from(y as u64 * 1_000_000 + m as u64 * 10_000 + d as u64 * 100).ok()
            }
        };
        match candidate {
            Some(c) if Serial(c).is_after(Serial(old)) => c,
            _ => Serial(old).plus(1).0,
        }
    }
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc1982_examples() {
        assert!(Serial(1).is_after(Serial(0)));
        assert!(Serial(0).is_after(Serial(u32::MAX)));
        assert!(!Serial(u32::MAX).is_after(Serial(0)));
        assert_eq!(Serial(0).compare(Serial(0x8000_0000)), None);
        assert_eq!(Serial(u32::MAX).plus(2), Serial(1));
    }

    #[test]
    fn policies() {
        assert_eq!(SerialPolicy::Increment.next(u32::MAX, 0), 0);
        // 2026-11-27 00:00:00 UTC
        let t = 1_795_737_600;
        assert_eq!(SerialPolicy::Dateserial.next(1, t), 2026112700);
        assert_eq!(SerialPolicy::Dateserial.next(2026112705, t), 2026112706);
        assert_eq!(SerialPolicy::Unixtime.next(5, t), t as u32);
        assert_eq!(SerialPolicy::Unixtime.next(t as u32 + 10, t), t as u32 + 11);
    }

    proptest! {
        #[test]
        fn add_is_after(a in any::<u32>(), n in 1u32..0x7FFF_FFFF) {
            prop_assert!(Serial(a).plus(n).is_after(Serial(a)));
        }
        #[test]
        fn antisymmetric(a in any::<u32>(), b in any::<u32>()) {
            let x = Serial(a).compare(Serial(b));
            let y = Serial(b).compare(Serial(a));
            prop_assert_eq!(x.map(Ordering::reverse), y);
        }
    }
}
