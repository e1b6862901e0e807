//! The hotline: sending (idempotent), delivery, reading, acknowledgement by
//! the recipient, reply threads, escalation of overdue urgent and flash
//! messages, and the threads the service opens for refused conflicting intents.

use std::collections::BTreeMap;

use geom::Time;
use serde::{Deserialize, Serialize};

use super::events as ev;
use super::ids::{LineId, MessageId, ThreadId};
use super::lines::{line_for, touch_heartbeat};
use super::model::{
    Delivery, DeliveryChannel, HeartbeatSource, Line, LineState, Message, MessageKind, MessageView, Priority,
    Refs, Sent,
};
use super::page::{self, Page};
use super::stored::us;
use super::{
    Coord, MAX_LIST, MAX_TEXT_BYTES, Template, bad, decode, emit, kind, liveness, load, plus_s, save,
};
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::records::{Record, RecordKey};
use crate::store::Tx;

/// Fewest seconds between two system messages on the thread of one pair of
/// conflicting intents (a client retrying a refused write must not flood it).
const CONFLICT_REPOST_S: i64 = 60;

/// A message a party wants to send.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDraft {
    /// How quickly it must be acknowledged.
    pub priority: Priority,
    /// The text (may be empty with a template: it becomes the remarks).
    pub text: String,
    /// What it is about.
    pub refs: Refs,
    /// A standard template.
    pub template: Option<Template>,
    /// The template's fields.
    pub fields: BTreeMap<String, String>,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
    /// A subset of the other parties on the line (default: all of them).
    pub to: Option<Vec<PartyName>>,
    /// Makes a retried send return the first message instead of sending again.
    pub idempotency_key: Option<String>,
}

impl MessageDraft {
    /// A plain message of `priority` to every other party on the line.
    pub fn new(priority: Priority, text: impl Into<String>) -> Self {
        Self {
            priority,
            text: text.into(),
            refs: Refs::default(),
            template: None,
            fields: BTreeMap::new(),
            reply_to: None,
            to: None,
            idempotency_key: None,
        }
    }
}

/// What one escalation pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EscalationReport {
    /// Deliveries escalated.
    pub escalated: usize,
}

/// Body of a `message_key` record: the first message sent with the key.
#[derive(Debug, Serialize, Deserialize)]
struct MessageKey {
    message_id: MessageId,
}

/// Body of a `conflict_thread` record.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ConflictThreadState {
    thread_id: ThreadId,
    /// When the thread was last posted to (retention goes by it).
    #[serde(rename = "last_posted_us", with = "us")]
    pub(crate) last_posted: Time,
}

fn check_message_text(text: &str) -> Result<(), EngineError> {
    if text.len() > MAX_TEXT_BYTES {
        return bad(format!("text is {} bytes; the limit is {MAX_TEXT_BYTES}", text.len()));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return bad("text must not contain control characters other than newline and tab");
    }
    Ok(())
}

fn check_operator(operator: &str) -> Result<(), EngineError> {
    if operator.trim().is_empty() {
        return bad("operator must name the person who acknowledges");
    }
    if operator.chars().count() > 200 || operator.chars().any(char::is_control) {
        return bad("operator must be at most 200 characters without control characters");
    }
    Ok(())
}

pub(crate) fn delivery_id(message_id: MessageId, recipient: &PartyName) -> String {
    format!("{message_id}:{recipient}")
}

pub(crate) fn key_id(sender: &PartyName, key: &str) -> String {
    format!("{}:{sender}/{key}", sender.as_str().len())
}

/// Stores a delivery; it is due at its acknowledgement deadline until acknowledged.
pub(crate) fn save_delivery(tx: &mut dyn Tx, d: &Delivery) -> Result<(), EngineError> {
    let due = if d.acked_at.is_some() { None } else { d.ack_deadline };
    let id = delivery_id(d.message_id, &d.recipient);
    let message_id = d.message_id.to_string();
    save(tx, kind::DELIVERY, &id, d, (Some(d.recipient.as_str()), Some(&message_id)), due)
}

