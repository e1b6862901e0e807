//! # store-postgres — the scale-out [`Store`] of deconflict
//!
//! A PostgreSQL implementation of the storage trait of [`deconflict_core`],
//! with the same semantics as the reference
//! [`MemoryStore`](deconflict_core::MemoryStore) (checked by the shared
//! conformance suite). Several deconflict replicas can share one database:
//! every decision the engine takes inside a write transaction is serialisable
//! across all of them.
//!
//! It owns the SQL schema and its migrations (`migrations/*.sql`, embedded in
//! the binary), the mapping of entities to rows, the H3-cell candidate index,
//! a small blocking connection pool and the mapping of PostgreSQL errors to
//! [`StoreError`] (all in `error.rs`). It owns no domain logic.
//!
//! ## Transactions: SERIALIZABLE and retry
//! * [`TxMode::Write`] runs `BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE`,
//!   explicitly (distributed engines such as YugabyteDB default to snapshot
//!   isolation). Two replicas that each read an area and then write into it
//!   cannot both commit: PostgreSQL's SSI aborts one with SQLSTATE `40001`
//!   (or `40P01` on a deadlock), on a statement or on `COMMIT`, and this crate
//!   reports [`StoreError::Retry`]; the caller runs the whole transaction
//!   again. Nothing of an aborted transaction is written.
//! * [`TxMode::AreaWrite`] (the engine's writes of intents, constraints and
//!   subscriptions) runs `BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE`
//!   and orders itself with row locks instead of SSI: before it searches an
//!   area ([`Tx::lock_area`], every candidate search, every entity written)
//!   it upserts one row per lock cell of that area in `area_locks` (sorted;
//!   a lock cell is the resolution-6 H3 parent of an index cell, so an area
//!   of 1 km² takes 1–4 rows), and it reads an entity by id `FOR UPDATE`.
//!   Two area writes therefore wait for each other when their areas share a
//!   lock cell (always when they share an index cell) or they change the
//!   same entity, and the later one's statements (fresh snapshots under
//!   READ COMMITTED) see what the earlier committed: the same decisions as
//!   one after the other. Notification indexes are bumped by one `UPDATE`
//!   each, so concurrent notifications of a large subscription lose nothing.
//!   An area that cannot be covered by cells takes `LOCK TABLE area_locks IN
//!   SHARE ROW EXCLUSIVE MODE` (it waits for and excludes every area write;
//!   the engine's area limit makes such areas impossible in practice). Two
//!   creates of one new id both find it missing; the second's INSERT hits
//!   the primary key (`23505`), which is [`StoreError::Retry`], and the run
//!   again finds the first's. A deadlock between lockers (`40P01`) is
//!   [`StoreError::Retry`] too. Why not SERIALIZABLE here: its predicate
//!   locks are taken per index page (GIN entry pages, B-tree leaves) or per
//!   table after a sequential scan, so creates 55 km apart refused each
//!   other (46 of 320 from 8 threads, 662 retries; 0 and 0 now). On an
//!   engine that runs READ COMMITTED as snapshot isolation (YugabyteDB
//!   without `yb_enable_read_committed_isolation`), the second of two
//!   lockers of a cell is told to retry (its lock is an `UPDATE`), which is
//!   still correct.
//! * [`TxMode::Read`] runs `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY`:
//!   one consistent snapshot, never a serialization failure.
//! * Dropping a transaction without [`Tx::commit`] sends `ROLLBACK` and
//!   returns the connection to the pool. After a statement of a transaction
//!   failed, its `commit` returns that failure again (PostgreSQL would
//!   otherwise turn the `COMMIT` into a silent rollback).
//! * A lost connection (I/O error, server shutdown, SQLSTATE class `08`) is
//!   [`StoreError::Unavailable`] and that connection is dropped from the pool,
//!   never reused. [`Store::begin`] transparently replaces idle connections
//!   that went stale (for example after a database restart). If the
//!   connection drops *during* `COMMIT`, the outcome is unknown to the client
//!   and reported as `Unavailable`.
//! * `statement_timeout` is set on every session ([`PgOptions::statement_timeout`]);
//!   a statement cancelled by it is [`StoreError::Unavailable`].
//!
//! ## Spatial index: H3 cells in a GIN-indexed `BIGINT[]`
//! Each row stores the H3 cells (resolution [`geom::DEFAULT_CELL_RESOLUTION`])
//! covering its footprints in `cells BIGINT[]` with a GIN index, plus the
//! union time window, altitude band and lat/lng box. A search by area selects
//! `cells && $area_cells` with closed altitude and time overlap: a superset of
//! the entities that intersect it, which the engine then checks exactly. An
//! H3 index is a `u64` with bit 63 always 0, so it is stored as `i64`
//! losslessly (the conversion is checked). A footprint that cannot be covered
//! (too many cells) never loses a candidate: such an entity is flagged
//! `cells_complete = false` and matched by its lat/lng box, and such a query
//! area is searched by box alone.
//!
//! GIN array overlap is core PostgreSQL and is supported by YugabyteDB, which
//! is why cells were chosen over a box index. What the schema deliberately
//! does **not** use, so that it runs on YugabyteDB (YSQL) too: PostGIS or
//! any other extension, exclusion constraints, triggers, advisory locks, and
//! LISTEN/NOTIFY.
//!
//! ## Schema and migrations
//! `area_locks(cell, writes)` holds one row per lock cell an area write
//! ever locked (migration 0007, which dropped 0005's `area_locks` of index
//! cells: a replica of an older build fails its area writes instead of
//! locking where the newer ones no longer look).
//! Tables `operational_intents`, `constraints`, `subscriptions` (one row per
//! entity: UUID id, scalar columns, extents as a [`deconflict_core::codec`]
//! blob — the truth — and the derived spatial columns), `uss_availability`,
//! `events` (the event log; a sealed row is an audit entry: `payload` is TEXT
//! stored byte for byte, never jsonb, `parties` TEXT[]), `audit_checkpoints`,
//! `leases`, `records` (generic documents keyed by kind and id: `body` is
//! TEXT stored byte for byte, `id` is `COLLATE "C"` so that listings are in
//! byte order, indexes on `(kind, k1, id)`, `(kind, k2, id)` and
//! `(kind, due, id)`), and `schema_migrations(version, applied_at)`. A second sealer
//! racing for the same audit sequence number hits the UNIQUE index on
//! `events.audit_seq` or a serialization failure: both are
//! [`StoreError::Retry`]. Migrations are applied when
//! the store connects, serialised between replicas by a row lock on
//! `schema_migrations` (`version = 0`, `SELECT ... FOR UPDATE`) rather than an
//! advisory lock, and written idempotently (`IF NOT EXISTS`). A database whose
//! schema version is newer than [`SCHEMA_VERSION`] is refused.
//!
//! ## Connections
//! TLS with rustls as the URL's `sslmode` and `sslrootcert` say (see
//! [`tls`]; `verify-full` for production, `prefer` by default as in libpq).
//! The pool holds at most [`PgOptions::pool_size`] connections.
//!
//! The client is `tokio-postgres`, each connection driven by a small
//! current-thread runtime of its own and called blocking: the store must be
//! called from ordinary threads or tokio's `spawn_blocking` threads (as the
//! server does), never directly on an async worker thread. Dropping the store
//! on an async thread is fine.
//!
//! ## Round trips: writes are pipelined
//! A write whose answer the engine does not use (an entity put or deleted,
//! cells locked, an event appended, a record stored) is queued in the
//! transaction and sent with the next statement that needs an answer, or
//! with `COMMIT`: one round trip for all of them. PostgreSQL runs them in the
//! order sent, each with its own `Sync`, so a queued cell lock still comes
//! before the search after it, and READ COMMITTED still gives that search a
//! snapshot taken after the lock was granted. A queued write that fails is
//! reported by the call that sent it (the transaction is aborted, as it would
//! have been); when that call is `COMMIT`, PostgreSQL rolls back and the
//! write's error is returned, nothing written, unless the connection was lost
//! (outcome unknown, as for `COMMIT` itself). By the engine's call sequence, a
//! create of an intent with its implicit subscription takes 9 round trips instead of 13.

