//! What the binary's tests share: the binary with a clean environment, a free port, a quick
//! simulator.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use genesys_sim::Sim;

/// Every variable the binary reads that the machine running the tests may have set: credentials
/// (Genesys' and the broker's) and proxies, none of which a test means to inherit.
const INHERITED: [&str; 14] = [
    "GENESYS_TOKEN",
    "GENESYS_CLIENT_ID",
    "GENESYS_CLIENT_SECRET",
    "GENESYS_REFRESH_TOKEN",
    "MQTT_USERNAME",
    "MQTT_PASSWORD",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `genesys-notify` with `args`, run in an environment holding only `env` of the variables it
/// reads.
pub fn genesys_notify(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genesys-notify"));
    command.args(args);
    for name in INHERITED {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A simulator with 300 ms heartbeats, for tests that watch for a few seconds.
pub async fn quick_sim() -> Sim {
    Sim::builder()
        .heartbeat_interval(Duration::from_millis(300))
        .start()
        .await
        .expect("the simulator starts")
}