pub(crate) fn load_message(tx: &mut dyn Tx, id: MessageId) -> Result<Message, EngineError> {
    load(tx, kind::MESSAGE, &id.to_string())?
        .ok_or_else(|| EngineError::NotFound(format!("message {id} not found")))
}

pub(crate) fn load_delivery(
    tx: &mut dyn Tx,
    message_id: MessageId,
    recipient: &PartyName,
) -> Result<Option<Delivery>, EngineError> {
    load(tx, kind::DELIVERY, &delivery_id(message_id, recipient))
}

/// The message with the deliveries `viewer` may see (the sender sees all).
pub(crate) fn view_for(
    tx: &mut dyn Tx,
    message: Message,
    viewer: &PartyName,
    all: bool,
) -> Result<MessageView, EngineError> {
    let deliveries = tx
        .records_by(kind::DELIVERY, RecordKey::K2(&message.id.to_string()), MAX_LIST)?
        .iter()
        .map(decode::<Delivery>)
        .filter(|d| d.as_ref().map_or(true, |d| all || &message.sender == viewer || &d.recipient == viewer))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MessageView { message, deliveries })
}

/// Writes a message and one delivery per recipient, and the `message.sent`
/// event that puts it on every recipient's stream (and the sender's).
pub(crate) fn post(tx: &mut dyn Tx, line: &Line, message: &Message) -> Result<Vec<Delivery>, EngineError> {
    let (id, thread) = (message.id.to_string(), message.thread_id.to_string());
    save(tx, kind::MESSAGE, &id, message, (Some(message.line_id.as_str()), Some(&thread)), None)?;
    let deadline_s = match message.kind {
        MessageKind::CommCheck => None,
        MessageKind::Message | MessageKind::System => line.policy.ack_deadline_s.of(message.priority),
    };
    let mut deliveries = Vec::with_capacity(message.recipients.len());
    for r in &message.recipients {
        let d = Delivery {
            message_id: message.id,
            line_id: line.id.clone(),
            recipient: r.clone(),
            sender: message.sender.clone(),
            priority: message.priority,
            delivered_at: None,
            delivered_via: None,
            read_at: None,
            acked_at: None,
            acked_by_operator: None,
            ack_deadline: deadline_s.map(|s| plus_s(message.sent_at, s)),
            overdue: false,
            escalations: 0,
            exercise: message.exercise,
        };
        save_delivery(tx, &d)?;
        deliveries.push(d);
    }
    let parties = std::iter::once(&message.sender).chain(&message.recipients);
    let payload = ev::MessageSent { message, ack_deadline_s: deadline_s };
    emit(tx, message.sent_at, EventKind::MessageSent, &message.sender, message.id, parties, &payload)?;
    Ok(deliveries)
}

/// Sets `delivered_at` the first time; `true` if it was set now.
pub(crate) fn deliver(
    tx: &mut dyn Tx,
    d: &mut Delivery,
    now: Time,
    via: DeliveryChannel,
) -> Result<bool, EngineError> {
    if d.delivered_at.is_some() {
        return Ok(false);
    }
    d.delivered_at = Some(now);
    d.delivered_via = Some(via);
    save_delivery(tx, d)?;
    let payload = ev::MessageDelivered {
        message_id: d.message_id,
        line_id: &d.line_id,
        recipient: &d.recipient,
        via,
        delivered_at: now,
        exercise: d.exercise,
    };
    let both = [&d.sender, &d.recipient];
    emit(tx, now, EventKind::MessageDelivered, &d.recipient, d.message_id, both, &payload)?;
    Ok(true)
}

/// The delivery of `message` to `caller`, or 403 naming why not.
fn own_delivery(
    tx: &mut dyn Tx,
    message: &Message,
    caller: &PartyName,
    what: &str,
) -> Result<Delivery, EngineError> {
    match load_delivery(tx, message.id, caller)? {
        Some(d) => Ok(d),
        None if &message.sender == caller => Err(EngineError::Forbidden(format!(
            "only a recipient may {what} message {}; {caller} sent it",
            message.id
        ))),
        None => Err(EngineError::Forbidden(format!("{caller} is not a recipient of message {}", message.id))),
    }
}

