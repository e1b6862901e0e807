//! Spatial pruning for the pruned scan ([`crate::detect`]).
//!
//! Each track's motion over `[0, lookahead]` is a straight ECEF segment; its
//! axis-aligned bounding box, inflated by a little over `R/2` (plus the
//! segment's rise above the curved earth), is its *swept box*, and
//! `[min alt, max alt] ± H/2` its altitude band. If two tracks come closer
//! than `R` horizontally at some instant, some point lies in both swept
//! boxes; if they come closer than `H` vertically, their bands overlap
//! strictly. Only such pairs get the exact test.
//!
//! Boxes are stored in single precision, rounded outwards, so a stored box
//! always contains the exact one: pruning stays conservative and boxes take
//! half the memory. Bands are exactly `±H/2` (no slack): the exact test asks
//! for a vertical distance below `H` by 10⁻¹² of the magnitudes
//! involved ([`crate::detect`]), so two level aircraft one minimum apart
//! (adjacent flight levels) are never even compared.
//!
//! Boxes are inserted into the cells of a uniform 3-D grid over ECEF (no
//! projection, so no trouble at the poles or the antimeridian). Within a
//! cell, members are ordered by the bottom of their altitude band and swept,
//! so a member is only compared with those whose band overlaps. A pair is
//! examined only in the cell holding the minimum corner of its box
//! intersection, so every pair is examined at most once without a hash set.
//! Cell entries are 64-bit words (the cell's offset in the grid above the
//! member's band rank) sorted by a radix sort, so building a grid is linear.
//! Boxes spanning too many cells (absurd speeds, very stale reports) are
//! checked against everyone instead.
//!
//! Small pictures run the time slices on `threads` scoped threads, each with
//! its own buffers; large ones ([`PARALLEL_SWEEP_ABOVE`] tracks) build one
//! grid at a time and share its sweep among the threads, so memory stays one
//! grid's worth.

use crate::detect::{DetectionConfig, Kin, PairGeometry, test_pair};
use crate::geo;

/// A track's swept box (ECEF metres) and altitude band (feet), rounded
/// outwards to single precision.
#[derive(Debug, Clone, Copy, Default)]
struct Swept {
    lo: [f32; 3],
    hi: [f32; 3],
    zlo: f32,
    zhi: f32,
}

impl Swept {
    #[inline]
    fn overlaps(&self, o: &Swept) -> bool {
        self.lo[0] <= o.hi[0]
            && o.lo[0] <= self.hi[0]
            && self.lo[1] <= o.hi[1]
            && o.lo[1] <= self.hi[1]
            && self.lo[2] <= o.hi[2]
            && o.lo[2] <= self.hi[2]
            && self.zlo < o.zhi
            && o.zlo < self.zhi
    }
}

/// The largest single-precision float not above `x` (finite `x`; beyond
/// the single-precision range, the infinity or `MAX` on its side).
#[inline]
fn down(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) <= x {
        y
    } else if y > 0.0 {
        f32::from_bits(y.to_bits() - 1)
    } else if y < 0.0 {
        f32::from_bits(y.to_bits() + 1)
    } else {
        -f32::from_bits(1)
    }
}

/// The smallest single-precision float not below `x` (see [`down`]).
#[inline]
fn up(x: f64) -> f32 {
    -down(-x)
}

/// Smallest radius of curvature of the WGS84 ellipsoid, rounded down (m).
const MIN_EARTH_RADIUS_M: f64 = 6.3e6;
/// Boxes covering more cells than this go to the everyone-list.
const MAX_CELLS_PER_BOX: i64 = 64;
/// Target travel per time slice, in horizontal minima.
const SLICE_TRAVEL_IN_R: f64 = 3.0;
/// Most time slices per scan.
const MAX_SLICES: usize = 8;
/// Bits per packed cell coordinate (wide keys).
const BITS: u32 = 21;
/// Smallest cell edge (m): keeps packed coordinates within `BITS`.
const MIN_CELL_M: f64 = 8.0;
/// Cell edge in median swept-box extents.
const CELL_IN_EXTENTS: f64 = 2.0;
/// From this many tracks on, slices run one after the other and each
/// slice's sweep is shared among the threads.
pub(crate) const PARALLEL_SWEEP_ABOVE: usize = 200_000;

/// The cell index of a coordinate: `floor(x / cell)`, without a libm call
/// (the cast saturates, and so does this for absurd coordinates).
#[inline]
fn cell_coord(x: f32, inv_cell: f64) -> i64 {
    let v = f64::from(x) * inv_cell;
    let t = v as i64;
    if (t as f64) > v { t - 1 } else { t }
}

