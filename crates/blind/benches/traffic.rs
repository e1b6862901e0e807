//! Token counts and false matches against exact geometry on generated
//! drone traffic, for the default policy and a sweep of grids.
//!
//! `cargo bench -p blind --bench traffic` prints, per policy: the mean real
//! and published (padded) token counts, the pairs that really come within
//! separation, the pairs whose token sets share a token, and the false
//! matches per real conflict. Every real conflict must also be a match
//! (the bench stops otherwise). `-- --ops N` sets the number of operations
//! (default 2,000, so ≈ 2 million pairs).
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

#[path = "../tests/common.rs"]
mod common;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use blind::{BlindOperation, Epoch, LineKey, LinePolicy, PolicyParams, Token, matches, within_separation};
use common::{circle, offset, star, volume};
use geom::{LatLng, Volume4D};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One operation: a circle or a star polygon of 100–800 m somewhere in a
/// 20 km square, an altitude band inside 0–150 m and a 10–60 minute window
/// inside a day.
fn operation(rng: &mut StdRng) -> Volume4D {
    let centre = LatLng::new(46.5, 6.6).unwrap();
    let at = offset(
        offset(centre, 0.0, rng.random_range(-10_000.0..10_000.0)),
        90.0,
        rng.random_range(-10_000.0..10_000.0),
    );
    let size = rng.random_range(100.0..800.0);
    let fp = if rng.random_bool(0.5) {
        circle(at, size)
    } else {
        let radii: Vec<f64> = (0..8).map(|_| size * rng.random_range(0.5..1.0)).collect();
        star(at, &radii, rng.random_range(-1.0..1.0)).unwrap_or_else(|| circle(at, size))
    };
    let lower = rng.random_range(0.0..100.0);
    let upper = lower + rng.random_range(20.0..50.0);
    let start = rng.random_range(0..86_400_i64) * 1_000_000;
    let length = rng.random_range(600..3_600_i64) * 1_000_000;
    volume(fp, lower, upper, start, start + length)
}

struct Figures {
    real_tokens: f64,
    published: f64,
    conflicts: usize,
    matched: usize,
    secs: f64,
}

fn measure(policy: &LinePolicy, ops: &[Volume4D]) -> Figures {
    let key = LineKey::new([42; 32]);
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let blind: Vec<BlindOperation> = ops
        .iter()
        .map(|v| BlindOperation::new(&key, Epoch(1), policy, std::slice::from_ref(v), &mut rng).unwrap())
        .collect();
    let secs = started.elapsed().as_secs_f64();
    // The service's way: an index from token to the operations publishing
    // it, so matching costs the tokens, not the pairs.
    let mut by_token: HashMap<Token, Vec<usize>> = HashMap::new();
    for (i, b) in blind.iter().enumerate() {
        for t in b.tokens() {
            by_token.entry(*t).or_default().push(i);
        }
    }
    let mut token_pairs: HashSet<(usize, usize)> = HashSet::new();
    for owners in by_token.values().filter(|o| o.len() > 1) {
        for (k, &i) in owners.iter().enumerate() {
            token_pairs.extend(owners[k + 1..].iter().map(|&j| (i.min(j), i.max(j))));
        }
    }
    let mut conflicts = 0;
    for i in 0..ops.len() {
        for j in i + 1..ops.len() {
            if within_separation(&ops[i], &ops[j], policy) {
                assert!(token_pairs.contains(&(i, j)), "missed conflict between operations {i} and {j}");
                assert!(!matches(blind[i].tokens(), blind[j].tokens()).is_empty());
                conflicts += 1;
            }
        }
    }
    let matched = token_pairs.len();
    let n = ops.len() as f64;
    Figures {
        real_tokens: blind.iter().map(|b| b.real_count() as f64).sum::<f64>() / n,
        published: blind.iter().map(|b| b.tokens().len() as f64).sum::<f64>() / n,
        conflicts,
        matched,
        secs,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = args
        .iter()
        .position(|a| a == "--ops")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut rng = StdRng::seed_from_u64(2026);
    let ops: Vec<Volume4D> = (0..n).map(|_| operation(&mut rng)).collect();
    let default = LinePolicy::default().params();
    let mut sweep = vec![("default", default)];
    for res in [8_u8, 10] {
        sweep.push(("cell_resolution", PolicyParams { cell_resolution: res, ..default }));
    }
    for slot_s in [60_i64, 900] {
        sweep.push(("slot", PolicyParams { slot_micros: slot_s * 1_000_000, ..default }));
    }
    for band in [25.0, 100.0] {
        sweep.push(("band", PolicyParams { band_m: band, ..default }));
    }
    println!("{n} operations, {} pairs; one line per policy", n * (n - 1) / 2);
    println!(
        "{:<16} {:>4} {:>6} {:>6} {:>10} {:>10} {:>9} {:>9} {:>14} {:>9}",
        "varied",
        "res",
        "slot_s",
        "band_m",
        "real_tok",
        "published",
        "conflicts",
        "matches",
        "false/conflict",
        "tokens_s"
    );
    for (name, params) in sweep {
        let policy = LinePolicy::new(params).unwrap();
        let f = measure(&policy, &ops);
        let false_per = (f.matched - f.conflicts) as f64 / f.conflicts.max(1) as f64;
        println!(
            "{:<16} {:>4} {:>6} {:>6} {:>10.1} {:>10.1} {:>9} {:>9} {:>14.2} {:>9.2}",
            name,
            params.cell_resolution,
            params.slot_micros / 1_000_000,
            params.band_m,
            f.real_tokens,
            f.published,
            f.conflicts,
            f.matched,
            false_per,
            f.secs
        );
    }
}
