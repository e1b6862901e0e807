//! The periodic scan: expire stale tracks, predict conflicts, run the alert
//! lifecycle and conformance monitoring, and publish alert events.
//!
//! Conformance needs the volumes of the operational intents tracks are linked
//! to; they are read from the strategic engine once per scan (on a blocking
//! thread). A track linked to an unknown intent is non-conforming
//! (`unknown_intent`), and so is one linked to another party's intent (a
//! party cannot alert others through someone else's intent). Besides the
//! track's owner, the managers of intents that intersect the linked intent
//! are told; they are looked up with `query_intents` over each extent and
//! cached per intent version for at most [`RECIPIENTS_TTL_US`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use deconflict_core::coord::{ConflictThread, Refs};
use deconflict_core::{Ctx, Engine, EngineError, EntityId, Manager};
use geom::{Time, Volume4D};
use tactical::conformance::{
    ConformanceAlert, ConformanceEnd, ConformanceEvent, ConformanceMonitor, IntentVolumes, NonConformance,
};
use tactical::{Alert, AlertEvent, AlertTracker, EndReason, OperationKey, PartyId, Timestamp, TrackId};
use uuid::Uuid;

use super::LiveConfig;
use super::view::{AlertRecord, AlertView, TrackRef, finite, rfc3339};
use crate::state::AppState;

/// How long the recipients of a non-conformance alert (intersecting intents'
/// managers) are cached for one intent version: 30 s.
pub const RECIPIENTS_TTL_US: i64 = 30_000_000;

/// Stands for "linked to another party's intent" in the monitor's input;
/// never a key of the intents map.
const FOREIGN: OperationKey = OperationKey([0xFF; 16]);

const KIND_LOS: u8 = 0;
const KIND_NC: u8 = 1;

#[derive(Debug)]
struct CachedRecipients {
    version: i32,
    at: Time,
    managers: Vec<Manager>,
}

/// State kept from scan to scan (one scan at a time).
#[derive(Debug)]
pub(crate) struct ScanState {
    alerts: AlertTracker,
    conformance: ConformanceMonitor,
    recipients: HashMap<EntityId, CachedRecipients>,
}

impl ScanState {
    pub(crate) fn new(config: &LiveConfig) -> Self {
        Self {
            alerts: AlertTracker::new(config.alerts),
            conformance: ConformanceMonitor::new(config.conformance),
            recipients: HashMap::new(),
        }
    }
}

#[derive(Debug)]
struct IntentInfo {
    manager: Manager,
    extents: Vec<Volume4D>,
    recipients: Vec<Manager>,
}

#[derive(Debug, Default)]
struct Intents(HashMap<OperationKey, IntentInfo>);

impl IntentVolumes for Intents {
    fn volumes(&self, key: &OperationKey) -> Option<&[Volume4D]> {
        self.0.get(key).map(|i| i.extents.as_slice())
    }
}

/// What one scan saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Live tracks scanned.
    pub tracks: usize,
    /// Tracks expired by this scan.
    pub expired: usize,
    /// Conflicting pairs predicted.
    pub conflicts: usize,
    /// Alert events published.
    pub events: usize,
}

