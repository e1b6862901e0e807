//! Compact Position Reporting (CPR) decoding of ADS-B positions (ICAO Doc
//! 9871, 17-bit encoding): *global* decoding of an even/odd pair, and
//! *local* decoding of one message against a reference position, for
//! airborne (360° zones) and surface (90° zones) positions.

use std::f64::consts::PI;

/// Number of latitude zones between the equator and a pole.
const NZ: f64 = 15.0;
/// 2^17: CPR coordinates are fractions of a zone in 17 bits.
const SCALE: f64 = 131_072.0;

/// One encoded position: the format flag and the two 17-bit fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpr {
    /// Odd (`true`) or even format.
    pub odd: bool,
    /// Encoded latitude, 17 bits.
    pub lat: u32,
    /// Encoded longitude, 17 bits.
    pub lon: u32,
}

/// Airborne (360° zones) or surface (90° zones) encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CprKind {
    /// Airborne position messages (type codes 9–18, 20–22).
    Airborne,
    /// Surface position messages (type codes 5–8).
    Surface,
}

impl CprKind {
    fn span(self) -> f64 {
        match self {
            CprKind::Airborne => 360.0,
            CprKind::Surface => 90.0,
        }
    }
}

/// The number of longitude zones at latitude `lat` (degrees), 1 to 59.
pub fn nl(lat: f64) -> u32 {
    let a = lat.abs();
    if a >= 87.0 {
        return if a > 87.0 { 1 } else { 2 };
    }
    if a == 0.0 {
        return 59;
    }
    let c = (PI / 180.0 * a).cos();
    let x = 1.0 - (1.0 - (PI / (2.0 * NZ)).cos()) / (c * c);
    let nl = (2.0 * PI / x.clamp(-1.0, 1.0).acos()).floor();
    if nl.is_finite() { (nl as u32).clamp(1, 59) } else { 1 }
}

fn modulo(a: f64, b: f64) -> f64 {
    a - b * (a / b).floor()
}

fn wrap_lon(lon: f64) -> f64 {
    let l = modulo(lon + 180.0, 360.0) - 180.0;
    if l == -180.0 { 180.0 } else { l }
}

/// Global decoding of an even and an odd message of one aircraft; the
/// position is that of the more recent one (`odd_is_newer`). Surface
/// decoding needs `reference` (latitude, longitude) to pick among its
/// solutions; airborne decoding ignores it. `None` when the two messages
/// straddle a longitude-zone boundary (wait for the next pair).
pub fn global(
    even: Cpr,
    odd: Cpr,
    odd_is_newer: bool,
    kind: CprKind,
    reference: Option<(f64, f64)>,
) -> Option<(f64, f64)> {
    let span = kind.span();
    let (le, lo) = (f64::from(even.lat) / SCALE, f64::from(odd.lat) / SCALE);
    let (xe, xo) = (f64::from(even.lon) / SCALE, f64::from(odd.lon) / SCALE);
    let dlat_e = span / 60.0;
    let dlat_o = span / 59.0;
    let j = (59.0 * le - 60.0 * lo + 0.5).floor();
    let mut lat_e = dlat_e * (modulo(j, 60.0) + le);
    let mut lat_o = dlat_o * (modulo(j, 59.0) + lo);
    match kind {
        CprKind::Airborne => {
            if lat_e >= 270.0 {
                lat_e -= 360.0;
            }
            if lat_o >= 270.0 {
                lat_o -= 360.0;
            }
        }
        CprKind::Surface => {
            // Northern solution by default; the southern one is 90° less.
            let (rlat, _) = reference?;
            if rlat < 0.0 {
                lat_e -= 90.0;
                lat_o -= 90.0;
            }
        }
    }
    if !(-90.0..=90.0).contains(&lat_e) || !(-90.0..=90.0).contains(&lat_o) || nl(lat_e) != nl(lat_o) {
        return None;
    }
    let lat = if odd_is_newer { lat_o } else { lat_e };
    let n = nl(lat);
    let m = (xe * f64::from(n - 1) - xo * f64::from(n) + 0.5).floor();
    let (ni, x) = if odd_is_newer { ((n - 1).max(1), xo) } else { (n.max(1), xe) };
    let dlon = span / f64::from(ni);
    let mut lon = dlon * (modulo(m, f64::from(ni)) + x);
    if kind == CprKind::Surface {
        // Four solutions 90° apart: the one nearest the reference.
        let (_, rlon) = reference?;
        let base = lon;
        let mut best = f64::INFINITY;
        for k in 0..4 {
            let cand = wrap_lon(base + 90.0 * f64::from(k));
            let d = wrap_lon(cand - rlon).abs();
            if d < best {
                best = d;
                lon = cand;
            }
        }
    }
    Some((lat, wrap_lon(lon)))
}

/// Local decoding of one message against a reference position (the
/// aircraft's last known position, or the receiver's). Correct when the
/// aircraft is within half a zone of the reference (about 180 NM airborne,
/// 45 NM on the surface); the caller must know that it is.
pub fn local(cpr: Cpr, kind: CprKind, reference: (f64, f64)) -> Option<(f64, f64)> {
    let span = kind.span();
    let i = if cpr.odd { 1.0 } else { 0.0 };
    let (y, x) = (f64::from(cpr.lat) / SCALE, f64::from(cpr.lon) / SCALE);
    let (rlat, rlon) = reference;
    let dlat = span / (60.0 - i);
    let j = (rlat / dlat).floor() + (0.5 + modulo(rlat, dlat) / dlat - y).floor();
    let lat = dlat * (j + y);
    if !(-90.0..=90.0).contains(&lat) {
        return None;
    }
    let ni = (f64::from(nl(lat)) - i).max(1.0);
    let dlon = span / ni;
    let m = (rlon / dlon).floor() + (0.5 + modulo(rlon, dlon) / dlon - x).floor();
    Some((lat, wrap_lon(dlon * (m + x))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nl_table_edges() {
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(10.0), 59);
        assert_eq!(nl(10.5), 58);
        assert_eq!(nl(52.0), 36);
        assert_eq!(nl(-52.0), 36);
        assert_eq!(nl(86.9), 2);
        assert_eq!(nl(87.5), 1);
    }

    #[test]
    fn airborne_global_and_local() {
        // A classic even/odd pair decoding to 52.2572°N, 3.9194°E.
        let even = Cpr { odd: false, lat: 93_000, lon: 51_372 };
        let odd = Cpr { odd: true, lat: 74_158, lon: 50_194 };
        let (lat, lon) = global(even, odd, false, CprKind::Airborne, None).unwrap();
        assert!((lat - 52.257_20).abs() < 1e-4 && (lon - 3.919_37).abs() < 1e-4, "{lat} {lon}");
        let (la, lo) = local(even, CprKind::Airborne, (52.0, 4.0)).unwrap();
        assert!((la - lat).abs() < 1e-9 && (lo - lon).abs() < 1e-9);
        // Odd first with the even newer gives the even position.
        let (la, _) = global(even, odd, true, CprKind::Airborne, None).unwrap();
        assert!((la - lat).abs() < 0.01);
    }
}
