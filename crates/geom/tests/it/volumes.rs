use crate::*;

/// A volume over one small square (46°N 7°E, 0.01°) at `altitudes` and `time`.
fn over_the_square(altitudes: AltitudeRange, time: TimeWindow) -> Volume4D {
    Volume4D::new(square(46.0, 7.0, 0.01), altitudes, time)
}

/// Whether `a` and `b` intersect, checked both ways round (the answer must
/// not depend on the order).
fn meet(a: &Volume4D, b: &Volume4D) -> bool {
    let met = a.intersects(b);
    assert_eq!(met, b.intersects(a), "intersects is symmetric");
    met
}

#[test]
fn altitude_touching_volumes_intersect() {
    let low = over_the_square(alt(0.0, 100.0), window(0, 10));
    assert!(meet(&low, &over_the_square(alt(100.0, 200.0), window(0, 10))));
    assert!(!meet(&low, &over_the_square(alt(100.01, 200.0), window(0, 10))));
}

#[test]
fn time_is_half_open() {
    let a = over_the_square(alt(0.0, 100.0), window(0, 10));
    assert!(!meet(&a, &over_the_square(alt(0.0, 100.0), window(10, 20))));
    assert!(meet(&a, &over_the_square(alt(0.0, 100.0), window(9, 20))));
    assert!(a.contains(ll(46.005, 7.005), 50.0, Time::from_micros(0), 0.0, 0.0));
    assert!(!a.contains(ll(46.005, 7.005), 50.0, Time::from_micros(10), 0.0, 0.0));
    assert!(!a.contains(ll(46.005, 7.005), 100.5, Time::from_micros(5), 0.0, 0.0));
    assert!(a.contains(ll(46.005, 7.005), 100.5, Time::from_micros(5), 0.0, 0.6));
    assert!(!a.contains(ll(46.02, 7.005), 50.0, Time::from_micros(5), 0.0, 0.0));
}

#[test]
fn disjoint_footprints_same_time_and_altitude() {
    let a = Volume4D::new(square(46.0, 7.0, 0.01), alt(0.0, 100.0), window(0, 10));
    let b = Volume4D::new(square(46.0, 7.02, 0.01), alt(0.0, 100.0), window(0, 10));
    assert!(!a.intersects(&b));
    assert!(!a.bbox().intersects(&b.bbox()));
}

#[test]
fn bbox_layout() {
    let v = Volume4D::new(square(46.0, 7.0, 0.01), alt(10.0, 100.0), window(5, 10));
    let b = v.bbox();
    assert!(b.min[0] <= 7.0 && b.max[0] >= 7.01 && b.max[0] < 7.0101);
    assert!(b.min[1] <= 46.0 && b.max[1] >= 46.01 && b.max[1] < 46.0101);
    assert_eq!((b.min[2], b.max[2]), (10.0, 100.0));
    assert_eq!((b.min[3], b.max[3]), (5.0, 10.0));
    assert!(Box4::everything().intersects(&b));
    let u = b.union(&Box4 { min: [0.0; 4], max: [1.0; 4] });
    assert_eq!(u.min, [0.0, 0.0, 0.0, 0.0]);
    assert_eq!(u.max[2], 100.0);
}

#[test]
fn footprint_from_conversions_and_default_resolution() {
    let c: Footprint = Circle::new(ll(1.0, 1.0), 10.0).unwrap().into();
    let cells = c.cells(DEFAULT_CELL_RESOLUTION).unwrap();
    assert!(!cells.is_empty());
    // A 2,500 km² square (50 km side) at the default resolution stays
    // within a thousand cells.
    let big = Footprint::Polygon(
        Polygon::new(vec![ll(45.0, 7.0), ll(45.0, 7.64), ll(45.45, 7.64), ll(45.45, 7.0)]).unwrap(),
    );
    let a = big.area_m2();
    assert!((2.0e9..3.0e9).contains(&a), "{a}");
    let n = big.cells(DEFAULT_CELL_RESOLUTION).unwrap().len();
    assert!((400..1_000).contains(&n), "{n}");
}
