//! The pruned scan's local frame, single-precision kinematics, and the
//! bounds that keep its filters conservative ([`super`] uses them).
//!
//! ## Frame
//!
//! Positions and velocities are rotated into a frame whose third axis is
//! the direction of the picture's centroid (east, north, up there) and
//! shifted to the centroid. A rotation preserves distances, so this is
//! still ECEF geometry, with no projection error; it only makes the first
//! two axes nearly horizontal, so regional pictures need a 2-D grid.
//!
//! ## From the exact test's horizontal distance to a 3-D distance
//!
//! The exact test ([`mod@crate::detect`]) measures `x(t) = pa(t) − pb(t)`
//! (straight ECEF lines) in the tangent plane at the scan-time midpoint
//! `m`, with unit normal `n = G(m)/|G(m)|`, where `G(p) = (px/a², py/a²,
//! pz/b²)` and `Q(p) = p·G(p)` (1 on the ellipsoid). So
//! `|x|² = |xₕ|² + (n·x)²` and the filters, which see 3-D distances, need
//! `|n·x|` bounded:
//!
//! - Each track moves on a line tangent to the ellipsoid at its report
//!   point, so `Q(p(t)) = 1 + (t + τ)² Q(v)`, with `τ` the report's age and
//!   `Q(v) ≤ |v|²/b²`.
//! - `G(mₜ)·x(t) = (Q(pa(t)) − Q(pb(t)))/2` at the midpoint `mₜ` of time
//!   `t`, and `m − mₜ = −t (va + vb)/2`, so
//!   `|G(m)·x(t)| ≤ max(ℓa, ℓb)²/(2b²) + t |va + vb| |x|/(2b²)` with
//!   `ℓ = |v| (t + |τ|)` the distance travelled since the report.
//! - `|G(m)| ≥ √Q(m)/a` and `Q(m) ≥ 1 − |pa − pb|²/(4b²)`; the exact test
//!   refuses pairs more than [`crate::detect::MAX_PAIR_DISTANCE_M`] apart at the scan time,
//!   so `a/√Q(m) ≤` [`K_M`].
//!
//! Hence `|n·x| ≤ A + B|x|` with `A = K ℓmax²/(2b²)` and `B = K t vmax/b²`,
//! and a horizontal distance below `R` implies `|x| < X`, the larger root
//! of `X² = R² + (A + BX)²` ([`reach`]). For en-route traffic over 300 s,
//! `X` is about 0.2% above `R`.
//!
//! ## Which tracks the bounds cover
//!
//! Tracks whose travel over the look-ahead (`|v| (T + |τ|)`) exceeds a cap
//! (four times the median, 1.25 times the 99th percentile, at least `2R`
//! and 1 km, at most 2,000 km) are *irregular*: the grid leaves them out
//! and they get the exact test against every track. Bounds use the maxima
//! over the regular ones, so one stale or absurdly fast report does not
//! inflate every box.
//!
//! ## Rounding
//!
//! Positions and velocities are stored in single precision (rounded to
//! nearest from the f64 rotated values). Every single-precision quantity a
//! filter computes is allowed `10⁻⁶` of the magnitudes it involves (about
//! 16 unit roundoffs of 2⁻²⁴, several per operation) plus 1 mm for the f64
//! rotation (errors near 10⁻⁹ m); the margins are added to the box
//! inflation and to the closest-approach radius, never subtracted.

use crate::detect::{DetectionConfig, Kin};
use crate::geo::{self, V3};

/// WGS84 semi-minor axis, metres.
const WGS84_B: f64 = 6_356_752.314_245_179;
/// `a / √(1 − D²/(4b²))` for `D` = [`crate::detect::MAX_PAIR_DISTANCE_M`] (6,458,554 m),
/// rounded up: bounds `1/|G(m)|` for every pair the exact test accepts.
const K_M: f64 = 6.46e6;
/// Relative allowance for single-precision rounding (about 16 × 2⁻²⁴).
const EPS32: f64 = 1e-6;
/// Absolute allowance for the f64 rotation, metres.
const ROTATION_SLACK_M: f64 = 1e-3;
/// Largest travel over the look-ahead a regular track may have, metres.
const MAX_REGULAR_TRAVEL_M: f64 = 2.0e6;

