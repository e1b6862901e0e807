//! Other parties' blind public keys as this party first saw them (trust on
//! first use), kept in the data directory. The service relays public keys;
//! a service that swapped one for a key of its own could open the line key
//! sealed to it, or hand a member a line key of its own making. So a key is
//! pinned the first time it is used, with its fingerprint printed to check
//! with its owner out of band, and a key that differs from its pin is
//! refused until the user trusts the new one (`deconflict blind trust`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blind::keys::PartyPublicKey;
use serde::{Deserialize, Serialize};

use crate::paths::DataDirArg;

/// The pins' file name in the data directory.
pub const PINS_FILE: &str = "blind-pins.json";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinsFile {
    /// Party → its pinned X25519 public key, base64.
    keys: BTreeMap<String, String>,
}

/// The pinned keys, read from and written back to the data directory.
#[derive(Debug)]
pub struct Pins {
    path: PathBuf,
    keys: BTreeMap<String, PartyPublicKey>,
}

impl Pins {
    /// The pins in `data` (none yet when the file does not exist).
    ///
    /// # Errors
    /// A damaged file, named.
    pub fn open(data: &DataDirArg) -> anyhow::Result<Self> {
        let path = data.resolve().file(PINS_FILE);
        let file: PinsFile = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{}: not a file of pinned blind keys", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PinsFile::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut keys = BTreeMap::new();
        for (party, k) in file.keys {
            let bytes = B64.decode(&k).ok();
            let key = bytes.and_then(|b| PartyPublicKey::from_bytes(&b).ok());
            let Some(key) = key else { bail!("{}: the key pinned for {party} is damaged", path.display()) };
            keys.insert(party, key);
        }
        Ok(Pins { path, keys })
    }

    fn save(&self) -> anyhow::Result<()> {
        let file =
            PinsFile { keys: self.keys.iter().map(|(p, k)| (p.clone(), B64.encode(k.as_bytes()))).collect() };
        crate::blind_cmd::write_private(&self.path, &serde_json::to_string_pretty(&file)?, true)
    }

    /// `key`, which the service publishes for `party` on `line`, if it is
    /// the pinned one; pinned (and its fingerprint printed) when `party` has
    /// no pin yet.
    ///
    /// # Errors
    /// A key other than the pinned one, with what to do about it.
    pub fn check(&mut self, party: &str, key: PartyPublicKey, line: &str) -> anyhow::Result<PartyPublicKey> {
        match self.keys.get(party) {
            Some(pinned) if *pinned == key => Ok(key),
            Some(pinned) => bail!(
                "{party}'s blind key on line {line} has fingerprint {}, but {} is pinned for {party} in {}: \
                 the service may be substituting keys. If {party} really made a new key, check its \
                 fingerprint with {party} out of band, then run `deconflict blind trust {party} {} --line {line}`",
                key.fingerprint(),
                pinned.fingerprint(),
                self.path.display(),
                key.fingerprint()
            ),
            None => {
                self.keys.insert(party.to_owned(), key);
                self.save()?;
                eprintln!(
                    "pinned {party}'s blind key {} (first seen on line {line}); check this fingerprint with {party} out of band",
                    key.fingerprint()
                );
                Ok(key)
            }
        }
    }

    /// Pins `key` for `party` after its fingerprint was checked with it,
    /// replacing any earlier pin.
    ///
    /// # Errors
    /// Writing the file.
    pub fn trust(&mut self, party: &str, key: PartyPublicKey) -> anyhow::Result<()> {
        self.keys.insert(party.to_owned(), key);
        self.save()
    }

    /// `(party, fingerprint)` of every pin.
    pub fn list(&self) -> Vec<(String, String)> {
        self.keys.iter().map(|(p, k)| (p.clone(), k.fingerprint())).collect()
    }
}