/// The owned parameters of a queued write (`PgTx::queue`).
macro_rules! owned {
    ($($v:expr),* $(,)?) => {
        vec![$(Box::new($v) as crate::pipeline::Param),*]
    };
}

mod error;
mod pipeline;
mod pool;
mod schema;
mod scratch;
mod spatial;
pub mod tls;
mod tx;

use std::time::Duration;

use deconflict_core::{Store, StoreError, Tx, TxMode};

pub use schema::SCHEMA_VERSION;
pub use scratch::ScratchSchema;

use crate::error::from_pg;
use crate::pool::{Pool, PoolSettings};
use crate::tx::{PgTx, begin_sql};

/// Connection settings of a [`PgStore`]. `PgOptions::default()` suits a
/// server; tests use a smaller pool and a dedicated `schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Most connections open at once (and so most concurrent transactions).
    /// At least 1. Default 16.
    pub pool_size: usize,
    /// How long opening one connection may take. Default 5 s.
    pub connect_timeout: Duration,
    /// How long [`Store::begin`] waits for a free connection when all
    /// `pool_size` are busy before failing with [`StoreError::Unavailable`].
    /// Default 10 s.
    pub acquire_timeout: Duration,
    /// `SET statement_timeout` on every session; `None` leaves the server's
    /// setting. Default 10 s.
    pub statement_timeout: Option<Duration>,
    /// The schema to use (`SET search_path` on every session); it must
    /// exist. `None` uses the server's default search path (usually `public`).
    pub schema: Option<String>,
    /// `application_name` of the sessions, shown in `pg_stat_activity`.
    /// Default `deconflict`.
    pub application_name: String,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Some(Duration::from_secs(10)),
            schema: None,
            application_name: "deconflict".into(),
        }
    }
}

