//! Conflict prediction by linear extrapolation.
//!
//! A pair is in conflict when, at some time `t` in `[0, lookahead]` after the
//! scan time, their horizontal distance is **strictly** less than the
//! horizontal minimum `R` and their vertical distance strictly less than the
//! vertical minimum `H` (by more than 10⁻¹² of the altitudes involved),
//! both at once.
//!
//! Geometry: each track is placed on the WGS84 ellipsoid (ECEF) and given an
//! ECEF velocity from its ground speed and true track in its own local
//! east/north frame; it moves in a straight line from there. For each pair
//! the relative position and velocity are projected onto the tangent plane at
//! the pair's midpoint (one local frame per pair), and the vertical
//! separation is the difference of reported altitudes (taken as they are:
//! both tracks of a pair are assumed to use the same altitude reference).
//! The horizontal error against geodesic distance is far below 0.1% of `R`
//! at conflict ranges.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::geo::{self, V3};
use crate::track::{PartyId, Position, TrackId, TrackState};
use crate::units::{Altitude, METRES_PER_FT, METRES_PER_NM, Timestamp};

/// Separation minima and look-ahead of a scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionConfig {
    /// Horizontal minimum `R`, metres.
    pub horizontal_m: f64,
    /// Vertical minimum `H`, feet.
    pub vertical_ft: f64,
    /// Look-ahead, seconds.
    pub lookahead_s: f64,
    /// Worker threads for the pruned scan (1 = the calling thread only).
    pub threads: usize,
}

impl DetectionConfig {
    /// En-route radar separation: 5 NM, 1000 ft, 300 s look-ahead.
    pub fn en_route() -> Self {
        Self { horizontal_m: 5.0 * METRES_PER_NM, vertical_ft: 1000.0, lookahead_s: 300.0, threads: 2 }
    }

    /// Small drones: 50 m, 15 m, 60 s look-ahead.
    pub fn drone() -> Self {
        Self { horizontal_m: 50.0, vertical_ft: 15.0 / METRES_PER_FT, lookahead_s: 60.0, threads: 2 }
    }

    /// Whether every parameter is positive and sane: `R` ≤ 1000 km,
    /// `H` ≤ 100,000 ft, look-ahead ≤ 1 day (threads may be any; 0 acts as 1).
    /// Scans with an invalid configuration report nothing.
    pub fn is_valid(&self) -> bool {
        let ok = |x: f64, max: f64| x > 0.0 && x <= max;
        ok(self.horizontal_m, 1.0e6) && ok(self.vertical_ft, 1.0e5) && ok(self.lookahead_s, 86_400.0)
    }
}

impl Default for DetectionConfig {
    /// [`DetectionConfig::en_route`].
    fn default() -> Self {
        Self::en_route()
    }
}

/// A predicted loss of separation between two tracks. `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conflict {
    /// The lower track id.
    pub a: TrackId,
    /// The higher track id.
    pub b: TrackId,
    /// Owner of `a`.
    pub party_a: PartyId,
    /// Owner of `b`.
    pub party_b: PartyId,
    /// Seconds from the scan time at which both minima start being infringed
    /// (negative when separation is already lost; `-inf` when it has been lost
    /// for ever under linear motion).
    pub t_in_s: f64,
    /// Seconds from the scan time at which separation is regained (`+inf`
    /// when never).
    pub t_out_s: f64,
    /// Seconds from the scan time to the horizontal closest point of approach
    /// (negative when already diverging; 0 without relative motion).
    pub t_cpa_s: f64,
    /// Horizontal distance at the closest point of approach, metres.
    pub d_cpa_m: f64,
}

impl Conflict {
    /// Whether both tracks belong to the same party.
    pub fn is_same_party(&self) -> bool {
        self.party_a == self.party_b
    }

    /// The pair `(a, b)`.
    pub fn pair(&self) -> (TrackId, TrackId) {
        (self.a, self.b)
    }
}

