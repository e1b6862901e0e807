use geom::*;
use proptest::prelude::*;

use crate::{destination, ll};

/// A random star-shaped (hence simple) polygon within ~3 km of a point in
/// a 0.2° region, or a circle.
fn footprint() -> impl Strategy<Value = Footprint> {
    footprint_in(0.2)
}

/// The same within a `span`° square region (smaller: more overlaps).
fn footprint_in(span: f64) -> impl Strategy<Value = Footprint> {
    (45.0..45.0 + span, 7.0..7.0 + span).prop_flat_map(|(lat, lng)| footprint_around(ll(lat, lng)))
}

/// A random star-shaped polygon about `centre` (3 to 11 vertices at
/// increasing bearings, 200 m to 3.3 km away along geodesics), or a circle
/// about it of 1 m to 3 km. Valid anywhere: at a pole, across ±180°.
fn footprint_around(centre: LatLng) -> impl Strategy<Value = Footprint> {
    let poly =
        (prop::collection::vec(200.0..3_300.0f64, 3..12), 0.0..1.0f64).prop_map(move |(radii, phase)| {
            let n = radii.len() as f64;
            let v = radii
                .iter()
                .enumerate()
                .map(|(i, &r)| destination(centre, 360.0 * (i as f64 + phase) / n, r))
                .collect();
            Footprint::Polygon(Polygon::new(v).unwrap())
        });
    let circle = (1.0..3000.0f64).prop_map(move |r| Footprint::Circle(Circle::new(centre, r).unwrap()));
    prop_oneof![poly, circle]
}

