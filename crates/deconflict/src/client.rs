//! The HTTP client every command that talks to a running server uses: the
//! connection flags (`--server`, `--token`, `--ca-file`), one-line errors
//! (an unreachable server is named; a refusal shows the server's message),
//! and Server-Sent Events streams that resume after a dropped connection.

use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::sse;

/// Where the server is and who we are: flags of every command group that
/// talks to a server, accepted before or after the subcommand.
#[derive(Debug, Args)]
pub struct Conn {
    /// Server base URL.
    #[arg(long, global = true, env = "DECONF_SERVER", default_value = "http://127.0.0.1:8080", value_parser = crate::cli_values::server_url)]
    pub server: String,
    /// Bearer token (see `deconflict token`).
    #[arg(long, global = true, env = "DECONF_TOKEN")]
    pub token: Option<String>,
    /// CAs (PEM) trusted for an `https://` server, beyond the system's roots.
    #[arg(long, global = true, env = "DECONF_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

impl Conn {
    /// A client for this server.
    ///
    /// # Errors
    /// When there is no token or the CA file is unusable.
    pub fn client(&self) -> anyhow::Result<Client> {
        let token = self.token.as_deref().context(
            "no token: give --token or set DECONF_TOKEN (`deconflict token --sub PARTY --scope ...` makes one for a development server)",
        )?;
        Client::new(&self.server, token, self.ca_file.as_deref())
    }
}

/// Runs `f` on a new async runtime (every server command is one such call).
///
/// # Errors
/// When the runtime cannot start, or `f`'s error.
pub fn block_on<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Runtime::new().context("starting the async runtime")?.block_on(f)
}

/// One party's connection to a deconflict server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// A response: status and JSON body (`null` when the body is empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The body's `message`, if any.
    pub fn message(&self) -> &str {
        self.body.get("message").and_then(Value::as_str).unwrap_or("")
    }

    /// The body of a 2xx answer; otherwise an error of one line naming
    /// `what` was asked, the status and the server's message.
    ///
    /// # Errors
    /// When the status is not a success.
    pub fn ok(self, what: &str) -> anyhow::Result<Value> {
        if self.status.is_success() {
            return Ok(self.body);
        }
        anyhow::bail!("{what}: {}", self.refusal())
    }

    /// `404 Not Found: no such line "x"`: the status and the server's
    /// message on one line.
    pub fn refusal(&self) -> String {
        refusal(self.status, &self.body)
    }
}

