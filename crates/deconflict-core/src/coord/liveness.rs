//! Communication checks: every active (or dead) line sends a `comm_check`
//! message to all its parties every `liveness_interval_s`; each must
//! acknowledge it within `liveness_deadline_s`. A check every party
//! acknowledged passes (at the last acknowledgement); one past its deadline
//! fails, naming who was silent, and marks the line dead until a check passes.
//! Exercise checks run on demand, are flagged in every record and event, and
//! never change the line's state.

use geom::Time;

use super::events as ev;
use super::ids::{CheckId, LineId, MessageId};
use super::lines::{line_for, save_line};
use super::messages::post;
use super::model::{Check, CheckResult, Line, LineState, Message, MessageKind, Priority, Refs};
use super::page::{self, Page};
use super::{Coord, decode, emit, kind, load, plus_s, save};
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::records::{Record, RecordKey};
use crate::store::Tx;

/// What one liveness pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LivenessReport {
    /// Checks started.
    pub started: usize,
    /// Checks that failed at their deadline.
    pub failed: usize,
}

const BATCH: usize = 100;

fn save_check(tx: &mut dyn Tx, c: &Check) -> Result<(), EngineError> {
    let due = (c.result == CheckResult::Open).then_some(c.deadline);
    save(tx, kind::CHECK, &c.id.to_string(), c, (Some(c.line_id.as_str()), None), due)
}

/// Starts a check of `line` now.
fn start_check(
    tx: &mut dyn Tx,
    line: &Line,
    now: Time,
    exercise: bool,
    actor: &PartyName,
) -> Result<Check, EngineError> {
    let (check_id, message_id) = (CheckId::new(), MessageId::new());
    let deadline_s = line.policy.liveness_deadline_s;
    let prefix = if exercise { "EXERCISE EXERCISE EXERCISE. " } else { "" };
    let suffix = if exercise { " Test data: no operational meaning." } else { "" };
    let message = Message {
        id: message_id,
        line_id: line.id.clone(),
        thread_id: message_id,
        reply_to: None,
        kind: MessageKind::CommCheck,
        sender: PartyName::service(),
        recipients: line.parties.clone(),
        priority: Priority::Urgent,
        text: format!(
            "{prefix}COMMUNICATION CHECK of line {} ({}): every party acknowledge within {deadline_s} s.{suffix}",
            line.id, line.name
        ),
        refs: Refs::default(),
        template: None,
        fields: Default::default(),
        idempotency_key: None,
        check_id: Some(check_id),
        exercise,
        sent_at: now,
    };
    post(tx, line, &message)?;
    let check = Check {
        id: check_id,
        line_id: line.id.clone(),
        message_id,
        exercise,
        started_at: now,
        deadline: plus_s(now, deadline_s),
        parties: line.parties.clone(),
        acks: Default::default(),
        result: CheckResult::Open,
        failed: Vec::new(),
        finished_at: None,
    };
    save_check(tx, &check)?;
    let payload = ev::CheckStarted { check: &check };
    emit(tx, now, EventKind::CheckStarted, actor, check_id, &line.parties, &payload)?;
    Ok(check)
}

/// Decides a check: passed if everyone acknowledged, failed otherwise; moves
/// the line between active and dead (not for exercises).
fn finish(tx: &mut dyn Tx, mut check: Check, now: Time) -> Result<CheckResult, EngineError> {
    check.failed = check.parties.iter().filter(|p| !check.acks.contains_key(*p)).cloned().collect();
    check.result = if check.failed.is_empty() { CheckResult::Passed } else { CheckResult::Failed };
    check.finished_at = Some(now);
    save_check(tx, &check)?;
    let passed = check.result == CheckResult::Passed;
    let kind_name = if passed { EventKind::CheckPassed } else { EventKind::CheckFailed };
    let payload = ev::CheckDecided {
        check_id: check.id,
        line_id: &check.line_id,
        exercise: check.exercise,
        started_at: check.started_at,
        deadline: check.deadline,
        acks: &check.acks,
        failed: &check.failed,
    };
    let service = PartyName::service();
    emit(tx, now, kind_name, &service, check.id, &check.parties, &payload)?;
    if check.exercise {
        return Ok(check.result);
    }
    let Some(mut line) = load::<Line>(tx, kind::LINE, check.line_id.as_str())? else {
        return Ok(check.result);
    };
    let change = match (&line.state, passed) {
        (LineState::Active, false) => {
            Some((LineState::Dead { since: now, failed_check: check.id }, EventKind::LineDead))
        }
        (LineState::Dead { .. }, true) => Some((LineState::Active, EventKind::LineAlive)),
        _ => None,
    };
    if let Some((state, event)) = change {
        let before = line.state.clone();
        line.state = state;
        line.updated_at = now;
        save_line(tx, &line)?;
        let payload = ev::LineLiveness {
            line_id: &line.id,
            check_id: check.id,
            failed: &check.failed,
            state: &line.state,
            state_before: &before,
        };
        emit(tx, now, event, &service, &line.id, &line.parties, &payload)?;
    }
    Ok(check.result)
}

