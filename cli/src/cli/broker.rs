//! The embedded MQTT broker of `gateway` without `--broker`: `rumqttd`, in this process.
//!
//! One command on a laptop then runs a whole small office: lights and `mosquitto_sub` connect
//! to `--listen`. It is a convenience, not a substitute for a real deployment's broker (no
//! persistence across restarts, no cluster): the gateway republishes every state when it
//! starts, so nothing depends on the broker remembering.
//!
//! Bounded memory: rumqttd keeps each topic's recent messages in a commit log of segments;
//! they are capped here at [`SEGMENT_SIZE`] × [`SEGMENT_COUNT`] per filter, and retained
//! messages are one per topic.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};

use genesys_notify::SecretString;
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// The broker's user name and password (from `MQTT_USERNAME` / `MQTT_PASSWORD`).
pub struct BrokerCredentials {
    /// The user name.
    pub user: String,
    /// The password; never printed.
    pub password: SecretString,
}

/// The largest message the embedded broker accepts: a state message is under 200 bytes.
const MAX_PAYLOAD: usize = 4 * 1024;

/// Size of one commit-log segment.
const SEGMENT_SIZE: usize = 1024 * 1024;

/// Segments kept per filter before the oldest is dropped.
const SEGMENT_COUNT: usize = 4;

/// The most clients (lights, dashboards, the gateway) at once.
const MAX_CONNECTIONS: usize = 10_000;

/// Starts the broker in threads of its own: MQTT 3.1.1 on `listen` (the gateway, most tools)
/// and, if given, MQTT 5 on `listen_v5` (the desk light's client speaks MQTT 5 only; rumqttd
/// serves each version on its own port). With `credentials`, clients must present them (the
/// gateway does). Errors if an address cannot be bound.
pub fn start_embedded(
    listen: SocketAddr,
    listen_v5: Option<SocketAddr>,
    credentials: Option<&BrokerCredentials>,
) -> Result<(), std::io::Error> {
    // rumqttd binds in its own thread and only logs a failure: bind here first, so that a busy
    // port is a clear error and not a gateway talking to whoever holds it.
    drop(TcpListener::bind(listen)?);
    if let Some(v5) = listen_v5 {
        drop(TcpListener::bind(v5)?);
    }
    let server = |name: &str, listen| ServerSettings {
        name: name.into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: connections(credentials),
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: MAX_CONNECTIONS,
            max_outgoing_packet_count: 200,
            max_segment_size: SEGMENT_SIZE,
            max_segment_count: SEGMENT_COUNT,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([(
            "1".to_owned(),
            server("mqtt-3.1.1", listen),
        )])),
        v5: listen_v5.map(|v5| HashMap::from([("1".to_owned(), server("mqtt-5", v5))])),
        ..Config::default()
    };
    let mut broker = Broker::new(config);
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "the embedded broker stopped");
            }
        })?;
    Ok(())
}

/// What every listener accepts.
fn connections(credentials: Option<&BrokerCredentials>) -> ConnectionSettings {
    ConnectionSettings {
        connection_timeout_ms: 10_000,
        max_payload_size: MAX_PAYLOAD,
        max_inflight_count: 200,
        auth: credentials
            .map(|c| HashMap::from([(c.user.clone(), c.password.expose_secret().to_owned())])),
        external_auth: None,
        dynamic_filters: true,
    }
}
