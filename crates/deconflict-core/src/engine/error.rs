//! What the engine refuses, and why: one enum the server maps to HTTP statuses.

use crate::store::StoreError;

/// The entities a write did not show awareness of (the F3548 409 body).
#[derive(Debug, Clone, PartialEq)]
pub struct AirspaceConflict {
    /// Intersecting intents whose current OVN was missing from the key,
    /// with their owners' availability.
    pub missing_intents: Vec<super::IntentView>,
    /// Intersecting constraints whose current OVN was missing from the key.
    pub missing_constraints: Vec<super::ConstraintView>,
}

/// Why the engine refused a request. Each variant maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request breaks a rule (400).
    #[error("{0}")]
    BadRequest(String),
    /// The entity does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The OVN or version in the path is not the current one (409).
    #[error("{0}")]
    Stale(String),
    /// The entity already exists (409).
    #[error("{0}")]
    AlreadyExists(String),
    /// The key lacks the OVNs of intersecting entities (409, AirspaceConflictResponse).
    #[error("key does not contain the OVNs of {} operational intent(s) and {} constraint(s) that intersect this one", .0.missing_intents.len(), .0.missing_constraints.len())]
    MissingKeys(Box<AirspaceConflict>),
    /// The footprints are larger than allowed (413).
    #[error("area of {area_km2:.1} km² (all volumes together) exceeds the limit of {limit_km2:.0} km²")]
    AreaTooLarge {
        /// The offending area.
        area_km2: f64,
        /// The limit.
        limit_km2: f64,
    },
    /// An operational intent lasts longer than allowed (413).
    #[error(
        "operational intent lasts {hours:.1} h from its first start to its last end; the limit is {limit_hours:.0} h"
    )]
    DurationTooLong {
        /// Its duration.
        hours: f64,
        /// The limit.
        limit_hours: f64,
    },
    /// A report is larger than allowed (413).
    #[error("report of {bytes} bytes exceeds the limit of {limit} bytes")]
    ReportTooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A query would return more than the limit (413): narrow the area or time.
    #[error("query matches more than {limit} entities; narrow the area or the time window")]
    TooManyResults {
        /// The limit.
        limit: usize,
    },
    /// A per-party quota is exhausted (429 with `Retry-After`).
    #[error("quota {quota} exceeded: {detail}; try again in {retry_after_s} s")]
    QuotaExceeded {
        /// Which quota.
        quota: crate::quota::Quota,
        /// The party.
        party: String,
        /// What it holds or did, and the limit.
        detail: String,
        /// When trying again may succeed, in seconds.
        retry_after_s: u64,
    },
    /// Concurrent writers kept winning; nothing was written (409). `area`:
    /// the write was of intents, constraints or subscriptions, which only
    /// conflict with writes whose areas share a cell (or that change the
    /// same entity); otherwise other records were written concurrently.
    #[error("{}; nothing was written, try again", if *.area {
        "concurrent writes kept changing this area (a cell of these volumes) or this entity"
    } else {
        "concurrent writes kept changing the same records"
    })]
    Contention {
        /// Whether the write was an area write.
        area: bool,
    },
    /// The request's deadline passed before commit; nothing was written (503).
    #[error("request deadline passed before commit; nothing was written")]
    Timeout,
    /// The request was abandoned by its client before the commit; nothing
    /// was committed (503, though nobody reads it).
    #[error("the request was abandoned before its commit; nothing was written")]
    Abandoned,
    /// The store failed (500, or 503 when unavailable).
    #[error(transparent)]
    Store(#[from] StoreError),
}
