//! The storage trait every backend implements: memory, SQLite, PostgreSQL.
//!
//! A store hands out transactions. The engine does all the deciding inside one
//! transaction and commits only when the whole change is valid, so a backend
//! needs no domain logic: it saves, loads and finds candidates by box.
//!
//! Spatial lookups return *candidates*: every entity whose volumes could
//! intersect the area (a superset). The engine then checks exact geometry, so a
//! backend may index boxes (memory, SQLite R*Tree) or cells (PostgreSQL GIN).

use std::sync::{Arc, OnceLock};

use geom::{Box4, Time, Volume4D};

use crate::events::{NewEvent, PendingEvent};
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::model::{
    AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription, extents_bbox,
};
use crate::records::{Record, RecordKey};

/// The underlying error of a [`StoreError`] (the driver's, the encoder's, the
/// operating system's), shared so that a transaction can keep its first
/// failure and report it again.
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

/// What went wrong in a store. Each failure a caller may treat differently
/// has its own variant; where an underlying error caused it, it is the
/// variant's [`source`](std::error::Error::source). The API maps the variants
/// to statuses in one place (`server::error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Another transaction wrote what this one read; running it again may succeed
    /// (SQLSTATE 40001/40P01 on PostgreSQL, SQLITE_BUSY on SQLite).
    #[error("transaction conflict, retry")]
    Retry,
    /// The database cannot be reached or is shutting down.
    #[error("storage unavailable: {message}")]
    Unavailable {
        /// What could not be reached, and why.
        message: String,
        /// The driver's or the operating system's error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// The connection was lost while the commit was under way: the
    /// transaction may or may not have been committed.
    #[error("the outcome of the commit is unknown: {message}")]
    OutcomeUnknown {
        /// How the connection was lost.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// A stored row or record could not be decoded.
    #[error("stored data is corrupt: {message}")]
    Corrupt {
        /// Which row, which column, and what is wrong with it.
        message: String,
        /// The decoder's error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// [`Tx::seal_event`] of an event that does not exist or is already sealed.
    #[error("event {id} is not pending")]
    EventNotPending {
        /// The event's store id.
        id: i64,
    },
    /// [`Tx::seal_event`] with an entry whose content is not the pending event's.
    #[error(
        "event {id} is pending but audit entry {seq} has other content (kind, actor, subject or payload)"
    )]
    EventMismatch {
        /// The event's store id.
        id: i64,
        /// The entry's sequence number.
        seq: u64,
    },
    /// The audit chain refused an entry while sealing.
    #[error("audit chain")]
    Chain(#[source] audit::AppendError),
    /// A transaction used after one of its statements failed; it was rolled back.
    #[error("transaction was aborted by an earlier error and has been rolled back")]
    Aborted(#[source] Box<StoreError>),
    /// A write in a [`TxMode::Read`] transaction.
    #[error("write attempted in a read-only transaction")]
    ReadOnly,
    /// A value does not fit the column it is written to.
    #[error("{what} {value} does not fit its column")]
    OutOfRange {
        /// What it is.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// A value could not be encoded for storage (a record body, an event's
    /// parties or payload).
    #[error("encoding {what}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The encoder's error.
        #[source]
        source: Source,
    },
    /// The store was opened with settings it cannot use (a connection
    /// string, a schema name, TLS files, a backup path).
    #[error("invalid store settings: {message}")]
    Settings {
        /// Which setting, and what is wrong with it.
        message: String,
        /// The parser's or the operating system's error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// A schema migration failed; nothing of it was applied.
    #[error("schema migration {version}")]
    Migration {
        /// The version it was migrating to.
        version: i64,
        /// Why it failed.
        #[source]
        source: Box<StoreError>,
    },
    /// The memory store's lock was poisoned by a panic while it was held.
    #[error("the memory store's lock is poisoned")]
    Poisoned,
    /// A statement that always answers one row answered none.
    #[error("{query} returned no row")]
    NoRow {
        /// The statement.
        query: &'static str,
    },
    /// Anything else the driver reported.
    #[error("storage backend error: {message}")]
    Backend {
        /// What was being done, and what went wrong.
        message: String,
        /// The driver's error.
        #[source]
        source: Source,
    },
}

/// For each variant with a `message` and an optional `source`, its two
/// constructors: `$plain` with no underlying error and `$by` caused by `source`.
/// (A variant cannot be passed as a function, so a macro writes the pairs.)
macro_rules! optional_source_constructors {
    ($($variant:ident: $plain:ident, $by:ident;)*) => {$(
        #[doc = concat!("[`StoreError::", stringify!($variant), "`] with no underlying error.")]
        pub fn $plain(message: impl Into<String>) -> Self {
            StoreError::$variant { message: message.into(), source: None }
        }

        #[doc = concat!("[`StoreError::", stringify!($variant), "`] caused by `source`.")]
        pub fn $by(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
            StoreError::$variant { message: message.into(), source: Some(Arc::new(source)) }
        }
    )*};
}

impl StoreError {
    /// The underlying error itself (the driver's, the decoder's, ...), for a
    /// caller that downcasts it: [`std::error::Error::source`] gives the
    /// shared [`Source`] that holds it. `None` for the variants without one
    /// and for those whose source is another `StoreError` (`Aborted`,
    /// `Migration`: ask that one).
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            StoreError::Unavailable { source, .. }
            | StoreError::OutcomeUnknown { source, .. }
            | StoreError::Corrupt { source, .. }
            | StoreError::Settings { source, .. } => source.as_deref(),
            StoreError::Encode { source, .. } | StoreError::Backend { source, .. } => Some(&**source),
            StoreError::Chain(e) => Some(e),
            _ => None,
        }
    }

    /// A backend error caused by `source`.
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Backend { message: message.into(), source: Arc::new(source) }
    }

    optional_source_constructors! {
        Unavailable: unavailable, unavailable_by;
        Corrupt: corrupt, corrupt_by;
        Settings: settings, settings_by;
    }

    /// [`StoreError::Encode`] of `what`, caused by `source`.
    pub fn encode(what: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Encode { what: what.into(), source: Arc::new(source) }
    }
}

