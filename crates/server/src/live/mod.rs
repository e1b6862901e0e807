//! Tactical deconfliction in the server: the live picture, the periodic
//! scan, alerts to the parties concerned, and SBS-1 feeds.
//!
//! Live tracks are hot data: they stay in memory ([`tactical::TrackStore`]
//! behind one mutex, held only for short non-async sections), never a
//! database round trip per position report. Nothing here survives a restart.
//!
//! - [`parties`]: `Manager` ⇄ `PartyId`, `(party, track name)` ⇄ `TrackId`.
//! - [`scan`]: [`scan_once`] (expiry, detection, alert lifecycle,
//!   conformance against the strategic intents) and its periodic task.
//! - [`sbs`]: SBS-1 (BaseStation) TCP listeners, one party per listener.
//! - [`view`]: the wire form of alerts and tracks, and need-to-know filtering.

pub mod parties;
pub mod sbs;
pub mod scan;
pub mod view;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use deconflict_core::Manager;
use tactical::conformance::ConformanceConfig;
use tactical::{
    AlertConfig, DetectionConfig, PartyId, StoreConfig, TrackId, TrackState, TrackStore, UpdateOutcome,
};
use tokio::sync::{broadcast, watch};

use parties::{Parties, TrackKeys};
pub use scan::scan_once;
use view::{AlertRecord, AlertView};

/// Separation minima presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// 5 NM, 1000 ft, 300 s look-ahead ([`DetectionConfig::en_route`]).
    #[default]
    EnRoute,
    /// 50 m, 15 m, 60 s look-ahead ([`DetectionConfig::drone`]).
    Drone,
}

impl Profile {
    /// The detection settings of this profile.
    pub fn detection(self) -> DetectionConfig {
        match self {
            Profile::EnRoute => DetectionConfig::en_route(),
            Profile::Drone => DetectionConfig::drone(),
        }
    }

    /// The alert lifecycle settings of this profile.
    pub fn alerts(self) -> AlertConfig {
        match self {
            Profile::EnRoute => AlertConfig::en_route(),
            Profile::Drone => AlertConfig::drone(),
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    /// `en-route` or `drone`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en-route" | "en_route" | "enroute" => Ok(Profile::EnRoute),
            "drone" => Ok(Profile::Drone),
            _ => Err(format!("unknown tactical profile {s:?}: use en-route or drone")),
        }
    }
}

/// Parses `ADDR=PARTY` (e.g. `0.0.0.0:30003=radar-north`) for an SBS-1 listener.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_sbs_listen(s: &str) -> Result<(SocketAddr, Manager), String> {
    let (addr, party) =
        s.split_once('=').ok_or_else(|| format!("{s:?}: expected ADDR=PARTY, e.g. 0.0.0.0:30003=radar"))?;
    let addr: SocketAddr = addr.trim().parse().map_err(|e| format!("{s:?}: address: {e}"))?;
    let party = Manager::new(party.trim()).map_err(|e| format!("{s:?}: party: {e}"))?;
    Ok((addr, party))
}

/// Settings of tactical deconfliction.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Time between scans.
    pub scan_interval: Duration,
    /// A track not reported for this long is dropped (its alerts end).
    pub stale_after: Duration,
    /// Separation minima and look-ahead.
    pub detection: DetectionConfig,
    /// Confirmation, clearing and eligibility of conflict alerts (track time).
    pub alerts: AlertConfig,
    /// Tolerances and debouncing of non-conformance alerts.
    pub conformance: ConformanceConfig,
    /// Most tracks in one `POST /v1/tracks` (more is a 413).
    pub max_batch: usize,
    /// A report timed further ahead of the server clock is refused.
    pub max_future: Duration,
    /// SBS-1 TCP listeners and the party owning each one's tracks.
    pub sbs_listeners: Vec<(SocketAddr, Manager)>,
}

impl Default for LiveConfig {
    /// 1 s scans, 60 s expiry, en-route minima and alert settings
    /// ([`AlertConfig::en_route`]), 10,000 tracks per batch, 10 s clock skew, no SBS.
    fn default() -> Self {
        Self {
            scan_interval: Duration::from_secs(1),
            stale_after: Duration::from_secs(60),
            detection: DetectionConfig::en_route(),
            alerts: AlertConfig::default(),
            conformance: ConformanceConfig::default(),
            max_batch: 10_000,
            max_future: Duration::from_secs(10),
            sbs_listeners: Vec::new(),
        }
    }
}

/// The live picture: latest states and the names of their tracks.
#[derive(Debug)]
pub(crate) struct Picture {
    pub(crate) store: TrackStore,
    pub(crate) keys: TrackKeys,
}

/// Active alerts by `(kind, number)`: kind 0 loss of separation, 1 non-conformance.
pub(crate) type ActiveAlerts = BTreeMap<(u8, u64), Arc<AlertRecord>>;

#[derive(Debug)]
struct Inner {
    config: LiveConfig,
    picture: Mutex<Picture>,
    parties: RwLock<Parties>,
    scan: tokio::sync::Mutex<scan::ScanState>,
    active: RwLock<ActiveAlerts>,
    events: broadcast::Sender<Arc<AlertRecord>>,
    closed: watch::Sender<bool>,
    sbs_addrs: Mutex<Vec<SocketAddr>>,
}

/// Tactical state shared by handlers, the scan task and the SBS-1
/// listeners. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveState {
    inner: Arc<Inner>,
}

