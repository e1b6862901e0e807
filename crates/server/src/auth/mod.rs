//! Bearer-token authentication, as the F3548-21 DSS (InterUSS) does it.
//!
//! - Requests carry `Authorization: Bearer <JWT>` (the scheme is
//!   case-insensitive).
//! - Tokens are signed RS256 or ES256 by one of the [`TrustedKey`]s (from PEM
//!   public keys or JWKS files, see [`load_key_file`]); a key may be bound to
//!   an issuer, whose tokens must then carry that `iss`. A token's `kid`, when
//!   both it and a key have one, selects the keys tried.
//! - Claims: `sub` and `iss` non-empty, `exp` required and at most the
//!   configured maximum ahead of now, `nbf` honoured, `aud` one of the accepted
//!   audiences, `scope` a space-separated string.
//!
//! Every [`AuthError`] for which [`AuthError::is_credential_error`] holds is a
//! 401; a caller lacking scopes ([`Scopes::satisfies`] false) is a 403.
//!
//! [`DevKey`] signs development tokens (`deconflict token`, `serve --dev`).

mod dev_key;
mod error;
mod keys;
pub mod scope;
mod verify;

#[cfg(test)]
mod tests;

pub use dev_key::{DevKey, TokenRequest};
pub use error::AuthError;
pub use keys::{Grants, MIN_RSA_BITS, TrustedKey, load_key_file};
pub use scope::Scopes;
pub use verify::{Caller, DEFAULT_LEEWAY, DEFAULT_MAX_EXP_AHEAD, MAX_TOKEN_LEN, Verifier};
