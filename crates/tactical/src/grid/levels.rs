//! Pairs of *level* tracks (vertical travel over the look-ahead at most a
//! quarter of the vertical minimum), examined once over the whole
//! look-ahead ([`super`] does every pair involving another track).
//!
//! Each level track gets one box swept over `[0, T]` and its altitude band
//! over `[0, T]` (both as in [`super`]). Tracks are put in altitude
//! buckets of height at least `H` by the bottom of their band, offset by
//! `H/2` so that level aircraft at whole multiples of `H` fall in one bucket
//! each; a band is at most `1.25 H` wide, so overlapping bands are in the
//! same bucket or within two. A bucket is only compared with the next two
//! when their bands can overlap at all: adjacent flight levels never are.
//! Within a bucket, boxes are put in every horizontal stripe (along the
//! frame's second axis) they cross and swept along the first axis; a pair
//! is examined in the stripe holding the larger of its two box bottoms
//! only, so once.
//!
//! The groups ([`Groups`]) are built for a window of buckets at a time: the
//! buckets whose pairs it examines (each pair in its lower bucket) and the
//! buckets above them that those pairs reach, with stripes of its own. A
//! small scan takes all buckets as one window.

use std::sync::OnceLock;

use super::local::{Approach, Kf};
use super::{Bx, Ctx, Ent, Found, Four, floor, radix_sort};
use crate::detect::{Kin, test_pair};

/// At most this many buckets × stripes per track (plus 64).
const GROUPS_PER_TRACK: usize = 4;

/// The level tracks' altitude buckets: what the slices read of them.
#[derive(Debug, Default)]
pub(crate) struct Levels {
    buckets: usize,
    /// Per bucket: lowest band bottom and highest band top.
    zlo: Vec<f32>,
    zhi: Vec<f32>,
    /// The bucket of each level track (by position in the level list).
    pub(crate) bucket: Vec<u32>,
    /// The level tracks bucket by bucket, made by the first to need them
    /// (in a small scan, the worker building the groups).
    by_bucket: OnceLock<ByBucket>,
    /// Bucket `b` holds band bottoms in `[(b + b0) hb − H/2, (b + b0 + 1) hb − H/2)`.
    hb: f64,
    b0: f64,
    half_h: f64,
}

/// The level tracks (by position in the level list) bucket by bucket, in
/// list order within a bucket: bucket `b` holds `order[first[b]..first[b + 1]]`.
#[derive(Debug, Default)]
struct ByBucket {
    first: Vec<u32>,
    order: Vec<u32>,
}

/// The level tracks of a window of buckets by bucket and stripe, in sweep
/// order: only the sweep of level pairs reads them. A worker rebuilds one
/// in place for each window it takes, so that its buffers are reused.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    /// The buckets held: those swept and, above them, those they meet.
    held: std::ops::Range<usize>,
    /// The buckets whose pairs are examined (from `held.start`).
    swept: std::ops::Range<usize>,
    stripes: usize,
    /// Stripe of a coordinate: `floor((y − y0) · inv)`, at most `last`.
    y0: f32,
    inv: f32,
    last: usize,
    /// Entries of group `g = (bucket − held.start) · stripes + stripe`:
    /// `ent[start[g]..start[g + 1]]`, ordered by box start along x.
    ent: Vec<Ent>,
    start: Vec<u32>,
    /// The held tracks (indices into the scan's tracks), and copies of
    /// them as prepared and in the frame, which the sweep reads instead of
    /// the scan's: in a large scan a window's tracks are a bucket's, spread
    /// over all of those, a few to a cache line.
    index: Vec<u32>,
    kin: Vec<Kin>,
    kf: Vec<Kf>,
    /// The held tracks' boxes, and their x order (position among the held
    /// tracks in the low 32 bits): buffers of the build.
    boxes: Vec<Bx>,
    keyed: Vec<u64>,
    tmp: Vec<u64>,
}

/// The x-order key of a box bottom (a total order of the floats).
#[inline]
fn order_key(x: f32) -> u64 {
    let b = x.to_bits();
    u64::from(if b >> 31 == 1 { !b } else { b | (1 << 31) })
}

