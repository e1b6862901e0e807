//! Where `deconflict` keeps its state: one data directory holding the
//! embedded store, the development key and the audit key, found the same way
//! by every command.
//!
//! The directory is `--data-dir` (or `DECONF_DATA_DIR`) when given, else the
//! platform's state directory (`$XDG_STATE_HOME/deconflict`, by default
//! `~/.local/state/deconflict` on Linux; the local data directory elsewhere),
//! else `./deconflict-data` when the platform has none. Being independent of
//! the working directory is the point: `deconflict token` run anywhere finds
//! the key the server trusts.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

/// The flag every command that reads or writes local state shares.
#[derive(Debug, Clone, Default, Args)]
pub struct DataDirArg {
    /// Directory for the store, the development key and the audit key
    /// (default: the platform's state directory, e.g. ~/.local/state/deconflict).
    #[arg(long, env = "DECONF_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// File names inside the data directory.
pub const STORE_FILE: &str = "deconflict.sqlite";
/// The development key's file name.
pub const DEV_KEY_FILE: &str = "dev-key.pem";
/// The audit key's file name.
pub const AUDIT_KEY_FILE: &str = "audit-key.pem";

/// A resolved data directory and how it was chosen (for error messages).
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
    chosen_by: &'static str,
}

impl DataDirArg {
    /// The data directory these flags name, or the default.
    pub fn resolve(&self) -> DataDir {
        match &self.data_dir {
            Some(path) => DataDir { path: path.clone(), chosen_by: "--data-dir / DECONF_DATA_DIR" },
            None => match dirs::state_dir().or_else(dirs::data_local_dir) {
                Some(base) => {
                    DataDir { path: base.join("deconflict"), chosen_by: "the default state directory" }
                }
                None => DataDir { path: PathBuf::from("deconflict-data"), chosen_by: "the default" },
            },
        }
    }
}

impl DataDir {
    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file in it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// How the directory was chosen, e.g. "--data-dir / DECONF_DATA_DIR".
    pub fn chosen_by(&self) -> &'static str {
        self.chosen_by
    }

    /// Creates the directory (owner-only on Unix) if it does not exist.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn create(&self) -> anyhow::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.path)
            .with_context(|| format!("creating the data directory {}", self.path.display()))
    }
}

/// The development key to use: `explicit` (`--dev-key`) if given, else the
/// one in the data directory. Fails, naming where it looked, when the file
/// does not exist: only `serve --dev` creates a key, so a token is never
/// signed with a key no server trusts.
///
/// # Errors
/// When there is no key file where it looked.
pub fn existing_dev_key(explicit: Option<&Path>, data: &DataDir) -> anyhow::Result<PathBuf> {
    let (path, how) = match explicit {
        Some(p) => (p.to_owned(), "--dev-key / DECONF_DEV_KEY".to_owned()),
        None => (data.file(DEV_KEY_FILE), format!("the data directory, from {}", data.chosen_by())),
    };
    if path.is_file() {
        return Ok(path);
    }
    anyhow::bail!(
        "no development key at {} ({how}); `deconflict serve --dev` creates it on its first start: \
         give this command the same --data-dir (or --dev-key) as the server",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_directory_wins_and_names_its_files() {
        let d = DataDirArg { data_dir: Some(PathBuf::from("/srv/dc")) }.resolve();
        assert_eq!(d.file(STORE_FILE), PathBuf::from("/srv/dc/deconflict.sqlite"));
        assert_eq!(d.chosen_by(), "--data-dir / DECONF_DATA_DIR");
    }

    #[test]
    fn a_missing_key_is_an_error_naming_where_it_looked_and_an_existing_one_is_used() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let data = DataDirArg { data_dir: Some(dir.path().to_owned()) }.resolve();
        let err = existing_dev_key(None, &data).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(&dir.path().join(DEV_KEY_FILE).display().to_string()), "{err}");
        assert!(err.contains("serve --dev"), "{err}");
        assert!(!dir.path().join(DEV_KEY_FILE).exists(), "looking must not create a key");
        std::fs::write(dir.path().join(DEV_KEY_FILE), "x").unwrap_or_else(|e| panic!("write: {e}"));
        assert_eq!(existing_dev_key(None, &data).ok(), Some(dir.path().join(DEV_KEY_FILE)));
        let other = dir.path().join("elsewhere.pem");
        let err = existing_dev_key(Some(&other), &data).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("--dev-key"), "{err}");
    }
}
