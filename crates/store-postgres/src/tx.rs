//! One transaction on a pooled connection: entity ↔ row mapping and the
//! candidate searches.

use deconflict_core::codec;
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, IntentState, OperationalIntent, PurgeCounts,
    Subscription,
};
use deconflict_core::store::AreaQuery;
use deconflict_core::{EntityId, Manager, Ovn, StoreError, SubscriptionId, Tx, TxMode, UssBaseUrl};
use geom::Time;
use postgres::Row;
use postgres::types::{FromSql, ToSql};
use uuid::Uuid;

use crate::error::{aborted, bad_column, copy, from_codec, from_pg};
use crate::pool::Lease;
use crate::spatial::{Search, Spatial};

// ---------------------------------------------------------------------------
// SQL. Column lists are macros so that `concat!` builds `&'static str`s, the
// keys of the per-connection prepared-statement cache.

macro_rules! intent_cols {
    () => {
        "id, manager, version, state, ovn, uss_base_url, subscription_id, created_at, updated_at, extents"
    };
}
macro_rules! constraint_cols {
    () => {
        "id, manager, version, ovn, uss_base_url, created_at, updated_at, extents"
    };
}
macro_rules! subscription_cols {
    () => {
        "id, manager, version, notification_index, uss_base_url, notify_for_intents, \
         notify_for_constraints, implicit, updated_at, extents"
    };
}
/// The columns derived by [`Spatial`], in the order `spatial_params` binds them.
macro_rules! spatial_cols {
    () => {
        "time_start, time_end, alt_lower, alt_upper, min_lat, max_lat, min_lng, max_lng, cells, cells_complete"
    };
}
macro_rules! spatial_update {
    () => {
        "time_start = EXCLUDED.time_start, time_end = EXCLUDED.time_end, \
         alt_lower = EXCLUDED.alt_lower, alt_upper = EXCLUDED.alt_upper, \
         min_lat = EXCLUDED.min_lat, max_lat = EXCLUDED.max_lat, \
         min_lng = EXCLUDED.min_lng, max_lng = EXCLUDED.max_lng, \
         cells = EXCLUDED.cells, cells_complete = EXCLUDED.cells_complete, extents = EXCLUDED.extents"
    };
}
/// Closed altitude and time overlap: `$1..$2` metres, `$3..$4` µs.
macro_rules! band {
    () => {
        " WHERE alt_upper >= $1 AND alt_lower <= $2 AND time_end >= $3 AND time_start <= $4"
    };
}
/// Closed lat/lng box overlap: lat `$5..$6`, lng `$7..$8`.
macro_rules! in_box {
    () => {
        "max_lat >= $5 AND min_lat <= $6 AND max_lng >= $7 AND min_lng <= $8"
    };
}
/// Cell search: rows sharing a cell with `$9`, plus rows whose footprints
/// could not be covered, by box.
macro_rules! by_cells {
    () => {
        concat!(band!(), " AND (cells && $9 OR (NOT cells_complete AND ", in_box!(), "))")
    };
}
/// Box search, for an area that could not be covered.
macro_rules! by_box {
    () => {
        concat!(band!(), " AND ", in_box!())
    };
}

