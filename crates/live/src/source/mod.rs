//! Receiver feeds: what a source is ([`SourceSpec`], parsed from
//! `TARGET=PARTY` by one function for every kind), the decoders that turn
//! its bytes into track reports ([`decode`]), and the counters every source
//! keeps ([`SourceStatus`]).
//!
//! The sockets, files and HTTP polls that read the bytes are in
//! [`crate::runtime`]; everything here is synchronous and testable on bytes.

pub mod decode;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use deconflict_core::PartyName;

/// The wire format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// SBS-1 (BaseStation) text lines, dump1090 port 30003.
    Sbs,
    /// Beast binary, dump1090/readsb port 30005.
    Beast,
    /// Raw Mode S hex (`*8D...;`), dump1090 port 30002.
    Raw,
    /// readsb/dump1090 `aircraft.json` documents.
    AircraftJson,
    /// ASTERIX CAT021/CAT062 datagrams.
    Asterix,
}

impl Format {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Format::Sbs => "sbs",
            Format::Beast => "beast",
            Format::Raw => "raw",
            Format::AircraftJson => "aircraft_json",
            Format::Asterix => "asterix",
        }
    }

    /// The name people know it by (in errors and logs).
    pub fn name(self) -> &'static str {
        match self {
            Format::Sbs => "SBS-1",
            Format::Beast => "Beast",
            Format::Raw => "raw Mode S",
            Format::AircraftJson => "aircraft.json",
            Format::Asterix => "ASTERIX",
        }
    }
}

/// How a source is reached; one per command-line flag (its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// `--sbs-listen ADDR=PARTY`: receivers connect to us.
    SbsListen,
    /// `--sbs-connect HOST:PORT=PARTY`: we connect to a receiver.
    SbsConnect,
    /// `--beast-listen ADDR=PARTY`.
    BeastListen,
    /// `--beast-connect HOST:PORT=PARTY`.
    BeastConnect,
    /// `--raw-listen ADDR=PARTY`.
    RawListen,
    /// `--raw-connect HOST:PORT=PARTY`.
    RawConnect,
    /// `--aircraft-json URL|FILE=PARTY`: polled.
    AircraftJson,
    /// `--asterix-udp ADDR[@IFACE]=PARTY`: unicast, or multicast when ADDR is a group.
    AsterixUdp,
}

impl SourceKind {
    /// Every kind, in flag order.
    pub const ALL: [SourceKind; 8] = [
        SourceKind::SbsListen,
        SourceKind::SbsConnect,
        SourceKind::BeastListen,
        SourceKind::BeastConnect,
        SourceKind::RawListen,
        SourceKind::RawConnect,
        SourceKind::AircraftJson,
        SourceKind::AsterixUdp,
    ];

    /// The command-line flag (without `--`).
    pub fn flag(self) -> &'static str {
        match self {
            SourceKind::SbsListen => "sbs-listen",
            SourceKind::SbsConnect => "sbs-connect",
            SourceKind::BeastListen => "beast-listen",
            SourceKind::BeastConnect => "beast-connect",
            SourceKind::RawListen => "raw-listen",
            SourceKind::RawConnect => "raw-connect",
            SourceKind::AircraftJson => "aircraft-json",
            SourceKind::AsterixUdp => "asterix-udp",
        }
    }

    /// The format its bytes are in.
    pub fn format(self) -> Format {
        match self {
            SourceKind::SbsListen | SourceKind::SbsConnect => Format::Sbs,
            SourceKind::BeastListen | SourceKind::BeastConnect => Format::Beast,
            SourceKind::RawListen | SourceKind::RawConnect => Format::Raw,
            SourceKind::AircraftJson => Format::AircraftJson,
            SourceKind::AsterixUdp => Format::Asterix,
        }
    }

    fn example(self) -> &'static str {
        match self {
            SourceKind::SbsListen | SourceKind::BeastListen | SourceKind::RawListen => "0.0.0.0:30003=radar",
            SourceKind::SbsConnect | SourceKind::BeastConnect | SourceKind::RawConnect => {
                "receiver.local:30005=radar"
            }
            SourceKind::AircraftJson => "http://receiver.local/data/aircraft.json=radar",
            SourceKind::AsterixUdp => "239.255.0.1:8600@0.0.0.0=radar",
        }
    }
}

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Listen on this TCP address.
    Listen(SocketAddr),
    /// Connect to `host:port` (resolved at each attempt).
    Connect(String),
    /// Poll this `http://` or `https://` URL.
    Http(String),
    /// Read this file at each poll.
    File(PathBuf),
    /// Receive datagrams on this address; join `group` on `interface` when multicast.
    Udp {
        /// The address to bind (for multicast: the group's port on any address).
        bind: SocketAddr,
        /// The multicast group and the interface to join it on.
        multicast: Option<(Ipv4Addr, Ipv4Addr)>,
    },
}

