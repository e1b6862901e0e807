//! Versioned schema migrations, embedded from `migrations/*.sql`.
//!
//! No advisory locks (YugabyteDB lacks them). Instead:
//! 1. `CREATE TABLE IF NOT EXISTS schema_migrations` and an idempotent
//!    `INSERT ... ON CONFLICT DO NOTHING` of the lock row `version = 0`;
//! 2. one transaction takes that row with `SELECT ... FOR UPDATE`, so
//!    concurrent starters (several replicas) migrate one after the other;
//! 3. it reads the highest applied version, refuses a newer schema, applies the
//!    missing migrations and records them, then commits.
//!
//! Every migration is idempotent (`IF NOT EXISTS`) as well, so an engine whose
//! DDL is not transactional can re-run one that stopped half-way. Races on the
//! very first `CREATE TABLE IF NOT EXISTS` (two starters on an empty database)
//! are retried.

use std::time::Duration;

use deconflict_core::StoreError;

use crate::error::{bad_column, from_pg};
use crate::pool::PgConn;

/// One migration: its version and its SQL.
struct Migration {
    version: i32,
    sql: &'static str,
}

/// Every migration this build knows, in order. Append only: never edit a
/// migration that has shipped; add `000N_name.sql` and a line here.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../migrations/0002_events.sql") },
    Migration { version: 3, sql: include_str!("../migrations/0003_records.sql") },
    Migration { version: 4, sql: include_str!("../migrations/0004_usage.sql") },
    Migration { version: 5, sql: include_str!("../migrations/0005_cell_locks.sql") },
    Migration { version: 6, sql: include_str!("../migrations/0006_gin_without_pending_list.sql") },
    Migration { version: 7, sql: include_str!("../migrations/0007_area_locks.sql") },
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i32 = 7;

const BOOTSTRAP: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER     NOT NULL PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO schema_migrations (version) VALUES (0) ON CONFLICT (version) DO NOTHING;";

/// How often a start that raced another one on the bootstrap is retried.
const ATTEMPTS: u32 = 10;

/// Brings the schema up to [`SCHEMA_VERSION`] (see the module docs); refuses,
/// changing nothing, a schema whose version is newer than this build.
pub(crate) fn migrate(conn: &mut PgConn) -> Result<(), StoreError> {
    debug_assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tried = try_migrate(conn);
        if tried.is_err() {
            // Ends the transaction if it was open (a warning otherwise).
            let _ = conn.batch_execute("ROLLBACK");
        }
        match tried {
            Err(Failed::Pg(e)) if attempt < ATTEMPTS && raced(&e) => {
                std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
            }
            Err(Failed::Pg(e)) => {
                return Err(match from_pg(e) {
                    e @ (StoreError::Retry | StoreError::Unavailable { .. }) => e,
                    e => StoreError::Migration { version: i64::from(SCHEMA_VERSION), source: Box::new(e) },
                });
            }
            Err(Failed::Store(e)) => return Err(e),
            Ok(()) => return Ok(()),
        }
    }
}

enum Failed {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failed {
    fn from(e: tokio_postgres::Error) -> Self {
        Failed::Pg(e)
    }
}

/// Errors that another starter migrating at the same time can cause.
fn raced(e: &tokio_postgres::Error) -> bool {
    // unique_violation (catalog rows of a concurrent CREATE), duplicate_table,
    // duplicate_object, serialization failure, deadlock.
    e.code().is_some_and(|c| matches!(c.code(), "23505" | "42P07" | "42710" | "40001" | "40P01"))
}

fn try_migrate(conn: &mut PgConn) -> Result<(), Failed> {
    conn.batch_execute(BOOTSTRAP)?;
    conn.batch_execute("BEGIN")?;
    conn.query_once("SELECT version FROM schema_migrations WHERE version = 0 FOR UPDATE", &[])?;
    let rows = conn.query_once("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?;
    let current: i32 = rows
        .first()
        .ok_or(Failed::Store(StoreError::NoRow { query: "schema version" }))?
        .try_get(0)
        .map_err(|e| Failed::Store(bad_column("schema_migrations", "max", "version", e)))?;
    if current > SCHEMA_VERSION {
        return Err(Failed::Store(StoreError::unavailable(format!(
            "database schema version {current} is newer than this build of deconflict supports \
             (up to {SCHEMA_VERSION}); refusing to use it: run a newer deconflict or restore a backup"
        ))));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        conn.batch_execute(m.sql)?;
        conn.query_once(
            "INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING",
            &[&m.version],
        )?;
    }
    conn.batch_execute("COMMIT")?;
    Ok(())
}
