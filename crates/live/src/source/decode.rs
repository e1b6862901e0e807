//! Bytes of a source into track reports `(name, state)`: one [`Decoder`]
//! per connection, socket or poll target, incremental over reads, counting
//! what it read, decoded, rejected and what produced no update.
//!
//! Track names are what people read on a scope: the ICAO address as six
//! upper-case hex digits (`~` first for a non-ICAO address in
//! `aircraft.json`), `TN<number>` for an ASTERIX CAT062 track without an
//! address. The owner is the source's party.

use std::time::Duration;

use feeds::Framer as _;
use feeds::adsb::{self, AdsbContent, AdsbError};
use feeds::assembler::{AdsbAssembler, AdsbAssemblerConfig};
use feeds::beast::BeastFramer;
use feeds::raw::RawFramer;
use feeds::{Frame, aircraft_json, asterix};
use tactical::assembler::{AssemblerConfig, SbsAssembler};
use tactical::sbs::{SbsError, SbsField, parse_line};
use tactical::{PartyId, Timestamp, TrackId, TrackState};

use super::{Counters, Format};

/// A track report from a source: the track's name and its state (the
/// state's `id` is the decoder's own; the picture renumbers it).
pub type Report = (String, TrackState);

/// Longest SBS-1 line; longer ones are skipped up to their end (`too_long`).
pub const MAX_LINE: usize = 1024;

/// How long an aircraft's partial data is kept by the assemblers.
const ASSEMBLER_AGE: Duration = Duration::from_secs(20);

/// Incremental decoder of one source's bytes.
#[derive(Debug)]
pub struct Decoder {
    party: PartyId,
    inner: Inner,
    counters: Counters,
    last_expiry: Option<Timestamp>,
}

#[derive(Debug)]
enum Inner {
    Sbs { line: Vec<u8>, discarding: bool, asm: Box<SbsAssembler> },
    ModeS { framer: ModeSFramer, seen: [u64; 3], asm: Box<AdsbAssembler>, frames: Vec<Frame> },
    AircraftJson,
    Asterix,
}

#[derive(Debug)]
enum ModeSFramer {
    Beast(BeastFramer),
    Raw(RawFramer),
}

impl ModeSFramer {
    fn rejections(&self) -> [(&'static str, u64); 3] {
        match self {
            ModeSFramer::Beast(f) => f.stats().rejections(),
            ModeSFramer::Raw(f) => f.stats().rejections(),
        }
    }
}

/// The metric label of a rejected SBS-1 line.
pub fn sbs_reason(e: &SbsError) -> &'static str {
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

/// The ICAO address as six upper-case hex digits.
pub fn icao_name(icao: u32) -> String {
    format!("{:06X}", icao & 0x00FF_FFFF)
}

fn asterix_name(id: TrackId) -> String {
    if id.0 >> 32 == 1 { format!("TN{}", id.0 & 0xFFFF) } else { icao_name(id.0 as u32) }
}

impl Decoder {
    /// A decoder of `format` whose tracks belong to `party`.
    pub fn new(format: Format, party: PartyId) -> Self {
        let inner = match format {
            Format::Sbs => Inner::Sbs {
                line: Vec::with_capacity(256),
                discarding: false,
                asm: Box::new(SbsAssembler::new(AssemblerConfig {
                    party,
                    max_age: ASSEMBLER_AGE,
                    ..AssemblerConfig::default()
                })),
            },
            Format::Beast | Format::Raw => Inner::ModeS {
                framer: if format == Format::Beast {
                    ModeSFramer::Beast(BeastFramer::new())
                } else {
                    ModeSFramer::Raw(RawFramer::new())
                },
                seen: [0; 3],
                asm: Box::new(AdsbAssembler::new(AdsbAssemblerConfig {
                    party,
                    max_age: ASSEMBLER_AGE,
                    ..AdsbAssemblerConfig::default()
                })),
                frames: Vec::new(),
            },
            Format::AircraftJson => Inner::AircraftJson,
            Format::Asterix => Inner::Asterix,
        };
        Self { party, inner, counters: Counters::default(), last_expiry: None }
    }

    /// The counts since they were last taken.
    pub fn counters_mut(&mut self) -> &mut Counters {
        &mut self.counters
    }

