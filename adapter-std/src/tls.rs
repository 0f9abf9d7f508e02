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
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_builds_with_ring_and_the_mozilla_roots() {
        let config = client_config().expect("the ring provider supports TLS 1.2 and 1.3");
        assert!(config.crypto_provider().cipher_suites.len() > 1);
    }
}
