//! `deconflict`: the command-line tool. Thin: it parses flags, then calls the
//! library crates (server, engine, tactical) or talks HTTP to a running server.

mod audit_cmd;
mod bench;
mod client;
mod demo;
mod geojson_intent;
mod intent_cmd;
mod serve;
mod store;
mod tactical_cmd;
mod token;

use clap::{Parser, Subcommand};

/// Airspace deconfliction between parties that do not trust each other.
#[derive(Debug, Parser)]
#[command(name = "deconflict", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing buys nothing
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Start a server on the embedded store and play a scripted scenario.
    Demo(demo::DemoArgs),
    /// Print a token signed with the local development key (development only).
    Token(token::TokenArgs),
    /// File, list and delete operational intents on a running server.
    Intent {
        #[command(subcommand)]
        cmd: intent_cmd::IntentCmd,
    },
    /// Verify the audit log offline.
    Audit {
        #[command(subcommand)]
        cmd: audit_cmd::AuditCmd,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        cmd: bench::BenchCmd,
    },
    /// Tactical (live traffic) tools: offline conflict scan and traffic generator.
    Tactical {
        #[command(subcommand)]
        cmd: tactical_cmd::TacticalCmd,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Token(args) => token::run(args),
        Command::Intent { cmd } => intent_cmd::run(cmd),
        Command::Audit { cmd } => audit_cmd::run(cmd),
        Command::Bench { cmd } => bench::run(cmd),
        Command::Tactical { cmd } => tactical_cmd::run(cmd),
    }
}
