//! Party key pairs and line keys sealed to them.
//!
//! Each party has an X25519 key pair. A line key of one epoch is sealed to
//! each member separately: the sender draws a fresh ephemeral X25519 key,
//! derives a one-use key with HKDF-SHA-256 from both Diffie–Hellman results
//! (ephemeral–recipient and sender–recipient, so only the holder of the
//! sender's private key can make an envelope the recipient accepts) and
//! the public keys involved, and encrypts the 32 bytes with
//! ChaCha20-Poly1305, the envelope's context (line, epoch, sender,
//! recipient) as associated data. A relay that holds the envelopes learns
//! nothing of the key and cannot move an envelope to another line, epoch
//! or recipient, nor make one of its own.

use std::fmt;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{Epoch, LineKey, LinePolicy};

/// Why a key or an envelope was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Bytes of the wrong length for what they should be.
    #[error("{what} must be {expected} bytes, not {got}")]
    Length {
        /// What was being read.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it had.
        got: usize,
    },
    /// A public key of small order (its shared secret would be known to anyone).
    #[error("public key of {0} is not a usable X25519 key")]
    WeakKey(String),
    /// The envelope did not open: not sealed to this recipient, not by this
    /// sender, for another line or epoch, or altered.
    #[error("envelope for {recipient} on line {line} epoch {epoch} does not open with these keys")]
    Refused {
        /// The line.
        line: String,
        /// The epoch.
        epoch: u64,
        /// The recipient.
        recipient: String,
    },
    /// A rotation named a member twice.
    #[error("member {0} is named twice")]
    DuplicateMember(String),
    /// A rotation with no members.
    #[error("a line key needs at least one member")]
    NoMembers,
}

/// A party's private X25519 key. Wiped when dropped; `Debug` does not print it.
pub struct PartySecretKey(StaticSecret);

impl fmt::Debug for PartySecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartySecretKey(public {})", self.public().fingerprint())
    }
}

impl PartySecretKey {
    /// A new key from `rng`.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut b = Zeroizing::new([0_u8; 32]);
        rng.fill_bytes(&mut b[..]);
        PartySecretKey(StaticSecret::from(*b))
    }

    /// From its 32 bytes (as [`PartySecretKey::to_bytes`] gave them).
    ///
    /// # Errors
    /// [`KeyError::Length`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let b: Zeroizing<[u8; 32]> = Zeroizing::new(fixed("private key", bytes)?);
        Ok(PartySecretKey(StaticSecret::from(*b)))
    }

    /// Its 32 bytes, to store (wiped when the value is dropped).
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key to publish.
    #[must_use]
    pub fn public(&self) -> PartyPublicKey {
        PartyPublicKey(PublicKey::from(&self.0).to_bytes())
    }
}

/// A party's public X25519 key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartyPublicKey([u8; 32]);

impl fmt::Debug for PartyPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyPublicKey({})", self.fingerprint())
    }
}

impl PartyPublicKey {
    /// From its 32 bytes.
    ///
    /// # Errors
    /// [`KeyError::Length`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        Ok(PartyPublicKey(fixed("public key", bytes)?))
    }

    /// Its 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 16 bytes of its SHA-256 in hex, grouped by four: what two
    /// parties read to each other to check they hold each other's real key.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let h = Sha256::digest(self.0);
        let hex: Vec<String> = h[..16].chunks(2).map(|c| format!("{:02x}{:02x}", c[0], c[1])).collect();
        hex.join("-")
    }
}

fn fixed<const N: usize>(what: &'static str, bytes: &[u8]) -> Result<[u8; N], KeyError> {
    bytes.try_into().map_err(|_| KeyError::Length { what, expected: N, got: bytes.len() })
}

/// What an envelope is for; bound into it as associated data, so it opens
/// only under the same context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnvelopeContext<'a> {
    /// The line.
    pub line: &'a str,
    /// The key's epoch.
    pub epoch: Epoch,
    /// The party that sealed it.
    pub sender: &'a str,
    /// The party it is sealed to.
    pub recipient: &'a str,
    /// The line policy the epoch's tokens are made with (a line key's
    /// envelope binds it, by [`LinePolicy::digest`], so every member that
    /// opens the key also agrees on the grid and the limits; `None` for
    /// sealed geometry).
    pub policy: Option<&'a LinePolicy>,
}

impl EnvelopeContext<'_> {
    /// Tag, then each field with its length (so no two contexts encode alike).
    fn encode(&self, tag: &[u8]) -> Vec<u8> {
        let mut out = tag.to_vec();
        for s in [self.line, self.sender, self.recipient] {
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&self.epoch.0.to_be_bytes());
        match self.policy {
            Some(p) => {
                out.push(1);
                out.extend_from_slice(&p.digest());
            }
            None => out.push(0),
        }
        out
    }
}

