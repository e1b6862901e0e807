//! F3548 reports (`POST /dss/v1/reports`): a USS tells the DSS operator that
//! an exchange with another USS went wrong. Each report is kept as a record
//! (kind [`KIND`], id = the report id, k1 = the reporter, due = the end of its
//! retention), bounded in size and rate, and purged when its retention ends.
//! The audit log gets one event that only the reporter sees, with the
//! report's size and SHA-256, never its content.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::engine::events::private;
use crate::engine::{Ctx, Engine, EngineError};
use crate::events::EventKind;
use crate::quota::Quota;
use crate::records::Record;

/// Record kind of reports.
pub const KIND: &str = "report";
/// Largest report accepted, in bytes of JSON (413 above).
pub const MAX_REPORT_BYTES: usize = 64 * 1024;

/// Payload of `report.filed`: what was filed, never its content.
#[derive(Debug, Serialize)]
struct ReportFiled<'a> {
    report_id: &'a str,
    bytes: usize,
    sha256: &'a str,
}

/// A stored report's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// The id the DSS gave it.
    pub id: String,
    /// Its size in bytes.
    pub bytes: usize,
}

impl Engine {
    /// Stores `exchange` (the report's JSON text) for the operator, in one
    /// write transaction with its `report.filed` event.
    ///
    /// # Errors
    /// `TooLarge`-class [`EngineError::ReportTooLarge`], `QuotaExceeded`
    /// (reports per minute), `Timeout`, `Store`.
    pub fn file_report(&self, ctx: &Ctx, exchange: &str) -> Result<Filed, EngineError> {
        if exchange.len() > MAX_REPORT_BYTES {
            return Err(EngineError::ReportTooLarge { bytes: exchange.len(), limit: MAX_REPORT_BYTES });
        }
        self.limits().quotas.take_rate(self.rates(), &ctx.caller, Quota::ReportsPerMinute, ctx.now)?;
        let id = uuid::Uuid::now_v7().to_string();
        let due = ctx.now.as_micros().saturating_add(self.limits().report_retention_us);
        let digest: String = Sha256::digest(exchange.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        self.runner().write(&ctx.deadline, |tx| {
            tx.put_record(&Record {
                kind: KIND.to_owned(),
                id: id.clone(),
                body: exchange.to_owned(),
                k1: Some(ctx.caller.to_string()),
                k2: None,
                due: Some(geom::Time::from_micros(due)),
            })?;
            let payload = ReportFiled { report_id: &id, bytes: exchange.len(), sha256: &digest };
            tx.append_event(&private(ctx, EventKind::ReportFiled, id.clone(), &[], &payload)?)?;
            Ok(())
        })?;
        Ok(Filed { id, bytes: exchange.len() })
    }

    /// Deletes the reports whose retention ended by `now`; how many.
    ///
    /// # Errors
    /// `Store`.
    pub fn purge_reports(&self, now: geom::Time) -> Result<u64, EngineError> {
        const BATCH: usize = 500;
        let mut total = 0;
        loop {
            let n = self.runner().write(&crate::txn::Deadline::NONE, |tx| {
                let due = tx.records_due(KIND, now, BATCH)?;
                for r in &due {
                    tx.delete_record(KIND, &r.id)?;
                }
                Ok(due.len())
            })?;
            total += n as u64;
            if n < BATCH {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::Limits;
    use crate::memory::MemoryStore;
    use crate::quota::Quotas;
    use crate::store::TxMode;
    use crate::testsuite::{T0, manager};

    #[test]
    fn reports_are_bounded_rate_limited_and_purged_after_retention() {
        let limits = Limits {
            quotas: Quotas { reports_per_minute: 2, ..Quotas::default() },
            report_retention_us: 1_000_000,
            ..Limits::default()
        };
        let e = Engine::new(Arc::new(MemoryStore::new()), limits);
        let ctx = Ctx::new(manager("uss1"), geom::Time::from_micros(T0));
        let big = "x".repeat(MAX_REPORT_BYTES + 1);
        assert!(matches!(e.file_report(&ctx, &big), Err(EngineError::ReportTooLarge { .. })));
        let filed = e.file_report(&ctx, r#"{"exchange":{}}"#).unwrap();
        e.file_report(&ctx, "{}").unwrap();
        assert!(matches!(e.file_report(&ctx, "{}"), Err(EngineError::QuotaExceeded { .. })));
        let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
        assert_eq!(tx.record(KIND, &filed.id).unwrap().unwrap().body, r#"{"exchange":{}}"#);
        drop(tx);
        assert_eq!(e.purge_reports(geom::Time::from_micros(T0 + 999_999)).unwrap(), 0);
        assert_eq!(e.purge_reports(geom::Time::from_micros(T0 + 1_000_000)).unwrap(), 2);
        let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
        assert!(tx.record(KIND, &filed.id).unwrap().is_none());
    }
}
