//! Scopes: their names, which of them are privileged, the set a token
//! grants ([`Scopes`]) and the roles it confers ([`Scopes::roles`]).
//!
//! The `utm.*` scopes are those of ASTM F3548-21; the `deconflict.*` scopes
//! guard this service's native API. [`PRIVILEGED`] scopes act on other
//! parties (administration, reading everyone's audit entries, declaring a USS
//! down): only keys the operator designates may grant them
//! ([`super::Grants::Any`]); every other key grants at most [`PARTY_DEFAULT`]
//! or the allow-list of its parties-file entry.

use std::collections::BTreeSet;
use std::fmt;

use deconflict_core::{Role, Roles};

/// F3548: create, modify and delete operational intents; read everyone's.
pub const STRATEGIC_COORDINATION: &str = "utm.strategic_coordination";
/// F3548: create, modify and delete constraints.
pub const CONSTRAINT_MANAGEMENT: &str = "utm.constraint_management";
/// F3548: read constraints and subscribe to them.
pub const CONSTRAINT_PROCESSING: &str = "utm.constraint_processing";
/// F3548: conformance monitoring for situational awareness.
pub const CONFORMANCE_MONITORING_SA: &str = "utm.conformance_monitoring_sa";
/// F3548: set USS availability.
pub const AVAILABILITY_ARBITRATION: &str = "utm.availability_arbitration";

/// Native API: submit tracks.
pub const TRACKS_WRITE: &str = "deconflict.tracks.write";
/// Native API: read tracks.
pub const TRACKS_READ: &str = "deconflict.tracks.read";
/// Native API: the operator hotline.
pub const HOTLINE: &str = "deconflict.hotline";
/// Native API: read one's own slice of the audit log.
pub const AUDIT_READ: &str = "deconflict.audit.read";
/// Native API: read the whole audit log, every party's entries (privileged).
pub const AUDIT_ALL: &str = "deconflict.audit.all";
/// Native API: read operations under the need-to-know rule (`/v1/operations`).
pub const OPERATIONS_READ: &str = "deconflict.operations.read";
/// Native API: administration (privileged).
pub const ADMIN: &str = "deconflict.admin";
/// InterUSS auxiliary interface: read the pool's DAR and DSS instances.
pub const POOL_READ: &str = "interuss.pool_status.read";
/// InterUSS auxiliary interface: record a DSS instance's heartbeat
/// (privileged: only DSS instance operators report the pool's health).
pub const POOL_HEARTBEAT: &str = "interuss.pool_status.heartbeat.write";

/// What a party's key grants unless its parties-file entry says otherwise:
/// every scope that acts only on the party's own data or its own view.
pub const PARTY_DEFAULT: [&str; 10] = [
    STRATEGIC_COORDINATION,
    CONSTRAINT_MANAGEMENT,
    CONSTRAINT_PROCESSING,
    CONFORMANCE_MONITORING_SA,
    TRACKS_WRITE,
    TRACKS_READ,
    HOTLINE,
    AUDIT_READ,
    OPERATIONS_READ,
    POOL_READ,
];

/// Scopes that act on other parties: only operator keys grant them.
pub const PRIVILEGED: [&str; 4] = [ADMIN, AUDIT_ALL, AVAILABILITY_ARBITRATION, POOL_HEARTBEAT];

/// Whether `s` is a scope this service knows.
pub fn is_known(s: &str) -> bool {
    PARTY_DEFAULT.contains(&s) || PRIVILEGED.contains(&s)
}

/// Every F3548 scope.
pub const ALL_UTM: [&str; 5] = [
    STRATEGIC_COORDINATION,
    CONSTRAINT_MANAGEMENT,
    CONSTRAINT_PROCESSING,
    CONFORMANCE_MONITORING_SA,
    AVAILABILITY_ARBITRATION,
];

/// What an endpoint requires of a token's scopes, as a type: an OR of ANDs of
/// scope names ([`Scopes::satisfies`]). Handlers name it in their
/// [`Call`](crate::extract::Call), which refuses the request with 403 before
/// anything else of it is read.
pub trait Need: Send + Sync + 'static {
    /// The alternatives, any one of which grants the call.
    const ALTERNATIVES: &'static [&'static [&'static str]];
}

/// Declares one unit type per requirement, with its alternatives.
macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident = $alternatives:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Need for $name {
            const ALTERNATIVES: &'static [&'static [&'static str]] = $alternatives;
        }
    )*};
}

