//! The IO of sources: TCP listeners and clients for SBS-1, Beast and raw
//! Mode S, UDP (unicast and multicast) for ASTERIX, and polls of
//! `aircraft.json` over HTTP or from a file. Bytes go to a
//! [`Decoder`], reports to the picture,
//! counts to the source's [`SourceStatus`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tactical::{PartyId, Timestamp};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{Backoff, pause};
use crate::LiveService;
use crate::source::decode::{Decoder, Report};
use crate::source::{SourceStatus, Target};

/// A bound socket, or nothing yet (clients and polls).
#[derive(Debug)]
pub(super) enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
    None,
}

/// Binds a listener or UDP socket, so a bad address fails start-up.
pub(super) async fn bind(status: &SourceStatus) -> std::io::Result<Socket> {
    let spec = &status.spec;
    let name = spec.format().name();
    let err = |addr: &SocketAddr, e: std::io::Error, what: &str| {
        std::io::Error::new(e.kind(), format!("binding the {name} {what} {addr} (party {}): {e}", spec.party))
    };
    match &spec.target {
        Target::Listen(addr) => {
            let l = TcpListener::bind(addr).await.map_err(|e| err(addr, e, "listener"))?;
            let local = l.local_addr()?;
            tracing::info!(listen = %local, party = %spec.party, format = name, "feed listener");
            status.set_local_addr(local);
            Ok(Socket::Tcp(l))
        }
        Target::Udp { bind, multicast } => {
            let std_socket = std::net::UdpSocket::bind(bind).map_err(|e| err(bind, e, "UDP socket"))?;
            if let Some((group, iface)) = multicast {
                std_socket.join_multicast_v4(group, iface).map_err(|e| err(bind, e, "multicast group on"))?;
            }
            std_socket.set_nonblocking(true)?;
            let s = UdpSocket::from_std(std_socket)?;
            let local = s.local_addr()?;
            tracing::info!(listen = %local, party = %spec.party, format = name, "feed UDP socket");
            status.set_local_addr(local);
            Ok(Socket::Udp(s))
        }
        Target::Connect(_) | Target::Http(_) | Target::File(_) => Ok(Socket::None),
    }
}

/// Runs one source until stopped.
pub(super) async fn run(
    live: LiveService,
    status: Arc<SourceStatus>,
    socket: Socket,
    stop: watch::Receiver<bool>,
) {
    let party = live.party(&status.spec.party);
    match (socket, status.spec.target.clone()) {
        (Socket::Tcp(l), _) => accept(live, status, l, party, stop).await,
        (Socket::Udp(s), _) => datagrams(live, status, s, party, stop).await,
        (Socket::None, Target::Connect(to)) => connect(live, status, to, party, stop).await,
        (Socket::None, Target::Http(url)) => poll(live, status, Poll::Http(url), party, stop).await,
        (Socket::None, Target::File(path)) => poll(live, status, Poll::File(path), party, stop).await,
        (Socket::None, _) => {}
    }
}

fn now(live: &LiveService) -> Timestamp {
    Timestamp::from_micros(live.clock().now().as_micros())
}

/// Puts decoded reports into the picture and the counts into the status.
fn deliver(
    live: &LiveService,
    party: PartyId,
    out: &mut Vec<Report>,
    d: &mut Decoder,
    status: &SourceStatus,
) {
    if !out.is_empty() {
        let done = live.ingest_via(party, status.origin(), out.drain(..));
        let c = d.counters_mut();
        c.updates += done.accepted as u64;
        for _ in 0..done.stale {
            c.no_update("not_newer");
        }
    }
    status.absorb(d.counters_mut());
}

/// Reads a stream until it ends, fails or the runtime stops; returns whether to stop.
async fn read_stream(
    live: &LiveService,
    status: &SourceStatus,
    mut stream: TcpStream,
    decoder: &mut Decoder,
    party: PartyId,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::new();
    loop {
        tokio::select! {
            n = stream.read(&mut buf) => match n {
                Ok(0) => return false,
                Ok(n) => {
                    decoder.push(&buf[..n], now(live), &mut out);
                    deliver(live, party, &mut out, decoder, status);
                }
                Err(e) => {
                    tracing::info!(source = %status.spec.label(), error = %e, "feed read error; closing the connection");
                    return false;
                }
            },
            _ = stop.changed() => return true,
        }
    }
}

