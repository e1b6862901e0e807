//! ASTERIX (EUROCONTROL surveillance data exchange) CAT021 (ADS-B target
//! reports, edition 2.x) and CAT062 (SDPS system tracks, edition 1.x): the
//! items a track needs, every other item skipped by its declared length.
//!
//! A datagram holds data blocks (`CAT`, 2-byte `LEN` counting the header,
//! records). A record is a field specification (FSPEC: bytes whose low bit
//! says another follows; each other bit marks one item of the category's
//! user application profile, UAP) and the items in UAP order. Item lengths
//! are fixed, variable (extended while the low bit of the last byte is set),
//! repetitive (a count byte, then that many fixed parts), compound (a
//! variable primary subfield marking subfields, each with its own length)
//! or explicit (the first byte is the length). The `asterix` crate (0.4)
//! was not used: it covers CAT034 and CAT048 only.
//!
//! Decoded: CAT021 I021/010 data source, /040 ground bit, /073 (else /071,
//! /077) time of day, /080 target address, /130 and /131 WGS-84 position,
//! /140 geometric height, /145 flight level, /155 and /157 vertical rates,
//! /160 ground vector, /170 identification. CAT062 I062/010 data source,
//! /040 track number, /070 time of day, /105 WGS-84 position, /130
//! geometric altitude, /135 barometric altitude, /136 measured flight
//! level, /185 Cartesian velocity, /220 rate of climb, /245 identification,
//! /380 subfield ADR target address.
//!
//! Nothing panics, whatever the bytes: a block that does not parse is
//! refused whole with an [`AsterixError`].

use std::f64::consts::PI;

use tactical::{
    Altitude, Callsign, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Timestamp, TrackId, TrackState,
};

/// How long an item is.
#[derive(Debug, Clone, Copy)]
enum Len {
    /// Never sent (a spare FRN).
    Spare,
    /// This many bytes.
    Fixed(usize),
    /// Parts of this many bytes while the last one's low bit is set.
    Variable(usize),
    /// A count byte, then that many parts of this many bytes.
    Repetitive(usize),
    /// A primary subfield, then the subfields it marks.
    Compound(&'static [Len]),
    /// The first byte is the whole length.
    Explicit,
}

use Len::{Compound, Explicit, Fixed, Repetitive, Spare, Variable};

/// CAT021 edition 2.x UAP, by FRN (index 0 = FRN 1).
const CAT021: [(u16, Len); 49] = [
    (10, Fixed(2)),
    (40, Variable(1)),
    (161, Fixed(2)),
    (15, Fixed(1)),
    (71, Fixed(3)),
    (130, Fixed(6)),
    (131, Fixed(8)),
    (72, Fixed(3)),
    (150, Fixed(2)),
    (151, Fixed(2)),
    (80, Fixed(3)),
    (73, Fixed(3)),
    (74, Fixed(4)),
    (75, Fixed(3)),
    (76, Fixed(4)),
    (140, Fixed(2)),
    (90, Variable(1)),
    (210, Fixed(1)),
    (70, Fixed(2)),
    (230, Fixed(2)),
    (145, Fixed(2)),
    (152, Fixed(2)),
    (200, Fixed(1)),
    (155, Fixed(2)),
    (157, Fixed(2)),
    (160, Fixed(4)),
    (165, Fixed(2)),
    (77, Fixed(3)),
    (170, Fixed(6)),
    (20, Fixed(1)),
    (220, Compound(&[Fixed(2), Fixed(2), Fixed(2), Fixed(1)])),
    (146, Fixed(2)),
    (148, Fixed(2)),
    (110, Compound(&[Variable(1), Repetitive(15)])),
    (16, Fixed(1)),
    (8, Fixed(1)),
    (271, Variable(1)),
    (132, Fixed(1)),
    (250, Repetitive(8)),
    (260, Fixed(7)),
    (400, Fixed(1)),
    (295, Compound(&[Fixed(1); 28])),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Explicit), // RE
    (0, Explicit), // SP
];

