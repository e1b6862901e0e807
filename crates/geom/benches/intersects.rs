//! Exact footprint intersection costs.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geom::{Circle, Footprint, LatLng, Polygon};

fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

/// Star polygon of `n` vertices, radii alternating between r and 0.9 r (deg).
fn star(n: usize, lat: f64, lng: f64, r: f64) -> Footprint {
    let v = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let rr = if i % 2 == 0 { r } else { 0.9 * r };
            ll(lat + rr * a.sin(), lng + rr * a.cos() / 0.7)
        })
        .collect();
    Footprint::Polygon(Polygon::new(v).unwrap())
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("polygon_polygon");
    for n in [8usize, 64, 1_000, 10_000] {
        let a = star(n, 46.0, 7.0, 0.05);
        // Overlapping a little (boundaries cross) and disjoint-but-near
        // (bounding boxes overlap diagonally, so the full test runs).
        let near = star(n, 46.0, 7.13, 0.05);
        let far = star(n, 46.08, 7.114, 0.05);
        g.bench_with_input(BenchmarkId::new("crossing", n), &n, |b, _| {
            b.iter(|| black_box(black_box(&a).intersects(black_box(&near))));
        });
        g.bench_with_input(BenchmarkId::new("disjoint_near", n), &n, |b, _| {
            b.iter(|| black_box(black_box(&a).intersects(black_box(&far))));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("circle_polygon");
    for n in [8usize, 64, 1_000] {
        let p = star(n, 46.0, 7.0, 0.05);
        let centre = ll(46.0, 7.0 + 0.05 / 0.7 + 0.01);
        let d = centre.distance_m(&ll(46.0, 7.0 + 0.05 / 0.7));
        // Clearly apart, clearly overlapping, and within the refinement band
        // (radius 5 cm short of the true distance to the nearest vertex).
        for (name, r) in [("apart", d * 0.5), ("overlap", d * 2.0), ("edge", d - 0.05)] {
            let circle = Footprint::Circle(Circle::new(centre, r).unwrap());
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| black_box(black_box(&p).intersects(black_box(&circle))));
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("polygon_new");
    for n in [64usize, 10_000] {
        let v: Vec<LatLng> = match star(n, 46.0, 7.0, 0.05) {
            Footprint::Polygon(p) => p.vertices().to_vec(),
            Footprint::Circle(_) => unreachable!(),
        };
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(Polygon::new(black_box(v.clone())).is_ok()));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
