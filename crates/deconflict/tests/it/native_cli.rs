//! The native API from the command line (`party`, `line`, `message`,
//! `notice`, `check`, `alert`, `events`) against a real server: what each
//! command prints, for people and with `--json`, and what the server then holds.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BIN, Server, free_port, run, stdout, token_with};

const PARTY_SCOPES: &str =
    "deconflict.hotline utm.strategic_coordination deconflict.tracks.write deconflict.tracks.read";

/// Runs a command that must fail: its stdout and stderr.
fn fails(args: &[&str]) -> (String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(!out.status.success(), "deconflict {args:?} succeeded: {}", stdout(&out));
    (stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A request to the server's API, as a script would make it: status and JSON body.
fn api(method: reqwest::Method, url: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        server::net::tls::install_crypto_provider();
        let mut req = reqwest::Client::new().request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    })
}

/// A running `events follow` (or `alert follow`) whose lines arrive on a channel.
struct Follower {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Follower {
    fn spawn(args: &[&str]) -> Self {
        let mut child =
            Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines }
    }

    /// The first line containing `want`, within 30 s.
    fn wait_for(&self, want: &str) -> String {
        self.until(want).pop().unwrap_or_default()
    }

    /// Every line up to and including the first containing `want`, within 30 s.
    fn until(&self, want: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(want);
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(e) => panic!("no line with {want:?} after {seen:?}: {e}"),
            }
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_parties_a_line_and_an_acknowledged_message_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let base = server.base.as_str();
    let admin = token_with(dir.path(), "admin", "deconflict.admin");
    let alpha = token_with(dir.path(), "alpha", PARTY_SCOPES);
    let bravo = token_with(dir.path(), "bravo", PARTY_SCOPES);
    let as_admin = server.conn(&admin);
    let as_alpha = server.conn(&alpha);
    let as_bravo = server.conn(&bravo);
    let cli = |who: &[&str], args: &[&str]| stdout(&run(&[args, who].concat()));

