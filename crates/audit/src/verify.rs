//! Offline verification of full logs and per-party slices.

use crate::checkpoint::{Checkpoint, KeyId, PublicKey};
use crate::entry::{Entry, GENESIS_PREV_HASH, Link};

/// The first problem found, naming the entry (or checkpoint) precisely.
///
/// Entries are checked in order, each for: sequence ([`VerifyError::Gap`]), canonical form,
/// hash, link, time; then checkpoints in ascending `seq`, each for: key, signature, range,
/// match. The error is the first failure in that order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The entry's content does not hash to its `hash` (or, in a slice, to the skeleton's
    /// hash for that `seq`): the entry was altered.
    #[error("entry {seq}: content does not match its hash")]
    BadHash {
        /// The altered entry.
        seq: u64,
    },
    /// The entry's `prev_hash` is not the previous entry's hash (or zero for entry 1): the
    /// entry before it was altered and re-hashed, removed or replaced.
    #[error("entry {seq}: prev_hash does not match the previous entry")]
    BrokenLink {
        /// The entry whose link is broken.
        seq: u64,
    },
    /// Sequence numbers are not contiguous (an entry is missing, duplicated or reordered, or
    /// the first is 0).
    #[error("sequence gap: expected entry {expected}, found {found}")]
    Gap {
        /// The sequence number that should have come next.
        expected: u64,
        /// The one that did.
        found: u64,
    },
    /// The entry's timestamp is earlier than the previous (visible) entry's.
    #[error("entry {seq}: timestamp earlier than the previous entry's")]
    TimeWentBack {
        /// The entry dated too early.
        seq: u64,
    },
    /// The entry's `parties` is not strictly ascending (unsorted or duplicated).
    #[error("entry {seq}: parties not sorted and deduplicated")]
    NonCanonical {
        /// The malformed entry.
        seq: u64,
    },
    /// A checkpoint's signature does not verify under the trusted key its `key_id` names.
    #[error("checkpoint at {checkpoint_seq}: bad signature")]
    BadSignature {
        /// `seq` of the forged checkpoint.
        checkpoint_seq: u64,
    },
    /// A validly signed checkpoint names a different hash than the log has at its `seq`:
    /// the log was rewritten after signing (or the service equivocated).
    #[error("checkpoint at {seq}: hash does not match entry {seq}")]
    CheckpointMismatch {
        /// `seq` of the checkpoint and entry.
        seq: u64,
    },
    /// A checkpoint covers a `seq` outside the entries (or skeleton) given.
    #[error("checkpoint at {seq}: no such entry in the log given")]
    CheckpointOutOfRange {
        /// `seq` of the checkpoint.
        seq: u64,
    },
    /// A checkpoint is signed by a key that is not trusted.
    #[error("checkpoint signed by untrusted key {key_id}")]
    UnknownKey {
        /// The checkpoint's `key_id`.
        key_id: KeyId,
    },
    /// A slice entry's `seq` is outside its skeleton.
    #[error("entry {seq}: not covered by the skeleton")]
    NotInSkeleton {
        /// The entry's `seq`.
        seq: u64,
    },
    /// Slice entries are not in strictly ascending `seq` order.
    #[error("entry {seq}: out of order or duplicated")]
    Unordered {
        /// The entry out of place.
        seq: u64,
    },
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Full entries whose content was hashed and checked.
    pub entries_checked: usize,
    /// Chain links checked (equals `entries_checked` for [`verify`]; the skeleton length for
    /// [`verify_slice`]).
    pub links_checked: usize,
    /// First `seq` of the range, `None` if empty.
    pub first_seq: Option<u64>,
    /// Last `seq` of the range, `None` if empty.
    pub last_seq: Option<u64>,
    /// Hash of the last entry of the range.
    pub head_hash: Option<[u8; 32]>,
    /// Checkpoints verified.
    pub checkpoints_checked: usize,
    /// Highest `seq` covered by a verified checkpoint.
    pub last_checkpoint_seq: Option<u64>,
    /// Entries after the last checkpoint (all of them if there is none). These are hash
    /// chained but NOT signed: anyone could have written them.
    pub unsigned_tail: u64,
}

