//! Generic records (migration 0003): the column types, and every listing
//! served by an index without a sort. (Byte order of ids and exact bodies are
//! shared conformance checks.)

use deconflict_core::records::RecordKey;
use deconflict_core::testsuite::{T0, record};
use deconflict_core::{Store, StoreError, TxMode};
use geom::Time;

use crate::fresh_pg_store;

/// The body is TEXT (never json/jsonb), due BIGINT, and id byte-ordered
/// (COLLATE "C") whatever the database's default collation.
#[test]
fn record_columns_keep_exact_bytes() {
    let Some(store) = fresh_pg_store() else { return };
    let rows = store
        .schema
        .admin()
        .query(
            "SELECT column_name::text, udt_name::text, COALESCE(collation_name::text, '') \
             FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'records' ORDER BY column_name",
            &[&store.schema.name],
        )
        .expect("columns");
    let cols: Vec<(String, String, String)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let id = cols.iter().find(|c| c.0 == "id").expect("id column");
    assert_eq!(id.2, "C", "id is COLLATE \"C\"");
    let types: Vec<(&str, &str)> = cols.iter().map(|(c, t, _)| (c.as_str(), t.as_str())).collect();
    assert_eq!(
        types,
        [("body", "text"), ("due", "int8"), ("id", "text"), ("k1", "text"), ("k2", "text"), ("kind", "text")]
    );
}

/// `records_by`, `records_by_rev` and `records_due` have index scans that need
/// no sort, with both custom and generic plans of the prepared statements. The
/// SQL is that of `src/tx/records.rs` (RECORDS_ALL, RECORDS_BY_K1, RECORDS_BY_K2,
/// their `_REV` and `_REV_BEFORE` forms, RECORDS_DUE).
///
/// On a table this small the planner may prefer fetching the few matches and
/// sorting them, so sequential and bitmap scans and sorts are disabled (they
/// then cost so much that any plan without them wins): a `Sort` left in the
/// plan means no index delivers the order (e.g. a collation mismatch on `id`).
#[test]
fn record_queries_are_index_scans() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..2000 {
        let k1 = format!("line-{}", n % 40);
        let due = (n % 3 != 0).then_some(n as i64);
        tx.put_record(&record(["message", "line"][n % 2], &format!("{n:05}"), Some(&k1), None, due))
            .expect("put");
    }
    tx.commit().expect("commit");
    let mut admin = store.schema.admin();
    admin
        .batch_execute(
            "ANALYZE records; SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off",
        )
        .expect("analyze");
    const COLS: &str = "kind, id, body, k1, k2, due";
    // (prepared signature, SQL, arguments, index, scan direction)
    let statements = [
        (
            "records_all(text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 ORDER BY id LIMIT $2"),
            "('message', 10)".to_owned(),
            "records_pkey",
            "Index Scan",
        ),
        (
            "records_all_rev(text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 ORDER BY id DESC LIMIT $2"),
            "('message', 10)".to_owned(),
            "records_pkey",
            "Index Scan Backward",
        ),
        (
            "records_all_rev_before(text, text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 AND id < $2 ORDER BY id DESC LIMIT $3"),
            "('message', '01000', 10)".to_owned(),
            "records_pkey",
            "Index Scan Backward",
        ),
        (
            "records_by_k1_rev(text, text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 AND k1 = $2 ORDER BY id DESC LIMIT $3"),
            "('message', 'line-2', 10)".to_owned(),
            "records_k1",
            "Index Scan Backward",
        ),
        (
            "records_by_k1_rev_before(text, text, text, bigint)",
            format!(
                "SELECT {COLS} FROM records WHERE kind = $1 AND k1 = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
            ),
            "('message', 'line-2', '01000', 10)".to_owned(),
            "records_k1",
            "Index Scan Backward",
        ),
        (
            "records_by_k2_rev_before(text, text, text, bigint)",
            format!(
                "SELECT {COLS} FROM records WHERE kind = $1 AND k2 = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
            ),
            "('message', 'line-2', '01000', 10)".to_owned(),
            "records_k2",
            "Index Scan Backward",
        ),
        (
            "records_by_k1(text, text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 AND k1 = $2 ORDER BY id LIMIT $3"),
            "('message', 'line-2', 10)".to_owned(),
            "records_k1",
            "Index Scan",
        ),
        (
            "records_by_k2(text, text, bigint)",
            format!("SELECT {COLS} FROM records WHERE kind = $1 AND k2 = $2 ORDER BY id LIMIT $3"),
            "('message', 'line-2', 10)".to_owned(),
            "records_k2",
            "Index Scan",
        ),
        (
            "records_due(text, bigint, bigint)",
            format!(
                "SELECT {COLS} FROM records WHERE kind = $1 AND due IS NOT NULL AND due <= $2 \
                 ORDER BY due, id LIMIT $3"
            ),
            format!("('message', {}, 10)", T0 + 1000),
            "records_due",
            "Index Scan",
        ),
    ];
    for (signature, sql, _, _, _) in &statements {
        admin.batch_execute(&format!("PREPARE {signature} AS {sql}")).expect("prepare");
    }
    for mode in ["force_custom_plan", "force_generic_plan"] {
        admin.batch_execute(&format!("SET plan_cache_mode = {mode}")).expect("plan mode");
        for (signature, sql, args, index, scan) in &statements {
            let name = signature.split('(').next().unwrap_or_default();
            let rows = admin.query(&format!("EXPLAIN EXECUTE {name}{args}"), &[]).expect("explain");
            let p = rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n");
            assert!(p.contains(&format!("{scan} using {index} on records")), "{mode}: {sql}:\n{p}");
            assert!(!p.contains("Sort"), "{mode}: {sql}: no sort:\n{p}");
        }
    }
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.records_by("message", RecordKey::K1("line-2"), 1000).expect("k1").len(), 50);
    let due = tx.records_due("message", Time::from_micros(T0 + 1000), 1000).expect("due");
    assert_eq!(due.len(), (0..=1000).filter(|n| n % 2 == 0 && n % 3 != 0).count());
    assert!(due.windows(2).all(|w| w[0].due < w[1].due));
}

