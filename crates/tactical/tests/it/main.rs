//! Integration tests of the `tactical` crate.
#![allow(clippy::unwrap_used)]

mod common;
mod detect;
mod pipeline;
mod prop;
