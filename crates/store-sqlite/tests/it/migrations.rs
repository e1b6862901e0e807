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
        StoreError::Unavailable { message: msg, .. } => {
            assert!(msg.contains(&format!("schema version {future}")), "{msg}");
            assert!(msg.contains("newer"), "{msg}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // Refusing changed nothing.
    let want: Vec<i64> = (1..=future).collect();
    assert_eq!(versions(&path), want);
}

/// The migrations of earlier versions, as the builds of those versions ran them.
const OLD_MIGRATIONS: [&str; 3] = [
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_events.sql"),
    include_str!("../../migrations/0003_records.sql"),
];

/// A new database file as a build at `version` left it, without data.
fn database_at_version(path: &std::path::Path, version: usize) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    let applied: Vec<String> =
        (1..=version).map(|v| format!("({v}, '2030-01-0{v}T00:00:00.000Z')")).collect();
    conn.execute_batch(&format!(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
         INSERT INTO schema_migrations VALUES {};",
        applied.join(", ")
    ))
    .expect("bootstrap");
    for (n, sql) in OLD_MIGRATIONS[..version].iter().enumerate() {
        conn.execute_batch(sql).unwrap_or_else(|e| panic!("migration {}: {e}", n + 1));
    }
    conn
}

/// Opens the database at `path`, which a build at `version` left: opening
/// applies every later migration, each once.
fn open_upgraded(path: &std::path::Path, version: i64) -> SqliteStore {
    assert_eq!(versions(path), (1..=version).collect::<Vec<_>>());
    let store = SqliteStore::open(path).expect("upgrade");
    assert_eq!(versions(path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    store
}

/// [`open_upgraded`] on a new database at `path` that a build at `version`
/// left with the rows `written` by that build's SQL.
fn upgraded_with(path: &std::path::Path, version: usize, written: &str) -> SqliteStore {
    database_at_version(path, version)
        .execute_batch(written)
        .unwrap_or_else(|e| panic!("version {version} rows: {e}"));
    open_upgraded(path, i64::try_from(version).expect("a small version"))
}

/// A database written by a build at schema version 1 (before the event log)
/// is upgraded to the current version when opened, keeping its data.
#[test]
fn a_version_1_database_is_upgraded() {
    use deconflict_core::testsuite::{HOUR, T0, intent, square, volume};
    use deconflict_core::{Store, TxMode};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    // Data written at version 1 by the SQL of version 1.
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    database_at_version(&path, 1)
        .execute(
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
    let store = open_upgraded(&path, 1);
    assert_eq!(SCHEMA_VERSION, 4);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get").map(|o| o.id), Some(oi.id), "version 1 data survives");
    drop(tx);
    deconflict_core::testsuite::upgraded_from_version_1(&store);
}

/// A database written by a build at schema version 2 (before the generic
/// records) is upgraded to the current version when opened, keeping its data.
#[test]
fn a_version_2_database_is_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Data written at version 2 by the SQL of version 2.
    let store = upgraded_with(
        &dir.path().join("v2.db"),
        2,
        "INSERT INTO uss_availability (uss, availability, version) VALUES ('uss-a', 'Down', 'v2');
         INSERT INTO events (at, kind, actor, subject, parties, payload)
             VALUES (7, 'k', 'uss-a', NULL, '[\"uss-a\"]', '{ \"kept\" : true }');
         INSERT INTO leases (name, holder, until) VALUES ('sealer', 'replica-1', 9223372036854775807);",
    );
    assert_eq!(SCHEMA_VERSION, 4);
    deconflict_core::testsuite::upgraded_from_version_2(&store);
}

/// A database written by a build at schema version 3 (before the
/// per-manager indexes) is upgraded when opened, keeping its data.
#[test]
fn a_version_3_database_is_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = "INSERT INTO records (kind, id, body, k1, k2, due) \
                   VALUES ('line', 'l3', '{\"v\":3}', 'a', NULL, NULL);";
    let store = upgraded_with(&dir.path().join("v3.db"), 3, written);
    deconflict_core::testsuite::upgraded_from_version_3(&store);
}

#[test]
fn the_bundled_sqlite_has_rtree() {
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    let on: i64 =
        conn.query_row("SELECT sqlite_compileoption_used('ENABLE_RTREE')", [], |r| r.get(0)).expect("query");
    assert_eq!(on, 1);
}
