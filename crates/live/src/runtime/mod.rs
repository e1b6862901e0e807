//! The live service's background work, in one place with one shutdown: the
//! periodic scan, every configured source (TCP clients that reconnect with
//! backoff, TCP listeners, UDP sockets, `aircraft.json` polls) and the
//! exchange with the other replicas.
//!
//! [`LiveRuntime::start`] binds every listener and socket first, so a bad
//! address fails start-up with a message naming the source, then spawns the
//! tasks. [`LiveRuntime::shutdown`] tells every task to stop and waits for
//! them: nothing is aborted halfway through an ingestion or a scan.

mod feeds;
mod redis;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::LiveService;
use crate::source::Target;

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

/// The running background tasks of one live service.
#[derive(Debug)]
pub struct LiveRuntime {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl LiveRuntime {
    /// Binds every listener and UDP socket of the configured sources, then
    /// starts the scans, the sources and the exchange.
    ///
    /// # Errors
    /// The first bind error, naming the source (e.g. "binding the SBS-1
    /// listener 0.0.0.0:30003 (party radar): address in use").
    pub async fn start(live: LiveService) -> std::io::Result<Self> {
        let (stop, _) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut bound = Vec::new();
        for status in live.sources() {
            let socket = feeds::bind(&status).await?;
            bound.push((status, socket));
        }
        for (status, socket) in bound {
            tasks.spawn(feeds::run(live.clone(), status, socket, stop.subscribe()));
        }
        tasks.spawn(scans(live.clone(), stop.subscribe()));
        if let Some(cfg) = live.config().exchange.clone() {
            redis::start(&mut tasks, live.clone(), cfg, &stop);
        }
        Ok(Self { stop, tasks })
    }

    /// Stops every task and waits for them to finish.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        while self.tasks.join_next().await.is_some() {}
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
