//! One scan, in small steps: expire stale tracks and take the picture
//! ([`snapshot`]), predict conflicts ([`detect`]), read the intents of
//! linked tracks (`conformance::prepare`), run both lifecycles, turn their
//! events into published alerts ([`apply`]: [`los_event`], [`nc_event`],
//! [`nc_ongoing`]), publish them, record and post the new cross-party ones
//! (`notify`), and export the scan's metrics ([`record_metrics`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use geom::Time;
use tactical::conformance::{ConformanceEnd, ConformanceEvent, ConformanceMonitor};
use tactical::{AlertTracker, ConflictReport, PartyId, Timestamp, TrackId, TrackState};

use crate::LiveService;
use crate::alert::{Alert, AlertEvent, AlertId, AlertKind, EndReason, Los, Nc, TrackRef};
use crate::config::LiveConfig;
use crate::conformance::{self, Checked, RecipientCache};
use crate::notify::{self, Notice};

/// State kept from scan to scan (one scan at a time).
#[derive(Debug)]
pub(crate) struct ScanState {
    alerts: AlertTracker,
    conformance: ConformanceMonitor,
    recipients: RecipientCache,
}

impl ScanState {
    pub(crate) fn new(config: &LiveConfig) -> Self {
        Self {
            alerts: AlertTracker::new(config.alerts),
            conformance: ConformanceMonitor::new(config.conformance),
            recipients: RecipientCache::default(),
        }
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

/// Names of the tracks concerned by this scan's events.
type Names = HashMap<TrackId, (PartyId, String)>;

/// Runs one scan at the clock's now; returns what it saw and published.
pub(crate) async fn scan(live: &LiveService) -> (ScanSummary, Vec<AlertEvent>) {
    let mut state = live.scan_state().lock().await;
    let started = Instant::now();
    let now_t = live.clock().now();
    let now = Timestamp::from_micros(now_t.as_micros());
    let (expired, tracks) = snapshot(live, now);
    let Some((tracks, report)) = detect(live, tracks, now).await else {
        return (ScanSummary::default(), Vec::new());
    };
    let checked = conformance::prepare(live, &mut state.recipients, &tracks, now_t).await;
    let los = state.alerts.update(now, report.iter(), &tracks, &expired);
    let nc = state.conformance.update(now, &checked.tracks, &checked.intents, &expired);
    drop(state);
    let names = live.names_of(&concerned(&los, &nc));
    let (events, notices) = apply(live, now_t, &los, &nc, &checked, &names);
    for e in &events {
        live.publish(e.clone());
    }
    notify::post(live, now_t, notices).await;
    live.forget_tracks(&expired);
    let summary = ScanSummary {
        tracks: tracks.len(),
        expired: expired.len(),
        conflicts: report.len(),
        events: events.len(),
    };
    record_metrics(live, &summary, started);
    (summary, events)
}

/// Expires stale tracks; returns their ids and the live picture (sorted by id).
fn snapshot(live: &LiveService, now: Timestamp) -> (Vec<TrackId>, Vec<TrackState>) {
    let mut p = live.picture();
    let gone = p.tracks.expire(now);
    (gone.iter().map(|s| s.id).collect(), p.tracks.snapshot())
}

/// Predicts conflicts on a blocking thread (the scan may use every core).
async fn detect(
    live: &LiveService,
    tracks: Vec<TrackState>,
    now: Timestamp,
) -> Option<(Vec<TrackState>, ConflictReport)> {
    let cfg = live.config().detection;
    match tokio::task::spawn_blocking(move || {
        let report = tactical::detect(&tracks, now, &cfg);
        (tracks, report)
    })
    .await
    {
        Ok(x) => Some(x),
        Err(e) => {
            tracing::error!(error = %e, "tactical detection task failed");
            None
        }
    }
}

/// Every track an event is about.
fn concerned(los: &[tactical::AlertEvent], nc: &[ConformanceEvent]) -> HashSet<TrackId> {
    let mut ids = HashSet::new();
    for e in los {
        ids.insert(e.alert().conflict.a);
        ids.insert(e.alert().conflict.b);
    }
    for e in nc {
        match e {
            ConformanceEvent::New { alert, .. } | ConformanceEvent::Ended { alert, .. } => {
                ids.insert(alert.state.id)
            }
        };
    }
    ids
}

fn track_ref(live: &LiveService, names: &Names, id: TrackId, party: PartyId) -> TrackRef {
    let party_name = |p: PartyId| live.party_name(p).map_or_else(|| format!("#{}", p.0), |m| m.to_string());
    match names.get(&id) {
        Some((p, n)) => TrackRef { party: party_name(*p), id: n.clone() },
        None => TrackRef { party: party_name(party), id: format!("#{}", id.0) },
    }
}

/// Applies the lifecycles' events to the active alerts; returns the events
/// to publish and the notices of new cross-party alerts.
fn apply(
    live: &LiveService,
    now: Time,
    los: &[tactical::AlertEvent],
    nc: &[ConformanceEvent],
    checked: &Checked,
    names: &Names,
) -> (Vec<AlertEvent>, Vec<Notice>) {
    let mut active = live.active_mut();
    let mut out = Vec::with_capacity(los.len() + nc.len());
    let mut notices = Vec::new();
    for ev in los {
        let e = los_event(live, &active, ev, names);
        if let AlertEvent::New(a) = &e
            && live.is_local(first_track(live, ev, names))
            && let Some(n) = notify::notice(a)
        {
            notices.push(n);
        }
        remember(&mut active, &e);
        out.push(e);
    }
    let mut touched = HashSet::new();
    for ev in nc {
        if let Some(e) = nc_event(live, &mut active, ev, checked, names) {
            touched.insert(e.alert().id);
            remember(&mut active, &e);
            out.push(e);
        }
    }
    nc_ongoing(&mut active, &touched, now);
    metrics::gauge!("deconflict_alerts_active").set(active.len() as f64);
    for e in &out {
        let a = e.alert();
        metrics::counter!("deconflict_alerts_total", "kind" => crate::alert::names::kind(&a.kind), "state" => crate::alert::names::state(e))
            .increment(1);
    }
    (out, notices)
}

/// The pair's track whose owner's name, then its own name, sorts first: the
/// replica that received it records the alert. Names, not interned numbers,
/// which differ from one replica to the next.
fn first_track(live: &LiveService, ev: &tactical::AlertEvent, names: &Names) -> TrackId {
    let c = &ev.alert().conflict;
    let key = |id: TrackId| names.get(&id).map(|(p, n)| (live.party_name(*p), n.clone()));
    if key(c.b) < key(c.a) { c.b } else { c.a }
}

fn remember(active: &mut BTreeMap<AlertId, AlertEvent>, e: &AlertEvent) {
    let id = e.alert().id;
    if e.is_end() {
        active.remove(&id);
    } else {
        active.insert(id, e.clone());
    }
}

/// One loss-of-separation lifecycle event as a published alert event.
fn los_event(
    live: &LiveService,
    active: &BTreeMap<AlertId, AlertEvent>,
    ev: &tactical::AlertEvent,
    names: &Names,
) -> AlertEvent {
    let a = ev.alert();
    let c = &a.conflict;
    let id = AlertId::Los(a.id.0);
    let at = Time::from_micros(ev_time(ev).as_micros());
    let since = active.get(&id).map_or(at, |e| e.alert().since);
    let alert = Arc::new(Alert {
        id,
        kind: AlertKind::LossOfSeparation(Los {
            t_in_s: c.t_in_s,
            t_out_s: c.t_out_s,
            t_cpa_s: c.t_cpa_s,
            d_cpa_m: c.d_cpa_m,
            time_to_los_s: a.time_to_los_s,
            severity: a.severity,
            cpa: [a.cpa_a, a.cpa_b],
            resumed: matches!(ev, tactical::AlertEvent::Resumed { .. }),
        }),
        tracks: vec![track_ref(live, names, c.a, c.party_a), track_ref(live, names, c.b, c.party_b)],
        since,
        updated: Time::from_micros(a.predicted_at.as_micros()),
        recipients: a.recipients.clone(),
        same_party: c.is_same_party(),
    });
    match ev {
        // A resumed encounter keeps its id and is raised again.
        tactical::AlertEvent::New { .. } | tactical::AlertEvent::Resumed { .. } => AlertEvent::New(alert),
        tactical::AlertEvent::Ongoing { .. } => AlertEvent::Ongoing(alert),
        tactical::AlertEvent::Ended { reason, .. } => AlertEvent::Ended {
            alert,
            reason: match reason {
                tactical::EndReason::Cleared => EndReason::Cleared,
                tactical::EndReason::TrackExpired(_) => EndReason::TrackExpired,
            },
        },
    }
}

fn ev_time(ev: &tactical::AlertEvent) -> Timestamp {
    match ev {
        tactical::AlertEvent::New { at, .. }
        | tactical::AlertEvent::Ongoing { at, .. }
        | tactical::AlertEvent::Resumed { at, .. }
        | tactical::AlertEvent::Ended { at, .. } => *at,
    }
}

/// One conformance event as a published alert event (`None`: the end of an
/// alert that is not active).
fn nc_event(
    live: &LiveService,
    active: &mut BTreeMap<AlertId, AlertEvent>,
    ev: &ConformanceEvent,
    checked: &Checked,
    names: &Names,
) -> Option<AlertEvent> {
    match ev {
        ConformanceEvent::New { at, alert } => {
            let at = Time::from_micros(at.as_micros());
            Some(AlertEvent::New(Arc::new(Alert {
                id: AlertId::Nc(alert.id.0),
                kind: AlertKind::NonConformance(Nc {
                    intent: checked.intent_of(alert),
                    reason: alert.reason,
                }),
                tracks: vec![track_ref(live, names, alert.state.id, alert.owner())],
                since: at,
                updated: at,
                recipients: checked.recipients(alert, live),
                same_party: false,
            })))
        }
        ConformanceEvent::Ended { at, alert, reason } => {
            let previous = active.remove(&AlertId::Nc(alert.id.0))?;
            let mut a = (**previous.alert()).clone();
            a.updated = Time::from_micros(at.as_micros());
            Some(AlertEvent::Ended {
                alert: Arc::new(a),
                reason: match reason {
                    ConformanceEnd::Conforming => EndReason::Conforming,
                    ConformanceEnd::TrackExpired => EndReason::TrackExpired,
                },
            })
        }
    }
}

/// Non-conformance alerts raised earlier and still active are ongoing as of
/// this scan (not published: nothing about them changed).
fn nc_ongoing(active: &mut BTreeMap<AlertId, AlertEvent>, touched: &HashSet<AlertId>, now: Time) {
    for (id, e) in active.iter_mut() {
        if matches!(id, AlertId::Nc(_)) && !touched.contains(id) {
            let mut a = (**e.alert()).clone();
            a.updated = now;
            *e = AlertEvent::Ongoing(Arc::new(a));
        }
    }
}

fn record_metrics(live: &LiveService, s: &ScanSummary, started: Instant) {
    let elapsed = started.elapsed();
    metrics::gauge!("deconflict_tracks").set(s.tracks as f64);
    for (source, n) in live.tracks_by_origin() {
        metrics::gauge!("deconflict_source_tracks", "source" => source).set(n as f64);
    }
    metrics::histogram!("deconflict_tactical_scan_duration_seconds").record(elapsed.as_secs_f64());
    if elapsed > live.config().scan_interval {
        tracing::warn!(
            ms = elapsed.as_millis() as u64,
            tracks = s.tracks,
            "tactical scan took longer than its interval"
        );
    }
}
