//! # feeds
//!
//! Decoders of the surveillance feeds real receivers and systems emit, and
//! assemblers that turn them into [`tactical::TrackState`]s: Beast binary
//! and raw Mode S hex framing ([`beast`], [`raw`]), ADS-B DF17/18 messages
//! with CPR position decoding ([`adsb`], [`cpr`]) and their [`assembler`],
//! readsb/dump1090 `aircraft.json` ([`aircraft_json`]), and ASTERIX CAT021
//! and CAT062 ([`asterix`]).
//!
//! ## Invariants
//!
//! - **No IO, no clock.** Input arrives as byte chunks or values; every
//!   instant is passed in. The server owns the sockets and the time.
//! - **Never panics on input.** Framers and decoders count or return their
//!   rejections by reason; property tests feed them random bytes.
//! - **Incremental.** Framers keep at most one partial frame between
//!   chunks, so a frame split across reads decodes the same.
//!
//! SBS-1 (BaseStation) stays in `tactical::sbs`, where the server already
//! uses it.

pub mod adsb;
pub mod aircraft_json;
pub mod assembler;
pub mod asterix;
pub mod beast;
pub mod cpr;
pub mod frame;
pub mod raw;

pub use frame::{Frame, Framer, ModeSFrame};
