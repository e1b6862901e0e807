//! A live service with a runtime, and the real flight of `feeds/tests/data`.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use deconflict_core::{Engine, Limits, MemoryStore, PartyName};
use live::{Clock, LiveConfig, LiveRuntime, LiveService, SourceKind, SourceSpec, SourceStatus};

/// One row of `afr34zg_adsb.csv`: a real DF17 frame and the reference decoder's values.
#[derive(Debug, Clone)]
pub struct Row {
    pub t: f64,
    pub frame: Vec<u8>,
    pub bds: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_ft: Option<f64>,
    pub gs_kt: Option<f64>,
    pub trk_deg: Option<f64>,
}

pub fn rows() -> Vec<Row> {
    let text = include_str!("../../../feeds/tests/data/afr34zg_adsb.csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().ok();
            Row {
                t: f[0].parse().unwrap(),
                frame: (0..f[1].len() / 2)
                    .map(|i| u8::from_str_radix(&f[1][2 * i..2 * i + 2], 16).unwrap())
                    .collect(),
                bds: f[2].to_owned(),
                lat: n(3),
                lon: n(4),
                alt_ft: n(5),
                gs_kt: n(6),
                trk_deg: n(7),
            }
        })
        .collect()
}

/// A running service with `sources`, on the system clock, and its runtime.
pub async fn start(sources: &[(SourceKind, String)]) -> (LiveService, Running) {
    start_with(sources, LiveConfig::default()).await
}

pub async fn start_with(sources: &[(SourceKind, String)], base: LiveConfig) -> (LiveService, Running) {
    let config = LiveConfig {
        // Scans are not what these tests look at.
        scan_interval: Duration::from_secs(3600),
        poll_interval: Duration::from_millis(100),
        sources: sources.iter().map(|(k, s)| SourceSpec::parse(*k, s).unwrap()).collect(),
        ..base
    };
    let engine = Engine::new(Arc::new(MemoryStore::new()), Limits::default());
    let live = LiveService::new(config, engine, Clock::system());
    let rt = LiveRuntime::bind(live.clone()).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(rt.run(stopped));
    (live, Running { stop, task })
}

/// A runtime running under a stop signal of the test's.
pub struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Turns the stop signal and waits until every task has ended.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        self.task.await.unwrap();
    }
}

/// Waits (at most 20 s) until `done(status)`.
pub async fn wait_for(status: &SourceStatus, what: &str, done: impl Fn(&SourceStatus) -> bool) {
    let mut w = status.watch();
    let ok = tokio::time::timeout(Duration::from_secs(20), async {
        while !done(status) {
            w.changed().await.unwrap();
        }
    })
    .await;
    assert!(
        ok.is_ok(),
        "{what}: not within 20 s; counts {:?}, connects {}",
        status.totals(),
        status.connects()
    );
}

/// The bound address of a listener or UDP source.
pub async fn bound(status: &SourceStatus) -> std::net::SocketAddr {
    wait_for(status, "bound", |s| s.local_addr().is_some()).await;
    status.local_addr().unwrap()
}

pub fn party(live: &LiveService, name: &str) -> tactical::PartyId {
    live.party(&PartyName::new(name).unwrap())
}

/// Asserts a position matches the reference decoder's to 1e-4°.
pub fn near(got: (f64, f64), want: (f64, f64), what: &str) {
    assert!((got.0 - want.0).abs() < 1e-4 && (got.1 - want.1).abs() < 1e-4, "{what}: {got:?} vs {want:?}");
}
