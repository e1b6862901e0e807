//! CSV input and output of the offline CLI (`deconflict tactical scan/gen`).
//!
//! Traffic files have the header `id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm`
//! (latitude/longitude in WGS84 degrees, pressure altitude in feet, ground
//! speed in knots, track in degrees true, vertical rate in ft/min); conflict
//! files have the header `id_a,id_b,tcpa_s,dcpa_nm,tlos_s`.
//!
//! Track ids are text. They are ordered *numerically* when they are decimal
//! integers and bytewise otherwise (integers before other ids); parsed tracks
//! get [`TrackId`]s that follow that order, so `id_a < id_b` in the output
//! holds in both senses.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::detect::Conflict;
use crate::track::{PartyId, Position, TrackError, TrackId, TrackState};
use crate::units::{Altitude, DegreesTrue, FeetPerMinute, Knots, METRES_PER_NM, Timestamp};

/// The exact header of a traffic file.
pub const TRAFFIC_HEADER: &str = "id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm";
/// The header of a conflicts file.
pub const CONFLICTS_HEADER: &str = "id_a,id_b,tcpa_s,dcpa_nm,tlos_s";

/// A parse error, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct CsvError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What is wrong.
    pub kind: CsvErrorKind,
}

/// What is wrong with a line of a traffic file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvErrorKind {
    /// The input is empty.
    #[error("empty input: expected header `{TRAFFIC_HEADER}`")]
    Empty,
    /// The first line is not [`TRAFFIC_HEADER`].
    #[error("bad header: expected `{TRAFFIC_HEADER}`")]
    BadHeader,
    /// Not 7 fields.
    #[error("expected 7 fields, found {0}")]
    FieldCount(usize),
    /// The id is empty.
    #[error("empty id")]
    EmptyId,
    /// A field is not a number.
    #[error("column {0}: not a number")]
    NotANumber(&'static str),
    /// A field is out of range.
    #[error("column {0}: out of range")]
    OutOfRange(&'static str),
    /// The id was already used.
    #[error("duplicate id (first on line {first_line})")]
    DuplicateId {
        /// Where it was first seen.
        first_line: usize,
    },
}

/// A parsed traffic file: `tracks[k].id == TrackId(k)`, ordered by id label;
/// `labels[k]` is the id text of `tracks[k]`, `lines[k]` its line number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traffic {
    /// Id text per track.
    pub labels: Vec<String>,
    /// Line number per track.
    pub lines: Vec<usize>,
    /// The states, all reported at time 0 and owned by `PartyId(0)`.
    pub tracks: Vec<TrackState>,
}

impl Traffic {
    /// The id text of a track of this file.
    pub fn label(&self, id: TrackId) -> &str {
        usize::try_from(id.0).ok().and_then(|k| self.labels.get(k)).map_or("", String::as_str)
    }
}

/// The order of id labels: decimal integers numerically first, then others bytewise.
pub fn compare_labels(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

const COLUMNS: [&str; 7] = ["id", "lat", "lon", "alt_ft", "gs_kt", "trk_deg", "vs_fpm"];

/// Parses a traffic file. Blank lines are skipped; a UTF-8 BOM, `\r\n`
/// line ends and blanks around fields are accepted.
pub fn parse_traffic(text: &str) -> Result<Traffic, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let Some((_, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        return Err(CsvError { line: 1, kind: CsvErrorKind::Empty });
    };
    let header_line = text.lines().position(|l| !l.trim().is_empty()).map_or(1, |p| p + 1);
    if header.trim() != TRAFFIC_HEADER {
        return Err(CsvError { line: header_line, kind: CsvErrorKind::BadHeader });
    }
    let mut rows: Vec<(String, usize, TrackState)> = Vec::new();
    for (line, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let err = |kind| CsvError { line, kind };
        let mut fields = [""; 7];
        let mut count = 0;
        for f in l.split(',') {
            if count < 7 {
                fields[count] = f.trim();
            }
            count += 1;
        }
        if count != 7 {
            return Err(err(CsvErrorKind::FieldCount(count)));
        }
        if fields[0].is_empty() {
            return Err(err(CsvErrorKind::EmptyId));
        }
        let mut num = [0.0f64; 6];
        for (k, v) in num.iter_mut().enumerate() {
            *v = fields[k + 1]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(CsvErrorKind::NotANumber(COLUMNS[k + 1])))?;
        }
        let position = Position::new(num[0], num[1]).map_err(|e| err(out_of_range(e)))?;
        let state = TrackState {
            id: TrackId(0),
            party: PartyId(0),
            time: Timestamp::from_micros(0),
            position,
            altitude: Altitude::pressure_ft(num[2]),
            ground_speed: Knots(num[3]),
            track_angle: DegreesTrue(num[4]),
            vertical_rate: FeetPerMinute(num[5]),
            intent: None,
            callsign: None,
            on_ground: false,
        };
        state.validate().map_err(|e| err(out_of_range(e)))?;
        rows.push((fields[0].to_owned(), line, state));
    }
    rows.sort_by(|a, b| compare_labels(&a.0, &b.0).then(a.1.cmp(&b.1)));
    let mut out = Traffic::default();
    for (k, (label, line, mut state)) in rows.into_iter().enumerate() {
        if out.labels.last() == Some(&label) {
            let first_line = out.lines.last().copied().unwrap_or(line);
            return Err(CsvError { line, kind: CsvErrorKind::DuplicateId { first_line } });
        }
        state.id = TrackId(k as u64);
        out.labels.push(label);
        out.lines.push(line);
        out.tracks.push(state);
    }
    Ok(out)
}

