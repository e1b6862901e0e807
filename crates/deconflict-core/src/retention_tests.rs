//! Retention on the memory store: what is old goes, what is new or still
//! awaited stays, and the audit chain verifies after bodies are forgotten.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use geom::Time;

use super::*;
use crate::App;
use crate::coord::{LineId, MessageDraft, MessageId, Priority};
use crate::engine::{Ctx, Limits};
use crate::ids::EntityId;
use crate::memory::MemoryStore;
use crate::store::TxMode;
use crate::testsuite::{HOUR, T0, manager};

const DAY: i64 = 24 * HOUR;

fn at(who: &str, t: i64) -> Ctx {
    Ctx::new(manager(who), Time::from_micros(t))
}

/// Alpha and bravo on line `ab`, set up an hour before [`T0`].
fn setup() -> App {
    let e = App::new(Arc::new(MemoryStore::new()), Limits::default());
    let admin = at("admin", T0 - HOUR).with_roles(crate::Roles::NONE.with(crate::Role::Operator));
    crate::testsuite::alpha_and_bravo_on_line_ab(&e, &admin);
    e
}

fn ab() -> LineId {
    LineId::parse("ab").unwrap()
}

fn send(e: &App, t: i64, priority: Priority, text: &str, key: Option<&str>) -> MessageId {
    let draft = MessageDraft { idempotency_key: key.map(str::to_owned), ..MessageDraft::new(priority, text) };
    e.coord().send_message(&at("alpha", t), &ab(), &draft).unwrap().view.message.id
}

fn exists(e: &App, kind: &str, id: impl std::fmt::Display) -> bool {
    e.runner().store().begin(TxMode::Read).unwrap().record(kind, &id.to_string()).unwrap().is_some()
}

/// Seals what is pending; returns the whole log and its checkpoints.
fn sealed(e: &App, key: &audit::ServiceKey, now: i64) -> (Vec<audit::Entry>, Vec<audit::Checkpoint>) {
    crate::ledger::seal_once(&**e.runner().store(), key, "r", Time::from_micros(now), usize::MAX).unwrap();
    let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
    (tx.sealed_after(0, usize::MAX).unwrap(), tx.checkpoints_after(0).unwrap())
}

#[test]
fn old_history_goes_awaited_messages_stay_and_the_chain_verifies() {
    let e = setup();
    let key = audit::ServiceKey::generate().unwrap();
    let fyi = send(&e, T0, Priority::Routine, "old fyi", Some("k1"));
    let owed = send(&e, T0, Priority::Urgent, "old, never acknowledged", None);
    let answered = send(&e, T0, Priority::Urgent, "old, acknowledged", None);
    e.coord().ack_message(&at("bravo", T0 + 10_000_000), answered, "Lt Smith").unwrap();
    let fresh = send(&e, T0 + 2 * DAY, Priority::Routine, "new", None);
    let now = T0 + 2 * DAY + HOUR;
    sealed(&e, &key, now);

    let r = e.engine().purge_history(Time::from_micros(now), DAY).unwrap();
    assert_eq!((r.messages, r.messages_kept), (2, 1), "{r:?}");
    assert_eq!(r.deliveries, 2, "one delivery (to bravo) each");
    assert!(!exists(&e, kind::MESSAGE, fyi) && !exists(&e, kind::MESSAGE, answered));
    assert!(!exists(&e, kind::DELIVERY, format!("{answered}:bravo")));
    assert!(exists(&e, kind::MESSAGE, owed), "an unacknowledged urgent message is kept whatever its age");
    assert!(exists(&e, kind::DELIVERY, format!("{owed}:bravo")));
    assert!(exists(&e, kind::MESSAGE, fresh));
    assert!(
        !exists(&e, kind::MESSAGE_KEY, crate::coord::key_id(&manager("alpha"), "k1")),
        "the idempotency key goes too"
    );
    // The log is forgotten only up to the oldest message still owed an answer:
    // the set-up an hour before it, not the messages.
    let (entries, checkpoints) = sealed(&e, &key, now);
    let setup_entries = entries.iter().filter(|en| en.timestamp < T0).count() as u64;
    assert!(setup_entries >= 3, "parties and line");
    assert_eq!((r.entries, r.forgotten_through), (setup_entries, setup_entries));
    let retention = entries.last().unwrap();
    assert_eq!(retention.kind, RETENTION_APPLIED.name());
    assert!(retention.parties.is_empty(), "only auditors see retention");

    // Once acknowledged it goes, and so do the bodies of everything before the cutoff.
    e.coord().ack_message(&at("bravo", now), owed, "Lt Smith").unwrap();
    let r = e.engine().purge_history(Time::from_micros(now), DAY).unwrap();
    assert_eq!((r.messages, r.messages_kept), (1, 0), "{r:?}");
    let (entries, checkpoints_now) = sealed(&e, &key, now);
    let old = entries.iter().take_while(|en| en.timestamp < now - DAY).count() as u64;
    assert_eq!(r.forgotten_through, old);
    let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
    assert_eq!(forgotten_through(&mut *tx).unwrap(), old);
    drop(tx);
    for en in &entries[..usize::try_from(old).unwrap()] {
        assert!(en.payload.is_empty() && en.parties.is_empty() && en.actor.is_empty(), "{en:?}");
    }
    assert!(entries.iter().any(|en| en.seq > old && en.payload.contains("new")), "recent bodies stay");

    // The chain and every checkpoint still verify, for an auditor and for a party...
    let trusted = [key.public_key()];
    let full = audit_slice(&entries, &checkpoints_now, old, |_| true);
    assert_eq!(full.entries.len(), entries.len() - usize::try_from(old).unwrap());
    let report = audit::verify_slice(&full, &trusted).unwrap();
    assert!(report.fully_signed(), "{report}");
    assert!(checkpoints.len() < checkpoints_now.len());
    let bravo = audit_slice(&entries, &checkpoints_now, old, |en| en.concerns("bravo"));
    assert!(audit::verify_slice(&bravo, &trusted).unwrap().fully_signed());
    // ...but the forgotten bodies are gone: the raw entries no longer hash.
    assert!(matches!(
        audit::verify(&entries, &checkpoints_now, &trusted),
        Err(audit::VerifyError::BadHash { seq: 1 })
    ));
    // A forgotten entry still binds its neighbours: change its link and the slice fails.
    let mut forged = full.clone();
    forged.skeleton[0].hash[0] ^= 1;
    assert!(audit::verify_slice(&forged, &trusted).is_err());

    // A second pass with nothing new to do changes nothing and logs nothing.
    let before = entries.len();
    let r = e.engine().purge_history(Time::from_micros(now), DAY).unwrap();
    assert_eq!(r, HistoryPurge { forgotten_through: old, ..HistoryPurge::default() });
    assert_eq!(sealed(&e, &key, now).0.len(), before);
}

