//! Property tests: framers and decoders never panic; our ADS-B fields agree
//! with the `adsb_deku` crate's.

use adsb_deku::adsb::ME;
use deku::DekuContainerRead;
use feeds::Framer as _;
use feeds::adsb::{AdsbContent, ReportedAltitude, crc24, decode};
use feeds::beast::BeastFramer;
use feeds::raw::RawFramer;
use feeds::{Frame, ModeSFrame};
use proptest::prelude::*;

/// A DF17 frame with `me` and a correct parity.
fn squitter(icao: u32, me: [u8; 7]) -> ModeSFrame {
    let mut b = [0u8; 14];
    b[0] = 0x8d;
    b[1..4].copy_from_slice(&icao.to_be_bytes()[1..]);
    b[4..11].copy_from_slice(&me);
    let p = crc24(&b[..11]);
    b[11..].copy_from_slice(&p.to_be_bytes()[1..]);
    ModeSFrame::new(&b, None, None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random bytes in random chunks: no panic, and frames only of valid shapes.
    #[test]
    fn framers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), cut in 1usize..64) {
        let mut b = BeastFramer::new();
        let mut r = RawFramer::new();
        for chunk in bytes.chunks(cut) {
            b.push(chunk, |f| if let Frame::ModeS(m) = f { assert!(matches!(m.data().len(), 7 | 14)) });
            r.push(chunk, |f| if let Frame::ModeS(m) = f { assert!(matches!(m.data().len(), 7 | 14)) });
        }
    }

    /// Random frames (most failing their CRC, some forced valid): no panic.
    #[test]
    fn decode_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 14), fix in any::<bool>()) {
        bytes[0] = (bytes[0] & 0x07) | (17 << 3);
        let f = if fix { squitter(0x123456, bytes[4..11].try_into().unwrap()) } else { ModeSFrame::new(&bytes, None, None).unwrap() };
        let _ = decode(&f);
    }

    /// Random bytes, and random blocks with a valid header, never make the
    /// ASTERIX decoder panic.
    #[test]
    fn asterix_never_panics(
        cat in prop::sample::select(vec![21u8, 62, 48]),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        raw in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut block = vec![cat];
        block.extend(((body.len() + 3) as u16).to_be_bytes());
        block.extend(&body);
        let _ = feeds::asterix::decode_block(&block);
        let _ = feeds::asterix::decode_datagram(&block);
        let _ = feeds::asterix::decode_datagram(&raw);
        for r in feeds::asterix::decode_datagram(&block).into_iter().flatten().flatten() {
            let _ = r.to_track_state(tactical::PartyId(0), tactical::Timestamp::from_secs(1_700_000_000));
        }
    }

    /// Arbitrary text never makes the aircraft.json parser panic.
    #[test]
    fn aircraft_json_never_panics(body in "[-a-z0-9~.:,\"{}\\[\\] ]{0,300}") {
        let cfg = feeds::aircraft_json::AircraftJsonConfig::default();
        let _ = feeds::aircraft_json::parse(&body, &cfg);
        let _ = feeds::aircraft_json::parse(&format!("{{\"now\":1,\"aircraft\":[{{{body}}}]}}"), &cfg);
    }

    /// Altitude, velocity and identification agree with adsb_deku.
    #[test]
    fn fields_agree_with_adsb_deku(tc in prop::sample::select(vec![1u8, 2, 3, 4, 9, 11, 15, 18, 19]), rest in any::<[u8; 7]>()) {
        let mut me = rest;
        me[0] = (tc << 3) | (me[0] & 0x07);
        if tc == 19 {
            // Subsonic ground speed (adsb_deku does not scale the supersonic
            // subtype's 4-kt units).
            me[0] = (me[0] & 0xF8) | 1;
        }
        let ours = decode(&squitter(0xABCDEF, me)).unwrap().content;
        let Ok((_, theirs)) = ME::from_bytes((&me, 0)) else { return Ok(()) };
        match (ours, theirs) {
            (AdsbContent::AirbornePosition { altitude, cpr }, ME::AirbornePositionBaroAltitude { altitude: a, .. }) => {
                if let Some(ft) = a.alt {
                    prop_assert_eq!(altitude, Some(ReportedAltitude::Barometric(f64::from(ft))));
                }
                prop_assert_eq!((cpr.lat, cpr.lon, cpr.odd), (a.lat_cpr, a.lon_cpr, a.odd_flag as u8 == 1));
            }
            (AdsbContent::Velocity { ground_speed_kt, track_deg, vertical_rate_fpm, .. }, ME::AirborneVelocity(v)) => {
                if let Some((h, gs, vr)) = v.calculate() {
                    prop_assert!((ground_speed_kt - gs).abs() < 1e-9);
                    let dh = (track_deg - f64::from(h)).abs();
                    prop_assert!(dh < 1e-3 || (dh - 360.0).abs() < 1e-3 || gs == 0.0, "{} vs {}", track_deg, h);
                    prop_assert_eq!(vertical_rate_fpm, Some(f64::from(vr)));
                }
            }
            (AdsbContent::Identification { callsign: Some(c), .. }, ME::AircraftIdentification { identification, .. }) => {
                // adsb_deku reads 7 of the 8 characters and drops spaces
                // (before or after counting, depending on where they are):
                // its text is ours without spaces, cut somewhere.
                let ours: String = c.as_str().chars().filter(|c| *c != ' ').collect();
                let theirs = identification.cn.trim_end();
                prop_assert!(ours.starts_with(theirs) && theirs.len() + 2 >= ours.len(), "{} vs {}", c.as_str(), theirs);
            }
            _ => {}
        }
    }
}