impl Coord<'_> {
    /// Sends a message on line `line_id` from `ctx.caller`. A retry with the
    /// same idempotency key returns the first message (`created` = false).
    ///
    /// # Errors
    /// `NotFound` (line), `Forbidden` (not on the line), `BadRequest` (text,
    /// template fields, recipients, replied-to message), `Stale` (line
    /// suspended, 409), `Timeout`, `Store`.
    pub fn send_message(
        &self,
        ctx: &Ctx,
        line_id: &LineId,
        draft: &MessageDraft,
    ) -> Result<Sent, EngineError> {
        let (sender, now) = (&ctx.caller, ctx.now);
        check_message_text(&draft.text)?;
        let text = match draft.template {
            Some(t) => t
                .fill(&draft.fields, sender.as_str(), &draft.text)
                .map_err(|e| EngineError::BadRequest(e.to_string()))?,
            None if draft.text.trim().is_empty() => return bad("text must not be empty"),
            None if !draft.fields.is_empty() => return bad("fields are only used with a template"),
            None => draft.text.clone(),
        };
        check_message_text(&text)?;
        if let Some(k) = &draft.idempotency_key
            && (k.is_empty() || k.len() > 200 || k.chars().any(char::is_control))
        {
            return bad("idempotency_key must be 1 to 200 characters without control characters");
        }
        self.limits.quotas.take_rate(
            self.rates,
            &ctx.caller,
            crate::quota::Quota::MessagesPerMinute,
            ctx.now,
        )?;
        let id = MessageId::new();
        self.runner.write(&ctx.deadline, |tx| {
            if let Some(k) = &draft.idempotency_key
                && let Some(first) = load::<MessageKey>(tx, kind::MESSAGE_KEY, &key_id(sender, k))?
            {
                let message = load_message(tx, first.message_id)?;
                return Ok(Sent { view: view_for(tx, message, sender, false)?, created: false });
            }
            let line = line_for(tx, line_id, sender)?;
            if let LineState::Suspended { by, why, .. } = &line.state {
                return Err(EngineError::Stale(format!("line {line_id} is suspended by {by}: {why}")));
            }
            let recipients: Vec<PartyName> = match &draft.to {
                None => line.parties.iter().filter(|p| *p != sender).cloned().collect(),
                Some(to) => {
                    let mut to = to.clone();
                    to.sort();
                    to.dedup();
                    if to.is_empty() {
                        return bad("to must name at least one party (or be left out to send to all)");
                    }
                    for p in &to {
                        if p == sender {
                            return bad("to must not name the sender");
                        }
                        if !line.has(p) {
                            return bad(format!("to: {p} is not a party on line {line_id}"));
                        }
                    }
                    to
                }
            };
            let thread_id = match draft.reply_to {
                None => id,
                Some(parent_id) => {
                    let parent: Message =
                        load(tx, kind::MESSAGE, &parent_id.to_string())?.ok_or_else(|| {
                            EngineError::BadRequest(format!("reply_to: message {parent_id} not found"))
                        })?;
                    if &parent.line_id != line_id {
                        return bad(format!(
                            "reply_to: message {parent_id} is on line {}, not {line_id}",
                            parent.line_id
                        ));
                    }
                    if !parent.concerns(sender) {
                        return Err(EngineError::Forbidden(format!(
                            "{sender} cannot reply to message {parent_id}: not its sender or a recipient"
                        )));
                    }
                    parent.thread_id
                }
            };
            let message = Message {
                id,
                line_id: line_id.clone(),
                thread_id,
                reply_to: draft.reply_to,
                kind: MessageKind::Message,
                sender: sender.clone(),
                recipients,
                priority: draft.priority,
                text: text.clone(),
                refs: draft.refs.clone(),
                template: draft.template,
                fields: draft.fields.clone(),
                idempotency_key: draft.idempotency_key.clone(),
                check_id: None,
                exercise: false,
                sent_at: now,
            };
            let deliveries = post(tx, &line, &message)?;
            if let Some(k) = &draft.idempotency_key {
                let body = MessageKey { message_id: id };
                save(tx, kind::MESSAGE_KEY, &key_id(sender, k), &body, (Some(sender.as_str()), None), None)?;
            }
            touch_heartbeat(tx, line_id, sender, now, HeartbeatSource::Send)?;
            Ok(Sent { view: MessageView { message, deliveries }, created: true })
        })
    }

    /// Acknowledges message `id` as its recipient `ctx.caller`, naming the
    /// operator. Acknowledging again changes nothing.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` (the sender or anyone not a recipient), `BadRequest`
    /// (no operator), `Timeout`, `Store`.
    pub fn ack_message(&self, ctx: &Ctx, id: MessageId, operator: &str) -> Result<MessageView, EngineError> {
        check_operator(operator)?;
        let (now, caller) = (ctx.now, &ctx.caller);
        let operator = operator.trim();
        let acked = |d: &Delivery| d.acked_at.is_some();
        self.mark_own(ctx, id, "acknowledge", acked, DeliveryChannel::Ack, |tx, message, d| {
            d.read_at = d.read_at.or(Some(now));
            d.acked_at = Some(now);
            d.acked_by_operator = Some(operator.to_owned());
            save_delivery(tx, d)?;
            touch_heartbeat(tx, &message.line_id, caller, now, HeartbeatSource::Ack)?;
            let payload = ev::MessageAcked {
                message_id: id,
                line_id: &message.line_id,
                thread_id: message.thread_id,
                recipient: caller,
                operator,
                acked_at: now,
                sent_at: message.sent_at,
                ack_delay_s: (now.as_micros() - message.sent_at.as_micros()) / 1_000_000,
                overdue: d.overdue,
                escalations: d.escalations,
                exercise: message.exercise,
                check_id: message.check_id,
            };
            let both = [&message.sender, caller];
            emit(tx, now, EventKind::MessageAcked, caller, id, both, &payload)?;
            if let Some(check_id) = message.check_id {
                liveness::record_ack(tx, check_id, caller, now)?;
            }
            Ok(())
        })
    }

    /// Marks message `id` read by its recipient `ctx.caller`.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn read_message(&self, ctx: &Ctx, id: MessageId) -> Result<MessageView, EngineError> {
        let (now, caller) = (ctx.now, &ctx.caller);
        let read = |d: &Delivery| d.read_at.is_some();
        self.mark_own(ctx, id, "mark read", read, DeliveryChannel::Read, |tx, message, d| {
            d.read_at = Some(now);
            save_delivery(tx, d)?;
            let payload = ev::MessageRead {
                message_id: id,
                recipient: caller,
                read_at: now,
                exercise: message.exercise,
            };
            let both = [&message.sender, caller];
            emit(tx, now, EventKind::MessageRead, caller, id, both, &payload)?;
            Ok(())
        })
    }

    /// A recipient's own mark on message `id` (`verb` it in refusals): unless
    /// `done` finds the mark already there, the delivery is recorded on
    /// `channel` and `mark` sets it, in one transaction. Marking again
    /// changes nothing.
    fn mark_own(
        &self,
        ctx: &Ctx,
        id: MessageId,
        verb: &str,
        done: impl Fn(&Delivery) -> bool,
        channel: DeliveryChannel,
        mut mark: impl FnMut(&mut dyn Tx, &Message, &mut Delivery) -> Result<(), EngineError>,
    ) -> Result<MessageView, EngineError> {
        let (now, caller) = (ctx.now, &ctx.caller);
        self.runner.write(&ctx.deadline, |tx| {
            let message = load_message(tx, id)?;
            let mut d = own_delivery(tx, &message, caller, verb)?;
            if !done(&d) {
                deliver(tx, &mut d, now, channel)?;
                mark(tx, &message, &mut d)?;
            }
            view_for(tx, message, caller, false)
        })
    }

    /// Message `id`, for its sender and recipients (a recipient's first fetch
    /// counts as delivery). A read transaction; a write one only to record
    /// that first delivery.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn message(&self, ctx: &Ctx, id: MessageId) -> Result<MessageView, EngineError> {
        let caller = &ctx.caller;
        let view = self.runner.read(|tx| {
            let message = load_message(tx, id)?;
            if &message.sender != caller {
                own_delivery(tx, &message, caller, "read").map_err(|_| {
                    EngineError::Forbidden(format!(
                        "{caller} is neither the sender nor a recipient of message {id}"
                    ))
                })?;
            }
            view_for(tx, message, caller, false)
        })?;
        let mut views = [view];
        self.deliver_listed(ctx, &mut views, DeliveryChannel::Fetch)?;
        let [view] = views;
        Ok(view)
    }

    /// The caller's received messages, newest first (only unacknowledged ones
    /// with `unacked_only`), at most `limit`, below message `before` if given.
    /// Fetching delivers them: a read transaction, and a write one only for
    /// the messages not delivered before.
    ///
    /// # Errors
    /// `Timeout`, `Store`.
    pub fn inbox(
        &self,
        ctx: &Ctx,
        unacked_only: bool,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Page<MessageView, MessageId>, EngineError> {
        let caller = &ctx.caller;
        let mut page = self.runner.read(|tx| {
            let list = (kind::DELIVERY, RecordKey::K1(caller.as_str()));
            let before = before.map(|m| delivery_id(m, caller));
            let keep = |tx: &mut dyn Tx, r: &Record| {
                let d: Delivery = decode(r)?;
                if unacked_only && d.acked_at.is_some() {
                    return Ok(None);
                }
                let message = load_message(tx, d.message_id)?;
                Ok(Some(MessageView { message, deliveries: vec![d] }))
            };
            page::newest_first(tx, list, before, limit, keep, |v| v.message.id)
        })?;
        self.deliver_listed(ctx, &mut page.items, DeliveryChannel::Inbox)?;
        Ok(page)
    }

    /// Records the first delivery `via` of every message in `views` not yet
    /// delivered to the caller, in one write transaction (none if there is
    /// nothing to record), and shows the caller's updated receipts.
    fn deliver_listed(
        &self,
        ctx: &Ctx,
        views: &mut [MessageView],
        via: DeliveryChannel,
    ) -> Result<(), EngineError> {
        let (now, caller) = (ctx.now, &ctx.caller);
        let undelivered =
            |v: &MessageView| v.deliveries.iter().any(|d| &d.recipient == caller && d.delivered_at.is_none());
        let pending: Vec<MessageId> = views.iter().filter(|v| undelivered(v)).map(|v| v.message.id).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let fresh = self.runner.write(&ctx.deadline, |tx| {
            let mut out = Vec::with_capacity(pending.len());
            for &id in &pending {
                if let Some(mut d) = load_delivery(tx, id, caller)? {
                    deliver(tx, &mut d, now, via)?;
                    out.push(d);
                }
            }
            Ok(out)
        })?;
        for d in fresh {
            let own = views
                .iter_mut()
                .filter(|v| v.message.id == d.message_id)
                .flat_map(|v| v.deliveries.iter_mut())
                .find(|old| old.recipient == d.recipient);
            if let Some(old) = own {
                *old = d;
            }
        }
        Ok(())
    }

    /// The messages on line `line_id` the caller sent or received (every one
    /// for the operator), newest first, at most `limit`, below message
    /// `before` if given; only thread `thread` if given.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn line_messages(
        &self,
        ctx: &Ctx,
        line_id: &LineId,
        thread: Option<ThreadId>,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Page<MessageView, MessageId>, EngineError> {
        let caller = &ctx.caller;
        let operator = ctx.roles.has(crate::Role::Operator);
        self.runner.read(|tx| {
            super::lines::readable_line(tx, ctx, line_id)?;
            let thread = thread.map(|t| t.to_string());
            let key = match &thread {
                Some(t) => RecordKey::K2(t),
                None => RecordKey::K1(line_id.as_str()),
            };
            let keep = |tx: &mut dyn Tx, r: &Record| {
                let m: Message = decode(r)?;
                if &m.line_id == line_id && (operator || m.concerns(caller)) {
                    return view_for(tx, m, caller, operator).map(Some);
                }
                Ok(None)
            };
            let before = before.map(|m| m.to_string());
            page::newest_first(tx, (kind::MESSAGE, key), before, limit, keep, |v| v.message.id)
        })
    }

    /// Marks message `message_id` delivered to `recipient` (`via` the stream or
    /// a webhook); `false` if it already was or `recipient` is not one.
    ///
    /// # Errors
    /// `Store`.
    pub fn mark_delivered(
        &self,
        now: Time,
        recipient: &PartyName,
        message_id: MessageId,
        via: DeliveryChannel,
    ) -> Result<bool, EngineError> {
        self.runner
            .write(&crate::txn::Deadline::NONE, |tx| mark_delivered_tx(tx, now, recipient, message_id, via))
    }

    /// Escalates every urgent or flash delivery whose acknowledgement deadline
    /// is at or before `now`: marks it overdue, tells the recipient and the
    /// sender (`message.escalated`), and sets the next deadline.
    ///
    /// # Errors
    /// `Store`.
    pub fn escalate_due(&self, now: Time) -> Result<EscalationReport, EngineError> {
        const BATCH: usize = 200;
        let mut report = EscalationReport::default();
        loop {
            let n = self.runner.write(&crate::txn::Deadline::NONE, |tx| {
                let due = tx.records_due(kind::DELIVERY, now, BATCH)?;
                let mut n = 0;
                for r in &due {
                    let mut d: Delivery = decode(r)?;
                    escalate(tx, &mut d, now)?;
                    n += 1;
                }
                Ok(n)
            })?;
            report.escalated += n;
            if n < BATCH {
                return Ok(report);
            }
        }
    }

    /// Opens (or appends to) the thread about a cross-party conflict between
    /// `a` and `b` on the line between them, if there is one: an urgent system
    /// message to both. `topic` names the conflict (a pair of intents, a pair of
    /// tracks), so repeats land in the same thread, at most once a minute.
    /// Returns whether a message was posted.
    ///
    /// # Errors
    /// `Timeout`, `Store`.
    pub fn conflict_thread(&self, now: Time, conflict: &ConflictThread) -> Result<bool, EngineError> {
        self.runner.write(&crate::txn::Deadline::NONE, |tx| conflict_thread_tx(tx, now, conflict))
    }
}

