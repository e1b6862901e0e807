//! Operational intents, constraints, subscriptions and USS availability:
//! their SQL, and the decoding of their rows.

use deconflict_core::StoreError;
use deconflict_core::codec;
use deconflict_core::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};
use deconflict_core::model::{Constraint, IntentState, OperationalIntent, Subscription};
use geom::{Time, Volume4D};
use rusqlite::Row;

use super::Decoded;
use crate::error::{bad_column, from_codec};

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
