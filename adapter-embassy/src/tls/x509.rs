//! Just enough X.509 to verify a server's chain: a borrowed view of one DER certificate.
//!
//! Why our own reader instead of embedded-tls's `pki` module: its verifier takes one trust
//! anchor, reads the time from a static `TlsClock`, collects only the first three SAN
//! names (a certificate whose matching name comes later is refused) and never checks that an
//! intermediate is allowed to sign (`basicConstraints cA`). Parsing is done with the `der`
//! crate embedded-tls already links; this file only knows the layout of RFC 5280.
//!
//! Everything is parsed once into [`Certificate`], borrowing from the handshake record; nothing
//! here allocates, and every malformed input is an error, never a panic.

use der::asn1::{GeneralizedTime, UtcTime};
use der::oid::ObjectIdentifier;
use der::{Decode, Header, Reader, SliceReader, Tag};

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const CURVE_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CURVE_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// The certificate could not be read as X.509 DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

impl From<der::Error> for Malformed {
    fn from(_: der::Error) -> Self {
        Malformed
    }
}

/// The public key a certificate carries, as the bytes its verifier needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicKey<'a> {
    /// An uncompressed or compressed SEC1 point on P-256.
    P256(&'a [u8]),
    /// A SEC1 point on P-384.
    P384(&'a [u8]),
    /// A PKCS#1 `RSAPublicKey` (DER).
    Rsa(&'a [u8]),
    /// Any other algorithm or curve; no signature made with it can be verified here.
    Unsupported,
}

impl<'a> PublicKey<'a> {
    /// The key's bytes, whatever its kind (empty for an unsupported one).
    pub(crate) fn bytes(&self) -> &'a [u8] {
        match self {
            PublicKey::P256(b) | PublicKey::P384(b) | PublicKey::Rsa(b) => b,
            PublicKey::Unsupported => &[],
        }
    }
}

/// How the issuer signed this certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    EcdsaSha256,
    EcdsaSha384,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    Unsupported,
}

/// One certificate, parsed once; every field borrows from the DER bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Certificate<'a> {
    /// The whole `tbsCertificate` TLV: the bytes the issuer signed.
    pub(crate) signed: &'a [u8],
    pub(crate) signature_algorithm: SignatureAlgorithm,
    /// The signature bits (the BIT STRING without its unused-bits octet).
    pub(crate) signature: &'a [u8],
    /// The issuer `Name`, as raw DER, compared byte for byte with a parent's subject.
    pub(crate) issuer: &'a [u8],
    /// The subject `Name`, as raw DER.
    pub(crate) subject: &'a [u8],
    /// Validity, in seconds since the Unix epoch.
    pub(crate) not_before: u64,
    pub(crate) not_after: u64,
    pub(crate) public_key: PublicKey<'a>,
    /// `basicConstraints` says this certificate may sign others.
    pub(crate) is_ca: bool,
    /// The certificate may identify a TLS server: it has no `extendedKeyUsage`, or one that
    /// lists `serverAuth` (or any usage).
    pub(crate) for_servers: bool,
    /// The content of the `subjectAltName` extension's `GeneralNames`, if present.
    subject_alt_names: Option<&'a [u8]>,
}

