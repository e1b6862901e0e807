//! End-to-end flows: SBS-1 feed → assembler → picture → scan → alerts;
//! conformance; CSV round trips.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::{NM, offset, track};
use tactical::assembler::{AssemblerConfig, SbsAssembler};
use tactical::conformance::{
    ConformanceConfig, ConformanceEnd, ConformanceEvent, ConformanceMonitor, NonConformance,
};
use tactical::csv::{format_conflicts, format_traffic, parse_traffic};
use tactical::traffic::{GenConfig, generate};
use tactical::{
    AlertConfig, AlertEvent, AlertTracker, DetectionConfig, EndReason, OperationKey, PartyId, PictureConfig,
    Timestamp, TrackId, TrackPicture, detect,
};

fn sbs(kind: u8, hex: &str, alt: &str, gs: &str, trk: &str, lat: f64, lon: f64) -> String {
    let (la, lo) =
        if kind == 3 { (format!("{lat:.5}"), format!("{lon:.5}")) } else { (String::new(), String::new()) };
    format!(
        "MSG,{kind},1,1,{hex},1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,{alt},{gs},{trk},{la},{lo},,,0,0,0,0\n"
    )
}

#[test]
fn sbs_feed_to_alerts() {
    let mut asm = SbsAssembler::new(AssemblerConfig {
        party: PartyId(1),
        max_age: Duration::from_secs(30),
        ..AssemblerConfig::default()
    });
    let mut picture = TrackPicture::new(PictureConfig {
        max_age: Duration::from_secs(15),
        history_len: 4,
        ..PictureConfig::default()
    });
    let mut alerts = AlertTracker::new(AlertConfig::default());
    let cfg = DetectionConfig::en_route();
    // Two aircraft head-on, 30 NM apart on the same level.
    let (nlat, nlon) = offset(50.0, 5.0, 0.0, 30.0 * NM);
    let mut events = Vec::new();
    for sec in 0..6i64 {
        let now = Timestamp::from_secs(sec * 4);
        let moved = 450.0 * NM / 3600.0 * (sec * 4) as f64;
        let (alat, alon) = offset(50.0, 5.0, 0.0, moved);
        let (blat, blon) = offset(nlat, nlon, 180.0, moved);
        let feed = [
            sbs(3, "AAAAAA", "35000", "", "", alat, alon),
            sbs(4, "AAAAAA", "", "450", "0", 0.0, 0.0),
            sbs(3, "BBBBBB", "35000", "", "", blat, blon),
            sbs(4, "BBBBBB", "", "450", "180", 0.0, 0.0),
        ];
        for line in &feed {
            let msg = tactical::sbs::parse_line(line.as_bytes()).unwrap();
            if let Some(state) = asm.ingest(&msg, now) {
                picture.update(state).unwrap();
            }
        }
        let expired: Vec<TrackId> = picture.expire(now).iter().map(|s| s.id).collect();
        let snapshot = picture.snapshot();
        let report = detect(&snapshot, now, &cfg);
        events.extend(alerts.update(now, report.iter(), &snapshot, &expired));
    }
    assert!(matches!(events[0], AlertEvent::New { .. }), "{events:?}");
    assert!(events[1..].iter().all(|e| matches!(e, AlertEvent::Ongoing { .. })));
    assert_eq!(events[0].recipients(), &[PartyId(1)]);
    assert_eq!(events[0].alert().conflict.pair(), (TrackId(0xAAAAAA), TrackId(0xBBBBBB)));
    // Feed stops: tracks expire and the alert ends with them.
    let later = Timestamp::from_secs(60);
    let expired: Vec<TrackId> = picture.expire(later).iter().map(|s| s.id).collect();
    assert_eq!(expired.len(), 2);
    let snapshot = picture.snapshot();
    let ev = alerts.update(later, detect(&snapshot, later, &cfg).iter(), &snapshot, &expired);
    assert_eq!(ev.len(), 1);
    assert!(matches!(ev[0], AlertEvent::Ended { reason: EndReason::TrackExpired(TrackId(0xAAAAAA)), .. }));
}

#[test]
fn level_pair_1000ft_apart_never_alerts() {
    let mut alerts = AlertTracker::new(AlertConfig::default());
    for s in 0..30 {
        let now = Timestamp::from_secs(s);
        let mut t = vec![
            track(1, 1, 50.0, 5.0, 33_000.0, 450.0, 90.0, 0.0),
            track(2, 2, 50.0, 5.0, 34_000.0, 450.0, 90.0, 0.0),
        ];
        for x in &mut t {
            x.time = now;
        }
        let r = detect(&t, now, &DetectionConfig::en_route());
        assert!(r.is_empty());
        assert!(alerts.update(now, r.iter(), &t, &[]).is_empty());
    }
}

