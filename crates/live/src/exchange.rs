//! One picture across replicas: every replica sends the reports it received
//! to a Redis stream and applies the reports of the others, so each
//! replica's scans see every track (see ARCHITECTURE.md, "Scaling out").
//!
//! Reports are batched: the outbox keeps the latest report per track and is
//! flushed every [`ExchangeConfig::flush_interval`] as one stream entry
//! (`XADD … MAXLEN ~ N`), never one round trip per position. The entry's
//! fields are `r` (the sending replica) and `b` (the batch, [`encode`]).
//! While Redis is unreachable local alerts continue, the outbox keeps only
//! the latest report of each track, and the picture is partial
//! (`/healthz` and `deconflict_picture_partial` say so).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tactical::{
    Altitude, AltitudeRef, Callsign, DegreesTrue, FeetPerMinute, Knots, OperationKey, PartyId, Position,
    Timestamp, TrackId, TrackState,
};
use tokio::sync::watch;

/// Where and how replicas exchange reports.
#[derive(Clone)]
pub struct ExchangeConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The stream key every replica of one service uses.
    pub stream: String,
    /// How often the outbox is sent (a quarter of a scan interval keeps a
    /// remote report within two scans).
    pub flush_interval: Duration,
    /// Approximate length the stream is trimmed to.
    pub max_len: usize,
    /// This replica's name (its own entries are skipped when read back).
    pub replica: String,
}

impl ExchangeConfig {
    /// Stream `deconflict:tracks`, 250 ms flushes, 100,000 entries, a random replica name.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: "deconflict:tracks".to_owned(),
            flush_interval: Duration::from_millis(250),
            max_len: 100_000,
            replica: uuid::Uuid::new_v4().to_string(),
        }
    }
}

impl std::fmt::Debug for ExchangeConfig {
    /// The URL's password is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match reqwest::Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("REDACTED"));
                u.to_string()
            }
            _ => self.url.clone(),
        };
        f.debug_struct("ExchangeConfig")
            .field("url", &url)
            .field("stream", &self.stream)
            .field("flush_interval", &self.flush_interval)
            .field("max_len", &self.max_len)
            .field("replica", &self.replica)
            .finish()
    }
}

/// A report to send to the other replicas.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) party: PartyId,
    pub(crate) name: String,
    pub(crate) state: TrackState,
}

/// The exchange's state in the service: outbox and health.
#[derive(Debug)]
pub(crate) struct Exchange {
    enabled: bool,
    outbox: Mutex<HashMap<TrackId, Outgoing>>,
    send_ok: AtomicBool,
    receive_ok: AtomicBool,
    applied: watch::Sender<u64>,
    partial: watch::Sender<bool>,
}

impl Exchange {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            outbox: Mutex::new(HashMap::new()),
            send_ok: AtomicBool::new(false),
            receive_ok: AtomicBool::new(false),
            applied: watch::channel(0).0,
            partial: watch::channel(enabled).0,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Queues reports; a newer report of a track replaces the queued one.
    pub(crate) fn queue(&self, reports: Vec<Outgoing>) {
        let mut o = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
        for r in reports {
            o.insert(r.state.id, r);
        }
    }

    /// Takes everything queued.
    pub(crate) fn take(&self) -> Vec<Outgoing> {
        let mut o = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<Outgoing> = o.drain().map(|(_, r)| r).collect();
        v.sort_by_key(|r| r.state.id);
        v
    }

    /// Puts back a batch that could not be sent (newer queued reports win).
    pub(crate) fn put_back(&self, reports: Vec<Outgoing>) {
        let mut o = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
        for r in reports {
            o.entry(r.state.id).or_insert(r);
        }
    }

    pub(crate) fn set_send_ok(&self, ok: bool) {
        self.send_ok.store(ok, Ordering::SeqCst);
        self.export();
    }

    pub(crate) fn set_receive_ok(&self, ok: bool) {
        self.receive_ok.store(ok, Ordering::SeqCst);
        self.export();
    }

