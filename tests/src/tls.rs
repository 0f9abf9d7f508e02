//! The optional TLS mode: a throw-away certificate authority made at start-up.
//!
//! Clients under test must verify certificates (the embedded adapter must never use an
//! unverified TLS provider), so the simulator cannot use a self-signed leaf: it makes a CA, signs a
//! server certificate for `localhost` and `127.0.0.1` with it, and hands the CA to the test to
//! trust. The `ring` provider is used throughout (no C toolchain needed).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::StartError;

/// The test CA: what clients trust, and the server configuration it signed.
pub(crate) struct TestCa {
    pub(crate) ca_pem: String,
    pub(crate) ca_der: CertificateDer<'static>,
    pub(crate) server_config: Arc<ServerConfig>,
}

fn tls_error(e: impl std::fmt::Display) -> StartError {
    StartError::Tls(e.to_string())
}

pub(crate) fn make() -> Result<TestCa, StartError> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "genesys-sim test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(tls_error)?)
        .map_err(tls_error)?;

    let server_key = KeyPair::generate().map_err(tls_error)?;
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(tls_error)?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .map_err(tls_error)?;

    let chain = vec![server_cert.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_error)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TestCa {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        server_config: Arc::new(config),
    })
}
