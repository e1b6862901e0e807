//! Retention of history, decided here once for every backend: coordination
//! records older than the retention period are deleted and the bodies of old
//! audit entries are forgotten, while the chain stays verifiable. Stores only
//! list records by id ([`Tx::records_after`]) and empty the entries they are
//! told to ([`Tx::forget_sealed`]).
//!
//! With `cutoff = now - keep`:
//! - a **message** sent before the cutoff goes with its deliveries and its
//!   idempotency key — unless one of its deliveries still awaits an
//!   acknowledgement that has a deadline (urgent and flash messages until
//!   acknowledged), or it belongs to a communication check still open: those
//!   are kept whatever their age, so retention never hides what someone still
//!   owes an answer to;
//! - a **check** that is over (passed or failed) and started before the
//!   cutoff goes; an open one stays;
//! - a **notice** given before the cutoff goes (notices have no deadline);
//! - a **conflict thread** last posted to before the cutoff goes (a later
//!   conflict of the same pair opens a new thread);
//! - the **audit entries** timestamped before the cutoff, and before the
//!   oldest message kept for want of an acknowledgement, lose their bodies
//!   (actor, kind, subject, parties, payload): always a prefix of the log, so
//!   how far it reaches is one number, kept in the record
//!   `audit_retention`/`forgotten`. Their `seq`, timestamp, salt, `prev_hash`
//!   and `hash` stay: every export still carries their links, so the chain
//!   and every checkpoint still verify, and the sealer, which signs the head
//!   in the same transaction as it seals, has signed every one of them.
//!   Forgotten entries are shown to nobody in full ([`audit_slice`]).
//!
//! Parties, lines, heartbeats, notice statistics and webhook cursors are
//! current state, not history, and are never purged; F3548 reports have their
//! own retention ([`crate::reports`]). A pass that purged anything appends a
//! `retention.applied` event (seen by auditors only), so the log records its
//! own retention. Nothing here is reachable through the API: only the
//! server's background task runs it.

