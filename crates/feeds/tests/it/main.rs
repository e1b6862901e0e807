//! Integration tests of the `feeds` crate.
#![allow(clippy::unwrap_used)]

mod asterix;
mod prop;
mod real;
