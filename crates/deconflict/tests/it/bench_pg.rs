//! `bench strategic` on PostgreSQL works in a scratch schema and removes it.

use super::{run, stdout};

#[test]
fn a_postgres_bench_leaves_nothing_in_the_database() {
    let Some(url) = std::env::var("DECONF_TEST_PG_URL").ok().filter(|u| !u.trim().is_empty()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DECONF_TEST_PG_URL must be set under CI=true; .ci/run starts PostgreSQL"
        );
        eprintln!("SKIPPED: DECONF_TEST_PG_URL not set (a_postgres_bench_leaves_nothing_in_the_database)");
        return;
    };
    let out = stdout(&run(&["bench", "strategic", "--intents", "50", "--ops", "20", "--store", &url]));
    let schema = out
        .lines()
        .find_map(|l| l.strip_prefix("working in the scratch schema "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no scratch schema named in:\n{out}"))
        .to_owned();
    assert!(out.contains("create (with key check)"), "the bench ran: {out}");
    assert!(out.contains(&format!("removed the scratch schema {schema}")), "{out}");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let left: i64 = admin
        .query_one("SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", &[&schema])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the scratch schema {schema} is still there");
}