/// Whether a transaction will write. Backends may use it to take the write lock
/// up front (SQLite `BEGIN IMMEDIATE`) or to open a read-only snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// Reads only; committing it is a no-op.
    Read,
    /// Reads and writes, serialisable.
    Write,
    /// A write of strategic entities (intents, constraints, subscriptions)
    /// whose conflicts with concurrent writers are decided by area: before it
    /// reads or writes anything in an area it locks that area
    /// ([`Tx::lock_area`]), and every entity it reads in order to change it
    /// stays its own until it ends. Two such transactions wait for each other
    /// only when their areas share an index cell (or they change the same
    /// entity); the outcome is the same as if they had run one after the
    /// other. A single-writer backend treats it as [`TxMode::Write`].
    AreaWrite,
}

/// An area to search: a set of volumes, with the box and the cell covering
/// computed once and only if the backend asks for them.
#[derive(Debug)]
pub struct AreaQuery<'a> {
    volumes: &'a [Volume4D],
    bbox: Box4,
    cells: OnceLock<Vec<u64>>,
}

impl<'a> AreaQuery<'a> {
    /// An area made of these volumes.
    pub fn new(volumes: &'a [Volume4D]) -> Self {
        Self { volumes, bbox: extents_bbox(volumes), cells: OnceLock::new() }
    }

    /// The volumes themselves.
    pub fn volumes(&self) -> &'a [Volume4D] {
        self.volumes
    }

    /// The union of the volumes' boxes (longitude, latitude, altitude, time).
    pub fn bbox(&self) -> &Box4 {
        &self.bbox
    }

    /// Sorted, deduplicated H3 cells at [`geom::DEFAULT_CELL_RESOLUTION`] covering
    /// every footprint. A footprint that cannot be covered yields no cells for it;
    /// a backend that relies on cells must then fall back to the box.
    pub fn cells(&self) -> &[u64] {
        self.cells.get_or_init(|| cover_cells(self.volumes))
    }

    /// The start and end of the union of the time windows.
    pub fn time_bounds(&self) -> (Time, Time) {
        let t = crate::model::extents_time(self.volumes);
        (t.start(), t.end())
    }
}

