//! Property tests: any log the chain builds verifies; any single-byte payload change is
//! caught at that entry.

use audit::{Chain, Entry, NewEntry, ServiceKey, Slice, VerifyError, verify, verify_slice};
use proptest::prelude::*;

fn arb_new_entry() -> impl Strategy<Value = NewEntry> {
    (
        -1_000_000i64..1_000_000,
        "[a-z]{0,8}",
        "[a-z.]{0,16}",
        proptest::option::of("[a-z0-9-]{0,12}"),
        proptest::collection::vec("[a-d]{1,2}", 0..5),
        // ASCII payload (the crate treats it as bytes; ASCII keeps byte edits valid UTF-8).
        "[ -~]{0,64}",
    )
        .prop_map(|(timestamp, actor, kind, subject, parties, payload)| NewEntry {
            timestamp,
            actor,
            kind,
            subject,
            parties,
            payload,
        })
}

fn build(news: Vec<NewEntry>) -> Vec<Entry> {
    let mut chain = Chain::genesis();
    news.into_iter().map(|n| chain.append(n).expect("append")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn built_logs_verify(news in proptest::collection::vec(arb_new_entry(), 0..40)) {
        let entries = build(news);
        let report = verify(&entries, &[], &[]).expect("verifies");
        prop_assert_eq!(report.entries_checked, entries.len());
        for party in ["a", "b", "ab"] {
            let slice = Slice::for_party(&entries, &[], party);
            prop_assert!(verify_slice(&slice, &[]).is_ok());
        }
    }

    #[test]
    fn single_byte_payload_change_is_caught_at_that_entry(
        news in proptest::collection::vec(arb_new_entry(), 1..30),
        pick in any::<proptest::sample::Index>(),
        byte in any::<proptest::sample::Index>(),
        delta in 1u8..128,
    ) {
        let mut entries = build(news);
        let i = pick.index(entries.len());
        let seq = entries[i].seq;
        let mut payload = std::mem::take(&mut entries[i].payload).into_bytes();
        if payload.is_empty() {
            payload.push(b' ');
        } else {
            let j = byte.index(payload.len());
            payload[j] ^= delta; // stays ASCII, always changes
        }
        entries[i].payload = String::from_utf8(payload).expect("ascii");
        prop_assert_eq!(verify(&entries, &[], &[]), Err(VerifyError::BadHash { seq }));
        let slice = Slice::full(&entries, &[]);
        prop_assert_eq!(verify_slice(&slice, &[]), Err(VerifyError::BadHash { seq }));
    }
}

#[test]
fn signed_random_logs_verify() {
    let key = ServiceKey::generate().expect("key");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(16));
    runner
        .run(&proptest::collection::vec(arb_new_entry(), 1..40), |news| {
            let entries = build(news);
            let checkpoints: Vec<_> = entries.iter().step_by(7).map(|e| key.checkpoint(e, 0)).collect();
            let report = verify(&entries, &checkpoints, &[key.public_key()])
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(report.checkpoints_checked, checkpoints.len());
            Ok(())
        })
        .expect("property holds");
}
