//! Spatial pruning for the pruned scan ([`crate::detect()`]).
//!
//! Every regular track ([`local`]) is either *level* (vertical travel
//! over the look-ahead at most `H/4`) or *vertical*. Pairs of level tracks
//! are examined once over the whole look-ahead ([`levels`]); every
//! pair involving a vertical track is examined here, in time slices, so
//! that a climbing aircraft's altitude band stays short.
//!
//! ## Boxes and bands
//!
//! Over a time window, a track's *swept box* is the axis-aligned box of its
//! straight motion in the local frame, inflated on every axis by `X/2` plus
//! rounding margins, where `X` bounds the 3-D distance of two tracks whose
//! horizontal distance is below `R` ([`local`]); its altitude band
//! is `[min alt, max alt] ± H/2` over the window. If two tracks infringe
//! both minima at some instant of the window, their boxes overlap and their
//! bands overlap strictly. Boxes are computed in single precision from
//! single-precision positions and velocities, the rounding allowance being
//! in the inflation. Bands are computed in f64 and rounded outwards to
//! single precision with no slack: the exact test asks for a vertical
//! distance below `H` by 10⁻¹² of the magnitudes involved
//! ([`mod@crate::detect`]), so two level aircraft one minimum apart (adjacent
//! flight levels) are never even compared.
//!
//! ## Slices
//!
//! The look-ahead is cut into slices (about one per `2R` of median travel
//! or `3H` of median climb of the vertical tracks, fewer in sparse
//! pictures, where each slice's cells cost more than the shorter boxes
//! save: [`slices`]). In each slice the
//! vertical tracks' boxes go into every cell of a uniform grid they cross
//! (cells about a median box wide, in band order within a cell) and
//! vertical pairs are swept within cells; a pair is examined only in the
//! cell holding the lower corner of the two boxes' intersection, so once
//! per slice. The grid is 2-D (the frame's two horizontal axes) unless the
//! picture extends beyond 60° from the frame's up axis. The same worker
//! then puts the level tracks of the slice in cells ([`snaps`]) and each
//! vertical track's box reads the cells and altitude buckets it may meet.
//!
//! ## Threads
//!
//! A small scan gives level groups and slices as items to whoever is free,
//! each worker with its own cells. A large one ([`PHASED_FROM`] tracks)
//! runs in phases so that far less is alive at once: the
//! level pairs, window by window of altitude buckets (each worker builds
//! the groups of the windows it takes in the same buffers, a few MB that
//! stay in the cache, instead of all groups at once: 90 MB less fresh
//! memory at 1,000,000 tracks), then each slice in turn, its cells built
//! once (the level tracks' on a second thread, if any) and read by every
//! worker. Each worker keeps its pairs in [`Found`] blocks, allocated once
//! each.
//!
//! ## Filters
//!
//! A pair whose boxes and bands overlap gets, in order:
//! 1. the closed-form closest-approach filter of
//!    [`Local::passes`] (single
//!    precision, no trigonometry, the whole look-ahead);
//! 2. in a slice, a check that their boxes did not overlap in the previous
//!    slice too (boxes are recomputed by the same function, so
//!    bit-identical): a pair is tested in the first slice of each run of
//!    slices where its boxes overlap (in exact arithmetic the run is one
//!    interval; a duplicate from a rounding gap is removed when the report
//!    is sorted);
//! 3. the exact test.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

mod levels;
mod local;
mod snaps;

use crate::detect::{DetectionConfig, Kin, PairGeometry, test_pair};
use crate::track::Position;
use levels::{Groups, Levels};
use local::{Approach, Kf, Local};
use snaps::Snaps;

use crate::par::on_each;

/// The largest single-precision float not above `x` (finite `x`; beyond
/// the single-precision range, the infinity or `MAX` on its side).
#[inline]
pub(crate) fn down(x: f64) -> f32 {
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

/// `x.floor()`, without the library call the baseline x86-64 target makes
/// of it (no rounding instruction): by a conversion to an integer below
/// 2⁵², where every larger float is an integer already (or infinite, or
/// NaN, returned as they are). `-0.0` gives `0.0`.
#[inline]
pub(crate) fn floor(x: f64) -> f64 {
    const INTEGRAL_FROM: f64 = 4_503_599_627_370_496.0;
    if x.abs() < INTEGRAL_FROM {
        let t = x as i64 as f64;
        if t > x { t - 1.0 } else { t }
    } else {
        x
    }
}

/// The smallest single-precision float not below `x` (see [`down`]).
#[inline]
pub(crate) fn up(x: f64) -> f32 {
    -down(-x)
}

/// Most time slices per scan.
const MAX_SLICES: usize = 8;
/// Target median travel of a vertical track per slice, in horizontal minima.
const SLICE_TRAVEL_IN_R: f64 = 2.0;
/// Target median climb of a vertical track per slice, in vertical minima.
const SLICE_CLIMB_IN_H: f64 = 3.0;
/// Cell edge in median box extents.
const CELL_IN_MEDIAN_BOXES: f32 = 1.0;
/// Grids have at most this many cells per vertical track (plus 64).
const CELLS_PER_TRACK: usize = 4;
/// From this many tracks on, a scan is done in phases ([`Ctx::phased`]),
/// not as items given to whoever is free.
const PHASED_FROM: usize = 100_000;
/// Most level tracks in a window of level buckets (one bucket may hold
/// more): the groups of 32,768 tracks take about 2.5 MB.
const LEVEL_WINDOW_TRACKS: usize = 1 << 15;
/// Below this many tracks, one thread.
const THREADS_FROM: usize = 2048;
/// A track is level when it climbs or descends by at most this fraction of
/// the vertical minimum over the look-ahead.
const LEVEL_IN_H: f64 = 0.25;

/// The band of a track that is not level: empty, so it overlaps nothing.
const NO_BAND: (f32, f32) = (f32::INFINITY, f32::NEG_INFINITY);

/// A track's swept box over a window (local frame, m) and altitude band (ft).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bx {
    pub lo: [f32; 3],
    pub hi: [f32; 3],
    pub zlo: f32,
    pub zhi: f32,
}

