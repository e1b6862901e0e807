//! Integration tests of the PostgreSQL store against a real server whose URL
//! is in `DECONF_TEST_PG_URL` (`eval "$(bash .ci/postgres.sh start)"` starts a
//! throwaway one). Without it, each test that needs the server prints a
//! `SKIPPED:` line to stderr and returns; `postgres_url_is_set_in_ci` fails
//! when `CI=true`, so CI cannot skip silently.
//!
//! Every test works in a schema of its own (`t_<random>`), dropped at the end.

mod candidates;
mod concurrency;
mod events;
mod false_conflicts;
mod migrations;
mod records;
mod runtime;
mod tls;
mod unavailable;

use std::io::Write as _;
use std::ops::Deref;
use std::time::Duration;

use deconflict_core::{Store, TxMode};
use store_postgres::{PgOptions, PgStore};

/// The environment variable holding the test server's URL.
pub const URL_VAR: &str = "DECONF_TEST_PG_URL";

/// The value of the test setting `var`, or `None` after printing a visible
/// `SKIPPED:` line naming the test and `how` to set it. (Written straight to
/// stderr: libtest captures only `eprintln!`.)
pub fn setting_or_skip(var: &str, how: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(std::io::stderr(), "SKIPPED: {var} not set ({test}); {how}");
            None
        }
    }
}

/// The test server's URL, or `None` after printing a visible `SKIPPED:` line.
pub fn pg_url() -> Option<String> {
    setting_or_skip(URL_VAR, "run `eval \"$(bash .ci/postgres.sh start)\"` first")
}

#[test]
fn postgres_url_is_set_in_ci() {
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let set =
        [URL_VAR, "DECONF_TEST_PG_CA"].iter().all(|v| std::env::var(v).is_ok_and(|u| !u.trim().is_empty()));
    assert!(
        !ci || set,
        "CI=true but {URL_VAR} or DECONF_TEST_PG_CA is not set: PostgreSQL store tests would be skipped. \
         Start a server with `eval \"$(bash .ci/postgres.sh start)\"` in .ci/run"
    );
}

/// How many intents `store` holds, read in a transaction of its own.
pub fn intents_held(store: &dyn Store) -> u64 {
    store.begin(TxMode::Read).expect("begin").counts().expect("counts").intents
}

/// A direct (non-pooled) connection for test set-up and inspection.
pub fn admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("admin connection to the test server")
}

/// A schema of its own for one test, dropped (with everything in it) on drop.
#[derive(Debug)]
pub struct TestSchema {
    /// The server's URL.
    pub url: String,
    /// The schema's name.
    pub name: String,
}

impl TestSchema {
    /// Creates a schema with a random name on the server at `url`.
    pub fn create(url: &str) -> Self {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        admin(url).batch_execute(&format!("CREATE SCHEMA {name}")).expect("create test schema");
        Self { url: url.to_owned(), name }
    }

    /// Options for a store in this schema (small pool, own application name).
    pub fn opts(&self) -> PgOptions {
        PgOptions {
            pool_size: 4,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            statement_timeout: Some(Duration::from_secs(30)),
            schema: Some(self.name.clone()),
            application_name: self.name.clone(),
        }
    }

    /// A store on this schema.
    pub fn store(&self, opts: PgOptions) -> PgStore {
        PgStore::connect(&self.url, opts).expect("connect to the test server")
    }

    /// An admin connection whose search path is this schema.
    pub fn admin(&self) -> postgres::Client {
        let mut c = admin(&self.url);
        c.batch_execute(&format!("SET search_path TO {}", self.name)).expect("set search_path");
        c
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // On a thread of its own: the sync client must not run on an async
        // worker thread, and a test may drop this inside a tokio runtime.
        let (url, name) = (self.url.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
            }
        })
        .join();
        if done.is_err() {
            let _ = writeln!(std::io::stderr(), "warning: could not drop test schema {}", self.name);
        }
    }
}

/// A store on a fresh schema; the store is dropped (its connections closed)
/// before the schema.
#[derive(Debug)]
pub struct Fresh {
    /// The store, in `schema`.
    pub store: PgStore,
    /// Its schema.
    pub schema: TestSchema,
}

impl Deref for Fresh {
    type Target = PgStore;

    fn deref(&self) -> &PgStore {
        &self.store
    }
}

/// A new, empty store in its own schema, or `None` (after a `SKIPPED:` line)
/// when no test server is configured.
pub fn fresh_pg_store() -> Option<Fresh> {
    let url = pg_url()?;
    let schema = TestSchema::create(&url);
    let store = schema.store(schema.opts());
    Some(Fresh { store, schema })
}

deconflict_core::store_conformance!(match fresh_pg_store() {
    Some(store) => store,
    None => return,
});