    /// A new connection: framing starts over (a partial frame or line of the
    /// old one is dropped); what is known of each aircraft is kept.
    pub fn reset_stream(&mut self) {
        match &mut self.inner {
            Inner::Sbs { line, discarding, .. } => {
                line.clear();
                *discarding = false;
            }
            Inner::ModeS { framer, seen, .. } => {
                *framer = match framer {
                    ModeSFramer::Beast(_) => ModeSFramer::Beast(BeastFramer::new()),
                    ModeSFramer::Raw(_) => ModeSFramer::Raw(RawFramer::new()),
                };
                *seen = [0; 3];
            }
            Inner::AircraftJson | Inner::Asterix => {}
        }
    }

    /// Decodes `bytes` received at `now`: a chunk of a stream (SBS-1, Beast,
    /// raw), one datagram (ASTERIX) or one whole document (`aircraft.json`).
    /// Reports are appended to `out` in the order they were decoded.
    pub fn push(&mut self, bytes: &[u8], now: Timestamp, out: &mut Vec<Report>) {
        let party = self.party;
        let c = &mut self.counters;
        match &mut self.inner {
            Inner::Sbs { line, discarding, asm } => sbs_chunk(bytes, now, line, discarding, asm, c, out),
            Inner::ModeS { framer, seen, asm, frames } => {
                frames.clear();
                match framer {
                    ModeSFramer::Beast(f) => f.push(bytes, |fr| frames.push(fr)),
                    ModeSFramer::Raw(f) => f.push(bytes, |fr| frames.push(fr)),
                }
                for (i, (why, n)) in framer.rejections().into_iter().enumerate() {
                    for _ in seen[i]..n {
                        c.reject(why);
                    }
                    seen[i] = n;
                }
                for fr in frames.iter() {
                    mode_s_frame(fr, now, asm, c, out);
                }
            }
            Inner::AircraftJson => aircraft_json_doc(bytes, party, c, out),
            Inner::Asterix => asterix_datagram(bytes, party, now, c, out),
        }
        self.expire(now);
    }

    /// Forgets aircraft silent for longer than the assemblers keep them (at
    /// most once every 20 s).
    fn expire(&mut self, now: Timestamp) {
        let due = self.last_expiry.is_none_or(|t| now.secs_since(t) > ASSEMBLER_AGE.as_secs_f64());
        if !due {
            return;
        }
        if self.last_expiry.is_some() {
            match &mut self.inner {
                Inner::Sbs { asm, .. } => {
                    asm.expire(now);
                }
                Inner::ModeS { asm, .. } => {
                    asm.expire(now);
                }
                Inner::AircraftJson | Inner::Asterix => {}
            }
        }
        self.last_expiry = Some(now);
    }
}

fn sbs_chunk(
    bytes: &[u8],
    now: Timestamp,
    line: &mut Vec<u8>,
    discarding: &mut bool,
    asm: &mut SbsAssembler,
    c: &mut Counters,
    out: &mut Vec<Report>,
) {
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        let complete = piece.last() == Some(&b'\n');
        if *discarding {
            *discarding = !complete;
            continue;
        }
        line.extend_from_slice(piece);
        if !complete {
            if line.len() >= MAX_LINE {
                c.read += 1;
                c.reject("too_long");
                line.clear();
                *discarding = true;
            }
            continue;
        }
        c.read += 1;
        if line.len() > MAX_LINE {
            c.reject("too_long");
        } else {
            sbs_line(line, now, asm, c, out);
        }
        line.clear();
    }
}

fn sbs_line(line: &[u8], now: Timestamp, asm: &mut SbsAssembler, c: &mut Counters, out: &mut Vec<Report>) {
    match parse_line(line) {
        Ok(msg) => {
            c.decoded += 1;
            match asm.ingest_explained(&msg, now) {
                Ok(state) => out.push((icao_name(msg.icao.0), state)),
                Err(why) => c.no_update(why.label()),
            }
        }
        Err(e) => c.reject(sbs_reason(&e)),
    }
}

fn mode_s_frame(
    fr: &Frame,
    now: Timestamp,
    asm: &mut AdsbAssembler,
    c: &mut Counters,
    out: &mut Vec<Report>,
) {
    c.read += 1;
    let m = match fr {
        Frame::ModeAc { .. } => return c.no_update("mode_ac"),
        Frame::ModeS(m) => m,
    };
    let msg = match adsb::decode(m) {
        Ok(msg) => msg,
        Err(e @ (AdsbError::NotAdsb | AdsbError::Short)) => return c.no_update(e.label()),
        Err(e) => return c.reject(e.label()),
    };
    c.decoded += 1;
    let before = *asm.stats();
    match asm.ingest(&msg, now) {
        Some(state) => out.push((icao_name(msg.icao), state)),
        None => {
            let after = asm.stats();
            let why = match msg.content {
                AdsbContent::Identification { .. } | AdsbContent::Velocity { .. } | AdsbContent::Other(_) => {
                    "not_position"
                }
                _ if after.jumps > before.jumps => "position_jump",
                _ if after.awaiting_fix > before.awaiting_fix => "awaiting_fix",
                _ => "incomplete",
            };
            c.no_update(why);
        }
    }
}

