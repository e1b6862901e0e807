//! Listings in pages, newest first: each page is read with an index scan
//! below the last id of the page before ([`Tx::records_by_rev`]) and says
//! whether more exist, so nothing is cut silently.

use crate::engine::EngineError;
use crate::records::{Record, RecordKey};
use crate::store::Tx;

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    /// At most the limit asked for.
    pub items: Vec<T>,
    /// Where the next page starts (pass it back as the cursor); `None` when
    /// this page holds the last items.
    pub next: Option<C>,
}

/// Up to `limit` records of `kind` with `key` and ids below `before`, newest
/// first, kept (and converted) by `keep`; reads on past the records `keep`
/// drops until the page is full or the records end, and one further kept
/// record to know whether more exist. `cursor` names the last item's place.
pub(crate) fn newest_first<T, C>(
    tx: &mut dyn Tx,
    (kind, key): (&str, RecordKey<'_>),
    before: Option<String>,
    limit: usize,
    mut keep: impl FnMut(&mut dyn Tx, &Record) -> Result<Option<T>, EngineError>,
    cursor: impl Fn(&T) -> C,
) -> Result<Page<T, C>, EngineError> {
    let batch = limit.saturating_add(1);
    let mut items = Vec::new();
    let mut before = before;
    loop {
        let records = tx.records_by_rev(kind, key, before.as_deref(), batch)?;
        for r in &records {
            if let Some(item) = keep(tx, r)? {
                items.push(item);
                if items.len() > limit {
                    break;
                }
            }
        }
        if items.len() > limit || records.len() < batch {
            break;
        }
        before = records.last().map(|r| r.id.clone());
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more { items.last().map(cursor) } else { None };
    Ok(Page { items, next })
}
