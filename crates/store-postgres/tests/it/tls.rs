//! TLS to the test server (started with `ssl=on` by `.ci/postgres.sh`, whose
//! CA is in `DECONF_TEST_PG_CA`): `verify-full` with the right CA connects
//! over an encrypted session; with another CA, or a name the certificate
//! does not hold, it is refused; `disable` stays plain.

use deconflict_core::{Store, TxMode};
use store_postgres::PgStore;

use crate::{TestSchema, pg_url, setting_or_skip};

const CA_VAR: &str = "DECONF_TEST_PG_CA";

/// The CA file of the test server, or `None` after a `SKIPPED:` line.
fn ca() -> Option<String> {
    setting_or_skip(CA_VAR, "`.ci/postgres.sh start` sets it")
}

fn with(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

/// Whether the store's session is encrypted, as the server sees it.
fn encrypted(store: &PgStore, schema: &TestSchema) -> bool {
    // Touch the store so a pooled session exists, then ask the server about
    // the sessions of this test's application name.
    drop(store.begin(TxMode::Read).expect("begin"));
    let mut admin = schema.admin();
    let rows = admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = $1",
            &[&schema.name],
        )
        .expect("pg_stat_ssl");
    !rows.is_empty() && rows.iter().all(|r| r.get::<_, bool>(0))
}

#[test]
fn verify_full_with_the_right_ca_connects_encrypted() {
    let (Some(url), Some(ca)) = (pg_url(), ca()) else { return };
    let schema = TestSchema::create(&url);
    let url = with(&url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let store = PgStore::connect(&url, schema.opts()).expect("verify-full with the CI CA");
    assert!(encrypted(&store, &schema), "the session is TLS");
}

#[test]
fn another_ca_or_another_name_is_refused() {
    let (Some(url), Some(_)) = (pg_url(), ca()) else { return };
    let schema = TestSchema::create(&url);
    // Another CA: a self-signed certificate nobody used for the server.
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other-ca.pem");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    std::fs::write(&other, params.self_signed(&key).expect("self-signed").pem()).expect("write");
    let bad = with(&url, &format!("sslmode=verify-full&sslrootcert={}", other.display()));
    let err =
        PgStore::connect(&bad, schema.opts()).expect_err("a CA that did not sign the server is refused");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // The right CA, but a host name the certificate does not name (the TCP
    // connection still goes to 127.0.0.1 through `hostaddr`): verify-full
    // refuses it, verify-ca (the chain only) accepts it.
    let ca = ca().unwrap_or_default();
    let misnamed = url.replacen("@127.0.0.1", "@db.example", 1);
    assert_ne!(misnamed, url, "the CI URL uses 127.0.0.1");
    let misnamed = with(&misnamed, "hostaddr=127.0.0.1");
    let full = with(&misnamed, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let err = PgStore::connect(&full, schema.opts()).expect_err("db.example is not in the certificate");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    let ca_only = with(&misnamed, &format!("sslmode=verify-ca&sslrootcert={ca}"));
    PgStore::connect(&ca_only, schema.opts()).expect("verify-ca checks the chain, not the name");
}

#[test]
fn disable_is_plain_and_verify_without_a_root_is_a_clear_error() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let store = PgStore::connect(&with(&url, "sslmode=disable"), schema.opts()).expect("plain");
    assert!(!encrypted(&store, &schema));
    let err = PgStore::connect(&with(&url, "sslmode=verify-full"), schema.opts()).expect_err("needs a root");
    assert!(err.to_string().contains("sslrootcert"), "{err}");
}
