//! `genesys-notify gateway`, run as an operator would: against `genesys-sim` on loopback, with
//! its embedded broker, and with a real mosquitto (from the Debian packages, as `.ci/run`
//! installs it), read by an MQTT subscriber as a light or `mosquitto_sub` would.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use genesys_sim::Presence;
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_COLLEAGUE_ID};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use support::{free_port, quick_sim};
use tokio::sync::mpsc;

mod support;

/// The longest any single expectation may take.
const PATIENCE: Duration = Duration::from_secs(20);

const CLIENT: [(&str, &str); 2] = [
    ("GENESYS_CLIENT_ID", DEMO_CLIENT_ID),
    ("GENESYS_CLIENT_SECRET", DEMO_CLIENT_SECRET),
];

/// The gateway as a child process, its stdout captured; killed when dropped.
struct GatewayProcess(Child);

impl GatewayProcess {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = support::genesys_notify(&["gateway"], env);
        command.args(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        Self(command.spawn().expect("the gateway starts"))
    }

    /// `kill -9`: no chance to say goodbye.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// `kill -TERM`, then the exit status and stdout.
    fn terminate(self) -> (Option<i32>, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        self.finish()
    }

    /// Waits for the process to end; its exit code and stdout.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.0.wait().expect("the gateway ends");
        let mut out = String::new();
        if let Some(mut stdout) = self.0.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        }
        (status.code(), out)
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An MQTT subscriber to `filter`, reconnecting until the broker answers.
struct Subscriber {
    messages: mpsc::UnboundedReceiver<(String, String)>,
    seen: Vec<(String, String)>,
    _client: AsyncClient,
}

