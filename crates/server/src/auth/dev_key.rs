//! The development signing key, for `deconflict token` and `serve --dev` only.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde::Serialize;

use super::{AuthError, TrustedKey};

/// What a development token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The subject (also written as `client_id`).
    pub sub: String,
    /// The scopes granted, written space-separated in `scope`.
    pub scopes: Vec<String>,
    /// The audience (`aud`).
    pub audience: String,
    /// The lifetime: `exp` = now + ttl (whole seconds). A verifier refuses a
    /// ttl above its maximum (one hour by default).
    pub ttl: Duration,
}

/// An ES256 (P-256) key pair kept as a PKCS#8 PEM file: created on first use
/// (mode 0600 on unix), reloaded afterwards. Tokens it signs carry
/// `iss` = [`DevKey::ISSUER`] and a `kid` (the RFC 7638 thumbprint of its
/// public key).
pub struct DevKey {
    path: PathBuf,
    encoding: EncodingKey,
    public_pem: String,
    kid: String,
}

impl fmt::Debug for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevKey").field("path", &self.path).field("kid", &self.kid).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct DevClaims<'a> {
    sub: &'a str,
    client_id: &'a str,
    scope: String,
    aud: &'a str,
    iss: &'a str,
    nbf: i64,
    iat: i64,
    exp: i64,
    jti: String,
}

impl DevKey {
    /// The `iss` of development tokens.
    pub const ISSUER: &'static str = "deconflict-dev";

    /// Loads the key at `path`, or creates it there (and its parent
    /// directories) when the file does not exist. An existing file that is not
    /// a P-256 PKCS#8 PEM private key is an error, never overwritten.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthError> {
        match fs::read_to_string(path) {
            Ok(pem) => Self::from_file_contents(path, &pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(source) => Err(AuthError::KeyFile { path: path.to_owned(), source }),
        }
    }

    /// The public half, trusted for ES256 with this key's `kid`, bound to
    /// [`DevKey::ISSUER`], and granting every scope (development only: the
    /// key's holder is the operator of a local server).
    pub fn trusted_key(&self) -> Result<TrustedKey, AuthError> {
        let label = format!("dev key {}", self.path.display());
        Ok(TrustedKey::from_pem(self.public_pem.as_bytes(), &label)?
            .with_kid(self.kid.clone())
            .with_issuer(Self::ISSUER)
            .with_grants(super::Grants::Any))
    }

    /// Signs a token for `claims` issued at `now_unix`: `sub`, `client_id` =
    /// sub, `scope`, `aud`, `iss` = [`DevKey::ISSUER`], `nbf` = `iat` = now,
    /// `exp` = now + ttl, `jti` a random UUID.
    pub fn sign(&self, claims: &TokenRequest, now_unix: i64) -> Result<String, AuthError> {
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Signing("the subject is empty".into()));
        }
        if claims.audience.trim().is_empty() {
            return Err(AuthError::Signing("the audience is empty".into()));
        }
        if claims.scopes.iter().any(|s| s.is_empty() || s.contains(char::is_whitespace)) {
            return Err(AuthError::Signing("a scope is empty or contains whitespace".into()));
        }
        let ttl = i64::try_from(claims.ttl.as_secs())
            .ok()
            .filter(|ttl| *ttl > 0)
            .ok_or_else(|| AuthError::Signing("the ttl must be at least one second".into()))?;
        let exp =
            now_unix.checked_add(ttl).ok_or_else(|| AuthError::Signing("the expiry overflows".into()))?;
        let body = DevClaims {
            sub: &claims.sub,
            client_id: &claims.sub,
            scope: claims.scopes.join(" "),
            aud: &claims.audience,
            iss: Self::ISSUER,
            nbf: now_unix,
            iat: now_unix,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &body, &self.encoding).map_err(|e| AuthError::Signing(e.to_string()))
    }

    /// The file the key is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key id written in the tokens' `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`), e.g. to configure
    /// another verifier to trust development tokens.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    fn create(path: &Path) -> Result<Self, AuthError> {
        let dev_err = |reason: String| AuthError::DevKey { path: path.to_owned(), reason };
        let secret =
            p256::SecretKey::try_generate().map_err(|e| dev_err(format!("cannot generate a key: {e}")))?;
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| dev_err(format!("cannot encode the key: {e}")))?;
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            fs::create_dir_all(parent)
                .map_err(|source| AuthError::KeyFile { path: parent.to_owned(), source })?;
        }
        if write_new_private_file(path, pem.as_bytes())? {
            tracing::info!(path = %path.display(), "created development signing key");
            Self::from_file_contents(path, &pem)
        } else {
            // Another process created the file first: use its key.
            let pem = fs::read_to_string(path)
                .map_err(|source| AuthError::KeyFile { path: path.to_owned(), source })?;
            Self::from_file_contents(path, &pem)
        }
    }

    fn from_file_contents(path: &Path, pem: &str) -> Result<Self, AuthError> {
        let dev_err = |reason: String| AuthError::DevKey { path: path.to_owned(), reason };
        warn_if_readable_by_others(path);
        let secret = p256::SecretKey::from_pkcs8_pem(pem)
            .map_err(|e| dev_err(format!("not a P-256 PKCS#8 PEM private key: {e}")))?;
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|e| dev_err(format!("unusable private key: {e}")))?;
        let public_pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| dev_err(format!("cannot encode the public key: {e}")))?;
        // `Jwk::thumbprint` panics without a crypto provider: check first.
        CryptoProvider::try_get_default().ok_or(AuthError::NoCryptoProvider)?;
        let kid = Jwk::from_encoding_key(&encoding, Algorithm::ES256)
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
            .map_err(|e| dev_err(format!("cannot compute the key id: {e}")))?;
        Ok(Self { path: path.to_owned(), encoding, public_pem, kid })
    }
}

/// Writes `contents` to a new file at `path`, readable by the owner only,
/// without ever replacing an existing file and without exposing a partly
/// written one. Returns false when `path` already existed.
fn write_new_private_file(path: &Path, contents: &[u8]) -> Result<bool, AuthError> {
    let file_err = |path: &Path, source| AuthError::KeyFile { path: path.to_owned(), source };
    let file_name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4().simple()));

    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(file_err(&tmp, source));
    }
    // A hard link never replaces an existing file, unlike a rename.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) => {
            // The file system has no hard links: create the file in place.
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(contents)
                        .and_then(|()| file.sync_all())
                        .map_err(|source| file_err(path, source))?;
                    Ok(true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(source) => Err(file_err(path, source)),
            }
        }
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            mode = format_args!("{:o}", meta.permissions().mode() & 0o777),
            "development signing key is accessible to other users"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
