//! Schema migrations: idempotent, safe for replicas starting together, and a
//! newer schema is refused.

use std::sync::Barrier;

use deconflict_core::StoreError;
use store_postgres::{PgStore, SCHEMA_VERSION};

use crate::{Fresh, TestSchema, pg_url};

fn versions(schema: &TestSchema) -> Vec<i32> {
    schema
        .admin()
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .expect("read schema_migrations")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn reconnecting_is_idempotent() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    drop(schema.store(schema.opts()));
    drop(schema.store(schema.opts()));
    // Version 0 is the lock row; then one row per applied migration.
    assert_eq!(versions(&schema), (0..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[test]
fn replicas_starting_together_all_succeed() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    const N: usize = 6;
    let start = Barrier::new(N);
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let (schema, start) = (&schema, &start);
                s.spawn(move || {
                    start.wait();
                    PgStore::connect(&schema.url, schema.opts()).map(drop).map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("no panic")).collect()
    });
    for r in results {
        r.expect("every replica starts");
    }
    assert_eq!(versions(&schema), (0..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[test]
fn newer_schema_is_refused() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    drop(schema.store(schema.opts()));
    schema
        .admin()
        .execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&(SCHEMA_VERSION + 1)])
        .expect("pretend a newer build migrated");
    let err = PgStore::connect(&schema.url, schema.opts()).expect_err("must refuse");
    match err {
        StoreError::Unavailable { message: m, .. } => assert!(m.contains("newer"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// The portable schema: `cells` is a BIGINT[] with a GIN index on every
/// entity table, and there are no triggers or exclusion constraints.
#[test]
fn schema_uses_gin_cells_and_nothing_exotic() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    drop(schema.store(schema.opts()));
    let mut admin = schema.admin();
    for table in ["operational_intents", "constraints", "subscriptions"] {
        let ty: String = admin
            .query_one(
                "SELECT udt_name::text FROM information_schema.columns \
                 WHERE table_schema = $1 AND table_name = $2 AND column_name = 'cells'",
                &[&schema.name, &table],
            )
            .expect("cells column")
            .get(0);
        assert_eq!(ty, "_int8", "{table}.cells is BIGINT[]");
        let gin: i64 = admin
            .query_one(
                // Plain catalog joins, no pg_get_indexdef(): that function may
                // run on other tests' indexes while their schemas are dropped.
                "SELECT count(*) FROM pg_index x \
                 JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam \
                 JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 JOIN pg_attribute c ON c.attrelid = t.oid AND c.attnum = ANY (x.indkey) \
                 WHERE n.nspname = $1 AND t.relname = $2 AND a.amname = 'gin' AND c.attname = 'cells' \
                 AND x.indnatts = 1",
                &[&schema.name, &table],
            )
            .expect("indexes")
            .get(0);
        assert_eq!(gin, 1, "{table} has a GIN index on cells");
        let pending_list: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace \
                 WHERE n.nspname = $1 AND i.relname = $2 AND 'fastupdate=off' = ANY (i.reloptions)",
                &[&schema.name, &format!("{table}_cells")],
            )
            .expect("reloptions")
            .get(0);
        assert_eq!(pending_list, 1, "{table}_cells keeps no pending list (a search would read it whole)");
    }
    let exotic: i64 = admin
        .query_one(
            "SELECT (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal) \
                  + (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
                     WHERE n.nspname = $1 AND k.contype = 'x')",
            &[&schema.name],
        )
        .expect("catalog")
        .get(0);
    assert_eq!(exotic, 0, "no triggers, no exclusion constraints");
}

/// The migrations of earlier versions, as the builds of those versions ran them.
const OLD_MIGRATIONS: [&str; 6] = [
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_events.sql"),
    include_str!("../../migrations/0003_records.sql"),
    include_str!("../../migrations/0004_usage.sql"),
    include_str!("../../migrations/0005_cell_locks.sql"),
    include_str!("../../migrations/0006_gin_without_pending_list.sql"),
];

/// A new schema as a build at `version` left it, without data.
fn schema_at_version(url: &str, version: usize) -> TestSchema {
    let schema = TestSchema::create(url);
    let mut admin = schema.admin();
    let applied: Vec<String> = (0..=version).map(|v| format!("({v})")).collect();
    admin
        .batch_execute(&format!(
            "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, \
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); \
             INSERT INTO schema_migrations (version) VALUES {};",
            applied.join(", ")
        ))
        .expect("bootstrap");
    for (n, sql) in OLD_MIGRATIONS[..version].iter().enumerate() {
        admin.batch_execute(sql).unwrap_or_else(|e| panic!("migration {}: {e}", n + 1));
    }
    schema
}

/// A store on a schema that a build at `version` left with the rows
/// `written` by that build's SQL: connecting applies every later migration,
/// each once.
fn upgraded(url: &str, version: usize, written: &str) -> Fresh {
    let schema = schema_at_version(url, version);
    schema.admin().batch_execute(written).unwrap_or_else(|e| panic!("version {version} data: {e}"));
    let before: Vec<i32> = (0..=version).map(|v| i32::try_from(v).expect("a small version")).collect();
    assert_eq!(versions(&schema), before);
    let store = schema.store(schema.opts());
    assert_eq!(versions(&schema), (0..=SCHEMA_VERSION).collect::<Vec<_>>());
    Fresh { store, schema }
}

/// A schema migrated by a build at version 1 (before the event log) is
/// upgraded when a store connects, keeping its data.
#[test]
fn a_version_1_schema_is_upgraded() {
    use deconflict_core::{Store, TxMode};

    let Some(url) = pg_url() else { return };
    let store = upgraded(&url, 1, "INSERT INTO uss_availability VALUES ('uss-a', 'Down', 'v1')");
    assert_eq!(SCHEMA_VERSION, 7);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let uss = deconflict_core::testsuite::manager("uss-a");
    assert_eq!(tx.availability(&uss).expect("get").map(|r| r.version), Some("v1".to_owned()));
    drop(tx);
    deconflict_core::testsuite::upgraded_from_version_1(&store.store);
}

/// A schema migrated by a build at version 2 (before the generic records) is
/// upgraded when a store connects, keeping its data.
#[test]
fn a_version_2_schema_is_upgraded() {
    let Some(url) = pg_url() else { return };
    let store = upgraded(
        &url,
        2,
        "INSERT INTO uss_availability VALUES ('uss-a', 'Down', 'v2'); \
         INSERT INTO events (at, kind, actor, subject, parties, payload) \
             VALUES (7, 'k', 'uss-a', NULL, ARRAY['uss-a'], '{ \"kept\" : true }'); \
         INSERT INTO leases VALUES ('sealer', 'replica-1', 9223372036854775807);",
    );
    deconflict_core::testsuite::upgraded_from_version_2(&store.store);
}

/// A schema migrated by a build at version 3 (before the per-manager
/// indexes) is upgraded when a store connects, keeping its data.
#[test]
fn a_version_3_schema_is_upgraded() {
    let Some(url) = pg_url() else { return };
    let written = "INSERT INTO records (kind, id, body, k1, k2, due) \
                   VALUES ('line', 'l3', '{\"v\":3}', 'a', NULL, NULL);";
    deconflict_core::testsuite::upgraded_from_version_3(&upgraded(&url, 3, written).store);
}

/// A schema migrated by a build at version 4 (before the cell locks) is
/// upgraded when a store connects, keeping its data.
#[test]
fn a_version_4_schema_is_upgraded() {
    let Some(url) = pg_url() else { return };
    let written = "INSERT INTO records (kind, id, body) VALUES ('line', 'l4', '{\"v\":4}');";
    deconflict_core::testsuite::upgraded_from_version_4(&upgraded(&url, 4, written).store);
}

/// Hashed columns keep their exact form: payload is TEXT (never json/jsonb),
/// parties TEXT[]; the audit columns are BIGINT and BYTEA.
#[test]
fn event_columns_keep_exact_bytes() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    drop(schema.store(schema.opts()));
    let rows = schema
        .admin()
        .query(
            "SELECT column_name::text, udt_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'events' ORDER BY column_name",
            &[&schema.name],
        )
        .expect("columns");
    let cols: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want = [
        ("actor", "text"),
        ("at", "int8"),
        ("audit_seq", "int8"),
        ("audit_ts", "int8"),
        ("hash", "bytea"),
        ("id", "int8"),
        ("kind", "text"),
        ("parties", "_text"),
        ("payload", "text"),
        ("prev_hash", "bytea"),
        ("salt", "bytea"),
        ("subject", "text"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(c, t)| ((*c).to_owned(), (*t).to_owned())).collect();
    assert_eq!(cols, want);
}

/// A schema at version 6 loses `cell_locks` (locked per index cell) for
/// `area_locks` (per coarser lock cell): a replica of an older build still
/// running then fails its area writes instead of locking where the newer
/// replicas no longer look.
#[test]
fn a_version_6_schema_trades_cell_locks_for_area_locks() {
    let Some(url) = pg_url() else { return };
    let fresh = upgraded(&url, 6, "INSERT INTO cell_locks (cell) VALUES (1)");
    let schema = &fresh.schema;
    let exists = |table: &str| -> bool {
        schema
            .admin()
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("{}.{table}", schema.name)])
            .expect("regclass")
            .get(0)
    };
    assert!(!exists("cell_locks"), "the old lock table is gone");
    assert!(exists("area_locks"));
    let old =
        schema.admin().batch_execute(&format!("INSERT INTO {}.cell_locks (cell) VALUES (2)", schema.name));
    assert!(old.is_err(), "an older replica's cell lock fails");
}
