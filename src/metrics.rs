//! Prometheus metrics, served as text (exposition format 0.0.4) at
//! `GET /metrics` of the control API with any valid token (a scraper gets
//! a `read` token: `authorization: credentials` in Prometheus' config).
//! Not open on loopback: on a shared host loopback is no boundary. A scrape
//! shows every zone's serial and size whatever the token's `zones` (no
//! record data).
//!
//! # Cost on the query path
//! Queries are counted in per-thread shards of plain atomics: each UDP
//! worker (and TCP task thread) is given one of [`SHARDS`] cache-line
//! aligned shards when it first counts, so an increment is one relaxed
//! add on a line no other thread writes — no lock, no hashing. Types are
//! counted in a fixed array indexed by a small code ([`qtype_slot`]),
//! rcodes by their 4-bit value. A scrape sums the shards.
//!
//! # Other subsystems
//! Transfers, NOTIFYs, signing and provider sync report through the plain
//! functions at the end of this file ([`transfer`], [`notify_sent`], …).
//! Those events are rare, so they share one mutex-guarded map of labelled
//! series.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use crate::commit::Engine;

/// The `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Query counter shards.
pub const SHARDS: usize = 16;

/// Query types with their own counter; everything else is `other` (slot 0).
const QTYPES: [(u16, &str); 22] = [
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (12, "PTR"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
    (33, "SRV"),
    (35, "NAPTR"),
    (43, "DS"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (50, "NSEC3"),
    (52, "TLSA"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (257, "CAA"),
    (255, "ANY"),
    (252, "AXFR"),
    (251, "IXFR"),
];
const QTYPE_SLOTS: usize = QTYPES.len() + 1;

/// The counter slot of a query type: 1 + its index in [`QTYPES`], 0 for others.
#[inline]
pub fn qtype_slot(qtype: u16) -> usize {
    match qtype {
        1 => 1,
        2 => 2,
        5 => 3,
        6 => 4,
        12 => 5,
        15 => 6,
        16 => 7,
        28 => 8,
        33 => 9,
        35 => 10,
        43 => 11,
        46 => 12,
        47 => 13,
        48 => 14,
        50 => 15,
        52 => 16,
        64 => 17,
        65 => 18,
        257 => 19,
        255 => 20,
        252 => 21,
        251 => 22,
        _ => 0,
    }
}

const RCODE_NAMES: [&str; 16] = [
    "NOERROR",
    "FORMERR",
    "SERVFAIL",
    "NXDOMAIN",
    "NOTIMP",
    "REFUSED",
    "YXDOMAIN",
    "YXRRSET",
    "NXRRSET",
    "NOTAUTH",
    "NOTZONE",
    "DSOTYPENI",
    "RCODE12",
    "RCODE13",
    "RCODE14",
    "RCODE15",
];

#[repr(align(128))]
struct Shard {
    rcode: [AtomicU64; 16],
    qtype: [AtomicU64; QTYPE_SLOTS],
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise the statics
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SHARD: Shard = Shard {
    rcode: [ZERO; 16],
    qtype: [ZERO; QTYPE_SLOTS],
};

static QUERY_SHARDS: [Shard; SHARDS] = [EMPTY_SHARD; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: usize = NEXT_SHARD.fetch_add(1, Relaxed) % SHARDS;
}

/// Counts one answered query (its type and the answer's rcode).
#[inline]
pub fn query(qtype: u16, rcode: u8) {
    MY_SHARD.with(|&i| {
        let s = &QUERY_SHARDS[i];
        s.rcode[usize::from(rcode & 0x0f)].fetch_add(1, Relaxed);
        s.qtype[qtype_slot(qtype)].fetch_add(1, Relaxed);
    });
}

/// Answers to RFC 2136 updates, by rcode.
static UPDATES: [AtomicU64; 16] = [ZERO; 16];
/// Diffs committed (all sources) and the time spent making them durable.
static COMMITS: AtomicU64 = AtomicU64::new(0);
static COMMIT_MICROS: AtomicU64 = AtomicU64::new(0);

/// Control API answers by status; the statuses the API documents have
/// their own counter, the rest are counted by class (`2xx`, `4xx`, `5xx`).
const API_STATUSES: [u16; 12] = [200, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503];
static API_ANSWERS: [AtomicU64; API_STATUSES.len() + 3] = [ZERO; API_STATUSES.len() + 3];

/// Counts one control API answer.
pub fn api_answer(status: u16) {
    let slot = API_STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or(match status {
            0..=399 => API_STATUSES.len(),
            400..=499 => API_STATUSES.len() + 1,
            _ => API_STATUSES.len() + 2,
        });
    API_ANSWERS[slot].fetch_add(1, Relaxed);
}

/// Counts the answer to one dynamic update.
pub fn update(rcode: u16) {
    UPDATES[usize::from(rcode & 0x0f)].fetch_add(1, Relaxed);
}

/// Counts `diffs` diffs made durable in one store write that took `micros`.
pub fn commit(diffs: usize, micros: u64) {
    COMMITS.fetch_add(diffs as u64, Relaxed);
    COMMIT_MICROS.fetch_add(micros, Relaxed);
}

/// The labelled series other subsystems report, by family.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
}

const FAMILIES: [Family; 9] = [
    Family {
        name: "polyzone_transfers_total",
        kind: "counter",
        help: "Zone transfers served, by zone and kind (axfr, ixfr).",
    },
    Family {
        name: "polyzone_notifies_sent_total",
        kind: "counter",
        help: "NOTIFY messages sent, by zone.",
    },
    Family {
        name: "polyzone_notifies_acked_total",
        kind: "counter",
        help: "NOTIFY messages acknowledged, by zone.",
    },
    Family {
        name: "polyzone_signatures_made_total",
        kind: "counter",
        help: "RRSIGs made, by zone.",
    },
    Family {
        name: "polyzone_signature_next_expiry_timestamp_seconds",
        kind: "gauge",
        help: "When the zone's earliest signature expires (Unix time).",
    },
    Family {
        name: "polyzone_sync_lag_serials",
        kind: "gauge",
        help: "Serials the target is behind the zone.",
    },
    Family {
        name: "polyzone_sync_lag_seconds",
        kind: "gauge",
        help: "Seconds since the target last matched the zone.",
    },
    Family {
        name: "polyzone_sync_errors_total",
        kind: "counter",
        help: "Failed sync attempts, by zone and target.",
    },
    Family {
        name: "polyzone_drift_found_total",
        kind: "counter",
        help: "RRsets found changed behind our back at a target.",
    },
];

type Labels = Vec<(&'static str, String)>;
static LABELLED: Mutex<BTreeMap<(&'static str, Labels), f64>> = Mutex::new(BTreeMap::new());

fn add(family: &'static str, labels: Labels, by: f64) {
    if let Ok(mut m) = LABELLED.lock() {
        *m.entry((family, labels)).or_insert(0.0) += by;
    }
}

fn set(family: &'static str, labels: Labels, value: f64) {
    if let Ok(mut m) = LABELLED.lock() {
        m.insert((family, labels), value);
    }
}

fn zone_label(zone: &str) -> Labels {
    vec![("zone", zone.to_string())]
}

fn target_labels(zone: &str, target: &str) -> Labels {
    vec![("zone", zone.to_string()), ("target", target.to_string())]
}

/// A zone transfer served; `kind` is `axfr` or `ixfr`.
pub fn transfer(zone: &str, kind: &str) {
    add(
        "polyzone_transfers_total",
        vec![("zone", zone.to_string()), ("kind", kind.to_string())],
        1.0,
    );
}

/// A NOTIFY sent.
pub fn notify_sent(zone: &str) {
    add("polyzone_notifies_sent_total", zone_label(zone), 1.0);
}

/// A NOTIFY acknowledged.
pub fn notify_acked(zone: &str) {
    add("polyzone_notifies_acked_total", zone_label(zone), 1.0);
}

/// `n` signatures made.
pub fn signatures_made(zone: &str, n: u64) {
    add("polyzone_signatures_made_total", zone_label(zone), n as f64);
}

/// The earliest signature expiry of the zone (Unix seconds).
pub fn signature_next_expiry(zone: &str, unix: u64) {
    set(
        "polyzone_signature_next_expiry_timestamp_seconds",
        zone_label(zone),
        unix as f64,
    );
}

/// How far a target is behind: in serials and in seconds.
pub fn sync_lag(zone: &str, target: &str, serials: u32, seconds: u64) {
    set(
        "polyzone_sync_lag_serials",
        target_labels(zone, target),
        f64::from(serials),
    );
    set(
        "polyzone_sync_lag_seconds",
        target_labels(zone, target),
        seconds as f64,
    );
}

/// A failed sync attempt.
pub fn sync_error(zone: &str, target: &str) {
    add(
        "polyzone_sync_errors_total",
        target_labels(zone, target),
        1.0,
    );
}

/// `n` RRsets found drifted at a target.
pub fn drift_found(zone: &str, target: &str, n: u64) {
    add(
        "polyzone_drift_found_total",
        target_labels(zone, target),
        n as f64,
    );
}

/// Label values escaped per the text format: `\`, `"` and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The whole scrape.
pub fn render(engine: &Engine) -> String {
    let mut zones: Vec<(String, u32, usize)> = engine
        .zone_names()
        .into_iter()
        .filter_map(|z| {
            let (_, zone) = engine.zone(&z).ok()?;
            let v = zone.current();
            Some((z.to_string(), v.serial(), v.record_count()))
        })
        .collect();
    zones.sort();
    render_with(&zones)
}

/// The scrape, given each zone's name, serial and record count.
fn render_with(zones: &[(String, u32, usize)]) -> String {
    let mut out = String::with_capacity(4096);
    let mut rcodes = [0u64; 16];
    let mut qtypes = [0u64; QTYPE_SLOTS];
    for s in &QUERY_SHARDS {
        for (acc, c) in rcodes.iter_mut().zip(&s.rcode) {
            *acc += c.load(Relaxed);
        }
        for (acc, c) in qtypes.iter_mut().zip(&s.qtype) {
            *acc += c.load(Relaxed);
        }
    }
    header(
        &mut out,
        "polyzone_queries_total",
        "counter",
        "Queries answered, by response code.",
    );
    for (i, n) in rcodes.iter().enumerate() {
        if *n > 0 || i == 0 {
            let _ = writeln!(
                out,
                "polyzone_queries_total{{rcode=\"{}\"}} {n}",
                RCODE_NAMES[i]
            );
        }
    }
    header(
        &mut out,
        "polyzone_queries_by_type_total",
        "counter",
        "Queries answered, by query type.",
    );
    for (slot, n) in qtypes.iter().enumerate() {
        let name = if slot == 0 {
            "other"
        } else {
            QTYPES[slot - 1].1
        };
        if *n > 0 || slot == 1 {
            let _ = writeln!(
                out,
                "polyzone_queries_by_type_total{{qtype=\"{name}\"}} {n}"
            );
        }
    }
    header(
        &mut out,
        "polyzone_updates_total",
        "counter",
        "RFC 2136 updates answered, by response code.",
    );
    for (i, c) in UPDATES.iter().enumerate() {
        let n = c.load(Relaxed);
        if n > 0 || i == 0 {
            let _ = writeln!(
                out,
                "polyzone_updates_total{{rcode=\"{}\"}} {n}",
                RCODE_NAMES[i]
            );
        }
    }
    header(
        &mut out,
        "polyzone_api_requests_total",
        "counter",
        "Control API answers, by status code (others by class).",
    );
    for (i, c) in API_ANSWERS.iter().enumerate() {
        let n = c.load(Relaxed);
        let code = match API_STATUSES.get(i) {
            Some(s) => s.to_string(),
            None => ["other_2xx_3xx", "other_4xx", "other_5xx"][i - API_STATUSES.len()].to_string(),
        };
        if n > 0 || i == 0 {
            let _ = writeln!(out, "polyzone_api_requests_total{{code=\"{code}\"}} {n}");
        }
    }
    header(
        &mut out,
        "polyzone_commits_total",
        "counter",
        "Diffs committed durably (updates, API, reloads, rollbacks).",
    );
    let _ = writeln!(out, "polyzone_commits_total {}", COMMITS.load(Relaxed));
    header(
        &mut out,
        "polyzone_commit_seconds_total",
        "counter",
        "Time spent making commits durable.",
    );
    let _ = writeln!(
        out,
        "polyzone_commit_seconds_total {}",
        COMMIT_MICROS.load(Relaxed) as f64 / 1e6
    );
    header(
        &mut out,
        "polyzone_zone_serial",
        "gauge",
        "The serial served, by zone.",
    );
    let mut records = String::new();
    for (name, serial, count) in zones {
        let label = escape(name);
        let _ = writeln!(out, "polyzone_zone_serial{{zone=\"{label}\"}} {serial}");
        let _ = writeln!(records, "polyzone_zone_records{{zone=\"{label}\"}} {count}");
    }
    header(
        &mut out,
        "polyzone_zone_records",
        "gauge",
        "Records served, by zone.",
    );
    out.push_str(&records);
    let labelled = LABELLED.lock().map(|m| m.clone()).unwrap_or_default();
    for f in &FAMILIES {
        header(&mut out, f.name, f.kind, f.help);
        for ((name, labels), value) in labelled.range((f.name, Vec::new())..) {
            if *name != f.name {
                break;
            }
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{}{{{}}} {value}", f.name, l.join(","));
        }
    }
    out
}

/// Metric name, labels, value.
pub type Sample = (String, Vec<(String, String)>, f64);

/// A strict reader of the text exposition format (used by the tests to
/// check every scrape; no promtool needed): every line a HELP,
/// a TYPE or a sample; a family's TYPE before its samples; names and
/// label names valid; label values properly quoted and escaped;
/// values numbers; no series twice. Returns the samples.
pub fn parse_exposition(text: &str) -> Result<Vec<Sample>, String> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut seen = HashSet::new();
    let mut samples = Vec::new();
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    for (no, line) in text.lines().enumerate() {
        let err = |m: &str| format!("line {}: {m}: {line}", no + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name, arg) = (parts.next(), parts.next(), parts.next());
            let name = name.filter(|n| name_ok(n)).ok_or_else(|| err("bad name"))?;
            match (kw, arg) {
                (Some("HELP"), Some(_)) => {}
                (
                    Some("TYPE"),
                    Some(t @ ("counter" | "gauge" | "histogram" | "summary" | "untyped")),
                ) => {
                    if types.insert(name.to_string(), t.to_string()).is_some() {
                        return Err(err("TYPE given twice"));
                    }
                }
                _ => return Err(err("bad comment")),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| err("no value"))?;
        let value: f64 = value.parse().map_err(|_| err("value is not a number"))?;
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((n, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .ok_or_else(|| err("unclosed labels"))?;
                let mut labels = Vec::new();
                let mut s = body;
                while !s.is_empty() {
                    let (k, rest) = s.split_once("=\"").ok_or_else(|| err("bad label"))?;
                    if !name_ok(k) {
                        return Err(err("bad label name"));
                    }
                    let mut v = String::new();
                    let mut chars = rest.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => match chars.next() {
                                Some((_, 'n')) => v.push('\n'),
                                Some((_, c @ ('\\' | '"'))) => v.push(c),
                                _ => return Err(err("bad escape")),
                            },
                            Some((i, '"')) => break i,
                            Some((_, c)) => v.push(c),
                            None => return Err(err("unterminated label value")),
                        }
                    };
                    labels.push((k.to_string(), v));
                    s = &rest[end + 1..];
                    s = s.strip_prefix(',').unwrap_or(s);
                }
                (n, labels)
            }
        };
        if !name_ok(name) {
            return Err(err("bad metric name"));
        }
        let t = types
            .get(name)
            .ok_or_else(|| err("sample before its TYPE"))?;
        if t == "counter" && (!name.ends_with("_total") || value < 0.0) {
            return Err(err("counter not named _total or negative"));
        }
        if !seen.insert(series.to_string()) {
            return Err(err("series twice"));
        }
        samples.push((name.to_string(), labels, value));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_distinct_and_match_the_names() {
        let mut slots = HashSet::new();
        for (i, (code, _)) in QTYPES.iter().enumerate() {
            assert_eq!(qtype_slot(*code), i + 1);
            assert!(slots.insert(qtype_slot(*code)));
        }
        assert_eq!(qtype_slot(99), 0);
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let before: u64 = QUERY_SHARDS
            .iter()
            .map(|s| s.qtype[qtype_slot(257)].load(Relaxed))
            .sum();
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1000).for_each(|_| query(257, 3))))
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let after: u64 = QUERY_SHARDS
            .iter()
            .map(|s| s.qtype[qtype_slot(257)].load(Relaxed))
            .sum();
        assert_eq!(after - before, 4000);
    }

    #[test]
    fn strict_parser_rejects_bad_text() {
        assert!(parse_exposition("x_total 1\n").is_err());
        assert!(parse_exposition("# TYPE x_total counter\nx_total{a=\"b} 1\n").is_err());
        assert!(parse_exposition("# TYPE x_total counter\nx_total 1\nx_total 2\n").is_err());
        assert!(parse_exposition("# TYPE x counter\nx 1\n").is_err());
        let ok = parse_exposition("# TYPE x_total counter\nx_total{a=\"q\\\"\\n\",b=\"\"} 1.5\n")
            .unwrap();
        assert_eq!(ok[0].1[0].1, "q\"\n");
    }

    #[test]
    fn labelled_series_render_strictly() {
        transfer("a.test.", "axfr");
        sync_lag("a.test.", "pdns \"1\"", 3, 40);
        drift_found("a.test.", "pdns", 2);
        query(28, 0);
        update(5);
        let text = render_with(&[("a.test.".into(), 7, 12), ("b\\\"x.".into(), 1, 2)]);
        let samples = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let find = |name: &str, label: &str| {
            samples
                .iter()
                .find(|(n, l, _)| n == name && l.iter().any(|(_, v)| v == label))
                .map(|s| s.2)
        };
        assert_eq!(find("polyzone_zone_serial", "a.test."), Some(7.0));
        assert_eq!(find("polyzone_zone_records", "b\\\"x."), Some(2.0));
        assert!(find("polyzone_transfers_total", "axfr").unwrap() >= 1.0);
        assert_eq!(find("polyzone_sync_lag_serials", "pdns \"1\""), Some(3.0));
        assert!(find("polyzone_queries_by_type_total", "AAAA").unwrap() >= 1.0);
        assert!(find("polyzone_updates_total", "REFUSED").unwrap() >= 1.0);
    }
}