#[inline]
fn pack(c: [i64; 3]) -> u64 {
    let m = (1u64 << BITS) - 1;
    let off = 1i64 << (BITS - 1);
    let f = |v: i64| ((v + off) as u64) & m;
    (f(c[0]) << (2 * BITS)) | (f(c[1]) << BITS) | f(c[2])
}

/// The inverse of [`pack`].
fn unpack(key: u64) -> [i64; 3] {
    let m = (1u64 << BITS) - 1;
    let off = 1i64 << (BITS - 1);
    let f = |v: u64| (v & m) as i64 - off;
    [f(key >> (2 * BITS)), f(key >> BITS), f(key)]
}

/// The bottom of the altitude band of `k` over `[t0, t1]`, feet (exact).
#[inline]
fn band_bottom(k: &Kin, cfg: &DetectionConfig, t0: f64, t1: f64) -> f64 {
    let z0 = k.z_ft + k.w_fps * t0;
    let z1 = k.z_ft + k.w_fps * t1;
    z0.min(z1) - band_half(k, cfg)
}

#[inline]
fn band_half(_k: &Kin, cfg: &DetectionConfig) -> f64 {
    0.5 * cfg.vertical_ft
}

/// The swept box of `k` over the time slice `[t0, t1]` (seconds after the scan).
fn swept(k: &Kin, cfg: &DetectionConfig, t0: f64, t1: f64) -> Swept {
    let start = geo::axpy(t0, k.v, k.p);
    let end = geo::axpy(t1, k.v, k.p);
    let travel = geo::dot(k.v, k.v).sqrt() * (t1 + k.age_s);
    // The straight path rises above the surface by at most travel²/2ρ.
    let rise = travel * travel / (2.0 * MIN_EARTH_RADIUS_M);
    let r = 0.51 * cfg.horizontal_m + 25.0 + rise;
    let mut b = Swept::default();
    for a in 0..3 {
        b.lo[a] = down(start[a].min(end[a]) - r);
        b.hi[a] = up(start[a].max(end[a]) + r);
    }
    let z0 = k.z_ft + k.w_fps * t0;
    let z1 = k.z_ft + k.w_fps * t1;
    b.zlo = down(band_bottom(k, cfg, t0, t1));
    b.zhi = up(z0.max(z1) + band_half(k, cfg));
    b
}

/// How many time slices to cut the look-ahead into: about one per two
/// minima of typical travel, so swept boxes stay small.
fn slice_count(ks: &[Kin], cfg: &DetectionConfig) -> usize {
    let mut speeds: Vec<f64> = ks.iter().map(|k| geo::dot(k.v, k.v)).collect();
    let mid = speeds.len() / 2;
    let (_, m, _) = speeds.select_nth_unstable_by(mid, f64::total_cmp);
    let travel = m.sqrt() * cfg.lookahead_s;
    let s = (travel / (SLICE_TRAVEL_IN_R * cfg.horizontal_m)).round();
    if s.is_finite() { (s as usize).clamp(1, MAX_SLICES) } else { 1 }
}