#[test]
fn conformance_lifecycle() {
    use geom::{AltitudeRange, Circle, LatLng, Time, TimeWindow, Volume4D};
    let volume = Volume4D::new(
        Circle::new(LatLng::new(50.0, 5.0).unwrap(), 1000.0).unwrap().into(),
        AltitudeRange::new(0.0, 150.0).unwrap(),
        TimeWindow::new(Time::from_micros(0), Time::from_micros(3_600_000_000)).unwrap(),
    );
    let op = OperationKey::from(7u128);
    let mut intents = HashMap::new();
    intents.insert(op, vec![volume]);
    let mut mon = ConformanceMonitor::new(ConformanceConfig {
        confirm_updates: 1,
        clear_updates: 2,
        ..Default::default()
    });
    let mut drone = track(5, 9, 50.0, 5.0, 300.0, 20.0, 0.0, 0.0);
    drone.intent = Some(op);
    let at = Timestamp::from_secs;
    // 300 ft = 91 m: inside.
    assert!(mon.update(at(1), &[drone], &intents, &[]).is_empty());
    // 600 ft = 183 m: above the 150 m ceiling plus 15 m tolerance.
    drone.altitude.feet = 600.0;
    let ev = mon.update(at(2), &[drone], &intents, &[]);
    assert!(
        matches!(&ev[..], [ConformanceEvent::New { alert, .. }] if alert.reason == NonConformance::OutsideVolumes && alert.owner() == PartyId(9)),
        "{ev:?}"
    );
    // 530 ft = 161.5 m: within tolerance; clears after 2 updates.
    drone.altitude.feet = 530.0;
    assert!(mon.update(at(3), &[drone], &intents, &[]).is_empty());
    let ev = mon.update(at(4), &[drone], &intents, &[]);
    assert!(
        matches!(&ev[..], [ConformanceEvent::Ended { reason: ConformanceEnd::Conforming, .. }]),
        "{ev:?}"
    );
    // 1.2 km away horizontally, then expiry.
    let (la, lo) = offset(50.0, 5.0, 45.0, 1200.0);
    let mut away = track(5, 9, la, lo, 300.0, 20.0, 0.0, 0.0);
    away.intent = Some(op);
    assert_eq!(mon.update(at(5), &[away], &intents, &[]).len(), 1);
    let ev = mon.update(at(6), &[], &intents, &[TrackId(5)]);
    assert!(
        matches!(&ev[..], [ConformanceEvent::Ended { reason: ConformanceEnd::TrackExpired, .. }]),
        "{ev:?}"
    );
    // Unknown intent; outside the time window.
    away.intent = Some(OperationKey::from(8u128));
    let ev = mon.update(at(7), &[away], &intents, &[]);
    assert!(
        matches!(&ev[..], [ConformanceEvent::New { alert, .. }] if alert.reason == NonConformance::UnknownIntent)
    );
    let mut late = drone;
    late.id = TrackId(6);
    late.time = Timestamp::from_secs(4000);
    let ev = mon.update(at(4000), &[late], &intents, &[]);
    assert_eq!(ev.len(), 1, "{ev:?}");
    // Track 5 (missing from this update) is held until `clear_updates` pass.
    assert_eq!(mon.active(), 2);
}

#[test]
fn csv_round_trip_and_scan() {
    let tracks = generate(500, 3, &GenConfig::default());
    let text = format_traffic(&tracks);
    let parsed = parse_traffic(&text).unwrap();
    assert_eq!(parsed.tracks.len(), 500);
    for (k, s) in parsed.tracks.iter().enumerate() {
        let orig = &tracks[parsed.labels[k].parse::<usize>().unwrap() - 1];
        assert!((s.position.lat_deg() - orig.position.lat_deg()).abs() < 1e-6);
        assert!((s.altitude.feet - orig.altitude.feet).abs() <= 0.5);
    }
    let report = detect(&parsed.tracks, Timestamp::from_micros(0), &DetectionConfig::en_route());
    let out = format_conflicts(report.iter(), |id| parsed.label(id));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("id_a,id_b,tcpa_s,dcpa_nm,tlos_s"));
    let rows: Vec<(u64, u64)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 5);
            assert!(f[3].split('.').nth(1).unwrap().len() == 3);
            (f[0].parse().unwrap(), f[1].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), report.len());
    assert!(rows.iter().all(|(a, b)| a < b));
    assert!(rows.windows(2).all(|w| w[0] < w[1]));
}
