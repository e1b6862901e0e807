//! # geom — 4D volumes for airspace deconfliction
//!
//! This crate owns the geometry of ASTM F3548-21 4D volumes: a horizontal
//! [`Footprint`] (a [`Polygon`] with great-circle edges or a geodesic
//! [`Circle`]), a vertical [`AltitudeRange`] and a [`TimeWindow`]. It
//! validates them, decides exactly whether two volumes intersect, covers
//! footprints with H3 cells (for SQL indexing) and indexes volume boxes in
//! memory ([`Index`]). It is kept apart from storage and transport so that
//! the one piece of the service whose mistakes let two aircraft into the
//! same airspace is small, pure and heavily tested.
//!
//! ## Invariants
//! * No IO, no async, no serialisation: pure functions on validated values.
//! * Units: degrees (WGS84 latitude/longitude), metres above the WGS84
//!   ellipsoid, microseconds since the Unix epoch (UTC).
//! * Boundaries: altitude ranges are **closed** (touching bands overlap);
//!   time windows are **half-open** `[start, end)` (back-to-back windows do
//!   not overlap; a zero-length window is an instant); footprints are
//!   **closed** (touching footprints intersect, and boundaries closer than
//!   [`TOUCH_TOLERANCE_M`] count as touching).
//! * Footprints may cross the antimeridian and contain a pole: intersection
//!   and clipping work on unit vectors and gnomonic planes, never on
//!   longitudes. Their [`LatLngBounds`] (and so [`Box4`]) then span every
//!   longitude over their band of latitudes, a superset that never wraps;
//!   within 1° of a pole, cells ([`Footprint::cells`]) and areas
//!   ([`Footprint::area_m2`]) come from methods that avoid the lat/lng
//!   plane. Polygons stay within [`Polygon::MAX_EXTENT_DEG`] of their
//!   centre, so every computation happens inside one hemisphere.
//!
//! ## How intersection is computed
//! * Polygon edges are great-circle arcs with geodetic latitude/longitude
//!   taken as spherical coordinates (the F3548/S2 convention). Both polygons
//!   are projected into one **gnomonic projection** centred between them;
//!   great circles are straight lines there, so edges are exact segments and
//!   polygon/polygon intersection is planar segment intersection (robust
//!   orientation predicates, candidate pairs from an R-tree) plus
//!   point-in-polygon. This is scale-free and exact up to floating point.
//! * Circle/polygon: the polygon is projected gnomonically about the
//!   circle's centre, where the distance from the origin grows monotonically
//!   with the spherical angle, so the nearest point of each edge is found in
//!   the plane. Spherical angles bound WGS84 distances between `θ·M` and
//!   `θ·N` (radii of curvature); edges near the radius are then settled with
//!   true WGS84 geodesic distances (Karney, via `geo`) minimised along the
//!   edge, so the decision is accurate to well under a centimetre.
//! * Circle/circle: geodesic distance between centres `<= r1 + r2`.
//! * Areas: Karney's geodesic polygon area (`geo`); within 1° of a pole,
//!   where its per-edge terms get huge and cancel, the planar area in the
//!   ellipsoid's polar Lambert azimuthal equal-area projection.
//! * Intersection *geometry* ([`clip()`]): both footprints in one gnomonic
//!   plane, `geo`'s boolean operations there, vertices projected back;
//!   circles become circumscribed polygons (never under-reporting).
//!
//! ```
//! use geom::*;
//! let a = Footprint::Circle(Circle::new(LatLng::new(46.5, 6.6)?, 100.0)?);
//! let b = Footprint::Polygon(Polygon::new(vec![
//!     LatLng::new(46.5, 6.6)?,
//!     LatLng::new(46.5, 6.61)?,
//!     LatLng::new(46.51, 6.61)?,
//! ])?);
//! assert!(a.intersects(&b));
//! # Ok::<(), GeomError>(())
//! ```

#![warn(missing_docs)]

mod altitude;
mod cells;
mod circle;
mod clip;
mod error;
mod footprint;
mod index;
mod latlng;
mod planar;
mod polygon;
mod sphere;
#[cfg(test)]
mod test_shapes;
mod time;
mod volume;

pub use altitude::AltitudeRange;
pub use cells::parent_cells;
pub use circle::Circle;
pub use clip::{CLIP_CIRCLE_TOLERANCE_M, clip};
pub use error::GeomError;
pub use footprint::Footprint;
pub use index::Index;
pub use latlng::{LatLng, LatLngBounds};
pub use polygon::Polygon;
pub use time::{Time, TimeWindow};
pub use volume::{Box4, Volume4D};

/// H3 resolution used to index footprints in SQL: 7.
///
/// Resolution-7 cells average 5.16 km² (edge ≈ 1.4 km). The largest F3548
/// footprints (≈ 2,500 km²) then need about 500 cells plus a boundary ring
/// (well under a thousand rows), while typical operation volumes of a few
/// hundred metres to a few km touch 1–7 cells, so lookups stay selective
/// without row counts exploding. Resolution 8 would multiply the worst case
/// by 7 (≈ 3,500+ rows per volume) for little filtering gain, since exact
/// intersection follows anyway; resolution 6 (36 km²) would make the filter
/// too coarse in dense areas.
pub const DEFAULT_CELL_RESOLUTION: u8 = 7;

/// Boundaries closer than this (metres) are considered touching.
pub const TOUCH_TOLERANCE_M: f64 = 0.001;

/// Largest number of cells [`Footprint::cells`] returns before failing with
/// [`GeomError::TooManyCells`].
pub const MAX_CELLS: usize = 2_000_000;