/// One configured source: how to reach it and the party owning its tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// The flag it came from.
    pub kind: SourceKind,
    /// Where its bytes come from.
    pub target: Target,
    /// Every track received from it belongs to this party.
    pub party: PartyName,
    text: String,
}

impl SourceSpec {
    /// Parses `TARGET=PARTY` for `kind` (the one parser of every source flag):
    /// an `ADDR` to listen on, a `HOST:PORT` to connect to, an `http(s)://`
    /// URL or a file path to poll, or a UDP `ADDR[@IFACE]` (a multicast
    /// group is joined on `IFACE`, default any). The party is after the last `=`.
    ///
    /// # Errors
    /// A message naming the flag, the text and what is wrong.
    pub fn parse(kind: SourceKind, s: &str) -> Result<Self, String> {
        let flag = kind.flag();
        let example = kind.example();
        let (target, party) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("--{flag} {s:?}: expected TARGET=PARTY, e.g. {example}"))?;
        let party = PartyName::new(party.trim()).map_err(|e| format!("--{flag} {s:?}: party: {e}"))?;
        let target = target.trim();
        let bad = |what: String| format!("--{flag} {s:?}: {what}; e.g. {example}");
        let target = match kind {
            SourceKind::SbsListen | SourceKind::BeastListen | SourceKind::RawListen => {
                Target::Listen(target.parse().map_err(|e| bad(format!("address: {e}")))?)
            }
            SourceKind::SbsConnect | SourceKind::BeastConnect | SourceKind::RawConnect => {
                let (host, port) =
                    target.rsplit_once(':').ok_or_else(|| bad("expected HOST:PORT".to_owned()))?;
                if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(bad("bad host".to_owned()));
                }
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad(format!("bad port {port:?}")))?;
                Target::Connect(target.to_owned())
            }
            SourceKind::AircraftJson => {
                if target.starts_with("http://") || target.starts_with("https://") {
                    reqwest::Url::parse(target).map_err(|e| bad(format!("URL: {e}")))?;
                    Target::Http(target.to_owned())
                } else if target.is_empty() {
                    return Err(bad("expected a URL or a file path".to_owned()));
                } else {
                    Target::File(PathBuf::from(target))
                }
            }
            SourceKind::AsterixUdp => {
                let (addr, iface) = match target.split_once('@') {
                    Some((a, i)) => {
                        (a, Some(i.parse::<Ipv4Addr>().map_err(|e| bad(format!("interface: {e}")))?))
                    }
                    None => (target, None),
                };
                let addr: SocketAddr = addr.parse().map_err(|e| bad(format!("address: {e}")))?;
                match addr.ip() {
                    IpAddr::V4(group) if group.is_multicast() => Target::Udp {
                        bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port()),
                        multicast: Some((group, iface.unwrap_or(Ipv4Addr::UNSPECIFIED))),
                    },
                    IpAddr::V6(v6) if v6.is_multicast() => {
                        return Err(bad("IPv6 multicast is not supported; use an IPv4 group".to_owned()));
                    }
                    _ if iface.is_some() => {
                        return Err(bad("@IFACE only goes with a multicast group".to_owned()));
                    }
                    _ => Target::Udp { bind: addr, multicast: None },
                }
            }
        };
        Ok(Self { kind, target, party, text: s.trim().to_owned() })
    }

    /// The format of its bytes.
    pub fn format(&self) -> Format {
        self.kind.format()
    }

    /// `flag TARGET=PARTY`, as configured: the metric label of the source.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.flag(), self.text)
    }
}

