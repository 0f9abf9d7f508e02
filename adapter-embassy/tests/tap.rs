//! The runner on embassy-executor and embassy-net, over a TAP device in a network namespace the
//! test makes, against the simulated cloud with TLS: the device's own network stack, end to end.
//!
//! The test re-runs itself inside the namespace (`ip netns exec`), where it opens the TAP
//! device. The simulator listens on the namespace's loopback; a small forwarder on the TAP
//! side's kernel address carries the device's connections to it, and the device resolves every
//! host name to that address (the certificate is still checked against `localhost`).
//! Where no namespace can be made (no root, no `ip`), the test says so and passes without
//! running.

mod support;

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use embassy_executor::Spawner;
use embassy_net::{Ipv4Address, Ipv4Cidr, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use genesys_notify_core::Duration;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::light::Health;
use genesys_notify_core::region::Environment;
use genesys_notify_core::secret::Secret;
use genesys_notify_embassy::net::{Network, TcpBuffers};
use genesys_notify_embassy::{
    Buffers, ClientState, Credentials, EmbassyNetwork, Resources, Runner, Settings, TrustAnchors,
};
use genesys_sim::{Sim, org};
use support::net::HostClock;

const INNER: &str = "GENESYS_NOTIFY_TAP_INNER";
const TEST_NAME: &str = "the_runner_works_over_embassy_net_on_a_tap_device";
const TAP: &str = "tap0";
/// The kernel's side of the TAP link (inside the namespace) and the device's own address.
const HOST_ADDRESS: [u8; 4] = [192, 168, 69, 100];
const DEVICE_ADDRESS: [u8; 4] = [192, 168, 69, 1];

/// The whole scenario must finish within this, or the inner process fails.
const DEADLINE: StdDuration = StdDuration::from_secs(60);

#[test]
fn the_runner_works_over_embassy_net_on_a_tap_device() {
    if std::env::var_os(INNER).is_some() {
        inner();
        return;
    }
    let namespace = format!("genesys-notify-{}", std::process::id());
    if !ip(&["netns", "add", &namespace]) {
        eprintln!(
            "SKIPPED {TEST_NAME}: cannot create a network namespace here \
             (needs root and iproute2's `ip`); the TAP test did not run"
        );
        return;
    }
    let in_namespace = |args: &[&str]| {
        let mut full = vec!["netns", "exec", &namespace, "ip"];
        full.extend_from_slice(args);
        ip(&full)
    };
    let host = format!("{}/24", std::net::Ipv4Addr::from(HOST_ADDRESS));
    let ready = in_namespace(&["link", "set", "lo", "up"])
        && in_namespace(&["tuntap", "add", "dev", TAP, "mode", "tap"])
        && in_namespace(&["addr", "add", &host, "dev", TAP])
        && in_namespace(&["link", "set", TAP, "up"]);
    let outcome = ready.then(|| {
        Command::new("ip")
            .args(["netns", "exec", &namespace])
            .arg(std::env::current_exe().expect("the test binary"))
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(INNER, "1")
            .status()
    });
    ip(&["netns", "delete", &namespace]);
    assert!(
        ready,
        "the namespace was made but its TAP device could not be set up"
    );
    let status = outcome.and_then(Result::ok).expect("the inner test ran");
    assert!(
        status.success(),
        "the runner over embassy-net failed: {status}"
    );
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .is_ok_and(|status| status.success())
}

/// Connects every host name to the forwarder on the kernel's side of the TAP link.
struct ToHost(EmbassyNetwork<'static>);

impl Network for ToHost {
    type Connection<'b> = embassy_net::tcp::TcpSocket<'b>;

    async fn connect<'b>(
        &'b self,
        _host: &str,
        port: u16,
        buffers: &'b mut TcpBuffers,
    ) -> Result<Self::Connection<'b>, Transport> {
        let host = std::net::Ipv4Addr::from(HOST_ADDRESS).to_string();
        self.0.connect(&host, port, buffers).await
    }
}

type Light = Runner<'static, ToHost, rand_core::OsRng, HostClock, NoopRawMutex>;

