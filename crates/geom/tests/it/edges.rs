//! Footprints at the poles and across the antimeridian, checked against an
//! independent reference: unit vectors in 3D, winding angles and arc
//! crossings by triple products, great-circle points by slerp, geodesic
//! distances straight from `geo` — none of the crate's gnomonic projection,
//! planar predicates or bounds code.

use geom::*;
use proptest::prelude::*;

use crate::props::{check_clip, edge_footprints, volume_over};
use crate::{destination, ll};

type V3 = [f64; 3];

fn vec3(p: LatLng) -> V3 {
    let (la, ln) = (p.lat().to_radians(), p.lng().to_radians());
    [la.cos() * ln.cos(), la.cos() * ln.sin(), la.sin()]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn latlng(v: V3) -> LatLng {
    let lat = v[2].atan2(v[0].hypot(v[1])).to_degrees().clamp(-90.0, 90.0);
    ll(lat, v[1].atan2(v[0]).to_degrees().clamp(-180.0, 180.0))
}

/// The point at fraction `t` of the great-circle arc from `a` to `b`.
fn slerp(a: LatLng, b: LatLng, t: f64) -> LatLng {
    let (va, vb) = (vec3(a), vec3(b));
    let om = dot(va, vb).clamp(-1.0, 1.0).acos();
    if om < 1e-15 {
        return a;
    }
    let (s0, s1) = (((1.0 - t) * om).sin() / om.sin(), (t * om).sin() / om.sin());
    latlng([s0 * va[0] + s1 * vb[0], s0 * va[1] + s1 * vb[1], s0 * va[2] + s1 * vb[2]])
}

fn edges(p: &Polygon) -> impl Iterator<Item = (LatLng, LatLng)> + '_ {
    let v = p.vertices();
    (0..v.len()).map(move |i| (v[i], v[(i + 1) % v.len()]))
}

/// Winding number of the ring around `q` (sum of the signed angles its edges
/// subtend at `q`, over 2π): ±1 inside, 0 outside. Meaningful for `q` in the
/// polygon's hemisphere (seen from far away every direction leads to it).
fn winding(p: &Polygon, q: LatLng) -> f64 {
    let x = vec3(q);
    let total: f64 = edges(p)
        .map(|(a, b)| {
            let (va, vb) = (vec3(a), vec3(b));
            let num = dot(x, cross(va, vb));
            let den = dot(va, vb) - dot(x, va) * dot(x, vb);
            num.atan2(den)
        })
        .sum();
    total / std::f64::consts::TAU
}

fn inside(p: &Polygon, q: LatLng) -> bool {
    dot(vec3(q), vec3(centre_of(p))) > 0.0 && winding(p, q).abs() > 0.5
}

/// The normalised mean of the vertices.
fn centre_of(p: &Polygon) -> LatLng {
    latlng(
        p.vertices().iter().map(|&v| vec3(v)).fold([0.0; 3], |s, v| [s[0] + v[0], s[1] + v[1], s[2] + v[2]]),
    )
}

/// Whether two short great-circle arcs cross (strictly).
fn arcs_cross(a: (LatLng, LatLng), b: (LatLng, LatLng)) -> bool {
    let (a1, a2, b1, b2) = (vec3(a.0), vec3(a.1), vec3(b.0), vec3(b.1));
    let (na, nb) = (cross(a1, a2), cross(b1, b2));
    dot(a1, b1) > 0.0
        && dot(na, b1).signum() != dot(na, b2).signum()
        && dot(nb, a1).signum() != dot(nb, a2).signum()
}

