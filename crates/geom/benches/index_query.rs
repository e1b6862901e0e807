//! Query a 10 km box among N random volume boxes spread over a ~1000 km
//! region.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geom::{Box4, Index};

/// Small deterministic PRNG (xorshift64*), so benches need no extra deps.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

const LAT0: f64 = 45.0;
const LNG0: f64 = 5.0;
/// ~1000 km in each direction at 45° N.
const DLAT: f64 = 9.0;
const DLNG: f64 = 12.7;
const DAY_US: f64 = 86_400e6;

fn random_box(rng: &mut Rng) -> Box4 {
    let lat = rng.range(LAT0, LAT0 + DLAT);
    let lng = rng.range(LNG0, LNG0 + DLNG);
    let size = rng.range(0.005, 0.05); // ~0.5-5 km
    let alt = rng.range(0.0, 500.0);
    let t = rng.range(0.0, DAY_US);
    Box4 {
        min: [lng, lat, alt, t],
        max: [lng + size * 1.4, lat + size, alt + rng.range(10.0, 150.0), t + rng.range(60e6, 3600e6)],
    }
}

fn query_box(rng: &mut Rng) -> Box4 {
    let lat = rng.range(LAT0, LAT0 + DLAT);
    let lng = rng.range(LNG0, LNG0 + DLNG);
    Box4 { min: [lng, lat, 0.0, 0.0], max: [lng + 0.127, lat + 0.09, 120.0, DAY_US] }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("index_query");
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let items: Vec<(usize, Box4)> = (0..n).map(|i| (i, random_box(&mut rng))).collect();
        let index = Index::bulk_load(items);
        let queries: Vec<Box4> = (0..1024).map(|_| query_box(&mut rng)).collect();
        let mut i = 0;
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(index.query(black_box(&queries[i])).count())
            });
        });
    }
    group.finish();

    let mut rng = Rng(7);
    let items: Vec<(usize, Box4)> = (0..100_000).map(|i| (i, random_box(&mut rng))).collect();
    c.bench_function("index_bulk_load/100000", |b| {
        b.iter(|| black_box(Index::bulk_load(items.clone()).len()));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
