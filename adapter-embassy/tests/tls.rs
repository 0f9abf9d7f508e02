//! The TLS layer against a rustls server on loopback: what it must accept and what it must refuse.

mod support;

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_io_async::Write;
use genesys_notify_embassy::tls::{
    self, CertificateError, TlsBuffers, TlsError, TrustAnchors, UnixTime,
};
use rcgen::{
    BasicConstraints, CustomExtension, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    NameConstraints,
};
use support::pki::{Algorithm, Authority, CaKey, VALID_DAY};
use tokio::net::TcpStream;

const HOST: &str = "api.mypurecloud.test";

/// Connects to the test server on `port` as `host`, trusting `roots`, at time `now`; on success
/// sends a line and returns the echoed answer.
async fn exchange(port: u16, host: &str, roots: &[&[u8]], now: u64) -> Result<String, TlsError> {
    let socket = TcpStream::connect(("127.0.0.1", port)).await.expect("tcp");
    let trust = TrustAnchors::new(roots).expect("trust store");
    let mut buffers = Box::new(TlsBuffers::new());
    let mut rng = rand_core::OsRng;
    let mut stream = tls::connect(
        FromTokio::new(socket),
        host,
        trust,
        UnixTime::from_secs(now),
        &mut rng,
        &mut buffers,
    )
    .await?;
    stream.write_all(b"hello\n").await.expect("write");
    stream.flush().await.expect("flush");
    let mut answer = Vec::new();
    let mut buf = [0u8; 64];
    while !answer.ends_with(b"\n") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "server closed before answering");
        answer.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8(answer).expect("utf-8"))
}

#[tokio::test]
async fn a_chain_through_an_intermediate_to_a_trusted_root_carries_data() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let intermediate = root.intermediate("Test Intermediate", Algorithm::P256, true);
    let leaf = intermediate.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[intermediate.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn any_root_of_several_may_anchor_the_chain() {
    let other = Authority::root("Other Root", Algorithm::P256);
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&other.der(), &root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_server_that_also_sends_its_root_is_accepted() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let intermediate = root.intermediate("Test Intermediate", Algorithm::P256, true);
    let leaf = intermediate.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[intermediate.der(), root.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_chain_from_an_unknown_ca_is_refused() {
    let trusted = Authority::root("Trusted Root", Algorithm::P256);
    let impostor = Authority::root("Trusted Root", Algorithm::P256);
    let leaf = impostor.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&trusted.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::BadSignature)),
        "same subject, other key: the signature gives it away"
    );

    let stranger = Authority::root("Stranger Root", Algorithm::P256);
    let leaf = stranger.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&trusted.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::UnknownIssuer))
    );
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&["api.mypurecloud.com"], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::NameMismatch))
    );
}

#[tokio::test]
async fn the_common_name_alone_does_not_vouch_for_a_host() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf_with(&["other.example"], Algorithm::P256, |params| {
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, HOST);
    });
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::NameMismatch))
    );
}

#[tokio::test]
async fn the_host_name_as_the_fifth_of_five_names_is_found() {
    let names = ["a.example", "b.example", "c.example", "d.example", HOST];
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&names, Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_matching_name_after_many_others_is_found() {
    // embedded-tls's own verifier keeps only the first three SAN names; webpki reads them all.
    let names = [
        "a.example",
        "b.example",
        "c.example",
        "d.example",
        "*.mypurecloud.test",
    ];
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&names, Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf_with(&[HOST], Algorithm::P256, |params| {
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2027, 1, 1);
    });
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::Expired))
    );
}

#[tokio::test]
async fn a_clock_before_the_validity_period_is_refused() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[]).await;
    // A device that has not synced its clock yet believes it is 1970.
    let refused = exchange(port, HOST, &[&root.der()], 0).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::NotYetValid))
    );
}

#[tokio::test]
async fn an_intermediate_that_is_not_a_ca_cannot_sign() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let not_a_ca = root.intermediate("Plain Leaf", Algorithm::P256, false);
    let leaf = not_a_ca.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[not_a_ca.der()]).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(
            CertificateError::NotACertificateAuthority
        ))
    );
}

