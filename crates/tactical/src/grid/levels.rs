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

use super::{Bx, Ctx, Ent, Found, Four, floor, on_each, radix_sort};

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
    /// Bucket `b` holds band bottoms in `[(b + b0) hb − H/2, (b + b0 + 1) hb − H/2)`.
    hb: f64,
    b0: f64,
    half_h: f64,
}

/// The level tracks by bucket and stripe, in sweep order: only the sweep
/// of level pairs reads them (a scan may build them while its first slices
/// are scanned, and drop them before the others).
#[derive(Debug, Default)]
pub(crate) struct Groups {
    stripes: usize,
    /// Stripe of a coordinate: `floor((y − y0) · inv)`, at most `last`.
    y0: f32,
    inv: f32,
    last: usize,
    /// Entries of group `g = bucket · stripes + stripe`:
    /// `ent[start[g]..start[g + 1]]`, ordered by box start along x.
    ent: Vec<Ent>,
    start: Vec<u32>,
}

/// The x-order key of a box bottom (a total order of the floats).
#[inline]
fn order_key(x: f32) -> u64 {
    let b = x.to_bits();
    u64::from(if b >> 31 == 1 { !b } else { b | (1 << 31) })
}

impl Groups {
    /// The groups of `level` (indices into the scan's tracks) in the
    /// buckets of `levels`, their boxes computed on `threads` threads.
    pub(crate) fn build(levels: &Levels, ctx: &Ctx<'_>, level: &[u32], threads: usize) -> Self {
        let mut out = Groups::default();
        if level.is_empty() {
            return out;
        }
        let sl = ctx.whole();
        let boxes: Vec<Bx> = crate::par::map(level, threads, Bx::default(), |&i| ctx.swept_of(i, &sl));
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
        let limit = (GROUPS_PER_TRACK * level.len() + 64) as f64;
        let stripes = |hs: f32| floor(f64::from(ymax - ymin) / f64::from(hs)) + 1.0;
        while stripes(hs) * levels.buckets as f64 > limit {
            hs *= 1.5;
        }
        out.stripes = stripes(hs) as usize;
        out.y0 = ymin;
        out.inv = 1.0 / hs;
        out.last = out.stripes - 1;
        // Bucket ranges of about equal size, one per thread: in each, x
        // order, then a stable counting sort by group.
        let cuts = bucket_cuts(&levels.bucket, levels.buckets, threads);
        let mut parts: Vec<Part> =
            cuts.windows(2).map(|w| Part { buckets: w[0]..w[1], ..Part::default() }).collect();
        let gr = &out;
        let counted = on_each(&mut parts, |p| p.count(gr, levels, &boxes));
        let total: usize = parts.iter().map(|p| p.start.last().map_or(0, |&n| n as usize)).sum();
        let mut ent = vec![Ent::default(); total];
        let mut jobs: Vec<(&mut Part, &mut [Ent])> = Vec::with_capacity(parts.len());
        let mut rest = &mut ent[..];
        for p in parts.iter_mut() {
            let (mine, others) = std::mem::take(&mut rest).split_at_mut(p.len());
            jobs.push((p, mine));
            rest = others;
        }
        let filled = counted && on_each(&mut jobs, |(p, ent)| p.fill(gr, levels, &boxes, level, ent));
        if !filled {
            // Building does not panic; were it to, on this thread alone.
            return Self::build(levels, ctx, level, 1);
        }
        let groups = levels.buckets * out.stripes;
        out.start = Vec::with_capacity(groups + 1);
        let mut offset = 0;
        for p in &parts {
            out.start.extend(p.start[..p.start.len() - 1].iter().map(|&n| n + offset));
            offset += p.len() as u32;
        }
        out.start.push(offset);
        out.ent = ent;
        out
    }

    #[inline]
    fn stripe(&self, y: f32) -> usize {
        (((y - self.y0) * self.inv) as usize).min(self.last)
    }
}

/// The groups of a range of buckets, built by one thread of
/// [`Groups::build`].
#[derive(Debug, Default)]
struct Part {
    buckets: std::ops::Range<usize>,
    /// Its level tracks (by position in the level list) in x order, in the
    /// low 32 bits.
    keyed: Vec<u64>,
    /// Entries of its `g`-th group: `start[g]..start[g + 1]` (from its
    /// first entry).
    start: Vec<u32>,
}

impl Part {
    /// Entries.
    fn len(&self) -> usize {
        self.start.last().map_or(0, |&n| n as usize)
    }

