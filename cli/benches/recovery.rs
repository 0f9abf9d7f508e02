//! Recovery and footprint, measured against `genesys-sim` on 127.0.0.1:
//!
//! 1. time from a dropped socket to a resynced live session (the agent's state trusted again);
//! 2. the gap during a `socket_closing` rollover: events published across the switch that were
//!    lost or delivered twice (target: 0 and 0);
//! 3. resident memory of `genesys-notify watch` following 1 agent, and 333 agents (999 topics,
//!    one channel's worth).
//!
//! `cargo bench -p genesys-notify-cli --bench recovery`. It prints its measurements; it fails only
//! if the rollover loses or repeats an event. Every run stops by itself.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use genesys_notify::core::backoff::Backoff;
use genesys_notify::core::event::Event;
use genesys_notify::core::light::Health;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::ClientCredentials;
use genesys_notify::{ClientBuilder, Environment, Item, Notifications};
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use genesys_sim::{Disconnect, Org, Presence, Sim, User};

/// Drops measured for the reconnection time.
const DROPS: usize = 10;
/// Presence changes published across one rollover.
const ROLLOVER_EVENTS: usize = 300;
/// How long `watch` runs before its memory is read.
const WATCH_SETTLE: Duration = Duration::from_secs(3);
/// Agents for the large footprint: 333 × 3 topics fills one channel's 1 000.
const MANY_AGENTS: usize = 333;
const PATIENCE: Duration = Duration::from_secs(20);

fn client(sim: &Sim) -> ClientBuilder {
    ClientBuilder::new(Environment::parse(&sim.base_url()).expect("the simulator's URL"))
        .token_provider(ClientCredentials::new(
            DEMO_CLIENT_ID,
            Secret::new(DEMO_CLIENT_SECRET.to_owned()),
        ))
        .agent(DEMO_AGENT_ID)
        .configure(|config| {
            config
                .heartbeat_interval(Duration::from_secs(1).into())
                .backoff(Backoff::new(
                    Duration::from_millis(50).into(),
                    Duration::from_secs(1).into(),
                ))
        })
}

/// Reads items until `done` says so (or panics after [`PATIENCE`]).
async fn until(notifications: &mut Notifications, mut done: impl FnMut(&Item) -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, notifications.next()).await {
            Ok(Some(item)) if done(&item) => return,
            Ok(Some(_)) => {}
            other => panic!("gave up waiting: {other:?}"),
        }
    }
}

fn is_live(item: &Item) -> bool {
    matches!(item, Item::Connection(c) if c.health == Health::Live && c.live)
}

async fn reconnection_time() {
    let sim = Sim::builder()
        .heartbeat_interval(Duration::from_secs(1))
        .start()
        .await
        .expect("the simulator starts");
    let mut notifications = client(&sim).start().expect("the client starts");
    until(&mut notifications, is_live).await;
    let mut samples = Vec::with_capacity(DROPS);
    for _ in 0..DROPS {
        let dropped = Instant::now();
        sim.faults().drop_all_sockets(Disconnect::Reset);
        let mut went_stale = false;
        until(&mut notifications, |item| {
            went_stale |= matches!(item, Item::Connection(c) if c.health != Health::Live);
            went_stale && is_live(item)
        })
        .await;
        samples.push(dropped.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    samples.sort();
    println!(
        "dropped socket → resynced live session over {DROPS} drops: min {:?}, median {:?}, max {:?}",
        samples[0],
        samples[DROPS / 2],
        samples[DROPS - 1]
    );
}

async fn rollover_gap() {
    let sim = Sim::builder()
        .heartbeat_interval(Duration::from_secs(1))
        .socket_closing_lead(Duration::from_secs(1))
        .start()
        .await
        .expect("the simulator starts");
    let mut notifications = client(&sim)
        .configure(|config| config.rollover_overlap(Duration::from_millis(300).into()))
        .start()
        .expect("the client starts");
    until(&mut notifications, is_live).await;
    let agent = sim.agent(DEMO_AGENT_ID);
    let channel = sim.channels()[0].id.clone();
    let publisher = tokio::spawn(async move {
        let presences = [Presence::Busy, Presence::Available];
        for i in 0..ROLLOVER_EVENTS {
            agent.set_presence_with_message(presences[i % 2], &format!("event {i}"));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.faults().socket_closing(&channel);
    publisher.await.expect("the publisher finishes");

    let mut copies: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, notifications.next()).await {
        let Item::Event(n) = item else { continue };
        if let Ok(Event::Presence(e)) = n.event()
            && let Some(message) = e.body.message
        {
            *copies.entry(message.to_string()).or_default() += 1;
        }
    }
    let lost = ROLLOVER_EVENTS.saturating_sub(copies.len());
    let duplicated: usize = copies.values().map(|n| n.saturating_sub(1)).sum();
    let moved = sim
        .channels()
        .iter()
        .any(|c| c.id != channel && c.connected);
    println!(
        "socket_closing rollover with {ROLLOVER_EVENTS} events published across it: \
         {lost} lost, {duplicated} duplicated (moved to a new channel: {moved})"
    );
    assert_eq!((lost, duplicated), (0, 0), "the rollover must have no gap");
}

/// The peak resident memory of `watch` following `users` on `sim`, in KiB.
fn watch_peak_rss(sim: &Sim, users: &[String]) -> u64 {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genesys-notify"));
    command
        .args(["watch", "--environment", &sim.base_url(), "--json"])
        .args(["--duration", &WATCH_SETTLE.as_secs().to_string()])
        .env("GENESYS_CLIENT_ID", DEMO_CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env_remove("GENESYS_TOKEN")
        .stdout(Stdio::null());
    for user in users {
        command.args(["--user", user]);
    }
    let child = command.spawn().expect("watch starts");
    let pid = child.id();
    std::thread::sleep(WATCH_SETTLE - Duration::from_millis(300));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0);
    let output = child.wait_with_output().expect("watch ends");
    assert!(output.status.success(), "watch failed: {output:?}");
    peak
}

async fn footprint() {
    let sim = Sim::builder()
        .heartbeat_interval(Duration::from_secs(1))
        .start()
        .await
        .expect("the simulator starts");
    let one = watch_peak_rss(&sim, &[DEMO_AGENT_ID.to_owned()]);
    sim.shutdown().await;

    let ids: Vec<String> = (0..MANY_AGENTS).map(|i| format!("agent-{i:04}")).collect();
    let mut org = Org::demo();
    for id in &ids {
        org = org.user(User::new(id.clone(), id.clone()).role("Agent"));
    }
    let sim = Sim::builder()
        .org(org)
        .heartbeat_interval(Duration::from_secs(1))
        .start()
        .await
        .expect("the simulator starts");
    let many = watch_peak_rss(&sim, &ids);
    println!(
        "peak resident memory of `watch`: {one} KiB for 1 agent (3 topics), \
         {many} KiB for {MANY_AGENTS} agents ({} topics)",
        MANY_AGENTS * 3
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        reconnection_time().await;
        rollover_gap().await;
        footprint().await;
    });
}
