//! Interning of the service's names into the `tactical` crate's numbers:
//! parties ([`PartyName`] ⇄ [`PartyId`]) and party-scoped track names
//! (`(party, "id")` ⇄ [`TrackId`]).
//!
//! Party numbers are never reused or forgotten (there are as many as
//! authenticated `sub`s and configured feeds). Track numbers are handed out
//! from a counter and forgotten when their track expires, so memory follows
//! the live picture.

use std::collections::HashMap;
use std::sync::Arc;

use deconflict_core::PartyName;
use tactical::{PartyId, TrackId};

/// `PartyName` ⇄ `PartyId`.
#[derive(Debug, Default)]
pub struct Parties {
    by_name: HashMap<PartyName, PartyId>,
    names: Vec<PartyName>,
}

impl Parties {
    /// The number of `name`, assigning one on first sight.
    pub fn intern(&mut self, name: &PartyName) -> PartyId {
        if let Some(p) = self.by_name.get(name) {
            return *p;
        }
        let id = PartyId(self.names.len() as u64);
        self.names.push(name.clone());
        self.by_name.insert(name.clone(), id);
        id
    }

    /// The number of `name`, if it has one.
    pub fn get(&self, name: &PartyName) -> Option<PartyId> {
        self.by_name.get(name).copied()
    }

    /// The name numbered `party`.
    pub fn name(&self, party: PartyId) -> Option<&PartyName> {
        usize::try_from(party.0).ok().and_then(|i| self.names.get(i))
    }
}

/// `(party, name)` ⇄ `TrackId`. Lookups by `&str` do not allocate.
#[derive(Debug, Default)]
pub struct TrackKeys {
    by_key: HashMap<PartyId, HashMap<Arc<str>, TrackId>>,
    by_id: HashMap<TrackId, (PartyId, Arc<str>)>,
    next: u64,
}

impl TrackKeys {
    /// The number of `party`'s track `name`, assigning one on first sight.
    pub fn intern(&mut self, party: PartyId, name: &str) -> TrackId {
        let names = self.by_key.entry(party).or_default();
        if let Some(id) = names.get(name) {
            return *id;
        }
        self.next += 1;
        let id = TrackId(self.next);
        let name: Arc<str> = Arc::from(name);
        names.insert(name.clone(), id);
        self.by_id.insert(id, (party, name));
        id
    }

    /// The owner and name of a track.
    pub fn key(&self, id: TrackId) -> Option<(PartyId, &Arc<str>)> {
        self.by_id.get(&id).map(|(p, n)| (*p, n))
    }

    /// Every track number of `party`.
    pub fn of_party(&self, party: PartyId) -> impl Iterator<Item = TrackId> + '_ {
        self.by_key.get(&party).into_iter().flat_map(|m| m.values().copied())
    }

    /// Forgets a track number (after its track expired).
    pub fn forget(&mut self, id: TrackId) {
        if let Some((party, name)) = self.by_id.remove(&id)
            && let Some(names) = self.by_key.get_mut(&party)
        {
            names.remove(&*name);
            if names.is_empty() {
                self.by_key.remove(&party);
            }
        }
    }

    /// Number of tracks named.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no track is named.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parties_and_tracks_intern() {
        let mut p = Parties::default();
        let a = p.intern(&PartyName::new("alice").unwrap());
        let b = p.intern(&PartyName::new("bob").unwrap());
        assert_ne!(a, b);
        assert_eq!(p.intern(&PartyName::new("alice").unwrap()), a);
        assert_eq!(p.name(b).unwrap().as_str(), "bob");

        let mut t = TrackKeys::default();
        let x = t.intern(a, "T1");
        let y = t.intern(b, "T1");
        assert_ne!(x, y, "same name, different parties, different tracks");
        assert_eq!(t.intern(a, "T1"), x);
        assert_eq!(t.key(y).map(|(p, n)| (p, n.to_string())), Some((b, "T1".to_owned())));
        t.forget(x);
        assert!(t.key(x).is_none());
        assert_ne!(t.intern(a, "T1"), x, "numbers are never reused");
        assert_eq!(t.len(), 2);
    }
}