    fn export(&self) {
        let partial = self.partial();
        metrics::gauge!("deconflict_picture_partial").set(if partial { 1.0 } else { 0.0 });
        self.partial.send_if_modified(|p| std::mem::replace(p, partial) != partial);
    }

    pub(crate) fn watch_partial(&self) -> watch::Receiver<bool> {
        self.partial.subscribe()
    }

    /// Configured, and not both sending and receiving now.
    pub(crate) fn partial(&self) -> bool {
        self.enabled && !(self.send_ok.load(Ordering::SeqCst) && self.receive_ok.load(Ordering::SeqCst))
    }

    pub(crate) fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    pub(crate) fn mark_applied(&self) {
        self.applied.send_modify(|n| *n += 1);
    }
}

/// Version tag of the batch text.
const VERSION: &str = "deconflict-tracks-v1";

/// One batch as text: a first line `deconflict-tracks-v1`, then one report a
/// line, tab-separated: party, track name, time (µs), latitude, longitude,
/// altitude (ft), `P`ressure or `G`eometric, ground speed (kt), track (°),
/// vertical rate (ft/min), intent (32 hex digits or `-`), callsign (or `-`),
/// on the ground (`1`/`0`). Names never hold tabs or line breaks (control
/// characters are refused at every input).
pub fn encode<'a>(reports: impl IntoIterator<Item = (&'a str, &'a str, &'a TrackState)>) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(VERSION);
    out.push('\n');
    for (party, name, s) in reports {
        let intent = s.intent.map_or_else(
            || "-".to_owned(),
            |k| {
                k.0.iter().fold(String::with_capacity(32), |mut h, b| {
                    let _ = write!(h, "{b:02x}");
                    h
                })
            },
        );
        let _ = writeln!(
            out,
            "{party}\t{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{intent}\t{}\t{}",
            s.time.as_micros(),
            s.position.lat_deg(),
            s.position.lon_deg(),
            s.altitude.feet,
            match s.altitude.reference {
                AltitudeRef::Pressure => 'P',
                AltitudeRef::Geometric => 'G',
            },
            s.ground_speed.0,
            s.track_angle.0,
            s.vertical_rate.0,
            s.callsign.as_ref().map_or("-", |c| c.as_str()),
            u8::from(s.on_ground),
        );
    }
    out
}

/// A decoded report: party name, track name, state (id and party to be set).
pub type Incoming = (String, String, TrackState);

/// Reads a batch written by [`encode`]; returns the reports and the number
/// of lines refused (invalid states included).
///
/// # Errors
/// Not a batch of this version.
pub fn decode(text: &str) -> Result<(Vec<Incoming>, usize), String> {
    let mut lines = text.lines();
    if lines.next() != Some(VERSION) {
        return Err(format!("not a {VERSION} batch"));
    }
    let mut out = Vec::new();
    let mut bad = 0;
    for line in lines {
        match report(line) {
            Some(r) => out.push(r),
            None => bad += 1,
        }
    }
    Ok((out, bad))
}

