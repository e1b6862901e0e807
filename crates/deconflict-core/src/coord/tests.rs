//! The coordination state machines on the memory store.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use geom::Time;

use super::*;
use crate::engine::{Ctx, Engine, EngineError, Limits, PutIntent};
use crate::events::EventKind;
use crate::ids::EntityId;
use crate::memory::MemoryStore;
use crate::store::TxMode;
use crate::testsuite::{HOUR, T0, manager, square, volume};

const S: i64 = 1_000_000;

fn engine() -> Engine {
    Engine::new(Arc::new(MemoryStore::new()), Limits::default())
}

/// The operator's context.
fn operator(t: i64) -> Ctx {
    at("admin", t).with_roles(crate::Roles::NONE.with(crate::Role::Operator))
}

fn at(who: &str, t: i64) -> Ctx {
    Ctx::new(manager(who), Time::from_micros(t))
}

/// Events appended so far: (kind, parties, payload).
fn events(e: &Engine) -> Vec<(EventKind, Vec<String>, serde_json::Value)> {
    let mut tx = e.store().begin(TxMode::Read).unwrap();
    tx.unsealed_events(100_000)
        .unwrap()
        .into_iter()
        .map(|p| {
            let kind = p.event.event_kind().unwrap();
            (kind, p.event.parties, serde_json::from_str(&p.event.payload).unwrap())
        })
        .collect()
}

fn kinds(e: &Engine) -> Vec<EventKind> {
    events(e).into_iter().map(|(k, _, _)| k).collect()
}

fn party(name: &str) -> Party {
    Party {
        name: manager(name),
        display_name: format!("{name} command post"),
        webhook_url: None,
        updated_at: Time::from_micros(0),
    }
}

fn t(us: i64) -> Time {
    Time::from_micros(us)
}

fn ab() -> LineId {
    LineId::parse("ab").unwrap()
}

fn names(parties: &[crate::PartyName]) -> Vec<&str> {
    parties.iter().map(crate::PartyName::as_str).collect()
}

/// Alpha and bravo on line `ab` (defaults), charlie registered but not on it.
fn setup() -> Engine {
    let e = engine();
    let admin = operator(T0);
    for p in ["alpha", "bravo", "charlie"] {
        e.coord().put_party(&admin, party(p)).unwrap();
    }
    let spec = LineSpec {
        name: "A-B".into(),
        parties: vec![manager("bravo"), manager("alpha")],
        policy: Policy::default(),
    };
    let (line, created) = e.coord().put_line(&admin, &ab(), &spec).unwrap();
    assert!(created);
    assert_eq!(names(&line.line.parties), ["alpha", "bravo"]);
    assert_eq!(line.line.next_check, Some(Time::from_micros(T0 + 3600 * S)));
    e
}

fn draft(priority: Priority, text: &str) -> MessageDraft {
    MessageDraft::new(priority, text)
}

