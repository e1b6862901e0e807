//! ASTERIX CAT021/CAT062 on records built here item by item (their bytes
//! written from the item layouts), with compound, repetitive, variable and
//! explicit items that must be skipped by their lengths.

use feeds::asterix::{AsterixError, AsterixStats, decode_block, decode_datagram};
use tactical::{PartyId, Timestamp};

/// A record: FSPEC for the FRNs present, then their bytes in FRN order.
fn record(items: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let top = items.iter().map(|i| i.0).max().unwrap();
    let mut fspec = vec![0u8; top.div_ceil(7)];
    for (frn, _) in items {
        fspec[(frn - 1) / 7] |= 0x80 >> ((frn - 1) % 7);
    }
    let last = fspec.len() - 1;
    for b in &mut fspec[..last] {
        *b |= 1;
    }
    let mut out = fspec;
    let mut sorted: Vec<&(usize, Vec<u8>)> = items.iter().collect();
    sorted.sort_by_key(|i| i.0);
    for (_, bytes) in sorted {
        out.extend(bytes);
    }
    out
}

fn block(cat: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = records.concat();
    let len = (3 + body.len()) as u16;
    let mut out = vec![cat];
    out.extend(len.to_be_bytes());
    out.extend(body);
    out
}

fn be(v: i64, n: usize) -> Vec<u8> {
    v.to_be_bytes()[8 - n..].to_vec()
}

/// "AFR34ZG " in 6-bit IA-5.
fn ia5(s: &str) -> Vec<u8> {
    let mut bits = 0u64;
    for c in s.bytes() {
        let code = match c {
            b'A'..=b'Z' => c - b'A' + 1,
            b' ' => 32,
            _ => c,
        };
        bits = (bits << 6) | u64::from(code);
    }
    bits.to_be_bytes()[2..].to_vec()
}

fn cat021() -> Vec<u8> {
    let lat = (48.99_f64 * f64::from(1u32 << 23) / 180.0).round() as i64;
    let lon = (2.41_f64 * f64::from(1u32 << 23) / 180.0).round() as i64;
    record(&[
        (1, vec![0x19, 0x2a]),
        (2, vec![0x01, 0x00]),
        (6, [be(lat, 3), be(lon, 3)].concat()),
        (11, vec![0x39, 0x33, 0x22]),
        (12, be(12 * 3600 * 128 + 64, 3)),
        (16, be((4650.0_f64 / 6.25) as i64, 2)),
        (17, vec![0x01, 0x00]),
        (21, be(48 * 4, 2)),
        (24, be((2176.0_f64 / 6.25).round() as i64, 2)),
        (
            26,
            [
                be((220.5 / 3600.0 * f64::from(1u32 << 14)).round() as i64, 2),
                be((263.9_f64 / 360.0 * 65536.0).round() as i64, 2),
            ]
            .concat(),
        ),
        (29, ia5("AFR34ZG ")),
        (31, vec![0x90, 0x00, 0x20, 0x05]),
        (34, [vec![0x40, 2], vec![0xAB; 30]].concat()),
        (39, [vec![1], vec![0xCD; 8]].concat()),
        (42, vec![0x81, 0x80, 0x11, 0x22]),
        (48, vec![3, 0xEE, 0xEE]),
    ])
}

fn cat062() -> Vec<u8> {
    let k = f64::from(1u32 << 25) / 180.0;
    record(&[
        (1, vec![0x19, 0x01]),
        (4, be(23 * 3600 * 128 + 59 * 60 * 128 + 59 * 128, 3)),
        (5, [be((50.5 * k).round() as i64, 4), be((-1.25 * k).round() as i64, 4)].concat()),
        (7, [be(400, 2), be(-300, 2)].concat()), // 100 m/s east, 75 m/s south
        (10, [vec![0x00], ia5("BAW12   ")].concat()),
        (11, [vec![0x81, 0x40], vec![0x40, 0x62, 0x1d], vec![1], vec![0x77; 15]].concat()),
        (12, vec![0x0f, 0xa0]),
        (13, vec![0x01, 0x00]),
        (14, vec![0x88, 0x01, 0x02, 0x03]),
        (19, be(350 * 4, 2)),
        (20, be(-(1000.0_f64 / 6.25) as i64, 2)),
        (21, [vec![0x40], vec![0x42; 7]].concat()),
        (26, vec![0x12, 0x34, 0x57, 0x9a, 0xbc, 0xde]),
        (27, vec![0x80, 1, 2, 3, 4]),
    ])
}

