//! TLS 1.3 over any `embedded-io-async` socket, with the server's certificate always verified.
//!
//! [embedded-tls](https://docs.rs/embedded-tls) does the record layer and handshake; this module
//! gives it a verifier, because the one embedded-tls ships does not fit a device that talks to
//! Genesys Cloud:
//!
//! - **Several roots.** Genesys' hosts may chain to different public roots, and CAs rotate;
//!   [`TrustAnchors`] is a list, and a chain is accepted if it ends at any of them.
//! - **A clock passed in.** Validity is checked against the [`UnixTime`] the caller read from
//!   its wall clock (SNTP on the device) for this connection, not a global.
//! - **Every name.** embedded-tls keeps only the first three `subjectAltName` entries, so a
//!   certificate whose matching name comes fourth was refused; [`ChainVerifier`] walks all of
//!   them. The subject's common name is never used (CA/Browser Forum certificates carry SANs).
//! - **Intermediates must be CAs.** An intermediate without `basicConstraints cA` cannot sign.
//! - **Server certificates only.** A leaf whose extended key usage leaves out `serverAuth` is
//!   refused.
//!
//! Algorithms: ECDSA P-256 always; P-384 with the `p384` feature; RSA (PKCS#1 v1.5 in
//! certificates, PSS in the handshake) with the `rsa` feature, which links `alloc` because the
//! `rsa` crate computes with heap-backed big integers. Many public CAs still issue RSA chains:
//! check the chain of the region's hosts and enable `rsa` (or `p384`) if it needs them.
//!
//! Not checked (as with embedded-tls's own verifier): key usage bits, path length and name
//! constraints, and revocation. The trust store should hold only the roots the
//! Genesys hosts actually chain to.
//!
//! There is deliberately no way to turn verification off.

mod verify;
mod x509;

use core::fmt;

use embedded_io_async::{Read, Write};
use embedded_tls::{
    Aes128GcmSha256, CertificateRef, CertificateVerifyRef, CryptoProvider, CryptoRngCore,
    TlsCipherSuite, TlsConfig, TlsConnection, TlsContext, TlsVerifier,
};
use heapless::Vec;

use verify::Scheme;
use x509::{Certificate, PublicKey};

/// The TLS record read buffer: the largest record TLS 1.3 allows (2^14 bytes of data plus 256 of
/// expansion) must fit, since servers do not negotiate smaller fragments.
pub const TLS_READ_BUFFER_LEN: usize = 16_640;

/// The TLS record write buffer. It must hold the ClientHello (about 300 bytes); our largest
/// write after it is a REST request under 1 KB (headers, a bearer token, a subscribe body), and
/// WebSocket frames we send are tens of bytes. Longer writes are split into several records, so
/// this bounds record size only.
pub const TLS_WRITE_BUFFER_LEN: usize = 1_024;

/// The longest chain of intermediates followed before giving up: public CAs use one or two.
pub const MAX_CHAIN_DEPTH: usize = 4;

/// The largest public key kept between the certificate and its handshake signature: a
/// PKCS#1 RSA-4096 key is 526 bytes; an EC point at most 97.
const MAX_PUBLIC_KEY_LEN: usize = 530;

/// The record buffers of one TLS connection, owned by the caller.
pub struct TlsBuffers {
    read: [u8; TLS_READ_BUFFER_LEN],
    write: [u8; TLS_WRITE_BUFFER_LEN],
}

impl TlsBuffers {
    /// Zeroed buffers; place them in a `static` cell on a device, not on a task's stack.
    pub const fn new() -> Self {
        Self {
            read: [0; TLS_READ_BUFFER_LEN],
            write: [0; TLS_WRITE_BUFFER_LEN],
        }
    }
}

impl Default for TlsBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// A point in wall-clock time, in seconds since the Unix epoch, used only for certificate validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime {
    secs: u64,
}

impl UnixTime {
    /// `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_secs(secs: u64) -> Self {
        Self { secs }
    }

    /// Seconds since the Unix epoch.
    pub const fn as_secs(self) -> u64 {
        self.secs
    }
}

/// The root certificates a server chain may end at.
#[derive(Clone, Copy)]
pub struct TrustAnchors<'a> {
    roots: &'a [&'a [u8]],
}

impl<'a> TrustAnchors<'a> {
    /// Trusts each DER certificate in `roots`; refuses a list with an unreadable one, so that a
    /// corrupted trust store is found at start-up, not at the first handshake.
    pub fn new(roots: &'a [&'a [u8]]) -> Result<Self, CertificateError> {
        if roots.is_empty() {
            return Err(CertificateError::UnknownIssuer);
        }
        for root in roots {
            Certificate::parse(root).map_err(|_| CertificateError::Malformed)?;
        }
        Ok(Self { roots })
    }

    fn iter(&self) -> impl Iterator<Item = Certificate<'a>> + 'a {
        self.roots
            .iter()
            .filter_map(|der| Certificate::parse(der).ok())
    }
}