impl Bx {
    /// The largest extent along the grid's axes.
    fn extent(&self, three_d: bool) -> f32 {
        let e = (self.hi[0] - self.lo[0]).max(self.hi[1] - self.lo[1]);
        if three_d { e.max(self.hi[2] - self.lo[2]) } else { e }
    }

    #[inline]
    fn overlaps(&self, o: &Bx) -> bool {
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

/// A time window `[t0, t1]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slice {
    t0: f64,
    t1: f64,
    /// `t0` rounded down and `t1` up to single precision.
    pub t0f: f32,
    pub t1f: f32,
    /// Box inflation (m).
    pub rr: f32,
    /// `H/2` (ft).
    half_h: f64,
}

impl Slice {
    fn new(local: &Local, cfg: &DetectionConfig, t0: f64, t1: f64) -> Self {
        Slice {
            t0,
            t1,
            t0f: down(t0).max(0.0),
            t1f: up(t1),
            rr: local.inflation(cfg, t1),
            half_h: 0.5 * cfg.vertical_ft,
        }
    }
}

/// The swept box of a track over a window, without its band.
#[inline(always)]
pub(crate) fn spatial(f: &Kf, s: &Slice) -> Bx {
    let mut b = Bx::default();
    for a in 0..3 {
        let p0 = f.q[a] + f.v[a] * s.t0f;
        let p1 = f.q[a] + f.v[a] * s.t1f;
        let (l, h) = if p0 < p1 { (p0, p1) } else { (p1, p0) };
        b.lo[a] = l - s.rr;
        b.hi[a] = h + s.rr;
    }
    b
}

/// The altitude band of a track over `[t0, t1]`: its altitudes then,
/// `± half_h`, rounded outwards to single precision.
#[inline(always)]
pub(crate) fn band(k: &Kin, t0: f64, t1: f64, half_h: f64) -> (f32, f32) {
    let z0 = k.z_ft + k.w_fps * t0;
    let z1 = k.z_ft + k.w_fps * t1;
    let (l, h) = if z0 < z1 { (z0, z1) } else { (z1, z0) };
    (down(l - half_h), up(h + half_h))
}

/// The swept box of a track over a window.
#[inline(always)]
pub(crate) fn swept(f: &Kf, k: &Kin, s: &Slice) -> Bx {
    let mut b = spatial(f, s);
    (b.zlo, b.zhi) = band(k, s.t0, s.t1, s.half_h);
    b
}

/// One cell entry: a box and its track.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ent {
    pub zlo: f32,
    pub zhi: f32,
    pub lox: f32,
    pub hix: f32,
    pub loy: f32,
    pub hiy: f32,
    pub loz: f32,
    pub hiz: f32,
    pub id: u32,
    /// Bit `a` set when the box starts in this entry's cell along axis `a`
    /// (always for an axis the grid does not cut); in the level tracks'
    /// groups ([`levels`]), bit 0 alone: the box starts in this stripe.
    pub own: u8,
}

impl Ent {
    pub(crate) fn new(b: &Bx, id: u32) -> Self {
        Ent {
            zlo: b.zlo,
            zhi: b.zhi,
            lox: b.lo[0],
            hix: b.hi[0],
            loy: b.lo[1],
            hiy: b.hi[1],
            loz: b.lo[2],
            hiz: b.hi[2],
            id,
            own: ALL_AXES,
        }
    }
}

/// Every axis bit of [`Ent::own`].
const ALL_AXES: u8 = 7;

/// Whether a pair of entries of a cell is examined there: the cell holds
/// the lower corner of their boxes' intersection, whose cell is, the cell
/// map being monotone, the larger of their lower cells on every axis.
#[inline(always)]
fn owned(p: &Ent, q: &Ent) -> bool {
    (p.own | q.own) == ALL_AXES
}

/// [`Ent::own`] of a box starting in cell `lo` entered in cell `c`.
#[inline(always)]
fn own_bits(lo: [usize; 3], c: [usize; 3]) -> u8 {
    u8::from(lo[0] == c[0]) | (u8::from(lo[1] == c[1]) << 1) | (u8::from(lo[2] == c[2]) << 2)
}

/// How coordinates map to cells: `floor((x − min) / edge)`, clamped.
/// Monotone, so the cell of a point inside a box lies in the box's range.
#[derive(Debug, Clone, Copy)]
struct Cut {
    min: [f32; 3],
    inv: f32,
    last: [usize; 3],
    three_d: bool,
}

impl Cut {
    #[inline]
    fn axis(&self, a: usize, x: f32) -> usize {
        let v = (x - self.min[a]) * self.inv;
        // Negative to 0 (the cast saturates), beyond to the last.
        (v as i32).clamp(0, self.last[a] as i32) as usize
    }

    #[inline]
    fn cell(&self, p: &[f32; 3]) -> [usize; 3] {
        [self.axis(0, p[0]), self.axis(1, p[1]), if self.three_d { self.axis(2, p[2]) } else { 0 }]
    }
}

/// The median of a sample of `f` over `v` (at most 1,024 values), and the
/// largest value of the sample.
fn sample_median<T>(v: &[T], f: impl Fn(&T) -> f64) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let step = (v.len() / 1024).max(1);
    let mut s: Vec<f64> = v.iter().step_by(step).map(f).collect();
    let largest = s.iter().fold(0.0f64, |m, &x| m.max(x));
    let mid = s.len() / 2;
    (*s.select_nth_unstable_by(mid, f64::total_cmp).1, largest)
}