/// Sorted, deduplicated H3 cells covering the footprints of `volumes`.
pub fn cover_cells(volumes: &[Volume4D]) -> Vec<u64> {
    let mut cells: Vec<u64> = volumes
        .iter()
        .filter_map(|v| v.footprint().cells(geom::DEFAULT_CELL_RESOLUTION).ok())
        .flatten()
        .collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// What one party holds that is still live, for its quotas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Operational intents not yet ended.
    pub intents: u64,
    /// Constraints not yet ended.
    pub constraints: u64,
    /// Explicit subscriptions not yet ended (implicit ones follow its intents).
    pub subscriptions: Vec<Subscription>,
}

/// The strategic entity kinds, for lookups common to all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// Operational intents.
    Intent,
    /// Constraints.
    Constraint,
    /// Subscriptions.
    Subscription,
}

/// A request for a lease, as [`Tx::acquire_lease`] hands it to a backend
/// (through [`crate::impl_tx!`]): the expiry is computed here, once.
#[derive(Debug, Clone, Copy)]
pub struct LeaseClaim<'a> {
    /// The lease.
    pub name: &'a str,
    /// Who wants it.
    pub holder: &'a str,
    /// The time of the request: a lease whose expiry is at or before it is free.
    pub now: Time,
    /// Until when the holder keeps it if it gets it.
    pub until: Time,
}

/// A storage backend. Cheap to share behind an `Arc`.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Opens a transaction. A write transaction is serialisable: if it commits,
    /// it is as if it ran alone.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached.
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError>;

    /// Short name for logs and metrics (`memory`, `sqlite`, `postgres`).
    fn kind(&self) -> &'static str;
}

/// One transaction. Dropping it without [`Tx::commit`] rolls it back.
pub trait Tx {
    /// The intent with this id, if any.
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError>;
    /// Every intent whose volumes may intersect `area` (a superset is fine).
    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError>;
    /// Ids of the intents that use this subscription.
    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError>;
    /// Inserts or replaces.
    fn put_intent(&mut self, intent: &OperationalIntent) -> Result<(), StoreError>;
    /// Deletes; deleting a missing id is not an error.
    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError>;

    /// The constraint with this id, if any.
    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError>;
    /// Every constraint whose volumes may intersect `area` (a superset is fine).
    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError>;
    /// Inserts or replaces.
    fn put_constraint(&mut self, constraint: &Constraint) -> Result<(), StoreError>;
    /// Deletes; deleting a missing id is not an error.
    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError>;

    /// The subscription with this id, if any.
    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError>;
    /// Every subscription whose volumes may intersect `area` (a superset is fine).
    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError>;
    /// Inserts or replaces.
    fn put_subscription(&mut self, subscription: &Subscription) -> Result<(), StoreError>;
    /// Deletes; deleting a missing id is not an error.
    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError>;

    /// The availability record of a USS, if one was ever set.
    fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError>;
    /// Inserts or replaces.
    fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError>;

    /// Ids of up to `limit` entities of `kind` whose every volume ended at or
    /// before `now`, soonest ended first. (What to do with them is decided in
    /// the engine's purge, once for every backend.)
    fn ended_by(&mut self, kind: EntityKind, now: Time, limit: usize) -> Result<Vec<uuid::Uuid>, StoreError>;
    /// How many entities are stored.
    fn counts(&mut self) -> Result<EntityCounts, StoreError>;
    /// What `party` holds that ends after `now`.
    fn usage(&mut self, party: &PartyName, now: Time) -> Result<Usage, StoreError>;