/// The result of a scan: conflicts sorted by `(a, b)`, cross-party and
/// same-party ones apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConflictReport {
    /// Pairs whose tracks belong to different parties.
    pub cross_party: Vec<Conflict>,
    /// Pairs whose tracks belong to the same party.
    pub same_party: Vec<Conflict>,
}

impl ConflictReport {
    /// Every conflict, cross-party first.
    pub fn iter(&self) -> impl Iterator<Item = &Conflict> {
        self.cross_party.iter().chain(self.same_party.iter())
    }

    /// Total number of conflicting pairs.
    pub fn len(&self) -> usize {
        self.cross_party.len() + self.same_party.len()
    }

    /// Whether no pair conflicts.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every conflict sorted by `(a, b)`.
    pub fn all_sorted(&self) -> Vec<Conflict> {
        let mut v: Vec<Conflict> = self.iter().copied().collect();
        v.sort_by_key(|c| (c.a, c.b));
        v
    }

    /// The report of `pairs` (indices into `tracks`), built on `threads`
    /// threads when there are many. `rank`, when given, is each track's
    /// position in a list in id order (tracks prepared in space order from
    /// a picture in id order, whose invalid tracks leave gaps).
    pub(crate) fn from_pairs(
        tracks: &[Kin],
        mut pairs: Vec<(u32, u32, PairGeometry)>,
        rank: Option<&[u32]>,
        threads: usize,
    ) -> Self {
        // Tracks in strict id order (as a snapshot gives them): index order
        // is id order, so a radix sort of packed `(same party, i, j,
        // position)` words does, cross-party pairs first. Otherwise (ids
        // out of order or shared by several tracks), a sort on ids with the
        // indices (in the order the tracks were given) breaking ties, so
        // that both scans list pairs of tracks sharing an id in the same
        // order. A pair found twice (see `grid`, rare) is listed once: its
        // copies are adjacent in either order.
        if pairs.is_empty() {
            return Self::default();
        }
        // Ranks are positions in `tracks`, or, given, in a longer list.
        let ranks = rank.map_or(tracks.len(), |r| r.iter().max().map_or(0, |&m| m as usize + 1));
        let rank_bits = crate::grid::bits_for(ranks as i64);
        let pos_bits = crate::grid::bits_for(pairs.len() as i64);
        let by_id = rank.is_some() || strictly_by_id(tracks);
        let r = |i: u32| rank.map_or(u64::from(i), |r| u64::from(r[i as usize]));
        // Each track's id and party, apart: a fifth of the size of the
        // tracks, so that the report's reads of them, in no order, stay in
        // the cache.
        let who: Vec<(TrackId, PartyId)> = tracks.iter().map(|k| (k.id, k.party)).collect();
        let same = |&(i, j, _): &(u32, u32, PairGeometry)| who[i as usize].1 == who[j as usize].1;
        let conflict = |&(i, j, g): &(u32, u32, PairGeometry)| {
            let ((a, party_a), (b, party_b)) = (who[i as usize], who[j as usize]);
            Conflict {
                a,
                b,
                party_a,
                party_b,
                t_in_s: g.t_in,
                t_out_s: g.t_out,
                t_cpa_s: g.t_cpa,
                d_cpa_m: g.d_cpa,
            }
        };
        let same_bit = 2 * rank_bits + pos_bits;
        if by_id && same_bit < 64 {
            let threads = if pairs.len() < PARALLEL_REPORT_FROM { 1 } else { threads };
            let mut keys = crate::par::map_indexed(pairs.len(), threads, 0u64, |p| {
                let q = &pairs[p];
                (u64::from(same(q)) << same_bit) | (((r(q.0) << rank_bits) | r(q.1)) << pos_bits) | p as u64
            });
            let sort = move || {
                crate::grid::radix_sort(&mut keys, &mut Vec::new(), pos_bits, same_bit + 1);
                keys.dedup_by_key(|k| *k >> pos_bits);
                keys
            };
            // The report is gathered through the sorted keys, with no
            // second copy of a million pairs and no permutation pass.
            let mask = (1u64 << pos_bits) - 1;
            let at = |k: &u64| conflict(&pairs[(k & mask) as usize]);
            let blank = conflict(&pairs[0]);
            if threads < 2 {
                let keys = sort();
                let cross = keys.partition_point(|&k| k >> same_bit == 0);
                return ConflictReport {
                    cross_party: crate::par::map(&keys[..cross], 1, blank, at),
                    same_party: crate::par::map(&keys[cross..], 1, blank, at),
                };
            }
            // On several threads, the blank fill of the longer list (mapping
            // its memory: at a million pairs, as long as the sort) beside
            // the sort, one slot per pair found, as many as it has used.
            let Some((keys, mut longer)) = crate::par::join(sort, || vec![blank; pairs.len()]) else {
                // Sorting does not panic; were it to, on this thread alone.
                return Self::from_pairs(tracks, pairs, rank, 1);
            };
            let cross = keys.partition_point(|&k| k >> same_bit == 0);
            let (cross_keys, same_keys) = keys.split_at(cross);
            let cross_longer = cross_keys.len() >= same_keys.len();
            let (long, short) = if cross_longer { (cross_keys, same_keys) } else { (same_keys, cross_keys) };
            longer.truncate(long.len());
            crate::par::fill_indexed(&mut longer, threads, |k| at(&long[k]));
            let shorter = crate::par::map(short, threads, blank, at);
            let (cross_party, same_party) = if cross_longer { (longer, shorter) } else { (shorter, longer) };
            return ConflictReport { cross_party, same_party };
        }
        pairs.sort_unstable_by_key(|&(i, j, _)| (who[i as usize].0, who[j as usize].0, r(i), r(j)));
        pairs.dedup_by_key(|&mut (i, j, _)| (i, j));
        // Each list allocated once, at its length.
        let same_count = pairs.iter().filter(|p| same(p)).count();
        let mut out = ConflictReport {
            cross_party: Vec::with_capacity(pairs.len() - same_count),
            same_party: Vec::with_capacity(same_count),
        };
        for p in &pairs {
            if same(p) { out.same_party.push(conflict(p)) } else { out.cross_party.push(conflict(p)) }
        }
        out
    }
}

