//! The database down or misbehaving: `StoreError::Unavailable`, never a panic,
//! and broken connections are replaced rather than reused.

use std::time::{Duration, Instant};

use deconflict_core::testsuite::{HOUR, T0, intent, square, volume};
use deconflict_core::{EntityId, Store, StoreError, TxMode};
use store_postgres::{PgOptions, PgStore};

use crate::{TestSchema, fresh_pg_store, intents_held, pg_url};

/// A port on which nothing listens: bind one, note it, close it.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

/// Needs no server: runs everywhere.
#[test]
fn nothing_listening_is_unavailable() {
    let url = format!("postgres://nobody:secret@127.0.0.1:{}/nothing", dead_port());
    let opts = PgOptions { connect_timeout: Duration::from_secs(2), ..PgOptions::default() };
    let started = Instant::now();
    let err = PgStore::connect(&url, opts).expect_err("nothing listens there");
    assert!(started.elapsed() < Duration::from_secs(10), "connect must give up quickly");
    match &err {
        StoreError::Unavailable { message: msg, source } => {
            assert!(source.is_some(), "the driver's error is the source");
            assert!(msg.contains("127.0.0.1"), "the message names the target: {msg}");
            assert!(!msg.contains("secret"), "the message must not leak the password: {msg}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn bad_connection_string_is_a_settings_error() {
    let err = PgStore::connect("postgres://[not a url", PgOptions::default()).expect_err("invalid");
    assert!(matches!(err, StoreError::Settings { source: Some(_), .. }), "got {err:?}");
}

/// Wrong password: the server answers, but refuses: Unavailable too.
#[test]
fn refused_login_is_unavailable() {
    let Some(url) = pg_url() else { return };
    let mut config: postgres::Config = url.parse().expect("test url parses");
    config.password("definitely-not-the-password");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or("postgres");
    let bad = format!("host={host} port={port} user={user} dbname={db} password=definitely-not-the-password");
    let err = PgStore::connect(&bad, PgOptions::default()).expect_err("wrong password");
    assert!(matches!(err, StoreError::Unavailable { .. }), "got {err:?}");
}

fn terminate_sessions(schema: &TestSchema) -> i64 {
    let mut admin = crate::admin(&schema.url);
    let row = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&schema.name],
        )
        .expect("terminate");
    // Give the server a moment to finish the terminations.
    std::thread::sleep(Duration::from_millis(200));
    row.get(0)
}

/// Idle connections killed on the server (as by a restart) are noticed and
/// replaced by `begin`, without an error reaching the caller.
#[test]
fn stale_idle_connections_are_replaced() {
    let Some(store) = fresh_pg_store() else { return };
    // Put 3 connections in the pool.
    {
        let _t1 = store.begin(TxMode::Read).expect("begin");
        let _t2 = store.begin(TxMode::Read).expect("begin");
        let _t3 = store.begin(TxMode::Read).expect("begin");
    }
    assert!(terminate_sessions(&store.schema) >= 3);
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    let mut tx = store.begin(TxMode::Write).expect("begin on a replaced connection");
    tx.put_intent(&oi).expect("put");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), Some(oi));
}

/// A connection killed in the middle of a transaction: Unavailable from the
/// statement and from commit, no panic, and the next transaction works.
#[test]
fn connection_lost_mid_transaction_is_unavailable() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.intent(EntityId::random()).expect("first read works");
    terminate_sessions(&store.schema);
    let err = tx.intent(EntityId::random()).expect_err("the session is gone");
    assert!(matches!(err, StoreError::Unavailable { .. }), "got {err:?}");
    let err = tx.commit().expect_err("cannot commit on a dead session");
    assert!(matches!(err, StoreError::Unavailable { .. }), "got {err:?}");
    let mut tx = store.begin(TxMode::Read).expect("a fresh connection");
    assert_eq!(tx.counts().expect("counts").intents, 0);
}

/// A connection lost when only the COMMIT is left: the commit may or may
/// not have been applied, so the outcome is unknown (never "nothing was
/// written").
#[test]
fn connection_lost_at_commit_is_outcome_unknown() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    tx.put_intent(&oi).expect("put");
    terminate_sessions(&store.schema);
    let err = tx.commit().expect_err("cannot commit on a dead session");
    assert!(matches!(err, StoreError::OutcomeUnknown { .. }), "got {err:?}");
    let mut tx = store.begin(TxMode::Read).expect("a fresh connection");
    assert_eq!(tx.intent(oi.id).expect("read back"), None, "here the server had rolled it back");
}

/// A statement stopped by statement_timeout is Unavailable; the transaction's
/// commit repeats the failure (rather than PostgreSQL's silent rollback), and
/// the connection stays usable.
#[test]
fn statement_timeout_is_unavailable_and_commit_repeats_it() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let opts =
        PgOptions { pool_size: 1, statement_timeout: Some(Duration::from_millis(300)), ..schema.opts() };
    let store = schema.store(opts);
    // Hold a lock that the store's read must wait for.
    let mut locker = schema.admin();
    let mut lock_tx = locker.transaction().expect("begin");
    lock_tx.batch_execute("LOCK TABLE operational_intents IN ACCESS EXCLUSIVE MODE").expect("lock");

    let mut tx = store.begin(TxMode::Write).expect("begin");
    let err = tx.intent(EntityId::random()).expect_err("blocked until the timeout");
    assert!(
        matches!(err, StoreError::Unavailable { message: ref m, .. } if m.contains("statement")),
        "got {err:?}"
    );
    let again = tx.counts().expect_err("the transaction is aborted");
    assert!(matches!(again, StoreError::Unavailable { .. }), "got {again:?}");
    let commit = tx.commit().expect_err("an aborted transaction cannot commit");
    assert!(matches!(commit, StoreError::Unavailable { .. }), "got {commit:?}");
    lock_tx.rollback().expect("unlock");

    // Same (only) pooled connection, still fine.
    assert_eq!(intents_held(&store), 0);
}

/// More concurrent transactions than connections wait, then fail cleanly.
#[test]
fn exhausted_pool_waits_then_is_unavailable() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let opts = PgOptions { pool_size: 1, acquire_timeout: Duration::from_millis(200), ..schema.opts() };
    let store = schema.store(opts);
    let held = store.begin(TxMode::Read).expect("begin");
    let err = store.begin(TxMode::Read).map(|_| ()).expect_err("no connection free");
    assert!(
        matches!(err, StoreError::Unavailable { message: ref m, .. } if m.contains("busy")),
        "got {err:?}"
    );
    drop(held);
    store.begin(TxMode::Read).expect("free again");
}
