//! H3 coverings of footprints.
//!
//! Two ways, both giving a superset of the cells that intersect the footprint:
//!
//! * **Tiling** (most footprints): h3o's tiler works on the outline drawn in
//!   the lat/lng plane; see [`tile`]. Its transmeridian handling splits an
//!   outline that crosses ±180° into a part on either side.
//! * **Flooding** (footprints reaching within [`POLAR_CAP_DEG`](crate::sphere::POLAR_CAP_DEG) of a pole, whose
//!   cap holds fewer than [`MAX_FLOOD_CELLS`] cells at the default resolution, or
//!   any outline the tiler refuses): the lat/lng plane tears apart around a
//!   pole, so there the cells are found with this crate's own geometry: a
//!   breadth-first walk over neighbouring cells from one inside the
//!   footprint, keeping every cell whose circumscribing disc meets the
//!   footprint; see [`flood`].

use std::collections::HashSet;

use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};

use crate::footprint::{circle_outline, densified_outline, polygon_within};
use crate::sphere;
use crate::{Footprint, GeomError, LatLng, MAX_CELLS, TOUCH_TOLERANCE_M};

/// Largest number of cells [`flood`] keeps before failing with
/// [`GeomError::TooManyCells`] (each costs a footprint/disc test, so this is
/// far below [`MAX_CELLS`]); the caller then falls back to the box.
pub(crate) const MAX_FLOOD_CELLS: usize = 20_000;

/// Every H3 cell at `resolution` that intersects the footprint (possibly a
/// few more), sorted and deduplicated.
pub(crate) fn cover(fp: &Footprint, resolution: u8) -> Result<Vec<u64>, GeomError> {
    let res = Resolution::try_from(resolution).map_err(|_| GeomError::InvalidResolution(resolution))?;
    if sphere::near_pole(&fp.bounds()).is_some() {
        return flood(fp, res, 0.0, MAX_FLOOD_CELLS);
    }
    match tile(fp, res)? {
        Some(cells) => Ok(cells),
        None => flood(fp, res, 0.0, MAX_FLOOD_CELLS),
    }
}

/// Every H3 cell at `resolution` that meets the footprint grown by
/// `buffer_m` metres (possibly a few more), sorted; by [`flood`], which works
/// on the sphere, so poles and the antimeridian need nothing special.
pub(crate) fn cover_within(
    fp: &Footprint,
    resolution: u8,
    buffer_m: f64,
    max_cells: usize,
) -> Result<Vec<u64>, GeomError> {
    let res = Resolution::try_from(resolution).map_err(|_| GeomError::InvalidResolution(resolution))?;
    flood(fp, res, buffer_m.max(0.0), max_cells)
}

