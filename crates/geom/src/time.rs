//! Instants and half-open time windows.

use crate::GeomError;

/// An instant: microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    /// The earliest representable instant.
    pub const MIN: Time = Time(i64::MIN);
    /// The latest representable instant.
    pub const MAX: Time = Time(i64::MAX);

    /// From microseconds since the Unix epoch.
    #[must_use]
    pub const fn from_micros(micros: i64) -> Time {
        Time(micros)
    }

    /// Microseconds since the Unix epoch.
    #[must_use]
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// From (fractional) seconds since the Unix epoch, rounded to the nearest
    /// microsecond. Saturates at [`Time::MIN`]/[`Time::MAX`]; NaN maps to the epoch.
    #[must_use]
    pub fn from_secs_f64(secs: f64) -> Time {
        // `as` saturates and maps NaN to 0.
        #[allow(clippy::cast_possible_truncation)]
        Time((secs * 1e6).round() as i64)
    }

    /// `self + micros`, saturating at [`Time::MIN`]/[`Time::MAX`].
    #[must_use]
    pub const fn saturating_add_micros(self, micros: i64) -> Time {
        Time(self.0.saturating_add(micros))
    }
}

/// A half-open time window `[start, end)`.
///
/// A zero-length window `[t, t]` denotes the instant `t`: it contains `t` and
/// overlaps any window `w` with `w.start <= t < w.end` (and an equal instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    start: Time,
    end: Time,
}

impl TimeWindow {
    /// A window `[start, end)`.
    ///
    /// # Errors
    /// [`GeomError::ReversedTime`] if `end < start`.
    ///
    /// ```
    /// use geom::{Time, TimeWindow};
    /// let w = TimeWindow::new(Time::from_micros(0), Time::from_micros(10))?;
    /// assert!(w.contains(Time::from_micros(0)));
    /// assert!(!w.contains(Time::from_micros(10)));
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    pub fn new(start: Time, end: Time) -> Result<Self, GeomError> {
        if end < start {
            return Err(GeomError::ReversedTime);
        }
        Ok(Self { start, end })
    }

    /// `[Time::MIN, Time::MAX)`.
    #[must_use]
    pub const fn unbounded() -> Self {
        Self { start: Time::MIN, end: Time::MAX }
    }

    /// Inclusive start.
    #[must_use]
    pub const fn start(&self) -> Time {
        self.start
    }

    /// Exclusive end (equal to `start` for an instant).
    #[must_use]
    pub const fn end(&self) -> Time {
        self.end
    }

    fn is_instant(&self) -> bool {
        self.start == self.end
    }

    /// Whether the two windows share an instant (half-open semantics; see the
    /// type docs for zero-length windows).
    #[must_use]
    pub fn overlaps(&self, other: &TimeWindow) -> bool {
        match (self.is_instant(), other.is_instant()) {
            (true, true) => self.start == other.start,
            (true, false) => other.contains(self.start),
            (false, true) => self.contains(other.start),
            (false, false) => self.start < other.end && other.start < self.end,
        }
    }

    /// `start <= t < end`, or `t == start` for an instant.
    #[must_use]
    pub fn contains(&self, t: Time) -> bool {
        if self.is_instant() { t == self.start } else { self.start <= t && t < self.end }
    }

    /// `end - start` in microseconds (saturating).
    #[must_use]
    pub const fn duration_micros(&self) -> i64 {
        self.end.0.saturating_sub(self.start.0)
    }

    /// The smallest window containing both (the hull; gaps are included).
    #[must_use]
    pub fn union(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(us: i64) -> Time {
        Time::from_micros(us)
    }
    fn w(a: i64, b: i64) -> TimeWindow {
        TimeWindow::new(t(a), t(b)).unwrap()
    }

    #[test]
    fn reversed_time_rejected() {
        let e = TimeWindow::new(t(10), t(9)).unwrap_err();
        assert_eq!(e, GeomError::ReversedTime);
        assert_eq!(e.to_string(), "time window ends before it starts");
        assert!(TimeWindow::new(t(10), t(10)).is_ok());
    }

    #[test]
    fn half_open() {
        assert!(!w(0, 10).overlaps(&w(10, 20)));
        assert!(!w(10, 20).overlaps(&w(0, 10)));
        assert!(w(0, 11).overlaps(&w(10, 20)));
        assert!(w(0, 10).contains(t(0)));
        assert!(w(0, 10).contains(t(9)));
        assert!(!w(0, 10).contains(t(10)));
        assert!(!w(0, 10).contains(t(-1)));
    }

    #[test]
    fn instants() {
        assert!(w(5, 5).overlaps(&w(5, 5)));
        assert!(!w(5, 5).overlaps(&w(6, 6)));
        assert!(w(5, 5).overlaps(&w(5, 10)));
        assert!(w(5, 10).overlaps(&w(5, 5)));
        assert!(!w(10, 10).overlaps(&w(5, 10)));
        assert!(!w(5, 10).overlaps(&w(10, 10)));
        assert!(w(7, 7).overlaps(&w(5, 10)));
        assert!(w(5, 5).contains(t(5)));
        assert!(!w(5, 5).contains(t(6)));
    }

    #[test]
    fn misc() {
        assert_eq!(w(3, 10).duration_micros(), 7);
        assert_eq!(TimeWindow::unbounded().duration_micros(), i64::MAX);
        assert_eq!(w(0, 5).union(&w(10, 20)), w(0, 20));
        assert_eq!(Time::from_secs_f64(1.5).as_micros(), 1_500_000);
        assert_eq!(Time::from_secs_f64(-0.000_000_6).as_micros(), -1);
        assert_eq!(Time::from_secs_f64(1e300), Time::MAX);
        assert_eq!(Time::MAX.saturating_add_micros(1), Time::MAX);
        assert_eq!(Time::MIN.saturating_add_micros(-1), Time::MIN);
        assert!(TimeWindow::unbounded().contains(t(0)));
        assert!(TimeWindow::unbounded().overlaps(&w(0, 1)));
    }
}
