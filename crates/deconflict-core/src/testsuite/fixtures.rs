//! Fixture builders shared by the checks and by backends' own tests: fixed
//! times, footprints, entities, events, records, and the retry and seal
//! helpers a test writes with.

use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};

use crate::coord::{LineId, LineSpec, Party, Policy};
use crate::events::NewEvent;
use crate::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};
use crate::model::{Constraint, IntentState, OperationalIntent, Subscription};
use crate::records::Record;
use crate::store::{Store, StoreError, Tx, TxMode};

/// 2030-01-01T00:00:00Z, a fixed "now" for fixtures.
pub const T0: i64 = 1_893_456_000_000_000;
/// One hour in µs.
pub const HOUR: i64 = 3_600_000_000;

/// A square footprint of `half` degrees around (`lat`, `lng`); longitudes
/// past ±180° wrap round (a square about 180° straddles the antimeridian).
pub fn square(lat: f64, lng: f64, half: f64) -> Footprint {
    polygon(&[
        (lat - half, lng - half),
        (lat - half, lng + half),
        (lat + half, lng + half),
        (lat + half, lng - half),
    ])
}

/// A polygon footprint through these (lat, lng) vertices; longitudes past
/// ±180° wrap round.
pub fn polygon(vertices: &[(f64, f64)]) -> Footprint {
    let wrap = |lng: f64| {
        if lng > 180.0 {
            lng - 360.0
        } else if lng < -180.0 {
            lng + 360.0
        } else {
            lng
        }
    };
    let p = |&(a, b): &(f64, f64)| LatLng::new(a, wrap(b)).expect("fixture coordinates are valid");
    Footprint::Polygon(Polygon::new(vertices.iter().map(p).collect()).expect("fixture polygon is valid"))
}

/// A circle footprint.
pub fn circle(lat: f64, lng: f64, radius_m: f64) -> Footprint {
    let c = LatLng::new(lat, lng).expect("fixture coordinates are valid");
    Footprint::Circle(Circle::new(c, radius_m).expect("fixture radius is valid"))
}

/// A volume over `footprint`, `alt` metres, from `t0` to `t1` µs.
pub fn volume(footprint: Footprint, alt: (f64, f64), t0: i64, t1: i64) -> Volume4D {
    Volume4D::new(
        footprint,
        AltitudeRange::new(alt.0, alt.1).expect("fixture altitudes are valid"),
        TimeWindow::new(Time::from_micros(t0), Time::from_micros(t1)).expect("fixture times are valid"),
    )
}

/// A party by name.
pub fn manager(name: &str) -> PartyName {
    PartyName::new(name).expect("fixture manager is valid")
}

/// Parties alpha and bravo, and line `ab` ("A-B", the default policy)
/// between them, put through `app` by `operator` (who must hold the operator role).
pub fn alpha_and_bravo_on_line_ab(app: &crate::App, operator: &crate::Ctx) {
    for name in ["alpha", "bravo"] {
        let party = Party {
            name: manager(name),
            display_name: name.into(),
            webhook_url: None,
            updated_at: Time::from_micros(0),
        };
        app.coord().put_party(operator, party).expect("fixture party is put");
    }
    let spec = LineSpec {
        name: "A-B".into(),
        parties: vec![manager("alpha"), manager("bravo")],
        policy: Policy::default(),
    };
    let ab = LineId::parse("ab").expect("fixture line id is valid");
    app.coord().put_line(operator, &ab, &spec).expect("fixture line is put");
}

/// A base URL by host.
pub fn url(host: &str) -> UssBaseUrl {
    UssBaseUrl::parse(&format!("https://{host}"), false).expect("fixture url is valid")
}

pub(super) fn ovn(n: u32) -> Ovn {
    Ovn::parse(&format!("fixture-ovn-{n:08}")).expect("fixture ovn is valid")
}

/// The parameters of an Accepted intent of `who` over `extents`, with an
/// implicit subscription and an empty key.
pub fn put_params(who: &str, extents: Vec<Volume4D>) -> crate::engine::PutIntent {
    crate::engine::PutIntent {
        extents,
        key: Vec::new(),
        state: IntentState::Accepted,
        uss_base_url: url(&format!("{who}.example")),
        subscription: crate::engine::SubscriptionChoice::New {
            uss_base_url: url(&format!("{who}.example")),
            notify_for_constraints: false,
        },
        requested_ovn_suffix: None,
    }
}

