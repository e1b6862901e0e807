//! A line's token parameters.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::BlindError;

/// The parameters every party on a line uses to compute its tokens. Both
/// sides of a comparison must use the same policy: the grid (resolution,
/// slot, band) is bound into every token, so tokens of different grids never
/// match, and the buffers are split half on each side (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyParams {
    /// H3 resolution of the cells (0–15).
    pub cell_resolution: u8,
    /// Length of a time slot (µs, > 0); slot `k` is `[k·slot, (k+1)·slot)`
    /// since the Unix epoch.
    pub slot_micros: i64,
    /// Height of an altitude band (m, > 0); band `k` is `[k·band, (k+1)·band)`
    /// above the WGS84 ellipsoid.
    pub band_m: f64,
    /// Horizontal separation (m, ≥ 0): footprints closer than this conflict.
    pub buffer_h_m: f64,
    /// Vertical separation (m, ≥ 0): altitude ranges closer than this conflict.
    pub buffer_v_m: f64,
    /// Time separation (µs, ≥ 0): windows closer than this conflict.
    pub buffer_t_micros: i64,
    /// Largest total footprint area of one operation (m², > 0).
    pub max_area_m2: f64,
    /// Largest number of tokens of one operation, padding included (a power
    /// of two).
    pub max_tokens: usize,
    /// Smallest padded token set (a power of two, ≤ `max_tokens`), so small
    /// operations all look alike.
    pub min_tokens: usize,
}

/// Validated [`PolicyParams`]; it serialises as them and deserialises only
/// through [`LinePolicy::new`], so a stored or relayed policy is checked the
/// one way.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PolicyParams", into = "PolicyParams")]
pub struct LinePolicy(PolicyParams);

impl TryFrom<PolicyParams> for LinePolicy {
    type Error = BlindError;

    fn try_from(p: PolicyParams) -> Result<Self, BlindError> {
        LinePolicy::new(p)
    }
}

impl From<LinePolicy> for PolicyParams {
    fn from(p: LinePolicy) -> Self {
        p.0
    }
}

impl Default for LinePolicy {
    /// Resolution-9 cells (≈ 0.105 km², edge ≈ 200 m), 5-minute slots,
    /// 50 m bands, separation 50 m horizontally, 15 m vertically and 60 s in
    /// time, at most 100 km² and 2¹⁶ tokens, padded to at least 64. README
    /// ("Blind deconfliction tokens") has the measured false-match rates
    /// behind this choice.
    fn default() -> Self {
        LinePolicy(PolicyParams {
            cell_resolution: 9,
            slot_micros: 300_000_000,
            band_m: 50.0,
            buffer_h_m: 50.0,
            buffer_v_m: 15.0,
            buffer_t_micros: 60_000_000,
            max_area_m2: 100e6,
            max_tokens: 1 << 16,
            min_tokens: 64,
        })
    }
}

impl LinePolicy {
    /// Largest accepted `max_tokens`.
    pub const MAX_TOKENS: usize = 1 << 24;

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`BlindError::InvalidPolicy`] naming the first parameter out of range.
    ///
    /// ```
    /// use blind::{LinePolicy, PolicyParams};
    /// let p = PolicyParams { band_m: 0.0, ..LinePolicy::default().params() };
    /// assert_eq!(
    ///     LinePolicy::new(p).unwrap_err().to_string(),
    ///     "line policy: band_m = 0 is invalid (a finite number of metres > 0)"
    /// );
    /// ```
    pub fn new(p: PolicyParams) -> Result<Self, BlindError> {
        let bad = |name, value: String, rule| Err(BlindError::InvalidPolicy { name, value, rule });
        let metres = |v: f64| v.is_finite() && v >= 0.0;
        if p.cell_resolution > 15 {
            return bad("cell_resolution", p.cell_resolution.to_string(), "an H3 resolution 0–15");
        }
        if p.slot_micros <= 0 {
            return bad("slot_micros", p.slot_micros.to_string(), "microseconds > 0");
        }
        if !(metres(p.band_m) && p.band_m > 0.0) {
            return bad("band_m", p.band_m.to_string(), "a finite number of metres > 0");
        }
        for (name, v) in [("buffer_h_m", p.buffer_h_m), ("buffer_v_m", p.buffer_v_m)] {
            if !metres(v) || v > 100_000.0 {
                return bad(name, v.to_string(), "metres in [0, 100000]");
            }
        }
        if p.buffer_t_micros < 0 {
            return bad("buffer_t_micros", p.buffer_t_micros.to_string(), "microseconds ≥ 0");
        }
        if !(p.max_area_m2.is_finite() && p.max_area_m2 > 0.0) {
            return bad("max_area_m2", p.max_area_m2.to_string(), "a finite area in m² > 0");
        }
        if !p.max_tokens.is_power_of_two() || p.max_tokens > Self::MAX_TOKENS {
            return bad("max_tokens", p.max_tokens.to_string(), "a power of two ≤ 2^24");
        }
        if !p.min_tokens.is_power_of_two() || p.min_tokens > p.max_tokens {
            return bad("min_tokens", p.min_tokens.to_string(), "a power of two ≤ max_tokens");
        }
        Ok(LinePolicy(p))
    }

    /// The parameters.
    #[must_use]
    pub const fn params(&self) -> PolicyParams {
        self.0
    }

    /// SHA-256 of every parameter in a fixed encoding: what a line key's
    /// envelopes bind (see [`crate::keys::EnvelopeContext`]), so a relay
    /// cannot hand one member another policy than the one the key was
    /// sealed with.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        let p = &self.0;
        let mut h = Sha256::new();
        h.update(b"deconflict/blind/policy/1");
        h.update([p.cell_resolution]);
        h.update(p.slot_micros.to_be_bytes());
        for v in [p.band_m, p.buffer_h_m, p.buffer_v_m] {
            h.update(v.to_bits().to_be_bytes());
        }
        h.update(p.buffer_t_micros.to_be_bytes());
        h.update(p.max_area_m2.to_bits().to_be_bytes());
        for n in [p.max_tokens, p.min_tokens] {
            h.update((n as u64).to_be_bytes());
        }
        h.finalize().into()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_reads_back_only_when_valid() {
        let p = LinePolicy::default();
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(text, serde_json::to_string(&p.params()).unwrap(), "written as its parameters");
        assert_eq!(serde_json::from_str::<LinePolicy>(&text).unwrap(), p);
        let bad = text.replace("\"min_tokens\":64", "\"min_tokens\":3");
        let err = serde_json::from_str::<LinePolicy>(&bad).unwrap_err().to_string();
        assert!(err.contains("min_tokens = 3 is invalid"), "{err}");
    }
}