/// The slices for the vertical tracks `vertical` among `local`'s regular
/// tracks.
///
/// Their count starts from the median travel and climb of the vertical
/// tracks. More slices mean shorter boxes and bands, so fewer tracks met
/// per vertical track and slice, but each slice builds the cells of every
/// track: where a vertical track's travel meets few tracks, the cells cost
/// more than the meetings saved, and the count is cut by
/// `(m / SPARSE_MEETINGS)^SPARSE_POWER` (at most 1), `m` being the tracks
/// within its travel (plus `X`) around it at the picture's density. On this
/// machine, 10,000 tracks over 600 km × 600 km (`m` about 160) were fastest
/// in 2 slices, a tenth faster than in 3; over 300 km, in 2 to 4 alike;
/// over 100 km (`m` about 5,900), in 3. 1,000,000 tracks over
/// 6,000 km × 6,000 km (as dense as the first) take 2 too, a fifth faster
/// than in 3 (median of ten runs in turn), for a peak of 375–384 MB
/// instead of 372–379 MB: larger boxes cross more cells.
fn slices(ks: &[Kin], local: &Local, cfg: &DetectionConfig, vertical: &[u32]) -> Vec<Slice> {
    let t = cfg.lookahead_s;
    let k = |i: &u32| &ks[*i as usize];
    let (travel, _) = sample_median(vertical, |i| {
        let k = k(i);
        (k.v[0] * k.v[0] + k.v[1] * k.v[1] + k.v[2] * k.v[2]).sqrt() * t
    });
    let (climb, _) = sample_median(vertical, |i| k(i).w_fps.abs() * t);
    let s =
        (travel / (SLICE_TRAVEL_IN_R * cfg.horizontal_m)).max(climb / (SLICE_CLIMB_IN_H * cfg.vertical_ft));
    let near = 2.0 * f64::from(local.inflation(cfg, t)) + travel;
    let regular = (local.level.len() + vertical.len()) as f64;
    // A picture with no extent is as dense as can be (`m` infinite).
    let m = regular * near * near / regular_area(local);
    let sparse = (m / SPARSE_MEETINGS).powf(SPARSE_POWER).min(1.0);
    let s = (s * sparse).round();
    let count = if s.is_finite() { (s as usize).clamp(1, MAX_SLICES) } else { 1 };
    let dt = t / count as f64;
    (0..count)
        .map(|s| {
            let t1 = if s + 1 == count { t } else { (s + 1) as f64 * dt };
            Slice::new(local, cfg, s as f64 * dt, t1)
        })
        .collect()
}

/// Tracks met along a vertical track's travel from which the slice count
/// is that of travel and climb alone (see [`slices`]).
const SPARSE_MEETINGS: f64 = 1000.0;
/// How fast the slice count falls below [`SPARSE_MEETINGS`].
const SPARSE_POWER: f64 = 0.2;

/// The horizontal area (m², frame axes) of the box around a sample of the
/// regular tracks' positions (about 1,024 of each kind at most).
fn regular_area(local: &Local) -> f64 {
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for tracks in [&local.level, &local.vertical] {
        for &i in tracks.iter().step_by((tracks.len() / 1024).max(1)) {
            let q = local.kf[i as usize].q;
            for a in 0..2 {
                (lo[a], hi[a]) = (lo[a].min(q[a]), hi[a].max(q[a]));
            }
        }
    }
    f64::from(hi[0] - lo[0]) * f64::from(hi[1] - lo[1])
}

/// Every conflicting pair, as indices into `ks` (lower id first; a pair
/// may appear twice, see the module docs).
pub(crate) fn candidate_conflicts(ks: &[Kin], cfg: &DetectionConfig) -> Vec<(u32, u32, PairGeometry)> {
    candidate_conflicts_in(ks, cfg, PHASED_FROM)
}

/// [`candidate_conflicts`], in phases from `phased_from` tracks on.
fn candidate_conflicts_in(ks: &[Kin], cfg: &DetectionConfig, phased_from: usize) -> Pairs {
    if ks.len() < 2 {
        return Vec::new();
    }
    let threads = if ks.len() < THREADS_FROM { 1 } else { cfg.threads.max(1) };
    // The frame also sorts the regular tracks into level and vertical ones
    // and gives the level ones their band, on every thread.
    let local = Local::new(ks, cfg, threads);
    let (level, vertical) = (&local.level[..], &local.vertical[..]);
    let phased = ks.len() >= phased_from;
    let sl = if vertical.is_empty() { Vec::new() } else { slices(ks, &local, cfg, vertical) };
    let mut ctx = Ctx {
        ks,
        cfg,
        local: &local,
        slices: &sl,
        vertical,
        band: &local.band,
        level,
        level_vmax: local.level_vmax,
        levels: None,
    };
    let levels = Levels::build(&ctx, level);
    ctx.levels = Some(&levels);
    let ctx = ctx;
    let mut parts: Vec<Found> = (0..threads).map(|_| Found::default()).collect();
    let done = if phased { ctx.phased(&levels, &mut parts) } else { ctx.together(&levels, &mut parts) };
    if !done {
        // Workers do not panic (the tests cannot); a failed one would
        // lose pairs, so everything is done again on this thread.
        return candidate_conflicts(ks, &DetectionConfig { threads: 1, ..*cfg });
    }
    let mut out = Found::join(parts);
    ctx.irregular_pairs(&mut out);
    out
}

/// Found pairs (indices into the scan's tracks, lower id first).
type Pairs = Vec<(u32, u32, PairGeometry)>;

/// Pairs per block of [`Found`] (40 MiB: an allocation that large is mapped
/// on its own, so only the pages written count, and freeing it gives them
/// back).
const FOUND_BLOCK: usize = 1 << 20;

/// Pairs in the first block of a [`Found`] (10 MiB): enough for most
/// scans (a worker's share of the 246,230 pairs of 10,000 tracks over
/// 100 km × 100 km), and small enough for the allocator to keep it from
/// one scan to the next, its pages already mapped, once a block that size
/// was freed (glibc's mapping threshold grows to at most 32 MiB). With
/// 2.5 MiB, that scan's pages faulted in anew each time: about 2,000 page
/// faults a scan and 12 % of its time.
const FOUND_FIRST: usize = 1 << 18;

