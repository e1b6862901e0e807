//! Advance notice: when an operational intent is created, every other party
//! sharing an active line with its owner gets a notice (pushed at once as a
//! `notice.filed` event) and can acknowledge it. Less notice than the line's
//! `min_notice_s` is flagged `late`, told to both sides (`notice.late`) and
//! counted per party.
//!
//! A notice's record id is a UUIDv7, so a party's notices list newest first;
//! a `notice_key` record finds it from its intent and recipient. Notices
//! written before that are named `{intent}:{recipient}` and still found.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events as ev;
use super::ids::{LineId, NoticeId};
use super::lines::{all_lines, touch_heartbeat};
use super::model::{HeartbeatSource, LineState, Notice, NoticeStats};
use super::{Coord, bad, emit, kind, load, load_all, save};
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::{EntityId, PartyName};
use crate::model::OperationalIntent;
use crate::records::RecordKey;
use crate::store::Tx;

/// A party's notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeList {
    /// Notices of other parties' operations, newest first.
    pub received: Vec<Notice>,
    /// Notices of the party's own operations, newest first.
    pub given: Vec<Notice>,
}

/// Body of a `notice_key` record.
#[derive(Debug, Serialize, Deserialize)]
struct NoticeKey {
    notice_id: NoticeId,
}

/// The id of the `notice_key` record (and of notices written before it).
fn notice_key(intent_id: EntityId, recipient: &PartyName) -> String {
    format!("{intent_id}:{recipient}")
}

fn save_notice(tx: &mut dyn Tx, id: &str, notice: &Notice) -> Result<(), EngineError> {
    let keys = (Some(notice.recipient.as_str()), Some(notice.giver.as_str()));
    save(tx, kind::NOTICE, id, notice, keys, None)
}

/// The advance-notice hook of intent creation, in the creating transaction:
/// one notice per party sharing an active line with the intent's owner
/// (over the line with the largest `min_notice_s` when there are several).
///
/// # Errors
/// `Store`.
pub(crate) fn on_intent_created(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    intent: &OperationalIntent,
) -> Result<(), EngineError> {
    let giver = &intent.party;
    let mut strictest: BTreeMap<PartyName, (LineId, i64)> = BTreeMap::new();
    for line in all_lines(tx)? {
        if line.state != LineState::Active || !line.has(giver) {
            continue;
        }
        for p in line.parties.iter().filter(|p| *p != giver) {
            let e = strictest.entry(p.clone()).or_insert_with(|| (line.id.clone(), line.policy.min_notice_s));
            if line.policy.min_notice_s > e.1 {
                *e = (line.id.clone(), line.policy.min_notice_s);
            }
        }
    }
    if strictest.is_empty() {
        return Ok(());
    }
    let now = ctx.now;
    let time_start = intent.time().start();
    let notice_us = time_start.as_micros().saturating_sub(now.as_micros());
    let mut stats: NoticeStats = load(tx, kind::NOTICE_STATS, giver.as_str())?
        .unwrap_or_else(|| NoticeStats { party: giver.clone(), late: 0, total: 0 });
    for (recipient, (line_id, min_notice_s)) in strictest {
        let late = notice_us < min_notice_s.saturating_mul(1_000_000);
        let notice = Notice {
            intent_id: intent.id,
            line_id,
            giver: giver.clone(),
            recipient: recipient.clone(),
            filed_at: now,
            time_start,
            notified_at: now,
            min_notice_s,
            late,
            acked_at: None,
            acked_by_operator: None,
        };
        let id = NoticeId::new();
        save_notice(tx, &id.to_string(), &notice)?;
        let key = NoticeKey { notice_id: id };
        save(tx, kind::NOTICE_KEY, &notice_key(intent.id, &recipient), &key, (None, None), None)?;
        let both = [giver, &recipient];
        let payload = ev::NoticeFiled {
            notice: &notice,
            intent: ev::NoticedIntent {
                id: intent.id,
                party: giver,
                time_start,
                time_end: intent.time().end(),
                uss_base_url: intent.uss_base_url.as_str(),
            },
            notice_s: notice_us / 1_000_000,
        };
        emit(tx, now, EventKind::NoticeFiled, giver, intent.id, both, &payload)?;
        if late {
            emit(tx, now, EventKind::NoticeLate, giver, intent.id, both, &payload)?;
            stats.late += 1;
        }
        stats.total += 1;
    }
    save(tx, kind::NOTICE_STATS, giver.as_str(), &stats, (None, None), None)
}

impl Coord<'_> {
    /// Acknowledges the notice of intent `intent_id` to `ctx.caller`.
    ///
    /// # Errors
    /// `NotFound` (no such notice to the caller), `BadRequest` (operator), `Timeout`, `Store`.
    pub fn ack_notice(
        &self,
        ctx: &Ctx,
        intent_id: EntityId,
        operator: Option<&str>,
    ) -> Result<Notice, EngineError> {
        if let Some(o) = operator
            && (o.trim().is_empty() || o.chars().count() > 200 || o.chars().any(char::is_control))
        {
            return bad("operator must be 1 to 200 characters without control characters");
        }
        let (now, caller) = (ctx.now, &ctx.caller);
        self.runner.write(&ctx.deadline, |tx| {
            let key = notice_key(intent_id, caller);
            let id = match load::<NoticeKey>(tx, kind::NOTICE_KEY, &key)? {
                Some(k) => k.notice_id.to_string(),
                None => key, // written before notice keys
            };
            let mut notice: Notice = load(tx, kind::NOTICE, &id)?.ok_or_else(|| {
                EngineError::NotFound(format!("no notice of operational intent {intent_id} to {caller}"))
            })?;
            if notice.acked_at.is_none() {
                notice.acked_at = Some(now);
                notice.acked_by_operator = operator.map(|o| o.trim().to_owned());
                save_notice(tx, &id, &notice)?;
                touch_heartbeat(tx, &notice.line_id, caller, now, HeartbeatSource::NoticeAck)?;
                let both = [&notice.giver, caller];
                let payload = ev::NoticeAcked { notice: &notice };
                emit(tx, now, EventKind::NoticeAcked, caller, intent_id, both, &payload)?;
            }
            Ok(notice)
        })
    }

    /// The notices `ctx.caller` received and gave.
    ///
    /// # Errors
    /// `Store`.
    pub fn notices(&self, ctx: &Ctx) -> Result<NoticeList, EngineError> {
        let caller = ctx.caller.as_str();
        self.runner.read(|tx| {
            let mut received: Vec<Notice> = load_all(tx, kind::NOTICE, RecordKey::K1(caller))?;
            let mut given: Vec<Notice> = load_all(tx, kind::NOTICE, RecordKey::K2(caller))?;
            received.sort_by_key(|n| std::cmp::Reverse(n.filed_at));
            given.sort_by_key(|n| std::cmp::Reverse(n.filed_at));
            Ok(NoticeList { received, given })
        })
    }

    /// Late and total notices per giving party (for metrics).
    ///
    /// # Errors
    /// `Store`.
    pub fn notice_stats(&self) -> Result<Vec<NoticeStats>, EngineError> {
        self.runner.read(|tx| load_all(tx, kind::NOTICE_STATS, RecordKey::All))
    }
}
