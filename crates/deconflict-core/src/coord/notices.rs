//! Advance notice: when an operational intent is created, every other party
//! sharing an active line with its manager gets a notice (pushed at once as a
//! `notice.filed` event) and can acknowledge it. Less notice than the line's
//! `min_notice_s` is flagged `late`, told to both sides (`notice.late`) and
//! counted per party.

use std::collections::BTreeMap;

use super::events as ev;
use super::lines::{all_lines, touch_heartbeat};
use super::model::{LineState, Notice, NoticeStats};
use super::{Coord, MAX_LIST, SECOND_US, bad, decode, emit, kind, load, save};
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
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

fn notice_id(intent_id: &str, recipient: &str) -> String {
    format!("{intent_id}:{recipient}")
}

/// The advance-notice hook of intent creation, in the creating transaction:
/// one notice per party sharing an active line with the intent's manager
/// (over the line with the largest `min_notice_s` when there are several).
///
/// # Errors
/// `Store`.
pub fn on_intent_created(tx: &mut dyn Tx, ctx: &Ctx, intent: &OperationalIntent) -> Result<(), EngineError> {
    let giver = intent.manager.as_str();
    let mut strictest: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for line in all_lines(tx)? {
        if line.state != LineState::Active || !line.has(giver) {
            continue;
        }
        for p in line.parties.iter().filter(|p| p.as_str() != giver) {
            let e = strictest.entry(p.clone()).or_insert_with(|| (line.id.clone(), line.policy.min_notice_s));
            if line.policy.min_notice_s > e.1 {
                *e = (line.id.clone(), line.policy.min_notice_s);
            }
        }
    }
    if strictest.is_empty() {
        return Ok(());
    }
    let now = ctx.now.as_micros();
    let time_start = intent.time().start().as_micros();
    let intent_id = intent.id.to_string();
    let mut stats: NoticeStats = load(tx, kind::NOTICE_STATS, giver)?
        .unwrap_or_else(|| NoticeStats { party: giver.to_owned(), ..NoticeStats::default() });
    for (recipient, (line_id, min_notice_s)) in strictest {
        let late = time_start - now < min_notice_s * SECOND_US;
        let notice = Notice {
            intent_id: intent_id.clone(),
            line_id,
            giver: giver.to_owned(),
            recipient: recipient.clone(),
            filed_at_us: now,
            time_start_us: time_start,
            notified_at_us: now,
            min_notice_s,
            late,
            acked_at_us: None,
            acked_by_operator: None,
        };
        save(
            tx,
            kind::NOTICE,
            &notice_id(&intent_id, &recipient),
            &notice,
            (Some(&recipient), Some(giver)),
            None,
        )?;
        let both = [giver.to_owned(), recipient.clone()];
        let payload = ev::NoticeFiled {
            notice: &notice,
            intent: ev::NoticedIntent {
                id: &intent_id,
                manager: giver,
                time_start_us: time_start,
                time_end_us: intent.time().end().as_micros(),
                uss_base_url: intent.uss_base_url.as_str(),
            },
            notice_s: (time_start - now) / SECOND_US,
        };
        emit(tx, now, EventKind::NoticeFiled, giver, &intent_id, both.clone(), &payload)?;
        if late {
            emit(tx, now, EventKind::NoticeLate, giver, &intent_id, both, &payload)?;
            stats.late += 1;
        }
        stats.total += 1;
    }
    save(tx, kind::NOTICE_STATS, giver, &stats, (None, None), None)
}

impl Coord<'_> {
    /// Acknowledges the notice of intent `intent_id` to `ctx.caller`.
    ///
    /// # Errors
    /// `NotFound` (no such notice to the caller), `BadRequest` (operator), `Timeout`, `Store`.
    pub fn ack_notice(
        &self,
        ctx: &Ctx,
        intent_id: &str,
        operator: Option<&str>,
    ) -> Result<Notice, EngineError> {
        if let Some(o) = operator
            && (o.trim().is_empty() || o.chars().count() > 200 || o.chars().any(char::is_control))
        {
            return bad("operator must be 1 to 200 characters without control characters");
        }
        let (now, caller) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(ctx.deadline, |tx| {
            let id = notice_id(intent_id, &caller);
            let mut notice: Notice = load(tx, kind::NOTICE, &id)?.ok_or_else(|| {
                EngineError::NotFound(format!("no notice of operational intent {intent_id} to {caller}"))
            })?;
            if notice.acked_at_us.is_none() {
                notice.acked_at_us = Some(now);
                notice.acked_by_operator = operator.map(|o| o.trim().to_owned());
                save(tx, kind::NOTICE, &id, &notice, (Some(&caller), Some(&notice.giver)), None)?;
                touch_heartbeat(tx, &notice.line_id, &caller, now, "notice_ack")?;
                let both = [notice.giver.clone(), caller.clone()];
                let payload = ev::NoticeAcked { notice: &notice };
                emit(tx, now, EventKind::NoticeAcked, &caller, intent_id, both, &payload)?;
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
        self.engine.read_tx(|tx| {
            let mut received: Vec<Notice> = tx
                .records_by(kind::NOTICE, RecordKey::K1(caller), MAX_LIST)?
                .iter()
                .map(decode)
                .collect::<Result<_, _>>()?;
            let mut given: Vec<Notice> = tx
                .records_by(kind::NOTICE, RecordKey::K2(caller), MAX_LIST)?
                .iter()
                .map(decode)
                .collect::<Result<_, _>>()?;
            received.sort_by_key(|n| std::cmp::Reverse(n.filed_at_us));
            given.sort_by_key(|n| std::cmp::Reverse(n.filed_at_us));
            Ok(NoticeList { received, given })
        })
    }

    /// Late and total notices per giving party (for metrics).
    ///
    /// # Errors
    /// `Store`.
    pub fn notice_stats(&self) -> Result<Vec<NoticeStats>, EngineError> {
        self.engine.read_tx(|tx| {
            tx.records_by(kind::NOTICE_STATS, RecordKey::All, MAX_LIST)?.iter().map(decode).collect()
        })
    }
}
