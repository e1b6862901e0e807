//! The live service's background work, in one place with one shutdown: the
//! periodic scan, every configured source (TCP clients that reconnect with
//! backoff, TCP listeners, UDP sockets, `aircraft.json` polls) and the
//! exchange with the other replicas.
//!
//! [`LiveRuntime::bind`] binds every listener and socket first, so a bad
//! address fails start-up with a message naming the source;
//! [`LiveRuntime::run`] runs the tasks under the caller's stop signal (the
//! server's background runtime, `server::tasks`, so a replica has one
//! shutdown): once it turns, every task finishes what it is doing (an
//! ingestion, a scan) and ends.

mod feeds;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::LiveService;
use crate::source::{SourceStatus, Target};

/// Exponential backoff with jitter, for reconnecting.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
    first: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self { next: first, first, max }
    }

    /// The next wait (doubling up to the maximum, ±25 % jitter).
    pub(crate) fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let jitter = 0.75 + 0.5 * (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
        base.mul_f64(jitter)
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Waits `d`, or less if told to stop; returns whether to stop.
pub(crate) async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// The background work of one live service, its sockets bound, ready to run
/// under the caller's shutdown signal.
#[derive(Debug)]
pub struct LiveRuntime {
    live: LiveService,
    bound: Vec<(Arc<SourceStatus>, feeds::Socket)>,
}

impl LiveRuntime {
    /// Binds every listener and UDP socket of the configured sources.
    ///
    /// # Errors
    /// The first bind error, naming the source (e.g. "binding the SBS-1
    /// listener 0.0.0.0:30003 (party radar): address in use").
    pub async fn bind(live: LiveService) -> std::io::Result<Self> {
        let mut bound = Vec::new();
        for status in live.sources() {
            let socket = feeds::bind(&status).await?;
            bound.push((status, socket));
        }
        Ok(Self { live, bound })
    }

    /// Runs the scans, the sources and the exchange until `stop` turns
    /// true, then waits for each of them to finish what it is doing (an
    /// ingestion, a scan). Dropping the future aborts them all.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let Self { live, bound } = self;
        let mut tasks = JoinSet::new();
        for (status, socket) in bound {
            tasks.spawn(feeds::run(live.clone(), status, socket, stop.clone()));
        }
        tasks.spawn(scans(live.clone(), stop.clone()));
        if let Some(cfg) = live.config().exchange.clone() {
            redis::start(&mut tasks, live.clone(), cfg, &stop);
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Scans every `scan_interval` until stopped (the first one interval after start).
async fn scans(live: LiveService, mut stop: watch::Receiver<bool>) {
    let every = live.config().scan_interval.max(Duration::from_millis(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => { live.scan_once().await; }
            _ = stop.changed() => return,
        }
    }
}

impl Target {
    /// Whether the source connects out (and so reconnects).
    pub fn connects_out(&self) -> bool {
        matches!(self, Target::Connect(_) | Target::Http(_))
    }
}
