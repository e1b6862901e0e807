//! What the server commands print: aligned tables and short lines for
//! people, or with `--json` the server's JSON as it came (one document per
//! line, for scripts and `jq`); and progress bars on stderr for long work.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// The `--json` flag of every command that prints what a server answered.
#[derive(Debug, Clone, Copy, Args)]
pub struct Format {
    /// Print the server's JSON as it came (one document per line) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Format {
    /// Prints `body` as JSON, or calls `human` to print it for people.
    pub fn print(self, body: &Value, human: impl FnOnce(&Value)) {
        if self.json {
            println!("{body}");
        } else {
            human(body);
        }
    }
}

/// A table whose columns are as wide as their widest cell.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text: a header line, then one line per row; `empty`
    /// alone when there are no rows.
    pub fn render(&self, empty: &str) -> String {
        if self.rows.is_empty() {
            return format!("{empty}\n");
        }
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(cell);
                } else {
                    let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(cell.chars().count());
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(&self.header);
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }

    /// Prints [`Table::render`].
    pub fn print(&self, empty: &str) {
        print!("{}", self.render(empty));
    }
}

/// A string field, or `-` when absent or null.
pub fn field(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An RFC 3339 time field to the second (`2026-12-02T01:00:00Z`), or `-`.
pub fn time(v: &Value, key: &str) -> String {
    match v[key].as_str() {
        Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(d) => d.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Err(_) => t.to_owned(),
        },
        None => "-".to_owned(),
    }
}

/// A list of strings joined with commas.
pub fn list(v: &Value, key: &str) -> String {
    let items: Vec<&str> = v[key].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if items.is_empty() { "-".to_owned() } else { items.join(",") }
}

/// At most `n` characters of `s` on one line, `…` when cut.
pub fn short(s: &str, n: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        one_line.chars().take(n.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// A progress bar of `n` steps on stderr, labelled `what` (hidden when
/// stderr is not a terminal).
pub fn progress(n: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}") {
        pb.set_style(style);
    }
    pb.set_message(what.to_owned());
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns_and_say_when_empty() {
        let mut t = Table::new(&["ID", "NAME", "STATE"]);
        t.row(vec!["a".into(), "Alpha–Bravo".into(), "active".into()]);
        t.row(vec!["long-id".into(), "x".into(), "dead".into()]);
        assert_eq!(
            t.render("no lines"),
            "ID       NAME         STATE\na        Alpha–Bravo  active\nlong-id  x            dead\n"
        );
        assert_eq!(Table::new(&["ID"]).render("no lines"), "no lines\n");
    }

    #[test]
    fn fields_times_and_short_text() {
        let v = serde_json::json!({ "t": "2026-12-02T01:00:00.123456Z", "n": null, "k": 3, "l": ["a", "b"] });
        assert_eq!(time(&v, "t"), "2026-12-02T01:00:00Z");
        assert_eq!((field(&v, "n"), field(&v, "k"), field(&v, "x")), ("-".into(), "3".into(), "-".into()));
        assert_eq!(list(&v, "l"), "a,b");
        assert_eq!(short("one\ntwo three", 8), "one two…");
    }
}
