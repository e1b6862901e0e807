//! The server calls the store from tokio's blocking threads: that must work,
//! and dropping the store on an async worker thread must not panic.

use std::sync::Arc;

use deconflict_core::testsuite::{HOUR, T0, intent, square, volume};
use deconflict_core::{Store, TxMode};

use crate::{fresh_pg_store, pg_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_spawn_blocking_and_drops_on_async_thread() {
    if pg_url().is_none() {
        return;
    }
    let fresh = tokio::task::spawn_blocking(fresh_pg_store).await.expect("join").expect("url is set");
    let fresh = Arc::new(fresh);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let fresh = Arc::clone(&fresh);
        tasks.push(tokio::task::spawn_blocking(move || {
            let lat = 40.0 + f64::from(i) * 0.1;
            let oi = intent("a", vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
            let mut tx = fresh.begin(TxMode::Write).expect("begin");
            tx.put_intent(&oi).expect("put");
            tx.commit().expect("commit");
            let mut tx = fresh.begin(TxMode::Read).expect("begin");
            assert_eq!(tx.intent(oi.id).expect("get"), Some(oi));
        }));
    }
    for t in tasks {
        t.await.expect("blocking task ran without panic");
    }
    let counted = {
        let fresh = Arc::clone(&fresh);
        tokio::task::spawn_blocking(move || {
            fresh.begin(TxMode::Read).expect("begin").counts().expect("counts")
        })
        .await
        .expect("join")
    };
    assert_eq!(counted.intents, 8);
    // The last reference goes away here, on an async worker thread: the pool
    // closes its connections on a thread of its own, so this must not panic.
    let fresh = Arc::try_unwrap(fresh).expect("no other reference");
    drop(fresh);
}
