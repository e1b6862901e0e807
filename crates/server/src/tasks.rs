//! The background work of one replica, apart from HTTP: sealing and following
//! the audit log, purging, hotline escalation and liveness, webhook delivery,
//! the live runtime (tactical scans, receiver feeds, the exchange between
//! replicas). Each periodic task runs one pass at a time on
//! its interval; on shutdown no new pass starts, a pass in progress finishes
//! (its writes commit or roll back whole), and whatever has not finished
//! within the grace is dropped. Failures are [`TaskError`]s, logged per pass;
//! they never end the task.

use std::future::Future;
use std::time::Duration;

use deconflict_core::{App, EngineError, StoreError};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Why a background pass failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The engine refused or the store failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking part of the pass panicked or was cancelled.
    #[error("background work on a blocking thread failed: {0}")]
    Join(String),
}

impl TaskError {
    /// The store's error behind this failure, or a backend error naming it.
    pub fn into_store(self) -> StoreError {
        match self {
            TaskError::Store(e) | TaskError::Engine(EngineError::Store(e)) => e,
            other => StoreError::backend("background work", other),
        }
    }
}

/// Runs `f` on the application on a blocking thread (the store is synchronous).
///
/// # Errors
/// What `f` returns, or [`TaskError::Join`].
pub async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&App) -> Result<T, EngineError> + Send + 'static,
) -> Result<T, TaskError> {
    let app = app.clone();
    Ok(tokio::task::spawn_blocking(move || f(&app)).await.map_err(|e| TaskError::Join(e.to_string()))??)
}

/// The running background tasks of one replica.
#[derive(Debug)]
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Default for Background {
    fn default() -> Self {
        Self { stop: watch::channel(false).0, tasks: JoinSet::new() }
    }
}

impl Background {
    /// No task yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `pass` every `interval` (the first at once) until stopped; a
    /// failed pass is logged and the next one runs on time.
    pub fn every<F, Fut>(&mut self, name: &'static str, interval: Duration, mut pass: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), TaskError>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        self.tasks.spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
                if let Err(e) = pass().await {
                    metrics::counter!("deconflict_background_failures_total", "task" => name).increment(1);
                    tracing::warn!(task = name, error = %e, "background pass failed");
                }
            }
        });
    }

    /// Runs `work` (a listener, a loop of its own) until it ends or the
    /// replica stops.
    pub fn until_stopped(&mut self, work: impl Future<Output = ()> + Send + 'static) {
        let mut stop = self.stop.subscribe();
        self.tasks.spawn(async move {
            tokio::select! {
                () = work => {}
                _ = stop.changed() => {}
            }
        });
    }

    /// Runs the work `start` makes from the stop signal: work that watches
    /// the signal itself (the live runtime) and, once it turns, finishes
    /// what it is doing and ends, within the grace like a pass.
    pub fn watching<Fut>(&mut self, start: impl FnOnce(watch::Receiver<bool>) -> Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(start(self.stop.subscribe()));
    }

    /// Stops every task: no new pass starts, passes in progress get `grace`
    /// to finish, the rest are dropped. Returns how many had to be dropped.
    pub async fn stop(mut self, grace: Duration) -> usize {
        let _ = self.stop.send(true);
        let drained =
            tokio::time::timeout(grace, async { while self.tasks.join_next().await.is_some() {} }).await;
        let left = self.tasks.len();
        if drained.is_err() {
            tracing::warn!(left, "background tasks still running after the shutdown grace: dropped");
        }
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        left
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_pass_in_progress_finishes_and_no_new_one_starts() {
        let mut bg = Background::new();
        let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (tx, rx) = tokio::sync::mpsc::channel::<()>(1);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let (s, f) = (started.clone(), finished.clone());
        bg.every("test", Duration::from_millis(1), move || {
            let (s, f, rx) = (s.clone(), f.clone(), rx.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                rx.lock().await.recv().await; // a pass that waits to be released
                f.fetch_add(1, Ordering::SeqCst);
                Err(TaskError::Join("a failing pass does not end the task".into()))
            }
        });
        tx.send(()).await.unwrap(); // first pass done
        while started.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await; // the second pass has started and waits
        }
        let stopping = tokio::spawn(bg.stop(Duration::from_secs(30)));
        tx.send(()).await.unwrap(); // release it: it finishes within the grace
        assert_eq!(stopping.await.unwrap(), 0, "nothing had to be dropped");
        assert_eq!((started.load(Ordering::SeqCst), finished.load(Ordering::SeqCst)), (2, 2));
    }

    #[tokio::test]
    async fn what_outlives_the_grace_is_dropped() {
        let mut bg = Background::new();
        let entered = Arc::new(AtomicUsize::new(0));
        let e = entered.clone();
        bg.every("stuck", Duration::from_millis(1), move || {
            let e = e.clone();
            async move {
                e.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
                Ok(())
            }
        });
        bg.until_stopped(std::future::pending());
        while entered.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await; // the periodic task is in its stuck pass
        }
        assert_eq!(bg.stop(Duration::from_millis(50)).await, 1, "the stuck pass, not the listener");
    }
}
