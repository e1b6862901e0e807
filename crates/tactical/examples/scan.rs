//! Generates `N` tracks in memory and scans them `REPEAT` times; prints the
//! conflict count and the best time. For memory figures (`/usr/bin/time -v`)
//! and profiles without the CSV of `deconflict tactical scan`:
//!
//! ```sh
//! cargo run --release -p tactical --example scan -- 1000000 [side_km] [threads] [repeat]
//! cargo run --release -p tactical --example scan -- 10000 100 csv > dense.csv   # the traffic, as `tactical gen` writes it
//! ```

use std::time::Instant;

use tactical::traffic::{GenConfig, generate};
use tactical::{DetectionConfig, Timestamp, detect};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = args.get(1).filter(|a| a.ends_with(".csv")) {
        // A traffic file (as `tactical gen` writes it), scanned 5 times.
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let parsed = match tactical::csv::parse_traffic(&text) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        };
        let cfg = DetectionConfig::en_route();
        let mut best = f64::INFINITY;
        let mut pairs = 0;
        for _ in 0..5 {
            let t = Instant::now();
            pairs = detect(&parsed.tracks, Timestamp::from_micros(0), &cfg).len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{path}: {} tracks, {pairs} conflicting pairs, best of 5: {:.2} ms",
            parsed.tracks.len(),
            best * 1e3
        );
        return;
    }
    let arg = |i: usize, default: f64| args.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(default);
    let n = arg(1, 10_000.0) as usize;
    let gen_cfg = match args.get(2).and_then(|s| s.parse::<f64>().ok()) {
        Some(side_km) => {
            GenConfig { density_per_km2: n as f64 / (side_km * side_km), ..GenConfig::default() }
        }
        None => GenConfig::default(),
    };
    let tracks = generate(n, 42, &gen_cfg);
    if args.get(3).map(String::as_str) == Some("csv") {
        print!("{}", tactical::csv::format_traffic(&tracks));
        return;
    }
    let cfg = DetectionConfig { threads: arg(3, 2.0) as usize, ..DetectionConfig::en_route() };
    let repeat = (arg(4, 3.0) as usize).max(1);
    let mut best = f64::INFINITY;
    let mut pairs = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = detect(&tracks, Timestamp::from_micros(0), &cfg);
        best = best.min(t.elapsed().as_secs_f64());
        pairs = r.len();
    }
    println!("{n} tracks, {pairs} conflicting pairs, best of {repeat}: {:.2} ms", best * 1e3);
}
