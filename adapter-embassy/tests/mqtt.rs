//! The light listening to a gateway, against a real MQTT broker on loopback: rumqttd in-process
//! (MQTT 5 for the light, 3.1.1 for the gateway-like publisher, as a floor mixes them), reached
//! through a proxy the test can cut (the broker killed) and restore (the broker back), and that
//! can terminate TLS with a test CA (the same verification as the Genesys connection).

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::agent_state::{AgentState, GatewayName, MAX_MESSAGE_LEN};
use genesys_notify_core::light::Health;
use genesys_notify_core::secret::Secret;
use genesys_notify_embassy::mqtt::{Broker, BrokerFailure, Runner, Settings};
use genesys_notify_embassy::tls::{CertificateError, TlsError};
use genesys_notify_embassy::{
    Buffers, Client, ClientState, Network, Resources, Status, TrustAnchors,
};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use support::net::{HostClock, Redirect, TokioNetwork};
use support::pki::{Algorithm, Authority};
use support::status::{PATIENCE, until};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const AGENT: &str = "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60";
const STATE_TOPIC: &str = "genesys/agents/0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60/state";
const STATUS_TOPIC: &str = "genesys/gateways/g1/status";
const LIGHT_USER: &str = "light-0f6f";
const LIGHT_PASSWORD: &str = "broker-PASSWORD-of-the-light";

/// A port free on 127.0.0.1 now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Starts rumqttd with an MQTT 3.1.1 listener (the publisher's) and an MQTT 5 one (the
/// light's, which wants the light's user and password). Returns their addresses.
fn start_broker() -> (SocketAddr, SocketAddr) {
    let v4: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let v5: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let server =
        |name: &str, listen, auth: Option<HashMap<String, String>>| rumqttd::ServerSettings {
            name: name.into(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 5_000,
                max_payload_size: 20_480,
                max_inflight_count: 100,
                auth,
                external_auth: None,
                dynamic_filters: true,
            },
        };
    let light = HashMap::from([(LIGHT_USER.to_string(), LIGHT_PASSWORD.to_string())]);
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 100,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([("1".into(), server("v4", v4, None))])),
        v5: Some(HashMap::from([("1".into(), server("v5", v5, Some(light)))])),
        ..Default::default()
    };
    std::thread::spawn(move || {
        let mut broker = rumqttd::Broker::new(config);
        let _ = broker.start();
    });
    // Wait until both listen.
    for address in [v4, v5] {
        for _ in 0..100 {
            if std::net::TcpStream::connect(address).is_ok() {
                break;
            }
            std::thread::sleep(StdDuration::from_millis(20));
        }
    }
    (v4, v5)
}

/// A gateway as the light sees it: retained QoS 1 publications of the state and the status.
struct Gateway {
    client: AsyncClient,
    _events: JoinHandle<()>,
}

impl Gateway {
    async fn connect(broker: SocketAddr) -> Gateway {
        Gateway::with(MqttOptions::new("gateway-g1", "127.0.0.1", broker.port()))
    }

    fn with(options: MqttOptions) -> Gateway {
        let (client, mut events) = AsyncClient::new(options, 16);
        let events = tokio::spawn(async move { while events.poll().await.is_ok() {} });
        Gateway {
            client,
            _events: events,
        }
    }

    async fn state(&self, activity: Activity, stale: bool, health: Health) {
        let state = AgentState {
            activity,
            stale,
            health,
            gateway: GatewayName::new("g1").expect("a valid name"),
            since: Some(1_764_950_400),
        };
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let len = state.encode(&mut buf).expect("fits");
        self.publish(STATE_TOPIC, &buf[..len]).await;
    }

    async fn status(&self, status: &str) {
        self.publish(STATUS_TOPIC, status.as_bytes()).await;
    }

    async fn publish(&self, topic: &str, payload: &[u8]) {
        self.client
            .publish(topic, QoS::AtLeastOnce, true, payload.to_vec())
            .await
            .expect("queued");
    }
}

