//! H3 coverings of footprints.

use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};

use crate::footprint::{circle_outline, densified_outline};
use crate::{Footprint, GeomError, MAX_CELLS};

/// Every H3 cell at `resolution` that intersects the footprint.
///
/// The outline (polygon edges densified every 1 km along their great
/// circle, or a circle circumscribed by a 64-gon pushed 0.5 % outward) is
/// tiled with [`ContainmentMode::Covers`]; every cell not fully inside is
/// then grown by its ring-1 neighbours, which absorbs the small differences
/// between h3o's edge model and ours. The result is a superset.
pub(crate) fn cover(fp: &Footprint, resolution: u8) -> Result<Vec<u64>, GeomError> {
    let res = Resolution::try_from(resolution).map_err(|_| GeomError::InvalidResolution(resolution))?;
    let ring = match fp {
        Footprint::Polygon(p) => densified_outline(p, 1_000.0),
        Footprint::Circle(c) => {
            const N: usize = 64;
            let scale = 1.005 / (std::f64::consts::PI / N as f64).cos();
            circle_outline(c, N, scale)
        }
    };
    let poly = geo::Polygon::new(ring.into(), vec![]);
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::Covers)
        .disable_transmeridian_heuristic()
        .build();
    // Our footprints are validated; h3o rejects only non-finite coordinates.
    tiler.add(poly).map_err(|_| GeomError::CrossesAntimeridian)?;
    let estimated = tiler.coverage_size_hint();
    if estimated > MAX_CELLS {
        return Err(GeomError::TooManyCells { resolution, estimated, max: MAX_CELLS });
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
    Ok(out)
}
