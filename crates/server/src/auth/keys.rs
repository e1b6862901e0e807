//! Trusted public keys: from PEM (SPKI or PKCS#1) and from JWKS files.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use p256::pkcs8::DecodePublicKey as _;

use super::{AuthError, Scopes, scope};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// A public key trusted to sign bearer tokens.
///
/// Holds the decoding key, its algorithm (RS256 or ES256), an optional key id
/// matched against the token's `kid`, an optional issuer that tokens verified
/// with this key must carry in `iss`, and a label for logs.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    key: DecodingKey,
    alg: Algorithm,
    kid: Option<String>,
    issuer: Option<String>,
    party: Option<String>,
    grants: Grants,
    label: String,
}

/// The scopes a trusted key may grant in the tokens it verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// Every scope, privileged ones included: operator keys (`--operator-key`,
    /// a parties-file entry whose allow-list names them) and the development key.
    Any,
    /// Only these scopes; a token asking for another is refused (403).
    Only(Scopes),
}

impl Grants {
    /// The ordinary scopes of a party ([`scope::PARTY_DEFAULT`]): what a key
    /// grants unless the operator says otherwise.
    pub fn party_default() -> Self {
        Grants::Only(scope::PARTY_DEFAULT.iter().collect())
    }

    /// Whether `s` may be granted.
    pub fn allows(&self, s: &str) -> bool {
        match self {
            Grants::Any => true,
            Grants::Only(allowed) => allowed.has(s),
        }
    }
}

impl TrustedKey {
    /// Parses one PEM public key: `BEGIN PUBLIC KEY` (SPKI, RSA or EC P-256)
    /// or `BEGIN RSA PUBLIC KEY` (PKCS#1). RSA keys are used with RS256 and
    /// must have at least [`MIN_RSA_BITS`] bits; P-256 keys with ES256.
    /// The input must hold exactly one PEM block ([`load_key_file`] takes
    /// several).
    pub fn from_pem(pem: &[u8], label: &str) -> Result<Self, AuthError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| AuthError::invalid_key(label, "PEM input is not UTF-8 text"))?;
        let blocks = pem_blocks(text).map_err(|reason| AuthError::invalid_key(label, reason))?;
        match blocks.as_slice() {
            [block] => Self::from_pem_block(block, label),
            [] => Err(AuthError::invalid_key(label, "no PEM block found")),
            more => Err(AuthError::invalid_key(
                label,
                format!("{} PEM blocks found; expected exactly one public key", more.len()),
            )),
        }
    }

    /// Builds a key from one JWK: an RSA key (RS256) or an EC P-256 key
    /// (ES256). A key whose `use` is not `sig`, or whose `alg` is neither
    /// RS256 nor ES256, is refused. The JWK's `kid` becomes the key id.
    pub fn from_jwk(jwk: &Jwk, label: &str) -> Result<Self, AuthError> {
        if let Some(key_use) = &jwk.common.public_key_use
            && *key_use != PublicKeyUse::Signature
        {
            return Err(AuthError::invalid_key(label, "JWK `use` is not `sig`"));
        }
        let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(params), None | Some(KeyAlgorithm::RS256)) => {
                let n = b64url(&params.n).map_err(|r| AuthError::invalid_key(label, r))?;
                let e = b64url(&params.e).map_err(|r| AuthError::invalid_key(label, r))?;
                if e.iter().all(|b| *b == 0) {
                    return Err(AuthError::invalid_key(label, "RSA exponent is zero"));
                }
                check_rsa_bits(&n, label)?;
                Algorithm::RS256
            }
            (AlgorithmParameters::EllipticCurve(params), None | Some(KeyAlgorithm::ES256))
                if params.curve == EllipticCurve::P256 =>
            {
                let x = b64url(&params.x).map_err(|r| AuthError::invalid_key(label, r))?;
                let y = b64url(&params.y).map_err(|r| AuthError::invalid_key(label, r))?;
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                if x.len() != 32 || y.len() != 32 || p256::PublicKey::from_sec1_bytes(&point).is_err() {
                    return Err(AuthError::invalid_key(label, "EC key is not a valid P-256 point"));
                }
                Algorithm::ES256
            }
            (_, Some(alg)) if !matches!(alg, KeyAlgorithm::RS256 | KeyAlgorithm::ES256) => {
                return Err(AuthError::invalid_key(
                    label,
                    format!("JWK algorithm {alg:?} is not accepted (RS256 or ES256 only)"),
                ));
            }
            _ => {
                return Err(AuthError::invalid_key(
                    label,
                    "JWK is neither an RSA key nor an EC P-256 key matching its `alg`",
                ));
            }
        };
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| AuthError::invalid_key(label, format!("unusable JWK: {e}")))?;
        Ok(Self {
            key,
            alg,
            kid: jwk.common.key_id.clone(),
            issuer: None,
            party: None,
            grants: Grants::party_default(),
            label: label.to_owned(),
        })
    }

    /// Binds this key to an issuer: a token verified with it must carry
    /// exactly this `iss`.
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Binds this key to a party: a token verified with it must have exactly
    /// this `sub`, so one party's identity provider cannot speak for another.
    pub fn with_party(mut self, party: impl Into<String>) -> Self {
        self.party = Some(party.into());
        self
    }

    /// Sets what this key may grant (by default [`Grants::party_default`]).
    pub fn with_grants(mut self, grants: Grants) -> Self {
        self.grants = grants;
        self
    }

    /// What this key may grant.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// The party this key may only speak for, if bound.
    pub fn party(&self) -> Option<&str> {
        self.party.as_deref()
    }

    /// Sets the key id matched against a token's `kid` header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm tokens verified with this key must use.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The issuer this key is bound to, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The label for logs.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }

    fn from_pem_block(block: &PemBlock<'_>, label: &str) -> Result<Self, AuthError> {
        let (key, alg) = match block.tag {
            "PUBLIC KEY" => {
                if p256::PublicKey::from_public_key_pem(block.text).is_ok() {
                    let key = DecodingKey::from_ec_pem(block.text.as_bytes())
                        .map_err(|e| AuthError::invalid_key(label, format!("unusable EC public key: {e}")))?;
                    (key, Algorithm::ES256)
                } else {
                    let key = DecodingKey::from_rsa_pem(block.text.as_bytes())
                        .map_err(|_| AuthError::invalid_key(label, "not an RSA or EC P-256 public key"))?;
                    check_rsa_der(&key, label)?;
                    (key, Algorithm::RS256)
                }
            }
            "RSA PUBLIC KEY" => {
                let key = DecodingKey::from_rsa_pem(block.text.as_bytes())
                    .map_err(|e| AuthError::invalid_key(label, format!("unusable RSA public key: {e}")))?;
                check_rsa_der(&key, label)?;
                (key, Algorithm::RS256)
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                return Err(AuthError::invalid_key(
                    label,
                    "this is a private key; give the public key (BEGIN PUBLIC KEY)",
                ));
            }
            "CERTIFICATE" => {
                return Err(AuthError::invalid_key(
                    label,
                    "certificates are not accepted; extract the public key \
                     (openssl x509 -pubkey -noout -in CERT)",
                ));
            }
            other => {
                return Err(AuthError::invalid_key(
                    label,
                    format!("PEM block `{other}` is not a public key"),
                ));
            }
        };
        Ok(Self {
            key,
            alg,
            kid: None,
            issuer: None,
            party: None,
            grants: Grants::party_default(),
            label: label.to_owned(),
        })
    }
}

