//! [`LiveService`]: the picture, ingestion, the active alerts and their
//! subscribers, the sources' counters and the exchange's outbox. Cheap to
//! clone (one `Arc`).
//!
//! Live tracks are hot data: they stay in memory ([`tactical::TrackPicture`]
//! behind one mutex, held only for short non-async sections), never a
//! database round trip per position report. Nothing here survives a restart.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockWriteGuard};

use deconflict_core::{Engine, PartyName};
use tactical::{PartyId, PictureConfig, TrackId, TrackPicture, TrackState, UpdateOutcome};
use tokio::sync::{broadcast, watch};

use crate::alert::{AlertEvent, AlertId};
use crate::clock::Clock;
use crate::config::LiveConfig;
use crate::exchange::{Exchange, Outgoing};
use crate::names::{Parties, TrackKeys};
use crate::scan::{self, ScanState, ScanSummary};
use crate::source::SourceStatus;

/// The live picture: latest states, the names of their tracks, and which
/// ones came from another replica.
#[derive(Debug)]
pub(crate) struct Picture {
    pub(crate) tracks: TrackPicture,
    pub(crate) keys: TrackKeys,
    /// Tracks whose latest report came through the exchange.
    pub(crate) remote: HashSet<TrackId>,
    /// The receiver source (its label) of tracks whose latest report came
    /// from one; a local track not here was reported through the API.
    pub(crate) sourced: HashMap<TrackId, Arc<str>>,
}

/// Where a batch of reports came from.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    /// `POST /v1/tracks` (or a replay).
    Api,
    /// A receiver source, by label.
    Source(&'a Arc<str>),
    /// Another replica, through the exchange.
    Remote,
}

#[derive(Debug)]
struct Inner {
    config: LiveConfig,
    engine: Engine,
    clock: Clock,
    picture: Mutex<Picture>,
    parties: RwLock<Parties>,
    scan: tokio::sync::Mutex<ScanState>,
    active: RwLock<BTreeMap<AlertId, AlertEvent>>,
    events: broadcast::Sender<AlertEvent>,
    closed: watch::Sender<bool>,
    sources: Mutex<Vec<Arc<SourceStatus>>>,
    exchange: Exchange,
}

/// The live tactical service: what `POST /v1/tracks` and every receiver
/// feed report into, what scans run over, what alert readers subscribe to.
#[derive(Debug, Clone)]
pub struct LiveService {
    inner: Arc<Inner>,
}

