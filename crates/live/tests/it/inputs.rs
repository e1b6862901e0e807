//! Every input reaching the live picture, through the runtime's sockets.
//!
//! Recorded bytes: the Beast capture `sample_dump1090.bin` and the 805 real
//! DF17 frames of flight AFR34ZG (`afr34zg_adsb.csv`, with a reference
//! decoder's positions), sent in Beast and raw framing. No SBS-1,
//! `aircraft.json` or ASTERIX recording can be shipped, so those inputs carry
//! the same flight's reference values encoded in their format. Expected
//! positions are the reference decoder's.

use std::time::Duration;

use feeds::beast;
use live::source::decode::Decoder;
use live::{Format, SourceKind};
use tactical::{PartyId, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::common::*;

fn beast_frames() -> Vec<Vec<u8>> {
    rows().iter().enumerate().map(|(i, r)| beast::encode(&r.frame, 12_000_000 * i as u64, 0x80)).collect()
}

fn raw_frames() -> Vec<Vec<u8>> {
    rows()
        .iter()
        .map(|r| {
            format!("*{};\n", r.frame.iter().map(|b| format!("{b:02X}")).collect::<String>()).into_bytes()
        })
        .collect()
}

/// SBS-1 lines of the flight's reference values: `MSG,3` for each airborne
/// position, `MSG,4` for each velocity (row by row, so one line per row).
fn sbs_lines() -> Vec<Vec<u8>> {
    rows()
        .iter()
        .map(|r| {
            let hms = "06:43:09.525";
            let head = format!("1,1,393322,1,2024/07/06,{hms},2024/07/06,{hms}");
            match (r.bds.as_str(), r.lat, r.lon, r.alt_ft, r.gs_kt, r.trk_deg) {
                ("05", Some(la), Some(lo), Some(alt), _, _) => {
                    format!("MSG,3,{head},,{alt},,,{la},{lo},,,0,0,0,0\r\n")
                }
                ("09", _, _, _, Some(gs), Some(trk)) => format!("MSG,4,{head},,,{gs},{trk},,,0,,0,0,0,0\r\n"),
                _ => format!("MSG,8,{head},,,,,,,,,0,0,0,0\r\n"),
            }
            .into_bytes()
        })
        .collect()
}

/// Which chunks make a state when fed one after the other to one decoder
/// (the runtime's), and the position it has; checked against the reference.
fn producing(format: Format, chunks: &[Vec<u8>]) -> Vec<(usize, (f64, f64))> {
    let rows = rows();
    let mut d = Decoder::new(format, PartyId(0));
    let mut v = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let mut out = Vec::new();
        d.push(c, Timestamp::from_micros(1_720_248_189_000_000 + i as i64), &mut out);
        for (name, s) in out {
            assert_eq!(name, "393322");
            let got = (s.position.lat_deg(), s.position.lon_deg());
            // The position of the latest position row sent (SBS-1 velocity
            // lines carry the aircraft's last position).
            let j = (0..=i).rev().find(|&j| rows[j].lat.is_some()).unwrap();
            near(got, (rows[j].lat.unwrap(), rows[j].lon.unwrap()), &format!("{format:?} row {i}"));
            v.push((i, got));
        }
    }
    assert!(v.len() > 100, "{format:?}: {}", v.len());
    v
}

fn position_of(live: &live::LiveService, party: &str, name: &str) -> (f64, f64) {
    let tracks = live.tracks_of(crate::common::party(live, party));
    let (_, s) = tracks.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name} in {tracks:?}"));
    (s.position.lat_deg(), s.position.lon_deg())
}

/// A listener source gets the flight up to its first state; the picture has it.
async fn listener_gets_the_first_state(kind: SourceKind, format: Format, chunks: Vec<Vec<u8>>) {
    let first = producing(format, &chunks)[0];
    let (live, rt) = start(&[(kind, "127.0.0.1:0=radar".into())]).await;
    let status = live.sources()[0].clone();
    let mut conn = TcpStream::connect(bound(&status).await).await.unwrap();
    conn.write_all(&chunks[..=first.0].concat()).await.unwrap();
    wait_for(&status, &format!("{kind:?}: first state"), |s| s.totals().updates >= 1).await;
    near(position_of(&live, "radar", "393322"), first.1, &format!("{kind:?}: picture"));
    let c = status.totals();
    assert_eq!(c.read, first.0 as u64 + 1, "{kind:?}: {c:?}");
    assert!(c.no_update.values().sum::<u64>() >= first.0 as u64 - 1, "{kind:?}: {c:?}");
    rt.shutdown().await;
}

