//! # genesys-sim — a simulated Genesys Cloud
//!
//! Nobody can run this project's tests against a real Genesys org, so this crate is the next best
//! thing: a real server on real loopback sockets that behaves like the documented service —
//! login (`POST /oauth/token`), the REST API under `/api/v2`, and notification streaming over
//! WebSockets — with a scripted agent to make things happen, faults on demand, and a log of
//! everything a client sent.
//!
//! It is a *test double*, so it is written independently of the project's protocol core: it uses
//! `serde_json` and plain string handling for everything it checks, so a bug in the core's parsers
//! cannot hide itself by being shared.
//!
//! ## Starting it
//!
//! ```no_run
//! # async fn demo() -> Result<(), genesys_sim::StartError> {
//! use std::time::Duration;
//! use genesys_sim::{Sim, org};
//!
//! let sim = Sim::builder()
//!     .heartbeat_interval(Duration::from_millis(50))
//!     .start()
//!     .await?;
//! let base = sim.base_url(); // http://127.0.0.1:PORT — login, REST and streaming on one port
//! let agent = sim.agent(org::DEMO_AGENT_ID);
//! agent.go_on_queue();
//! let call = agent.ring();
//! call.answer();
//! call.hold();
//! call.resume();
//! call.hang_up();
//! call.wrap_up("Resolved");
//! assert!(sim.log().token_leaks().is_empty());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Or as a program: `genesys-sim --port 8080 [--config org.toml] [--tls] [--heartbeat-ms N]
//! [--demo-pace-ms N]` (the last plays [`scenario::shift`] over and over for the first user).
//!
//! ## URL layout
//!
//! One port serves what Genesys spreads over `login.`, `api.` and `streaming.` hosts:
//! - `POST /oauth/token` — client credentials (HTTP Basic), authorization code, refresh token;
//! - `/api/v2/…` — REST;
//! - `GET /channels/{id}` — the WebSocket; `connectUri` is
//!   `ws://127.0.0.1:PORT/channels/streaming-0-…` (`wss://localhost:PORT/…` with TLS).
//!
//! ## The API
//!
//! - [`Sim::builder`] → [`SimBuilder`] (org, timing, TLS, port) → [`SimBuilder::start`] → [`Sim`].
//! - [`Sim::agent`] → [`Agent`]: presence, routing status, [`Agent::ring`]/[`Agent::offer`] →
//!   [`Interaction`]: answer, hold, resume, mute, consult-transfer, hang up, wrap up.
//! - [`Sim::faults`] → [`Faults`]: drop sockets, stop heartbeats, `socket_closing`, expire or
//!   evict channels, revoke or expire tokens, fail or delay requests, malformed, oversized and
//!   split frames.
//! - [`Sim::log`] → [`Log`]: every request and frame; `requests_for`, `token_leaks`, `wait_for`.
//! - [`Sim::wait_until_listening`] / [`Sim::wait_for_sockets`]: the moment a client under test
//!   can receive events (Genesys never replays them), so a test knows when to act.
//! - [`Org`] with [`Role`], [`User`], [`OAuthClient`]; [`Org::demo`] for a ready-made org.
//! - [`scenario::shift`]: a ready-made stretch of an agent's day, for demos.
//!
//! ## What is documented and what is our understanding
//!
//! Marked as in `shared/docs/genesys-protocol.md`: **\[doc\]** published by Genesys, **\[seen\]**
//! observed by several working clients, **\[guess\]** our inference.
//!
//! | Behaviour | Source |
//! |---|---|
//! | `POST /api/v2/notifications/channels` → `connectUri`, `id` (opaque, not a UUID), `expires` | \[doc\] |
//! | No token on the socket; the channel id is the capability | \[doc\] |
//! | 20 channels per user + OAuth client; the 21st evicts the least recently used, unconnected first | \[doc\] |
//! | Channels live 24 h; re-subscribing extends them | \[doc\] |
//! | One socket per channel; a second connection kicks the first | \[doc\] |
//! | The kicked socket gets close code 1000 "replaced by a new connection" | \[guess\] |
//! | `HEAD …/channels/{id}` 200/404; no channel DELETE; `DELETE …/subscriptions` clears | \[doc\] |
//! | `PUT` replaces, `POST` adds, `GET` lists; body `[{"id": topic}]` | \[doc\] |
//! | `ignoreErrors=true` → per-topic `state` Permitted/Rejected + `missingPermissions`; else one forbidden topic → 403 | \[doc\] |
//! | The 403's code is `missing.any.permissions`; rejected entries carry `rejectionReason` | \[guess\] |
//! | Invalid/system topics → 400 (or Rejected with `ignoreErrors`) | \[guess\] |
//! | Subscription responses list the resulting entries as subscribed: a combined topic echoed whole, each rejected part of it listed separately | \[seen\] (genesys-cloud-streaming-client) |
//! | At most 1 000 topics per channel (more → 400) | \[doc\] |
//! | The limit counts entries: a combined topic counts once | \[doc\]/\[seen\]: combined topics exist "to remain under the limit"; Genesys' streaming client truncates after combining |
//! | Combined topics `v2.users.{id}?a&b` ≤ 200 characters, delivered under the expanded names | \[doc\] |
//! | Topic spelling exact when subscribing | \[doc\] |
//! | Which permission each topic needs (see `AGENT_PERMISSIONS`); own user always allowed | \[guess\] |
//! | Heartbeat frame `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}` | \[doc\]/\[seen\] |
//! | `{"message":"ping"}` → `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}` | \[doc\] |
//! | Socket `subscribe`/`unsubscribe` replies `{"result":"200","status":"subscribed"}`, failures `"400"`, gone channel `"404"`; no `topicName` | \[seen\] |
//! | Socket replies echo `correlationId`; forbidden topics over the socket answer `"400"` | \[guess\] |
//! | `v2.system.socket_closing` about a minute before a maintenance close | \[doc\] |
//! | Its body (`eventBody.message`), and the close code 1001 that follows | \[guess\] |
//! | Close code 1001 "idle timeout" | \[seen\] |
//! | Expired/evicted channels close their socket with 1000 | \[guess\] |
//! | Event envelope `topicName`, `version: "2"`, `eventBody`, `metadata.CorrelationId` | \[doc\] |
//! | Conversation bodies: whole conversation, old legs kept, ACW fields; two events on hang-up with ACW | \[seen\] (real captures) |
//! | Routing `INTERACTING` from alerting until wrap-up; `NOT_RESPONDING` on an unanswered offer | \[guess\] |
//! | Presence spelled `On Queue` in REST, `ON_QUEUE` in events | \[seen\] spellings vary |
//! | REST error body and `ININ-Correlation-Id`; 401 codes | \[doc\] |
//! | Token endpoint errors `{"error","description"}` | \[doc\] |
//! | `expires_in` in whole seconds; sub-second test lifetimes round up to 1 | \[doc\] / simulator only |
//! | Client-credentials tokens have no scopes; `authorizedScope` is `[]` for them | \[doc\] / \[guess\] |
//! | `/users/me` with client credentials → 400 "requires a user context" | \[guess\] |
//! | `GET /api/v2/conversations` with client credentials → 200 with an empty list | \[seen\] (a third-party report) |
//! | 429 code `too.many.requests.retry.after` (since 2021), `Retry-After` in whole seconds, no `limit` object in the body | \[seen\] (developer forum) / \[doc\] |
//! | Scopes are checked only where the org turned "Enforce Scopes" on (off by default; [`Org::enforce_scopes`]) | \[doc\] (Genesys help) |
//! | Where enforced, a missing scope → 403 `not.authorized`; `X` satisfies `X:readonly` | \[guess\] |
//! | Scopes per operation: `notifications`; `users:readonly`/`user-basic-info`; `routing:readonly`; `presence:readonly`; `conversations:readonly` | \[guess\] |
//! | `DELETE …/subscriptions` answers 204 | \[guess\] |
//! | `muted` appears on call legs only (the SDK models of other media have none) | \[doc\] |
//! | Presence definition ids: `Available`'s is from a real capture, the others are the simulator's own | \[guess\] |
//! | `GET /api/v2/conversations` entries: the event body plus `startTime` and `selfUri` | \[guess\] |
//! | A revoked token gets 401 `bad.credentials` | \[guess\] |
//! | REST reads of another user's presence/routing need no permission beyond the scope | \[guess\] |
//!
//! ## Not simulated
//!
//! Separate `login.`/`api.`/`streaming.` hosts and regions (one loopback port serves all); the
//! general rate limit (inject 429s instead); topics other than the five user topics above;
//! `v2.system.no_longer_subscribed` / `v2.system.token_revoked` / `v2.subscription.updated`;
//! HIPAA idle expiry of tokens; PKCE, implicit and SAML2 grants; paging of list responses.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod agent;
mod auth;
mod config;
mod conversation;
mod error;
mod faults;
mod log;
mod net;
mod operation;
pub mod org;
mod people;
pub mod proxy;
mod rest;
pub mod scenario;
mod socket;
mod state;
mod subscriptions;
mod timestamp;
mod tls;
mod topic;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::agent::{Agent, Interaction, Offer};
pub use crate::config::{ConfigError, FileConfig};
pub use crate::conversation::Media;
pub use crate::error::{CORRELATION_HEADER, StartError};
pub use crate::faults::{Disconnect, Failure, Faults, Malformed};
pub use crate::log::{
    Direction, Entry, FrameKind, FrameRecord, Log, MAX_LOG_ENTRIES, REDACTED, RequestRecord,
    SocketEnd, SocketRecord,
};
pub use crate::operation::Operation;
pub use crate::org::{Grant, OAuthClient, Org, Role, User};
pub use crate::people::{DEFAULT_QUEUE_ID, Presence, RoutingStatus};
pub use crate::socket::{HEARTBEAT, PONG};
pub use crate::state::{MAX_CHANNELS_PER_OWNER, Timing};
pub use crate::topic::{MAX_COMBINED_TOPIC_LEN, MAX_TOPICS_PER_CHANNEL};

