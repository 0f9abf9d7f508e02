//! A simulated cloud, a client against it, and bounded waits on the client's stream.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::backoff::Backoff;
use genesys_notify::core::light::Health;
use genesys_notify::core::secret::Secret;
use genesys_notify::tls;
use genesys_notify::token::ClientCredentials;
use genesys_notify::{ClientBuilder, Environment, Item, Notifications};
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use genesys_sim::{Sim, SimBuilder};
use rustls::pki_types::CertificateDer;

/// The simulator's heartbeat interval in these tests.
pub const HEARTBEAT: Duration = Duration::from_millis(200);

/// How long the client tolerates silence before it pings.
pub const SILENCE_TOLERANCE: Duration = Duration::from_millis(1500);

/// The longest any single expectation may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A simulator with short intervals.
pub fn sim() -> SimBuilder {
    Sim::builder().heartbeat_interval(HEARTBEAT)
}

/// A simulator serving HTTPS and WSS with a certificate from its own test CA, and a TLS
/// configuration trusting that CA alone.
pub async fn tls_sim() -> (Sim, Arc<rustls::ClientConfig>) {
    let sim = sim().tls(true).start().await.expect("the simulator starts");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(
            sim.ca_der().expect("a TLS simulator has a CA").to_vec(),
        ))
        .expect("the test CA is a valid certificate");
    let config = tls::client_config_with_roots(roots).expect("a TLS configuration");
    (sim, config)
}

/// A client for the demo agent with the demo client credentials, tuned to the short intervals.
pub fn client(sim: &Sim) -> ClientBuilder {
    client_at(Environment::parse(&sim.base_url()).expect("the simulator's base URL"))
}

/// [`client`]'s settings, for a simulator reached at `environment` (through a proxy).
pub fn client_at(environment: Environment) -> ClientBuilder {
    client_without_agent(environment).agent(DEMO_AGENT_ID)
}

/// [`client_at`] without the demo agent: add topics or agents to it.
pub fn client_without_agent(environment: Environment) -> ClientBuilder {
    ClientBuilder::new(environment)
        .token_provider(ClientCredentials::new(
            DEMO_CLIENT_ID,
            Secret::new(DEMO_CLIENT_SECRET.to_owned()),
        ))
        .configure(|config| {
            config
                .heartbeat_interval(HEARTBEAT.into())
                // Generous against the 200 ms heartbeat: a loaded CI machine must not look like
                // a silent socket, or tests of planned changes would see unplanned reconnections.
                .heartbeat_timeout(SILENCE_TOLERANCE.into())
                .pong_timeout(Duration::from_secs(1).into())
                .backoff(Backoff::new(
                    Duration::from_millis(20).into(),
                    Duration::from_millis(200).into(),
                ))
        })
}

/// A running client and everything it said so far.
pub struct Watch {
    pub stream: Notifications,
    pub seen: Vec<Item>,
}

impl Watch {
    pub fn start(builder: ClientBuilder) -> Self {
        Self {
            stream: builder.start().expect("the client starts"),
            seen: Vec::new(),
        }
    }

    /// The next item satisfying `wanted`, within [`PATIENCE`]; panics with what was seen.
    pub async fn until(&mut self, what: &str, wanted: impl Fn(&Item) -> bool) -> Item {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(item)) => {
                    self.seen.push(item.clone());
                    if wanted(&item) {
                        return item;
                    }
                }
                Ok(None) => panic!(
                    "the stream ended while waiting for {what}; seen: {:#?}",
                    self.seen
                ),
                Err(_) => panic!("no {what} within {PATIENCE:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Waits until the demo agent's activity is `activity`, with the state trusted (not stale).
    pub async fn activity(&mut self, activity: Activity) {
        self.until(
            &format!("the agent {activity}"),
            |item| matches!(item, Item::Agent(a) if a.activity == activity && !a.stale),
        )
        .await;
    }

    /// Waits until the connection is live, and returns its channel id.
    pub async fn live(&mut self) -> String {
        match self
            .until(
                "a live connection",
                |item| matches!(item, Item::Connection(c) if c.health == Health::Live && c.live),
            )
            .await
        {
            Item::Connection(c) => c.channel_id,
            _ => unreachable!("until returns what it matched"),
        }
    }

    /// Waits until a live connection on a channel other than `old`, and returns its id.
    pub async fn live_on_another_channel(&mut self, old: &str) -> String {
        match self
            .until("a live connection on a new channel", |item| {
                matches!(item, Item::Connection(c)
                    if c.health == Health::Live && c.live && c.channel_id != old)
            })
            .await
        {
            Item::Connection(c) => c.channel_id,
            _ => unreachable!("until returns what it matched"),
        }
    }

    /// Collects items for `period`, then returns the ones seen in that period.
    pub async fn collect_for(&mut self, period: Duration) -> Vec<Item> {
        let deadline = tokio::time::Instant::now() + period;
        let mut collected = Vec::new();
        while let Ok(Some(item)) = tokio::time::timeout_at(deadline, self.stream.next()).await {
            self.seen.push(item.clone());
            collected.push(item);
        }
        collected
    }
}
