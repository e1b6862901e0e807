//! Generic records (migration 0003): byte order of ids, exact bodies, and
//! every listing served by an index without a sort.

use deconflict_core::records::{Record, RecordKey};
use deconflict_core::{Store, TxMode};
use geom::Time;

use crate::fresh_store;

fn record(kind: &str, id: &str, body: &str, k1: Option<&str>, due: Option<i64>) -> Record {
    Record {
        kind: kind.into(),
        id: id.into(),
        body: body.into(),
        k1: k1.map(str::to_owned),
        k2: None,
        due: due.map(Time::from_micros),
    }
}

/// Ids are listed in byte order (as `String`'s `Ord` and the memory store),
/// not in a linguistic one; bodies come back byte for byte.
#[test]
fn ids_are_in_byte_order_and_bodies_exact() {
    let store = fresh_store();
    let body = "{ \"z\" : 1,\n\t\"a\":[1.0e0, \"é\\u00e9\"], \"z\": 2 }";
    let ids = ["é", "a", "Z", "aa", "B", "a b", "a-b", "ab"];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for id in ids {
        tx.put_record(&record("k", id, body, Some("x"), Some(1))).expect("put");
    }
    tx.commit().expect("commit");
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    for key in [RecordKey::All, RecordKey::K1("x")] {
        let got = tx.records_by("k", key, 100).expect("list");
        assert_eq!(got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), want, "{key:?}");
        assert!(got.iter().all(|r| r.body == body));
    }
    let due = tx.records_due("k", Time::from_micros(1), 100).expect("due");
    assert_eq!(due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), want, "same due: by id");
    // Writes in a read transaction are refused.
    assert!(tx.put_record(&record("k", "new", "{}", None, None)).is_err());
    assert!(tx.delete_record("k", "a").is_err());
}

/// `records_by` and `records_due` are index searches that need no sort. The
/// SQL is that of `src/tx.rs` (RECORDS_ALL, RECORDS_BY_K1, RECORDS_BY_K2,
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
            "{}",
            Some(&k1),
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
    let due: [&dyn rusqlite::ToSql; 3] = [&"message", &250, &10];
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
