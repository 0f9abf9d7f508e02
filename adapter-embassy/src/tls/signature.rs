//! The signature algorithms webpki checks a chain with, and the TLS 1.3 `CertificateVerify` is
//! checked with: [`SignatureVerificationAlgorithm`]s over the RustCrypto crates this driver
//! already links (`p256`, `p384`, `rsa`, `sha2`), so webpki needs neither ring nor aws-lc.
//!
//! webpki hands each algorithm the key's bits as the certificate carries them: a SEC1 point
//! for ECDSA, a PKCS#1 `RSAPublicKey` for RSA. It picks the algorithm by the two
//! `AlgorithmIdentifier`s (the key's and the signature's), so a P-384 CA signing a P-256 leaf
//! with SHA-384 finds `ECDSA_P384_SHA384` here.
//!
//! RSA keys shorter than 2048 bits never verify anything: such a signature is as good as none.

use core::fmt;

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id};
use sha2::{Digest, Sha256};

/// The shortest RSA modulus accepted, in bits: the CA/Browser Forum's minimum since 2014, and
/// the size below which factoring is within reach.
#[cfg(feature = "rsa")]
const MIN_RSA_BITS: usize = 2048;

/// The digest a signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    // SHA-384/512 cost about 48 KB of flash on a 32-bit core; only P-384 and RSA chains use
    // them, so they come with those features.
    #[cfg(any(feature = "p384", feature = "rsa"))]
    Sha384,
    #[cfg(feature = "rsa")]
    Sha512,
}

impl Hash {
    /// Runs `check` on the digest of `message`.
    fn with_digest(self, message: &[u8], check: impl FnOnce(&[u8]) -> bool) -> bool {
        match self {
            Hash::Sha256 => check(&Sha256::digest(message)),
            #[cfg(any(feature = "p384", feature = "rsa"))]
            Hash::Sha384 => check(&sha2::Sha384::digest(message)),
            #[cfg(feature = "rsa")]
            Hash::Sha512 => check(&sha2::Sha512::digest(message)),
        }
    }
}

/// The curves an ECDSA key may be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    #[cfg(feature = "p384")]
    P384,
}

/// ECDSA with a DER-encoded signature: one curve, one digest.
struct Ecdsa {
    curve: Curve,
    hash: Hash,
}

impl fmt::Debug for Ecdsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ECDSA {:?} {:?}", self.curve, self.hash)
    }
}

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        // The prehash interface takes any digest with any curve (truncated or widened as
        // FIPS 186 says), which is what mixed chains need.
        let verified = match self.curve {
            Curve::P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                    .map_err(|_| InvalidSignature)?;
                let signature =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                self.hash.with_digest(message, |digest| {
                    key.verify_prehash(digest, &signature).is_ok()
                })
            }
            #[cfg(feature = "p384")]
            Curve::P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                    .map_err(|_| InvalidSignature)?;
                let signature =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
                self.hash.with_digest(message, |digest| {
                    key.verify_prehash(digest, &signature).is_ok()
                })
            }
        };
        verified.then_some(()).ok_or(InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.curve {
            Curve::P256 => alg_id::ECDSA_P256,
            #[cfg(feature = "p384")]
            Curve::P384 => alg_id::ECDSA_P384,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.hash {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            #[cfg(any(feature = "p384", feature = "rsa"))]
            Hash::Sha384 => alg_id::ECDSA_SHA384,
            #[cfg(feature = "rsa")]
            Hash::Sha512 => alg_id::ECDSA_SHA512,
        }
    }
}

/// ECDSA P-256 with SHA-256: the TLS 1.3 `ecdsa_secp256r1_sha256` scheme.
static ECDSA_P256_SHA256: Ecdsa = Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha256,
};
/// A P-256 CA signing with SHA-384 (allowed by RFC 5758, seen in the wild).
#[cfg(feature = "p384")]
static ECDSA_P256_SHA384: Ecdsa = Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha384,
};
/// A P-384 CA signing with SHA-256.
#[cfg(feature = "p384")]
static ECDSA_P384_SHA256: Ecdsa = Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha256,
};
/// ECDSA P-384 with SHA-384: the TLS 1.3 `ecdsa_secp384r1_sha384` scheme, and Amazon Root
/// CA 4's signatures.
#[cfg(feature = "p384")]
static ECDSA_P384_SHA384: Ecdsa = Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha384,
};