/// I062/380 aircraft-derived data subfields.
const I062_380: [Len; 28] = [
    Fixed(3),
    Fixed(6),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Variable(1),
    Repetitive(15),
    Fixed(2),
    Fixed(2),
    Fixed(7),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(2),
    Fixed(1),
    Fixed(8),
    Fixed(1),
    Fixed(6),
    Fixed(2),
    Fixed(1),
    Repetitive(8),
    Fixed(2),
    Fixed(2),
    Fixed(2),
];

/// CAT062 edition 1.x UAP, by FRN.
const CAT062: [(u16, Len); 35] = [
    (10, Fixed(2)),
    (0, Spare),
    (15, Fixed(1)),
    (70, Fixed(3)),
    (105, Fixed(8)),
    (100, Fixed(6)),
    (185, Fixed(4)),
    (210, Fixed(2)),
    (60, Fixed(2)),
    (245, Fixed(7)),
    (380, Compound(&I062_380)),
    (40, Fixed(2)),
    (80, Variable(1)),
    (
        290,
        Compound(&[
            Fixed(1),
            Fixed(1),
            Fixed(1),
            Fixed(1),
            Fixed(2),
            Fixed(1),
            Fixed(1),
            Fixed(1),
            Fixed(1),
            Fixed(1),
        ]),
    ),
    (200, Fixed(1)),
    (295, Compound(&[Fixed(1); 31])),
    (136, Fixed(2)),
    (130, Fixed(2)),
    (135, Fixed(2)),
    (220, Fixed(2)),
    (
        390,
        Compound(&[
            Fixed(2),
            Fixed(7),
            Fixed(4),
            Fixed(1),
            Fixed(4),
            Fixed(1),
            Fixed(4),
            Fixed(4),
            Fixed(3),
            Fixed(2),
            Fixed(2),
            Repetitive(4),
            Fixed(6),
            Fixed(1),
            Fixed(7),
            Fixed(7),
            Fixed(3),
            Fixed(7),
        ]),
    ),
    (270, Variable(1)),
    (300, Fixed(1)),
    (110, Compound(&[Fixed(1), Fixed(4), Fixed(6), Fixed(2), Fixed(2), Fixed(1), Fixed(1)])),
    (120, Fixed(2)),
    (510, Variable(3)),
    (500, Compound(&[Fixed(4), Fixed(2), Fixed(4), Fixed(1), Fixed(1), Fixed(2), Fixed(2), Fixed(1)])),
    (340, Compound(&[Fixed(2), Fixed(4), Fixed(2), Fixed(2), Fixed(2), Fixed(1)])),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Spare),
    (0, Explicit), // RE
    (0, Explicit), // SP
];

/// Why a data block was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum AsterixError {
    /// Fewer than 3 bytes, or `LEN` below 3 or beyond the datagram.
    #[error("bad block length")]
    BlockLength,
    /// A category other than 21 and 62.
    #[error("unsupported category {0}")]
    Category(u8),
    /// A record or item runs past the end of its block.
    #[error("truncated record")]
    Truncated,
    /// The FSPEC marks an FRN the UAP does not define.
    #[error("undefined item")]
    UndefinedItem,
}

impl AsterixError {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            AsterixError::BlockLength => "block_length",
            AsterixError::Category(_) => "category",
            AsterixError::Truncated => "truncated",
            AsterixError::UndefinedItem => "undefined_item",
        }
    }
}

/// The track-relevant content of one record.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AsterixReport {
    /// 21 or 62.
    pub category: u8,
    /// System area and identification codes of the source.
    pub source: Option<(u8, u8)>,
    /// Seconds since midnight UTC.
    pub time_of_day_s: Option<f64>,
    /// The 24-bit target address.
    pub target_address: Option<u32>,
    /// CAT062 track number.
    pub track_number: Option<u16>,
    /// The identification (callsign).
    pub callsign: Option<Callsign>,
    /// WGS-84 latitude and longitude, degrees.
    pub position: Option<(f64, f64)>,
    /// Barometric altitude (flight level × 100), feet.
    pub flight_level_ft: Option<f64>,
    /// Geometric altitude or height, feet.
    pub geometric_ft: Option<f64>,
    /// Ground speed (knots) and track angle (degrees true).
    pub ground_vector: Option<(f64, f64)>,
    /// Vertical rate, feet per minute (barometric preferred).
    pub vertical_rate_fpm: Option<f64>,
    /// CAT021 target report descriptor: ground bit set.
    pub on_ground: bool,
}

