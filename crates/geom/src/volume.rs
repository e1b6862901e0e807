//! 4D volumes and their bounding boxes.

use crate::{AltitudeRange, Footprint, LatLng, Time, TimeWindow};

/// A footprint extruded over a closed altitude range and a half-open time
/// window.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume4D {
    footprint: Footprint,
    altitude: AltitudeRange,
    time: TimeWindow,
}

impl Volume4D {
    /// Assembles a volume from already-validated parts.
    ///
    /// ```
    /// use geom::*;
    /// let v = Volume4D::new(
    ///     Footprint::Circle(Circle::new(LatLng::new(46.5, 6.6)?, 300.0)?),
    ///     AltitudeRange::new(0.0, 120.0)?,
    ///     TimeWindow::new(Time::from_micros(0), Time::from_micros(60_000_000))?,
    /// );
    /// assert!(v.intersects(&v));
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    #[must_use]
    pub fn new(footprint: Footprint, altitude: AltitudeRange, time: TimeWindow) -> Self {
        Self { footprint, altitude, time }
    }

    /// Horizontal extent.
    #[must_use]
    pub fn footprint(&self) -> &Footprint {
        &self.footprint
    }

    /// Vertical extent (closed).
    #[must_use]
    pub fn altitude(&self) -> &AltitudeRange {
        &self.altitude
    }

    /// Temporal extent (half-open).
    #[must_use]
    pub fn time(&self) -> &TimeWindow {
        &self.time
    }

    /// Time overlap, altitude overlap and footprint intersection, cheapest
    /// first.
    #[must_use]
    pub fn intersects(&self, other: &Volume4D) -> bool {
        self.time.overlaps(&other.time)
            && self.altitude.overlaps(&other.altitude)
            && self.footprint.intersects(&other.footprint)
    }

    /// A closed box containing the volume; [`Box4::intersects`] of two
    /// volumes' boxes is implied by [`Volume4D::intersects`].
    #[must_use]
    pub fn bbox(&self) -> Box4 {
        let b = self.footprint.bounds();
        #[allow(clippy::cast_precision_loss)]
        let (t0, t1) = (self.time.start().as_micros() as f64, self.time.end().as_micros() as f64);
        Box4 {
            min: [b.min_lng, b.min_lat, self.altitude.lower(), t0],
            max: [b.max_lng, b.max_lat, self.altitude.upper(), t1],
        }
    }

    /// Whether the point `(p, alt_m)` at `t` is in the volume, with
    /// horizontal and vertical tolerances in metres.
    #[must_use]
    pub fn contains(&self, p: LatLng, alt_m: f64, t: Time, tolerance_h_m: f64, tolerance_v_m: f64) -> bool {
        self.time.contains(t)
            && self.altitude.contains(alt_m, tolerance_v_m)
            && self.footprint.contains(p, tolerance_h_m)
    }
}

/// A closed axis-aligned box. Axes: longitude (deg), latitude (deg),
/// altitude (m), time (µs since the epoch, as `f64`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Box4 {
    /// Lower corner.
    pub min: [f64; 4],
    /// Upper corner.
    pub max: [f64; 4],
}

impl Box4 {
    /// Closed overlap on all four axes.
    #[must_use]
    pub fn intersects(&self, other: &Box4) -> bool {
        (0..4).all(|i| self.min[i] <= other.max[i] && other.min[i] <= self.max[i])
    }

    /// Smallest box containing both.
    #[must_use]
    pub fn union(&self, other: &Box4) -> Box4 {
        let mut out = *self;
        for i in 0..4 {
            out.min[i] = out.min[i].min(other.min[i]);
            out.max[i] = out.max[i].max(other.max[i]);
        }
        out
    }

    /// The whole valid domain: every longitude, latitude, altitude in
    /// `[AltitudeRange::MIN_M, AltitudeRange::MAX_M]` and time.
    #[must_use]
    pub fn everything() -> Box4 {
        #[allow(clippy::cast_precision_loss)]
        Box4 {
            min: [-180.0, -90.0, AltitudeRange::MIN_M, Time::MIN.as_micros() as f64],
            max: [180.0, 90.0, AltitudeRange::MAX_M, Time::MAX.as_micros() as f64],
        }
    }
}
