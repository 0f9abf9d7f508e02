//! Signature checks: certificate signatures (issuer over child) and the TLS 1.3
//! `CertificateVerify` signature (server over the handshake transcript).
//!
//! ECDSA verification goes through the prehash interface so that any supported digest works
//! with any supported curve: real chains mix them (a P-384 intermediate signs a P-256 leaf
//! with SHA-384).

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256};
#[cfg(feature = "rsa")]
use sha2::{Sha384, Sha512};

use super::CertificateError;
use super::x509::{PublicKey, SignatureAlgorithm};

/// The digests a signature may be made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// A signature scheme, reduced to what the verification needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// ECDSA with a DER-encoded signature, on whatever curve the key names.
    Ecdsa(Hash),
    /// RSASSA-PKCS1-v1_5 (certificates only; TLS 1.3 forbids it in handshakes).
    RsaPkcs1(Hash),
    /// RSASSA-PSS with an `rsaEncryption` key (TLS 1.3 handshakes).
    RsaPss(Hash),
}

impl Scheme {
    /// The scheme of a certificate's `signatureAlgorithm`, if we know it.
    pub(crate) fn of_certificate(algorithm: SignatureAlgorithm) -> Option<Scheme> {
        Some(match algorithm {
            SignatureAlgorithm::EcdsaSha256 => Scheme::Ecdsa(Hash::Sha256),
            SignatureAlgorithm::EcdsaSha384 => Scheme::Ecdsa(Hash::Sha384),
            SignatureAlgorithm::RsaPkcs1Sha256 => Scheme::RsaPkcs1(Hash::Sha256),
            SignatureAlgorithm::RsaPkcs1Sha384 => Scheme::RsaPkcs1(Hash::Sha384),
            SignatureAlgorithm::RsaPkcs1Sha512 => Scheme::RsaPkcs1(Hash::Sha512),
            SignatureAlgorithm::Unsupported => return None,
        })
    }

    /// The scheme of a TLS 1.3 `CertificateVerify`, if we accept it there.
    pub(crate) fn of_handshake(scheme: embedded_tls::SignatureScheme) -> Option<Scheme> {
        use embedded_tls::SignatureScheme as S;
        Some(match scheme {
            S::EcdsaSecp256r1Sha256 => Scheme::Ecdsa(Hash::Sha256),
            S::EcdsaSecp384r1Sha384 => Scheme::Ecdsa(Hash::Sha384),
            S::RsaPssRsaeSha256 => Scheme::RsaPss(Hash::Sha256),
            S::RsaPssRsaeSha384 => Scheme::RsaPss(Hash::Sha384),
            S::RsaPssRsaeSha512 => Scheme::RsaPss(Hash::Sha512),
            _ => return None,
        })
    }
}

/// Checks that `signature` over `message` was made by `key` with `scheme`.
pub(crate) fn verify(
    key: PublicKey<'_>,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertificateError> {
    match (key, scheme) {
        (PublicKey::P256(point), Scheme::Ecdsa(hash)) => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| CertificateError::Malformed)?;
            let signature = p256::ecdsa::Signature::from_der(signature)
                .map_err(|_| CertificateError::BadSignature)?;
            with_digest(hash, message, |digest| {
                key.verify_prehash(digest, &signature).is_ok()
            })
        }
        #[cfg(feature = "p384")]
        (PublicKey::P384(point), Scheme::Ecdsa(hash)) => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| CertificateError::Malformed)?;
            let signature = p384::ecdsa::Signature::from_der(signature)
                .map_err(|_| CertificateError::BadSignature)?;
            with_digest(hash, message, |digest| {
                key.verify_prehash(digest, &signature).is_ok()
            })
        }
        #[cfg(feature = "rsa")]
        (PublicKey::Rsa(der), Scheme::RsaPkcs1(hash) | Scheme::RsaPss(hash)) => {
            rsa_verify(der, scheme, hash, message, signature)
        }
        _ => Err(CertificateError::UnsupportedAlgorithm),
    }
}

fn with_digest(
    hash: Hash,
    message: &[u8],
    check: impl FnOnce(&[u8]) -> bool,
) -> Result<(), CertificateError> {
    let ok = match hash {
        Hash::Sha256 => check(&Sha256::digest(message)),
        // SHA-384/512 cost about 48 KB of flash on a 32-bit core; chains that use them also
        // need P-384 or RSA keys, so they come with those features.
        #[cfg(any(feature = "p384", feature = "rsa"))]
        Hash::Sha384 => check(&sha2::Sha384::digest(message)),
        #[cfg(any(feature = "p384", feature = "rsa"))]
        Hash::Sha512 => check(&sha2::Sha512::digest(message)),
        #[cfg(not(any(feature = "p384", feature = "rsa")))]
        Hash::Sha384 | Hash::Sha512 => return Err(CertificateError::UnsupportedAlgorithm),
    };
    if ok {
        Ok(())
    } else {
        Err(CertificateError::BadSignature)
    }
}

#[cfg(feature = "rsa")]
fn rsa_verify(
    der: &[u8],
    scheme: Scheme,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertificateError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::Verifier;

    let key = rsa::RsaPublicKey::from_pkcs1_der(der).map_err(|_| CertificateError::Malformed)?;
    let ok = match scheme {
        Scheme::RsaPkcs1(_) => {
            let signature = rsa::pkcs1v15::Signature::try_from(signature)
                .map_err(|_| CertificateError::BadSignature)?;
            match hash {
                Hash::Sha256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
                Hash::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
                Hash::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
            }
        }
        _ => {
            let signature = rsa::pss::Signature::try_from(signature)
                .map_err(|_| CertificateError::BadSignature)?;
            match hash {
                Hash::Sha256 => rsa::pss::VerifyingKey::<Sha256>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
                Hash::Sha384 => rsa::pss::VerifyingKey::<Sha384>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
                Hash::Sha512 => rsa::pss::VerifyingKey::<Sha512>::new(key)
                    .verify(message, &signature)
                    .is_ok(),
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(CertificateError::BadSignature)
    }
}
