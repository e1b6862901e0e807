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
//! Boxes are inserted into the cells of a uniform 3-D grid over ECEF (no
//! projection, so no trouble at the poles or the antimeridian). Within a
//! cell, members are ordered by the bottom of their altitude band and swept,
//! so a member is only compared with those whose band overlaps. A pair is
//! examined only in the cell holding the minimum corner of its box
//! intersection, so every pair is examined at most once without a hash set.
//! Boxes spanning too many cells (absurd speeds, very stale reports) are
//! checked against everyone instead. Cells are shared among `threads`
//! scoped threads.

use crate::detect::{DetectionConfig, Kin, PairGeometry, test_pair};
use crate::geo::{self, V3};

/// A track's swept box (ECEF metres) and altitude band (feet).
#[derive(Debug, Clone, Copy)]
struct Swept {
    lo: V3,
    hi: V3,
    zlo: f64,
    zhi: f64,
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

/// Smallest radius of curvature of the WGS84 ellipsoid, rounded down (m).
const MIN_EARTH_RADIUS_M: f64 = 6.3e6;
/// Boxes covering more cells than this go to the everyone-list.
const MAX_CELLS_PER_BOX: i64 = 64;
/// Target travel per time slice, in horizontal minima.
const SLICE_TRAVEL_IN_R: f64 = 3.0;
/// Most time slices per scan.
const MAX_SLICES: usize = 8;
/// Bits per packed cell coordinate.
const BITS: u32 = 21;
/// Smallest cell edge (m): keeps packed coordinates within `BITS`.
const MIN_CELL_M: f64 = 8.0;

#[inline]
fn cell_coord(x: f64, inv_cell: f64) -> i64 {
    (x * inv_cell).floor() as i64
}

#[inline]
fn pack(c: [i64; 3]) -> u64 {
    let m = (1u64 << BITS) - 1;
    let off = 1i64 << (BITS - 1);
    let f = |v: i64| ((v + off) as u64) & m;
    (f(c[0]) << (2 * BITS)) | (f(c[1]) << BITS) | f(c[2])
}

#[inline]
fn key_of(p: V3, inv_cell: f64) -> u64 {
    pack([cell_coord(p[0], inv_cell), cell_coord(p[1], inv_cell), cell_coord(p[2], inv_cell)])
}

/// The swept box of `k` over the time slice `[t0, t1]` (seconds after the scan).
fn swept(k: &Kin, cfg: &DetectionConfig, t0: f64, t1: f64) -> Swept {
    let start = geo::axpy(t0, k.v, k.p);
    let end = geo::axpy(t1, k.v, k.p);
    let travel = geo::dot(k.v, k.v).sqrt() * (t1 + k.age_s);
    // The straight path rises above the surface by at most travel²/2ρ.
    let rise = travel * travel / (2.0 * MIN_EARTH_RADIUS_M);
    let r = 0.51 * cfg.horizontal_m + 25.0 + rise;
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    for a in 0..3 {
        lo[a] = start[a].min(end[a]) - r;
        hi[a] = start[a].max(end[a]) + r;
    }
    let z0 = k.z_ft + k.w_fps * t0;
    let z1 = k.z_ft + k.w_fps * t1;
    let dz = 0.5 * cfg.vertical_ft + 1e-6 * (1.0 + k.z_ft.abs());
    Swept { lo, hi, zlo: z0.min(z1) - dz, zhi: z0.max(z1) + dz }
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
/// `R` and `H`, so their boxes in that slice overlap. Slices run on
/// `cfg.threads` scoped threads.
pub(crate) fn candidate_conflicts(ks: &[Kin], cfg: &DetectionConfig) -> Vec<(u32, u32, PairGeometry)> {
    if ks.len() < 2 {
        return Vec::new();
    }
    let slices = slice_count(ks, cfg);
    let dt = cfg.lookahead_s / slices as f64;
    let run = |s: usize| {
        let slice_of = |t: f64| ((t.max(0.0) / dt).floor() as usize).min(slices - 1);
        let mut out = slice_conflicts(ks, cfg, s as f64 * dt, (s + 1) as f64 * dt);
        out.retain(|(_, _, g)| slice_of(g.t_in) == s);
        out
    };
    let threads = cfg.threads.max(1).min(slices);
    if threads == 1 || ks.len() < 2048 {
        return (0..slices).flat_map(run).collect();
    }
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| scope.spawn(move || (w..slices).step_by(threads).flat_map(run).collect::<Vec<_>>()))
            .collect();
        let mut all = Vec::new();
        for h in handles {
            // Workers do not panic (the exact test cannot); a failed join
            // would lose pairs, so fall back to computing them here.
            match h.join() {
                Ok(mut v) => all.append(&mut v),
                Err(_) => return (0..slices).flat_map(run).collect(),
            }
        }
        all
    })
}

