//! TLS 1.3 over any `embedded-io-async` socket, with the server's certificate always verified.
//!
//! [embedded-tls](https://docs.rs/embedded-tls) does the record layer and handshake;
//! [rustls-webpki](https://docs.rs/rustls-webpki) judges the server's certificate chain. What
//! this module adds is the glue between them and what a device needs around it.
//!
//! # Why webpki
//!
//! Path building and RFC 5280's rules (basic constraints and path length, name constraints,
//! extended key usage on every certificate of the path, critical extensions, validity, DNS name
//! matching with wildcards over every `subjectAltName`) are easy to get subtly wrong, and a
//! mistake there is a forged server accepted. webpki is the verifier rustls uses, is fuzzed and
//! audited, and builds without an allocator (`default-features = false`): it borrows the
//! certificates from the handshake record and the trust store, and copies nothing.
//!
//! # What is ours
//!
//! - **The glue to embedded-tls** ([`ChainVerifier`], its `TlsVerifier`): the chain from the
//!   `Certificate` message goes to webpki; the server's `CertificateVerify` signature over the
//!   handshake transcript is then checked with the leaf's public key, with the algorithm the
//!   TLS 1.3 signature scheme names.
//! - **The signature algorithms** webpki calls (`signature.rs`): ECDSA P-256 always; P-384 with
//!   the `p384` feature; RSA PKCS#1 v1.5 and PSS with the `rsa` feature, keys under 2048 bits
//!   refused. They use the RustCrypto crates (`p256`, `p384`, `rsa`, `sha2`), so no ring or
//!   aws-lc is linked. The `rsa` feature links `alloc`, because the `rsa` crate computes with
//!   heap-backed big integers. Many public CAs still issue RSA chains: check the chain of the
//!   region's hosts and enable `rsa` (or `p384`) if it needs them.
//! - **Several roots** ([`TrustAnchors`]): a chain is accepted if it ends at any of them.
//! - **The caller's clock**: validity is checked against the [`UnixTime`] the caller read from
//!   its wall clock (SNTP on the device) for this connection, never a global.
//! - **The handshake really completed**: embedded-tls skips the verifier in some handshakes
//!   (PSK only); [`connect`] refuses a connection in which the verifier did not see both a
//!   chain it accepted and a valid signature with its key.
//! - **Errors a person can act on**: webpki's reasons become [`CertificateError`]s.
//!
//! Not checked: revocation (no CRL or OCSP on a device; the trust store should hold only the
//! roots the Genesys hosts actually chain to). There is deliberately no way to turn
//! verification off.

mod signature;
mod verify;

use core::fmt;

use embedded_io_async::{Read, Write};
use embedded_tls::{
    Aes128GcmSha256, CryptoProvider, CryptoRngCore, TlsConfig, TlsConnection, TlsContext,
    TlsVerifier,
};

pub use verify::{ChainVerifier, MAX_INTERMEDIATES, MAX_TRUST_ANCHORS, TrustAnchors};

/// The TLS record read buffer: the largest record TLS 1.3 allows (2^14 bytes of data plus 256 of
/// expansion) must fit, since servers do not negotiate smaller fragments.
pub const TLS_READ_BUFFER_LEN: usize = 16_640;

/// The TLS record write buffer. It must hold the ClientHello (about 300 bytes); our largest
/// write after it is a REST request under 1 KB (headers, a bearer token, a subscribe body), and
/// WebSocket frames we send are tens of bytes. Longer writes are split into several records, so
/// this bounds record size only.
pub const TLS_WRITE_BUFFER_LEN: usize = 1_024;

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

    fn to_pki(self) -> pki_types::UnixTime {
        pki_types::UnixTime::since_unix_epoch(core::time::Duration::from_secs(self.secs))
    }
}

