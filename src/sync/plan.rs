//! The planner: the smallest set of RRset changes that turns what a
//! provider has into what it should have, and the safety check on it.
//!
//! Records at the provider that polyzone did not put there are left alone
//! unless the target purges: an RRset absent from the desired state is
//! deleted only if it is ours (`owned` says so: it was in an earlier
//! version of the zone) or the target sets `purge = true`.

use crate::providers::{Capabilities, Change};
use crate::sync::normalize::in_scope;
use crate::sync::rrset::{record_count, RRsetKey, RRsets};
use crate::zone::name::Name;

/// The changes for one target, in key order.
pub fn changes(
    desired: &RRsets,
    actual: &RRsets,
    apex: &Name,
    caps: &Capabilities,
    purge: bool,
    owned: &dyn Fn(&RRsetKey) -> bool,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (key, want) in desired {
        let have = actual.get(key);
        if have != Some(want) {
            out.push(Change {
                key: key.clone(),
                old: have.cloned(),
                new: Some(want.clone()),
            });
        }
    }
    for (key, have) in actual {
        if desired.contains_key(key) || !in_scope(key, apex, caps) {
            continue;
        }
        if purge || owned(key) {
            out.push(Change {
                key: key.clone(),
                old: Some(have.clone()),
                new: None,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Records a plan deletes or changes (every record of an RRset it replaces
/// or removes counts).
pub fn records_at_risk(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter_map(|c| c.old.as_ref())
        .map(|d| d.rdatas.len())
        .sum()
}

/// `Some(reason)` when the plan touches more than `threshold` (a fraction)
/// of the records a zone of at least `min_records` has at the provider.
pub fn over_threshold(
    changes: &[Change],
    actual: &RRsets,
    threshold: f64,
    min_records: usize,
) -> Option<String> {
    let total = record_count(actual);
    if total < min_records.max(1) {
        return None;
    }
    let risky = records_at_risk(changes);
    let share = risky as f64 / total as f64;
    (share > threshold).then(|| {
        format!(
            "the plan deletes or changes {risky} of {total} records ({:.0}% > {:.0}%); apply with --force or raise the target's threshold",
            share * 100.0,
            threshold * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{TxtStyle, COMMON_TYPES};
    use crate::rdata::RType;
    use crate::sync::normalize::clamp_ttl;
    use crate::sync::rrset::RRsetData;
    use proptest::prelude::*;

    fn caps() -> Capabilities {
        Capabilities {
            ttl_min: 60,
            ttl_max: 86_400,
            types: COMMON_TYPES,
            apex_ns: false,
            atomic_batch: true,
            max_batch: 100,
            signs_itself: true,
            txt: TxtStyle::Quoted,
        }
    }

    fn apex() -> Name {
        "example.test".parse().unwrap()
    }

    fn rrset(name: &str, rtype: RType, ttl: u32, texts: &[&str]) -> (RRsetKey, RRsetData) {
        let rds = texts
            .iter()
            .map(|t| crate::rdata::from_str(rtype, t, &apex()).unwrap());
        (
            RRsetKey {
                name: name.parse().unwrap(),
                rtype,
            },
            RRsetData::new(rtype, ttl, rds),
        )
    }

    /// A provider in memory: stores what it is sent, as a real one does
    /// (TTLs clamped to its range), plus its own SOA and NS.
    fn provider_apply(state: &mut RRsets, changes: &[Change], bounds: (u32, u32)) {
        for c in changes {
            match &c.new {
                Some(d) => {
                    let mut d = d.clone();
                    d.ttl = clamp_ttl(d.ttl, bounds);
                    state.insert(c.key.clone(), d);
                }
                None => {
                    state.remove(&c.key);
                }
            }
        }
    }

    #[test]
    fn case_and_text_form_do_not_differ() {
        let desired: RRsets = [rrset(
            "WWW.example.test",
            RType::CNAME,
            300,
            &["Target.Example.test."],
        )]
        .into_iter()
        .collect();
        let actual: RRsets = [rrset(
            "www.example.test",
            RType::CNAME,
            300,
            &["target.example.test."],
        )]
        .into_iter()
        .collect();
        assert!(changes(&desired, &actual, &apex(), &caps(), false, &|_| true).is_empty());
        let txt_a: RRsets = [rrset("t.example.test", RType::TXT, 300, &["\"a b\" \"c\""])]
            .into_iter()
            .collect();
        let txt_b: RRsets = [rrset("t.example.test", RType::TXT, 300, &["\"a\\032b\" c"])]
            .into_iter()
            .collect();
        assert!(changes(&txt_a, &txt_b, &apex(), &caps(), false, &|_| true).is_empty());
    }

    #[test]
    fn unmanaged_records_are_left_alone_unless_purge() {
        let desired = RRsets::new();
        let actual: RRsets = [
            rrset("theirs.example.test", RType::A, 300, &["192.0.2.1"]),
            rrset("example.test", RType::SOA, 300, &["ns. h. 1 2 3 4 5"]),
        ]
        .into_iter()
        .collect();
        assert!(changes(&desired, &actual, &apex(), &caps(), false, &|_| false).is_empty());
        let purged = changes(&desired, &actual, &apex(), &caps(), true, &|_| false);
        assert_eq!(purged.len(), 1, "SOA is never deleted: {purged:?}");
        assert!(purged[0].is_delete());
    }

    #[test]
    fn threshold_counts_deleted_and_changed_records() {
        let actual: RRsets = (0..10)
            .map(|i| rrset(&format!("h{i}.example.test"), RType::A, 300, &["192.0.2.1"]))
            .collect();
        let desired: RRsets = actual
            .iter()
            .take(6)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let plan = changes(&desired, &actual, &apex(), &caps(), false, &|_| true);
        assert_eq!(records_at_risk(&plan), 4);
        assert!(over_threshold(&plan, &actual, 0.3, 10).is_some());
        assert!(over_threshold(&plan, &actual, 0.5, 10).is_none());
        assert!(over_threshold(&plan, &actual, 0.3, 11).is_none());
    }

    fn arb_rrsets() -> impl Strategy<Value = RRsets> {
        let one = (
            0u8..20,
            0u8..3,
            0u32..200_000,
            proptest::collection::vec(0u8..8, 1..4),
            any::<bool>(),
        )
            .prop_map(|(n, t, ttl, vals, upper)| {
                let name = format!("{}h{n}.example.test", if upper { "X" } else { "x" });
                match t {
                    0 => {
                        let v: Vec<String> = vals.iter().map(|v| format!("192.0.2.{v}")).collect();
                        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
                        rrset(&name, RType::A, ttl, &refs)
                    }
                    1 => {
                        let v: Vec<String> = vals
                            .iter()
                            .map(|v| format!("\"v={v}\" \"{}\"", "x".repeat(*v as usize)))
                            .collect();
                        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
                        rrset(&name, RType::TXT, ttl, &refs)
                    }
                    _ => {
                        let v: Vec<String> = vals
                            .iter()
                            .map(|v| format!("{v} MX{v}.Example.test."))
                            .collect();
                        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
                        rrset(&name, RType::MX, ttl, &refs)
                    }
                }
            });
        proptest::collection::vec(one, 0..15).prop_map(|v| v.into_iter().collect::<RRsets>())
    }

    proptest! {
        /// Plan, apply to a provider, plan again: nothing left to do, from
        /// any starting state, with TTLs clamped by the provider.
        #[test]
        fn plan_after_apply_is_empty(want in arb_rrsets(), start in arb_rrsets(), purge in any::<bool>()) {
            let bounds = (60, 86_400);
            let desired: RRsets = want
                .into_iter()
                .map(|(k, mut v)| { v.ttl = clamp_ttl(v.ttl, bounds); (k, v) })
                .collect();
            let mut provider = start;
            let plan = changes(&desired, &provider, &apex(), &caps(), purge, &|_| true);
            provider_apply(&mut provider, &plan, bounds);
            let again = changes(&desired, &provider, &apex(), &caps(), purge, &|_| true);
            prop_assert!(again.is_empty(), "second plan: {again:?}");
            for (k, v) in &desired {
                prop_assert_eq!(provider.get(k), Some(v));
            }
        }
    }
}
