//! `deconflict`: the command-line tool. Thin: it parses flags, then calls the
//! library crates (server, engine, tactical) or talks HTTP to a running server.

mod alert_cmd;
mod audit_cmd;
mod backup_cmd;
mod bench;
mod bench_load;
mod blind_cmd;
mod blind_pins;
mod check_cmd;
mod cli_values;
mod client;
mod demo;
mod demo_blind;
mod demo_picture;
mod docs_cmd;
mod events_cmd;
mod geojson_intent;
mod intent_change;
mod intent_cmd;
mod line_cmd;
mod message_cmd;
mod notice_cmd;
mod output;
mod party_cmd;
mod paths;
mod serve;
mod settings;
mod sse;
mod store;
mod tactical_cmd;
mod token;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

/// The commit the binary was built from (see `build.rs`).
const BUILD_COMMIT: &str = env!("DECONF_BUILD_COMMIT");
/// The version with the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("DECONF_BUILD_COMMIT"), ")");

/// Airspace deconfliction between parties that do not trust each other.
#[derive(Debug, Parser)]
#[command(name = "deconflict", version = VERSION, about)]
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
    /// File, list, update, activate and delete operational intents on a running server.
    Intent {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: intent_cmd::IntentCmd,
    },
    /// The parties (command posts, USSs) registered on a running server.
    Party {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: party_cmd::PartyCmd,
    },
    /// Lines between parties: set up, list, suspend, resume, heartbeat.
    Line {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: line_cmd::LineCmd,
    },
    /// The hotline: send messages, read the inbox, acknowledge naming the officer.
    Message {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: message_cmd::MessageCmd,
    },
    /// Advance notice of operations: list and acknowledge.
    Notice {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: notice_cmd::NoticeCmd,
    },
    /// Blind operations: keys, filing (tokens computed locally), matches decoded locally.
    Blind {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(flatten)]
        data: blind_cmd::BlindData,
        #[command(subcommand)]
        cmd: blind_cmd::BlindCmd,
    },
    /// Communication checks of a line: list, run an exercise.
    Check {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: check_cmd::CheckCmd,
    },
    /// Tactical alerts: list the active ones, follow their changes.
    Alert {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: alert_cmd::AlertCmd,
    },
    /// The caller's live event stream (every change it is a party to).
    Events {
        #[command(flatten)]
        conn: client::Conn,
        #[command(flatten)]
        format: output::Format,
        #[command(subcommand)]
        cmd: events_cmd::EventsCmd,
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
    /// Tactical (live traffic) tools: offline conflict scan, traffic generator, replay of recordings.
    Tactical {
        #[command(subcommand)]
        cmd: tactical_cmd::TacticalCmd,
    },
    /// Copy the embedded store and its keys, consistently, while the server runs.
    Backup(backup_cmd::BackupArgs),
    /// Restore a backup into an empty data directory.
    Restore(backup_cmd::RestoreArgs),
    /// Print a shell completion script (e.g. `deconflict completions bash > /etc/bash_completion.d/deconflict`).
    Completions(docs_cmd::CompletionsArgs),
    /// Print the man page (roff), e.g. `deconflict man | man -l -`.
    Man,
}

/// The command line's definition, with negative numbers read as values
/// everywhere (so `--ttl-s -1` is refused as negative, not as an unknown flag).
fn command() -> clap::Command {
    fn negatives(cmd: clap::Command) -> clap::Command {
        cmd.allow_negative_numbers(true).mut_subcommands(negatives)
    }
    negatives(Cli::command())
}

/// Parses the command line, then, for `serve --config FILE`, parses it again
/// with the file's settings appended (see [`settings`]).
fn parse(argv: Vec<OsString>) -> anyhow::Result<Cli> {
    let matches = command().get_matches_from(argv.clone());
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.exit())?;
    let (Command::Serve(serve), Some(("serve", serve_matches))) = (&cli.cmd, matches.subcommand()) else {
        return Ok(cli);
    };
    let Some(file) = &serve.config else { return Ok(cli) };
    let cmd = command();
    let serve_cmd = cmd.find_subcommand("serve").ok_or_else(|| anyhow::anyhow!("no serve command"))?;
    let extra = settings::file_args(file, serve_cmd, serve_matches)?;
    let argv = argv.into_iter().chain(extra);
    command().try_get_matches_from(argv).and_then(|m| Cli::from_arg_matches(&m)).map_err(|e| {
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned();
        anyhow::anyhow!("config file {}: {first}", file.display())
    })
}

fn main() -> ExitCode {
    let outcome = parse(std::env::args_os().collect()).and_then(run);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line with its causes, never a backtrace: these are the
            // user's errors (a bad flag, a missing file, a refused request).
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Token(args) => token::run(args),
        Command::Intent { conn, format, cmd } => intent_cmd::run(&conn, format, cmd),
        Command::Party { conn, format, cmd } => party_cmd::run(&conn, format, cmd),
        Command::Line { conn, format, cmd } => line_cmd::run(&conn, format, cmd),
        Command::Message { conn, format, cmd } => message_cmd::run(&conn, format, cmd),
        Command::Notice { conn, format, cmd } => notice_cmd::run(&conn, format, cmd),
        Command::Check { conn, format, cmd } => check_cmd::run(&conn, format, cmd),
        Command::Blind { conn, format, data, cmd } => blind_cmd::run(&conn, &data, format, cmd),
        Command::Alert { conn, format, cmd } => alert_cmd::run(&conn, format, cmd),
        Command::Events { conn, format, cmd } => events_cmd::run(&conn, format, cmd),
        Command::Audit { cmd } => audit_cmd::run(cmd),
        Command::Bench { cmd } => bench::run(cmd),
        Command::Tactical { cmd } => tactical_cmd::run(cmd),
        Command::Backup(args) => backup_cmd::backup(&args),
        Command::Restore(args) => backup_cmd::restore(&args),
        Command::Completions(args) => docs_cmd::completions(&args, command()),
        Command::Man => docs_cmd::man(command()),
    }
}