impl AsterixReport {
    /// The track state of this report, for `party`. The time of day is
    /// placed on the UTC day that puts it nearest `now` (reports around
    /// midnight land on the right day). Barometric altitude preferred.
    /// Track ids: the target address when sent, else `1 << 32 | track number`.
    /// `None` without time, position, altitude or ground vector.
    pub fn to_track_state(&self, party: PartyId, now: Timestamp) -> Option<TrackState> {
        let tod = self.time_of_day_s?;
        const DAY_US: i64 = 86_400_000_000;
        let now_us = now.as_micros();
        let midnight = now_us.div_euclid(DAY_US) * DAY_US;
        let mut t = midnight + (tod * 1e6) as i64;
        if t - now_us > DAY_US / 2 {
            t -= DAY_US;
        } else if now_us - t > DAY_US / 2 {
            t += DAY_US;
        }
        let (lat, lon) = self.position?;
        let altitude = match (self.flight_level_ft, self.geometric_ft) {
            (Some(ft), _) => Altitude::pressure_ft(ft),
            (None, Some(ft)) => Altitude::geometric_ft(ft),
            (None, None) => return None,
        };
        let (gs, trk) = self.ground_vector?;
        let id = match (self.target_address, self.track_number) {
            (Some(a), _) => TrackId(u64::from(a)),
            (None, Some(n)) => TrackId((1 << 32) | u64::from(n)),
            (None, None) => return None,
        };
        let s = TrackState {
            id,
            party,
            time: Timestamp::from_micros(t),
            position: Position::new(lat, lon).ok()?,
            altitude,
            ground_speed: Knots(gs),
            track_angle: DegreesTrue(trk.rem_euclid(360.0)),
            vertical_rate: FeetPerMinute(self.vertical_rate_fpm.unwrap_or(0.0)),
            intent: None,
            callsign: self.callsign,
            on_ground: self.on_ground,
        };
        s.validate().ok().map(|()| s)
    }
}

/// Counts of blocks and records decoded and refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsterixStats {
    /// Records decoded.
    pub records: u64,
    /// Blocks refused, by reason (see [`AsterixError::label`]).
    pub block_length: u64,
    /// Blocks of another category.
    pub category: u64,
    /// Blocks with a truncated record.
    pub truncated: u64,
    /// Blocks with an undefined item.
    pub undefined_item: u64,
}

impl AsterixStats {
    /// Counts one block's outcome.
    pub fn record(&mut self, r: &Result<Vec<AsterixReport>, AsterixError>) {
        match r {
            Ok(v) => self.records += v.len() as u64,
            Err(AsterixError::BlockLength) => self.block_length += 1,
            Err(AsterixError::Category(_)) => self.category += 1,
            Err(AsterixError::Truncated) => self.truncated += 1,
            Err(AsterixError::UndefinedItem) => self.undefined_item += 1,
        }
    }
}

/// Decodes every data block of a datagram; each block's result in order
/// (a bad block does not hide the others, unless its length is bad: then
/// nothing after it can be found and decoding stops there).
pub fn decode_datagram(bytes: &[u8]) -> Vec<Result<Vec<AsterixReport>, AsterixError>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = if rest.len() >= 3 { usize::from(u16::from_be_bytes([rest[1], rest[2]])) } else { 0 };
        if len < 3 || len > rest.len() {
            out.push(Err(AsterixError::BlockLength));
            break;
        }
        out.push(decode_block(&rest[..len]));
        rest = &rest[len..];
    }
    out
}