/// The pairs one worker finds, in blocks allocated once each: a vector
/// grown by doubling frees every smaller buffer on the way, memory the
/// allocator may keep.
#[derive(Default)]
pub(crate) struct Found {
    full: Vec<Pairs>,
    last: Pairs,
}

impl Found {
    #[inline]
    pub(crate) fn push(&mut self, p: (u32, u32, PairGeometry)) {
        if self.last.len() == self.last.capacity() {
            self.grow();
        }
        self.last.push(p);
    }

    #[cold]
    fn grow(&mut self) {
        let size = if self.last.capacity() == 0 { FOUND_FIRST } else { FOUND_BLOCK };
        let block = std::mem::replace(&mut self.last, Vec::with_capacity(size));
        if !block.is_empty() {
            self.full.push(block);
        }
    }

    /// Every pair of `parts`, in the largest block grown to hold the others
    /// (growing a block moves its pages rather than copying them).
    fn join(parts: Vec<Found>) -> Pairs {
        let mut blocks: Vec<Pairs> =
            parts.into_iter().flat_map(|f| f.full.into_iter().chain(std::iter::once(f.last))).collect();
        let largest = (0..blocks.len()).max_by_key(|&k| blocks[k].len()).unwrap_or(0);
        let Some(mut out) = (!blocks.is_empty()).then(|| blocks.swap_remove(largest)) else {
            return Vec::new();
        };
        out.reserve_exact(blocks.iter().map(Vec::len).sum());
        for block in blocks {
            out.extend_from_slice(&block);
        }
        out
    }
}

/// What every part of a scan shares.
pub(crate) struct Ctx<'a> {
    ks: &'a [Kin],
    pub(crate) cfg: &'a DetectionConfig,
    local: &'a Local,
    slices: &'a [Slice],
    vertical: &'a [u32],
    /// The band over the whole look-ahead of each level track
    /// ([`NO_BAND`] for another track).
    band: &'a [(f32, f32)],
    /// The level tracks and their largest speed (m/s).
    level: &'a [u32],
    level_vmax: f64,
    levels: Option<&'a Levels>,
}

