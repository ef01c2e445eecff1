//! Drift: differences between a provider and the desired state that no
//! change of ours explains (someone edited the provider directly, or the
//! provider lost data). Found by the periodic read-back of each worker;
//! logged and shown in status, and healed unless the target says
//! `drift = "report"`.

use std::collections::HashSet;

use crate::providers::Change;
use crate::sync::report::ChangeView;
use crate::sync::rrset::RRsetKey;
use crate::sync::target::DriftMode;

/// One line per drifted RRset: what the provider has vs what it should.
pub fn describe(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let v = ChangeView::of(c);
            let have = if v.old.is_empty() {
                "nothing".to_string()
            } else {
                format!("{} {}", v.old_ttl.unwrap_or(0), v.old.join(" | "))
            };
            let want = if v.new.is_empty() {
                "nothing".to_string()
            } else {
                format!("{} {}", v.ttl.unwrap_or(0), v.new.join(" | "))
            };
            format!(
                "{} {}: provider has {have}, should have {want}",
                v.name, v.rtype
            )
        })
        .collect()
}

/// The changes a worker may apply. In `report` mode, drift is never
/// pushed back: only RRsets our own diffs touched since the applied serial
/// (`touched`) are changed; without that knowledge (first sync, journal
/// compacted) everything is, as there is no drift to tell from it then.
pub fn allowed(
    changes: Vec<Change>,
    mode: DriftMode,
    touched: Option<&HashSet<RRsetKey>>,
) -> Vec<Change> {
    match (mode, touched) {
        (DriftMode::Report, Some(t)) => {
            changes.into_iter().filter(|c| t.contains(&c.key)).collect()
        }
        _ => changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::RType;
    use crate::sync::rrset::RRsetData;

    fn change(name: &str) -> Change {
        Change {
            key: RRsetKey {
                name: name.parse().unwrap(),
                rtype: RType::A,
            },
            old: Some(RRsetData::new(RType::A, 300, [vec![192, 0, 2, 66]])),
            new: Some(RRsetData::new(RType::A, 300, [vec![192, 0, 2, 3]])),
        }
    }

    #[test]
    fn report_mode_pushes_only_our_changes() {
        let all = vec![change("drifted.example.test"), change("ours.example.test")];
        let ours: HashSet<RRsetKey> = [all[1].key.clone()].into_iter().collect();
        let kept = allowed(all.clone(), DriftMode::Report, Some(&ours));
        assert_eq!(kept, vec![all[1].clone()]);
        assert_eq!(allowed(all.clone(), DriftMode::Heal, Some(&ours)).len(), 2);
        assert_eq!(allowed(all.clone(), DriftMode::Report, None).len(), 2);
        let lines = describe(&all[..1]);
        assert_eq!(
            lines,
            vec!["drifted.example.test. A: provider has 300 192.0.2.66, should have 300 192.0.2.3"]
        );
    }
}
