//! SBS-1 (BaseStation / dump1090 port 30003) CSV line parser.
//!
//! A line has 22 fields:
//!
//! ```text
//! MSG,<type>,<session>,<aircraft>,<hex>,<flight>,<date gen>,<time gen>,
//! <date log>,<time log>,<callsign>,<altitude>,<ground speed>,<track>,<lat>,
//! <lon>,<vertical rate>,<squawk>,<alert>,<emergency>,<spi>,<on ground>
//! ```
//!
//! Transmission types 1–8 carry different subsets
//! (1 callsign; 2 surface position; 3 airborne position; 4 velocity;
//! 5 surveillance altitude; 6 surveillance id/squawk; 7 air-to-air; 8
//! all-call). Empty fields are `None`.
//!
//! [`parse_line`] does not allocate: fields are split into a fixed array of
//! sub-slices of the input and numbers parsed in place. Malformed lines are
//! rejected with an [`SbsError`] (count them with [`SbsStats`]); it never
//! panics, whatever the bytes.

use std::collections::BTreeMap;

/// A 24-bit ICAO aircraft address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Icao(pub u32);

/// Which field of a line was bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SbsField {
    /// Field 2.
    TransmissionType,
    /// Field 5.
    HexIdent,
    /// Field 11.
    Callsign,
    /// Field 12, feet.
    Altitude,
    /// Field 13, knots.
    GroundSpeed,
    /// Field 14, degrees true.
    Track,
    /// Field 15, degrees.
    Latitude,
    /// Field 16, degrees.
    Longitude,
    /// Field 17, feet per minute.
    VerticalRate,
    /// Field 18, four octal digits.
    Squawk,
    /// Fields 19–22, `0`/`-1`/`1`.
    Flag,
    /// Fields 7–10, date and time text.
    DateTime,
}

/// Why a line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum SbsError {
    /// Nothing but a line end.
    #[error("empty line")]
    Empty,
    /// A record other than `MSG` (`SEL`, `ID`, `AIR`, `STA`, `CLK`) or garbage.
    #[error("not a MSG record")]
    NotMsg,
    /// Not exactly 22 comma-separated fields.
    #[error("wrong number of fields")]
    FieldCount,
    /// A field does not parse or is out of range.
    #[error("bad field {0:?}")]
    BadField(SbsField),
    /// Latitude without longitude or the reverse.
    #[error("half a position")]
    HalfPosition,
}

/// One parsed `MSG` line, borrowing text fields from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbsMessage<'a> {
    /// Transmission type, 1–8.
    pub transmission_type: u8,
    /// The aircraft address.
    pub icao: Icao,
    /// Date the message was generated (`yyyy/mm/dd`), as sent.
    pub date_generated: &'a str,
    /// Time the message was generated (`hh:mm:ss.sss`), as sent.
    pub time_generated: &'a str,
    /// Flight identification.
    pub callsign: Option<&'a str>,
    /// Barometric (pressure) altitude, feet.
    pub altitude_ft: Option<f64>,
    /// Ground speed, knots.
    pub ground_speed_kt: Option<f64>,
    /// Track over the ground, degrees true.
    pub track_deg: Option<f64>,
    /// WGS84 latitude and longitude, degrees.
    pub lat_lon: Option<(f64, f64)>,
    /// Vertical rate, feet per minute.
    pub vertical_rate_fpm: Option<f64>,
    /// Mode A code as its four octal digits read in decimal (7700 = 7700).
    pub squawk: Option<u16>,
    /// Squawk-change alert flag.
    pub alert: Option<bool>,
    /// Emergency flag.
    pub emergency: Option<bool>,
    /// Ident (SPI) flag.
    pub spi: Option<bool>,
    /// On-ground flag.
    pub on_ground: Option<bool>,
}

const FIELDS: usize = 22;

fn text(f: &[u8], which: SbsField) -> Result<&str, SbsError> {
    std::str::from_utf8(f).map_err(|_| SbsError::BadField(which))
}

