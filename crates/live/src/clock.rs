//! Where "now" comes from: the system clock, or a clock a test or a replay
//! sets. The live service never reads time any other way.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use geom::Time;

/// The system clock, or a manual one shared by clones.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stays at `micros` until [`Clock::set`] moves it.
    pub fn manual(micros: i64) -> Self {
        Self { fixed: Some(Arc::new(AtomicI64::new(micros))) }
    }

    /// Whether this clock only moves when told to.
    pub fn is_manual(&self) -> bool {
        self.fixed.is_some()
    }

    /// Moves a manual clock; no effect on the system clock.
    pub fn set(&self, micros: i64) {
        if let Some(f) = &self.fixed {
            f.store(micros, Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward by `d`; no effect on the system clock.
    pub fn advance(&self, d: Duration) {
        if let Some(f) = &self.fixed {
            f.fetch_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX), Ordering::SeqCst);
        }
    }

    /// Now, in µs since the epoch.
    pub fn now(&self) -> Time {
        match &self.fixed {
            Some(f) => Time::from_micros(f.load(Ordering::SeqCst)),
            None => {
                let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                Time::from_micros(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            }
        }
    }

    /// Now, in whole seconds since the epoch (for token checks).
    pub fn now_unix(&self) -> i64 {
        self.now().as_micros().div_euclid(1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clocks_move_only_when_told() {
        let c = Clock::manual(5);
        let d = c.clone();
        assert_eq!(c.now().as_micros(), 5);
        d.advance(Duration::from_micros(10));
        assert_eq!(c.now().as_micros(), 15);
        c.set(1_000_000);
        assert_eq!(d.now_unix(), 1);
        let s = Clock::system();
        s.set(0);
        assert!(s.now().as_micros() > 1_600_000_000_000_000);
    }
}