/// A client source connects to a fake receiver that sends the flight up to
/// its first state and drops the connection; the client reconnects and the
/// second connection's frames give the next state.
async fn client_reconnects(kind: SourceKind, format: Format, chunks: Vec<Vec<u8>>) {
    let states = producing(format, &chunks);
    let (first, second) = (states[0], states[1]);
    let receiver = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = receiver.local_addr().unwrap();
    let (live, rt) = start(&[(kind, format!("{addr}=radar"))]).await;
    let status = live.sources()[0].clone();
    let accept = || async {
        tokio::time::timeout(Duration::from_secs(20), receiver.accept())
            .await
            .expect("no connection")
            .unwrap()
            .0
    };
    let mut c1 = accept().await;
    c1.write_all(&chunks[..=first.0].concat()).await.unwrap();
    wait_for(&status, &format!("{kind:?}: first state"), |s| s.totals().updates >= 1).await;
    near(position_of(&live, "radar", "393322"), first.1, &format!("{kind:?}: first connection"));
    drop(c1);
    let mut c2 = accept().await;
    c2.write_all(&chunks[first.0 + 1..=second.0].concat()).await.unwrap();
    wait_for(&status, &format!("{kind:?}: second state"), |s| s.totals().updates >= 2).await;
    near(position_of(&live, "radar", "393322"), second.1, &format!("{kind:?}: after reconnecting"));
    assert_eq!(status.connects(), 2, "{kind:?}");
    assert!(status.is_connected(), "{kind:?}");
    rt.shutdown().await;
}

#[tokio::test]
async fn each_listener_gets_the_first_state() {
    for (kind, format, chunks) in [
        (SourceKind::BeastListen, Format::Beast, beast_frames()),
        (SourceKind::RawListen, Format::Raw, raw_frames()),
    ] {
        listener_gets_the_first_state(kind, format, chunks).await;
    }
}

#[tokio::test]
async fn each_client_reconnects() {
    for (kind, format, chunks) in [
        (SourceKind::BeastConnect, Format::Beast, beast_frames()),
        (SourceKind::RawConnect, Format::Raw, raw_frames()),
        (SourceKind::SbsConnect, Format::Sbs, sbs_lines()),
    ] {
        client_reconnects(kind, format, chunks).await;
    }
}

#[tokio::test]
async fn a_real_beast_capture_is_counted_as_the_decoder_counts_it() {
    let bytes = include_bytes!("../../../feeds/tests/data/sample_dump1090.bin");
    let mut offline = Decoder::new(Format::Beast, PartyId(0));
    let mut out = Vec::new();
    offline.push(bytes, Timestamp::from_micros(0), &mut out);
    let want = offline.counters_mut().clone();
    assert!(want.read > 100 && want.decoded > 10 && want.rejected.is_empty(), "{want:?}");

    let (live, rt) = start(&[(SourceKind::BeastListen, "127.0.0.1:0=radar".into())]).await;
    let status = live.sources()[0].clone();
    let mut conn = TcpStream::connect(bound(&status).await).await.unwrap();
    for chunk in bytes.chunks(100) {
        conn.write_all(chunk).await.unwrap();
    }
    wait_for(&status, "every frame", |s| s.totals().read >= want.read).await;
    let got = status.totals();
    assert_eq!((got.read, got.decoded), (want.read, want.decoded), "{got:?}");
    assert!(got.rejected.is_empty(), "{got:?}");
    rt.shutdown().await;
}

/// The flight's first airborne position with its altitude, and the velocity
/// reported next: (lat, lon, alt_ft, gs_kt, trk_deg).
fn reference_fix() -> (f64, f64, f64, f64, f64) {
    let rows = rows();
    let p = rows.iter().position(|r| r.bds == "05" && r.lat.is_some() && r.alt_ft.is_some()).unwrap();
    let v = rows[p..].iter().find(|r| r.bds == "09" && r.gs_kt.is_some()).unwrap();
    (
        rows[p].lat.unwrap(),
        rows[p].lon.unwrap(),
        rows[p].alt_ft.unwrap(),
        v.gs_kt.unwrap(),
        v.trk_deg.unwrap(),
    )
}

fn aircraft_json() -> String {
    let (lat, lon, alt, gs, trk) = reference_fix();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    format!(
        r#"{{"now": {now}, "messages": 100, "aircraft": [
            {{"hex": "393322", "flight": "AFR34ZG ", "lat": {lat}, "lon": {lon}, "seen_pos": 0.4,
              "alt_baro": {alt}, "gs": {gs}, "track": {trk}, "baro_rate": 1024}},
            {{"hex": "4ca2d6", "flight": "RYR1", "seen": 3}},
            {{"hex": "zz"}}]}}"#
    )
}

async fn aircraft_json_reaches_the_picture(target: String) {
    let (lat, lon, alt, gs, _) = reference_fix();
    let (live, rt) = start(&[(SourceKind::AircraftJson, format!("{target}=radar"))]).await;
    let status = live.sources()[0].clone();
    wait_for(&status, "a poll", |s| s.totals().updates >= 1).await;
    near(position_of(&live, "radar", "393322"), (lat, lon), "aircraft.json");
    let tracks = live.tracks_of(party(&live, "radar"));
    assert_eq!(tracks.len(), 1);
    assert_eq!((tracks[0].1.altitude.feet, tracks[0].1.ground_speed.0), (alt, gs));
    let c = status.totals();
    assert_eq!(c.no_update.get("no_position"), Some(&1), "{c:?}");
    assert_eq!(c.rejected.get("bad_address"), Some(&1), "{c:?}");
    rt.shutdown().await;
}