/// Every conflicting pair, as indices into `ks` (lower id first).
///
/// The look-ahead is cut into slices `[s·Δ, (s+1)·Δ]`; each slice gets its
/// own grid of boxes swept over that slice only. A pair is kept only by the
/// slice holding the start of its infringement within the look-ahead
/// (`max(t_in, 0)`): just after that instant both aircraft are closer than
/// `R` and `H`, so their boxes in that slice overlap.
pub(crate) fn candidate_conflicts(ks: &[Kin], cfg: &DetectionConfig) -> Vec<(u32, u32, PairGeometry)> {
    if ks.len() < 2 {
        return Vec::new();
    }
    let slices = slice_count(ks, cfg);
    let dt = cfg.lookahead_s / slices as f64;
    let slice_of = |t: f64| ((t.max(0.0) / dt).floor() as usize).min(slices - 1);
    let keep_own = |out: &mut Vec<(u32, u32, PairGeometry)>, from: usize, s: usize| {
        let mut keep = from;
        for k in from..out.len() {
            if slice_of(out[k].2.t_in) == s {
                out[keep] = out[k];
                keep += 1;
            }
        }
        out.truncate(keep);
    };
    let threads = cfg.threads.max(1);
    if ks.len() >= PARALLEL_SWEEP_ABOVE && threads > 1 {
        // One grid at a time, its sweep shared.
        let mut sc = Scratch::default();
        let mut out = Vec::new();
        for s in 0..slices {
            let from = out.len();
            let grid = build(ks, cfg, s as f64 * dt, (s + 1) as f64 * dt, &mut sc);
            grid.sweep_parallel(threads, &mut out);
            keep_own(&mut out, from, s);
        }
        return out;
    }
    // One worker runs slices `w, w + step, ...` with its own buffers.
    let run = |w: usize, step: usize| {
        let mut sc = Scratch::default();
        let mut out = Vec::new();
        for s in (w..slices).step_by(step) {
            let from = out.len();
            let grid = build(ks, cfg, s as f64 * dt, (s + 1) as f64 * dt, &mut sc);
            grid.sweep(0, grid.groups.len(), &mut Vec::new(), &mut out);
            grid.oversized_pairs(&mut out);
            keep_own(&mut out, from, s);
        }
        out
    };
    let threads = threads.min(slices);
    if threads == 1 || ks.len() < 2048 {
        return run(0, 1);
    }
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|w| scope.spawn(move || run(w, threads))).collect();
        let mut all = Vec::new();
        for h in handles {
            // Workers do not panic (the exact test cannot); a failed join
            // would lose pairs, so fall back to computing them here.
            match h.join() {
                Ok(mut v) => all.append(&mut v),
                Err(_) => return run(0, 1),
            }
        }
        all
    })
}

/// Buffers reused from slice to slice by one worker.
#[derive(Default)]
struct Scratch {
    keyed: Vec<u64>,
    keyed_tmp: Vec<u64>,
    boxes: Vec<Swept>,
    orig: Vec<u32>,
    entries: Vec<u64>,
    entries_tmp: Vec<u64>,
    groups: Vec<(u32, u32, [i64; 3])>,
    oversized: Vec<u32>,
    is_oversized: Vec<bool>,
}

/// Track indices in Morton (Z-curve) order of their ECEF position on a
/// 16-km lattice: nearby tracks end up near each other in memory.
pub(crate) fn spatial_order(ks: &[Kin]) -> Vec<u32> {
    const CELL_M: f64 = 16_000.0;
    const HALF: f64 = 6_600_000.0;
    let spread = |v: u64| {
        // 10 bits to every third of 30.
        let mut x = v & 0x3FF;
        x = (x | (x << 16)) & 0x0300_00FF;
        x = (x | (x << 8)) & 0x0300_F00F;
        x = (x | (x << 4)) & 0x030C_30C3;
        (x | (x << 2)) & 0x0924_9249
    };
    let mut keyed: Vec<u64> = ks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let q = |c: f64| (((c + HALF) / CELL_M).clamp(0.0, 1023.0)) as u64;
            let m = (spread(q(k.p[0])) << 2) | (spread(q(k.p[1])) << 1) | spread(q(k.p[2]));
            (m << 32) | i as u64
        })
        .collect();
    radix_sort(&mut keyed, &mut Vec::new(), 32, 62);
    keyed.iter().map(|&x| x as u32).collect()
}

/// A total order of finite floats as unsigned integers.
#[inline]
fn order_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The inverse of [`order_bits`].
#[inline]
fn from_order_bits(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

/// Stable least-significant-digit radix sort of `v` on bits `[lo, hi)`,
/// 11 bits per pass; passes where every item has the same digit are skipped.
pub(crate) fn radix_sort(v: &mut Vec<u64>, tmp: &mut Vec<u64>, lo: u32, hi: u32) {
    const DIGIT: u32 = 11;
    let n = v.len();
    tmp.clear();
    tmp.resize(n, 0);
    let mut shift = lo;
    while shift < hi {
        let mask = (1u64 << DIGIT.min(hi - shift)) - 1;
        let mut counts = [0usize; 1 << DIGIT];
        for x in v.iter() {
            counts[((x >> shift) & mask) as usize] += 1;
        }
        if counts.contains(&n) {
            shift += DIGIT;
            continue;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let k = *c;
            *c = sum;
            sum += k;
        }
        for &x in v.iter() {
            let d = ((x >> shift) & mask) as usize;
            tmp[counts[d]] = x;
            counts[d] += 1;
        }
        std::mem::swap(v, tmp);
        shift += DIGIT;
    }
}

/// Bits needed to represent `0..=span`.
pub(crate) fn bits_for(span: i64) -> u32 {
    64 - (span.max(0) as u64).leading_zeros()
}

/// A total order of single-precision floats as unsigned integers: the
/// band-order key of a box bottom.
#[inline]
fn band_key(zlo: f32) -> u64 {
    let b = zlo.to_bits();
    u64::from(if b >> 31 == 1 { !b } else { b | (1 << 31) })
}

/// The cells of one time slice.
struct Grid<'a> {
    ks: &'a [Kin],
    cfg: &'a DetectionConfig,
    /// Boxes in band order.
    boxes: &'a [Swept],
    /// Index into `ks` of each box.
    orig: &'a [u32],
    inv_cell: f64,
    /// Cell keys are packed absolute coordinates (which may alias): compare
    /// packed keys, not coordinates.
    wide: bool,
    /// Sorted entries: `rank & rank_mask` is a box.
    entries: &'a [u64],
    rank_mask: u64,
    /// Cells with two or more members: entry range and cell coordinates.
    groups: &'a [(u32, u32, [i64; 3])],
    oversized: &'a [u32],
    is_oversized: &'a [bool],
}

