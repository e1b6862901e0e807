//! The pool of DSS instances (F3548 DSS0020/DSS0210): replicas of one
//! service over one database. Each replica is a DSS instance with an id of its
//! own; they share one DSS Airspace Representation (DAR), whose id is made
//! once and kept in the store. Instances are registered when they start and
//! receive heartbeats, as the InterUSS auxiliary pool interface describes, so
//! that a pool monitor (uss_qualifier's PoolInfo) sees every replica.

use geom::Time;
use serde::{Deserialize, Serialize};

use crate::coord::{load, save};
use crate::engine::{Ctx, Engine, EngineError};
use crate::records::RecordKey;
use crate::txn::Deadline;

/// Record kind of the pool's DAR id (one record, id [`DAR_ID`]).
const POOL: &str = "pool";
/// The id of the DAR record.
const DAR_ID: &str = "dar";
/// Record kind of a DSS instance.
const INSTANCE: &str = "dss_instance";
/// Most instances listed (a pool has a handful).
const MAX_INSTANCES: usize = 1000;
/// Longest instance id.
const MAX_ID_LEN: usize = 256;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Dar {
    id: String,
}

/// The most recent heartbeat of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When it was registered (µs since the epoch).
    pub timestamp_us: i64,
    /// The token subject of whoever reported it.
    pub reporter: Option<String>,
    /// What triggered it.
    pub source: String,
    /// Its index among the instance's heartbeats, from 1.
    pub index: i64,
    /// When the next one should have come (µs since the epoch).
    pub next_expected_before_us: Option<i64>,
}

/// One DSS instance of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DssInstance {
    /// The instance's id.
    pub id: String,
    /// Its most recent heartbeat, if any.
    pub most_recent_heartbeat: Option<Heartbeat>,
}

/// A heartbeat to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHeartbeat {
    /// What triggered it.
    pub source: String,
    /// When it happened; now when `None`.
    pub timestamp: Option<Time>,
    /// When the next one is due.
    pub next_expected_before: Option<Time>,
}

fn check_id(id: &str) -> Result<(), EngineError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(EngineError::BadRequest(format!(
            "a DSS instance id is 1 to {MAX_ID_LEN} printable ASCII characters, not {id:?}"
        )));
    }
    Ok(())
}

impl Engine {
    /// Registers the DSS instance `id` (this replica) and returns the pool's
    /// DAR id, creating it on the first start of the first replica.
    ///
    /// # Errors
    /// `BadRequest` for an unusable id, `Store`.
    pub fn join_pool(&self, id: &str, new_dar_id: &str) -> Result<String, EngineError> {
        check_id(id)?;
        self.runner().write(&Deadline::NONE, |tx| {
            if load::<DssInstance>(tx, INSTANCE, id)?.is_none() {
                let instance = DssInstance { id: id.to_owned(), most_recent_heartbeat: None };
                save(tx, INSTANCE, id, &instance, (None, None), None)?;
            }
            match load::<Dar>(tx, POOL, DAR_ID)? {
                Some(dar) => Ok(dar.id),
                None => {
                    save(tx, POOL, DAR_ID, &Dar { id: new_dar_id.to_owned() }, (None, None), None)?;
                    Ok(new_dar_id.to_owned())
                }
            }
        })
    }

    /// The pool's DAR id.
    ///
    /// # Errors
    /// `NotFound` before any replica joined, `Store`.
    pub fn dar_id(&self) -> Result<String, EngineError> {
        self.runner().read(|tx| {
            load::<Dar>(tx, POOL, DAR_ID)?
                .map(|d| d.id)
                .ok_or_else(|| EngineError::NotFound("no DSS instance has joined the pool yet".into()))
        })
    }

    /// Every DSS instance of the pool, by id.
    ///
    /// # Errors
    /// `Store`.
    pub fn dss_instances(&self) -> Result<Vec<DssInstance>, EngineError> {
        self.runner().read(|tx| {
            tx.records_by(INSTANCE, RecordKey::All, MAX_INSTANCES)?.iter().map(crate::coord::decode).collect()
        })
    }

    /// Records a heartbeat of instance `id` reported by the caller, and
    /// returns every instance.
    ///
    /// # Errors
    /// `BadRequest` for an empty source or an unusable id, `Timeout`, `Store`.
    pub fn heartbeat(
        &self,
        ctx: &Ctx,
        id: &str,
        beat: &NewHeartbeat,
    ) -> Result<Vec<DssInstance>, EngineError> {
        check_id(id)?;
        if beat.source.is_empty() {
            return Err(EngineError::BadRequest("a heartbeat needs a source".into()));
        }
        self.runner().write(&ctx.deadline, |tx| {
            let previous = load::<DssInstance>(tx, INSTANCE, id)?.and_then(|i| i.most_recent_heartbeat);
            let heartbeat = Heartbeat {
                timestamp_us: beat.timestamp.unwrap_or(ctx.now).as_micros(),
                reporter: Some(ctx.caller.to_string()),
                source: beat.source.clone(),
                index: previous.map_or(1, |p| p.index.saturating_add(1)),
                next_expected_before_us: beat.next_expected_before.map(Time::as_micros),
            };
            let instance = DssInstance { id: id.to_owned(), most_recent_heartbeat: Some(heartbeat) };
            save(tx, INSTANCE, id, &instance, (None, None), None)?;
            Ok(())
        })?;
        self.dss_instances()
    }
}
