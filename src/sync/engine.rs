//! The sync engine: one durable worker per (zone, target).
//!
//! A worker is a tokio task woken by the zone's serial (a watch channel:
//! serials published during a push coalesce into the next plan), by a
//! timer (retry after a failure, periodic drift read-back) and by requests
//! from the API (plan now, apply now). Each pass: desired state from the
//! current version, actual state from the cache (read in full at start,
//! again after any failed request and at every drift check), plan, apply
//! in batches, and record the applied serial in the store under
//! `sync/<target>` — a restart resumes from there, and a serial already
//! applied is not pushed again.
//!
//! Failure modes: a transient failure (timeout, 5xx, 429) is retried by
//! the HTTP layer, then by the worker with backoff; 401/403 stop the
//! worker with that status until a forced apply; a plan over the safety
//! threshold waits for `--force`; a refused plan (signed zone to an
//! unsigning target) waits for the next serial. None of it affects other
//! workers: each has its own task, client and limits.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::commit::{now, Engine};
use crate::providers::{self, Change, Provider, ProviderError, ReadResult};
use crate::sync::desired::{desired, desired_for};
use crate::sync::drift;
use crate::sync::plan;
use crate::sync::report::{ChangeView, PlanReport, State, TargetStatus};
use crate::sync::retry::Backoff;
use crate::sync::rrset::{RRsetKey, RRsets};
use crate::sync::target::{TargetConfig, TargetKind};
use crate::zone::name::Name;
use crate::zone::serial::Serial;
use crate::zone::Zone;

/// A request to a worker.
enum Request {
    Plan(oneshot::Sender<PlanReport>),
    Apply {
        force: bool,
        reply: oneshot::Sender<PlanReport>,
    },
}

/// One worker as the engine sees it.
struct Worker {
    zone: Name,
    target: String,
    status: Arc<Mutex<TargetStatus>>,
    requests: mpsc::Sender<Request>,
}

/// Every worker of the server.
pub struct SyncEngine {
    workers: Vec<Worker>,
    targets: Vec<TargetConfig>,
}

static ENGINE: OnceLock<Arc<SyncEngine>> = OnceLock::new();

/// The running engine (set once by [`start`]).
pub fn handle() -> Option<Arc<SyncEngine>> {
    ENGINE.get().cloned()
}

/// Starts a worker for every (zone, target) of the config; call inside the
/// runtime.
pub fn start(engine: Arc<Engine>, config: &crate::config::Config) -> Arc<SyncEngine> {
    let mut workers = Vec::new();
    for zc in &config.zones {
        for tname in &zc.targets {
            let Some(t) = config.targets.iter().find(|t| &t.name == tname) else {
                continue; // config validation names unknown targets
            };
            let Ok((_, zone)) = engine.zone(&zc.name) else {
                continue;
            };
            let zone = zone.clone();
            let status = Arc::new(Mutex::new(TargetStatus {
                zone: zc.name.to_string(),
                target: t.name.clone(),
                kind: format!("{:?}", t.kind).to_lowercase(),
                state: State::Starting,
                current_serial: zone.current().serial(),
                applied_serial: None,
                lag_serials: 0,
                lag_seconds: 0.0,
                behind_since: None,
                last_error: None,
                next_retry: None,
                last_apply: None,
                last_changes: 0,
                drift: vec![],
                drift_found: 0,
                last_drift_check: None,
                skipped: vec![],
                unparsed: vec![],
                requests: 0,
            }));
            let (tx, rx) = mpsc::channel(16);
            let w = WorkerTask {
                engine: engine.clone(),
                zone,
                target: t.clone(),
                provider: None,
                status: status.clone(),
                actual: None,
                applied: None,
                behind_since: None,
                attempt: 0,
                stopped: false,
                held: false,
            };
            tokio::spawn(w.run(rx));
            workers.push(Worker {
                zone: zc.name.clone(),
                target: t.name.clone(),
                status,
                requests: tx,
            });
        }
    }
    let sync = Arc::new(SyncEngine {
        workers,
        targets: config.targets.clone(),
    });
    let _ = ENGINE.set(sync.clone());
    sync
}

impl SyncEngine {
    /// Status of every worker (of one zone if given).
    pub fn status(&self, zone: Option<&Name>) -> Vec<TargetStatus> {
        self.workers
            .iter()
            .filter(|w| zone.is_none_or(|z| &w.zone == z))
            .map(|w| {
                let mut st = lock(&w.status).clone();
                if let Some(since) = st.behind_since {
                    st.lag_seconds = (unix_f64() - since).max(0.0);
                }
                st
            })
            .collect()
    }

