//! Raw Mode S hex framing (dump1090/readsb port 30002), incremental over
//! byte chunks: `*` + 14 or 28 hex digits + `;`, or `@` + 12 hex digits of
//! receiver timestamp + the same + `;`. Line ends and spaces between frames
//! are ignored; a frame may be split across [`RawFramer::push`] calls.
//!
//! Nothing panics, whatever the bytes: rejections are counted per reason in
//! [`RawStats`], and framing resumes at the next `*` or `@`.

use crate::frame::{Frame, Framer, ModeSFrame};

/// Longest frame body: 12 timestamp digits + 28 message digits.
const MAX_DIGITS: usize = 40;

/// Counts of frames and of rejections by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawStats {
    /// Frames emitted.
    pub frames: u64,
    /// Runs of bytes outside any frame (other than spaces and line ends).
    pub garbage: u64,
    /// A frame with a character that is not a hex digit.
    pub bad_hex: u64,
    /// A frame whose message is not 14 or 28 hex digits.
    pub bad_length: u64,
}

impl RawStats {
    /// Rejections by reason, as metric labels.
    pub fn rejections(&self) -> [(&'static str, u64); 3] {
        [("garbage", self.garbage), ("bad_hex", self.bad_hex), ("bad_length", self.bad_length)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle {
        garbage: bool,
    },
    /// In a frame; `timed` for the `@` form.
    Frame {
        timed: bool,
    },
    /// After a rejected frame: skip to its end.
    Skip,
}

/// Incremental raw hex framer. Keeps at most one partial frame (40 digits).
#[derive(Debug, Clone)]
pub struct RawFramer {
    state: State,
    nibbles: [u8; MAX_DIGITS],
    got: usize,
    stats: RawStats,
}

impl Framer for RawFramer {
    #[inline]
    fn byte(&mut self, b: u8, emit: &mut impl FnMut(Frame)) {
        match self.state {
            State::Idle { garbage } => match b {
                b'*' | b'@' => self.open(b),
                b' ' | b'\t' | b'\r' | b'\n' => self.state = State::Idle { garbage: false },
                _ => {
                    if !garbage {
                        self.stats.garbage += 1;
                    }
                    self.state = State::Idle { garbage: true };
                }
            },
            State::Frame { timed } => match b {
                b';' => self.close(timed, emit),
                b'*' | b'@' => {
                    // A new frame before this one ended.
                    self.stats.bad_length += 1;
                    self.open(b);
                }
                b'\r' | b'\n' => {
                    self.stats.bad_length += 1;
                    self.state = State::Idle { garbage: false };
                }
                _ => match hex(b) {
                    Some(v) if self.got < MAX_DIGITS => {
                        self.nibbles[self.got] = v;
                        self.got += 1;
                    }
                    Some(_) => {
                        self.stats.bad_length += 1;
                        self.state = State::Skip;
                    }
                    None => {
                        self.stats.bad_hex += 1;
                        self.state = State::Skip;
                    }
                },
            },
            State::Skip => match b {
                b';' | b'\r' | b'\n' => self.state = State::Idle { garbage: false },
                b'*' | b'@' => self.open(b),
                _ => {}
            },
        }
    }
}

impl Default for RawFramer {
    fn default() -> Self {
        Self::new()
    }
}

/// The value of a hex digit (either case).
#[inline]
fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

impl RawFramer {
    /// A framer waiting for its first frame.
    pub fn new() -> Self {
        Self {
            state: State::Idle { garbage: false },
            nibbles: [0; MAX_DIGITS],
            got: 0,
            stats: RawStats::default(),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> &RawStats {
        &self.stats
    }

    fn open(&mut self, b: u8) {
        self.got = 0;
        self.state = State::Frame { timed: b == b'@' };
    }

    fn close(&mut self, timed: bool, emit: &mut impl FnMut(Frame)) {
        self.state = State::Idle { garbage: false };
        let digits = &self.nibbles[..self.got];
        let (mlat, msg) = if timed {
            if digits.len() < 12 {
                self.stats.bad_length += 1;
                return;
            }
            let t = digits[..12].iter().fold(0u64, |acc, &d| (acc << 4) | u64::from(d));
            (Some(t), &digits[12..])
        } else {
            (None, digits)
        };
        if msg.len() != 14 && msg.len() != 28 {
            self.stats.bad_length += 1;
            return;
        }
        let mut bytes = [0u8; 14];
        for (i, pair) in msg.chunks_exact(2).enumerate() {
            bytes[i] = (pair[0] << 4) | pair[1];
        }
        if let Some(f) = ModeSFrame::new(&bytes[..msg.len() / 2], mlat, None) {
            self.stats.frames += 1;
            emit(Frame::ModeS(f));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_split_anywhere() {
        let text = b"*8D40621D58C382D690C8AC2863A7;\r\n@0000012345678D40621D58C386435CC412692AD6;\n*5D4840D6FF5F8B;\n";
        for split in 0..text.len() {
            let (_, out) = crate::frame::framed_in_two::<RawFramer>(text, split);
            assert_eq!(out.len(), 3, "split at {split}");
            let Frame::ModeS(a) = out[0] else { panic!() };
            assert_eq!((a.data()[0], a.data().len(), a.mlat), (0x8d, 14, None));
            let Frame::ModeS(b) = out[1] else { panic!() };
            assert_eq!((b.data()[0], b.data()[13], b.mlat), (0x8d, 0xd6, Some(0x1234567)));
            let Frame::ModeS(c) = out[2] else { panic!() };
            assert_eq!(c.data().len(), 7);
        }
    }

    #[test]
    fn rejections_are_counted() {
        let mut f = RawFramer::new();
        let out = f.frames(b"garbage\n*8D40621D;\n*8D40621D58C382D690C8AC2863AZ;*8D40621D58C382D690C8AC2863A7;\n@12;\n*8D40621D58C382D690C8AC2863A7AAAAAAAAAAAAAAAA;");
        assert_eq!(out.len(), 1);
        assert_eq!(*f.stats(), RawStats { frames: 1, garbage: 1, bad_hex: 1, bad_length: 3 });
    }
}
