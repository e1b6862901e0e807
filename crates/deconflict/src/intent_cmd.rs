//! `deconflict intent file|list|export|update|activate|delete`: the caller's
//! operational intents on a running server (F3548 endpoints; the native
//! `/v1/operations` for the volumes of one's own). Changes by id go through
//! [`crate::intent_change`].

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::client::{Client, Conn, block_on};
use crate::geojson_intent::{self, IntentSpec};
use crate::intent_change::{self, Current};
use crate::output::{Format, Table, field};

/// F3548 states an intent may be put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum State {
    Accepted,
    Activated,
    Nonconforming,
    Contingent,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Accepted => "Accepted",
            State::Activated => "Activated",
            State::Nonconforming => "Nonconforming",
            State::Contingent => "Contingent",
        }
    }
}

/// The `intent` subcommands.
#[derive(Debug, Subcommand)]
pub enum IntentCmd {
    /// File every intent in a GeoJSON file (see the README for the properties).
    File {
        /// The GeoJSON file.
        file: PathBuf,
        /// Base URL where others fetch the details.
        #[arg(long, default_value = "https://uss.example")]
        uss_base_url: String,
        /// OVNs of entities already seen (repeatable). An OVN may begin with `-`.
        #[arg(long = "key", allow_hyphen_values = true)]
        key: Vec<String>,
        /// Re-filing: an intent refused because it overlaps one of the
        /// caller's own (a 409 naming it) changes that one in place, with
        /// its current OVN, instead of filing a second one.
        #[arg(long)]
        update: bool,
    },
    /// List intents around a point.
    List {
        #[command(flatten)]
        around: Around,
        /// Only intents still going on at or after this time (RFC 3339).
        #[arg(long, value_parser = rfc3339)]
        from: Option<String>,
        /// Only intents starting before this time (RFC 3339).
        #[arg(long, value_parser = rfc3339)]
        to: Option<String>,
        /// Only intents in this state (repeatable).
        #[arg(long, value_enum)]
        state: Vec<State>,
        /// Only the caller's own intents.
        #[arg(long)]
        mine: bool,
    },
    /// Write what this party sees around a point as GeoJSON (the format `file`
    /// reads): its own operations in full, others' parts in its airspace.
    Export {
        #[command(flatten)]
        around: Around,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Change one of the caller's intents in place, with its current OVN
    /// (fetched): new volumes from a GeoJSON file, or a new state.
    Update {
        #[command(flatten)]
        change: Change,
        /// A GeoJSON file with the new volumes (default: keep them).
        file: Option<PathBuf>,
        /// Which intent of the file (its `intent` property), when it holds several.
        #[arg(long)]
        intent: Option<String>,
        /// The new state (default: keep it).
        #[arg(long, value_enum)]
        state: Option<State>,
    },
    /// Put one of the caller's intents in the Activated state (the operation is flying).
    Activate {
        #[command(flatten)]
        change: Change,
    },
    /// Delete an intent, which is how an operation ends in F3548.
    #[command(visible_alias = "end")]
    Delete {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its current OVN (default: fetched from the server).
        #[arg(long, allow_hyphen_values = true)]
        ovn: Option<String>,
    },
}

/// Which intent to change, and the keys to show.
#[derive(Debug, clap::Args)]
pub struct Change {
    /// The intent's id (as `intent file` printed it).
    #[arg(long)]
    id: String,
    /// OVNs of others' entities the new version intersects (repeatable).
    #[arg(long = "key", allow_hyphen_values = true)]
    key: Vec<String>,
}

fn rfc3339(s: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|_| s.to_owned())
        .map_err(|e| format!("`{s}`: {e} (write an RFC 3339 time, e.g. 2030-01-01T08:00:00Z)"))
}

fn read_specs(file: &Path) -> anyhow::Result<Vec<IntentSpec>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    geojson_intent::parse(&text).with_context(|| file.display().to_string())
}

