//! A small blocking connection pool: at most `max` connections, idle ones kept
//! in a stack, callers wait on a condition variable (up to a deadline) when all
//! are busy. A connection that failed at the transport level is dropped, never
//! returned; an idle one found closed is discarded.
//!
//! Each connection is a `tokio-postgres` client driven by a current-thread
//! runtime of its own, called from blocking threads, so that
//! [`crate::pipeline`] can send a statement together with the writes queued
//! before it (one round trip), which the synchronous `postgres` client cannot.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use deconflict_core::StoreError;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Socket, Statement};

use crate::error::{connect_error, connection_lost};

/// One connection plus its prepared statements (prepared once per session).
pub(crate) struct PgConn {
    /// Always `Some` until dropped (then taken, so the connection can close).
    client: Option<Client>,
    /// Drives the connection while a call waits for an answer.
    rt: tokio::runtime::Runtime,
    /// The task that runs the connection.
    connection: Option<tokio::task::JoinHandle<()>>,
    statements: HashMap<&'static str, Statement>,
}

impl Drop for PgConn {
    /// Closes the session politely: without its client the connection task
    /// sends PostgreSQL a `Terminate` and ends (a broken one ends at once).
    fn drop(&mut self) {
        drop(self.client.take());
        if let Some(task) = self.connection.take() {
            let _ = self.rt.block_on(async { tokio::time::timeout(Duration::from_secs(1), task).await });
        }
    }
}

impl PgConn {
    /// Runs `f` to completion on this connection's runtime (which drives
    /// the connection meanwhile).
    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub(crate) fn client(&self) -> &Client {
        match &self.client {
            Some(c) => c,
            None => unreachable!("connection used while being dropped"),
        }
    }

    /// The statement for `sql`, prepared on first use on this connection.
    pub(crate) fn prepare(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.rt.block_on(self.client().prepare(sql))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    /// Runs statements that are not cached (transaction control, migrations).
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.rt.block_on(self.client().batch_execute(sql))
    }

    /// One uncached statement's rows (migrations).
    pub(crate) fn query_once(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.rt.block_on(self.client().query(sql, params))
    }

    /// Whether the connection is known to be closed.
    fn is_closed(&self) -> bool {
        self.client().is_closed()
    }
}

struct State {
    idle: Vec<PgConn>,
    /// Connections in existence: idle, lent, or being opened.
    open: usize,
}

/// Where and how a [`Pool`] connects.
pub(crate) struct PoolSettings {
    pub(crate) config: tokio_postgres::Config,
    /// TLS to the database; plain TCP when `None` (`sslmode=disable`).
    pub(crate) tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// Where it connects (host:port/db), for messages; never the password.
    pub(crate) target: String,
    /// Run on every new connection (session settings).
    pub(crate) setup: String,
    /// At most this many connections (at least one).
    pub(crate) max: usize,
    /// How long a caller waits for a connection.
    pub(crate) acquire_timeout: Duration,
}

pub(crate) struct Pool {
    settings: PoolSettings,
    state: Mutex<State>,
    available: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock();
        f.debug_struct("Pool")
            .field("target", &self.settings.target)
            .field("max", &self.settings.max)
            .field("open", &st.open)
            .field("idle", &st.idle.len())
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(mut settings: PoolSettings) -> Self {
        settings.max = settings.max.max(1);
        Self { settings, state: Mutex::new(State { idle: Vec::new(), open: 0 }), available: Condvar::new() }
    }

    pub(crate) fn max(&self) -> usize {
        self.settings.max
    }

    pub(crate) fn target(&self) -> &str {
        &self.settings.target
    }

    /// The pool's state is two plain fields that a panic cannot tear, so a
    /// poisoned lock is recovered.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lends a connection: an idle one, a new one while fewer than `max`
    /// exist, or the next one returned, waiting up to the acquire timeout.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a new connection cannot be opened or
    /// every connection stayed busy until the timeout.
    pub(crate) fn get(&self) -> Result<Lease<'_>, StoreError> {
        let deadline = Instant::now() + self.settings.acquire_timeout;
        let mut st = self.lock();
        loop {
            while let Some(conn) = st.idle.pop() {
                if conn.is_closed() {
                    st.open -= 1;
                    continue;
                }
                return Ok(Lease { conn: Some(conn), pool: self, reused: true, broken: false });
            }
            if st.open < self.settings.max {
                st.open += 1;
                drop(st);
                return match self.connect() {
                    Ok(conn) => Ok(Lease { conn: Some(conn), pool: self, reused: false, broken: false }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.available.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::unavailable(format!(
                    "all {} PostgreSQL connections to {} stayed busy for {:?}",
                    self.settings.max, self.settings.target, self.settings.acquire_timeout
                )));
            }
            st = self.available.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Opens and configures a new connection (over TLS unless disabled).
    fn connect(&self) -> Result<PgConn, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
            StoreError::unavailable(format!("cannot start a PostgreSQL connection's runtime: {e}"))
        })?;
        let spawned = match &self.settings.tls {
            Some(tls) => rt.block_on(open(&self.settings.config, tls.clone())),
            None => rt.block_on(open(&self.settings.config, NoTls)),
        };
        let (client, task) = spawned.map_err(|e| connect_error(&self.settings.target, e))?;
        let mut conn =
            PgConn { client: Some(client), rt, connection: Some(task), statements: HashMap::new() };
        if !self.settings.setup.is_empty() {
            conn.batch_execute(&self.settings.setup).map_err(|e| connect_error(&self.settings.target, e))?;
        }
        Ok(conn)
    }

    fn give_back(&self, conn: PgConn, reusable: bool) {
        let mut st = self.lock();
        if reusable && !conn.is_closed() {
            st.idle.push(conn);
            drop(st);
        } else {
            st.open -= 1;
            drop(st);
            drop(conn);
        }
        self.available.notify_one();
    }
}

/// Connects and spawns the task that runs the connection (on the current runtime).
async fn open<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<(Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    Ok((client, tokio::spawn(async { drop(connection.await) })))
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.lock().idle);
        if idle.is_empty() {
            return;
        }
        // Each connection owns a small tokio runtime, and tokio panics when
        // a runtime is dropped on a thread that runs async code. The last
        // `Arc<PgStore>` may well be dropped there (server shutdown), so the
        // connections are closed on a thread of their own.
        let closer = std::thread::Builder::new().name("pg-pool-close".into()).spawn(move || drop(idle));
        if let Ok(handle) = closer {
            let _ = handle.join();
        }
    }
}

/// A connection on loan; goes back to the pool when dropped, unless it was
/// marked broken.
pub(crate) struct Lease<'a> {
    conn: Option<PgConn>,
    pool: &'a Pool,
    /// Whether it was idle in the pool before (it may have gone stale).
    pub(crate) reused: bool,
    /// Set after a transport-level failure: the connection is closed, not reused.
    pub(crate) broken: bool,
}

impl Lease<'_> {
    pub(crate) fn conn(&mut self) -> &mut PgConn {
        // Always `Some` until `drop` takes it.
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("pooled connection used after release"),
        }
    }

    /// Marks the connection broken when `e` means it is unusable.
    pub(crate) fn note(&mut self, e: &tokio_postgres::Error) {
        if connection_lost(e) {
            self.broken = true;
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn, !self.broken);
        }
    }
}
