//! Integration tests of the `feeds` crate.
#![allow(clippy::unwrap_used)]

mod prop;
mod real;