/// Runs one scan at the server clock's now. Scans never overlap (a second
/// caller waits). Tests drive this with a manual clock instead of waiting for
/// the periodic task.
pub async fn scan_once(state: &AppState) -> ScanSummary {
    let live = &state.live;
    let mut scan = live.scan_state().lock().await;
    let started = Instant::now();
    let now_t = state.clock.now();
    let now = Timestamp::from_micros(now_t.as_micros());
    let (expired, tracks) = {
        let mut p = live.picture();
        let gone = p.store.expire(now);
        (gone, p.store.snapshot())
    };
    let expired_ids: Vec<TrackId> = expired.iter().map(|s| s.id).collect();
    let cfg = live.config().detection;
    let detected = tokio::task::spawn_blocking(move || {
        let report = tactical::detect(&tracks, now, &cfg);
        (tracks, report)
    })
    .await;
    let (tracks, report) = match detected {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = %e, "tactical detection task failed");
            return ScanSummary::default();
        }
    };

    // Conformance of tracks linked to an intent.
    let keys: BTreeSet<OperationKey> = tracks.iter().filter_map(|s| s.intent).collect();
    let (mut intents, failed) = fetch_intents(state, &mut scan.recipients, keys, now_t).await;
    intents.0.remove(&FOREIGN);
    let owners: HashMap<OperationKey, PartyId> =
        intents.0.iter().map(|(k, i)| (*k, live.party(&i.manager))).collect();
    let mut real_intent: HashMap<TrackId, OperationKey> = HashMap::new();
    let conf_tracks: Vec<tactical::TrackState> = tracks
        .iter()
        .filter_map(|s| {
            let key = s.intent?;
            // A lookup that failed for a transient reason: counts as conforming this scan.
            if failed.contains(&key) {
                return None;
            }
            real_intent.insert(s.id, key);
            let mut s = *s;
            if owners.get(&key).is_some_and(|p| *p != s.party) {
                s.intent = Some(FOREIGN);
            }
            Some(s)
        })
        .collect();

    let los = scan.alerts.update(now, report.iter(), &tracks, &expired_ids);
    let nc = scan.conformance.update(now, &conf_tracks, &intents, &expired_ids);

    // Names of every track concerned, resolved under one lock.
    let mut ids: HashSet<TrackId> = HashSet::new();
    for e in &los {
        ids.insert(e.alert().conflict.a);
        ids.insert(e.alert().conflict.b);
    }
    for e in &nc {
        match e {
            ConformanceEvent::New { alert, .. } | ConformanceEvent::Ended { alert, .. } => {
                ids.insert(alert.state.id)
            }
        };
    }
    let names = resolve_names(state, &ids);
    let name = |id: TrackId, party: PartyId| -> TrackRef {
        names.get(&id).cloned().unwrap_or_else(|| TrackRef {
            party: live.manager(party).map_or_else(|| format!("#{}", party.0), |m| m.to_string()),
            id: format!("#{}", id.0),
        })
    };

    let now_s = rfc3339(now.as_micros());
    let mut publish: Vec<Arc<AlertRecord>> = Vec::with_capacity(los.len() + nc.len());
    {
        let mut active = live.active().write().unwrap_or_else(PoisonError::into_inner);
        for ev in &los {
            let alert = ev.alert();
            let key = (KIND_LOS, alert.id.0);
            let (state_name, end) = match ev {
                // A resumed encounter keeps its id and is shown as new again.
                AlertEvent::New { .. } | AlertEvent::Resumed { .. } => ("new", None),
                AlertEvent::Ongoing { .. } => ("ongoing", None),
                AlertEvent::Ended { reason, .. } => (
                    "ended",
                    Some(match reason {
                        EndReason::Cleared => "cleared",
                        EndReason::TrackExpired(_) => "track_expired",
                    }),
                ),
            };
            let since = active.get(&key).map_or_else(|| now_s.clone(), |r| r.view.since.clone());
            let record = Arc::new(los_record(alert, state_name, since, end, &name));
            if end.is_some() {
                active.remove(&key);
            } else {
                active.insert(key, record.clone());
            }
            metrics::counter!("deconflict_alerts_total", "kind" => "loss_of_separation", "state" => state_name)
                .increment(1);
            publish.push(record);
        }
        let mut touched: HashSet<(u8, u64)> = HashSet::new();
        for ev in &nc {
            match ev {
                ConformanceEvent::New { at, alert } => {
                    let key = (KIND_NC, alert.id.0);
                    touched.insert(key);
                    let intent = real_intent.get(&alert.state.id).copied().unwrap_or(alert.intent);
                    let mut recipients = vec![alert.owner()];
                    if alert.intent != FOREIGN
                        && let Some(info) = intents.0.get(&alert.intent)
                    {
                        recipients.extend(info.recipients.iter().map(|m| live.party(m)));
                    }
                    recipients.sort_unstable();
                    recipients.dedup();
                    let at_s = rfc3339(at.as_micros());
                    let view = AlertView {
                        id: format!("nc-{}", alert.id.0),
                        kind: "nonconformance",
                        state: "new",
                        tracks: vec![name(alert.state.id, alert.owner())],
                        t_in_s: None,
                        t_out_s: None,
                        t_cpa_s: None,
                        d_cpa_m: None,
                        intent_id: Some(Uuid::from_bytes(intent.0).to_string()),
                        reason: Some(nc_reason(alert)),
                        end_reason: None,
                        since: at_s.clone(),
                        updated: at_s,
                    };
                    let record = Arc::new(AlertRecord { view, recipients, same_party: false });
                    active.insert(key, record.clone());
                    metrics::counter!("deconflict_alerts_total", "kind" => "nonconformance", "state" => "new")
                        .increment(1);
                    publish.push(record);
                }
                ConformanceEvent::Ended { at, alert, reason } => {
                    let key = (KIND_NC, alert.id.0);
                    touched.insert(key);
                    let Some(previous) = active.remove(&key) else { continue };
                    let mut record = (*previous).clone();
                    record.view.state = "ended";
                    record.view.updated = rfc3339(at.as_micros());
                    record.view.end_reason = Some(match reason {
                        ConformanceEnd::Conforming => "conforming",
                        ConformanceEnd::TrackExpired => "track_expired",
                    });
                    metrics::counter!("deconflict_alerts_total", "kind" => "nonconformance", "state" => "ended")
                        .increment(1);
                    publish.push(Arc::new(record));
                }
            }
        }
        // Non-conformance alerts raised earlier and still active are ongoing.
        for (key, record) in active.iter_mut() {
            if key.0 == KIND_NC && !touched.contains(key) {
                let mut r = (**record).clone();
                r.view.state = "ongoing";
                r.view.updated.clone_from(&now_s);
                *record = Arc::new(r);
            }
        }
        metrics::gauge!("deconflict_alerts_active").set(active.len() as f64);
    }
    let events = publish.len();
    let threads: Vec<ConflictThread> = publish.iter().filter_map(|r| alert_thread(&r.view)).collect();
    for record in publish {
        live.publish(record);
    }
    open_alert_threads(state, now_t, threads).await;
    live.forget_tracks(&expired_ids);

    let elapsed = started.elapsed();
    metrics::gauge!("deconflict_tracks").set(tracks.len() as f64);
    metrics::histogram!("deconflict_tactical_scan_duration_seconds").record(elapsed.as_secs_f64());
    if elapsed > live.config().scan_interval {
        tracing::warn!(
            ms = elapsed.as_millis() as u64,
            tracks = tracks.len(),
            "tactical scan took longer than its interval"
        );
    }
    ScanSummary { tracks: tracks.len(), expired: expired_ids.len(), conflicts: report.len(), events }
}

