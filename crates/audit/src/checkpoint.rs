//! Ed25519 service keys and signed checkpoints.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::entry::Entry;
use crate::hex;

/// Domain-separation prefix of the signed checkpoint message (30 ASCII bytes).
pub const CHECKPOINT_DOMAIN: &[u8] = b"deconflict-audit-checkpoint-v1";

/// Length of [`Checkpoint::signed_message`]: prefix, seq, hash, timestamp.
pub const CHECKPOINT_MESSAGE_LEN: usize = 30 + 8 + 32 + 8;

/// Errors reading or creating keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
    /// Not a valid PKCS#8 / SPKI PEM Ed25519 key.
    #[error("invalid PEM key: {0}")]
    Pem(String),
    /// Not 64 hex digits, or not a valid Ed25519 public key.
    #[error("invalid hex public key")]
    Hex,
    /// Not 16 hex digits.
    #[error("invalid key id (expected 16 hex digits)")]
    KeyId,
}

/// Identifies a public key: the first 8 bytes of SHA-256 of its 32 raw bytes.
/// Displayed and parsed as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        hex::decode_array::<8>(s).map(KeyId).ok_or(KeyError::KeyId)
    }
}

/// An Ed25519 public key trusted (or not) to sign checkpoints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("key_id", &self.key_id()).field("hex", &self.to_hex()).finish()
    }
}

impl PublicKey {
    /// Wraps a `VerifyingKey`.
    #[must_use]
    pub fn new(key: VerifyingKey) -> Self {
        Self(key)
    }

    /// The wrapped `VerifyingKey`.
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// The 32 raw bytes (RFC 8032 encoding).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// `KeyId` of this key.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        let digest: [u8; 32] = Sha256::digest(self.0.as_bytes()).into();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// The 32 raw bytes as 64 lowercase hex digits.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Parses 64 hex digits (either case; surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`KeyError::Hex`] if not 64 hex digits or not a valid curve point.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode_array::<32>(s.trim()).ok_or(KeyError::Hex)?;
        VerifyingKey::from_bytes(&bytes).map(Self).map_err(|_| KeyError::Hex)
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout`).
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails (not expected for a valid key).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0.to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// Parses SubjectPublicKeyInfo PEM.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if not an Ed25519 `PUBLIC KEY` PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_pem(pem.trim()).map(Self).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// Whether `signature` is this key's signature over `msg` (strict RFC 8032 verification:
    /// rejects non-canonical and small-order encodings).
    fn verify(&self, msg: &[u8], signature: &[u8; 64]) -> bool {
        self.0.verify_strict(msg, &Signature::from_bytes(signature)).is_ok()
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Accepts either SPKI PEM (text containing `-----BEGIN`) or 64 hex digits: convenient
    /// for a `--trusted-key` command-line value or a key file's contents.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        if s.contains("-----BEGIN") { Self::from_pem(s) } else { Self::from_hex(s) }
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(key: VerifyingKey) -> Self {
        Self(key)
    }
}

/// The service's checkpoint signing key (Ed25519).
///
/// Stored as PKCS#8 v2 PEM (`-----BEGIN PRIVATE KEY-----`, readable by
/// `openssl pkey -in key.pem -pubout`). Loading and saving are strings in and out: the
/// caller writes the file (mode 0600) itself. `Debug` prints only the key id.
pub struct ServiceKey(SigningKey);

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceKey").field("key_id", &self.key_id()).finish_non_exhaustive()
    }
}

impl ServiceKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Randomness`] if the OS generator fails.
    pub fn generate() -> Result<Self, KeyError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut_slice()).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Ok(Self(SigningKey::from_bytes(&secret)))
    }

    /// Wraps an existing `SigningKey`.
    #[must_use]
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self(key)
    }

    /// Parses a PKCS#8 PEM private key (v1 or v2; a v2 embedded public key must match).
    ///
    /// # Errors
    /// [`KeyError::Pem`] if it is not an Ed25519 `PRIVATE KEY` PEM.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem.trim()).map(Self).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// PKCS#8 v2 PEM of the key (zeroized on drop).
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails (not expected).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.0.to_pkcs8_pem(LineEnding::LF).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// `KeyId` of the public half.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs the checkpoint "the log's entry `seq` has hash `hash`", dated `timestamp`
    /// (µs since the Unix epoch, UTC).
    #[must_use]
    pub fn sign_checkpoint(&self, seq: u64, hash: [u8; 32], timestamp: i64) -> Checkpoint {
        let signature = self.0.sign(&Checkpoint::signed_message(seq, &hash, timestamp)).to_bytes();
        Checkpoint { seq, hash, timestamp, key_id: self.key_id(), signature }
    }

    /// Signs a checkpoint covering `entry` (usually the chain head).
    #[must_use]
    pub fn checkpoint(&self, entry: &Entry, timestamp: i64) -> Checkpoint {
        self.sign_checkpoint(entry.seq, entry.hash, timestamp)
    }
}

/// A service signature over "entry `seq` of the log has hash `hash`", made at `timestamp`.
///
/// Because each hash commits to all earlier entries, a valid checkpoint authenticates the
/// whole log prefix `1..=seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Sequence number of the entry covered.
    pub seq: u64,
    /// Hash of that entry.
    pub hash: [u8; 32],
    /// When the checkpoint was signed, µs since the Unix epoch (UTC).
    pub timestamp: i64,
    /// Which key signed it.
    pub key_id: KeyId,
    /// Ed25519 signature (64 bytes, R || S) over [`Checkpoint::signed_message`].
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The exact bytes signed: `CHECKPOINT_DOMAIN || seq (u64 BE) || hash (32) ||
    /// timestamp (i64 BE)`, 78 bytes.
    #[must_use]
    pub fn signed_message(seq: u64, hash: &[u8; 32], timestamp: i64) -> [u8; CHECKPOINT_MESSAGE_LEN] {
        let mut msg = [0u8; CHECKPOINT_MESSAGE_LEN];
        let (domain, rest) = msg.split_at_mut(CHECKPOINT_DOMAIN.len());
        domain.copy_from_slice(CHECKPOINT_DOMAIN);
        let (seq_bytes, rest) = rest.split_at_mut(8);
        seq_bytes.copy_from_slice(&seq.to_be_bytes());
        let (hash_bytes, ts_bytes) = rest.split_at_mut(32);
        hash_bytes.copy_from_slice(hash);
        ts_bytes.copy_from_slice(&timestamp.to_be_bytes());
        msg
    }

    /// Whether this checkpoint carries a valid signature by `key` (the `key_id` field must
    /// also be `key`'s).
    #[must_use]
    pub fn is_signed_by(&self, key: &PublicKey) -> bool {
        self.key_id == key.key_id()
            && key.verify(&Self::signed_message(self.seq, &self.hash, self.timestamp), &self.signature)
    }

    /// Whether `self` and `other` are both validly signed by trusted keys yet name different
    /// hashes for the same `seq`: proof that the service forked the log (showed different
    /// histories to different holders). Parties detect this by comparing checkpoints.
    #[must_use]
    pub fn equivocates_with(&self, other: &Checkpoint, trusted_keys: &[PublicKey]) -> bool {
        let signed = |c: &Checkpoint| trusted_keys.iter().any(|k| c.is_signed_by(k));
        self.seq == other.seq && self.hash != other.hash && signed(self) && signed(other)
    }
}