impl Default for LiveState {
    fn default() -> Self {
        Self::new(LiveConfig::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What `POST /v1/tracks` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// Stored as the latest state of their track.
    pub accepted: usize,
    /// Not newer than the latest state of their track; ignored.
    pub stale: usize,
}

impl LiveState {
    /// An empty picture.
    pub fn new(config: LiveConfig) -> Self {
        let store = TrackStore::new(StoreConfig {
            max_age: config.stale_after,
            history_len: 4,
            ..StoreConfig::default()
        });
        let (events, _) = broadcast::channel(1024);
        let (closed, _) = watch::channel(false);
        let scan = scan::ScanState::new(&config);
        Self {
            inner: Arc::new(Inner {
                config,
                picture: Mutex::new(Picture { store, keys: TrackKeys::default() }),
                parties: RwLock::new(Parties::default()),
                scan: tokio::sync::Mutex::new(scan),
                active: RwLock::new(ActiveAlerts::new()),
                events,
                closed,
                sbs_addrs: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    /// The party number of `manager` (assigned on first sight).
    pub fn party(&self, manager: &Manager) -> PartyId {
        if let Some(p) = self.inner.parties.read().unwrap_or_else(PoisonError::into_inner).get(manager) {
            return p;
        }
        self.inner.parties.write().unwrap_or_else(PoisonError::into_inner).intern(manager)
    }

    /// The manager of a party number.
    pub fn manager(&self, party: PartyId) -> Option<Manager> {
        self.inner.parties.read().unwrap_or_else(PoisonError::into_inner).manager(party).cloned()
    }

    /// Stores `party`'s reports, already validated, in order: each is
    /// `(name, state)` with `state.id` and `state.party` to be filled in.
    pub fn ingest(&self, party: PartyId, reports: Vec<(String, TrackState)>) -> Ingested {
        let mut out = Ingested { accepted: 0, stale: 0 };
        let mut p = lock(&self.inner.picture);
        for (name, mut state) in reports {
            state.party = party;
            state.id = p.keys.intern(party, &name);
            match p.store.update(state) {
                // A held-back jump is received; scans coast the last plausible state.
                Ok(UpdateOutcome::Created | UpdateOutcome::Updated | UpdateOutcome::HeldBack) => {
                    out.accepted += 1
                }
                Ok(UpdateOutcome::Stale) => out.stale += 1,
                // Validated by the caller; a rejected report changes nothing.
                Err(_) => out.stale += 1,
            }
        }
        out
    }

    /// Stores one report of an SBS-1 feed: `name` is the ICAO address in hex.
    /// Returns whether it was stored.
    pub fn ingest_one(&self, name: &str, mut state: TrackState) -> bool {
        let mut p = lock(&self.inner.picture);
        state.id = p.keys.intern(state.party, name);
        matches!(p.store.update(state), Ok(UpdateOutcome::Created | UpdateOutcome::Updated))
    }

    /// The latest state and name of each of `party`'s live tracks, sorted by name.
    pub fn tracks_of(&self, party: PartyId) -> Vec<(String, TrackState)> {
        let p = lock(&self.inner.picture);
        let mut v: Vec<(String, TrackState)> = p
            .keys
            .of_party(party)
            .filter_map(|id| {
                let s = p.store.get(id)?;
                let (_, name) = p.keys.key(id)?;
                Some((name.to_string(), *s))
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Number of live tracks.
    pub fn track_count(&self) -> usize {
        lock(&self.inner.picture).store.len()
    }

    /// Active alerts `party` may see, in a stable order.
    pub fn alerts_for(&self, party: PartyId, own: bool) -> Vec<AlertView> {
        let active = self.inner.active.read().unwrap_or_else(PoisonError::into_inner);
        active.values().filter(|r| r.visible_to(party, own)).map(|r| r.view.clone()).collect()
    }

    /// A receiver of every alert event (filter with [`AlertRecord::visible_to`]).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AlertRecord>> {
        self.inner.events.subscribe()
    }

    /// Becomes `true` when the server shuts down (streams end then).
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    /// Ends the alert streams (graceful shutdown).
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// Addresses the SBS-1 listeners are bound to (after [`sbs::bind`]).
    pub fn sbs_local_addrs(&self) -> Vec<SocketAddr> {
        lock(&self.inner.sbs_addrs).clone()
    }

    pub(crate) fn set_sbs_addrs(&self, addrs: Vec<SocketAddr>) {
        *lock(&self.inner.sbs_addrs) = addrs;
    }

    pub(crate) fn picture(&self) -> MutexGuard<'_, Picture> {
        lock(&self.inner.picture)
    }

    pub(crate) fn scan_state(&self) -> &tokio::sync::Mutex<scan::ScanState> {
        &self.inner.scan
    }

    pub(crate) fn active(&self) -> &RwLock<ActiveAlerts> {
        &self.inner.active
    }

    pub(crate) fn publish(&self, record: Arc<AlertRecord>) {
        // No receiver is not an error.
        let _ = self.inner.events.send(record);
    }

    /// Forgets the names of expired tracks unless they came back meanwhile.
    pub(crate) fn forget_tracks(&self, ids: &[TrackId]) {
        let mut p = self.picture();
        for id in ids {
            if p.store.get(*id).is_none() {
                p.keys.forget(*id);
            }
        }
    }
}
