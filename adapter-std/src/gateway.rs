//! A gateway: one client follows a whole floor and publishes each agent's state to an MQTT
//! broker, for lights (and dashboards) that hold no Genesys secret.
//!
//! # Why
//!
//! A desk light that is its own Genesys client works for one desk and breaks for a floor:
//! Genesys allows 20 notification channels per user and OAuth client (a 21st removes an older
//! one), every board would hold a client secret able to read the whole org's conversations, and
//! N boards make N times the token, channel and resync calls. A gateway holds the only Genesys
//! credentials, follows every agent over as few channels as the topic budget allows (see
//! [`ClientBuilder`](crate::ClientBuilder)) and fans the states out through a broker, an engine
//! made for that (mosquitto, EMQX, VerneMQ, HiveMQ), where each light's credentials read one
//! topic.
//!
//! # Topics and payloads
//!
//! - `{prefix}/agents/{userId}/state`, **retained, QoS 1**: the core's
//!   [`AgentState`] message, e.g.
//!   `{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"floor-2","since":1764950400}`.
//!   Published for every agent on start (`unknown`, stale, until Genesys has been read), on
//!   every change of activity, staleness or the health of the channel that carries the agent,
//!   and again after every reconnection to the broker. `stale` is true whenever the gateway is
//!   not sure (its Genesys connection is not live), so a light never shows an old state as
//!   certain. `since` is when the gateway saw the activity begin (for the state it found on
//!   start, when it read it): Genesys' REST snapshot does not say when an activity began.
//! - `{prefix}/gateways/{name}/status`, **retained, QoS 1**: `online` once connected, `offline`
//!   as the MQTT Last Will (the broker publishes it the moment the gateway dies) and on a clean
//!   stop.
//!
//! A broker that goes away is reconnected with backoff (0.5 s doubling to 30 s), and every
//! agent's state and the status are published again, so a broker restarted without
//! persistence is whole again within one reconnection.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::agent_state::{AgentState, GatewayName, MAX_MESSAGE_LEN};
use genesys_notify_core::session::Health;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, LastWill, MqttOptions, Outgoing,
    Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::{Item, Notifications, SecretString};

/// The default topic prefix.
pub const DEFAULT_PREFIX: &str = "genesys";

/// The status payload while the gateway runs.
pub const ONLINE: &str = "online";

/// The status payload after the gateway stopped or died (its Last Will).
pub const OFFLINE: &str = "offline";

/// The first wait before reconnecting to the broker; it doubles up to [`MAX_BROKER_BACKOFF`].
pub const BROKER_BACKOFF: Duration = Duration::from_millis(500);

/// The longest wait between attempts to reach the broker.
pub const MAX_BROKER_BACKOFF: Duration = Duration::from_secs(30);

/// How long a clean stop waits for the broker to take the `offline` status.
pub const STOP_WAIT: Duration = Duration::from_secs(2);

/// The MQTT keep-alive: a broker notices a silent gateway (and publishes its Last Will) after
/// one and a half of these.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Publishes queued for the MQTT connection before a publish waits.
const REQUEST_QUEUE: usize = 256;

/// Where the broker is: `mqtt://HOST[:PORT]` (1883 by default) or `mqtts://HOST[:PORT]`
/// (TLS, 8883 by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrl {
    secure: bool,
    host: String,
    port: u16,
}

/// Why a broker URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrlError(String);

impl fmt::Display for BrokerUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: give the broker as mqtt://HOST:PORT or mqtts://HOST:PORT",
            self.0
        )
    }
}

impl std::error::Error for BrokerUrlError {}

