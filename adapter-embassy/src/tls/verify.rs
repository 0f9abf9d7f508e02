//! One connection's verifier: the server's chain judged by webpki against several roots at the
//! caller's time, then the server's `CertificateVerify` signature checked with the leaf's key.

use embedded_tls::{
    Aes128GcmSha256, CertificateEntryRef, CertificateRef, CertificateVerifyRef, TlsCipherSuite,
    TlsVerifier,
};
use heapless::Vec;
use pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, TrustAnchor};
use webpki::{EndEntityCert, KeyUsage, RawPublicKeyEntity};

use super::{CertificateError, UnixTime, signature};

/// The most root certificates a trust store holds: the desk light bundles 7
/// (`firmware/certs/`), and a CA rotation may add one or two before old ones are removed.
pub const MAX_TRUST_ANCHORS: usize = 10;

/// The most certificates a server may send after its own: public CAs send one or two
/// intermediates, and some servers add their root or a cross-signed copy; webpki follows at
/// most six CAs anyway. A longer chain is refused as [`CertificateError::PathTooLong`].
pub const MAX_INTERMEDIATES: usize = 6;

/// The largest `subjectPublicKeyInfo` kept between the server's `Certificate` and its
/// `CertificateVerify`: an RSA-4096 key's is 550 bytes, a P-384 key's 120.
const MAX_SPKI_LEN: usize = 550;

/// The root certificates a server chain may end at.
///
/// Only the DER is kept (borrowed, nothing copied); webpki's trust anchors are made from it
/// for each chain, in a fixed-capacity list on the stack, so a trust store costs no RAM
/// between handshakes.
#[derive(Clone, Copy)]
pub struct TrustAnchors<'a> {
    roots: &'a [&'a [u8]],
}

impl<'a> TrustAnchors<'a> {
    /// Trusts each DER certificate in `roots` (at most [`MAX_TRUST_ANCHORS`]); refuses a list
    /// with an unreadable one, so that a corrupted trust store is found at start-up, not at the
    /// first handshake.
    pub fn new(roots: &'a [&'a [u8]]) -> Result<Self, CertificateError> {
        if roots.is_empty() {
            return Err(CertificateError::UnknownIssuer);
        }
        if roots.len() > MAX_TRUST_ANCHORS {
            return Err(CertificateError::TooManyRoots);
        }
        for root in roots {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(*root))
                .map_err(|_| CertificateError::Malformed)?;
        }
        Ok(Self { roots })
    }

    /// Runs `verify` with the roots as webpki's trust anchors.
    fn with_anchors<T>(&self, verify: impl FnOnce(&[TrustAnchor<'_>]) -> T) -> T {
        let ders: Vec<CertificateDer<'a>, MAX_TRUST_ANCHORS> = self
            .roots
            .iter()
            .take(MAX_TRUST_ANCHORS)
            .map(|root| CertificateDer::from(*root))
            .collect();
        let anchors: Vec<TrustAnchor<'_>, MAX_TRUST_ANCHORS> = ders
            .iter()
            .filter_map(|der| webpki::anchor_from_trusted_cert(der).ok())
            .collect();
        verify(&anchors)
    }
}

type Transcript = <Aes128GcmSha256 as TlsCipherSuite>::Hash;

/// A `TlsVerifier` for one connection: the chain against several roots, the host name, the
/// caller's clock, and then the server's handshake signature with the leaf's key.
pub struct ChainVerifier<'a> {
    trust: TrustAnchors<'a>,
    host: &'a str,
    now: UnixTime,
    leaf_key: Option<Vec<u8, MAX_SPKI_LEN>>,
    transcript: Option<Transcript>,
    signature_verified: bool,
    failure: Option<CertificateError>,
}

impl<'a> ChainVerifier<'a> {
    /// A verifier for a connection to `host` at wall-clock time `now`.
    pub fn new(trust: TrustAnchors<'a>, host: &'a str, now: UnixTime) -> Self {
        Self {
            trust,
            host,
            now,
            leaf_key: None,
            transcript: None,
            signature_verified: false,
            failure: None,
        }
    }

    /// Both the chain and the handshake signature have been verified.
    pub fn is_complete(&self) -> bool {
        self.leaf_key.is_some() && self.signature_verified && self.failure.is_none()
    }

    /// Why the server's certificate was refused, if it was.
    pub fn failure(&self) -> Option<CertificateError> {
        self.failure
    }