/// Counts of one decoder since they were last taken (see [`SourceStatus::absorb`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Frames, lines, datagram blocks or `aircraft.json` entries read.
    pub read: u64,
    /// Of which decoded (a well-formed message).
    pub decoded: u64,
    /// Track reports that updated the picture.
    pub updates: u64,
    /// Refused as malformed, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Decoded but no track update came of it, by reason.
    pub no_update: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// Counts one rejection.
    pub fn reject(&mut self, why: &'static str) {
        *self.rejected.entry(why).or_insert(0) += 1;
    }

    /// Counts one message that produced no update.
    pub fn no_update(&mut self, why: &'static str) {
        *self.no_update.entry(why).or_insert(0) += 1;
    }

    fn add(&mut self, o: &Counters) {
        self.read += o.read;
        self.decoded += o.decoded;
        self.updates += o.updates;
        for (k, v) in &o.rejected {
            *self.rejected.entry(k).or_insert(0) += v;
        }
        for (k, v) in &o.no_update {
            *self.no_update.entry(k).or_insert(0) += v;
        }
    }
}

/// What one source has done so far; shared by its tasks and readable by
/// tests and operators ([`crate::LiveService::sources`]).
#[derive(Debug)]
pub struct SourceStatus {
    /// The source.
    pub spec: SourceSpec,
    label: String,
    /// The label, shared by the tracks this source reported last.
    origin: Arc<str>,
    totals: Mutex<Counters>,
    connects: AtomicU64,
    connected: AtomicBool,
    local_addr: Mutex<Option<SocketAddr>>,
    changed: tokio::sync::watch::Sender<u64>,
}

impl SourceStatus {
    /// A source that has done nothing yet.
    pub fn new(spec: SourceSpec) -> Self {
        let label = spec.label();
        Self {
            spec,
            origin: label.as_str().into(),
            label,
            totals: Mutex::new(Counters::default()),
            connects: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            local_addr: Mutex::new(None),
            changed: tokio::sync::watch::channel(0).0,
        }
    }

    /// The source's label (its flag and value), as tracks carry it.
    pub fn origin(&self) -> &Arc<str> {
        &self.origin
    }

    /// Adds a decoder's counts (and resets them), and exports them as metrics:
    /// `deconflict_source_read_total`, `…_decoded_total`, `…_updates_total`,
    /// `…_rejected_total{reason}` and `…_no_update_total{reason}`, each
    /// labelled with `source` (the flag and its value). SBS-1 lines are also
    /// counted in `deconflict_sbs_lines_total{result}` as before.
    pub fn absorb(&self, c: &mut Counters) {
        if *c == Counters::default() {
            return;
        }
        let c = std::mem::take(c);
        let source = self.label.clone();
        metrics::counter!("deconflict_source_read_total", "source" => source.clone()).increment(c.read);
        metrics::counter!("deconflict_source_decoded_total", "source" => source.clone()).increment(c.decoded);
        metrics::counter!("deconflict_source_updates_total", "source" => source.clone()).increment(c.updates);
        for (why, n) in &c.rejected {
            metrics::counter!("deconflict_source_rejected_total", "source" => source.clone(), "reason" => *why)
                .increment(*n);
        }
        for (why, n) in &c.no_update {
            metrics::counter!("deconflict_source_no_update_total", "source" => source.clone(), "reason" => *why)
                .increment(*n);
        }
        if self.spec.format() == Format::Sbs {
            metrics::counter!("deconflict_sbs_lines_total", "result" => "ok").increment(c.decoded);
            for (why, n) in &c.rejected {
                metrics::counter!("deconflict_sbs_lines_total", "result" => *why).increment(*n);
            }
        }
        self.totals.lock().unwrap_or_else(PoisonError::into_inner).add(&c);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Everything counted so far.
    pub fn totals(&self) -> Counters {
        self.totals.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Connections made (client sources) or accepted (listeners).
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::SeqCst)
    }