impl Ctx<'_> {
    /// The scan on `outs.len()` threads, each adding the pairs it finds to
    /// its own element of `outs`: the level tracks' groups, slices and
    /// level groups are items given to whoever is free, each worker with
    /// its own cells (small scans: the fewest waits). The groups are the
    /// first item, so that they are built while another worker scans a
    /// slice; a worker reaching the level pairs before they are built
    /// waits for them. False when a worker panicked.
    fn together(&self, levels: &Levels, outs: &mut [Found]) -> bool {
        let parts = 4 * outs.len();
        let groups = OnceLock::new();
        let groups = || {
            groups.get_or_init(|| {
                let mut g = Groups::default();
                g.build(levels, self, self.level, 0..levels.buckets());
                let bounds = Levels::chunks(&g, parts);
                (g, bounds)
            })
        };
        // The groups, then the slices (the larger items), then the level
        // pairs in at most `parts` runs.
        let items = 1 + self.slices.len() + parts;
        let next = AtomicUsize::new(0);
        let workers = outs.len().min(items).max(1);
        let outs = &mut outs[..workers];
        on_each(outs, |out| {
            let (mut sc, mut snaps) = (Scratch::default(), Snaps::default());
            loop {
                let item = next.fetch_add(1, Ordering::Relaxed);
                if item >= items {
                    break;
                }
                if item == 0 {
                    groups();
                } else if item <= self.slices.len() {
                    self.slice(item - 1, &mut sc, &mut snaps, out);
                } else {
                    let c = item - 1 - self.slices.len();
                    let (g, bounds) = groups();
                    if c + 1 < bounds.len() {
                        levels.sweep(g, self, bounds[c]..bounds[c + 1], out);
                    }
                }
            }
        })
    }

    /// The scan on `outs.len()` threads in two phases, so that far fewer
    /// structures are alive at once (large scans): the level pairs, window
    /// by window, then each slice in turn, its cells built once (the level
    /// tracks' on another thread when there are several) and read by every
    /// worker. False when a worker panicked.
    fn phased(&self, levels: &Levels, outs: &mut [Found]) -> bool {
        let windows = levels.windows(self.level.len().div_ceil(4 * outs.len()).min(LEVEL_WINDOW_TRACKS));
        let next = AtomicUsize::new(0);
        let ok = on_each(outs, |out| {
            let mut groups = Groups::default();
            loop {
                let w = next.fetch_add(1, Ordering::Relaxed);
                if w >= windows.len() {
                    break;
                }
                groups.build(levels, self, self.level, windows[w].clone());
                levels.sweep(&groups, self, groups.swept_groups(), out);
            }
        });
        if !ok {
            return false;
        }
        let (mut sc, mut snaps) = (Scratch::default(), Snaps::default());
        for s in 0..self.slices.len() {
            let sl = &self.slices[s];
            let built = if outs.len() == 1 {
                snaps.build(self, self.level, levels, sl, self.level_vmax);
                Some(self.build(s, &mut sc, true))
            } else {
                crate::par::join(
                    || snaps.build(self, self.level, levels, sl, self.level_vmax),
                    || self.build(s, &mut sc, true),
                )
                .map(|((), grid)| grid)
            };
            let Some(grid) = built else { return false };
            let parts = 16 * outs.len();
            let (cells, vertical) = (grid.cells(), self.vertical.len());
            let next = AtomicUsize::new(0);
            let snaps = &snaps;
            let ok = on_each(outs, |out| {
                loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= parts {
                        break;
                    }
                    let part = |n: usize| n * c / parts..n * (c + 1) / parts;
                    grid.sweep_vertical(part(cells), out);
                    self.vertical_against_levels(s, levels, snaps, grid.boxes, part(vertical), out);
                }
            });
            if !ok {
                return false;
            }
        }
        true
    }

    /// The scan's local frame and bounds.
    pub(crate) fn local(&self) -> &Local {
        self.local
    }

    /// The window `[0, T]`.
    pub(crate) fn whole(&self) -> Slice {
        Slice::new(self.local, self.cfg, 0.0, self.cfg.lookahead_s)
    }

    /// The swept box of track `i` over `s`.
    #[inline]
    pub(crate) fn swept_of(&self, i: u32, s: &Slice) -> Bx {
        swept(&self.local.kf[i as usize], &self.ks[i as usize], s)
    }

    /// Track `i` as prepared.
    #[inline]
    pub(crate) fn kin(&self, i: u32) -> &Kin {
        &self.ks[i as usize]
    }

    /// The box of level track `i` over `s` with its band over the whole
    /// look-ahead (as the level tracks' groups and cells hold it; over the
    /// whole look-ahead, its swept box), read from the frame's tracks and
    /// bands alone.
    #[inline]
    pub(crate) fn level_box(&self, i: u32, s: &Slice) -> Bx {
        let mut b = spatial(&self.local.kf[i as usize], s);
        (b.zlo, b.zhi) = self.band[i as usize];
        b
    }

    /// The band over the whole look-ahead of level track `i` (an empty one
    /// for another track).
    #[inline]
    pub(crate) fn band_of(&self, i: u32) -> (f32, f32) {
        self.band[i as usize]
    }

    /// Whether level track `j`'s box in slice `s` (swept over the slice,
    /// with its band over the whole look-ahead, as the slice's cells hold
    /// it) overlaps `b`, axis by axis.
    #[inline(always)]
    fn level_meets(&self, j: u32, s: &Slice, b: &Bx) -> bool {
        let f = &self.local.kf[j as usize];
        for a in 0..3 {
            let p0 = f.q[a] + f.v[a] * s.t0f;
            let p1 = f.q[a] + f.v[a] * s.t1f;
            let (l, h) = if p0 < p1 { (p0, p1) } else { (p1, p0) };
            if !((l - s.rr <= b.hi[a]) & (b.lo[a] <= h + s.rr)) {
                return false;
            }
        }
        // False for a track without a band (`NO_BAND` overlaps nothing).
        let (zlo, zhi) = self.band[j as usize];
        zlo < b.zhi && b.zlo < zhi
    }

    /// Irregular tracks against everyone (pairs of two irregular ones once).
    fn irregular_pairs(&self, out: &mut Vec<(u32, u32, PairGeometry)>) {
        let irr = &self.local.irregular;
        if irr.is_empty() {
            return;
        }
        let mut is_irr = vec![false; self.ks.len()];
        for &i in irr {
            is_irr[i as usize] = true;
        }
        for &i in irr {
            for j in 0..self.ks.len() as u32 {
                if j == i || (is_irr[j as usize] && j < i) {
                    continue;
                }
                if let Some(p) = test_pair(self.ks, i, j, self.cfg) {
                    out.push(p);
                }
            }
        }
    }

    /// `then(j)` for each track `j` of `js` that passes closest-approach
    /// filter `f` with track `i`: four at once as vector lanes, fewer one
    /// by one.
    #[inline(always)]
    fn filter_each(&self, f: Approach, i: u32, js: &[u32], then: impl FnMut(u32)) {
        self.filter_in(&self.local.kf, f, i, js, then);
    }

    /// [`Ctx::filter_each`] on the tracks `kf` (the frame's, or copies of
    /// some of them), `i` and `js` being positions in it.
    #[inline(always)]
    pub(crate) fn filter_in(&self, kf: &[Kf], f: Approach, i: u32, js: &[u32], mut then: impl FnMut(u32)) {
        let local = self.local;
        let fi = &kf[i as usize];
        if let Ok(js) = <&[u32; 4]>::try_from(js) {
            for (&j, ok) in js.iter().zip(local.passes(f, fi, js.map(|j| &kf[j as usize]))) {
                if ok {
                    then(j);
                }
            }
        } else {
            for &j in js {
                if local.passes(f, fi, [&kf[j as usize]])[0] {
                    then(j);
                }
            }
        }
    }

    /// The exact test of `i` and `j`, a conflict into `out`.
    #[inline(always)]
    fn exact(&self, i: u32, j: u32, out: &mut Found) {
        if let Some(p) = test_pair(self.ks, i, j, self.cfg) {
            out.push(p);
        }
    }

    /// The filters and the exact test of vertical track `i` with each
    /// vertical track of `js`, their boxes overlapping in slice `s`.
    #[inline]
    fn candidates(&self, s: usize, i: u32, js: &[u32], out: &mut Found) {
        let prev = s.checked_sub(1).map(|p| &self.slices[p]);
        self.filter_each(Approach::Conflict, i, js, |j| {
            if !prev.is_some_and(|p| self.swept_of(i, p).overlaps(&self.swept_of(j, p))) {
                self.exact(i, j, out);
            }
        });
    }

    /// Every pair involving a vertical track whose boxes overlap in slice `s`.
    fn slice(&self, s: usize, sc: &mut Scratch, snaps: &mut Snaps, out: &mut Found) {
        let grid = self.build(s, sc, false);
        grid.sweep_vertical(0..grid.cells(), out);
        if let Some(levels) = self.levels {
            snaps.build(self, self.level, levels, &self.slices[s], self.level_vmax);
            self.vertical_against_levels(s, levels, snaps, grid.boxes, 0..self.vertical.len(), out);
        }
    }

    /// The box in slice `s` of each vertical track at a position `which`
    /// in their list (`boxes`, in the order of the vertical tracks) against
    /// the level tracks near it.
    fn vertical_against_levels(
        &self,
        s: usize,
        levels: &Levels,
        snaps: &Snaps,
        boxes: &[Bx],
        which: std::ops::Range<usize>,
        out: &mut Found,
    ) {
        let prev = s.checked_sub(1).map(|p| &self.slices[p]);
        for (k, &i) in self.vertical.iter().enumerate().take(which.end).skip(which.start) {
            let b = boxes[k];
            let before = prev.map(|p| self.swept_of(i, p));
            let mut buckets = levels.bucket_range(b.zlo, b.zhi);
            while !buckets.is_empty() && !levels.bucket_overlaps(buckets.start, b.zlo, b.zhi) {
                buckets.start += 1;
            }
            while !buckets.is_empty() && !levels.bucket_overlaps(buckets.end - 1, b.zlo, b.zhi) {
                buckets.end -= 1;
            }
            // The level tracks whose box and band meet `b` in this slice.
            // The closest-approach filter first (it turns down more pairs
            // than the previous slice's boxes do), on four of them at a
            // time: as vector lanes, it took a fifth off the dense scan.
            let mut then = |j: u32| {
                if let (Some(p), Some(bp)) = (prev, &before)
                    && self.level_meets(j, p, bp)
                {
                    return;
                }
                self.exact(i, j, out);
            };
            let mut four = Four::default();
            snaps.near(buckets, &b, |j, keep| {
                four.offer(j, keep, |js| self.filter_each(Approach::Conflict, i, js, &mut then));
            });
            self.filter_each(Approach::Conflict, i, four.rest(), then);
        }
    }

    /// Builds the grid of the vertical tracks' boxes over slice `s`, their
    /// cells filled in track order when `in_track_order` (a scan in phases,
    /// whose tracks are in space order).
    fn build<'a>(&'a self, s: usize, sc: &'a mut Scratch, in_track_order: bool) -> Grid<'a> {
        let sl = &self.slices[s];
        let vl = self.vertical;
        sc.boxes.clear();
        sc.keyed.clear();
        sc.boxes.reserve_exact(vl.len());
        sc.keyed.reserve_exact(vl.len());
        let mut min = [f32::INFINITY; 3];
        let mut max = [f32::NEG_INFINITY; 3];
        for (k, &i) in vl.iter().enumerate() {
            let b = self.swept_of(i, sl);
            for a in 0..3 {
                min[a] = min[a].min(b.lo[a]);
                max[a] = max[a].max(b.hi[a]);
            }
            sc.boxes.push(b);
            sc.keyed.push((band_key(b.zlo) << 32) | k as u64);
        }
        // Cells about the size of a median box, at least an eighth of the
        // largest (a box crosses at most 9 cells a side).
        let three_d = self.local.three_d;
        let (median, largest) = sample_median(&sc.boxes, |b| f64::from(b.extent(three_d)));
        let mut edge = ((median as f32) * CELL_IN_MEDIAN_BOXES).max(largest as f32 / 8.0).max(1.0);
        let limit = (CELLS_PER_TRACK * vl.len() + 64) as f64;
        let count = |e: f32| {
            let span = |a: usize| floor(f64::from(max[a] - min[a]) / f64::from(e)) + 1.0;
            if three_d { [span(0), span(1), span(2)] } else { [span(0), span(1), 1.0] }
        };
        let mut nf = count(edge);
        while nf[0] * nf[1] * nf[2] > limit {
            edge *= 1.5;
            nf = count(edge);
        }
        let n_of = nf.map(|v| v as usize);
        let cells = n_of[0] * n_of[1] * n_of[2];
        let cut = Cut { min, inv: 1.0 / edge, last: n_of.map(|v| v - 1), three_d };
        // Band order, then a stable counting sort by cell. In track order
        // instead, and then each cell sorted, when the tracks are in space
        // order (see `crate::detect`): the writes to cells are then near
        // each other, which took a third off the builds of 1,000,000 tracks.
        if !in_track_order {
            radix_sort(&mut sc.keyed, &mut sc.tmp, 32, 64);
        }
        sc.start.clear();
        sc.start.reserve_exact(cells + 1);
        sc.start.resize(cells + 1, 0);
        for b in &sc.boxes {
            let (lo, hi) = (cut.cell(&b.lo), cut.cell(&b.hi));
            for z in lo[2]..=hi[2] {
                for y in lo[1]..=hi[1] {
                    let row = n_of[0] * (y + n_of[1] * z);
                    for x in lo[0]..=hi[0] {
                        sc.start[row + x + 1] += 1;
                    }
                }
            }
        }
        for c in 0..cells {
            sc.start[c + 1] += sc.start[c];
        }
        sc.ent.clear();
        // Exactly: slices of a large scan differ by a few entries, and
        // doubling would leave half the buffer unused.
        sc.ent.reserve_exact(sc.start[cells] as usize);
        sc.ent.resize(sc.start[cells] as usize, Ent::default());
        for &key in &sc.keyed {
            let k = key as u32 as usize;
            let b = &sc.boxes[k];
            let mut e = Ent::new(b, vl[k]);
            let (lo, hi) = (cut.cell(&b.lo), cut.cell(&b.hi));
            for z in lo[2]..=hi[2] {
                for y in lo[1]..=hi[1] {
                    let row = n_of[0] * (y + n_of[1] * z);
                    for x in lo[0]..=hi[0] {
                        let slot = &mut sc.start[row + x];
                        e.own = own_bits(lo, [x, y, z]);
                        sc.ent[*slot as usize] = e;
                        *slot += 1;
                    }
                }
            }
        }
        for c in (1..=cells).rev() {
            sc.start[c] = sc.start[c - 1];
        }
        sc.start[0] = 0;
        if in_track_order {
            for c in 0..cells {
                let cell = &mut sc.ent[sc.start[c] as usize..sc.start[c + 1] as usize];
                // By band, then by track (the order of the radix sort).
                cell.sort_unstable_by_key(|e| (band_key(e.zlo), e.id));
            }
        }
        Grid { ctx: self, s, start: &sc.start, ent: &sc.ent, boxes: &sc.boxes }
    }
}