/// Loads the trusted keys of one file, recognised by content:
/// - a JWKS (`{"keys": [...]}`) or a single JWK object: every RS256 / ES256
///   signing key in it (other keys are skipped with a warning; none usable is
///   an error);
/// - PEM: one or more public key blocks (every block must be a usable key).
///
/// Keys are labelled with the path (and the `kid` or position in the file).
pub fn load_key_file(path: &Path) -> Result<Vec<TrustedKey>, AuthError> {
    let bytes = std::fs::read(path).map_err(|source| AuthError::KeyFile { path: path.to_owned(), source })?;
    let file_label = path.display().to_string();
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AuthError::invalid_key(&file_label, "key file is not UTF-8 text"))?;
    if text.trim_start().starts_with('{') {
        keys_from_jwks(text, &file_label)
    } else if text.contains("-----BEGIN ") {
        let blocks = pem_blocks(text).map_err(|r| AuthError::invalid_key(&file_label, r))?;
        let many = blocks.len() > 1;
        blocks
            .iter()
            .enumerate()
            .map(|(i, block)| {
                let label = if many { format!("{file_label}#{i}") } else { file_label.clone() };
                TrustedKey::from_pem_block(block, &label)
            })
            .collect()
    } else {
        Err(AuthError::invalid_key(&file_label, "neither a PEM public key nor a JWKS"))
    }
}

