//! # tactical
//!
//! Live tracks, loss-of-separation prediction, alert lifecycle, conformance
//! monitoring and surveillance input parsing for `deconflict`.
//!
//! ## Invariants
//!
//! - **No IO.** The crate reads no files, opens no sockets, has no async code
//!   and never reads a clock: every instant ([`Timestamp`]) is passed in, and
//!   every input arrives as bytes, strings or values. The only concurrency is
//!   optional scoped threads inside a scan ([`DetectionConfig::threads`]).
//! - **Never panics on input.** Parsers ([`sbs::parse_line`],
//!   [`csv::parse_traffic`]) return errors with reasons; invalid track states
//!   are rejected by [`TrackState::validate`] and skipped by scans.
//! - **Deterministic.** Same input, same output: conflicts are sorted by
//!   `(a, b)` with `a < b`, events by key, generated traffic depends only on
//!   its seed.
//! - **Units in types or names.** Altitudes in feet with their reference,
//!   speeds in knots, vertical rates in feet per minute, angles in degrees
//!   true; `_s`, `_m`, `_ft`, `_nm` suffixes on plain numbers.
//!
//! ## Map
//!
//! - [`track`], [`units`]: the track model.
//! - [`picture`]: [`TrackPicture`], the live picture with bounded history and expiry.
//! - [`detect`](mod@detect): conflict prediction ([`detect()`] pruned, [`detect_all_pairs`]
//!   reference); pruning lives in `grid`.
//! - [`alerts`]: [`AlertTracker`], the STCA-like alert lifecycle in track time.
//! - [`conformance`]: tracks outside their operational intent's 4-D volumes.
//! - [`sbs`], [`assembler`]: SBS-1 (BaseStation, port 30003) input.
//! - [`csv`], [`traffic`]: the offline CLI's traffic files and a traffic generator.

pub mod alerts;
pub mod assembler;
pub mod conformance;
pub mod csv;
pub mod detect;
mod geo;
mod grid;
pub mod heard;
mod lifecycle;
mod par;
pub mod picture;
pub mod sbs;
pub mod track;
pub mod traffic;
pub mod units;

pub use alerts::{Alert, AlertConfig, AlertEvent, AlertId, AlertTracker, CpaPoint, EndReason, Severity};
pub use detect::{Conflict, ConflictReport, DetectionConfig, detect, detect_all_pairs, predict};
pub use picture::{PictureConfig, TrackPicture, UpdateOutcome};
pub use track::{Callsign, OperationKey, PartyId, Position, TrackError, TrackId, TrackState};
pub use units::{Altitude, AltitudeRef, DegreesTrue, FeetPerMinute, Knots, Timestamp};