/// A TCP proxy in front of the broker: [`Proxy::kill`] closes every connection and stops
/// listening (the broker is gone), [`Proxy::revive`] listens again on the same port. With an
/// acceptor it terminates TLS, as a broker's TLS listener would.
struct Proxy {
    port: u16,
    target: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr, tls: Option<tokio_rustls::TlsAcceptor>) -> Proxy {
        let proxy = Proxy {
            port: free_port(),
            target,
            tls,
            tasks: Arc::default(),
        };
        proxy.revive().await;
        proxy
    }

    async fn revive(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the proxy's port is free again");
        let (target, tls, tasks) = (self.target, self.tls.clone(), self.tasks.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let tls = tls.clone();
                let forwarding = tokio::spawn(async move {
                    let Ok(mut upstream) = TcpStream::connect(target).await else {
                        return;
                    };
                    match tls {
                        Some(acceptor) => {
                            if let Ok(mut client) = acceptor.accept(client).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                            }
                        }
                        None => {
                            let mut client = client;
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                        }
                    }
                });
                tasks.lock().expect("not poisoned").push(forwarding);
            }
        });
        self.tasks.lock().expect("not poisoned").push(accepting);
    }

    fn kill(&self) {
        for task in self.tasks.lock().expect("not poisoned").drain(..) {
            task.abort();
        }
    }
}

/// A root for a plain `mqtt://` light: a trust store is never empty, even when TLS is off.
fn unused_root() -> Vec<u8> {
    Authority::root("Unused CA", Algorithm::P256).der()
}

fn live_with(activity: Activity) -> impl Fn(&Status) -> bool {
    move |s| s.health == Health::Live && s.activity == activity && !s.stale
}

