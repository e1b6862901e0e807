//! Operational intents, constraints, subscriptions and USS availability:
//! their SQL, the decoding of their rows, and the transaction's methods
//! that use them (with the candidate searches and the lookups of purge and
//! quotas).

use deconflict_core::codec;
use deconflict_core::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, IntentState, OperationalIntent, Subscription,
};
use deconflict_core::store::{AreaQuery, EntityKind};
use deconflict_core::{StoreError, Usage};
use geom::{Time, Volume4D};
use rusqlite::{OptionalExtension, Row, params};

use super::{Decoded, Lease, SqliteTx, limit};
use crate::error::{SqlResultExt, bad_column, from_codec};
use crate::rtree::RBox;

// ---------------------------------------------------------------------------
// SQL

macro_rules! intent_columns {
    () => {
        "t.id, t.manager, t.version, t.state, t.ovn, t.uss_base_url, t.subscription_id, \
         t.created_at, t.updated_at, t.extents"
    };
}
macro_rules! constraint_columns {
    () => {
        "t.id, t.manager, t.version, t.ovn, t.uss_base_url, t.created_at, t.updated_at, t.extents"
    };
}
macro_rules! subscription_columns {
    () => {
        "t.id, t.manager, t.version, t.notification_index, t.uss_base_url, t.notify_for_intents, \
         t.notify_for_constraints, t.implicit, t.updated_at, t.extents"
    };
}

/// `SELECT <columns> FROM <table> t WHERE t.id = ?1`
macro_rules! by_id {
    ($columns:expr, $table:literal) => {
        concat!("SELECT ", $columns, " FROM ", $table, " t WHERE t.id = ?1")
    };
}

/// Candidate search: the R*Tree finds the boxes that meet the query box
/// (closed on every axis), the join on `pk` fetches their rows.
macro_rules! in_box {
    ($columns:expr, $table:literal) => {
        concat!(
            "SELECT ",
            $columns,
            " FROM ",
            $table,
            "_rtree r JOIN ",
            $table,
            " t ON t.pk = r.id \
             WHERE r.max_lng >= ?1 AND r.min_lng <= ?2 AND r.max_lat >= ?3 AND r.min_lat <= ?4 \
             AND r.max_alt_km >= ?5 AND r.min_alt_km <= ?6 AND r.max_t_h >= ?7 AND r.min_t_h <= ?8"
        )
    };
}

