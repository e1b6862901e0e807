#![allow(clippy::unwrap_used)]
use super::*;

fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

fn poly(pts: &[(f64, f64)]) -> Result<Polygon, GeomError> {
    Polygon::new(pts.iter().map(|&(a, b)| ll(a, b)).collect())
}

/// A star with `n` vertices alternating between two radii (degrees).
pub(crate) fn star(n: usize, lat: f64, lng: f64, r1: f64, r2: f64) -> Vec<LatLng> {
    (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let r = if i % 2 == 0 { r1 } else { r2 };
            ll(lat + r * a.sin(), lng + r * a.cos())
        })
        .collect()
}

#[test]
fn vertex_count() {
    assert_eq!(poly(&[(0.0, 0.0), (0.0, 1.0)]), Err(GeomError::TooFewVertices(2)));
    assert_eq!(Polygon::new(vec![]), Err(GeomError::TooFewVertices(0)));
    let big = star(10_002, 0.0, 0.0, 1.0, 0.9);
    assert_eq!(Polygon::new(big), Err(GeomError::TooManyVertices(10_002)));
}

#[test]
fn closing_and_repeated() {
    assert_eq!(poly(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)]), Err(GeomError::ClosingVertex));
    assert_eq!(
        poly(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)]),
        Err(GeomError::RepeatedVertex { index: 3 })
    );
    // Two different longitudes at a pole are the same point.
    assert_eq!(poly(&[(90.0, 0.0), (80.0, 0.0), (80.0, 10.0), (90.0, 5.0)]), Err(GeomError::ClosingVertex));
    assert_eq!(
        poly(&[(90.0, 0.0), (80.0, 0.0), (90.0, 5.0), (80.0, 10.0)]),
        Err(GeomError::RepeatedVertex { index: 2 })
    );
}

#[test]
fn across_the_antimeridian() {
    // The short arcs from 179.9° E to 179.9° W cross ±180°.
    let p = poly(&[(0.0, 179.9), (0.0, -179.9), (0.1, -179.9), (0.1, 179.9)]).unwrap();
    let b = p.bounds();
    assert!(b.spans_all_longitudes(), "{b:?}");
    assert!(b.min_lat < 0.0 && b.min_lat > -1e-6 && b.max_lat > 0.1 && b.max_lat < 0.1 + 1e-6, "{b:?}");
    // +180 and -180 name the same meridian; the edge between them runs along it.
    assert!(poly(&[(0.0, 180.0), (1.0, -180.0), (1.0, 179.0)]).is_ok());
    assert_eq!(
        poly(&[(0.0, 180.0), (1.0, 179.0), (0.0, -180.0), (-1.0, 179.0)]),
        Err(GeomError::RepeatedVertex { index: 2 })
    );
    // Touching the antimeridian from one side: the box reaches ±180°, and
    // since the other side is the same meridian it spans every longitude.
    assert!(poly(&[(0.0, 179.9), (0.0, 180.0), (0.1, 180.0)]).unwrap().bounds().spans_all_longitudes());
    assert!(poly(&[(0.0, -179.9), (0.1, -180.0), (0.0, -180.0)]).unwrap().bounds().spans_all_longitudes());
    // Clear of it: an ordinary box.
    let b = poly(&[(0.0, 179.0), (0.0, 179.9), (0.1, 179.9)]).unwrap().bounds();
    assert!(b.min_lng > 178.99 && b.max_lng < 179.91, "{b:?}");
}

#[test]
fn around_a_pole() {
    // A square around the North Pole (each edge bulges poleward).
    let ring = [(89.9, 0.0), (89.9, 90.0), (89.9, 180.0), (89.9, -90.0)];
    let p = poly(&ring).unwrap();
    let b = p.bounds();
    assert_eq!((b.max_lat, b.spans_all_longitudes()), (90.0, true), "{b:?}");
    assert!(b.min_lat < 89.9 && b.min_lat > 89.89, "{b:?}");
    // Either winding, and the South Pole too.
    let mut rev: Vec<(f64, f64)> = ring.to_vec();
    rev.reverse();
    assert_eq!(poly(&rev).unwrap().bounds(), b);
    let south: Vec<(f64, f64)> = ring.iter().map(|&(a, o)| (-a, o)).collect();
    let sb = poly(&south).unwrap().bounds();
    assert_eq!((sb.min_lat, sb.spans_all_longitudes()), (-90.0, true), "{sb:?}");
    // Near a pole without containing it: the box is a band of longitudes
    // unless it reaches the pole.
    let b = poly(&[(89.9, 0.0), (89.9, 60.0), (89.95, 30.0)]).unwrap().bounds();
    assert!(b.min_lng > -1e-3 && b.max_lng < 60.001 && b.max_lat < 90.0, "{b:?}");
    // A vertex on the pole: the box reaches it and so every longitude.
    let b = poly(&[(90.0, 0.0), (89.0, 0.0), (89.0, 10.0)]).unwrap().bounds();
    assert_eq!((b.max_lat, b.spans_all_longitudes()), (90.0, true), "{b:?}");
    // An edge over the pole (from 0° to 180°): the box reaches it too.
    let b = poly(&[(89.0, 0.0), (89.0, 180.0), (88.0, 90.0)]).unwrap().bounds();
    assert_eq!((b.max_lat, b.spans_all_longitudes()), (90.0, true), "{b:?}");
}