impl BrokerUrl {
    /// Reads `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]` (an IPv6 host in brackets).
    /// Credentials in the URL are refused: they would end up in process lists and logs.
    pub fn parse(text: &str) -> Result<Self, BrokerUrlError> {
        let err = |why: &str| BrokerUrlError(format!("'{}' {why}", text.trim()));
        let text = text.trim();
        let (secure, rest) = if let Some(rest) = text.strip_prefix("mqtts://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("mqtt://") {
            (false, rest)
        } else {
            return Err(err("is not an mqtt:// or mqtts:// URL"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('@') {
            return Err(err(
                "carries credentials; set MQTT_USERNAME and MQTT_PASSWORD instead",
            ));
        }
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(err("has a path; a broker URL names a host and a port only"));
        }
        let default_port = if secure { 8883 } else { 1883 };
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| err("has an unclosed '['"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(err("has text after the host")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace()) {
            return Err(err("has no host"));
        }
        let port = match port {
            None => default_port,
            Some(port) => match port.parse::<u16>() {
                Ok(0) | Err(_) => return Err(err("has a port that is not 1 to 65535")),
                Ok(port) => port,
            },
        };
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
        })
    }

    /// A plain-TCP broker at `host:port`.
    pub fn plain(host: impl Into<String>, port: u16) -> Self {
        Self {
            secure: false,
            host: host.into(),
            port,
        }
    }

    /// Whether the connection uses TLS (`mqtts://`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The broker's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The broker's port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Why a gateway could not be set up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayError {
    /// The name cannot name a topic level: 1 to 64 letters, digits, `.`, `_` or `-`.
    Name(String),
    /// The prefix cannot begin a topic: it must be non-empty, without `+`, `#`, NUL, or a
    /// leading or trailing `/`.
    Prefix(String),
    /// A user id cannot name a topic level (it holds `/`, `+`, `#` or NUL, or is empty).
    UserId(String),
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayError::Name(name) => write!(
                f,
                "gateway name '{name}': use 1 to 64 letters, digits, '.', '_' or '-' (it names \
                 the status topic)"
            ),
            GatewayError::Prefix(prefix) => write!(
                f,
                "topic prefix '{prefix}': give a non-empty topic without '+', '#' or a leading \
                 or trailing '/' (for example 'genesys' or 'site-a/genesys')"
            ),
            GatewayError::UserId(id) => write!(
                f,
                "user id '{id}' cannot name a topic level: give the Genesys user id (a UUID)"
            ),
        }
    }
}

impl std::error::Error for GatewayError {}

/// A gateway's settings: where to publish, under which name and prefix, with which
/// credentials.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use genesys_notify::gateway::{BrokerUrl, Gateway};
/// use genesys_notify::{ClientBuilder, Environment, token};
///
/// let notifications = ClientBuilder::new(Environment::parse("mypurecloud.ie")?)
///     .token_provider(token::from_env()?)
///     .agents(["8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b", "0f1e2d3c-4b5a-4678-9abc-def012345678"])
///     .start()?;
/// let gateway = Gateway::new("floor-2", BrokerUrl::parse("mqtt://127.0.0.1:1883")?)?;
/// let end = gateway.run(notifications, tokio::signal::ctrl_c()).await;
/// println!("{end:?}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gateway {
    name: String,
    prefix: String,
    broker: BrokerUrl,
    credentials: Option<(String, SecretString)>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("broker", &self.broker.to_string())
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// How a gateway's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayEnd {
    /// The stop future completed: `offline` was published and the client closed.
    Stopped,
    /// Every Genesys session stopped on a failure a person must fix (the reason was published
    /// as each agent's health, and logged); `offline` was published.
    GenesysStopped,
}

impl Gateway {
    /// A gateway named `name` publishing to `broker` under [`DEFAULT_PREFIX`].
    pub fn new(name: &str, broker: BrokerUrl) -> Result<Self, GatewayError> {
        GatewayName::new(name).map_err(|_| GatewayError::Name(name.to_owned()))?;
        Ok(Self {
            name: name.to_owned(),
            prefix: DEFAULT_PREFIX.to_owned(),
            broker,
            credentials: None,
            tls: None,
        })
    }

    /// Publishes under `prefix` instead of [`DEFAULT_PREFIX`].
    pub fn prefix(mut self, prefix: &str) -> Result<Self, GatewayError> {
        let bad = prefix.is_empty()
            || prefix.starts_with('/')
            || prefix.ends_with('/')
            || prefix.contains(['+', '#', '\0']);
        if bad {
            return Err(GatewayError::Prefix(prefix.to_owned()));
        }
        self.prefix = prefix.to_owned();
        Ok(self)
    }

    /// Signs in to the broker with a user name and password (from `MQTT_USERNAME` and
    /// `MQTT_PASSWORD` in the command). The password never appears in `Debug` or logs.
    pub fn credentials(mut self, user: impl Into<String>, password: SecretString) -> Self {
        self.credentials = Some((user.into(), password));
        self
    }

    /// Verifies an `mqtts://` broker with this TLS configuration instead of the Mozilla roots
    /// (a private CA).
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The gateway's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The broker it publishes to.
    pub fn broker(&self) -> &BrokerUrl {
        &self.broker
    }

