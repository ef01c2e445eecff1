//! Signing the differential zone with BIND's `dnssec-signzone`, so that
//! every server under test serves the very same signatures and the DO=1
//! replies can be compared record for record.

use crate::bind_sign::{keygen, signzone};
use crate::common::require;

pub use crate::bind_sign::Denial;

/// `zone_text` signed as `origin` with a fresh ECDSAP256SHA256 KSK and ZSK.
pub fn signed(origin: &str, zone_text: &str, denial: Denial) -> String {
    for tool in ["dnssec-keygen", "dnssec-signzone"] {
        require(tool);
    }
    let dir = tempfile::tempdir().expect("signing temp dir");
    keygen(dir.path(), origin);
    // -P: dnssec-signzone skips its own post-signing verification.
    signzone(dir.path(), origin, zone_text, denial, &["-P"])
}
