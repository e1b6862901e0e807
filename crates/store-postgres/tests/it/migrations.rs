//! Schema migrations: idempotent, safe for replicas starting together, and a
//! newer schema is refused.

use std::sync::Barrier;

use deconflict_core::StoreError;
use store_postgres::{PgStore, SCHEMA_VERSION};

use crate::{TestSchema, pg_url};

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
        StoreError::Unavailable(m) => assert!(m.contains("newer"), "{m}"),
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
                "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 \
                 AND indexdef LIKE '%USING gin (cells)%'",
                &[&schema.name, &table],
            )
            .expect("indexes")
            .get(0);
        assert_eq!(gin, 1, "{table} has a GIN index on cells");
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
