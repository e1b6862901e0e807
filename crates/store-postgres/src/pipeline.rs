//! Pipelining: a transaction's writes whose answer is not needed are queued
//! and sent together with its next statement (or its `COMMIT`), in one round
//! trip, in order, each with its own `Sync` (see the crate docs).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::pool::PgConn;

/// An owned statement parameter (of a write sent later).
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A write whose answer is not needed at once: it is sent with the next
/// statement that needs one, or with `COMMIT`.
pub(crate) struct Queued {
    pub(crate) sql: &'static str,
    pub(crate) params: Vec<Param>,
}

/// The statement a pipeline ends with, whose answer the caller waits for.
pub(crate) enum Last<'a> {
    /// A prepared statement's rows.
    Rows(&'static str, &'a [&'a (dyn ToSql + Sync)]),
    /// A prepared statement's row count.
    Count(&'static str, &'a [&'a (dyn ToSql + Sync)]),
    /// A simple-protocol statement (transaction control).
    Batch(&'a str),
}

/// What the last statement of a pipeline answered.
pub(crate) enum Answer {
    Rows(Vec<Row>),
    Count(u64),
    Done,
}

impl Answer {
    /// The rows of a [`Last::Rows`] (none for the others).
    pub(crate) fn rows(self) -> Vec<Row> {
        match self {
            Answer::Rows(r) => r,
            Answer::Count(_) | Answer::Done => Vec::new(),
        }
    }

    /// The row count of a [`Last::Count`] (0 for the others).
    pub(crate) fn count(self) -> u64 {
        match self {
            Answer::Count(n) => n,
            Answer::Rows(_) | Answer::Done => 0,
        }
    }
}

/// The outcome of [`PgConn::run`].
pub(crate) enum Ran {
    /// A queued write failed: the first failure in order. PostgreSQL fails
    /// the rest of the transaction after it; a write that failed before it
    /// was sent (its parameters could not be encoded, the connection was
    /// closed) stopped everything after it from being sent.
    Queued(tokio_postgres::Error),
    /// Every queued write succeeded; the last statement's answer.
    Last(Result<Answer, tokio_postgres::Error>),
}

/// [`Last`] with its statement prepared.
enum Ready<'a> {
    Rows(Statement, &'a [&'a (dyn ToSql + Sync)]),
    Count(Statement, &'a [&'a (dyn ToSql + Sync)]),
    Batch(&'a str),
}

type Boxed<'f, T> = Pin<Box<dyn Future<Output = Result<T, tokio_postgres::Error>> + 'f>>;

impl PgConn {
    /// Sends `queued` and then `last` without waiting in between (they are
    /// executed in this order, each with its own `Sync`), and collects the
    /// answers. Preparing a statement seen for the first time on this
    /// connection is a round trip of its own, once.
    pub(crate) fn run(&mut self, queued: &[Queued], last: Last<'_>) -> Ran {
        let mut prepared = Vec::with_capacity(queued.len());
        for q in queued {
            match self.prepare(q.sql) {
                Ok(st) => prepared.push(st),
                Err(e) => return Ran::Queued(e),
            }
        }
        let ready = match last {
            Last::Rows(sql, params) => self.prepare(sql).map(|st| Ready::Rows(st, params)),
            Last::Count(sql, params) => self.prepare(sql).map(|st| Ready::Count(st, params)),
            Last::Batch(sql) => Ok(Ready::Batch(sql)),
        };
        let ready = match ready {
            Ok(r) => r,
            Err(e) => return Ran::Last(Err(e)),
        };
        let refs: Vec<Vec<&(dyn ToSql + Sync)>> = queued
            .iter()
            .map(|q| q.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect())
            .collect();
        let client = self.client();
        let mut steps: Vec<Boxed<'_, Answer>> = prepared
            .iter()
            .zip(&refs)
            .map(|(st, params)| -> Boxed<'_, Answer> {
                Box::pin(async move { client.execute(st, params.as_slice()).await.map(Answer::Count) })
            })
            .collect();
        steps.push(match ready {
            Ready::Rows(st, params) => {
                Box::pin(async move { client.query(&st, params).await.map(Answer::Rows) })
            }
            Ready::Count(st, params) => {
                Box::pin(async move { client.execute(&st, params).await.map(Answer::Count) })
            }
            Ready::Batch(sql) => {
                Box::pin(async move { client.batch_execute(sql).await.map(|()| Answer::Done) })
            }
        });
        let mut answers = self.block_on(in_order(steps)).into_iter();
        let last = answers.next_back();
        if let Some(e) = answers.flatten().find_map(Result::err) {
            return Ran::Queued(e);
        }
        match last {
            Some(Some(answer)) => Ran::Last(answer),
            // Only a failed write stops the last statement.
            _ => unreachable!("the last statement ran, or a queued write failed"),
        }
    }
}

/// Polls `steps` in order on every wake-up until all are ready, and gives
/// their answers (`None` for a step never sent). A `tokio-postgres` request
/// is queued on the connection when its future is first polled, so the first
/// pass sends them in this order; a step that fails on that first poll was
/// not sent, and the steps after it are not sent either (so that a `COMMIT`
/// never follows a write that did not go out).
async fn in_order(mut steps: Vec<Boxed<'_, Answer>>) -> Vec<Option<Result<Answer, tokio_postgres::Error>>> {
    let mut answers: Vec<Option<Result<Answer, tokio_postgres::Error>>> =
        steps.iter().map(|_| None).collect();
    let mut sent = steps.len();
    let mut first_pass = true;
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, (step, answer)) in steps.iter_mut().zip(answers.iter_mut()).enumerate().take(sent) {
            if answer.is_some() {
                continue;
            }
            match step.as_mut().poll(cx) {
                Poll::Ready(r) => {
                    let unsent = first_pass && r.is_err();
                    *answer = Some(r);
                    if unsent {
                        sent = i + 1;
                        break;
                    }
                }
                Poll::Pending => pending = true,
            }
        }
        first_pass = false;
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    answers
}