/// Writes the R*Tree entry of row `?1` (replacing the old one on update).
macro_rules! index {
    ($table:literal) => {
        concat!(
            "INSERT OR REPLACE INTO ",
            $table,
            "_rtree \
             (id, min_lng, max_lng, min_lat, max_lat, min_alt_km, max_alt_km, min_t_h, max_t_h) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        )
    };
}

pub(super) const INTENT_BY_ID: &str = by_id!(intent_columns!(), "operational_intents");
pub(super) const INTENTS_IN: &str = in_box!(intent_columns!(), "operational_intents");
pub(super) const INDEX_INTENT: &str = index!("operational_intents");
pub(super) const CONSTRAINT_BY_ID: &str = by_id!(constraint_columns!(), "constraints");
pub(super) const CONSTRAINTS_IN: &str = in_box!(constraint_columns!(), "constraints");
pub(super) const INDEX_CONSTRAINT: &str = index!("constraints");
pub(super) const SUBSCRIPTION_BY_ID: &str = by_id!(subscription_columns!(), "subscriptions");
pub(super) const SUBSCRIPTIONS_IN: &str = in_box!(subscription_columns!(), "subscriptions");
pub(super) const INDEX_SUBSCRIPTION: &str = index!("subscriptions");

pub(super) const UPSERT_INTENT: &str = "INSERT INTO operational_intents \
    (id, manager, version, state, ovn, uss_base_url, subscription_id, created_at, updated_at, \
     time_start, time_end, alt_lower, alt_upper, extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     state = excluded.state, ovn = excluded.ovn, uss_base_url = excluded.uss_base_url, \
     subscription_id = excluded.subscription_id, created_at = excluded.created_at, \
     updated_at = excluded.updated_at, time_start = excluded.time_start, \
     time_end = excluded.time_end, alt_lower = excluded.alt_lower, \
     alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

pub(super) const UPSERT_CONSTRAINT: &str = "INSERT INTO constraints \
    (id, manager, version, ovn, uss_base_url, created_at, updated_at, \
     time_start, time_end, alt_lower, alt_upper, extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     ovn = excluded.ovn, uss_base_url = excluded.uss_base_url, \
     created_at = excluded.created_at, updated_at = excluded.updated_at, \
     time_start = excluded.time_start, time_end = excluded.time_end, \
     alt_lower = excluded.alt_lower, alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

pub(super) const UPSERT_SUBSCRIPTION: &str = "INSERT INTO subscriptions \
    (id, manager, version, notification_index, uss_base_url, notify_for_intents, \
     notify_for_constraints, implicit, updated_at, time_start, time_end, alt_lower, alt_upper, \
     extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     notification_index = excluded.notification_index, uss_base_url = excluded.uss_base_url, \
     notify_for_intents = excluded.notify_for_intents, \
     notify_for_constraints = excluded.notify_for_constraints, implicit = excluded.implicit, \
     updated_at = excluded.updated_at, time_start = excluded.time_start, \
     time_end = excluded.time_end, alt_lower = excluded.alt_lower, \
     alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

/// A notification index bump touches one column (and not the R*Tree).
pub(super) const BUMP_SUBSCRIPTION: &str = "UPDATE subscriptions \
    SET notification_index = notification_index + 1 WHERE id = ?1 RETURNING notification_index";

// Deleting a row also deletes its R*Tree entry (AFTER DELETE triggers).
pub(super) const DELETE_INTENT: &str = "DELETE FROM operational_intents WHERE id = ?1";
pub(super) const DELETE_CONSTRAINT: &str = "DELETE FROM constraints WHERE id = ?1";
pub(super) const DELETE_SUBSCRIPTION: &str = "DELETE FROM subscriptions WHERE id = ?1";

pub(super) const INTENTS_OF_SUBSCRIPTION: &str =
    "SELECT id FROM operational_intents WHERE subscription_id = ?1";

pub(super) const AVAILABILITY: &str = "SELECT availability, version FROM uss_availability WHERE uss = ?1";
pub(super) const UPSERT_AVAILABILITY: &str = "INSERT INTO uss_availability (uss, availability, version) \
    VALUES (?1, ?2, ?3) \
    ON CONFLICT (uss) DO UPDATE SET availability = excluded.availability, version = excluded.version";

/// Ids of what ended by `?1`, soonest first, at most `?2` (the `time_end` indexes serve them).
pub(super) const ENDED_INTENTS: &str =
    "SELECT id FROM operational_intents WHERE time_end <= ?1 ORDER BY time_end, id LIMIT ?2";
pub(super) const ENDED_CONSTRAINTS: &str =
    "SELECT id FROM constraints WHERE time_end <= ?1 ORDER BY time_end, id LIMIT ?2";
pub(super) const ENDED_SUBSCRIPTIONS: &str =
    "SELECT id FROM subscriptions WHERE time_end <= ?1 ORDER BY time_end, id LIMIT ?2";

pub(super) const USAGE_COUNTS: &str = "SELECT \
    (SELECT COUNT(*) FROM operational_intents WHERE manager = ?1 AND time_end > ?2), \
    (SELECT COUNT(*) FROM constraints WHERE manager = ?1 AND time_end > ?2)";
pub(super) const SUBSCRIPTIONS_OF: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions t WHERE t.manager = ?1 AND t.implicit = 0 AND t.time_end > ?2"
);

pub(super) const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM operational_intents), \
    (SELECT COUNT(*) FROM constraints), (SELECT COUNT(*) FROM subscriptions)";
// ---------------------------------------------------------------------------
// Decoding

fn extents(table: &str, id: &str, blob: &[u8]) -> Result<Vec<Volume4D>, StoreError> {
    codec::decode(blob).map_err(|e| from_codec(table, id, e))
}

pub(super) fn entity_id(table: &str, s: &str) -> Result<EntityId, StoreError> {
    EntityId::parse(s).map_err(|e| bad_column(table, s, "id", e))
}

fn subscription_id(table: &str, id: &str, column: &str, s: &str) -> Result<SubscriptionId, StoreError> {
    SubscriptionId::parse(s).map_err(|e| bad_column(table, id, column, e))
}

fn manager(table: &str, id: &str, s: &str) -> Result<PartyName, StoreError> {
    PartyName::new(s).map_err(|e| bad_column(table, id, "manager", e))
}

fn ovn(table: &str, id: &str, s: &str) -> Result<Ovn, StoreError> {
    Ovn::parse(s).map_err(|e| bad_column(table, id, "ovn", e))
}

fn base_url(table: &str, id: &str, s: &str) -> Result<UssBaseUrl, StoreError> {
    // Validated (with the server's http policy) when written; accept both here.
    UssBaseUrl::parse(s, true).map_err(|e| bad_column(table, id, "uss_base_url", e))
}