const INTENT_GET: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1");
const INTENT_BY_CELLS: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_cells!());
const INTENT_BY_BOX: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_box!());
const INTENT_OF_SUB: &str = "SELECT id FROM operational_intents WHERE subscription_id = $1";
const INTENT_PUT: &str = concat!(
    "INSERT INTO operational_intents (",
    intent_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     state = EXCLUDED.state, ovn = EXCLUDED.ovn, uss_base_url = EXCLUDED.uss_base_url, \
     subscription_id = EXCLUDED.subscription_id, created_at = EXCLUDED.created_at, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const INTENT_DELETE: &str = "DELETE FROM operational_intents WHERE id = $1";

const CONSTRAINT_GET: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1");
const CONSTRAINT_BY_CELLS: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints", by_cells!());
const CONSTRAINT_BY_BOX: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints", by_box!());
const CONSTRAINT_PUT: &str = concat!(
    "INSERT INTO constraints (",
    constraint_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     ovn = EXCLUDED.ovn, uss_base_url = EXCLUDED.uss_base_url, created_at = EXCLUDED.created_at, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const CONSTRAINT_DELETE: &str = "DELETE FROM constraints WHERE id = $1";

const SUBSCRIPTION_GET: &str = concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1");
const SUBSCRIPTION_BY_CELLS: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_cells!());
const SUBSCRIPTION_BY_BOX: &str = concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_box!());
const SUBSCRIPTION_PUT: &str = concat!(
    "INSERT INTO subscriptions (",
    subscription_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     notification_index = EXCLUDED.notification_index, uss_base_url = EXCLUDED.uss_base_url, \
     notify_for_intents = EXCLUDED.notify_for_intents, \
     notify_for_constraints = EXCLUDED.notify_for_constraints, implicit = EXCLUDED.implicit, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const SUBSCRIPTION_DELETE: &str = "DELETE FROM subscriptions WHERE id = $1";

const AVAILABILITY_GET: &str = "SELECT availability, version FROM uss_availability WHERE uss = $1";
const AVAILABILITY_PUT: &str = "INSERT INTO uss_availability (uss, availability, version) VALUES ($1, $2, $3) \
     ON CONFLICT (uss) DO UPDATE SET availability = EXCLUDED.availability, version = EXCLUDED.version";

const PURGE_INTENTS: &str = "DELETE FROM operational_intents WHERE time_end <= $1";
const PURGE_CONSTRAINTS: &str = "DELETE FROM constraints WHERE time_end <= $1";
/// Runs after the intents' purge, so "in use" means "used by a remaining intent".
const PURGE_SUBSCRIPTIONS: &str = "DELETE FROM subscriptions s WHERE s.time_end <= $1 \
     OR (s.implicit AND NOT EXISTS (SELECT 1 FROM operational_intents o WHERE o.subscription_id = s.id))";
const COUNTS: &str = "SELECT (SELECT count(*) FROM operational_intents), \
     (SELECT count(*) FROM constraints), (SELECT count(*) FROM subscriptions)";

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
}

/// `BEGIN` statement of each mode. Isolation is always explicit: distributed
/// engines default to snapshot isolation.
pub(crate) fn begin_sql(mode: TxMode) -> &'static str {
    match mode {
        TxMode::Write => "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
        TxMode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    }
}

