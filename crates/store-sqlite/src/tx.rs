//! [`Tx`] over one SQLite connection. The SQL text and the row decoding of
//! each area live in the submodules: [`entities`] (intents, constraints,
//! subscriptions, availability), [`events`] (events, audit checkpoints,
//! leases) and [`records`] (generic records).

mod entities;
mod events;
mod records;

use std::ops::Deref;

use deconflict_core::codec;
use deconflict_core::events::{NewEvent, PendingEvent};
use deconflict_core::ids::{EntityId, PartyName, SubscriptionId};
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription,
};
use deconflict_core::records::{Record, RecordKey};
use deconflict_core::store::AreaQuery;
use deconflict_core::store::EntityKind;
use deconflict_core::{StoreError, Tx, TxMode, Usage};
use geom::Time;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{SqlResultExt, bad_column, not_pending, not_this_event};
use crate::rtree::RBox;
use entities::{
    AVAILABILITY, BUMP_SUBSCRIPTION, CONSTRAINT_BY_ID, CONSTRAINTS_IN, COUNTS, DELETE_CONSTRAINT,
    DELETE_INTENT, DELETE_SUBSCRIPTION, ENDED_CONSTRAINTS, ENDED_INTENTS, ENDED_SUBSCRIPTIONS,
    INDEX_CONSTRAINT, INDEX_INTENT, INDEX_SUBSCRIPTION, INTENT_BY_ID, INTENTS_IN, INTENTS_OF_SUBSCRIPTION,
    SUBSCRIPTION_BY_ID, SUBSCRIPTIONS_IN, SUBSCRIPTIONS_OF, UPSERT_AVAILABILITY, UPSERT_CONSTRAINT,
    UPSERT_INTENT, UPSERT_SUBSCRIPTION, USAGE_COUNTS, entity_id, read_constraint, read_intent,
    read_subscription,
};
use events::{
    ACQUIRE_LEASE, APPEND_EVENT, CHECKPOINTS_AFTER, EVENT_IS_PENDING, FORGET_SEALED, LAST_SEALED,
    PUT_CHECKPOINT, SEAL_EVENT, SEALED_AFTER, UNSEALED_EVENTS, after_bound, parties_json, read_checkpoint,
    read_entry, read_pending, seq_column,
};
use records::{
    RECORD_DELETE, RECORD_GET, RECORD_PUT, RECORDS_AFTER, RECORDS_ALL, RECORDS_ALL_REV,
    RECORDS_ALL_REV_BEFORE, RECORDS_BY_K1, RECORDS_BY_K1_REV, RECORDS_BY_K1_REV_BEFORE, RECORDS_BY_K2,
    RECORDS_BY_K2_REV, RECORDS_BY_K2_REV_BEFORE, RECORDS_DUE, read_record,
};

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
/// dropping it without [`Tx::commit`] executes `ROLLBACK`.
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
            TxMode::Read => Err(StoreError::backend("write attempted in a read-only transaction")),
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

