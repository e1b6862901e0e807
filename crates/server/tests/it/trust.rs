//! The trust boundary, attacked as a hostile party would: each test here is
//! an attack that worked before the boundary was closed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::signers::*;
use crate::common::*;

/// A server whose parties file binds one key to each of alpha, bravo and
/// charlie (ordinary scopes) and one to the operator `ops` (privileged).
pub struct Federation {
    pub s: TestServer,
    pub alpha: Signer,
    pub bravo: Signer,
    pub charlie: Signer,
    pub ops: Signer,
}

impl Federation {
    pub async fn start() -> Self {
        let (alpha, bravo, charlie, ops) = (ec_signer(), ec_signer(), ec_signer(), ec_signer());
        let dir = tempfile::tempdir().unwrap();
        for (name, k) in [("alpha", &alpha), ("bravo", &bravo), ("charlie", &charlie), ("ops", &ops)] {
            std::fs::write(dir.path().join(format!("{name}.pem")), &k.public_pem).unwrap();
        }
        let parties = dir.path().join("parties.json");
        let entry =
            |n: &str| json!({ "name": n, "display_name": format!("{n} CP"), "keys": [format!("{n}.pem")] });
        let mut ops_entry = entry("ops");
        ops_entry["scopes"] = json!([
            "deconflict.admin",
            "deconflict.audit.all",
            "utm.availability_arbitration",
            "deconflict.hotline"
        ]);
        let list = json!([entry("alpha"), entry("bravo"), entry("charlie"), ops_entry]);
        std::fs::write(&parties, list.to_string()).unwrap();
        let opts = Options { dev: false, parties_file: Some(parties), ..Options::default() };
        let s = TestServer::start_with(opts, dir).await;
        Self { s, alpha, bravo, charlie, ops }
    }

    /// A token of `sub` signed with `key`, asking for `scope`.
    pub fn token(key: &Signer, sub: &str, scope: &str) -> String {
        key.sign(&interuss_claims(sub, scope))
    }
}

#[tokio::test]
async fn a_party_key_cannot_mint_privileged_scopes() {
    let f = Federation::start().await;
    let s = &f.s;
    // Bravo signs itself an administrator token with its own key.
    let admin = Federation::token(&f.bravo, "bravo", "deconflict.admin deconflict.hotline");
    for (method, path) in
        [(Method::GET, "/v1/audit"), (Method::GET, "/v1/lines"), (Method::GET, "/v1/parties")]
    {
        let (st, v) = s.call(method, path, Some(&admin), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}: {v}");
        let m = v["message"].as_str().unwrap();
        assert!(
            m.contains("deconflict.admin") && m.contains("bravo.pem"),
            "names the scope and the key: {m}"
        );
    }
    // ...or the whole audit log, or the arbitration scope to mark Alpha down.
    let all = Federation::token(&f.bravo, "bravo", "deconflict.audit.all");
    let (st, v) = s.call(Method::GET, "/v1/audit", Some(&all), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let arb = Federation::token(&f.bravo, "bravo", "utm.availability_arbitration");
    let down = json!({ "old_version": "", "availability": "Down" });
    let (st, v) = s.call(Method::PUT, "/dss/v1/uss_availability/alpha", Some(&arb), Some(&down)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert!(v["message"].as_str().unwrap().contains("utm.availability_arbitration"), "{v}");
    // The operator's key, marked as such in the parties file, may.
    let ops = Federation::token(&f.ops, "ops", "utm.availability_arbitration");
    let (st, v) = s.call(Method::PUT, "/dss/v1/uss_availability/alpha", Some(&ops), Some(&down)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"]["availability"], "Down");
    // Ordinary scopes are still granted to a party's own key.
    let hotline = Federation::token(&f.bravo, "bravo", "deconflict.hotline deconflict.audit.read");
    let (st, v) = s.call(Method::GET, "/v1/lines", Some(&hotline), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_party_can_neither_administer_nor_read_lines_it_is_not_on() {
    let f = Federation::start().await;
    let s = &f.s;
    let ops = Federation::token(&f.ops, "ops", "deconflict.admin deconflict.audit.all");
    let line = json!({ "name": "Alpha-Charlie", "parties": ["alpha", "charlie"] });
    let (st, v) = s.call(Method::PUT, "/v1/lines/ac", Some(&ops), Some(&line)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let alpha = Federation::token(&f.alpha, "alpha", "deconflict.hotline");
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/lines/ac/messages",
            Some(&alpha),
            Some(&json!({"priority": "routine", "text": "private"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let bravo = Federation::token(&f.bravo, "bravo", "deconflict.hotline deconflict.audit.read");
    // Bravo may not read the messages of a line it is not on...
    let (st, v) = s.call(Method::GET, "/v1/lines/ac/messages", Some(&bravo), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // ...nor change the line's parties, nor register itself a party.
    let takeover = json!({ "name": "mine", "parties": ["bravo", "charlie"] });
    let (st, v) = s.call(Method::PUT, "/v1/lines/ac", Some(&bravo), Some(&takeover)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) =
        s.call(Method::PUT, "/v1/parties/mallory", Some(&bravo), Some(&json!({"display_name": "M"}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Charlie, on the line, reads it.
    let charlie = Federation::token(&f.charlie, "charlie", "deconflict.hotline");
    let (st, v) = s.call(Method::GET, "/v1/lines/ac/messages", Some(&charlie), None).await;
    assert_eq!((st, v["messages"][0]["text"].as_str()), (StatusCode::OK, Some("private")), "{v}");
    // Its audit slice carries no full entry of Alpha and Charlie's message.
    let (st, text) = s.call(Method::GET, "/v1/audit", Some(&bravo), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!text.to_string().contains("private"), "{text}");
    // The operator's auditor scope reads the whole log.
    let resp = s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(&ops).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("private"));
}

#[tokio::test]
async fn a_party_cannot_hijack_another_partys_webhook() {
    let f = Federation::start().await;
    let s = &f.s;
    let bravo = Federation::token(&f.bravo, "bravo", "deconflict.hotline");
    let sink = json!({ "webhook_url": "http://bravo.example/sink" });
    let (st, v) = s.call(Method::PUT, "/v1/parties/alpha/webhook", Some(&bravo), Some(&sink)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert!(v["message"].as_str().unwrap().contains("only alpha itself or the operator"), "{v}");
    let (st, v) = s
        .call(
            Method::PUT,
            "/v1/parties/alpha",
            Some(&bravo),
            Some(&json!({"display_name": "A", "webhook_url": "http://bravo.example/sink"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Alpha sets its own webhook; the change is on Alpha's stream of events.
    let alpha = Federation::token(&f.alpha, "alpha", "deconflict.hotline deconflict.audit.read");
    let own = json!({ "webhook_url": "http://alpha.example/hook" });
    let (st, v) = s.call(Method::PUT, "/v1/parties/alpha/webhook", Some(&alpha), Some(&own)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["webhook"], true);
    assert!(v.get("webhook_url").is_none(), "never shown in the registry: {v}");
    let resp =
        s.http.get(format!("{}/v1/events/stream?after=0", s.base)).bearer_auth(&alpha).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let found: Value = loop {
        let (_, e) = next_event(&mut stream, &mut buf).await;
        if e["kind"] == "party.updated" && e["payload"]["webhook_url"] == "http://alpha.example/hook" {
            break e;
        }
    };
    assert_eq!(found["actor"], "alpha");
}