    /// Appends an event; it becomes durable with the rest of this transaction.
    fn append_event(&mut self, event: &NewEvent) -> Result<(), StoreError>;
    /// Up to `limit` events not yet sealed, by increasing id.
    fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError>;
    /// Records that the pending event `id` became audit entry `entry` (its
    /// sequence number, possibly raised timestamp, salt and hashes).
    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError>;
    /// The audit entry with the highest sequence number, if any.
    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError>;
    /// Up to `limit` audit entries with sequence numbers above `seq`, in order.
    fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError>;
    /// Stores a signed checkpoint.
    fn put_checkpoint(&mut self, checkpoint: &audit::Checkpoint) -> Result<(), StoreError>;
    /// Checkpoints with sequence numbers above `seq`, in order.
    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError>;
    /// Forgets the bodies of the sealed entries with sequence numbers in
    /// `after + 1 ..= through`: their actor, kind and payload become empty,
    /// subject and parties none; `seq`, timestamp, salt, `prev_hash` and
    /// `hash` stay, so the chain and its checkpoints still verify. Returns how
    /// many entries it changed. (Which entries is decided once, in
    /// [`crate::retention`].)
    fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError>;
    /// Takes or renews the lease `name` for `holder` until `now + ttl_us`, if it
    /// is free, expired, or already `holder`'s. Used so that one replica at a
    /// time seals the audit log.
    fn acquire_lease(&mut self, name: &str, holder: &str, now: Time, ttl_us: i64)
    -> Result<bool, StoreError>;

