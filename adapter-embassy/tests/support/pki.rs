//! A throw-away PKI for the tests: roots, intermediates and leaves made with rcgen, and a rustls
//! TLS 1.3 server on 127.0.0.1 presenting whatever chain a test chooses.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, PublicKeyData,
    SigningKey,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Seconds since the epoch of a day all test certificates are valid on (2030-06-01).
pub const VALID_DAY: u64 = 1_906_502_400;

/// Two RSA-2048 keys made once with openssl for these tests only (rcgen over ring cannot
/// generate RSA keys, and generating them in a debug build takes too long).
const RSA_ROOT_KEY: &[u8] = include_bytes!("../data/rsa2048-root.test-key.pk8");
const RSA_LEAF_KEY: &[u8] = include_bytes!("../data/rsa2048-leaf.test-key.pk8");
/// An RSA-1024 key, too short to be trusted; ring refuses to sign with it, the `rsa` crate does.
const RSA_1024_KEY: &[u8] = include_bytes!("../data/rsa1024.test-key.pk8");

/// Which key algorithm a certificate uses.
#[derive(Clone, Copy)]
pub enum Algorithm {
    P256,
    P384,
    RsaRoot,
    RsaLeaf,
}

/// A CA's signing key: one ring can use, or an RSA-1024 key signed with by the `rsa` crate.
pub enum CaKey {
    Ring(KeyPair),
    WeakRsa {
        key: rsa::RsaPrivateKey,
        public: Vec<u8>,
    },
}

impl CaKey {
    /// The RSA-1024 test key.
    pub fn weak_rsa() -> Self {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs8_der(RSA_1024_KEY).expect("the RSA-1024 key");
        let public = key
            .to_public_key()
            .to_pkcs1_der()
            .expect("PKCS#1 public key")
            .into_vec();
        Self::WeakRsa { key, public }
    }
}

impl PublicKeyData for CaKey {
    fn der_bytes(&self) -> &[u8] {
        match self {
            Self::Ring(key) => key.der_bytes(),
            Self::WeakRsa { public, .. } => public,
        }
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::Ring(key) => key.algorithm(),
            Self::WeakRsa { .. } => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl SigningKey for CaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        use rsa::signature::{SignatureEncoding, Signer};
        match self {
            Self::Ring(key) => key.sign(msg),
            Self::WeakRsa { key, .. } => {
                let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
                Ok(signer.sign(msg).to_vec())
            }
        }
    }
}

fn key(algorithm: Algorithm) -> KeyPair {
    let rsa = |der: &[u8]| {
        KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(der.to_vec()),
            &rcgen::PKCS_RSA_SHA256,
        )
        .expect("the RSA test key loads")
    };
    match algorithm {
        Algorithm::P256 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key")
        }
        Algorithm::P384 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("P-384 key")
        }
        Algorithm::RsaRoot => rsa(RSA_ROOT_KEY),
        Algorithm::RsaLeaf => rsa(RSA_LEAF_KEY),
    }
}

fn params(names: &[&str], common_name: &str, ca: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("certificate names");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    params
}

/// A certificate authority that can issue intermediates and leaves.
pub struct Authority {
    issuer: CertifiedIssuer<'static, CaKey>,
}

impl Authority {
    /// A self-signed root.
    pub fn root(name: &str, algorithm: Algorithm) -> Self {
        let issuer =
            CertifiedIssuer::self_signed(params(&[], name, true), CaKey::Ring(key(algorithm)))
                .expect("root certificate");
        Self { issuer }
    }

    /// The certificate in DER.
    pub fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// An intermediate CA signed by this one; `ca: false` makes one that must not sign.
    pub fn intermediate(&self, name: &str, algorithm: Algorithm, ca: bool) -> Self {
        self.intermediate_with(name, CaKey::Ring(key(algorithm)), |params| {
            if !ca {
                params.is_ca = IsCa::NoCa;
            }
        })
    }

    /// An intermediate CA with key `key`, whose parameters the test adjusts (constraints,
    /// extended key usage).
    pub fn intermediate_with(
        &self,
        name: &str,
        key: CaKey,
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> Self {
        let mut params = params(&[], name, true);
        adjust(&mut params);
        let issuer = CertifiedIssuer::signed_by(params, key, &self.issuer)
            .expect("intermediate certificate");
        Self { issuer }
    }

    /// This CA's own certificate and key, presented by a server as if they were a leaf's.
    pub fn as_leaf(&self) -> Leaf {
        let CaKey::Ring(key) = self.issuer.key() else {
            panic!("only a ring key can serve TLS");
        };
        Leaf {
            der: self.der(),
            key: key.serialize_der(),
        }
    }

    /// A leaf for `names`, valid from 2025 to 2035 unless `validity` says otherwise.
    pub fn leaf(&self, names: &[&str], algorithm: Algorithm) -> Leaf {
        self.leaf_with(names, algorithm, |_| {})
    }

    /// A leaf whose parameters the test adjusts (validity, names).
    pub fn leaf_with(
        &self,
        names: &[&str],
        algorithm: Algorithm,
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> Leaf {
        let mut params = params(names, names.first().copied().unwrap_or("leaf"), false);
        adjust(&mut params);
        let key = key(algorithm);
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            der: cert.der().to_vec(),
            key: key.serialize_der(),
        }
    }
}

/// A server certificate and its private key.
pub struct Leaf {
    pub der: Vec<u8>,
    key: Vec<u8>,
}

/// Starts a TLS 1.3 server on 127.0.0.1 presenting `leaf` followed by `chain`; each accepted
/// connection reads one line and answers `echo: <line>`. Returns the port.
pub async fn serve(leaf: &Leaf, chain: &[Vec<u8>]) -> u16 {
    serve_signing_with(leaf, chain, leaf).await
}

/// As [`serve`], but the handshake's `CertificateVerify` is signed with `signer`'s private key
/// instead of `leaf`'s: a server that does not hold the key its certificate names.
pub async fn serve_signing_with(leaf: &Leaf, chain: &[Vec<u8>], signer: &Leaf) -> u16 {
    let acceptor = acceptor_signing_with(leaf, chain, signer);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut line = Vec::new();
                let mut byte = [0u8; 1];
                while tls.read(&mut byte).await.unwrap_or(0) == 1 && byte[0] != b'\n' {
                    line.push(byte[0]);
                }
                let mut answer = b"echo: ".to_vec();
                answer.extend_from_slice(&line);
                answer.push(b'\n');
                let _ = tls.write_all(&answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// A TLS 1.3 acceptor presenting `leaf` followed by `chain`.
pub fn acceptor(leaf: &Leaf, chain: &[Vec<u8>]) -> tokio_rustls::TlsAcceptor {
    acceptor_signing_with(leaf, chain, leaf)
}

/// As [`acceptor`], signing the handshake with `signer`'s key.
fn acceptor_signing_with(
    leaf: &Leaf,
    chain: &[Vec<u8>],
    signer: &Leaf,
) -> tokio_rustls::TlsAcceptor {
    let mut certs = vec![CertificateDer::from(leaf.der.clone())];
    certs.extend(chain.iter().cloned().map(CertificateDer::from));
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signer.key.clone()));
    let key = rustls::crypto::ring::sign::any_supported_type(&key).expect("a signing key");
    let resolver =
        rustls::sign::SingleCertAndKey::from(rustls::sign::CertifiedKey::new(certs, key));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .expect("TLS 1.3")
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(resolver));
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