    /// Whether a client source is connected now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// The bound address of a listener or UDP source.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        *self.local_addr.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes whenever counts or the connection change (tests wait on it).
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub(crate) fn set_local_addr(&self, a: SocketAddr) {
        *self.local_addr.lock().unwrap_or_else(PoisonError::into_inner) = Some(a);
        self.changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn set_connected(&self, up: bool) {
        if up {
            self.connects.fetch_add(1, Ordering::SeqCst);
        }
        self.connected.store(up, Ordering::SeqCst);
        let source = self.label.clone();
        metrics::gauge!("deconflict_source_connected", "source" => source.clone()).set(if up {
            1.0
        } else {
            0.0
        });
        if up {
            metrics::counter!("deconflict_source_connects_total", "source" => source).increment(1);
        }
        self.changed.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_its_targets_and_names_the_problem() {
        let p = |k, s| SourceSpec::parse(k, s);
        let l = p(SourceKind::BeastListen, "0.0.0.0:30005=radar").unwrap();
        assert_eq!(l.target, Target::Listen("0.0.0.0:30005".parse().unwrap()));
        assert_eq!(l.party.as_str(), "radar");
        assert_eq!(l.format(), Format::Beast);
        assert_eq!(l.label(), "beast-listen 0.0.0.0:30005=radar");
        let c = p(SourceKind::SbsConnect, "receiver.local:30003=north").unwrap();
        assert_eq!(c.target, Target::Connect("receiver.local:30003".into()));
        let j = p(SourceKind::AircraftJson, "http://rx/data/aircraft.json?x=1=north").unwrap();
        assert_eq!(j.target, Target::Http("http://rx/data/aircraft.json?x=1".into()));
        assert_eq!(j.party.as_str(), "north");
        let f = p(SourceKind::AircraftJson, "/run/readsb/aircraft.json=north").unwrap();
        assert_eq!(f.target, Target::File("/run/readsb/aircraft.json".into()));
        let u = p(SourceKind::AsterixUdp, "127.0.0.1:8600=sensor").unwrap();
        assert_eq!(u.target, Target::Udp { bind: "127.0.0.1:8600".parse().unwrap(), multicast: None });
        let m = p(SourceKind::AsterixUdp, "239.1.2.3:8600@10.0.0.1=sensor").unwrap();
        assert_eq!(
            m.target,
            Target::Udp {
                bind: "0.0.0.0:8600".parse().unwrap(),
                multicast: Some(("239.1.2.3".parse().unwrap(), "10.0.0.1".parse().unwrap()))
            }
        );

        for (kind, s, needle) in [
            (SourceKind::SbsListen, "0.0.0.0:30003", "--sbs-listen \"0.0.0.0:30003\": expected TARGET=PARTY"),
            (SourceKind::SbsListen, "nowhere=radar", "address"),
            (SourceKind::RawConnect, "host=radar", "HOST:PORT"),
            (SourceKind::RawConnect, "host:0=radar", "bad port"),
            (SourceKind::BeastConnect, "host:30005=", "party"),
            (SourceKind::AircraftJson, "http://[=radar", "URL"),
            (SourceKind::AsterixUdp, "127.0.0.1:8600@1.2.3.4=s", "multicast"),
            (SourceKind::AsterixUdp, "239.1.1.1:1@eth0=s", "interface"),
        ] {
            let e = p(kind, s).unwrap_err();
            assert!(e.contains(needle), "{s}: {e}");
            assert!(e.contains(kind.flag()), "{e}");
        }
    }
}
