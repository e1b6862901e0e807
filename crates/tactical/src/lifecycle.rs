//! A generic debounced on/off lifecycle (internal), shared by the conflict
//! alerts and the conformance monitor: a condition must be seen on
//! `confirm` consecutive updates to become active, and missed on `clear`
//! consecutive updates to end.

use std::collections::BTreeMap;

/// What happened to one key in one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Seen, not yet confirmed.
    Pending,
    /// Confirmed on this update.
    New(u64),
    /// Seen again while active.
    Ongoing(u64),
    /// Missed while active, not yet cleared.
    Holding(u64),
    /// Cleared on this update.
    Ended(u64),
}

#[derive(Debug, Clone)]
enum State {
    Pending { hits: u32 },
    Active { id: u64, misses: u32 },
}

/// Per-key debouncing state. Keys are ordered so output order is stable.
#[derive(Debug, Clone)]
pub(crate) struct Lifecycle<K: Ord + Copy, V> {
    confirm: u32,
    clear: u32,
    next_id: u64,
    states: BTreeMap<K, (State, V)>,
}

impl<K: Ord + Copy, V: Clone> Lifecycle<K, V> {
    pub(crate) fn new(confirm: u32, clear: u32) -> Self {
        Self { confirm: confirm.max(1), clear: clear.max(1), next_id: 1, states: BTreeMap::new() }
    }

    /// One update: `seen` holds the keys whose condition holds now (unique),
    /// with their latest value. Returns each affected key's step and its
    /// latest value, in key order; ended keys are forgotten.
    pub(crate) fn update(&mut self, seen: Vec<(K, V)>) -> Vec<(K, Step, V)> {
        let mut steps: BTreeMap<K, Step> = BTreeMap::new();
        for (k, v) in seen {
            let step = match self.states.get_mut(&k) {
                None if self.confirm <= 1 => {
                    let id = self.take_id();
                    self.states.insert(k, (State::Active { id, misses: 0 }, v));
                    Step::New(id)
                }
                None => {
                    self.states.insert(k, (State::Pending { hits: 1 }, v));
                    Step::Pending
                }
                Some((state, val)) => {
                    *val = v;
                    match state {
                        State::Pending { hits } => {
                            *hits += 1;
                            if *hits >= self.confirm {
                                let id = self.next_id;
                                self.next_id += 1;
                                *state = State::Active { id, misses: 0 };
                                Step::New(id)
                            } else {
                                Step::Pending
                            }
                        }
                        State::Active { id, misses } => {
                            *misses = 0;
                            Step::Ongoing(*id)
                        }
                    }
                }
            };
            steps.insert(k, step);
        }
        // Keys not seen: pending ones reset, active ones count misses.
        let clear = self.clear;
        let mut out = Vec::with_capacity(steps.len());
        self.states.retain(|k, (state, v)| {
            if let Some(step) = steps.get(k) {
                out.push((*k, *step, v.clone()));
                return true;
            }
            match state {
                State::Pending { .. } => false,
                State::Active { id, misses } => {
                    *misses += 1;
                    if *misses >= clear {
                        out.push((*k, Step::Ended(*id), v.clone()));
                        false
                    } else {
                        out.push((*k, Step::Holding(*id), v.clone()));
                        true
                    }
                }
            }
        });
        out
    }

    /// Removes every key matching `pred`; returns the active ones removed.
    pub(crate) fn remove_where(&mut self, mut pred: impl FnMut(&K) -> bool) -> Vec<(K, u64, V)> {
        let keys: Vec<K> = self.states.keys().filter(|k| pred(k)).copied().collect();
        let mut out = Vec::new();
        for k in keys {
            if let Some((State::Active { id, .. }, v)) = self.states.remove(&k) {
                out.push((k, id, v));
            }
        }
        out
    }

    /// Number of active keys.
    pub(crate) fn active(&self) -> usize {
        self.states.values().filter(|(s, _)| matches!(s, State::Active { .. })).count()
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(l: &mut Lifecycle<u32, ()>, seen: &[u32]) -> Vec<(u32, Step)> {
        l.update(seen.iter().map(|&k| (k, ())).collect()).into_iter().map(|(k, s, _)| (k, s)).collect()
    }

    #[test]
    fn confirm_hold_clear() {
        let mut l = Lifecycle::new(2, 2);
        assert_eq!(steps(&mut l, &[1]), vec![(1, Step::Pending)]);
        assert_eq!(steps(&mut l, &[]), vec![]); // pending reset
        assert_eq!(steps(&mut l, &[1]), vec![(1, Step::Pending)]);
        assert_eq!(steps(&mut l, &[1]), vec![(1, Step::New(1))]);
        assert_eq!(l.active(), 1);
        assert_eq!(steps(&mut l, &[]), vec![(1, Step::Holding(1))]);
        assert_eq!(steps(&mut l, &[1]), vec![(1, Step::Ongoing(1))]);
        assert_eq!(steps(&mut l, &[]), vec![(1, Step::Holding(1))]);
        assert_eq!(steps(&mut l, &[]), vec![(1, Step::Ended(1))]);
        assert_eq!(l.active(), 0);
        assert_eq!(steps(&mut l, &[]), vec![]);
    }

    #[test]
    fn immediate_and_removal() {
        let mut l = Lifecycle::new(1, 1);
        assert_eq!(steps(&mut l, &[2, 3]), vec![(2, Step::New(1)), (3, Step::New(2))]);
        let gone = l.remove_where(|k| *k == 3);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].1, 2);
        assert_eq!(steps(&mut l, &[]), vec![(2, Step::Ended(1))]);
    }
}
