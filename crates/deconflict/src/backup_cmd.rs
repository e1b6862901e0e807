//! `deconflict backup DIR` and `deconflict restore DIR`: a consistent online
//! copy of the embedded store with the keys beside it, and its restoration
//! into a data directory. PostgreSQL is backed up with its own tools
//! (`pg_dump`; README, "Backup and restore").

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use crate::paths::{AUDIT_KEY_FILE, DEV_KEY_FILE, DataDirArg, STORE_FILE};
use crate::store::StoreSpec;

/// Flags of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A new directory to write the backup to (it must not exist).
    pub dest: PathBuf,
    #[command(flatten)]
    pub data: DataDirArg,
    /// The store, when not the data directory's (`sqlite:PATH` only).
    #[arg(long, env = "DECONF_STORE")]
    pub store: Option<StoreSpec>,
    /// The audit key, when not the data directory's.
    #[arg(long, env = "DECONF_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,
    /// The development key, when not the data directory's (copied if present).
    #[arg(long, env = "DECONF_DEV_KEY")]
    pub dev_key: Option<PathBuf>,
}

/// Flags of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A directory written by `deconflict backup`.
    pub source: PathBuf,
    /// The data directory to restore into; it must hold no store yet.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// Creates `dir` (owner-only on Unix); it must not exist.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {} (a backup goes to a new directory)", dir.display()))
}

/// Copies a key file, owner-only.
fn copy_key(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    #[cfg(unix)]
    std::fs::set_permissions(to, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("restricting {}", to.display()))?;
    Ok(())
}

/// Runs `backup`.
pub fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let data = args.data.resolve();
    let db = match &args.store {
        None => data.file(STORE_FILE),
        Some(StoreSpec::Sqlite(path)) => path.clone(),
        Some(StoreSpec::Postgres(_)) => {
            bail!("a PostgreSQL store is backed up with pg_dump (see the README, \"Backup and restore\")")
        }
        Some(StoreSpec::Memory) => bail!("a memory store has nothing to back up"),
    };
    let audit_key = args.audit_key.clone().unwrap_or_else(|| data.file(AUDIT_KEY_FILE));
    if !audit_key.is_file() {
        bail!(
            "no audit key at {}: without it the restored log cannot be verified; give --audit-key",
            audit_key.display()
        );
    }
    create_private_dir(&args.dest)?;
    store_sqlite::backup_to(&db, &args.dest.join(STORE_FILE))
        .map_err(|e| anyhow::anyhow!("backing up {}: {e}", db.display()))?;
    copy_key(&audit_key, &args.dest.join(AUDIT_KEY_FILE))?;
    let dev_key = args.dev_key.clone().unwrap_or_else(|| data.file(DEV_KEY_FILE));
    let with_dev = dev_key.is_file();
    if with_dev {
        copy_key(&dev_key, &args.dest.join(DEV_KEY_FILE))?;
    }
    println!(
        "backed up {} and the audit key{} to {}",
        db.display(),
        if with_dev { " and the development key" } else { "" },
        args.dest.display()
    );
    Ok(())
}

/// Runs `restore`.
pub fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let data = args.data.resolve();
    let source_db = args.source.join(STORE_FILE);
    if !source_db.is_file() {
        bail!("{} holds no {STORE_FILE}: not a deconflict backup", args.source.display());
    }
    let target = data.file(STORE_FILE);
    if target.exists() {
        bail!(
            "{} already holds a store ({}); restore into an empty data directory (--data-dir)",
            data.path().display(),
            target.display()
        );
    }
    data.create()?;
    for key in [AUDIT_KEY_FILE, DEV_KEY_FILE] {
        let (from, to) = (args.source.join(key), data.file(key));
        if from.is_file() {
            if to.exists() {
                bail!("{} already exists; restore into an empty data directory", to.display());
            }
            copy_key(&from, &to)?;
        }
    }
    std::fs::copy(&source_db, &target).with_context(|| format!("copying {}", source_db.display()))?;
    // Opening checks the file and applies any migration this version needs.
    store_sqlite::SqliteStore::open(&target)
        .map_err(|e| anyhow::anyhow!("the restored store {}: {e}", target.display()))?;
    println!(
        "restored into {}; start it with: deconflict serve --data-dir {}",
        data.path().display(),
        data.path().display()
    );
    Ok(())
}
