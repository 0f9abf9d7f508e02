//! A server's certificate chain, through the verifier's entry point (webpki's path building
//! with our signature algorithms and glue) against the desk light's real trust store: never a
//! panic, whatever the DER; and nothing the fuzzer makes is accepted (it cannot forge a
//! signature of a real root), so an `Ok` would be a verifier bug. The input also goes in as a
//! trust anchor, which webpki reads on its own path.
#![no_main]

use genesys_notify_embassy::tls::{ChainVerifier, TrustAnchors, UnixTime};
use libfuzzer_sys::fuzz_target;

const ROOTS: [&[u8]; 7] = [
    include_bytes!("../../../firmware/certs/amazon-root-ca-1.der"),
    include_bytes!("../../../firmware/certs/amazon-root-ca-2.der"),
    include_bytes!("../../../firmware/certs/amazon-root-ca-3.der"),
    include_bytes!("../../../firmware/certs/amazon-root-ca-4.der"),
    include_bytes!("../../../firmware/certs/starfield-services-root-certificate-authority-g2.der"),
    include_bytes!("../../../firmware/certs/digicert-global-root-ca.der"),
    include_bytes!("../../../firmware/certs/digicert-global-root-g2.der"),
];

/// 2026-11-29, inside every root's validity.
const NOW: u64 = 1_795_945_260;

/// The chain: certificates behind two-byte big-endian lengths, as in a TLS Certificate message.
fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut chain = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (cert, more) = rest.split_at(len);
        chain.push(cert);
        data = more;
    }
    chain
}

fuzz_target!(|data: &[u8]| {
    let trust = TrustAnchors::new(&ROOTS).expect("the bundled roots parse");
    let verifier = ChainVerifier::new(trust, "api.mypurecloud.ie", UnixTime::from_secs(NOW));
    let chain = split(data);
    assert!(verifier.check_chain(chain.iter().copied()).is_err());
    let anchors = [data];
    let _ = TrustAnchors::new(&anchors);
});
