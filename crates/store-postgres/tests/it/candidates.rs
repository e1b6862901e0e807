//! The candidate search: H3 cells in a GIN-indexed BIGINT[], closed altitude
//! and time bounds, and the box fallback for footprints that cannot be covered.

use deconflict_core::model::OperationalIntent;
use deconflict_core::store::{AreaQuery, cover_cells};
use deconflict_core::testsuite::{HOUR, T0, circle, intent, polygon, square, volume, with_retry};
use deconflict_core::{EntityId, Store, StoreError, TxMode};
use geom::Volume4D;

use crate::{Fresh, fresh_pg_store};

/// A square of half-width 14.9° on the equator: more H3 cells than
/// `geom::MAX_CELLS` at the default resolution, so it cannot be covered.
fn huge() -> Vec<Volume4D> {
    let v = vec![volume(square(0.0, 0.0, 14.9), (0.0, 120.0), T0, T0 + HOUR)];
    assert!(
        v[0].footprint().cells(geom::DEFAULT_CELL_RESOLUTION).is_err(),
        "test precondition: this footprint must be too large to cover"
    );
    v
}

fn small(lat: f64, lng: f64) -> Vec<Volume4D> {
    vec![volume(square(lat, lng, 0.01), (0.0, 120.0), T0, T0 + HOUR)]
}

fn put(store: &Fresh, ois: &[&OperationalIntent]) {
    with_retry(&**store, |tx| {
        for oi in ois {
            tx.put_intent(oi)?;
        }
        Ok(())
    });
}

fn found(store: &Fresh, area: &[Volume4D]) -> Vec<EntityId> {
    let mut tx = store.begin(TxMode::Read).expect("begin");
    tx.intents_in(&AreaQuery::new(area)).expect("query").into_iter().map(|o| o.id).collect()
}

#[test]
fn stored_cells_are_the_cover_as_bigint() {
    let Some(store) = fresh_pg_store() else { return };
    let oi = intent(
        "a",
        vec![
            volume(square(46.0, 7.0, 0.02), (0.0, 120.0), T0, T0 + HOUR),
            volume(circle(46.2, 7.3, 500.0), (0.0, 60.0), T0, T0 + HOUR),
        ],
    );
    put(&store, &[&oi]);
    let row = store
        .schema
        .admin()
        .query_one("SELECT cells, cells_complete FROM operational_intents WHERE id = $1", &[&oi.id.as_uuid()])
        .expect("row");
    let cells: Vec<i64> = row.get(0);
    let complete: bool = row.get(1);
    let want: Vec<u64> = cover_cells(&oi.extents);
    assert!(complete);
    assert_eq!(cells.len(), want.len());
    // Lossless: the BIGINTs are the H3 indexes bit for bit.
    let back: Vec<u64> = cells.iter().map(|&c| u64::try_from(c).expect("non-negative")).collect();
    assert_eq!(back, want);
}

#[test]
fn uncoverable_entity_is_found_by_its_box() {
    let Some(store) = fresh_pg_store() else { return };
    let big = intent("big", huge());
    let far = intent("far", small(50.0, 60.0));
    put(&store, &[&big, &far]);
    let complete: bool = store
        .schema
        .admin()
        .query_one("SELECT cells_complete FROM operational_intents WHERE id = $1", &[&big.id.as_uuid()])
        .expect("row")
        .get(0);
    assert!(!complete, "the huge footprint is flagged as not covered");
    // A small area well inside the huge square, sharing no stored cell.
    let ids = found(&store, &small(5.0, 5.0));
    assert_eq!(ids, vec![big.id]);
    // Outside its box: not a candidate.
    assert!(found(&store, &small(40.0, 40.0)).is_empty());
}

#[test]
fn uncoverable_query_searches_by_box() {
    let Some(store) = fresh_pg_store() else { return };
    let inside = intent("in", small(3.0, -4.0));
    let outside = intent("out", small(46.0, 7.0));
    let higher = intent("up", vec![volume(square(3.0, -4.0, 0.01), (5000.0, 6000.0), T0, T0 + HOUR)]);
    put(&store, &[&inside, &outside, &higher]);
    let ids = found(&store, &huge());
    assert_eq!(ids, vec![inside.id], "box, altitude and time still filter");
    // An area made of a coverable and an uncoverable volume: both parts count.
    let mut mixed = small(46.0, 7.0);
    mixed.extend(huge());
    let mut ids = found(&store, &mixed);
    ids.sort();
    let mut want = vec![inside.id, outside.id];
    want.sort();
    assert_eq!(ids, want);
}

fn cells_complete(store: &Fresh, oi: &OperationalIntent) -> bool {
    store
        .schema
        .admin()
        .query_one("SELECT cells_complete FROM operational_intents WHERE id = $1", &[&oi.id.as_uuid()])
        .expect("row")
        .get(0)
}