/// The cells at `resolution` that contain `cells` (their H3 parents; a
/// cell already at `resolution` or coarser is kept as it is), sorted and
/// deduplicated. Two sets of cells that share a cell share its parent, so
/// whatever is ordered by locking every cell of a set is also ordered by
/// locking its parents, with fewer, coarser locks.
///
/// # Errors
/// [`GeomError::InvalidResolution`] if `resolution > 15`;
/// [`GeomError::InvalidCell`] for a value that is not an H3 cell index.
pub fn parent_cells(cells: &[u64], resolution: u8) -> Result<Vec<u64>, GeomError> {
    let res = Resolution::try_from(resolution).map_err(|_| GeomError::InvalidResolution(resolution))?;
    let mut out = Vec::with_capacity(cells.len());
    for &c in cells {
        let cell = CellIndex::try_from(c).map_err(|_| GeomError::InvalidCell(c))?;
        out.push(u64::from(cell.parent(res).unwrap_or(cell)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The outline (polygon edges densified every 1 km along their great
/// circle, or a circle circumscribed by a 64-gon pushed 0.5 % outward) is
/// tiled with [`ContainmentMode::Covers`]; every cell not fully inside is
/// then grown by its ring-1 neighbours, which absorbs the small differences
/// between h3o's edge model (straight in the lat/lng plane) and ours. `None`
/// if h3o refuses the outline (it only refuses non-finite coordinates).
fn tile(fp: &Footprint, res: Resolution) -> Result<Option<Vec<u64>>, GeomError> {
    let ring = match fp {
        Footprint::Polygon(p) => densified_outline(p, 1_000.0),
        Footprint::Circle(c) => {
            const N: usize = 64;
            let scale = 1.005 / (std::f64::consts::PI / N as f64).cos();
            circle_outline(c, N, scale)
        }
    };
    let poly = geo::Polygon::new(ring.into(), vec![]);
    // The transmeridian heuristic (on by default) takes a step of more than
    // 180° of longitude between consecutive outline points for a crossing of
    // ±180° and tiles the parts on either side. Away from the poles our
    // outline points are at most ~100 km apart, so that is exactly when the
    // footprint crosses.
    let mut tiler = TilerBuilder::new(res).containment_mode(ContainmentMode::Covers).build();
    if tiler.add(poly).is_err() {
        return Ok(None);
    }
    let estimated = tiler.coverage_size_hint();
    if estimated > MAX_CELLS {
        return Err(GeomError::TooManyCells { resolution: u8::from(res), estimated, max: MAX_CELLS });
    }
    let mut out: Vec<u64> = Vec::with_capacity(estimated);
    for a in tiler.into_annotated_coverage() {
        if a.is_fully_contained {
            out.push(u64::from(a.cell));
        } else {
            let disk: Vec<CellIndex> = a.cell.grid_disk(1);
            out.extend(disk.into_iter().map(u64::from));
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

/// Breadth-first walk from the cell of a point of the footprint (a polygon's
/// first vertex, a circle's centre) over neighbouring cells, keeping those
/// whose circumscribing disc comes within `buffer_m` of the footprint. The
/// cells that really meet the (connected) footprint grown by `buffer_m` are
/// connected through neighbours and all pass the disc test, so the walk
/// reaches every one of them. More than `max_cells` is
/// [`GeomError::TooManyCells`].
fn flood(fp: &Footprint, res: Resolution, buffer_m: f64, max_cells: usize) -> Result<Vec<u64>, GeomError> {
    let start = match fp {
        Footprint::Polygon(p) => p.vertices()[0],
        Footprint::Circle(c) => c.center(),
    };
    let seed = h3_latlng(start)?.to_cell(res);
    let mut seen: HashSet<CellIndex> = HashSet::from([seed]);
    let mut todo = vec![seed];
    let mut out = Vec::new();
    while let Some(cell) = todo.pop() {
        if !disc_meets(fp, cell, buffer_m)? {
            continue;
        }
        out.push(u64::from(cell));
        if out.len() > max_cells {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let estimated = (fp.area_m2() / res.area_m2()).ceil().max(out.len() as f64) as usize;
            return Err(GeomError::TooManyCells { resolution: u8::from(res), estimated, max: max_cells });
        }
        let around: Vec<CellIndex> = cell.grid_disk(1);
        for n in around {
            if seen.insert(n) {
                todo.push(n);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Whether the footprint comes within `buffer_m` of a disc about the cell's
/// centre that surely contains the cell. H3 cell edges are great-circle arcs between the
/// boundary vertices (gnomonic on each icosahedron face), so no point of the
/// cell is farther from its centre, in spherical angle, than the farthest
/// vertex; a spherical angle `θ` spans at most `θ·N_MAX` metres of WGS84
/// geodesic.
fn disc_meets(fp: &Footprint, cell: CellIndex, buffer_m: f64) -> Result<bool, GeomError> {
    let centre = our_latlng(h3o::LatLng::from(cell))?;
    let c = sphere::to_vec(centre);
    let mut theta = 0.0_f64;
    for v in cell.boundary().iter() {
        theta = theta.max(sphere::angle(c, sphere::to_vec(our_latlng(*v)?)));
    }
    let r = theta * sphere::N_MAX * (1.0 + 1e-9) + TOUCH_TOLERANCE_M + buffer_m;
    Ok(match fp {
        Footprint::Circle(k) => k.center().distance_m(&centre) <= k.radius_m() + r,
        Footprint::Polygon(p) => polygon_within(p, centre, r),
    })
}

fn h3_latlng(p: LatLng) -> Result<h3o::LatLng, GeomError> {
    // Our coordinates are finite and in range; h3o refuses nothing else.
    h3o::LatLng::new(p.lat(), p.lng()).map_err(|_| GeomError::InvalidLatitude(p.lat()))
}

fn our_latlng(p: h3o::LatLng) -> Result<LatLng, GeomError> {
    LatLng::new(p.lat(), p.lng())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use geo::{Destination, Geodesic};

    use super::*;
    use crate::DEFAULT_CELL_RESOLUTION;
    use crate::test_shapes::{circle, ll, poly};

    fn res(r: u8) -> Resolution {
        Resolution::try_from(r).unwrap()
    }

    /// Every sampled point of the footprint (on rays from `from`, out to
    /// `reach_m`) has its cell in `cells`; returns how many were inside.
    pub(crate) fn assert_covers(fp: &Footprint, cells: &[u64], r: u8, from: LatLng, reach_m: f64) -> usize {
        let mut inside = 0;
        for bearing in (0..360).step_by(3) {
            for k in 0..=80 {
                let d = reach_m * f64::from(k) / 80.0;
                let q = Geodesic.destination(from.to_point(), f64::from(bearing), d);
                let q = ll(q.y(), q.x());
                if fp.contains(q, 0.0) {
                    inside += 1;
                    let cell = u64::from(h3_latlng(q).unwrap().to_cell(res(r)));
                    assert!(cells.binary_search(&cell).is_ok(), "{fp:?} res {r}: {q:?} not covered");
                }
            }
        }
        inside
    }

    #[test]
    fn parents_are_coarser_shared_and_fewer() {
        // Two circles 2 km apart whose res-7 covers share cells.
        let a = cover(&circle(46.0, 7.0, 1_500.0), DEFAULT_CELL_RESOLUTION).unwrap();
        let b = cover(&circle(46.018, 7.0, 1_500.0), DEFAULT_CELL_RESOLUTION).unwrap();
        assert!(a.iter().any(|c| b.contains(c)));
        let (pa, pb) = (parent_cells(&a, 5).unwrap(), parent_cells(&b, 5).unwrap());
        assert!(pa.len() < a.len() && !pa.is_empty());
        assert!(pa.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
        // Every shared cell's parent is in both parent sets.
        for c in a.iter().filter(|c| b.contains(c)) {
            let p = u64::from(CellIndex::try_from(*c).unwrap().parent(res(5)).unwrap());
            assert!(pa.contains(&p) && pb.contains(&p));
        }
        for p in &pa {
            assert_eq!(CellIndex::try_from(*p).unwrap().resolution(), res(5));
        }
        // A cell already coarser than asked stays itself.
        assert_eq!(parent_cells(&pa, 9).unwrap(), pa);
        assert_eq!(parent_cells(&[42], 5), Err(GeomError::InvalidCell(42)));
        assert_eq!(parent_cells(&a, 16), Err(GeomError::InvalidResolution(16)));
    }

    #[test]
    fn near_a_pole_cells_come_from_the_flood() {
        let cases = [
            (circle(89.98, 0.0, 1_000.0), 3_000.0),
            (circle(-89.95, 100.0, 5_000.0), 12_000.0),
            (poly(&[(89.95, 0.0), (89.97, 90.0), (89.95, 170.0)]), 12_000.0),
            (poly(&[(90.0, 0.0), (89.9, 0.0), (89.9, 100.0)]), 12_000.0),
            (circle(90.0, 0.0, 300.0), 1_000.0),
            (circle(-90.0, 0.0, 2_000.0), 3_000.0),
            (circle(89.995, -179.0, 2_000.0), 3_000.0),
            (poly(&[(89.9, 0.0), (89.9, 120.0), (89.9, -120.0)]), 12_000.0),
            (poly(&[(-89.97, 170.0), (-89.98, -100.0), (-89.97, -10.0), (-89.99, 80.0)]), 12_000.0),
        ];
        for (fp, reach) in &cases {
            let b = fp.bounds();
            assert!(b.max_lat > 89.0 || b.min_lat < -89.0);
            for r in [DEFAULT_CELL_RESOLUTION, 9] {
                let cells = fp.cells(r).unwrap();
                assert_eq!(cells, flood(fp, res(r), 0.0, MAX_FLOOD_CELLS).unwrap());
                assert!(cells.windows(2).all(|w| w[0] < w[1]), "sorted, deduplicated");
                let from = match fp {
                    Footprint::Circle(c) => c.center(),
                    Footprint::Polygon(p) => p.vertices()[0],
                };
                assert!(assert_covers(fp, &cells, r, from, *reach) > 100);
            }
        }
    }

    #[test]
    fn flood_and_tiling_both_cover_and_are_alike_elsewhere() {
        let cases = [
            circle(46.5, 6.6, 3_000.0),
            circle(-33.9, 151.2, 40.0),
            poly(&[(46.0, 6.0), (46.0, 6.2), (46.15, 6.25), (46.1, 6.0)]),
            poly(&[(60.0, 20.0), (60.3, 20.8), (59.9, 20.9)]),
        ];
        for fp in &cases {
            let tiled = tile(fp, res(DEFAULT_CELL_RESOLUTION)).unwrap().unwrap();
            let flooded = flood(fp, res(DEFAULT_CELL_RESOLUTION), 0.0, MAX_FLOOD_CELLS).unwrap();
            let from = match fp {
                Footprint::Circle(c) => c.center(),
                Footprint::Polygon(p) => p.vertices()[0],
            };
            let reach = 2.0 * (fp.area_m2()).sqrt() + 100.0;
            for cells in [&tiled, &flooded] {
                assert!(assert_covers(fp, cells, DEFAULT_CELL_RESOLUTION, from, reach) > 50);
            }
            // The disc test keeps at most a ring of extra cells: no more than
            // the tiler's ring-1 growth.
            assert!(flooded.len() <= tiled.len(), "{fp:?}: {} vs {}", flooded.len(), tiled.len());
        }
    }

    #[test]
    fn across_the_antimeridian_the_tiler_covers_both_sides() {
        let cases = [
            poly(&[(-17.0, 179.9), (-17.0, -179.9), (-16.9, -179.9), (-16.9, 179.9)]),
            poly(&[(65.0, 179.5), (65.2, -179.8), (65.4, 179.9)]),
            circle(0.0, 180.0, 3_000.0),
            circle(-45.0, -179.99, 5_000.0),
        ];
        for fp in &cases {
            assert!(fp.bounds().spans_all_longitudes());
            for r in [6, DEFAULT_CELL_RESOLUTION, 8] {
                let cells = fp.cells(r).unwrap();
                assert_eq!(Some(&cells), tile(fp, res(r)).unwrap().as_ref(), "tiled");
                let from = match fp {
                    Footprint::Circle(c) => c.center(),
                    Footprint::Polygon(p) => p.vertices()[0],
                };
                let reach = 2.5 * (fp.area_m2()).sqrt();
                assert!(assert_covers(fp, &cells, r, from, reach) > 100);
                // Cells on both sides, none far away.
                let lngs: Vec<f64> =
                    cells.iter().map(|&c| h3o::LatLng::from(CellIndex::try_from(c).unwrap()).lng()).collect();
                assert!(lngs.iter().any(|&x| x > 179.0) && lngs.iter().any(|&x| x < -179.0), "{fp:?}");
                assert!(lngs.iter().all(|&x| x.abs() > 178.0), "{fp:?}");
            }
        }
    }

    #[test]
    fn a_flood_over_its_budget_is_too_many_cells() {
        let fp = circle(89.0, 0.0, 50_000.0);
        let e = fp.cells(10).unwrap_err();
        assert!(
            matches!(e, GeomError::TooManyCells { resolution: 10, max: MAX_FLOOD_CELLS, estimated } if estimated > MAX_FLOOD_CELLS),
            "{e:?}"
        );
        assert!(fp.cells(6).is_ok());
    }
}
