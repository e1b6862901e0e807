//! One transaction on a pooled connection: entity ↔ row mapping and the
//! candidate searches. The SQL text and the row decoding of each area live in
//! the submodules: [`entities`] (intents, constraints, subscriptions,
//! availability), [`events`] (events, audit checkpoints, leases) and
//! [`records`] (generic records).

mod entities;
mod events;
mod records;

use deconflict_core::codec;
use deconflict_core::events::{NewEvent, PendingEvent};
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription,
};
use deconflict_core::records::{Record, RecordKey};
use deconflict_core::store::AreaQuery;
use deconflict_core::store::EntityKind;
use deconflict_core::{EntityId, PartyName, StoreError, SubscriptionId, Tx, TxMode, Usage};
use geom::Time;
use postgres::Row;
use postgres::types::{FromSql, ToSql};

use crate::error::{aborted, bad_column, copy, from_pg, not_pending, not_this_event};
use crate::pool::Lease;
use crate::spatial::{Search, Spatial};
use entities::{
    AVAILABILITY_GET, AVAILABILITY_PUT, CELLS_LOCK, CELLS_LOCK_ALL, CONSTRAINT_BY_BOX, CONSTRAINT_BY_CELLS,
    CONSTRAINT_DELETE, CONSTRAINT_GET, CONSTRAINT_GET_LOCKED, CONSTRAINT_PUT, COUNTS, ENDED_CONSTRAINTS,
    ENDED_INTENTS, ENDED_SUBSCRIPTIONS, INTENT_BY_BOX, INTENT_BY_CELLS, INTENT_DELETE, INTENT_GET,
    INTENT_GET_LOCKED, INTENT_OF_SUB, INTENT_PUT, SUBSCRIPTION_BUMP, SUBSCRIPTION_BY_BOX,
    SUBSCRIPTION_BY_CELLS, SUBSCRIPTION_DELETE, SUBSCRIPTION_GET, SUBSCRIPTION_GET_LOCKED, SUBSCRIPTION_PUT,
    SUBSCRIPTIONS_OF, USAGE_COUNTS, constraint_from_row, count, intent_from_row, row_id,
    subscription_from_row,
};
use events::{
    CHECKPOINT_PUT, CHECKPOINTS_AFTER, EVENT_APPEND, EVENT_IS_PENDING, EVENT_LAST_SEALED, EVENT_SEAL,
    EVENTS_FORGET, EVENTS_SEALED_AFTER, EVENTS_UNSEALED, LEASE_ACQUIRE, after_bound, checkpoint_from_row,
    entry_from_row, pending_from_row, seq_param,
};
use records::{
    RECORD_DELETE, RECORD_GET, RECORD_PUT, RECORDS_AFTER, RECORDS_ALL, RECORDS_ALL_REV,
    RECORDS_ALL_REV_BEFORE, RECORDS_BY_K1, RECORDS_BY_K1_REV, RECORDS_BY_K1_REV_BEFORE, RECORDS_BY_K2,
    RECORDS_BY_K2_REV, RECORDS_BY_K2_REV_BEFORE, RECORDS_DUE, record_from_row,
};

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
    /// Cells this transaction has locked (in `cell_locks`).
    locked: std::collections::HashSet<i64>,
    /// Whether it locked the whole `cell_locks` table (an area without cells).
    locked_all: bool,
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
        }
    }

    fn area_write(&self) -> bool {
        self.mode == TxMode::AreaWrite
    }

    /// In an area write, locks `cells` (or, with `None`, every cell: the area
    /// could not be covered) unless this transaction already holds them.
    fn lock_cells(&mut self, cells: Option<&[i64]>) -> Result<(), StoreError> {
        if !self.area_write() || self.locked_all {
            return Ok(());
        }
        match cells {
            None => {
                self.execute(CELLS_LOCK_ALL, &[])?;
                self.locked_all = true;
            }
            Some(cells) => {
                let mut new: Vec<i64> = cells.iter().copied().filter(|c| !self.locked.contains(c)).collect();
                if new.is_empty() {
                    return Ok(());
                }
                new.sort_unstable();
                new.dedup();
                self.execute(CELLS_LOCK, &[&new])?;
                self.locked.extend(new);
            }
        }
        Ok(())
    }

    /// Locks the cells of a row about to be written.
    fn lock_written(&mut self, s: &Spatial) -> Result<(), StoreError> {
        self.lock_cells(s.cells_complete.then_some(s.cells.as_slice()))
    }

    /// Maps a statement error, remembering it (the transaction is now
    /// aborted) and marking the connection broken when it was lost.
    fn fail(&mut self, e: &postgres::Error) -> StoreError {
        self.lease.note(e);
        let err = from_pg(e);
        if self.failed.is_none() {
            self.failed = Some(copy(&err));
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

    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.check()?;
        let conn = self.lease.conn();
        let result = conn.prepare(sql).and_then(|st| conn.client().query(&st, params));
        result.map_err(|e| self.fail(&e))
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.check()?;
        let conn = self.lease.conn();
        let result = conn.prepare(sql).and_then(|st| conn.client().execute(&st, params));
        result.map_err(|e| self.fail(&e))
    }

    /// The search parameters of `area`, reused while the same area is asked again.
    fn search(&mut self, area: &AreaQuery<'_>) -> Search {
        match &self.last_search {
            Some(s) if s.volumes.as_slice() == area.volumes() => s.clone(),
            _ => {
                let s = Search::of(area.volumes());
                self.last_search = Some(s.clone());
                s
            }
        }
    }

    /// The derived columns of an entity with `extents`, from the last search
    /// when it was of the same volumes.
    fn spatial(&self, extents: &[geom::Volume4D]) -> Spatial {
        match &self.last_search {
            Some(s) if s.volumes.as_slice() == extents => s.spatial.clone(),
            _ => Spatial::of(extents),
        }
    }

    /// Rows of one table that may intersect `area`.
    fn candidates(
        &mut self,
        area: &AreaQuery<'_>,
        by_cells: &'static str,
        by_box: &'static str,
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.search(area);
        self.lock_cells(s.cells.as_deref())?;
        let band: [&(dyn ToSql + Sync); 8] = [
            &s.alt_lower,
            &s.alt_upper,
            &s.time_start,
            &s.time_end,
            &s.min_lat,
            &s.max_lat,
            &s.min_lng,
            &s.max_lng,
        ];
        match &s.cells {
            Some(cells) => {
                let mut params: Vec<&(dyn ToSql + Sync)> = band.to_vec();
                params.push(cells);
                self.query(by_cells, &params)
            }
            None => self.query(by_box, &band),
        }
    }

    fn end(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.done = true;
        self.lease.conn().client().batch_execute(sql)
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

impl Tx for PgTx<'_> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        let sql = if self.area_write() { INTENT_GET_LOCKED } else { INTENT_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(intent_from_row).transpose()
    }

    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        let rows = self.candidates(area, INTENT_BY_CELLS, INTENT_BY_BOX)?;
        rows.iter().map(intent_from_row).collect()
    }

    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError> {
        let rows = self.query(INTENT_OF_SUB, &[&id.as_uuid()])?;
        rows.iter().map(|r| row_id(r, "operational_intents").map(EntityId::from_uuid)).collect()
    }

    fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
        let s = self.spatial(&oi.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&oi.extents);
        let created = oi.created_at.as_micros();
        let updated = oi.updated_at.as_micros();
        let sub = oi.subscription_id.map(|s| s.as_uuid());
        self.execute(
            INTENT_PUT,
            &[
                &oi.id.as_uuid(),
                &oi.party.as_str(),
                &oi.version,
                &oi.state.as_str(),
                &oi.ovn.as_str(),
                &oi.uss_base_url.as_str(),
                &sub,
                &created,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.execute(INTENT_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        let sql = if self.area_write() { CONSTRAINT_GET_LOCKED } else { CONSTRAINT_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(constraint_from_row).transpose()
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        let rows = self.candidates(area, CONSTRAINT_BY_CELLS, CONSTRAINT_BY_BOX)?;
        rows.iter().map(constraint_from_row).collect()
    }

    fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        let s = self.spatial(&c.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&c.extents);
        let created = c.created_at.as_micros();
        let updated = c.updated_at.as_micros();
        self.execute(
            CONSTRAINT_PUT,
            &[
                &c.id.as_uuid(),
                &c.party.as_str(),
                &c.version,
                &c.ovn.as_str(),
                &c.uss_base_url.as_str(),
                &created,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.execute(CONSTRAINT_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        let sql = if self.area_write() { SUBSCRIPTION_GET_LOCKED } else { SUBSCRIPTION_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(subscription_from_row).transpose()
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.candidates(area, SUBSCRIPTION_BY_CELLS, SUBSCRIPTION_BY_BOX)?;
        rows.iter().map(subscription_from_row).collect()
    }

    fn put_subscription(&mut self, sub: &Subscription) -> Result<(), StoreError> {
        let s = self.spatial(&sub.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&sub.extents);
        let updated = sub.updated_at.as_micros();
        self.execute(
            SUBSCRIPTION_PUT,
            &[
                &sub.id.as_uuid(),
                &sub.party.as_str(),
                &sub.version,
                &sub.notification_index,
                &sub.uss_base_url.as_str(),
                &sub.notify_for_intents,
                &sub.notify_for_constraints,
                &sub.implicit,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.execute(SUBSCRIPTION_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn lock_area(&mut self, area: &AreaQuery<'_>) -> Result<(), StoreError> {
        if !self.area_write() {
            return Ok(());
        }
        let s = self.search(area);
        self.lock_cells(s.cells.as_deref())
    }

    fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        let rows = self.query(SUBSCRIPTION_BUMP, &[&id.as_uuid()])?;
        rows.first()
            .map(|r| get::<i32>(r, "subscriptions", &id.to_string(), "notification_index"))
            .transpose()
    }

    fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
        const T: &str = "uss_availability";
        let rows = self.query(AVAILABILITY_GET, &[&uss.as_str()])?;
        let Some(row) = rows.first() else { return Ok(None) };
        let a: &str = get(row, T, uss.as_str(), "availability")?;
        let availability = Availability::parse(a)
            .ok_or_else(|| bad_column(T, uss.as_str(), "availability", format!("unknown `{a}`")))?;
        Ok(Some(AvailabilityRecord {
            uss: uss.clone(),
            availability,
            version: get(row, T, uss.as_str(), "version")?,
        }))
    }

    fn put_availability(&mut self, r: &AvailabilityRecord) -> Result<(), StoreError> {
        self.execute(AVAILABILITY_PUT, &[&r.uss.as_str(), &r.availability.as_str(), &r.version])?;
        Ok(())
    }

    fn ended_by(&mut self, kind: EntityKind, now: Time, n: usize) -> Result<Vec<uuid::Uuid>, StoreError> {
        let sql = match kind {
            EntityKind::Intent => ENDED_INTENTS,
            EntityKind::Constraint => ENDED_CONSTRAINTS,
            EntityKind::Subscription => ENDED_SUBSCRIPTIONS,
        };
        let rows = self.query(sql, &[&now.as_micros(), &limit_param(n)])?;
        rows.iter().map(|r| row_id(r, "entities")).collect()
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let rows = self.query(COUNTS, &[])?;
        let row = rows.first().ok_or_else(|| StoreError::backend("counts returned no row"))?;
        Ok(EntityCounts {
            intents: count(row, 0)?,
            constraints: count(row, 1)?,
            subscriptions: count(row, 2)?,
        })
    }

    fn usage(&mut self, manager: &PartyName, now: Time) -> Result<Usage, StoreError> {
        let now = now.as_micros();
        let rows = self.query(USAGE_COUNTS, &[&manager.as_str(), &now])?;
        let row = rows.first().ok_or_else(|| StoreError::backend("usage returned no row"))?;
        let (intents, constraints) = (count(row, 0)?, count(row, 1)?);
        let rows = self.query(SUBSCRIPTIONS_OF, &[&manager.as_str(), &now])?;
        let subscriptions = rows.iter().map(subscription_from_row).collect::<Result<_, _>>()?;
        Ok(Usage { intents, constraints, subscriptions })
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<(), StoreError> {
        let at = e.at.as_micros();
        self.execute(EVENT_APPEND, &[&at, &e.kind, &e.actor, &e.subject, &e.parties, &e.payload])?;
        Ok(())
    }

    fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        let rows = self.query(EVENTS_UNSEALED, &[&limit_param(limit)])?;
        rows.iter().map(pending_from_row).collect()
    }

    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        let seq = seq_param(entry.seq)?;
        let sealed = self.execute(
            EVENT_SEAL,
            &[
                &id,
                &seq,
                &entry.timestamp,
                &entry.salt.as_slice(),
                &entry.prev_hash.as_slice(),
                &entry.hash.as_slice(),
                &entry.parties,
                &entry.kind,
                &entry.actor,
                &entry.subject,
                &entry.payload,
            ],
        )?;
        if sealed == 1 {
            return Ok(());
        }
        let rows = self.query(EVENT_IS_PENDING, &[&id])?;
        let pending = match rows.first() {
            Some(row) => get::<bool>(row, "events", &id.to_string(), "pending")?,
            None => false,
        };
        Err(if pending { not_this_event(id, entry.seq) } else { not_pending(id) })
    }

    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        let rows = self.query(EVENT_LAST_SEALED, &[])?;
        rows.first().map(entry_from_row).transpose()
    }

    fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError> {
        let rows = self.query(EVENTS_SEALED_AFTER, &[&after_bound(seq), &limit_param(limit)])?;
        rows.iter().map(entry_from_row).collect()
    }

    fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError> {
        self.execute(EVENTS_FORGET, &[&after_bound(after), &after_bound(through)])
    }

    fn put_checkpoint(&mut self, c: &audit::Checkpoint) -> Result<(), StoreError> {
        let seq = seq_param(c.seq)?;
        self.execute(
            CHECKPOINT_PUT,
            &[&seq, &c.hash.as_slice(), &c.timestamp, &c.key_id.0.as_slice(), &c.signature.as_slice()],
        )?;
        Ok(())
    }

    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        let rows = self.query(CHECKPOINTS_AFTER, &[&after_bound(seq)])?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Time,
        ttl_us: i64,
    ) -> Result<bool, StoreError> {
        let until = now.saturating_add_micros(ttl_us).as_micros();
        let rows = self.query(LEASE_ACQUIRE, &[&name, &holder, &until, &now.as_micros()])?;
        Ok(!rows.is_empty())
    }

    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let rows = self.query(RECORD_GET, &[&kind, &id])?;
        rows.first().map(record_from_row).transpose()
    }

    fn put_record(&mut self, r: &Record) -> Result<(), StoreError> {
        let due = r.due.map(Time::as_micros);
        self.execute(RECORD_PUT, &[&r.kind, &r.id, &r.body, &r.k1, &r.k2, &due])?;
        Ok(())
    }

    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.execute(RECORD_DELETE, &[&kind, &id])?;
        Ok(())
    }

    fn records_by(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = limit_param(limit);
        let rows = match key {
            RecordKey::All => self.query(RECORDS_ALL, &[&kind, &limit])?,
            RecordKey::K1(k) => self.query(RECORDS_BY_K1, &[&kind, &k, &limit])?,
            RecordKey::K2(k) => self.query(RECORDS_BY_K2, &[&kind, &k, &limit])?,
        };
        rows.iter().map(record_from_row).collect()
    }

    fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = limit_param(limit);
        let rows = match (key, before) {
            (RecordKey::All, None) => self.query(RECORDS_ALL_REV, &[&kind, &limit])?,
            (RecordKey::All, Some(b)) => self.query(RECORDS_ALL_REV_BEFORE, &[&kind, &b, &limit])?,
            (RecordKey::K1(k), None) => self.query(RECORDS_BY_K1_REV, &[&kind, &k, &limit])?,
            (RecordKey::K1(k), Some(b)) => self.query(RECORDS_BY_K1_REV_BEFORE, &[&kind, &k, &b, &limit])?,
            (RecordKey::K2(k), None) => self.query(RECORDS_BY_K2_REV, &[&kind, &k, &limit])?,
            (RecordKey::K2(k), Some(b)) => self.query(RECORDS_BY_K2_REV_BEFORE, &[&kind, &k, &b, &limit])?,
        };
        rows.iter().map(record_from_row).collect()
    }

    fn records_due(&mut self, kind: &str, before: Time, limit: usize) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(RECORDS_DUE, &[&kind, &before.as_micros(), &limit_param(limit)])?;
        rows.iter().map(record_from_row).collect()
    }

    fn records_after(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(RECORDS_AFTER, &[&kind, &after, &limit_param(limit)])?;
        rows.iter().map(record_from_row).collect()
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(first) = self.failed.take() {
            // Drop sends the ROLLBACK.
            return Err(aborted(&first));
        }
        if self.done {
            return Err(StoreError::Unavailable(
                "PostgreSQL connection was lost during the transaction".into(),
            ));
        }
        match self.end("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                // A failed COMMIT ends the transaction on the server (40001:
                // nothing was written). After a lost connection the outcome
                // is unknown: the COMMIT may have been applied before the
                // connection broke.
                self.lease.note(&e);
                match from_pg(&e) {
                    StoreError::Unavailable(m) => Err(StoreError::OutcomeUnknown(m)),
                    other => Err(other),
                }
            }
        }
    }
}
