//! `deconflict tactical …`: offline conflict scan of a traffic CSV, and a
//! traffic generator.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use tactical::csv::{format_conflicts, format_traffic, parse_traffic};
use tactical::traffic::{GenConfig, generate};
use tactical::units::METRES_PER_NM;
use tactical::{DetectionConfig, Timestamp, detect};

/// Tactical (live traffic) tools.
#[derive(Debug, clap::Subcommand)]
pub enum TacticalCmd {
    /// Predict losses of separation in a traffic CSV
    /// (`id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm`); prints
    /// `id_a,id_b,tcpa_s,dcpa_nm,tlos_s` on stdout and one summary line on stderr.
    Scan {
        /// Traffic CSV file.
        #[arg(long)]
        input: PathBuf,
        /// Horizontal minimum, nautical miles.
        #[arg(long, default_value_t = 5.0)]
        rpz_nm: f64,
        /// Vertical minimum, feet.
        #[arg(long, default_value_t = 1000.0)]
        hpz_ft: f64,
        /// Look-ahead, seconds.
        #[arg(long, default_value_t = 300.0)]
        lookahead_s: f64,
    },
    /// Generate realistic en-route traffic as CSV (deterministic from the seed).
    Gen {
        /// Number of aircraft.
        #[arg(long)]
        n: usize,
        /// PRNG seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (default: stdout).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Runs a tactical subcommand.
pub fn run(cmd: TacticalCmd) -> anyhow::Result<()> {
    match cmd {
        TacticalCmd::Scan { input, rpz_nm, hpz_ft, lookahead_s } => {
            let cfg = DetectionConfig {
                horizontal_m: rpz_nm * METRES_PER_NM,
                vertical_ft: hpz_ft,
                lookahead_s,
                threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            anyhow::ensure!(
                cfg.is_valid(),
                "invalid minima: --rpz-nm, --hpz-ft and --lookahead-s must be positive (at most 540 NM, 100000 ft, 86400 s)"
            );
            let text =
                std::fs::read_to_string(&input).with_context(|| format!("reading {}", input.display()))?;
            let traffic = parse_traffic(&text).with_context(|| format!("parsing {}", input.display()))?;
            let start = Instant::now();
            let report = detect(&traffic.tracks, Timestamp::from_micros(0), &cfg);
            let elapsed = start.elapsed();
            print!("{}", format_conflicts(report.iter(), |id| traffic.label(id)));
            eprintln!(
                "tracks={} pairs={} scan_ms={:.3}",
                traffic.tracks.len(),
                report.len(),
                elapsed.as_secs_f64() * 1e3
            );
            Ok(())
        }
        TacticalCmd::Gen { n, seed, output } => {
            let csv = format_traffic(&generate(n, seed, &GenConfig::default()));
            match output {
                Some(path) => {
                    std::fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?
                }
                None => print!("{csv}"),
            }
            Ok(())
        }
    }
}
