//! Generic records (migration 0003): every listing served by an index without
//! a sort. (Byte order of ids and exact bodies are shared conformance checks.)

use deconflict_core::testsuite::{T0, record};
use deconflict_core::{Store, TxMode};

use crate::fresh_store;

/// `records_by`, `records_by_rev` and `records_due` are index searches that
/// need no sort. The SQL is that of `src/tx/records.rs` (RECORDS_ALL,
/// RECORDS_BY_K1, RECORDS_BY_K2, their `_REV` and `_REV_BEFORE` forms,
/// RECORDS_DUE), parameters included.
#[test]
fn record_queries_are_index_scans() {
    let store = fresh_store();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..500 {
        let k1 = format!("line-{}", n % 20);
        tx.put_record(&record(
            ["message", "line"][n % 2],
            &format!("{n:05}"),
            Some(&k1),
            None,
            Some(n as i64),
        ))
        .expect("put");
    }
    tx.commit().expect("commit");
    let conn = rusqlite::Connection::open(store.file()).expect("open");
    conn.execute_batch("ANALYZE").expect("analyze");
    let plan = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let rows = stmt.query_map(params, |r| r.get::<_, String>(3)).expect("query");
        rows.collect::<Result<Vec<_>, _>>().expect("rows").join("; ")
    };
    const COLS: &str = "kind, id, body, k1, k2, due";
    let all: [&dyn rusqlite::ToSql; 2] = [&"message", &10];
    let by_key: [&dyn rusqlite::ToSql; 3] = [&"message", &"line-2", &10];
    let due: [&dyn rusqlite::ToSql; 3] = [&"message", &(T0 + 250), &10];
    let all_before: [&dyn rusqlite::ToSql; 3] = [&"message", &"00250", &10];
    let by_key_before: [&dyn rusqlite::ToSql; 4] = [&"message", &"line-2", &"00250", &10];
    for (sql, params, index) in [
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 ORDER BY id LIMIT ?2"),
            &all[..],
            "sqlite_autoindex_records_1 (kind=?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 AND k1 = ?2 ORDER BY id LIMIT ?3"),
            &by_key[..],
            "records_k1 (kind=? AND k1=?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 AND k2 = ?2 ORDER BY id LIMIT ?3"),
            &by_key[..],
            "records_k2 (kind=? AND k2=?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 ORDER BY id DESC LIMIT ?2"),
            &all[..],
            "sqlite_autoindex_records_1 (kind=?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"),
            &all_before[..],
            "sqlite_autoindex_records_1 (kind=? AND id<?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 AND k1 = ?2 ORDER BY id DESC LIMIT ?3"),
            &by_key[..],
            "records_k1 (kind=? AND k1=?)",
        ),
        (
            format!(
                "SELECT {COLS} FROM records WHERE kind = ?1 AND k1 = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"
            ),
            &by_key_before[..],
            "records_k1 (kind=? AND k1=? AND id<?)",
        ),
        (
            format!("SELECT {COLS} FROM records WHERE kind = ?1 AND k2 = ?2 ORDER BY id DESC LIMIT ?3"),
            &by_key[..],
            "records_k2 (kind=? AND k2=?)",
        ),
        (
            format!(
                "SELECT {COLS} FROM records WHERE kind = ?1 AND k2 = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"
            ),
            &by_key_before[..],
            "records_k2 (kind=? AND k2=? AND id<?)",
        ),
        (
            format!(
                "SELECT {COLS} FROM records WHERE kind = ?1 AND due IS NOT NULL AND due <= ?2 \
                 ORDER BY due, id LIMIT ?3"
            ),
            &due[..],
            "records_due (kind=? AND due>? AND due<?)",
        ),
    ] {
        let p = plan(&sql, params);
        assert!(p.starts_with("SEARCH records USING INDEX "), "{sql}: {p}");
        assert!(p.contains(index), "{sql}: expected {index}: {p}");
        assert!(!p.contains("TEMP B-TREE"), "{sql}: no sort: {p}");
    }
}