impl<'a> Certificate<'a> {
    /// Parses one DER certificate.
    pub(crate) fn parse(der: &'a [u8]) -> Result<Self, Malformed> {
        let mut outer = SliceReader::new(der)?;
        let certificate = expect(&mut outer, Tag::Sequence)?;
        let mut cert = SliceReader::new(certificate)?;
        let signed = cert.tlv_bytes()?;
        let signature_algorithm = signature_algorithm(expect(&mut cert, Tag::Sequence)?)?;
        let signature = bit_string(expect(&mut cert, Tag::BitString)?)?;

        let mut tbs = SliceReader::new(signed)?;
        let mut tbs = SliceReader::new(expect(&mut tbs, Tag::Sequence)?)?;
        if is_context(Tag::peek(&tbs)?, 0) {
            skip(&mut tbs)?; // version
        }
        expect(&mut tbs, Tag::Integer)?; // serialNumber
        expect(&mut tbs, Tag::Sequence)?; // signature (repeats the outer algorithm)
        let issuer = tbs.tlv_bytes()?;
        let mut validity = SliceReader::new(expect(&mut tbs, Tag::Sequence)?)?;
        let not_before = time(&mut validity)?;
        let not_after = time(&mut validity)?;
        let subject = tbs.tlv_bytes()?;
        let public_key = public_key(expect(&mut tbs, Tag::Sequence)?)?;

        let mut is_ca = false;
        let mut for_servers = true;
        let mut subject_alt_names = None;
        while !tbs.is_finished() {
            let header = Header::decode(&mut tbs)?;
            let value = tbs.read_slice(header.length())?;
            if !is_context(header.tag(), 3) {
                continue; // issuerUniqueID, subjectUniqueID
            }
            let mut wrapper = SliceReader::new(value)?;
            let mut extensions = SliceReader::new(expect(&mut wrapper, Tag::Sequence)?)?;
            while !extensions.is_finished() {
                let mut extension = SliceReader::new(expect(&mut extensions, Tag::Sequence)?)?;
                let id = expect(&mut extension, Tag::ObjectIdentifier)?;
                if Tag::peek(&extension)? == Tag::Boolean {
                    skip(&mut extension)?; // critical
                }
                let body = expect(&mut extension, Tag::OctetString)?;
                if id == SUBJECT_ALT_NAME.as_bytes() {
                    let mut names = SliceReader::new(body)?;
                    subject_alt_names = Some(expect(&mut names, Tag::Sequence)?);
                } else if id == BASIC_CONSTRAINTS.as_bytes() {
                    is_ca = basic_constraints_ca(body)?;
                } else if id == EXTENDED_KEY_USAGE.as_bytes() {
                    for_servers = key_usage_allows_servers(body)?;
                }
            }
        }

        Ok(Certificate {
            signed,
            signature_algorithm,
            signature,
            issuer,
            subject,
            not_before,
            not_after,
            public_key,
            is_ca,
            for_servers,
            subject_alt_names,
        })
    }

    /// Every `dNSName` in the subject alternative names, however many there are.
    ///
    /// A malformed entry ends the iteration (and so cannot match a host name).
    pub(crate) fn dns_names(&self) -> DnsNames<'a> {
        DnsNames {
            reader: self
                .subject_alt_names
                .and_then(|s| SliceReader::new(s).ok()),
        }
    }
}

/// Iterator over a certificate's `dNSName` entries; see [`Certificate::dns_names`].
pub(crate) struct DnsNames<'a> {
    reader: Option<SliceReader<'a>>,
}

impl<'a> Iterator for DnsNames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // dNSName is `[2] IMPLICIT IA5String`: a primitive context tag number 2.
        loop {
            let reader = self.reader.as_mut()?;
            if reader.is_finished() {
                return None;
            }
            let entry = Header::decode(reader)
                .and_then(|header| Ok((header.tag(), reader.read_slice(header.length())?)));
            match entry {
                Ok((tag, value)) if is_context(tag, 2) && !tag.is_constructed() => {
                    return Some(value);
                }
                Ok(_) => continue,
                Err(_) => {
                    self.reader = None;
                    return None;
                }
            }
        }
    }
}

fn expect<'a>(reader: &mut SliceReader<'a>, tag: Tag) -> Result<&'a [u8], Malformed> {
    let header = Header::decode(reader)?;
    if header.tag() != tag {
        return Err(Malformed);
    }
    Ok(reader.read_slice(header.length())?)
}

fn skip(reader: &mut SliceReader<'_>) -> Result<(), Malformed> {
    let header = Header::decode(reader)?;
    reader.read_slice(header.length())?;
    Ok(())
}

fn is_context(tag: Tag, number: u32) -> bool {
    matches!(tag, Tag::ContextSpecific { number: n, .. } if n.value() == number)
}

fn bit_string(value: &[u8]) -> Result<&[u8], Malformed> {
    // Keys and signatures are whole octets: the unused-bits count must be zero.
    match value.split_first() {
        Some((0, bits)) => Ok(bits),
        _ => Err(Malformed),
    }
}

fn time(reader: &mut SliceReader<'_>) -> Result<u64, Malformed> {
    let duration = match Tag::peek(reader)? {
        Tag::UtcTime => UtcTime::decode(reader)?.to_unix_duration(),
        Tag::GeneralizedTime => GeneralizedTime::decode(reader)?.to_unix_duration(),
        _ => return Err(Malformed),
    };
    Ok(duration.as_secs())
}

