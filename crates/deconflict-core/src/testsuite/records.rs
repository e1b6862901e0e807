//! Generic records: round trip, lookups by key and due time, byte order of
//! ids, newest-first pages and the `records_after` cursor.

use geom::Time;

use super::*;
use crate::records::{Record, RecordKey};
use crate::store::{Store, TxMode};

/// Records round-trip, are listed by key in id order and by due time, and
/// are rolled back with their transaction.
pub fn records_round_trip_and_lookups(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let m1 = record("message", "0001", Some("line-a"), Some("bob"), Some(30));
    let m2 = record("message", "0002", Some("line-a"), Some("carol"), Some(10));
    let m3 = record("message", "0003", Some("line-b"), Some("bob"), None);
    let l1 = record("line", "line-a", None, None, Some(5));
    for r in [&m3, &m1, &m2, &l1] {
        tx.put_record(r).expect("put");
    }
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.record("message", "0002").expect("get"), Some(m2.clone()));
    assert_eq!(tx.record("line", "0002").expect("get"), None, "ids are per kind");
    let all = tx.records_by("message", RecordKey::All, 10).expect("all");
    assert_eq!(all, vec![m1.clone(), m2.clone(), m3.clone()]);
    assert_eq!(
        tx.records_by("message", RecordKey::K1("line-a"), 10).expect("k1"),
        vec![m1.clone(), m2.clone()]
    );
    assert_eq!(tx.records_by("message", RecordKey::K2("bob"), 10).expect("k2"), vec![m1.clone(), m3.clone()]);
    assert_eq!(tx.records_by("message", RecordKey::K2("bob"), 1).expect("limit"), vec![m1.clone()]);
    let due = tx.records_due("message", Time::from_micros(T0 + 30), 10).expect("due");
    assert_eq!(due, vec![m2.clone(), m1.clone()], "by due time, only those due");
    assert_eq!(tx.records_due("message", Time::from_micros(T0 + 20), 10).expect("due"), vec![m2.clone()]);
    let mut m1b = m1.clone();
    m1b.due = None;
    m1b.body = "{}".into();
    tx.put_record(&m1b).expect("replace");
    tx.delete_record("message", "0003").expect("delete");
    tx.delete_record("message", "nope").expect("deleting a missing record is fine");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.record("message", "0001").expect("get"), Some(m1b));
    assert_eq!(tx.record("message", "0003").expect("get"), None);
    tx.put_record(&record("message", "0009", None, None, None)).expect("put");
    drop(tx);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.record("message", "0009").expect("get"), None, "rolled back");
    assert_eq!(tx.records_by("message", RecordKey::All, 10).expect("all").len(), 2);
}

/// Record ids are listed in byte order (as `String`'s `Ord`), whatever the
/// database's collation, not in a linguistic one; bodies come back byte for byte.
pub fn record_ids_are_in_byte_order_and_bodies_exact(store: &dyn Store) {
    let body = "{ \"z\" : 1,\n\t\"a\":[1.0e0, \"é\\u00e9\"], \"z\": 2 }";
    let ids = ["é", "a", "Z", "aa", "B", "a b", "a-b", "ab"];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for id in ids {
        tx.put_record(&Record { body: body.into(), ..record("k", id, Some("x"), None, Some(1)) })
            .expect("put");
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
    let due = tx.records_due("k", Time::from_micros(T0 + 1), 100).expect("due");
    assert_eq!(due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), want, "same due: by id");
}

/// `records_by_rev` lists by decreasing id in byte order (whatever the
/// database's collation), resumes strictly below the cursor (an id that need
/// not exist), honours the key and the limit, and pages through everything
/// without skipping or repeating a record.
pub fn records_newest_first_resume_below_the_cursor(store: &dyn Store) {
    // (id, k1, k2)
    let rows = [
        ("é", "even", "first"),
        ("a", "odd", "first"),
        ("Z", "even", "first"),
        ("aa", "odd", "first"),
        ("B", "even", "first"),
        ("a b", "odd", "last"),
        ("a-b", "even", "last"),
        ("ab", "odd", "last"),
        ("0", "even", "last"),
        ("~", "odd", "last"),
    ];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (id, k1, k2) in rows {
        tx.put_record(&record("m", id, Some(k1), Some(k2), None)).expect("put");
    }
    // Neighbours of other kinds on both sides never show up.
    tx.put_record(&record("l", "zz", Some("even"), None, None)).expect("put");
    tx.put_record(&record("n", "0", Some("even"), None, None)).expect("put");
    tx.commit().expect("commit");
    let desc = |keep: &dyn Fn(&(&str, &str, &str)) -> bool| -> Vec<String> {
        let mut ids: Vec<String> = rows.iter().filter(|r| keep(r)).map(|r| r.0.to_owned()).collect();
        ids.sort_unstable();
        ids.reverse();
        ids
    };
    let ids = |rs: Vec<Record>| rs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let all = desc(&|_| true);
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, None, 100).expect("all")), all);
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, None, 3).expect("limit")), all[..3].to_vec());
    // Below "a": upper case and digits, not "a" itself.
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, Some("a"), 100).expect("below")), ["Z", "B", "0"]);
    // A cursor that is no id: "a-a" sorts between "a b" and "a-b".
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, Some("a-a"), 2).expect("between")), ["a b", "a"]);
    assert!(tx.records_by_rev("m", RecordKey::All, Some(""), 100).expect("none").is_empty());
    assert_eq!(
        ids(tx.records_by_rev("m", RecordKey::K1("even"), None, 100).expect("k1")),
        desc(&|r| r.1 == "even")
    );
    assert_eq!(
        ids(tx.records_by_rev("m", RecordKey::K2("last"), Some("a-b"), 100).expect("k2")),
        desc(&|r| r.2 == "last" && r.0 < "a-b")
    );
    for key in [RecordKey::All, RecordKey::K1("odd"), RecordKey::K2("first")] {
        let whole = ids(tx.records_by_rev("m", key, None, 100).expect("whole"));
        let (mut paged, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = ids(tx.records_by_rev("m", key, cursor.as_deref(), 3).expect("page"));
            let done = page.len() < 3;
            cursor = page.last().cloned();
            paged.extend(page);
            if done {
                break;
            }
        }
        assert_eq!(paged, whole, "{key:?}: the pages join up to the whole listing");
    }
}

/// `records_after` lists one kind from just above a cursor, in byte order
/// of ids, so a caller can walk a whole kind page by page.
pub fn records_after_is_a_cursor(store: &dyn Store) {
    let ids = ["b", "a", "é", "a b", "ab", "B"];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for id in ids {
        tx.put_record(&record("k", id, None, None, None)).expect("put");
    }
    tx.put_record(&record("l", "c", None, None, None)).expect("put");
    tx.commit().expect("commit");
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let mut walked = Vec::new();
    let mut after = String::new();
    loop {
        let page = tx.records_after("k", &after, 4).expect("page");
        walked.extend(page.iter().map(|r| r.id.clone()));
        match page.last() {
            Some(last) if page.len() == 4 => after.clone_from(&last.id),
            _ => break,
        }
    }
    assert_eq!(walked, want, "every id once, in byte order, no other kind");
    assert_eq!(
        tx.records_after("k", "a", 2).expect("page").iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a b", "ab"]
    );
    assert_eq!(tx.records_after("k", "é", 10).expect("page"), vec![], "nothing above the last");
    assert_eq!(tx.records_after("k", "", 1).expect("page"), vec![record("k", "B", None, None, None)]);
}