impl VerifyReport {
    /// Whether every entry of the range is covered by a verified checkpoint.
    #[must_use]
    pub fn fully_signed(&self) -> bool {
        self.unsigned_tail == 0 && self.last_checkpoint_seq.is_some()
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.first_seq, self.last_seq) {
            (Some(first), Some(last)) => write!(
                f,
                "chain of {} entries (seq {first}..={last}) intact, {} shown in full; ",
                self.links_checked, self.entries_checked
            )?,
            _ => f.write_str("empty log; ")?,
        }
        write!(f, "{} checkpoint(s) valid", self.checkpoints_checked)?;
        match self.last_checkpoint_seq {
            Some(seq) => write!(f, ", signed up to seq {seq}")?,
            None => f.write_str(", nothing signed")?,
        }
        if self.unsigned_tail > 0 {
            write!(f, "; WARNING: {} entries after that are NOT signed", self.unsigned_tail)?;
        }
        if self.first_seq.is_some_and(|s| s != 1) {
            f.write_str("; partial range (does not start at seq 1)")?;
        }
        Ok(())
    }
}

/// What a party may be shown: the hashes of the whole range plus the full entries it may see.
///
/// `skeleton` holds one [`Link`] per `seq` of the range (contiguous, ascending);
/// `entries` the visible entries (ascending); `checkpoints` signed checkpoints within the
/// range. A full log is a slice whose `entries` cover the whole skeleton.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slice {
    /// `(seq, prev_hash, hash)` of every entry of the range.
    pub skeleton: Vec<Link>,
    /// Full entries the recipient may see.
    pub entries: Vec<Entry>,
    /// Checkpoints covering entries of the range.
    pub checkpoints: Vec<Checkpoint>,
}

impl Slice {
    /// The slice of a full log (`entries` contiguous, ascending) for `party`: every link,
    /// the entries whose `parties` contain `party`, and all `checkpoints`.
    #[must_use]
    pub fn for_party(entries: &[Entry], checkpoints: &[Checkpoint], party: &str) -> Self {
        Self::filtered(entries, checkpoints, |e| e.concerns(party))
    }

    /// The whole log as a slice (every entry visible).
    #[must_use]
    pub fn full(entries: &[Entry], checkpoints: &[Checkpoint]) -> Self {
        Self::filtered(entries, checkpoints, |_| true)
    }

    /// The slice showing the entries for which `visible` is true.
    #[must_use]
    pub fn filtered(entries: &[Entry], checkpoints: &[Checkpoint], visible: impl Fn(&Entry) -> bool) -> Self {
        Self {
            skeleton: entries.iter().map(Entry::link).collect(),
            entries: entries.iter().filter(|e| visible(e)).cloned().collect(),
            checkpoints: checkpoints.to_vec(),
        }
    }
}

/// Checks the entry at `seq` follows `prev` (the previous link, if any in the range).
fn check_sequence(prev: Option<&Link>, link: &Link) -> Result<(), VerifyError> {
    match prev {
        None => {
            if link.seq == 0 {
                return Err(VerifyError::Gap { expected: 1, found: 0 });
            }
        }
        Some(p) => {
            let expected =
                p.seq.checked_add(1).ok_or(VerifyError::Gap { expected: p.seq, found: link.seq })?;
            if link.seq != expected {
                return Err(VerifyError::Gap { expected, found: link.seq });
            }
        }
    }
    Ok(())
}

fn check_prev_hash(prev: Option<&Link>, link: &Link) -> Result<(), VerifyError> {
    let ok = match prev {
        Some(p) => link.prev_hash == p.hash,
        // Range start: entry 1 must link to genesis; a later start is anchored only by
        // checkpoints.
        None => link.seq != 1 || link.prev_hash == GENESIS_PREV_HASH,
    };
    if ok { Ok(()) } else { Err(VerifyError::BrokenLink { seq: link.seq }) }
}

/// The link of `seq` in `links`, a contiguous range (checked before), if it is in it.
fn link_at(links: &[Link], seq: u64) -> Option<&Link> {
    let first = links.first()?.seq;
    links.get(usize::try_from(seq.checked_sub(first)?).ok()?)
}

/// Verifies checkpoints against a contiguous range of links.
fn check_checkpoints(
    links: &[Link],
    checkpoints: &[Checkpoint],
    trusted_keys: &[PublicKey],
    report: &mut VerifyReport,
) -> Result<(), VerifyError> {
    let mut ordered: Vec<&Checkpoint> = checkpoints.iter().collect();
    ordered.sort_by_key(|c| c.seq);
    for cp in ordered {
        let key = trusted_keys
            .iter()
            .find(|k| k.key_id() == cp.key_id)
            .ok_or(VerifyError::UnknownKey { key_id: cp.key_id })?;
        if !cp.is_signed_by(key) {
            return Err(VerifyError::BadSignature { checkpoint_seq: cp.seq });
        }
        let link = link_at(links, cp.seq).ok_or(VerifyError::CheckpointOutOfRange { seq: cp.seq })?;
        if link.hash != cp.hash {
            return Err(VerifyError::CheckpointMismatch { seq: cp.seq });
        }
        report.checkpoints_checked += 1;
        report.last_checkpoint_seq = Some(report.last_checkpoint_seq.map_or(cp.seq, |s| s.max(cp.seq)));
    }
    let last = links.last().map_or(0, |l| l.seq);
    report.unsigned_tail = match report.last_checkpoint_seq {
        Some(c) => last.saturating_sub(c),
        None => links.len() as u64,
    };
    Ok(())
}

