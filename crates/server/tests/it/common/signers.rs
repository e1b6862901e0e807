//! Token signers the tests make themselves (ES256 and RS256 key pairs), and
//! the claims the InterUSS development tools put in their tokens.
#![allow(clippy::unwrap_used)]

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};

use super::new_id;

/// A private key that signs tokens, with its public half in PEM.
pub struct Signer {
    pub key: EncodingKey,
    pub alg: Algorithm,
    pub public_pem: String,
}

pub fn ec_signer() -> Signer {
    let secret = p256::SecretKey::try_generate().unwrap();
    let private = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    Signer {
        key: EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
        alg: Algorithm::ES256,
        public_pem: secret.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
    }
}

pub fn rsa_signer() -> Signer {
    use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    let mut rng = p256::elliptic_curve::common::getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, 2048).unwrap();
    let pem = private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    Signer {
        key: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        alg: Algorithm::RS256,
        public_pem: private.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap(),
    }
}

impl Signer {
    pub fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(self.alg), claims, &self.key).unwrap()
    }
}

/// The claims the InterUSS tools put in a development token.
pub fn interuss_claims(sub: &str, scope: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": sub, "client_id": sub, "scope": scope, "aud": "localhost",
            "iss": "dummy", "nbf": now - 1, "exp": now + 3600, "jti": new_id() })
}
