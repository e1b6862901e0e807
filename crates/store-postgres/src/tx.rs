//! One transaction on a pooled connection: its state (the first error, the
//! cells it locked, the last area searched) and the helpers every area uses.
//! Each area's methods live next to their SQL text and row decoding:
//! [`strategic`] (intents, constraints, subscriptions, availability, the cell
//! locks, purge and quota lookups), [`events`] (events, the audit log and its
//! checkpoints), [`leases`] and [`records`] (generic records); the trait is
//! bound to them by [`deconflict_core::impl_tx!`].

mod events;
mod leases;
mod records;
mod strategic;

use deconflict_core::store::AreaQuery;
use deconflict_core::{StoreError, SubscriptionId, TxMode};
use geom::Time;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

use crate::error::{aborted, bad_column, from_pg};
use crate::pipeline::{Answer, Last, Param, Queued, Ran};
use crate::pool::Lease;
use crate::spatial::Search;

// ---------------------------------------------------------------------------

/// A transaction of a [`crate::PgStore`].
pub(crate) struct PgTx<'a> {
    lease: Lease<'a>,
    /// `COMMIT` or `ROLLBACK` was sent (or the connection is gone).
    done: bool,
    /// The first statement error: PostgreSQL aborts the transaction on it.
    failed: Option<StoreError>,
    /// The last area searched, with its parameters.
    last_search: Option<Search>,
    /// How it began: an [`TxMode::AreaWrite`] locks areas and the rows it reads by id.
    mode: TxMode,
    /// Cells this transaction has locked (in `area_locks`).
    locked: std::collections::HashSet<i64>,
    /// Whether it locked the whole `area_locks` table (an area without cells).
    locked_all: bool,
    /// Writes not sent yet: they go with the next statement (see the crate docs).
    queued: Vec<Queued>,
}

/// `BEGIN` statement of each mode. Isolation is always explicit: distributed
/// engines default to snapshot isolation.
pub(crate) fn begin_sql(mode: TxMode) -> &'static str {
    match mode {
        TxMode::Write => "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
        // Area writes are ordered by the cell locks they take, not by SSI,
        // whose page-granular predicate locks made writes far apart conflict.
        TxMode::AreaWrite => "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE",
        TxMode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    }
}

impl<'a> PgTx<'a> {
    /// Wraps a connection on which `BEGIN` has succeeded.
    pub(crate) fn started(lease: Lease<'a>, mode: TxMode) -> Self {
        Self {
            lease,
            done: false,
            failed: None,
            last_search: None,
            mode,
            locked: std::collections::HashSet::new(),
            locked_all: false,
            queued: Vec::new(),
        }
    }

    fn area_write(&self) -> bool {
        self.mode == TxMode::AreaWrite
    }

    /// Maps a statement error, remembering it (the transaction is now
    /// aborted) and marking the connection broken when it was lost.
    fn fail(&mut self, e: tokio_postgres::Error) -> StoreError {
        self.lease.note(&e);
        let err = from_pg(e);
        if self.failed.is_none() {
            self.failed = Some(err.clone());
        }
        if self.lease.broken {
            self.done = true;
        }
        err
    }

    fn check(&self) -> Result<(), StoreError> {
        match &self.failed {
            Some(first) => Err(aborted(first)),
            None => Ok(()),
        }
    }

    /// Sends the queued writes and then `last`, and waits for the answers.
    fn send(&mut self, last: Last<'_>) -> Result<Answer, StoreError> {
        self.check()?;
        let queued = std::mem::take(&mut self.queued);
        match self.lease.conn().run(&queued, last) {
            Ran::Queued(e) | Ran::Last(Err(e)) => Err(self.fail(e)),
            Ran::Last(Ok(answer)) => Ok(answer),
        }
    }

    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.send(Last::Rows(sql, params)).map(Answer::rows)
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.send(Last::Count(sql, params)).map(Answer::count)
    }

    /// Queues a write whose row count is not needed: it is sent with the
    /// next statement (after a failure, that one reports it).
    fn queue(&mut self, sql: &'static str, params: Vec<Param>) -> Result<(), StoreError> {
        self.check()?;
        self.queued.push(Queued { sql, params });
        Ok(())
    }

    fn end(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.done = true;
        self.lease.conn().batch_execute(sql)
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Err(e) = self.end("ROLLBACK") {
            // A connection that cannot roll back is not reused.
            self.lease.note(&e);
            self.lease.broken = true;
        }
    }
}

// ---------------------------------------------------------------------------
// Column decoding shared by the submodules.

/// Reads column `col` of a row of `table` whose id is `id` (for messages).
fn get<'r, T: FromSql<'r>>(row: &'r Row, table: &str, id: &str, col: &str) -> Result<T, StoreError> {
    row.try_get(col).map_err(|e| bad_column(table, id, col, e))
}

fn time(row: &Row, table: &str, id: &str, col: &str) -> Result<Time, StoreError> {
    get::<i64>(row, table, id, col).map(Time::from_micros)
}

/// A row count as a `LIMIT`.
fn limit_param(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------

impl PgTx<'_> {
    // Boxed as `Tx::commit` takes it, which `impl_tx!` calls this from.
    #[allow(clippy::boxed_local)]
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(first) = self.failed.take() {
            // Drop sends the ROLLBACK.
            return Err(aborted(&first));
        }
        if self.done {
            return Err(StoreError::unavailable("PostgreSQL connection was lost during the transaction"));
        }
        self.done = true;
        let queued = std::mem::take(&mut self.queued);
        match self.lease.conn().run(&queued, Last::Batch("COMMIT")) {
            Ran::Queued(e) => {
                // PostgreSQL answered the COMMIT after the failed write with
                // a rollback: nothing was written, unless the connection was
                // lost (then the COMMIT may have been applied before it broke).
                self.lease.note(&e);
                let lost = self.lease.broken;
                // A write that was never sent kept the COMMIT from going too.
                if !lost && self.end("ROLLBACK").is_err() {
                    self.lease.broken = true;
                }
                Err(match from_pg(e) {
                    StoreError::Unavailable { message, source } if lost => {
                        StoreError::OutcomeUnknown { message, source }
                    }
                    other => other,
                })
            }
            Ran::Last(Ok(_)) => Ok(()),
            Ran::Last(Err(e)) => {
                // A failed COMMIT ends the transaction on the server (40001:
                // nothing was written). After a lost connection the outcome
                // is unknown: the COMMIT may have been applied before the
                // connection broke.
                self.lease.note(&e);
                match from_pg(e) {
                    StoreError::Unavailable { message, source } => {
                        Err(StoreError::OutcomeUnknown { message, source })
                    }
                    other => Err(other),
                }
            }
        }
    }
}

deconflict_core::impl_tx!(['a] PgTx<'a>;
    fn lock_area(&mut self, area: &AreaQuery<'_>) -> Result<(), StoreError> {
        PgTx::lock_area(self, area)
    }
    fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        PgTx::bump_notification_index(self, id)
    }
    fn seal_events(&mut self, batch: &[(i64, audit::Entry)]) -> Result<(), StoreError> {
        PgTx::seal_events(self, batch)
    }
);