impl Groups {
    /// Rebuilds the groups for the buckets `swept` of `levels` (and those
    /// above them that they meet) from `level` (indices into the scan's
    /// tracks), reusing the buffers.
    pub(crate) fn build(
        &mut self,
        levels: &Levels,
        ctx: &Ctx<'_>,
        level: &[u32],
        swept: std::ops::Range<usize>,
    ) {
        self.held = swept.start..levels.held_end(&swept);
        self.swept = swept;
        self.ent.clear();
        self.start.clear();
        self.boxes.clear();
        self.keyed.clear();
        self.index.clear();
        self.kin.clear();
        self.kf.clear();
        let tracks = levels.tracks_of(self.held.clone());
        if tracks.is_empty() {
            self.start.push(0);
            self.stripes = 1;
            return;
        }
        let sl = ctx.whole();
        self.index.extend(tracks.iter().map(|&k| level[k as usize]));
        self.kin.extend(self.index.iter().map(|&i| *ctx.kin(i)));
        self.kf.extend(self.index.iter().map(|&i| ctx.local().kf[i as usize]));
        self.boxes.extend(self.index.iter().map(|&i| ctx.level_box(i, &sl)));
        let boxes = &self.boxes;
        // Stripes about a median box tall, at least an eighth of the tallest.
        let (ymin, ymax) = boxes
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), b| (lo.min(b.lo[1]), hi.max(b.hi[1])));
        let step = (boxes.len() / 1024).max(1);
        let mut sample: Vec<f32> = boxes.iter().step_by(step).map(|b| b.hi[1] - b.lo[1]).collect();
        let tallest = sample.iter().fold(0.0f32, |m, &e| m.max(e));
        let mid = sample.len() / 2;
        let (_, m, _) = sample.select_nth_unstable_by(mid, f32::total_cmp);
        let mut hs = m.max(tallest / 8.0).max(1.0);
        let buckets = self.held.len();
        let limit = (GROUPS_PER_TRACK * tracks.len() + 64) as f64;
        let stripes = |hs: f32| floor(f64::from(ymax - ymin) / f64::from(hs)) + 1.0;
        while stripes(hs) * buckets as f64 > limit {
            hs *= 1.5;
        }
        self.stripes = stripes(hs) as usize;
        self.y0 = ymin;
        self.inv = 1.0 / hs;
        self.last = self.stripes - 1;
        // x order, then a stable counting sort by group.
        let b0 = self.held.start;
        let group = |m: usize| (levels.bucket[tracks[m] as usize] as usize - b0) * self.stripes;
        self.start.resize(buckets * self.stripes + 1, 0);
        for (m, b) in boxes.iter().enumerate() {
            self.keyed.push((order_key(b.lo[0]) << 32) | m as u64);
            let g = group(m);
            for s in self.stripe(b.lo[1])..=self.stripe(b.hi[1]) {
                self.start[g + s + 1] += 1;
            }
        }
        for g in 0..self.start.len() - 1 {
            self.start[g + 1] += self.start[g];
        }
        radix_sort(&mut self.keyed, &mut self.tmp, 32, 64);
        self.ent.resize(self.start[self.start.len() - 1] as usize, Ent::default());
        for &key in &self.keyed {
            let m = key as u32 as usize;
            let b = &boxes[m];
            let g = group(m);
            let mut e = Ent::new(b, m as u32);
            let first = self.stripe(b.lo[1]);
            for s in first..=self.stripe(b.hi[1]) {
                // Bit 0 marks the stripe the box starts in (see `meets`).
                e.own = u8::from(s == first);
                let slot = &mut self.start[g + s];
                self.ent[*slot as usize] = e;
                *slot += 1;
            }
        }
        for g in (1..self.start.len()).rev() {
            self.start[g] = self.start[g - 1];
        }
        self.start[0] = 0;
    }

    /// The groups of the buckets swept.
    pub(crate) fn swept_groups(&self) -> std::ops::Range<usize> {
        0..self.swept.len() * self.stripes
    }

    /// The closest-approach filter (horizontal only) and the exact test of
    /// held track `i` with each held track of `js` (positions among the
    /// held tracks, bands overlapping), on the copies.
    #[inline]
    fn candidates(&self, ctx: &Ctx<'_>, i: u32, js: &[u32], out: &mut Found) {
        ctx.filter_in(&self.kf, Approach::Meet, i, js, |j| {
            if let Some((a, b, g)) = test_pair(&self.kin, i, j, ctx.cfg) {
                out.push((self.index[a as usize], self.index[b as usize], g));
            }
        });
    }

    #[inline]
    fn stripe(&self, y: f32) -> usize {
        (((y - self.y0) * self.inv) as usize).min(self.last)
    }
}

