//! Scope names.
//!
//! The `utm.*` scopes are those of ASTM F3548-21; the `deconflict.*` scopes
//! guard this service's native API.

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
/// Native API: read the audit log.
pub const AUDIT_READ: &str = "deconflict.audit.read";
/// Native API: read operations under the need-to-know rule (`/v1/operations`).
pub const OPERATIONS_READ: &str = "deconflict.operations.read";
/// Native API: administration.
pub const ADMIN: &str = "deconflict.admin";

/// Every F3548 scope.
pub const ALL_UTM: [&str; 5] = [
    STRATEGIC_COORDINATION,
    CONSTRAINT_MANAGEMENT,
    CONSTRAINT_PROCESSING,
    CONFORMANCE_MONITORING_SA,
    AVAILABILITY_ARBITRATION,
];