    /// The topic of an agent's state: `{prefix}/agents/{userId}/state`.
    pub fn state_topic(&self, user_id: &str) -> String {
        format!("{}/agents/{user_id}/state", self.prefix)
    }

    /// The topic of the gateway's status: `{prefix}/gateways/{name}/status`.
    pub fn status_topic(&self) -> String {
        format!("{}/gateways/{}/status", self.prefix, self.name)
    }

    /// Checks that a user id can name a topic level.
    pub fn check_user_id(user_id: &str) -> Result<(), GatewayError> {
        if user_id.is_empty() || user_id.contains(['/', '+', '#', '\0']) {
            return Err(GatewayError::UserId(user_id.to_owned()));
        }
        Ok(())
    }

    fn options(&self) -> Result<MqttOptions, crate::tls::TlsConfigError> {
        let client_id = format!("genesys-notify-{}", self.name);
        let mut options = MqttOptions::new(client_id, self.broker.host.clone(), self.broker.port);
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_last_will(LastWill::new(
                self.status_topic(),
                OFFLINE,
                QoS::AtLeastOnce,
                true,
            ));
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.expose_secret().to_owned());
        }
        if self.broker.secure {
            let tls = match &self.tls {
                Some(tls) => Arc::clone(tls),
                None => crate::tls::client_config()?,
            };
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        }
        Ok(options)
    }

    /// Publishes every agent the client follows until `stop` completes (or every Genesys
    /// session has stopped), then publishes `offline` and closes the client.
    ///
    /// Never fails for a broker that cannot be reached: it retries with backoff and publishes
    /// everything once it can (see the [module docs](self)).
    pub async fn run(
        self,
        mut notifications: Notifications,
        stop: impl Future<Output = impl Sized>,
    ) -> GatewayEnd {
        let options = match self.options() {
            Ok(options) => options,
            Err(e) => {
                warn!(%e, "no TLS for the broker");
                notifications.close().await;
                return GatewayEnd::Stopped;
            }
        };
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let (broker_events, mut from_broker) = mpsc::channel(16);
        let connection = tokio::spawn(drive(eventloop, broker_events, self.broker.to_string()));
        let mut board = Board::new(self, notifications.roster().agents());
        tokio::pin!(stop);
        let mut connected = false;
        let end = loop {
            tokio::select! {
                item = notifications.next() => match item {
                    Some(item) => {
                        let changed = board.apply(&item);
                        if connected {
                            for (topic, payload) in changed {
                                connected = publish(&client, topic, payload).await;
                            }
                        }
                    }
                    None => break GatewayEnd::GenesysStopped,
                },
                event = from_broker.recv() => match event {
                    Some(BrokerEvent::Connected) => {
                        info!(broker = %board.gateway.broker, "publishing to the broker");
                        connected = publish(&client, board.gateway.status_topic(), ONLINE.into()).await;
                        for (topic, payload) in board.all() {
                            if !connected {
                                break;
                            }
                            connected = publish(&client, topic, payload).await;
                        }
                    }
                    Some(BrokerEvent::Down) | None => connected = false,
                },
                _ = &mut stop => break GatewayEnd::Stopped,
            }
        };
        if end == GatewayEnd::GenesysStopped {
            warn!("every Genesys session has stopped; the gateway stops");
        }
        // The last word: offline, retained, then a clean disconnect (no Last Will needed).
        let _ = tokio::time::timeout(STOP_WAIT, async {
            let _ = client
                .publish(
                    board.gateway.status_topic(),
                    QoS::AtLeastOnce,
                    true,
                    OFFLINE,
                )
                .await;
            let _ = client.disconnect().await;
            let _ = connection.await;
        })
        .await;
        notifications.close().await;
        end
    }
}

/// Queues one retained QoS 1 publish; `false` if the connection is gone.
async fn publish(client: &AsyncClient, topic: String, payload: Vec<u8>) -> bool {
    match client.publish(topic, QoS::AtLeastOnce, true, payload).await {
        Ok(()) => true,
        Err(e) => {
            debug!(%e, "publish not queued");
            false
        }
    }
}

/// What the MQTT connection task reports.
enum BrokerEvent {
    Connected,
    Down,
}

