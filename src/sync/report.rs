//! What the sync engine shows: per-target status and plans, as JSON for
//! the API and as text for the CLI. Secrets never get here: only names,
//! records and errors (whose texts come from answers, not from requests).

use serde::{Deserialize, Serialize};

use crate::providers::Change;

/// The state of one (zone, target) worker.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not synced yet.
    Starting,
    /// Serving the current serial.
    Ok,
    /// Behind, working on it.
    Pending,
    /// The last attempt failed; retrying.
    Failing,
    /// Authentication refused: no retries until the next forced apply.
    Stopped,
    /// The plan exceeds the safety threshold: waiting for `--force`.
    Held,
    /// No plan possible (signed zone to an unsigning target, strict types).
    Refused,
}

/// Status of one (zone, target).
#[derive(Clone, Debug, Serialize)]
pub struct TargetStatus {
    pub zone: String,
    pub target: String,
    pub kind: String,
    pub state: State,
    pub current_serial: u32,
    pub applied_serial: Option<u32>,
    /// Serials behind (RFC 1982 distance), 0 when in sync.
    pub lag_serials: u32,
    /// Seconds since the first serial not yet applied was published.
    pub lag_seconds: f64,
    /// When the target fell behind (unix seconds, fractional); the lag in
    /// seconds is computed from it whenever status is read.
    #[serde(skip)]
    pub behind_since: Option<f64>,
    pub last_error: Option<String>,
    /// Unix time of the next retry, when failing.
    pub next_retry: Option<u64>,
    /// Unix time of the last successful apply.
    pub last_apply: Option<u64>,
    pub last_changes: usize,
    /// RRsets found changed at the provider by the last read-back.
    pub drift: Vec<String>,
    /// RRsets found drifted since the start (each finding counts).
    pub drift_found: u64,
    pub last_drift_check: Option<u64>,
    /// RRsets the provider cannot hold (skipped).
    pub skipped: Vec<String>,
    /// RRsets at the provider we cannot parse (left alone).
    pub unparsed: Vec<String>,
    /// HTTP requests sent (every retry counts).
    pub requests: u64,
}

/// One change, for people and JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChangeView {
    pub action: String,
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub old_ttl: Option<u32>,
    pub ttl: Option<u32>,
    pub old: Vec<String>,
    pub new: Vec<String>,
}

impl ChangeView {
    pub fn of(c: &Change) -> ChangeView {
        let action = match (&c.old, &c.new) {
            (None, Some(_)) => "create",
            (Some(_), Some(_)) => "update",
            _ => "delete",
        };
        ChangeView {
            action: action.to_string(),
            name: c.key.name.to_string(),
            rtype: c.key.rtype.to_string(),
            old_ttl: c.old.as_ref().map(|d| d.ttl),
            ttl: c.new.as_ref().map(|d| d.ttl),
            old: c
                .old
                .as_ref()
                .map(|d| d.texts(c.key.rtype))
                .unwrap_or_default(),
            new: c
                .new
                .as_ref()
                .map(|d| d.texts(c.key.rtype))
                .unwrap_or_default(),
        }
    }
}

/// A plan, or the result of an apply, for one (zone, target).
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct PlanReport {
    pub zone: String,
    pub target: String,
    pub serial: u32,
    pub changes: Vec<ChangeView>,
    pub skipped: Vec<String>,
    pub unparsed: Vec<String>,
    /// Why the plan is not applied without `--force`.
    pub held: Option<String>,
    /// Why no plan can be made.
    pub refused: Option<String>,
    /// Whether the changes were applied (apply only).
    pub applied: bool,
    pub error: Option<String>,
    /// Only the RRsets touched since the last apply were compared.
    #[serde(default)]
    pub partial: bool,
}

impl PlanReport {
    /// Text for the CLI.
    pub fn to_text(&self) -> String {
        let mut s = format!("{} -> {} (serial {})", self.zone, self.target, self.serial);
        if let Some(r) = &self.refused {
            s.push_str(&format!("\n  REFUSED: {r}"));
        }
        if let Some(h) = &self.held {
            s.push_str(&format!("\n  HELD: {h}"));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!("\n  ERROR: {e}"));
        }
        for w in &self.skipped {
            s.push_str(&format!("\n  skipped: {w}"));
        }
        for w in &self.unparsed {
            s.push_str(&format!("\n  left alone (unparsed): {w}"));
        }
        if self.changes.is_empty() && self.refused.is_none() && self.error.is_none() {
            s.push_str("\n  no changes");
        }
        for c in &self.changes {
            let sign = match c.action.as_str() {
                "create" => '+',
                "delete" => '-',
                _ => '~',
            };
            let ttl = c.ttl.or(c.old_ttl).unwrap_or(0);
            let values = if c.new.is_empty() { &c.old } else { &c.new };
            s.push_str(&format!(
                "\n  {sign} {} {} {} {}",
                c.name,
                ttl,
                c.rtype,
                values.join(" | ")
            ));
            if c.action == "update" {
                s.push_str(&format!(
                    "   (was {} {})",
                    c.old_ttl.unwrap_or(0),
                    c.old.join(" | ")
                ));
            }
        }
        if self.applied {
            s.push_str(&format!("\n  applied {} change(s)", self.changes.len()));
        }
        s
    }
}
