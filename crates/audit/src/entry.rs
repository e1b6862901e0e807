//! Log entries, their canonical encoding and the [`Chain`] that appends them.

use sha2::{Digest, Sha256};

/// Domain-separation prefix of the entry hash (19 ASCII bytes, no length prefix).
pub const ENTRY_DOMAIN: &[u8] = b"deconflict-audit-v1";

/// `prev_hash` of the entry with sequence number 1.
pub const GENESIS_PREV_HASH: [u8; 32] = [0u8; 32];

/// Length of the per-entry random salt, in bytes.
pub const SALT_LEN: usize = 16;

/// One record of the audit log.
///
/// All fields except `hash` are covered by `hash` (see the crate documentation for the
/// exact byte layout). Build entries with [`Chain::append`]; a hand-built or stored entry
/// is checked by [`crate::verify()`] / [`crate::verify_slice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log: 1 for the first entry, then contiguous.
    pub seq: u64,
    /// Microseconds since the Unix epoch (UTC). Non-decreasing along the log.
    pub timestamp: i64,
    /// Party (or service component) that caused the entry.
    pub actor: String,
    /// What happened, e.g. `"intent.created"`, `"message.acked"` (the
    /// service's kinds are listed in its README).
    pub kind: String,
    /// Id of the object concerned, if any.
    pub subject: Option<String>,
    /// Parties this entry concerns and who may see it: strictly ascending (byte-wise), no
    /// duplicates.
    pub parties: Vec<String>,
    /// Canonical JSON text produced by the caller; hashed as its UTF-8 bytes, never parsed.
    pub payload: String,
    /// Random bytes that make the hash a hiding commitment, so a party that only sees the
    /// hash of an entry (in a [`crate::Slice`] skeleton) cannot confirm a guess of its content.
    pub salt: [u8; SALT_LEN],
    /// `hash` of the previous entry, or [`GENESIS_PREV_HASH`] for `seq == 1`.
    pub prev_hash: [u8; 32],
    /// SHA-256 of [`Entry::canonical_bytes`].
    pub hash: [u8; 32],
}

/// Hashes-only view of an entry: what a party learns about entries it may not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Link {
    /// Sequence number of the entry.
    pub seq: u64,
    /// `prev_hash` of the entry.
    pub prev_hash: [u8; 32],
    /// `hash` of the entry.
    pub hash: [u8; 32],
}

/// Caller-supplied content of an entry; [`Chain`] adds `seq`, `salt`, `prev_hash` and `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEntry {
    /// Microseconds since the Unix epoch (UTC). Raised to the previous entry's timestamp if
    /// earlier (see [`Chain::prepare`]).
    pub timestamp: i64,
    /// Party (or service component) that caused the entry.
    pub actor: String,
    /// What happened, e.g. `"intent.created"`.
    pub kind: String,
    /// Id of the object concerned, if any.
    pub subject: Option<String>,
    /// Parties this entry concerns, in any order; sorted and deduplicated by the chain.
    /// Include the actor if the actor should see its own entry.
    pub parties: Vec<String>,
    /// Canonical JSON text (the crate treats it as opaque bytes).
    pub payload: String,
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // usize -> u64 never truncates on supported (<= 64-bit) targets.
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Entry {
    /// The exact bytes hashed into [`Entry::hash`] (layout in the crate documentation).
    ///
    /// Encodes the fields as they are; [`Entry::is_canonical`] tells whether `parties` is in
    /// canonical form (verification rejects entries for which it is not).
    #[must_use]
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            ENTRY_DOMAIN.len()
                + 8 * 6
                + 1
                + self.actor.len()
                + self.kind.len()
                + self.subject.as_ref().map_or(0, String::len)
                + self.parties.iter().map(|p| p.len() + 8).sum::<usize>()
                + self.payload.len()
                + SALT_LEN
                + 32,
        );
        out.extend_from_slice(ENTRY_DOMAIN);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        put_bytes(&mut out, self.actor.as_bytes());
        put_bytes(&mut out, self.kind.as_bytes());
        match &self.subject {
            None => out.push(0),
            Some(subject) => {
                out.push(1);
                put_bytes(&mut out, subject.as_bytes());
            }
        }
        out.extend_from_slice(&(self.parties.len() as u64).to_be_bytes());
        for party in &self.parties {
            put_bytes(&mut out, party.as_bytes());
        }
        put_bytes(&mut out, self.payload.as_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.prev_hash);
        out
    }

    /// SHA-256 of [`Entry::canonical_bytes`]: what `hash` must equal.
    #[must_use]
    pub fn compute_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Whether `parties` is strictly ascending (hence sorted and free of duplicates).
    #[must_use]
    pub fn is_canonical(&self) -> bool {
        self.parties.windows(2).all(|w| w[0] < w[1])
    }

    /// Whether `party` is one of the entry's parties (may see it).
    #[must_use]
    pub fn concerns(&self, party: &str) -> bool {
        self.parties.binary_search_by(|p| p.as_str().cmp(party)).is_ok()
    }

    /// The hashes-only view of this entry.
    #[must_use]
    pub fn link(&self) -> Link {
        Link { seq: self.seq, prev_hash: self.prev_hash, hash: self.hash }
    }
}

/// The last entry of a chain, as needed to continue it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Sequence number of the last entry; 0 for an empty log.
    pub seq: u64,
    /// Hash of the last entry; [`GENESIS_PREV_HASH`] for an empty log.
    pub hash: [u8; 32],
    /// Timestamp of the last entry; `i64::MIN` for an empty log or when unknown.
    pub timestamp: i64,
}

