//! Events per second through the whole client — simulator → loopback socket → core → stream —
//! against a baseline in the same run: a minimal tokio-tungstenite + `serde_json::Value` client
//! reading the same kind of socket and doing nothing else.
//!
//! `cargo bench -p genesys-notify --bench throughput`. The target is at least 0.8× the
//! baseline's rate while the client also parses every frame into typed events, suppresses
//! duplicates, runs the agent model and watches heartbeats. Both sides receive the same
//! events from a simulator of their own; only 127.0.0.1 is used.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::ClientCredentials;
use genesys_notify::{ClientBuilder, Environment, Item, Notifications};
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use genesys_sim::{Agent, Presence, Sim};
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// Events per measured batch: large enough that set-up noise vanishes, small enough for a
/// sample to take well under a second.
const BATCH: u64 = 2_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Publishes `count` presence changes (alternating, so each is a real change).
fn publish(agent: &Agent, count: u64) {
    let presences = [Presence::Busy, Presence::Available];
    for i in 0..count {
        agent.set_presence(presences[usize::from(i % 2 == 1)]);
    }
}

fn presence_topic() -> String {
    format!("v2.users.{DEMO_AGENT_ID}.presence")
}

/// The real client, live on a fresh simulator.
async fn client() -> (Sim, Notifications) {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    let environment = Environment::parse(&sim.base_url()).expect("the simulator's URL");
    let mut notifications = ClientBuilder::new(environment)
        .token_provider(ClientCredentials::new(
            DEMO_CLIENT_ID,
            Secret::new(DEMO_CLIENT_SECRET.to_owned()),
        ))
        .agent(DEMO_AGENT_ID)
        .start()
        .expect("the client starts");
    while let Some(item) = notifications.next().await {
        if matches!(&item, Item::Agent(a) if !a.stale) {
            break;
        }
    }
    (sim, notifications)
}

/// Time for `BATCH` presence events to come out of the client's stream.
async fn through_client(agent: &Agent, notifications: &mut Notifications) -> Duration {
    let started = Instant::now();
    publish(agent, BATCH);
    let mut received = 0;
    while received < BATCH {
        match notifications.next().await {
            Some(Item::Event(n)) if n.kind() == "presence" => received += 1,
            Some(_) => {}
            None => panic!("the client stopped during the benchmark"),
        }
    }
    started.elapsed()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The baseline: token, channel, subscription and socket done by hand, nothing else.
async fn baseline() -> (Sim, Socket) {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    let base = sim.base_url();
    let token = sim.issue_token(DEMO_CLIENT_ID).expect("the demo client");
    // reqwest is built without a default crypto provider (no aws-lc-rs here); the loopback
    // simulator speaks plain HTTP, but the client still wants a provider installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let channel: Value = http
        .post(format!("{base}/api/v2/notifications/channels"))
        .bearer_auth(&token)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("a channel")
        .json()
        .await
        .expect("a channel reply");
    let id = channel["id"].as_str().expect("a channel id");
    http.put(format!(
        "{base}/api/v2/notifications/channels/{id}/subscriptions"
    ))
    .bearer_auth(&token)
    .json(&serde_json::json!([{ "id": presence_topic() }]))
    .send()
    .await
    .and_then(reqwest::Response::error_for_status)
    .expect("subscribed");
    let uri = channel["connectUri"].as_str().expect("a connect URI");
    let (socket, _) = tokio_tungstenite::connect_async(uri)
        .await
        .expect("the socket opens");
    (sim, socket)
}

/// Time for `BATCH` presence events to be read and parsed by the baseline.
async fn through_baseline(agent: &Agent, socket: &mut Socket) -> Duration {
    let topic = presence_topic();
    let started = Instant::now();
    publish(agent, BATCH);
    let mut received = 0;
    while received < BATCH {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON frames");
                if value["topicName"] == topic.as_str() {
                    received += 1;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the baseline socket ended: {other:?}"),
        }
    }
    started.elapsed()
}

fn events_per_second(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("events_through_the_client");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(15));

    let (sim, mut notifications) = rt.block_on(client());
    let agent = sim.agent(DEMO_AGENT_ID);
    group.bench_function("genesys_notify", |b| {
        b.iter_custom(|iterations| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    total += through_client(&agent, &mut notifications).await;
                }
                total
            })
        });
    });
    drop(notifications);
    drop(sim);

    let (sim, mut socket) = rt.block_on(baseline());
    let agent = sim.agent(DEMO_AGENT_ID);
    group.bench_function("baseline_tungstenite_serde_json", |b| {
        b.iter_custom(|iterations| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    total += through_baseline(&agent, &mut socket).await;
                }
                total
            })
        });
    });
    group.finish();
}

criterion_group!(benches, events_per_second);
criterion_main!(benches);