fn keys_from_jwks(text: &str, file_label: &str) -> Result<Vec<TrustedKey>, AuthError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AuthError::invalid_key(file_label, format!("invalid JSON: {e}")))?;
    let entries: Vec<&serde_json::Value> = match value.get("keys") {
        Some(serde_json::Value::Array(keys)) => keys.iter().collect(),
        Some(_) => {
            return Err(AuthError::invalid_key(file_label, "JWKS `keys` is not an array"));
        }
        None if value.get("kty").is_some() => vec![&value],
        None => {
            return Err(AuthError::invalid_key(file_label, "JSON is neither a JWKS nor a JWK"));
        }
    };
    let mut keys = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let kid = entry.get("kid").and_then(serde_json::Value::as_str);
        let label = match kid {
            Some(kid) => format!("{file_label}#{kid}"),
            None => format!("{file_label}#{i}"),
        };
        let jwk: Jwk = match serde_json::from_value(entry.clone()) {
            Ok(jwk) => jwk,
            Err(e) => {
                tracing::warn!(key = %label, error = %e, "skipping unparsable JWK");
                continue;
            }
        };
        match TrustedKey::from_jwk(&jwk, &label) {
            Ok(key) => keys.push(key),
            Err(e) => tracing::warn!(key = %label, error = %e, "skipping JWK"),
        }
    }
    if keys.is_empty() {
        return Err(AuthError::invalid_key(
            file_label,
            "JWKS holds no usable key (RS256 or ES256 P-256 signing keys)",
        ));
    }
    Ok(keys)
}

/// One `-----BEGIN X-----` … `-----END X-----` block.
#[derive(Debug)]
struct PemBlock<'a> {
    tag: &'a str,
    /// The whole block, markers included.
    text: &'a str,
}

fn pem_blocks(text: &str) -> Result<Vec<PemBlock<'_>>, String> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut blocks = Vec::new();
    let mut rest_start = 0;
    while let Some(found) = text[rest_start..].find(BEGIN) {
        let start = rest_start + found;
        let tag_start = start + BEGIN.len();
        let tag_len =
            text[tag_start..].find(DASHES).ok_or_else(|| "unterminated PEM BEGIN line".to_owned())?;
        let tag = &text[tag_start..tag_start + tag_len];
        let end_marker = format!("-----END {tag}-----");
        let end = text[tag_start..]
            .find(&end_marker)
            .map(|i| tag_start + i + end_marker.len())
            .ok_or_else(|| format!("PEM block `{tag}` has no END line"))?;
        blocks.push(PemBlock { tag, text: &text[start..end] });
        rest_start = end;
    }
    Ok(blocks)
}

fn b64url(s: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).map_err(|e| format!("bad base64url in JWK: {e}"))
}

/// Checks an RSA public key given as PKCS#1 DER inside a `DecodingKey`.
fn check_rsa_der(key: &DecodingKey, label: &str) -> Result<(), AuthError> {
    let provider = CryptoProvider::try_get_default().ok_or(AuthError::NoCryptoProvider)?;
    let der = key
        .try_get_as_bytes()
        .map_err(|e| AuthError::invalid_key(label, format!("unusable RSA public key: {e}")))?;
    let (n, _e) = (provider.key_utils.rsa_pub_components_from_public_key)(der)
        .map_err(|e| AuthError::invalid_key(label, format!("invalid RSA public key: {e}")))?;
    check_rsa_bits(&n, label)
}

fn check_rsa_bits(modulus_be: &[u8], label: &str) -> Result<(), AuthError> {
    let bits = bit_len(modulus_be);
    if bits < MIN_RSA_BITS {
        return Err(AuthError::invalid_key(
            label,
            format!("RSA key has {bits} bits; at least {MIN_RSA_BITS} required"),
        ));
    }
    Ok(())
}

fn bit_len(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        None => 0,
        Some(first) => {
            let significant = be.len() - first;
            (significant - 1) * 8 + (8 - be[first].leading_zeros() as usize)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bit_length() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0]), 0);
        assert_eq!(bit_len(&[0, 1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0, 0x7f, 0xff]), 15);
    }

    #[test]
    fn pem_block_scanning() {
        let text = "junk\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n\
                    -----BEGIN RSA PUBLIC KEY-----\nBBBB\n-----END RSA PUBLIC KEY-----\n";
        let blocks = pem_blocks(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].tag, "PUBLIC KEY");
        assert!(blocks[0].text.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(blocks[0].text.ends_with("-----END PUBLIC KEY-----"));
        assert_eq!(blocks[1].tag, "RSA PUBLIC KEY");
        assert!(pem_blocks("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
    }
}