#[test]
fn lines_need_two_registered_parties_and_a_sane_policy() {
    let e = setup();
    let admin = operator(T0);
    let spec = |parties: &[&str], policy: Policy| LineSpec {
        name: "x".into(),
        parties: parties.iter().map(|p| manager(p)).collect(),
        policy,
    };
    let x = LineId::parse("x").unwrap();
    let err = e.coord().put_line(&admin, &x, &spec(&["alpha", "alpha"], Policy::default())).unwrap_err();
    assert!(err.to_string().contains("at least two"), "{err}");
    let err = e.coord().put_line(&admin, &x, &spec(&["alpha", "zulu"], Policy::default())).unwrap_err();
    assert!(err.to_string().contains("zulu"), "{err}");
    let bad = Policy { liveness_deadline_s: 4000, ..Policy::default() };
    let err = e.coord().put_line(&admin, &x, &spec(&["alpha", "bravo"], bad)).unwrap_err();
    assert!(err.to_string().contains("liveness_deadline_s"), "{err}");
    let err = e.coord().put_party(&admin, party(SERVICE_ACTOR)).unwrap_err();
    assert!(matches!(err, EngineError::BadRequest(_)), "the service's name is not a party's: {err:?}");
    // Defaults as documented.
    let p: Policy = serde_json::from_str("{}").unwrap();
    assert_eq!(p, Policy::default());
    assert_eq!(
        (p.min_notice_s, p.ack_deadline_s.urgent, p.ack_deadline_s.flash, p.ack_deadline_s.routine),
        (3600, Some(300), Some(60), None)
    );
    // Visibility: parties see their lines, the admin all.
    assert_eq!(e.coord().lines(&at("alpha", T0)).unwrap().len(), 1);
    assert_eq!(e.coord().lines(&at("charlie", T0)).unwrap().len(), 0);
    assert!(matches!(e.coord().line(&at("charlie", T0), &ab()), Err(EngineError::Forbidden(_))));
    assert_eq!(e.coord().lines(&operator(T0)).unwrap().len(), 1);
    assert_eq!(e.coord().line(&operator(T0), &ab()).unwrap().line.id, ab());
    // Only the operator creates lines and registers parties.
    let spec = spec(&["alpha", "bravo"], Policy::default());
    let ab2 = LineId::parse("ab2").unwrap();
    assert!(matches!(e.coord().put_line(&at("alpha", T0), &ab2, &spec), Err(EngineError::Forbidden(_))));
    assert!(matches!(e.coord().put_party(&at("alpha", T0), party("delta")), Err(EngineError::Forbidden(_))));
}

#[test]
fn an_urgent_message_is_delivered_acknowledged_by_the_recipient_only_and_not_duplicated() {
    let e = setup();
    let mut d = draft(Priority::Urgent, "Request you hold east of grid 12 until 1400Z");
    d.idempotency_key = Some("k1".into());
    let sent = e.coord().send_message(&at("alpha", T0), &ab(), &d).unwrap();
    assert!(sent.created);
    let id = sent.view.message.id;
    assert_eq!(names(&sent.view.message.recipients), ["bravo"]);
    assert_eq!(sent.view.deliveries[0].ack_deadline, Some(t(T0 + 300 * S)));
    // A retry returns the same message.
    let again = e.coord().send_message(&at("alpha", T0 + S), &ab(), &d).unwrap();
    assert!(!again.created);
    assert_eq!(again.view.message.id, id);
    assert_eq!(kinds(&e).iter().filter(|k| **k == EventKind::MessageSent).count(), 1);
    // The same key from another sender is another message.
    let other = e.coord().send_message(&at("bravo", T0), &ab(), &d).unwrap();
    assert!(other.created);

    // The inbox delivers it.
    let inbox = e.coord().inbox(&at("bravo", T0 + 2 * S), true, None, 100).unwrap().items;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].message.id, id);
    assert_eq!(inbox[0].deliveries[0].delivered_at, Some(t(T0 + 2 * S)));
    assert_eq!(inbox[0].deliveries[0].delivered_via, Some(DeliveryChannel::Inbox));

    // Only the recipient acknowledges.
    let err = e.coord().ack_message(&at("alpha", T0 + 3 * S), id, "Maj. A").unwrap_err();
    assert!(matches!(err, EngineError::Forbidden(_)), "{err:?}");
    let err = e.coord().ack_message(&at("charlie", T0 + 3 * S), id, "Maj. C").unwrap_err();
    assert!(matches!(err, EngineError::Forbidden(_)), "{err:?}");
    let err = e.coord().ack_message(&at("bravo", T0 + 3 * S), id, " ").unwrap_err();
    assert!(matches!(err, EngineError::BadRequest(_)), "{err:?}");
    let acked = e.coord().ack_message(&at("bravo", T0 + 4 * S), id, "Maj. X").unwrap();
    let dl = &acked.deliveries[0];
    assert_eq!((dl.acked_at, dl.acked_by_operator.as_deref()), (Some(t(T0 + 4 * S)), Some("Maj. X")));
    // Acknowledged: never escalated.
    assert_eq!(
        e.coord().escalate_due(Time::from_micros(T0 + 3600 * S)).unwrap().escalated,
        1,
        "only bravo's own unacked urgent"
    );
    let (_, parties, _) = events(&e).into_iter().find(|(k, _, _)| *k == EventKind::MessageAcked).unwrap();
    assert_eq!(parties, ["alpha", "bravo"]);
    // The ack counted as a heartbeat.
    let line = e.coord().line(&at("alpha", T0), &ab()).unwrap();
    assert!(line.heartbeats.iter().any(|h| h.party == manager("bravo") && h.via == HeartbeatSource::Ack));
}