/// Records `party`'s acknowledgement of check `check_id`; the last one passes it.
pub(crate) fn record_ack(
    tx: &mut dyn Tx,
    check_id: CheckId,
    party: &PartyName,
    now: Time,
) -> Result<(), EngineError> {
    let Some(mut check) = load::<Check>(tx, kind::CHECK, &check_id.to_string())? else { return Ok(()) };
    if check.result != CheckResult::Open || now > check.deadline {
        // Too late to count; the log still has the acknowledgement event.
        return Ok(());
    }
    check.acks.insert(party.clone(), now);
    if check.parties.iter().all(|p| check.acks.contains_key(p)) {
        finish(tx, check, now)?;
    } else {
        save_check(tx, &check)?;
    }
    Ok(())
}

impl Coord<'_> {
    /// Fails the open checks past their deadline, then starts the checks of
    /// every line that is due.
    ///
    /// # Errors
    /// `Store`.
    pub fn liveness_due(&self, now: Time) -> Result<LivenessReport, EngineError> {
        let mut report = LivenessReport::default();
        loop {
            let (n, failed) = self.engine.write_tx(&crate::engine::Deadline::NONE, |tx| {
                let due = tx.records_due(kind::CHECK, now, BATCH)?;
                let mut failed = 0;
                for r in &due {
                    let check: Check = decode(r)?;
                    if check.result == CheckResult::Open && finish(tx, check, now)? == CheckResult::Failed {
                        failed += 1;
                    }
                }
                Ok((due.len(), failed))
            })?;
            report.failed += failed;
            if n < BATCH {
                break;
            }
        }
        loop {
            let n = self.engine.write_tx(&crate::engine::Deadline::NONE, |tx| {
                let due = tx.records_due(kind::LINE, now, BATCH)?;
                for r in &due {
                    let mut line: Line = decode(r)?;
                    if matches!(line.state, LineState::Suspended { .. }) {
                        line.next_check = None;
                    } else {
                        start_check(tx, &line, now, false, &PartyName::service())?;
                        line.next_check = Some(plus_s(now, line.policy.liveness_interval_s));
                    }
                    save_line(tx, &line)?;
                }
                Ok(due.len())
            })?;
            report.started += n;
            if n < BATCH {
                return Ok(report);
            }
        }
    }

    /// Runs an exercise check of line `id` now (by a party on it): the same as
    /// a real check, flagged `exercise`, without effect on the line's state.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Stale` (suspended line, 409), `Timeout`, `Store`.
    pub fn start_exercise(&self, ctx: &Ctx, id: &LineId) -> Result<Check, EngineError> {
        self.engine.write_tx(&ctx.deadline, |tx| {
            let line = line_for(tx, id, &ctx.caller)?;
            if let LineState::Suspended { by, why, .. } = &line.state {
                return Err(EngineError::Stale(format!("line {id} is suspended by {by}: {why}")));
            }
            start_check(tx, &line, ctx.now, true, &ctx.caller)
        })
    }

    /// The checks of line `id`, newest first, at most `limit`, below check
    /// `before` if given.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn checks(
        &self,
        ctx: &Ctx,
        id: &LineId,
        before: Option<CheckId>,
        limit: usize,
    ) -> Result<Page<Check, CheckId>, EngineError> {
        self.engine.read_tx(|tx| {
            super::lines::readable_line(tx, ctx, id)?;
            let list = (kind::CHECK, RecordKey::K1(id.as_str()));
            let keep = |_: &mut dyn Tx, r: &Record| decode(r).map(Some);
            page::newest_first(tx, list, before.map(|c| c.to_string()), limit, keep, |c: &Check| c.id)
        })
    }
}
