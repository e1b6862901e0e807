//! [`Tx`](deconflict_core::Tx) over one SQLite connection: the transaction itself and the
//! helpers every area uses. Each area's methods live next to their SQL text
//! and row decoding: [`strategic`] (intents, constraints, subscriptions,
//! availability, purge and quota lookups), [`events`] (events, the audit log
//! and its checkpoints), [`leases`] and [`records`] (generic records); the
//! trait is bound to them by [`deconflict_core::impl_tx!`].

mod events;
mod leases;
mod records;
mod strategic;

use std::ops::Deref;

use deconflict_core::ids::SubscriptionId;
use deconflict_core::store::AreaQuery;
use deconflict_core::{StoreError, TxMode};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::SqlResultExt;
use crate::rtree::RBox;

// ---------------------------------------------------------------------------
// Shared decoding helpers

/// A row read by rusqlite, then checked against the domain types.
type Decoded<T> = rusqlite::Result<Result<T, StoreError>>;

/// A row count as a `LIMIT`.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------
// The transaction

/// The connection a transaction runs on: the writer (held under its lock for
/// the whole transaction) or a pooled reader.
pub(crate) trait Lease: Deref<Target = Connection> {}

impl<T: Deref<Target = Connection>> Lease for T {}

/// One SQLite transaction. `BEGIN` has been executed when it is built;
/// dropping it without [`Tx::commit`](deconflict_core::store::Tx::commit) executes `ROLLBACK`.
pub(crate) struct SqliteTx<L: Lease> {
    conn: L,
    mode: TxMode,
    open: bool,
}

impl<L: Lease> SqliteTx<L> {
    /// Starts a transaction on `conn`: `BEGIN IMMEDIATE` (take the write lock
    /// now, so a write transaction never fails half-way on a lock upgrade) or
    /// `BEGIN` (deferred: the read snapshot is taken at the first read and
    /// kept until the end).
    pub(crate) fn begin(conn: L, mode: TxMode) -> Result<Self, StoreError> {
        let sql = match mode {
            TxMode::Write | TxMode::AreaWrite => "BEGIN IMMEDIATE",
            TxMode::Read => "BEGIN",
        };
        conn.prepare_cached(sql).store()?.execute([]).store()?;
        Ok(Self { conn, mode, open: true })
    }

    fn writable(&self) -> Result<(), StoreError> {
        match self.mode {
            TxMode::Write | TxMode::AreaWrite => Ok(()),
            TxMode::Read => Err(StoreError::ReadOnly),
        }
    }

    fn fetch_one<T>(
        &self,
        sql: &str,
        id: &str,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        stmt.query_row([id], read).optional().store()?.transpose()
    }

    fn fetch_in<T>(
        &self,
        sql: &str,
        area: &AreaQuery<'_>,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Vec<T>, StoreError> {
        let q = RBox::of_area(area);
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt
            .query_map(
                params![q.min[0], q.max[0], q.min[1], q.max[1], q.min[2], q.max[2], q.min[3], q.max[3]],
                read,
            )
            .store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.store()??);
        }
        Ok(out)
    }

    fn fetch_all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt.query_map(params, read).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.store()??);
        }
        Ok(out)
    }

    /// Writes the R*Tree entry of row `pk` (`INSERT OR REPLACE` by id).
    fn index(&self, insert: &str, pk: i64, b: &RBox) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(insert)
            .store()?
            .execute(params![
                pk, b.min[0], b.max[0], b.min[1], b.max[1], b.min[2], b.max[2], b.min[3], b.max[3]
            ])
            .store()?;
        Ok(())
    }

    fn delete(&self, sql: &str, id: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.conn.prepare_cached(sql).store()?.execute([id]).store()?;
        Ok(())
    }
}

impl<L: Lease> Drop for SqliteTx<L> {
    fn drop(&mut self) {
        if self.open {
            // Best effort: if even ROLLBACK fails, the connection is still
            // inside a transaction and whoever takes it next rolls it back
            // (see `SqliteStore::writer` and `ReaderPool::lease`).
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl<L: Lease> SqliteTx<L> {
    // Boxed as `Tx::commit` takes it, which `impl_tx!` calls this from.
    #[allow(clippy::boxed_local)]
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn.prepare_cached("COMMIT").store()?.execute([]).store()?;
        self.open = false;
        Ok(())
    }
}

deconflict_core::impl_tx!([L: Lease] SqliteTx<L>;
    fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        SqliteTx::bump_notification_index(self, id)
    }
);
