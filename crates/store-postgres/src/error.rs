//! The one place where PostgreSQL, connection and decoding errors become
//! [`StoreError`]s.

use std::error::Error as _;

use deconflict_core::StoreError;
use deconflict_core::codec::CodecError;

/// Maps a `postgres` error to the store error the engine understands:
///
/// * SQLSTATE `40001` (serialization failure) and `40P01` (deadlock) →
///   [`StoreError::Retry`], whether raised by a statement or by `COMMIT`;
/// * SQLSTATE `23505` (unique violation) on [`AUDIT_SEQ_INDEX`] →
///   [`StoreError::Retry`]: another sealer used that audit sequence number
///   first, the entry was built on a stale head (as in the memory store);
/// * a lost connection (I/O error, closed connection, SQLSTATE class `08`,
///   `57P01`..`57P03` shutdown / cannot connect now, `53300` too many
///   connections) and `57014` (statement timeout or cancel) →
///   [`StoreError::Unavailable`];
/// * everything else → [`StoreError::Backend`].
///
/// Column values that do not decode are mapped by [`bad_column`] instead.
pub(crate) fn from_pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(code) = e.code() {
        let code = code.code();
        return match code {
            "40001" | "40P01" => StoreError::Retry,
            "23505" if e.as_db_error().and_then(|d| d.constraint()) == Some(AUDIT_SEQ_INDEX) => {
                StoreError::Retry
            }
            // Two area writes created the same entity id at once (READ
            // COMMITTED lets both find it missing): run again, and the second
            // finds the first's.
            "23505"
                if e.as_db_error().and_then(|d| d.constraint()).is_some_and(|c| ENTITY_KEYS.contains(&c)) =>
            {
                StoreError::Retry
            }
            "57014" => StoreError::unavailable_by(
                format!("PostgreSQL statement cancelled (statement_timeout?): {e}"),
                e,
            ),
            _ if is_connection_code(code) => StoreError::unavailable_by(format!("PostgreSQL: {e}"), e),
            _ => StoreError::backend(format!("PostgreSQL: {}", describe(&e)), e),
        };
    }
    if connection_lost(&e) {
        StoreError::unavailable_by(format!("PostgreSQL connection lost: {}", describe(&e)), e)
    } else {
        StoreError::backend(format!("PostgreSQL: {}", describe(&e)), e)
    }
}

/// The primary keys of the entity tables (migration 0001).
pub(crate) const ENTITY_KEYS: [&str; 3] =
    ["operational_intents_pkey", "constraints_pkey", "subscriptions_pkey"];

/// The UNIQUE index on `events.audit_seq` (migration 0002).
pub(crate) const AUDIT_SEQ_INDEX: &str = "events_audit_seq_key";

/// An error while opening a connection: always [`StoreError::Unavailable`]
/// (refused, timed out, authentication failed, database missing...), with
/// where it tried to go (never the password).
pub(crate) fn connect_error(target: &str, e: tokio_postgres::Error) -> StoreError {
    StoreError::unavailable_by(format!("cannot connect to PostgreSQL at {target}: {}", describe(&e)), e)
}

/// Whether the connection this error came from can no longer be used and
/// must be dropped rather than returned to the pool.
pub(crate) fn connection_lost(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return is_connection_code(code.code());
    }
    // No SQLSTATE: the error came from the transport or the protocol, not the
    // server (I/O, unexpected message, timeout); the session state is unknown.
    let mut source = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        source = s.source();
    }
    // Other client-side errors without a SQLSTATE (parameter encoding) leave
    // the connection usable.
    false
}

fn is_connection_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// The error's text with its detail and hint, when the server sent them.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => match e.source() {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    }
}

/// An extents blob that [`deconflict_core::codec::decode`] rejected.
pub(crate) fn from_codec(table: &str, id: &str, e: &CodecError) -> StoreError {
    StoreError::corrupt_by(format!("{table} {id}: extents: {e}"), e.clone())
}

/// A stored column that does not decode to its Rust type or is not a valid
/// domain value.
pub(crate) fn bad_column(table: &str, id: &str, column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("{table} {id}: column {column}: {why}"))
}

/// A value that does not fit the column it is written to.
pub(crate) fn out_of_range(what: &'static str, value: impl std::fmt::Display) -> StoreError {
    StoreError::OutOfRange { what, value: value.to_string() }
}

/// [`Tx::seal_event`](deconflict_core::Tx::seal_event) of an event that does
/// not exist or is already sealed.
pub(crate) fn not_pending(id: i64) -> StoreError {
    StoreError::EventNotPending { id }
}

/// [`Tx::seal_event`](deconflict_core::Tx::seal_event) with an entry whose
/// content is not that of the pending event.
pub(crate) fn not_this_event(id: i64, seq: u64) -> StoreError {
    StoreError::EventMismatch { id, seq }
}

/// A transaction used after one of its statements failed: PostgreSQL would
/// turn its `COMMIT` into a silent `ROLLBACK`, so it is reported instead.
pub(crate) fn aborted(first: &StoreError) -> StoreError {
    match first {
        e @ (StoreError::Retry | StoreError::Unavailable { .. }) => e.clone(),
        other => StoreError::Aborted(Box::new(other.clone())),
    }
}
