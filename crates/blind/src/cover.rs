//! The grid places a buffered volume touches.
//!
//! Each side is grown by **half** the separation on every axis; two volumes
//! within the separation then have a common point of their grown extents
//! (the midpoint between their closest points), and so a common place.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use geom::{TimeWindow, Volume4D};

use crate::{BlindError, LinePolicy, Place};

/// Added to the horizontal half-buffer (m): covers rounding in the distance
/// tests (which are accurate to well under a millimetre).
pub(crate) const SLACK_H_M: f64 = 0.01;
/// Added to the vertical half-buffer (m): covers rounding of the midpoint.
pub(crate) const SLACK_V_M: f64 = 0.001;

/// Slots touched by the window's instants grown by `ceil(buffer/2)` on each
/// side. The window `[s, e)` holds the instants `s..=e-1` (just `s` for an
/// instant).
pub(crate) fn slots(w: &TimeWindow, policy: &LinePolicy) -> RangeInclusive<i64> {
    let p = policy.params();
    let half = p.buffer_t_micros / 2 + p.buffer_t_micros % 2;
    let (start, end) = (w.start().as_micros(), w.end().as_micros());
    let last = if end > start { end - 1 } else { start };
    start.saturating_sub(half).div_euclid(p.slot_micros)..=last.saturating_add(half).div_euclid(p.slot_micros)
}

/// Bands touched by the closed range grown by half the vertical buffer.
pub(crate) fn bands(lower: f64, upper: f64, policy: &LinePolicy) -> RangeInclusive<i64> {
    let p = policy.params();
    let half = p.buffer_v_m / 2.0 + SLACK_V_M;
    // Altitudes and buffers are bounded (±10⁵ m), so these fit an i64.
    #[allow(clippy::cast_possible_truncation)]
    let band = |z: f64| (z / p.band_m).floor() as i64;
    band(lower - half)..=band(upper + half)
}

fn len(r: &RangeInclusive<i64>) -> u128 {
    u128::try_from(i128::from(*r.end()) - i128::from(*r.start()) + 1).unwrap_or(0)
}

/// Every place some volume, grown by half the separation, touches; refuses
/// to go past the policy's `max_tokens`.
pub(crate) fn places(volumes: &[Volume4D], policy: &LinePolicy) -> Result<BTreeSet<Place>, BlindError> {
    let p = policy.params();
    let max = p.max_tokens;
    let mut out = BTreeSet::new();
    for v in volumes {
        let (ts, bs) = (slots(v.time(), policy), bands(v.altitude().lower(), v.altitude().upper(), policy));
        let per_cell = len(&ts) * len(&bs);
        let too_many = |needed: u128| BlindError::TooManyTokens { needed, max };
        if per_cell > max as u128 {
            return Err(too_many(per_cell));
        }
        // Bounded by max above, so the division fits.
        #[allow(clippy::cast_possible_truncation)]
        let max_cells = max / per_cell as usize;
        let cells =
            match v.footprint().cells_within(p.cell_resolution, p.buffer_h_m / 2.0 + SLACK_H_M, max_cells) {
                Err(geom::GeomError::TooManyCells { estimated, .. }) => {
                    return Err(too_many(per_cell * estimated.max(max_cells + 1) as u128));
                }
                other => other?,
            };
        for &cell in &cells {
            for slot in ts.clone() {
                for band in bs.clone() {
                    out.insert(Place { cell, slot, band });
                }
            }
        }
        if out.len() > max {
            return Err(too_many(out.len() as u128));
        }
    }
    Ok(out)
}
