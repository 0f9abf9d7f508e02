//! A plain client for the simulator: reqwest for REST, tokio-tungstenite for the socket.
//! Deliberately not the project's client, so that these tests check the simulator alone.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use genesys_sim::{HEARTBEAT, Sim, org};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The upper bound for anything a test waits for; never a sleep.
pub const WAIT: Duration = Duration::from_secs(5);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub async fn start() -> Sim {
    Sim::builder().start().await.expect("the simulator starts")
}

/// reqwest is built without a default crypto provider (the default would be aws-lc-rs, which needs
/// a C toolchain); every client uses ring.
pub fn install_ring() {
    // A second install fails harmlessly: the provider is already ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A plain-HTTP client. Its TLS configuration is preset (and empty) because building reqwest's
/// default one reads the system's certificates, which costs ~50 ms per client.
pub fn http() -> reqwest::Client {
    install_ring();
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("a client")
}

pub async fn token_for(
    sim: &Sim,
    form: &[(&str, &str)],
    id: &str,
    secret: &str,
) -> reqwest::Response {
    http()
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .expect("the token request is answered")
}

/// A client-credentials token of the demo org.
pub async fn service_token(sim: &Sim) -> String {
    let response = token_for(
        sim,
        &[("grant_type", "client_credentials")],
        org::DEMO_CLIENT_ID,
        org::DEMO_CLIENT_SECRET,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a JSON token");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A user-context token for the demo agent (refresh-token grant).
pub async fn agent_token(sim: &Sim) -> String {
    let response = token_for(
        sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", org::DEMO_REFRESH_TOKEN),
        ],
        org::DEMO_USER_CLIENT_ID,
        org::DEMO_USER_CLIENT_SECRET,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a JSON token");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

pub async fn get(sim: &Sim, token: &str, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered")
}

pub async fn get_json(sim: &Sim, token: &str, path: &str) -> Value {
    let response = get(sim, token, path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.expect("JSON")
}

pub async fn head_channel(sim: &Sim, token: &str, id: &str) -> u16 {
    http()
        .head(format!(
            "{}/api/v2/notifications/channels/{id}",
            sim.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
}

/// `POST /api/v2/notifications/channels` → `(id, connectUri)`.
pub async fn create_channel(sim: &Sim, token: &str) -> (String, String) {
    let response = http()
        .post(format!("{}/api/v2/notifications/channels", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    (
        body["id"].as_str().expect("id").to_owned(),
        body["connectUri"].as_str().expect("connectUri").to_owned(),
    )
}

pub async fn subscribe_with(
    sim: &Sim,
    token: &str,
    channel: &str,
    method: reqwest::Method,
    query: &str,
    topics: &[&str],
) -> reqwest::Response {
    let body: Vec<Value> = topics.iter().map(|t| json!({ "id": t })).collect();
    http()
        .request(
            method,
            format!(
                "{}/api/v2/notifications/channels/{channel}/subscriptions{query}",
                sim.base_url()
            ),
        )
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("answered")
}

/// `PUT` the topics; asserts success.
pub async fn subscribe(sim: &Sim, token: &str, channel: &str, topics: &[&str]) -> Value {
    let response = subscribe_with(sim, token, channel, reqwest::Method::PUT, "", topics).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

pub async fn connect(uri: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(uri))
        .await
        .expect("connects in time")
        .expect("the upgrade succeeds");
    ws
}

/// A channel of the demo agent's own, subscribed to `topics` and connected.
pub async fn agent_channel(sim: &Sim, topics: &[&str]) -> (String, Ws) {
    let token = agent_token(sim).await;
    let (id, uri) = create_channel(sim, &token).await;
    subscribe(sim, &token, &id, topics).await;
    (id, connect(&uri).await)
}

/// The next message of any kind.
pub async fn next_message(ws: &mut Ws) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a frame in time")
        .expect("the socket is open")
        .expect("a valid frame")
}

/// The next text frame, heartbeats included.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        if let Message::Text(text) = next_message(ws).await {
            return text.to_string();
        }
    }
}

/// The next text frame that is not a heartbeat, parsed.
pub async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let text = next_text(ws).await;
        if text != HEARTBEAT {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

/// The next event on `topic`, skipping others.
pub async fn next_on(ws: &mut Ws, topic: &str) -> Value {
    loop {
        let event = next_event(ws).await;
        if event["topicName"] == topic {
            return event;
        }
    }
}

pub async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string()))
        .await
        .expect("sent");
}

/// The agent participant of `user` that has no `endTime` (the current leg), or the last one.
pub fn agent_leg<'a>(conversation: &'a Value, user: &str) -> &'a Value {
    let participants = conversation["participants"]
        .as_array()
        .expect("participants");
    participants
        .iter()
        .filter(|p| p["userId"] == user)
        .find(|p| p.get("endTime").is_none())
        .or_else(|| participants.iter().rev().find(|p| p["userId"] == user))
        .expect("the user takes part")
}
