//! Webhook delivery state: one persisted cursor per party into the sealed
//! audit log, guarded by a lease so one replica at a time dispatches a party.
//! The HTTP side lives in the server; this module decides what to send next
//! and records what was delivered. Cursor updates append no events (they would
//! themselves have to be delivered); the deliveries they cause do.

use geom::Time;

use super::ids::MessageId;
use super::model::{DeliveryChannel, Party, WebhookCursor};
use super::{Coord, kind, load, load_all, save};
use crate::engine::EngineError;
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::records::RecordKey;
use crate::store::Tx;

/// The next entries to POST to a party's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookBatch {
    /// The party.
    pub party: PartyName,
    /// Its webhook URL.
    pub url: String,
    /// Its cursor before this batch.
    pub cursor: WebhookCursor,
    /// The entries concerning the party, in sequence order.
    pub entries: Vec<audit::Entry>,
    /// The last sequence number read (entries up to it that are not in
    /// `entries` do not concern the party).
    pub scanned_to: u64,
}

/// The lease name of a party's dispatcher.
pub fn lease_name(party: &PartyName) -> String {
    format!("webhook:{party}")
}

/// Delay before retry `attempts` (1 s, 2 s, 4 s … at most 60 s), in µs.
pub fn backoff_us(attempts: u32) -> i64 {
    let s = 1i64 << attempts.saturating_sub(1).min(6);
    s.min(60) * 1_000_000
}

fn cursor(tx: &mut dyn Tx, party: &PartyName) -> Result<WebhookCursor, EngineError> {
    Ok(load(tx, kind::WEBHOOK_CURSOR, party.as_str())?.unwrap_or_default())
}

impl Coord<'_> {
    /// The parties that have a webhook.
    ///
    /// # Errors
    /// `Store`.
    pub fn webhook_parties(&self) -> Result<Vec<Party>, EngineError> {
        self.runner.read(|tx| {
            let all: Vec<Party> = load_all(tx, kind::PARTY, RecordKey::All)?;
            Ok(all.into_iter().filter(|p| p.webhook_url.is_some()).collect())
        })
    }

    /// Takes (or renews) `party`'s dispatcher lease for `holder` and reads up to
    /// `scan` sealed entries after its cursor. `None` when another replica holds
    /// the lease, the party has no webhook, or a retry is not due yet.
    ///
    /// # Errors
    /// `Store`.
    pub fn webhook_batch(
        &self,
        party: &PartyName,
        holder: &str,
        now: Time,
        ttl_us: i64,
        scan: usize,
    ) -> Result<Option<WebhookBatch>, EngineError> {
        self.runner.write(&crate::txn::Deadline::NONE, |tx| {
            let Some(p) = load::<Party>(tx, kind::PARTY, party.as_str())? else { return Ok(None) };
            let Some(url) = p.webhook_url else { return Ok(None) };
            if !tx.acquire_lease(&lease_name(party), holder, now, ttl_us)? {
                return Ok(None);
            }
            let cursor = cursor(tx, party)?;
            if cursor.next_attempt > now {
                return Ok(None);
            }
            let read = tx.sealed_after(cursor.seq, scan)?;
            let scanned_to = read.last().map_or(cursor.seq, |e| e.seq);
            let entries = read.into_iter().filter(|e| e.concerns(party.as_str())).collect();
            Ok(Some(WebhookBatch { party: party.clone(), url, cursor, entries, scanned_to }))
        })
    }

    /// Records the outcome of POSTing `batch`: the entries in `delivered` (a
    /// prefix of `batch.entries`) were acknowledged with 2xx; `error` is why the
    /// next one failed, if one did. Moves the cursor forward (never back), sets
    /// the retry time, and marks the messages delivered by webhook. Nothing is
    /// written if the lease was lost meanwhile, and nothing counts as
    /// delivered unless `batch.url` is still the party's own webhook: a 2xx
    /// from an endpoint the party no longer names is no receipt of the party.
    ///
    /// # Errors
    /// `Store`.
    pub fn webhook_done(
        &self,
        batch: &WebhookBatch,
        holder: &str,
        now: Time,
        ttl_us: i64,
        delivered: usize,
        error: Option<&str>,
    ) -> Result<(), EngineError> {
        let party = &batch.party;
        self.runner.write(&crate::txn::Deadline::NONE, |tx| {
            if !tx.acquire_lease(&lease_name(party), holder, now, ttl_us)? {
                return Ok(());
            }
            let current = load::<Party>(tx, kind::PARTY, party.as_str())?.and_then(|p| p.webhook_url);
            if current.as_deref() != Some(batch.url.as_str()) {
                return Ok(()); // changed meanwhile: the next batch goes to the new URL
            }
            let mut c = cursor(tx, party)?;
            let done = &batch.entries[..delivered.min(batch.entries.len())];
            for e in done {
                if EventKind::parse(&e.kind) == Some(EventKind::MessageSent)
                    && let Some(message_id) = e.subject.as_deref().and_then(|s| MessageId::parse(s).ok())
                {
                    let via = DeliveryChannel::Webhook;
                    super::messages::mark_delivered_tx(tx, now, party, message_id, via)?;
                }
            }
            let reached = match (error, batch.entries.get(delivered)) {
                (Some(_), Some(failed)) => failed.seq.saturating_sub(1),
                _ => batch.scanned_to,
            };
            c.seq = c.seq.max(reached);
            match error {
                Some(err) => {
                    c.attempts = c.attempts.saturating_add(1);
                    c.next_attempt = now.saturating_add_micros(backoff_us(c.attempts));
                    c.last_error = Some(err.chars().take(500).collect());
                }
                None => {
                    c.attempts = 0;
                    c.next_attempt = super::stored::epoch();
                    c.last_error = None;
                }
            }
            save(tx, kind::WEBHOOK_CURSOR, party.as_str(), &c, (None, None), None)
        })
    }

    /// A party's webhook cursor.
    ///
    /// # Errors
    /// `Store`.
    pub fn webhook_cursor(&self, party: &PartyName) -> Result<WebhookCursor, EngineError> {
        self.runner.read(|tx| cursor(tx, party))
    }
}
