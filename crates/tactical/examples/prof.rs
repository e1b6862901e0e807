use tactical::traffic::{GenConfig, generate};
use tactical::{DetectionConfig, Timestamp, detect};
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let threads: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let tracks = generate(n, 42, &GenConfig::default());
    let cfg = DetectionConfig { threads, ..DetectionConfig::en_route() };
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let r = detect(&tracks, Timestamp::from_micros(0), &cfg);
        std::hint::black_box(&r);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("n={n} threads={threads} best={best:.2} ms");
}