/// A track in the local frame, single precision: position at the scan time
/// (m), velocity (m/s), altitude (ft) and vertical rate (ft/s).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Kf {
    pub q: [f32; 3],
    pub v: [f32; 3],
    pub z: f32,
    pub w: f32,
}

impl Kf {
    /// Speed (m/s) from the single-precision velocity.
    #[inline]
    pub(crate) fn speed(&self) -> f64 {
        let v = &self.v;
        f64::from(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
    }
}

/// The larger root `X` of `X² = R² + (A + BX)²` (`0 ≤ B < 1`): the largest
/// 3-D distance of two points whose horizontal distance is below `R` when
/// their vertical offset is at most `A + B|x|`.
pub(crate) fn reach(r: f64, a: f64, b: f64) -> f64 {
    let one_b2 = 1.0 - b * b;
    (a * b + (a * a * b * b + one_b2 * (r * r + a * a)).sqrt()) / one_b2
}

/// Everything the grid needs to know about a scan's tracks.
#[derive(Debug)]
pub(crate) struct Local {
    /// Per track (same order as the scan's tracks).
    pub kf: Vec<Kf>,
    /// Tracks left to the exact test against everyone.
    pub irregular: Vec<u32>,
    /// The tracks covered by the bounds (regular) that are level ([`super::LEVEL_IN_H`]) and the
    /// others, in index order.
    pub level: Vec<u32>,
    pub vertical: Vec<u32>,
    /// Per track: the band over the whole look-ahead of a level track
    /// ([`super::NO_BAND`] for another track).
    pub band: Vec<(f32, f32)>,
    /// Largest speed of the level tracks (m/s, from their single-precision
    /// velocities).
    pub level_vmax: f64,
    /// Whether a 3-D grid is needed (the regular tracks are not all within
    /// 60° of the frame's up axis).
    pub three_d: bool,
    /// Largest regular speed (m/s) and `|v| |τ|` (m).
    vmax: f64,
    vage_max: f64,
    /// Largest regular |position| in the frame (m), |altitude| (ft) and
    /// |vertical rate| (ft/s).
    qmax: f64,
    zmax: f64,
    wmax: f64,
    /// Closest-approach filter: squared 3-D radius (m²), vertical minimum
    /// with margin (ft), look-ahead (s), all rounded up.
    pub thr2: f32,
    pub h32: f32,
    pub t32: f32,
}

impl Local {
    /// The frame, single-precision tracks and bounds of `ks`, on `threads`
    /// threads (the same on any number).
    pub(crate) fn new(ks: &[Kin], cfg: &DetectionConfig, threads: usize) -> Self {
        // Any centroid gives a valid frame (the bounds are measured in it).
        let inv = 1.0 / ks.len().max(1) as f64;
        let c = ks.iter().fold([0.0; 3], |c, k| geo::axpy(inv, k.p, c));
        let rot = frame(c);
        let t_max = cfg.lookahead_s;
        let speed = |k: &Kin| geo::dot(k.v, k.v).sqrt();
        let travel = |k: &Kin| speed(k) * (t_max + k.age_s);
        // The travel cap, from a sample.
        let step = (ks.len() / 2048).max(1);
        let mut travels: Vec<f64> = ks.iter().step_by(step).map(travel).collect();
        let cap = if travels.is_empty() {
            0.0
        } else {
            let p50 = nth(&mut travels, 0.5);
            let p99 = nth(&mut travels, 0.99);
            (4.0 * p50).max(1.25 * p99).max(2.0 * cfg.horizontal_m).clamp(1000.0, MAX_REGULAR_TRAVEL_M)
        };
        let mut kf = vec![Kf::default(); ks.len()];
        let mut band = vec![super::NO_BAND; ks.len()];
        let chunk = ks.len().div_ceil(threads.max(1)).max(1);
        let mut runs: Vec<_> = kf
            .chunks_mut(chunk)
            .zip(band.chunks_mut(chunk))
            .enumerate()
            .map(|(r, (out, band))| {
                let run = Run { first: r * chunk, level: Vec::with_capacity(out.len()), ..Run::default() };
                (run, out, band)
            })
            .collect();
        let sort = Sort {
            centroid: c,
            rot,
            t_max,
            cap,
            flat: super::LEVEL_IN_H * cfg.vertical_ft / t_max,
            half_h: 0.5 * cfg.vertical_ft,
        };
        let placed = crate::par::on_each(&mut runs, |(run, out, band)| {
            let (first, tracks) = (run.first, &ks[run.first..]);
            for (k, ((f, z), kin)) in out.iter_mut().zip(band.iter_mut()).zip(tracks).enumerate() {
                *f = run.place(first + k, kin, &sort, z);
            }
        });
        if !placed {
            // Placing does not panic; were it to, on this thread alone.
            return Self::new(ks, cfg, 1);
        }
        let mut out = Local {
            kf: Vec::new(),
            irregular: Vec::new(),
            level: Vec::with_capacity(ks.len()),
            vertical: Vec::new(),
            band: Vec::new(),
            level_vmax: 0.0,
            three_d: false,
            vmax: 0.0,
            vage_max: 0.0,
            qmax: 0.0,
            zmax: 0.0,
            wmax: 0.0,
            thr2: 0.0,
            h32: 0.0,
            t32: 0.0,
        };
        for (run, _, _) in runs {
            out.irregular.extend_from_slice(&run.irregular);
            out.level.extend_from_slice(&run.level);
            out.vertical.extend_from_slice(&run.vertical);
            out.level_vmax = out.level_vmax.max(run.level_vmax);
            out.three_d |= run.three_d;
            out.vmax = out.vmax.max(run.vmax);
            out.vage_max = out.vage_max.max(run.vage_max);
            out.qmax = out.qmax.max(run.qmax);
            out.zmax = out.zmax.max(run.zmax);
            out.wmax = out.wmax.max(run.wmax);
        }
        out.kf = kf;
        out.band = band;
        // Closest-approach filter over the whole look-ahead.
        let x = out.reach_by(cfg, t_max);
        let margin = EPS32 * (2.0 * out.qmax + 12.0 * out.vmax * t_max + 9.0 * x) + ROTATION_SLACK_M;
        out.thr2 = up32((x + margin) * (x + margin));
        let h = cfg.vertical_ft;
        out.h32 = up32(h + EPS32 * (2.0 * out.zmax + h + 2.0 * out.wmax * t_max) + 1e-6);
        out.t32 = up32(t_max);
        out
    }