/// Every pair conflicting at all whose boxes swept over `[t0, t1]` overlap.
fn slice_conflicts(ks: &[Kin], cfg: &DetectionConfig, t0: f64, t1: f64) -> Vec<(u32, u32, PairGeometry)> {
    let n = ks.len();
    // Order tracks by the bottom of their altitude band: index order is then
    // band order inside every cell.
    let mut order: Vec<(f64, u32)> = Vec::with_capacity(n);
    let mut boxes_unordered: Vec<Swept> = Vec::with_capacity(n);
    for (i, k) in ks.iter().enumerate() {
        let s = swept(k, cfg, t0, t1);
        order.push((s.zlo, i as u32));
        boxes_unordered.push(s);
    }
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let orig: Vec<u32> = order.iter().map(|&(_, i)| i).collect();
    let boxes: Vec<Swept> = orig.iter().map(|&i| boxes_unordered[i as usize]).collect();
    drop(boxes_unordered);

    let cell = cell_size(&boxes);
    let inv_cell = 1.0 / cell;

    let mut entries: Vec<u128> = Vec::with_capacity(n * 4);
    let mut oversized: Vec<u32> = Vec::new();
    for (k, b) in boxes.iter().enumerate() {
        let lo =
            [cell_coord(b.lo[0], inv_cell), cell_coord(b.lo[1], inv_cell), cell_coord(b.lo[2], inv_cell)];
        let hi =
            [cell_coord(b.hi[0], inv_cell), cell_coord(b.hi[1], inv_cell), cell_coord(b.hi[2], inv_cell)];
        let span = |a: usize| hi[a].saturating_sub(lo[a]).saturating_add(1);
        let count = span(0).saturating_mul(span(1)).saturating_mul(span(2));
        if count > MAX_CELLS_PER_BOX {
            oversized.push(k as u32);
            continue;
        }
        for x in lo[0]..=hi[0] {
            for y in lo[1]..=hi[1] {
                for z in lo[2]..=hi[2] {
                    entries.push((u128::from(pack([x, y, z])) << 32) | k as u128);
                }
            }
        }
    }
    entries.sort_unstable();

    // Cells with at least two members.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let key = entries[start] >> 32;
        let mut end = start + 1;
        while end < entries.len() && entries[end] >> 32 == key {
            end += 1;
        }
        if end - start >= 2 {
            groups.push((start, end));
        }
        start = end;
    }

    let ctx = Ctx { ks, cfg, boxes: &boxes, orig: &orig, inv_cell };
    let mut out = Vec::new();
    let mut local = Vec::new();
    for &(s, e) in &groups {
        ctx.sweep_cell(&entries[s..e], &mut local, &mut out);
    }

    // Oversized boxes against everyone (pairs of two oversized boxes once).
    let mut is_oversized = vec![false; n];
    for &k in &oversized {
        is_oversized[k as usize] = true;
    }
    for &o in &oversized {
        let bo = &boxes[o as usize];
        for (k, bk) in boxes.iter().enumerate() {
            let k = k as u32;
            if k == o || (is_oversized[k as usize] && k < o) || !bo.overlaps(bk) {
                continue;
            }
            if let Some(p) = test_pair(ks, orig[o as usize], orig[k as usize], cfg) {
                out.push(p);
            }
        }
    }
    out
}

/// Cell edge: about the median largest extent of a swept box, so a typical
/// box covers 2×2×2 cells.
fn cell_size(boxes: &[Swept]) -> f64 {
    let mut ext: Vec<f64> =
        boxes.iter().map(|b| (b.hi[0] - b.lo[0]).max(b.hi[1] - b.lo[1]).max(b.hi[2] - b.lo[2])).collect();
    let mid = ext.len() / 2;
    let (_, m, _) = ext.select_nth_unstable_by(mid, f64::total_cmp);
    let c = *m;
    if c.is_finite() { c.max(MIN_CELL_M) } else { MIN_CELL_M }
}

struct Ctx<'a> {
    ks: &'a [Kin],
    cfg: &'a DetectionConfig,
    boxes: &'a [Swept],
    orig: &'a [u32],
    inv_cell: f64,
}

impl Ctx<'_> {
    /// Examines the pairs of one cell whose box intersection starts in it.
    /// Members are first gathered into `local` so the quadratic part runs
    /// on contiguous memory.
    fn sweep_cell(
        &self,
        members: &[u128],
        local: &mut Vec<(Swept, u32)>,
        out: &mut Vec<(u32, u32, PairGeometry)>,
    ) {
        let key = (members[0] >> 32) as u64;
        local.clear();
        local.extend(members.iter().map(|&e| {
            let k = e as u32 as usize;
            (self.boxes[k], self.orig[k])
        }));
        for (a, (bi, oi)) in local.iter().enumerate() {
            for (bj, oj) in &local[a + 1..] {
                // Members are in band order: once a band starts at or above
                // the top of i's band, no later member overlaps it.
                if bj.zlo >= bi.zhi {
                    break;
                }
                if !bi.overlaps(bj) {
                    continue;
                }
                let corner = [bi.lo[0].max(bj.lo[0]), bi.lo[1].max(bj.lo[1]), bi.lo[2].max(bj.lo[2])];
                if key_of(corner, self.inv_cell) != key {
                    continue;
                }
                if let Some(p) = test_pair(self.ks, *oi, *oj, self.cfg) {
                    out.push(p);
                }
            }
        }
    }
}