fn one(f: geom::Footprint) -> Vec<Volume4D> {
    vec![volume(f, (0.0, 120.0), T0, T0 + HOUR)]
}

#[test]
fn pole_and_antimeridian_footprints_are_found_by_their_cells() {
    let Some(store) = fresh_pg_store() else { return };
    let north = intent("north", one(circle(90.0, 0.0, 300.0)));
    let across =
        intent("across", one(polygon(&[(-17.0, 179.9), (-17.0, -179.9), (-16.9, -179.9), (-16.9, 179.9)])));
    // In the same latitude band as `across`, half the world away: the box of
    // an area across ±180° spans every longitude and would match it; cells
    // do not.
    let band = intent("band", small(-16.95, 0.0));
    put(&store, &[&north, &across, &band]);
    for oi in [&north, &across] {
        assert!(cells_complete(&store, oi), "{} is covered by cells", oi.party.as_str());
    }
    let cases = [
        (one(circle(89.999, -120.0, 150.0)), north.id),
        (one(polygon(&[(89.998, 179.0), (89.998, -179.0), (89.999, -179.0), (89.999, 179.0)])), north.id),
        (small(-16.96, -179.95), across.id),
        (small(-16.96, 179.91), across.id),
        (one(circle(-16.95, 180.0, 50.0)), across.id),
    ];
    for (i, (area, want)) in cases.iter().enumerate() {
        assert!(!cover_cells(area).is_empty(), "case {i}: the area is covered by cells");
        assert_eq!(found(&store, area), vec![*want], "case {i}");
    }
}

#[test]
fn uncoverable_polar_footprint_is_found_by_its_box() {
    let Some(store) = fresh_pg_store() else { return };
    // A 1,000 km disc about the North Pole needs far more cells than the
    // flood near a pole keeps, so it is stored without cells.
    let cap = one(circle(90.0, 0.0, 1_000_000.0));
    assert!(
        cap[0].footprint().cells(geom::DEFAULT_CELL_RESOLUTION).is_err(),
        "test precondition: this footprint must be too large to cover"
    );
    let big = intent("cap", cap.clone());
    let near = intent("near", small(85.0, 100.0));
    let far = intent("far", small(46.0, 7.0));
    put(&store, &[&big, &near, &far]);
    assert!(!cells_complete(&store, &big));
    // By box from a small area anywhere in the cap, on either side of ±180°.
    assert_eq!(found(&store, &small(86.0, -179.995)), vec![big.id]);
    assert_eq!(found(&store, &small(89.5, 179.995)), vec![big.id]);
    assert!(found(&store, &small(70.0, 0.0)).is_empty());
    // As the area: searched by box alone, which still finds what is inside.
    let mut got = found(&store, &cap);
    got.sort();
    let mut want = vec![big.id, near.id];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn bounds_are_closed() {
    let Some(store) = fresh_pg_store() else { return };
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (100.0, 200.0), T0, T0 + HOUR)]);
    put(&store, &[&oi]);
    // Touching in time (starts when it ends) and in altitude (200 m).
    let touching = vec![volume(square(46.0, 7.0, 0.01), (200.0, 300.0), T0 + HOUR, T0 + 2 * HOUR)];
    assert_eq!(found(&store, &touching), vec![oi.id]);
    let after = vec![volume(square(46.0, 7.0, 0.01), (0.0, 300.0), T0 + HOUR + 1, T0 + 2 * HOUR)];
    assert!(found(&store, &after).is_empty());
    let above = vec![volume(square(46.0, 7.0, 0.01), (200.5, 300.0), T0, T0 + HOUR)];
    assert!(found(&store, &above).is_empty());
}

#[test]
fn entity_without_volumes_is_always_a_candidate() {
    let Some(store) = fresh_pg_store() else { return };
    let empty = intent("a", Vec::new());
    put(&store, &[&empty]);
    assert_eq!(found(&store, &small(-33.0, 151.0)), vec![empty.id]);
}

#[test]
fn corrupt_extents_are_reported_as_corrupt() {
    let Some(store) = fresh_pg_store() else { return };
    let oi = intent("a", small(46.0, 7.0));
    put(&store, &[&oi]);
    store
        .schema
        .admin()
        .execute(
            "UPDATE operational_intents SET extents = '\\x0102'::bytea WHERE id = $1",
            &[&oi.id.as_uuid()],
        )
        .expect("damage the row");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let err = tx.intent(oi.id).expect_err("cannot decode");
    assert!(matches!(err, StoreError::Corrupt(ref m) if m.contains(&oi.id.to_string())), "got {err:?}");
    store
        .schema
        .admin()
        .execute("UPDATE operational_intents SET state = 'Flying' WHERE id = $1", &[&oi.id.as_uuid()])
        .expect_err("the CHECK constraint keeps states valid");
}