use geom::Time;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::coord::model::{Check, CheckResult, Delivery, Message, Notice};
use crate::coord::{ConflictThreadState, decode, emit, kind, load, save};
use crate::engine::{Deadline, Engine, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::records::RecordKey;
use crate::store::{StoreError, Tx};

/// Record kind of what retention keeps about itself.
pub const KIND: &str = "audit_retention";
/// Id of the record saying how far audit bodies were forgotten.
const FORGOTTEN: &str = "forgotten";
/// The event a pass that purged anything appends.
pub const RETENTION_APPLIED: EventKind = EventKind::RetentionApplied;

/// Records (or entries) handled per transaction.
const BATCH: usize = 500;

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryPurge {
    /// Messages deleted (with their deliveries and idempotency keys).
    pub messages: u64,
    /// Deliveries deleted.
    pub deliveries: u64,
    /// Messages older than the cutoff kept because a delivery awaits an acknowledgement.
    pub messages_kept: u64,
    /// Finished checks deleted.
    pub checks: u64,
    /// Notices deleted.
    pub notices: u64,
    /// Conflict threads deleted.
    pub threads: u64,
    /// Audit entries whose bodies were forgotten in this pass.
    pub entries: u64,
    /// Every audit entry up to this sequence number has lost its body (0: none).
    pub forgotten_through: u64,
}

impl HistoryPurge {
    fn anything(&self) -> bool {
        self.messages + self.checks + self.notices + self.threads + self.entries > 0
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Forgotten {
    through: u64,
}

/// Every audit entry up to this sequence number has lost its body (0: none).
///
/// # Errors
/// The store's error, or a corrupt record.
pub fn forgotten_through(tx: &mut dyn Tx) -> Result<u64, EngineError> {
    Ok(load::<Forgotten>(tx, KIND, FORGOTTEN)?.map_or(0, |f| f.through))
}

/// The slice of `entries` (contiguous, ascending) to show: every link, and in
/// full those that are `visible` and were not forgotten.
pub fn audit_slice(
    entries: &[audit::Entry],
    checkpoints: &[audit::Checkpoint],
    forgotten_through: u64,
    visible: impl Fn(&audit::Entry) -> bool,
) -> audit::Slice {
    audit::Slice::filtered(entries, checkpoints, |e| e.seq > forgotten_through && visible(e))
}

/// Whether a delivery still awaits an acknowledgement that has a deadline.
fn awaits_ack(d: &Delivery) -> bool {
    d.acked_at.is_none() && d.ack_deadline.is_some()
}

/// Whether an answer to `m` is still awaited: for the message of a
/// communication check, while the check is open; for any other, while one of
/// its deliveries awaits an acknowledgement that has a deadline.
fn awaited(tx: &mut dyn Tx, m: &Message, deliveries: &[Delivery]) -> Result<bool, EngineError> {
    match &m.check_id {
        Some(id) => {
            Ok(load::<Check>(tx, kind::CHECK, &id.to_string())?
                .is_some_and(|c| c.result == CheckResult::Open))
        }
        None => Ok(deliveries.iter().any(awaits_ack)),
    }
}

impl Engine {
    /// Applies retention at `now`, keeping `keep_us` µs of history (see the
    /// module docs). Each batch is its own transaction.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails (batches already
    /// committed stay purged).
    pub fn purge_history(&self, now: Time, keep_us: i64) -> Result<HistoryPurge, EngineError> {
        let cutoff = now.saturating_add_micros(-keep_us.max(0));
        let mut out = HistoryPurge::default();
        let oldest_kept = self.purge_messages(cutoff, &mut out)?;
        out.checks = self.purge_scan(kind::CHECK, |r| {
            let c: Check = decode(r)?;
            Ok(c.result != CheckResult::Open && c.started_at < cutoff)
        })?;
        out.notices = self.purge_scan(kind::NOTICE, |r| Ok(decode::<Notice>(r)?.notified_at < cutoff))?;
        out.threads = self.purge_scan(kind::CONFLICT_THREAD, |r| {
            Ok(decode::<ConflictThreadState>(r)?.last_posted < cutoff)
        })?;
        let audit_cutoff = oldest_kept.map_or(cutoff, |t| t.min(cutoff));
        self.forget_entries(audit_cutoff, &mut out)?;
        if out.anything() {
            let payload = json!({
                "cutoff_us": cutoff.as_micros(),
                "forgotten_through": out.forgotten_through,
                "entries": out.entries,
                "messages": out.messages,
                "messages_kept": out.messages_kept,
                "checks": out.checks,
                "notices": out.notices,
                "threads": out.threads,
            });
            self.write(&Deadline::NONE, |tx| {
                emit(tx, now, RETENTION_APPLIED, &PartyName::service(), KIND, std::iter::empty(), &payload)
            })?;
        }
        Ok(out)
    }

    /// Deletes old messages that await nothing; returns when the oldest kept one was sent.
    fn purge_messages(&self, cutoff: Time, out: &mut HistoryPurge) -> Result<Option<Time>, EngineError> {
        let mut after = String::new();
        let mut oldest_kept: Option<Time> = None;
        loop {
            // Message ids are UUIDv7: listing by id is listing by age.
            let (counts, next, done) = self.write(&Deadline::NONE, |tx| {
                let page = tx.records_after(kind::MESSAGE, &after, BATCH)?;
                let (mut deleted, mut deliveries, mut kept, mut oldest) = (0, 0, 0, None::<Time>);
                let mut next = after.clone();
                let mut done = page.len() < BATCH;
                for r in &page {
                    let m: Message = decode(r)?;
                    if m.sent_at >= cutoff {
                        done = true;
                        break;
                    }
                    next.clone_from(&r.id);
                    let ds = tx.records_by(
                        kind::DELIVERY,
                        RecordKey::K2(&m.id.to_string()),
                        crate::coord::MAX_LIST,
                    )?;
                    let ds = ds.iter().map(decode::<Delivery>).collect::<Result<Vec<_>, _>>()?;
                    if awaited(tx, &m, &ds)? {
                        kept += 1;
                        oldest = Some(oldest.map_or(m.sent_at, |o| o.min(m.sent_at)));
                        continue;
                    }
                    for d in &ds {
                        tx.delete_record(kind::DELIVERY, &crate::coord::delivery_id(m.id, &d.recipient))?;
                    }
                    if let Some(k) = &m.idempotency_key {
                        tx.delete_record(kind::MESSAGE_KEY, &crate::coord::key_id(&m.sender, k))?;
                    }
                    tx.delete_record(kind::MESSAGE, &m.id.to_string())?;
                    deleted += 1;
                    deliveries += ds.len() as u64;
                }
                Ok(((deleted, deliveries, kept, oldest), next, done))
            })?;
            let (deleted, deliveries, kept, oldest) = counts;
            out.messages += deleted;
            out.deliveries += deliveries;
            out.messages_kept += kept;
            if let Some(t) = oldest {
                oldest_kept = Some(oldest_kept.map_or(t, |o| o.min(t)));
            }
            if done {
                return Ok(oldest_kept);
            }
            after = next;
        }
    }

    /// Deletes every record of `kind` for which `old` says so; how many.
    fn purge_scan(
        &self,
        kind: &str,
        old: impl Fn(&crate::records::Record) -> Result<bool, EngineError>,
    ) -> Result<u64, EngineError> {
        let mut after = String::new();
        let mut total = 0;
        loop {
            let (n, next, done) = self.write(&Deadline::NONE, |tx| {
                let page = tx.records_after(kind, &after, BATCH)?;
                let mut n = 0;
                for r in &page {
                    if old(r)? {
                        tx.delete_record(kind, &r.id)?;
                        n += 1;
                    }
                }
                Ok((n, page.last().map(|r| r.id.clone()), page.len() < BATCH))
            })?;
            total += n;
            match next {
                Some(next) if !done => after = next,
                _ => return Ok(total),
            }
        }
    }

    /// Forgets the bodies of the entries timestamped before `cutoff`, a batch
    /// per transaction, moving the `forgotten` mark with them.
    fn forget_entries(&self, cutoff: Time, out: &mut HistoryPurge) -> Result<(), EngineError> {
        loop {
            let (n, through, more) = self.write(&Deadline::NONE, |tx| {
                let from = forgotten_through(tx)?;
                let page = tx.sealed_after(from, BATCH)?;
                let old = page.iter().take_while(|e| e.timestamp < cutoff.as_micros()).count();
                let Some(last) = old.checked_sub(1).map(|i| page[i].seq) else {
                    return Ok((0, from, false));
                };
                let n = tx.forget_sealed(from, last)?;
                if n != old as u64 {
                    return Err(EngineError::Store(StoreError::Corrupt(format!(
                        "audit entries {}..={last}: {n} forgotten, {old} expected",
                        from + 1
                    ))));
                }
                save(tx, KIND, FORGOTTEN, &Forgotten { through: last }, (None, None), None)?;
                Ok((n, last, old == BATCH))
            })?;
            out.entries += n;
            out.forgotten_through = through;
            if !more {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
