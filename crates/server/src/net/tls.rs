//! TLS with rustls (the `ring` provider; no OpenSSL): the server's
//! certificate and key, the CA that makes client certificates mandatory, the
//! party names a client certificate carries, and the verifying HTTP client
//! used for webhooks and by the CLI.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the certificates or key.
    #[error("TLS configuration: {0}")]
    Config(String),
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> TlsError {
    TlsError::File { path: path.to_owned(), reason: reason.to_string() }
}

/// The crypto provider every TLS link of this process uses: rustls' `ring`
/// provider, installed as the process default once (reqwest picks it up).
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file, in order.
///
/// # Errors
/// [`TlsError::File`] when it cannot be read or holds no certificate.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "no certificate (BEGIN CERTIFICATE) found"));
    }
    Ok(certs)
}

/// The certificates of a CA file as a root store.
///
/// # Errors
/// [`TlsError`] when a certificate is unusable as a root.
pub fn root_store(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| file_error(path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// How the server speaks TLS.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: TlsAcceptor,
    client_auth: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").field("client_auth", &self.client_auth).finish_non_exhaustive()
    }
}

impl ServerTls {
    /// From a certificate chain and its private key (PEM files), and, with
    /// `client_ca`, a CA whose certificate every client must present.
    ///
    /// # Errors
    /// [`TlsError`] naming the file and the problem.
    pub fn from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Self, TlsError> {
        let chain = load_certs(cert)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, e))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = match client_ca {
            Some(ca) => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(root_store(ca)?), provider())
                        .build()
                        .map_err(|e| TlsError::Config(format!("client CA {}: {e}", ca.display())))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(format!("{}: {e}", cert.display())))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { acceptor: TlsAcceptor::from(Arc::new(config)), client_auth: client_ca.is_some() })
    }

    /// The acceptor for incoming connections.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Whether every client presents a certificate.
    pub fn client_auth(&self) -> bool {
        self.client_auth
    }
}

/// The names a verified client certificate gives its holder: the DNS names
/// of its subject alternative names and its subject common names. A token
/// presented on such a connection must name one of them as `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The names, in certificate order.
    pub names: Vec<String>,
}

impl ClientIdentity {
    /// Reads the names of a DER certificate (already verified by rustls).
    pub fn of(der: &CertificateDer<'_>) -> Self {
        let mut names = Vec::new();
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) {
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for name in &san.value.general_names {
                    if let x509_parser::extensions::GeneralName::DNSName(dns) = name {
                        names.push((*dns).to_owned());
                    }
                }
            }
            for cn in cert.subject().iter_common_name() {
                if let Ok(s) = cn.as_str() {
                    names.push(s.to_owned());
                }
            }
        }
        names.dedup();
        Self { names }
    }

    /// Whether the certificate speaks for `party`.
    pub fn names(&self, party: &str) -> bool {
        self.names.iter().any(|n| n == party)
    }
}

/// The HTTP client for webhooks and the CLI: verifies servers against the
/// system's roots plus, when given, the CAs in `ca_file`; plain `http://`
/// still works (loopback and development).
///
/// # Errors
/// [`TlsError`] when the CA file is unusable or the client cannot be built.
pub fn http_client(ca_file: Option<&Path>, timeout: Duration) -> Result<reqwest::Client, TlsError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder().timeout(timeout).connect_timeout(Duration::from_secs(5));
    if let Some(path) = ca_file {
        let mut extra = Vec::new();
        for cert in load_certs(path)? {
            extra.push(
                reqwest::Certificate::from_der(cert.as_ref())
                    .map_err(|e| file_error(path, format!("not a usable CA certificate: {e}")))?,
            );
        }
        builder = builder.tls_certs_merge(extra);
    }
    builder.build().map_err(|e| TlsError::Config(format!("HTTP client: {e}")))
}
