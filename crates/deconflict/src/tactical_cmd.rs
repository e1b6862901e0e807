//! `deconflict tactical …`: offline conflict scan of a traffic CSV, a
//! traffic generator, and replays of recorded traffic through the live
//! service (or into a running server).

use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Play recorded traffic (state-vector CSV
    /// `timestamp_utc,icao24,callsign,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm`, or
    /// Beast binary; gzip or not) through the live service on a simulated
    /// clock; prints every alert transition as CSV
    /// (`time,id_a,id_b,state,t_los_s,d_cpa_nm`) on stdout and a summary on
    /// stderr. With `--server`, feeds a running server at real time instead.
    Replay {
        /// The recording.
        #[arg(long)]
        input: PathBuf,
        /// Recorded seconds per second (default: as fast as possible; with `--server`: 1).
        #[arg(long)]
        speed: Option<f64>,
        /// Separation minima, `en-route` or `drone`.
        #[arg(long, default_value = "en-route")]
        profile: server::live::Profile,
        /// Milliseconds of recorded time between scans.
        #[arg(long, default_value_t = 1000)]
        scan_interval_ms: u64,
        /// Feed this server instead (`POST /v1/tracks` once a second of
        /// recorded time, times shifted to now).
        #[arg(long, value_parser = crate::cli_values::server_url)]
        server: Option<String>,
        /// Bearer token with `deconflict.tracks.write` for `--server`.
        #[arg(long, env = "DECONF_TOKEN")]
        token: Option<String>,
        /// CAs (PEM) trusted for an `https://` server, beyond the system's roots.
        #[arg(long, env = "DECONF_CA_FILE")]
        ca_file: Option<PathBuf>,
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
        TacticalCmd::Replay { input, speed, profile, scan_interval_ms, server, token, ca_file } => {
            let recording =
                server::live::replay::load(&input).with_context(|| format!("reading {}", input.display()))?;
            anyhow::ensure!(
                speed.is_none_or(|s| s.is_finite() && s > 0.0),
                "--speed must be a positive number"
            );
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            match server {
                Some(url) => {
                    let token = token.context("--server needs --token (or DECONF_TOKEN)")?;
                    let client = crate::client::Client::new(&url, &token, ca_file.as_deref())?;
                    rt.block_on(feed_server(&recording, &client, speed.unwrap_or(1.0)))?;
                    eprintln!("posted={} reports to {url}", recording.len());
                    Ok(())
                }
                None => {
                    let opts = server::live::replay::ReplayOptions {
                        live: server::live::LiveConfig {
                            scan_interval: Duration::from_millis(scan_interval_ms.max(10)),
                            detection: profile.detection(),
                            alerts: profile.alerts(),
                            ..server::live::LiveConfig::default()
                        },
                        speed,
                    };
                    rt.block_on(replay(&recording, &opts))
                }
            }
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

fn rfc3339(t: geom::Time) -> String {
    chrono::DateTime::from_timestamp_micros(t.as_micros())
        .map_or_else(|| t.as_micros().to_string(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

async fn replay(
    recording: &[server::live::replay::Recorded],
    opts: &server::live::replay::ReplayOptions,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let started = Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "time,id_a,id_b,state,t_los_s,d_cpa_nm")?;
    let mut failed = None;
    let s = server::live::replay::run(recording, opts, |t| {
        if failed.is_none()
            && let Err(e) = writeln!(
                out,
                "{},{},{},{},{:.1},{:.2}",
                rfc3339(t.time),
                t.id_a,
                t.id_b,
                t.state.name(),
                t.t_los_s,
                t.d_cpa_nm
            )
        {
            failed = Some(e);
        }
    })
    .await;
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    eprintln!(
        "reports={} aircraft={} recorded_s={:.0} scans={} alerts={} pairs={} alerts_per_pair={:.2} resumed={} late={} imminent={} wall_s={:.1}",
        s.reports,
        s.aircraft,
        s.duration_s,
        s.scans,
        s.alerts,
        s.pairs,
        s.alerts_per_pair(),
        s.resumed,
        s.late,
        s.imminent,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Posts the recording to a server once a second of recorded time (divided
/// by `speed`), each report's time shifted so the first is now.
async fn feed_server(
    recording: &[server::live::replay::Recorded],
    client: &crate::client::Client,
    speed: f64,
) -> anyhow::Result<()> {
    let Some(first) = recording.first() else { return Ok(()) };
    let t0 = first.state.time.as_micros();
    let wall0 = chrono::Utc::now().timestamp_micros();
    let start = tokio::time::Instant::now();
    let mut next = 0;
    let mut second = 0i64;
    while next < recording.len() {
        second += 1;
        let upto = t0 + second * 1_000_000;
        let end = recording[next..].partition_point(|r| r.state.time.as_micros() < upto) + next;
        for chunk in recording[next..end].chunks(5_000) {
            let tracks: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| {
                    let s = &r.state;
                    let t = wall0 + ((s.time.as_micros() - t0) as f64 / speed) as i64;
                    serde_json::json!({
                        "id": r.name,
                        "time": chrono::DateTime::from_timestamp_micros(t).map(|d| d.to_rfc3339()),
                        "lat": s.position.lat_deg(), "lon": s.position.lon_deg(),
                        "alt_ft": s.altitude.feet, "gs_kt": s.ground_speed.0,
                        "trk_deg": s.track_angle.0, "vs_fpm": s.vertical_rate.0,
                        "callsign": s.callsign.map(|c| c.as_str().to_owned()),
                    })
                })
                .collect();
            let reply = client
                .call(reqwest::Method::POST, "/v1/tracks", Some(&serde_json::json!({ "tracks": tracks })))
                .await?;
            anyhow::ensure!(
                reply.status.is_success(),
                "POST /v1/tracks: {} {}",
                reply.status,
                reply.message()
            );
        }
        next = end;
        tokio::time::sleep_until(start + Duration::from_secs_f64(second as f64 / speed)).await;
    }
    Ok(())
}