/// A line key sealed to one recipient: the sender's ephemeral public key and
/// the encrypted key with its tag.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    ephemeral: [u8; 32],
    sealed: [u8; Envelope::SEALED_LEN],
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Envelope(..)")
    }
}

impl Envelope {
    const SEALED_LEN: usize = 32 + 16;
    /// Length of [`Envelope::to_bytes`].
    pub const LEN: usize = 32 + Self::SEALED_LEN;

    /// The bytes to relay.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        [&self.ephemeral[..], &self.sealed[..]].concat()
    }

    /// From relayed bytes.
    ///
    /// # Errors
    /// [`KeyError::Length`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let all: [u8; Self::LEN] = fixed("envelope", bytes)?;
        let (e, s) = all.split_at(32);
        Ok(Envelope { ephemeral: fixed("envelope", e)?, sealed: fixed("envelope", s)? })
    }
}

/// The one-use AEAD of an envelope: HKDF-SHA-256 over both shared secrets,
/// salted with the three public keys.
fn envelope_cipher(
    dh_ephemeral: &[u8; 32],
    dh_static: &[u8; 32],
    ephemeral: &[u8; 32],
    sender: &PartyPublicKey,
    recipient: &PartyPublicKey,
) -> ChaCha20Poly1305 {
    let ikm = Zeroizing::new([&dh_ephemeral[..], &dh_static[..]].concat());
    let salt = [&ephemeral[..], &sender.0[..], &recipient.0[..]].concat();
    let mut okm = Zeroizing::new([0_u8; 32]);
    // 32 bytes is far below HKDF-SHA-256's limit, so expanding cannot fail.
    Hkdf::<Sha256>::new(Some(&salt), &ikm)
        .expand(b"deconflict/blind/envelope-key/1", &mut okm[..])
        .unwrap_or_else(|_| unreachable!());
    ChaCha20Poly1305::new(&Key::from(*okm))
}

/// Each key is used for one envelope (its ephemeral key is fresh), so a
/// constant nonce is safe.
const NONCE: [u8; 12] = [0; 12];

const ENVELOPE_TAG: &[u8] = b"deconflict/blind/envelope/1";
const MESSAGE_TAG: &[u8] = b"deconflict/blind/geometry/1";
/// Largest message [`seal_message`] seals (bytes).
pub const MAX_MESSAGE: usize = 1 << 20;

fn seal_with(
    tag: &[u8],
    plaintext: &[u8],
    ctx: &EnvelopeContext<'_>,
    sender: &PartySecretKey,
    recipient: &PartyPublicKey,
    rng: &mut impl CryptoRng,
) -> Result<([u8; 32], Vec<u8>), KeyError> {
    let eph = PartySecretKey::generate(rng);
    let eph_pub = eph.public();
    let their = PublicKey::from(recipient.0);
    let (d1, d2) = (eph.0.diffie_hellman(&their), sender.0.diffie_hellman(&their));
    if !d1.was_contributory() || !d2.was_contributory() {
        return Err(KeyError::WeakKey(ctx.recipient.to_owned()));
    }
    let cipher = envelope_cipher(d1.as_bytes(), d2.as_bytes(), &eph_pub.0, &sender.public(), recipient);
    let mut buf = Zeroizing::new(plaintext.to_vec());
    cipher.encrypt_in_place(&Nonce::from(NONCE), &ctx.encode(tag), &mut *buf).map_err(|_| {
        KeyError::Length { what: "sealed message", expected: MAX_MESSAGE, got: plaintext.len() }
    })?;
    Ok((eph_pub.0, buf.to_vec()))
}

/// Seals `key` to `recipient` under `ctx`, authenticated by `sender`.
///
/// # Errors
/// [`KeyError::WeakKey`] when the recipient's public key is of small order.
pub fn seal(
    key: &LineKey,
    ctx: &EnvelopeContext<'_>,
    sender: &PartySecretKey,
    recipient: &PartyPublicKey,
    rng: &mut impl CryptoRng,
) -> Result<Envelope, KeyError> {
    let (ephemeral, sealed) = seal_with(ENVELOPE_TAG, &key.to_bytes()[..], ctx, sender, recipient, rng)?;
    Ok(Envelope { ephemeral, sealed: fixed("envelope", &sealed)? })
}

