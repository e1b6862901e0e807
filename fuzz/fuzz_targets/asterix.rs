//! ASTERIX datagrams: decoding never panics, and every report converts
//! (or not) into a valid track state.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for block in feeds::asterix::decode_datagram(data).into_iter().flatten() {
        for r in block {
            if let Some(s) = r.to_track_state(tactical::PartyId(0), tactical::Timestamp::from_secs(1_700_000_000)) {
                assert!(s.validate().is_ok());
            }
        }
    }
});