/// Builds the grid of boxes swept over `[t0, t1]`.
fn build<'a>(ks: &'a [Kin], cfg: &'a DetectionConfig, t0: f64, t1: f64, sc: &'a mut Scratch) -> Grid<'a> {
    let n = ks.len();
    // Band order: sorted by each box's band bottom (computed exactly as
    // `swept` does).
    sc.keyed.clear();
    sc.keyed.extend(
        ks.iter().enumerate().map(|(i, k)| (band_key(down(band_bottom(k, cfg, t0, t1))) << 32) | i as u64),
    );
    radix_sort(&mut sc.keyed, &mut sc.keyed_tmp, 32, 64);
    sc.orig.clear();
    sc.orig.extend(sc.keyed.iter().map(|&x| x as u32));
    sc.boxes.clear();
    sc.boxes.extend(sc.orig.iter().map(|&i| swept(&ks[i as usize], cfg, t0, t1)));

    let cell = cell_size(&sc.boxes, &mut sc.entries_tmp) * CELL_IN_EXTENTS;
    let inv_cell = 1.0 / cell;
    let range = |b: &Swept| {
        [
            cell_coord(b.lo[0], inv_cell),
            cell_coord(b.lo[1], inv_cell),
            cell_coord(b.lo[2], inv_cell),
            cell_coord(b.hi[0], inv_cell),
            cell_coord(b.hi[1], inv_cell),
            cell_coord(b.hi[2], inv_cell),
        ]
    };
    let fits = |c: &[i64; 6]| {
        let span = |a: usize| c[a + 3].saturating_sub(c[a]).saturating_add(1);
        span(0).saturating_mul(span(1)).saturating_mul(span(2)) <= MAX_CELLS_PER_BOX
    };

    // Grid extent; oversized boxes go to the everyone-list.
    sc.oversized.clear();
    let mut min = [i64::MAX; 3];
    let mut max = [i64::MIN; 3];
    let mut total = 0usize;
    for (k, b) in sc.boxes.iter().enumerate() {
        let c = range(b);
        if !fits(&c) {
            sc.oversized.push(k as u32);
            continue;
        }
        total += ((c[3] - c[0] + 1) * (c[4] - c[1] + 1) * (c[5] - c[2] + 1)) as usize;
        for a in 0..3 {
            min[a] = min[a].min(c[a]);
            max[a] = max[a].max(c[a + 3]);
        }
    }
    sc.is_oversized.clear();
    if !sc.oversized.is_empty() {
        sc.is_oversized.resize(n, false);
        for &k in &sc.oversized {
            sc.is_oversized[k as usize] = true;
        }
    }

    // One entry per (cell, box), sorted by cell then band order: the cell's
    // offset from the grid's corner above the box's rank in 64 bits,
    // radix-sorted (stable, so band order holds within a cell). Grids too
    // wide for that use packed absolute coordinates and a comparison sort.
    let rank_bits = bits_for(n as i64);
    let axis_bits = [0, 1, 2].map(|a| if min[a] <= max[a] { bits_for(max[a] - min[a]) } else { 0 });
    let key_bits: u32 = axis_bits.iter().sum();
    sc.groups.clear();
    sc.entries.clear();
    sc.entries.reserve(total);
    let (rank_mask, decode): (u64, Box<dyn Fn(u64) -> [i64; 3]>) = if key_bits + rank_bits <= 64 {
        let (by, bz) = (axis_bits[1], axis_bits[2]);
        for (k, b) in sc.boxes.iter().enumerate() {
            let c = range(b);
            if !fits(&c) {
                continue;
            }
            for x in c[0]..=c[3] {
                for y in c[1]..=c[4] {
                    for z in c[2]..=c[5] {
                        let key = (((x - min[0]) as u64) << (by + bz))
                            | (((y - min[1]) as u64) << bz)
                            | ((z - min[2]) as u64);
                        sc.entries.push((key << rank_bits) | k as u64);
                    }
                }
            }
        }
        radix_sort(&mut sc.entries, &mut sc.entries_tmp, rank_bits, rank_bits + key_bits);
        let (ymask, zmask) = ((1u64 << by) - 1, (1u64 << bz) - 1);
        let decode = move |key: u64| {
            let key = key >> rank_bits;
            [
                (key >> (by + bz)) as i64 + min[0],
                ((key >> bz) & ymask) as i64 + min[1],
                (key & zmask) as i64 + min[2],
            ]
        };
        ((1u64 << rank_bits) - 1, Box::new(decode))
    } else {
        let mut wide: Vec<u128> = Vec::with_capacity(total);
        for (k, b) in sc.boxes.iter().enumerate() {
            let c = range(b);
            if !fits(&c) {
                continue;
            }
            for x in c[0]..=c[3] {
                for y in c[1]..=c[4] {
                    for z in c[2]..=c[5] {
                        wide.push((u128::from(pack([x, y, z])) << 32) | k as u128);
                    }
                }
            }
        }
        wide.sort_unstable();
        // Re-encode as 64-bit words: the packed key's rank in the sorted
        // list would do, but the cell coordinates are what the sweep needs,
        // so keep a side list of keys per entry instead.
        sc.entries.extend(wide.iter().map(|&e| e as u32 as u64));
        sc.entries_tmp.clear();
        sc.entries_tmp.extend(wide.iter().map(|&e| (e >> 32) as u64));
        (u64::from(u32::MAX), Box::new(unpack))
    };
    let wide = key_bits + rank_bits > 64;
    let cell_key = |i: usize| if wide { sc.entries_tmp[i] } else { sc.entries[i] & !rank_mask };
    let mut start = 0;
    while start < sc.entries.len() {
        let key = cell_key(start);
        let mut end = start + 1;
        while end < sc.entries.len() && cell_key(end) == key {
            end += 1;
        }
        if end - start >= 2 {
            sc.groups.push((start as u32, end as u32, decode(key)));
        }
        start = end;
    }
    Grid {
        ks,
        cfg,
        boxes: &sc.boxes,
        orig: &sc.orig,
        inv_cell,
        wide,
        entries: &sc.entries,
        rank_mask,
        groups: &sc.groups,
        oversized: &sc.oversized,
        is_oversized: &sc.is_oversized,
    }
}