impl Subscriber {
    async fn connect(port: u16, filter: &str, credentials: Option<(&str, &str)>) -> Self {
        let id = format!("test-subscriber-{}", free_port());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let (tx, messages) = mpsc::unbounded_channel();
        let subscriber = client.clone();
        let filter = filter.to_owned();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = subscriber.subscribe(filter.clone(), QoS::AtLeastOnce).await;
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let text = String::from_utf8_lossy(&p.payload).into_owned();
                        if tx.send((p.topic.clone(), text)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Self {
            messages,
            seen: Vec::new(),
            _client: client,
        }
    }

    /// A message satisfying `wanted`, already seen or arriving within [`PATIENCE`]; panics
    /// with what was seen. (Retained messages arrive in any order, so one waited for later may
    /// have come already.)
    async fn until(&mut self, what: &str, wanted: impl Fn(&str, &str) -> bool) -> String {
        if let Some((_, payload)) = self.seen.iter().find(|(t, p)| wanted(t, p)) {
            return payload.clone();
        }
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.messages.recv()).await {
                Ok(Some((topic, payload))) => {
                    self.seen.push((topic.clone(), payload.clone()));
                    if wanted(&topic, &payload) {
                        return payload;
                    }
                }
                _ => panic!("no {what} within {PATIENCE:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Waits for `user`'s state with `activity`, trusted and live; returns the message.
    async fn state(&mut self, user: &str, activity: &str) -> Value {
        let topic = format!("genesys/agents/{user}/state");
        let payload = self
            .until(&format!("{user} {activity}"), |t, p| {
                t == topic
                    && serde_json::from_str::<Value>(p).is_ok_and(|v| {
                        v["activity"] == activity && v["stale"] == false && v["health"] == "live"
                    })
            })
            .await;
        serde_json::from_str(&payload).expect("JSON")
    }

    async fn status(&mut self, name: &str, status: &str) {
        let topic = format!("genesys/gateways/{name}/status");
        self.until(&format!("{name} {status}"), |t, p| {
            t == topic && p == status
        })
        .await;
    }
}

/// The first message an MQTT 5 subscriber to `topic` receives (retrying until the broker is up).
async fn mqtt5_first_message(port: u16, topic: &str) -> String {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::Packet as Packet5;
    use rumqttc::v5::{AsyncClient as Client5, Event as Event5, MqttOptions as Options5};
    let options = Options5::new(format!("test-v5-{}", free_port()), "127.0.0.1", port);
    let (client, mut eventloop) = Client5::new(options, 16);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, eventloop.poll()).await {
            Ok(Ok(Event5::Incoming(Packet5::ConnAck(_)))) => {
                client
                    .subscribe(topic.to_owned(), QoS5::AtLeastOnce)
                    .await
                    .expect("subscribe queued");
            }
            Ok(Ok(Event5::Incoming(Packet5::Publish(p)))) => {
                return String::from_utf8_lossy(&p.payload).into_owned();
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(_) => panic!("no MQTT 5 message on {topic} within {PATIENCE:?}"),
        }
    }
}

/// `mosquitto` from the Debian packages on `port`, or `None` (with the reason printed) if it
/// is not installed: `.ci/run` installs it, a developer's machine may not have it.
struct Mosquitto(Child);

impl Mosquitto {
    fn start(port: u16) -> Option<Self> {
        let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let child = Command::new(binary)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(Self(child))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mosquitto_or_skip(port: u16) -> Option<Mosquitto> {
    let broker = Mosquitto::start(port);
    if broker.is_none() {
        eprintln!("SKIPPED: mosquitto is not installed (apt-get install mosquitto; .ci/run does)");
    }
    broker
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_broker_serves_both_agents_states_and_the_gateway_status() {
    let sim = quick_sim().await;
    let port = free_port();
    let port_v5 = free_port();
    let base = sim.base_url();
    let listen = format!("127.0.0.1:{port}");
    let listen_v5 = format!("127.0.0.1:{port_v5}");
    let gateway = GatewayProcess::start(
        &[
            "--environment",
            &base,
            "--listen",
            &listen,
            "--listen-v5",
            &listen_v5,
            "--user",
            DEMO_AGENT_ID,
            "--user",
            DEMO_COLLEAGUE_ID,
            "--name",
            "g1",
        ],
        &CLIENT,
    );
    let mut lights = Subscriber::connect(port, "genesys/#", None).await;
    // The desk light speaks MQTT 5: the same states on the MQTT 5 port.
    let v5_state =
        mqtt5_first_message(port_v5, &format!("genesys/agents/{DEMO_AGENT_ID}/state")).await;
    assert!(v5_state.contains("\"gateway\":\"g1\""), "{v5_state}");
    lights.status("g1", "online").await;
    let state = lights.state(DEMO_AGENT_ID, "available").await;
    assert_eq!(state["v"], 1);
    assert_eq!(state["gateway"], "g1");
    lights.state(DEMO_COLLEAGUE_ID, "available").await;

    sim.agent(DEMO_COLLEAGUE_ID).set_presence(Presence::Busy);
    let busy = lights.state(DEMO_COLLEAGUE_ID, "busy").await;
    assert!(busy["since"].as_u64().is_some(), "{busy}");

    // A newcomer (a light switched on later) gets the retained states at once.
    let mut late = Subscriber::connect(port, "genesys/agents/+/state", None).await;
    late.state(DEMO_AGENT_ID, "available").await;
    late.state(DEMO_COLLEAGUE_ID, "busy").await;

    // A clean stop says offline before it goes.
    let mut status = Subscriber::connect(port, "genesys/gateways/+/status", None).await;
    status.status("g1", "online").await;
    let (code, stdout) = gateway.terminate();
    assert_eq!(code, Some(0), "{stdout}");
    status.status("g1", "offline").await;
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(lines[0]["status"], "started");
    assert_eq!(lines[0]["agents"], 2);
    assert_eq!(lines[0]["channels"], 1);
    assert_eq!(lines[0]["embedded_broker"], true);
    assert_eq!(lines[0]["mqtt5_listen"], listen_v5.as_str());
    assert_eq!(
        lines.last().map(|l| l["status"].clone()),
        Some("stopped".into())
    );
    assert!(sim.log().token_leaks().is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mosquitto_a_killed_gateway_shows_offline_and_a_restarted_broker_is_refilled() {
    let port = free_port();
    let Some(mosquitto) = mosquitto_or_skip(port) else {
        return;
    };
    let sim = quick_sim().await;
    let base = sim.base_url();
    let broker = format!("mqtt://127.0.0.1:{port}");
    let mut gateway = GatewayProcess::start(
        &[
            "--environment",
            &base,
            "--broker",
            &broker,
            "--user",
            DEMO_AGENT_ID,
            "--user",
            DEMO_COLLEAGUE_ID,
            "--name",
            "g1",
        ],
        &CLIENT,
    );
    let mut lights = Subscriber::connect(port, "genesys/#", None).await;
    lights.status("g1", "online").await;
    lights.state(DEMO_AGENT_ID, "available").await;
    lights.state(DEMO_COLLEAGUE_ID, "available").await;

    // The broker goes away and comes back empty (no persistence): the gateway reconnects and
    // publishes everything again.
    drop(mosquitto);
    let _mosquitto = Mosquitto::start(port).expect("mosquitto starts again");
    let mut after = Subscriber::connect(port, "genesys/#", None).await;
    after.status("g1", "online").await;
    after.state(DEMO_AGENT_ID, "available").await;
    after.state(DEMO_COLLEAGUE_ID, "available").await;

    // kill -9: the broker publishes the Last Will at once.
    gateway.kill();
    after.status("g1", "offline").await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_credentials_come_from_the_environment_and_the_embedded_broker_requires_them() {
    let sim = quick_sim().await;
    let port = free_port();
    let base = sim.base_url();
    let listen = format!("127.0.0.1:{port}");
    let mut env = CLIENT.to_vec();
    env.extend([("MQTT_USERNAME", "floor"), ("MQTT_PASSWORD", "s3cret-pw")]);
    let gateway = GatewayProcess::start(
        &[
            "--environment",
            &base,
            "--listen",
            &listen,
            "--user",
            DEMO_AGENT_ID,
        ],
        &env,
    );
    let mut allowed = Subscriber::connect(port, "genesys/#", Some(("floor", "s3cret-pw"))).await;
    allowed.state(DEMO_AGENT_ID, "available").await;
    let mut stranger = Subscriber::connect(port, "genesys/#", Some(("floor", "wrong"))).await;
    assert!(
        tokio::time::timeout(Duration::from_secs(2), stranger.messages.recv())
            .await
            .is_err(),
        "a wrong password reads nothing"
    );
    let (code, _) = gateway.terminate();
    assert_eq!(code, Some(0));
    sim.shutdown().await;
}

#[test]
fn bad_agents_brokers_and_files_are_usage_errors_with_a_sentence() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = support::genesys_notify(&["gateway"], env);
        command.args(args);
        command.output().expect("the binary runs")
    };
    let base = ["--environment", "http://127.0.0.1:9"];
    for (extra, env, says) in [
        (
            &["--user", "alice"][..],
            &CLIENT[..],
            "not a Genesys user id",
        ),
        (&[][..], &CLIENT[..], "--users-file"),
        (
            &["--user", DEMO_AGENT_ID, "--broker", "http://127.0.0.1:1883"][..],
            &CLIENT[..],
            "mqtt://HOST:PORT",
        ),
        (
            &[
                "--user",
                DEMO_AGENT_ID,
                "--broker",
                "mqtt://me:pw@127.0.0.1:1883",
            ][..],
            &CLIENT[..],
            "MQTT_PASSWORD",
        ),
        (
            &[
                "--user",
                DEMO_AGENT_ID,
                "--users-file",
                "/nonexistent/users.txt",
            ][..],
            &CLIENT[..],
            "cannot read",
        ),
        (
            &["--user", DEMO_AGENT_ID, "--name", "a/b"][..],
            &CLIENT[..],
            "gateway name",
        ),
        (
            &["--user", DEMO_AGENT_ID, "--prefix", "x/#"][..],
            &CLIENT[..],
            "topic prefix",
        ),
        (
            &["--user", DEMO_AGENT_ID, "--listen", "nowhere"][..],
            &CLIENT[..],
            "--listen",
        ),
        (&["--user", DEMO_AGENT_ID][..], &[][..], "GENESYS_CLIENT_ID"),
        (
            &["--user", DEMO_AGENT_ID][..],
            &[
                ("GENESYS_CLIENT_ID", DEMO_CLIENT_ID),
                ("GENESYS_CLIENT_SECRET", DEMO_CLIENT_SECRET),
                ("MQTT_USERNAME", "floor"),
            ][..],
            "MQTT_PASSWORD",
        ),
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let output = run(&args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let help = run(&["--help"], &[]);
    let text = String::from_utf8_lossy(&help.stdout);
    for needed in [
        "{prefix}/agents/{userId}/state",
        "{prefix}/gateways/{name}/status",
        "Last Will",
        "MQTT_USERNAME",
        "--users-file",
        "--listen",
        "Exit status",
    ] {
        assert!(text.contains(needed), "gateway --help lacks {needed}");
    }
}
