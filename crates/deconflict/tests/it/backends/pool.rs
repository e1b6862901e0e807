//! The DSS pool checks of uss_qualifier, as our own tests: two replicas over
//! one PostgreSQL database are two DSS instances of one pool, and a USS may
//! write through one and read through the other. For subscriptions,
//! operational intents, constraints and USS availability, an entity written
//! through instance A is seen identically (id, version, OVN, times, owner,
//! notification index) through A and B, by get and by search; an update and a
//! delete through B are seen through A; and a subscriber registered through one
//! instance is among the subscribers to notify of a write through the other.
//! Without `DECONF_TEST_PG_URL` each test prints SKIPPED (a failure under `CI=true`).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::common::*;
use super::replicas::{Schema, pg_url, replica};

/// How F3548 names one kind of entity: its path, its field in an answer and
/// the list a search answers.
#[derive(Clone, Copy)]
struct Kind {
    prefix: &'static str,
    field: &'static str,
    list: &'static str,
}

const SUBSCRIPTIONS: Kind = Kind { prefix: SUB, field: "subscription", list: "subscriptions" };
const INTENTS: Kind =
    Kind { prefix: OIR, field: "operational_intent_reference", list: "operational_intent_references" };
const CONSTRAINTS: Kind = Kind { prefix: CR, field: "constraint_reference", list: "constraint_references" };

/// Two DSS instances of one pool (the schema is dropped after both stop).
struct Pool {
    a: TestServer,
    b: TestServer,
    _schema: Schema,
}

impl Pool {
    async fn start() -> Option<Self> {
        let url = pg_url()?;
        let schema = Schema::create(&url);
        let a = replica(&url, &schema, None).await;
        let b = replica(&url, &schema, Some(&a)).await;
        Some(Self { a, b, _schema: schema })
    }

    /// Both instances, named for messages.
    fn instances(&self) -> [(&'static str, &TestServer); 2] {
        [("A", &self.a), ("B", &self.b)]
    }

    /// `GET path` through both instances with `who`'s token of `scopes`:
    /// both answer 200 with the same body, which is returned.
    async fn get_same(&self, path: &str, who: &str, scopes: &[&str]) -> Value {
        let mut seen: Option<Value> = None;
        for (name, s) in self.instances() {
            let token = s.token(who, scopes);
            let (st, v) = s.call(Method::GET, path, Some(&token), None).await;
            assert_eq!(st, StatusCode::OK, "GET {path} through {name}: {v}");
            if let Some(first) = &seen {
                assert_eq!(&v, first, "GET {path}: B answers what A answers");
            }
            seen = Some(v);
        }
        seen.unwrap_or_default()
    }

    /// `GET path` through both instances answers 404.
    async fn gone_from_both(&self, path: &str, who: &str, scopes: &[&str]) {
        for (name, s) in self.instances() {
            let token = s.token(who, scopes);
            let (st, v) = s.call(Method::GET, path, Some(&token), None).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "GET {path} through {name}: {v}");
        }
    }

    /// The entries of `list` in the answer to `POST query` with `body`
    /// through each instance, in the order A, B.
    async fn search(
        &self,
        query: &str,
        body: &Value,
        list: &str,
        who: &str,
        scopes: &[&str],
    ) -> [Vec<Value>; 2] {
        let mut found = [Vec::new(), Vec::new()];
        for (slot, (name, s)) in found.iter_mut().zip(self.instances()) {
            let token = s.token(who, scopes);
            let (st, v) = s.call(Method::POST, query, Some(&token), Some(body)).await;
            assert_eq!(st, StatusCode::OK, "POST {query} through {name}: {v}");
            *slot = v[list].as_array().cloned().unwrap_or_default();
        }
        found
    }

    /// Searching through each instance finds exactly `expected` among the
    /// entries of `list` with its id (or nothing, for `None`).
    async fn search_finds(
        &self,
        query: &str,
        body: &Value,
        list: &str,
        (who, scopes): (&str, &[&str]),
        id: &str,
        expected: Option<&Value>,
    ) {
        for (entries, name) in self.search(query, body, list, who, scopes).await.iter().zip(["A", "B"]) {
            let hits: Vec<&Value> = entries.iter().filter(|e| e["id"] == id).collect();
            assert_eq!(hits, expected.into_iter().collect::<Vec<_>>(), "search {query} through {name}");
        }
    }

    /// Entity `id` of `kind` as `(who, scopes)` gets it through both
    /// instances (the same answer) and finds it by a search of the test area
    /// through both: the entity.
    async fn seen(&self, kind: Kind, id: &str, reader: (&str, &[&str])) -> Value {
        let got = self.get_same(&format!("{}/{id}", kind.prefix), reader.0, reader.1).await;
        let entity = got[kind.field].clone();
        let query = format!("{}/query", kind.prefix);
        self.search_finds(&query, &area(46.0, 7.0, 0.1), kind.list, reader, id, Some(&entity)).await;
        entity
    }