    /// The configured targets.
    pub fn targets(&self) -> &[TargetConfig] {
        &self.targets
    }

    /// Asks every worker of `zone` (one target if given) for a plan, or to
    /// apply now.
    pub async fn plans(
        &self,
        zone: &Name,
        target: Option<&str>,
        apply: Option<bool>,
    ) -> Vec<PlanReport> {
        let mut waits = Vec::new();
        for w in self
            .workers
            .iter()
            .filter(|w| &w.zone == zone && target.is_none_or(|t| t == w.target))
        {
            let (tx, rx) = oneshot::channel();
            let req = match apply {
                None => Request::Plan(tx),
                Some(force) => Request::Apply { force, reply: tx },
            };
            let sent = w.requests.send(req).await.is_ok();
            waits.push((w, sent.then_some(rx)));
        }
        let mut out = Vec::new();
        for (w, rx) in waits {
            let report = match rx {
                Some(rx) => rx.await.ok(),
                None => None,
            };
            out.push(report.unwrap_or_else(|| PlanReport {
                zone: w.zone.to_string(),
                target: w.target.clone(),
                error: Some("the worker has stopped".into()),
                ..PlanReport::default()
            }));
        }
        out
    }
}

fn lock(m: &Mutex<TargetStatus>) -> std::sync::MutexGuard<'_, TargetStatus> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The store key of a target's applied serial.
pub fn meta_key(target: &str) -> String {
    format!("sync/{target}")
}

/// What a pass did.
enum Outcome {
    Done(PlanReport),
    /// Failed with a provider error (the report carries it).
    Failed(PlanReport, ProviderError),
}

struct WorkerTask {
    engine: Arc<Engine>,
    zone: Arc<Zone>,
    target: TargetConfig,
    provider: Option<Box<dyn Provider>>,
    status: Arc<Mutex<TargetStatus>>,
    /// What the provider has, as last read and updated by our applies;
    /// `None` forces a full read.
    actual: Option<ReadResult>,
    applied: Option<u32>,
    behind_since: Option<Instant>,
    attempt: u32,
    stopped: bool,
    held: bool,
}