    /// `X` (m) for conflicts at times up to `t1`: see the module docs.
    fn reach_by(&self, cfg: &DetectionConfig, t1: f64) -> f64 {
        let travel = self.vmax * t1 + self.vage_max;
        let a = K_M * travel * travel / (2.0 * WGS84_B * WGS84_B);
        let b = K_M * t1 * self.vmax / (WGS84_B * WGS84_B);
        // The exact test's own rounding at the edge of R.
        let r = cfg.horizontal_m * (1.0 + 1e-9) + 1e-6;
        reach(r, a, b)
    }

    /// Half-width (m, single precision, rounded up) by which boxes swept
    /// over a slice ending at `t1` are inflated: `X/2` plus the rounding of
    /// the box arithmetic.
    pub(crate) fn inflation(&self, cfg: &DetectionConfig, t1: f64) -> f32 {
        let x = self.reach_by(cfg, t1);
        let half = 0.5 * x;
        up32(half + EPS32 * (self.qmax + self.vmax * cfg.lookahead_s + half) + ROTATION_SLACK_M)
    }

    /// Allowance for the rounding of single-precision positions along a
    /// track's motion over the look-ahead (m).
    pub(crate) fn box_slack(&self, cfg: &DetectionConfig) -> f64 {
        let x = self.reach_by(cfg, cfg.lookahead_s);
        EPS32 * (self.qmax + self.vmax * cfg.lookahead_s + x)
    }
}

/// The tracks of one run (from index `first` on), placed in the frame by
/// one thread of [`Local::new`]: which are regular, and the bounds over
/// those.
#[derive(Debug, Default)]
struct Run {
    first: usize,
    irregular: Vec<u32>,
    level: Vec<u32>,
    vertical: Vec<u32>,
    level_vmax: f64,
    three_d: bool,
    vmax: f64,
    vage_max: f64,
    qmax: f64,
    zmax: f64,
    wmax: f64,
}

/// How [`Run::place`] places and sorts tracks.
#[derive(Debug)]
struct Sort {
    /// The frame: centroid and rows east, north, up.
    centroid: V3,
    rot: [V3; 3],
    /// Look-ahead (s), travel cap (m), largest vertical rate of a level
    /// track (ft/s), `H/2` (ft).
    t_max: f64,
    cap: f64,
    flat: f64,
    half_h: f64,
}

impl Run {
    /// Track `i` (`k`) in the frame of `sort`, sorted as regular or not by
    /// its travel against the cap, and a regular one as level (its band
    /// written to `band`) or vertical.
    #[inline]
    fn place(&mut self, i: usize, k: &Kin, sort: &Sort, band: &mut (f32, f32)) -> Kf {
        let (rot, t_max) = (&sort.rot, sort.t_max);
        let d = geo::sub(k.p, sort.centroid);
        let q = [geo::dot(rot[0], d), geo::dot(rot[1], d), geo::dot(rot[2], d)];
        let v = [geo::dot(rot[0], k.v), geo::dot(rot[1], k.v), geo::dot(rot[2], k.v)];
        let f = Kf { q: q.map(|x| x as f32), v: v.map(|x| x as f32), z: k.z_ft as f32, w: k.w_fps as f32 };
        let s = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if s * (t_max + k.age_s) > sort.cap {
            self.irregular.push(i as u32);
            return f;
        }
        if k.w_fps.abs() <= sort.flat {
            self.level.push(i as u32);
            self.level_vmax = self.level_vmax.max(f.speed());
            *band = super::band(k, 0.0, t_max, sort.half_h);
        } else {
            self.vertical.push(i as u32);
        }
        self.vmax = self.vmax.max(s);
        self.vage_max = self.vage_max.max(s * k.age_s);
        self.qmax = self.qmax.max(q[0].abs().max(q[1].abs()).max(q[2].abs()) * 1.733);
        self.zmax = self.zmax.max(k.z_ft.abs());
        self.wmax = self.wmax.max(k.w_fps.abs());
        // Within 60° of up: the 2-D grid folds nothing.
        let up = rot[2];
        let h = geo::dot(k.p, up);
        if h < 0.0 || 4.0 * h * h < geo::dot(k.p, k.p) {
            self.three_d = true;
        }
        f
    }
}

/// A closest-approach filter of [`Local::passes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approach {
    /// Whether two tracks may be in conflict: their vertical distance can
    /// be below the minimum during some part `[lo, hi]` of the look-ahead,
    /// and their 3-D distance below `X` then.
    Conflict,
    /// The same without the vertical part (the whole look-ahead): for two
    /// level tracks whose bands overlap.
    Meet,
}