/// Smallest geodesic distance from `c` to the arc, by sampling the arc and
/// refining around the best sample.
fn distance_to_arc(c: LatLng, a: LatLng, b: LatLng) -> f64 {
    let f = |t: f64| c.distance_m(&slerp(a, b, t));
    let n = 32;
    let best = (0..=n).map(|i| f64::from(i) / f64::from(n)).min_by(|x, y| f(*x).total_cmp(&f(*y)));
    let t0 = best.unwrap_or(0.0);
    let (mut lo, mut hi) = ((t0 - 1.0 / f64::from(n)).max(0.0), (t0 + 1.0 / f64::from(n)).min(1.0));
    for _ in 0..60 {
        let (m1, m2) = (lo + (hi - lo) / 3.0, hi - (hi - lo) / 3.0);
        if f(m1) < f(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    f(t0).min(f(0.5 * (lo + hi)))
}

/// Reference intersection, or `None` when the footprints come within a
/// centimetre of touching (where sampling cannot decide).
fn reference_intersects(a: &Footprint, b: &Footprint) -> Option<bool> {
    match (a, b) {
        (Footprint::Circle(x), Footprint::Circle(y)) => {
            let gap = x.center().distance_m(&y.center()) - x.radius_m() - y.radius_m();
            (gap.abs() > 0.01).then_some(gap < 0.0)
        }
        (Footprint::Polygon(p), Footprint::Circle(c)) | (Footprint::Circle(c), Footprint::Polygon(p)) => {
            if inside(p, c.center()) {
                return Some(true);
            }
            let d = edges(p).map(|(u, v)| distance_to_arc(c.center(), u, v)).fold(f64::INFINITY, f64::min);
            ((d - c.radius_m()).abs() > 0.01).then_some(d < c.radius_m())
        }
        (Footprint::Polygon(p), Footprint::Polygon(q)) => Some(
            edges(p).any(|e| edges(q).any(|f| arcs_cross(e, f)))
                || p.vertices().iter().any(|&v| inside(q, v))
                || q.vertices().iter().any(|&v| inside(p, v)),
        ),
    }
}

/// Reference containment of a point.
fn reference_contains(f: &Footprint, q: LatLng) -> bool {
    match f {
        Footprint::Circle(c) => c.center().distance_m(&q) <= c.radius_m(),
        Footprint::Polygon(p) => inside(p, q),
    }
}

fn centre(f: &Footprint) -> LatLng {
    match f {
        Footprint::Circle(c) => c.center(),
        Footprint::Polygon(p) => centre_of(p),
    }
}

/// Points of the boundary: every polygon edge at 33 points, 72 points of a
/// circle.
fn boundary(f: &Footprint) -> Vec<LatLng> {
    match f {
        Footprint::Circle(c) => {
            (0..72).map(|i| destination(c.center(), 5.0 * f64::from(i), c.radius_m())).collect()
        }
        Footprint::Polygon(p) => {
            edges(p).flat_map(|(a, b)| (0..=32).map(move |k| slerp(a, b, f64::from(k) / 32.0))).collect()
        }
    }
}

/// Points on rays from the footprint's centre out to 4 km, every 5°.
fn around(f: &Footprint) -> Vec<LatLng> {
    let c = centre(f);
    (0..72)
        .flat_map(|i| (0..=40).map(move |k| destination(c, 5.0 * f64::from(i), 100.0 * f64::from(k))))
        .collect()
}

fn rotated(f: &Footprint, dlng: f64) -> Footprint {
    let turn = |p: LatLng| {
        let x = p.lng() + dlng;
        ll(
            p.lat(),
            if x > 180.0 {
                x - 360.0
            } else if x < -180.0 {
                x + 360.0
            } else {
                x
            },
        )
    };
    match f {
        Footprint::Circle(c) => Footprint::Circle(Circle::new(turn(c.center()), c.radius_m()).unwrap()),
        Footprint::Polygon(p) => {
            Footprint::Polygon(Polygon::new(p.vertices().iter().map(|&v| turn(v)).collect()).unwrap())
        }
    }
}

fn pole_inside(f: &Footprint, lat: f64) -> bool {
    reference_contains(f, ll(lat, 0.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn intersection_agrees_with_the_reference(fs in edge_footprints(2..=2)) {
        let (a, b) = (&fs[0], &fs[1]);
        let got = a.intersects(b);
        prop_assert_eq!(got, b.intersects(a), "asymmetric");
        if let Some(want) = reference_intersects(a, b) {
            prop_assert_eq!(got, want, "{:?} / {:?}", a, b);
        }
    }

    #[test]
    fn intersection_and_area_are_unchanged_by_turning_about_the_axis(
        fs in edge_footprints(2..=2),
        turn in prop_oneof![Just(180.0), -180.0..180.0f64],
    ) {
        let (a, b) = (&fs[0], &fs[1]);
        let (ra, rb) = (rotated(a, turn), rotated(b, turn));
        if reference_intersects(a, b).is_some() {
            prop_assert_eq!(a.intersects(b), ra.intersects(&rb), "turned by {}", turn);
        }
        let (x, y) = (a.area_m2(), ra.area_m2());
        prop_assert!((x - y).abs() <= 1e-6 * x + 1e-3, "{} vs {}", x, y);
    }

    #[test]
    fn boxes_contain_the_footprint(fs in edge_footprints(1..=1)) {
        let f = &fs[0];
        let b = f.bounds();
        prop_assert!(b.min_lng <= b.max_lng && b.min_lat <= b.max_lat, "{:?}", b);
        for q in boundary(f).into_iter().chain(std::iter::once(centre(f))) {
            prop_assert!(b.contains(q), "{:?} outside {:?} of {:?}", q, b, f);
        }
        for q in around(f) {
            if reference_contains(f, q) {
                prop_assert!(b.contains(q), "{:?} outside {:?} of {:?}", q, b, f);
            }
        }
        if pole_inside(f, 90.0) {
            prop_assert!(b.max_lat == 90.0 && b.spans_all_longitudes(), "{:?}", b);
        }
        if pole_inside(f, -90.0) {
            prop_assert!(b.min_lat == -90.0 && b.spans_all_longitudes(), "{:?}", b);
        }
        // Still cheap to bound the area with: the box is hardly taller than
        // the footprint (a circle's by the ≤ 1 % the WGS84 metric varies).
        let mut lats: Vec<f64> = boundary(f).iter().map(|q| q.lat()).collect();
        lats.extend([90.0, -90.0].into_iter().filter(|&p| pole_inside(f, p)));
        let tall = lats.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - lats.iter().copied().fold(f64::INFINITY, f64::min);
        prop_assert!(b.max_lat - b.min_lat <= 1.02 * tall + 1e-5, "{:?} for a footprint {} tall", b, tall);
    }

    #[test]
    fn index_finds_every_intersecting_volume(
        vs in edge_footprints(2..=24).prop_flat_map(|fs| {
            fs.into_iter().map(|f| volume_over(Just(f))).collect::<Vec<_>>()
        }),
        bulk in any::<bool>(),
    ) {
        let items: Vec<(usize, Box4)> = vs.iter().map(Volume4D::bbox).enumerate().collect();
        let idx = if bulk {
            Index::bulk_load(items)
        } else {
            let mut idx = Index::new();
            for (k, b) in items {
                idx.insert(k, b);
            }
            idx
        };
        for (i, q) in vs.iter().enumerate() {
            let found: Vec<usize> = idx.query(&q.bbox()).copied().collect();
            for (j, v) in vs.iter().enumerate() {
                if q.intersects(v) {
                    prop_assert!(found.contains(&j), "volume {} meets {} but was not found", j, i);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn clip_at_the_edges(fs in edge_footprints(2..=2)) {
        check_clip(&fs[0], &fs[1])?;
    }

    #[test]
    fn cells_cover_the_footprint(fs in edge_footprints(1..=1)) {
        let f = &fs[0];
        let cells = f.cells(DEFAULT_CELL_RESOLUTION).unwrap();
        prop_assert!(cells.windows(2).all(|w| w[0] < w[1]), "sorted, deduplicated");
        let res = h3o::Resolution::try_from(DEFAULT_CELL_RESOLUTION).unwrap();
        let mut points = around(f);
        points.extend(boundary(f));
        for q in points {
            if reference_contains(f, q) {
                let cell = u64::from(h3o::LatLng::new(q.lat(), q.lng()).unwrap().to_cell(res));
                prop_assert!(cells.binary_search(&cell).is_ok(), "{:?} of {:?} not covered", q, f);
            }
        }
    }
}