impl WorkerTask {
    async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        let name = self.zone.name().clone();
        self.applied = self.load_applied().await;
        let backoff = Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(5),
        };
        let mut serials = self.zone.subscribe();
        let mut retry_at: Option<Instant> = None;
        let mut next_drift = Instant::now() + self.target.drift_interval;
        let mut last_serial_tried: Option<u32> = None;
        loop {
            let current = self.zone.current().serial();
            self.note_serial(current);
            let pending = self.applied != Some(current);
            // A held or refused plan waits for a new serial (or a request).
            let blocked = self.stopped || (self.held && last_serial_tried == Some(current));
            let wake = if blocked {
                next_drift.max(Instant::now() + Duration::from_secs(3600))
            } else if let Some(r) = retry_at {
                r
            } else if pending && last_serial_tried != Some(current) {
                Instant::now()
            } else {
                next_drift
            };
            tokio::select! {
                biased;
                req = requests.recv() => {
                    let Some(req) = req else { return };
                    match req {
                        Request::Plan(reply) => {
                            let r = self.plan_only().await;
                            let _ = reply.send(r);
                        }
                        Request::Apply { force, reply } => {
                            self.stopped = false;
                            self.held = false;
                            // Asked by a person: plan against a fresh read.
                            self.actual = None;
                            let r = self.pass(force, false).await;
                            let (report, failed) = self.settle(r);
                            retry_at = failed.then(|| Instant::now() + backoff.delay(self.attempt, None));
                            last_serial_tried = Some(current);
                            let _ = reply.send(report);
                        }
                    }
                    continue;
                }
                changed = serials.changed() => {
                    if changed.is_err() {
                        tracing::info!(zone = %name, target = %self.target.name, "zone gone, sync worker ends");
                        return;
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            if blocked {
                continue;
            }
            // The drift timer moves on whenever it fires, also when a pending
            // (refused) serial stands in the way of the check: otherwise a
            // timer in the past would wake the loop at once, forever.
            let timer_due = Instant::now() >= next_drift;
            if timer_due {
                next_drift = Instant::now() + self.target.drift_interval;
            }
            let drift_check = timer_due && !pending;
            let retry = retry_at.take().is_some();
            if !(pending || drift_check || retry) {
                continue;
            }
            last_serial_tried = Some(current);
            let r = self.pass(false, drift_check).await;
            let (_, failed) = self.settle(r);
            if failed {
                let delay = backoff.delay(self.attempt.saturating_sub(1), None);
                retry_at = Some(Instant::now() + delay);
                lock(&self.status).next_retry = Some(now() + delay.as_secs());
            }
        }
    }

    /// Records the outcome in status; returns the report and whether to retry.
    fn settle(&mut self, outcome: Outcome) -> (PlanReport, bool) {
        match outcome {
            Outcome::Done(report) => {
                self.attempt = 0;
                let mut st = lock(&self.status);
                st.last_error = None;
                st.next_retry = None;
                if !report.partial {
                    st.skipped = report.skipped.clone();
                    st.unparsed = report.unparsed.clone();
                }
                if let Some(r) = &report.refused {
                    st.state = State::Refused;
                    st.last_error = Some(r.clone());
                } else if let Some(h) = &report.held {
                    st.state = State::Held;
                    st.last_error = Some(h.clone());
                } else if self.applied == Some(st.current_serial) {
                    st.state = State::Ok;
                } else {
                    st.state = State::Pending;
                }
                drop(st);
                (report, false)
            }
            Outcome::Failed(report, e) => {
                self.actual = None; // re-read after any failed request
                let mut st = lock(&self.status);
                crate::metrics::sync_error(&st.zone, &st.target);
                st.last_error = Some(e.to_string());
                if let ProviderError::Auth { .. } = e {
                    self.stopped = true;
                    st.state = State::Stopped;
                    st.next_retry = None;
                    tracing::error!(zone = %st.zone, target = %st.target, "target stopped: {e}; fix the credentials and run `polyzone sync apply`");
                    return (report, false);
                }
                self.attempt += 1;
                st.state = State::Failing;
                tracing::warn!(zone = %st.zone, target = %st.target, attempt = self.attempt, "sync failed: {e}");
                (report, true)
            }
        }
    }

    fn note_serial(&mut self, current: u32) {
        let mut st = lock(&self.status);
        st.current_serial = current;
        st.applied_serial = self.applied;
        if let Some(p) = &self.provider {
            st.requests = p.requests();
        }
        match self.applied {
            Some(a) if a == current => {
                self.behind_since = None;
                st.behind_since = None;
                st.lag_serials = 0;
                st.lag_seconds = 0.0;
            }
            a => {
                let since = *self.behind_since.get_or_insert_with(Instant::now);
                st.lag_serials = a.map_or(1, |a| current.wrapping_sub(a).min(0x7FFF_FFFF));
                st.lag_seconds = since.elapsed().as_secs_f64();
                st.behind_since = Some(unix_f64() - st.lag_seconds);
            }
        }
        crate::metrics::sync_lag(&st.zone, &st.target, st.lag_serials, st.lag_seconds as u64);
    }

    async fn load_applied(&self) -> Option<u32> {
        let engine = self.engine.clone();
        let zone = self.zone.name().clone();
        let key = meta_key(&self.target.name);
        let v = tokio::task::spawn_blocking(move || engine.store().get_meta(&zone, &key))
            .await
            .ok()?
            .ok()??;
        let v: serde_json::Value = serde_json::from_slice(&v).ok()?;
        v["serial"].as_u64().and_then(|s| u32::try_from(s).ok())
    }

    async fn save_applied(&self, serial: u32) {
        let engine = self.engine.clone();
        let zone = self.zone.name().clone();
        let key = meta_key(&self.target.name);
        let value = serde_json::json!({"serial": serial, "time": now()}).to_string();
        let r = tokio::task::spawn_blocking(move || {
            engine.store().put_meta(&zone, &key, value.as_bytes())
        })
        .await;
        if !matches!(r, Ok(Ok(()))) {
            tracing::error!(zone = %self.zone.name(), target = %self.target.name, "cannot record the applied serial; the next start pushes again (idempotent)");
        }
    }

    /// The RRsets our diffs since the applied serial touched (`None` when
    /// unknown: first sync, or journal compacted past it).
    async fn touched_since_applied(&self, to: u32) -> Option<HashSet<RRsetKey>> {
        let from = self.applied?;
        if from == to {
            return Some(HashSet::new());
        }
        let engine = self.engine.clone();
        let zone = self.zone.name().clone();
        let diffs = tokio::task::spawn_blocking(move || engine.diffs(&zone, from, to))
            .await
            .ok()?
            .ok()?;
        let mut keys = HashSet::new();
        for d in &diffs {
            for r in d.removed.iter().chain(&d.added) {
                keys.insert(RRsetKey {
                    name: r.owner.clone(),
                    rtype: r.rtype,
                });
            }
        }
        Some(keys)
    }

    fn provider(&mut self) -> Result<&dyn Provider, ProviderError> {
        if self.provider.is_none() {
            self.provider = providers::build(&self.target)?;
        }
        self.provider
            .as_deref()
            .ok_or_else(|| ProviderError::Config("this target kind has no API".into()))
    }

    async fn read_actual(&mut self, zone: &Name) -> Result<(), ProviderError> {
        let read = match self.provider()?.read(zone).await {
            Err(ProviderError::NoZone(_)) => {
                // Providers that can (PowerDNS) get the zone created, with
                // our apex NS as its nameservers; the rest say why not.
                let version = self.zone.current();
                let ns: Vec<Name> = version
                    .apex_node()
                    .and_then(|n| n.get(crate::rdata::RType::NS))
                    .map(|s| {
                        s.rdatas()
                            .filter_map(|rd| Name::from_wire(rd).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                if !self.provider()?.create_zone(zone, &ns).await? {
                    return Err(ProviderError::NoZone(zone.clone()));
                }
                tracing::info!(zone = %zone, target = %self.target.name, "zone created at the provider");
                self.provider()?.read(zone).await?
            }
            r => r?,
        };
        self.actual = Some(read);
        Ok(())
    }

    /// A plan without applying it (always from a fresh read).
    async fn plan_only(&mut self) -> PlanReport {
        if self.target.kind == TargetKind::Secondary {
            return self.secondary_report().await;
        }
        let version = self.zone.current();
        let zone = version.apex().clone();
        let mut report = self.report_base(version.serial());
        if let Err(e) = self.read_actual(&zone).await {
            report.error = Some(e.to_string());
            return report;
        }
        let touched = self.touched_since_applied(version.serial()).await;
        match self.compute(&version, touched.as_ref(), false, false) {
            Ok((_, changes, r)) => {
                report = r;
                report.changes = changes.iter().map(ChangeView::of).collect();
            }
            Err(r) => report = *r,
        }
        report
    }

    fn report_base(&self, serial: u32) -> PlanReport {
        PlanReport {
            zone: self.zone.name().to_string(),
            target: self.target.name.clone(),
            serial,
            ..PlanReport::default()
        }
    }

    /// Desired vs the cached actual state: the changes to make, and the
    /// report (held/refused/skipped). `Err` = refused.
    fn compute(
        &mut self,
        version: &crate::zone::ZoneVersion,
        touched: Option<&HashSet<RRsetKey>>,
        force: bool,
        incremental: bool,
    ) -> Result<(Vec<Change>, Vec<Change>, PlanReport), Box<PlanReport>> {
        let mut report = self.report_base(version.serial());
        let Ok(caps) = self.provider().map(|p| p.capabilities().clone()) else {
            report.error = Some("no provider".into());
            return Err(Box::new(report));
        };
        // Incremental: only the RRsets our diffs touched since the applied
        // serial, against the cache (which our own applies keep current).
        let partial = match touched {
            Some(t) if incremental && self.actual.is_some() => Some(t),
            _ => None,
        };
        report.partial = partial.is_some();
        let wanted = match partial {
            Some(keys) => desired_for(version, &caps, &self.target, keys),
            None => desired(version, &caps, &self.target),
        };
        let want = match wanted {
            Ok(d) => d,
            Err(refusal) => {
                report.refused = Some(refusal.to_string());
                return Err(Box::new(report));
            }
        };
        report.skipped = want.skipped;
        let empty = ReadResult::default();
        let actual = self.actual.as_ref().unwrap_or(&empty);
        report.unparsed = actual.unparsed.clone();
        // Ours to delete: RRsets our own diffs removed since the last apply.
        let owned = |k: &RRsetKey| touched.is_some_and(|t| t.contains(k));
        let subset: RRsets;
        let compared = match partial {
            Some(keys) => {
                subset = keys
                    .iter()
                    .filter_map(|k| actual.rrsets.get(k).map(|d| (k.clone(), d.clone())))
                    .collect();
                &subset
            }
            None => &actual.rrsets,
        };
        let all = plan::changes(
            &want.rrsets,
            compared,
            version.apex(),
            &caps,
            self.target.purge,
            &owned,
        );
        let changes = drift::allowed(all.clone(), self.target.drift, touched);
        if !force {
            report.held = plan::over_threshold(
                &changes,
                &actual.rrsets,
                self.target.threshold,
                self.target.threshold_min_records,
            );
        }
        Ok((all, changes, report))
    }

    /// One pass: plan against the cache (re-read when unknown or for a
    /// drift check) and apply.
    async fn pass(&mut self, force: bool, drift_check: bool) -> Outcome {
        if self.target.kind == TargetKind::Secondary {
            let r = self.secondary_report().await;
            // Not there yet: look again soon (backoff), as after a failure.
            if !r.applied {
                let e = ProviderError::Transport(r.error.clone().unwrap_or_else(|| {
                    format!("nameservers do not serve serial {} yet", r.serial)
                }));
                return self.failed(r, e);
            }
            return Outcome::Done(r);
        }
        let version = self.zone.current();
        let zone = version.apex().clone();
        let serial = version.serial();
        let report = self.report_base(serial);
        let fresh = self.actual.is_none() || drift_check;
        if fresh {
            if let Err(e) = self.read_actual(&zone).await {
                return self.failed(report, e);
            }
            lock(&self.status).last_drift_check = drift_check.then(now);
        }
        let touched = self.touched_since_applied(serial).await;
        let (all, changes, mut report) =
            match self.compute(&version, touched.as_ref(), force, !fresh) {
                Ok(x) => x,
                Err(r) => return Outcome::Done(*r),
            };
        if drift_check {
            // In sync by our books, yet there are changes: the provider drifted.
            let lines = drift::describe(&all);
            for l in &lines {
                tracing::warn!(zone = %zone, target = %self.target.name, "drift: {l}");
            }
            let mut st = lock(&self.status);
            st.drift_found += lines.len() as u64;
            crate::metrics::drift_found(&st.zone, &st.target, lines.len() as u64);
            st.drift = lines;
        }
        report.changes = changes.iter().map(ChangeView::of).collect();
        if report.held.is_some() {
            self.held = true;
            tracing::warn!(zone = %zone, target = %self.target.name, "plan held: {}", report.held.as_deref().unwrap_or(""));
            return Outcome::Done(report);
        }
        self.held = false;
        if let Err(e) = self.apply(&zone, &changes).await {
            return self.failed(report, e);
        }
        report.applied = true;
        if !changes.is_empty() {
            tracing::info!(zone = %zone, target = %self.target.name, serial, changes = changes.len(), "synced");
        }
        if self.applied != Some(serial) {
            self.save_applied(serial).await;
            self.applied = Some(serial);
        }
        {
            let mut st = lock(&self.status);
            st.last_apply = Some(now());
            st.last_changes = changes.len();
            if !drift_check && !changes.is_empty() {
                // What we just pushed is no longer drift.
                st.drift.retain(|d| {
                    !changes
                        .iter()
                        .any(|c| d.starts_with(&format!("{} {}:", c.key.name, c.key.rtype)))
                });
            }
        }
        self.note_serial(serial);
        Outcome::Done(report)
    }

    fn failed(&mut self, mut report: PlanReport, e: ProviderError) -> Outcome {
        report.error = Some(e.to_string());
        Outcome::Failed(report, e)
    }

    /// Applies in batches, keeping the cache equal to what the provider
    /// now holds (so the next pass needs no read).
    async fn apply(&mut self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let max = self.provider()?.capabilities().max_batch.max(1);
        for batch in changes.chunks(max) {
            self.provider()?.apply(zone, batch).await?;
            if let Some(actual) = self.actual.as_mut() {
                apply_to(&mut actual.rrsets, batch);
            }
        }
        Ok(())
    }

    /// A secondary target: its nameservers' SOA serial is the applied one.
    async fn secondary_report(&mut self) -> PlanReport {
        let version = self.zone.current();
        let serial = version.serial();
        let mut report = self.report_base(serial);
        let servers = crate::sync::verify::nameservers_of(&self.target, &version).await;
        if servers.is_empty() {
            report.error = Some("no nameservers to ask (set nameservers = [...])".into());
            return report;
        }
        let mut lowest: Option<u32> = None;
        for s in &servers {
            match crate::sync::dnsq::soa_serial(*s, version.apex(), Duration::from_secs(2)).await {
                Ok(got) => {
                    lowest = Some(match lowest {
                        Some(l) if Serial(l).is_after(Serial(got)) => got,
                        Some(l) => l,
                        None => got,
                    })
                }
                Err(e) => {
                    report.error = Some(format!("{s}: {e}"));
                    return report;
                }
            }
        }
        if let Some(l) = lowest {
            if l == serial || Serial(l).is_after(Serial(serial)) {
                report.applied = true;
                if self.applied != Some(serial) {
                    self.save_applied(serial).await;
                    self.applied = Some(serial);
                }
            }
        }
        report
    }
}

/// Now as fractional unix seconds.
fn unix_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Applies changes to a cached state.
pub fn apply_to(state: &mut RRsets, changes: &[Change]) {
    for c in changes {
        match &c.new {
            Some(d) => {
                state.insert(c.key.clone(), d.clone());
            }
            None => {
                state.remove(&c.key);
            }
        }
    }
}
