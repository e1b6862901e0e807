//! The single error type of this crate.

/// Why a geometric value was rejected.
///
/// Every variant's `Display` names the offending value so that it can be
/// returned verbatim to an API user.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeomError {
    /// A latitude that is not a finite number of degrees in `[-90, 90]`.
    #[error("latitude {0} is outside [-90, 90] degrees")]
    InvalidLatitude(f64),
    /// A longitude that is not a finite number of degrees in `[-180, 180]`.
    #[error("longitude {0} is outside [-180, 180] degrees")]
    InvalidLongitude(f64),
    /// An altitude that is not finite or outside
    /// [`AltitudeRange::MIN_M`](crate::AltitudeRange::MIN_M)..=[`AltitudeRange::MAX_M`](crate::AltitudeRange::MAX_M).
    #[error("altitude {0} m is outside [-8000, 100000] m (WGS84 ellipsoid)")]
    InvalidAltitude(f64),
    /// An altitude range whose lower bound is above its upper bound.
    #[error("altitude lower bound {lower} m is above upper bound {upper} m")]
    ReversedAltitude {
        /// The lower bound given.
        lower: f64,
        /// The upper bound given.
        upper: f64,
    },
    /// A time window whose end is before its start.
    #[error("time window ends before it starts")]
    ReversedTime,
    /// A polygon with fewer than 3 vertices.
    #[error("polygon has {0} vertices; at least 3 are required")]
    TooFewVertices(usize),
    /// A polygon with more than [`Polygon::MAX_VERTICES`](crate::Polygon::MAX_VERTICES) vertices.
    #[error("polygon has {0} vertices; at most 10000 are allowed")]
    TooManyVertices(usize),
    /// Vertex `index` (0-based) repeats an earlier vertex.
    #[error("polygon vertex {index} repeats an earlier vertex")]
    RepeatedVertex {
        /// 0-based index of the later of the two equal vertices.
        index: usize,
    },
    /// The last vertex equals the first: rings are implicitly closed.
    #[error(
        "polygon's last vertex equals its first; do not close the ring explicitly, the closing edge is implied"
    )]
    ClosingVertex,
    /// Two non-adjacent edges cross or touch, or two adjacent edges overlap.
    /// Edge `i` runs from vertex `i` to vertex `i + 1` (the last edge closes
    /// the ring back to vertex 0).
    #[error("polygon edges {edge_a} and {edge_b} cross or touch")]
    SelfIntersecting {
        /// 0-based index of the first edge.
        edge_a: usize,
        /// 0-based index of the second edge.
        edge_b: usize,
    },
    /// A polygon extending too far from its centre (see
    /// [`Polygon::MAX_EXTENT_DEG`](crate::Polygon::MAX_EXTENT_DEG)).
    #[error(
        "polygon is too large: vertex {index} is {extent_deg:.3}° of arc from the polygon's centre, at most 30° is allowed"
    )]
    TooLarge {
        /// 0-based index of the farthest vertex.
        index: usize,
        /// Its great-circle distance from the centre, in degrees of arc.
        extent_deg: f64,
    },
    /// A circle radius that is not finite, not positive or above 1,000 km.
    #[error("circle radius {0} m is not in (0, 1000000] m")]
    InvalidRadius(f64),
    /// An H3 resolution above 15.
    #[error("H3 resolution {0} is not in [0, 15]")]
    InvalidResolution(u8),
    /// A number that is not an H3 cell index.
    #[error("{0} is not an H3 cell index")]
    InvalidCell(u64),
    /// A cell covering that would be unreasonably large.
    #[error(
        "covering at H3 resolution {resolution} would need about {estimated} cells (at most {max}); use a coarser resolution"
    )]
    TooManyCells {
        /// The resolution asked for.
        resolution: u8,
        /// Estimated number of cells.
        estimated: usize,
        /// The limit.
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem() {
        let cases = [
            (GeomError::SelfIntersecting { edge_a: 2, edge_b: 5 }, "polygon edges 2 and 5 cross or touch"),
            (GeomError::TooFewVertices(2), "polygon has 2 vertices; at least 3 are required"),
            (GeomError::TooManyVertices(10_001), "polygon has 10001 vertices; at most 10000 are allowed"),
            (GeomError::RepeatedVertex { index: 4 }, "polygon vertex 4 repeats an earlier vertex"),
            (GeomError::InvalidResolution(16), "H3 resolution 16 is not in [0, 15]"),
        ];
        for (e, msg) in cases {
            assert_eq!(e.to_string(), msg);
        }
        assert!(GeomError::ClosingVertex.to_string().contains("last vertex equals its first"));
        assert!(
            GeomError::TooLarge { index: 3, extent_deg: 31.0 }.to_string().contains("vertex 3 is 31.000°")
        );
    }
}
