//! Need-to-know: **the one place** that decides what of an operation a party
//! may see through the native API.
//!
//! # The rule
//!
//! * A party sees **its own** operations in full: every volume, its state,
//!   and the details it set (free-text `purpose`, `contact` channel).
//! * Of **another party's** live operation it sees only what intersects its
//!   own live operations or its own live explicit subscriptions. For each of
//!   the other operation's volumes and each of the caller's volumes (intents'
//!   extents, subscriptions' extents) that intersect exactly, one
//!   [`VisiblePart`]: the intersection polygons ([`geom::clip`]), the overlap
//!   of the two altitude ranges and of the two time windows. With the parts
//!   come the other party's manager name, the operation's state and its
//!   `contact` channel, so the two can talk.
//! * It **never** sees another party's `purpose` nor its OVN: the types below
//!   have no place for them ([`View::Other`]).
//! * Anything else is invisible, and an invisible operation is reported
//!   exactly like a missing one ([`EngineError::NotFound`] with the same
//!   message), so that its existence is not revealed.
//!
//! Implicit subscriptions (those F3548 creates with an intent) do not widen
//! the view: their extents are their intents' extents, already counted, or
//! stale ones of intents since deleted. A touching (zero-area) intersection
//! gives a part with no polygons.
//!
//! The F3548 endpoints are not filtered here: they keep returning what the
//! standard requires (references without details, other parties' OVNs hidden
//! by the server).
//!
//! # Details
//!
//! Operation details are a native extension kept in the store's generic
//! records: kind [`DETAILS_KIND`], id = the intent id, body
//! `{"purpose", "contact", "intent_created_us", "manager"}`. They are bound
//! to one incarnation of the intent (its manager and creation time), so an id
//! deleted and filed again, even by another party, does not inherit them.

use geom::{AltitudeRange, LatLng, Time, TimeWindow, Volume4D};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::engine::{Ctx, Engine, EngineError};
use crate::events::NewEvent;
use crate::ids::{EntityId, Manager};
use crate::model::{IntentState, OperationalIntent};
use crate::records::Record;
use crate::store::{AreaQuery, StoreError, Tx, TxMode};

/// Record kind of operation details.
pub const DETAILS_KIND: &str = "intent_details";
/// Longest `purpose`, in bytes of UTF-8.
pub const MAX_PURPOSE_BYTES: usize = 2048;
/// Longest `contact`, in characters.
pub const MAX_CONTACT_CHARS: usize = 256;

/// What the owner says about an operation, beyond F3548.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntentDetails {
    /// Free text, for the owner only.
    pub purpose: String,
    /// How to reach the operator (phone, radio channel, chat handle...),
    /// shown to parties whose airspace the operation shares.
    pub contact: String,
}

/// The part of another party's volume that lies in one of the caller's.
#[derive(Debug, Clone, PartialEq)]
pub struct VisiblePart {
    /// The horizontal intersection: outer rings, no closing vertex,
    /// great-circle edges. Empty when the footprints only touch.
    pub polygons: Vec<Vec<LatLng>>,
    /// Overlap of the two altitude ranges.
    pub altitude: AltitudeRange,
    /// Overlap of the two time windows.
    pub time: TimeWindow,
}

/// How much of an operation the caller sees.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// The caller's own operation, in full.
    Own {
        /// Every volume.
        volumes: Vec<Volume4D>,
        /// The purpose, if details were set.
        purpose: Option<String>,
    },
    /// Another party's operation: only the parts in the caller's airspace.
    Other {
        /// One per intersecting (their volume, caller's volume) pair.
        parts: Vec<VisiblePart>,
    },
}

/// An operation as the caller may see it. There is no OVN here, ever.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleOperation {
    /// The intent id.
    pub id: EntityId,
    /// Who filed it.
    pub manager: Manager,
    /// Its F3548 state.
    pub state: IntentState,
    /// The contact channel, if details were set.
    pub contact: Option<String>,
    /// What of it the caller sees.
    pub view: View,
}

impl VisibleOperation {
    /// Whether it is the caller's own.
    pub fn own(&self) -> bool {
        matches!(self.view, View::Own { .. })
    }
}