fn out_of_range(e: TrackError) -> CsvErrorKind {
    CsvErrorKind::OutOfRange(e.field())
}

/// Writes states as a traffic file; each id label is the track id number.
pub fn format_traffic(tracks: &[TrackState]) -> String {
    table(TRAFFIC_HEADER, tracks, |s, t| {
        writeln!(
            s,
            "{},{:.6},{:.6},{:.0},{:.1},{:.1},{:.0}",
            t.id.0,
            t.position.lat_deg(),
            t.position.lon_deg(),
            t.altitude.feet,
            t.ground_speed.0,
            t.track_angle.0,
            t.vertical_rate.0
        )
    })
}

/// `header` and a newline, then what `line` writes for each row (each ends
/// its line); about 48 bytes a line are reserved.
fn table<T>(header: &str, rows: &[T], line: impl Fn(&mut String, &T) -> std::fmt::Result) -> String {
    let mut s = String::with_capacity(48 * (rows.len() + 1));
    s.push_str(header);
    s.push('\n');
    for row in rows {
        // Writing to a String cannot fail.
        let _ = line(&mut s, row);
    }
    s
}

/// `x` with `decimals` decimals, never printing a negative zero.
fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') { s[1..].to_owned() } else { s }
}

/// Writes conflicts as CSV: header, then one line per pair sorted by
/// `(a, b)`, `label` naming each track (it must preserve id order, as
/// [`Traffic::label`] does). Seconds with one decimal, NM with three;
/// `tlos_s` may be `-inf` for a pair that has never been separated.
pub fn format_conflicts<'a, I, F, L>(conflicts: I, label: F) -> String
where
    I: IntoIterator<Item = &'a Conflict>,
    F: Fn(TrackId) -> L,
    L: std::fmt::Display,
{
    let mut v: Vec<&Conflict> = conflicts.into_iter().collect();
    v.sort_by_key(|c| (c.a, c.b));
    table(CONFLICTS_HEADER, &v, |s, c| {
        writeln!(
            s,
            "{},{},{},{},{}",
            label(c.a),
            label(c.b),
            fixed(c.t_cpa_s, 1),
            fixed(c.d_cpa_m / METRES_PER_NM, 3),
            fixed(c.t_in_s, 1)
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_labels() {
        let t = parse_traffic(
            "\u{feff}id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\r\n10,50,5,33000,450,90,0\r\n\n9,50.1,5,33000,450,270,-500\r\nB, 50, 6 ,1,0,0,0\r\n",
        )
        .unwrap();
        assert_eq!(t.labels, vec!["9", "10", "B"]);
        assert_eq!(t.lines, vec![4, 2, 5]);
        assert_eq!(t.tracks[1].id, TrackId(1));
        assert_eq!(t.label(TrackId(2)), "B");
        assert_eq!(t.tracks[0].vertical_rate, FeetPerMinute(-500.0));
    }

    #[test]
    fn line_numbered_errors() {
        let e = |s: &str| parse_traffic(s).unwrap_err();
        assert_eq!(e("").kind, CsvErrorKind::Empty);
        assert_eq!(e("id,lat\n"), CsvError { line: 1, kind: CsvErrorKind::BadHeader });
        let h = "id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n";
        assert_eq!(e(&format!("{h}a,1,2,3,4,5\n")), CsvError { line: 2, kind: CsvErrorKind::FieldCount(6) });
        assert_eq!(e(&format!("{h}a,1,2,3,4,5,6,7\n")).kind, CsvErrorKind::FieldCount(8));
        assert_eq!(e(&format!("{h},1,2,3,4,5,6\n")).kind, CsvErrorKind::EmptyId);
        assert_eq!(e(&format!("{h}a,1,x,3,4,5,6\n")).kind, CsvErrorKind::NotANumber("lon"));
        assert_eq!(e(&format!("{h}a,1,2,NaN,4,5,6\n")).kind, CsvErrorKind::NotANumber("alt_ft"));
        assert_eq!(e(&format!("{h}a,91,2,3,4,5,6\n")).kind, CsvErrorKind::OutOfRange("lat"));
        assert_eq!(e(&format!("{h}a,1,2,3,-4,5,6\n")).kind, CsvErrorKind::OutOfRange("gs_kt"));
        let d = e(&format!("{h}a,1,2,3,4,5,6\nb,1,2,3,4,5,6\na,1,2,3,4,5,6\n"));
        assert_eq!(d, CsvError { line: 4, kind: CsvErrorKind::DuplicateId { first_line: 2 } });
        assert_eq!(d.to_string(), "line 4: duplicate id (first on line 2)");
    }

    #[test]
    fn conflict_lines() {
        let c = |a, b, tcpa, d, tin| Conflict {
            a: TrackId(a),
            b: TrackId(b),
            party_a: PartyId(0),
            party_b: PartyId(0),
            t_in_s: tin,
            t_out_s: f64::INFINITY,
            t_cpa_s: tcpa,
            d_cpa_m: d,
        };
        let v = [c(2, 3, 12.34, 1852.0, -0.04), c(1, 2, -30.06, 926.0, f64::NEG_INFINITY)];
        let s = format_conflicts(&v, |id| format!("X{}", id.0));
        assert_eq!(s, "id_a,id_b,tcpa_s,dcpa_nm,tlos_s\nX1,X2,-30.1,0.500,-inf\nX2,X3,12.3,1.000,0.0\n");
    }
}
