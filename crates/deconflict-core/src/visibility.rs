//! Need-to-know: **the one place** that decides what of an operation a party
//! may see through the native API.
//!
//! # The rule
//!
//! * A party sees **its own** operations in full: every volume, its state,
//!   and the details it set (free-text `purpose`, `contact` channel).
//! * Of **another party's** live operation it sees only what intersects its
//!   own live operations or the live constraints it manages: airspace it
//!   will itself occupy or restrict. For each of the other operation's
//!   volumes and each of the caller's volumes (its intents' and constraints'
//!   extents) that intersect exactly, one [`VisiblePart`]: the intersection
//!   polygons ([`geom::clip`]), the overlap of the two altitude ranges and of
//!   the two time windows. With the parts come the other party's name
//!   name, the operation's state and its `contact` channel, so the two can talk.
//! * **Subscriptions never widen the view.** A subscription is the caller's
//!   wish to be told that something changed in an area (F3548: a reference,
//!   time window, state and where to ask), not a claim on that airspace, and
//!   anyone may subscribe anywhere: if subscribing showed geometry, need-to-know
//!   could be widened at will. This holds for explicit and implicit
//!   subscriptions alike.
//! * It **never** sees another party's `purpose` nor its OVN: the types below
//!   have no place for them ([`View::Other`]).
//! * Anything else is invisible, and an invisible operation is reported
//!   exactly like a missing one ([`EngineError::NotFound`] with the same
//!   message), so that its existence is not revealed.
//!
//! A touching (zero-area) intersection gives a part with no polygons.
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
//! to one incarnation of the intent (its owner and creation time), so an id
//! deleted and filed again, even by another party, does not inherit them.

use geom::{AltitudeRange, LatLng, Time, TimeWindow, Volume4D};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::engine::events::private;
use crate::engine::{Ctx, Engine, EngineError};
use crate::events::EventKind;
use crate::ids::{EntityId, PartyName};
use crate::model::{IntentState, OperationalIntent};
use crate::records::Record;
use crate::store::{AreaQuery, StoreError, Tx};

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
    pub party: PartyName,
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
    caller: &PartyName,
    area: &[Volume4D],
    now: Time,
) -> Result<Vec<VisibleOperation>, EngineError> {
    let found = crate::engine::entity::intersecting::<crate::model::OperationalIntent>(tx, area, now)?;
    let others: Vec<Volume4D> =
        found.iter().filter(|oi| &oi.party != caller).flat_map(|oi| oi.extents.iter().cloned()).collect();
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
    caller: &PartyName,
    id: EntityId,
    now: Time,
) -> Result<VisibleOperation, EngineError> {
    let not_found = || EngineError::NotFound(format!("operation {id} not found"));
    let oi = tx.intent(id)?.ok_or_else(not_found)?;
    if &oi.party != caller && oi.time().end() <= now {
        return Err(not_found());
    }
    let mine = if &oi.party == caller { Vec::new() } else { caller_volumes(tx, caller, &oi.extents, now)? };
    view_of(tx, caller, &mine, oi)?.ok_or_else(not_found)
}

/// [`visible_operations`] in a read transaction of `engine`'s runner, for
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
    engine.check_area(area)?;
    engine.runner().read(|tx| {
        let found = visible_operations(tx, &ctx.caller, area, ctx.now)?;
        engine.check_count(found.len())?;
        Ok(found)
    })
}

/// [`visible_operation`] in a read transaction of `engine`'s runner.
///
/// # Errors
/// As [`visible_operation`].
pub fn operation(engine: &Engine, ctx: &Ctx, id: EntityId) -> Result<VisibleOperation, EngineError> {
    engine.runner().read(|tx| visible_operation(tx, &ctx.caller, id, ctx.now))
}

/// Payload of `intent.details_set`: a digest of the details, not their text.
#[derive(Debug, serde::Serialize)]
struct DetailsSet {
    id: String,
    details_sha256: String,
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
    engine.runner().write(&ctx.deadline, |tx| {
        let oi = tx.intent(id)?.ok_or_else(|| EngineError::NotFound(format!("operation {id} not found")))?;
        if oi.party != ctx.caller {
            return Err(EngineError::Forbidden(format!(
                "operation {id} is owned by {}; only its owner may set its details",
                oi.party
            )));
        }
        let body = json!({
            "purpose": details.purpose,
            "contact": details.contact,
            "manager": oi.party.as_str(),
            "intent_created_us": oi.created_at.as_micros(),
        })
        .to_string();
        let digest: String = Sha256::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        tx.put_record(&Record {
            kind: DETAILS_KIND.to_owned(),
            id: id.to_string(),
            body,
            k1: Some(oi.party.to_string()),
            k2: None,
            due: None,
        })?;
        let payload = DetailsSet { id: id.to_string(), details_sha256: digest };
        tx.append_event(&private(ctx, EventKind::IntentDetailsSet, id.to_string(), &[], &payload)?)?;
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

/// The caller's live volumes (its intents' and its constraints' extents)
/// that intersect `near`, without duplicates. Never its subscriptions (see
/// the module docs).
fn caller_volumes(
    tx: &mut dyn Tx,
    caller: &PartyName,
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
    for oi in intents.iter().filter(|oi| &oi.party == caller) {
        for v in &oi.extents {
            add(v, &mut out);
        }
    }
    let mut constraints = tx.constraints_in(&query)?;
    constraints.sort_by_key(|c| c.id);
    for c in constraints.iter().filter(|c| &c.party == caller) {
        for v in &c.extents {
            add(v, &mut out);
        }
    }
    Ok(out)
}

/// The caller's view of `oi` given the caller's volumes `mine`, or `None`
/// when it may see nothing of it.
fn view_of(
    tx: &mut dyn Tx,
    caller: &PartyName,
    mine: &[Volume4D],
    oi: OperationalIntent,
) -> Result<Option<VisibleOperation>, EngineError> {
    if &oi.party == caller {
        let details = details_of(tx, &oi)?;
        return Ok(Some(VisibleOperation {
            id: oi.id,
            party: oi.party,
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
        party: oi.party,
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
        .map_err(|e| StoreError::corrupt_by(format!("{DETAILS_KIND} {}: {e}", rec.id), e))?;
    let same_incarnation = body["manager"].as_str() == Some(oi.party.as_str())
        && body["intent_created_us"].as_i64() == Some(oi.created_at.as_micros());
    if !same_incarnation {
        return Ok(None);
    }
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    Ok(Some(IntentDetails { purpose: text("purpose"), contact: text("contact") }))
}

#[cfg(test)]
#[path = "visibility_tests.rs"]
mod tests;