#[cfg(feature = "rsa")]
mod rsa_algorithms {
    use core::fmt;

    use pki_types::{
        AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
    };
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::Verifier;
    use rsa::traits::PublicKeyParts;
    use sha2::{Sha256, Sha384, Sha512};

    use super::{Hash, MIN_RSA_BITS};

    /// How the message is padded before the RSA operation.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Padding {
        /// RSASSA-PKCS1-v1_5: certificates only (TLS 1.3 forbids it in handshakes).
        Pkcs1,
        /// RSASSA-PSS with the digest's length of salt: TLS 1.3 handshakes, some certificates.
        Pss,
    }

    /// RSA with an `rsaEncryption` key of at least [`MIN_RSA_BITS`].
    pub(super) struct Rsa {
        pub(super) padding: Padding,
        pub(super) hash: Hash,
    }

    impl fmt::Debug for Rsa {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "RSA {:?} {:?}", self.padding, self.hash)
        }
    }

    /// Checks `signature` over `message` with `key` under padding `P` and digest `D`.
    macro_rules! check {
        ($padding:ident, $digest:ty, $key:expr, $message:expr, $signature:expr) => {{
            let signature =
                rsa::$padding::Signature::try_from($signature).map_err(|_| InvalidSignature)?;
            rsa::$padding::VerifyingKey::<$digest>::new($key)
                .verify($message, &signature)
                .is_ok()
        }};
    }

    impl SignatureVerificationAlgorithm for Rsa {
        fn verify_signature(
            &self,
            public_key: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Result<(), InvalidSignature> {
            let key =
                rsa::RsaPublicKey::from_pkcs1_der(public_key).map_err(|_| InvalidSignature)?;
            if key.n().bits() < MIN_RSA_BITS {
                return Err(InvalidSignature);
            }
            let verified = match (self.padding, self.hash) {
                (Padding::Pkcs1, Hash::Sha256) => check!(pkcs1v15, Sha256, key, message, signature),
                (Padding::Pkcs1, Hash::Sha384) => check!(pkcs1v15, Sha384, key, message, signature),
                (Padding::Pkcs1, Hash::Sha512) => check!(pkcs1v15, Sha512, key, message, signature),
                (Padding::Pss, Hash::Sha256) => check!(pss, Sha256, key, message, signature),
                (Padding::Pss, Hash::Sha384) => check!(pss, Sha384, key, message, signature),
                (Padding::Pss, Hash::Sha512) => check!(pss, Sha512, key, message, signature),
            };
            verified.then_some(()).ok_or(InvalidSignature)
        }

        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            alg_id::RSA_ENCRYPTION
        }

        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            match (self.padding, self.hash) {
                (Padding::Pkcs1, Hash::Sha256) => alg_id::RSA_PKCS1_SHA256,
                (Padding::Pkcs1, Hash::Sha384) => alg_id::RSA_PKCS1_SHA384,
                (Padding::Pkcs1, Hash::Sha512) => alg_id::RSA_PKCS1_SHA512,
                (Padding::Pss, Hash::Sha256) => alg_id::RSA_PSS_SHA256,
                (Padding::Pss, Hash::Sha384) => alg_id::RSA_PSS_SHA384,
                (Padding::Pss, Hash::Sha512) => alg_id::RSA_PSS_SHA512,
            }
        }
    }

    pub(super) static RSA_PKCS1_SHA256: Rsa = Rsa {
        padding: Padding::Pkcs1,
        hash: Hash::Sha256,
    };
    pub(super) static RSA_PKCS1_SHA384: Rsa = Rsa {
        padding: Padding::Pkcs1,
        hash: Hash::Sha384,
    };
    pub(super) static RSA_PKCS1_SHA512: Rsa = Rsa {
        padding: Padding::Pkcs1,
        hash: Hash::Sha512,
    };
    pub(super) static RSA_PSS_SHA256: Rsa = Rsa {
        padding: Padding::Pss,
        hash: Hash::Sha256,
    };
    pub(super) static RSA_PSS_SHA384: Rsa = Rsa {
        padding: Padding::Pss,
        hash: Hash::Sha384,
    };
    pub(super) static RSA_PSS_SHA512: Rsa = Rsa {
        padding: Padding::Pss,
        hash: Hash::Sha512,
    };
}

