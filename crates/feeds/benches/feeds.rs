//! Decoding throughput: Beast and raw framing, ADS-B decoding, and the
//! whole Beast → ADS-B → track path, over the real flight of
//! `tests/data/afr34zg_adsb.csv` (805 frames).

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use feeds::Framer;
use feeds::assembler::{AdsbAssembler, AdsbAssemblerConfig};
use feeds::beast::{BeastFramer, encode};
use feeds::raw::RawFramer;
use feeds::{Frame, ModeSFrame, adsb};
use tactical::Timestamp;

fn frames() -> Vec<(f64, ModeSFrame)> {
    include_str!("../tests/data/afr34zg_adsb.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split(',');
            let t: f64 = c.next()?.parse().ok()?;
            let hex = c.next()?;
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                .collect();
            Some((t, ModeSFrame::new(&bytes, None, None)?))
        })
        .collect()
}

/// Frames `input` with a fresh `F`, 4 KiB at a time, counting the frames.
fn bench_framing<F: Framer + Default>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, input: &[u8]) {
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut f = F::default();
            let mut k = 0u32;
            for chunk in black_box(input).chunks(4096) {
                f.push(chunk, |_| k += 1);
            }
            k
        })
    });
}

fn decoding(c: &mut Criterion) {
    let frames = frames();
    let n = frames.len() as u64;
    let beast: Vec<u8> = frames.iter().flat_map(|(t, f)| encode(f.data(), (*t * 12e6) as u64, 100)).collect();
    let raw: Vec<u8> = frames
        .iter()
        .flat_map(|(_, f)| {
            let mut s = String::from("*");
            s.extend(f.data().iter().map(|b| format!("{b:02X}")));
            s.push_str(";\n");
            s.into_bytes()
        })
        .collect();
    let mut g = c.benchmark_group("feeds");
    g.throughput(Throughput::Elements(n));
    bench_framing::<BeastFramer>(&mut g, "beast_framing", &beast);
    bench_framing::<RawFramer>(&mut g, "raw_framing", &raw);
    g.bench_function("adsb_decode", |b| {
        b.iter(|| frames.iter().filter(|(_, f)| adsb::decode(black_box(f)).is_ok()).count())
    });
    g.bench_function("beast_to_tracks", |b| {
        b.iter(|| {
            let mut f = BeastFramer::new();
            let mut asm = AdsbAssembler::new(AdsbAssemblerConfig {
                receiver: Some((49.0, 2.55)),
                receiver_range_nm: 100.0,
                ..AdsbAssemblerConfig::default()
            });
            let mut states = 0u32;
            for chunk in black_box(&beast).chunks(4096) {
                f.push(chunk, |fr| {
                    if let Frame::ModeS(m) = fr
                        && let Ok(msg) = adsb::decode(&m)
                    {
                        let now = Timestamp::from_micros(m.mlat.map_or(0, |t| (t / 12) as i64));
                        states += u32::from(asm.ingest(&msg, now).is_some());
                    }
                });
            }
            states
        })
    });
    g.finish();
}

criterion_group!(benches, decoding);
criterion_main!(benches);