impl Levels {
    /// The buckets of `level` (indices into the scan's tracks), from their
    /// bands.
    pub(crate) fn build(ctx: &Ctx<'_>, level: &[u32]) -> Self {
        let mut out = Levels::default();
        if level.is_empty() {
            return out;
        }
        // Buckets, at least `H` tall, at most about one per track.
        let h = ctx.cfg.vertical_ft;
        let (zmin, zmax) = level.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &i| {
            let zlo = f64::from(ctx.band_of(i).0);
            (lo.min(zlo), hi.max(zlo))
        });
        let mut hb = h;
        let bucket = |z: f32, hb: f64| floor((f64::from(z) + 0.5 * h) / hb);
        while bucket(zmax as f32, hb) - bucket(zmin as f32, hb) > (level.len() + 64) as f64 {
            hb *= 2.0;
        }
        let b0 = bucket(zmin as f32, hb);
        out.buckets = (bucket(zmax as f32, hb) - b0) as usize + 1;
        out.zlo = vec![f32::INFINITY; out.buckets];
        out.zhi = vec![f32::NEG_INFINITY; out.buckets];
        out.bucket = level
            .iter()
            .map(|&i| {
                let (zlo, zhi) = ctx.band_of(i);
                let bk = (bucket(zlo, hb) - b0) as usize;
                out.zlo[bk] = out.zlo[bk].min(zlo);
                out.zhi[bk] = out.zhi[bk].max(zhi);
                bk as u32
            })
            .collect();
        (out.hb, out.b0, out.half_h) = (hb, b0, 0.5 * h);
        out
    }

    /// Buckets.
    pub(crate) fn buckets(&self) -> usize {
        self.buckets
    }

    /// The buckets that may hold a band overlapping `[zlo, zhi)`, as a
    /// range to check against [`Levels::bucket_overlaps`].
    pub(crate) fn bucket_range(&self, zlo: f32, zhi: f32) -> std::ops::Range<usize> {
        if self.buckets == 0 {
            return 0..0;
        }
        // A level band is at most 1.25 H tall: its bottom is above zlo − 1.25 H.
        let b = |z: f64| floor((z + self.half_h) / self.hb) - self.b0;
        let lo = b(f64::from(zlo) - 2.5 * self.half_h - self.hb).max(0.0);
        let hi = b(f64::from(zhi)).min(self.buckets as f64 - 1.0);
        if lo > hi { 0..0 } else { lo as usize..hi as usize + 1 }
    }

    /// Whether bucket `b` holds a band that may overlap `[zlo, zhi)`.
    #[inline]
    pub(crate) fn bucket_overlaps(&self, b: usize, zlo: f32, zhi: f32) -> bool {
        self.zlo[b] < zhi && zlo < self.zhi[b]
    }

    /// The level tracks bucket by bucket (made on first use).
    fn by_bucket(&self) -> &ByBucket {
        self.by_bucket.get_or_init(|| {
            let mut first = vec![0; self.buckets + 1];
            for &bk in &self.bucket {
                first[bk as usize + 1] += 1;
            }
            for b in 0..self.buckets {
                first[b + 1] += first[b];
            }
            let mut next = first.clone();
            let mut order = vec![0; self.bucket.len()];
            for (k, &bk) in self.bucket.iter().enumerate() {
                order[next[bk as usize] as usize] = k as u32;
                next[bk as usize] += 1;
            }
            ByBucket { first, order }
        })
    }

    /// The level tracks (by position in the level list) of `buckets`.
    fn tracks_of(&self, buckets: std::ops::Range<usize>) -> &[u32] {
        if buckets.is_empty() {
            return &[];
        }
        let b = self.by_bucket();
        &b.order[b.first[buckets.start] as usize..b.first[buckets.end] as usize]
    }

    /// Windows of whole buckets of about `tracks` level tracks each (at
    /// least one bucket each), in bucket order.
    pub(crate) fn windows(&self, tracks: usize) -> Vec<std::ops::Range<usize>> {
        let (mut out, mut from) = (Vec::new(), 0);
        let first = &self.by_bucket().first;
        for b in 0..self.buckets {
            if (first[b + 1] - first[from]) as usize >= tracks.max(1) || b + 1 == self.buckets {
                out.push(from..b + 1);
                from = b + 1;
            }
        }
        out
    }

    /// The bucket `d` (1 or 2) above `bk` when its bands may overlap
    /// those of `bk`: the only buckets a pair reaches across.
    #[inline]
    fn partner(&self, bk: usize, d: usize) -> Option<usize> {
        let b2 = bk + d;
        (b2 < self.buckets && self.zlo[b2] < self.zhi[bk]).then_some(b2)
    }

    /// The end of the buckets a window sweeping `swept` must hold: its own
    /// and every partner of them.
    fn held_end(&self, swept: &std::ops::Range<usize>) -> usize {
        let partners = swept.clone().flat_map(|bk| (1..=2).filter_map(move |d| self.partner(bk, d)));
        partners.map(|b| b + 1).fold(swept.end, usize::max)
    }

    /// Group boundaries cutting the entries of the groups `gr` sweeps
    /// into about `parts` equal runs.
    pub(crate) fn chunks(gr: &Groups, parts: usize) -> Vec<usize> {
        let groups = gr.swept_groups().end;
        let total = (gr.start[groups] as usize).max(1);
        let mut bounds = vec![0usize];
        for g in 0..groups {
            if gr.start[g + 1] as usize * parts >= total * bounds.len() && bounds.len() < parts {
                bounds.push(g + 1);
            }
        }
        bounds.push(groups);
        bounds
    }

    /// Examines the pairs whose lower group (of `gr`) is one of `groups`.
    pub(crate) fn sweep(&self, gr: &Groups, ctx: &Ctx<'_>, groups: std::ops::Range<usize>, out: &mut Found) {
        let group = |g: usize| &gr.ent[gr.start[g] as usize..gr.start[g + 1] as usize];
        for g in groups {
            let a = group(g);
            if a.is_empty() {
                continue;
            }
            Self::sweep_self(ctx, gr, a, out);
            let (bk, st) = (gr.held.start + g / gr.stripes, g % gr.stripes);
            for b2 in (1..=2).filter_map(|d| self.partner(bk, d)) {
                let b = group((b2 - gr.held.start) * gr.stripes + st);
                if !b.is_empty() {
                    Self::sweep_two(ctx, gr, a, b, out);
                }
            }
        }
    }

    #[inline]
    fn sweep_self(ctx: &Ctx<'_>, gr: &Groups, e: &[Ent], out: &mut Found) {
        for (p, ep) in e.iter().enumerate() {
            let ep = *ep;
            let mut four = Four::default();
            for eq in &e[p + 1..] {
                if eq.lox > ep.hix {
                    break;
                }
                four.offer(eq.id, Self::meets(&ep, eq), |js| gr.candidates(ctx, ep.id, js, out));
            }
            gr.candidates(ctx, ep.id, four.rest(), out);
        }
    }

    /// Two groups of the same stripe, merged along x: the entry starting
    /// first is compared with the other group's entries starting before its
    /// end.
    #[inline]
    fn sweep_two(ctx: &Ctx<'_>, gr: &Groups, a: &[Ent], b: &[Ent], out: &mut Found) {
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (first, others) = if a[i].lox <= b[j].lox {
                i += 1;
                (a[i - 1], &b[j..])
            } else {
                j += 1;
                (b[j - 1], &a[i..])
            };
            let mut four = Four::default();
            for e in others {
                if e.lox > first.hix {
                    break;
                }
                four.offer(e.id, Self::meets(&first, e), |js| gr.candidates(ctx, first.id, js, out));
            }
            gr.candidates(ctx, first.id, four.rest(), out);
        }
    }

    /// Whether two entries whose x ranges overlap are a pair to examine
    /// here: their boxes and bands overlap, and this is the stripe of the
    /// larger box bottom. The stripe map is monotone, so the stripe of the
    /// larger box bottom is the larger of the two boxes' first stripes;
    /// both boxes are in this stripe, so it is that one exactly when one of
    /// them starts here.
    #[inline(always)]
    fn meets(p: &Ent, q: &Ent) -> bool {
        (p.loy <= q.hiy)
            & (q.loy <= p.hiy)
            & (p.zlo < q.zhi)
            & (q.zlo < p.zhi)
            & (p.loz <= q.hiz)
            & (q.loz <= p.hiz)
            & ((p.own | q.own) & 1 == 1)
    }
}