/// Decodes one data block (`CAT`, `LEN`, records).
///
/// # Errors
/// The first problem found ([`AsterixError`]); no record of a bad block is
/// returned.
pub fn decode_block(block: &[u8]) -> Result<Vec<AsterixReport>, AsterixError> {
    if block.len() < 3 || usize::from(u16::from_be_bytes([block[1], block[2]])) != block.len() {
        return Err(AsterixError::BlockLength);
    }
    let cat = block[0];
    let uap: &[(u16, Len)] = match cat {
        21 => &CAT021,
        62 => &CAT062,
        c => return Err(AsterixError::Category(c)),
    };
    let mut out = Vec::new();
    let mut at = 3;
    while at < block.len() {
        let (report, used) = record(cat, uap, &block[at..])?;
        out.push(report);
        at += used;
    }
    Ok(out)
}

/// Length of a variable field of `part`-byte parts at the start of `b`.
fn variable_len(b: &[u8], part: usize) -> Result<usize, AsterixError> {
    let mut n = 0;
    loop {
        n += part;
        let last = *b.get(n - 1).ok_or(AsterixError::Truncated)?;
        if last & 1 == 0 {
            return Ok(n);
        }
    }
}

/// Length of an item of spec `len` at the start of `b`.
fn item_len(len: Len, b: &[u8]) -> Result<usize, AsterixError> {
    let n = match len {
        Spare => return Err(AsterixError::UndefinedItem),
        Fixed(n) => n,
        Variable(p) => variable_len(b, p)?,
        Repetitive(p) => 1 + usize::from(*b.first().ok_or(AsterixError::Truncated)?) * p,
        Explicit => {
            let n = usize::from(*b.first().ok_or(AsterixError::Truncated)?);
            if n == 0 {
                return Err(AsterixError::Truncated);
            }
            n
        }
        Compound(subs) => {
            let primary = variable_len(b, 1)?;
            let mut n = primary;
            for (k, &byte) in b[..primary].iter().enumerate() {
                for bit in 0..7 {
                    if byte & (0x80 >> bit) != 0 {
                        let sub = *subs.get(7 * k + bit).ok_or(AsterixError::UndefinedItem)?;
                        n += item_len(sub, b.get(n..).ok_or(AsterixError::Truncated)?)?;
                    }
                }
            }
            n
        }
    };
    if n > b.len() { Err(AsterixError::Truncated) } else { Ok(n) }
}

/// One record: its report and its length.
fn record(cat: u8, uap: &[(u16, Len)], b: &[u8]) -> Result<(AsterixReport, usize), AsterixError> {
    let fspec = variable_len(b, 1)?;
    let mut at = fspec;
    let mut r = AsterixReport { category: cat, ..AsterixReport::default() };
    let mut times = [None; 3]; // CAT021: 073, 071, 077
    for (k, &byte) in b[..fspec].iter().enumerate() {
        for bit in 0..7 {
            if byte & (0x80 >> bit) == 0 {
                continue;
            }
            let &(item, len) = uap.get(7 * k + bit).ok_or(AsterixError::UndefinedItem)?;
            let rest = b.get(at..).ok_or(AsterixError::Truncated)?;
            let n = item_len(len, rest)?;
            let v = &rest[..n];
            if cat == 21 {
                cat021_item(item, v, &mut r, &mut times);
            } else {
                cat062_item(item, v, &mut r);
            }
            at += n;
        }
    }
    if cat == 21 {
        r.time_of_day_s = times.iter().find_map(|t| *t);
    }
    Ok((r, at))
}

fn be(v: &[u8]) -> u32 {
    v.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
}

/// Sign-extends the low `bits` bits of `x`.
fn signed(x: u32, bits: u32) -> i32 {
    let shift = 32 - bits;
    ((x << shift) as i32) >> shift
}

/// Eight 6-bit IA-5 characters from 6 bytes.
fn ident(v: &[u8]) -> Option<Callsign> {
    let bits = v.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let mut s = [0u8; 8];
    for (i, c) in s.iter_mut().enumerate() {
        let code = ((bits >> (42 - 6 * i)) & 0x3F) as u8;
        *c = match code {
            1..=26 => b'A' + code - 1,
            32 => b' ',
            48..=57 => code,
            _ => return None,
        };
    }
    Callsign::new(std::str::from_utf8(&s).ok()?)
}