#[test]
fn overdue_messages_escalate_to_both_sides_until_acknowledged() {
    let e = setup();
    let sent =
        e.coord().send_message(&at("alpha", T0), &ab(), &draft(Priority::Flash, "Flash traffic")).unwrap();
    let id = sent.view.message.id;
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 59 * S)).unwrap().escalated, 0);
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 60 * S)).unwrap().escalated, 1);
    // Next deadline one period later; not escalated twice for one deadline.
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 61 * S)).unwrap().escalated, 0);
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 120 * S)).unwrap().escalated, 1);
    let esc: Vec<_> = events(&e).into_iter().filter(|(k, _, _)| *k == EventKind::MessageEscalated).collect();
    assert_eq!(esc.len(), 2);
    assert_eq!(esc[0].1, ["alpha", "bravo"]);
    assert_eq!(esc[1].2["escalations"], 2);
    let view = e.coord().ack_message(&at("bravo", T0 + 130 * S), id, "Capt. Y").unwrap();
    assert!(view.deliveries[0].overdue);
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 1000 * S)).unwrap().escalated, 0);
    // Routine messages never escalate.
    e.coord().send_message(&at("alpha", T0), &ab(), &draft(Priority::Routine, "fyi")).unwrap();
    assert_eq!(e.coord().escalate_due(Time::from_micros(T0 + 100_000 * S)).unwrap().escalated, 0);
}