/// The PostgreSQL store. Cheap to share behind an `Arc`; see the crate docs
/// for its isolation, retry and connection behaviour.
#[derive(Debug)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects to the database at `url` (a `postgres://user:password@host:port/db`
    /// URL or a `key=value` connection string), opens one connection, applies
    /// pending schema migrations and keeps that connection in the pool.
    ///
    /// # Errors
    /// * [`StoreError::Unavailable`] when the database cannot be reached (or
    ///   refuses the login) within the connect timeout, or when its schema
    ///   version is newer than [`SCHEMA_VERSION`] (the message says so);
    /// * [`StoreError::Settings`] when the URL or the options are invalid;
    /// * [`StoreError::Backend`] when a
    ///   migration fails;
    /// * [`StoreError::Retry`] when migrating kept conflicting with another
    ///   replica starting at the same time.
    pub fn connect(url: &str, opts: PgOptions) -> Result<Self, StoreError> {
        let setup = session_setup(&opts)?;
        let pool = open_pool(url, &opts, setup)?;
        {
            let mut lease = pool.get()?;
            schema::migrate(lease.conn())?;
        }
        Ok(Self { pool })
    }

    /// Where this store connects (`host:port/database`), for logs.
    pub fn target(&self) -> &str {
        self.pool.target()
    }
}

impl Store for PgStore {
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        // An idle connection may have gone stale (database restarted,
        // backend terminated): `BEGIN` on it fails at the transport level and
        // is safe to repeat on another one.
        let mut last = None;
        for _ in 0..=self.pool.max() {
            let mut lease = self.pool.get()?;
            match lease.conn().batch_execute(begin_sql(mode)) {
                Ok(()) => return Ok(Box::new(PgTx::started(lease, mode))),
                Err(e) => {
                    lease.note(&e);
                    let err = from_pg(e);
                    if !(lease.reused && lease.broken) {
                        return Err(err);
                    }
                    last = Some(err);
                }
            }
        }
        Err(last.unwrap_or_else(|| StoreError::unavailable("no usable PostgreSQL connection")))
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}

/// The pool of at most `opts.pool_size` connections to `url` (TLS as the
/// URL says), each session set up with `setup`; no connection is opened yet.
fn open_pool(url: &str, opts: &PgOptions, setup: String) -> Result<Pool, StoreError> {
    let (url, tls) = tls::split_url(url)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::settings_by(format!("invalid PostgreSQL connection string: {e}"), e))?;
    config.ssl_mode(tls.ssl_mode());
    config.connect_timeout(opts.connect_timeout);
    config.application_name(&opts.application_name);
    let target = describe_target(&config);
    Ok(Pool::new(PoolSettings {
        config,
        tls: tls.connector()?,
        target,
        setup,
        max: opts.pool_size,
        acquire_timeout: opts.acquire_timeout,
    }))
}

/// `host:port/database` of a config, without credentials.
fn describe_target(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().or(config.get_user()).unwrap_or("?");
    format!("{host}:{port}/{db}")
}

/// The statements every new session runs.
///
/// `enable_seqscan = off`: every query of this store is written for one of
/// its indexes, but on a young or churning table (a few hundred live rows
/// among many dead ones, statistics from when it was empty) the planner
/// judged a scan of the whole heap cheaper than the cell index and chose it
/// for most candidate searches: 0.16 ms (intents) and 0.32 ms
/// (subscriptions) per search instead of about 0.02 ms. A query with no
/// usable index still scans the heap (the setting only makes that plan
/// look dear).
fn session_setup(opts: &PgOptions) -> Result<String, StoreError> {
    let mut sql = String::from("SET enable_seqscan = off;\n");
    if let Some(t) = opts.statement_timeout {
        // 0 would mean "no timeout": a sub-millisecond timeout rounds up to 1 ms.
        let ms = t.as_millis().clamp(1, i32::MAX as u128);
        sql.push_str(&format!("SET statement_timeout = {ms};\n"));
    }
    if let Some(schema) = &opts.schema {
        if schema.is_empty() || schema.contains('\0') {
            return Err(StoreError::settings(format!("invalid schema name {schema:?}")));
        }
        sql.push_str(&format!("SET search_path TO {};\n", quote_ident(schema)));
    }
    Ok(sql)
}

/// A double-quoted SQL identifier.
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_setup_quotes_and_rounds() {
        let opts = PgOptions {
            statement_timeout: Some(Duration::from_micros(10)),
            schema: Some("we\"ird".into()),
            ..PgOptions::default()
        };
        let sql = session_setup(&opts).unwrap_or_default();
        assert_eq!(
            sql,
            "SET enable_seqscan = off;\nSET statement_timeout = 1;\nSET search_path TO \"we\"\"ird\";\n"
        );
        let none = PgOptions { statement_timeout: None, ..PgOptions::default() };
        assert_eq!(session_setup(&none).unwrap_or_default(), "SET enable_seqscan = off;\n");
        assert!(session_setup(&PgOptions { schema: Some(String::new()), ..PgOptions::default() }).is_err());
    }

    #[test]
    fn target_has_no_password() {
        let config: tokio_postgres::Config =
            "postgres://u:secret@db.internal:5433/dss".parse().unwrap_or_default();
        let t = describe_target(&config);
        assert_eq!(t, "db.internal:5433/dss");
    }
}