/// From this many pairs on, a report is built on several threads.
const PARALLEL_REPORT_FROM: usize = 65_536;

/// A track prepared for a scan: ECEF position at the scan time (on the
/// ellipsoid, extrapolated), ECEF velocity, altitude and vertical rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kin {
    pub id: TrackId,
    pub party: PartyId,
    /// ECEF position at scan time, metres.
    pub p: V3,
    /// ECEF velocity, m/s (horizontal at the track's position).
    pub v: V3,
    /// Altitude at scan time, feet.
    pub z_ft: f64,
    /// Vertical rate, feet per second.
    pub w_fps: f64,
    /// Seconds the report was extrapolated to reach the scan time (absolute).
    pub age_s: f64,
}

impl Kin {
    /// A placeholder, marked by its NaN altitude.
    const UNSET: Kin = Kin {
        id: TrackId(0),
        party: PartyId(0),
        p: [0.0; 3],
        v: [0.0; 3],
        z_ft: f64::NAN,
        w_fps: 0.0,
        age_s: 0.0,
    };

    /// Prepares a valid track; `None` for invalid ones (skipped by scans).
    pub(crate) fn new(s: &TrackState, now: Timestamp) -> Option<Self> {
        s.validate().ok()?;
        let dt = now.secs_since(s.time);
        // Any finite track angle, as a fraction of a turn.
        let track = s.track_angle.0.rem_euclid(360.0).to_radians();
        let (p, along) =
            geo::surface_frame(s.position.lat_deg().to_radians(), s.position.lon_deg().to_radians(), track);
        let gs = s.ground_speed.to_mps();
        let v = along.map(|a| gs * a);
        let w = s.vertical_rate.to_fps();
        Some(Self {
            id: s.id,
            party: s.party,
            p: geo::axpy(dt, v, p),
            v,
            z_ft: s.altitude.feet + w * dt,
            w_fps: w,
            age_s: dt.abs(),
        })
    }
}