#[cfg(feature = "rsa")]
use rsa_algorithms::{
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384,
    RSA_PSS_SHA512,
};

/// Every algorithm a certificate of the chain may be signed with, in this build.
pub(crate) static CERTIFICATE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    &ECDSA_P256_SHA256,
    #[cfg(feature = "p384")]
    &ECDSA_P256_SHA384,
    #[cfg(feature = "p384")]
    &ECDSA_P384_SHA256,
    #[cfg(feature = "p384")]
    &ECDSA_P384_SHA384,
    #[cfg(feature = "rsa")]
    &RSA_PKCS1_SHA256,
    #[cfg(feature = "rsa")]
    &RSA_PKCS1_SHA384,
    #[cfg(feature = "rsa")]
    &RSA_PKCS1_SHA512,
    #[cfg(feature = "rsa")]
    &RSA_PSS_SHA256,
    #[cfg(feature = "rsa")]
    &RSA_PSS_SHA384,
    #[cfg(feature = "rsa")]
    &RSA_PSS_SHA512,
];

/// The algorithm of a TLS 1.3 `CertificateVerify` signed with `scheme`, if this build accepts
/// it there. TLS 1.3 ties each ECDSA scheme to one curve, and allows RSA only with PSS.
pub(crate) fn for_handshake(
    scheme: embedded_tls::SignatureScheme,
) -> Option<&'static dyn SignatureVerificationAlgorithm> {
    use embedded_tls::SignatureScheme as S;
    Some(match scheme {
        S::EcdsaSecp256r1Sha256 => &ECDSA_P256_SHA256,
        #[cfg(feature = "p384")]
        S::EcdsaSecp384r1Sha384 => &ECDSA_P384_SHA384,
        #[cfg(feature = "rsa")]
        S::RsaPssRsaeSha256 => &RSA_PSS_SHA256,
        #[cfg(feature = "rsa")]
        S::RsaPssRsaeSha384 => &RSA_PSS_SHA384,
        #[cfg(feature = "rsa")]
        S::RsaPssRsaeSha512 => &RSA_PSS_SHA512,
        _ => return None,
    })
}

#[cfg(all(test, feature = "rsa"))]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"signed by a test key";

    #[test]
    fn a_2048_bit_rsa_signature_verifies() {
        let key = include_bytes!("../../tests/data/rsa2048-public.pkcs1.der");
        let signature = include_bytes!("../../tests/data/rsa2048-pkcs1-sha256.sig");
        assert!(
            RSA_PKCS1_SHA256
                .verify_signature(key, MESSAGE, signature)
                .is_ok()
        );
        assert!(
            RSA_PKCS1_SHA256
                .verify_signature(key, b"another message", signature)
                .is_err()
        );
    }

    #[test]
    fn a_1024_bit_rsa_key_is_refused_even_with_a_valid_signature() {
        let key = include_bytes!("../../tests/data/rsa1024-public.pkcs1.der");
        let signature = include_bytes!("../../tests/data/rsa1024-pkcs1-sha256.sig");
        assert!(
            RSA_PKCS1_SHA256
                .verify_signature(key, MESSAGE, signature)
                .is_err()
        );
    }

    #[test]
    fn garbage_keys_and_signatures_are_refusals_not_panics() {
        for algorithm in CERTIFICATE_ALGORITHMS {
            assert!(algorithm.verify_signature(&[], &[], &[]).is_err());
            assert!(
                algorithm
                    .verify_signature(&[0x30; 70], b"x", &[0x30; 70])
                    .is_err()
            );
        }
    }
}
