//! Frames as receivers deliver them: Mode S (56 or 112 bits) and Mode A/C
//! (the 2-byte reply), with the receiver's 48-bit timestamp and signal
//! level when the framing carries them.

/// One Mode S downlink frame: 7 bytes (short) or 14 bytes (long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeSFrame {
    bytes: [u8; 14],
    len: u8,
    /// Receiver timestamp (48 bits, 12 MHz counter for Beast), when sent.
    pub mlat: Option<u64>,
    /// Receiver signal level (Beast: one byte, `sqrt(power) * 255`), when sent.
    pub signal: Option<u8>,
}

impl ModeSFrame {
    /// A frame from 7 or 14 bytes; `None` for any other length.
    pub fn new(data: &[u8], mlat: Option<u64>, signal: Option<u8>) -> Option<Self> {
        if data.len() != 7 && data.len() != 14 {
            return None;
        }
        let mut bytes = [0u8; 14];
        bytes[..data.len()].copy_from_slice(data);
        Some(Self { bytes, len: data.len() as u8, mlat, signal })
    }

    /// The frame's bytes (7 or 14).
    pub fn data(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The downlink format (first 5 bits).
    pub fn df(&self) -> u8 {
        self.bytes[0] >> 3
    }
}

/// One frame of a receiver feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A Mode A/C reply (2 bytes, as Beast type `'1'` carries it).
    ModeAc {
        /// The 2 bytes.
        code: [u8; 2],
        /// Receiver timestamp.
        mlat: u64,
        /// Signal level.
        signal: u8,
    },
    /// A Mode S frame.
    ModeS(ModeSFrame),
}

/// A framer of a receiver's byte stream (Beast binary, raw hex): bytes in,
/// frames out, whatever the chunks the stream arrives in.
pub trait Framer {
    /// Consumes one byte, calling `emit` when it completes a frame.
    fn byte(&mut self, b: u8, emit: &mut impl FnMut(Frame));

    /// Consumes `chunk`, calling `emit` for every frame completed in it.
    fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(Frame)) {
        for &b in chunk {
            self.byte(b, &mut emit);
        }
    }

    /// Consumes `chunk` and returns the frames completed in it.
    fn frames(&mut self, chunk: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        self.push(chunk, |f| out.push(f));
        out
    }
}

/// A fresh framer fed `input` in two chunks split at `split`, and the frames
/// it completed (which must not depend on where the split falls).
#[cfg(test)]
pub(crate) fn framed_in_two<F: Framer + Default>(input: &[u8], split: usize) -> (F, Vec<Frame>) {
    let mut f = F::default();
    let mut out = f.frames(&input[..split]);
    out.extend(f.frames(&input[split..]));
    (f, out)
}