use crate::state::{Shared, State};

/// Sets up a simulator; see [`Sim::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SimBuilder {
    org: Option<Org>,
    timing: Timing,
    tls: bool,
    port: u16,
}

impl SimBuilder {
    /// Serves this org instead of [`Org::demo`].
    pub fn org(mut self, org: Org) -> Self {
        self.org = Some(org);
        self
    }

    /// Sets every interval at once.
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Time between heartbeats (default 30 s).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.timing.heartbeat_interval = interval;
        self
    }

    /// How long channels live without re-subscription (default 24 h).
    pub fn channel_lifetime(mut self, lifetime: Duration) -> Self {
        self.timing.channel_lifetime = lifetime;
        self
    }

    /// Time between `v2.system.socket_closing` and the close (default 60 s).
    pub fn socket_closing_lead(mut self, lead: Duration) -> Self {
        self.timing.socket_closing_lead = lead;
        self
    }

    /// Default lifetime of issued tokens (default 24 h; clients can set their own).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.timing.token_lifetime = lifetime;
        self
    }

    /// Sends every socket `v2.system.socket_closing` this long after it connects, then closes it
    /// after the lead (default: never), so long runs exercise socket rollover without a script.
    pub fn maintenance_after(mut self, age: Duration) -> Self {
        self.timing.maintenance_after = Some(age);
        self
    }

    /// Serves HTTPS/WSS with a certificate from a test CA made at start-up (see [`Sim::ca_pem`]).
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// Listens on this port of 127.0.0.1 (default 0: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds and starts serving. Must be called within a tokio runtime.
    pub async fn start(self) -> Result<Sim, StartError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
            .await
            .map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let ca = if self.tls { Some(tls::make()?) } else { None };
        let acceptor = ca
            .as_ref()
            .map(|ca| tokio_rustls::TlsAcceptor::from(Arc::clone(&ca.server_config)));
        let cancel = CancellationToken::new();
        let shared = Arc::new(Shared {
            timing: self.timing,
            addr,
            tls: self.tls,
            state: Mutex::new(State::new(self.org.unwrap_or_default())),
            log: Arc::default(),
            faults: faults::FaultStore::default(),
            cancel: cancel.clone(),
            changed: tokio::sync::Notify::new(),
        });
        let server = tokio::spawn(net::accept_loop(Arc::clone(&shared), listener, acceptor));
        Ok(Sim {
            shared,
            server: Some(server),
            ca: ca.map(|ca| (ca.ca_pem, ca.ca_der.to_vec())),
            cancel,
        })
    }
}

