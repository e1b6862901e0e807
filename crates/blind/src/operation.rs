//! An operation's token set: computing, padding, matching, decoding.

use std::collections::{BTreeMap, HashSet};

use geom::Volume4D;
use rand::CryptoRng;

use crate::token::prf;
use crate::{BlindError, Epoch, LineKey, LinePolicy, Place, Token, cover};

/// The owner's view of a blind operation: the padded token set it publishes,
/// and which place each of its real tokens stands for (kept by the owner,
/// never published).
#[derive(Debug, Clone)]
pub struct BlindOperation {
    published: Vec<Token>,
    origins: BTreeMap<Token, Place>,
}

impl BlindOperation {
    /// Tokens of the volumes (as [`crate`] docs describe), padded with
    /// random tokens from `rng` to the next power of two (at least the
    /// policy's `min_tokens`), sorted so that padding is not told apart by
    /// position.
    ///
    /// # Errors
    /// [`BlindError::NoVolumes`]; [`BlindError::AreaTooLarge`] if the sum of
    /// the footprints' areas is over the policy's `max_area_m2`;
    /// [`BlindError::TooManyTokens`] over its `max_tokens`.
    pub fn new(
        key: &LineKey,
        epoch: Epoch,
        policy: &LinePolicy,
        volumes: &[Volume4D],
        rng: &mut impl CryptoRng,
    ) -> Result<Self, BlindError> {
        let p = policy.params();
        if volumes.is_empty() {
            return Err(BlindError::NoVolumes);
        }
        let area: f64 = volumes.iter().map(|v| v.footprint().area_m2()).sum();
        if area > p.max_area_m2 {
            return Err(BlindError::AreaTooLarge { area_km2: area / 1e6, max_km2: p.max_area_m2 / 1e6 });
        }
        let origins: BTreeMap<Token, Place> = cover::places(volumes, policy)?
            .into_iter()
            .map(|place| (prf(key, epoch, policy, place), place))
            .collect();
        let size = origins.len().next_power_of_two().max(p.min_tokens);
        let mut published: Vec<Token> = origins.keys().copied().collect();
        while published.len() < size {
            let mut t = [0_u8; 32];
            rng.fill_bytes(&mut t);
            published.push(Token(t));
        }
        published.sort_unstable();
        Ok(BlindOperation { published, origins })
    }

    /// The padded, sorted token set to publish.
    #[must_use]
    pub fn tokens(&self) -> &[Token] {
        &self.published
    }

    /// How many of the published tokens are real (the rest is padding).
    #[must_use]
    pub fn real_count(&self) -> usize {
        self.origins.len()
    }

    /// The place one of this operation's own tokens stands for; `None` for
    /// padding and for tokens that are not its own.
    #[must_use]
    pub fn decode(&self, token: &Token) -> Option<Place> {
        self.origins.get(token).copied()
    }
}

/// The tokens of `mine` that also appear in `theirs`, sorted and
/// deduplicated: what the service finds by token equality and tells the
/// owner of `mine`.
#[must_use]
pub fn matches(mine: &[Token], theirs: &[Token]) -> Vec<Token> {
    let theirs: HashSet<&Token> = theirs.iter().collect();
    let mut out: Vec<Token> = mine.iter().filter(|t| theirs.contains(t)).copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}