#[test]
fn longitudes_swept() {
    let v = |pts: &[(f64, f64)]| pts.iter().map(|&(a, b)| ll(a, b)).collect::<Vec<_>>();
    assert_eq!(super::sweep(&v(&[(0.0, 10.0), (0.0, 20.0), (1.0, 15.0)])), super::Sweep::Between(10.0, 20.0));
    assert_eq!(
        super::sweep(&v(&[(0.0, 179.5), (0.0, -179.5), (1.0, 180.0)])),
        super::Sweep::Between(179.5, 180.5)
    );
    assert_eq!(
        super::sweep(&v(&[(0.0, -179.5), (1.0, 180.0), (0.0, 179.5)])),
        super::Sweep::Between(179.5, 180.5)
    );
    assert_eq!(super::sweep(&v(&[(80.0, 0.0), (80.0, 120.0), (80.0, -120.0)])), super::Sweep::AroundPole);
    assert_eq!(super::sweep(&v(&[(90.0, 0.0), (80.0, 0.0), (80.0, 10.0)])), super::Sweep::Unknown);
    assert_eq!(super::sweep(&v(&[(80.0, 0.0), (80.0, 180.0), (70.0, 90.0)])), super::Sweep::Unknown);
}

#[test]
fn too_large() {
    let e = poly(&[(-40.0, 0.0), (-40.0, 10.0), (40.0, 10.0), (40.0, 0.0)]).unwrap_err();
    assert!(matches!(e, GeomError::TooLarge { extent_deg, .. } if extent_deg > 30.0), "{e:?}");
    assert!(poly(&[(-20.0, 0.0), (-20.0, 10.0), (20.0, 10.0), (20.0, 0.0)]).is_ok());
}

#[test]
fn bowtie_reports_crossing_edges() {
    // Edges 0 (v0->v1) and 2 (v2->v3) cross.
    let e = poly(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]).unwrap_err();
    assert_eq!(e, GeomError::SelfIntersecting { edge_a: 0, edge_b: 2 });
    assert_eq!(e.to_string(), "polygon edges 0 and 2 cross or touch");
}

#[test]
fn touching_nonadjacent_edges_rejected() {
    // Vertex 4 lies on edge 1 (0.5,1)-(... ) -> the ring pinches.
    // Square-ish ring whose vertex 3 touches edge 0 (a meridian, exact in
    // lat/lng) at its midpoint.
    let e = poly(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 0.0), (0.2, 1.0)]).unwrap_err();
    assert!(matches!(e, GeomError::SelfIntersecting { .. }), "{e:?}");
}

#[test]
fn folded_back_adjacent_edges_rejected() {
    // Degenerate triangle: all three vertices on the equator.
    let e = poly(&[(0.0, 0.0), (0.0, 2.0), (0.0, 1.0)]).unwrap_err();
    assert!(matches!(e, GeomError::SelfIntersecting { .. }), "{e:?}");
    // Spike going back along the previous edge (meridian).
    let e = poly(&[(0.0, 0.0), (1.0, 0.0), (0.5, 0.0), (0.5, 1.0)]).unwrap_err();
    assert!(matches!(e, GeomError::SelfIntersecting { .. }), "{e:?}");
}

#[test]
fn collinear_consecutive_vertices_allowed() {
    assert!(poly(&[(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]).is_ok());
}

#[test]
fn winding_free() {
    let ccw = poly(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]).unwrap();
    let mut v = ccw.vertices().to_vec();
    v.reverse();
    let cw = Polygon::new(v).unwrap();
    assert_eq!(ccw.bounds(), cw.bounds());
}

#[test]
fn star_10k_is_valid_and_one_moved_vertex_makes_it_cross() {
    // Speed (a sweep, not 5e7 segment tests) is measured by the
    // `polygon_new` group of benches/intersects.rs, not here.
    let pts = star(10_000, 47.0, 8.0, 0.2, 0.19);
    let p = Polygon::new(pts.clone()).unwrap();
    assert_eq!(p.vertices().len(), 10_000);

    // Pull vertex 5000 across to the other side: edges near it now cross
    // distant ones.
    let mut bad = pts;
    bad[5000] = ll(47.0, 8.0 + 0.3);
    let e = Polygon::new(bad).unwrap_err();
    assert!(matches!(e, GeomError::SelfIntersecting { .. }), "{e:?}");
}

#[test]
fn bounds_include_great_circle_bulge() {
    // A long east-west edge at 60 N bulges poleward.
    let p = poly(&[(60.0, 0.0), (60.0, 10.0), (59.0, 5.0)]).unwrap();
    let b = p.bounds();
    // Vertex of the great circle through (60,0) and (60,10) is at lng 5:
    // tan(lat) = tan(60) / cos(5 deg).
    let expected = (60f64.to_radians().tan() / 5f64.to_radians().cos()).atan().to_degrees();
    assert!(b.max_lat >= expected && b.max_lat < expected + 1e-6, "{b:?} vs {expected}");
    assert!((b.min_lat - 59.0).abs() < 1e-6);
    assert!(b.min_lng <= 0.0 && b.max_lng >= 10.0);
    // Southern hemisphere bulges south.
    let p = poly(&[(-60.0, 0.0), (-59.0, 5.0), (-60.0, 10.0)]).unwrap();
    assert!(p.bounds().min_lat <= -expected);
}
