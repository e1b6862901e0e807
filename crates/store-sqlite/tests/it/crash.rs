//! Crash safety: a writer process killed with SIGKILL loses nothing it
//! reported as committed.
//!
//! The parent test re-runs this test binary, selecting only
//! [`child_writer`], with [`CHILD_ENV`] naming the database file. The child
//! commits intents forever and prints each id right after `commit` returned;
//! the parent kills it after a while and checks every printed id is stored.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use deconflict_core::testsuite::{HOUR, T0, intent, square, volume};
use deconflict_core::{EntityId, Store, TxMode};
use store_sqlite::SqliteStore;

/// Set (to a database path) only in the child process.
const CHILD_ENV: &str = "DECONFLICT_SQLITE_CRASH_CHILD_DB";
const PREFIX: &str = "committed ";

/// Not a test on its own: a no-op unless [`CHILD_ENV`] is set.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let store = SqliteStore::open(std::path::Path::new(&path)).expect("child: open");
    let mut out = std::io::stdout().lock();
    for round in 0u64.. {
        // 1 to 3 intents per transaction: all or none must survive.
        let batch: Vec<_> = (0..1 + round % 3)
            .map(|i| {
                let lat = 45.0 + (round % 1000) as f64 * 0.001;
                intent(
                    "crash",
                    vec![volume(square(lat, 7.0 + i as f64 * 0.01, 0.001), (0.0, 120.0), T0, T0 + HOUR)],
                )
            })
            .collect();
        let mut tx = store.begin(TxMode::Write).expect("child: begin");
        for oi in &batch {
            tx.put_intent(oi).expect("child: put");
        }
        tx.commit().expect("child: commit");
        for oi in &batch {
            writeln!(out, "{PREFIX}{}", oi.id).expect("child: print");
        }
        out.flush().expect("child: flush");
    }
}

#[test]
fn committed_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.db");
    // Create the schema first, so the child starts writing at once.
    drop(SqliteStore::open(&path).expect("create"));

    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["crash::child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child writer");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();

    // Kill at a point that varies from run to run.
    let kill_after = 150 + (std::process::id() % 200) as usize;
    let mut committed: Vec<EntityId> = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read child output");
        if let Some(id) = line.strip_prefix(PREFIX) {
            committed.push(EntityId::parse(id).expect("child printed an id"));
            if committed.len() >= kill_after {
                break;
            }
        }
    }
    assert!(committed.len() >= kill_after, "the child stopped early after {} commits", committed.len());
    child.kill().expect("kill -9 the child"); // SIGKILL on Unix
    let status = child.wait().expect("reap the child");
    assert!(!status.success(), "the child must have been killed: {status:?}");
    // Whatever it printed before dying was committed too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(id) = line.strip_prefix(PREFIX) {
            committed.push(EntityId::parse(id).expect("child printed an id"));
        }
    }

    let store = SqliteStore::open(&path).expect("reopen after the crash");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    for id in &committed {
        assert!(tx.intent(*id).expect("get").is_some(), "intent {id} was acknowledged but is lost");
    }
    let stored = tx.counts().expect("counts").intents;
    assert!(stored >= committed.len() as u64, "{stored} stored < {} acknowledged", committed.len());
    drop(tx);
    let conn = rusqlite::Connection::open(&path).expect("open");
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
    assert_eq!(check, "ok");
    let rtree_rows: i64 =
        conn.query_row("SELECT COUNT(*) FROM operational_intents_rtree", [], |r| r.get(0)).expect("count");
    assert_eq!(rtree_rows as u64, stored, "every stored intent is indexed, nothing more");
    eprintln!("killed the writer after {} acknowledged intents; {stored} stored", committed.len());
}
