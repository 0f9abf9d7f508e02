//! The gateway at floor scale: `genesys-sim` with 2 000 agents, the `genesys-notify gateway`
//! binary publishing to a broker (mosquitto when installed, else the embedded one), and an MQTT
//! subscriber standing in for the lights.
//!
//! Measured, in one run:
//! - the channels the gateway holds for 2 000 agents (target: at most 7);
//! - the time to fill the broker with every agent's first trusted state;
//! - publish latency, from the simulated cloud sending the presence event to the subscriber
//!   receiving the agent's new state, at a steady rate spread over all agents (p50/p99; target
//!   p99 < 50 ms), with a `socket_closing` on one channel in the middle of it;
//! - events lost or duplicated across that rollover (target: 0 and 0);
//! - a burst: every agent changes at once; events per second until all are published;
//! - the gateway process's peak resident memory (target: < 64 MiB).
//!
//! The baseline, measured in the same run against the same broker and subscriber: a bare MQTT
//! publisher (rumqttc) publishing the same pattern of retained QoS 1 messages with no Genesys in
//! between. The gateway's figures are reported beside it as ratios.
//!
//! Run: `cargo bench -p genesys-notify-cli --bench gateway` (about a minute).

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genesys_sim::{Org, Presence, Sim, User};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const AGENTS: usize = 2_000;
/// Presence changes per second during the steady phase, spread round-robin over all agents
/// (each agent changes every 5 s).
const RATE: u64 = 400;
const STEADY: Duration = Duration::from_secs(16);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn floor() -> Vec<String> {
    (0..AGENTS)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect()
}

/// What the subscriber saw, and what the driver expects.
#[derive(Default)]
struct Ledger {
    /// Per agent: the activity expected next and when its event was sent.
    pending: HashMap<String, (String, Instant)>,
    /// Per agent: the last activity received (trusted).
    last: HashMap<String, String>,
    latencies: Vec<Duration>,
    duplicates: usize,
    stale: usize,
    trusted: usize,
}

impl Ledger {
    fn received(&mut self, agent: &str, activity: &str, stale: bool) {
        let now = Instant::now();
        if stale {
            self.stale += 1;
            return;
        }
        if self.last.get(agent).map(String::as_str) == Some(activity) {
            self.duplicates += 1;
        } else if self
            .last
            .insert(agent.to_owned(), activity.to_owned())
            .is_none()
        {
            self.trusted += 1;
        }
        if let Some((expected, sent)) = self.pending.get(agent)
            && expected == activity
        {
            self.latencies.push(now - *sent);
            self.pending.remove(agent);
        }
    }
}

