//! `deconflict serve --config FILE`: a TOML file with exactly the settings of
//! the command-line flags, under the flags' long names (`listen = "..."`,
//! `request-timeout-s = 10`; `_` may stand for `-`).
//!
//! One definition serves all three sources: the clap flags. A setting of the
//! file becomes the flag it names, appended to the command line only when
//! neither the command line nor the environment gave that flag, so the
//! precedence is flag > environment > file > default and every value is
//! checked by the same parser whatever its source.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};

/// The flags `file` adds to a command line whose `cmd` matched `matches`.
///
/// # Errors
/// An unreadable file, bad TOML, a setting no flag has, or a value of the
/// wrong shape (a table, a list for a single-valued flag, a non-boolean for a
/// switch).
pub fn file_args(file: &Path, cmd: &Command, matches: &ArgMatches) -> anyhow::Result<Vec<OsString>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the config file {}", file.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("the config file {} is not valid TOML", file.display()))?;
    let mut out = Vec::new();
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(long.as_str())) else {
            bail!(
                "config file {}: no setting `{key}` (the settings are the long flags of `deconflict serve --help`)",
                file.display()
            );
        };
        if long == "config" {
            bail!("config file {}: `config` cannot be set in a config file", file.display());
        }
        let given = matches!(
            matches.value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if given {
            continue;
        }
        let flag = format!("--{long}");
        let shape = |what: &str| anyhow::anyhow!("config file {}: `{key}` {what}", file.display());
        match (arg.get_action(), value) {
            (ArgAction::SetTrue, toml::Value::Boolean(on)) => {
                if *on {
                    out.push(flag.into());
                }
            }
            (ArgAction::SetTrue, _) => return Err(shape("is a switch: write true or false")),
            (ArgAction::Append, toml::Value::Array(items)) => {
                for item in items {
                    out.push(
                        format!(
                            "{flag}={}",
                            scalar(item).ok_or_else(|| shape("takes a list of plain values"))?
                        )
                        .into(),
                    );
                }
            }
            (_, toml::Value::Array(_)) => return Err(shape("takes one value, not a list")),
            (_, v) => out.push(
                format!("{flag}={}", scalar(v).ok_or_else(|| shape("takes a plain value, not a table"))?)
                    .into(),
            ),
        }
    }
    Ok(out)
}

/// A TOML scalar as the text a flag would carry.
fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        toml::Value::Array(_) | toml::Value::Table(_) => None,
    }
}
