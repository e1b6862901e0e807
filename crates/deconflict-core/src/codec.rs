//! One compact binary encoding of a list of [`Volume4D`], shared by every
//! backend that stores extents as a blob, so backends cannot drift apart.
//!
//! Layout (little-endian): `u8` format version (1), `u32` volume count, then per
//! volume: `u8` kind (0 polygon, 1 circle), `f64` altitude lower and upper (m
//! WGS84), `i64` time start and end (µs since the Unix epoch), then for a polygon
//! `u32` n and n × (`f64` lat, `f64` lng), for a circle `f64` lat, lng, radius (m).
//! Decoding validates again through the geometry constructors.

use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};

const FORMAT: u8 = 1;
const POLYGON: u8 = 0;
const CIRCLE: u8 = 1;

/// Why a blob could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    /// The blob ended early.
    #[error("volume blob truncated")]
    Truncated,
    /// Unknown format version or kind byte.
    #[error("volume blob has unknown tag {0}")]
    UnknownTag(u8),
    /// Trailing bytes after the last volume.
    #[error("volume blob has {0} trailing bytes")]
    Trailing(usize),
    /// The decoded geometry is not valid.
    #[error("volume blob holds invalid geometry: {0}")]
    Invalid(#[from] geom::GeomError),
}

/// Encodes volumes as described in the module docs.
pub fn encode(volumes: &[Volume4D]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + volumes.len() * 64);
    out.push(FORMAT);
    put_u32(&mut out, volumes.len());
    for v in volumes {
        out.push(match v.footprint() {
            Footprint::Polygon(_) => POLYGON,
            Footprint::Circle(_) => CIRCLE,
        });
        out.extend_from_slice(&v.altitude().lower().to_le_bytes());
        out.extend_from_slice(&v.altitude().upper().to_le_bytes());
        out.extend_from_slice(&v.time().start().as_micros().to_le_bytes());
        out.extend_from_slice(&v.time().end().as_micros().to_le_bytes());
        match v.footprint() {
            Footprint::Polygon(p) => {
                put_u32(&mut out, p.vertices().len());
                for ll in p.vertices() {
                    out.extend_from_slice(&ll.lat().to_le_bytes());
                    out.extend_from_slice(&ll.lng().to_le_bytes());
                }
            }
            Footprint::Circle(c) => {
                out.extend_from_slice(&c.center().lat().to_le_bytes());
                out.extend_from_slice(&c.center().lng().to_le_bytes());
                out.extend_from_slice(&c.radius_m().to_le_bytes());
            }
        }
    }
    out
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(CodecError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> Result<usize, CodecError> {
        Ok(u32::from_le_bytes(self.take()?) as usize)
    }
    fn f64(&mut self) -> Result<f64, CodecError> {
        Ok(f64::from_le_bytes(self.take()?))
    }
    fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(self.take()?))
    }
    fn latlng(&mut self) -> Result<LatLng, CodecError> {
        let lat = self.f64()?;
        let lng = self.f64()?;
        Ok(LatLng::new(lat, lng)?)
    }
}

/// Decodes what [`encode`] wrote.
///
/// # Errors
/// [`CodecError`] when the blob is truncated, has unknown tags or trailing bytes,
/// or holds geometry that is no longer valid.
pub fn decode(blob: &[u8]) -> Result<Vec<Volume4D>, CodecError> {
    let mut r = Reader(blob);
    let format = r.u8()?;
    if format != FORMAT {
        return Err(CodecError::UnknownTag(format));
    }
    let n = r.u32()?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let kind = r.u8()?;
        let altitude = AltitudeRange::new(r.f64()?, r.f64()?)?;
        let start = Time::from_micros(r.i64()?);
        let end = Time::from_micros(r.i64()?);
        let time = TimeWindow::new(start, end)?;
        let footprint = match kind {
            POLYGON => {
                let count = r.u32()?;
                let mut vertices = Vec::with_capacity(count.min(Polygon::MAX_VERTICES));
                for _ in 0..count {
                    vertices.push(r.latlng()?);
                }
                Footprint::Polygon(Polygon::new(vertices)?)
            }
            CIRCLE => {
                let center = r.latlng()?;
                Footprint::Circle(Circle::new(center, r.f64()?)?)
            }
            other => return Err(CodecError::UnknownTag(other)),
        };
        out.push(Volume4D::new(footprint, altitude, time));
    }
    if !r.0.is_empty() {
        return Err(CodecError::Trailing(r.0.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Vec<Volume4D> {
        let poly = Polygon::new(vec![
            LatLng::new(46.0, 7.0).unwrap(),
            LatLng::new(46.0, 7.1).unwrap(),
            LatLng::new(46.1, 7.05).unwrap(),
        ])
        .unwrap();
        let circle = Circle::new(LatLng::new(46.2, 7.2).unwrap(), 250.0).unwrap();
        let t = TimeWindow::new(Time::from_micros(1_000), Time::from_micros(9_000_000)).unwrap();
        vec![
            Volume4D::new(Footprint::Polygon(poly), AltitudeRange::new(0.0, 120.0).unwrap(), t),
            Volume4D::new(Footprint::Circle(circle), AltitudeRange::new(50.0, 60.5).unwrap(), t),
        ]
    }

    #[test]
    fn round_trip() {
        let v = sample();
        assert_eq!(decode(&encode(&v)).unwrap(), v);
    }

    #[test]
    fn truncation_and_trailing_are_errors() {
        let blob = encode(&sample());
        for cut in [0, 1, 5, blob.len() - 1] {
            assert_eq!(decode(&blob[..cut]), Err(CodecError::Truncated), "cut at {cut}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(CodecError::Trailing(1)));
        let mut bad_kind = blob;
        bad_kind[5] = 7;
        assert_eq!(decode(&bad_kind), Err(CodecError::UnknownTag(7)));
    }
}