/// Subscribes to `filter` and feeds every state into the ledger.
async fn subscribe(port: u16, filter: &str, ledger: Arc<Mutex<Ledger>>) -> AsyncClient {
    let mut options = MqttOptions::new(format!("bench-sub-{}", free_port()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(64 * 1024, 64 * 1024);
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let subscriber = client.clone();
    let filter = filter.to_owned();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = subscriber.subscribe(filter.clone(), QoS::AtLeastOnce).await;
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let agent = p.topic.split('/').nth(2).unwrap_or("").to_owned();
                    let Ok(state) = serde_json::from_slice::<serde_json::Value>(&p.payload) else {
                        continue;
                    };
                    let activity = state["activity"].as_str().unwrap_or("");
                    let stale = state["stale"].as_bool().unwrap_or(true);
                    ledger
                        .lock()
                        .expect("ledger")
                        .received(&agent, activity, stale);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    client
}

async fn wait_for(what: &str, within: Duration, done: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "{what} took over {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

fn activity_of(presence: Presence) -> &'static str {
    match presence {
        Presence::Busy => "busy",
        _ => "available",
    }
}

/// How one side (the gateway or the baseline) did.
struct Run {
    p50: Duration,
    p99: Duration,
    max: Duration,
    samples: usize,
    lost: usize,
    duplicates: usize,
    stale: usize,
    burst_per_sec: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Drives the steady phase and the burst through `change` (one agent, one new presence), with
/// `mid` called halfway through the steady phase; reads the results from `ledger`.
async fn drive(
    ids: &[String],
    ledger: &Arc<Mutex<Ledger>>,
    change: &(dyn Fn(&str, Presence) + Sync),
    mid: &(dyn Fn() + Sync),
) -> Run {
    // Each agent alternates busy and available, so every change is a new state.
    let mut busy_next: HashMap<&str, bool> = ids.iter().map(|id| (id.as_str(), true)).collect();
    let mut flip = |id: &str| {
        let busy = busy_next.get_mut(id).expect("a known agent");
        let was = *busy;
        *busy = !was;
        if was {
            Presence::Busy
        } else {
            Presence::Available
        }
    };
    let total = RATE * STEADY.as_secs();
    let period = Duration::from_micros(1_000_000 / RATE);
    let start = tokio::time::Instant::now();
    for n in 0..total {
        tokio::time::sleep_until(start + period * n as u32).await;
        let id = &ids[n as usize % ids.len()];
        let presence = flip(id);
        ledger.lock().expect("ledger").pending.insert(
            id.clone(),
            (activity_of(presence).to_owned(), Instant::now()),
        );
        change(id, presence);
        if n == total / 2 {
            mid();
        }
    }
    let _ = wait_for(
        "the steady phase's last publishes",
        Duration::from_secs(10),
        || ledger.lock().expect("ledger").pending.is_empty(),
    )
    .await;
    let (steady, lost, duplicates, stale) = {
        let mut l = ledger.lock().expect("ledger");
        let lost = l.pending.len();
        l.pending.clear();
        (
            std::mem::take(&mut l.latencies),
            lost,
            l.duplicates,
            l.stale,
        )
    };
    // The burst: every agent at once.
    let started = Instant::now();
    for id in ids {
        let presence = flip(id);
        ledger.lock().expect("ledger").pending.insert(
            id.clone(),
            (activity_of(presence).to_owned(), Instant::now()),
        );
        change(id, presence);
    }
    let took = wait_for("the burst", Duration::from_secs(60), || {
        ledger.lock().expect("ledger").pending.is_empty()
    })
    .await
    .max(started.elapsed().min(Duration::from_secs(60)));
    let mut sorted = steady;
    sorted.sort();
    Run {
        p50: percentile(&sorted, 0.50),
        p99: percentile(&sorted, 0.99),
        max: sorted.last().copied().unwrap_or_default(),
        samples: sorted.len(),
        lost,
        duplicates,
        stale,
        burst_per_sec: ids.len() as f64 / took.as_secs_f64(),
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let ids = floor();
    let mut org = Org::demo();
    for (i, id) in ids.iter().enumerate() {
        org = org.user(User::new(id.clone(), format!("Agent {i}")).role("Agent"));
    }
    let sim = Sim::builder()
        .org(org)
        .start()
        .await
        .expect("the simulator");
    let port = free_port();
    let mosquitto = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|binary| {
            Killed(
                Command::new(binary)
                    .args(["-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("mosquitto starts"),
            )
        });
    let users_file = std::env::temp_dir().join(format!("gateway-bench-{}.txt", std::process::id()));
    std::fs::write(&users_file, ids.join("\n")).expect("the users file");
    let base = sim.base_url();
    let broker = format!("mqtt://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "gateway".to_owned(),
        "--environment".into(),
        base,
        "--users-file".into(),
        users_file.display().to_string(),
        "--name".into(),
        "bench".into(),
    ];
    if mosquitto.is_some() {
        args.extend(["--broker".into(), broker]);
    } else {
        args.extend(["--listen".into(), listen]);
    }
    let gateway = Killed(
        Command::new(env!("CARGO_BIN_EXE_genesys-notify"))
            .args(&args)
            .env("GENESYS_CLIENT_ID", genesys_sim::org::DEMO_CLIENT_ID)
            .env(
                "GENESYS_CLIENT_SECRET",
                genesys_sim::org::DEMO_CLIENT_SECRET,
            )
            .env_remove("GENESYS_TOKEN")
            .env_remove("GENESYS_REFRESH_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the gateway starts"),
    );
    let pid = gateway.0.id();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let _lights = subscribe(port, "genesys/agents/+/state", Arc::clone(&ledger)).await;
    let fill = wait_for(
        "every agent's first trusted state",
        Duration::from_secs(120),
        || ledger.lock().expect("ledger").trusted >= AGENTS,
    )
    .await;
    let channels = sim.channels().len();
    {
        let mut l = ledger.lock().expect("ledger");
        l.stale = 0;
        l.duplicates = 0;
    }

    let sim_ref = &sim;
    let gateway_run = drive(
        &ids,
        &ledger,
        &|id, presence| sim_ref.agent(id).set_presence(presence),
        &|| {
            if let Some(channel) = sim_ref.channels().first() {
                sim_ref.faults().socket_closing(&channel.id);
            }
        },
    )
    .await;
    let peak_rss = rss_kib(pid, "VmHWM:");
    let rss = rss_kib(pid, "VmRSS:");
    let channels_after = sim.channels().len();
    drop(gateway);

    // The baseline: the same pattern, published straight to the same broker by a bare client.
    // Without mosquitto the embedded broker went with the gateway: the baseline is skipped.
    let baseline = if mosquitto.is_some() {
        let base_ledger = Arc::new(Mutex::new(Ledger::default()));
        let _sub = subscribe(port, "baseline/agents/+/state", Arc::clone(&base_ledger)).await;
        let mut options = MqttOptions::new("bench-baseline-publisher", "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        let (publisher, mut eventloop) = AsyncClient::new(options, 4096);
        tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let handle = tokio::runtime::Handle::current();
        let publish = |id: &str, presence: Presence| {
            let payload = format!(
                r#"{{"v":1,"activity":"{}","stale":false,"health":"live","gateway":"baseline","since":0}}"#,
                activity_of(presence)
            );
            let topic = format!("baseline/agents/{id}/state");
            let publisher = publisher.clone();
            handle.spawn(async move {
                let _ = publisher
                    .publish(topic, QoS::AtLeastOnce, true, payload)
                    .await;
            });
        };
        Some(drive(&ids, &base_ledger, &publish, &|| {}).await)
    } else {
        None
    };
    let _ = std::fs::remove_file(&users_file);
    sim.shutdown().await;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "gateway at floor scale ({AGENTS} agents, broker: {})",
        if mosquitto.is_some() {
            "mosquitto"
        } else {
            "embedded rumqttd"
        }
    );
    println!(
        "  channels held:                     {channels} (after a socket_closing rollover: {channels_after})"
    );
    println!(
        "  broker filled with every agent in: {:.2} s",
        fill.as_secs_f64()
    );
    println!(
        "  steady {RATE}/s for {} s, {} events: latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        STEADY.as_secs(),
        gateway_run.samples,
        ms(gateway_run.p50),
        ms(gateway_run.p99),
        ms(gateway_run.max)
    );
    println!(
        "  across the rollover: {} lost, {} duplicated, {} stale states published",
        gateway_run.lost, gateway_run.duplicates, gateway_run.stale
    );
    println!(
        "  burst of {AGENTS} changes: {:.0} events/s",
        gateway_run.burst_per_sec
    );
    println!(
        "  gateway resident memory: peak {:.1} MiB, at the end {:.1} MiB",
        peak_rss as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    if let Some(base) = baseline {
        println!(
            "baseline: a bare MQTT publisher, same pattern, same broker: p50 {:.2} ms, p99 {:.2} ms, burst {:.0}/s ({} samples, {} lost)",
            ms(base.p50),
            ms(base.p99),
            base.burst_per_sec,
            base.samples,
            base.lost
        );
        println!(
            "ratios (gateway / baseline): p50 {:.2}x, p99 {:.2}x, burst throughput {:.2}x",
            ms(gateway_run.p50) / ms(base.p50).max(1e-3),
            ms(gateway_run.p99) / ms(base.p99).max(1e-3),
            gateway_run.burst_per_sec / base.burst_per_sec.max(1e-3)
        );
    }
}
