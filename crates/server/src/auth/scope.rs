//! Scope names, and which of them are privileged.
//!
//! The `utm.*` scopes are those of ASTM F3548-21; the `deconflict.*` scopes
//! guard this service's native API. [`PRIVILEGED`] scopes act on other
//! parties (administration, reading everyone's audit entries, declaring a USS
//! down): only keys the operator designates may grant them
//! ([`super::Grants::Any`]); every other key grants at most [`PARTY_DEFAULT`]
//! or the allow-list of its parties-file entry.

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