#[tokio::test]
async fn an_rsa_chain_is_verified() {
    let root = Authority::root("RSA Root", Algorithm::RsaRoot);
    let leaf = root.leaf(&[HOST], Algorithm::RsaLeaf);
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_p384_intermediate_over_a_p256_leaf_is_verified() {
    let root = Authority::root("P-384 Root", Algorithm::P384);
    let intermediate = root.intermediate("P-384 Intermediate", Algorithm::P384, true);
    let leaf = intermediate.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[intermediate.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[test]
fn a_trust_store_with_garbage_is_refused_at_start_up() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let roots: [&[u8]; 2] = [&root.der(), b"not a certificate"];
    assert_eq!(
        TrustAnchors::new(&roots).err(),
        Some(CertificateError::Malformed)
    );
    assert_eq!(
        TrustAnchors::new(&[]).err(),
        Some(CertificateError::UnknownIssuer)
    );
}

#[tokio::test]
async fn a_certificate_for_clients_only_cannot_serve() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf_with(&[HOST], Algorithm::P256, |params| {
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    });
    let port = support::pki::serve(&leaf, &[]).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::NotForServers))
    );

    let leaf = root.leaf_with(&[HOST], Algorithm::P256, |params| {
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
    });
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

/// Asserts that a server presenting `leaf` and `chain` under `root` is refused for `reason`.
async fn assert_refused(
    leaf: &support::pki::Leaf,
    chain: &[Vec<u8>],
    root: &Authority,
    reason: CertificateError,
) {
    let port = support::pki::serve(leaf, chain).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(refused, Err(TlsError::Certificate(reason)));
}

#[tokio::test]
async fn a_name_constrained_intermediate_cannot_issue_outside_its_names() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let constrained = root.intermediate_with(
        "Constrained CA",
        CaKey::Ring(rcgen::KeyPair::generate().expect("key")),
        |params| {
            params.name_constraints = Some(NameConstraints {
                permitted_subtrees: vec![GeneralSubtree::DnsName("example.org".into())],
                excluded_subtrees: vec![],
            });
        },
    );
    let leaf = constrained.leaf(&[HOST], Algorithm::P256);
    assert_refused(
        &leaf,
        &[constrained.der()],
        &root,
        CertificateError::NameConstraints,
    )
    .await;
}

#[tokio::test]
async fn an_intermediate_for_clients_only_cannot_issue_a_server_certificate() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let clients_only = root.intermediate_with(
        "Client CA",
        CaKey::Ring(rcgen::KeyPair::generate().expect("key")),
        |params| params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth],
    );
    let leaf = clients_only.leaf(&[HOST], Algorithm::P256);
    assert_refused(
        &leaf,
        &[clients_only.der()],
        &root,
        CertificateError::NotForServers,
    )
    .await;
}

#[tokio::test]
async fn a_ca_with_path_length_zero_cannot_have_a_sub_ca() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let last_ca = root.intermediate_with(
        "Path Length 0 CA",
        CaKey::Ring(rcgen::KeyPair::generate().expect("key")),
        |params| params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0)),
    );
    let sub_ca = last_ca.intermediate("Sub CA", Algorithm::P256, true);
    let leaf = sub_ca.leaf(&[HOST], Algorithm::P256);
    assert_refused(
        &leaf,
        &[sub_ca.der(), last_ca.der()],
        &root,
        CertificateError::PathTooLong,
    )
    .await;
}

#[tokio::test]
async fn a_ca_certificate_cannot_be_the_server_certificate() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let ca = root.intermediate_with(
        "Server-shaped CA",
        CaKey::Ring(rcgen::KeyPair::generate().expect("key")),
        |params| {
            params.subject_alt_names = vec![rcgen::SanType::DnsName(
                HOST.try_into().expect("a DNS name"),
            )];
        },
    );
    assert_refused(&ca.as_leaf(), &[], &root, CertificateError::CaAsServer).await;
}

#[tokio::test]
async fn a_server_signing_the_handshake_with_another_key_is_refused() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf(&[HOST], Algorithm::P256);
    let impostor = root.leaf(&["impostor.example"], Algorithm::P256);
    let port = support::pki::serve_signing_with(&leaf, &[], &impostor).await;
    let refused = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(
        refused,
        Err(TlsError::Certificate(CertificateError::BadSignature))
    );
}