    /// Checks a certificate chain (DER, leaf first, as a server sends it) exactly as a
    /// handshake would, short of the handshake's signature: every rule webpki applies, the host
    /// name, every signature up to one of the trust anchors. For checking a chain offline (a
    /// trust store against a captured chain) and for fuzzing.
    pub fn check_chain<'c>(
        &self,
        chain: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<(), CertificateError> {
        self.verify_chain(chain).map(|_| ())
    }

    /// Verifies a chain in TLS order (leaf first) and returns the leaf's
    /// `subjectPublicKeyInfo`.
    fn verify_chain<'c>(
        &self,
        chain: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<&'c [u8], CertificateError> {
        let mut chain = chain.into_iter();
        let leaf_der = chain.next().ok_or(CertificateError::Missing)?;
        let mut intermediates = Vec::<CertificateDer<'c>, MAX_INTERMEDIATES>::new();
        for der in chain {
            intermediates
                .push(CertificateDer::from(der))
                .map_err(|_| CertificateError::PathTooLong)?;
        }
        let leaf = CertificateDer::from(leaf_der);
        let end_entity = EndEntityCert::try_from(&leaf).map_err(refusal)?;
        self.trust
            .with_anchors(|anchors| {
                end_entity
                    .verify_for_usage(
                        signature::CERTIFICATE_ALGORITHMS,
                        anchors,
                        &intermediates,
                        self.now.to_pki(),
                        KeyUsage::server_auth(),
                        None,
                        None,
                    )
                    .map(|_| ())
            })
            .map_err(refusal)?;
        // A host that is not a DNS name (an IP address literal, garbage) matches no certificate
        // a public CA issues for Genesys.
        let name = ServerName::try_from(self.host).map_err(|_| CertificateError::NameMismatch)?;
        end_entity
            .verify_is_valid_for_subject_name(&name)
            .map_err(refusal)?;
        subject_public_key_info(leaf_der).ok_or(CertificateError::Malformed)
    }

    fn refuse(&mut self, reason: CertificateError) -> embedded_tls::TlsError {
        self.failure = Some(reason);
        match reason {
            CertificateError::BadSignature => embedded_tls::TlsError::InvalidSignature,
            _ => embedded_tls::TlsError::InvalidCertificate,
        }
    }
}

/// What webpki's verdict means for the device.
fn refusal(error: webpki::Error) -> CertificateError {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer | E::CertDistrusted => CertificateError::UnknownIssuer,
        E::CertNotValidForName(_) => CertificateError::NameMismatch,
        E::CertExpired { .. } => CertificateError::Expired,
        E::CertNotValidYet { .. } => CertificateError::NotYetValid,
        E::EndEntityUsedAsCa => CertificateError::NotACertificateAuthority,
        E::CaUsedAsEndEntity => CertificateError::CaAsServer,
        E::PathLenConstraintViolated
        | E::MaximumPathDepthExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumSignatureChecksExceeded => CertificateError::PathTooLong,
        E::NameConstraintViolation | E::MaximumNameConstraintComparisonsExceeded => {
            CertificateError::NameConstraints
        }
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => CertificateError::NotForServers,
        E::UnsupportedCriticalExtension => CertificateError::UnknownCriticalExtension,
        E::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => CertificateError::UnsupportedAlgorithm,
        _ => CertificateError::Malformed,
    }
}

/// The `subjectPublicKeyInfo` of a certificate, whole (tag and length included), kept from the
/// server's `Certificate` message until its `CertificateVerify` arrives (the message's buffer
/// is reused in between, and webpki without an allocator keeps no copy).
///
/// Called only on a leaf webpki has just accepted; the DER is read by the `der` crate, and
/// this function only picks the field RFC 5280 §4.1 puts after the subject. `None` for
/// anything that is not laid out so.
fn subject_public_key_info(certificate: &[u8]) -> Option<&[u8]> {
    use der::Reader as _;
    /// `version [0] EXPLICIT`, present in every v3 certificate.
    const VERSION: u8 = 0xa0;
    let mut reader = der::SliceReader::new(certificate).ok()?;
    reader
        .sequence(|certificate| {
            let spki = certificate.sequence(|tbs| {
                if tbs.peek_byte() == Some(VERSION) {
                    tbs.tlv_bytes()?;
                }
                // serialNumber, signature, issuer, validity, subject.
                for _ in 0..5 {
                    tbs.tlv_bytes()?;
                }
                let spki = tbs.tlv_bytes()?;
                skip_rest(tbs)?;
                Ok(spki)
            })?;
            skip_rest(certificate)?;
            Ok(spki)
        })
        .ok()
}