/// Cell edge: about the median largest extent of a swept box, so a typical
/// box covers 2×2×2 cells.
fn cell_size(boxes: &[Swept], scratch: &mut Vec<u64>) -> f64 {
    scratch.clear();
    scratch.extend(boxes.iter().map(|b| {
        let e = (b.hi[0] - b.lo[0]).max(b.hi[1] - b.lo[1]).max(b.hi[2] - b.lo[2]);
        order_bits(f64::from(e))
    }));
    let mid = scratch.len() / 2;
    let (_, m, _) = scratch.select_nth_unstable(mid);
    let c = from_order_bits(*m);
    if c.is_finite() { c.max(MIN_CELL_M) } else { MIN_CELL_M }
}

impl Grid<'_> {
    /// Examines the pairs of cells `groups[from..to]`.
    fn sweep(
        &self,
        from: usize,
        to: usize,
        local: &mut Vec<(Swept, u32, [i64; 3])>,
        out: &mut Vec<(u32, u32, PairGeometry)>,
    ) {
        for &(s, e, cell) in &self.groups[from..to] {
            self.sweep_cell(&self.entries[s as usize..e as usize], cell, local, out);
        }
    }

    /// Every pair of the grid, the cells shared among `threads` threads.
    fn sweep_parallel(&self, threads: usize, out: &mut Vec<(u32, u32, PairGeometry)>) {
        // Chunks of about equal entry counts.
        let total = self.entries.len().max(1);
        let mut bounds = vec![0usize];
        for (g, &(_, e, _)) in self.groups.iter().enumerate() {
            if e as usize * threads >= total * bounds.len() && bounds.len() < threads {
                bounds.push(g + 1);
            }
        }
        bounds.push(self.groups.len());
        let parts: Vec<Vec<(u32, u32, PairGeometry)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = bounds
                .windows(2)
                .map(|w| {
                    let (a, b) = (w[0], w[1]);
                    scope.spawn(move || {
                        let mut part = Vec::new();
                        self.sweep(a, b, &mut Vec::new(), &mut part);
                        part
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(bounds.windows(2))
                .map(|(h, w)| {
                    // A failed worker's cells are swept here instead.
                    h.join().unwrap_or_else(|_| {
                        let mut part = Vec::new();
                        self.sweep(w[0], w[1], &mut Vec::new(), &mut part);
                        part
                    })
                })
                .collect()
        });
        for mut p in parts {
            out.append(&mut p);
        }
        self.oversized_pairs(out);
    }

    /// Oversized boxes against everyone (pairs of two oversized boxes once).
    fn oversized_pairs(&self, out: &mut Vec<(u32, u32, PairGeometry)>) {
        for &o in self.oversized {
            let bo = &self.boxes[o as usize];
            for (k, bk) in self.boxes.iter().enumerate() {
                let k = k as u32;
                if k == o || (self.is_oversized[k as usize] && k < o) || !bo.overlaps(bk) {
                    continue;
                }
                if let Some(p) = test_pair(self.ks, self.orig[o as usize], self.orig[k as usize], self.cfg) {
                    out.push(p);
                }
            }
        }
    }

    /// Examines the pairs of one cell whose box intersection starts in it.
    /// Members are first gathered into `local` so the quadratic part runs
    /// on contiguous memory.
    fn sweep_cell(
        &self,
        members: &[u64],
        cell: [i64; 3],
        local: &mut Vec<(Swept, u32, [i64; 3])>,
        out: &mut Vec<(u32, u32, PairGeometry)>,
    ) {
        local.clear();
        local.extend(members.iter().map(|&e| {
            let k = (e & self.rank_mask) as usize;
            let b = self.boxes[k];
            let lo = [0, 1, 2].map(|a| cell_coord(b.lo[a], self.inv_cell));
            (b, self.orig[k], lo)
        }));
        for (a, (bi, oi, ci)) in local.iter().enumerate() {
            for (bj, oj, cj) in &local[a + 1..] {
                // Members are in band order: once a band starts at or above
                // the top of i's band, no later member overlaps it.
                if bj.zlo >= bi.zhi {
                    break;
                }
                // Only in the cell holding the corner of the intersection
                // (the cell of the larger lower bound on each axis).
                let corner = [ci[0].max(cj[0]), ci[1].max(cj[1]), ci[2].max(cj[2])];
                if if self.wide { pack(corner) != pack(cell) } else { corner != cell } {
                    continue;
                }
                if !bi.overlaps(bj) {
                    continue;
                }
                if let Some(p) = test_pair(self.ks, *oi, *oj, self.cfg) {
                    out.push(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outward_rounding_contains_the_value() {
        let xs = [
            0.0,
            -0.0,
            1e-50,
            -1e-50,
            0.1,
            -0.1,
            33_000.0,
            32_500.000_001,
            -6_378_137.3,
            1e39,
            -1e39,
            3.5e38,
        ];
        for x in xs {
            let (lo, hi) = (down(x), up(x));
            assert!(f64::from(lo) <= x && f64::from(hi) >= x, "{x}: {lo} {hi}");
            // Tight: the next float inwards would be on the wrong side.
            if lo.is_finite() && f64::from(lo) < x {
                assert!(
                    f64::from(f32::from_bits(lo.to_bits().wrapping_add(if lo >= 0.0 {
                        1
                    } else {
                        u32::MAX
                    }))) > x
                        || lo == 0.0,
                    "{x}"
                );
            }
        }
        // Exact values stay exact: bands of level aircraft are not widened.
        assert_eq!((down(32_500.0), up(33_500.0)), (32_500.0, 33_500.0));
    }

    #[test]
    fn radix_sort_sorts_on_the_bits_asked() {
        let mut v: Vec<u64> =
            (0..5000u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) << 8 | (i & 0xFF)).collect();
        let mut want = v.clone();
        want.sort_by_key(|x| x >> 8);
        radix_sort(&mut v, &mut Vec::new(), 8, 64);
        assert_eq!(
            v.iter().map(|x| x >> 8).collect::<Vec<_>>(),
            want.iter().map(|x| x >> 8).collect::<Vec<_>>()
        );
    }
}