    /// Entity `id` of `kind`, deleted through B by its owner naming
    /// `version` (its OVN or version): gone through both, by get and by
    /// search. The delete's answer.
    async fn delete_through_b(&self, kind: Kind, id: &str, version: &str, owner: (&str, &[&str])) -> Value {
        let path = format!("{}/{id}", kind.prefix);
        let token = self.b.token(owner.0, owner.1);
        let (st, deleted) =
            self.b.call(Method::DELETE, &format!("{path}/{version}"), Some(&token), None).await;
        assert_eq!(st, StatusCode::OK, "{deleted}");
        self.gone_from_both(&path, owner.0, owner.1).await;
        let query = format!("{}/query", kind.prefix);
        self.search_finds(&query, &area(46.0, 7.0, 0.1), kind.list, owner, id, None).await;
        deleted
    }
}

/// The `version` (subscriptions) or `ovn` (references) the next write names.
fn str_field(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("{field} in {v}")).to_owned()
}

/// The notification index an answer's `subscribers` gives subscription `sub`
/// (`None` when it is not among them).
fn notified_index(answer: &Value, sub: &str) -> Option<i64> {
    answer["subscribers"].as_array()?.iter().find_map(|s| {
        s["subscriptions"]
            .as_array()?
            .iter()
            .find(|x| x["subscription_id"] == sub)
            .and_then(|x| x["notification_index"].as_i64())
    })
}

fn subscription_body(who: &str, alt: (f64, f64), minutes: (i64, i64), constraints: bool) -> Value {
    json!({ "extents": volume(46.0, 7.0, 0.05, alt, minutes),
        "uss_base_url": format!("http://{who}.example"),
        "notify_for_operational_intents": true, "notify_for_constraints": constraints })
}