#[test]
fn bad_messages_are_refused_and_nothing_is_stored() {
    let e = setup();
    let before = events(&e).len();
    let c = e.coord();
    let alpha = at("alpha", T0);
    assert!(
        c.send_message(&alpha, &ab(), &draft(Priority::Urgent, "  "))
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
    let long = "x".repeat(MAX_TEXT_BYTES + 1);
    assert!(
        c.send_message(&alpha, &ab(), &draft(Priority::Urgent, &long))
            .unwrap_err()
            .to_string()
            .contains("4096")
    );
    assert!(matches!(
        c.send_message(&alpha, &LineId::parse("nope").unwrap(), &draft(Priority::Urgent, "hi")),
        Err(EngineError::NotFound(_))
    ));
    assert!(matches!(
        c.send_message(&at("charlie", T0), &ab(), &draft(Priority::Urgent, "hi")),
        Err(EngineError::Forbidden(_))
    ));
    let mut d = draft(Priority::Urgent, "");
    d.template = Some(Template::RequestToVacate);
    d.fields.insert("where".into(), "grid 12".into());
    assert!(c.send_message(&alpha, &ab(), &d).unwrap_err().to_string().contains("fields.until"));
    d.fields.insert("colour".into(), "red".into());
    assert!(c.send_message(&alpha, &ab(), &d).unwrap_err().to_string().contains("fields.colour"));
    let mut d = draft(Priority::Urgent, "hi");
    d.to = Some(vec![manager("charlie")]);
    assert!(c.send_message(&alpha, &ab(), &d).unwrap_err().to_string().contains("charlie"));
    assert_eq!(events(&e).len(), before, "nothing was stored");
    // A template fills the standard text.
    let mut d = draft(Priority::Flash, "two aircraft");
    d.template = Some(Template::EmergencyAssistance);
    d.fields.insert("nature".into(), "engine failure".into());
    let sent = c.send_message(&alpha, &ab(), &d).unwrap();
    assert_eq!(
        sent.view.message.text,
        "EMERGENCY ASSISTANCE. alpha requests immediate assistance: engine failure. Remarks: two aircraft"
    );
}

#[test]
fn replies_share_the_thread_of_their_root() {
    let e = setup();
    let root =
        e.coord().send_message(&at("alpha", T0), &ab(), &draft(Priority::Routine, "q")).unwrap().view.message;
    let mut r = draft(Priority::Routine, "a");
    r.reply_to = Some(root.id);
    let reply = e.coord().send_message(&at("bravo", T0 + S), &ab(), &r).unwrap().view.message;
    r.reply_to = Some(reply.id);
    let reply2 = e.coord().send_message(&at("alpha", T0 + 2 * S), &ab(), &r).unwrap().view.message;
    assert_eq!((reply.thread_id, reply2.thread_id), (root.id, root.id));
    let thread = e.coord().line_messages(&at("bravo", T0), &ab(), Some(root.id), None, 100).unwrap();
    let ids: Vec<MessageId> = thread.items.iter().map(|m| m.message.id).collect();
    assert_eq!(
        (ids, thread.next),
        (vec![reply2.id, reply.id, root.id], None),
        "newest first, the whole thread"
    );
    // Pages of two: the first says where the next starts, the last that it is the last.
    let first = e.coord().line_messages(&at("bravo", T0), &ab(), Some(root.id), None, 2).unwrap();
    let ids: Vec<MessageId> = first.items.iter().map(|m| m.message.id).collect();
    assert_eq!((ids, first.next), (vec![reply2.id, reply.id], Some(reply.id)));
    let rest = e.coord().line_messages(&at("bravo", T0), &ab(), Some(root.id), first.next, 2).unwrap();
    let ids: Vec<MessageId> = rest.items.iter().map(|m| m.message.id).collect();
    assert_eq!((ids, rest.next), (vec![root.id], None));
    // Bravo's inbox holds only alpha's two messages; acknowledged ones are skipped with `unacked`.
    e.coord().ack_message(&at("bravo", T0 + 3 * S), reply2.id, "duty officer").unwrap();
    let inbox = e.coord().inbox(&at("bravo", T0 + 3 * S), true, None, 1).unwrap();
    assert_eq!(inbox.items.iter().map(|m| m.message.id).collect::<Vec<_>>(), [root.id]);
    assert_eq!(inbox.next, None, "reading past the acknowledged one finds nothing more");
    let all = e.coord().inbox(&at("bravo", T0 + 3 * S), false, None, 1).unwrap();
    assert_eq!((all.items[0].message.id, all.next), (reply2.id, Some(reply2.id)));
}

#[test]
fn suspension_records_who_when_why_and_stops_traffic_and_checks() {
    let e = setup();
    let err = e.coord().suspend_line(&at("charlie", T0), &ab(), "no").unwrap_err();
    assert!(matches!(err, EngineError::Forbidden(_)));
    let v = e.coord().suspend_line(&at("bravo", T0 + S), &ab(), "relocating the command post").unwrap();
    assert_eq!(
        v.line.state,
        LineState::Suspended {
            by: manager("bravo"),
            at: t(T0 + S),
            why: "relocating the command post".into()
        }
    );
    assert!(matches!(e.coord().suspend_line(&at("alpha", T0), &ab(), "again"), Err(EngineError::Stale(_))));
    assert!(matches!(
        e.coord().send_message(&at("alpha", T0), &ab(), &draft(Priority::Urgent, "hi")),
        Err(EngineError::Stale(_))
    ));
    assert_eq!(e.coord().liveness_due(Time::from_micros(T0 + 10 * 3600 * S)).unwrap().started, 0);
    let v = e.coord().resume_line(&at("alpha", T0 + 2 * S), &ab(), Some("back")).unwrap();
    assert_eq!(v.line.state, LineState::Active);
    assert_eq!(v.line.next_check, Some(t(T0 + 2 * S + 3600 * S)));
    let (_, parties, payload) =
        events(&e).into_iter().find(|(k, _, _)| *k == EventKind::LineResumed).unwrap();
    assert_eq!(parties, ["alpha", "bravo"]);
    assert_eq!(payload["suspended"]["by"], "bravo");
    assert_eq!(payload["by"], "alpha");
}

fn ack_check(e: &Engine, who: &str, t: i64) {
    let inbox = e.coord().inbox(&at(who, t), true, None, 10).unwrap().items;
    let check = inbox.iter().find(|m| m.message.kind == MessageKind::CommCheck).unwrap();
    e.coord().ack_message(&at(who, t), check.message.id, "duty officer").unwrap();
}

#[test]
fn a_silent_party_fails_the_check_kills_the_line_and_a_passed_check_revives_it() {
    let e = setup();
    let t1 = T0 + 3600 * S;
    assert_eq!(e.coord().liveness_due(Time::from_micros(t1 - 1)).unwrap().started, 0);
    assert_eq!(e.coord().liveness_due(Time::from_micros(t1)).unwrap().started, 1);
    // Both acknowledge: passed at the last acknowledgement.
    ack_check(&e, "alpha", t1 + 10 * S);
    ack_check(&e, "bravo", t1 + 20 * S);
    let checks = e.coord().checks(&at("alpha", t1), &ab(), None, 10).unwrap().items;
    assert_eq!(checks[0].result, CheckResult::Passed);
    assert!(kinds(&e).contains(&EventKind::CheckPassed));

    // Next check: bravo stays silent.
    let t2 = t1 + 3600 * S;
    e.coord().liveness_due(Time::from_micros(t2)).unwrap();
    ack_check(&e, "alpha", t2 + S);
    assert_eq!(e.coord().liveness_due(Time::from_micros(t2 + 299 * S)).unwrap().failed, 0);
    assert_eq!(e.coord().liveness_due(Time::from_micros(t2 + 300 * S)).unwrap().failed, 1);
    let line = e.coord().line(&at("alpha", t2), &ab()).unwrap().line;
    assert!(matches!(line.state, LineState::Dead { since, .. } if since == t(t2 + 300 * S)));
    let evs = events(&e);
    let (_, parties, payload) = evs.iter().find(|(k, _, _)| *k == EventKind::CheckFailed).unwrap();
    assert_eq!(payload["failed"], serde_json::json!(["bravo"]));
    assert_eq!(parties, &["alpha", "bravo"]);
    let (_, parties, _) = evs.iter().find(|(k, _, _)| *k == EventKind::LineDead).unwrap();
    assert_eq!(parties, &["alpha", "bravo"]);
    // No notices over a dead line.
    let t3 = t2 + 3600 * S;
    e.coord().liveness_due(Time::from_micros(t3)).unwrap();
    ack_check(&e, "alpha", t3 + S);
    ack_check(&e, "bravo", t3 + 2 * S);
    assert_eq!(e.coord().line(&at("alpha", t3), &ab()).unwrap().line.state, LineState::Active);
    assert!(kinds(&e).contains(&EventKind::LineAlive));
}

#[test]
fn an_exercise_is_flagged_and_its_failure_does_not_kill_the_line() {
    let e = setup();
    let check = e.coord().start_exercise(&at("alpha", T0), &ab()).unwrap();
    assert!(check.exercise);
    ack_check(&e, "alpha", T0 + S);
    let r = e.coord().liveness_due(Time::from_micros(T0 + 300 * S)).unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(e.coord().line(&at("alpha", T0), &ab()).unwrap().line.state, LineState::Active);
    let evs = events(&e);
    for kind in
        [EventKind::CheckStarted, EventKind::CheckFailed, EventKind::MessageSent, EventKind::MessageAcked]
    {
        let (_, _, payload) = evs.iter().find(|(k, _, _)| *k == kind).unwrap();
        let flagged = payload["exercise"]
            .as_bool()
            .or(payload["check"]["exercise"].as_bool())
            .or(payload["message"]["exercise"].as_bool());
        assert_eq!(flagged, Some(true), "{kind}: {payload}");
    }
    assert!(!kinds(&e).contains(&EventKind::LineDead));
}

fn intent_starting(who: &str, lat: f64, start: i64) -> PutIntent {
    crate::testsuite::put_params(who, vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), start, start + HOUR)])
}