fn check_entry_content(entry: &Entry, expected_hash: &[u8; 32]) -> Result<(), VerifyError> {
    if !entry.is_canonical() {
        return Err(VerifyError::NonCanonical { seq: entry.seq });
    }
    let hash = entry.compute_hash();
    if hash != entry.hash || hash != *expected_hash {
        return Err(VerifyError::BadHash { seq: entry.seq });
    }
    Ok(())
}

/// Verifies a contiguous run of entries (normally the whole log, starting at `seq` 1) and
/// its checkpoints against `trusted_keys`.
///
/// Checks, per entry in order: contiguous `seq` (starting at 1, or anywhere for a partial
/// range), canonical `parties`, `hash` recomputed from the content, `prev_hash` equal to the
/// previous entry's hash (zero for entry 1), non-decreasing timestamp. Then each checkpoint:
/// signed by a trusted key, covers an entry given, names that entry's hash.
///
/// # Errors
/// The first failure, as a [`VerifyError`] naming the entry or checkpoint.
pub fn verify(
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    trusted_keys: &[PublicKey],
) -> Result<VerifyReport, VerifyError> {
    let mut links = Vec::with_capacity(entries.len());
    let mut prev: Option<&Entry> = None;
    for entry in entries {
        let link = entry.link();
        let prev_link = prev.map(Entry::link);
        check_sequence(prev_link.as_ref(), &link)?;
        check_entry_content(entry, &entry.hash)?;
        check_prev_hash(prev_link.as_ref(), &link)?;
        if prev.is_some_and(|p| entry.timestamp < p.timestamp) {
            return Err(VerifyError::TimeWentBack { seq: entry.seq });
        }
        links.push(link);
        prev = Some(entry);
    }
    let mut report = VerifyReport {
        entries_checked: entries.len(),
        links_checked: links.len(),
        first_seq: links.first().map(|l| l.seq),
        last_seq: links.last().map(|l| l.seq),
        head_hash: links.last().map(|l| l.hash),
        ..VerifyReport::default()
    };
    check_checkpoints(&links, checkpoints, trusted_keys, &mut report)?;
    Ok(report)
}

/// Verifies a [`Slice`]: the skeleton is a well-formed chain, every visible entry hashes to
/// the skeleton's hash at its `seq` and has the skeleton's `prev_hash`, visible entries are
/// in order with non-decreasing timestamps, and each checkpoint is signed by a trusted key
/// and names the skeleton's hash at its `seq`.
///
/// What it does not show: that the slice contains every entry the recipient should see
/// (the service chooses what is visible), nor anything about hidden entries beyond their
/// count and position.
///
/// # Errors
/// The first failure, as a [`VerifyError`]: skeleton problems first (in `seq` order), then
/// entries, then checkpoints.
pub fn verify_slice(slice: &Slice, trusted_keys: &[PublicKey]) -> Result<VerifyReport, VerifyError> {
    let skeleton = &slice.skeleton;
    let mut prev: Option<&Link> = None;
    for link in skeleton {
        check_sequence(prev, link)?;
        check_prev_hash(prev, link)?;
        prev = Some(link);
    }
    let mut prev_entry: Option<&Entry> = None;
    for entry in &slice.entries {
        if prev_entry.is_some_and(|p| entry.seq <= p.seq) {
            return Err(VerifyError::Unordered { seq: entry.seq });
        }
        let link = link_at(skeleton, entry.seq).ok_or(VerifyError::NotInSkeleton { seq: entry.seq })?;
        check_entry_content(entry, &link.hash)?;
        if entry.prev_hash != link.prev_hash {
            return Err(VerifyError::BrokenLink { seq: entry.seq });
        }
        if prev_entry.is_some_and(|p| entry.timestamp < p.timestamp) {
            return Err(VerifyError::TimeWentBack { seq: entry.seq });
        }
        prev_entry = Some(entry);
    }
    let mut report = VerifyReport {
        entries_checked: slice.entries.len(),
        links_checked: skeleton.len(),
        first_seq: skeleton.first().map(|l| l.seq),
        last_seq: skeleton.last().map(|l| l.seq),
        head_hash: skeleton.last().map(|l| l.hash),
        ..VerifyReport::default()
    };
    check_checkpoints(skeleton, &slice.checkpoints, trusted_keys, &mut report)?;
    Ok(report)
}
