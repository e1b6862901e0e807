//! The live service with its runtime: every input from real recorded bytes
//! (or, where no recording of that format can be shipped, the real flight's
//! reference values encoded in it) reaching the picture, client sources
//! against a fake receiver that drops them, and replays.
#![allow(clippy::unwrap_used)]

mod common;
mod inputs;
mod replay;