/// Every live operation intersecting `area` exactly, as `caller` may see it
/// (see the module docs), ordered by id. Operations the caller may not see
/// are left out.
///
/// # Errors
/// [`EngineError::Store`] when the store fails.
pub fn visible_operations(
    tx: &mut dyn Tx,
    caller: &Manager,
    area: &[Volume4D],
    now: Time,
) -> Result<Vec<VisibleOperation>, EngineError> {
    let found = crate::engine::intents::intersecting_intents(tx, area, now)?;
    let others: Vec<Volume4D> =
        found.iter().filter(|oi| &oi.manager != caller).flat_map(|oi| oi.extents.iter().cloned()).collect();
    let mine = caller_volumes(tx, caller, &others, now)?;
    let mut out = Vec::with_capacity(found.len());
    for oi in found {
        if let Some(v) = view_of(tx, caller, &mine, oi)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// One operation as `caller` may see it.
///
/// # Errors
/// [`EngineError::NotFound`] when it does not exist **or** the caller may
/// not see it (same message: existence is not revealed); `Store`.
pub fn visible_operation(
    tx: &mut dyn Tx,
    caller: &Manager,
    id: EntityId,
    now: Time,
) -> Result<VisibleOperation, EngineError> {
    let not_found = || EngineError::NotFound(format!("operation {id} not found"));
    let oi = tx.intent(id)?.ok_or_else(not_found)?;
    if &oi.manager != caller && oi.time().end() <= now {
        return Err(not_found());
    }
    let mine = if &oi.manager == caller { Vec::new() } else { caller_volumes(tx, caller, &oi.extents, now)? };
    view_of(tx, caller, &mine, oi)?.ok_or_else(not_found)
}

/// [`visible_operations`] in a read transaction of `engine`'s store, for
/// `ctx.caller` at `ctx.now`.
///
/// # Errors
/// `BadRequest` for an empty area, `AreaTooLarge`, `TooManyResults` (never a
/// silent cut), `Store`.
pub fn query_operations(
    engine: &Engine,
    ctx: &Ctx,
    area: &[Volume4D],
) -> Result<Vec<VisibleOperation>, EngineError> {
    if area.is_empty() {
        return Err(EngineError::BadRequest("area must contain at least one volume".into()));
    }
    let limits = engine.limits();
    for v in area {
        let a = v.footprint().area_m2();
        if a > limits.max_area_m2 {
            return Err(EngineError::AreaTooLarge { area_km2: a / 1e6, limit_km2: limits.max_area_m2 / 1e6 });
        }
    }
    let mut tx = engine.store().begin(TxMode::Read)?;
    let found = visible_operations(&mut *tx, &ctx.caller, area, ctx.now)?;
    if found.len() > limits.max_results {
        return Err(EngineError::TooManyResults { limit: limits.max_results });
    }
    Ok(found)
}

/// [`visible_operation`] in a read transaction of `engine`'s store.
///
/// # Errors
/// As [`visible_operation`].
pub fn operation(engine: &Engine, ctx: &Ctx, id: EntityId) -> Result<VisibleOperation, EngineError> {
    let mut tx = engine.store().begin(TxMode::Read)?;
    visible_operation(&mut *tx, &ctx.caller, id, ctx.now)
}

/// Sets (replaces) the details of one of the caller's operations, in one
/// write transaction with an `intent.details_set` event only the caller may
/// see. The event carries a SHA-256 of the details, not their text.
///
/// # Errors
/// `BadRequest` when `purpose` exceeds [`MAX_PURPOSE_BYTES`] bytes or
/// `contact` [`MAX_CONTACT_CHARS`] characters or has control characters;
/// `NotFound`; `Forbidden` for another party's operation; `Timeout`,
/// `Contention`, `Store`.
pub fn set_details(
    engine: &Engine,
    ctx: &Ctx,
    id: EntityId,
    details: &IntentDetails,
) -> Result<(), EngineError> {
    validate(details)?;
    engine.write(ctx.deadline, |tx| {
        let oi = tx.intent(id)?.ok_or_else(|| EngineError::NotFound(format!("operation {id} not found")))?;
        if oi.manager != ctx.caller {
            return Err(EngineError::Forbidden(format!(
                "operation {id} is owned by {}; only its owner may set its details",
                oi.manager
            )));
        }
        let body = json!({
            "purpose": details.purpose,
            "contact": details.contact,
            "manager": oi.manager.as_str(),
            "intent_created_us": oi.created_at.as_micros(),
        })
        .to_string();
        let digest: String = Sha256::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        tx.put_record(&Record {
            kind: DETAILS_KIND.to_owned(),
            id: id.to_string(),
            body,
            k1: Some(oi.manager.to_string()),
            k2: None,
            due: None,
        })?;
        let payload = json!({ "id": id.to_string(), "details_sha256": digest });
        tx.append_event(&NewEvent::new(
            ctx.now,
            "intent.details_set",
            ctx.caller.as_str(),
            Some(id.to_string()),
            [ctx.caller.to_string()],
            &payload,
        ))?;
        Ok(())
    })
}

fn validate(d: &IntentDetails) -> Result<(), EngineError> {
    if d.purpose.len() > MAX_PURPOSE_BYTES {
        return Err(EngineError::BadRequest(format!(
            "purpose is {} bytes long; at most {MAX_PURPOSE_BYTES} are allowed",
            d.purpose.len()
        )));
    }
    let n = d.contact.chars().count();
    if n > MAX_CONTACT_CHARS {
        return Err(EngineError::BadRequest(format!(
            "contact is {n} characters long; at most {MAX_CONTACT_CHARS} are allowed"
        )));
    }
    if d.contact.chars().any(char::is_control) {
        return Err(EngineError::BadRequest("contact must not contain control characters".into()));
    }
    Ok(())
}

/// The caller's live volumes (its intents' extents and its explicit
/// subscriptions' extents) that intersect `near`, without duplicates.
fn caller_volumes(
    tx: &mut dyn Tx,
    caller: &Manager,
    near: &[Volume4D],
    now: Time,
) -> Result<Vec<Volume4D>, EngineError> {
    if near.is_empty() {
        return Ok(Vec::new());
    }
    let query = AreaQuery::new(near);
    let mut out: Vec<Volume4D> = Vec::new();
    let add = |v: &Volume4D, out: &mut Vec<Volume4D>| {
        if v.time().end() > now && near.iter().any(|n| n.intersects(v)) && !out.contains(v) {
            out.push(v.clone());
        }
    };
    let mut intents = tx.intents_in(&query)?;
    intents.sort_by_key(|oi| oi.id);
    for oi in intents.iter().filter(|oi| &oi.manager == caller) {
        for v in &oi.extents {
            add(v, &mut out);
        }
    }
    let mut subs = tx.subscriptions_in(&query)?;
    subs.sort_by_key(|s| s.id);
    for s in subs.iter().filter(|s| &s.manager == caller && !s.implicit) {
        for v in &s.extents {
            add(v, &mut out);
        }
    }
    Ok(out)
}

/// The caller's view of `oi` given the caller's volumes `mine`, or `None`
/// when it may see nothing of it.
fn view_of(
    tx: &mut dyn Tx,
    caller: &Manager,
    mine: &[Volume4D],
    oi: OperationalIntent,
) -> Result<Option<VisibleOperation>, EngineError> {
    if &oi.manager == caller {
        let details = details_of(tx, &oi)?;
        return Ok(Some(VisibleOperation {
            id: oi.id,
            manager: oi.manager,
            state: oi.state,
            contact: details.as_ref().map(|d| d.contact.clone()),
            view: View::Own { volumes: oi.extents, purpose: details.map(|d| d.purpose) },
        }));
    }
    let parts: Vec<VisiblePart> =
        oi.extents.iter().flat_map(|theirs| mine.iter().filter_map(move |m| part(theirs, m))).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    let contact = details_of(tx, &oi)?.map(|d| d.contact);
    Ok(Some(VisibleOperation {
        id: oi.id,
        manager: oi.manager,
        state: oi.state,
        contact,
        view: View::Other { parts },
    }))
}

/// The part of `theirs` inside `mine`, if they intersect.
fn part(theirs: &Volume4D, mine: &Volume4D) -> Option<VisiblePart> {
    if !theirs.intersects(mine) {
        return None;
    }
    let (a, b) = (theirs.altitude(), mine.altitude());
    let altitude = AltitudeRange::new(a.lower().max(b.lower()), a.upper().min(b.upper())).ok()?;
    let (s, t) = (theirs.time(), mine.time());
    let time = TimeWindow::new(s.start().max(t.start()), s.end().min(t.end())).ok()?;
    Some(VisiblePart { polygons: geom::clip(theirs.footprint(), mine.footprint()), altitude, time })
}

/// The details of `oi`, if set for this incarnation of it.
fn details_of(tx: &mut dyn Tx, oi: &OperationalIntent) -> Result<Option<IntentDetails>, EngineError> {
    let Some(rec) = tx.record(DETAILS_KIND, &oi.id.to_string())? else {
        return Ok(None);
    };
    let body: serde_json::Value = serde_json::from_str(&rec.body)
        .map_err(|e| StoreError::Corrupt(format!("{DETAILS_KIND} {}: {e}", rec.id)))?;
    let same_incarnation = body["manager"].as_str() == Some(oi.manager.as_str())
        && body["intent_created_us"].as_i64() == Some(oi.created_at.as_micros());
    if !same_incarnation {
        return Ok(None);
    }
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    Ok(Some(IntentDetails { purpose: text("purpose"), contact: text("contact") }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use geom::Footprint;

    use super::*;
    use crate::engine::{Limits, PutIntent, PutSubscription, SubscriptionChoice};
    use crate::ids::{Ovn, SubscriptionId};
    use crate::memory::MemoryStore;
    use crate::testsuite::{HOUR, T0, manager, square, url, volume};

    fn engine() -> Engine {
        Engine::new(Arc::new(MemoryStore::new()), Limits::default())
    }

    fn ctx(who: &str) -> Ctx {
        Ctx::new(manager(who), Time::from_micros(T0))
    }

    fn file(e: &Engine, who: &str, v: Volume4D, key: Vec<Ovn>) -> OperationalIntent {
        let p = PutIntent { key, ..crate::testsuite::put_params(who, vec![v]) };
        e.put_intent(&ctx(who), EntityId::random(), None, &p).unwrap().intent.intent
    }

    fn subscribe(e: &Engine, who: &str, footprint: Footprint, alt: (f64, f64)) {
        let p = PutSubscription {
            footprint,
            altitude: AltitudeRange::new(alt.0, alt.1).unwrap(),
            start: Some(Time::from_micros(T0)),
            end: Some(Time::from_micros(T0 + 3 * HOUR)),
            uss_base_url: url(&format!("{who}.example")),
            notify_for_intents: true,
            notify_for_constraints: false,
        };
        e.put_subscription(&ctx(who), SubscriptionId::random(), None, &p).unwrap();
    }

    fn details(purpose: &str, contact: &str) -> IntentDetails {
        IntentDetails { purpose: purpose.into(), contact: contact.into() }
    }

    fn everywhere() -> Vec<Volume4D> {
        vec![volume(square(46.0, 7.0, 0.2), (-100.0, 5000.0), T0, T0 + 10 * HOUR)]
    }

    fn query(e: &Engine, who: &str) -> Vec<VisibleOperation> {
        query_operations(e, &ctx(who), &everywhere()).unwrap()
    }

    fn area_of(parts: &[VisiblePart]) -> f64 {
        parts
            .iter()
            .flat_map(|p| &p.polygons)
            .map(|r| Footprint::Polygon(geom::Polygon::new(r.clone()).unwrap()).area_m2())
            .sum()
    }

    fn box_area(lat0: f64, lng0: f64, lat1: f64, lng1: f64) -> f64 {
        let p = |a: f64, b: f64| LatLng::new(a, b).unwrap();
        let ring = vec![p(lat0, lng0), p(lat0, lng1), p(lat1, lng1), p(lat1, lng0)];
        Footprint::Polygon(geom::Polygon::new(ring).unwrap()).area_m2()
    }

    /// A and B overlap (A: 46.00±0.01, B: 46.01±0.01 → overlap band
    /// 46.00..46.01); C is far away with a subscription over A's north-west.
    struct World {
        e: Engine,
        a: OperationalIntent,
        b: OperationalIntent,
        c: OperationalIntent,
    }

    fn world() -> World {
        let e = engine();
        let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR), vec![]);
        let b = file(
            &e,
            "bob",
            volume(square(46.01, 7.0, 0.01), (100.0, 300.0), T0 + HOUR, T0 + 3 * HOUR),
            vec![a.ovn.clone()],
        );
        let c = file(&e, "carol", volume(square(46.15, 7.15, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR), vec![]);
        subscribe(&e, "carol", square(45.995, 6.995, 0.004), (50.0, 60.0));
        for (who, oi) in [("alice", &a), ("bob", &b), ("carol", &c)] {
            set_details(
                &e,
                &ctx(who),
                oi.id,
                &details(&format!("{who}'s secret purpose"), &format!("tel:{who}")),
            )
            .unwrap();
        }
        World { e, a, b, c }
    }

    #[test]
    fn own_operations_in_full() {
        let w = world();
        for (who, oi) in [("alice", &w.a), ("bob", &w.b), ("carol", &w.c)] {
            let seen = query(&w.e, who);
            let own: Vec<_> = seen.iter().filter(|v| v.own()).collect();
            assert_eq!(own.len(), 1, "{who}");
            assert_eq!(own[0].id, oi.id);
            assert_eq!(own[0].contact.as_deref(), Some(format!("tel:{who}").as_str()));
            let View::Own { volumes, purpose } = &own[0].view else { panic!() };
            assert_eq!(volumes, &oi.extents);
            assert_eq!(purpose.as_deref(), Some(format!("{who}'s secret purpose").as_str()));
            assert_eq!(operation(&w.e, &ctx(who), oi.id).unwrap(), *own[0]);
        }
    }

    #[test]
    fn the_three_party_matrix() {
        let w = world();
        // Alice sees Bob's operation only where it overlaps hers.
        let seen = query(&w.e, "alice");
        assert_eq!(seen.iter().map(|v| v.id).collect::<Vec<_>>().len(), 2);
        let bob = seen.iter().find(|v| v.id == w.b.id).unwrap();
        assert_eq!(bob.manager, manager("bob"));
        assert_eq!(bob.contact.as_deref(), Some("tel:bob"));
        let View::Other { parts } = &bob.view else { panic!("expected parts") };
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].altitude, AltitudeRange::new(100.0, 120.0).unwrap());
        assert_eq!(
            parts[0].time,
            TimeWindow::new(Time::from_micros(T0 + HOUR), Time::from_micros(T0 + 2 * HOUR)).unwrap()
        );
        let overlap = box_area(46.0, 6.99, 46.01, 7.01);
        let got = area_of(parts);
        assert!((got - overlap).abs() / overlap < 1e-6, "{got} vs {overlap}");
        assert!(seen.iter().all(|v| v.id != w.c.id), "alice sees nothing of carol");
        assert_eq!(operation(&w.e, &ctx("alice"), w.b.id).unwrap(), *bob);

        // Bob symmetrically sees Alice's overlap part.
        let seen = query(&w.e, "bob");
        let alice = seen.iter().find(|v| v.id == w.a.id).unwrap();
        let View::Other { parts } = &alice.view else { panic!() };
        assert!((area_of(parts) - overlap).abs() / overlap < 1e-6);
        assert!(seen.iter().all(|v| v.id != w.c.id));

        // Carol sees nothing of Bob, and Alice only inside her subscription
        // (a 0.008° square, entirely within Alice's square).
        let seen = query(&w.e, "carol");
        assert!(seen.iter().all(|v| v.id != w.b.id));
        let alice = seen.iter().find(|v| v.id == w.a.id).unwrap();
        let View::Other { parts } = &alice.view else { panic!() };
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].altitude, AltitudeRange::new(50.0, 60.0).unwrap());
        assert_eq!(parts[0].time, *w.a.extents[0].time());
        let sub_area = square(45.995, 6.995, 0.004).area_m2();
        assert!((area_of(parts) - sub_area).abs() / sub_area < 1e-6);
        assert!(matches!(operation(&w.e, &ctx("carol"), w.b.id), Err(EngineError::NotFound(_))));
    }

    #[test]
    fn invisible_is_indistinguishable_from_missing() {
        let w = world();
        let hidden = operation(&w.e, &ctx("alice"), w.c.id).unwrap_err().to_string();
        let missing_id = EntityId::random();
        let missing = operation(&w.e, &ctx("alice"), missing_id).unwrap_err().to_string();
        assert_eq!(hidden.replace(&w.c.id.to_string(), "X"), missing.replace(&missing_id.to_string(), "X"));
    }

    #[test]
    fn details_are_owner_only_and_bounded() {
        let w = world();
        let r = set_details(&w.e, &ctx("bob"), w.a.id, &details("x", "y"));
        assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}");
        let r = set_details(&w.e, &ctx("bob"), EntityId::random(), &details("x", "y"));
        assert!(matches!(r, Err(EngineError::NotFound(_))), "{r:?}");
        let long = "é".repeat(MAX_PURPOSE_BYTES / 2 + 1);
        let r = set_details(&w.e, &ctx("alice"), w.a.id, &details(&long, "y"));
        assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
        let ok = "é".repeat(MAX_CONTACT_CHARS);
        set_details(&w.e, &ctx("alice"), w.a.id, &details("", &ok)).unwrap();
        let r = set_details(&w.e, &ctx("alice"), w.a.id, &details("", &format!("{ok}x")));
        assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
        let r = set_details(&w.e, &ctx("alice"), w.a.id, &details("", "a\nb"));
        assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
        // The event is the owner's only, and carries no text.
        let mut tx = w.e.store().begin(TxMode::Read).unwrap();
        let events = tx.unsealed_events(1000).unwrap();
        let set: Vec<_> = events.iter().filter(|p| p.event.kind == "intent.details_set").collect();
        assert_eq!(set.len(), 4);
        for p in set {
            assert_eq!(p.event.parties, vec![p.event.actor.clone()]);
            assert!(!p.event.payload.contains("purpose") && !p.event.payload.contains("tel:"));
        }
    }

    #[test]
    fn details_do_not_survive_a_new_incarnation() {
        let e = engine();
        let v = volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR);
        let a = file(&e, "alice", v.clone(), vec![]);
        set_details(&e, &ctx("alice"), a.id, &details("secret", "tel:alice")).unwrap();
        e.delete_intent(&ctx("alice"), a.id, &a.ovn).unwrap();
        let p = PutIntent {
            extents: vec![v],
            key: vec![],
            state: IntentState::Accepted,
            uss_base_url: url("mallory.example"),
            subscription: SubscriptionChoice::None,
            requested_ovn_suffix: None,
        };
        e.put_intent(&ctx("mallory"), a.id, None, &p).unwrap();
        let seen = operation(&e, &ctx("mallory"), a.id).unwrap();
        assert_eq!(seen.contact, None);
        assert_eq!(seen.view, View::Own { volumes: p.extents, purpose: None });
    }

    #[test]
    fn ended_and_disjoint_in_time_are_invisible() {
        let e = engine();
        let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR), vec![]);
        // Same place, later: no time overlap, so no need to know.
        let b =
            file(&e, "bob", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0 + HOUR, T0 + 2 * HOUR), vec![]);
        assert!(query(&e, "alice").iter().all(|v| v.id != b.id));
        assert!(matches!(operation(&e, &ctx("alice"), b.id), Err(EngineError::NotFound(_))));
        // Once Alice's operation has ended, nothing grants her a view either.
        let later = Ctx::new(manager("alice"), Time::from_micros(T0 + HOUR + 1));
        assert!(matches!(operation(&e, &later, b.id), Err(EngineError::NotFound(_))));
        assert!(operation(&e, &later, a.id).is_ok(), "own, even ended");
    }

    #[test]
    fn implicit_subscriptions_do_not_widen_the_view() {
        let e = engine();
        let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR), vec![]);
        let b = file(
            &e,
            "bob",
            volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR),
            vec![a.ovn.clone()],
        );
        // One part (Alice's intent), not two (its implicit subscription too).
        let seen = operation(&e, &ctx("alice"), b.id).unwrap();
        let View::Other { parts } = seen.view else { panic!() };
        assert_eq!(parts.len(), 1);
        assert_eq!(seen.contact, None);
    }

    #[test]
    fn empty_or_huge_areas_are_refused() {
        let e = engine();
        assert!(matches!(query_operations(&e, &ctx("alice"), &[]), Err(EngineError::BadRequest(_))));
        let huge = vec![volume(square(46.0, 7.0, 5.0), (0.0, 120.0), T0, T0 + HOUR)];
        assert!(matches!(query_operations(&e, &ctx("alice"), &huge), Err(EngineError::AreaTooLarge { .. })));
    }
}
