//! The owner-side record of a filed blind operation, `blind-ops/{id}.json`
//! in the party's data directory (0600): the policy its tokens were made
//! under, which of its tokens stands for which place, and the volumes it was
//! filed with. Only the party's own binary reads it (`blind matches` decodes
//! a match with it, `blind map` draws the operation and its matched cells).

use std::collections::BTreeMap;

use audit::hex::encode as hex;
use blind::{BlindOperation, LinePolicy, Place};
use serde::{Deserialize, Serialize};
use server::dto::Volume4dDto;

use crate::blind_cmd::{OPS_DIR, write_private};
use crate::paths::DataDirArg;

/// What the owner keeps of one of its blind operations.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    policy: LinePolicy,
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
        Record { policy: *policy, places, volumes: volumes.iter().map(Volume4dDto::from_volume).collect() }
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
        serde_json::from_str(&text).ok()
    }

    /// The policy its tokens were made under.
    pub fn policy(&self) -> LinePolicy {
        self.policy
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use blind::{Epoch, LineKey};
    use geom::{AltitudeRange, Circle, Footprint, LatLng, Time, TimeWindow, Volume4D};

    use super::*;

    fn volume() -> Volume4D {
        Volume4D::new(
            Footprint::Circle(Circle::new(LatLng::new(47.3769, 8.5417).unwrap(), 200.0).unwrap()),
            AltitudeRange::new(100.0, 200.0).unwrap(),
            TimeWindow::new(Time::from_micros(0), Time::from_micros(600_000_000)).unwrap(),
        )
    }

    #[test]
    fn a_record_keeps_the_places_and_volumes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDirArg { data_dir: Some(dir.path().to_owned()) };
        let policy = LinePolicy::default();
        let op =
            BlindOperation::new(&LineKey::new([7; 32]), Epoch(1), &policy, &[volume()], &mut rand::rng())
                .unwrap();
        Record::new(&policy, &op, &[volume()]).save(&data, "0193-ab").unwrap();
        let back = Record::load(&data, "0193-ab").unwrap();
        assert_eq!(back.policy(), policy);
        assert_eq!(back.volumes(), &[Volume4dDto::from_volume(&volume())]);
        let decoded = op.tokens().iter().filter(|t| back.place(&hex(&t.0)) == op.decode(t)).count();
        assert_eq!(decoded, op.tokens().len(), "every token decodes as the operation does (padding to none)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir.path().join(OPS_DIR).join("0193-ab.json");
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn an_id_that_is_not_a_plain_name_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDirArg { data_dir: Some(dir.path().join("d")) };
        let policy = serde_json::to_string(&LinePolicy::default().params()).unwrap();
        let record = format!(r#"{{"policy": {policy}, "places": {{}}}}"#);
        std::fs::create_dir_all(dir.path().join("d").join(OPS_DIR)).unwrap();
        std::fs::write(dir.path().join("d").join("outside.json"), &record).unwrap();
        std::fs::write(dir.path().join("d").join(OPS_DIR).join("inside.json"), &record).unwrap();
        assert!(Record::load(&data, "inside").is_some(), "the control: a plain name reads");
        assert!(Record::load(&data, "../outside").is_none());
        assert!(Record::load(&data, "").is_none());
    }

    #[test]
    fn a_record_written_before_volumes_were_kept_still_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDirArg { data_dir: Some(dir.path().to_owned()) };
        let policy = serde_json::to_string(&LinePolicy::default().params()).unwrap();
        let text = format!(r#"{{"policy": {policy}, "places": {{"ab": [617700169958293503, 5, 2]}}}}"#);
        std::fs::create_dir_all(dir.path().join(OPS_DIR)).unwrap();
        std::fs::write(dir.path().join(OPS_DIR).join("old.json"), text).unwrap();
        let r = Record::load(&data, "old").unwrap();
        assert!(r.volumes().is_empty());
        assert_eq!(r.place("ab"), Some(Place { cell: 617_700_169_958_293_503, slot: 5, band: 2 }));
        assert_eq!(r.place("cd"), None);
    }
}