/// Buffers reused from slice to slice by one worker.
#[derive(Default)]
struct Scratch {
    boxes: Vec<Bx>,
    keyed: Vec<u64>,
    tmp: Vec<u64>,
    start: Vec<u32>,
    ent: Vec<Ent>,
}

/// The vertical tracks' cells in one slice.
struct Grid<'a> {
    ctx: &'a Ctx<'a>,
    s: usize,
    /// Entries of cell `c`: `ent[start[c]..start[c + 1]]`, in band order.
    start: &'a [u32],
    ent: &'a [Ent],
    /// The vertical tracks' boxes, in their order.
    boxes: &'a [Bx],
}

impl Grid<'_> {
    /// Cells.
    fn cells(&self) -> usize {
        self.start.len() - 1
    }

    /// Vertical pairs of the cells `cells`, cell by cell.
    fn sweep_vertical(&self, cells: std::ops::Range<usize>, out: &mut Found) {
        for c in cells {
            let (a0, a1) = (self.start[c] as usize, self.start[c + 1] as usize);
            if a1 - a0 < 2 {
                continue;
            }
            let e = &self.ent[a0..a1];
            for (p, ep) in e.iter().enumerate() {
                let ep = *ep;
                let mut four = Four::default();
                for eq in &e[p + 1..] {
                    if eq.zlo >= ep.zhi {
                        break;
                    }
                    let keep = owned(&ep, eq) & boxes_meet(&ep, eq);
                    four.offer(eq.id, keep, |js| self.ctx.candidates(self.s, ep.id, js, out));
                }
                self.ctx.candidates(self.s, ep.id, four.rest(), out);
            }
        }
    }
}

