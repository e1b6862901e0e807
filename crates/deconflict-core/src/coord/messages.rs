//! The hotline: sending (idempotent), delivery, reading, acknowledgement by
//! the recipient, reply threads, escalation of overdue urgent and flash
//! messages, and the threads the service opens for refused conflicting intents.

use std::collections::BTreeMap;

use serde_json::json;

use super::lines::{line_for, touch_heartbeat};
use super::model::{Delivery, Line, LineState, Message, MessageKind, MessageView, Priority, Refs, Sent};
use super::{
    Coord, MAX_LIST, MAX_TEXT_BYTES, SECOND_US, SERVICE_ACTOR, bad, decode, emit, json, kind, liveness, load,
    new_id, save,
};
use crate::engine::{Ctx, EngineError};
use crate::records::RecordKey;
use crate::store::Tx;

/// The standard templates and their fields (required, optional).
pub const TEMPLATES: &[(&str, &[&str], &[&str])] = &[
    ("intent_to_operate", &["what", "when"], &["where"]),
    ("request_to_vacate", &["where", "until"], &["reason"]),
    ("emergency_assistance", &["nature"], &["position"]),
];

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
    pub template: Option<String>,
    /// The template's fields.
    pub fields: BTreeMap<String, String>,
    /// The message it answers.
    pub reply_to: Option<String>,
    /// A subset of the other parties on the line (default: all of them).
    pub to: Option<Vec<String>>,
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

fn fill_template(
    name: &str,
    fields: &BTreeMap<String, String>,
    sender: &str,
    remarks: &str,
) -> Result<String, EngineError> {
    let Some((_, required, optional)) = TEMPLATES.iter().find(|(n, _, _)| *n == name) else {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.0).collect();
        return bad(format!("template {name:?} is not one of {}", names.join(", ")));
    };
    for k in fields.keys() {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return bad(format!(
                "fields.{k} is not a field of template {name} (fields: {})",
                [*required, *optional].concat().join(", ")
            ));
        }
    }
    let get = |k: &str, req: bool| -> Result<Option<String>, EngineError> {
        match fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            Some(v) => Ok(Some(v.to_owned())),
            None if req => bad(format!("template {name} needs fields.{k}")),
            None => Ok(None),
        }
    };
    let mut text = match name {
        "intent_to_operate" => {
            let (what, when, place) = (get("what", true)?, get("when", true)?, get("where", false)?);
            let mut t = format!(
                "INTENT TO OPERATE. {sender} intends to operate: {}. When: {}.",
                what.unwrap_or_default(),
                when.unwrap_or_default()
            );
            if let Some(w) = place {
                t.push_str(&format!(" Where: {w}."));
            }
            t
        }
        "request_to_vacate" => {
            let (place, until, reason) = (get("where", true)?, get("until", true)?, get("reason", false)?);
            let mut t = format!(
                "REQUEST TO VACATE. {sender} requests that {} be vacated until {}.",
                place.unwrap_or_default(),
                until.unwrap_or_default()
            );
            if let Some(r) = reason {
                t.push_str(&format!(" Reason: {r}."));
            }
            t
        }
        _ => {
            let (nature, position) = (get("nature", true)?, get("position", false)?);
            let mut t = format!(
                "EMERGENCY ASSISTANCE. {sender} requests immediate assistance: {}.",
                nature.unwrap_or_default()
            );
            if let Some(p) = position {
                t.push_str(&format!(" Position: {p}."));
            }
            t
        }
    };
    if !remarks.trim().is_empty() {
        text.push_str(" Remarks: ");
        text.push_str(remarks.trim());
    }
    Ok(text)
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

pub(crate) fn delivery_id(message_id: &str, recipient: &str) -> String {
    format!("{message_id}:{recipient}")
}

pub(crate) fn key_id(sender: &str, key: &str) -> String {
    format!("{}:{sender}/{key}", sender.len())
}

