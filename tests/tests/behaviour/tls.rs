use std::sync::Arc;

use genesys_sim::{PONG, Sim};
use serde_json::{Value, json};
use tokio_tungstenite::Connector;

use crate::support::*;

fn client_config(sim: &Sim) -> rustls::ClientConfig {
    install_ring();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            sim.ca_der().unwrap().to_vec(),
        ))
        .unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[tokio::test]
async fn tls_mode_serves_https_and_wss_under_a_test_ca() {
    let sim = Sim::builder().tls(true).start().await.unwrap();
    assert!(sim.base_url().starts_with("https://localhost:"));
    assert!(sim.ca_pem().unwrap().contains("BEGIN CERTIFICATE"));
    let https = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(&sim))
        .build()
        .unwrap();
    let token: Value = https
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(
            genesys_sim::org::DEMO_CLIENT_ID,
            Some(genesys_sim::org::DEMO_CLIENT_SECRET),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel: Value = https
        .post(format!("{}/api/v2/notifications/channels", sim.base_url()))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = channel["connectUri"].as_str().unwrap();
    assert!(uri.starts_with("wss://localhost:"));
    let connector = Connector::Rustls(Arc::new(client_config(&sim)));
    let (mut ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(uri, None, false, Some(connector))
            .await
            .unwrap();
    send(&mut ws, json!({"message": "ping"})).await;
    assert_eq!(next_text(&mut ws).await, PONG);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_test_ca_is_refused() {
    let sim = Sim::builder().tls(true).start().await.unwrap();
    let other = Sim::builder().tls(true).start().await.unwrap();
    let https = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(&other))
        .build()
        .unwrap();
    assert!(
        https
            .get(format!("{}/api/v2/tokens/me", sim.base_url()))
            .send()
            .await
            .is_err()
    );
}