#[tokio::test]
async fn aircraft_json_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aircraft.json");
    std::fs::write(&path, aircraft_json()).unwrap();
    aircraft_json_reaches_the_picture(path.display().to_string()).await;
}

#[tokio::test]
async fn aircraft_json_over_http() {
    // A fake receiver serving /data/aircraft.json; any other path is a 404.
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let doc = aircraft_json();
    let serve = tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = server.accept().await else { return };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let found = req.starts_with(b"GET /data/aircraft.json ");
            let body = if found { doc.as_str() } else { "{}" };
            let status = if found { "200 OK" } else { "404 Not Found" };
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = c.write_all(resp.as_bytes()).await;
        }
    });
    aircraft_json_reaches_the_picture(format!("http://{addr}/data/aircraft.json")).await;
    serve.abort();
}

/// One CAT021 record of the reference fix: FSPEC, then items in FRN order
/// (I010, I040, I130, I080, I073, I145, I160, I170).
fn cat021() -> Vec<u8> {
    let (lat, lon, alt, gs, trk) = reference_fix();
    let be = |v: i64, n: usize| v.to_be_bytes()[8 - n..].to_vec();
    let tod =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() % 86_400.0;
    let mut ia5 = 0u64;
    for c in "AFR34ZG ".bytes() {
        ia5 = (ia5 << 6)
            | u64::from(if c == b' ' {
                32
            } else if c.is_ascii_uppercase() {
                c - b'A' + 1
            } else {
                c
            });
    }
    let items: Vec<(usize, Vec<u8>)> = vec![
        (1, vec![0x19, 0x2a]),
        (2, vec![0x01, 0x00]),
        (
            6,
            [
                be((lat * f64::from(1u32 << 23) / 180.0).round() as i64, 3),
                be((lon * f64::from(1u32 << 23) / 180.0).round() as i64, 3),
            ]
            .concat(),
        ),
        (11, vec![0x39, 0x33, 0x22]),
        (12, be((tod * 128.0) as i64, 3)),
        (21, be((alt / 25.0).round() as i64, 2)),
        (
            26,
            [
                be((gs / 3600.0 * f64::from(1u32 << 14)).round() as i64, 2),
                be((trk / 360.0 * 65536.0).round() as i64, 2),
            ]
            .concat(),
        ),
        (29, ia5.to_be_bytes()[2..].to_vec()),
    ];
    let mut fspec = vec![0u8; 29usize.div_ceil(7)];
    for (frn, _) in &items {
        fspec[(frn - 1) / 7] |= 0x80 >> ((frn - 1) % 7);
    }
    let last = fspec.len() - 1;
    for b in &mut fspec[..last] {
        *b |= 1;
    }
    let record: Vec<u8> = fspec.into_iter().chain(items.into_iter().flat_map(|(_, b)| b)).collect();
    let mut block = vec![21];
    block.extend(((3 + record.len()) as u16).to_be_bytes());
    block.extend(record);
    block
}

async fn asterix_reaches_the_picture(spec: &str, send: impl AsyncFnOnce(std::net::SocketAddr, Vec<u8>)) {
    let (lat, lon, ..) = reference_fix();
    let (live, rt) = start(&[(SourceKind::AsterixUdp, format!("{spec}=sensor"))]).await;
    let status = live.sources()[0].clone();
    let addr = bound(&status).await;
    // The record, then a block of another category and a truncated one, in one datagram.
    let datagram = [cat021(), vec![48, 0, 4, 0], vec![21, 0, 9, 0xff, 0xff]].concat();
    send(addr, datagram).await;
    wait_for(&status, "the datagram", |s| s.totals().read >= 3).await;
    near(position_of(&live, "sensor", "393322"), (lat, lon), "ASTERIX");
    let c = status.totals();
    assert_eq!((c.decoded, c.updates), (1, 1), "{c:?}");
    assert_eq!(c.rejected.get("category"), Some(&1), "{c:?}");
    assert_eq!(c.rejected.values().sum::<u64>(), 2, "{c:?}");
    rt.shutdown().await;
}

#[tokio::test]
async fn asterix_over_udp_unicast() {
    asterix_reaches_the_picture("127.0.0.1:0", async |addr, datagram| {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.send_to(&datagram, addr).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn asterix_over_udp_multicast() {
    asterix_reaches_the_picture("239.255.77.1:0@127.0.0.1", async |addr, datagram| {
        // Bound to the loopback address, the datagram leaves on loopback,
        // where the source joined the group.
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_multicast_loop_v4(true).unwrap();
        s.send_to(&datagram, ("239.255.77.1", addr.port())).unwrap();
    })
    .await;
}