/// Why a server's certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CertificateError {
    /// The chain does not lead to any trusted root. Check the trust store holds the CA that
    /// issued the server's chain, and that nothing intercepts the connection.
    UnknownIssuer,
    /// The certificate is not valid for the host name we connected to: a wrong host configured,
    /// or something answering in the server's place. Do not retry blindly.
    NameMismatch,
    /// A certificate of the chain has expired, or the device clock is far ahead. Check the
    /// clock (SNTP) before blaming the server.
    Expired,
    /// A certificate of the chain is not valid yet, or the device clock is behind. Check SNTP.
    NotYetValid,
    /// An intermediate certificate is not allowed to sign others; the chain is forged or broken.
    NotACertificateAuthority,
    /// The certificate's extended key usage does not include TLS servers (a client or
    /// code-signing certificate): something other than the server answered.
    NotForServers,
    /// A signature does not verify: the chain or the handshake was tampered with.
    BadSignature,
    /// The chain uses an algorithm this build does not verify; enable the `rsa` or `p384`
    /// feature if the server's chain needs it.
    UnsupportedAlgorithm,
    /// A certificate could not be parsed.
    Malformed,
    /// The server sent no certificate, or the handshake skipped its signature.
    Missing,
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownIssuer => {
                "the server's certificate chain does not lead to a trusted root CA"
            }
            Self::NameMismatch => "the server's certificate is not valid for the host name",
            Self::Expired => {
                "a certificate in the server's chain has expired (or the device clock is ahead)"
            }
            Self::NotYetValid => {
                "a certificate in the server's chain is not valid yet (or the device clock is behind; check SNTP)"
            }
            Self::NotACertificateAuthority => {
                "an intermediate certificate in the server's chain is not a CA"
            }
            Self::NotForServers => "the server's certificate is not meant for TLS servers",
            Self::BadSignature => "a signature in the server's chain or handshake does not verify",
            Self::UnsupportedAlgorithm => {
                "the server's chain uses an algorithm this build cannot verify (enable the `rsa` or `p384` feature)"
            }
            Self::Malformed => "a certificate could not be parsed",
            Self::Missing => "the server did not prove its identity with a certificate",
        })
    }
}

/// A TLS connection could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TlsError {
    /// The server's certificate was refused; see the reason. Never retried without a change.
    Certificate(CertificateError),
    /// The TLS handshake failed (the server sent an alert or broke the protocol); retry with
    /// back-off, it may be a transient server fault.
    Handshake,
    /// The socket failed or closed; retry with back-off.
    Io,
    /// The wall clock is not set yet (no SNTP answer), so certificate validity cannot be
    /// checked and no connection is attempted. Wait for the clock.
    ClockUnknown,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Certificate(reason) => write!(f, "TLS certificate refused: {reason}"),
            Self::Handshake => f.write_str("the TLS handshake failed"),
            Self::Io => f.write_str("the connection failed during the TLS handshake"),
            Self::ClockUnknown => {
                f.write_str("the device clock is not set, so certificates cannot be checked yet")
            }
        }
    }
}

/// An open, verified TLS connection over socket `S`.
pub type TlsStream<'b, S> = TlsConnection<'b, S, Aes128GcmSha256>;

/// Opens TLS on `socket` to `server_name`, verifying the server's chain against `trust` at `now`.
///
/// `rng` provides the key share and the client random; on a device use the hardware RNG.
pub async fn connect<'b, S, R>(
    socket: S,
    server_name: &str,
    trust: TrustAnchors<'_>,
    now: UnixTime,
    rng: &mut R,
    buffers: &'b mut TlsBuffers,
) -> Result<TlsStream<'b, S>, TlsError>
where
    S: Read + Write + 'b,
    R: CryptoRngCore,
{
    let config = TlsConfig::new().with_server_name(server_name);
    #[cfg(feature = "rsa")]
    let config = config.enable_rsa_signatures();
    let mut provider = Provider {
        rng,
        verifier: ChainVerifier::new(trust, server_name, now),
    };
    let mut tls = TlsConnection::new(socket, &mut buffers.read, &mut buffers.write);
    let opened = tls.open(TlsContext::new(&config, &mut provider)).await;
    let verifier = &provider.verifier;
    match opened {
        // A handshake that never showed us a certificate and its signature is refused even if
        // embedded-tls is content (it skips verification for PSK-only handshakes).
        Ok(()) if verifier.is_complete() => Ok(tls),
        Ok(()) => Err(TlsError::Certificate(CertificateError::Missing)),
        Err(_) if verifier.failure.is_some() => Err(TlsError::Certificate(
            verifier.failure.unwrap_or(CertificateError::Missing),
        )),
        Err(embedded_tls::TlsError::Io(_) | embedded_tls::TlsError::IoError) => Err(TlsError::Io),
        Err(embedded_tls::TlsError::ConnectionClosed) => Err(TlsError::Io),
        Err(_) => Err(TlsError::Handshake),
    }
}

