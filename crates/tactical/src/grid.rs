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

fn swept(k: &Kin, cfg: &DetectionConfig) -> Swept {
    let t = cfg.lookahead_s;
    let end = geo::axpy(t, k.v, k.p);
    let travel = geo::dot(k.v, k.v).sqrt() * (t + k.age_s);
    // The straight path rises above the surface by at most travel²/2ρ.
    let rise = travel * travel / (2.0 * MIN_EARTH_RADIUS_M);
    let r = 0.51 * cfg.horizontal_m + 25.0 + rise;
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    for a in 0..3 {
        lo[a] = k.p[a].min(end[a]) - r;
        hi[a] = k.p[a].max(end[a]) + r;
    }
    let z_end = k.z_ft + k.w_fps * t;
    let dz = 0.5 * cfg.vertical_ft + 1e-6 * (1.0 + k.z_ft.abs());
    Swept { lo, hi, zlo: k.z_ft.min(z_end) - dz, zhi: k.z_ft.max(z_end) + dz }
}

/// Every conflicting pair, as indices into `ks` (lower id first).
pub(crate) fn candidate_conflicts(ks: &[Kin], cfg: &DetectionConfig) -> Vec<(u32, u32, PairGeometry)> {
    let n = ks.len();
    if n < 2 {
        return Vec::new();
    }
    // Order tracks by the bottom of their altitude band: index order is then
    // band order inside every cell.
    let mut order: Vec<(f64, u32)> = Vec::with_capacity(n);
    let mut boxes_unordered: Vec<Swept> = Vec::with_capacity(n);
    for (i, k) in ks.iter().enumerate() {
        let s = swept(k, cfg);
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
        let lo = [cell_coord(b.lo[0], inv_cell), cell_coord(b.lo[1], inv_cell), cell_coord(b.lo[2], inv_cell)];
        let hi = [cell_coord(b.hi[0], inv_cell), cell_coord(b.hi[1], inv_cell), cell_coord(b.hi[2], inv_cell)];
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
    let threads = cfg.threads.max(1);
    let mut out = if threads == 1 || entries.len() < 4096 {
        let mut out = Vec::new();
        for &(s, e) in &groups {
            ctx.sweep_cell(&entries[s..e], &mut out);
        }
        out
    } else {
        let chunks = split_by_cost(&groups, threads);
        let entries = &entries;
        let ctx = &ctx;
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for &(s, e) in chunk {
                            ctx.sweep_cell(&entries[s..e], &mut out);
                        }
                        out
                    })
                })
                .collect();
            let mut all = Vec::new();
            for h in handles {
                // A worker only panics if the exact test does, which it does
                // not; fall back to nothing rather than unwinding twice.
                if let Ok(mut v) = h.join() {
                    all.append(&mut v);
                }
            }
            all
        })
    };

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
    let mut ext: Vec<f64> = boxes
        .iter()
        .map(|b| (b.hi[0] - b.lo[0]).max(b.hi[1] - b.lo[1]).max(b.hi[2] - b.lo[2]))
        .collect();
    let mid = ext.len() / 2;
    let (_, m, _) = ext.select_nth_unstable_by(mid, f64::total_cmp);
    let c = *m;
    if c.is_finite() { c.max(MIN_CELL_M) } else { MIN_CELL_M }
}

/// Splits cells into `parts` contiguous chunks of roughly equal work
/// (members² per cell).
fn split_by_cost(groups: &[(usize, usize)], parts: usize) -> Vec<&[(usize, usize)]> {
    let cost = |g: &(usize, usize)| {
        let m = (g.1 - g.0) as u64;
        m * m
    };
    let total: u64 = groups.iter().map(cost).sum();
    let mut chunks = Vec::with_capacity(parts);
    let mut start = 0;
    let mut acc = 0u64;
    for (i, g) in groups.iter().enumerate() {
        acc += cost(g);
        let target = total * (chunks.len() as u64 + 1) / parts as u64;
        if acc >= target && chunks.len() + 1 < parts {
            chunks.push(&groups[start..=i]);
            start = i + 1;
        }
    }
    chunks.push(&groups[start..]);
    chunks
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
    fn sweep_cell(&self, members: &[u128], out: &mut Vec<(u32, u32, PairGeometry)>) {
        let key = (members[0] >> 32) as u64;
        for (a, &ea) in members.iter().enumerate() {
            let i = ea as u32 as usize;
            let bi = &self.boxes[i];
            for &eb in &members[a + 1..] {
                let j = eb as u32 as usize;
                let bj = &self.boxes[j];
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
                if let Some(p) = test_pair(self.ks, self.orig[i], self.orig[j], self.cfg) {
                    out.push(p);
                }
            }
        }
    }
}
