//! What the sync tests (real peers in `e2e_sync`, fakes in
//! `e2e_sync_providers`) share: the config of a polyzone that pushes one
//! zone to its targets, and reading a target's state from `sync status`.
#![allow(dead_code)]

use crate::common::{Server, SERVER_TABLE};

/// The config of a polyzone serving `zone` from `zones/<zone>.zone`, which
/// takes UPDATEs signed with TSIG key `k` (`secret`) and pushes the zone
/// to `targets`, given by their `[[target]]` tables in `tables`.
pub fn sync_config(zone: &str, secret: &str, targets: &[&str], tables: &str) -> String {
    let list: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        r#"
{SERVER_TABLE}
[[tsig]]
name = "k"
secret = "{secret}"

[[zone]]
name = "{zone}"
file = "zones/{zone}.zone"
update = ["k"]
targets = [{}]
{tables}"#,
        list.join(", ")
    )
}

/// The entry of `target` in `polyzone sync status --json` (null when the
/// status lists no such target).
pub fn target_status(s: &Server, target: &str) -> serde_json::Value {
    let (_, text) = s.cli(&["sync", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v.as_array()
        .into_iter()
        .flatten()
        .find(|t| t["target"] == target)
        .cloned()
        .unwrap_or_default()
}