struct Provider<'r, 'a, R> {
    rng: &'r mut R,
    verifier: ChainVerifier<'a>,
}

impl<R: CryptoRngCore> CryptoProvider for Provider<'_, '_, R> {
    type CipherSuite = Aes128GcmSha256;
    // Client certificates are never used; embedded-tls still wants a signature type named.
    type Signature = p256::ecdsa::DerSignature;

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(
        &mut self,
    ) -> Result<&mut impl TlsVerifier<Self::CipherSuite>, embedded_tls::TlsError> {
        Ok(&mut self.verifier)
    }
}

type Transcript = <Aes128GcmSha256 as TlsCipherSuite>::Hash;

/// A [`TlsVerifier`] for one connection: the chain against several roots, every SAN, the
/// caller's clock, and then the server's handshake signature with the leaf's key.
pub struct ChainVerifier<'a> {
    trust: TrustAnchors<'a>,
    host: &'a str,
    now: UnixTime,
    leaf_key: Option<(KeyKind, Vec<u8, MAX_PUBLIC_KEY_LEN>)>,
    transcript: Option<Transcript>,
    signature_verified: bool,
    failure: Option<CertificateError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    P256,
    P384,
    Rsa,
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
    /// handshake would, short of the handshake's signature: names, validity, CA flags, key
    /// usage for servers, every signature up to one of the trust anchors. For checking a chain
    /// offline (a trust store against a captured chain) and for fuzzing.
    pub fn check_chain<'c>(
        &self,
        chain: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<(), CertificateError> {
        self.verify_chain(chain).map(|_| ())
    }

    /// Verifies a chain in TLS order (leaf first) and returns the leaf's public key.
    fn verify_chain<'c>(
        &self,
        chain: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<PublicKey<'c>, CertificateError> {
        let mut chain = chain.into_iter();
        let leaf_der = chain.next().ok_or(CertificateError::Missing)?;
        let leaf = Certificate::parse(leaf_der).map_err(|_| CertificateError::Malformed)?;
        self.check_validity(&leaf)?;
        if !leaf.dns_names().any(|name| host_matches(name, self.host)) {
            return Err(CertificateError::NameMismatch);
        }
        if !leaf.for_servers {
            return Err(CertificateError::NotForServers);
        }
        let mut child = leaf;
        for _ in 0..=MAX_CHAIN_DEPTH {
            let mut refusal = CertificateError::UnknownIssuer;
            for root in self.trust.iter().filter(|r| r.subject == child.issuer) {
                match check_signed_by(&child, &root) {
                    Ok(()) => return Ok(leaf.public_key),
                    Err(e) => refusal = e,
                }
            }
            let Some(next) = chain.next() else {
                return Err(refusal);
            };
            let issuer = Certificate::parse(next).map_err(|_| CertificateError::Malformed)?;
            if issuer.subject != child.issuer {
                return Err(CertificateError::UnknownIssuer);
            }
            if !issuer.is_ca {
                return Err(CertificateError::NotACertificateAuthority);
            }
            self.check_validity(&issuer)?;
            check_signed_by(&child, &issuer)?;
            child = issuer;
        }
        Err(CertificateError::UnknownIssuer)
    }

    fn check_validity(&self, cert: &Certificate<'_>) -> Result<(), CertificateError> {
        if self.now.secs < cert.not_before {
            Err(CertificateError::NotYetValid)
        } else if self.now.secs > cert.not_after {
            Err(CertificateError::Expired)
        } else {
            Ok(())
        }
    }

    fn refuse(&mut self, reason: CertificateError) -> embedded_tls::TlsError {
        self.failure = Some(reason);
        match reason {
            CertificateError::BadSignature => embedded_tls::TlsError::InvalidSignature,
            _ => embedded_tls::TlsError::InvalidCertificate,
        }
    }
}

