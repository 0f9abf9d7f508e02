//! The TLS set-up shared by REST and the socket.
//!
//! Both `reqwest` and `tokio-tungstenite` are built on rustls, and both are handed the same
//! [`rustls::ClientConfig`] made here, so the two connections verify servers the same way:
//! the Mozilla root store (`webpki-roots`, so the result does not depend on the host's
//! certificate files) and the `ring` crypto provider. `ring` is chosen explicitly because
//! rustls' default provider, `aws-lc-rs`, needs cmake and a C toolchain to build; passing the
//! provider to the config instead of installing a process-wide default keeps this crate from
//! fighting an application that installs its own.
//!
//! Behind a corporate proxy that inspects TLS, or against a private deployment, the server's
//! chain ends at a CA the Mozilla store lacks. [`Roots`] adds such anchors, from PEM files and
//! optionally from the operating system's store (`rustls-native-certs`), to the Mozilla roots;
//! the resulting [`client_config_with_roots`] is what both REST and the WebSocket use, so the
//! two can never disagree about whom they trust.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why the TLS configuration could not be built. It only fails if the `ring` provider
/// supports none of rustls' protocol versions, which would be a broken build: report it.
#[derive(Debug)]
pub struct TlsConfigError(rustls::Error);

impl std::fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not set up TLS with the ring provider ({}); this build of genesys-notify is broken",
            self.0
        )
    }
}

impl std::error::Error for TlsConfigError {}

/// A client configuration trusting the Mozilla root store, with the `ring` provider and
/// rustls' default protocol versions (TLS 1.2 and 1.3).
pub fn client_config() -> Result<Arc<rustls::ClientConfig>, TlsConfigError> {
    client_config_with_roots(rustls::RootCertStore::from_iter(
        webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
    ))
}

/// The same configuration trusting only `roots`: a private CA, or a test server's.
pub fn client_config_with_roots(
    roots: rustls::RootCertStore,
) -> Result<Arc<rustls::ClientConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Trust anchors beyond the Mozilla roots: a private CA, a TLS-inspecting proxy's CA.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use genesys_notify::tls::{Roots, client_config_with_roots};
/// let roots = Roots::mozilla().pem_file("/etc/corp/proxy-ca.pem").os_store(true);
/// let config = client_config_with_roots(roots.load()?)?;
/// # let _ = config; Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Roots {
    pem_files: Vec<PathBuf>,
    os_store: bool,
}

impl Roots {
    /// The Mozilla roots alone (what [`client_config`] trusts).
    pub fn mozilla() -> Self {
        Self::default()
    }

    /// Also trusts every certificate in the PEM file at `path`.
    #[must_use]
    pub fn pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.pem_files.push(path.into());
        self
    }

    /// Also trusts the operating system's store (on Linux the files `openssl` would read,
    /// honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    #[must_use]
    pub fn os_store(mut self, enabled: bool) -> Self {
        self.os_store = enabled;
        self
    }

    /// Whether anything beyond the Mozilla roots is asked for.
    pub fn is_mozilla_only(&self) -> bool {
        self.pem_files.is_empty() && !self.os_store
    }

    /// Reads the files and the store into one root store.
    ///
    /// Every named file must be readable and hold at least one certificate rustls accepts as a
    /// trust anchor: an anchor silently missing would surface much later as an "unknown
    /// issuer" that points nowhere near the cause. The OS store may hold a few certificates
    /// rustls cannot parse (old or unusual ones); those are skipped, but a store that yields
    /// none at all is an error.
    pub fn load(&self) -> Result<rustls::RootCertStore, RootsError> {
        let mut store =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for path in &self.pem_files {
            let certificates = read_pem(path)?;
            let (added, _) = store.add_parsable_certificates(certificates.iter().cloned());
            if added != certificates.len() {
                return Err(RootsError::Unusable {
                    path: path.clone(),
                    unusable: certificates.len() - added,
                });
            }
        }
        if self.os_store {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map_or_else(|| "no certificates found".to_owned(), ToString::to_string);
                return Err(RootsError::OsStore(why));
            }
        }
        Ok(store)
    }
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, RootsError> {
    let bytes = std::fs::read(path).map_err(|e| RootsError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RootsError::Read {
            path: path.to_owned(),
            reason: format!("not valid PEM ({e})"),
        })?;
    if certificates.is_empty() {
        return Err(RootsError::NoCertificates(path.to_owned()));
    }
    Ok(certificates)
}

/// Why extra trust anchors could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootsError {
    /// The file could not be read, or is not PEM.
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file holds no `CERTIFICATE` block.
    NoCertificates(PathBuf),
    /// Some certificates in the file are not usable as trust anchors.
    Unusable {
        /// The file.
        path: PathBuf,
        /// How many were refused.
        unusable: usize,
    },
    /// The operating system's store yielded no usable certificate.
    OsStore(String),
}

impl std::fmt::Display for RootsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { path, reason } => write!(
                f,
                "cannot read the CA file {}: {reason}; give a PEM file of CA certificates",
                path.display()
            ),
            Self::NoCertificates(path) => write!(
                f,
                "the CA file {} holds no \"BEGIN CERTIFICATE\" block; give the CA certificates in PEM",
                path.display()
            ),
            Self::Unusable { path, unusable } => write!(
                f,
                "{unusable} certificate(s) in the CA file {} cannot be used as trust anchors; check it holds CA certificates, not a key or a request",
                path.display()
            ),
            Self::OsStore(why) => write!(
                f,
                "the operating system's certificate store gave no usable certificate ({why}); install the ca-certificates package or set SSL_CERT_FILE"
            ),
        }
    }
}

impl std::error::Error for RootsError {}

/// Whether an I/O error is a TLS failure (an unknown issuer, a bad certificate, a protocol
/// error). tokio-rustls reports those as I/O errors wrapping a [`rustls::Error`], sometimes
/// twice over, and an I/O error's `source` skips what it wraps, so this looks inside.
pub(crate) fn is_tls_failure(error: &std::io::Error) -> bool {
    let mut inner = error.get_ref();
    while let Some(e) = inner {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_error_wrapped_twice_in_io_errors_is_a_tls_failure() {
        let rustls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls);
        let outer = std::io::Error::other(inner);
        assert!(is_tls_failure(&outer));
        assert!(!is_tls_failure(&std::io::Error::other("reset")));
    }

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("genesys-notify-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("a temporary file");
        path
    }

    #[test]
    fn a_pem_file_adds_its_certificates_to_the_mozilla_roots() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .and_then(|mut params| {
                params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                params.self_signed(&rcgen::KeyPair::generate()?)
            })
            .expect("a test CA");
        let path = temp_file("ca.pem", ca.pem().as_bytes());
        let mozilla = Roots::mozilla().load().expect("the Mozilla roots").len();
        let store = Roots::mozilla()
            .pem_file(&path)
            .load()
            .expect("the file loads");
        assert_eq!(store.len(), mozilla + 1);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error_naming_it() {
        let missing = Roots::mozilla().pem_file("/nonexistent/ca.pem").load();
        let Err(e @ RootsError::Read { .. }) = missing else {
            panic!("a missing file is an error: {missing:?}")
        };
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");

        let path = temp_file("empty.pem", b"not a certificate\n");
        let empty = Roots::mozilla().pem_file(&path).load();
        assert!(
            matches!(empty, Err(RootsError::NoCertificates(_))),
            "{empty:?}"
        );
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn the_config_builds_with_ring_and_the_mozilla_roots() {
        let config = client_config().expect("the ring provider supports TLS 1.2 and 1.3");
        assert!(config.crypto_provider().cipher_suites.len() > 1);
    }
}