fn cat021_item(item: u16, v: &[u8], r: &mut AsterixReport, times: &mut [Option<f64>; 3]) {
    match item {
        10 => r.source = Some((v[0], v[1])),
        40 => r.on_ground = v.len() >= 2 && v[1] & 0x40 != 0,
        73 => times[0] = Some(f64::from(be(v)) / 128.0),
        71 => times[1] = Some(f64::from(be(v)) / 128.0),
        77 => times[2] = Some(f64::from(be(v)) / 128.0),
        80 => r.target_address = Some(be(v)),
        // Keep the high-resolution position when it came first.
        130 if r.position.is_none() => {
            let k = 180.0 / f64::from(1u32 << 23);
            r.position =
                Some((f64::from(signed(be(&v[..3]), 24)) * k, f64::from(signed(be(&v[3..]), 24)) * k));
        }
        131 => {
            let k = 180.0 / f64::from(1u32 << 30);
            r.position = Some((f64::from(be(&v[..4]) as i32) * k, f64::from(be(&v[4..]) as i32) * k));
        }
        140 => r.geometric_ft = Some(f64::from(signed(be(v), 16)) * 6.25),
        145 => r.flight_level_ft = Some(f64::from(signed(be(v), 16)) * 25.0),
        // Bit 16 set: range exceeded, the value means nothing.
        155 if v[0] & 0x80 == 0 => r.vertical_rate_fpm = Some(f64::from(signed(be(v), 15)) * 6.25),
        157 if v[0] & 0x80 == 0 && r.vertical_rate_fpm.is_none() => {
            r.vertical_rate_fpm = Some(f64::from(signed(be(v), 15)) * 6.25)
        }
        160 if v[0] & 0x80 == 0 => {
            let gs = f64::from(be(&v[..2]) & 0x7FFF) / f64::from(1u32 << 14) * 3600.0;
            let trk = f64::from(be(&v[2..])) * 360.0 / 65_536.0;
            r.ground_vector = Some((gs, trk));
        }
        170 => r.callsign = ident(v),
        _ => {}
    }
}

fn cat062_item(item: u16, v: &[u8], r: &mut AsterixReport) {
    match item {
        10 => r.source = Some((v[0], v[1])),
        40 => r.track_number = Some(be(v) as u16),
        70 => r.time_of_day_s = Some(f64::from(be(v)) / 128.0),
        105 => {
            let k = 180.0 / f64::from(1u32 << 25);
            r.position = Some((f64::from(be(&v[..4]) as i32) * k, f64::from(be(&v[4..]) as i32) * k));
        }
        130 => r.geometric_ft = Some(f64::from(signed(be(v), 16)) * 6.25),
        135 => r.flight_level_ft = Some(f64::from(signed(be(v), 15)) * 25.0),
        136 if r.flight_level_ft.is_none() => r.flight_level_ft = Some(f64::from(signed(be(v), 16)) * 25.0),
        185 => {
            let vx = f64::from(signed(be(&v[..2]), 16)) * 0.25;
            let vy = f64::from(signed(be(&v[2..]), 16)) * 0.25;
            let gs = vx.hypot(vy) * 3600.0 / 1852.0;
            let trk = (vx.atan2(vy) * 180.0 / PI).rem_euclid(360.0);
            r.ground_vector = Some((gs, trk));
        }
        220 => r.vertical_rate_fpm = Some(f64::from(signed(be(v), 16)) * 6.25),
        245 => r.callsign = ident(&v[1..]),
        380 => {
            // Subfield 1 (ADR) comes first when present.
            let primary = variable_len(v, 1).unwrap_or(v.len());
            if v[0] & 0x80 != 0 && v.len() >= primary + 3 {
                r.target_address = Some(be(&v[primary..primary + 3]));
            }
        }
        _ => {}
    }
}