fn check_signed_by(
    child: &Certificate<'_>,
    issuer: &Certificate<'_>,
) -> Result<(), CertificateError> {
    let scheme = Scheme::of_certificate(child.signature_algorithm)
        .ok_or(CertificateError::UnsupportedAlgorithm)?;
    verify::verify(issuer.public_key, scheme, child.signed, child.signature)
}

/// RFC 6125 matching of one `dNSName` against the host: exact (ignoring ASCII case), or a
/// wildcard that stands for exactly the whole left-most label of a name of three labels or more.
fn host_matches(pattern: &[u8], host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).as_bytes();
    if host.is_empty()
        || !host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(b))
    {
        return false;
    }
    match pattern.strip_prefix(b"*.") {
        None => pattern.eq_ignore_ascii_case(host),
        Some(suffix) => {
            let Some(dot) = host.iter().position(|&b| b == b'.') else {
                return false;
            };
            let (label, host_suffix) = host.split_at(dot);
            !label.is_empty()
                && suffix.contains(&b'.')
                && !suffix.contains(&b'*')
                && host_suffix
                    .get(1..)
                    .is_some_and(|s| s.eq_ignore_ascii_case(suffix))
        }
    }
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
        let mut ders = cert.entries.iter().map(|entry| match entry {
            embedded_tls::CertificateEntryRef::X509(der) => *der,
            // A raw public key is never offered by us; treat it as garbage.
            embedded_tls::CertificateEntryRef::RawPublicKey(_) => &[][..],
        });
        match self.verify_chain(&mut ders) {
            Ok(key) => {
                let kind = match key {
                    PublicKey::P256(_) => KeyKind::P256,
                    PublicKey::P384(_) => KeyKind::P384,
                    PublicKey::Rsa(_) => KeyKind::Rsa,
                    PublicKey::Unsupported => {
                        return Err(self.refuse(CertificateError::UnsupportedAlgorithm));
                    }
                };
                let bytes = Vec::from_slice(key.bytes())
                    .map_err(|_| self.refuse(CertificateError::UnsupportedAlgorithm))?;
                self.leaf_key = Some((kind, bytes));
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
        let (Some((kind, key)), Some(transcript)) = (&self.leaf_key, self.transcript.take()) else {
            return Err(self.refuse(CertificateError::Missing));
        };
        let key = match kind {
            KeyKind::P256 => PublicKey::P256(key),
            KeyKind::P384 => PublicKey::P384(key),
            KeyKind::Rsa => PublicKey::Rsa(key),
        };
        let scheme = match (Scheme::of_handshake(verify.signature_scheme), kind) {
            // TLS 1.3 ties the ECDSA curve to the scheme.
            (Some(Scheme::Ecdsa(verify::Hash::Sha256)), KeyKind::P256)
            | (Some(Scheme::Ecdsa(verify::Hash::Sha384)), KeyKind::P384) => {
                Scheme::of_handshake(verify.signature_scheme)
            }
            (Some(s @ Scheme::RsaPss(_)), KeyKind::Rsa) => Some(s),
            _ => None,
        };
        let Some(scheme) = scheme else {
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
        match verify::verify(key, scheme, &message, verify.signature) {
            Ok(()) => {
                self.signature_verified = true;
                Ok(())
            }
            Err(reason) => Err(self.refuse(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn host_names_match_exactly_ignoring_case() {
        assert!(host_matches(b"api.mypurecloud.com", "api.mypurecloud.com"));
        assert!(host_matches(b"API.MyPureCloud.com", "api.mypurecloud.com"));
        assert!(host_matches(b"api.mypurecloud.com", "api.mypurecloud.com."));
        assert!(!host_matches(b"api.mypurecloud.com", "api.mypurecloud.de"));
        assert!(!host_matches(b"mypurecloud.com", "api.mypurecloud.com"));
    }

    #[test]
    fn a_wildcard_covers_exactly_one_left_label() {
        assert!(host_matches(
            b"*.mypurecloud.com",
            "streaming.mypurecloud.com"
        ));
        assert!(!host_matches(
            b"*.mypurecloud.com",
            "a.streaming.mypurecloud.com"
        ));
        assert!(!host_matches(b"*.mypurecloud.com", "mypurecloud.com"));
        assert!(!host_matches(b"*.com", "mypurecloud.com"));
        assert!(!host_matches(b"*.*.com", "a.b.com"));
        assert!(!host_matches(
            b"api*.mypurecloud.com",
            "api1.mypurecloud.com"
        ));
    }

    #[test]
    fn odd_host_names_never_match() {
        assert!(!host_matches(b"", ""));
        assert!(!host_matches(b"a b.example", "a b.example"));
        assert!(!host_matches("bücher.example".as_bytes(), "bücher.example"));
    }
}
