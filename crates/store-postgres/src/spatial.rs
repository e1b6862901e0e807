//! The spatial columns derived from an entity's extents on write, and the
//! parameters of a candidate search.
//!
//! Cells are H3 indexes at [`geom::DEFAULT_CELL_RESOLUTION`], the same set as
//! [`deconflict_core::store::cover_cells`] (checked by a test), computed volume
//! by volume so that a footprint that cannot be covered is *noticed* instead of
//! silently missing from the set: such an entity is stored with
//! `cells_complete = false` and always matched by its lat/lng box, and such a
//! query searches by box only. Candidates are never missed.
//!
//! An H3 index is a `u64` whose bit 63 is reserved and always 0, so it converts
//! to `i64` (PostgreSQL `BIGINT`) losslessly and the conversion is checked: a
//! value that did not fit would mark the covering incomplete.

use deconflict_core::model::{extents_bbox, extents_time};
use geom::Volume4D;

use crate::pipeline::Param;

/// Derived columns of a stored entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spatial {
    pub time_start: i64,
    pub time_end: i64,
    pub alt_lower: f64,
    pub alt_upper: f64,
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lng: f64,
    pub max_lng: f64,
    pub cells: Vec<i64>,
    pub cells_complete: bool,
}

impl Spatial {
    /// The derived columns as owned parameters, in the order of the
    /// store's `spatial_cols!` list.
    pub(crate) fn params(&self) -> Vec<Param> {
        owned![
            self.time_start,
            self.time_end,
            self.alt_lower,
            self.alt_upper,
            self.min_lat,
            self.max_lat,
            self.min_lng,
            self.max_lng,
            self.cells.clone(),
            self.cells_complete,
        ]
    }

    pub(crate) fn of(extents: &[Volume4D]) -> Self {
        let time = extents_time(extents);
        let bbox = extents_bbox(extents);
        let (cells, complete) = cover(extents);
        Self {
            time_start: time.start().as_micros(),
            time_end: time.end().as_micros(),
            alt_lower: bbox.min[2],
            alt_upper: bbox.max[2],
            min_lat: bbox.min[1],
            max_lat: bbox.max[1],
            min_lng: bbox.min[0],
            max_lng: bbox.max[0],
            cells,
            // No volumes: nothing to cover, so match by (the whole-world) box.
            cells_complete: complete && !extents.is_empty(),
        }
    }
}

/// Sorted, deduplicated cells covering every footprint (as `BIGINT`), and
/// whether every footprint could be covered.
pub(crate) fn cover(volumes: &[Volume4D]) -> (Vec<i64>, bool) {
    let mut complete = true;
    let mut cells = Vec::new();
    for v in volumes {
        match v.footprint().cells(geom::DEFAULT_CELL_RESOLUTION) {
            Ok(cs) => {
                for c in cs {
                    match i64::try_from(c) {
                        Ok(c) => cells.push(c),
                        Err(_) => complete = false,
                    }
                }
            }
            Err(_) => complete = false,
        }
    }
    cells.sort_unstable();
    cells.dedup();
    (cells, complete)
}

/// The H3 resolution of the rows of `area_locks`: coarser than the index
/// cells ([`geom::DEFAULT_CELL_RESOLUTION`], 5 km²), 36 km² (edge about
/// 3.7 km). An area write locks the parents of its index cells: two writes
/// whose areas share an index cell share its parent, so they are ordered
/// exactly as before, while a typical area takes 1–4 rows instead of about
/// ten (fewer tuples written, fewer WAL records, a table that grows seven
/// times slower). Writes a few kilometres apart may now wait for each other
/// (never refuse each other); writes tens of kilometres apart never meet.
pub(crate) const LOCK_RESOLUTION: u8 = 6;

/// The sorted, distinct lock cells (see [`LOCK_RESOLUTION`]) of index
/// cells; `None` when one of them is not an H3 cell (the caller then locks
/// everything).
pub(crate) fn lock_cells(cells: &[i64]) -> Option<Vec<i64>> {
    let cells: Vec<u64> = cells.iter().map(|&c| u64::try_from(c).ok()).collect::<Option<_>>()?;
    let parents = geom::parent_cells(&cells, LOCK_RESOLUTION).ok()?;
    parents.into_iter().map(|c| i64::try_from(c).ok()).collect()
}

/// The parameters of one candidate search, computed once per area and
/// transaction (a transaction usually asks for intents, constraints and
/// subscriptions of the same area).
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// The volumes it was computed from (to recognise the same area again).
    pub volumes: Vec<Volume4D>,
    /// `None` when some footprint of the area could not be covered: search by box.
    pub cells: Option<Vec<i64>>,
    pub alt_lower: f64,
    pub alt_upper: f64,
    pub time_start: i64,
    pub time_end: i64,
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lng: f64,
    pub max_lng: f64,
    /// The derived columns of an entity with exactly these volumes (a write
    /// usually stores what it just searched: its cells are not covered twice).
    pub spatial: Spatial,
}

impl Search {
    pub(crate) fn of(volumes: &[Volume4D]) -> Self {
        let s = Spatial::of(volumes);
        Self {
            volumes: volumes.to_vec(),
            cells: s.cells_complete.then(|| s.cells.clone()),
            alt_lower: s.alt_lower,
            alt_upper: s.alt_upper,
            time_start: s.time_start,
            time_end: s.time_end,
            min_lat: s.min_lat,
            max_lat: s.max_lat,
            min_lng: s.min_lng,
            max_lng: s.max_lng,
            spatial: s,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use deconflict_core::store::cover_cells;
    use deconflict_core::testsuite::{HOUR, T0, circle, square, volume};

    use super::*;

    #[test]
    fn cells_are_cover_cells_as_i64() {
        let v = vec![
            volume(square(46.0, 7.0, 0.02), (0.0, 120.0), T0, T0 + HOUR),
            volume(circle(46.1, 7.1, 800.0), (0.0, 120.0), T0, T0 + HOUR),
        ];
        let (cells, complete) = cover(&v);
        assert!(complete);
        let want: Vec<i64> = cover_cells(&v).into_iter().map(|c| i64::try_from(c).unwrap()).collect();
        assert!(!want.is_empty());
        assert_eq!(cells, want);
        // H3 indexes have bit 63 clear: the conversion is the identity on bits.
        assert!(cells.iter().all(|&c| c > 0));
    }

    #[test]
    fn lock_cells_are_fewer_coarser_parents() {
        let v = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
        let (cells, complete) = cover(&v);
        assert!(complete);
        let locks = lock_cells(&cells).unwrap();
        assert!(
            !locks.is_empty() && locks.len() < cells.len(),
            "{} locks for {} cells",
            locks.len(),
            cells.len()
        );
        assert!(locks.windows(2).all(|w| w[0] < w[1]));
        // Each index cell's own lock set is within the area's: a write that
        // shares one index cell with this one shares a lock cell.
        for c in &cells {
            let one = lock_cells(&[*c]).unwrap();
            assert_eq!(one.len(), 1);
            assert!(locks.contains(&one[0]));
        }
        assert_eq!(lock_cells(&[-1]), None);
        assert_eq!(lock_cells(&[42]), None);
    }

    #[test]
    fn no_volumes_is_not_complete() {
        let s = Spatial::of(&[]);
        assert!(!s.cells_complete);
        assert!(s.cells.is_empty());
        assert!(s.time_start < 0 && s.time_end > 0);
    }
}
