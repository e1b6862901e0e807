//! `deconflict completions SHELL` and `deconflict man`: generated from the
//! same clap definition the binary parses, so they never drift from it.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;
use clap_complete::Shell;

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(args: &CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "deconflict", &mut out);
    std::io::stdout().write_all(&out).context("writing the completions")
}

/// Writes the man page (roff) of the command and its subcommands to stdout.
pub fn man(cmd: clap::Command) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).context("rendering the man page")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let title = format!("deconflict-{}", sub.get_name());
        clap_mangen::Man::new(sub.clone())
            .title(title)
            .render(&mut out)
            .context("rendering a subcommand's man page")?;
    }
    std::io::stdout().write_all(&out).context("writing the man page")
}
