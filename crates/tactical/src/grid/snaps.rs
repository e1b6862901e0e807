//! Where the level tracks are in each time slice: for pairs of a vertical
//! and a level track ([`super`]).
//!
//! In a slice, each level track is entered in one cell: the cell of its
//! position at the middle of the slice, in its altitude bucket
//! ([`super::levels`]); a cell's buckets are adjacent in memory, so a
//! vertical track reads the buckets its band may overlap as one run. Its box over the slice extends at most
//! `e = vmax Δ/2 + inflation` (plus rounding) from that point on every axis, `vmax` being
//! the fastest level track and `Δ` the slice's length, so a vertical track's
//! box meets only level tracks entered in the cells its box, grown by `e`,
//! crosses, in the buckets its band may overlap. Each level track is in one
//! cell per slice, so a vertical track meets it at most once per slice.
//! Each slice's cells are built by the worker that scans the slice.

use std::ops::Range;

use super::levels::Levels;
use super::{Bx, Ctx, Ent, Slice, floor, up};

/// At most this many groups (bucket × cell) per level track (plus 64).
const GROUPS_PER_TRACK: usize = 2;

/// The level tracks' cells in one slice.
#[derive(Debug, Default)]
pub(crate) struct Snaps {
    /// Level tracks of group `(y · nx + x) · buckets + b`:
    /// `ent[start[g]..start[g + 1]]`, each with its box over the slice
    /// exactly as [`super`] computes it and its band over the look-ahead.
    start: Vec<u32>,
    ent: Vec<Ent>,
    buckets: usize,
    nx: usize,
    ny: usize,
    x0: f32,
    y0: f32,
    inv: f32,
    /// How far a box reaches from the position at the middle of the
    /// slice (m).
    reach: f32,
}

impl Snaps {
    /// Rebuilds the cells of `level` (indices into the scan's tracks, whose
    /// largest speed is `vmax`) in slice `sl`, reusing the buffers.
    pub(crate) fn build(&mut self, ctx: &Ctx<'_>, level: &[u32], levels: &Levels, sl: &Slice, vmax: f64) {
        self.start.clear();
        self.ent.clear();
        if level.is_empty() {
            return;
        }
        let kf = &ctx.local().kf;
        let slack = ctx.local().box_slack(ctx.cfg);
        let mid = 0.5 * (sl.t0f + sl.t1f);
        let half = 0.5 * (f64::from(sl.t1f) - f64::from(sl.t0f));
        self.reach = up(vmax * half * (1.0 + 1e-6) + f64::from(sl.rr) + slack);
        // Cells a little wider than twice the reach: a vertical track's
        // grown box crosses a few.
        let mut edge = 2.0 * self.reach + 1.0;
        let (mut x0, mut y0, mut x1, mut y1) =
            (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &i in level {
            let f = &kf[i as usize];
            let (x, y) = (f.q[0] + f.v[0] * mid, f.q[1] + f.v[1] * mid);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        self.buckets = levels.buckets();
        let limit = (GROUPS_PER_TRACK * level.len() + 64) as f64;
        let span = |lo: f32, hi: f32, e: f32| floor(f64::from(hi - lo) / f64::from(e)) + 1.0;
        while span(x0, x1, edge) * span(y0, y1, edge) * self.buckets as f64 > limit {
            edge *= 1.5;
        }
        (self.nx, self.ny) = (span(x0, x1, edge) as usize, span(y0, y1, edge) as usize);
        (self.x0, self.y0, self.inv) = (x0, y0, 1.0 / edge);
        let groups = self.buckets * self.nx * self.ny;
        self.start.reserve_exact(groups + 1);
        self.start.resize(groups + 1, 0);
        // The group of each level track (by position in the level list),
        // computed once; freed when built (large scans keep their peak).
        let mut group = Vec::with_capacity(level.len());
        for (&i, &bucket) in level.iter().zip(&levels.bucket) {
            let f = &kf[i as usize];
            let (cx, cy) = self.cell(f.q[0] + f.v[0] * mid, f.q[1] + f.v[1] * mid);
            let g = (cy * self.nx + cx) * self.buckets + bucket as usize;
            self.start[g + 1] += 1;
            group.push(g as u32);
        }
        for g in 0..groups {
            self.start[g + 1] += self.start[g];
        }
        self.ent.reserve_exact(self.start[groups] as usize);
        self.ent.resize(self.start[groups] as usize, Ent::default());
        for (&i, &g) in level.iter().zip(&group) {
            let g = g as usize;
            let slot = self.start[g] as usize;
            self.start[g] += 1;
            self.ent[slot] = Ent::new(&ctx.level_box(i, sl), i);
        }
        for g in (1..=groups).rev() {
            self.start[g] = self.start[g - 1];
        }
        self.start[0] = 0;
    }

    #[inline]
    fn cell(&self, x: f32, y: f32) -> (usize, usize) {
        let c = |v: f32, n: usize| (v as i32).clamp(0, n as i32 - 1) as usize;
        (c((x - self.x0) * self.inv, self.nx), c((y - self.y0) * self.inv, self.ny))
    }

    /// Calls `f` with every level track in the cells and buckets
    /// `buckets` that `b` may meet, and whether its box over the slice and
    /// band overlap `b` (no branch on it: see [`super::Four`]).
    #[inline]
    pub(crate) fn near(&self, buckets: Range<usize>, b: &Bx, mut f: impl FnMut(u32, bool)) {
        if self.ent.is_empty() || buckets.is_empty() {
            return;
        }
        let r = self.reach;
        let (x0, y0) = self.cell(b.lo[0] - r, b.lo[1] - r);
        let (x1, y1) = self.cell(b.hi[0] + r, b.hi[1] + r);
        let q = Ent::new(b, 0);
        for y in y0..=y1 {
            let row = y * self.nx * self.buckets;
            for x in x0..=x1 {
                let g = row + x * self.buckets;
                let (a0, a1) = (self.start[g + buckets.start] as usize, self.start[g + buckets.end] as usize);
                for e in &self.ent[a0..a1] {
                    f(e.id, (e.zlo < q.zhi) & (q.zlo < e.zhi) & super::boxes_meet(e, &q));
                }
            }
        }
    }
}
