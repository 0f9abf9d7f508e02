//! Capacity benchmark: how fast the simulator starts, and whether it holds 1 000 sockets.
//!
//! `cargo bench -p genesys-sim --bench capacity` (set `GENESYS_SIM_BENCH_SOCKETS` to change the
//! socket count). It prints its measurements and asserts nothing: numbers depend on the machine.
//! Every connection goes to 127.0.0.1 and the run stops by itself.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use genesys_sim::{HEARTBEAT, OAuthClient, Org, Presence, Role, Sim, User};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const STARTS: usize = 20;
const DEFAULT_SOCKETS: usize = 1_000;
/// Channels per OAuth client are capped at 20, so sockets are spread over this many clients.
const CHANNELS_PER_CLIENT: usize = 20;
const AGENT: &str = "bench-agent";
const WAIT: Duration = Duration::from_secs(30);

fn org(clients: usize) -> Org {
    let mut org = Org::new("bench-org", "Bench")
        .role(Role::new("Watcher", ["conversation:communication:view"]));
    org = org.user(User::new(AGENT, "Bench Agent"));
    for i in 0..clients {
        org = org.client(OAuthClient::client_credentials(format!("c{i}"), "s").role("Watcher"));
    }
    org
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

async fn measure_startup() {
    let http = reqwest::Client::new();
    let mut samples = Vec::with_capacity(STARTS);
    let mut answered = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let started = Instant::now();
        let sim = Sim::builder().start().await.expect("starts");
        samples.push(started.elapsed());
        // Time to the first answered request (a 401: no token), connection set-up included.
        http.get(format!("{}/api/v2/tokens/me", sim.base_url()))
            .send()
            .await
            .expect("answered");
        answered.push(started.elapsed());
        sim.shutdown().await;
    }
    samples.sort();
    answered.sort();
    println!(
        "first request answered after start: median {:.2} ms, max {:.2} ms",
        millis(answered[STARTS / 2]),
        millis(answered[STARTS - 1])
    );
    let tls_started = Instant::now();
    let tls = Sim::builder()
        .tls(true)
        .start()
        .await
        .expect("starts with TLS");
    let tls_time = tls_started.elapsed();
    tls.shutdown().await;
    println!(
        "start-up over {STARTS} runs: min {:.2} ms, median {:.2} ms, max {:.2} ms; with TLS (CA generation): {:.2} ms",
        millis(samples[0]),
        millis(samples[STARTS / 2]),
        millis(samples[STARTS - 1]),
        millis(tls_time)
    );
}

async fn measure_sockets(count: usize) {
    let clients = count.div_ceil(CHANNELS_PER_CLIENT);
    let sim = Sim::builder()
        .org(org(clients))
        .heartbeat_interval(Duration::from_secs(1))
        .start()
        .await
        .expect("starts");
    let http = reqwest::Client::new();
    let topic = format!("v2.users.{AGENT}.presence");
    let setup = Instant::now();
    let mut uris = Vec::with_capacity(count);
    for c in 0..clients {
        let token = sim.issue_token(&format!("c{c}")).expect("a bench client");
        for _ in 0..CHANNELS_PER_CLIENT.min(count - uris.len()) {
            let channel: Value = http
                .post(format!("{}/api/v2/notifications/channels", sim.base_url()))
                .bearer_auth(&token)
                .send()
                .await
                .expect("created")
                .json()
                .await
                .expect("JSON");
            let id = channel["id"].as_str().expect("id");
            http.put(format!(
                "{}/api/v2/notifications/channels/{id}/subscriptions",
                sim.base_url()
            ))
            .bearer_auth(&token)
            .json(&json!([{ "id": topic }]))
            .send()
            .await
            .expect("subscribed");
            uris.push(channel["connectUri"].as_str().expect("uri").to_owned());
        }
    }
    let rest_time = setup.elapsed();
    let connecting = Instant::now();
    let mut sockets = Vec::with_capacity(count);
    for uri in &uris {
        let (ws, _) = tokio_tungstenite::connect_async(uri)
            .await
            .expect("connected");
        sockets.push(ws);
    }
    let connect_time = connecting.elapsed();
    assert_eq!(sim.connected_sockets(), count);
    let fanout = Instant::now();
    sim.agent(AGENT).set_presence(Presence::Busy);
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut heartbeats = 0;
                let mut event_at = None;
                while event_at.is_none() || heartbeats == 0 {
                    match tokio::time::timeout(WAIT, ws.next()).await {
                        Ok(Some(Ok(Message::Text(t)))) if t.as_str() == HEARTBEAT => {
                            heartbeats += 1
                        }
                        Ok(Some(Ok(Message::Text(_)))) => event_at = Some(Instant::now()),
                        _ => break,
                    }
                }
                (event_at, heartbeats)
            })
        })
        .collect();
    let mut delivered = 0;
    let mut beating = 0;
    let mut last = fanout;
    for reader in readers {
        if let Ok((event_at, heartbeats)) = reader.await {
            if let Some(at) = event_at {
                delivered += 1;
                last = last.max(at);
            }
            if heartbeats > 0 {
                beating += 1;
            }
        }
    }
    println!(
        "{count} sockets: REST set-up {:.0} ms, connect {:.0} ms ({:.2} ms each), one event to all in {:.1} ms; \
         {delivered}/{count} got the event, {beating}/{count} got a heartbeat",
        millis(rest_time),
        millis(connect_time),
        millis(connect_time) / count as f64,
        millis(last - fanout),
    );
    sim.shutdown().await;
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sockets = std::env::var("GENESYS_SIM_BENCH_SOCKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SOCKETS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        measure_startup().await;
        measure_sockets(sockets).await;
    });
}