/// Where a track will be `dt_s` seconds after `at`, by the same linear
/// motion the scan uses (straight ECEF line, constant vertical rate); `None`
/// for an invalid track.
pub fn predict(s: &TrackState, at: Timestamp, dt_s: f64) -> Option<(Position, Altitude)> {
    let k = Kin::new(s, at)?;
    let (lat, lon) = geo::lat_lon_deg(geo::axpy(dt_s, k.v, k.p));
    let position = Position::new(lat.clamp(-90.0, 90.0), lon.clamp(-180.0, 180.0)).ok()?;
    Some((position, Altitude { feet: k.z_ft + k.w_fps * dt_s, reference: s.altitude.reference }))
}

/// Prepares every valid track (invalid ones are dropped).
pub(crate) fn prepare(tracks: &[TrackState], now: Timestamp) -> Vec<Kin> {
    let mut ks = Vec::with_capacity(tracks.len());
    ks.extend(tracks.iter().filter_map(|s| Kin::new(s, now)));
    ks
}

/// [`prepare`] on `threads` threads (the same tracks, in the same order).
fn prepare_parallel(tracks: &[TrackState], now: Timestamp, threads: usize) -> Vec<Kin> {
    if threads < 2 || tracks.len() < PARALLEL_PREPARE_FROM {
        return prepare(tracks, now);
    }
    // Invalid tracks are left unset (a NaN altitude), then dropped.
    let mut ks = vec![Kin::UNSET; tracks.len()];
    let chunk = tracks.len().div_ceil(threads * SHARES_PER_THREAD);
    let mut jobs: Vec<_> = ks.chunks_mut(chunk).zip(tracks.chunks(chunk)).collect();
    let ok = crate::par::on_each_shared(&mut jobs, threads, |(out, input)| {
        for (k, s) in out.iter_mut().zip(input.iter()) {
            if let Some(v) = Kin::new(s, now) {
                *k = v;
            }
        }
    });
    if !ok {
        // Preparing does not panic; were it to, on this thread alone.
        return prepare(tracks, now);
    }
    ks.retain(|k| !k.z_ft.is_nan());
    ks
}

/// Runs of tracks per thread in which a picture is prepared (see
/// [`crate::par::on_each_shared`]).
const SHARES_PER_THREAD: usize = 16;

/// From this many tracks on, tracks are prepared on several threads.
const PARALLEL_PREPARE_FROM: usize = 4096;

/// Interval and closest approach of one conflicting pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PairGeometry {
    pub t_in: f64,
    pub t_out: f64,
    pub t_cpa: f64,
    pub d_cpa: f64,
}

/// Pairs farther apart than this at the scan time are never in conflict:
/// the tangent plane at their midpoint would no longer mean anything (and
/// for nearly antipodal tracks its normal is arbitrary). Far beyond any
/// separation that can close within a valid look-ahead at airliner speeds;
/// it also bounds the pruned scan's geometry ([`crate::grid`]).
pub(crate) const MAX_PAIR_DISTANCE_M: f64 = 2.0e6;

/// Relative horizontal speed² below which a pair counts as not moving
/// relative to each other (m²/s²).
const STILL: f64 = 1e-12;

