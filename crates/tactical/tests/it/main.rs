//! Integration tests of the `tactical` crate.
#![allow(clippy::unwrap_used)]

mod alerts;
mod common;
mod detect;
mod pipeline;
mod prop;