/// Drives the MQTT connection: reports each (re)connection, and waits with backoff after a
/// failure before the next attempt. Ends after the clean disconnect.
async fn drive(
    mut eventloop: rumqttc::EventLoop,
    events: mpsc::Sender<BrokerEvent>,
    broker: String,
) {
    let mut backoff = BROKER_BACKOFF;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                if ack.code == ConnectReturnCode::Success {
                    backoff = BROKER_BACKOFF;
                    let _ = events.send(BrokerEvent::Connected).await;
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => return,
            Err(e) => {
                let why = match &e {
                    ConnectionError::ConnectionRefused(code) => refused(*code),
                    other => other.to_string(),
                };
                warn!(%broker, error = %why, retry_in = ?backoff, "the broker cannot be reached");
                let _ = events.send(BrokerEvent::Down).await;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BROKER_BACKOFF);
            }
        }
    }
}

/// What a refused MQTT connection means, in words.
fn refused(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized => {
            "the broker refused the credentials: check MQTT_USERNAME and MQTT_PASSWORD".into()
        }
        other => format!("the broker refused the connection ({other:?})"),
    }
}

/// What the gateway knows of each agent, and what it last published.
struct Board {
    gateway: Gateway,
    agents: HashMap<String, Known>,
    /// Each session's health, by shard.
    health: HashMap<usize, Health>,
}

struct Known {
    activity: Activity,
    stale: bool,
    shard: usize,
    since: Option<u64>,
    /// The payload last handed to the broker.
    published: Option<Vec<u8>>,
}

impl Board {
    fn new(gateway: Gateway, agents: Vec<String>) -> Self {
        let agents = agents
            .into_iter()
            .map(|id| {
                let known = Known {
                    activity: Activity::Unknown,
                    stale: true,
                    shard: usize::MAX,
                    since: None,
                    published: None,
                };
                (id, known)
            })
            .collect();
        Self {
            gateway,
            agents,
            health: HashMap::new(),
        }
    }

    /// Applies an item; returns the publishes it makes necessary.
    fn apply(&mut self, item: &Item) -> Vec<(String, Vec<u8>)> {
        match item {
            Item::Agent(update) => {
                let known = self
                    .agents
                    .entry(update.user_id.clone())
                    .or_insert_with(|| Known {
                        activity: Activity::Unknown,
                        stale: true,
                        shard: update.shard,
                        since: None,
                        published: None,
                    });
                if known.activity != update.activity {
                    known.since = Some(unix_now());
                }
                known.activity = update.activity;
                known.stale = update.stale;
                known.shard = update.shard;
                let id = update.user_id.clone();
                self.changed(|user, _| *user == id)
            }
            Item::Connection(update) => {
                let before = self.health.insert(update.shard, update.health);
                if before == Some(update.health) {
                    return Vec::new();
                }
                let shard = update.shard;
                self.changed(|_, known| known.shard == shard)
            }
            Item::Diagnosis(diagnosis) => {
                warn!(%diagnosis, "Genesys");
                Vec::new()
            }
            Item::Stopped(reason) => {
                warn!(%reason, "a Genesys session stopped");
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The publishes for the agents `which` selects whose payload changed.
    fn changed(&mut self, which: impl Fn(&String, &Known) -> bool) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for (user, known) in self.agents.iter_mut() {
            if !which(user, known) {
                continue;
            }
            let payload = payload(&self.gateway.name, known, &self.health);
            if known.published.as_ref() != Some(&payload) {
                known.published = Some(payload.clone());
                out.push((self.gateway.state_topic(user), payload));
            }
        }
        out
    }

    /// Every agent's payload, for a (re)connection to the broker.
    fn all(&mut self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.agents.len());
        for (user, known) in self.agents.iter_mut() {
            let payload = payload(&self.gateway.name, known, &self.health);
            known.published = Some(payload.clone());
            out.push((self.gateway.state_topic(user), payload));
        }
        out
    }
}

/// The core's state message for an agent, with the health of the session that follows it
/// (connecting until it has reported one). `stale` whenever the session is not live: the gateway
/// is not sure, and says so.
fn payload(gateway: &str, known: &Known, healths: &HashMap<usize, Health>) -> Vec<u8> {
    let health = healths
        .get(&known.shard)
        .copied()
        .unwrap_or(Health::Connecting);
    let state = AgentState {
        activity: known.activity,
        stale: known.stale || health != Health::Live,
        health,
        // Checked when the gateway was made.
        gateway: GatewayName::new(gateway).unwrap_or_else(|_| unreachable_name()),
        since: known.since,
    };
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    // MAX_MESSAGE_LEN always suffices (the core's promise).
    let len = state.encode(&mut buf).unwrap_or(0);
    buf[..len].to_vec()
}

/// A name the gateway never has: `Gateway::new` checked its own.
fn unreachable_name() -> GatewayName<'static> {
    GatewayName::new("gateway").unwrap_or_else(|_| unreachable!("'gateway' is a valid name"))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_are_read_with_their_default_ports() {
        let plain = BrokerUrl::parse("mqtt://127.0.0.1:1884").expect("a URL");
        assert_eq!(
            (plain.is_secure(), plain.host(), plain.port()),
            (false, "127.0.0.1", 1884)
        );
        let secure = BrokerUrl::parse("mqtts://broker.example").expect("a URL");
        assert_eq!((secure.is_secure(), secure.port()), (true, 8883));
        assert_eq!(BrokerUrl::parse("mqtt://h").expect("a URL").port(), 1883);
        let v6 = BrokerUrl::parse("mqtt://[::1]:1885").expect("a URL");
        assert_eq!((v6.host(), v6.port()), ("::1", 1885));
        assert_eq!(v6.to_string(), "mqtt://[::1]:1885");
    }