#[test]
fn cat021_items_decode_and_the_rest_is_skipped() {
    let b = block(21, &[cat021(), cat021()]);
    let reports = decode_block(&b).unwrap();
    assert_eq!(reports.len(), 2);
    let r = reports[1];
    assert_eq!((r.category, r.source, r.target_address), (21, Some((0x19, 0x2a)), Some(0x393322)));
    assert_eq!(r.time_of_day_s, Some(43_200.5));
    let (lat, lon) = r.position.unwrap();
    assert!((lat - 48.99).abs() < 3e-5 && (lon - 2.41).abs() < 3e-5, "{lat} {lon}");
    assert_eq!((r.flight_level_ft, r.geometric_ft), (Some(4800.0), Some(4650.0)));
    assert!((r.vertical_rate_fpm.unwrap() - 2175.0).abs() < 6.25);
    let (gs, trk) = r.ground_vector.unwrap();
    assert!((gs - 220.5).abs() < 0.25 && (trk - 263.9).abs() < 0.01, "{gs} {trk}");
    assert_eq!(r.callsign.unwrap().as_str(), "AFR34ZG");
    assert!(!r.on_ground);
    // Into a track state on the right day.
    let now = Timestamp::from_micros(1_720_224_000_000_000 + 43_300_000_000); // 2024-07-06 12:01:40
    let s = r.to_track_state(PartyId(2), now).unwrap();
    assert_eq!(s.time, Timestamp::from_micros(1_720_224_000_000_000 + 43_200_500_000));
    assert_eq!((s.id.0, s.party, s.altitude.feet), (0x393322, PartyId(2), 4800.0));
}

#[test]
fn cat062_items_decode_and_midnight_is_handled() {
    let reports = decode_block(&block(62, &[cat062()])).unwrap();
    let r = reports[0];
    assert_eq!((r.track_number, r.target_address), (Some(4000), Some(0x40621d)));
    let (lat, lon) = r.position.unwrap();
    assert!((lat - 50.5).abs() < 3e-6 && (lon + 1.25).abs() < 3e-6, "{lat} {lon}");
    let (gs, trk) = r.ground_vector.unwrap();
    assert!((gs - 125.0 * 3600.0 / 1852.0).abs() < 1e-9 && (trk - 126.869_9).abs() < 1e-3, "{gs} {trk}");
    assert_eq!((r.flight_level_ft, r.vertical_rate_fpm), (Some(35_000.0), Some(-1000.0)));
    assert_eq!(r.callsign.unwrap().as_str(), "BAW12");
    // 23:59:59 reported, received just after midnight: yesterday.
    let midnight = 1_720_310_400_000_000; // 2024-07-07 00:00:00
    let s = r.to_track_state(PartyId(1), Timestamp::from_micros(midnight + 2_000_000)).unwrap();
    assert_eq!(s.time, Timestamp::from_micros(midnight - 1_000_000));
}

#[test]
fn bad_blocks_are_refused_with_reasons() {
    let good = block(62, &[cat062()]);
    let mut stats = AsterixStats::default();
    // Truncated: the last byte of the record missing, LEN adjusted.
    let mut cut = good[..good.len() - 1].to_vec();
    let len = cut.len() as u16;
    cut[1..3].copy_from_slice(&len.to_be_bytes());
    // FRN 2 of CAT062 is spare.
    let spare = block(62, &[record(&[(1, vec![1, 2]), (2, vec![0])])]);
    let cases = [
        (cut, AsterixError::Truncated),
        (spare, AsterixError::UndefinedItem),
        (block(48, &[vec![0x80, 1, 2]]), AsterixError::Category(48)),
        (vec![62, 0, 9, 1], AsterixError::BlockLength),
    ];
    for (bytes, want) in cases {
        let r = decode_block(&bytes);
        assert_eq!(r, Err(want));
        stats.record(&r);
    }
    assert_eq!((stats.truncated, stats.undefined_item, stats.category, stats.block_length), (1, 1, 1, 1));
    // Two blocks in one datagram, one bad: the good one still decodes.
    let dgram = [block(48, &[vec![0x80, 1, 2]]), block(21, &[cat021()])].concat();
    let all = decode_datagram(&dgram);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], Err(AsterixError::Category(48)));
    assert_eq!(all[1].as_ref().unwrap().len(), 1);
}
