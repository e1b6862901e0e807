//! The change feed and the audit log, per replica.
//!
//! - The **sealer** task chains pending events into the audit log and signs the
//!   head (only the replica holding the sealer lease does; see
//!   `deconflict_core::ledger`).
//! - The **follower** task reads the sealed log in sequence order from the
//!   store and broadcasts each entry to this replica's live streams. Because
//!   every replica follows the same sealed sequence from the shared store, a
//!   change made through any replica reaches the streams of all of them, and a
//!   client that reconnects with `Last-Event-ID` misses nothing.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use deconflict_core::ledger::seal_once;
use deconflict_core::{Store, StoreError, TxMode};
use tokio::sync::broadcast;

use crate::state::Clock;

/// How many sealed entries the follower reads per query.
const PAGE: usize = 500;

/// One replica's view of the log: the signing key, its replica name, and the
/// broadcast of newly sealed entries.
#[derive(Debug, Clone)]
pub struct Feed {
    key: Arc<audit::ServiceKey>,
    replica: Arc<str>,
    sender: broadcast::Sender<Arc<audit::Entry>>,
    followed: Arc<AtomicU64>,
}

/// Why the audit key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
#[error("audit key {path}: {reason}")]
pub struct KeyFileError {
    path: String,
    reason: String,
}

impl Feed {
    /// A feed signing with `key`.
    pub fn new(key: audit::ServiceKey) -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            key: Arc::new(key),
            replica: uuid::Uuid::new_v4().to_string().into(),
            sender,
            followed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The public half of the signing key.
    pub fn public_key(&self) -> audit::PublicKey {
        self.key.public_key()
    }

    /// New entries as they are sealed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<audit::Entry>> {
        self.sender.subscribe()
    }

    /// The highest sequence number broadcast so far.
    pub fn followed(&self) -> u64 {
        self.followed.load(Ordering::SeqCst)
    }

    /// Seals what is pending (in batches until none is left) on a blocking thread.
    ///
    /// # Errors
    /// The store's error.
    pub async fn seal(&self, store: Arc<dyn Store>, clock: &Clock) -> Result<usize, StoreError> {
        let (key, replica, now) = (self.key.clone(), self.replica.clone(), clock.now());
        let task = tokio::task::spawn_blocking(move || {
            let mut total = 0;
            loop {
                // Another replica sealing at the same moment makes ours a Retry:
                // it holds the lease, so there is nothing for us to do now.
                let r = match seal_once(&*store, &key, &replica, now, PAGE) {
                    Err(StoreError::Retry) => return Ok(total),
                    other => other?,
                };
                total += r.sealed;
                if !r.leader || r.sealed < PAGE {
                    return Ok(total);
                }
            }
        });
        task.await.map_err(|e| StoreError::backend("sealer task failed", e))?
    }

    /// Reads newly sealed entries from the store and broadcasts them.
    ///
    /// # Errors
    /// The store's error.
    pub async fn follow(&self, store: Arc<dyn Store>) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let after = self.followed();
            let store = store.clone();
            let page = tokio::task::spawn_blocking(move || {
                let mut tx = store.begin(TxMode::Read)?;
                tx.sealed_after(after, PAGE)
            })
            .await
            .map_err(|e| StoreError::backend("follower task failed", e))??;
            let n = page.len();
            for entry in page {
                self.followed.store(entry.seq, Ordering::SeqCst);
                // No receiver is not an error: nobody is listening right now.
                let _ = self.sender.send(Arc::new(entry));
            }
            total += n;
            if n < PAGE {
                return Ok(total);
            }
        }
    }

    /// Starts following at the current head, so that a new replica does not
    /// replay the whole history to its live streams (clients resume with
    /// `Last-Event-ID` from the store instead).
    ///
    /// # Errors
    /// The store's error.
    pub async fn start_at_head(&self, store: Arc<dyn Store>) -> Result<(), StoreError> {
        let head = tokio::task::spawn_blocking(move || {
            let mut tx = store.begin(TxMode::Read)?;
            tx.last_sealed()
        })
        .await
        .map_err(|e| StoreError::backend("follower task failed", e))??;
        self.followed.store(head.map_or(0, |e| e.seq), Ordering::SeqCst);
        Ok(())
    }

    /// One background pass: seals what is pending, then pushes what was
    /// sealed (by any replica) to this replica's streams.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn pass(&self, store: Arc<dyn Store>, clock: &Clock) -> Result<(), crate::tasks::TaskError> {
        let n = self.seal(store.clone(), clock).await?;
        if n > 0 {
            metrics::counter!("deconflict_audit_sealed_total").increment(n as u64);
        }
        self.follow(store).await?;
        Ok(())
    }
}

/// Loads the audit signing key from a PKCS#8 PEM file, creating it (mode 0600)
/// on first use.
///
/// # Errors
/// When the file cannot be read, parsed or written.
pub fn load_or_create_key(path: &Path) -> Result<audit::ServiceKey, KeyFileError> {
    let err = |reason: String| KeyFileError { path: path.display().to_string(), reason };
    match std::fs::read_to_string(path) {
        Ok(pem) => audit::ServiceKey::from_pkcs8_pem(&pem).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = audit::ServiceKey::generate().map_err(|e| err(e.to_string()))?;
            let pem = key.to_pkcs8_pem().map_err(|e| err(e.to_string()))?;
            write_private(path, pem.as_bytes()).map_err(|e| err(e.to_string()))?;
            tracing::info!(path = %path.display(), key_id = %key.key_id(), "created the audit signing key");
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