/// A cross-party conflict to raise on the line between its two parties.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictThread {
    /// One party's name.
    pub a: String,
    /// The other party's name.
    pub b: String,
    /// What the conflict is about; the same topic always goes to the same thread.
    pub topic: String,
    /// The message text.
    pub text: String,
    /// The references to attach.
    pub refs: Refs,
}

impl ConflictThread {
    /// The thread between `a`, about its operation `a_op`, and `b`, about
    /// `b_op`, with `text`: the topic `{prefix}:{x}:{y}` names the two
    /// operations in order, so either side raising the conflict finds the
    /// same thread; the references name `a_op`.
    pub(crate) fn between(prefix: &str, a: &str, a_op: &str, b: &str, b_op: &str, text: String) -> Self {
        let (x, y) = if a_op <= b_op { (a_op, b_op) } else { (b_op, a_op) };
        ConflictThread {
            a: a.to_owned(),
            b: b.to_owned(),
            topic: format!("{prefix}:{x}:{y}"),
            text,
            refs: Refs { operation_id: Some(a_op.to_owned()), ..Refs::default() },
        }
    }
}

/// [`Coord::conflict_thread`] inside an existing transaction (the application
/// layer calls it with the record of a 409 refusal, so both commit together).
pub(crate) fn conflict_thread_tx(
    tx: &mut dyn Tx,
    now: Time,
    c: &ConflictThread,
) -> Result<bool, EngineError> {
    let (Ok(a), Ok(b)) = (PartyName::new(&c.a), PartyName::new(&c.b)) else { return Ok(false) };
    if a == b {
        return Ok(false);
    }
    let lines = super::lines::all_lines(tx)?;
    let Some(line) =
        lines.iter().find(|l| l.has(&a) && l.has(&b) && !matches!(l.state, LineState::Suspended { .. }))
    else {
        return Ok(false);
    };
    let key = format!("{}:{}", line.id, c.topic);
    let known: Option<ConflictThreadState> = load(tx, kind::CONFLICT_THREAD, &key)?;
    if known.as_ref().is_some_and(|k| now < plus_s(k.last_posted, CONFLICT_REPOST_S)) {
        return Ok(false);
    }
    let id = MessageId::new();
    let thread = known.map(|k| k.thread_id);
    let mut recipients = vec![a, b];
    recipients.sort();
    let message = Message {
        id,
        line_id: line.id.clone(),
        thread_id: thread.unwrap_or(id),
        reply_to: thread,
        kind: MessageKind::System,
        sender: PartyName::service(),
        recipients,
        priority: Priority::Urgent,
        text: c.text.clone(),
        refs: c.refs.clone(),
        template: None,
        fields: BTreeMap::new(),
        idempotency_key: None,
        check_id: None,
        exercise: false,
        sent_at: now,
    };
    post(tx, line, &message)?;
    let body = ConflictThreadState { thread_id: message.thread_id, last_posted: now };
    save(tx, kind::CONFLICT_THREAD, &key, &body, (Some(line.id.as_str()), None), None)?;
    Ok(true)
}