/// A write is queued and sent with the next statement (one round trip): its
/// failure is that statement's, the transaction is then aborted, and its
/// commit repeats the first failure with its cause.
#[test]
fn a_failed_statement_aborts_the_transaction_and_keeps_its_cause() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_record(&record("line", "nul\0inside", None, None, None)).expect("queued, not sent yet");
    let first = tx.records_by("line", RecordKey::All, 10).expect_err("TEXT holds no NUL");
    assert!(matches!(first, StoreError::Backend { .. }), "got {first:?}");
    let err = tx.commit().expect_err("the transaction is aborted");
    let StoreError::Aborted(inner) = &err else { panic!("expected Aborted, got {err:?}") };
    assert!(matches!(**inner, StoreError::Backend { .. }), "got {inner:?}");
    assert!(std::error::Error::source(&**inner).is_some(), "the first failure has a source");
    let driver = inner.cause().expect("the driver's error is kept");
    assert!(driver.downcast_ref::<postgres::Error>().is_some(), "got {driver:?}");
    let mut read = store.begin(TxMode::Read).expect("begin");
    assert!(read.records_by("line", RecordKey::All, 10).expect("read").is_empty(), "nothing was written");
}

/// Writes still queued at commit go with the `COMMIT`: when one fails, the
/// commit reports that failure and nothing of the transaction is written
/// (PostgreSQL answers the `COMMIT` of an aborted transaction with a rollback).
#[test]
fn a_write_that_fails_with_the_commit_writes_nothing() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_record(&record("line", "fine", None, None, None)).expect("queued");
    tx.put_record(&record("line", "nul\0inside", None, None, None)).expect("queued");
    let err = tx.commit().expect_err("the second write fails");
    assert!(matches!(err, StoreError::Backend { .. }), "not an unknown outcome: {err:?}");
    let mut read = store.begin(TxMode::Read).expect("the connection is usable again");
    assert!(read.records_by("line", RecordKey::All, 10).expect("read").is_empty(), "nothing was written");
}
