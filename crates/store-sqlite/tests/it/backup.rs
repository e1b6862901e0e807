//! Online backup (`store_sqlite::backup_to`): taken while a writer commits,
//! the copy opens as a store and holds a whole prefix of the commits.

use deconflict_core::testsuite::record;
use deconflict_core::{Store, TxMode};

use crate::fresh_store;

fn put(store: &dyn Store, n: usize) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_record(&record("message", &format!("{n:05}"), Some("line"), None, None)).expect("put");
    tx.commit().expect("commit");
}

#[test]
fn a_backup_taken_during_writes_is_a_consistent_prefix() {
    let fresh = fresh_store();
    for n in 0..50 {
        put(&fresh.store, n);
    }
    let dest = fresh.dir.path().join("copy.sqlite");
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for n in 50..400 {
                put(&fresh.store, n);
            }
        });
        store_sqlite::backup_to(&fresh.file(), &dest).expect("backup");
        writer.join().expect("writer");
    });
    let copy = store_sqlite::SqliteStore::open(&dest).expect("the copy opens as a store");
    let mut tx = copy.begin(TxMode::Read).expect("begin");
    let present: Vec<bool> =
        (0..400).map(|n| tx.record("message", &format!("{n:05}")).expect("read").is_some()).collect();
    let held = present.iter().take_while(|p| **p).count();
    assert!(held >= 50, "everything committed before the backup is in it ({held})");
    assert!(present[held..].iter().all(|p| !p), "a prefix of the commits, no gaps: {held} then more");
}

#[test]
fn a_backup_never_overwrites_and_needs_a_database() {
    let fresh = fresh_store();
    put(&fresh.store, 1);
    let dest = fresh.dir.path().join("copy.sqlite");
    std::fs::write(&dest, b"precious").expect("write");
    let err = store_sqlite::backup_to(&fresh.file(), &dest).expect_err("refused");
    assert!(err.to_string().contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read(&dest).expect("read"), b"precious");
    let err = store_sqlite::backup_to(&fresh.dir.path().join("missing.sqlite"), &fresh.dir.path().join("x"))
        .expect_err("no source");
    assert!(err.to_string().contains("no such database"), "{err}");
}