#[test]
fn advance_notice_goes_to_line_partners_and_short_notice_is_late_for_both() {
    let e = setup();
    let late_id = EntityId::random();
    e.put_intent(&at("alpha", T0), late_id, None, &intent_starting("alpha", 46.0, T0 + 600 * S)).unwrap();
    let ok_id = EntityId::random();
    e.put_intent(&at("alpha", T0), ok_id, None, &intent_starting("alpha", 46.0, T0 + 2 * HOUR)).unwrap();
    let bravo = e.coord().notices(&at("bravo", T0)).unwrap();
    assert_eq!(bravo.received.len(), 2);
    let late = bravo.received.iter().find(|n| n.intent_id == late_id).unwrap();
    assert!(late.late);
    assert_eq!((late.filed_at, late.notified_at, late.time_start), (t(T0), t(T0), t(T0 + 600 * S)));
    assert!(!bravo.received.iter().find(|n| n.intent_id == ok_id).unwrap().late);
    assert_eq!(e.coord().notices(&at("alpha", T0)).unwrap().given.len(), 2);
    assert!(e.coord().notices(&at("charlie", T0)).unwrap().received.is_empty());
    let evs = events(&e);
    let lates: Vec<_> = evs.iter().filter(|(k, _, _)| *k == EventKind::NoticeLate).collect();
    assert_eq!(lates.len(), 1);
    assert_eq!(lates[0].1, ["alpha", "bravo"]);
    let stats = e.coord().notice_stats().unwrap();
    assert_eq!(stats, [NoticeStats { party: manager("alpha"), late: 1, total: 2 }]);
    // Only the recipient acknowledges.
    assert!(matches!(e.coord().ack_notice(&at("alpha", T0), late_id, None), Err(EngineError::NotFound(_))));
    let n = e.coord().ack_notice(&at("bravo", T0 + S), late_id, Some("Lt. B")).unwrap();
    assert_eq!(n.acked_at, Some(t(T0 + S)));
    // Updates give no new notice; suspended lines give none.
    e.coord().suspend_line(&at("bravo", T0), &ab(), "maintenance").unwrap();
    e.put_intent(&at("alpha", T0), EntityId::random(), None, &intent_starting("alpha", 47.0, T0 + 600 * S))
        .unwrap();
    assert_eq!(e.coord().notices(&at("bravo", T0)).unwrap().received.len(), 2);
}