needs! {
    /// Any valid token: the rule that decides is the domain's (an
    /// administrator's role, a party of the line), not a scope here.
    Authenticated = &[&[]];
    /// F3548: read and query operational intents.
    IntentsRead = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA]];
    /// F3548: create, update, delete operational intents.
    IntentsWrite = &[
        &[STRATEGIC_COORDINATION],
        &[STRATEGIC_COORDINATION, CONSTRAINT_PROCESSING],
        &[CONFORMANCE_MONITORING_SA],
    ];
    /// F3548: read and query constraints.
    ConstraintsRead = &[&[CONSTRAINT_MANAGEMENT], &[CONSTRAINT_PROCESSING]];
    /// F3548: create, update, delete constraints.
    ConstraintsWrite = &[&[CONSTRAINT_MANAGEMENT]];
    /// F3548: everything about subscriptions.
    Subscriptions = &[&[CONSTRAINT_PROCESSING], &[STRATEGIC_COORDINATION]];
    /// F3548: set a USS's availability.
    AvailabilityWrite = &[&[AVAILABILITY_ARBITRATION]];
    /// F3548: read a USS's availability.
    AvailabilityRead = &[&[AVAILABILITY_ARBITRATION], &[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA]];
    /// Any F3548 scope.
    AnyUtm = &[
        &[STRATEGIC_COORDINATION],
        &[CONSTRAINT_MANAGEMENT],
        &[CONSTRAINT_PROCESSING],
        &[CONFORMANCE_MONITORING_SA],
        &[AVAILABILITY_ARBITRATION],
    ];
    /// The native view of operations: an F3548 scope or `deconflict.operations.read`.
    OperationsRead = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA], &[OPERATIONS_READ]];
    /// Changing the native details of one's own operations.
    OperationsWrite = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA]];
    /// The hotline, as a party.
    Hotline = &[&[HOTLINE]];
    /// The hotline as a party, or the operator.
    HotlineOrAdmin = &[&[HOTLINE], &[ADMIN]];
    /// Notices: the hotline or strategic coordination.
    Notices = &[&[HOTLINE], &[STRATEGIC_COORDINATION]];
    /// The operator.
    Admin = &[&[ADMIN]];
    /// One's own audit entries, or everyone's.
    AuditRead = &[&[AUDIT_READ], &[AUDIT_ALL]];
    /// Reporting tracks.
    TracksWrite = &[&[TRACKS_WRITE]];
    /// Reading the live picture.
    TracksRead = &[&[TRACKS_READ]];
    /// Reading the live picture, or reporting to it.
    TracksReadOrWrite = &[&[TRACKS_READ], &[TRACKS_WRITE]];
    /// Reading the pool of DSS instances.
    PoolRead = &[&[POOL_READ]];
    /// Reporting the pool's health.
    PoolHeartbeat = &[&[POOL_HEARTBEAT]];
}

/// The scopes granted by a token: the `scope` claim split on whitespace,
/// deduplicated. Iteration is in lexical order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space-separated scope string (any ASCII whitespace separates;
    /// empty pieces are ignored).
    pub fn parse(s: &str) -> Self {
        Self(s.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// True if the scope `s` is granted (exact, case-sensitive match).
    pub fn has(&self, s: &str) -> bool {
        self.0.contains(s)
    }

    /// True if at least one alternative is granted in full: `alternatives` is an
    /// OR of ANDs of full scope names. No alternatives at all is never
    /// satisfied; an empty alternative (`&[]`) always is.
    ///
    /// ```
    /// use server::auth::{scope, Scopes};
    /// let granted = Scopes::parse("utm.constraint_processing utm.strategic_coordination");
    /// assert!(granted.satisfies(&[
    ///     &[scope::STRATEGIC_COORDINATION, scope::CONSTRAINT_PROCESSING],
    ///     &[scope::CONFORMANCE_MONITORING_SA],
    /// ]));
    /// assert!(!granted.satisfies(&[&[scope::CONSTRAINT_MANAGEMENT]]));
    /// ```
    pub fn satisfies(&self, alternatives: &[&[&str]]) -> bool {
        alternatives.iter().any(|all| all.iter().all(|s| self.has(s)))
    }

    /// The granted scopes, in lexical order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of distinct scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The roles these scopes confer: the one mapping from scopes to what the
    /// core lets a caller do beyond its own data.
    pub fn roles(&self) -> Roles {
        [
            (CONFORMANCE_MONITORING_SA, Role::ConformanceMonitor),
            (ADMIN, Role::Operator),
            (AUDIT_ALL, Role::Auditor),
            (AVAILABILITY_ARBITRATION, Role::Arbitrator),
        ]
        .into_iter()
        .filter(|(s, _)| self.has(s))
        .map(|(_, role)| role)
        .collect()
    }
}

impl fmt::Display for Scopes {
    /// Space-separated, as in the `scope` claim.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scopes {
    /// Collects scope names; an item holding whitespace counts as several.
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = BTreeSet::new();
        for item in iter {
            set.extend(item.as_ref().split_ascii_whitespace().map(str::to_owned));
        }
        Self(set)
    }
}
