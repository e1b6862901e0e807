//! The set of scopes a token grants.

use std::collections::BTreeSet;
use std::fmt;

/// The scopes granted by a token: the `scope` claim split on whitespace,
/// deduplicated. Iteration is in lexical order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space-separated scope string (any ASCII whitespace separates;
    /// empty pieces are ignored).
    pub fn parse(s: &str) -> Self {
        Self(s.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// True if the scope `s` is granted (exact, case-sensitive match).
    pub fn has(&self, s: &str) -> bool {
        self.0.contains(s)
    }

    /// True if at least one alternative is granted in full: `alternatives` is an
    /// OR of ANDs of full scope names. No alternatives at all is never
    /// satisfied; an empty alternative (`&[]`) always is.
    ///
    /// ```
    /// use server::auth::{scope, Scopes};
    /// let granted = Scopes::parse("utm.constraint_processing utm.strategic_coordination");
    /// assert!(granted.satisfies(&[
    ///     &[scope::STRATEGIC_COORDINATION, scope::CONSTRAINT_PROCESSING],
    ///     &[scope::CONFORMANCE_MONITORING_SA],
    /// ]));
    /// assert!(!granted.satisfies(&[&[scope::CONSTRAINT_MANAGEMENT]]));
    /// ```
    pub fn satisfies(&self, alternatives: &[&[&str]]) -> bool {
        alternatives.iter().any(|all| all.iter().all(|s| self.has(s)))
    }

    /// The granted scopes, in lexical order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of distinct scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Scopes {
    /// Space-separated, as in the `scope` claim.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scopes {
    /// Collects scope names; an item holding whitespace counts as several.
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = BTreeSet::new();
        for item in iter {
            set.extend(item.as_ref().split_ascii_whitespace().map(str::to_owned));
        }
        Self(set)
    }
}
