//! Replays: the transitions of a scripted encounter, exactly; the same real
//! recording played twice gives the same output.

use std::fmt::Write as _;

use live::LiveConfig;
use live::replay::{self, ReplayOptions, Transition, TransitionKind};

fn opts() -> ReplayOptions {
    ReplayOptions { live: LiveConfig::default(), speed: None }
}

fn csv(ts: &[Transition]) -> String {
    ts.iter().fold(String::new(), |mut s, t| {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.1},{:.2}",
            t.time.as_micros(),
            t.id_a,
            t.id_b,
            t.state.name(),
            t.t_los_s,
            t.d_cpa_nm
        );
        s
    })
}

#[tokio::test]
async fn a_scripted_encounter_gives_its_transitions_exactly() {
    // Two aircraft head-on at FL300, 30 NM apart, reported every 4 s for 60 s
    // (so they pass each other at 135 s, after the last report), and a third far away.
    let mut text = String::from(replay::HEADER);
    text.push('\n');
    for i in 0..15 {
        let t = 4 * i;
        let d = 400.0 / 3600.0 * f64::from(t) / 60.0; // degrees of longitude flown near the equator
        let _ = writeln!(
            text,
            "2024-01-01T12:00:{:02}Z,aaaaaa,EAST1,0.0,{:.5},30000,400,90,0",
            t.min(59),
            -0.25 + d
        );
        let _ =
            writeln!(text, "2024-01-01T12:00:{:02}Z,bbbbbb,,0.0,{:.5},30000,400,270,", t.min(59), 0.25 - d);
        let _ = writeln!(text, "2024-01-01T12:00:{:02}Z,cccccc,FAR,10.0,10.0,30000,400,270,0", t.min(59));
    }
    let rec = replay::parse_states(&text).unwrap();
    let mut got = Vec::new();
    let summary = replay::run(&rec, &opts(), |t| got.push(t.clone())).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[0].state, got[1].state), (TransitionKind::New, TransitionKind::Ended));
    assert_eq!((got[0].id_a.as_str(), got[0].id_b.as_str()), ("AAAAAA", "BBBBBB"));
    assert!(got[0].t_los_s > 30.0 && got[0].d_cpa_nm < 0.1, "{got:?}");
    assert_eq!((summary.alerts, summary.pairs, summary.late, summary.aircraft), (1, 1, 0, 3));
    assert_eq!(summary.alerts_per_pair(), 1.0);
    // Confirmed on the second report of each (4 s after the first), never earlier.
    assert_eq!(got[0].time.as_micros() - rec[0].state.time.as_micros(), 4_000_000);

    let err = replay::parse_states(&format!("{}\n2024-01-01T12:00:00Z,a,,91,0,0,0,0,0\n", replay::HEADER))
        .unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
}

#[tokio::test]
async fn a_real_recording_replays_the_same_every_time() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/quickstart.csv.gz");
    let all = replay::load(&path).unwrap();
    assert!(all.len() > 200_000, "{}", all.len());
    // The first 15 minutes (a debug build plays them in seconds).
    let t0 = all[0].state.time.as_micros();
    let slice: Vec<_> =
        all.into_iter().take_while(|r| r.state.time.as_micros() < t0 + 15 * 60_000_000).collect();
    let mut first = Vec::new();
    let a = replay::run(&slice, &opts(), |t| first.push(t.clone())).await;
    let mut second = Vec::new();
    let b = replay::run(&slice, &opts(), |t| second.push(t.clone())).await;
    assert_eq!(csv(&first), csv(&second));
    assert_eq!(a, b);
    assert!(a.alerts > 0 && a.pairs > 0 && a.aircraft > 20, "{a:?}");
    let news = first.iter().filter(|t| t.state == TransitionKind::New).count();
    let ends = first.iter().filter(|t| t.state == TransitionKind::Ended).count();
    assert_eq!(news, a.alerts);
    assert_eq!(ends, news + a.resumed, "every alert ends once its tracks expire");
}