/// `n` points in one small region where longitudes misbehave: within 0.05° of
/// either pole (any longitude), or within 0.05° of ±180° at 65° N (Chukotka)
/// or 17° S (Fiji). Now and then exactly on the pole or on ±180°.
fn edge_centres(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<LatLng>> {
    let unit = || prop_oneof![8 => 0.0..1.0f64, 1 => Just(0.0), 1 => Just(0.5)];
    (0..4u8, prop::collection::vec((unit(), unit()), n)).prop_map(|(region, uv)| {
        uv.into_iter()
            .map(|(u, v)| match region {
                0 => ll(90.0 - 0.05 * u, 360.0 * v - 180.0),
                1 => ll(-90.0 + 0.05 * u, 360.0 * v - 180.0),
                r => {
                    let lat = if r == 2 { 65.0 } else { -17.0 };
                    let lng = 180.0 + 0.1 * (v - 0.5);
                    ll(lat + 0.05 * u, if lng > 180.0 { lng - 360.0 } else { lng })
                }
            })
            .collect()
    })
}

/// Footprints about `n` points of one region of [`edge_centres`].
pub(crate) fn edge_footprints(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Footprint>> {
    edge_centres(n).prop_flat_map(|cs| cs.into_iter().map(footprint_around).collect::<Vec<_>>())
}

/// A volume over `footprint` with a random altitude band and time window.
pub(crate) fn volume_over(f: impl Strategy<Value = Footprint>) -> impl Strategy<Value = Volume4D> {
    (f, 0.0..500.0f64, 0.0..200.0f64, 0i64..1000, 0i64..300).prop_map(|(f, lo, h, t0, dt)| {
        Volume4D::new(
            f,
            AltitudeRange::new(lo, lo + h).unwrap(),
            TimeWindow::new(Time::from_micros(t0), Time::from_micros(t0 + dt)).unwrap(),
        )
    })
}

fn volume() -> impl Strategy<Value = Volume4D> {
    volume_over(footprint())
}

fn box4() -> impl Strategy<Value = Box4> {
    (prop::array::uniform4(0.0..100.0f64), prop::array::uniform4(0.0..20.0f64)).prop_map(|(min, ext)| Box4 {
        min,
        max: [min[0] + ext[0], min[1] + ext[1], min[2] + ext[2], min[3] + ext[3]],
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn intersection_is_symmetric(a in volume(), b in volume()) {
        prop_assert_eq!(a.intersects(&b), b.intersects(&a));
        prop_assert_eq!(
            a.footprint().intersects(b.footprint()),
            b.footprint().intersects(a.footprint())
        );
    }

    #[test]
    fn volume_intersects_itself(a in volume()) {
        prop_assert!(a.intersects(&a));
        prop_assert!(a.bbox().intersects(&a.bbox()));
    }

    #[test]
    fn bbox_never_misses(a in volume(), b in volume()) {
        if a.intersects(&b) {
            prop_assert!(a.bbox().intersects(&b.bbox()));
        }
        if a.footprint().intersects(b.footprint()) {
            prop_assert!(a.footprint().bounds().intersects(&b.footprint().bounds()));
        }
    }

    #[test]
    fn footprint_contains_its_vertices_and_centre(f in footprint()) {
        match &f {
            Footprint::Polygon(p) => {
                for v in p.vertices() {
                    prop_assert!(f.contains(*v, 0.0));
                }
            }
            Footprint::Circle(c) => prop_assert!(f.contains(c.center(), 0.0)),
        }
    }

    #[test]
    fn index_query_matches_brute_force(
        boxes in prop::collection::vec(box4(), 0..300),
        queries in prop::collection::vec(box4(), 1..20),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        bulk in any::<bool>(),
    ) {
        let items: Vec<(usize, Box4)> = boxes.iter().copied().enumerate().collect();
        let mut idx = if bulk {
            Index::bulk_load(items.clone())
        } else {
            let mut idx = Index::new();
            for (k, b) in &items {
                idx.insert(*k, *b);
            }
            idx
        };
        let mut live: Vec<Option<Box4>> = boxes.iter().copied().map(Some).collect();
        if !boxes.is_empty() {
            for r in removals {
                let k = r.index(boxes.len());
                let removed = idx.remove(&k, &boxes[k]);
                prop_assert_eq!(removed, live[k].is_some());
                live[k] = None;
            }
        }
        prop_assert_eq!(idx.len(), live.iter().flatten().count());
        for q in queries {
            let mut got: Vec<usize> = idx.query(&q).copied().collect();
            got.sort_unstable();
            let want: Vec<usize> = live
                .iter()
                .enumerate()
                .filter_map(|(k, b)| b.filter(|b| b.intersects(&q)).map(|_| k))
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}

fn area(parts: &[Vec<LatLng>]) -> f64 {
    parts.iter().map(|r| Footprint::Polygon(Polygon::new(r.clone()).unwrap()).area_m2()).sum()
}

/// The clip of `a` and `b` is empty exactly when they do not intersect, its
/// rings are valid polygons inside both (up to the circle tolerance), its
/// area is at most the smaller footprint's and it is symmetric.
pub(crate) fn check_clip(a: &Footprint, b: &Footprint) -> Result<(), TestCaseError> {
    let parts = clip(a, b);
    // Random inputs touch exactly with probability zero, so emptiness
    // agrees with the exact predicate.
    prop_assert_eq!(!parts.is_empty(), a.intersects(b));
    let got = area(&parts);
    let min = a.area_m2().min(b.area_m2());
    // Circles are circumscribed: at most ~2e-4 more area.
    prop_assert!(got <= min * (1.0 + 1e-3) + 1.0, "{} > {}", got, min);
    // Vertices may be snapped by up to 1 cm.
    let tol = CLIP_CIRCLE_TOLERANCE_M + 0.01;
    for ring in &parts {
        prop_assert!(Polygon::new(ring.clone()).is_ok(), "invalid ring {:?}", ring);
        for v in ring {
            prop_assert!(a.contains(*v, tol) && b.contains(*v, tol), "vertex {:?} outside", v);
        }
    }
    let back = area(&clip(b, a));
    prop_assert!((back - got).abs() <= 1e-6 * got + 1.0, "asymmetric: {} vs {}", got, back);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn clip_is_inside_both_and_agrees_with_intersects(a in footprint_in(0.05), b in footprint_in(0.05)) {
        check_clip(&a, &b)?;
    }
}