#[test]
fn refused_conflicts_open_one_thread_per_pair_of_intents() {
    let e = setup();
    let thread = super::refusal_thread("bravo", "i-bravo", "alpha", "i-alpha");
    let post = |t: i64, c: &ConflictThread| e.coord().conflict_thread(geom::Time::from_micros(t), c).unwrap();
    assert!(post(T0, &thread));
    // A quick retry does not flood the thread; a later one appends to it.
    assert!(!post(T0 + S, &thread));
    assert!(post(T0 + 120 * S, &thread));
    let msgs = e.coord().line_messages(&at("alpha", T0), &ab(), None, None, 10).unwrap().items;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].message.thread_id, msgs[1].message.thread_id);
    assert!(msgs[0].message.sender.is_service());
    assert_eq!(msgs[0].message.priority, Priority::Urgent);
    assert!(msgs[0].message.text.contains("i-alpha") && msgs[0].message.text.contains("i-bravo"));
    // No line with charlie: nothing; a party with itself: nothing.
    assert!(!post(T0, &super::refusal_thread("bravo", "i-bravo", "charlie", "i-charlie")));
    assert!(!post(T0, &super::refusal_thread("bravo", "i-b1", "bravo", "i-b2")));
}

#[test]
fn webhook_cursor_backs_off_and_never_moves_back() {
    assert_eq!([1, 2, 3, 4, 7, 8, 30].map(backoff_us), [1, 2, 4, 8, 60, 60, 60].map(|s| s * S));
    let e = engine();
    let admin = operator(T0);
    let mut p = party("alpha");
    p.webhook_url = Some("https://alpha.example/hook".into());
    e.coord().put_party(&admin, p).unwrap();
    // Seal so there is something to read.
    let key = audit::ServiceKey::generate().unwrap();
    crate::ledger::seal_once(&**e.store(), &key, "r1", Time::from_micros(T0), 100).unwrap();
    let now = Time::from_micros(T0);
    let batch = e.coord().webhook_batch(&manager("alpha"), "r1", now, 30 * S, 100).unwrap().unwrap();
    assert_eq!(batch.entries.len(), 1, "party.updated");
    // Another replica cannot take the lease.
    assert!(e.coord().webhook_batch(&manager("alpha"), "r2", now, 30 * S, 100).unwrap().is_none());
    e.coord().webhook_done(&batch, "r1", now, 30 * S, 0, Some("HTTP 500")).unwrap();
    let c = e.coord().webhook_cursor(&manager("alpha")).unwrap();
    assert_eq!((c.seq, c.attempts, c.next_attempt), (0, 1, t(T0 + S)));
    assert!(
        e.coord().webhook_batch(&manager("alpha"), "r1", now, 30 * S, 100).unwrap().is_none(),
        "not before the backoff"
    );
    let later = Time::from_micros(T0 + S);
    let batch = e.coord().webhook_batch(&manager("alpha"), "r1", later, 30 * S, 100).unwrap().unwrap();
    e.coord().webhook_done(&batch, "r1", later, 30 * S, 1, None).unwrap();
    let c = e.coord().webhook_cursor(&manager("alpha")).unwrap();
    assert_eq!((c.seq, c.attempts), (1, 0));
    // Plain http is refused unless allowed.
    let mut p = party("bravo");
    p.webhook_url = Some("http://bravo.example".into());
    assert!(matches!(e.coord().put_party(&admin, p), Err(EngineError::BadRequest(_))));
}