fn number(f: &[u8], which: SbsField, min: f64, max: f64) -> Result<Option<f64>, SbsError> {
    let f = f.trim_ascii();
    if f.is_empty() {
        return Ok(None);
    }
    let v: f64 = text(f, which)?.parse().map_err(|_| SbsError::BadField(which))?;
    if (min..=max).contains(&v) { Ok(Some(v)) } else { Err(SbsError::BadField(which)) }
}

fn flag(f: &[u8]) -> Result<Option<bool>, SbsError> {
    match f.trim_ascii() {
        b"" => Ok(None),
        b"0" => Ok(Some(false)),
        b"-1" | b"1" => Ok(Some(true)),
        _ => Err(SbsError::BadField(SbsField::Flag)),
    }
}

/// Parses one line (with or without its `\n` / `\r\n`). Never allocates.
pub fn parse_line(line: &[u8]) -> Result<SbsMessage<'_>, SbsError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(SbsError::Empty);
    }
    let mut f: [&[u8]; FIELDS] = [&[]; FIELDS];
    let mut count = 0;
    for part in line.split(|&b| b == b',') {
        if count == FIELDS {
            return Err(if f[0] == b"MSG" { SbsError::FieldCount } else { SbsError::NotMsg });
        }
        f[count] = part;
        count += 1;
    }
    if f[0] != b"MSG" {
        return Err(SbsError::NotMsg);
    }
    if count != FIELDS {
        return Err(SbsError::FieldCount);
    }
    let transmission_type = match f[1] {
        [d @ b'1'..=b'8'] => d - b'0',
        _ => return Err(SbsError::BadField(SbsField::TransmissionType)),
    };
    let hex = f[4].trim_ascii();
    if hex.is_empty() || hex.len() > 6 {
        return Err(SbsError::BadField(SbsField::HexIdent));
    }
    let icao = u32::from_str_radix(text(hex, SbsField::HexIdent)?, 16)
        .map_err(|_| SbsError::BadField(SbsField::HexIdent))?;
    let callsign = match text(f[10], SbsField::Callsign)?.trim() {
        "" => None,
        c => Some(c),
    };
    let lat = number(f[14], SbsField::Latitude, -90.0, 90.0)?;
    let lon = number(f[15], SbsField::Longitude, -180.0, 180.0)?;
    let lat_lon = match (lat, lon) {
        (Some(a), Some(o)) => Some((a, o)),
        (None, None) => None,
        _ => return Err(SbsError::HalfPosition),
    };
    let squawk = match f[17].trim_ascii() {
        b"" => None,
        s if s.len() <= 4 && s.iter().all(|b| (b'0'..=b'7').contains(b)) => {
            Some(s.iter().fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0')))
        }
        _ => return Err(SbsError::BadField(SbsField::Squawk)),
    };
    Ok(SbsMessage {
        transmission_type,
        icao: Icao(icao),
        date_generated: text(f[6], SbsField::DateTime)?,
        time_generated: text(f[7], SbsField::DateTime)?,
        callsign,
        altitude_ft: number(f[11], SbsField::Altitude, -5_000.0, 200_000.0)?,
        ground_speed_kt: number(f[12], SbsField::GroundSpeed, 0.0, 10_000.0)?,
        track_deg: number(f[13], SbsField::Track, -360.0, 360.0)?,
        lat_lon,
        vertical_rate_fpm: number(f[16], SbsField::VerticalRate, -100_000.0, 100_000.0)?,
        squawk,
        alert: flag(f[18])?,
        emergency: flag(f[19])?,
        spi: flag(f[20])?,
        on_ground: flag(f[21])?,
    })
}

/// Counts of parsed and rejected lines, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbsStats {
    /// Lines parsed.
    pub parsed: u64,
    /// Lines rejected, per reason.
    pub rejected: BTreeMap<SbsError, u64>,
}

impl SbsStats {
    /// Counts one parse result.
    pub fn record<T>(&mut self, r: &Result<T, SbsError>) {
        match r {
            Ok(_) => self.parsed += 1,
            Err(e) => *self.rejected.entry(*e).or_insert(0) += 1,
        }
    }