pub(super) fn read_intent(r: &Row<'_>) -> Decoded<OperationalIntent> {
    const T: &str = "operational_intents";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: i32 = r.get(2)?;
    let state_s: String = r.get(3)?;
    let ovn_s: String = r.get(4)?;
    let url_s: String = r.get(5)?;
    let sub_s: Option<String> = r.get(6)?;
    let created_at: i64 = r.get(7)?;
    let updated_at: i64 = r.get(8)?;
    let blob: Vec<u8> = r.get(9)?;
    Ok((|| {
        Ok(OperationalIntent {
            id: entity_id(T, &id)?,
            party: manager(T, &id, &manager_s)?,
            version,
            state: IntentState::parse(&state_s)
                .ok_or_else(|| bad_column(T, &id, "state", format!("unknown state `{state_s}`")))?,
            ovn: ovn(T, &id, &ovn_s)?,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            subscription_id: sub_s
                .as_deref()
                .map(|s| subscription_id(T, &id, "subscription_id", s))
                .transpose()?,
            created_at: Time::from_micros(created_at),
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

pub(super) fn read_constraint(r: &Row<'_>) -> Decoded<Constraint> {
    const T: &str = "constraints";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: i32 = r.get(2)?;
    let ovn_s: String = r.get(3)?;
    let url_s: String = r.get(4)?;
    let created_at: i64 = r.get(5)?;
    let updated_at: i64 = r.get(6)?;
    let blob: Vec<u8> = r.get(7)?;
    Ok((|| {
        Ok(Constraint {
            id: entity_id(T, &id)?,
            party: manager(T, &id, &manager_s)?,
            version,
            ovn: ovn(T, &id, &ovn_s)?,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            created_at: Time::from_micros(created_at),
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

pub(super) fn read_subscription(r: &Row<'_>) -> Decoded<Subscription> {
    const T: &str = "subscriptions";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: String = r.get(2)?;
    let notification_index: i32 = r.get(3)?;
    let url_s: String = r.get(4)?;
    let notify_for_intents: bool = r.get(5)?;
    let notify_for_constraints: bool = r.get(6)?;
    let implicit: bool = r.get(7)?;
    let updated_at: i64 = r.get(8)?;
    let blob: Vec<u8> = r.get(9)?;
    Ok((|| {
        Ok(Subscription {
            id: subscription_id(T, &id, "id", &id)?,
            party: manager(T, &id, &manager_s)?,
            version,
            notification_index,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            notify_for_intents,
            notify_for_constraints,
            implicit,
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

impl<L: Lease> SqliteTx<L> {
    pub(super) fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        self.fetch_one(INTENT_BY_ID, &id.to_string(), read_intent)
    }

    pub(super) fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        self.fetch_in(INTENTS_IN, area, read_intent)
    }

    pub(super) fn intents_of_subscription(
        &mut self,
        id: SubscriptionId,
    ) -> Result<Vec<EntityId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(INTENTS_OF_SUBSCRIPTION).store()?;
        let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0)).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(entity_id("operational_intents", &row.store()?)?);
        }
        Ok(out)
    }

    pub(super) fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
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

    pub(super) fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_INTENT, &id.to_string())
    }

    pub(super) fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        self.fetch_one(CONSTRAINT_BY_ID, &id.to_string(), read_constraint)
    }

    pub(super) fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        self.fetch_in(CONSTRAINTS_IN, area, read_constraint)
    }

    pub(super) fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
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

    pub(super) fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_CONSTRAINT, &id.to_string())
    }

    pub(super) fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.fetch_one(SUBSCRIPTION_BY_ID, &id.to_string(), read_subscription)
    }

    pub(super) fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        self.fetch_in(SUBSCRIPTIONS_IN, area, read_subscription)
    }

    pub(super) fn put_subscription(&mut self, s: &Subscription) -> Result<(), StoreError> {
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

    pub(super) fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.delete(DELETE_SUBSCRIPTION, &id.to_string())
    }

    pub(super) fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        self.writable()?;
        let mut stmt = self.conn.prepare_cached(BUMP_SUBSCRIPTION).store()?;
        stmt.query_row([id.to_string()], |r| r.get(0)).optional().store()
    }

    pub(super) fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
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

    pub(super) fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(UPSERT_AVAILABILITY)
            .store()?
            .execute(params![record.uss.as_str(), record.availability.as_str(), record.version])
            .store()?;
        Ok(())
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
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt.query_map(params![now.as_micros(), limit(n)], |r| r.get::<_, String>(0)).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(entity_id("entities", &row.store()?)?.as_uuid());
        }
        Ok(out)
    }

    pub(super) fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached(COUNTS).store()?;
        let (i, c, s): (i64, i64, i64) =
            stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).store()?;
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(EntityCounts { intents: n(i), constraints: n(c), subscriptions: n(s) })
    }

    pub(super) fn usage(&mut self, manager: &PartyName, now: Time) -> Result<Usage, StoreError> {
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
}