impl Local {
    /// Filter `f` (closed form, single precision, conservative) of `a` with
    /// each of `N` tracks: the same operations lane by lane, without
    /// branches on the data (about a quarter of the pairs asked pass,
    /// unpredictably), so that four lanes run as one vector (both cases of
    /// the vertical window are computed and one is selected). One lane is
    /// the filter of one pair.
    #[inline(always)]
    pub(crate) fn passes<const N: usize>(&self, f: Approach, a: &Kf, b: [&Kf; N]) -> [bool; N] {
        // Each field of the `N` tracks side by side (the vector lanes).
        let lanes = |f: &dyn Fn(&Kf) -> f32| b.map(f);
        let (bz, bw) = (lanes(&|k| k.z), lanes(&|k| k.w));
        let (bq, bv): ([[f32; N]; 3], [[f32; N]; 3]) = (
            [lanes(&|k| k.q[0]), lanes(&|k| k.q[1]), lanes(&|k| k.q[2])],
            [lanes(&|k| k.v[0]), lanes(&|k| k.v[1]), lanes(&|k| k.v[2])],
        );
        let mut out = [false; N];
        for l in 0..N {
            // The part `[lo, hi]` of the look-ahead examined, and whether
            // there is one.
            let (overlap, lo, hi) = match f {
                Approach::Meet => (true, 0.0, self.t32),
                Approach::Conflict => {
                    let dz = a.z - bz[l];
                    let w = a.w - bw[l];
                    let t1 = (-self.h32 - dz) / w;
                    let t2 = (self.h32 - dz) / w;
                    let (t1, t2) = if t1 < t2 { (t1, t2) } else { (t2, t1) };
                    let lo_w = if t1 > 0.0 { t1 } else { 0.0 };
                    let hi_w = if t2 < self.t32 { t2 } else { self.t32 };
                    // For `w` not 0 the window is finite or infinite, never
                    // NaN; for `w` = 0 (NaN or infinite) it is not used.
                    let level = w == 0.0;
                    let overlap = if level { dz.abs() < self.h32 } else { lo_w <= hi_w };
                    (overlap, if level { 0.0 } else { lo_w }, if level { self.t32 } else { hi_w })
                }
            };
            let d = [a.q[0] - bq[0][l], a.q[1] - bq[1][l], a.q[2] - bq[2][l]];
            let dv = [a.v[0] - bv[0][l], a.v[1] - bv[1][l], a.v[2] - bv[2][l]];
            let aa = dv[0] * dv[0] + dv[1] * dv[1] + dv[2] * dv[2];
            let bb = d[0] * dv[0] + d[1] * dv[1] + d[2] * dv[2];
            // Clamped to [lo, hi]; a NaN (no relative motion) fails both
            // comparisons and leaves t = lo.
            let t = -bb / aa;
            let t = if t < hi {
                if t > lo { t } else { lo }
            } else if t >= hi {
                hi
            } else {
                lo
            };
            let e = [d[0] + dv[0] * t, d[1] + dv[1] * t, d[2] + dv[2] * t];
            out[l] = overlap & (e[0] * e[0] + e[1] * e[1] + e[2] * e[2] < self.thr2);
        }
        out
    }
}

