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

#[test]
fn the_bundled_sqlite_has_rtree() {
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    let on: i64 =
        conn.query_row("SELECT sqlite_compileoption_used('ENABLE_RTREE')", [], |r| r.get(0)).expect("query");
    assert_eq!(on, 1);
}