/// Track ids gathered four at a time for a filter's vector lanes, without
/// a branch on whether each is kept (the tests before a filter pass about
/// one time in five, unpredictably, and a mispredicted branch cost more
/// than the test): every id offered is written, and counts when kept.
#[derive(Debug, Default)]
pub(crate) struct Four {
    held: [u32; 4],
    n: usize,
}

impl Four {
    /// Offers `id`, kept when `keep`; each four kept go to `full`.
    #[inline(always)]
    pub(crate) fn offer(&mut self, id: u32, keep: bool, full: impl FnOnce(&[u32; 4])) {
        self.held[self.n] = id;
        self.n += usize::from(keep);
        if self.n == 4 {
            self.n = 0;
            full(&self.held);
        }
    }

    /// The ids kept since the last four (0 to 3).
    pub(crate) fn rest(&self) -> &[u32] {
        &self.held[..self.n]
    }
}

/// Whether the boxes of two entries overlap (their bands are known to).
#[inline(always)]
fn boxes_meet(p: &Ent, q: &Ent) -> bool {
    (p.lox <= q.hix)
        & (q.lox <= p.hix)
        & (p.loy <= q.hiy)
        & (q.loy <= p.hiy)
        & (p.loz <= q.hiz)
        & (q.loz <= p.hiz)
}

