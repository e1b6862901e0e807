//! Beast and raw framing and ADS-B decoding: never panic; a frame split at
//! any point frames the same.
#![no_main]

use feeds::beast::BeastFramer;
use feeds::raw::RawFramer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut whole = BeastFramer::new();
    let a = whole.frames(data);
    let mut split = BeastFramer::new();
    let mut b = split.frames(&data[..cut]);
    b.extend(split.frames(&data[cut..]));
    assert_eq!(a, b);
    let mut raw = RawFramer::new();
    for f in a.iter().chain(raw.frames(data).iter()) {
        if let feeds::Frame::ModeS(m) = f {
            let _ = feeds::adsb::decode(m);
        }
    }
});