/// Runs the MQTT runner against `broker` over `network` while `script` drives the scenario.
async fn listen<N, F, Fut>(
    network: N,
    broker: Broker<'static>,
    password: &'static str,
    roots: &[&[u8]],
    script: F,
) where
    N: Network,
    F: FnOnce(Client<'static, NoopRawMutex>) -> Fut,
    Fut: Future<Output = ()>,
{
    let state: &'static ClientState<NoopRawMutex> = Box::leak(Box::new(ClientState::new()));
    let buffers: &mut Buffers<{ 8 * 1024 }> = Box::leak(Box::new(Buffers::with_payload_len()));
    let settings = Settings {
        broker,
        user: Some(LIGHT_USER),
        password: Some(Secret::new(password)),
        prefix: "genesys",
        agent: AGENT,
        trust: TrustAnchors::new(roots).expect("trust store"),
    };
    let resources = Resources {
        network,
        clock: HostClock { shift_secs: 0 },
        rng: rand_core::OsRng,
        client: state,
        buffers,
    };
    let mut runner = Runner::new(settings, resources, 7).expect("short topics");
    let client = state.client();
    let script = async move {
        script(client).await;
        client.shutdown().await;
    };
    tokio::time::timeout(PATIENCE * 4, async { tokio::join!(runner.run(), script) })
        .await
        .expect("the scenario ends");
    assert!(client.status().stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_light_follows_the_gateway_and_says_when_it_cannot_reach_the_broker() {
    let (v4, v5) = start_broker();
    let gateway = Gateway::connect(v4).await;
    gateway.status("online").await;
    gateway.state(Activity::OnCall, false, Health::Live).await;
    let proxy = Proxy::start(v5, None).await;
    let broker = Broker {
        host: "127.0.0.1",
        port: proxy.port,
        tls: false,
    };
    listen(
        TokioNetwork,
        broker,
        LIGHT_PASSWORD,
        &[&unused_root()],
        |client| async move {
            until(&client, "the retained state", live_with(Activity::OnCall)).await;

            gateway
                .state(Activity::Available, true, Health::Stale)
                .await;
            let unsure = until(&client, "a stale state", |s| s.health == Health::Stale).await;
            assert!(unsure.stale);
            gateway
                .state(Activity::Available, false, Health::Live)
                .await;
            until(&client, "a certain state", live_with(Activity::Available)).await;

            gateway.status("offline").await;
            let unsure = until(&client, "gateway offline", |s| s.health == Health::Stale).await;
            assert!(unsure.stale, "{unsure:?}");
            gateway.status("online").await;
            until(&client, "gateway back", live_with(Activity::Available)).await;

            proxy.kill();
            let cut = until(&client, "broker gone", |s| s.health == Health::Unreachable).await;
            assert!(!cut.live);
            // The state changes while the light cannot hear it: it must come back with the new one.
            gateway.state(Activity::Break, false, Health::Live).await;
            proxy.revive().await;
            let back = until(&client, "broker back", live_with(Activity::Break)).await;
            assert!(back.live && back.reconnects >= 1, "{back:?}");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_broker_certificate_is_verified_like_genesys() {
    let (v4, v5) = start_broker();
    let gateway = Gateway::connect(v4).await;
    gateway.status("online").await;
    gateway.state(Activity::OnQueue, false, Health::Live).await;
    let ca = Authority::root("Test Broker CA", Algorithm::P256);
    let leaf = ca.leaf(&["broker.test"], Algorithm::P256);
    let proxy = Proxy::start(v5, Some(support::pki::acceptor(&leaf, &[]))).await;
    let ca_der = ca.der();
    let broker = Broker {
        host: "broker.test",
        port: 8883,
        tls: true,
    };
    let network = Redirect { port: proxy.port };
    listen(
        network,
        broker,
        LIGHT_PASSWORD,
        &[&ca_der],
        |client| async move {
            until(&client, "the state over TLS", live_with(Activity::OnQueue)).await;
        },
    )
    .await;

    // A broker whose certificate does not chain to the light's roots is never spoken to.
    let stranger = Authority::root("Someone Else", Algorithm::P256);
    let stranger_der = stranger.der();
    let network = Redirect { port: proxy.port };
    listen(
        network,
        broker,
        LIGHT_PASSWORD,
        &[&stranger_der],
        |client| async move {
            let refused = until(&client, "refused certificate", |s| {
                s.last_tls_error.is_some()
            })
            .await;
            assert_eq!(
                refused.last_tls_error,
                Some(TlsError::Certificate(CertificateError::UnknownIssuer))
            );
            assert_eq!(refused.health, Health::Unreachable);
            assert_eq!(
                refused.last_broker_failure,
                Some(BrokerFailure::Tls(TlsError::Certificate(
                    CertificateError::UnknownIssuer
                )))
            );
        },
    )
    .await;
}

/// mosquitto, the broker a floor runs, when its binary is on this machine: a real process to
/// kill and start again, and real refusals (rumqttd closes the connection on a bad password
/// without a CONNACK, which a light can only read as "cannot reach").
struct Mosquitto {
    binary: std::path::PathBuf,
    dir: std::path::PathBuf,
    port: u16,
    process: Option<std::process::Child>,
}

impl Mosquitto {
    /// The binary: `$MOSQUITTO` (none if it names no file), else `mosquitto` on PATH or in
    /// /usr/sbin (Debian's place).
    fn find() -> Option<std::path::PathBuf> {
        if let Some(path) = std::env::var_os("MOSQUITTO") {
            let path = std::path::PathBuf::from(path);
            return path.is_file().then_some(path);
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([std::path::PathBuf::from("/usr/sbin")])
            .map(|dir| dir.join("mosquitto"))
            .find(|candidate| candidate.is_file())
    }

    /// A broker on a free port where the light may read only its agent's state and the gateway
    /// status topics, and the gateway may write under `genesys/`.
    fn start(binary: std::path::PathBuf) -> Mosquitto {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("light-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let passwd = dir.join("passwd");
        std::fs::write(&passwd, "").expect("write");
        let passwd_tool = binary.with_file_name("mosquitto_passwd");
        let passwd_tool = if passwd_tool.is_file() {
            passwd_tool
        } else {
            std::path::PathBuf::from("mosquitto_passwd")
        };
        for (user, password) in [
            (LIGHT_USER, LIGHT_PASSWORD),
            ("gateway-g1", "gateway-password"),
        ] {
            let done = std::process::Command::new(&passwd_tool)
                .arg("-b")
                .arg(&passwd)
                .args([user, password])
                .status()
                .expect("mosquitto_passwd runs");
            assert!(done.success());
        }
        std::fs::write(
            dir.join("acl"),
            format!(
                "user {LIGHT_USER}\ntopic read {STATE_TOPIC}\ntopic read genesys/gateways/+/status\n\
                 user gateway-g1\ntopic readwrite genesys/#\n"
            ),
        )
        .expect("write");
        std::fs::write(
            dir.join("mosquitto.conf"),
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {}\nacl_file {}\npersistence false\n",
                passwd.display(),
                dir.join("acl").display()
            ),
        )
        .expect("write");
        let mut broker = Mosquitto {
            binary,
            dir,
            port,
            process: None,
        };
        broker.revive();
        broker
    }

    fn revive(&mut self) {
        let child = std::process::Command::new(&self.binary)
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        self.process = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(20));
        }
        panic!("mosquitto did not listen on {}", self.port);
    }

    /// `kill -9`: no goodbye to anyone.
    fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The gateway's publisher, signed in.
    async fn gateway(&self) -> Gateway {
        let mut options = MqttOptions::new("gateway-g1", "127.0.0.1", self.port);
        options.set_credentials("gateway-g1", "gateway-password");
        Gateway::with(options)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_mosquitto_a_killed_broker_is_cannot_reach_and_a_wrong_password_a_refusal() {
    let Some(binary) = Mosquitto::find() else {
        println!("skipped: no mosquitto binary (set MOSQUITTO, or install Debian's mosquitto)");
        return;
    };
    let mut mosquitto = Mosquitto::start(binary);
    let gateway = mosquitto.gateway().await;
    gateway.status("online").await;
    gateway.state(Activity::OnCall, false, Health::Live).await;
    let broker = Broker {
        host: "127.0.0.1",
        port: mosquitto.port,
        tls: false,
    };

    listen(
        TokioNetwork,
        broker,
        "not-the-password",
        &[&unused_root()],
        |client| async move {
            let refused = until(&client, "refused", |s| s.health == Health::AuthFailed).await;
            assert!(!refused.live);
        },
    )
    .await;

    let mosquitto = &mut mosquitto;
    listen(
        TokioNetwork,
        broker,
        LIGHT_PASSWORD,
        &[&unused_root()],
        |client| async move {
            until(&client, "the retained state", live_with(Activity::OnCall)).await;
            mosquitto.kill();
            let cut = until(&client, "broker killed", |s| {
                s.health == Health::Unreachable
            })
            .await;
            assert!(!cut.live);
            mosquitto.revive();
            // Nothing was persisted: the light waits, not sure, until the gateway publishes again.
            let gateway = mosquitto.gateway().await;
            gateway.status("online").await;
            gateway.state(Activity::Held, false, Health::Live).await;
            until(&client, "broker back", live_with(Activity::Held)).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_password_never_reaches_the_log() {
    support::logs::record_all();
    let (v4, v5) = start_broker();
    let gateway = Gateway::connect(v4).await;
    gateway.status("online").await;
    gateway.state(Activity::OnCall, false, Health::Live).await;
    let ca = Authority::root("Test Broker CA", Algorithm::P256);
    let leaf = ca.leaf(&["broker.test"], Algorithm::P256);
    let proxy = Proxy::start(v5, Some(support::pki::acceptor(&leaf, &[]))).await;
    let broker = Broker {
        host: "broker.test",
        port: 8883,
        tls: true,
    };
    let network = Redirect { port: proxy.port };
    let proxy = &proxy;
    listen(
        network,
        broker,
        LIGHT_PASSWORD,
        &[&ca.der()],
        |client| async move {
            until(&client, "live", live_with(Activity::OnCall)).await;
            proxy.kill();
            until(&client, "cut", |s| s.health == Health::Unreachable).await;
            proxy.revive().await;
            until(&client, "live again", live_with(Activity::OnCall)).await;
        },
    )
    .await;
    let lines = support::logs::lines();
    assert!(
        lines.iter().any(|l| l.contains("mqtt: connected")),
        "the runner logged nothing"
    );
    for line in &lines {
        assert!(
            !line.contains(LIGHT_PASSWORD),
            "a secret in the log: {line}"
        );
    }
}