impl<'a> PgTx<'a> {
    /// Wraps a connection on which `BEGIN` has succeeded.
    pub(crate) fn started(lease: Lease<'a>) -> Self {
        Self { lease, done: false, failed: None, last_search: None }
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

    /// Rows of one table that may intersect `area`.
    fn candidates(
        &mut self,
        area: &AreaQuery<'_>,
        by_cells: &'static str,
        by_box: &'static str,
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.search(area);
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
// Column decoding.

/// Reads column `col` of a row of `table` whose id is `id` (for messages).
fn get<'r, T: FromSql<'r>>(row: &'r Row, table: &str, id: &str, col: &str) -> Result<T, StoreError> {
    row.try_get(col).map_err(|e| bad_column(table, id, col, e))
}

fn row_id(row: &Row, table: &str) -> Result<Uuid, StoreError> {
    row.try_get("id").map_err(|e| bad_column(table, "?", "id", e))
}

fn time(row: &Row, table: &str, id: &str, col: &str) -> Result<Time, StoreError> {
    get::<i64>(row, table, id, col).map(Time::from_micros)
}

fn manager(row: &Row, table: &str, id: &str) -> Result<Manager, StoreError> {
    let s: &str = get(row, table, id, "manager")?;
    Manager::new(s).map_err(|e| bad_column(table, id, "manager", e))
}

fn ovn(row: &Row, table: &str, id: &str) -> Result<Ovn, StoreError> {
    let s: &str = get(row, table, id, "ovn")?;
    Ovn::parse(s).map_err(|e| bad_column(table, id, "ovn", e))
}

fn base_url(row: &Row, table: &str, id: &str) -> Result<UssBaseUrl, StoreError> {
    let s: &str = get(row, table, id, "uss_base_url")?;
    // Whether plain http is allowed was decided when it was written.
    UssBaseUrl::parse(s, true).map_err(|e| bad_column(table, id, "uss_base_url", e))
}

fn extents(row: &Row, table: &str, id: &str) -> Result<Vec<geom::Volume4D>, StoreError> {
    let blob: &[u8] = get(row, table, id, "extents")?;
    codec::decode(blob).map_err(|e| from_codec(table, id, &e))
}

fn intent_from_row(row: &Row) -> Result<OperationalIntent, StoreError> {
    const T: &str = "operational_intents";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    let state: &str = get(row, T, id, "state")?;
    Ok(OperationalIntent {
        id: EntityId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        state: IntentState::parse(state)
            .ok_or_else(|| bad_column(T, id, "state", format!("unknown `{state}`")))?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        subscription_id: get::<Option<Uuid>>(row, T, id, "subscription_id")?.map(SubscriptionId::from_uuid),
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

fn constraint_from_row(row: &Row) -> Result<Constraint, StoreError> {
    const T: &str = "constraints";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Constraint {
        id: EntityId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
    const T: &str = "subscriptions";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Subscription {
        id: SubscriptionId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        notification_index: get(row, T, id, "notification_index")?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        notify_for_intents: get(row, T, id, "notify_for_intents")?,
        notify_for_constraints: get(row, T, id, "notify_for_constraints")?,
        implicit: get(row, T, id, "implicit")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

fn count(row: &Row, idx: usize) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(idx).map_err(|e| bad_column("counts", "-", &idx.to_string(), e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

// ---------------------------------------------------------------------------

impl Tx for PgTx<'_> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        let rows = self.query(INTENT_GET, &[&id.as_uuid()])?;
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
        let s = Spatial::of(&oi.extents);
        let blob = codec::encode(&oi.extents);
        let created = oi.created_at.as_micros();
        let updated = oi.updated_at.as_micros();
        let sub = oi.subscription_id.map(|s| s.as_uuid());
        self.execute(
            INTENT_PUT,
            &[
                &oi.id.as_uuid(),
                &oi.manager.as_str(),
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
        let rows = self.query(CONSTRAINT_GET, &[&id.as_uuid()])?;
        rows.first().map(constraint_from_row).transpose()
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        let rows = self.candidates(area, CONSTRAINT_BY_CELLS, CONSTRAINT_BY_BOX)?;
        rows.iter().map(constraint_from_row).collect()
    }

    fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        let s = Spatial::of(&c.extents);
        let blob = codec::encode(&c.extents);
        let created = c.created_at.as_micros();
        let updated = c.updated_at.as_micros();
        self.execute(
            CONSTRAINT_PUT,
            &[
                &c.id.as_uuid(),
                &c.manager.as_str(),
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
        let rows = self.query(SUBSCRIPTION_GET, &[&id.as_uuid()])?;
        rows.first().map(subscription_from_row).transpose()
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.candidates(area, SUBSCRIPTION_BY_CELLS, SUBSCRIPTION_BY_BOX)?;
        rows.iter().map(subscription_from_row).collect()
    }

    fn put_subscription(&mut self, sub: &Subscription) -> Result<(), StoreError> {
        let s = Spatial::of(&sub.extents);
        let blob = codec::encode(&sub.extents);
        let updated = sub.updated_at.as_micros();
        self.execute(
            SUBSCRIPTION_PUT,
            &[
                &sub.id.as_uuid(),
                &sub.manager.as_str(),
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

    fn availability(&mut self, uss: &Manager) -> Result<Option<AvailabilityRecord>, StoreError> {
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

    fn purge_expired(&mut self, now: Time) -> Result<PurgeCounts, StoreError> {
        let now = now.as_micros();
        let intents = self.execute(PURGE_INTENTS, &[&now])?;
        let constraints = self.execute(PURGE_CONSTRAINTS, &[&now])?;
        let subscriptions = self.execute(PURGE_SUBSCRIPTIONS, &[&now])?;
        Ok(PurgeCounts { intents, constraints, subscriptions })
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let rows = self.query(COUNTS, &[])?;
        let row = rows.first().ok_or_else(|| StoreError::Backend("counts returned no row".into()))?;
        Ok(EntityCounts {
            intents: count(row, 0)?,
            constraints: count(row, 1)?,
            subscriptions: count(row, 2)?,
        })
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
                // is unknown; the engine reports Unavailable.
                self.lease.note(&e);
                Err(from_pg(&e))
            }
        }
    }
}