/// A running simulated Genesys Cloud. Stops on [`Sim::shutdown`] or when dropped.
pub struct Sim {
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
    ca: Option<(String, Vec<u8>)>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// What [`Sim::channels`] reports about one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The channel id (`streaming-0-…`).
    pub id: String,
    /// The OAuth client that created it.
    pub client_id: String,
    /// The user it belongs to (user-context tokens only).
    pub user_id: Option<String>,
    /// Its subscribed topics, combined topics expanded.
    pub topics: Vec<String>,
    /// Whether a socket is connected.
    pub connected: bool,
}

impl Sim {
    /// A builder with the demo org and Genesys' own intervals.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (`https://localhost:PORT` with TLS): the base of login, REST and
    /// streaming alike.
    pub fn base_url(&self) -> String {
        self.shared.base_url()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The intervals in force.
    pub fn timing(&self) -> Timing {
        self.shared.timing
    }

    /// The test CA certificate (PEM) to trust, with TLS on.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(|(pem, _)| pem.as_str())
    }

    /// The test CA certificate (DER) to trust, with TLS on.
    pub fn ca_der(&self) -> Option<&[u8]> {
        self.ca.as_ref().map(|(_, der)| der.as_slice())
    }

    /// A copy of the org being served.
    pub fn org(&self) -> Org {
        self.shared.lock().org.clone()
    }