/// The status and the server's message (its JSON `message`, or the text it
/// sent) on one line.
pub fn refusal(status: StatusCode, body: &Value) -> String {
    let text = match body {
        Value::String(s) => s.as_str(),
        other => other.get("message").and_then(Value::as_str).unwrap_or(""),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() { format!("refused with {status}") } else { format!("refused with {status}: {text}") }
}

/// How long a request may take (a stream's connection is reopened after this).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A stream is reopened once it lasted this long, so no timeout ever ends it.
const STREAM_SPAN: Duration = Duration::from_secs(6 * 3600);
/// The server sends a keep-alive every 15 s: this much silence means the
/// connection is gone.
const STREAM_SILENCE: Duration = Duration::from_secs(45);

impl Client {
    /// A client for `base` (e.g. `http://127.0.0.1:8080` or `https://...`)
    /// with a bearer token, trusting the system's roots plus `ca_file`.
    pub fn new(base: &str, token: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let http =
            server::net::tls::http_client(ca_file, REQUEST_TIMEOUT).context("building the HTTP client")?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), token: token.to_owned() })
    }

    /// Sends a request, naming the server when it cannot be reached.
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        method: &Method,
        path: &str,
    ) -> anyhow::Result<reqwest::Response> {
        req.bearer_auth(&self.token).send().await.map_err(|e| self.send_error(&e, method, path))
    }

    /// A failed send in words: the server unreachable (and why), or no answer in time.
    fn send_error(&self, e: &reqwest::Error, method: &Method, path: &str) -> anyhow::Error {
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        if e.is_connect() {
            anyhow::anyhow!(
                "cannot reach the server at {} ({cause}): is it running, and are --server / DECONF_SERVER right?",
                self.base
            )
        } else if e.is_timeout() {
            anyhow::anyhow!(
                "{method} {}{path}: no answer from the server within {} s",
                self.base,
                REQUEST_TIMEOUT.as_secs()
            )
        } else {
            anyhow::anyhow!("{method} {}{path}: {cause}", self.base)
        }
    }

    /// Sends a request and reads the JSON answer.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = self.send(req, &method, path).await?;
        let status = resp.status();
        let bytes = resp.bytes().await.with_context(|| format!("reading the answer to {method} {url}"))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok(Reply { status, body })
    }

    /// `GET` a path.
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.call(Method::GET, path, None).await
    }

    /// `POST` a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT` a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `GET` a path whose answer is text (e.g. the NDJSON audit export).
    pub async fn get_text(&self, path: &str) -> anyhow::Result<(StatusCode, String)> {
        let url = format!("{}{path}", self.base);
        let resp = self.send(self.http.get(&url), &Method::GET, path).await?;
        let status = resp.status();
        Ok((status, resp.text().await.with_context(|| format!("reading {url}"))?))
    }

    /// `PUT` an operational intent (create when `ovn` is `None`).
    pub async fn put_intent(&self, id: &str, ovn: Option<&str>, body: &Value) -> anyhow::Result<Reply> {
        let path = match ovn {
            Some(o) => format!("/dss/v1/operational_intent_references/{id}/{o}"),
            None => format!("/dss/v1/operational_intent_references/{id}"),
        };
        self.call(Method::PUT, &path, Some(body)).await
    }

    /// `GET` an operational intent reference.
    pub async fn get_intent(&self, id: &str) -> anyhow::Result<Reply> {
        self.call(Method::GET, &format!("/dss/v1/operational_intent_references/{id}"), None).await
    }

    /// `DELETE` an operational intent.
    pub async fn delete_intent(&self, id: &str, ovn: &str) -> anyhow::Result<Reply> {
        self.call(Method::DELETE, &format!("/dss/v1/operational_intent_references/{id}/{ovn}"), None).await
    }

    /// `POST .../query` over an area.
    pub async fn query_intents(&self, area: &Value) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "area_of_interest": area });
        self.call(Method::POST, "/dss/v1/operational_intent_references/query", Some(&body)).await
    }

    /// `PUT` a subscription (create).
    pub async fn put_subscription(&self, id: &str, body: &Value) -> anyhow::Result<Reply> {
        self.call(Method::PUT, &format!("/dss/v1/subscriptions/{id}"), Some(body)).await
    }

    /// Follows the Server-Sent Events stream at `path`, calling `each` for
    /// every event until it returns `false`. A dropped or silent connection
    /// is reopened (with `Last-Event-ID`, so the event stream resumes
    /// without loss); a refusal, or a server unreachable at the start, is
    /// an error.
    ///
    /// # Errors
    /// When the first connection fails or the server refuses the stream.
    pub async fn follow(
        &self,
        path: &str,
        mut last_id: Option<u64>,
        mut each: impl FnMut(sse::Event) -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.base);
        let mut connected_once = false;
        let mut backoff = Duration::from_millis(500);
        loop {
            let mut req = self.http.get(&url).timeout(STREAM_SPAN).header("accept", "text/event-stream");
            if let Some(id) = last_id {
                req = req.header("last-event-id", id.to_string());
            }
            let mut resp = match self.send(req, &Method::GET, path).await {
                Ok(r) => r,
                Err(e) if !connected_once => return Err(e),
                Err(e) => {
                    eprintln!("{e:#}; trying again in {} s", backoff.as_secs_f32());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            let status = resp.status();
            if !status.is_success() {
                let text = resp.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                anyhow::bail!("GET {path}: {}", refusal(status, &body));
            }
            connected_once = true;
            backoff = Duration::from_millis(500);
            let mut parser = sse::Parser::default();
            let why = loop {
                match tokio::time::timeout(STREAM_SILENCE, resp.chunk()).await {
                    Err(_) => break "silent for too long".to_owned(),
                    Ok(Err(e)) => break e.to_string(),
                    Ok(Ok(None)) => break "the server closed it".to_owned(),
                    Ok(Ok(Some(bytes))) => {
                        for event in parser.feed(&bytes) {
                            if let Some(id) = event.id.as_deref().and_then(|i| i.parse().ok()) {
                                last_id = Some(id);
                            }
                            if !each(event)? {
                                return Ok(());
                            }
                        }
                    }
                }
            };
            let from = last_id.map_or_else(String::new, |id| format!(" after event {id}"));
            eprintln!("stream interrupted ({why}); reconnecting{from}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_one_line_with_the_servers_message() {
        let body = serde_json::json!({ "message": "no such line \"x\"\n(check the id)" });
        assert_eq!(
            refusal(StatusCode::NOT_FOUND, &body),
            "refused with 404 Not Found: no such line \"x\" (check the id)"
        );
        assert_eq!(refusal(StatusCode::BAD_GATEWAY, &Value::Null), "refused with 502 Bad Gateway");
        let text = Value::String("upstream\nwent away".into());
        assert_eq!(
            refusal(StatusCode::BAD_GATEWAY, &text),
            "refused with 502 Bad Gateway: upstream went away"
        );
    }
}
