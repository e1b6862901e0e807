//! Server integration tests: each starts a real server on a loopback port and
//! talks HTTP to it.
#![allow(clippy::unwrap_used)]

mod auth;
mod bad_input;
mod common;
mod dss;
mod purge;
mod replicas;
mod restart;
