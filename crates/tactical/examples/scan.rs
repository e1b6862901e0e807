//! Generates `N` tracks in memory and scans them `REPEAT` times; prints the
//! conflict count and the best time. For memory figures (`/usr/bin/time -v`)
//! and profiles without the CSV of `deconflict tactical scan`:
//!
//! ```sh
//! cargo run --release -p tactical --example scan -- 1000000 [side_km] [threads] [repeat]
//! ```

use std::time::Instant;

use tactical::traffic::{GenConfig, generate};
use tactical::{DetectionConfig, Timestamp, detect};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: f64| args.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(default);
    let n = arg(1, 10_000.0) as usize;
    let gen_cfg = match args.get(2).and_then(|s| s.parse::<f64>().ok()) {
        Some(side_km) => {
            GenConfig { density_per_km2: n as f64 / (side_km * side_km), ..GenConfig::default() }
        }
        None => GenConfig::default(),
    };
    let cfg = DetectionConfig { threads: arg(3, 2.0) as usize, ..DetectionConfig::en_route() };
    let repeat = arg(4, 3.0) as usize;
    let tracks = generate(n, 42, &gen_cfg);
    let mut best = f64::INFINITY;
    let mut pairs = 0;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = detect(&tracks, Timestamp::from_micros(0), &cfg);
        best = best.min(t.elapsed().as_secs_f64());
        pairs = r.len();
    }
    println!("{n} tracks, {pairs} conflicting pairs, best of {repeat}: {:.2} ms", best * 1e3);
}