/// Seals any bytes (a party's exact geometry) to `recipient`, the same way
/// as a line key but under its own tag, so neither passes for the other.
/// The result is the ephemeral public key followed by the ciphertext.
///
/// # Errors
/// [`KeyError::WeakKey`]; [`KeyError::Length`] over [`MAX_MESSAGE`] bytes.
pub fn seal_message(
    plaintext: &[u8],
    ctx: &EnvelopeContext<'_>,
    sender: &PartySecretKey,
    recipient: &PartyPublicKey,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, KeyError> {
    if plaintext.len() > MAX_MESSAGE {
        return Err(KeyError::Length { what: "sealed message", expected: MAX_MESSAGE, got: plaintext.len() });
    }
    let (ephemeral, sealed) = seal_with(MESSAGE_TAG, plaintext, ctx, sender, recipient, rng)?;
    Ok([&ephemeral[..], &sealed[..]].concat())
}

/// Opens what [`seal_message`] made.
///
/// # Errors
/// [`KeyError::Refused`] for any other recipient, sender, context or bytes.
pub fn open_message(
    sealed: &[u8],
    ctx: &EnvelopeContext<'_>,
    recipient: &PartySecretKey,
    sender: &PartyPublicKey,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if sealed.len() < 32 + 16 {
        return Err(KeyError::Length { what: "sealed message", expected: 48, got: sealed.len() });
    }
    let (e, body) = sealed.split_at(32);
    open_with(MESSAGE_TAG, fixed("sealed message", e)?, body, ctx, recipient, sender)
}

/// Opens an envelope sealed to `recipient` by the holder of `sender`'s
/// private key under exactly `ctx`.
///
/// # Errors
/// [`KeyError::Refused`] for any other envelope (another recipient, sender,
/// line or epoch, or altered bytes); [`KeyError::WeakKey`] for a small-order
/// sender key.
pub fn open(
    envelope: &Envelope,
    ctx: &EnvelopeContext<'_>,
    recipient: &PartySecretKey,
    sender: &PartyPublicKey,
) -> Result<LineKey, KeyError> {
    let buf = open_with(ENVELOPE_TAG, envelope.ephemeral, &envelope.sealed, ctx, recipient, sender)?;
    let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(fixed("line key", &buf)?);
    Ok(LineKey::new(*bytes))
}

fn open_with(
    tag: &[u8],
    ephemeral: [u8; 32],
    sealed: &[u8],
    ctx: &EnvelopeContext<'_>,
    recipient: &PartySecretKey,
    sender: &PartyPublicKey,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let refused = || KeyError::Refused {
        line: ctx.line.to_owned(),
        epoch: ctx.epoch.0,
        recipient: ctx.recipient.to_owned(),
    };
    let d1 = recipient.0.diffie_hellman(&PublicKey::from(ephemeral));
    let d2 = recipient.0.diffie_hellman(&PublicKey::from(sender.0));
    if !d2.was_contributory() {
        return Err(KeyError::WeakKey(ctx.sender.to_owned()));
    }
    if !d1.was_contributory() {
        return Err(refused());
    }
    let cipher = envelope_cipher(d1.as_bytes(), d2.as_bytes(), &ephemeral, sender, &recipient.public());
    let mut buf = Zeroizing::new(sealed.to_vec());
    cipher.decrypt_in_place(&Nonce::from(NONCE), &ctx.encode(tag), &mut *buf).map_err(|_| refused())?;
    Ok(buf)
}

/// A line member as the rotating party knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The party's name.
    pub name: String,
    /// Its public key (checked by fingerprint out of band).
    pub key: PartyPublicKey,
}

/// A new epoch's key and its envelopes, one per member.
#[derive(Debug)]
pub struct Rotation {
    /// The epoch.
    pub epoch: Epoch,
    /// The new line key (kept by the rotating party, never sent in clear).
    pub key: LineKey,
    /// `(member, envelope)` for every member, in the members' order.
    pub envelopes: Vec<(String, Envelope)>,
}

/// A fresh line key for `epoch` and its `policy`, sealed by `sender` (named
/// `sender_name`) to every one of `members` (the sender among them if it
/// wants its own copy kept by the relay). Revocation is a rotation without the removed party:
/// it gets no envelope, and tokens of the new epoch never match tokens it
/// can compute with an old key (the epoch and key are in every token).
///
/// # Errors
/// [`KeyError::NoMembers`], [`KeyError::DuplicateMember`], [`KeyError::WeakKey`].
pub fn rotate(
    line: &str,
    epoch: Epoch,
    policy: &LinePolicy,
    sender_name: &str,
    sender: &PartySecretKey,
    members: &[Member],
    rng: &mut impl CryptoRng,
) -> Result<Rotation, KeyError> {
    if members.is_empty() {
        return Err(KeyError::NoMembers);
    }
    let mut names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(KeyError::DuplicateMember(w[0].to_owned()));
    }
    let key = LineKey::generate(rng);
    let envelopes = members
        .iter()
        .map(|m| {
            let ctx = EnvelopeContext {
                line,
                epoch,
                sender: sender_name,
                recipient: &m.name,
                policy: Some(policy),
            };
            Ok((m.name.clone(), seal(&key, &ctx, sender, &m.key, rng)?))
        })
        .collect::<Result<_, KeyError>>()?;
    Ok(Rotation { epoch, key, envelopes })
}
