//! The conformance rule: which intent volumes a track is checked against,
//! and who is told when it leaves them.
//!
//! The volumes are read from the strategic engine once per scan (on a
//! blocking thread). A track linked to an unknown intent is non-conforming
//! (`UnknownIntent`), and so is one linked to another party's intent: a
//! party cannot alert others through someone else's intent (the `FOREIGN`
//! rule). Besides the track's owner, the parties of intents that intersect
//! the linked intent are told; they are looked up with `query_intents` over
//! each extent and cached per intent version for at most [`RECIPIENTS_TTL_US`].

use std::collections::{BTreeSet, HashMap, HashSet};

use deconflict_core::{Ctx, Engine, EngineError, EntityId, PartyName};
use geom::{Time, Volume4D};
use tactical::conformance::{ConformanceAlert, IntentVolumes};
use tactical::{OperationKey, PartyId, TrackId, TrackState};
use uuid::Uuid;

use crate::LiveService;

/// How long the recipients of a non-conformance alert (intersecting intents'
/// parties) are cached for one intent version: 30 s.
pub const RECIPIENTS_TTL_US: i64 = 30_000_000;

/// Stands for "linked to another party's intent" in the monitor's input;
/// never a key of the intents map.
const FOREIGN: OperationKey = OperationKey([0xFF; 16]);

#[derive(Debug)]
struct CachedRecipients {
    version: i32,
    at: Time,
    parties: Vec<PartyName>,
}

/// Recipients found per intent, kept from scan to scan.
#[derive(Debug, Default)]
pub(crate) struct RecipientCache(HashMap<EntityId, CachedRecipients>);

#[derive(Debug)]
struct IntentInfo {
    owner: PartyName,
    extents: Vec<Volume4D>,
    recipients: Vec<PartyName>,
}

/// The intents tracks are linked to, as read this scan.
#[derive(Debug, Default)]
pub(crate) struct Intents(HashMap<OperationKey, IntentInfo>);

impl IntentVolumes for Intents {
    fn volumes(&self, key: &OperationKey) -> Option<&[Volume4D]> {
        self.0.get(key).map(|i| i.extents.as_slice())
    }
}

/// The input of one scan's conformance update.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Tracks linked to an intent, those linked to another party's intent
    /// relinked to `FOREIGN`.
    pub(crate) tracks: Vec<TrackState>,
    /// The intents found.
    pub(crate) intents: Intents,
    /// The intent each checked track really named.
    real_intent: HashMap<TrackId, OperationKey>,
}

impl Checked {
    /// The intent a track of `alert` named (not `FOREIGN`).
    pub(crate) fn intent_of(&self, alert: &ConformanceAlert) -> Uuid {
        Uuid::from_bytes(self.real_intent.get(&alert.state.id).copied().unwrap_or(alert.intent).0)
    }

    /// Who is told about `alert`: its owner, and unless the intent was
    /// another party's or unknown, the parties of intersecting intents.
    pub(crate) fn recipients(&self, alert: &ConformanceAlert, live: &LiveService) -> Vec<PartyId> {
        let mut recipients = vec![alert.owner()];
        if alert.intent != FOREIGN
            && let Some(info) = self.intents.0.get(&alert.intent)
        {
            recipients.extend(info.recipients.iter().map(|m| live.party(m)));
        }
        recipients.sort_unstable();
        recipients.dedup();
        recipients
    }
}

/// Reads the intents `tracks` are linked to and applies the `FOREIGN` rule.
pub(crate) async fn prepare(
    live: &LiveService,
    cache: &mut RecipientCache,
    tracks: &[TrackState],
    now: Time,
) -> Checked {
    let keys: BTreeSet<OperationKey> = tracks.iter().filter_map(|s| s.intent).collect();
    let (mut intents, failed) = fetch(live.engine(), cache, keys, now).await;
    intents.0.remove(&FOREIGN);
    let owners: HashMap<OperationKey, PartyId> =
        intents.0.iter().map(|(k, i)| (*k, live.party(&i.owner))).collect();
    let mut real_intent = HashMap::new();
    let checked = tracks
        .iter()
        .filter_map(|s| {
            let key = s.intent?;
            // A lookup that failed for a transient reason: counts as conforming this scan.
            if failed.contains(&key) {
                return None;
            }
            real_intent.insert(s.id, key);
            let mut s = *s;
            if owners.get(&key).is_some_and(|p| *p != s.party) {
                s.intent = Some(FOREIGN);
            }
            Some(s)
        })
        .collect();
    Checked { tracks: checked, intents, real_intent }
}

/// Reads the linked intents on a blocking thread. Returns the known ones and
/// the keys whose lookup failed for a transient reason.
async fn fetch(
    engine: &Engine,
    cache: &mut RecipientCache,
    keys: BTreeSet<OperationKey>,
    now: Time,
) -> (Intents, BTreeSet<OperationKey>) {
    if keys.is_empty() {
        cache.0.clear();
        return (Intents::default(), BTreeSet::new());
    }
    let engine = engine.clone();
    let mut owned = std::mem::take(cache);
    let all = keys.clone();
    match tokio::task::spawn_blocking(move || {
        let out = lookup(&engine, &mut owned, &keys, now);
        (owned, out)
    })
    .await
    {
        Ok((c, out)) => {
            *cache = c;
            out
        }
        Err(e) => {
            tracing::error!(error = %e, "intent lookup task failed");
            (Intents::default(), all)
        }
    }
}

fn lookup(
    engine: &Engine,
    cache: &mut RecipientCache,
    keys: &BTreeSet<OperationKey>,
    now: Time,
) -> (Intents, BTreeSet<OperationKey>) {
    let mut found = Intents::default();
    let mut failed = BTreeSet::new();
    let mut wanted = HashSet::new();
    for key in keys {
        let id = EntityId::from_uuid(Uuid::from_bytes(key.0));
        wanted.insert(id);
        match engine.intent(id) {
            Ok(view) => {
                let oi = view.intent;
                let recipients = recipients(engine, cache, &oi, now);
                found.0.insert(*key, IntentInfo { owner: oi.party, extents: oi.extents, recipients });
            }
            Err(EngineError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(intent = %id, error = %e, "cannot read a linked intent; conformance skipped this scan");
                failed.insert(*key);
            }
        }
    }
    cache.0.retain(|id, _| wanted.contains(id));
    (found, failed)
}

fn recipients(
    engine: &Engine,
    cache: &mut RecipientCache,
    oi: &deconflict_core::model::OperationalIntent,
    now: Time,
) -> Vec<PartyName> {
    if let Some(c) = cache.0.get(&oi.id)
        && c.version == oi.version
        && now.as_micros().saturating_sub(c.at.as_micros()) < RECIPIENTS_TTL_US
    {
        return c.parties.clone();
    }
    let ctx = Ctx::new(oi.party.clone(), now);
    let mut parties = BTreeSet::from([oi.party.clone()]);
    for extent in &oi.extents {
        match engine.query_intents(&ctx, extent) {
            Ok(views) => parties.extend(views.into_iter().map(|v| v.intent.party)),
            Err(e) => {
                tracing::warn!(intent = %oi.id, error = %e, "cannot find intents intersecting a linked intent")
            }
        }
    }
    let parties: Vec<PartyName> = parties.into_iter().collect();
    cache.0.insert(oi.id, CachedRecipients { version: oi.version, at: now, parties: parties.clone() });
    parties
}