impl<L: Lease> Tx for SqliteTx<L> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        self.fetch_one(INTENT_BY_ID, &id.to_string(), read_intent)
    }

    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        self.fetch_in(INTENTS_IN, area, read_intent)
    }

    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(INTENTS_OF_SUBSCRIPTION).store()?;
        let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0)).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(entity_id("operational_intents", &row.store()?)?);
        }
        Ok(out)
    }

    fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&oi.extents);
        let t = oi.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_INTENT)
            .store()?
            .query_row(
                params![
                    oi.id.to_string(),
                    oi.party.as_str(),
                    oi.version,
                    oi.state.as_str(),
                    oi.ovn.as_str(),
                    oi.uss_base_url.as_str(),
                    oi.subscription_id.map(|s| s.to_string()),
                    oi.created_at.as_micros(),
                    oi.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&oi.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_INTENT, pk, &b)
    }

    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_INTENT, &id.to_string())
    }

    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        self.fetch_one(CONSTRAINT_BY_ID, &id.to_string(), read_constraint)
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        self.fetch_in(CONSTRAINTS_IN, area, read_constraint)
    }

    fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&c.extents);
        let t = c.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_CONSTRAINT)
            .store()?
            .query_row(
                params![
                    c.id.to_string(),
                    c.party.as_str(),
                    c.version,
                    c.ovn.as_str(),
                    c.uss_base_url.as_str(),
                    c.created_at.as_micros(),
                    c.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&c.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_CONSTRAINT, pk, &b)
    }

    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_CONSTRAINT, &id.to_string())
    }

    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.fetch_one(SUBSCRIPTION_BY_ID, &id.to_string(), read_subscription)
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        self.fetch_in(SUBSCRIPTIONS_IN, area, read_subscription)
    }

    fn put_subscription(&mut self, s: &Subscription) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&s.extents);
        let t = s.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_SUBSCRIPTION)
            .store()?
            .query_row(
                params![
                    s.id.to_string(),
                    s.party.as_str(),
                    s.version,
                    s.notification_index,
                    s.uss_base_url.as_str(),
                    s.notify_for_intents,
                    s.notify_for_constraints,
                    s.implicit,
                    s.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&s.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_SUBSCRIPTION, pk, &b)
    }

    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.delete(DELETE_SUBSCRIPTION, &id.to_string())
    }

    fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        self.writable()?;
        let mut stmt = self.conn.prepare_cached(BUMP_SUBSCRIPTION).store()?;
        stmt.query_row([id.to_string()], |r| r.get(0)).optional().store()
    }

    fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(AVAILABILITY).store()?;
        let row = stmt
            .query_row([uss.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .optional()
            .store()?;
        row.map(|(a, version)| {
            let availability = Availability::parse(&a).ok_or_else(|| {
                bad_column("uss_availability", uss.as_str(), "availability", format!("unknown value `{a}`"))
            })?;
            Ok(AvailabilityRecord { uss: uss.clone(), availability, version })
        })
        .transpose()
    }

    fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(UPSERT_AVAILABILITY)
            .store()?
            .execute(params![record.uss.as_str(), record.availability.as_str(), record.version])
            .store()?;
        Ok(())
    }

    fn ended_by(&mut self, kind: EntityKind, now: Time, n: usize) -> Result<Vec<uuid::Uuid>, StoreError> {
        let sql = match kind {
            EntityKind::Intent => ENDED_INTENTS,
            EntityKind::Constraint => ENDED_CONSTRAINTS,
            EntityKind::Subscription => ENDED_SUBSCRIPTIONS,
        };
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt.query_map(params![now.as_micros(), limit(n)], |r| r.get::<_, String>(0)).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(entity_id("entities", &row.store()?)?.as_uuid());
        }
        Ok(out)
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached(COUNTS).store()?;
        let (i, c, s): (i64, i64, i64) =
            stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).store()?;
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(EntityCounts { intents: n(i), constraints: n(c), subscriptions: n(s) })
    }

    fn usage(&mut self, manager: &PartyName, now: Time) -> Result<Usage, StoreError> {
        let now = now.as_micros();
        let (i, c): (i64, i64) = self
            .conn
            .prepare_cached(USAGE_COUNTS)
            .store()?
            .query_row(params![manager.as_str(), now], |r| Ok((r.get(0)?, r.get(1)?)))
            .store()?;
        let subscriptions =
            self.fetch_all(SUBSCRIPTIONS_OF, params![manager.as_str(), now], read_subscription)?;
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(Usage { intents: n(i), constraints: n(c), subscriptions })
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(APPEND_EVENT)
            .store()?
            .execute(params![
                e.at.as_micros(),
                e.kind,
                e.actor,
                e.subject,
                parties_json(&e.parties)?,
                e.payload
            ])
            .store()?;
        Ok(())
    }

    fn unsealed_events(&mut self, n: usize) -> Result<Vec<PendingEvent>, StoreError> {
        self.fetch_all(UNSEALED_EVENTS, [limit(n)], read_pending)
    }

    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        self.writable()?;
        let sealed = self
            .conn
            .prepare_cached(SEAL_EVENT)
            .store()?
            .execute(params![
                id,
                seq_column(entry.seq)?,
                entry.timestamp,
                &entry.salt[..],
                &entry.prev_hash[..],
                &entry.hash[..],
                parties_json(&entry.parties)?,
                entry.kind,
                entry.actor,
                entry.subject,
                entry.payload,
            ])
            .store()?;
        if sealed == 1 {
            return Ok(());
        }
        let pending: Option<bool> = self
            .conn
            .prepare_cached(EVENT_IS_PENDING)
            .store()?
            .query_row([id], |r| r.get(0))
            .optional()
            .store()?;
        Err(match pending {
            Some(true) => not_this_event(id, entry.seq),
            _ => not_pending(id),
        })
    }

    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(LAST_SEALED).store()?;
        stmt.query_row([], read_entry).optional().store()?.transpose()
    }

    fn sealed_after(&mut self, seq: u64, n: usize) -> Result<Vec<audit::Entry>, StoreError> {
        self.fetch_all(SEALED_AFTER, [after_bound(seq), limit(n)], read_entry)
    }

    fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError> {
        self.writable()?;
        let n = self
            .conn
            .prepare_cached(FORGET_SEALED)
            .store()?
            .execute(params![after_bound(after), after_bound(through)])
            .store()?;
        Ok(n as u64)
    }

    fn put_checkpoint(&mut self, c: &audit::Checkpoint) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(PUT_CHECKPOINT)
            .store()?
            .execute(params![seq_column(c.seq)?, &c.hash[..], c.timestamp, &c.key_id.0[..], &c.signature[..]])
            .store()?;
        Ok(())
    }

    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        self.fetch_all(CHECKPOINTS_AFTER, [after_bound(seq)], read_checkpoint)
    }

    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Time,
        ttl_us: i64,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let until = now.saturating_add_micros(ttl_us).as_micros();
        let mut stmt = self.conn.prepare_cached(ACQUIRE_LEASE).store()?;
        let held = stmt
            .query_row(params![name, holder, until, now.as_micros()], |r| r.get::<_, String>(0))
            .optional()
            .store()?;
        Ok(held.is_some())
    }

    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let mut stmt = self.conn.prepare_cached(RECORD_GET).store()?;
        stmt.query_row([kind, id], read_record).optional().store()?.transpose()
    }

    fn put_record(&mut self, record: &Record) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(RECORD_PUT)
            .store()?
            .execute(params![
                record.kind,
                record.id,
                record.body,
                record.k1,
                record.k2,
                record.due.map(Time::as_micros)
            ])
            .store()?;
        Ok(())
    }

    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.conn.prepare_cached(RECORD_DELETE).store()?.execute([kind, id]).store()?;
        Ok(())
    }

    fn records_by(&mut self, kind: &str, key: RecordKey<'_>, n: usize) -> Result<Vec<Record>, StoreError> {
        match key {
            RecordKey::All => self.fetch_all(RECORDS_ALL, params![kind, limit(n)], read_record),
            RecordKey::K1(k) => self.fetch_all(RECORDS_BY_K1, params![kind, k, limit(n)], read_record),
            RecordKey::K2(k) => self.fetch_all(RECORDS_BY_K2, params![kind, k, limit(n)], read_record),
        }
    }

    fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let n = limit(n);
        match (key, before) {
            (RecordKey::All, None) => self.fetch_all(RECORDS_ALL_REV, params![kind, n], read_record),
            (RecordKey::All, Some(b)) => {
                self.fetch_all(RECORDS_ALL_REV_BEFORE, params![kind, b, n], read_record)
            }
            (RecordKey::K1(k), None) => self.fetch_all(RECORDS_BY_K1_REV, params![kind, k, n], read_record),
            (RecordKey::K1(k), Some(b)) => {
                self.fetch_all(RECORDS_BY_K1_REV_BEFORE, params![kind, k, b, n], read_record)
            }
            (RecordKey::K2(k), None) => self.fetch_all(RECORDS_BY_K2_REV, params![kind, k, n], read_record),
            (RecordKey::K2(k), Some(b)) => {
                self.fetch_all(RECORDS_BY_K2_REV_BEFORE, params![kind, k, b, n], read_record)
            }
        }
    }

    fn records_due(&mut self, kind: &str, before: Time, n: usize) -> Result<Vec<Record>, StoreError> {
        self.fetch_all(RECORDS_DUE, params![kind, before.as_micros(), limit(n)], read_record)
    }

    fn records_after(&mut self, kind: &str, after: &str, n: usize) -> Result<Vec<Record>, StoreError> {
        self.fetch_all(RECORDS_AFTER, params![kind, after, limit(n)], read_record)
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn.prepare_cached("COMMIT").store()?.execute([]).store()?;
        self.open = false;
        Ok(())
    }
}
