//! What a feed's assembler keeps per aircraft between messages, keyed by
//! address, with the time each was last heard: the one table behind the
//! SBS-1 and ADS-B assemblers, so both forget silent aircraft the same way.

use std::collections::HashMap;
use std::hash::Hash;

use crate::units::Timestamp;

/// Per-aircraft state `V` by address `K`, each with when it was last heard.
#[derive(Debug, Clone)]
pub struct Heard<K, V> {
    aircraft: HashMap<K, (Timestamp, V)>,
}

impl<K, V> Default for Heard<K, V> {
    fn default() -> Self {
        Self { aircraft: HashMap::new() }
    }
}

impl<K: Copy + Eq + Hash + Ord, V: Default> Heard<K, V> {
    /// The state of aircraft `key`, heard at `now` (a new aircraft starts from
    /// `V::default()`).
    pub fn heard(&mut self, key: K, now: Timestamp) -> &mut V {
        let entry = self.aircraft.entry(key).or_insert_with(|| (now, V::default()));
        entry.0 = now;
        &mut entry.1
    }

    /// The state of aircraft `key`, if it is known.
    pub fn get(&self, key: K) -> Option<&V> {
        self.aircraft.get(&key).map(|(_, v)| v)
    }

    /// Forgets every aircraft last heard before `cutoff`; returns their
    /// addresses, sorted.
    pub fn forget_before(&mut self, cutoff: Timestamp) -> Vec<K> {
        let mut gone = Vec::new();
        self.aircraft.retain(|key, (last_seen, _)| {
            let keep = *last_seen >= cutoff;
            if !keep {
                gone.push(*key);
            }
            keep
        });
        gone.sort_unstable();
        gone
    }

    /// Aircraft known.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether no aircraft is known.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Heard;
    use crate::units::Timestamp;

    #[test]
    fn forgets_only_the_silent_and_names_them_sorted() {
        let mut h: Heard<u32, u8> = Heard::default();
        *h.heard(7, Timestamp::from_micros(10)) = 1;
        *h.heard(3, Timestamp::from_micros(5)) = 2;
        *h.heard(9, Timestamp::from_micros(1)) = 3;
        h.heard(9, Timestamp::from_micros(20)); // heard again: kept, state kept
        assert_eq!(h.forget_before(Timestamp::from_micros(11)), vec![3, 7]);
        assert_eq!(h.len(), 1);
        assert_eq!(h.get(9), Some(&3));
        assert_eq!(h.get(7), None);
    }
}
