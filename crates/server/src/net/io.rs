//! A connection's byte stream with the two read deadlines a request head
//! has: a client must start its next request within the idle (keep-alive)
//! timeout, and, once it has started, finish the head within the header
//! timeout. While a request is being served (its body read, its response
//! written) no read deadline applies here: the body has its own
//! ([`super::body`]) and a response may stream for as long as it needs
//! (event streams).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Whether the connection is serving a request: set when a request head is
/// complete, cleared when its response has been written (the response body
/// dropped). Clearing it wakes the reader, so the idle deadline starts even
/// when the connection was last read while busy.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    on: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl Busy {
    pub(crate) fn begin(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    pub(crate) fn end(&self) {
        self.on.store(false, Ordering::SeqCst);
        let waker = self.reader.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn get(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    fn park(&self, waker: &Waker) {
        *self.reader.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker.clone());
    }
}

/// The read deadlines of request heads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadTimeouts {
    /// From the end of the previous response (or the connection's start) to
    /// the first byte of the next request.
    pub idle: Duration,
    /// From the first byte of a request to the end of its head.
    pub header: Duration,
}

pub(crate) struct TimedIo<S> {
    inner: S,
    busy: Arc<Busy>,
    timeouts: HeadTimeouts,
    /// When the wait for the next request began.
    idle_since: Instant,
    /// When its first byte arrived.
    head_started: Option<Instant>,
    serving: bool,
    timer: Pin<Box<Sleep>>,
}

impl<S> TimedIo<S> {
    pub(crate) fn new(inner: S, busy: Arc<Busy>, timeouts: HeadTimeouts) -> Self {
        let now = Instant::now();
        Self {
            inner,
            busy,
            timeouts,
            idle_since: now,
            head_started: None,
            serving: false,
            timer: Box::pin(tokio::time::sleep_until(now + timeouts.idle)),
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.busy.get() {
            this.serving = true;
            this.busy.park(cx.waker());
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        if this.serving {
            // The previous response is done: wait for the next request.
            this.serving = false;
            this.idle_since = Instant::now();
            this.head_started = None;
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.head_started.is_none() {
                    this.head_started = Some(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                let (deadline, what) = match this.head_started {
                    Some(t) => {
                        (t + this.timeouts.header, "request head not received within the header timeout")
                    }
                    None => {
                        (this.idle_since + this.timeouts.idle, "connection idle past the keep-alive timeout")
                    }
                };
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(timed_out(what)));
                }
                this.timer.as_mut().reset(deadline);
                if this.timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(timed_out(what)));
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