    /// Total rejected lines.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const POS: &[u8] = b"MSG,3,1,1,4CA2D6,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,37000,,,51.47000,-0.45000,,,0,0,0,0\r\n";
    const VEL: &[u8] =
        b"MSG,4,1,1,4CA2D6,1,2024/05/01,12:00:00.500,2024/05/01,12:00:00.500,,,451,93.5,,,-640,,0,0,0,0";
    const IDENT: &[u8] =
        b"MSG,1,1,1,4CA2D6,1,2024/05/01,12:00:01.000,2024/05/01,12:00:01.000,RYR123  ,,,,,,,,0,0,0,0";
    const SQK: &[u8] =
        b"MSG,6,1,1,4ca2d6,1,2024/05/01,12:00:01.000,2024/05/01,12:00:01.000,,36975,,,,,,7700,-1,-1,0,0";

    #[test]
    fn parses_each_kind() {
        let p = parse_line(POS).unwrap();
        assert_eq!((p.transmission_type, p.icao), (3, Icao(0x4CA2D6)));
        assert_eq!(p.altitude_ft, Some(37000.0));
        assert_eq!(p.lat_lon, Some((51.47, -0.45)));
        assert_eq!(p.on_ground, Some(false));
        assert_eq!(p.time_generated, "12:00:00.000");
        let v = parse_line(VEL).unwrap();
        assert_eq!(
            (v.ground_speed_kt, v.track_deg, v.vertical_rate_fpm),
            (Some(451.0), Some(93.5), Some(-640.0))
        );
        assert_eq!(v.lat_lon, None);
        assert_eq!(parse_line(IDENT).unwrap().callsign, Some("RYR123"));
        let s = parse_line(SQK).unwrap();
        assert_eq!((s.squawk, s.alert, s.emergency), (Some(7700), Some(true), Some(true)));
    }

    #[test]
    fn rejects_with_reasons() {
        let mut stats = SbsStats::default();
        let cases: [(&[u8], SbsError); 9] = [
            (b"", SbsError::Empty),
            (b"\r\n", SbsError::Empty),
            (b"STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM", SbsError::NotMsg),
            (b"MSG,3,1,1", SbsError::FieldCount),
            (b"MSG,3,1,1,4CA2D6,1,,,,,,37000,,,51.4,-0.4,,,0,0,0,0,extra", SbsError::FieldCount),
            (
                b"MSG,9,1,1,4CA2D6,1,,,,,,37000,,,51.4,-0.4,,,0,0,0,0",
                SbsError::BadField(SbsField::TransmissionType),
            ),
            (b"MSG,3,1,1,XYZ,1,,,,,,37000,,,51.4,-0.4,,,0,0,0,0", SbsError::BadField(SbsField::HexIdent)),
            (b"MSG,3,1,1,4CA2D6,1,,,,,,37000,,,95.0,-0.4,,,0,0,0,0", SbsError::BadField(SbsField::Latitude)),
            (b"MSG,3,1,1,4CA2D6,1,,,,,,37000,,,51.4,,,,0,0,0,0", SbsError::HalfPosition),
        ];
        for (line, want) in cases {
            let r = parse_line(line);
            assert_eq!(r, Err(want), "{}", String::from_utf8_lossy(line));
            stats.record(&r);
        }
        stats.record(&parse_line(POS));
        assert_eq!(stats.parsed, 1);
        assert_eq!(stats.rejected_total(), 9);
        assert_eq!(stats.rejected[&SbsError::FieldCount], 2);
        assert_eq!(
            parse_line(b"MSG,3,1,1,4CA2D6,1,,,,,,abc,,,,,,,,,,"),
            Err(SbsError::BadField(SbsField::Altitude))
        );
        assert_eq!(
            parse_line(b"MSG,3,1,1,4CA2D6,1,,,,,,,,,,,,,,,,2"),
            Err(SbsError::BadField(SbsField::Flag))
        );
    }
}
