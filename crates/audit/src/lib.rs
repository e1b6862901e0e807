//! Verifiable audit log for `deconflict`: a pure library (no IO, no async, no database).
//!
//! Every state change, notice, message, acknowledgement and disclosure is appended as an
//! [`Entry`] to a hash chain; the service periodically signs the chain head with Ed25519
//! ([`Checkpoint`]). Anyone holding the log (or a party's [`Slice`] of it) and the
//! service's public key can verify it offline with [`verify()`] / [`verify_slice`], using
//! only SHA-256 and Ed25519 and the byte layouts below.
//!
//! # What a successful verification proves
//!
//! - **Integrity and order up to the last checkpoint.** Each hash commits to the entry and
//!   to every entry before it, so a trusted checkpoint at `seq = c` authenticates entries
//!   `1..=c` exactly as the service recorded them when it signed: no entry was altered,
//!   inserted, removed or reordered since. The first altered entry is named
//!   ([`VerifyError`]).
//! - **Who was told what, and when (as recorded by the service).** Each entry carries its
//!   actor, kind, subject, the parties it concerns and a non-decreasing timestamp.
//! - **Portability.** An entry shown to one party can be shown to anyone else holding a
//!   checkpoint of the same log, and checked against it.
//!
//! # What it does not prove
//!
//! - **Completeness / no fork.** The service could show different histories to different
//!   parties, each consistently signed. This is detected only when holders compare
//!   checkpoints: two trusted checkpoints with the same `seq` and different hashes are proof
//!   of equivocation ([`Checkpoint::equivocates_with`]). Parties should exchange or publish
//!   their latest checkpoints.
//! - **The unsigned tail.** Entries after the last checkpoint are only hash chained; anyone
//!   could have written them. [`VerifyReport::unsigned_tail`] counts them.
//! - **Slice completeness.** A [`Slice`] proves that the entries shown are authentic and
//!   where they sit in the log; it cannot prove that no hidden entry should have been shown
//!   to the recipient (the service decides visibility). It reveals the number and positions
//!   of hidden entries, not their content (salted hashes, below).
//! - **Truth of the content, or of the clock.** Timestamps are the service's claim; the log
//!   proves what the service recorded, not that it was true. Trust in the signing key is
//!   established out of band.
//!
//! # Entry hash: byte layout (version 1)
//!
//! `hash = SHA-256(bytes)` where `bytes` is the concatenation of (integers big-endian,
//! `len` = u64 big-endian byte count, strings UTF-8 without terminator):
//!
//! | # | field       | encoding                                                            |
//! |---|-------------|---------------------------------------------------------------------|
//! | 1 | domain      | the 19 ASCII bytes `deconflict-audit-v1` (no length prefix)         |
//! | 2 | `seq`       | u64, 8 bytes                                                        |
//! | 3 | `timestamp` | i64 two's complement, 8 bytes (µs since 1970-01-01T00:00:00Z)       |
//! | 4 | `actor`     | `len` ‖ bytes                                                       |
//! | 5 | `kind`      | `len` ‖ bytes                                                       |
//! | 6 | `subject`   | `0x00` if absent; `0x01` ‖ `len` ‖ bytes if present                 |
//! | 7 | `parties`   | count (u64) ‖ for each party in order: `len` ‖ bytes                |
//! | 8 | `payload`   | `len` ‖ bytes (the JSON text exactly as stored, never re-serialized)|
//! | 9 | `salt`      | 16 bytes                                                            |
//! |10 | `prev_hash` | 32 bytes: the previous entry's `hash`; 32 zero bytes for `seq` 1    |
//!
//! Rules: `seq` starts at 1 and is contiguous; timestamps are non-decreasing; `parties` is
//! strictly ascending by byte-wise comparison of the UTF-8 strings (sorted, no duplicates),
//! otherwise the entry is rejected ([`VerifyError::NonCanonical`]). The random `salt` makes
//! the hash hiding: a party that only sees the hash of an entry cannot confirm a guess of
//! its (often low-entropy) content.
//!
//! # Checkpoint signature: byte layout (version 1)
//!
//! `signature` = Ed25519 (RFC 8032, pure Ed25519, no context, no prehash) over the 78 bytes
//!
//! | field       | encoding                                              |
//! |-------------|-------------------------------------------------------|
//! | domain      | the 30 ASCII bytes `deconflict-audit-checkpoint-v1`    |
//! | `seq`       | u64 big-endian, 8 bytes                               |
//! | `hash`      | 32 bytes: the hash of entry `seq`                     |
//! | `timestamp` | i64 big-endian, 8 bytes (when signed, µs, UTC)        |
//!
//! Verification is strict (`verify_strict`: canonical `S`, no small-order keys or `R`).
//! `key_id` = first 8 bytes of SHA-256 of the 32-byte public key, written as 16 lowercase
//! hex digits; it only selects the key, the signature is what authenticates.
//!
//! # Keys
//!
//! [`ServiceKey`] (the secret) is saved and loaded as PKCS#8 PEM (`BEGIN PRIVATE KEY`, as
//! OpenSSL writes Ed25519 keys); [`PublicKey`] as 64 hex digits or SPKI PEM
//! (`BEGIN PUBLIC KEY`). All as strings: the caller does the file IO.
//!
//! # Slices
//!
//! A [`Slice`] is what one party may see: the skeleton (`seq`, `prev_hash`, `hash`) of
//! every entry of the range, the full entries whose `parties` contain that party, and the
//! checkpoints. [`verify_slice`] checks the skeleton is a chain, each full entry hashes to
//! the skeleton's hash at its `seq`, and the checkpoints sign skeleton hashes. The
//! [`export`] module defines the JSON-lines file format.
//!
//! # Example
//!
//! ```
//! use audit::{Chain, NewEntry, ServiceKey, Slice, verify, verify_slice};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = ServiceKey::generate()?;
//! let mut chain = Chain::genesis();
//! let mut log = Vec::new();
//! for (i, party) in ["alpha", "bravo", "alpha"].into_iter().enumerate() {
//!     log.push(chain.append(NewEntry {
//!         timestamp: 1_700_000_000_000_000 + i as i64,
//!         actor: party.into(),
//!         kind: "intent.created".into(),
//!         subject: Some(format!("intent-{i}")),
//!         parties: vec![party.into()],
//!         payload: "{}".into(),
//!     })?);
//! }
//! let head = &log[log.len() - 1];
//! let checkpoints = vec![key.checkpoint(head, 1_700_000_000_000_100)];
//! let trusted = [key.public_key()];
//!
//! let report = verify(&log, &checkpoints, &trusted)?;
//! assert!(report.fully_signed());
//!
//! let slice = Slice::for_party(&log, &checkpoints, "bravo");
//! assert_eq!(slice.entries.len(), 1);
//! let text = audit::export::write_export(&slice, &trusted);
//! let parsed = audit::export::parse_export(&text)?;
//! verify_slice(&parsed.slice, &trusted)?;
//! # Ok(()) }
//! ```

mod checkpoint;
mod entry;
pub mod export;
pub mod hex;
mod verify;

pub use checkpoint::{
    CHECKPOINT_DOMAIN, CHECKPOINT_MESSAGE_LEN, Checkpoint, KeyError, KeyId, PublicKey, ServiceKey,
};
pub use ed25519_dalek::VerifyingKey;
pub use entry::{AppendError, Chain, ENTRY_DOMAIN, Entry, GENESIS_PREV_HASH, Head, Link, NewEntry, SALT_LEN};
pub use verify::{Slice, VerifyError, VerifyReport, verify, verify_slice};
pub use zeroize::Zeroizing;
