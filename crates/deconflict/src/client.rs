//! A small HTTP client for the DSS API, used by `intent` and `demo`.

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;

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
}

impl Client {
    /// A client for `base` (e.g. `http://127.0.0.1:8080` or `https://...`)
    /// with a bearer token, trusting the system's roots plus `ca_file`.
    pub fn new(base: &str, token: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let http = server::net::tls::http_client(ca_file, std::time::Duration::from_secs(30))
            .context("building the HTTP client")?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), token: token.to_owned() })
    }

    /// Sends a request and reads the JSON answer.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.with_context(|| format!("{method} {url}"))?;
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
        let resp = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
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
}
