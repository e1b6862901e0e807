//! # store-sqlite — the embedded default [`Store`] of deconflict
//!
//! A single-file SQLite database that implements the storage trait of
//! [`deconflict_core`] with the same semantics as the reference
//! [`MemoryStore`](deconflict_core::MemoryStore) (checked by the shared
//! conformance suite). It owns the SQL schema and its migrations
//! (`migrations/*.sql`, embedded in the binary), the mapping of entities to
//! rows, the spatial candidate index and the connection handling. It owns no
//! domain logic: the engine decides, this crate saves, loads and finds
//! candidates by box.
//!
//! ## Durability and isolation
//! * `journal_mode=WAL`, `synchronous=FULL`: when [`Tx::commit`] returns
//!   `Ok`, the transaction is in the write-ahead log and the log was fsynced,
//!   so it survives `kill -9` of the process and a power loss (as far as the
//!   disk honours fsync). An unacknowledged transaction is either wholly
//!   present or wholly absent after a crash.
//! * One writer connection behind a mutex; a write transaction runs under
//!   `BEGIN IMMEDIATE`, so write transactions of this process run one after
//!   the other (serialisable) and never fail half-way on a lock upgrade.
//!   Another *process* writing the same file can make `begin` or a statement
//!   fail with [`StoreError::Retry`] after the busy timeout.
//! * Read transactions run on a small pool of read-only connections
//!   ([`POOLED_READERS`], more on demand) under a deferred `BEGIN`: one consistent snapshot from the first read to the
//!   end, never blocked by, and never blocking, the writer.
//! * Dropping a transaction without committing rolls it back.
//! * A transaction is tied to one connection: do not open a second write
//!   transaction on the same thread while one is alive (it would wait for the
//!   first forever, exactly like the memory store).
//!
//! ## Spatial index: R*Tree here, H3 cells in PostgreSQL
//! Each entity kind has a 4-dimensional SQLite R*Tree virtual table over
//! (longitude, latitude, altitude, time) holding the union box of the
//! entity's volumes; a search returns every entity whose box meets the query
//! box (closed), a superset the engine then checks exactly. The R*Tree module
//! is compiled into the bundled SQLite, answers a box query in logarithmic
//! time and needs no extension to install, which makes it the natural index
//! for an embedded store. Coordinates are indexed in degrees, kilometres of
//! altitude and hours of time so that typical extents are comparable on every
//! axis (the R*Tree's split heuristics depend on scale: in seconds and metres
//! searches were ~10× slower). R*Tree coordinates are 32-bit floats rounded
//! outward by SQLite, and this crate rounds outward before that (time via
//! whole seconds): boxes only grow, candidates stay a superset.
//!
//! The PostgreSQL backend will instead index H3 cells
//! ([`AreaQuery::cells`](deconflict_core::store::AreaQuery::cells)) in a
//! GIN-indexed `BIGINT[]` column queried with `&&`: PostgreSQL has no
//! built-in R-tree over plain columns without PostGIS, GIN array overlap is
//! core, concurrent-write friendly and fast, and cell sets also shard
//! naturally (the approach of the reference InterUSS DSS). Both are
//! candidate filters; exact geometry in the engine decides.
//!
//! ## Schema
//! Tables `operational_intents`, `constraints`, `subscriptions` (one row per
//! entity; extents as a [`deconflict_core::codec`] blob, the union time
//! window and altitude band denormalised in columns), their `*_rtree` index
//! tables, `uss_availability`, `events` (the event log; a sealed row is an
//! audit entry: `payload` stored byte for byte, `parties` a JSON array),
//! `audit_checkpoints`, `leases`, `records` (generic documents keyed by
//! kind and id, `body` stored byte for byte, listed by id in byte order through
//! indexes on `(kind, k1, id)`, `(kind, k2, id)` and `(kind, due, id)`), and
//! `schema_migrations(version, applied_at)`.
//! Migrations are applied in order in one transaction when the store opens;
//! a database written by a newer build (higher schema version) is refused.

mod backup;
mod error;
mod rtree;
mod schema;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use deconflict_core::{Store, StoreError, Tx, TxMode};
use rusqlite::{Connection, OpenFlags};

pub use backup::backup_to;
pub use schema::SCHEMA_VERSION;

use crate::error::SqlResultExt;
use crate::tx::SqliteTx;

