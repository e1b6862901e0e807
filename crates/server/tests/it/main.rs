//! Server integration tests: each starts a real server on a loopback port and
//! talks HTTP to it.
#![allow(clippy::unwrap_used)]

mod audit;
mod auth;
mod bad_input;
mod common;
mod conformance;
mod connections;
mod dss;
mod exchange;
mod hotline;
mod metrics;
mod need_to_know;
mod openapi;
mod poles;
mod purge;
mod replicas;
mod restart;
mod retention;
mod strict_input;
mod tactical;
mod tls;
mod trust;
mod web;