/// An Accepted intent of `who` over `extents`, with no subscription.
pub fn intent(who: &str, extents: Vec<Volume4D>) -> OperationalIntent {
    let id = EntityId::random();
    OperationalIntent {
        id,
        party: manager(who),
        version: 1,
        state: IntentState::Accepted,
        ovn: ovn(rand::random::<u32>()),
        extents,
        uss_base_url: url(&format!("{who}.example")),
        subscription_id: None,
        created_at: Time::from_micros(T0),
        updated_at: Time::from_micros(T0),
    }
}

/// A constraint of `who` over `extents`.
pub fn constraint(who: &str, extents: Vec<Volume4D>) -> Constraint {
    Constraint {
        id: EntityId::random(),
        party: manager(who),
        version: 1,
        ovn: ovn(rand::random::<u32>()),
        extents,
        uss_base_url: url(&format!("{who}.example")),
        created_at: Time::from_micros(T0),
        updated_at: Time::from_micros(T0),
    }
}

/// An explicit subscription of `who` over `extents`.
pub fn subscription(who: &str, extents: Vec<Volume4D>) -> Subscription {
    Subscription {
        id: SubscriptionId::random(),
        party: manager(who),
        version: "1".into(),
        notification_index: 0,
        extents,
        uss_base_url: url(&format!("{who}.example")),
        notify_for_intents: true,
        notify_for_constraints: false,
        implicit: false,
        updated_at: Time::from_micros(T0),
    }
}

pub(super) fn here(alt: (f64, f64)) -> Vec<Volume4D> {
    vec![volume(square(46.0, 7.0, 0.01), alt, T0, T0 + HOUR)]
}

/// An event of kind `test.event` by alice, `n` µs after [`T0`].
pub fn new_event(n: i64, subject: Option<&str>, parties: &[&str], payload: &str) -> NewEvent {
    NewEvent {
        at: Time::from_micros(T0 + n),
        kind: "test.event".into(),
        actor: "alice".into(),
        subject: subject.map(str::to_owned),
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        payload: payload.to_owned(),
    }
}

/// A record of `kind` with `id` (and a body naming it), keys `k1` and `k2`,
/// due `due` µs after [`T0`].
pub fn record(kind: &str, id: &str, k1: Option<&str>, k2: Option<&str>, due: Option<i64>) -> Record {
    Record {
        kind: kind.into(),
        id: id.into(),
        body: format!("{{\"id\":\"{id}\",\"note\":\"ünïcode \\\"q\\\"\"}}"),
        k1: k1.map(str::to_owned),
        k2: k2.map(str::to_owned),
        due: due.map(|d| Time::from_micros(T0 + d)),
    }
}

/// Runs `f` in a write transaction and commits, starting over while the store
/// answers [`StoreError::Retry`]. Returns the result and how many attempts it took.
pub fn with_retry<T>(store: &dyn Store, f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>) -> (T, u32) {
    with_retry_in(store, TxMode::Write, f)
}

/// [`with_retry`] in a transaction of `mode`.
pub fn with_retry_in<T>(
    store: &dyn Store,
    mode: TxMode,
    mut f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>,
) -> (T, u32) {
    for attempt in 1..=1000 {
        let mut tx = match store.begin(mode) {
            Ok(tx) => tx,
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("begin ({mode:?}): {e}"),
        };
        let out = match f(&mut *tx) {
            Ok(out) => out,
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("write ({mode:?}): {e}"),
        };
        match tx.commit() {
            Ok(()) => return (out, attempt),
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("commit ({mode:?}): {e}"),
        }
    }
    panic!("still told to retry after 1000 attempts");
}

/// Runs `f` in a write transaction and commits it.
pub(super) fn committed(store: &dyn Store, f: impl FnOnce(&mut dyn Tx)) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    f(&mut *tx);
    tx.commit().expect("commit");
}

/// What an audit entry of `event` holds, as the sealer writes it.
pub(super) fn entry_of(event: NewEvent) -> audit::NewEntry {
    let NewEvent { at, kind, actor, subject, parties, payload } = event;
    audit::NewEntry { timestamp: at.as_micros(), actor, kind, subject, parties, payload }
}

/// Seals up to `limit` pending events in one transaction, as the sealer does
/// (without lease or checkpoint), and returns the entries exactly as they
/// were handed to the store.
pub fn seal_pending(store: &dyn Store, limit: usize) -> Vec<audit::Entry> {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let mut chain = match tx.last_sealed().expect("last") {
        Some(last) => audit::Chain::resume_after(&last),
        None => audit::Chain::genesis(),
    };
    let mut out = Vec::new();
    for p in tx.unsealed_events(limit).expect("pending") {
        let entry = chain.prepare(entry_of(p.event)).expect("prepare");
        tx.seal_event(p.id, &entry).expect("seal");
        chain.commit(&entry).expect("commit to chain");
        out.push(entry);
    }
    tx.commit().expect("commit");
    out
}
