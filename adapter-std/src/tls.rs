//! The TLS set-up shared by REST and the socket.
//!
//! Both `reqwest` and `tokio-tungstenite` are built on rustls, and both are handed the same
//! [`rustls::ClientConfig`] made here, so the two connections verify servers the same way:
//! the Mozilla root store (`webpki-roots`, so the result does not depend on the host's
//! certificate files) and the `ring` crypto provider. `ring` is chosen explicitly because
//! rustls' default provider, `aws-lc-rs`, needs cmake and a C toolchain to build; passing the
//! provider to the config instead of installing a process-wide default keeps this crate from
//! fighting an application that installs its own.

use std::sync::Arc;

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

    #[test]
    fn the_config_builds_with_ring_and_the_mozilla_roots() {
        let config = client_config().expect("the ring provider supports TLS 1.2 and 1.3");
        assert!(config.crypto_provider().cipher_suites.len() > 1);
    }
}