async fn accept(
    live: LiveService,
    status: Arc<SourceStatus>,
    listener: TcpListener,
    party: PartyId,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::info!(%peer, source = %status.spec.label(), "feed connected");
                    status.set_connected(true);
                    let (live, status, mut stop) = (live.clone(), status.clone(), stop.clone());
                    conns.spawn(async move {
                        let mut d = Decoder::new(status.spec.format(), party);
                        read_stream(&live, &status, stream, &mut d, party, &mut stop).await;
                        tracing::info!(%peer, source = %status.spec.label(), "feed disconnected");
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: wait, do not spin.
                    tracing::warn!(error = %e, "feed accept failed");
                    if pause(Duration::from_millis(100), &mut stop).await {
                        break;
                    }
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    while conns.join_next().await.is_some() {}
}

/// A client source: connects, reads until the connection ends, reconnects
/// after a backoff (100 ms doubling to 30 s, reset by a connection that
/// delivered data). What is known of each aircraft survives reconnections.
async fn connect(
    live: LiveService,
    status: Arc<SourceStatus>,
    to: String,
    party: PartyId,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
    let mut decoder = Decoder::new(status.spec.format(), party);
    loop {
        let attempt = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&to)) => r,
            _ = stop.changed() => return,
        };
        match attempt {
            Ok(Ok(stream)) => {
                tracing::info!(to = %to, source = %status.spec.label(), "connected to the receiver");
                status.set_connected(true);
                decoder.reset_stream();
                let read_before = status.totals().read;
                let stopped = read_stream(&live, &status, stream, &mut decoder, party, &mut stop).await;
                status.set_connected(false);
                if stopped {
                    return;
                }
                if status.totals().read > read_before {
                    backoff.reset();
                }
                tracing::info!(to = %to, "receiver connection ended; reconnecting");
            }
            Ok(Err(e)) => tracing::debug!(to = %to, error = %e, "cannot connect to the receiver"),
            Err(_) => tracing::debug!(to = %to, "connecting to the receiver timed out"),
        }
        if pause(backoff.next_wait(), &mut stop).await {
            return;
        }
    }
}

async fn datagrams(
    live: LiveService,
    status: Arc<SourceStatus>,
    socket: UdpSocket,
    party: PartyId,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 65_536];
    let mut decoder = Decoder::new(status.spec.format(), party);
    let mut out = Vec::new();
    loop {
        tokio::select! {
            got = socket.recv_from(&mut buf) => match got {
                Ok((n, _)) => {
                    decoder.push(&buf[..n], now(&live), &mut out);
                    deliver(&live, party, &mut out, &mut decoder, &status);
                }
                Err(e) => {
                    tracing::warn!(error = %e, source = %status.spec.label(), "UDP receive failed");
                    if pause(Duration::from_millis(100), &mut stop).await {
                        return;
                    }
                }
            },
            _ = stop.changed() => return,
        }
    }
}

#[derive(Debug)]
enum Poll {
    Http(String),
    File(std::path::PathBuf),
}

/// Largest `aircraft.json` document read (readsb's is about 1 KiB per aircraft).
const MAX_DOCUMENT: usize = 16 << 20;

async fn poll(
    live: LiveService,
    status: Arc<SourceStatus>,
    what: Poll,
    party: PartyId,
    mut stop: watch::Receiver<bool>,
) {
    let every = live.config().poll_interval.max(Duration::from_millis(100));
    let client = match &what {
        Poll::Http(_) => {
            // The workspace's reqwest brings no TLS provider of its own: use
            // ring's unless the process installed one (the server does).
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(reqwest::Client::builder().timeout(every.max(Duration::from_secs(2))).build())
        }
        Poll::File(_) => None,
    };
    let mut decoder = Decoder::new(status.spec.format(), party);
    let mut out = Vec::new();
    let mut backoff = Backoff::new(every, Duration::from_secs(30));
    loop {
        let doc: Result<Vec<u8>, String> = match (&what, &client) {
            (Poll::File(p), _) => tokio::fs::read(p).await.map_err(|e| format!("{}: {e}", p.display())),
            (Poll::Http(url), Some(Ok(c))) => fetch(c, url).await,
            (Poll::Http(_), Some(Err(e))) => Err(format!("HTTP client: {e}")),
            (Poll::Http(_), None) => Err("no HTTP client".to_owned()),
        };
        let wait = match doc {
            Ok(bytes) if bytes.len() <= MAX_DOCUMENT => {
                if !status.is_connected() {
                    status.set_connected(true);
                }
                decoder.push(&bytes, now(&live), &mut out);
                deliver(&live, party, &mut out, &mut decoder, &status);
                backoff.reset();
                every
            }
            Ok(_) => {
                decoder.counters_mut().read += 1;
                decoder.counters_mut().reject("too_large");
                status.absorb(decoder.counters_mut());
                every
            }
            Err(e) => {
                tracing::debug!(source = %status.spec.label(), error = %e, "aircraft.json poll failed");
                if status.is_connected() {
                    status.set_connected(false);
                }
                backoff.next_wait()
            }
        };
        if pause(wait, &mut stop).await {
            return;
        }
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("HTTP {}", r.status()));
    }
    Ok(r.bytes().await.map_err(|e| e.to_string())?.to_vec())
}