/// Why an entry could not be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The sequence number space (`u64`) is exhausted.
    #[error("audit log sequence numbers exhausted")]
    SequenceExhausted,
    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    /// [`Chain::commit`] was given an entry that does not follow the current head.
    #[error("entry {seq} does not follow the chain head")]
    NotNext {
        /// `seq` of the rejected entry.
        seq: u64,
    },
}

/// Appends entries to a log, keeping the head (last seq, hash, timestamp) in memory.
///
/// A `Chain` does no IO: the caller persists each returned [`Entry`]. The usual pattern,
/// with the `Chain` behind the same lock as the write:
///
/// ```
/// # fn store(_: &audit::Entry) -> Result<(), std::io::Error> { Ok(()) }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut chain = audit::Chain::genesis();
/// let entry = chain.prepare(audit::NewEntry {
///     timestamp: 1_700_000_000_000_000,
///     actor: "alpha".into(),
///     kind: "intent.created".into(),
///     subject: Some("intent-1".into()),
///     parties: vec!["alpha".into()],
///     payload: r#"{"id":"intent-1"}"#.into(),
/// })?;
/// store(&entry)?; // durable, in the same transaction as the state change
/// chain.commit(&entry)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Chain {
    head: Head,
}

impl Chain {
    /// A chain for an empty log: the first entry gets `seq` 1 and a zero `prev_hash`.
    #[must_use]
    pub fn genesis() -> Self {
        Self { head: Head { seq: 0, hash: GENESIS_PREV_HASH, timestamp: i64::MIN } }
    }

    /// Continues a stored log whose last entry has `last_seq`, `last_hash` and
    /// `last_timestamp` (pass `i64::MIN` if unknown: the next timestamp is then not raised).
    /// `resume(0, GENESIS_PREV_HASH, i64::MIN)` is [`Chain::genesis`].
    #[must_use]
    pub fn resume(last_seq: u64, last_hash: [u8; 32], last_timestamp: i64) -> Self {
        Self { head: Head { seq: last_seq, hash: last_hash, timestamp: last_timestamp } }
    }

    /// Continues a stored log whose last entry is `last`.
    #[must_use]
    pub fn resume_after(last: &Entry) -> Self {
        Self::resume(last.seq, last.hash, last.timestamp)
    }

    /// The current head (last appended entry).
    #[must_use]
    pub fn head(&self) -> Head {
        self.head
    }

    /// Builds the next entry without advancing the chain; call [`Chain::commit`] once it is
    /// stored. `parties` is sorted and deduplicated; a timestamp earlier than the head's is
    /// raised to the head's (so a wall-clock step backwards never blocks writing, and the
    /// log's timestamps stay non-decreasing).
    ///
    /// # Errors
    /// [`AppendError::SequenceExhausted`] if the head is at `u64::MAX`;
    /// [`AppendError::Randomness`] if the OS random generator (for the salt) fails.
    pub fn prepare(&self, new: NewEntry) -> Result<Entry, AppendError> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| AppendError::Randomness(e.to_string()))?;
        self.prepare_with_salt(new, salt)
    }

    /// As [`Chain::prepare`], with a caller-chosen salt (deterministic tests, or a caller with
    /// its own CSPRNG). A salt must be unpredictable to the parties, or slices stop hiding
    /// the content of entries a party may not see.
    ///
    /// # Errors
    /// [`AppendError::SequenceExhausted`] if the head is at `u64::MAX`.
    pub fn prepare_with_salt(&self, new: NewEntry, salt: [u8; SALT_LEN]) -> Result<Entry, AppendError> {
        let seq = self.head.seq.checked_add(1).ok_or(AppendError::SequenceExhausted)?;
        let mut parties = new.parties;
        parties.sort_unstable();
        parties.dedup();
        let mut entry = Entry {
            seq,
            timestamp: new.timestamp.max(self.head.timestamp),
            actor: new.actor,
            kind: new.kind,
            subject: new.subject,
            parties,
            payload: new.payload,
            salt,
            prev_hash: self.head.hash,
            hash: [0u8; 32],
        };
        entry.hash = entry.compute_hash();
        Ok(entry)
    }

    /// Advances the head to `entry`, which must be the entry [`Chain::prepare`] returned for
    /// the current head.
    ///
    /// # Errors
    /// [`AppendError::NotNext`] if `entry` does not follow the head (wrong `seq`,
    /// `prev_hash`, or a `hash` that does not match its content).
    pub fn commit(&mut self, entry: &Entry) -> Result<(), AppendError> {
        let follows = self.head.seq.checked_add(1) == Some(entry.seq)
            && entry.prev_hash == self.head.hash
            && entry.timestamp >= self.head.timestamp
            && entry.is_canonical()
            && entry.compute_hash() == entry.hash;
        if !follows {
            return Err(AppendError::NotNext { seq: entry.seq });
        }
        self.head = Head { seq: entry.seq, hash: entry.hash, timestamp: entry.timestamp };
        Ok(())
    }

    /// [`Chain::prepare`] then [`Chain::commit`]: for callers that persist after the fact
    /// or keep the log in memory. If persisting the returned entry fails, discard this
    /// `Chain` and [`Chain::resume_after`] the last durable entry.
    ///
    /// # Errors
    /// As [`Chain::prepare`].
    pub fn append(&mut self, new: NewEntry) -> Result<Entry, AppendError> {
        let entry = self.prepare(new)?;
        self.commit(&entry)?;
        Ok(entry)
    }
}