fn report(line: &str) -> Option<Incoming> {
    let f: Vec<&str> = line.split('\t').collect();
    let [party, name, t, lat, lon, alt, r, gs, trk, vs, intent, cs, ground] = f.as_slice() else {
        return None;
    };
    let n = |x: &str| x.parse::<f64>().ok().filter(|v| v.is_finite());
    let intent = match *intent {
        "-" => None,
        h if h.len() == 32 => {
            let mut k = [0u8; 16];
            for (i, b) in k.iter_mut().enumerate() {
                *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some(OperationKey(k))
        }
        _ => return None,
    };
    let reference = match *r {
        "P" => AltitudeRef::Pressure,
        "G" => AltitudeRef::Geometric,
        _ => return None,
    };
    let state = TrackState {
        id: TrackId(0),
        party: PartyId(0),
        time: Timestamp::from_micros(t.parse().ok()?),
        position: Position::new(n(lat)?, n(lon)?).ok()?,
        altitude: Altitude { feet: n(alt)?, reference },
        ground_speed: Knots(n(gs)?),
        track_angle: DegreesTrue(n(trk)?),
        vertical_rate: FeetPerMinute(n(vs)?),
        intent,
        callsign: if *cs == "-" { None } else { Some(Callsign::new(cs)?) },
        on_ground: match *ground {
            "1" => true,
            "0" => false,
            _ => return None,
        },
    };
    state.validate().ok()?;
    if party.is_empty() || name.is_empty() {
        return None;
    }
    Some(((*party).to_owned(), (*name).to_owned(), state))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn batches_round_trip_and_bad_lines_are_counted() {
        let s = TrackState {
            id: TrackId(7),
            party: PartyId(1),
            time: Timestamp::from_micros(1_633_608_773_000_000),
            position: Position::new(48.4824371338, 3.8288057767).unwrap(),
            altitude: Altitude::pressure_ft(13650.0),
            ground_speed: Knots(325.0),
            track_angle: DegreesTrue(311.1362180242),
            vertical_rate: FeetPerMinute(-896.0),
            intent: Some(OperationKey([0xAB; 16])),
            callsign: Callsign::new("MSR799"),
            on_ground: false,
        };
        let mut g = s;
        g.altitude = Altitude::geometric_ft(200.0);
        g.intent = None;
        g.callsign = None;
        g.on_ground = true;
        let text = encode([("alpha", "0101DE", &s), ("bravo", "T 1", &g)]);
        let (v, bad) =
            decode(&format!("{text}garbage\tline\nalpha\tX\t1\t91\t0\t0\tP\t0\t0\t0\t-\t-\t0\n")).unwrap();
        assert_eq!(bad, 2);
        assert_eq!(v.len(), 2);
        let (p, n, d) = &v[0];
        assert_eq!((p.as_str(), n.as_str()), ("alpha", "0101DE"));
        assert_eq!(d.position, s.position);
        assert_eq!((d.time, d.altitude, d.intent, d.callsign), (s.time, s.altitude, s.intent, s.callsign));
        assert_eq!(
            (d.ground_speed, d.track_angle, d.vertical_rate),
            (s.ground_speed, s.track_angle, s.vertical_rate)
        );
        assert_eq!((v[1].2.altitude, v[1].2.on_ground, v[1].2.callsign), (g.altitude, true, None));
        assert!(decode("hello").is_err());
    }

    #[test]
    fn the_outbox_keeps_the_latest_report_of_each_track() {
        let e = Exchange::new(true);
        assert!(e.partial(), "not connected yet");
        let mk = |id, t| Outgoing {
            party: PartyId(0),
            name: format!("T{id}"),
            state: TrackState { id: TrackId(id), time: Timestamp::from_micros(t), ..sample() },
        };
        e.queue(vec![mk(1, 1), mk(2, 1), mk(1, 2)]);
        let got = e.take();
        assert_eq!(
            got.iter().map(|o| (o.state.id.0, o.state.time.as_micros())).collect::<Vec<_>>(),
            [(1, 2), (2, 1)]
        );
        e.queue(vec![mk(1, 3)]);
        e.put_back(got);
        let again = e.take();
        assert_eq!(again.iter().map(|o| o.state.time.as_micros()).collect::<Vec<_>>(), [3, 1], "newer wins");
        e.set_send_ok(true);
        e.set_receive_ok(true);
        assert!(!e.partial());
        e.set_receive_ok(false);
        assert!(e.partial());
        assert!(!Exchange::new(false).partial(), "no exchange: the picture is whole");
    }

    fn sample() -> TrackState {
        TrackState {
            id: TrackId(0),
            party: PartyId(0),
            time: Timestamp::from_micros(0),
            position: Position::new(46.0, 7.0).unwrap(),
            altitude: Altitude::pressure_ft(30000.0),
            ground_speed: Knots(400.0),
            track_angle: DegreesTrue(90.0),
            vertical_rate: FeetPerMinute(0.0),
            intent: None,
            callsign: None,
            on_ground: false,
        }
    }
}