/// Inside the namespace: the simulator and forwarder on tokio in a thread, the device on the
/// embassy executor on this one.
fn inner() {
    std::thread::spawn(|| {
        std::thread::sleep(DEADLINE);
        eprintln!("{TEST_NAME}: the scenario did not finish within {DEADLINE:?}");
        std::process::exit(1);
    });
    let (sim_tx, sim_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("tokio");
        runtime.block_on(async move {
            let sim = Sim::builder()
                .tls(true)
                .heartbeat_interval(StdDuration::from_millis(500))
                .start()
                .await
                .expect("the simulator starts");
            let port = sim.addr().port();
            let listener =
                tokio::net::TcpListener::bind((std::net::Ipv4Addr::from(HOST_ADDRESS), port))
                    .await
                    .expect("the forwarder binds on the TAP side");
            let ca = sim.ca_der().expect("a TLS sim has a CA").to_vec();
            sim_tx
                .send((sim.base_url(), ca, sim.agent(org::DEMO_AGENT_ID)))
                .expect("the device side waits");
            loop {
                let (mut inbound, _) = listener.accept().await.expect("accept");
                tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", port)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    });
    let (base_url, ca, agent) = sim_rx.recv().expect("the simulator started");
    let ca: &'static [u8] = Box::leak(ca.into_boxed_slice());
    let executor = Box::leak(Box::new(embassy_executor::Executor::new()));
    executor.run(move |spawner| {
        let device = TunTapDevice::new(TAP).expect("the TAP device opens inside the namespace");
        let [a, b, c, d] = DEVICE_ADDRESS;
        let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(Ipv4Address::new(a, b, c, d), 24),
            gateway: None,
            dns_servers: Default::default(),
        });
        let resources = Box::leak(Box::new(StackResources::<6>::new()));
        let (stack, net_runner) = embassy_net::new(
            device,
            config,
            resources,
            rand_core::RngCore::next_u64(&mut rand_core::OsRng),
        );
        spawn(spawner, net_task(net_runner));

        let state: &'static ClientState<NoopRawMutex> = Box::leak(Box::new(ClientState::new()));
        let roots: &'static [&'static [u8]] = Box::leak(Box::new([ca]));
        let runner: &'static mut Light = Box::leak(Box::new(
            Runner::new(
                Settings {
                    environment: Environment::parse(&base_url).expect("the sim's base URL"),
                    credentials: Credentials::ClientCredentials {
                        client_id: org::DEMO_CLIENT_ID,
                        client_secret: Secret::new(org::DEMO_CLIENT_SECRET),
                    },
                    trust: TrustAnchors::new(roots).expect("trust store"),
                    agent: org::DEMO_AGENT_ID,
                },
                Resources {
                    network: ToHost(EmbassyNetwork::new(stack)),
                    clock: HostClock { shift_secs: 0 },
                    rng: rand_core::OsRng,
                    client: state,
                    buffers: Box::leak(Box::new(Buffers::new())),
                },
                |config| {
                    config
                        .heartbeat_interval(Duration::from_millis(500))
                        .random_seed(3)
                },
            )
            .expect("a valid configuration"),
        ));
        spawn(spawner, light_task(runner));
        spawn(spawner, scenario(state, agent));
    });
}

fn spawn<S>(
    spawner: Spawner,
    task: Result<embassy_executor::SpawnToken<S>, embassy_executor::SpawnError>,
) {
    spawner.spawn(task.expect("a task slot"));
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn light_task(runner: &'static mut Light) {
    let exit = runner.run().await;
    eprintln!("{TEST_NAME}: the runner ended: {exit:?}");
}

#[embassy_executor::task]
async fn scenario(state: &'static ClientState<NoopRawMutex>, agent: genesys_sim::Agent) {
    let client = state.client();
    let wait_for = |wanted: fn(&genesys_notify_embassy::Status) -> bool| async move {
        while !wanted(&client.status()) {
            client.changed().await;
        }
    };
    wait_for(|s| s.health == Health::Live).await;
    agent.go_on_queue();
    wait_for(|s| s.activity == Activity::OnQueue).await;
    let call = agent.ring();
    wait_for(|s| s.activity == Activity::Alerting).await;
    call.answer();
    wait_for(|s| s.activity == Activity::OnCall).await;
    client.shutdown().await;
    wait_for(|s| s.stopped).await;
    eprintln!("{TEST_NAME}: live over TAP, followed a call, shut down cleanly");
    std::process::exit(0);
}
