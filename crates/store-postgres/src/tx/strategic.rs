//! Operational intents, constraints, subscriptions and USS availability:
//! their SQL, the decoding of their rows, and the transaction's methods
//! that use them (with the candidate searches, the cell locks of area
//! writes and the lookups of purge and quotas).

use deconflict_core::codec;
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, IntentState, OperationalIntent, Subscription,
};
use deconflict_core::store::{AreaQuery, EntityKind};
use deconflict_core::{EntityId, Ovn, PartyName, StoreError, SubscriptionId, Usage, UssBaseUrl};
use geom::Time;
use tokio_postgres::Row;
use uuid::Uuid;

use tokio_postgres::types::ToSql;

use super::{PgTx, get, limit_param, time};
use crate::error::{bad_column, from_codec};
use crate::spatial::{Search, Spatial, lock_cells};

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
/// Cell search: rows sharing a cell with `$9` (the GIN index), plus rows
/// whose footprints could not be covered, by box (the partial index on
/// `time_end`). The band's time bound is written `time_end + 0` so that no
/// index on `time_end` can serve it: the planner, without statistics on a
/// young table, otherwise scanned every live row through `time_end`
/// (1.5 ms at a thousand rows instead of 0.1 ms through the cells).
macro_rules! by_cells {
    () => {
        concat!(
            " WHERE alt_upper >= $1 AND alt_lower <= $2 AND time_end + 0 >= $3 AND time_start <= $4",
            " AND (cells && $9 OR (NOT cells_complete AND time_end >= $3 AND ",
            in_box!(),
            "))"
        )
    };
}
/// Box search, for an area that could not be covered.
macro_rules! by_box {
    () => {
        concat!(band!(), " AND ", in_box!())
    };
}