/// Rows east, north, up of the frame at the direction of `c` (any frame
/// when `c` is near the earth's centre).
fn frame(c: V3) -> [V3; 3] {
    let norm = |v: V3| {
        let l = geo::dot(v, v).sqrt();
        [v[0] / l, v[1] / l, v[2] / l]
    };
    let cross =
        |a: V3, b: V3| [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    let up = if geo::dot(c, c) > 1e6 { norm(c) } else { [0.0, 0.0, 1.0] };
    let e = cross([0.0, 0.0, 1.0], up);
    let east = if geo::dot(e, e) > 1e-12 { norm(e) } else { [0.0, 1.0, 0.0] };
    let north = norm(cross(up, east));
    [east, north, up]
}

/// The value at fraction `f` of `v` (reorders `v`).
fn nth(v: &mut [f64], f: f64) -> f64 {
    let k = ((v.len() - 1) as f64 * f) as usize;
    *v.select_nth_unstable_by(k, f64::total_cmp).1
}

/// The smallest single-precision float not below `x`.
fn up32(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) >= x {
        y
    } else {
        f32::from_bits(if y >= 0.0 { y.to_bits() + 1 } else { y.to_bits() - 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_solves_its_equation_and_bounds_from_above() {
        for (r, a, b) in [(9260.0, 0.0, 0.0), (9260.0, 470.0, 0.012), (50.0, 0.3, 1e-5), (1e6, 8e4, 0.3)] {
            let x = reach(r, a, b);
            let f = |s: f64| s * s - (a + b * s).powi(2) - r * r;
            assert!(f(x).abs() <= 1e-9 * x * x, "{r} {a} {b}");
            assert!(f(x * 0.999) < 0.0 && f(x * 1.001) > 0.0);
            assert!(x >= r);
        }
        assert_eq!(reach(3.0, 4.0, 0.0), 5.0);
    }

    /// The documented bound: whenever the exact test's horizontal distance
    /// (tangent plane at the scan-time midpoint) is below `R`, the 3-D
    /// distance is below `X` — checked on stale, fast, dense traffic with a
    /// wide minimum, where the normal component matters.
    #[test]
    fn three_d_distance_stays_below_reach() {
        use crate::traffic::{GenConfig, generate};
        use crate::units::{Knots, Timestamp};
        for (lat, r_nm, look, loose) in
            [(50.0, 5.0, 300.0, 1.25), (80.0, 60.0, 1200.0, 1.5), (-30.0, 150.0, 3600.0, 2.0)]
        {
            let gen_cfg = GenConfig { center_lat_deg: lat, density_per_km2: 0.05, ..GenConfig::default() };
            let mut tracks = generate(300, 11, &gen_cfg);
            for (k, s) in tracks.iter_mut().enumerate() {
                s.time = Timestamp::from_secs(-((k % 7) as i64) * 40);
                if k % 5 == 0 {
                    s.ground_speed = Knots(900.0);
                }
            }
            let cfg = DetectionConfig {
                horizontal_m: r_nm * 1852.0,
                vertical_ft: 1000.0,
                lookahead_s: look,
                threads: 1,
            };
            let ks = crate::detect::prepare(&tracks, Timestamp::from_micros(0));
            let local = Local::new(&ks, &cfg, 1);
            assert!(local.irregular.len() < ks.len() / 10, "{}", local.irregular.len());
            let x_max = local.reach_by(&cfg, look);
            let (mut close, mut slack) = (0, f64::INFINITY);
            let regular: Vec<u32> = local.level.iter().chain(&local.vertical).copied().collect();
            for &i in &regular {
                for &j in &regular {
                    let (a, b) = (&ks[i as usize], &ks[j as usize]);
                    if i >= j || geo::dot(geo::sub(a.p, b.p), geo::sub(a.p, b.p)) > 4e12 {
                        continue;
                    }
                    let mid = [(a.p[0] + b.p[0]) * 0.5, (a.p[1] + b.p[1]) * 0.5, (a.p[2] + b.p[2]) * 0.5];
                    let horizontal = geo::Horizontal::at(mid);
                    for step in 0..=60 {
                        let t = look * f64::from(step) / 60.0;
                        let x = geo::sub(geo::axpy(t, a.v, a.p), geo::axpy(t, b.v, b.p));
                        let h = horizontal.of(x);
                        if geo::dot(h, h).sqrt() < cfg.horizontal_m {
                            let d = geo::dot(x, x).sqrt();
                            close += 1;
                            slack = slack.min(x_max - d);
                            assert!(d < x_max, "{lat} {r_nm}: {d} ≥ {x_max}");
                        }
                    }
                }
            }
            // The bound was exercised, and is not absurdly loose (tracks
            // that travel 1,800 km over an hour's look-ahead rise far
            // above the earth, so their bound is wide).
            assert!(close > 100, "{close}");
            assert!(x_max < loose * cfg.horizontal_m, "{x_max}");
            assert!(slack.is_finite());
        }
    }

    #[test]
    fn four_lanes_filter_as_one_lane_each() {
        // Tracks level and climbing, some sharing a vertical rate (w = 0 in
        // the difference), some sharing a velocity (no relative motion).
        let kf = |k: u32| {
            let f = k as f32;
            Kf {
                q: [1000.0 * (f * 0.7).sin() * f, 800.0 * (f * 1.3).cos() * f, 5.0 * f],
                v: if k.is_multiple_of(5) {
                    [200.0, 0.0, 0.0]
                } else {
                    [150.0 * f.cos(), 150.0 * f.sin(), 0.1]
                },
                z: 30_000.0 + 400.0 * (k % 9) as f32,
                w: if k.is_multiple_of(3) { 0.0 } else { 20.0 * (f * 0.5).sin() },
            }
        };
        let local = Local {
            thr2: 9_500.0 * 9_500.0,
            h32: 1000.0,
            t32: 300.0,
            ..Local::new(&[], &DetectionConfig::en_route(), 1)
        };
        let tracks: Vec<Kf> = (0..40).map(kf).collect();
        // The full filter, and the horizontal one of level pairs.
        let (mut passed, mut refused) = ([0; 2], [0; 2]);
        for a in &tracks {
            for four in tracks.chunks_exact(4) {
                let b = [&four[0], &four[1], &four[2], &four[3]];
                for (f, filter) in [Approach::Conflict, Approach::Meet].into_iter().enumerate() {
                    let lanes = local.passes(filter, a, b);
                    for (k, b) in four.iter().enumerate() {
                        let one = local.passes(filter, a, [b])[0];
                        assert_eq!(lanes[k], one);
                        if one { passed[f] += 1 } else { refused[f] += 1 }
                    }
                }
            }
        }
        assert!(passed.iter().chain(&refused).all(|&n| n > 50), "{passed:?} passed, {refused:?} refused");
    }

    #[test]
    fn frame_is_orthonormal() {
        for c in [[4e6, 3e5, 4.9e6], [0.0, 0.0, 6.3e6], [0.0, 0.0, -6.3e6], [1.0, 2.0, 3.0]] {
            let f = frame(c);
            for i in 0..3 {
                for j in 0..3 {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((geo::dot(f[i], f[j]) - want).abs() < 1e-15, "{c:?}");
                }
            }
        }
    }

    #[test]
    fn up32_rounds_up() {
        for x in [0.1, 1.0 / 3.0, 9_260.000_1, 1e30, -0.1, 0.0] {
            let y = up32(x);
            assert!(f64::from(y) >= x);
            assert!(f64::from(y) - x <= x.abs() * 2.0f64.powi(-23));
        }
    }
}
