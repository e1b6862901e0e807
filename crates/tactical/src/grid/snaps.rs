//! Where the level tracks are in each time slice: for pairs of a vertical
//! and a level track ([`super`]), built once per scan.
//!
//! In slice `s`, each level track is entered in one cell: the cell of its
//! position at the middle of the slice, in its altitude bucket
//! ([`super::levels`]). Its box over the slice extends at most
//! `e = vmax Δ/2 + inflation` (plus rounding) from that point on every axis, `vmax` being
//! the fastest level track and `Δ` the slice's length, so a vertical track's
//! box meets only level tracks entered in the cells its box, grown by `e`,
//! crosses, in the buckets its band may overlap. Each level track is in one
//! cell per slice, so a vertical track meets it at most once per slice.

use super::levels::Levels;
use super::{Ctx, Slice, spatial, up};

/// At most this many groups (slice × bucket × cell) per level track and
/// slice (plus 64).
const GROUPS_PER_TRACK: usize = 2;

/// The level tracks' cells, slice by slice.
#[derive(Debug, Default)]
pub(crate) struct Snaps {
    /// Level tracks of group `((s · buckets + b) · ny + y) · nx + x`:
    /// `ids[start[g]..start[g + 1]]`.
    start: Vec<u32>,
    ids: Vec<u32>,
    /// The entries' boxes over their slice along the two horizontal axes,
    /// exactly as [`super`] computes them.
    lox: Vec<f32>,
    hix: Vec<f32>,
    loy: Vec<f32>,
    hiy: Vec<f32>,
    buckets: usize,
    nx: usize,
    ny: usize,
    x0: f32,
    y0: f32,
    inv: f32,
    /// Per slice: the middle time (s) and how far a box reaches from the
    /// position then (m).
    mid: Vec<f32>,
    reach: Vec<f32>,
}

impl Snaps {
    /// The cells of `level` (indices into the scan's tracks) in each slice.
    pub(crate) fn build(ctx: &Ctx<'_>, level: &[u32], levels: &Levels, slices: &[Slice]) -> Self {
        let mut out = Snaps::default();
        if level.is_empty() || slices.is_empty() {
            return out;
        }
        let kf = &ctx.local().kf;
        let vmax = level.iter().fold(0.0f64, |m, &i| {
            let v = &kf[i as usize].v;
            m.max(f64::from(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt())
        });
        let slack = ctx.local().box_slack(ctx.cfg);
        for s in slices {
            out.mid.push(0.5 * (s.t0f + s.t1f));
            let half = 0.5 * (f64::from(s.t1f) - f64::from(s.t0f));
            out.reach.push(up(vmax * half * (1.0 + 1e-6) + f64::from(s.rr) + slack));
        }
        // Cells a little wider than twice the reach: a vertical track's
        // grown box crosses a few.
        let mut edge = 2.0 * out.reach.iter().fold(0.0f32, |m, &r| m.max(r)) + 1.0;
        let (mut x0, mut y0, mut x1, mut y1) =
            (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &i in level {
            let f = &kf[i as usize];
            for &t in &out.mid {
                let (x, y) = (f.q[0] + f.v[0] * t, f.q[1] + f.v[1] * t);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        out.buckets = levels.buckets();
        let limit = (GROUPS_PER_TRACK * level.len() + 64) as f64;
        let span = |lo: f32, hi: f32, e: f32| (f64::from(hi - lo) / f64::from(e)).floor() + 1.0;
        while span(x0, x1, edge) * span(y0, y1, edge) * out.buckets as f64 > limit {
            edge *= 1.5;
        }
        (out.nx, out.ny) = (span(x0, x1, edge) as usize, span(y0, y1, edge) as usize);
        (out.x0, out.y0, out.inv) = (x0, y0, 1.0 / edge);
        let per_slice = out.buckets * out.nx * out.ny;
        let groups = per_slice * slices.len();
        out.start = vec![0; groups + 1];
        let group = |out: &Snaps, s: usize, k: usize, i: u32| {
            let f = &kf[i as usize];
            let t = out.mid[s];
            let (cx, cy) = out.cell(f.q[0] + f.v[0] * t, f.q[1] + f.v[1] * t);
            s * per_slice + (levels.bucket[k] as usize * out.ny + cy) * out.nx + cx
        };
        for s in 0..slices.len() {
            for (k, &i) in level.iter().enumerate() {
                let g = group(&out, s, k, i);
                out.start[g + 1] += 1;
            }
        }
        for g in 0..groups {
            out.start[g + 1] += out.start[g];
        }
        let total = out.start[groups] as usize;
        out.ids = vec![0; total];
        (out.lox, out.hix, out.loy, out.hiy) =
            (vec![0.0; total], vec![0.0; total], vec![0.0; total], vec![0.0; total]);
        for (s, sl) in slices.iter().enumerate() {
            for (k, &i) in level.iter().enumerate() {
                let g = group(&out, s, k, i);
                let slot = out.start[g] as usize;
                out.start[g] += 1;
                let b = spatial(&kf[i as usize], sl);
                out.ids[slot] = i;
                (out.lox[slot], out.hix[slot], out.loy[slot], out.hiy[slot]) =
                    (b.lo[0], b.hi[0], b.lo[1], b.hi[1]);
            }
        }
        for g in (1..=groups).rev() {
            out.start[g] = out.start[g - 1];
        }
        out.start[0] = 0;
        out
    }

    #[inline]
    fn cell(&self, x: f32, y: f32) -> (usize, usize) {
        let c = |v: f32, n: usize| (v as i32).clamp(0, n as i32 - 1) as usize;
        (c((x - self.x0) * self.inv, self.nx), c((y - self.y0) * self.inv, self.ny))
    }

    /// Calls `f` with every level track entered in slice `s` in bucket `b`
    /// whose box over the slice overlaps `lo..hi` along both horizontal
    /// axes.
    #[inline]
    pub(crate) fn near(&self, s: usize, b: usize, lo: [f32; 2], hi: [f32; 2], mut f: impl FnMut(u32)) {
        if self.ids.is_empty() {
            return;
        }
        let r = self.reach[s];
        let (x0, y0) = self.cell(lo[0] - r, lo[1] - r);
        let (x1, y1) = self.cell(hi[0] + r, hi[1] + r);
        let base = (s * self.buckets + b) * self.ny;
        for y in y0..=y1 {
            let row = (base + y) * self.nx;
            for x in x0..=x1 {
                let g = row + x;
                for k in self.start[g] as usize..self.start[g + 1] as usize {
                    if (self.lox[k] <= hi[0])
                        & (lo[0] <= self.hix[k])
                        & (self.loy[k] <= hi[1])
                        & (lo[1] <= self.hiy[k])
                    {
                        f(self.ids[k]);
                    }
                }
            }
        }
    }
}