pub(super) const INTENT_GET: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1");
/// In a [`TxMode::AreaWrite`](deconflict_core::TxMode::AreaWrite) transaction the row read to
/// be changed stays locked until the end (READ COMMITTED would otherwise let a
/// concurrent writer of the same entity slip in between).
pub(super) const INTENT_GET_LOCKED: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1 FOR UPDATE");
pub(super) const INTENT_BY_CELLS: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_cells!());
pub(super) const INTENT_BY_BOX: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_box!());
pub(super) const INTENT_OF_SUB: &str = "SELECT id FROM operational_intents WHERE subscription_id = $1";
pub(super) const INTENT_PUT: &str = concat!(
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
pub(super) const INTENT_DELETE: &str = "DELETE FROM operational_intents WHERE id = $1";

pub(super) const CONSTRAINT_GET: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1");
pub(super) const CONSTRAINT_GET_LOCKED: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1 FOR UPDATE");
pub(super) const CONSTRAINT_BY_CELLS: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints", by_cells!());
pub(super) const CONSTRAINT_BY_BOX: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints", by_box!());
pub(super) const CONSTRAINT_PUT: &str = concat!(
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
pub(super) const CONSTRAINT_DELETE: &str = "DELETE FROM constraints WHERE id = $1";

pub(super) const SUBSCRIPTION_GET: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1");
pub(super) const SUBSCRIPTION_GET_LOCKED: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1 FOR UPDATE");
pub(super) const SUBSCRIPTION_BY_CELLS: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_cells!());
pub(super) const SUBSCRIPTION_BY_BOX: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_box!());
pub(super) const SUBSCRIPTION_PUT: &str = concat!(
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
pub(super) const SUBSCRIPTION_DELETE: &str = "DELETE FROM subscriptions WHERE id = $1";
/// One statement, so concurrent notifications of one subscription never lose
/// an increment (READ COMMITTED re-reads the row after waiting for its lock).
pub(super) const SUBSCRIPTION_BUMP: &str = "UPDATE subscriptions SET notification_index = notification_index + 1 \
     WHERE id = $1 RETURNING notification_index";

/// Locks the cells `$1` (sorted, so that two lockers take them in the same
/// order) for the rest of the transaction: a missing row is inserted, an
/// existing one updated. Two transactions locking a common cell wait for
/// each other; on a snapshot-isolation engine the second is told to retry.
pub(super) const CELLS_LOCK: &str = "INSERT INTO area_locks AS l (cell) \
     SELECT c FROM unnest($1::BIGINT[]) AS u(c) ORDER BY c \
     ON CONFLICT (cell) DO UPDATE SET writes = l.writes + 1";
/// An area that cannot be covered by cells locks out every other area writer.
pub(super) const CELLS_LOCK_ALL: &str = "LOCK TABLE area_locks IN SHARE ROW EXCLUSIVE MODE";

pub(super) const AVAILABILITY_GET: &str = "SELECT availability, version FROM uss_availability WHERE uss = $1";
pub(super) const AVAILABILITY_PUT: &str = "INSERT INTO uss_availability (uss, availability, version) VALUES ($1, $2, $3) \
     ON CONFLICT (uss) DO UPDATE SET availability = EXCLUDED.availability, version = EXCLUDED.version";

/// Ids of what ended by `$1`, soonest first, at most `$2` (the `time_end` indexes serve them).
pub(super) const ENDED_INTENTS: &str =
    "SELECT id FROM operational_intents WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
pub(super) const ENDED_CONSTRAINTS: &str =
    "SELECT id FROM constraints WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
pub(super) const ENDED_SUBSCRIPTIONS: &str =
    "SELECT id FROM subscriptions WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
/// A party's usage in one round trip: its live intent and constraint
/// counts on every row, joined with its live explicit subscriptions (one
/// row with a NULL `id` when it has none).
pub(super) const USAGE: &str = concat!(
    "SELECT ",
    subscription_cols!(),
    ", c.intents, c.constraints FROM (SELECT \
     (SELECT count(*) FROM operational_intents WHERE manager = $1 AND time_end > $2) AS intents, \
     (SELECT count(*) FROM constraints WHERE manager = $1 AND time_end > $2) AS constraints) AS c \
     LEFT JOIN subscriptions ON manager = $1 AND NOT implicit AND time_end > $2"
);
pub(super) const COUNTS: &str = "SELECT (SELECT count(*) FROM operational_intents), \
     (SELECT count(*) FROM constraints), (SELECT count(*) FROM subscriptions)";
// ---------------------------------------------------------------------------
// Column decoding.

pub(super) fn row_id(row: &Row, table: &str) -> Result<Uuid, StoreError> {
    row.try_get("id").map_err(|e| bad_column(table, "?", "id", e))
}

fn manager(row: &Row, table: &str, id: &str) -> Result<PartyName, StoreError> {
    let s: &str = get(row, table, id, "manager")?;
    PartyName::new(s).map_err(|e| bad_column(table, id, "manager", e))
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

pub(super) fn intent_from_row(row: &Row) -> Result<OperationalIntent, StoreError> {
    const T: &str = "operational_intents";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    let state: &str = get(row, T, id, "state")?;
    Ok(OperationalIntent {
        id: EntityId::from_uuid(uuid),
        party: manager(row, T, id)?,
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

pub(super) fn constraint_from_row(row: &Row) -> Result<Constraint, StoreError> {
    const T: &str = "constraints";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Constraint {
        id: EntityId::from_uuid(uuid),
        party: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

pub(super) fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
    const T: &str = "subscriptions";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Subscription {
        id: SubscriptionId::from_uuid(uuid),
        party: manager(row, T, id)?,
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

pub(super) fn count(row: &Row, idx: usize) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(idx).map_err(|e| bad_column("counts", "-", &idx.to_string(), e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl PgTx<'_> {
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

    /// In an area write, locks the lock cells of `cells` (or, with `None`,
    /// every cell: the area could not be covered) unless this transaction
    /// already holds them.
    fn lock_cells(&mut self, cells: Option<&[i64]>) -> Result<(), StoreError> {
        if !self.area_write() || self.locked_all {
            return Ok(());
        }
        match cells {
            None => {
                self.queue(CELLS_LOCK_ALL, Vec::new())?;
                self.locked_all = true;
            }
            Some(cells) => {
                let Some(coarse) = lock_cells(cells) else {
                    // Not H3 cells after all: lock everything rather than too little.
                    return self.lock_cells(None);
                };
                let new: Vec<i64> = coarse.into_iter().filter(|c| !self.locked.contains(c)).collect();
                if new.is_empty() {
                    return Ok(());
                }
                self.locked.extend(new.iter().copied());
                self.queue(CELLS_LOCK, owned![new])?;
            }
        }
        Ok(())
    }

    /// Locks the cells of a row about to be written.
    fn lock_written(&mut self, s: &Spatial) -> Result<(), StoreError> {
        self.lock_cells(s.cells_complete.then_some(s.cells.as_slice()))
    }

    pub(super) fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        let sql = if self.area_write() { INTENT_GET_LOCKED } else { INTENT_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(intent_from_row).transpose()
    }

    pub(super) fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        let rows = self.candidates(area, INTENT_BY_CELLS, INTENT_BY_BOX)?;
        rows.iter().map(intent_from_row).collect()
    }

    pub(super) fn intents_of_subscription(
        &mut self,
        id: SubscriptionId,
    ) -> Result<Vec<EntityId>, StoreError> {
        let rows = self.query(INTENT_OF_SUB, &[&id.as_uuid()])?;
        rows.iter().map(|r| row_id(r, "operational_intents").map(EntityId::from_uuid)).collect()
    }

    pub(super) fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
        let s = self.spatial(&oi.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&oi.extents);
        let created = oi.created_at.as_micros();
        let updated = oi.updated_at.as_micros();
        let sub = oi.subscription_id.map(|s| s.as_uuid());
        let mut params = owned![
            oi.id.as_uuid(),
            oi.party.as_str().to_owned(),
            oi.version,
            oi.state.as_str(),
            oi.ovn.as_str().to_owned(),
            oi.uss_base_url.as_str().to_owned(),
            sub,
            created,
            updated,
            blob,
        ];
        params.extend(s.params());
        self.queue(INTENT_PUT, params)
    }

    pub(super) fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.queue(INTENT_DELETE, owned![id.as_uuid()])
    }

    pub(super) fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        let sql = if self.area_write() { CONSTRAINT_GET_LOCKED } else { CONSTRAINT_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(constraint_from_row).transpose()
    }

    pub(super) fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        let rows = self.candidates(area, CONSTRAINT_BY_CELLS, CONSTRAINT_BY_BOX)?;
        rows.iter().map(constraint_from_row).collect()
    }

    pub(super) fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        let s = self.spatial(&c.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&c.extents);
        let created = c.created_at.as_micros();
        let updated = c.updated_at.as_micros();
        let mut params = owned![
            c.id.as_uuid(),
            c.party.as_str().to_owned(),
            c.version,
            c.ovn.as_str().to_owned(),
            c.uss_base_url.as_str().to_owned(),
            created,
            updated,
            blob,
        ];
        params.extend(s.params());
        self.queue(CONSTRAINT_PUT, params)
    }

    pub(super) fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.queue(CONSTRAINT_DELETE, owned![id.as_uuid()])
    }

    pub(super) fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        let sql = if self.area_write() { SUBSCRIPTION_GET_LOCKED } else { SUBSCRIPTION_GET };
        let rows = self.query(sql, &[&id.as_uuid()])?;
        rows.first().map(subscription_from_row).transpose()
    }

    pub(super) fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.candidates(area, SUBSCRIPTION_BY_CELLS, SUBSCRIPTION_BY_BOX)?;
        rows.iter().map(subscription_from_row).collect()
    }

    pub(super) fn put_subscription(&mut self, sub: &Subscription) -> Result<(), StoreError> {
        let s = self.spatial(&sub.extents);
        self.lock_written(&s)?;
        let blob = codec::encode(&sub.extents);
        let updated = sub.updated_at.as_micros();
        let mut params = owned![
            sub.id.as_uuid(),
            sub.party.as_str().to_owned(),
            sub.version.clone(),
            sub.notification_index,
            sub.uss_base_url.as_str().to_owned(),
            sub.notify_for_intents,
            sub.notify_for_constraints,
            sub.implicit,
            updated,
            blob,
        ];
        params.extend(s.params());
        self.queue(SUBSCRIPTION_PUT, params)
    }

    pub(super) fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.queue(SUBSCRIPTION_DELETE, owned![id.as_uuid()])
    }

    pub(super) fn lock_area(&mut self, area: &AreaQuery<'_>) -> Result<(), StoreError> {
        if !self.area_write() {
            return Ok(());
        }
        let s = self.search(area);
        self.lock_cells(s.cells.as_deref())
    }

    pub(super) fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        let rows = self.query(SUBSCRIPTION_BUMP, &[&id.as_uuid()])?;
        rows.first()
            .map(|r| get::<i32>(r, "subscriptions", &id.to_string(), "notification_index"))
            .transpose()
    }

    pub(super) fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
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

    pub(super) fn put_availability(&mut self, r: &AvailabilityRecord) -> Result<(), StoreError> {
        self.queue(
            AVAILABILITY_PUT,
            owned![r.uss.as_str().to_owned(), r.availability.as_str(), r.version.clone()],
        )
    }

    pub(super) fn ended_by(
        &mut self,
        kind: EntityKind,
        now: Time,
        n: usize,
    ) -> Result<Vec<uuid::Uuid>, StoreError> {
        let sql = match kind {
            EntityKind::Intent => ENDED_INTENTS,
            EntityKind::Constraint => ENDED_CONSTRAINTS,
            EntityKind::Subscription => ENDED_SUBSCRIPTIONS,
        };
        let rows = self.query(sql, &[&now.as_micros(), &limit_param(n)])?;
        rows.iter().map(|r| row_id(r, "entities")).collect()
    }

    pub(super) fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let rows = self.query(COUNTS, &[])?;
        let row = rows.first().ok_or_else(|| StoreError::NoRow { query: "counts" })?;
        Ok(EntityCounts {
            intents: count(row, 0)?,
            constraints: count(row, 1)?,
            subscriptions: count(row, 2)?,
        })
    }

    pub(super) fn usage(&mut self, manager: &PartyName, now: Time) -> Result<Usage, StoreError> {
        let now = now.as_micros();
        let rows = self.query(USAGE, &[&manager.as_str(), &now])?;
        let row = rows.first().ok_or_else(|| StoreError::NoRow { query: "usage" })?;
        let counted = |col: &str| {
            let n: i64 = row.try_get(col).map_err(|e| bad_column("usage", manager.as_str(), col, e))?;
            Ok::<_, StoreError>(u64::try_from(n).unwrap_or(0))
        };
        let (intents, constraints) = (counted("intents")?, counted("constraints")?);
        let mut subscriptions = Vec::new();
        for row in &rows {
            if get::<Option<Uuid>>(row, "subscriptions", "?", "id")?.is_some() {
                subscriptions.push(subscription_from_row(row)?);
            }
        }
        Ok(Usage { intents, constraints, subscriptions })
    }
}