#[test]
fn only_the_party_or_the_operator_sets_its_webhook_and_a_receipt_needs_its_own_endpoint() {
    let e = setup();
    let (hook, sink) = ("https://alpha.example/hook", "https://bravo.example/sink");
    // Bravo cannot point Alpha's webhook at a sink it controls.
    let err = e.coord().set_webhook(&at("bravo", T0), &manager("alpha"), Some(sink.into())).unwrap_err();
    assert!(matches!(err, EngineError::Forbidden(ref m) if m.contains("only alpha itself")), "{err:?}");
    assert!(matches!(
        e.coord().set_webhook(
            &at("alpha", T0),
            &manager("alpha"),
            Some("https://b\u{fc}cher.example".into())
        ),
        Err(EngineError::BadRequest(_))
    ));
    // Alpha sets its own; the change is an event Alpha sees, with the URL.
    e.coord().set_webhook(&at("alpha", T0), &manager("alpha"), Some(hook.into())).unwrap();
    let (kind, parties, payload) = events(&e).pop().unwrap();
    assert_eq!(
        (kind, parties, payload["webhook_url"].as_str()),
        (EventKind::PartyUpdated, vec!["alpha".to_owned()], Some(hook))
    );
    // A message from Bravo, read for Alpha's webhook...
    let sent = e.coord().send_message(&at("bravo", T0), &ab(), &draft(Priority::Urgent, "hello")).unwrap();
    let key = audit::ServiceKey::generate().unwrap();
    crate::ledger::seal_once(&**e.store(), &key, "r1", Time::from_micros(T0), 100).unwrap();
    let now = Time::from_micros(T0 + S);
    let batch = e.coord().webhook_batch(&manager("alpha"), "r1", now, 30 * S, 100).unwrap().unwrap();
    assert!(batch.entries.iter().any(|en| en.kind == EventKind::MessageSent.name()));
    // ...but the operator moves the webhook before the 2xx is recorded: the
    // 2xx of the old endpoint is no receipt of Alpha.
    e.coord()
        .set_webhook(&operator(T0 + S), &manager("alpha"), Some("https://alpha.example/new".into()))
        .unwrap();
    e.coord().webhook_done(&batch, "r1", now, 30 * S, batch.entries.len(), None).unwrap();
    let receipt = |e: &Engine| {
        let v = e.coord().message(&at("bravo", T0 + 2 * S), sent.view.message.id).unwrap();
        v.deliveries[0].delivered_via
    };
    assert_eq!(receipt(&e), None);
    // The next batch goes to the new URL, and its 2xx is a receipt.
    crate::ledger::seal_once(&**e.store(), &key, "r1", Time::from_micros(T0 + S), 100).unwrap();
    let batch = e.coord().webhook_batch(&manager("alpha"), "r1", now, 30 * S, 100).unwrap().unwrap();
    assert_eq!(batch.url, "https://alpha.example/new");
    e.coord().webhook_done(&batch, "r1", now, 30 * S, batch.entries.len(), None).unwrap();
    assert_eq!(receipt(&e), Some(DeliveryChannel::Webhook));
}