    // Parties: human and JSON output, then the registry as the API shows it.
    let out = cli(&as_admin, &["party", "put", "alpha", "--display-name", "Alpha command post"]);
    assert!(out.starts_with("registered alpha (Alpha command post), no webhook, updated 20"), "{out}");
    let out = json_of(&cli(&as_admin, &["party", "create", "bravo", "--display-name", "Bravo", "--json"]));
    assert_eq!((&out["name"], &out["display_name"]), (&json!("bravo"), &json!("Bravo")), "{out}");
    let out = cli(&as_admin, &["party", "put", "bravo", "--display-name", "Bravo command post"]);
    assert!(out.starts_with("updated bravo (Bravo command post)"), "{out}");
    let table = cli(&as_alpha, &["party", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME   DISPLAY NAME"), "{table}");
    assert!(lines[1].starts_with("alpha  Alpha command post  no "), "{table}");
    assert_eq!(lines.len(), 3, "{table}");
    let (_, listed) = api(reqwest::Method::GET, &format!("{base}/v1/parties"), &alpha, None);
    assert_eq!(listed["parties"].as_array().map(Vec::len), Some(2), "{listed}");
    // A party points its own webhook somewhere, then removes it.
    let out = cli(&as_alpha, &["party", "webhook", "alpha", "--url", "http://127.0.0.1:9/hook"]);
    assert!(out.starts_with("alpha (Alpha command post), webhook, updated"), "{out}");
    let (_, listed) = api(reqwest::Method::GET, &format!("{base}/v1/parties"), &bravo, None);
    assert_eq!(listed["parties"][0]["webhook"], true, "{listed}");
    let out = cli(&as_alpha, &["party", "webhook", "alpha"]);
    assert!(out.starts_with("alpha (Alpha command post), no webhook"), "{out}");

    // A line with its own urgent deadline.
    let out = cli(
        &as_admin,
        &[
            "line",
            "create",
            "ab",
            "--name",
            "Alpha-Bravo",
            "--party",
            "alpha",
            "--party",
            "bravo",
            "--ack-urgent-s",
            "120",
        ],
    );
    assert_eq!(out, "created line ab (Alpha-Bravo): active, parties alpha,bravo\n");
    let (status, line) = api(reqwest::Method::GET, &format!("{base}/v1/lines/ab"), &bravo, None);
    assert_eq!(status, 200, "{line}");
    assert_eq!(line["policy"]["ack_deadline_s"]["urgent"], 120, "{line}");
    assert_eq!(line["policy"]["ack_deadline_s"]["flash"], 60, "what was not given keeps its default: {line}");
    let table = cli(&as_bravo, &["line", "list"]);
    assert!(
        table.lines().nth(1).is_some_and(|l| l.starts_with("ab  Alpha-Bravo  active  alpha,bravo")),
        "{table}"
    );
    let shown = cli(&as_bravo, &["line", "show", "ab"]);
    assert!(shown.contains("ack deadlines urgent 120 s, flash 60 s, routine none"), "{shown}");
    let listed = json_of(&cli(&as_bravo, &["line", "list", "--json"]));
    assert_eq!(listed["lines"][0]["id"], "ab", "{listed}");

    // Bravo follows its event stream; once it has replayed the line's
    // creation it is live, and Alpha's message arrives while it runs.
    let follower = Follower::spawn(&[&["events", "follow"][..], &as_bravo].concat());
    let created = follower.wait_for("line.created");
    assert!(created.contains(" line.created by admin: ab"), "{created}");

    let sent =
        cli(&as_alpha, &["message", "send", "ab", "Request to vacate sector 4", "--priority", "urgent"]);
    assert!(sent.starts_with("sent ") && sent.contains(" [urgent] on line ab to bravo; due 20"), "{sent}");
    let id = sent.split_whitespace().nth(1).unwrap().to_owned();
    let live = follower.wait_for("message.sent");
    assert!(live.contains("[urgent] alpha -> bravo on ab: Request to vacate sector 4"), "{live}");

    // Bravo's inbox, acknowledged by a named officer.
    let inbox = cli(&as_bravo, &["message", "inbox", "--unacked"]);
    let row = inbox.lines().nth(1).unwrap();
    assert!(
        row.starts_with(&id) && row.contains("alpha") && row.contains("urgent") && row.contains("due 20"),
        "{inbox}"
    );
    assert!(row.ends_with("Request to vacate sector 4"), "{inbox}");
    let json_inbox = json_of(&cli(&as_bravo, &["message", "inbox", "--json"]));
    assert_eq!(json_inbox["messages"][0]["id"], id.as_str(), "{json_inbox}");
    let acked = cli(&as_bravo, &["message", "ack", &id, "--operator", "Maj. Keller"]);
    assert!(
        acked.contains(&format!("message {id} from alpha: acked 20")) && acked.contains("by Maj. Keller"),
        "{acked}"
    );
    let (_, message) = api(reqwest::Method::GET, &format!("{base}/v1/messages/{id}"), &alpha, None);
    assert_eq!(message["deliveries"][0]["acked_by_operator"], "Maj. Keller", "{message}");
    assert_eq!(cli(&as_bravo, &["message", "inbox", "--unacked"]), "nothing to acknowledge\n");
    follower.wait_for("message.acked");
    let shown = cli(&as_alpha, &["message", "show", &id]);
    assert!(shown.contains("to: bravo") && shown.contains("by Maj. Keller"), "{shown}");
    let thread = json_of(&cli(&as_alpha, &["message", "thread", "ab", "--json"]));
    assert_eq!(thread["messages"].as_array().map(Vec::len), Some(1), "{thread}");

    // The sender cannot acknowledge its own message: the server's reason, on one line.
    let (_, err) = fails(&[&["message", "ack", &id, "--operator", "Lt. X"][..], &as_alpha].concat());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: acknowledging message {id}: refused with 403 Forbidden: ")),
        "{err}"
    );

    // An exercise communication check, then the line's checks.
    let started = cli(&as_alpha, &["check", "exercise", "ab"]);
    assert!(
        started.starts_with("exercise check ")
            && started.contains("on line ab: alpha,bravo must acknowledge"),
        "{started}"
    );
    let checks = cli(&as_alpha, &["check", "list", "ab"]);
    let row = checks.lines().nth(1).unwrap();
    assert!(row.contains(" open ") && row.contains(" yes "), "{checks}");
    let checks = json_of(&cli(&as_alpha, &["check", "list", "ab", "--json"]));
    assert_eq!(checks["checks"][0]["exercise"], true, "{checks}");

    // Alpha files an operation: Bravo is given notice over the line and acknowledges it.
    let filed =
        cli(&as_alpha, &["intent", "file", crate::EXAMPLE_INTENTS, "--uss-base-url", "http://alpha.example"]);
    let intent = filed.split("id=").nth(1).unwrap().split('\t').next().unwrap().to_owned();
    let notices = cli(&as_bravo, &["notice", "list"]);
    assert!(notices.starts_with("received:\nINTENT"), "{notices}");
    assert!(
        notices.lines().nth(2).is_some_and(|l| l.starts_with(&intent) && l.contains(" alpha ")),
        "{notices}"
    );
    assert!(notices.ends_with("given:\nnone given\n"), "{notices}");
    let acked = cli(&as_bravo, &["notice", "ack", &intent, "--operator", "Capt. Roux"]);
    assert!(acked.starts_with(&format!("notice of {intent} from alpha acknowledged 20")), "{acked}");
    let (_, notices) = api(reqwest::Method::GET, &format!("{base}/v1/notices"), &bravo, None);
    assert_eq!(notices["received"][0]["acked_by_operator"], "Capt. Roux", "{notices}");
    let given = json_of(&cli(&as_alpha, &["notice", "list", "--json"]));
    assert_eq!(given["given"][0]["intent_id"], intent.as_str(), "{given}");

    // Suspension refuses messages, with the server's reason; resuming allows them again.
    let out = cli(&as_bravo, &["line", "suspend", "ab", "--why", "radio maintenance"]);
    assert_eq!(out, "line ab (Alpha-Bravo): suspended by bravo: radio maintenance, parties alpha,bravo\n");
    let (_, err) = fails(&[&["message", "send", "ab", "hello"][..], &as_alpha].concat());
    assert!(err.starts_with("error: sending on line ab: refused with 409 Conflict: "), "{err}");
    assert!(cli(&as_alpha, &["line", "resume", "ab"]).contains(": active,"));
    // A retried send with the same idempotency key is the first message, said so.
    let send = ["message", "send", "ab", "FL300 released", "--priority", "flash", "--idempotency-key", "k-1"];
    let first = cli(&as_alpha, &send);
    let again = cli(&as_alpha, &send);
    assert!(again.contains("(already sent with this idempotency key)"), "{again}");
    assert_eq!(first.split_whitespace().nth(1), again.split_whitespace().nth(1), "{first}{again}");
    let inbox = json_of(&cli(&as_bravo, &["message", "inbox", "--unacked", "--json"]));
    let copies =
        inbox["messages"].as_array().unwrap().iter().filter(|m| m["text"] == "FL300 released").count();
    assert_eq!(copies, 1, "one message, not two: {inbox}");
    // A template fills the standard text from its fields, addressed with --to;
    // a template missing a required field is refused, in one line.
    let vacate = ["message", "send", "ab", "traffic", "--template", "request_to_vacate", "--to", "bravo"];
    let sent = cli(
        &as_alpha,
        &[&vacate[..], &["--field", "where=sector 4", "--field", "until=12:00Z", "--json"]].concat(),
    );
    assert!(
        sent.contains("sector 4") && sent.contains("12:00Z") && sent.contains("request_to_vacate"),
        "{sent}"
    );
    let (_, err) = fails(&[&vacate[..], &["--field", "where=sector 4"], &as_alpha[..]].concat());
    assert!(
        err.starts_with("error: sending on line ab: refused with 400 Bad Request: ") && err.contains("until"),
        "{err}"
    );
    let hb = cli(&as_alpha, &["line", "heartbeat", "ab"]);
    assert!(hb.starts_with("heartbeat on line ab at 20"), "{hb}");
}

#[test]
fn an_unreachable_server_is_named_and_a_refusal_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let nowhere = format!("http://127.0.0.1:{port}");
    let (_, err) = fails(&["party", "list", "--server", &nowhere, "--token", "t"]);
    assert!(err.starts_with(&format!("error: cannot reach the server at {nowhere} (")), "{err}");
    assert!(err.contains("--server"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (_, err) = fails(&["events", "follow", "--server", &nowhere, "--token", "t"]);
    assert!(err.contains("cannot reach the server"), "{err}");

    let server = Server::start(dir.path(), port);
    let (_, err) = fails(&["line", "list", "--server", &server.base, "--token", "not-a-token"]);
    assert!(err.starts_with("error: listing lines: refused with 401 Unauthorized: "), "{err}");
    let alpha = token_with(dir.path(), "alpha", PARTY_SCOPES);
    let (_, err) = fails(&["line", "show", "nope", "--server", &server.base, "--token", &alpha]);
    assert!(err.starts_with("error: line nope: refused with 404 Not Found: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let audit = format!("{}/v1/audit", server.base);
    let (_, err) = fails(&["audit", "verify", &audit, "--token", &alpha]);
    assert!(err.contains(&format!("GET {audit}?after=0&limit=10000: refused with 403 Forbidden: ")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (_, err) =
        fails(&["party", "put", "x", "--display-name", "X", "--server", &server.base, "--token", &alpha]);
    assert!(
        err.starts_with("error: registering party x: refused with 403 Forbidden: only the operator"),
        "{err}"
    );
}

#[test]
fn converging_tracks_show_in_alert_list_and_follow() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let base = server.base.as_str();
    let alpha = token_with(dir.path(), "alpha", PARTY_SCOPES);
    let bravo = token_with(dir.path(), "bravo", PARTY_SCOPES);
    let as_alpha = server.conn(&alpha);
    assert_eq!(stdout(&run(&[&["alert", "list"][..], &as_alpha].concat())), "no active alerts\n");

    // Head-on at FL300, about 21 NM apart, closing at 800 kt: reported
    // until a scan has confirmed the conflict (on a later report of each).
    let track = |id: &str, lon: f64, trk: f64| json!({ "tracks": [{ "id": id, "lat": 46.0, "lon": lon, "alt_ft": 30000, "gs_kt": 400, "trk_deg": trk, "vs_fpm": 0 }] });
    let deadline = Instant::now() + Duration::from_secs(40);
    let alerts = loop {
        for (token, body) in [(&alpha, track("A1", 7.0, 90.0)), (&bravo, track("B1", 7.5, 270.0))] {
            let (status, answer) =
                api(reqwest::Method::POST, &format!("{base}/v1/tracks"), token, Some(&body));
            assert_eq!(status, 200, "{answer}");
        }
        let listed = json_of(&stdout(&run(&[&["alert", "list", "--json"][..], &as_alpha].concat())));
        if listed["alerts"].as_array().is_some_and(|a| !a.is_empty()) {
            break listed;
        }
        assert!(Instant::now() < deadline, "no alert: {listed}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(alerts["alerts"][0]["kind"], "loss_of_separation", "{alerts}");
    let table = stdout(&run(&[&["alert", "list"][..], &as_alpha].concat()));
    let row = table.lines().nth(1).unwrap();
    assert!(
        row.contains("loss_of_separation") && row.contains("alpha/A1") && row.contains("bravo/B1"),
        "{table}"
    );

    // Each scan re-predicts a live alert: the stream shows it within seconds.
    let follower = Follower::spawn(&[&["alert", "follow", "--count", "1", "--json"][..], &as_alpha].concat());
    let event = json_of(&follower.wait_for("loss_of_separation"));
    assert_eq!(event["id"], alerts["alerts"][0]["id"], "{event}");
    // Without --json, one line per event: the alert id, its kind and the two tracks.
    let follower = Follower::spawn(&[&["alert", "follow", "--count", "1"][..], &as_alpha].concat());
    let line = follower.wait_for("loss_of_separation");
    let id = alerts["alerts"][0]["id"].as_str().unwrap();
    assert!(line.contains(id) && line.contains("alpha/A1 x bravo/B1"), "{line}");
}

#[test]
fn events_follow_resumes_after_the_server_restarts_without_loss_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(dir.path(), port);
    let base = server.base.clone();
    let admin = token_with(dir.path(), "admin", "deconflict.admin");
    let alpha = token_with(dir.path(), "alpha", PARTY_SCOPES);
    let bravo = token_with(dir.path(), "bravo", PARTY_SCOPES);
    let as_admin = ["--server", base.as_str(), "--token", admin.as_str()];
    for p in ["alpha", "bravo"] {
        run(&[&["party", "put", p, "--display-name", p][..], &as_admin].concat());
    }
    run(&[&["line", "create", "ab", "--name", "AB", "--party", "alpha", "--party", "bravo"][..], &as_admin]
        .concat());
    let follower = Follower::spawn(&[
        "events",
        "follow",
        "--json",
        "--server",
        base.as_str(),
        "--token",
        bravo.as_str(),
    ]);
    let created = json_of(&follower.wait_for("line.created"));

    // The server goes away and comes back on the same store; meanwhile the
    // follower keeps trying, then resumes after the last event it printed.
    server.kill9();
    let server = Server::start(dir.path(), port);
    let as_alpha = server.conn(&alpha);
    run(&[&["message", "send", "ab", "after the restart"][..], &as_alpha].concat());
    let after = follower.until("message.sent");
    let sent = json_of(after.last().unwrap());
    assert_eq!(sent["payload"]["message"]["text"], "after the restart", "{sent}");
    assert!(after.iter().all(|l| !l.contains("line.created")), "nothing printed twice: {after:?}");
    assert!(sent["seq"].as_u64() > created["seq"].as_u64(), "{sent}");
}