/// What an ingestion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ingested {
    /// Stored as the latest state of their track (or held back as an
    /// implausible jump until the next report confirms it).
    pub accepted: usize,
    /// Not newer than the latest state of their track; ignored.
    pub stale: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LiveService {
    /// An empty picture over `engine` (intents for conformance, lines for
    /// alert threads, the audit log) on `clock`.
    pub fn new(config: LiveConfig, engine: Engine, clock: Clock) -> Self {
        let tracks = TrackPicture::new(PictureConfig {
            max_age: config.stale_after,
            history_len: 4,
            ..PictureConfig::default()
        });
        let (events, _) = broadcast::channel(1024);
        let (closed, _) = watch::channel(false);
        let scan = ScanState::new(&config);
        let exchange = Exchange::new(config.exchange.is_some());
        let sources = config.sources.iter().map(|s| Arc::new(SourceStatus::new(s.clone()))).collect();
        Self {
            inner: Arc::new(Inner {
                config,
                engine,
                clock,
                picture: Mutex::new(Picture {
                    tracks,
                    keys: TrackKeys::default(),
                    remote: HashSet::new(),
                    sourced: HashMap::new(),
                }),
                parties: RwLock::new(Parties::default()),
                scan: tokio::sync::Mutex::new(scan),
                active: RwLock::new(BTreeMap::new()),
                events,
                closed,
                sources: Mutex::new(sources),
                exchange,
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    /// The clock scans and feeds read.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The strategic engine (intents, lines, audit).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The party number of `name` (assigned on first sight).
    pub fn party(&self, name: &PartyName) -> PartyId {
        if let Some(p) = self.inner.parties.read().unwrap_or_else(PoisonError::into_inner).get(name) {
            return p;
        }
        self.inner.parties.write().unwrap_or_else(PoisonError::into_inner).intern(name)
    }

    /// The name of a party number.
    pub fn party_name(&self, party: PartyId) -> Option<PartyName> {
        self.inner.parties.read().unwrap_or_else(PoisonError::into_inner).name(party).cloned()
    }

    /// Stores `party`'s reports, already validated, in order: each is
    /// `(name, state)` with `state.id` and `state.party` filled in here.
    /// With an exchange, accepted reports are also queued for the other replicas.
    pub fn ingest(
        &self,
        party: PartyId,
        reports: impl IntoIterator<Item = (String, TrackState)>,
    ) -> Ingested {
        self.ingest_from(party, reports, Origin::Api)
    }

    /// [`LiveService::ingest`] of reports decoded by the receiver source
    /// labelled `source` (counted per source in `deconflict_source_tracks`).
    pub fn ingest_via(
        &self,
        party: PartyId,
        source: &Arc<str>,
        reports: impl IntoIterator<Item = (String, TrackState)>,
    ) -> Ingested {
        self.ingest_from(party, reports, Origin::Source(source))
    }

    /// [`LiveService::ingest`] of reports another replica received (never sent on again).
    pub(crate) fn ingest_remote(
        &self,
        party: PartyId,
        reports: impl IntoIterator<Item = (String, TrackState)>,
    ) -> Ingested {
        self.ingest_from(party, reports, Origin::Remote)
    }

    fn ingest_from(
        &self,
        party: PartyId,
        reports: impl IntoIterator<Item = (String, TrackState)>,
        origin: Origin<'_>,
    ) -> Ingested {
        let remote = matches!(origin, Origin::Remote);
        let share = self.inner.exchange.enabled() && !remote;
        let mut outgoing = Vec::new();
        let mut out = Ingested::default();
        {
            let mut p = lock(&self.inner.picture);
            for (name, mut state) in reports {
                state.party = party;
                state.id = p.keys.intern(party, &name);
                match p.tracks.update(state) {
                    // A held-back jump is received; scans coast the last plausible state.
                    Ok(UpdateOutcome::Created | UpdateOutcome::Updated | UpdateOutcome::HeldBack) => {
                        out.accepted += 1;
                        if remote {
                            p.remote.insert(state.id);
                        } else {
                            p.remote.remove(&state.id);
                        }
                        match origin {
                            Origin::Source(label) => {
                                p.sourced.insert(state.id, label.clone());
                            }
                            Origin::Api | Origin::Remote => {
                                p.sourced.remove(&state.id);
                            }
                        }
                        if share {
                            outgoing.push(Outgoing { party, name, state });
                        }
                    }
                    Ok(UpdateOutcome::Stale) => out.stale += 1,
                    // Validated by the caller; a rejected report changes nothing.
                    Err(_) => out.stale += 1,
                }
            }
        }
        if !outgoing.is_empty() {
            self.inner.exchange.queue(outgoing);
        }
        out
    }

    /// The latest state and name of each of `party`'s live tracks, sorted by name.
    pub fn tracks_of(&self, party: PartyId) -> Vec<(String, TrackState)> {
        let p = lock(&self.inner.picture);
        let mut v: Vec<(String, TrackState)> = p
            .keys
            .of_party(party)
            .filter_map(|id| {
                let s = p.tracks.get(id)?;
                let (_, name) = p.keys.key(id)?;
                Some((name.to_string(), *s))
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Number of live tracks (local and remote).
    pub fn track_count(&self) -> usize {
        lock(&self.inner.picture).tracks.len()
    }

    /// Live tracks by where their latest report came from: each configured
    /// source by label (zero included), `api` and `exchange`.
    pub fn tracks_by_origin(&self) -> Vec<(String, usize)> {
        let labels: Vec<Arc<str>> = self.sources().iter().map(|s| s.origin().clone()).collect();
        let p = lock(&self.inner.picture);
        let mut per: HashMap<&str, usize> = HashMap::new();
        for label in p.sourced.values() {
            *per.entry(&**label).or_default() += 1;
        }
        let mut out: Vec<(String, usize)> =
            labels.iter().map(|l| (l.to_string(), per.get(&**l).copied().unwrap_or(0))).collect();
        let exchange = p.remote.len();
        let api = p.tracks.len().saturating_sub(exchange + p.sourced.len());
        out.push(("api".to_owned(), api));
        out.push(("exchange".to_owned(), exchange));
        out
    }

    /// Whether `party` sees conflicts between two of its own tracks when it
    /// does not say (its setting: on unless configured off).
    pub fn shows_own_conflicts(&self, party: PartyId) -> bool {
        self.party_name(party).is_none_or(|m| !self.inner.config.hide_own_conflicts.contains(&m))
    }

    /// Whether `party` may see `event` (need-to-know, see [`crate::alert`]);
    /// `own` overrides the party's setting for its own conflicts.
    pub fn may_see(&self, event: &AlertEvent, party: PartyId, own: Option<bool>) -> bool {
        event.alert().visible_to(party, own.unwrap_or_else(|| self.shows_own_conflicts(party)))
    }

    /// The latest event of each active alert `party` may see, by id.
    pub fn alerts_for(&self, party: PartyId, own: Option<bool>) -> Vec<AlertEvent> {
        let own = own.unwrap_or_else(|| self.shows_own_conflicts(party));
        let active = self.inner.active.read().unwrap_or_else(PoisonError::into_inner);
        active.values().filter(|e| e.alert().visible_to(party, own)).cloned().collect()
    }

    /// Every alert event from now on (filter with [`LiveService::may_see`]).
    pub fn subscribe(&self) -> broadcast::Receiver<AlertEvent> {
        self.inner.events.subscribe()
    }

    /// Becomes `true` when the service shuts down (alert streams end then).
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    /// Ends the alert streams (graceful shutdown).
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// Runs one scan at the clock's now (expiry, detection, both lifecycles,
    /// publication, audit records and threads). Scans never
    /// overlap (a second caller waits). Tests and replays call this with a
    /// manual clock; the runtime calls it every scan interval.
    pub async fn scan_once(&self) -> ScanSummary {
        scan::scan(self).await.0
    }

    /// [`LiveService::scan_once`], also returning the events it published.
    pub async fn scan_collect(&self) -> (ScanSummary, Vec<AlertEvent>) {
        scan::scan(self).await
    }

    /// The configured sources, in order, with their counters (bound
    /// addresses appear once the runtime has bound them).
    pub fn sources(&self) -> Vec<Arc<SourceStatus>> {
        lock(&self.inner.sources).clone()
    }

    /// Whether the picture may lack tracks other replicas received: an
    /// exchange is configured and is not reachable now.
    pub fn picture_partial(&self) -> bool {
        self.inner.exchange.partial()
    }

    /// Whether the picture is partial, as it changes (tests and operators wait on it).
    pub fn watch_partial(&self) -> watch::Receiver<bool> {
        self.inner.exchange.watch_partial()
    }

    /// Counts batches received from other replicas and applied (tests wait on it).
    pub fn exchange_applied(&self) -> watch::Receiver<u64> {
        self.inner.exchange.applied()
    }

    pub(crate) fn exchange(&self) -> &Exchange {
        &self.inner.exchange
    }

    pub(crate) fn picture(&self) -> MutexGuard<'_, Picture> {
        lock(&self.inner.picture)
    }

    pub(crate) fn scan_state(&self) -> &tokio::sync::Mutex<ScanState> {
        &self.inner.scan
    }

    pub(crate) fn active_mut(&self) -> RwLockWriteGuard<'_, BTreeMap<AlertId, AlertEvent>> {
        self.inner.active.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn publish(&self, event: AlertEvent) {
        // No receiver is not an error.
        let _ = self.inner.events.send(event);
    }

    /// Forgets the names of expired tracks unless they came back meanwhile.
    pub(crate) fn forget_tracks(&self, ids: &[TrackId]) {
        let mut p = self.picture();
        for id in ids {
            if p.tracks.get(*id).is_none() {
                p.keys.forget(*id);
                p.remote.remove(id);
                p.sourced.remove(id);
            }
        }
    }

    /// The owner name and track name of each of `ids`.
    pub(crate) fn names_of(&self, ids: &HashSet<TrackId>) -> HashMap<TrackId, (PartyId, String)> {
        let p = self.picture();
        ids.iter().filter_map(|id| p.keys.key(*id).map(|(party, n)| (*id, (party, n.to_string())))).collect()
    }

    /// Whether the latest report of `id` was received by this replica.
    pub(crate) fn is_local(&self, id: TrackId) -> bool {
        !self.picture().remote.contains(&id)
    }
}