/// A new loss of separation between two parties' tracks: the thread on the
/// line between them that it opens (or appends to).
fn alert_thread(view: &AlertView) -> Option<ConflictThread> {
    let [x, y] = view.tracks.as_slice() else { return None };
    if view.kind != "loss_of_separation" || view.state != "new" || x.party == y.party {
        return None;
    }
    let t_in = view.t_in_s.map_or_else(|| "now".to_owned(), |t| format!("in {t:.0} s"));
    let cpa = view.d_cpa_m.map_or_else(String::new, |d| format!(", closest approach {d:.0} m"));
    Some(ConflictThread {
        a: x.party.clone(),
        b: y.party.clone(),
        topic: format!("tracks:{}/{}:{}/{}", x.party, x.id, y.party, y.id),
        text: format!(
            "LOSS OF SEPARATION predicted {t_in} between {}'s track {} and {}'s track {}{cpa} (alert {}). Coordinate on this thread.",
            x.party, x.id, y.party, y.id, view.id
        ),
        refs: Refs { alert_id: Some(view.id.clone()), ..Refs::default() },
    })
}

/// Posts the alert threads; best effort (the alerts stand whatever happens).
async fn open_alert_threads(state: &AppState, now: geom::Time, threads: Vec<ConflictThread>) {
    if threads.is_empty() {
        return;
    }
    let engine = state.engine.clone();
    let posted = tokio::task::spawn_blocking(move || {
        threads.iter().map(|t| engine.coord().conflict_thread(now, t)).collect::<Vec<_>>()
    })
    .await;
    for result in posted.into_iter().flatten() {
        if let Err(e) = result {
            tracing::warn!(error = %e, "opening an alert thread failed");
        }
    }
}

fn nc_reason(alert: &ConformanceAlert) -> &'static str {
    match alert.reason {
        NonConformance::OutsideVolumes => "outside_volumes",
        NonConformance::UnknownIntent => "unknown_intent",
    }
}