/// Why a server's certificate was refused.
///
/// Every refusal means the same for the connection: it is not used, and retrying without a
/// change (the trust store, the clock, the configured host) gets the same answer. Each
/// variant's doc says what to change.
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
    /// An intermediate certificate is not allowed to sign others (no `basicConstraints cA`);
    /// the chain is forged or broken.
    NotACertificateAuthority,
    /// The server presented a CA certificate as its own: a CA's certificate is not a server's.
    /// The server is misconfigured, or something impersonates it.
    CaAsServer,
    /// A CA in the chain has more CAs below it than its `pathLenConstraint` allows, or the
    /// chain is longer than a verifier follows. The chain is forged or misissued.
    PathTooLong,
    /// A CA in the chain may only issue certificates for names it is constrained to, and the
    /// server's name is not one of them. The chain is misissued or forged.
    NameConstraints,
    /// A certificate of the chain is restricted (extended key usage) to other purposes than
    /// TLS servers (a client or code-signing certificate or CA): something other than the
    /// server answered.
    NotForServers,
    /// A certificate of the chain carries a critical extension this verifier does not know;
    /// RFC 5280 requires refusing it. The server's CA issues certificates a device cannot use.
    UnknownCriticalExtension,
    /// A signature does not verify (or an RSA key is shorter than 2048 bits): the chain or the
    /// handshake was tampered with, or the server's key does not match its certificate.
    BadSignature,
    /// The chain uses an algorithm this build does not verify; enable the `rsa` or `p384`
    /// feature if the server's chain needs it.
    UnsupportedAlgorithm,
    /// A certificate could not be parsed.
    Malformed,
    /// The server sent no certificate, or the handshake skipped its signature.
    Missing,
    /// The trust store holds more roots than [`MAX_TRUST_ANCHORS`]; found when the trust
    /// store is made. Remove roots the hosts do not chain to.
    TooManyRoots,
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownIssuer => {
                "the server's certificate chain does not lead to a trusted root CA (add the root it ends at to the trust store, or check for interception)"
            }
            Self::NameMismatch => {
                "the server's certificate is not valid for the host name (check the configured region or host)"
            }
            Self::Expired => {
                "a certificate in the server's chain has expired (or the device clock is ahead; check SNTP)"
            }
            Self::NotYetValid => {
                "a certificate in the server's chain is not valid yet (or the device clock is behind; check SNTP)"
            }
            Self::NotACertificateAuthority => {
                "a certificate in the server's chain signs others without being a CA"
            }
            Self::CaAsServer => {
                "the server presented a CA certificate as its own, which a server may not"
            }
            Self::PathTooLong => {
                "the server's chain is longer than a CA in it allows (pathLenConstraint) or than is followed"
            }
            Self::NameConstraints => {
                "a CA in the server's chain is not permitted to issue for this host name (name constraints)"
            }
            Self::NotForServers => {
                "a certificate in the server's chain is not meant for TLS servers (extended key usage without serverAuth)"
            }
            Self::UnknownCriticalExtension => {
                "a certificate in the server's chain has a critical extension this device does not understand"
            }
            Self::BadSignature => {
                "a signature in the server's chain or handshake does not verify (or uses an RSA key under 2048 bits)"
            }
            Self::UnsupportedAlgorithm => {
                "the server's chain uses an algorithm this build cannot verify (enable the `rsa` or `p384` feature)"
            }
            Self::Malformed => "a certificate could not be parsed",
            Self::Missing => "the server did not prove its identity with a certificate",
            Self::TooManyRoots => {
                "the trust store holds more root certificates than fit (MAX_TRUST_ANCHORS); remove unused roots"
            }
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
    match (opened, verifier.failure()) {
        // A handshake that never showed us a certificate and its signature is refused even if
        // embedded-tls is content (it skips verification for PSK-only handshakes).
        (Ok(()), _) if verifier.is_complete() => Ok(tls),
        (Ok(()), _) => Err(TlsError::Certificate(CertificateError::Missing)),
        (Err(_), Some(reason)) => Err(TlsError::Certificate(reason)),
        (
            Err(
                embedded_tls::TlsError::Io(_)
                | embedded_tls::TlsError::IoError
                | embedded_tls::TlsError::ConnectionClosed,
            ),
            None,
        ) => Err(TlsError::Io),
        (Err(_), None) => Err(TlsError::Handshake),
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