    /// Its tracks in x order, and the bounds of its groups.
    fn count(&mut self, gr: &Groups, levels: &Levels, boxes: &[Bx]) {
        let g0 = self.buckets.start * gr.stripes;
        self.start = vec![0; self.buckets.len() * gr.stripes + 1];
        for (k, (b, &bk)) in boxes.iter().zip(&levels.bucket).enumerate() {
            if !self.buckets.contains(&(bk as usize)) {
                continue;
            }
            self.keyed.push((order_key(b.lo[0]) << 32) | k as u64);
            let g = bk as usize * gr.stripes - g0;
            for s in gr.stripe(b.lo[1])..=gr.stripe(b.hi[1]) {
                self.start[g + s + 1] += 1;
            }
        }
        for g in 0..self.start.len() - 1 {
            self.start[g + 1] += self.start[g];
        }
        radix_sort(&mut self.keyed, &mut Vec::new(), 32, 64);
    }

    /// Its entries, into `ent` (its part of the groups' entries).
    fn fill(&mut self, gr: &Groups, levels: &Levels, boxes: &[Bx], level: &[u32], ent: &mut [Ent]) {
        let g0 = self.buckets.start * gr.stripes;
        for &key in &self.keyed {
            let k = key as u32 as usize;
            let b = &boxes[k];
            let g = levels.bucket[k] as usize * gr.stripes - g0;
            let mut e = Ent::new(b, level[k]);
            let first = gr.stripe(b.lo[1]);
            for s in first..=gr.stripe(b.hi[1]) {
                // Bit 0 marks the stripe the box starts in (see `meets`).
                e.own = u8::from(s == first);
                let slot = &mut self.start[g + s];
                ent[*slot as usize] = e;
                *slot += 1;
            }
        }
        for g in (1..self.start.len()).rev() {
            self.start[g] = self.start[g - 1];
        }
        self.start[0] = 0;
        self.keyed = Vec::new();
    }
}

/// Bucket boundaries cutting the tracks of `bucket` (each track's bucket,
/// of `buckets`) into about `parts` equal runs.
fn bucket_cuts(bucket: &[u32], buckets: usize, parts: usize) -> Vec<usize> {
    let mut count = vec![0usize; buckets];
    if parts > 1 {
        for &b in bucket {
            count[b as usize] += 1;
        }
    }
    let total = bucket.len().max(1);
    let (mut cuts, mut sum) = (vec![0usize], 0);
    for (b, &n) in count.iter().enumerate().take(buckets.saturating_sub(1)) {
        sum += n;
        if sum * parts >= total * cuts.len() && cuts.len() < parts {
            cuts.push(b + 1);
        }
    }
    cuts.push(buckets);
    cuts
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

    /// Group boundaries cutting the entries of `gr` into about `parts`
    /// equal runs.
    pub(crate) fn chunks(gr: &Groups, parts: usize) -> Vec<usize> {
        let groups = gr.start.len().saturating_sub(1);
        let total = gr.ent.len().max(1);
        let mut bounds = vec![0usize];
        for g in 0..groups {
            if gr.start[g + 1] as usize * parts >= total * bounds.len() && bounds.len() < parts {
                bounds.push(g + 1);
            }
        }
        bounds.push(groups);
        bounds
    }

    /// Examines the pairs whose lower bucket's group (of `gr`) is in `from..to`.
    pub(crate) fn sweep(&self, gr: &Groups, ctx: &Ctx<'_>, from: usize, to: usize, out: &mut Found) {
        for g in from..to {
            let (a0, a1) = (gr.start[g] as usize, gr.start[g + 1] as usize);
            if a0 == a1 {
                continue;
            }
            let (bk, st) = (g / gr.stripes, g % gr.stripes);
            let a = &gr.ent[a0..a1];
            Self::sweep_self(ctx, a, out);
            for d in 1..=2 {
                let b2 = bk + d;
                if b2 >= self.buckets || self.zlo[b2] >= self.zhi[bk] {
                    continue;
                }
                let g2 = b2 * gr.stripes + st;
                let (c0, c1) = (gr.start[g2] as usize, gr.start[g2 + 1] as usize);
                if c0 < c1 {
                    Self::sweep_two(ctx, a, &gr.ent[c0..c1], out);
                }
            }
        }
    }

    #[inline]
    fn sweep_self(ctx: &Ctx<'_>, e: &[Ent], out: &mut Found) {
        for (p, ep) in e.iter().enumerate() {
            let ep = *ep;
            let mut four = Four::default();
            for eq in &e[p + 1..] {
                if eq.lox > ep.hix {
                    break;
                }
                four.offer(eq.id, Self::meets(&ep, eq), |js| ctx.candidate_levels(ep.id, js, out));
            }
            ctx.candidate_levels(ep.id, four.rest(), out);
        }
    }

    /// Two groups of the same stripe, merged along x: the entry starting
    /// first is compared with the other group's entries starting before its
    /// end.
    #[inline]
    fn sweep_two(ctx: &Ctx<'_>, a: &[Ent], b: &[Ent], out: &mut Found) {
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
                four.offer(e.id, Self::meets(&first, e), |js| ctx.candidate_levels(first.id, js, out));
            }
            ctx.candidate_levels(first.id, four.rest(), out);
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
