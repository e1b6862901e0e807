//! TLS to PostgreSQL with rustls, configured from the connection URL as libpq
//! does: `sslmode` (`disable`, `prefer` — the default —, `require`,
//! `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file of CAs). The
//! `postgres` crate itself understands only `disable`, `prefer` and
//! `require`, so these two parameters are taken out of the URL here and the
//! rest is left to it.
//!
//! As in libpq: `prefer` and `require` encrypt without checking who answers
//! (unless `sslrootcert` is given, which makes `require` check the chain);
//! `verify-ca` checks that the server's certificate chains to `sslrootcert`;
//! `verify-full` also checks that it names the host. `verify-full` is the
//! setting for production.

use std::path::PathBuf;
use std::sync::Arc;

use deconflict_core::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to protect the link, from the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, not verified.
    Prefer,
    /// TLS always; verified against `sslrootcert` when given.
    Require,
    /// TLS, the chain verified against `sslrootcert`.
    VerifyCa,
    /// TLS, the chain and the host name verified.
    VerifyFull,
}

/// The TLS parameters of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub mode: Mode,
    pub root_cert: Option<PathBuf>,
}

fn bad(m: impl Into<String>) -> StoreError {
    StoreError::settings(m)
}

/// `%XX` escapes of a URL query value.
fn unescape(v: &str) -> Result<String, StoreError> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = v.get(i + 1..i + 3).ok_or_else(|| bad(format!("bad %-escape in {v:?}")))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad(format!("bad %-escape in {v:?}")))?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad(format!("{v:?} is not UTF-8")))
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL.
///
/// # Errors
/// [`StoreError::Settings`] naming an unknown `sslmode`, or `verify-*`
/// without `sslrootcert`.
pub(crate) fn split_url(url: &str) -> Result<(String, Settings), StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut root_cert) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => {
                mode = Some(match unescape(v)?.as_str() {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(bad(format!(
                            "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                        )));
                    }
                });
            }
            Some(("sslrootcert", v)) => root_cert = Some(PathBuf::from(unescape(v)?)),
            _ => kept.push(pair),
        }
    }
    let mode = mode.unwrap_or(Mode::Prefer);
    if matches!(mode, Mode::VerifyCa | Mode::VerifyFull) && root_cert.is_none() {
        return Err(bad(
            "sslmode=verify-ca and verify-full need sslrootcert=PATH (a PEM file of the CAs to trust)",
        ));
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, Settings { mode, root_cert }))
}

impl Settings {
    /// The `sslmode` to give the `postgres` crate.
    pub fn ssl_mode(&self) -> SslMode {
        match self.mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    /// The TLS connector, `None` for `disable`.
    ///
    /// # Errors
    /// [`StoreError::Settings`] when `sslrootcert` is unusable.
    pub fn connector(&self) -> Result<Option<MakeRustlsConnect>, StoreError> {
        if self.mode == Mode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match (&self.root_cert, self.mode) {
            (None, _) => Arc::new(Unverified(provider.clone())),
            (Some(path), mode) => {
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots(path)?), provider.clone())
                        .build()
                        .map_err(|e| bad(format!("sslrootcert {}: {e}", path.display())))?;
                if mode == Mode::VerifyFull { webpki } else { Arc::new(ChainOnly(webpki)) }
            }
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
    }
}

fn roots(path: &std::path::Path) -> Result<rustls::RootCertStore, StoreError> {
    let err = |e: &dyn std::fmt::Display| bad(format!("sslrootcert {}: {e}", path.display()));
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(&e))? {
        store.add(cert.map_err(|e| err(&e))?).map_err(|e| err(&e))?;
    }
    if store.is_empty() {
        return Err(err(&"no certificate found"));
    }
    Ok(store)
}

/// `verify-ca`: the chain is checked, the name is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without `sslrootcert`, as libpq: encrypted, but
/// the server's certificate is not checked (its handshake signature is).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let (rest, s) = split_url(
            "postgres://u:p@db:5432/x?application_name=a&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .expect("parses");
        assert_eq!(rest, "postgres://u:p@db:5432/x?application_name=a");
        assert_eq!(s, Settings { mode: Mode::VerifyFull, root_cert: Some("/etc/ca.pem".into()) });
        let (rest, s) = split_url("postgres://u@db/x").expect("parses");
        assert_eq!((rest.as_str(), s.mode), ("postgres://u@db/x", Mode::Prefer));
        assert!(split_url("postgres://db/x?sslmode=verify-full").is_err(), "needs a root");
        assert!(split_url("postgres://db/x?sslmode=sometimes").is_err());
        assert_eq!(
            split_url("postgres://db/x?sslmode=disable").expect("parses").1.ssl_mode(),
            SslMode::Disable
        );
    }
}