/// Stores a delivery; it is due at its acknowledgement deadline until acknowledged.
pub(crate) fn save_delivery(tx: &mut dyn Tx, d: &Delivery) -> Result<(), EngineError> {
    let due = if d.acked_at_us.is_some() { None } else { d.ack_deadline_us };
    let id = delivery_id(&d.message_id, &d.recipient);
    save(tx, kind::DELIVERY, &id, d, (Some(&d.recipient), Some(&d.message_id)), due)
}

fn load_message(tx: &mut dyn Tx, id: &str) -> Result<Message, EngineError> {
    load(tx, kind::MESSAGE, id)?.ok_or_else(|| EngineError::NotFound(format!("message {id} not found")))
}

/// The message with the deliveries `viewer` may see (the sender sees all).
fn view_for(tx: &mut dyn Tx, message: Message, viewer: &str, all: bool) -> Result<MessageView, EngineError> {
    let deliveries = tx
        .records_by(kind::DELIVERY, RecordKey::K2(&message.id), MAX_LIST)?
        .iter()
        .map(decode::<Delivery>)
        .filter(|d| d.as_ref().map_or(true, |d| all || message.sender == viewer || d.recipient == viewer))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MessageView { message, deliveries })
}

/// Writes a message and one delivery per recipient, and the `message.sent`
/// event that puts it on every recipient's stream (and the sender's).
pub(crate) fn post(tx: &mut dyn Tx, line: &Line, message: &Message) -> Result<Vec<Delivery>, EngineError> {
    save(tx, kind::MESSAGE, &message.id, message, (Some(&message.line_id), Some(&message.thread_id)), None)?;
    let deadline_s = match message.kind {
        MessageKind::CommCheck => None,
        MessageKind::Message | MessageKind::System => line.policy.ack_deadline_s.of(message.priority),
    };
    let mut deliveries = Vec::with_capacity(message.recipients.len());
    for r in &message.recipients {
        let d = Delivery {
            message_id: message.id.clone(),
            line_id: line.id.clone(),
            recipient: r.clone(),
            sender: message.sender.clone(),
            priority: message.priority,
            delivered_at_us: None,
            delivered_via: None,
            read_at_us: None,
            acked_at_us: None,
            acked_by_operator: None,
            ack_deadline_us: deadline_s.map(|s| message.sent_at_us + s * SECOND_US),
            overdue: false,
            escalations: 0,
            exercise: message.exercise,
        };
        save_delivery(tx, &d)?;
        deliveries.push(d);
    }
    let parties = std::iter::once(message.sender.clone()).chain(message.recipients.iter().cloned());
    let payload = json!({ "message": json(message), "ack_deadline_s": deadline_s });
    emit(tx, message.sent_at_us, "message.sent", &message.sender, &message.id, parties, &payload)?;
    Ok(deliveries)
}

/// Sets `delivered_at` the first time; `true` if it was set now.
pub(crate) fn deliver(tx: &mut dyn Tx, d: &mut Delivery, now: i64, via: &str) -> Result<bool, EngineError> {
    if d.delivered_at_us.is_some() {
        return Ok(false);
    }
    d.delivered_at_us = Some(now);
    d.delivered_via = Some(via.to_owned());
    save_delivery(tx, d)?;
    let payload = json!({
        "message_id": d.message_id, "line_id": d.line_id, "recipient": d.recipient,
        "via": via, "delivered_at_us": now, "exercise": d.exercise,
    });
    emit(
        tx,
        now,
        "message.delivered",
        &d.recipient,
        &d.message_id,
        [d.sender.clone(), d.recipient.clone()],
        &payload,
    )?;
    Ok(true)
}