    /// The scripted agent for a user of the org.
    ///
    /// # Panics
    /// If the org has no such user: that is a mistake in the test script, not a runtime condition.
    pub fn agent(&self, user_id: &str) -> Agent {
        assert!(
            self.shared.lock().org.find_user(user_id).is_some(),
            "genesys-sim: the org has no user {user_id}; add it with Org::user"
        );
        Agent {
            shared: Arc::clone(&self.shared),
            user_id: user_id.to_owned(),
        }
    }

    /// The fault injector.
    pub fn faults(&self) -> Faults {
        Faults {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The log of every request and frame.
    pub fn log(&self) -> Log {
        Log {
            store: Arc::clone(&self.shared.log),
        }
    }

    /// Issues an access token directly (no HTTP round trip), as the token endpoint would.
    /// `None` if the client does not exist.
    pub fn issue_token(&self, client_id: &str) -> Option<String> {
        let mut state = self.shared.lock();
        let client = state.org.find_client(client_id)?.clone();
        auth::issue(&mut state, &client, self.shared.timing.token_lifetime).map(|(token, _)| token)
    }

    /// Every access and refresh token the simulator has issued or accepts, for tests that
    /// must prove none of them leaked into a log.
    pub fn issued_secrets(&self) -> Vec<String> {
        let state = self.shared.lock();
        let mut secrets: Vec<String> = state.tokens.keys().cloned().collect();
        secrets.extend(state.refresh_tokens.keys().cloned());
        secrets
    }

    /// Makes a one-time authorization code for a code-grant client, as the login page would after
    /// the user signs in. `None` if there is no such client.
    pub fn authorization_code(&self, client_id: &str) -> Option<String> {
        let mut state = self.shared.lock();
        state.org.find_client(client_id)?;
        let code = auth::random_string(auth::CODE_LEN);
        state.auth_codes.insert(code.clone(), client_id.to_owned());
        Some(code)
    }

    /// Every live channel.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        let state = self.shared.lock();
        let mut channels: Vec<ChannelInfo> = state
            .channels
            .values()
            .map(|c| ChannelInfo {
                id: c.id.clone(),
                client_id: c.owner.client_id.clone(),
                user_id: c.owner.user_id.clone(),
                topics: c.topics.clone(),
                connected: c.socket.is_some(),
            })
            .collect();
        channels.sort_by(|a, b| a.id.cmp(&b.id));
        channels
    }

    /// How many sockets are connected right now.
    pub fn connected_sockets(&self) -> usize {
        self.shared
            .lock()
            .channels
            .values()
            .filter(|c| c.socket.is_some())
            .count()
    }

    /// Waits until some connected socket's channel is subscribed to `topic` (compared ignoring
    /// case): the moment a client can receive its events, since Genesys never replays them.
    /// `false` if `within` passes first; `within` is an upper bound, not a sleep.
    pub async fn wait_until_listening(&self, topic: &str, within: Duration) -> bool {
        self.shared
            .wait_until(within, |state| {
                state.channels.values().any(|c| {
                    c.socket.is_some() && c.topics.iter().any(|t| t.eq_ignore_ascii_case(topic))
                })
            })
            .await
    }

    /// Waits until at least `count` sockets are connected; `false` if `within` passes first.
    pub async fn wait_for_sockets(&self, count: usize, within: Duration) -> bool {
        self.shared
            .wait_until(within, |state| {
                state
                    .channels
                    .values()
                    .filter(|c| c.socket.is_some())
                    .count()
                    >= count
            })
            .await
    }

    /// Stops serving: sockets get close 1001, then the listener closes.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(server) = self.server.take() {
            // The accept loop only ends by cancellation; a join error would mean it panicked,
            // which has nothing left to clean up.
            let _ = server.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
