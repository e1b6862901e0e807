//! Benchmarks: pruned scan at 1k/10k/100k tracks at realistic density, the
//! all-pairs reference at 1k/10k, and SBS-1 parsing throughput.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tactical::traffic::{GenConfig, generate};
use tactical::{DetectionConfig, Timestamp, detect, detect_all_pairs};

const NOW: Timestamp = Timestamp::from_micros(0);

fn scans(c: &mut Criterion) {
    let cfg = DetectionConfig::en_route();
    let single = DetectionConfig { threads: 1, ..cfg };
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let tracks = generate(n, 42, &GenConfig::default());
        let found = detect(&tracks, NOW, &cfg).len();
        eprintln!("scan/{n}: {found} conflicting pairs");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("pruned_2threads/{n}"), |b| b.iter(|| detect(black_box(&tracks), NOW, &cfg)));
        g.bench_function(format!("pruned_1thread/{n}"), |b| b.iter(|| detect(black_box(&tracks), NOW, &single)));
        if n <= 10_000 {
            g.bench_function(format!("all_pairs/{n}"), |b| b.iter(|| detect_all_pairs(black_box(&tracks), NOW, &cfg)));
        }
    }
    g.finish();
}

criterion_group!(benches, scans);
criterion_main!(benches);
