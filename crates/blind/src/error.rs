//! The single error type of this crate.

/// Why a policy or an operation was refused. Each `Display` names the
/// offending value, so it can be shown to a user as it is.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BlindError {
    /// A policy parameter out of its range.
    #[error("line policy: {name} = {value} is invalid ({rule})")]
    InvalidPolicy {
        /// The parameter's name.
        name: &'static str,
        /// Its value, as given.
        value: String,
        /// What it must be.
        rule: &'static str,
    },
    /// An operation with no volume.
    #[error("a blind operation needs at least one volume")]
    NoVolumes,
    /// The operation's footprints cover more than the line allows.
    #[error(
        "blind operation footprint area {area_km2:.3} km² is over the line's maximum blind area of {max_km2:.3} km²"
    )]
    AreaTooLarge {
        /// Sum of the volumes' footprint areas (km²).
        area_km2: f64,
        /// The line policy's maximum (km²).
        max_km2: f64,
    },
    /// The operation would need more tokens than the line allows.
    #[error("blind operation needs {needed} or more tokens; the line allows at most {max}")]
    TooManyTokens {
        /// Tokens needed (a lower bound once over the limit).
        needed: u128,
        /// The line policy's maximum.
        max: usize,
    },
    /// The cell covering failed.
    #[error("cell covering: {0}")]
    Geom(#[from] geom::GeomError),
}
