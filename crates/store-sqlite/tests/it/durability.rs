//! What is committed stays committed across close and reopen; what cannot be
//! decoded is reported as corrupt.

use deconflict_core::model::{Availability, AvailabilityRecord};
use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{
    HOUR, T0, circle, constraint, intent, manager, square, subscription, volume,
};
use deconflict_core::{Store, StoreError, TxMode};
use geom::Time;
use store_sqlite::SqliteStore;

use crate::{Fresh, fresh_store};

#[test]
fn data_survives_close_and_reopen() {
    let fresh = fresh_store();
    let path = fresh.file();
    let extents = vec![
        volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR),
        volume(circle(46.2, 7.2, 500.0), (30.0, 90.0), T0 + 17, T0 + 2 * HOUR + 3),
    ];
    let mut oi = intent("alice", extents.clone());
    let mut sub = subscription("alice", extents.clone());
    sub.implicit = true;
    oi.subscription_id = Some(sub.id);
    let c = constraint("bob", extents.clone());
    let avail =
        AvailabilityRecord { uss: manager("carol"), availability: Availability::Down, version: "v1".into() };
    let Fresh { store, dir } = fresh;
    {
        let mut tx = store.begin(TxMode::Write).expect("begin");
        tx.put_subscription(&sub).expect("put");
        tx.put_intent(&oi).expect("put");
        tx.put_constraint(&c).expect("put");
        tx.put_availability(&avail).expect("put");
        tx.commit().expect("commit");
    }
    drop(store);
    assert!(path.exists());

    let store = SqliteStore::open(&path).expect("reopen");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), Some(oi.clone()));
    assert_eq!(tx.constraint(c.id).expect("get"), Some(c.clone()));
    assert_eq!(tx.subscription(sub.id).expect("get"), Some(sub.clone()));
    assert_eq!(tx.availability(&manager("carol")).expect("get"), Some(avail));
    assert_eq!(tx.intents_of_subscription(sub.id).expect("query"), vec![oi.id]);
    let q = AreaQuery::new(&extents);
    assert_eq!(tx.intents_in(&q).expect("query").len(), 1);
    assert_eq!(tx.constraints_in(&q).expect("query").len(), 1);
    assert_eq!(tx.subscriptions_in(&q).expect("query").len(), 1);
    drop(tx);
    drop(store);
    drop(dir);
}

/// The database file of a store opened on a file.
fn file(store: &SqliteStore) -> &std::path::Path {
    store.path().expect("a file-backed store")
}

#[test]
fn index_follows_updates_and_deletes() {
    let store = fresh_store();
    let here = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let there = vec![volume(square(47.0, 8.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let mut oi = intent("a", here.clone());
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("put");
    tx.commit().expect("commit");
    // Move it: the old box must no longer find it, the new one must.
    oi.extents = there.clone();
    oi.version = 2;
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("update");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert!(tx.intents_in(&AreaQuery::new(&here)).expect("query").is_empty());
    assert_eq!(tx.intents_in(&AreaQuery::new(&there)).expect("query"), vec![oi.clone()]);
    drop(tx);
    // Delete it: no index entry may survive (the trigger removes it).
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.delete_intent(oi.id).expect("delete");
    tx.commit().expect("commit");
    let conn = rusqlite::Connection::open(file(&store)).expect("open");
    let n: i64 =
        conn.query_row("SELECT COUNT(*) FROM operational_intents_rtree", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 0);
}

#[test]
fn purge_removes_index_entries_too() {
    let crate::Fresh { store, dir: _dir } = fresh_store();
    let ended = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for _ in 0..10 {
        tx.put_intent(&intent("a", ended.clone())).expect("put");
        tx.put_constraint(&constraint("a", ended.clone())).expect("put");
        tx.put_subscription(&subscription("a", ended.clone())).expect("put");
    }
    tx.commit().expect("commit");
    let path = store.path().expect("a file-backed store").to_owned();
    let engine = deconflict_core::Engine::new(std::sync::Arc::new(store), deconflict_core::Limits::default());
    let purged = engine.purge_expired(Time::from_micros(T0 + HOUR)).expect("purge");
    assert_eq!((purged.intents, purged.constraints, purged.subscriptions), (10, 10, 10));
    let conn = rusqlite::Connection::open(path).expect("open");
    for t in ["operational_intents_rtree", "constraints_rtree", "subscriptions_rtree"] {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0)).expect("count");
        assert_eq!(n, 0, "{t}");
    }
}

#[test]
fn writes_in_a_read_transaction_are_refused() {
    let store = fresh_store();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let err = tx.put_intent(&intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 1.0), T0, T0 + 1)]));
    assert!(matches!(err, Err(StoreError::ReadOnly)), "{err:?}");
}

#[test]
fn undecodable_rows_are_corrupt() {
    let store = fresh_store();
    let extents = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let oi = intent("a", extents.clone());
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("put");
    tx.commit().expect("commit");
    {
        let conn = rusqlite::Connection::open(file(&store)).expect("open");
        conn.execute("UPDATE operational_intents SET extents = x'01ff'", []).expect("damage");
    }
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let got = tx.intent(oi.id);
    assert!(
        matches!(&got, Err(StoreError::Corrupt { message: m, .. }) if m.contains(&oi.id.to_string())),
        "{got:?}"
    );
    let got = tx.intents_in(&AreaQuery::new(&extents));
    assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{got:?}");
    drop(tx);
    {
        let conn = rusqlite::Connection::open(file(&store)).expect("open");
        conn.execute(
            "UPDATE operational_intents SET extents = ?1, ovn = 'short'",
            [deconflict_core::codec::encode(&extents)],
        )
        .expect("damage");
    }
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let got = tx.intent(oi.id);
    assert!(matches!(&got, Err(StoreError::Corrupt { message: m, .. }) if m.contains("ovn")), "{got:?}");
}

#[test]
fn opening_garbage_or_nowhere_fails_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).expect("write");
    let err = SqliteStore::open(&garbage).expect_err("not a database");
    // SQLite's own error is kept as the source.
    assert!(matches!(err, StoreError::Corrupt { source: Some(_), .. }), "{err:?}");
    let err = SqliteStore::open(&dir.path().join("no/such/dir/x.db")).expect_err("no directory");
    assert!(matches!(err, StoreError::Unavailable { source: Some(_), .. }), "{err:?}");
}