/// The exact pair test. Callers pass the lower id first so that both scan
/// implementations compute bit-identical numbers.
#[inline]
pub(crate) fn pair_conflict(a: &Kin, b: &Kin, cfg: &DetectionConfig) -> Option<PairGeometry> {
    let t_max = cfg.lookahead_s;
    // Vertical: |dz + w t| < H, short of H by a 10⁻¹² of the magnitudes
    // (far below any measurement; it keeps the pruned scan's bands, which
    // are exactly ±H/2, conservative despite rounding).
    let dz = a.z_ft - b.z_ft;
    let h = cfg.vertical_ft - 1e-12 * (1.0 + cfg.vertical_ft + a.z_ft.abs() + b.z_ft.abs());
    let w = a.w_fps - b.w_fps;
    let (vlo, vhi) = if w == 0.0 {
        if dz.abs() < h { (f64::NEG_INFINITY, f64::INFINITY) } else { return None }
    } else {
        let t1 = (-h - dz) / w;
        let t2 = (h - dz) / w;
        if t1 < t2 { (t1, t2) } else { (t2, t1) }
    };
    if !(vlo < t_max && vhi > 0.0) {
        return None;
    }
    // Pairs too far apart for a tangent plane to mean anything.
    let chord = geo::sub(a.p, b.p);
    if geo::dot(chord, chord) > MAX_PAIR_DISTANCE_M * MAX_PAIR_DISTANCE_M {
        return None;
    }
    // Horizontal, in the tangent plane at the pair's midpoint.
    let mid = [(a.p[0] + b.p[0]) * 0.5, (a.p[1] + b.p[1]) * 0.5, (a.p[2] + b.p[2]) * 0.5];
    let horizontal = geo::Horizontal::at(mid);
    let d = horizontal.of(chord);
    let dv = horizontal.of(geo::sub(a.v, b.v));
    let r2 = cfg.horizontal_m * cfg.horizontal_m;
    let d2 = geo::dot(d, d);
    let aa = geo::dot(dv, dv);
    let (hlo, hhi, t_cpa, dcpa2) = if aa <= STILL {
        if d2 >= r2 {
            return None;
        }
        (f64::NEG_INFINITY, f64::INFINITY, 0.0, d2)
    } else {
        let bb = geo::dot(d, dv);
        let t_cpa = -bb / aa;
        let dcpa2 = (d2 - bb * bb / aa).max(0.0);
        if dcpa2 >= r2 {
            return None;
        }
        let half = ((r2 - dcpa2) / aa).sqrt();
        (t_cpa - half, t_cpa + half, t_cpa, dcpa2)
    };
    let lo = hlo.max(vlo);
    let hi = hhi.min(vhi);
    if lo < hi && lo < t_max && hi > 0.0 {
        Some(PairGeometry { t_in: lo, t_out: hi, t_cpa, d_cpa: dcpa2.sqrt() })
    } else {
        None
    }
}

/// Tests `(i, j)` in canonical (lower id first) order.
#[inline]
pub(crate) fn test_pair(
    ks: &[Kin],
    i: u32,
    j: u32,
    cfg: &DetectionConfig,
) -> Option<(u32, u32, PairGeometry)> {
    let (ka, kb) = (&ks[i as usize], &ks[j as usize]);
    if ka.id == kb.id {
        return None;
    }
    if ka.id < kb.id {
        pair_conflict(ka, kb, cfg).map(|g| (i, j, g))
    } else {
        pair_conflict(kb, ka, cfg).map(|g| (j, i, g))
    }
}

/// Reference scan: tests every pair (O(n²)). Same results as [`detect`].
///
/// Tracks are extrapolated from their report time to `now`; invalid tracks
/// (see [`TrackState::validate`]) and pairs sharing an id are skipped.
pub fn detect_all_pairs(tracks: &[TrackState], now: Timestamp, cfg: &DetectionConfig) -> ConflictReport {
    let ks = prepare(tracks, now);
    if !cfg.is_valid() {
        return ConflictReport::default();
    }
    let mut pairs = Vec::new();
    for i in 0..ks.len() {
        for j in i + 1..ks.len() {
            if let Some(p) = test_pair(&ks, i as u32, j as u32, cfg) {
                pairs.push(p);
            }
        }
    }
    ConflictReport::from_pairs(&ks, pairs, None, 1)
}

/// Pruned scan: a uniform grid over swept boxes plus an altitude sweep
/// (time-sliced swept boxes in a uniform ECEF grid) limits the exact test to nearby pairs; uses
/// `cfg.threads` threads. Returns exactly what [`detect_all_pairs`] returns.
pub fn detect(tracks: &[TrackState], now: Timestamp, cfg: &DetectionConfig) -> ConflictReport {
    if !cfg.is_valid() {
        return ConflictReport::default();
    }
    let threads = cfg.threads.max(1);
    // Large pictures in id order are scanned in space order (for the
    // caches); the report is still sorted by id.
    if tracks.len() >= SPATIAL_ORDER_FROM
        && let Some((ks, order)) = prepare_in_space_order(tracks, now, threads)
    {
        let pairs = crate::grid::candidate_conflicts(&ks, cfg);
        return ConflictReport::from_pairs(&ks, pairs, Some(&order), threads);
    }
    let ks = prepare_parallel(tracks, now, threads);
    let pairs = crate::grid::candidate_conflicts(&ks, cfg);
    ConflictReport::from_pairs(&ks, pairs, None, threads)
}

