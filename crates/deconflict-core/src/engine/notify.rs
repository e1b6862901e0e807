//! Which subscriptions a change concerns, with their incremented notification
//! indexes, grouped by base URL as F3548 `SubscriberToNotify`.

use std::collections::BTreeMap;

use geom::{Time, Volume4D};

use super::EngineError;
use crate::ids::{SubscriptionId, UssBaseUrl};
use crate::model::extents_intersect;
use crate::store::{AreaQuery, Tx};

/// One base URL to notify and the subscriptions there, each with the
/// notification index to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberToNotify {
    /// Where the notifications go.
    pub uss_base_url: UssBaseUrl,
    /// Subscription ids and their new notification indexes.
    pub subscriptions: Vec<(SubscriptionId, i32)>,
}

/// What changed: intents or constraints (subscriptions opt into each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    Intents,
    Constraints,
}

/// The subscriptions told of a change, and their parties (who may see the event).
#[derive(Debug, Clone, Default)]
pub(super) struct Notified {
    pub subscribers: Vec<SubscriberToNotify>,
    pub parties: Vec<String>,
}

/// Finds every live subscription whose volumes intersect `old` or `new` and that
/// wants `topic`, increments its notification index in the store, and returns
/// them grouped by base URL (sorted, for stable output). The caller's own
/// subscriptions are included, as F3548 requires.
pub(super) fn notify(
    tx: &mut dyn Tx,
    topic: Topic,
    old: &[Volume4D],
    new: &[Volume4D],
    now: Time,
) -> Result<Notified, EngineError> {
    let changed: Vec<Volume4D> = old.iter().chain(new).cloned().collect();
    if changed.is_empty() {
        return Ok(Notified::default());
    }
    let mut parties = Vec::new();
    let area = AreaQuery::new(&changed);
    let mut groups: BTreeMap<UssBaseUrl, Vec<(SubscriptionId, i32)>> = BTreeMap::new();
    for sub in tx.subscriptions_in(&area)? {
        let wants = match topic {
            Topic::Intents => sub.notify_for_intents,
            Topic::Constraints => sub.notify_for_constraints,
        };
        if !wants || sub.time().end() <= now || !extents_intersect(&sub.extents, &changed) {
            continue;
        }
        // An atomic increment: concurrent writers elsewhere in a large
        // subscription's area bump the same counter.
        let Some(index) = tx.bump_notification_index(sub.id)? else { continue };
        parties.push(sub.party.to_string());
        groups.entry(sub.uss_base_url.clone()).or_default().push((sub.id, index));
    }
    let subscribers = groups
        .into_iter()
        .map(|(uss_base_url, mut subscriptions)| {
            subscriptions.sort();
            SubscriberToNotify { uss_base_url, subscriptions }
        })
        .collect();
    parties.sort_unstable();
    parties.dedup();
    Ok(Notified { subscribers, parties })
}