/// The thread for intent `requested` of `caller`, refused for not showing
/// awareness of `other`'s intent `conflicting`.
pub(crate) fn refusal_thread(
    caller: &str,
    requested: &str,
    other: &str,
    conflicting: &str,
) -> ConflictThread {
    let text = format!(
        "CONFLICT. {caller}'s operational intent {requested} was refused (409): it intersects {other}'s operational intent {conflicting}, which {caller} had not shown awareness of. Coordinate on this thread."
    );
    ConflictThread::between("intents", caller, requested, other, conflicting, text)
}

pub(crate) fn mark_delivered_tx(
    tx: &mut dyn Tx,
    now: Time,
    recipient: &PartyName,
    message_id: MessageId,
    via: DeliveryChannel,
) -> Result<bool, EngineError> {
    match load_delivery(tx, message_id, recipient)? {
        Some(mut d) => deliver(tx, &mut d, now, via),
        None => Ok(false),
    }
}

fn escalate(tx: &mut dyn Tx, d: &mut Delivery, now: Time) -> Result<(), EngineError> {
    let deadline_s = match load::<Line>(tx, kind::LINE, d.line_id.as_str())? {
        Some(line) if d.acked_at.is_none() => line.policy.ack_deadline_s.of(d.priority),
        _ => None,
    };
    let missed = d.ack_deadline;
    let Some(deadline_s) = deadline_s else {
        // Acknowledged meanwhile, or the line no longer sets a deadline.
        d.ack_deadline = None;
        return save_delivery(tx, d);
    };
    let message = load_message(tx, d.message_id)?;
    d.overdue = true;
    d.escalations = d.escalations.saturating_add(1);
    d.ack_deadline = Some(plus_s(now, deadline_s));
    save_delivery(tx, d)?;
    let payload = ev::MessageEscalated {
        message_id: d.message_id,
        line_id: &d.line_id,
        thread_id: message.thread_id,
        recipient: &d.recipient,
        sender: &d.sender,
        priority: d.priority,
        text: &message.text,
        sent_at: message.sent_at,
        missed_deadline: missed,
        escalations: d.escalations,
        next_deadline: d.ack_deadline,
        exercise: d.exercise,
    };
    let both = [&d.recipient, &d.sender];
    emit(tx, now, EventKind::MessageEscalated, &PartyName::service(), d.message_id, both, &payload)
}
