//! The owner-side record of a filed blind operation, `blind-ops/{id}.json`
//! in the party's data directory (0600): the policy its tokens were made
//! under, which of its tokens stands for which place, and the volumes it was
//! filed with. Only the party's own binary reads it (`blind matches` decodes
//! a match with it, `blind map` draws the operation and its matched cells).

use std::collections::BTreeMap;

use audit::hex::encode as hex;
use blind::{BlindOperation, LinePolicy, Place, PolicyParams};
use serde::{Deserialize, Serialize};
use server::dto::Volume4dDto;

use crate::blind_cmd::{OPS_DIR, write_private};
use crate::paths::DataDirArg;

/// What the owner keeps of one of its blind operations.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    policy: PolicyParams,
    /// Token (hex) → place as `[cell, slot, band]`.
    places: BTreeMap<String, [i64; 3]>,
    /// The volumes as filed (F3548 wire form); empty in records written
    /// before they were kept.
    #[serde(default)]
    volumes: Vec<Volume4dDto>,
}

impl Record {
    /// The record of `op`, made under `policy` from `volumes`.
    pub fn new(policy: &LinePolicy, op: &BlindOperation, volumes: &[geom::Volume4D]) -> Self {
        let places = op
            .tokens()
            .iter()
            // H3 indexes use 64 bits but never the top one, so they fit an i64.
            .filter_map(|t| op.decode(t).map(|p| (hex(&t.0), [p.cell as i64, p.slot, p.band])))
            .collect();
        Record {
            policy: policy.params(),
            places,
            volumes: volumes.iter().map(Volume4dDto::from_volume).collect(),
        }
    }

    /// Writes it as the record of operation `id` (replacing an earlier one).
    ///
    /// # Errors
    /// When the folder or file cannot be written.
    pub fn save(&self, data: &DataDirArg, id: &str) -> anyhow::Result<()> {
        let dir = data.resolve().file(OPS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        write_private(&dir.join(format!("{id}.json")), &serde_json::to_string(self)?, true)
    }

    /// The record of operation `id`, if this data directory has a readable one.
    pub fn load(data: &DataDirArg, id: &str) -> Option<Self> {
        // An id from the service names a file here only if it is a plain name.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return None;
        }
        let text = std::fs::read_to_string(data.resolve().file(OPS_DIR).join(format!("{id}.json"))).ok()?;
        let record: Record = serde_json::from_str(&text).ok()?;
        LinePolicy::new(record.policy).ok()?;
        Some(record)
    }

    /// The policy its tokens were made under.
    pub fn policy(&self) -> LinePolicy {
        // Checked when loaded, and written from a valid policy.
        LinePolicy::new(self.policy).unwrap_or_default()
    }

    /// The place `token` (hex) stands for, if it is one of the real tokens.
    pub fn place(&self, token: &str) -> Option<Place> {
        self.places.get(token).map(|&[cell, slot, band]| Place { cell: cell as u64, slot, band })
    }

    /// The volumes it was filed with.
    pub fn volumes(&self) -> &[Volume4dDto] {
        &self.volumes
    }
}
