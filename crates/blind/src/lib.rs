//! # blind — tokens for blind deconfliction
//!
//! Parties on a line share a [`LineKey`] the service never sees. A party
//! publishes a blind operation as a set of [`Token`]s: one per grid
//! [`Place`] (H3 cell, time slot, altitude band of the [`LinePolicy`]) that
//! its 4D volumes, grown by half the line's separation, touch; each token is
//! `HMAC-SHA-256(line key, tag ‖ epoch ‖ grid ‖ cell ‖ slot ‖ band)` in a
//! fixed-length encoding. The service compares token sets by equality
//! ([`matches()`]) and learns which operations conflict, never where; only the
//! owner, holding the key and its own operation, turns a matched token back
//! into a place ([`BlindOperation::decode`]).
//!
//! ## The guarantee: no missed conflict
//! If two volumes are [`within_separation`] (closest points at most
//! `buffer_h` apart, altitude gap at most `buffer_v`, time gap at most
//! `buffer_t`), they share a token. Take closest points `a`, `b` (and
//! closest altitudes and instants): the midpoint `m` of the geodesic `a–b`
//! is within `buffer_h/2` of both footprints, the middle altitude within
//! `buffer_v/2` of both ranges, the middle instant within `⌈buffer_t/2⌉` µs
//! of both windows. Each side's covering takes every cell that comes within
//! `buffer_h/2` of its footprint (`geom::Footprint::cells_within`, a walk
//! over neighbouring cells on the sphere with a disc surely containing each
//! cell, so poles and ±180° need nothing special), every band its range
//! grown by `buffer_v/2` touches and every slot its instants grown by
//! `⌈buffer_t/2⌉` touch. So both contain the cell, band and slot of the
//! midpoint, and the same key, epoch and grid give the same token. Growing
//! each side by half (rather than one side by the whole) keeps the scheme
//! symmetric: every party computes its tokens the same way, and neither
//! needs to know which side it is on.
//!
//! Matching is a superset: tokens also match when two volumes only share a
//! grid place (false matches; README has the measured rate).
//!
//! ## What a token set leaks
//! Sets are padded with random tokens to the next power of two (at least
//! the policy's `min_tokens`), so their size says only within a factor of
//! two how big an operation is. Tokens of another key or epoch look
//! unrelated (HMAC is a PRF), so nothing links operations across epochs.
//!
//! ```
//! use blind::*;
//! use geom::*;
//! let policy = LinePolicy::default();
//! let key = LineKey::new([7; 32]);
//! let vol = |lat: f64| -> Result<Volume4D, GeomError> {
//!     Ok(Volume4D::new(
//!         Footprint::Circle(Circle::new(LatLng::new(lat, 6.6)?, 200.0)?),
//!         AltitudeRange::new(0.0, 120.0)?,
//!         TimeWindow::new(Time::from_micros(0), Time::from_micros(600_000_000))?,
//!     ))
//! };
//! let mut rng = rand::rng();
//! let a = BlindOperation::new(&key, Epoch(1), &policy, &[vol(46.5)?], &mut rng)?;
//! let b = BlindOperation::new(&key, Epoch(1), &policy, &[vol(46.503)?], &mut rng)?;
//! let m = matches(a.tokens(), b.tokens());
//! assert!(!m.is_empty());
//! assert!(a.decode(&m[0]).is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod cover;
mod error;
pub mod keys;
mod operation;
mod policy;
mod separation;
mod token;

pub use error::BlindError;
pub use operation::{BlindOperation, matches};
pub use policy::{LinePolicy, PolicyParams};
pub use separation::within_separation;
pub use token::{Epoch, LineKey, Place, Token};