    #[test]
    fn bad_broker_urls_say_what_is_wrong_and_never_echo_a_password() {
        for (url, why) in [
            ("http://h:1883", "not an mqtt"),
            ("mqtt://", "no host"),
            ("mqtt://h:0", "port"),
            ("mqtt://h:99999", "port"),
            ("mqtt://h:x", "port"),
            ("mqtt://h/path", "path"),
            ("tcp://h", "not an mqtt"),
        ] {
            let e = BrokerUrl::parse(url).expect_err(url).to_string();
            assert!(e.contains(why), "{url}: {e}");
            assert!(e.contains("mqtt://HOST:PORT"), "{e}");
        }
        let e = BrokerUrl::parse("mqtt://u:hunter2@h")
            .expect_err("credentials")
            .to_string();
        assert!(e.contains("MQTT_PASSWORD"), "{e}");
    }

    #[test]
    fn names_prefixes_and_user_ids_must_fit_a_topic() {
        let broker = BrokerUrl::plain("127.0.0.1", 1883);
        assert!(Gateway::new("floor-2", broker.clone()).is_ok());
        assert!(matches!(
            Gateway::new("floor 2", broker.clone()),
            Err(GatewayError::Name(_))
        ));
        assert!(matches!(
            Gateway::new("a/b", broker.clone()),
            Err(GatewayError::Name(_))
        ));
        let gateway = Gateway::new("g1", broker).expect("a gateway");
        for bad in ["", "/genesys", "genesys/", "gen+", "gen#"] {
            assert!(gateway.clone().prefix(bad).is_err(), "{bad:?}");
        }
        let gateway = gateway.prefix("site-a/genesys").expect("a prefix");
        assert_eq!(gateway.status_topic(), "site-a/genesys/gateways/g1/status");
        assert_eq!(
            gateway.state_topic("u-1"),
            "site-a/genesys/agents/u-1/state"
        );
        assert!(Gateway::check_user_id("a/b").is_err());
        assert!(Gateway::check_user_id("8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b").is_ok());
    }

    #[test]
    fn the_password_stays_out_of_debug() {
        let gateway = Gateway::new("g1", BrokerUrl::plain("h", 1883))
            .expect("a gateway")
            .credentials("light", SecretString::new("hunter2".into()));
        let debug = format!("{gateway:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("light"), "{debug}");
    }

    #[test]
    fn an_agent_is_stale_in_its_payload_while_its_session_is_not_live() {
        let known = Known {
            activity: Activity::OnCall,
            stale: false,
            shard: 0,
            since: Some(1_764_950_400),
            published: None,
        };
        let live = payload("g1", &known, &HashMap::from([(0, Health::Live)]));
        let state = AgentState::parse(&live).expect("the core reads it");
        assert_eq!(state.activity, Activity::OnCall);
        assert!(!state.stale);
        assert_eq!(state.since, Some(1_764_950_400));
        let unsure = payload("g1", &known, &HashMap::from([(0, Health::Unreachable)]));
        let state = AgentState::parse(&unsure).expect("the core reads it");
        assert!(state.stale);
        assert_eq!(state.health, Health::Unreachable);
    }
}