/// Steps over the elements left in a `SEQUENCE` (the `der` crate insists a nested read ends
/// at its end).
fn skip_rest<'r>(reader: &mut impl der::Reader<'r>) -> der::Result<()> {
    while !reader.is_finished() {
        reader.tlv_bytes()?;
    }
    Ok(())
}

impl TlsVerifier<Aes128GcmSha256> for ChainVerifier<'_> {
    fn set_hostname_verification(&mut self, hostname: &str) -> Result<(), embedded_tls::TlsError> {
        // The host is fixed when the verifier is made; a different SNI would mean a caller bug.
        if hostname.eq_ignore_ascii_case(self.host) {
            Ok(())
        } else {
            Err(self.refuse(CertificateError::NameMismatch))
        }
    }

    fn verify_certificate(
        &mut self,
        transcript: &Transcript,
        cert: CertificateRef<'_>,
    ) -> Result<(), embedded_tls::TlsError> {
        let ders = cert.entries.iter().map(|entry| match entry {
            CertificateEntryRef::X509(der) => *der,
            // A raw public key is never offered by us; treat it as garbage.
            CertificateEntryRef::RawPublicKey(_) => &[][..],
        });
        let verified = self.verify_chain(ders).and_then(|spki| {
            Vec::from_slice(spki).map_err(|_| CertificateError::UnsupportedAlgorithm)
        });
        match verified {
            Ok(spki) => {
                self.leaf_key = Some(spki);
                self.transcript = Some(transcript.clone());
                Ok(())
            }
            Err(reason) => Err(self.refuse(reason)),
        }
    }

    fn verify_signature(
        &mut self,
        verify: CertificateVerifyRef<'_>,
    ) -> Result<(), embedded_tls::TlsError> {
        let (Some(spki), Some(transcript)) = (&self.leaf_key, self.transcript.take()) else {
            return Err(self.refuse(CertificateError::Missing));
        };
        let Some(algorithm) = signature::for_handshake(verify.signature_scheme) else {
            return Err(self.refuse(CertificateError::UnsupportedAlgorithm));
        };
        // RFC 8446 §4.4.3: 64 spaces, the context string with its zero byte, the transcript hash.
        const CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify\x00";
        const SHA256_LEN: usize = 32;
        let digest = sha2::Digest::finalize(transcript);
        let mut message = [b' '; 64 + CONTEXT.len() + SHA256_LEN];
        for (to, from) in message
            .iter_mut()
            .skip(64)
            .zip(CONTEXT.iter().chain(digest.iter()))
        {
            *to = *from;
        }
        let spki = SubjectPublicKeyInfoDer::from(spki.as_slice());
        let verified = RawPublicKeyEntity::try_from(&spki)
            .and_then(|key| key.verify_signature(algorithm, &message, verify.signature));
        match verified {
            Ok(()) => {
                self.signature_verified = true;
                Ok(())
            }
            Err(error) => Err(self.refuse(refusal(error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amazon Root CA 3: an EC P-256 key, so a 91-byte `subjectPublicKeyInfo`.
    const AMAZON_ROOT_CA_3: &[u8] = include_bytes!("../../../firmware/certs/amazon-root-ca-3.der");

    #[test]
    fn the_public_key_info_is_found_after_the_subject() {
        let spki = subject_public_key_info(AMAZON_ROOT_CA_3).expect("an SPKI");
        assert_eq!(spki.len(), 91);
        assert_eq!(spki.get(..2), Some(&[0x30, 0x59][..]));
        let spki = SubjectPublicKeyInfoDer::from(spki);
        assert!(RawPublicKeyEntity::try_from(&spki).is_ok());
    }

    #[test]
    fn a_cut_certificate_has_no_public_key_info_and_no_panic() {
        for len in 0..AMAZON_ROOT_CA_3.len() {
            let cut = AMAZON_ROOT_CA_3.get(..len).unwrap_or_default();
            assert_eq!(subject_public_key_info(cut), None, "cut at {len}");
        }
    }
}
