//! Benchmarks: pruned scan at 1k/10k/100k/1M tracks at realistic density
//! (10,000 per 600 km × 600 km), 10k packed into 100 km × 100 km, the
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
        g.bench_function(format!("pruned_2threads/{n}"), |b| {
            b.iter(|| detect(black_box(&tracks), NOW, &cfg))
        });
        g.bench_function(format!("pruned_1thread/{n}"), |b| {
            b.iter(|| detect(black_box(&tracks), NOW, &single))
        });
        if n <= 10_000 {
            g.bench_function(format!("all_pairs/{n}"), |b| {
                b.iter(|| detect_all_pairs(black_box(&tracks), NOW, &cfg))
            });
        }
    }
    g.finish();

    // The same 10,000 packed into 100 km × 100 km (36 times denser).
    let mut g = c.benchmark_group("scan_dense");
    g.sample_size(10);
    // 10,000 / (100 km × 100 km).
    let dense = GenConfig { density_per_km2: 1.0, ..GenConfig::default() };
    let tracks = generate(10_000, 42, &dense);
    eprintln!("scan_dense/10000: {} conflicting pairs", detect(&tracks, NOW, &cfg).len());
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("pruned_2threads/10000", |b| b.iter(|| detect(black_box(&tracks), NOW, &cfg)));
    g.bench_function("pruned_1thread/10000", |b| b.iter(|| detect(black_box(&tracks), NOW, &single)));
    g.finish();

    // A million tracks at the realistic density (a 6,000 km square).
    let mut g = c.benchmark_group("scan_1m");
    g.sample_size(10);
    let tracks = generate(1_000_000, 42, &GenConfig::default());
    eprintln!("scan_1m: {} conflicting pairs", detect(&tracks, NOW, &cfg).len());
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("pruned_2threads/1000000", |b| b.iter(|| detect(black_box(&tracks), NOW, &cfg)));
    g.finish();
}

fn sbs(c: &mut Criterion) {
    // A realistic mix: identification, positions, velocities, altitude and squawk.
    let lines: Vec<String> = (0..1000u32)
        .map(|i| {
            let hex = 0x400000 + i * 37;
            match i % 5 {
                0 => format!("MSG,1,1,1,{hex:06X},1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,EZY{i:04},,,,,,,,0,0,0,0\r\n"),
                1 | 2 => format!(
                    "MSG,3,1,1,{hex:06X},1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,{},,,{:.5},{:.5},,,0,0,0,0\r\n",
                    10_000 + i * 25,
                    50.0 + f64::from(i) * 1e-3,
                    4.0 + f64::from(i) * 2e-3
                ),
                3 => format!(
                    "MSG,4,1,1,{hex:06X},1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,,{},{:.1},,,{},,0,0,0,0\r\n",
                    250 + i % 250,
                    f64::from(i % 360),
                    i64::from(i % 9) * 320 - 1280
                ),
                _ => format!("MSG,6,1,1,{hex:06X},1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,{},,,,,,{:04o},0,0,0,0\r\n", 30_000 + i, i % 4096),
            }
        })
        .collect();
    let mut g = c.benchmark_group("sbs");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse_line", |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for l in &lines {
                ok += u32::from(tactical::sbs::parse_line(black_box(l.as_bytes())).is_ok());
            }
            assert_eq!(ok, 1000);
            ok
        })
    });
    g.finish();
}

criterion_group!(benches, scans, sbs);
criterion_main!(benches);