/// The delivery of `message_id` to `caller`, or 403 naming why not.
fn own_delivery(
    tx: &mut dyn Tx,
    message: &Message,
    caller: &str,
    what: &str,
) -> Result<Delivery, EngineError> {
    match load(tx, kind::DELIVERY, &delivery_id(&message.id, caller))? {
        Some(d) => Ok(d),
        None if message.sender == caller => Err(EngineError::Forbidden(format!(
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
    /// `NotFound` (line, replied-to message), `Forbidden` (not on the line),
    /// `BadRequest` (text, template, recipients), `Stale` (line suspended, 409),
    /// `Timeout`, `Store`.
    pub fn send_message(&self, ctx: &Ctx, line_id: &str, draft: &MessageDraft) -> Result<Sent, EngineError> {
        let sender = ctx.caller.to_string();
        let now = ctx.now.as_micros();
        check_message_text(&draft.text)?;
        let text = match &draft.template {
            Some(t) => fill_template(t, &draft.fields, &sender, &draft.text)?,
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
        self.engine.take_rate(ctx, crate::quota::Quota::MessagesPerMinute)?;
        let id = new_id();
        self.engine.write_tx(&ctx.deadline, |tx| {
            if let Some(k) = &draft.idempotency_key
                && let Some(r) = tx.record(kind::MESSAGE_KEY, &key_id(&sender, k))?
            {
                let first: serde_json::Value = decode(&r)?;
                let first_id = first["message_id"].as_str().unwrap_or_default().to_owned();
                let message = load_message(tx, &first_id)?;
                return Ok(Sent { view: view_for(tx, message, &sender, false)?, created: false });
            }
            let line = line_for(tx, line_id, &sender)?;
            if let LineState::Suspended { by, why, .. } = &line.state {
                return Err(EngineError::Stale(format!("line {line_id} is suspended by {by}: {why}")));
            }
            let recipients: Vec<String> = match &draft.to {
                None => line.parties.iter().filter(|p| **p != sender).cloned().collect(),
                Some(to) => {
                    let mut to = to.clone();
                    to.sort();
                    to.dedup();
                    if to.is_empty() {
                        return bad("to must name at least one party (or be left out to send to all)");
                    }
                    for p in &to {
                        if p == &sender {
                            return bad("to must not name the sender");
                        }
                        if !line.has(p) {
                            return bad(format!("to: {p} is not a party on line {line_id}"));
                        }
                    }
                    to
                }
            };
            let thread_id = match &draft.reply_to {
                None => id.clone(),
                Some(parent_id) => {
                    let parent = load(tx, kind::MESSAGE, parent_id)?.ok_or_else(|| {
                        EngineError::BadRequest(format!("reply_to: message {parent_id} not found"))
                    })?;
                    let parent: Message = parent;
                    if parent.line_id != line_id {
                        return bad(format!(
                            "reply_to: message {parent_id} is on line {}, not {line_id}",
                            parent.line_id
                        ));
                    }
                    if parent.sender != sender && !parent.recipients.contains(&sender) {
                        return Err(EngineError::Forbidden(format!(
                            "{sender} cannot reply to message {parent_id}: not its sender or a recipient"
                        )));
                    }
                    parent.thread_id
                }
            };
            let message = Message {
                id: id.clone(),
                line_id: line_id.to_owned(),
                thread_id,
                reply_to: draft.reply_to.clone(),
                kind: MessageKind::Message,
                sender: sender.clone(),
                recipients,
                priority: draft.priority,
                text: text.clone(),
                refs: draft.refs.clone(),
                template: draft.template.clone(),
                fields: draft.fields.clone(),
                idempotency_key: draft.idempotency_key.clone(),
                check_id: None,
                exercise: false,
                sent_at_us: now,
            };
            let deliveries = post(tx, &line, &message)?;
            if let Some(k) = &draft.idempotency_key {
                save(
                    tx,
                    kind::MESSAGE_KEY,
                    &key_id(&sender, k),
                    &json!({ "message_id": id }),
                    (Some(&sender), None),
                    None,
                )?;
            }
            touch_heartbeat(tx, line_id, &sender, now, "send")?;
            Ok(Sent { view: MessageView { message, deliveries }, created: true })
        })
    }

    /// Acknowledges message `id` as its recipient `ctx.caller`, naming the
    /// operator. Acknowledging again changes nothing.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` (the sender or anyone not a recipient), `BadRequest`
    /// (no operator), `Timeout`, `Store`.
    pub fn ack_message(&self, ctx: &Ctx, id: &str, operator: &str) -> Result<MessageView, EngineError> {
        check_operator(operator)?;
        let (now, caller) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(&ctx.deadline, |tx| {
            let message = load_message(tx, id)?;
            let mut d = own_delivery(tx, &message, &caller, "acknowledge")?;
            if d.acked_at_us.is_none() {
                deliver(tx, &mut d, now, "ack")?;
                d.read_at_us = d.read_at_us.or(Some(now));
                d.acked_at_us = Some(now);
                d.acked_by_operator = Some(operator.trim().to_owned());
                save_delivery(tx, &d)?;
                touch_heartbeat(tx, &message.line_id, &caller, now, "ack")?;
                let payload = json!({
                    "message_id": id, "line_id": message.line_id, "thread_id": message.thread_id,
                    "recipient": caller, "operator": operator.trim(), "acked_at_us": now,
                    "sent_at_us": message.sent_at_us, "ack_delay_s": (now - message.sent_at_us) / SECOND_US,
                    "overdue": d.overdue, "escalations": d.escalations, "exercise": message.exercise,
                    "check_id": message.check_id,
                });
                emit(
                    tx,
                    now,
                    "message.acked",
                    &caller,
                    id,
                    [message.sender.clone(), caller.clone()],
                    &payload,
                )?;
                if let Some(check_id) = &message.check_id {
                    liveness::record_ack(tx, check_id, &caller, now)?;
                }
            }
            view_for(tx, message, &caller, false)
        })
    }

    /// Marks message `id` read by its recipient `ctx.caller`.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn read_message(&self, ctx: &Ctx, id: &str) -> Result<MessageView, EngineError> {
        let (now, caller) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(&ctx.deadline, |tx| {
            let message = load_message(tx, id)?;
            let mut d = own_delivery(tx, &message, &caller, "mark read")?;
            if d.read_at_us.is_none() {
                deliver(tx, &mut d, now, "read")?;
                d.read_at_us = Some(now);
                save_delivery(tx, &d)?;
                let payload = json!({ "message_id": id, "recipient": caller, "read_at_us": now, "exercise": message.exercise });
                emit(tx, now, "message.read", &caller, id, [message.sender.clone(), caller.clone()], &payload)?;
            }
            view_for(tx, message, &caller, false)
        })
    }

    /// Message `id`, for its sender and recipients (a recipient's first fetch
    /// counts as delivery).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn message(&self, ctx: &Ctx, id: &str) -> Result<MessageView, EngineError> {
        let (now, caller) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(&ctx.deadline, |tx| {
            let message = load_message(tx, id)?;
            if message.sender != caller {
                let mut d = own_delivery(tx, &message, &caller, "read").map_err(|_| {
                    EngineError::Forbidden(format!(
                        "{caller} is neither the sender nor a recipient of message {id}"
                    ))
                })?;
                deliver(tx, &mut d, now, "fetch")?;
            }
            view_for(tx, message, &caller, false)
        })
    }

    /// The caller's received messages, newest first (only unacknowledged ones
    /// with `unacked_only`), at most `limit`. Fetching delivers them.
    ///
    /// # Errors
    /// `Timeout`, `Store`.
    pub fn inbox(
        &self,
        ctx: &Ctx,
        unacked_only: bool,
        limit: usize,
    ) -> Result<Vec<MessageView>, EngineError> {
        let (now, caller) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(&ctx.deadline, |tx| {
            let mut all = tx.records_by(kind::DELIVERY, RecordKey::K1(&caller), MAX_LIST)?;
            all.reverse();
            let mut out = Vec::new();
            for r in &all {
                if out.len() >= limit {
                    break;
                }
                let mut d: Delivery = decode(r)?;
                if unacked_only && d.acked_at_us.is_some() {
                    continue;
                }
                deliver(tx, &mut d, now, "inbox")?;
                let message = load_message(tx, &d.message_id)?;
                out.push(MessageView { message, deliveries: vec![d] });
            }
            Ok(out)
        })
    }

    /// The messages on line `line_id` the caller sent or received (every one
    /// for the operator), oldest first; only thread `thread` if given.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn line_messages(
        &self,
        ctx: &Ctx,
        line_id: &str,
        thread: Option<&str>,
    ) -> Result<Vec<MessageView>, EngineError> {
        let caller = ctx.caller.to_string();
        let admin = ctx.roles.has(crate::Role::Operator);
        self.engine.read_tx(|tx| {
            super::lines::readable_line(tx, ctx, line_id)?;
            let records = match thread {
                Some(t) => tx.records_by(kind::MESSAGE, RecordKey::K2(t), MAX_LIST)?,
                None => tx.records_by(kind::MESSAGE, RecordKey::K1(line_id), MAX_LIST)?,
            };
            let mut out = Vec::new();
            for r in &records {
                let m: Message = decode(r)?;
                if m.line_id == line_id && (admin || m.sender == caller || m.recipients.contains(&caller)) {
                    out.push(view_for(tx, m, &caller, admin)?);
                }
            }
            Ok(out)
        })
    }

    /// Marks message `message_id` delivered to `recipient` (`via` the stream or
    /// a webhook); `false` if it already was or `recipient` is not one.
    ///
    /// # Errors
    /// `Store`.
    pub fn mark_delivered(
        &self,
        now: geom::Time,
        recipient: &str,
        message_id: &str,
        via: &str,
    ) -> Result<bool, EngineError> {
        self.engine.write_tx(&crate::engine::Deadline::NONE, |tx| {
            mark_delivered_tx(tx, now.as_micros(), recipient, message_id, via)
        })
    }

    /// Escalates every urgent or flash delivery whose acknowledgement deadline
    /// is at or before `now`: marks it overdue, tells the recipient and the
    /// sender (`message.escalated`), and sets the next deadline.
    ///
    /// # Errors
    /// `Store`.
    pub fn escalate_due(&self, now: geom::Time) -> Result<EscalationReport, EngineError> {
        const BATCH: usize = 200;
        let mut report = EscalationReport::default();
        loop {
            let n = self.engine.write_tx(&crate::engine::Deadline::NONE, |tx| {
                let due = tx.records_due(kind::DELIVERY, now, BATCH)?;
                let mut n = 0;
                for r in &due {
                    let mut d: Delivery = decode(r)?;
                    escalate(tx, &mut d, now.as_micros())?;
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
    pub fn conflict_thread(&self, now: geom::Time, conflict: &ConflictThread) -> Result<bool, EngineError> {
        self.engine
            .write_tx(&crate::engine::Deadline::NONE, |tx| conflict_thread_tx(tx, now.as_micros(), conflict))
    }
}

/// A cross-party conflict to raise on the line between its two parties.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictThread {
    /// One party.
    pub a: String,
    /// The other party.
    pub b: String,
    /// What the conflict is about; the same topic always goes to the same thread.
    pub topic: String,
    /// The message text.
    pub text: String,
    /// The references to attach.
    pub refs: Refs,
}

/// [`Coord::conflict_thread`] inside an existing transaction (the engine calls
/// it with the record of a 409 refusal, so both commit together).
pub(crate) fn conflict_thread_tx(tx: &mut dyn Tx, now: i64, c: &ConflictThread) -> Result<bool, EngineError> {
    if c.a == c.b {
        return Ok(false);
    }
    let lines = super::lines::all_lines(tx)?;
    let Some(line) =
        lines.iter().find(|l| l.has(&c.a) && l.has(&c.b) && !matches!(l.state, LineState::Suspended { .. }))
    else {
        return Ok(false);
    };
    let key = format!("{}:{}", line.id, c.topic);
    let known: Option<serde_json::Value> = load(tx, kind::CONFLICT_THREAD, &key)?;
    let thread = known.as_ref().and_then(|v| v["thread_id"].as_str().map(str::to_owned));
    let last = known.as_ref().and_then(|v| v["last_posted_us"].as_i64());
    if last.is_some_and(|t| now - t < CONFLICT_REPOST_S * SECOND_US) {
        return Ok(false);
    }
    let id = new_id();
    let mut recipients = vec![c.a.clone(), c.b.clone()];
    recipients.sort();
    let message = Message {
        id: id.clone(),
        line_id: line.id.clone(),
        thread_id: thread.clone().unwrap_or_else(|| id.clone()),
        reply_to: thread,
        kind: MessageKind::System,
        sender: SERVICE_ACTOR.to_owned(),
        recipients,
        priority: Priority::Urgent,
        text: c.text.clone(),
        refs: c.refs.clone(),
        template: None,
        fields: BTreeMap::new(),
        idempotency_key: None,
        check_id: None,
        exercise: false,
        sent_at_us: now,
    };
    post(tx, line, &message)?;
    let body = json!({ "thread_id": message.thread_id, "last_posted_us": now });
    save(tx, kind::CONFLICT_THREAD, &key, &body, (Some(&line.id), None), None)?;
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
    let (x, y) = if requested <= conflicting { (requested, conflicting) } else { (conflicting, requested) };
    ConflictThread {
        a: caller.to_owned(),
        b: other.to_owned(),
        topic: format!("intents:{x}:{y}"),
        text: format!(
            "CONFLICT. {caller}'s operational intent {requested} was refused (409): it intersects {other}'s operational intent {conflicting}, which {caller} had not shown awareness of. Coordinate on this thread."
        ),
        refs: Refs { operation_id: Some(requested.to_owned()), ..Refs::default() },
    }
}

pub(crate) fn mark_delivered_tx(
    tx: &mut dyn Tx,
    now: i64,
    recipient: &str,
    message_id: &str,
    via: &str,
) -> Result<bool, EngineError> {
    match load::<Delivery>(tx, kind::DELIVERY, &delivery_id(message_id, recipient))? {
        Some(mut d) => deliver(tx, &mut d, now, via),
        None => Ok(false),
    }
}

fn escalate(tx: &mut dyn Tx, d: &mut Delivery, now: i64) -> Result<(), EngineError> {
    let deadline_s = match load::<Line>(tx, kind::LINE, &d.line_id)? {
        Some(line) if d.acked_at_us.is_none() => line.policy.ack_deadline_s.of(d.priority),
        _ => None,
    };
    let missed = d.ack_deadline_us;
    let Some(deadline_s) = deadline_s else {
        // Acknowledged meanwhile, or the line no longer sets a deadline.
        d.ack_deadline_us = None;
        return save_delivery(tx, d);
    };
    let message = load_message(tx, &d.message_id)?;
    d.overdue = true;
    d.escalations = d.escalations.saturating_add(1);
    d.ack_deadline_us = Some(now + deadline_s * SECOND_US);
    save_delivery(tx, d)?;
    let payload = json!({
        "message_id": d.message_id, "line_id": d.line_id, "thread_id": message.thread_id,
        "recipient": d.recipient, "sender": d.sender, "priority": d.priority.as_str(),
        "text": message.text, "sent_at_us": message.sent_at_us, "missed_deadline_us": missed,
        "escalations": d.escalations, "next_deadline_us": d.ack_deadline_us, "exercise": d.exercise,
    });
    emit(
        tx,
        now,
        "message.escalated",
        SERVICE_ACTOR,
        &d.message_id,
        [d.recipient.clone(), d.sender.clone()],
        &payload,
    )
}
