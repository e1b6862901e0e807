//! SBS-1 (BaseStation, dump1090 port 30003 format) over TCP: each configured
//! listener accepts feed connections and assigns every track it receives to
//! its party.
//!
//! Lines are read into one reusable buffer per connection (no allocation per
//! line), parsed with [`tactical::sbs::parse_line`] and merged per aircraft
//! with an [`SbsAssembler`]. Every line is counted in
//! `deconflict_sbs_lines_total{result}` (`ok`, or the reason it was
//! rejected); rejected lines are logged at debug level. Garbage never ends a
//! connection; a read error ends only that connection.

use std::net::SocketAddr;
use std::time::Duration;

use deconflict_core::Manager;
use tactical::assembler::{AssemblerConfig, SbsAssembler};
use tactical::sbs::{SbsError, SbsField, parse_line};
use tactical::{PartyId, Timestamp};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::state::AppState;

/// Longest accepted line; longer ones are skipped up to their end (`too_long`).
pub const MAX_LINE: u64 = 1024;

/// Binds every configured listener (so a bad address fails at start-up) and
/// records the bound addresses in the live state.
///
/// # Errors
/// The first bind error, naming the address.
pub async fn bind(state: &AppState) -> std::io::Result<Vec<(TcpListener, Manager)>> {
    let mut out = Vec::new();
    for (addr, party) in &state.live.config().sbs_listeners {
        let l = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("binding the SBS-1 listener {addr} (party {party}): {e}"))
        })?;
        let local = l.local_addr()?;
        tracing::info!(listen = %local, party = %party, "SBS-1 listener");
        out.push((l, party.clone()));
    }
    state.live.set_sbs_addrs(out.iter().filter_map(|(l, _)| l.local_addr().ok()).collect());
    Ok(out)
}

/// Serves bound listeners until aborted (aborting also ends every connection).
pub async fn run(state: AppState, listeners: Vec<(TcpListener, Manager)>) {
    let mut tasks = JoinSet::new();
    for (listener, manager) in listeners {
        let party = state.live.party(&manager);
        tasks.spawn(accept(state.clone(), listener, party));
    }
    while tasks.join_next().await.is_some() {}
}

async fn accept(state: AppState, listener: TcpListener, party: PartyId) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::info!(%peer, "SBS-1 feed connected");
                    conns.spawn(connection(state.clone(), stream, peer, party));
                }
                Err(e) => {
                    // E.g. out of file descriptors: wait, do not spin.
                    tracing::warn!(error = %e, "SBS-1 accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

fn now(state: &AppState) -> Timestamp {
    Timestamp::from_micros(state.clock.now().as_micros())
}

/// The metrics label of a rejected line.
pub fn reason(e: &SbsError) -> &'static str {
    match e {
        SbsError::Empty => "empty",
        SbsError::NotMsg => "not_msg",
        SbsError::FieldCount => "field_count",
        SbsError::HalfPosition => "half_position",
        SbsError::BadField(f) => match f {
            SbsField::TransmissionType => "bad_transmission_type",
            SbsField::HexIdent => "bad_hex_ident",
            SbsField::Callsign => "bad_callsign",
            SbsField::Altitude => "bad_altitude",
            SbsField::GroundSpeed => "bad_ground_speed",
            SbsField::Track => "bad_track",
            SbsField::Latitude => "bad_latitude",
            SbsField::Longitude => "bad_longitude",
            SbsField::VerticalRate => "bad_vertical_rate",
            SbsField::Squawk => "bad_squawk",
            SbsField::Flag => "bad_flag",
            SbsField::DateTime => "bad_date_time",
        },
    }
}

async fn connection(state: AppState, stream: TcpStream, peer: SocketAddr, party: PartyId) {
    let mut reader = BufReader::new(stream);
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut hex = [0u8; 8];
    let max_age = Duration::from_secs(20);
    let mut assembler = SbsAssembler::new(AssemblerConfig { party, max_age, ..AssemblerConfig::default() });
    let mut last_expiry = now(&state);
    let mut discarding = false;
    loop {
        line.clear();
        let n = match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::info!(%peer, error = %e, "SBS-1 feed read error; closing the connection");
                break;
            }
        };
        let complete = line.last() == Some(&b'\n');
        if discarding {
            discarding = !complete;
            continue;
        }
        if !complete && n as u64 >= MAX_LINE {
            discarding = true;
            metrics::counter!("deconflict_sbs_lines_total", "result" => "too_long").increment(1);
            tracing::debug!(%peer, "SBS-1 line too long; skipped");
            continue;
        }
        let t = now(&state);
        match parse_line(&line) {
            Ok(msg) => {
                metrics::counter!("deconflict_sbs_lines_total", "result" => "ok").increment(1);
                if let Some(track) = assembler.ingest(&msg, t) {
                    let name = hex_name(msg.icao.0, &mut hex);
                    state.live.ingest_one(name, track);
                }
            }
            Err(e) => {
                let why = reason(&e);
                metrics::counter!("deconflict_sbs_lines_total", "result" => why).increment(1);
                tracing::debug!(%peer, reason = why, "SBS-1 line rejected");
            }
        }
        if t.secs_since(last_expiry) > max_age.as_secs_f64() {
            assembler.expire(t);
            last_expiry = t;
        }
    }
    tracing::info!(%peer, "SBS-1 feed disconnected");
}

/// The ICAO address as six upper-case hex digits, written into `buf`.
fn hex_name(icao: u32, buf: &mut [u8; 8]) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let icao = icao & 0x00FF_FFFF;
    for (i, b) in buf[..6].iter_mut().enumerate() {
        let shift = 4 * (5 - i);
        *b = DIGITS[((icao >> shift) & 0xF) as usize];
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(&buf[..6]).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_names() {
        let mut b = [0u8; 8];
        assert_eq!(hex_name(0x4CA2D6, &mut b), "4CA2D6");
        assert_eq!(hex_name(0x1, &mut b), "000001");
    }
}
