//! Shared state of one server: the application, the token verifier, the clock and
//! the request settings. Cheap to clone (everything is behind `Arc`).

use std::sync::Arc;
use std::time::Duration;

use deconflict_core::{App, Ctx, EngineError};

use crate::auth::Verifier;
use crate::error::ApiError;
use crate::extract::Authed;

/// Where "now" comes from: the system clock, or a clock a test sets (the
/// live service's clock, shared with it).
pub use live::Clock;

/// Everything a handler needs.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The application (strategic engine and coordination) over the configured store.
    pub app: App,
    /// Verifies bearer tokens.
    pub verifier: Arc<Verifier>,
    /// The clock.
    pub clock: Clock,
    /// How long a request may take before it is rolled back.
    pub request_timeout: Duration,
    /// The audit log signer and change feed of this replica.
    pub feed: crate::feed::Feed,
    /// Tactical deconfliction: the live service (picture, scans, alerts).
    pub live: live::LiveService,
    /// Lines between command posts: webhook client and dispatcher state of this replica.
    pub coord: crate::coord_tasks::CoordRuntime,
    /// Open event and alert streams per party, bounded.
    pub streams: StreamSlots,
    /// This replica's id among the pool's DSS instances.
    pub dss_instance_id: Arc<str>,
    /// Signs development tokens for the web page (`--dev` only).
    pub dev_tokens: Option<crate::web::DevTokens>,
    /// Limits of blind filing (largest line policy, filing rate).
    pub blind: Arc<deconflict_core::coord::blind::BlindLimits>,
}

/// Counts the long-lived streams (`/v1/events/stream`, `/v1/alerts/stream`)
/// each party holds open on this replica, so one party cannot hold them all.
#[derive(Debug, Clone)]
pub struct StreamSlots {
    open: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    per_party: usize,
}

impl StreamSlots {
    /// At most `per_party` open streams per party.
    pub fn new(per_party: usize) -> Self {
        Self { open: Arc::default(), per_party: per_party.max(1) }
    }

    /// A slot for one more stream of `party`, released when dropped.
    ///
    /// # Errors
    /// 429 naming the limit when the party already holds `per_party`.
    pub fn acquire(&self, party: &str) -> Result<StreamSlot, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(party.to_owned()).or_insert(0);
        if *n >= self.per_party {
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "{party} already holds {} open streams on this server (the limit is {}); close one first",
                    *n, self.per_party
                ),
                retry_after_s: 15,
            });
        }
        *n += 1;
        Ok(StreamSlot { slots: self.clone(), party: party.to_owned() })
    }
}

/// One open stream; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    slots: StreamSlots,
    party: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.party) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.party);
            }
        }
    }
}

impl AppState {
    /// Runs an application call for `authed` on a blocking thread, with the
    /// request deadline, and maps its refusal to an HTTP error.
    ///
    /// # Errors
    /// The engine's refusal as an [`ApiError`].
    pub async fn run<T, F>(&self, authed: &Authed, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App, &Ctx) -> Result<T, EngineError> + Send + 'static,
    {
        let mut ctx = Ctx::new(authed.party.clone(), self.clock.now())
            .with_roles(authed.roles())
            .with_budget(self.request_timeout);
        // When the client goes away, the connection drops this future: the
        // guard then marks the request abandoned and the engine commits
        // nothing more for it (DSS0215).
        let guard = AbandonOnDrop::new();
        ctx.deadline = ctx.deadline.or_abandoned(guard.flag.clone());
        let app = self.app.clone();
        let viewer = authed.party.clone();
        let result = tokio::task::spawn_blocking(move || f(&app, &ctx)).await;
        guard.disarm();
        result
            .map_err(|e| ApiError::Internal(format!("engine task failed: {e}")))?
            .map_err(|e| ApiError::from_engine(e, &viewer))
    }
}

/// Sets its flag when dropped before [`AbandonOnDrop::disarm`]: the request
/// future it lives in was dropped, its client is gone.
struct AbandonOnDrop {
    flag: Arc<std::sync::atomic::AtomicBool>,
    armed: bool,
}

impl AbandonOnDrop {
    fn new() -> Self {
        Self { flag: Arc::default(), armed: true }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, std::sync::atomic::Ordering::Release);
            ::metrics::counter!("deconflict_requests_abandoned_total").increment(1);
        }
    }
}
