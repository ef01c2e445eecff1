//! The read-only look at a served version that decides whether a full
//! signing pass is due (after a start, or when the scheduler has no
//! record of the earliest expiration).

use super::ZoneSigner;
use crate::dnssec::chain::status;
use crate::dnssec::sign::{rrsig_info, time_before};
use crate::rdata::RType;
use crate::zone::version::ZoneVersion;

impl ZoneSigner {
    /// True when a full pass would change something: a signature missing,
    /// by a key that no longer signs, or due for refresh, or apex key
    /// records out of date. Read-only; cheap enough to run at start-up.
    /// Also records the earliest expiration seen, for the scheduler.
    pub fn needs_full_pass(&mut self, v: &ZoneVersion, now: u64) -> bool {
        let ch = self.apex_change(v);
        if !ch.added.is_empty() || !ch.removed.is_empty() {
            return true;
        }
        let mut earliest: Option<u32> = None;
        let refresh_until = (now + self.policy.rrsig_refresh) as u32;
        let data_keys: Vec<u16> = self
            .keys
            .iter()
            .filter(|k| k.signs_data())
            .map(|k| k.pair.key_tag())
            .collect();
        for n in v.nodes() {
            let Some(sigs) = n.get(RType::RRSIG) else {
                if n.rrsets().next().is_some() && !status(v, n.owner_wire()).occluded {
                    // Unsigned data is fine only at an insecure delegation.
                    let st = status(v, n.owner_wire());
                    if !st.delegation || st.has_ds {
                        return true;
                    }
                }
                continue;
            };
            for rd in sigs.rdatas() {
                let Some(info) = rrsig_info(rd) else {
                    return true;
                };
                if !time_before(refresh_until, info.expiration) {
                    return true;
                }
                let keyset = matches!(info.covered, RType::DNSKEY | RType::CDS | RType::CDNSKEY);
                if !keyset && !data_keys.contains(&info.key_tag) {
                    return true;
                }
                earliest = Some(match earliest {
                    Some(e) if time_before(e, info.expiration) => e,
                    _ => info.expiration,
                });
            }
        }
        self.earliest_expiration = earliest;
        false
    }
}
