//! The exchange's IO over Redis Streams: a sender that flushes the outbox
//! as one `XADD` per interval, and a receiver that follows the stream with
//! blocking `XREAD`s and applies other replicas' batches. Each has its own
//! connection and reconnects with backoff; their health makes the picture
//! partial or whole (see [`crate::exchange`]).

use std::ops::ControlFlow;
use std::time::Duration;

use deconflict_core::PartyName;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Client, Value};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{Backoff, pause};
use crate::LiveService;
use crate::exchange::{self, ExchangeConfig};

/// How long one blocking read waits for entries.
const BLOCK_MS: u64 = 1000;

pub(super) fn start(
    tasks: &mut JoinSet<()>,
    live: LiveService,
    cfg: ExchangeConfig,
    stop: &watch::Receiver<bool>,
) {
    let client = match Client::open(cfg.url.as_str()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "bad exchange URL; the picture stays local");
            return;
        }
    };
    tasks.spawn(send(live.clone(), client.clone(), cfg.clone(), stop.clone()));
    tasks.spawn(receive(live, client, cfg, stop.clone()));
}

async fn connect(client: &Client) -> redis::RedisResult<MultiplexedConnection> {
    let cfg = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_millis(BLOCK_MS + 2000)));
    client.get_multiplexed_async_connection_with_config(&cfg).await
}

/// Flushes the outbox every `flush_interval`; while Redis is unreachable,
/// keeps the latest report of each track and retries with backoff.
async fn send(live: LiveService, client: Client, cfg: ExchangeConfig, mut stop: watch::Receiver<bool>) {
    let ex = live.exchange();
    let mut conn: Option<MultiplexedConnection> = None;
    let mut backoff = Backoff::new(cfg.flush_interval, Duration::from_secs(5));
    let mut wait = Duration::ZERO;
    loop {
        if pause(wait, &mut stop).await {
            return;
        }
        wait = cfg.flush_interval;
        if conn.is_none() {
            match connect(&client).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::debug!(error = %e, "exchange: cannot connect to send");
                    ex.set_send_ok(false);
                    wait = backoff.next_wait();
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let batch = ex.take();
        let result = if batch.is_empty() {
            redis::cmd("PING").query_async::<String>(c).await.map(|_| ())
        } else {
            let names: Vec<(String, &exchange::Outgoing)> = batch
                .iter()
                .map(|o| {
                    (live.party_name(o.party).map_or_else(|| format!("#{}", o.party.0), |m| m.to_string()), o)
                })
                .collect();
            let text = exchange::encode(names.iter().map(|(p, o)| (p.as_str(), o.name.as_str(), &o.state)));
            redis::cmd("XADD")
                .arg(&cfg.stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(cfg.max_len)
                .arg("*")
                .arg("r")
                .arg(&cfg.replica)
                .arg("b")
                .arg(text)
                .query_async::<String>(c)
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => {
                if !batch.is_empty() {
                    metrics::counter!("deconflict_exchange_batches_total", "direction" => "sent")
                        .increment(1);
                    metrics::counter!("deconflict_exchange_reports_total", "direction" => "sent")
                        .increment(batch.len() as u64);
                }
                ex.set_send_ok(true);
                backoff.reset();
            }
            Err(e) => {
                tracing::warn!(error = %e, "exchange: sending failed; local alerts continue");
                metrics::counter!("deconflict_exchange_errors_total", "op" => "send").increment(1);
                ex.put_back(batch);
                ex.set_send_ok(false);
                conn = None;
                wait = backoff.next_wait();
            }
        }
    }
}

/// Follows the stream from its end at the first connection, applying the
/// batches of other replicas; after an outage it resumes after the last
/// entry it read.
async fn receive(live: LiveService, client: Client, cfg: ExchangeConfig, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let mut last: Option<String> = None;
    loop {
        if follow(&live, &client, &cfg, &mut last, &mut backoff, &mut stop).await.is_break() {
            return;
        }
        live.exchange().set_receive_ok(false);
        if pause(backoff.next_wait(), &mut stop).await {
            return;
        }
    }
}

/// One connection's following of the stream: connects, finds the stream's
/// end if nothing was read yet, then applies what it reads after `last`.
/// `Continue` when something failed (logged; the caller marks the picture
/// partial and retries after a pause), `Break` when stopped.
async fn follow(
    live: &LiveService,
    client: &Client,
    cfg: &ExchangeConfig,
    last: &mut Option<String>,
    backoff: &mut Backoff,
    stop: &mut watch::Receiver<bool>,
) -> ControlFlow<()> {
    let ex = live.exchange();
    let mut conn = tokio::select! {
        c = connect(client) => match c {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "exchange: cannot connect to receive");
                return ControlFlow::Continue(());
            }
        },
        _ = stop.changed() => return ControlFlow::Break(()),
    };
    if last.is_none() {
        match redis::cmd("XREVRANGE")
            .arg(&cfg.stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async::<StreamRangeReply>(&mut conn)
            .await
        {
            Ok(r) => *last = Some(r.ids.first().map_or_else(|| "0-0".to_owned(), |e| e.id.clone())),
            Err(e) => {
                tracing::warn!(error = %e, "exchange: cannot read the stream's end");
                return ControlFlow::Continue(());
            }
        }
    }
    ex.set_receive_ok(true);
    backoff.reset();
    loop {
        let from = last.clone().unwrap_or_else(|| "0-0".to_owned());
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(256).arg("BLOCK").arg(BLOCK_MS).arg("STREAMS").arg(&cfg.stream).arg(&from);
        let read = tokio::select! {
            r = cmd.query_async::<Option<StreamReadReply>>(&mut conn) => r,
            _ = stop.changed() => return ControlFlow::Break(()),
        };
        match read {
            Ok(reply) => {
                ex.set_receive_ok(true);
                for key in reply.map(|r| r.keys).unwrap_or_default() {
                    for entry in key.ids {
                        apply(live, cfg, &entry.map);
                        *last = Some(entry.id);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "exchange: reading failed; the picture is partial");
                metrics::counter!("deconflict_exchange_errors_total", "op" => "receive").increment(1);
                return ControlFlow::Continue(());
            }
        }
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// Applies one entry of another replica: its reports, grouped by party.
fn apply(live: &LiveService, cfg: &ExchangeConfig, fields: &std::collections::HashMap<String, Value>) {
    if text(fields.get("r")).as_deref() == Some(cfg.replica.as_str()) {
        return;
    }
    let Some(body) = text(fields.get("b")) else { return };
    let (reports, bad) = match exchange::decode(&body) {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "exchange: an entry that is not a batch; skipped");
            return;
        }
    };
    if bad > 0 {
        metrics::counter!("deconflict_exchange_rejected_total").increment(bad as u64);
    }
    let n = reports.len();
    let mut by_party: std::collections::BTreeMap<String, Vec<(String, tactical::TrackState)>> =
        Default::default();
    for (party, name, state) in reports {
        by_party.entry(party).or_default().push((name, state));
    }
    for (party, reports) in by_party {
        match PartyName::new(&party) {
            Ok(m) => {
                let p = live.party(&m);
                live.ingest_remote(p, reports);
            }
            Err(_) => metrics::counter!("deconflict_exchange_rejected_total").increment(reports.len() as u64),
        }
    }
    metrics::counter!("deconflict_exchange_batches_total", "direction" => "received").increment(1);
    metrics::counter!("deconflict_exchange_reports_total", "direction" => "received").increment(n as u64);
    live.exchange().mark_applied();
}