/// A position's place (30 bits) on a Z-curve (Morton order) of 2¹⁵ × 2¹⁵
/// cells of latitude and longitude (about 1/182 degree by 1/91): nearby
/// positions get nearby keys, mostly. Latitude takes the higher bit of
/// each pair.
pub(crate) fn space_key(p: Position) -> u64 {
    let spread = |v: u64| {
        // 15 bits to every other of 30.
        let mut x = v & 0x7FFF;
        x = (x | (x << 8)) & 0x00FF_00FF;
        x = (x | (x << 4)) & 0x0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333;
        (x | (x << 1)) & 0x5555_5555
    };
    let cell = |deg: f64, lo: f64, span: f64| ((deg - lo) * (32_768.0 / span)).clamp(0.0, 32_767.0) as u64;
    (spread(cell(p.lat_deg(), -90.0, 180.0)) << 1) | spread(cell(p.lon_deg(), -180.0, 360.0))
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
    fn both_schedules_find_the_same_pairs() {
        use crate::traffic::{GenConfig, generate};
        // Dense, half of the aircraft climbing or descending: every part of
        // the scan finds pairs.
        let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.5, ..GenConfig::default() };
        let (_, together) = schedules_agree(&generate(3000, 5, &gen_cfg));
        assert!(together.len() > 5_000, "{}", together.len());
    }

    /// The prepared `tracks` and their pairs (sorted, once each), asserting
    /// that the scan in phases on one and two threads finds the same pairs
    /// as the scan of items.
    fn schedules_agree(tracks: &[crate::track::TrackState]) -> (Vec<Kin>, Pairs) {
        let ks = crate::detect::prepare(tracks, crate::units::Timestamp::from_micros(0));
        let cfg = DetectionConfig { threads: 2, ..DetectionConfig::en_route() };
        let sorted = |mut v: Pairs| {
            v.sort_by_key(|p| (p.0, p.1));
            v.dedup_by_key(|p| (p.0, p.1));
            v
        };
        let together = sorted(candidate_conflicts_in(&ks, &cfg, usize::MAX));
        for threads in [1, 2] {
            let cfg = DetectionConfig { threads, ..cfg };
            assert_eq!(sorted(candidate_conflicts_in(&ks, &cfg, 0)), together, "{threads}");
        }
        (ks, together)
    }

    #[test]
    fn level_windows_hold_the_buckets_their_pairs_reach() {
        use crate::traffic::{GenConfig, SplitMix64, generate};
        // Level aircraft off the flight levels, so that their bands overlap
        // those of the buckets above and below: a scan in phases sweeps its
        // level pairs window by window, and a window must hold the buckets
        // above it that its pairs reach.
        let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.1, ..GenConfig::default() };
        let mut tracks = generate(3000, 8, &gen_cfg);
        let mut rng = SplitMix64::new(3);
        for s in &mut tracks {
            s.altitude.feet += rng.range(-700.0, 700.0);
        }
        let (ks, together) = schedules_agree(&tracks);
        let level_apart = |&&(i, j, _): &&(u32, u32, PairGeometry)| {
            let (a, b) = (&ks[i as usize], &ks[j as usize]);
            a.w_fps == 0.0 && b.w_fps == 0.0 && (a.z_ft / 1000.0).floor() != (b.z_ft / 1000.0).floor()
        };
        // Many pairs of level tracks in different buckets.
        assert!(together.iter().filter(level_apart).count() > 200, "{}", together.len());
    }

    #[test]
    fn found_pairs_join_across_blocks() {
        let g = |k: u32| PairGeometry { t_in: f64::from(k), t_out: 1.0, t_cpa: 0.5, d_cpa: 2.0 };
        let mut a = Found::default();
        let mut b = Found::default();
        let n = 2 * FOUND_BLOCK as u32 + 7;
        for k in 0..n {
            a.push((k, k + 1, g(k)));
        }
        b.push((n, 0, g(n)));
        let mut all = Found::join(vec![a, Found::default(), b]);
        assert_eq!(all.len(), n as usize + 1);
        // Every pair once (the blocks' order is not kept).
        all.sort_unstable_by_key(|p| p.0);
        assert!(all.iter().enumerate().all(|(k, p)| p.0 == k as u32 && p.2 == g(k as u32)));
    }

    #[test]
    fn cells_filled_in_track_order_are_those_filled_in_band_order() {
        use crate::traffic::{GenConfig, generate};
        // Dense, half climbing or descending, so that cells hold many
        // entries; the climbing and descending ones at three altitudes and
        // one rate, so that many share a band bottom (ties, broken by track).
        let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.5, ..GenConfig::default() };
        let mut tracks = generate(3000, 9, &gen_cfg);
        for (k, s) in tracks.iter_mut().filter(|s| s.vertical_rate.0 != 0.0).enumerate() {
            s.altitude.feet = 20_000.0 + 1_000.0 * (k % 3) as f64;
            s.vertical_rate = crate::units::FeetPerMinute(1_500.0);
        }
        let ks = crate::detect::prepare(&tracks, crate::units::Timestamp::from_micros(0));
        let cfg = DetectionConfig::en_route();
        let local = Local::new(&ks, &cfg, 1);
        let sl = slices(&ks, &local, &cfg, &local.vertical);
        let ctx = Ctx {
            ks: &ks,
            cfg: &cfg,
            local: &local,
            slices: &sl,
            vertical: &local.vertical,
            band: &local.band,
            level: &local.level,
            level_vmax: local.level_vmax,
            levels: None,
        };
        let key = |e: &Ent| {
            (e.id, e.own, [e.zlo, e.zhi, e.lox, e.hix, e.loy, e.hiy, e.loz, e.hiz].map(f32::to_bits))
        };
        let (mut a, mut b) = (Scratch::default(), Scratch::default());
        for s in 0..sl.len() {
            let (by_band, by_track) = (ctx.build(s, &mut a, false), ctx.build(s, &mut b, true));
            assert_eq!(by_band.start, by_track.start, "slice {s}");
            assert!(by_band.start.windows(2).any(|w| w[1] - w[0] > 20), "slice {s}: small cells");
            let (x, y): (Vec<_>, Vec<_>) =
                (by_band.ent.iter().map(key).collect(), by_track.ent.iter().map(key).collect());
            assert_eq!(x, y, "slice {s}");
        }
    }

    #[test]
    fn sparse_pictures_get_fewer_slices() {
        use crate::traffic::{GenConfig, generate};
        let cfg = DetectionConfig::en_route();
        let count = |side_km: f64| {
            let gen_cfg =
                GenConfig { density_per_km2: 10_000.0 / (side_km * side_km), ..GenConfig::default() };
            let ks = crate::detect::prepare(
                &generate(10_000, 42, &gen_cfg),
                crate::units::Timestamp::from_micros(0),
            );
            let local = Local::new(&ks, &cfg, 1);
            slices(&ks, &local, &cfg, &local.vertical).len()
        };
        // Travel and climb alone give 3 slices for this traffic; 600 km
        // is sparse enough for 2, 100 km is not.
        assert_eq!((count(600.0), count(100.0)), (2, 3));
    }

    #[test]
    fn space_keys_interleave_latitude_and_longitude_cells() {
        let key = |lat: f64, lon: f64| Position::new(lat, lon).map_or(u64::MAX, space_key);
        assert_eq!(key(-90.0, -180.0), 0);
        assert_eq!(key(90.0, 180.0), (1 << 30) - 1);
        // The first cell up and the first cell east: latitude's bit above
        // longitude's.
        assert_eq!((key(-89.99, -180.0), key(-90.0, -179.98)), (2, 1));
        // The northern half, then the eastern half within it: the top bits.
        assert_eq!(key(10.0, -10.0) >> 28, 0b10);
        assert_eq!(key(10.0, 10.0) >> 28, 0b11);
        // Nearby points share most of their key; far ones do not.
        let (a, b, far) = (key(50.0, 5.0), key(50.001, 5.001), key(-30.0, 120.0));
        assert!((a ^ b) >> 8 == 0 && (a ^ far) >> 28 != 0);
    }

    #[test]
    fn four_keeps_what_is_kept_in_order() {
        let mut four = Four::default();
        let mut fours = Vec::new();
        // Kept: the multiples of 3 below 40 (14 of them).
        for id in 0..40 {
            four.offer(id, id % 3 == 0, |f| fours.push(*f));
        }
        assert_eq!(fours, [[0, 3, 6, 9], [12, 15, 18, 21], [24, 27, 30, 33]]);
        assert_eq!(four.rest(), [36, 39]);
    }

    #[test]
    fn floor_is_the_library_floor() {
        let mut xs =
            vec![0.0, -0.5, 0.5, 1.0, -1.0, 2.5, -2.5, 1e15 + 0.5, -1e15 - 0.5, 4.6e18, -9.3e18, 1e300];
        xs.extend([f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE, -f64::MIN_POSITIVE]);
        xs.extend([4_503_599_627_370_495.5, -4_503_599_627_370_495.5, 0.999_999_999_999_999_9]);
        xs.extend((0..2000).map(|k| (f64::from(k) - 1000.0) * 0.37));
        for x in xs {
            assert_eq!(floor(x), x.floor(), "{x}");
        }
        assert!(floor(f64::NAN).is_nan());
        assert_eq!(floor(-0.0), 0.0);
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