    /// The record `kind`/`id`, if any.
    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError>;
    /// Inserts or replaces a record.
    fn put_record(&mut self, record: &Record) -> Result<(), StoreError>;
    /// Deletes a record; deleting a missing one is not an error.
    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError>;
    /// Up to `limit` records of `kind` matching `key`, by increasing id.
    fn records_by(&mut self, kind: &str, key: RecordKey<'_>, limit: usize)
    -> Result<Vec<Record>, StoreError>;
    /// Up to `limit` records of `kind` matching `key` whose id is below `before`
    /// in byte order (every one when `None`), by decreasing id: the newest
    /// first when ids are time-ordered (UUIDv7). Listing pages resume with the
    /// last id of the page before as `before`, so none is skipped or repeated.
    fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError>;
    /// Up to `limit` records of `kind` whose `due` is at or before `before`, by
    /// increasing due time (then id).
    fn records_due(&mut self, kind: &str, before: Time, limit: usize) -> Result<Vec<Record>, StoreError>;
    /// Up to `limit` records of `kind` whose id is above `after` in byte
    /// order, by increasing id: a cursor through a whole kind.
    fn records_after(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<Record>, StoreError>;

    /// Locks the area of `area` for the rest of this [`TxMode::AreaWrite`]
    /// transaction: a concurrent transaction locking an area that shares an
    /// index cell with it waits until this one ends (or one of them is told
    /// to [`StoreError::Retry`]). Reads of the area afterwards see every
    /// write committed by transactions that held it before. Backends that run
    /// one writer at a time need nothing (the default).
    ///
    /// # Errors
    /// [`StoreError::Retry`] on a deadlock between two lockers.
    fn lock_area(&mut self, area: &AreaQuery<'_>) -> Result<(), StoreError> {
        let _ = area;
        Ok(())
    }

    /// Adds one to the notification index of subscription `id` and returns
    /// the new index (`None` when there is no such subscription). Atomic even
    /// when concurrent transactions notify the same subscription.
    ///
    /// # Errors
    /// What reading or writing the subscription fails with.
    fn bump_notification_index(&mut self, id: SubscriptionId) -> Result<Option<i32>, StoreError> {
        let Some(mut sub) = self.subscription(id)? else { return Ok(None) };
        sub.notification_index = sub.notification_index.saturating_add(1);
        self.put_subscription(&sub)?;
        Ok(Some(sub.notification_index))
    }

    /// [`Tx::seal_event`] for each `(id, entry)` of `batch`, in order (a
    /// store may do it in one statement). Fails as the first failing one would.
    ///
    /// # Errors
    /// As [`Tx::seal_event`].
    fn seal_events(&mut self, batch: &[(i64, audit::Entry)]) -> Result<(), StoreError> {
        batch.iter().try_for_each(|(id, entry)| self.seal_event(*id, entry))
    }

    /// Makes every write of this transaction durable, atomically.
    ///
    /// # Errors
    /// [`StoreError::Retry`] when a concurrent transaction won; nothing was written.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Implements [`Tx`] for a backend's transaction type by calling its inherent
/// methods of the same names and signatures, so that a backend can write each
/// area's methods next to that area's SQL (one `impl` block per module)
/// while the trait is bound in one place. The methods with a default
/// ([`Tx::lock_area`], [`Tx::bump_notification_index`]) are written after the
/// `;` by the backends that override them.
///
/// ```ignore
/// deconflict_core::impl_tx!(['a] PgTx<'a>;
///     fn lock_area(&mut self, area: &AreaQuery<'_>) -> Result<(), StoreError> { PgTx::lock_area(self, area) }
/// );
/// ```
#[macro_export]
macro_rules! impl_tx {
    ([$($generics:tt)*] $ty:ty; $($overrides:tt)*) => {
        impl<$($generics)*> $crate::store::Tx for $ty {
            fn intent(&mut self, id: $crate::ids::EntityId)
                -> Result<Option<$crate::model::OperationalIntent>, $crate::store::StoreError> {
                <$ty>::intent(self, id)
            }
            fn intents_in(&mut self, area: &$crate::store::AreaQuery<'_>)
                -> Result<Vec<$crate::model::OperationalIntent>, $crate::store::StoreError> {
                <$ty>::intents_in(self, area)
            }
            fn intents_of_subscription(&mut self, id: $crate::ids::SubscriptionId)
                -> Result<Vec<$crate::ids::EntityId>, $crate::store::StoreError> {
                <$ty>::intents_of_subscription(self, id)
            }
            fn put_intent(&mut self, intent: &$crate::model::OperationalIntent)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::put_intent(self, intent)
            }
            fn delete_intent(&mut self, id: $crate::ids::EntityId) -> Result<(), $crate::store::StoreError> {
                <$ty>::delete_intent(self, id)
            }
            fn constraint(&mut self, id: $crate::ids::EntityId)
                -> Result<Option<$crate::model::Constraint>, $crate::store::StoreError> {
                <$ty>::constraint(self, id)
            }
            fn constraints_in(&mut self, area: &$crate::store::AreaQuery<'_>)
                -> Result<Vec<$crate::model::Constraint>, $crate::store::StoreError> {
                <$ty>::constraints_in(self, area)
            }
            fn put_constraint(&mut self, constraint: &$crate::model::Constraint)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::put_constraint(self, constraint)
            }
            fn delete_constraint(&mut self, id: $crate::ids::EntityId) -> Result<(), $crate::store::StoreError> {
                <$ty>::delete_constraint(self, id)
            }
            fn subscription(&mut self, id: $crate::ids::SubscriptionId)
                -> Result<Option<$crate::model::Subscription>, $crate::store::StoreError> {
                <$ty>::subscription(self, id)
            }
            fn subscriptions_in(&mut self, area: &$crate::store::AreaQuery<'_>)
                -> Result<Vec<$crate::model::Subscription>, $crate::store::StoreError> {
                <$ty>::subscriptions_in(self, area)
            }
            fn put_subscription(&mut self, subscription: &$crate::model::Subscription)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::put_subscription(self, subscription)
            }
            fn delete_subscription(&mut self, id: $crate::ids::SubscriptionId)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::delete_subscription(self, id)
            }
            fn availability(&mut self, uss: &$crate::ids::PartyName)
                -> Result<Option<$crate::model::AvailabilityRecord>, $crate::store::StoreError> {
                <$ty>::availability(self, uss)
            }
            fn put_availability(&mut self, record: &$crate::model::AvailabilityRecord)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::put_availability(self, record)
            }
            fn ended_by(&mut self, kind: $crate::store::EntityKind, now: ::geom::Time, limit: usize)
                -> Result<Vec<::uuid::Uuid>, $crate::store::StoreError> {
                <$ty>::ended_by(self, kind, now, limit)
            }
            fn counts(&mut self) -> Result<$crate::model::EntityCounts, $crate::store::StoreError> {
                <$ty>::counts(self)
            }
            fn usage(&mut self, party: &$crate::ids::PartyName, now: ::geom::Time)
                -> Result<$crate::store::Usage, $crate::store::StoreError> {
                <$ty>::usage(self, party, now)
            }
            fn append_event(&mut self, event: &$crate::events::NewEvent) -> Result<(), $crate::store::StoreError> {
                <$ty>::append_event(self, event)
            }
            fn unsealed_events(&mut self, limit: usize)
                -> Result<Vec<$crate::events::PendingEvent>, $crate::store::StoreError> {
                <$ty>::unsealed_events(self, limit)
            }
            fn seal_event(&mut self, id: i64, entry: &::audit::Entry) -> Result<(), $crate::store::StoreError> {
                <$ty>::seal_event(self, id, entry)
            }
            fn last_sealed(&mut self) -> Result<Option<::audit::Entry>, $crate::store::StoreError> {
                <$ty>::last_sealed(self)
            }
            fn sealed_after(&mut self, seq: u64, limit: usize)
                -> Result<Vec<::audit::Entry>, $crate::store::StoreError> {
                <$ty>::sealed_after(self, seq, limit)
            }
            fn put_checkpoint(&mut self, checkpoint: &::audit::Checkpoint)
                -> Result<(), $crate::store::StoreError> {
                <$ty>::put_checkpoint(self, checkpoint)
            }
            fn checkpoints_after(&mut self, seq: u64)
                -> Result<Vec<::audit::Checkpoint>, $crate::store::StoreError> {
                <$ty>::checkpoints_after(self, seq)
            }
            fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, $crate::store::StoreError> {
                <$ty>::forget_sealed(self, after, through)
            }
            fn acquire_lease(&mut self, name: &str, holder: &str, now: ::geom::Time, ttl_us: i64)
                -> Result<bool, $crate::store::StoreError> {
                let until = now.saturating_add_micros(ttl_us);
                <$ty>::acquire_lease(self, &$crate::store::LeaseClaim { name, holder, now, until })
            }
            fn record(&mut self, kind: &str, id: &str)
                -> Result<Option<$crate::records::Record>, $crate::store::StoreError> {
                <$ty>::record(self, kind, id)
            }
            fn put_record(&mut self, record: &$crate::records::Record) -> Result<(), $crate::store::StoreError> {
                <$ty>::put_record(self, record)
            }
            fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), $crate::store::StoreError> {
                <$ty>::delete_record(self, kind, id)
            }
            fn records_by(&mut self, kind: &str, key: $crate::records::RecordKey<'_>, limit: usize)
                -> Result<Vec<$crate::records::Record>, $crate::store::StoreError> {
                <$ty>::records_by(self, kind, key, limit)
            }
            fn records_by_rev(
                &mut self,
                kind: &str,
                key: $crate::records::RecordKey<'_>,
                before: Option<&str>,
                limit: usize,
            ) -> Result<Vec<$crate::records::Record>, $crate::store::StoreError> {
                <$ty>::records_by_rev(self, kind, key, before, limit)
            }
            fn records_due(&mut self, kind: &str, before: ::geom::Time, limit: usize)
                -> Result<Vec<$crate::records::Record>, $crate::store::StoreError> {
                <$ty>::records_due(self, kind, before, limit)
            }
            fn records_after(&mut self, kind: &str, after: &str, limit: usize)
                -> Result<Vec<$crate::records::Record>, $crate::store::StoreError> {
                <$ty>::records_after(self, kind, after, limit)
            }
            fn commit(self: Box<Self>) -> Result<(), $crate::store::StoreError> {
                <$ty>::commit(self)
            }
            $($overrides)*
        }
    };
}