#[test]
fn finished_checks_go_open_ones_stay_and_notices_and_threads_by_age() {
    let e = setup();
    // The line's first check is due at T0 (interval one hour after set-up).
    assert_eq!(e.coord().liveness_due(Time::from_micros(T0)).unwrap().started, 1);
    // It fails at its deadline (nobody acknowledged); the next one starts an hour later.
    assert_eq!(e.coord().liveness_due(Time::from_micros(T0 + 600_000_000)).unwrap().failed, 1);
    assert_eq!(e.coord().liveness_due(Time::from_micros(T0 + 3 * DAY)).unwrap().started, 1);
    let mut tx = e.runner().store().begin(TxMode::Write).unwrap();
    let checks = tx.records_after(kind::CHECK, "", 10).unwrap();
    assert_eq!(checks.len(), 2);
    // (label, when notified, when last posted, the thread's message id)
    let old_thread = "01890a5d-ac96-774b-bcce-b302099a8057";
    let new_thread = "01890a5d-ac96-774b-bcce-b302099a8058";
    for (id, notified, posted, thread_id) in
        [("old", T0, T0, old_thread), ("new", T0 + 3 * DAY, T0 + 3 * DAY, new_thread)]
    {
        let notice = crate::coord::Notice {
            intent_id: EntityId::random(),
            line_id: ab(),
            giver: manager("alpha"),
            recipient: manager("bravo"),
            filed_at: Time::from_micros(notified),
            time_start: Time::from_micros(notified),
            notified_at: Time::from_micros(notified),
            min_notice_s: 0,
            late: false,
            acked_at: None,
            acked_by_operator: None,
        };
        save(&mut *tx, kind::NOTICE, &format!("{id}:bravo"), &notice, (Some("bravo"), Some("alpha")), None)
            .unwrap();
        let thread = json!({ "thread_id": thread_id, "last_posted_us": posted });
        save(&mut *tx, kind::CONFLICT_THREAD, &format!("ab:{id}"), &thread, (Some("ab"), None), None)
            .unwrap();
    }
    tx.commit().unwrap();

    let now = T0 + 3 * DAY + HOUR;
    let r = e.engine().purge_history(Time::from_micros(now), DAY).unwrap();
    assert_eq!((r.checks, r.notices, r.threads, r.messages), (1, 1, 1, 1), "{r:?}");
    let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
    let left = tx.records_after(kind::CHECK, "", 10).unwrap();
    assert_eq!(
        left.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [checks[1].id.as_str()],
        "the open one"
    );
    assert!(tx.record(kind::NOTICE, "old:bravo").unwrap().is_none());
    assert!(tx.record(kind::NOTICE, "new:bravo").unwrap().is_some());
    assert!(tx.record(kind::CONFLICT_THREAD, "ab:old").unwrap().is_none());
    assert!(tx.record(kind::CONFLICT_THREAD, "ab:new").unwrap().is_some());
    drop(tx);
    // The failed check's message is owed nothing any more: it went too; the
    // open check's message stays while its acknowledgements are awaited.
    let r = e.engine().purge_history(Time::from_micros(now + 3 * DAY), DAY).unwrap();
    assert_eq!(r.messages_kept, 1, "the open check's message: {r:?}");
}