/// How long a statement waits for a lock held by another connection before
/// failing with [`StoreError::Retry`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many read-only connections the store keeps open for read
/// transactions. More concurrent read transactions are fine: extra
/// connections are opened on demand and closed when their transaction ends.
pub const POOLED_READERS: usize = 4;

/// Prepared statements cached per connection (the store uses about 30).
const STATEMENT_CACHE: usize = 64;

/// The SQLite store. Cheap to share behind an `Arc`; see the crate docs for
/// its durability and concurrency guarantees.
#[derive(Debug)]
pub struct SqliteStore {
    /// The one connection that writes. Held for the whole of a write
    /// transaction (and of read transactions of an in-memory store).
    writer: Mutex<Connection>,
    /// Read-only connections for read transactions; `None` for an in-memory
    /// database, which other connections cannot see.
    readers: Option<ReaderPool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, configures it
    /// (`journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON`, busy
    /// timeout [`BUSY_TIMEOUT`]) and applies pending schema migrations.
    ///
    /// # Errors
    /// * [`StoreError::Unavailable`] when the file cannot be opened or created,
    ///   when WAL mode cannot be enabled on it, or when its schema version is
    ///   newer than [`SCHEMA_VERSION`] (the message says so);
    /// * [`StoreError::Corrupt`] when the file is not a SQLite database;
    /// * [`StoreError::Retry`] when another process held the write lock for
    ///   longer than the busy timeout during migration.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut writer = Connection::open_with_flags(path, flags).store()?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).store()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::unavailable(format!(
                "{}: cannot enable WAL journal mode (got `{mode}`); \
                 the file system may not support shared memory (network file systems do not)",
                path.display()
            )));
        }
        writer.pragma_update(None, "synchronous", "FULL").store()?;
        writer.pragma_update(None, "foreign_keys", true).store()?;
        schema::migrate(&mut writer)?;
        Ok(Self { writer: Mutex::new(writer), readers: Some(ReaderPool::open(path)?) })
    }

    /// A private, empty in-memory database, for quick tests only: nothing
    /// survives the store and every transaction (read or write) runs on the
    /// one connection, one at a time. Tests of storage itself must use
    /// [`SqliteStore::open`] on a real file.
    ///
    /// # Errors
    /// As [`SqliteStore::open`], which should not happen in memory.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().store()?;
        configure(&conn)?;
        conn.pragma_update(None, "foreign_keys", true).store()?;
        schema::migrate(&mut conn)?;
        Ok(Self { writer: Mutex::new(conn), readers: None })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.readers.as_ref().map(|r| r.path.as_path())
    }

    /// Takes the writer. A panic while a transaction held it leaves a
    /// consistent connection (SQLite state is not torn by a Rust panic), so a
    /// poisoned lock is recovered; a transaction left open is rolled back.
    fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        let conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").store()?;
        }
        Ok(conn)
    }
}

impl Store for SqliteStore {
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        match (mode, &self.readers) {
            (TxMode::Read, Some(pool)) => Ok(Box::new(SqliteTx::begin(pool.lease()?, mode)?)),
            _ => Ok(Box::new(SqliteTx::begin(self.writer()?, mode)?)),
        }
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }
}

/// Settings every connection gets.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).store()?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Read-only connections to the database file: [`POOLED_READERS`] opened
/// with the store and reused, plus extra ones opened on demand (and closed
/// after their transaction) when all are busy.
#[derive(Debug)]
struct ReaderPool {
    path: PathBuf,
    slots: Vec<Mutex<Connection>>,
}

impl ReaderPool {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let slots =
            (0..POOLED_READERS).map(|_| open_reader(path).map(Mutex::new)).collect::<Result<_, _>>()?;
        Ok(Self { path: path.to_path_buf(), slots })
    }

    /// A free pooled connection, or a new one if none is free.
    fn lease(&self) -> Result<Reader<'_>, StoreError> {
        for slot in &self.slots {
            let conn = match slot.try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            // A transaction whose ROLLBACK failed is ended before reuse.
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK").store()?;
            }
            return Ok(Reader::Pooled(conn));
        }
        Ok(Reader::Extra(open_reader(&self.path)?))
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).store()?;
    configure(&conn)?;
    Ok(conn)
}

/// A read connection on loan: a pooled one goes back to its slot when the
/// guard drops, an extra one is closed.
enum Reader<'a> {
    Pooled(MutexGuard<'a, Connection>),
    Extra(Connection),
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Reader::Pooled(conn) => conn,
            Reader::Extra(conn) => conn,
        }
    }
}
