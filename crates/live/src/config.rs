//! Settings of the live service: scans, minima, the alert lifecycle,
//! conformance, input bounds, the sources and the exchange between replicas.

use std::collections::BTreeSet;
use std::time::Duration;

use deconflict_core::PartyName;
use tactical::conformance::ConformanceConfig;
use tactical::{AlertConfig, DetectionConfig};

use crate::exchange::ExchangeConfig;
use crate::source::SourceSpec;

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
    /// Most tracks in one batch from a party (more is refused whole).
    pub max_batch: usize,
    /// A report timed further ahead of the clock is refused.
    pub max_future: Duration,
    /// Receiver feeds, each bound to the party owning its tracks.
    pub sources: Vec<SourceSpec>,
    /// How often `aircraft.json` sources are read (readsb writes it every second).
    pub poll_interval: Duration,
    /// Parties that do not want to see conflicts between two of their own
    /// tracks (everyone else sees their own by default; others never do).
    pub hide_own_conflicts: BTreeSet<PartyName>,
    /// The picture shared with other replicas, if any.
    pub exchange: Option<ExchangeConfig>,
}

impl Default for LiveConfig {
    /// 1 s scans, 60 s expiry, en-route minima and alert settings
    /// ([`AlertConfig::en_route`]), 10,000 tracks per batch, 10 s clock
    /// skew, no source, 1 s polls, own conflicts shown, no exchange.
    fn default() -> Self {
        Self {
            scan_interval: Duration::from_secs(1),
            stale_after: Duration::from_secs(60),
            detection: DetectionConfig::en_route(),
            alerts: AlertConfig::default(),
            conformance: ConformanceConfig::default(),
            max_batch: 10_000,
            max_future: Duration::from_secs(10),
            sources: Vec::new(),
            poll_interval: Duration::from_secs(1),
            hide_own_conflicts: BTreeSet::new(),
            exchange: None,
        }
    }
}