/// The valid tracks of a picture in strict id order, prepared on `threads`
/// threads straight into space order ([`crate::grid::space_key`]), and the
/// position in `tracks` of each; `None` when the ids do not increase
/// strictly. Each thread prepares the tracks of one run of places, reading
/// the tracks in turn: no second copy of the prepared tracks to gather
/// (at a million tracks, 88 MB less fresh memory, whose mapping took 40 to
/// 300 ms on the 2-core VM of the README's figures).
fn prepare_in_space_order(
    tracks: &[TrackState],
    now: Timestamp,
    threads: usize,
) -> Option<(Vec<Kin>, Vec<u32>)> {
    const INVALID: u64 = 1 << 62;
    let by_id = AtomicBool::new(true);
    let mut keyed = crate::par::map_indexed(tracks.len(), threads, 0u64, |i| {
        let s = &tracks[i];
        if i > 0 && tracks[i - 1].id >= s.id {
            by_id.store(false, Ordering::Relaxed);
        }
        let key = if s.validate().is_ok() { crate::grid::space_key(s.position) } else { INVALID >> 32 };
        (key << 32) | i as u64
    });
    if !by_id.load(Ordering::Relaxed) {
        return None;
    }
    let order_and_place = move || {
        crate::grid::radix_sort(&mut keyed, &mut Vec::new(), 32, 63);
        let valid = keyed.partition_point(|&k| k < INVALID);
        let order: Vec<u32> = keyed[..valid].iter().map(|&k| k as u32).collect();
        drop(keyed);
        let mut place = vec![u32::MAX; tracks.len()];
        for (p, &o) in order.iter().enumerate() {
            place[o as usize] = p as u32;
        }
        (order, place)
    };
    // The prepared tracks' blank fill (mapping their memory: at a million,
    // as long as the sort) on another thread than the sort, when there is
    // one; one slot per track given, as many as are valid used.
    let blank = || vec![Kin::UNSET; tracks.len()];
    let ((order, place), mut ks) =
        if threads > 1 { crate::par::join(order_and_place, blank)? } else { (order_and_place(), blank()) };
    let valid = order.len();
    ks.truncate(valid);
    let chunk = valid.div_ceil(threads).max(1);
    // Each run with the number of its places filled.
    let mut runs: Vec<(u32, &mut [Kin], usize)> =
        ks.chunks_mut(chunk).enumerate().map(|(r, out)| ((r * chunk) as u32, out, 0)).collect();
    let prepared = crate::par::on_each(&mut runs, |(first, out, filled)| {
        let places = *first..*first + out.len() as u32;
        for (s, &p) in tracks.iter().zip(&place) {
            if places.contains(&p)
                && let Some(k) = Kin::new(s, now)
            {
                out[(p - places.start) as usize] = k;
                *filled += 1;
            }
        }
    });
    // Preparing does not panic, and a track is valid exactly when it can
    // be prepared; were either to fail, the scan in id order.
    let complete = prepared && runs.iter().all(|(_, out, filled)| *filled == out.len());
    drop(runs);
    complete.then_some((ks, order))
}

/// Whether the tracks' ids increase strictly (no id shared).
fn strictly_by_id(ks: &[Kin]) -> bool {
    ks.windows(2).all(|w| w[0].id < w[1].id)
}

