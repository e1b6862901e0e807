//! Request bodies from clients that may be slow or hostile: every body has a
//! read deadline, and a response sent before its request's body was read to
//! the end closes the connection (`Connection: close`), so the client never
//! sends its next request on a connection the server is about to drop.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as _, Frame, SizeHint};

use crate::error::ApiError;

/// What the guard of one request body saw.
#[derive(Debug, Default)]
struct Seen {
    /// The body was read to its end (or had none).
    ended: AtomicBool,
    /// Its read deadline passed first.
    timed_out: AtomicBool,
}

/// The body error when the deadline passes.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
struct BodyTimedOut(Duration);

struct Guarded {
    inner: Body,
    seen: Arc<Seen>,
    limit: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.seen.ended.store(true, Ordering::SeqCst);
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.seen.timed_out.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(this.limit)))));
                }
                Poll::Pending
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The middleware: puts a deadline of `limit` on reading the request body and
/// closes the connection after a response that left the body unread.
pub async fn guard(limit: Duration, req: Request, next: Next) -> Response {
    let seen = Arc::new(Seen::default());
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        seen.ended.store(true, Ordering::SeqCst);
    }
    let deadline = Box::pin(tokio::time::sleep(limit));
    let guarded = Body::new(Guarded { inner: body, seen: seen.clone(), limit, deadline });
    let mut response = next.run(Request::from_parts(parts, guarded)).await;
    if seen.timed_out.load(Ordering::SeqCst) {
        metrics::counter!("deconflict_http_refused_total", "reason" => "body_timeout").increment(1);
        response = ApiError::RequestTimeout(format!(
            "the request body was not received within {} s; nothing was done",
            limit.as_secs_f64()
        ))
        .into_response();
    }
    if !seen.ended.load(Ordering::SeqCst) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