fn constraint_body(who: &str, extents: Value) -> Value {
    json!({ "extents": [extents], "uss_base_url": format!("http://{who}.example") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscriptions_are_the_same_through_every_instance_of_the_pool() {
    let Some(pool) = Pool::start().await else { return };
    let uss1 = ("uss1", &[SC][..]);
    let id = new_id();
    let path = format!("{SUB}/{id}");
    let token = pool.a.token("uss1", &[SC]);
    let (st, made) = pool
        .a
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(&subscription_body("uss1", (0.0, 500.0), (5, 60), false)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{made}");
    let seen = pool.seen(SUBSCRIPTIONS, &id, uss1).await;
    assert_eq!(seen, made["subscription"], "get answers what the create answered");
    assert_eq!(seen["id"], id.as_str());

    // Updated through B (new altitudes and times), seen so through A.
    let version = str_field(&seen, "version");
    let token = pool.b.token("uss1", &[SC]);
    let body = subscription_body("uss1", (100.0, 800.0), (10, 90), true);
    let (st, updated) =
        pool.b.call(Method::PUT, &format!("{path}/{version}"), Some(&token), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    assert_ne!(updated["subscription"]["version"], version.as_str(), "an update makes a new version");
    let seen = pool.seen(SUBSCRIPTIONS, &id, uss1).await;
    assert_eq!(seen, updated["subscription"]);
    assert_eq!(seen["notify_for_constraints"], true);

    // Another USS sees none of uss1's subscriptions, through either instance.
    let other = ("uss2", &[SC][..]);
    pool.search_finds(&format!("{SUB}/query"), &area(46.0, 7.0, 0.1), "subscriptions", other, &id, None)
        .await;

    // Deleted through B: gone through both, by get and by search.
    let deleted = pool.delete_through_b(SUBSCRIPTIONS, &id, &str_field(&seen, "version"), uss1).await;
    assert_eq!(deleted["subscription"], seen, "the delete answers what was deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operational_intents_are_the_same_through_every_instance_of_the_pool() {
    let Some(pool) = Pool::start().await else { return };
    let uss1 = ("uss1", &[SC][..]);
    let id = new_id();
    let path = format!("{OIR}/{id}");
    let (st, made) = pool.a.put_intent(&path, "uss1", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    let made = &made["operational_intent_reference"];
    let seen = pool.seen(INTENTS, &id, uss1).await;
    assert_eq!(&seen, made, "get answers what the create answered (OVN included, for its manager)");
    assert_eq!(seen["manager"], "uss1");
    // Another USS sees the same reference (its OVN hidden) through both.
    let other = pool.seen(INTENTS, &id, ("uss2", &[SC])).await;
    assert_eq!(other["version"], seen["version"]);
    assert_ne!(other["ovn"], seen["ovn"]);
    // The implicit subscription made through A is the same through B.
    let sub = str_field(&seen, "subscription_id");
    let implicit = pool.get_same(&format!("{SUB}/{sub}"), uss1.0, uss1.1).await;
    assert_eq!(implicit["subscription"]["implicit_subscription"], true, "{implicit}");
    assert_eq!(implicit["subscription"]["dependent_operational_intents"], json!([id]));

    // Updated through B (later, higher), seen so through A.
    let ovn = str_field(&seen, "ovn");
    let later = volume(46.0, 7.0, 0.01, (50.0, 200.0), (20, 80));
    let (st, updated) = pool.b.put_intent(&format!("{path}/{ovn}"), "uss1", later, &[]).await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    let updated = &updated["operational_intent_reference"];
    assert_eq!(updated["version"], made["version"].as_i64().unwrap() + 1, "{updated}");
    assert_ne!(updated["ovn"], made["ovn"]);
    let seen = pool.seen(INTENTS, &id, uss1).await;
    assert_eq!(&seen, updated);

    // Deleted through B: gone through both.
    pool.delete_through_b(INTENTS, &id, &str_field(&seen, "ovn"), uss1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn constraints_are_the_same_through_every_instance_of_the_pool() {
    let Some(pool) = Pool::start().await else { return };
    let uss1 = ("uss1", &[CM][..]);
    let id = new_id();
    let path = format!("{CR}/{id}");
    let token = pool.a.token("uss1", &[CM]);
    let (st, made) =
        pool.a.call(Method::PUT, &path, Some(&token), Some(&constraint_body("uss1", here()))).await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    let made = &made["constraint_reference"];
    let seen = pool.seen(CONSTRAINTS, &id, uss1).await;
    assert_eq!(&seen, made, "get answers what the create answered");
    // A USS that processes constraints sees the same through both.
    let reader = pool.seen(CONSTRAINTS, &id, ("uss2", &[CP])).await;
    assert_eq!(reader["version"], seen["version"]);

    // Updated through B, seen so through A.
    let ovn = str_field(&seen, "ovn");
    let token = pool.b.token("uss1", &[CM]);
    let later = constraint_body("uss1", volume(46.0, 7.0, 0.02, (0.0, 300.0), (15, 100)));
    let (st, updated) = pool.b.call(Method::PUT, &format!("{path}/{ovn}"), Some(&token), Some(&later)).await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    let updated = &updated["constraint_reference"];
    assert_eq!(updated["version"], made["version"].as_i64().unwrap() + 1, "{updated}");
    let seen = pool.seen(CONSTRAINTS, &id, uss1).await;
    assert_eq!(&seen, updated);

    // Deleted through B: gone through both.
    pool.delete_through_b(CONSTRAINTS, &id, &str_field(&seen, "ovn"), uss1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uss_availability_is_the_same_through_every_instance_of_the_pool() {
    let Some(pool) = Pool::start().await else { return };
    let path = "/dss/v1/uss_availability/uss1";
    let (st, first) = set_availability(&pool.a, "", "Down").await;
    assert_eq!(st, StatusCode::OK, "{first}");
    let seen = pool.get_same(path, "arbiter", &[AA]).await;
    assert_eq!(seen, first);
    assert_eq!(seen["status"]["availability"], "Down");
    // A USS reading availability sees the same through both.
    assert_eq!(pool.get_same(path, "uss2", &[SC]).await, first);

    // Updated through B with the version read through A.
    let version = str_field(&seen, "version");
    let (st, stale) = set_availability(&pool.b, "", "Normal").await;
    assert_eq!(st, StatusCode::CONFLICT, "a write without the current version is stale on B too: {stale}");
    let (st, second) = set_availability(&pool.b, &version, "Normal").await;
    assert_eq!(st, StatusCode::OK, "{second}");
    assert_ne!(second["version"], seen["version"]);
    let seen = pool.get_same(path, "arbiter", &[AA]).await;
    assert_eq!(seen, second);
    // The old version is stale through A as well.
    let (st, stale) = set_availability(&pool.a, &version, "Down").await;
    assert_eq!(st, StatusCode::CONFLICT, "{stale}");

    // References report the availability written through the other instance.
    let (st, oi) = pool.a.put_intent(&format!("{OIR}/{}", new_id()), "uss1", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{oi}");
    let (st, conflict) = pool.b.put_intent(&format!("{OIR}/{}", new_id()), "uss2", here(), &[]).await;
    assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["missing_operational_intents"][0]["uss_availability"], "Normal", "{conflict}");
}

/// `PUT` uss1's availability through `s` as an arbiter.
async fn set_availability(s: &TestServer, old: &str, availability: &str) -> (StatusCode, Value) {
    let token = s.token("arbiter", &[AA]);
    let body = json!({ "old_version": old, "availability": availability });
    s.call(Method::PUT, "/dss/v1/uss_availability/uss1", Some(&token), Some(&body)).await
}

/// Subscription interactions: what a subscriber registered through one
/// instance is told (in `subscribers`, with its notification index; in a new
/// subscription's answer) about writes through the other, until it is
/// deleted through the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_on_one_instance_hears_of_writes_through_the_other() {
    let Some(pool) = Pool::start().await else { return };
    let watcher = ("watcher", &[SC, CP][..]);
    // An intent of uss1 through A exists before any subscription.
    let first = new_id();
    let (st, before) = pool.a.put_intent(&format!("{OIR}/{first}"), "uss1", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{before}");
    let first_ovn = intent_ovn(&before);

    // The watcher subscribes through B: the answer lists uss1's intent.
    let sub = new_id();
    let sub_path = format!("{SUB}/{sub}");
    let token = pool.b.token(watcher.0, watcher.1);
    let body = subscription_body("watcher", (0.0, 1000.0), (0, 120), true);
    let (st, made) = pool.b.call(Method::PUT, &sub_path, Some(&token), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{made}");
    let listed: Vec<&Value> =
        made["operational_intent_references"].as_array().into_iter().flatten().map(|r| &r["id"]).collect();
    assert_eq!(listed, [&json!(first)], "{made}");
    let mut index = made["subscription"]["notification_index"].as_i64().unwrap();

    // Every write through A and through B names the watcher with the next
    // index, which both instances then report.
    let second = new_id();
    let writes = [
        Write {
            what: "uss2 creates through A",
            through: &pool.a,
            who: "uss2",
            scopes: &[SC],
            path: format!("{OIR}/{second}"),
            body: intent("uss2", aside(0.03, 0.0), &[]),
        },
        Write {
            what: "uss1 updates through B",
            through: &pool.b,
            who: "uss1",
            scopes: &[SC],
            path: format!("{OIR}/{first}/{first_ovn}"),
            body: intent("uss1", here(), &[]),
        },
        Write {
            what: "uss3 makes a constraint through A",
            through: &pool.a,
            who: "uss3",
            scopes: &[CM],
            path: format!("{CR}/{}", new_id()),
            body: constraint_body("uss3", aside(0.0, 0.03)),
        },
        Write {
            what: "uss2 creates through B",
            through: &pool.b,
            who: "uss2",
            scopes: &[SC],
            path: format!("{OIR}/{}", new_id()),
            body: intent("uss2", aside(-0.03, 0.0), &[]),
        },
    ];
    let mut last_ovn = None;
    for Write { what, through: s, who, scopes, path, body } in writes {
        let token = s.token(who, scopes);
        let (st, answer) = s.call(Method::PUT, &path, Some(&token), Some(&body)).await;
        assert!(st.is_success(), "{what}: {answer}");
        index += 1;
        assert_eq!(notified_index(&answer, &sub), Some(index), "{what}: {answer}");
        let seen = pool.get_same(&sub_path, watcher.0, watcher.1).await;
        assert_eq!(seen["subscription"]["notification_index"], index, "{what}");
        if who == "uss1" {
            last_ovn = Some(intent_ovn(&answer));
        }
    }

    // Deleted through A, the watcher is no longer named for a write through B.
    let version = str_field(&pool.get_same(&sub_path, watcher.0, watcher.1).await["subscription"], "version");
    let token = pool.a.token(watcher.0, watcher.1);
    let (st, v) = pool.a.call(Method::DELETE, &format!("{sub_path}/{version}"), Some(&token), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let ovn = last_ovn.expect("uss1's update answered");
    let (st, answer) = pool.b.put_intent(&format!("{OIR}/{first}/{ovn}"), "uss1", here(), &[]).await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(notified_index(&answer, &sub), None, "a deleted subscriber is not named: {answer}");
}

/// One write of [`a_subscriber_on_one_instance_hears_of_writes_through_the_other`].
struct Write<'a> {
    what: &'static str,
    through: &'a TestServer,
    who: &'static str,
    scopes: &'static [&'static str],
    path: String,
    body: Value,
}

/// A small volume inside the watcher's area, `d_lat`, `d_lng` degrees from
/// [`here`]'s centre (clear of it and of each other).
fn aside(d_lat: f64, d_lng: f64) -> Value {
    volume(46.0 + d_lat, 7.0 + d_lng, 0.005, (0.0, 120.0), (10, 70))
}