fn los_record(
    alert: &Alert,
    state: &'static str,
    since: String,
    end_reason: Option<&'static str>,
    name: &impl Fn(TrackId, PartyId) -> TrackRef,
) -> AlertRecord {
    let c = &alert.conflict;
    AlertRecord {
        view: AlertView {
            id: format!("los-{}", alert.id.0),
            kind: "loss_of_separation",
            state,
            tracks: vec![name(c.a, c.party_a), name(c.b, c.party_b)],
            t_in_s: finite(c.t_in_s),
            t_out_s: finite(c.t_out_s),
            t_cpa_s: finite(c.t_cpa_s),
            d_cpa_m: finite(c.d_cpa_m),
            intent_id: None,
            reason: None,
            end_reason,
            since,
            updated: rfc3339(alert.predicted_at.as_micros()),
        },
        recipients: alert.recipients.clone(),
        same_party: c.is_same_party(),
    }
}

fn resolve_names(state: &AppState, ids: &HashSet<TrackId>) -> HashMap<TrackId, TrackRef> {
    if ids.is_empty() {
        return HashMap::new();
    }
    let raw: Vec<(TrackId, PartyId, String)> = {
        let p = state.live.picture();
        ids.iter().filter_map(|id| p.keys.key(*id).map(|(party, n)| (*id, party, n.to_string()))).collect()
    };
    raw.into_iter()
        .map(|(id, party, n)| {
            let party = state.live.manager(party).map_or_else(|| format!("#{}", party.0), |m| m.to_string());
            (id, TrackRef { party, id: n })
        })
        .collect()
}

/// Reads the linked intents on a blocking thread. Returns the known ones and
/// the keys whose lookup failed for a transient reason.
async fn fetch_intents(
    state: &AppState,
    cache: &mut HashMap<EntityId, CachedRecipients>,
    keys: BTreeSet<OperationKey>,
    now: Time,
) -> (Intents, BTreeSet<OperationKey>) {
    if keys.is_empty() {
        cache.clear();
        return (Intents::default(), BTreeSet::new());
    }
    let engine = state.engine.clone();
    let mut owned = std::mem::take(cache);
    let all = keys.clone();
    match tokio::task::spawn_blocking(move || {
        let out = lookup(&engine, &mut owned, &keys, now);
        (owned, out)
    })
    .await
    {
        Ok((c, out)) => {
            *cache = c;
            out
        }
        Err(e) => {
            tracing::error!(error = %e, "intent lookup task failed");
            (Intents::default(), all)
        }
    }
}

fn lookup(
    engine: &Engine,
    cache: &mut HashMap<EntityId, CachedRecipients>,
    keys: &BTreeSet<OperationKey>,
    now: Time,
) -> (Intents, BTreeSet<OperationKey>) {
    let mut found = Intents::default();
    let mut failed = BTreeSet::new();
    let mut wanted = HashSet::new();
    for key in keys {
        let id = EntityId::from_uuid(Uuid::from_bytes(key.0));
        wanted.insert(id);
        match engine.intent(id) {
            Ok(view) => {
                let oi = view.intent;
                let recipients = recipients(engine, cache, &oi, now);
                found.0.insert(*key, IntentInfo { manager: oi.manager, extents: oi.extents, recipients });
            }
            Err(EngineError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(intent = %id, error = %e, "cannot read a linked intent; conformance skipped this scan");
                failed.insert(*key);
            }
        }
    }
    cache.retain(|id, _| wanted.contains(id));
    (found, failed)
}

fn recipients(
    engine: &Engine,
    cache: &mut HashMap<EntityId, CachedRecipients>,
    oi: &deconflict_core::model::OperationalIntent,
    now: Time,
) -> Vec<Manager> {
    if let Some(c) = cache.get(&oi.id)
        && c.version == oi.version
        && now.as_micros().saturating_sub(c.at.as_micros()) < RECIPIENTS_TTL_US
    {
        return c.managers.clone();
    }
    let ctx = Ctx::new(oi.manager.clone(), now);
    let mut managers = BTreeSet::from([oi.manager.clone()]);
    for extent in &oi.extents {
        match engine.query_intents(&ctx, extent) {
            Ok(views) => managers.extend(views.into_iter().map(|v| v.intent.manager)),
            Err(e) => {
                tracing::warn!(intent = %oi.id, error = %e, "cannot find intents intersecting a linked intent")
            }
        }
    }
    let managers: Vec<Manager> = managers.into_iter().collect();
    cache.insert(oi.id, CachedRecipients { version: oi.version, at: now, managers: managers.clone() });
    managers
}

/// Scans every `scan_interval` until the runtime stops (the first scan one
/// interval after start).
pub async fn run(state: AppState) {
    let every = state.live.config().scan_interval.max(Duration::from_millis(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        scan_once(&state).await;
    }
}
