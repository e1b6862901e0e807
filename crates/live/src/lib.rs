//! # live
//!
//! The live tactical service of `deconflict`, without HTTP: the picture of
//! live tracks, their ingestion from any source (a party's batches, SBS-1,
//! Beast, raw Mode S, `aircraft.json`, ASTERIX, other replicas), scans on a
//! clock it is given, the alert lifecycle, who is told about which alert
//! (need-to-know, the conformance rule), the audit record and hotline thread
//! of a new cross-party alert, and typed alert events that the server only
//! serialises. The server's handlers are thin calls into [`LiveService`].
//!
//! - [`service`]: [`LiveService`] (picture, ingestion, active alerts, subscribers).
//! - `scan`: one scan in small steps; `conformance`: the intents tracks
//!   follow and the `FOREIGN` rule; `notify`: audit events and threads.
//! - [`alert`]: [`Alert`], [`AlertEvent`], the need-to-know rule and the wire names.
//! - [`source`]: source specs, their decoders and counters.
//! - [`runtime`]: [`LiveRuntime`], the background tasks (scans, sockets, polls,
//!   the exchange), bound first, then run under the caller's stop signal.
//! - [`exchange`]: one picture across replicas through Redis Streams.
//! - [`replay`]: recorded traffic through the service on a simulated clock.
//! - [`clock`], [`config`], [`names`].
//!
//! Unit tests drive it with a manual [`Clock`] and [`LiveService::scan_once`].

pub mod alert;
pub mod clock;
pub mod config;
mod conformance;
pub mod exchange;
pub mod names;
mod notify;
pub mod replay;
pub mod runtime;
mod scan;
pub mod service;
pub mod source;

pub use alert::{Alert, AlertEvent, AlertId, AlertKind, EndReason, Los, Nc, TrackRef};
pub use clock::Clock;
pub use config::{LiveConfig, Profile};
pub use conformance::RECIPIENTS_TTL_US;
pub use exchange::ExchangeConfig;
pub use runtime::LiveRuntime;
pub use scan::ScanSummary;
pub use service::{Ingested, LiveService};
pub use source::{Format, SourceKind, SourceSpec, SourceStatus, Target};

#[cfg(test)]
mod tests;
