//! Line keys, tokens and the keyed PRF that makes one from a grid place.

use std::fmt;

use geom::Time;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::LinePolicy;

/// The secret shared by the parties of a line for one epoch (32 bytes). The
/// service never holds it. Wiped from memory when dropped; `Debug` does not
/// print it.
#[derive(Clone)]
pub struct LineKey([u8; 32]);

impl Drop for LineKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl LineKey {
    /// From the agreed 32 bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        LineKey(bytes)
    }

    /// A fresh random key from `rng`.
    pub fn generate(rng: &mut impl rand::CryptoRng) -> Self {
        let mut b = [0_u8; 32];
        rng.fill_bytes(&mut b);
        let key = LineKey(b);
        b.zeroize();
        key
    }

    /// Its 32 bytes (to seal or keep locally), wiped when dropped.
    #[must_use]
    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0)
    }
}

impl fmt::Debug for LineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LineKey(..)")
    }
}

/// A key epoch of a line: bound into every token, so tokens of different
/// epochs never match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

/// One published token: 32 bytes that look random to anyone without the
/// line key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub [u8; 32]);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

/// The grid place a token stands for: an H3 cell, a time slot and an
/// altitude band of the line's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// H3 cell index at the policy's resolution.
    pub cell: u64,
    /// Slot number: the slot spans `[slot·len, (slot+1)·len)` µs.
    pub slot: i64,
    /// Band number: the band spans `[band·h, (band+1)·h)` m.
    pub band: i64,
}

impl Place {
    /// Start and end of the slot (saturating at [`Time::MIN`]/[`Time::MAX`]).
    #[must_use]
    pub fn slot_bounds(&self, policy: &LinePolicy) -> (Time, Time) {
        let len = policy.params().slot_micros;
        let start = self.slot.saturating_mul(len);
        (Time::from_micros(start), Time::from_micros(start.saturating_add(len)))
    }

    /// Lower and upper altitude of the band (m).
    #[must_use]
    pub fn band_bounds(&self, policy: &LinePolicy) -> (f64, f64) {
        let h = policy.params().band_m;
        #[allow(clippy::cast_precision_loss)]
        let k = self.band as f64;
        (k * h, (k + 1.0) * h)
    }

    /// The corners of the place's H3 cell, in order around it (what the
    /// owner draws for a decoded match); `None` if `cell` is not an H3 index.
    ///
    /// ```
    /// use blind::Place;
    /// let place = Place { cell: 0x8928308280fffff, slot: 0, band: 0 };
    /// assert_eq!(place.cell_outline().map(|c| c.len()), Some(6));
    /// assert!(Place { cell: 7, ..place }.cell_outline().is_none());
    /// ```
    #[must_use]
    pub fn cell_outline(&self) -> Option<Vec<geom::LatLng>> {
        let cell = h3o::CellIndex::try_from(self.cell).ok()?;
        cell.boundary().iter().map(|v| geom::LatLng::new(v.lat(), v.lng()).ok()).collect()
    }
}

/// Domain separation tag, fixed length, first in every PRF input.
const DOMAIN: &[u8; 24] = b"deconflict/blind/token/1";

/// Length of the PRF input: tag, epoch, the grid (resolution, slot length,
/// band height) and the place.
const INPUT_LEN: usize = 24 + 8 + 1 + 8 + 8 + 8 + 8 + 8;

/// `HMAC-SHA-256(key, DOMAIN ‖ epoch ‖ resolution ‖ slot length ‖ band
/// height ‖ cell ‖ slot ‖ band)`, every field fixed-length big-endian (the
/// band height as its IEEE-754 bits), so distinct inputs never encode alike.
pub(crate) fn prf(key: &LineKey, epoch: Epoch, policy: &LinePolicy, place: Place) -> Token {
    let p = policy.params();
    let mut input = [0_u8; INPUT_LEN];
    let mut at = 0;
    for field in [
        &DOMAIN[..],
        &epoch.0.to_be_bytes(),
        &[p.cell_resolution],
        &p.slot_micros.to_be_bytes(),
        &p.band_m.to_bits().to_be_bytes(),
        &place.cell.to_be_bytes(),
        &place.slot.to_be_bytes(),
        &place.band.to_be_bytes(),
    ] {
        input[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    debug_assert_eq!(at, INPUT_LEN);
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).unwrap_or_else(|_| unreachable!());
    mac.update(&input);
    Token(mac.finalize().into_bytes().into())
}
