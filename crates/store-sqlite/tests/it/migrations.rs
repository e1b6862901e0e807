//! Schema versioning: migrations are recorded once, a newer database is refused.

use deconflict_core::StoreError;
use store_sqlite::{SCHEMA_VERSION, SqliteStore};

fn versions(path: &std::path::Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version").expect("prepare");
    stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
}

#[test]
fn migrations_are_recorded_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.db");
    drop(SqliteStore::open(&path).expect("create"));
    let want: Vec<i64> = (1..=SCHEMA_VERSION).collect();
    assert_eq!(versions(&path), want);
    drop(SqliteStore::open(&path).expect("reopen"));
    assert_eq!(versions(&path), want, "reopening must not apply anything again");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let applied_at: String = conn
        .query_row("SELECT applied_at FROM schema_migrations WHERE version = 1", [], |r| r.get(0))
        .expect("applied_at");
    assert!(applied_at.starts_with("20") && applied_at.ends_with('Z'), "{applied_at}");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("pragma");
    assert_eq!(mode, "wal");
}

#[test]
fn a_database_from_the_future_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).expect("create"));
    let future = SCHEMA_VERSION + 1;
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 'by a newer build')",
            [future],
        )
        .expect("mark as newer");
    }
    let err = SqliteStore::open(&path).expect_err("a newer schema must be refused");
    match &err {
        StoreError::Unavailable(msg) => {
            assert!(msg.contains(&format!("schema version {future}")), "{msg}");
            assert!(msg.contains("newer"), "{msg}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // Refusing changed nothing.
    let want: Vec<i64> = (1..=future).collect();
    assert_eq!(versions(&path), want);
}

/// A database written by a build at schema version 1 (before the event log)
/// is upgraded to the current version when opened, keeping its data.
#[test]
fn a_version_1_database_is_upgraded() {
    use deconflict_core::testsuite::{HOUR, T0, intent, square, volume};
    use deconflict_core::{Store, TxMode};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, '2030-01-01T00:00:00.000Z');",
        )
        .expect("bootstrap");
        conn.execute_batch(include_str!("../../migrations/0001_init.sql")).expect("migration 1");
    }
    // Data written at version 1 by the SQL of version 1.
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute(
            "INSERT INTO operational_intents (id, manager, version, state, ovn, uss_base_url, \
             subscription_id, created_at, updated_at, time_start, time_end, alt_lower, alt_upper, extents) \
             VALUES (?1, 'a', 1, 'Accepted', ?2, 'https://a.example', NULL, 0, 0, 0, 1, 0, 1, ?3)",
            rusqlite::params![
                oi.id.to_string(),
                oi.ovn.as_str(),
                deconflict_core::codec::encode(&oi.extents)
            ],
        )
        .expect("v1 row");
    }
    assert_eq!(versions(&path), vec![1]);
    let store = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(versions(&path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    assert_eq!(SCHEMA_VERSION, 3);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get").map(|o| o.id), Some(oi.id), "version 1 data survives");
    assert!(tx.unsealed_events(10).expect("events table exists").is_empty());
    assert!(tx.acquire_lease("l", "me", geom::Time::from_micros(T0), 1).expect("leases table exists"));
    assert_eq!(tx.record("k", "1").expect("records table exists"), None);
    tx.commit().expect("commit");
}

/// A database written by a build at schema version 2 (before the generic
/// records) is upgraded to the current version when opened, keeping its data.
#[test]
fn a_version_2_database_is_upgraded() {
    use deconflict_core::records::{Record, RecordKey};
    use deconflict_core::testsuite::T0;
    use deconflict_core::{Store, TxMode};
    use geom::Time;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, '2030-01-01T00:00:00.000Z'),
                                                  (2, '2030-01-02T00:00:00.000Z');",
        )
        .expect("bootstrap");
        conn.execute_batch(include_str!("../../migrations/0001_init.sql")).expect("migration 1");
        conn.execute_batch(include_str!("../../migrations/0002_events.sql")).expect("migration 2");
        // Data written at version 2 by the SQL of version 2.
        conn.execute_batch(
            "INSERT INTO uss_availability (uss, availability, version) VALUES ('uss-a', 'Down', 'v2');
             INSERT INTO events (at, kind, actor, subject, parties, payload)
                 VALUES (7, 'k', 'uss-a', NULL, '[\"uss-a\"]', '{ \"kept\" : true }');
             INSERT INTO leases (name, holder, until) VALUES ('sealer', 'replica-1', 9223372036854775807);",
        )
        .expect("v2 rows");
    }
    assert_eq!(versions(&path), vec![1, 2]);
    let store = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(versions(&path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    assert_eq!(SCHEMA_VERSION, 3);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let uss = deconflict_core::testsuite::manager("uss-a");
    assert_eq!(tx.availability(&uss).expect("get").map(|r| r.version), Some("v2".to_owned()));
    let pending = tx.unsealed_events(10).expect("events");
    assert_eq!(pending.len(), 1, "version 2 events survive");
    assert_eq!(pending[0].event.payload, "{ \"kept\" : true }");
    assert!(!tx.acquire_lease("sealer", "me", Time::from_micros(T0), 1).expect("lease"), "lease survives");
    let r = Record {
        kind: "line".into(),
        id: "l1".into(),
        body: "{}".into(),
        k1: Some("a".into()),
        k2: None,
        due: Some(Time::from_micros(T0)),
    };
    tx.put_record(&r).expect("records table exists");
    assert_eq!(tx.records_by("line", RecordKey::K1("a"), 10).expect("by k1"), vec![r.clone()]);
    assert_eq!(tx.records_due("line", Time::from_micros(T0), 10).expect("due"), vec![r]);
    tx.commit().expect("commit");
}

#[test]
fn the_bundled_sqlite_has_rtree() {
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    let on: i64 =
        conn.query_row("SELECT sqlite_compileoption_used('ENABLE_RTREE')", [], |r| r.get(0)).expect("query");
    assert_eq!(on, 1);
}