fn aircraft_json_doc(bytes: &[u8], party: PartyId, c: &mut Counters, out: &mut Vec<Report>) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        c.read += 1;
        return c.reject("not_utf8");
    };
    let cfg = aircraft_json::AircraftJsonConfig { party, ..aircraft_json::AircraftJsonConfig::default() };
    match aircraft_json::parse(text, &cfg) {
        Err(e) => {
            c.read += 1;
            c.reject(match e {
                aircraft_json::AircraftJsonError::Json(_) => "not_json",
                aircraft_json::AircraftJsonError::Shape => "not_aircraft_json",
            });
        }
        Ok(doc) => {
            let n = doc.tracks.len() as u64;
            c.read += n;
            c.decoded += n;
            for (why, k) in doc.skipped.reasons() {
                c.read += k;
                for _ in 0..k {
                    match why {
                        "bad_address" | "invalid" => c.reject(why),
                        _ => c.no_update(why),
                    }
                }
            }
            out.extend(doc.tracks.into_iter().map(|(hex, s)| (hex.to_ascii_uppercase(), s)));
        }
    }
}

fn asterix_datagram(bytes: &[u8], party: PartyId, now: Timestamp, c: &mut Counters, out: &mut Vec<Report>) {
    for block in asterix::decode_datagram(bytes) {
        match block {
            Err(e) => {
                c.read += 1;
                c.reject(e.label());
            }
            Ok(records) => {
                for r in records {
                    c.read += 1;
                    c.decoded += 1;
                    match r.to_track_state(party, now) {
                        Some(s) => out.push((asterix_name(s.id), s)),
                        None => c.no_update("incomplete"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sbs_lines_split_anywhere_decode_the_same_and_long_lines_are_skipped() {
        let text = concat!(
            "MSG,3,1,1,4CA2D6,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,37000,,,51.47000,-0.45000,,,0,0,0,0\r\n",
            "junk\n",
            "MSG,4,1,1,4CA2D6,1,2024/05/01,12:00:00.500,2024/05/01,12:00:00.500,,,451,93.5,,,-640,,0,0,0,0\r\n",
        );
        let mut long = vec![b'x'; 3000];
        long.push(b'\n');
        let all = [text.as_bytes(), &long].concat();
        for step in [1, 7, 64, all.len()] {
            let mut d = Decoder::new(Format::Sbs, PartyId(3));
            let mut out = Vec::new();
            for chunk in all.chunks(step) {
                d.push(chunk, Timestamp::from_micros(1_000_000), &mut out);
            }
            assert_eq!(out.len(), 1, "step {step}");
            assert_eq!(out[0].0, "4CA2D6");
            assert_eq!(out[0].1.party, PartyId(3));
            let c = d.counters_mut();
            assert_eq!((c.read, c.decoded), (4, 2), "step {step}: {c:?}");
            assert_eq!(c.rejected.get("not_msg"), Some(&1));
            assert_eq!(c.rejected.get("too_long"), Some(&1));
            assert_eq!(c.no_update.get("no_velocity"), Some(&1), "{c:?}");
        }
    }

    #[test]
    fn names_read_like_a_scope() {
        assert_eq!(icao_name(0x4CA2D6), "4CA2D6");
        assert_eq!(icao_name(0x1), "000001");
        assert_eq!(asterix_name(TrackId((1 << 32) | 77)), "TN77");
        assert_eq!(asterix_name(TrackId(0x393322)), "393322");
    }

    #[test]
    fn garbage_is_counted_never_fatal() {
        for format in [Format::Sbs, Format::Beast, Format::Raw, Format::AircraftJson, Format::Asterix] {
            let mut d = Decoder::new(format, PartyId(0));
            let mut out = Vec::new();
            let junk: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            d.push(&junk, Timestamp::from_micros(0), &mut out);
            d.push(b"\x1a\x1a\x1a*zz;\n{}\n", Timestamp::from_micros(1), &mut out);
            assert!(out.is_empty(), "{format:?}");
            let c = d.counters_mut();
            assert!(!c.rejected.is_empty() || !c.no_update.is_empty(), "{format:?}: {c:?}");
        }
    }
}