/// From this many tracks on, the pruned scan works in spatial order.
const SPATIAL_ORDER_FROM: usize = 50_000;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::geo::WGS84_A;

    fn kin(id: u64, p: V3, v: V3) -> Kin {
        Kin { id: TrackId(id), party: PartyId(id), p, v, z_ft: 30_000.0, w_fps: 0.0, age_s: 0.0 }
    }

    #[test]
    fn nearly_antipodal_pairs_are_not_conflicts() {
        let cfg = DetectionConfig::en_route();
        // 200 m above the antipode: the midpoint is near the earth's centre
        // and its "normal" lies along the pair, so the tangent-plane
        // distance would be 0.
        let a = kin(1, [WGS84_A, 0.0, 0.0], [0.0, 100.0, 0.0]);
        let b = kin(2, [-WGS84_A - 200.0, 0.0, 0.0], [0.0, 0.0, 100.0]);
        assert_eq!(pair_conflict(&a, &b, &cfg), None);
        // The same pair 1 km apart is a conflict.
        let near = kin(2, [WGS84_A, 1000.0, 0.0], [0.0, 0.0, 100.0]);
        let g = pair_conflict(&a, &near, &cfg).unwrap();
        assert!(g.t_in < 0.0 && g.d_cpa < 1000.0);
        // Just inside and just outside the distance limit.
        let inside = kin(2, [WGS84_A, 0.0, 0.999 * MAX_PAIR_DISTANCE_M], [0.0, 0.0, 0.0]);
        let outside = kin(2, [WGS84_A, 0.0, 1.001 * MAX_PAIR_DISTANCE_M], [0.0, 0.0, 0.0]);
        let wide = DetectionConfig { horizontal_m: 1.0e6, lookahead_s: 86_400.0, ..cfg };
        let fast = kin(1, [WGS84_A, 0.0, 0.0], [0.0, 0.0, 50.0]);
        assert!(pair_conflict(&fast, &inside, &wide).is_some());
        assert!(pair_conflict(&fast, &outside, &wide).is_none());
    }

    #[test]
    fn parallel_report_matches_serial_whichever_list_is_longer() {
        // Enough pairs for the report to be built on several threads, some
        // found twice; mostly cross-party, then mostly same-party.
        let mut rng = crate::traffic::SplitMix64::new(9);
        let mut pairs = Vec::new();
        for k in 0..(PARALLEL_REPORT_FROM as u64 + 5000) {
            let i = (rng.next_u64() % 1999) as u32;
            let j = i + 1 + (rng.next_u64() % (1999 - u64::from(i))) as u32;
            let g = PairGeometry { t_in: k as f64, t_out: 1.0, t_cpa: 0.5, d_cpa: 2.0 };
            pairs.push((i, j, g));
            if k % 97 == 0 {
                pairs.push((i, j, g));
            }
        }
        for same_every in [1000, 1] {
            let ks: Vec<Kin> = (0..2000)
                .map(|i| Kin {
                    party: PartyId(if i % same_every == 0 { 0 } else { i }),
                    ..kin(i + 1, [0.0; 3], [0.0; 3])
                })
                .collect();
            let serial = ConflictReport::from_pairs(&ks, pairs.clone(), None, 1);
            let parallel = ConflictReport::from_pairs(&ks, pairs.clone(), None, 2);
            assert_eq!(parallel, serial, "{same_every}");
            let (cross, same) = (serial.cross_party.len(), serial.same_party.len());
            assert!(if same_every == 1 { same > 10 * cross } else { cross > 10 * same }, "{cross} {same}");
            assert!(serial.len() < pairs.len());
        }
    }

    #[test]
    fn parallel_preparation_matches_serial() {
        let mut tracks = crate::traffic::generate(9000, 3, &crate::traffic::GenConfig::default());
        // A few invalid ones, dropped by both.
        for s in tracks.iter_mut().step_by(997) {
            s.ground_speed = crate::units::Knots(-1.0);
        }
        let now = Timestamp::from_secs(7);
        let a = prepare(&tracks, now);
        let b = prepare_parallel(&tracks, now, 3);
        assert_eq!(a.len(), 9000 - 10);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (x.id, x.p, x.v, x.z_ft, x.w_fps, x.age_s),
                (y.id, y.p, y.v, y.z_ft, y.w_fps, y.age_s)
            );
        }
    }
}
