//! The access log: one line per response with its status and latency, and,
//! for a refusal, the reason the client was given ([`crate::error::Refusal`]),
//! so an operator reading "401" also reads why.

use std::time::Duration;

use axum::http::Response;
use tower_http::trace::OnResponse;
use tracing::Span;

use crate::error::Refusal;

/// Logs each response at INFO, with the refusal reason when there is one.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        let status = response.status().as_u16();
        let latency_ms = latency.as_secs_f64() * 1000.0;
        match response.extensions().get::<Refusal>() {
            Some(Refusal(reason)) => tracing::info!(status, latency_ms, reason = %reason, "refused"),
            None => tracing::info!(status, latency_ms, "answered"),
        }
    }
}
