//! Versioned schema migrations, embedded from `migrations/*.sql`.

use deconflict_core::StoreError;
use rusqlite::{Connection, TransactionBehavior, params};

use crate::error::SqlResultExt;

/// One migration: its version and its SQL.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration this build knows, in order. Append only: never edit a
/// migration that has shipped; add `000N_name.sql` and a line here.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../migrations/0002_events.sql") },
    Migration { version: 3, sql: include_str!("../migrations/0003_records.sql") },
    Migration { version: 4, sql: include_str!("../migrations/0004_usage.sql") },
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = 4;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT    NOT NULL
)";

/// Brings the database up to [`SCHEMA_VERSION`]: in one `BEGIN IMMEDIATE`
/// transaction (so concurrent openers serialise), applies every migration
/// newer than the recorded version and records it. Refuses a database whose
/// recorded version is newer than this build knows, changing nothing.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    debug_assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).store()?;
    tx.execute_batch(CREATE_TABLE).store()?;
    let current: i64 =
        tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0)).store()?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::unavailable(format!(
            "database schema version {current} is newer than this build of deconflict supports \
             (up to {SCHEMA_VERSION}); refusing to open it: run a newer deconflict or restore a backup"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql).map_err(|e| match crate::error::from_sqlite(e) {
            e @ (StoreError::Retry | StoreError::Unavailable { .. }) => e,
            e => StoreError::Migration { version: m.version, source: Box::new(e) },
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) \
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            params![m.version],
        )
        .store()?;
    }
    tx.commit().store()
}