#[tokio::test]
async fn an_unknown_critical_extension_on_the_server_certificate_is_refused() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let leaf = root.leaf_with(&[HOST], Algorithm::P256, |params| {
        // An OID under the documentation arc no verifier knows; the content is a DER NULL.
        let mut extension =
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 32473, 1], vec![0x05, 0x00]);
        extension.set_criticality(true);
        params.custom_extensions = vec![extension];
    });
    assert_refused(
        &leaf,
        &[],
        &root,
        CertificateError::UnknownCriticalExtension,
    )
    .await;

    // The same extension, not critical, is ignored as RFC 5280 says.
    let leaf = root.leaf_with(&[HOST], Algorithm::P256, |params| {
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 32473, 1],
            vec![0x05, 0x00],
        )];
    });
    let port = support::pki::serve(&leaf, &[]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_ca_with_a_1024_bit_rsa_key_is_not_trusted() {
    let root = Authority::root("RSA Root", Algorithm::RsaRoot);
    let weak = root.intermediate_with("RSA-1024 CA", CaKey::weak_rsa(), |_| {});
    let leaf = weak.leaf(&[HOST], Algorithm::P256);
    assert_refused(&leaf, &[weak.der()], &root, CertificateError::BadSignature).await;
}

#[tokio::test]
async fn intermediates_sent_out_of_order_are_accepted() {
    let root = Authority::root("Test Root", Algorithm::P256);
    let upper = root.intermediate("Upper CA", Algorithm::P256, true);
    let lower = upper.intermediate("Lower CA", Algorithm::P256, true);
    let leaf = lower.leaf(&[HOST], Algorithm::P256);
    let port = support::pki::serve(&leaf, &[upper.der(), lower.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn a_p384_chain_with_a_p384_server_key_is_verified() {
    let root = Authority::root("P-384 Root", Algorithm::P384);
    let intermediate = root.intermediate("P-384 Intermediate", Algorithm::P384, true);
    let leaf = intermediate.leaf(&[HOST], Algorithm::P384);
    let port = support::pki::serve(&leaf, &[intermediate.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[tokio::test]
async fn an_rsa_chain_through_an_intermediate_is_verified() {
    let root = Authority::root("RSA Root", Algorithm::RsaRoot);
    let intermediate = root.intermediate("P-256 Intermediate", Algorithm::P256, true);
    let leaf = intermediate.leaf(&[HOST], Algorithm::RsaLeaf);
    let port = support::pki::serve(&leaf, &[intermediate.der()]).await;
    let answer = exchange(port, HOST, &[&root.der()], VALID_DAY).await;
    assert_eq!(answer.as_deref(), Ok("echo: hello\n"));
}

#[test]
fn a_trust_store_larger_than_its_capacity_is_refused_at_start_up() {
    let roots: Vec<Vec<u8>> = (0..=tls::MAX_TRUST_ANCHORS)
        .map(|n| Authority::root(&format!("Root {n}"), Algorithm::P256).der())
        .collect();
    let roots: Vec<&[u8]> = roots.iter().map(Vec::as_slice).collect();
    assert_eq!(
        TrustAnchors::new(&roots).err(),
        Some(CertificateError::TooManyRoots)
    );
    assert!(TrustAnchors::new(&roots[1..]).is_ok());
}

#[test]
fn every_refusal_says_what_to_check() {
    let reasons = [
        CertificateError::UnknownIssuer,
        CertificateError::NameMismatch,
        CertificateError::Expired,
        CertificateError::NotYetValid,
        CertificateError::NotACertificateAuthority,
        CertificateError::CaAsServer,
        CertificateError::PathTooLong,
        CertificateError::NameConstraints,
        CertificateError::NotForServers,
        CertificateError::UnknownCriticalExtension,
        CertificateError::BadSignature,
        CertificateError::UnsupportedAlgorithm,
        CertificateError::Malformed,
        CertificateError::Missing,
        CertificateError::TooManyRoots,
    ];
    let texts: std::collections::HashSet<String> =
        reasons.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), reasons.len(), "two refusals read the same");
    assert!(texts.iter().all(|text| !text.contains("Error")));
}