/// Files every intent of `file`, one request each, with a progress bar;
/// prints one line (or with `--json` the server's answer) per intent.
async fn file(
    conn: &Conn,
    format: Format,
    file: &Path,
    uss_base_url: &str,
    key: &[String],
    update: bool,
) -> anyhow::Result<()> {
    let specs = read_specs(file)?;
    let client = conn.client()?;
    let pb = if specs.len() > 1 {
        crate::output::progress(specs.len(), "filing")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut failed = 0;
    for spec in specs {
        let id = uuid::Uuid::new_v4().to_string();
        let body = json!({
            "extents": spec.extents, "key": key, "state": "Accepted",
            "uss_base_url": uss_base_url,
            "new_subscription": { "uss_base_url": uss_base_url, "notify_for_constraints": false },
        });
        let mut reply = client.put_intent(&id, None, &body).await?;
        let mut verb = "filed";
        if update && reply.status == reqwest::StatusCode::CONFLICT {
            let own = intent_change::own_missing(&reply);
            match own.as_slice() {
                [current] => {
                    reply =
                        intent_change::update(&client, current, &spec.extents, &current.state, key).await?;
                    verb = "updated";
                }
                [] => {}
                several => {
                    let ids: Vec<&str> = several.iter().map(|c| c.id.as_str()).collect();
                    pb.suspend(|| {
                        eprintln!(
                            "{}: not updated, it overlaps {} of your intents ({}); change one with \
                             `deconflict intent update --id ID FILE`",
                            spec.name,
                            ids.len(),
                            ids.join(", ")
                        );
                    });
                }
            }
        }
        let accepted = reply.status.is_success();
        failed += usize::from(!accepted);
        pb.suspend(|| {
            format.print(&reply.body, |_| {
                if accepted {
                    intent_change::print_accepted(&spec.name, verb, &reply);
                } else {
                    intent_change::print_refused(&spec.name, &reply);
                }
            });
        });
        pb.inc(1);
    }
    pb.finish_and_clear();
    if failed > 0 {
        bail!("{failed} intent(s) refused");
    }
    Ok(())
}

/// The extents of the one intent in `file` (or the one named `intent`).
fn extents_of(file: &Path, intent: Option<&str>) -> anyhow::Result<Vec<Value>> {
    let specs = read_specs(file)?;
    let names = || specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    let chosen = match intent {
        Some(n) => specs
            .iter()
            .find(|s| s.name == n)
            .with_context(|| format!("{}: no intent {n:?} (it holds {})", file.display(), names()))?,
        None => match specs.as_slice() {
            [one] => one,
            _ => bail!(
                "{} holds {} intents ({}): choose one with --intent NAME",
                file.display(),
                specs.len(),
                names()
            ),
        },
    };
    Ok(chosen.extents.clone())
}

/// Changes `change.id` in place: these extents (or the current ones) and
/// state (or the current one).
async fn change(
    client: &Client,
    format: Format,
    change: &Change,
    extents: Option<Vec<Value>>,
    state: Option<State>,
) -> anyhow::Result<()> {
    let current = Current::fetch(client, &change.id).await?;
    let extents = match extents {
        Some(e) => e,
        None => intent_change::volumes(client, &change.id).await?,
    };
    let state = state.map_or_else(|| current.state.clone(), |s| s.as_str().to_owned());
    let reply = intent_change::update(client, &current, &extents, &state, &change.key).await?;
    if !reply.status.is_success() {
        intent_change::print_refused(&change.id, &reply);
        bail!("update of {} refused", change.id);
    }
    format.print(&reply.body, |_| intent_change::print_accepted(&change.id, "updated", &reply));
    Ok(())
}

/// The circle `intent list` and `intent export` look at.
#[derive(Args, Debug, Clone, Copy)]
pub struct Around {
    /// Latitude, degrees.
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    /// Longitude, degrees.
    #[arg(long, allow_hyphen_values = true)]
    lng: f64,
    /// Radius in metres (the server refuses areas over its limit, 2,500 km² by default).
    #[arg(long, default_value_t = 10_000.0)]
    radius_m: f64,
}

impl Around {
    /// The F3548 volume of the circle, for a query's `area`.
    fn area(self) -> Value {
        json!({ "volume": { "outline_circle": {
            "center": { "lat": self.lat, "lng": self.lng }, "radius": { "value": self.radius_m, "units": "M" } } } })
    }
}

/// Lists the intents over a circle, filtered.
async fn list(conn: &Conn, format: Format, args: &ListArgs<'_>) -> anyhow::Result<()> {
    let mut area = args.around.area();
    if let Some(t) = args.from {
        area["time_start"] = json!({ "value": t, "format": "RFC3339" });
    }
    if let Some(t) = args.to {
        area["time_end"] = json!({ "value": t, "format": "RFC3339" });
    }
    let mut body = conn.client()?.query_intents(&area).await?.ok("listing intents")?;
    if let Some(all) = body["operational_intent_references"].as_array_mut() {
        all.retain(|r| {
            let state_ok = args.states.is_empty() || args.states.iter().any(|s| r["state"] == s.as_str());
            state_ok && (!args.mine || Current::from_ref(r).is_some())
        });
    }
    format.print(&body, |b| {
        let mut t = Table::new(&["ID", "MANAGER", "STATE", "START", "END", "OVN"]);
        for r in b["operational_intent_references"].as_array().into_iter().flatten() {
            t.row(vec![
                field(r, "id"),
                field(r, "manager"),
                field(r, "state"),
                crate::output::time(&r["time_start"], "value"),
                crate::output::time(&r["time_end"], "value"),
                field(r, "ovn"),
            ]);
        }
        t.print("no intents");
    });
    Ok(())
}

/// Writes what the caller sees over a circle as GeoJSON, to `out` or standard output.
async fn export(conn: &Conn, around: Around, out: Option<&Path>) -> anyhow::Result<()> {
    let area = around.area();
    let body = conn
        .client()?
        .post("/v1/operations/query", &json!({ "area": area }))
        .await?
        .ok("exporting what this party sees")?;
    let text = serde_json::to_string_pretty(&geojson_intent::export(&body))?;
    match out {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            let n = body["operations"].as_array().map_or(0, Vec::len);
            eprintln!("wrote {n} operation(s) to {}", path.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

/// The filters of `intent list`.
struct ListArgs<'a> {
    around: Around,
    from: Option<&'a str>,
    to: Option<&'a str>,
    states: &'a [State],
    mine: bool,
}

/// Runs an `intent` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: IntentCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            IntentCmd::File { file: path, uss_base_url, key, update } => {
                file(conn, format, &path, &uss_base_url, &key, update).await
            }
            IntentCmd::List { around, from, to, state, mine } => {
                let args =
                    ListArgs { around, from: from.as_deref(), to: to.as_deref(), states: &state, mine };
                list(conn, format, &args).await
            }
            IntentCmd::Export { around, out } => export(conn, around, out.as_deref()).await,
            IntentCmd::Update { change: c, file, intent, state } => {
                let extents = file.map(|f| extents_of(&f, intent.as_deref())).transpose()?;
                change(&conn.client()?, format, &c, extents, state).await
            }
            IntentCmd::Activate { change: c } => {
                change(&conn.client()?, format, &c, None, Some(State::Activated)).await
            }
            IntentCmd::Delete { id, ovn } => {
                let client = conn.client()?;
                let ovn = match ovn {
                    Some(o) => o,
                    None => Current::fetch(&client, &id).await?.ovn,
                };
                let body = client.delete_intent(&id, &ovn).await?.ok(&format!("deleting intent {id}"))?;
                format.print(&body, |_| println!("deleted {id}"));
                Ok(())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::IntentCmd;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: IntentCmd,
    }

    #[test]
    fn an_ovn_that_begins_with_a_dash_is_a_value_not_a_flag() {
        let parsed = Wrap::try_parse_from(["x", "delete", "--id", "id-1", "--ovn", "-96F6Bdj"]);
        match parsed.map(|w| w.cmd) {
            Ok(IntentCmd::Delete { id, ovn, .. }) => {
                assert_eq!((id.as_str(), ovn.as_deref()), ("id-1", Some("-96F6Bdj")))
            }
            other => panic!("expected a delete, got {other:?}"),
        }
        let parsed = Wrap::try_parse_from(["x", "file", "--key", "-abc", "f.geojson"]);
        match parsed.map(|w| w.cmd) {
            Ok(IntentCmd::File { key, .. }) => assert_eq!(key, vec!["-abc".to_owned()]),
            other => panic!("expected a file, got {other:?}"),
        }
        assert!(Wrap::try_parse_from(["x", "end", "--id", "i"]).is_ok(), "end is delete");
    }
}