fn signature_algorithm(value: &[u8]) -> Result<SignatureAlgorithm, Malformed> {
    let mut reader = SliceReader::new(value)?;
    let id = expect(&mut reader, Tag::ObjectIdentifier)?;
    Ok(match id {
        _ if id == ECDSA_WITH_SHA256.as_bytes() => SignatureAlgorithm::EcdsaSha256,
        _ if id == ECDSA_WITH_SHA384.as_bytes() => SignatureAlgorithm::EcdsaSha384,
        _ if id == SHA256_WITH_RSA.as_bytes() => SignatureAlgorithm::RsaPkcs1Sha256,
        _ if id == SHA384_WITH_RSA.as_bytes() => SignatureAlgorithm::RsaPkcs1Sha384,
        _ if id == SHA512_WITH_RSA.as_bytes() => SignatureAlgorithm::RsaPkcs1Sha512,
        _ => SignatureAlgorithm::Unsupported,
    })
}

fn public_key(spki: &[u8]) -> Result<PublicKey<'_>, Malformed> {
    let mut reader = SliceReader::new(spki)?;
    let mut algorithm = SliceReader::new(expect(&mut reader, Tag::Sequence)?)?;
    let key = bit_string(expect(&mut reader, Tag::BitString)?)?;
    let id = expect(&mut algorithm, Tag::ObjectIdentifier)?;
    if id == RSA_ENCRYPTION.as_bytes() {
        return Ok(PublicKey::Rsa(key));
    }
    if id != EC_PUBLIC_KEY.as_bytes() || algorithm.is_finished() {
        return Ok(PublicKey::Unsupported);
    }
    if Tag::peek(&algorithm)? != Tag::ObjectIdentifier {
        return Ok(PublicKey::Unsupported); // explicit curve parameters: refused by RFC 5480
    }
    let curve = expect(&mut algorithm, Tag::ObjectIdentifier)?;
    Ok(if curve == CURVE_P256.as_bytes() {
        PublicKey::P256(key)
    } else if curve == CURVE_P384.as_bytes() {
        PublicKey::P384(key)
    } else {
        PublicKey::Unsupported
    })
}

fn basic_constraints_ca(body: &[u8]) -> Result<bool, Malformed> {
    let mut reader = SliceReader::new(body)?;
    let mut constraints = SliceReader::new(expect(&mut reader, Tag::Sequence)?)?;
    if constraints.is_finished() || Tag::peek(&constraints)? != Tag::Boolean {
        return Ok(false);
    }
    Ok(expect(&mut constraints, Tag::Boolean)? == [0xff])
}

fn key_usage_allows_servers(body: &[u8]) -> Result<bool, Malformed> {
    let mut reader = SliceReader::new(body)?;
    let mut usages = SliceReader::new(expect(&mut reader, Tag::Sequence)?)?;
    let mut allows = false;
    while !usages.is_finished() {
        let usage = expect(&mut usages, Tag::ObjectIdentifier)?;
        allows |= usage == SERVER_AUTH.as_bytes() || usage == ANY_EXTENDED_KEY_USAGE.as_bytes();
    }
    Ok(allows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x02\x01",
        ] {
            assert_eq!(Certificate::parse(input).err(), Some(Malformed));
        }
    }

    #[test]
    fn flipping_any_bit_of_a_real_certificate_never_panics() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(["a.example".into(), "b.example".into()])
            .expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("cert");
        let mut der = cert.der().to_vec();
        for at in 0..der.len() {
            for bit in 0..8 {
                der[at] ^= 1 << bit;
                if let Ok(parsed) = Certificate::parse(&der) {
                    // Whatever parsed must also iterate without trouble.
                    assert!(parsed.dns_names().count() <= der.len());
                }
                der[at] ^= 1 << bit;
            }
        }
    }

    #[test]
    fn every_truncation_of_a_real_certificate_is_malformed() {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(["a.example".into()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let der = cert.der();
        assert!(Certificate::parse(der).is_ok());
        for len in 0..der.len() {
            assert!(Certificate::parse(&der[..len]).is_err(), "prefix of {len}");
        }
    }
}
