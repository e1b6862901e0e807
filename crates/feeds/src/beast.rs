//! Beast binary framing (dump1090/readsb port 30005), incremental over
//! byte chunks.
//!
//! A frame is `0x1a`, a type byte, a 6-byte big-endian receiver timestamp
//! (12 MHz), a signal byte, then the message: type `'1'` a 2-byte Mode A/C
//! reply, `'2'` a 7-byte Mode S short frame, `'3'` a 14-byte Mode S long
//! frame. Every `0x1a` after the type byte is sent twice. A frame may be
//! split across any number of [`BeastFramer::push`] calls.
//!
//! Nothing panics, whatever the bytes: bytes outside frames, unknown types
//! and frames cut short by an unescaped `0x1a` are counted per reason in
//! [`BeastStats`], and framing resynchronises on the next `0x1a`.

use crate::frame::{Frame, Framer, ModeSFrame};

const ESC: u8 = 0x1a;

/// Counts of frames and of rejections by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BeastStats {
    /// Complete frames emitted.
    pub frames: u64,
    /// Runs of bytes outside any frame.
    pub garbage: u64,
    /// Frames of a type other than `'1'`, `'2'`, `'3'` (skipped).
    pub unknown_type: u64,
    /// Frames cut short by a `0x1a` not followed by another (a new frame).
    pub broken_escape: u64,
}

impl BeastStats {
    /// Rejections by reason, as metric labels.
    pub fn rejections(&self) -> [(&'static str, u64); 3] {
        [
            ("garbage", self.garbage),
            ("unknown_type", self.unknown_type),
            ("broken_escape", self.broken_escape),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside a frame; `garbage` once a stray byte was counted.
    Idle { garbage: bool },
    /// After `0x1a`: the type byte comes next.
    Type,
    /// Reading the payload (unescaped into `buf`).
    Payload { kind: u8, need: usize, escaped: bool },
}

/// Incremental Beast framer. Keeps at most one partial frame (22 bytes).
#[derive(Debug, Clone)]
pub struct BeastFramer {
    state: State,
    buf: [u8; 21],
    got: usize,
    stats: BeastStats,
}

impl Framer for BeastFramer {
    #[inline]
    fn byte(&mut self, b: u8, emit: &mut impl FnMut(Frame)) {
        match self.state {
            State::Idle { garbage } => {
                if b == ESC {
                    self.state = State::Type;
                } else if !garbage {
                    self.stats.garbage += 1;
                    self.state = State::Idle { garbage: true };
                }
            }
            State::Type => self.start(b),
            State::Payload { kind, need, escaped } => {
                if escaped {
                    if b == ESC {
                        self.data(kind, need, ESC, emit);
                    } else {
                        // The previous 0x1a began a new frame.
                        self.stats.broken_escape += 1;
                        self.start(b);
                    }
                } else if b == ESC {
                    self.state = State::Payload { kind, need, escaped: true };
                } else {
                    self.data(kind, need, b, emit);
                }
            }
        }
    }
}

impl Default for BeastFramer {
    fn default() -> Self {
        Self::new()
    }
}

fn payload_len(kind: u8) -> Option<usize> {
    match kind {
        b'1' => Some(6 + 1 + 2),
        b'2' => Some(6 + 1 + 7),
        b'3' => Some(6 + 1 + 14),
        _ => None,
    }
}

impl BeastFramer {
    /// A framer waiting for its first frame.
    pub fn new() -> Self {
        Self { state: State::Idle { garbage: false }, buf: [0; 21], got: 0, stats: BeastStats::default() }
    }

    /// Counts so far.
    pub fn stats(&self) -> &BeastStats {
        &self.stats
    }

    fn start(&mut self, kind: u8) {
        self.got = 0;
        self.state = match payload_len(kind) {
            Some(need) => State::Payload { kind, need, escaped: false },
            None if kind == ESC => State::Type,
            None => {
                self.stats.unknown_type += 1;
                // Skip to the next frame without counting its bytes as garbage.
                State::Idle { garbage: true }
            }
        };
    }

    #[inline]
    fn data(&mut self, kind: u8, need: usize, b: u8, emit: &mut impl FnMut(Frame)) {
        self.buf[self.got] = b;
        self.got += 1;
        if self.got < need {
            self.state = State::Payload { kind, need, escaped: false };
            return;
        }
        self.state = State::Idle { garbage: false };
        let p = &self.buf[..need];
        let mlat = p[..6].iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        let signal = p[6];
        let frame = if kind == b'1' {
            Frame::ModeAc { code: [p[7], p[8]], mlat, signal }
        } else {
            match ModeSFrame::new(&p[7..], Some(mlat), Some(signal)) {
                Some(f) => Frame::ModeS(f),
                None => return,
            }
        };
        self.stats.frames += 1;
        emit(frame);
    }
}

/// Encodes a Mode S frame as Beast bytes (escaping `0x1a`): for tests,
/// replays and benches.
pub fn encode(data: &[u8], mlat: u64, signal: u8) -> Vec<u8> {
    let kind = match data.len() {
        2 => b'1',
        7 => b'2',
        _ => b'3',
    };
    let mut out = vec![ESC, kind];
    let ts = mlat.to_be_bytes();
    for &b in ts[2..].iter().chain(std::iter::once(&signal)).chain(data) {
        out.push(b);
        if b == ESC {
            out.push(ESC);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LONG: [u8; 14] =
        [0x8d, 0x40, 0x62, 0x1d, 0x58, 0xc3, 0x82, 0xd6, 0x90, 0xc8, 0xac, 0x28, 0x63, 0xa7];

    #[test]
    fn frames_split_anywhere_and_escapes() {
        let mut bytes = encode(&LONG, 0x1a1a_0000_1a1a, 0x1a);
        bytes.extend(encode(&LONG[..7], 5, 200));
        bytes.extend([0x1a, b'1', 0, 0, 0, 0, 0, 9, 50, 0x12, 0x34]);
        for split in 0..bytes.len() {
            let (f, out) = crate::frame::framed_in_two::<BeastFramer>(&bytes, split);
            assert_eq!(out.len(), 3, "split at {split}");
            let Frame::ModeS(m) = out[0] else { panic!() };
            assert_eq!((m.data(), m.mlat, m.signal), (&LONG[..], Some(0x1a1a_0000_1a1a), Some(0x1a)));
            let Frame::ModeS(m) = out[1] else { panic!() };
            assert_eq!((m.data().len(), m.df()), (7, 17));
            assert_eq!(out[2], Frame::ModeAc { code: [0x12, 0x34], mlat: 9, signal: 50 });
            assert_eq!(f.stats().frames, 3);
            assert_eq!(f.stats().rejections().iter().map(|r| r.1).sum::<u64>(), 0);
        }
    }

    #[test]
    fn rejections_are_counted_and_framing_resumes() {
        let mut f = BeastFramer::new();
        let mut bytes = b"hello".to_vec();
        bytes.extend([0x1a, b'4', 1, 2, 3]); // unknown type, skipped
        bytes.extend(&encode(&LONG, 1, 2)[..10]); // cut short by the next frame
        bytes.extend(encode(&LONG, 3, 4));
        let out = f.frames(&bytes);
        assert_eq!(out.len(), 1);
        assert_eq!(*f.stats(), BeastStats { frames: 1, garbage: 1, unknown_type: 1, broken_escape: 1 });
    }
}
