//! # genesys-notify
//!
//! Genesys Cloud real-time notifications for tokio: what an agent is doing (ringing, on a call,
//! customer on hold, wrap-up, available, away…), live, with the connection kept healthy for you.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::StreamExt;
//! use genesys_notify::{ClientBuilder, Environment, Item, token};
//!
//! let environment = Environment::parse("mypurecloud.ie")?;
//! let mut notifications = ClientBuilder::new(environment)
//!     .token_provider(token::from_env()?) // GENESYS_CLIENT_ID + GENESYS_CLIENT_SECRET, or GENESYS_TOKEN
//!     .agent("8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b")
//!     .start()?;
//! while let Some(item) = notifications.next().await {
//!     match item {
//!         Item::Agent(a) => println!("{} is {}{}", a.user_id, a.activity, if a.stale { "?" } else { "" }),
//!         Item::Diagnosis(d) => eprintln!("{d}"),
//!         Item::Stopped(reason) => return Err(reason.to_string().into()),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # What it does for you
//!
//! Everything Genesys' own SDK handlers leave to the application: a token from the
//! [`TokenProvider`](token::TokenProvider) and its refresh before expiry (and once after a
//! 401); a channel, subscribed with every agent's topics packed into one combined topic; the
//! socket, opened with no token (the channel id is the capability); a REST resync after every
//! (re)connect, because events are never replayed; a heartbeat watchdog; a reconnect with
//! backoff, then `HEAD` on the channel and a new one if it is gone; a *make before break*
//! rollover at 23 hours or on `v2.system.socket_closing`, with duplicate events suppressed; and
//! for every failure a [`Diagnosis`](core::diagnosis::Diagnosis) that says, in words, what
//! happened and what to do (a 403 names the missing permission and never retries; a 429 waits
//! exactly `Retry-After`).
//!
//! None of those rules live in this crate. They are the core's (`genesys-notify-core`, a
//! `no_std` sans-IO state machine shared with the embedded driver and the ESP32 desk light).
//! This crate is its tokio driver: one task that runs the core session's loop —
//!
//! 1. after any input, drain `poll_transmit` and do what each transmit asks: fetch a token
//!    through the provider, perform a REST request with `reqwest` (adding the `Authorization`
//!    header the request names, the only place the token ever goes), connect, send on or close
//!    a socket with `tokio-tungstenite`;
//! 2. drain `poll_event` and forward each event as an [`Item`];
//! 3. wait for whichever comes first: a socket frame, a finished request or token fetch, the
//!    session's `poll_timeout`, or the consumer dropping the stream — and hand it to the
//!    matching `handle_*` input.
//!
//! # What you get
//!
//! A [`Notifications`] stream of [`Item`]s: [`Item::Event`] for every notification (typed by
//! the core where it knows the topic, raw JSON otherwise), [`Item::Agent`] when an agent's
//! activity or its `stale` flag changes, [`Item::Connection`] for the light's health, the
//! channel and socket notices, [`Item::Diagnosis`] for failures being handled, and
//! [`Item::Stopped`] as the last item when nothing more can be done without a person.
//!
//! Memory is bounded: frames above the core's limit are measured and dropped, every queue has
//! a named capacity, and a slow consumer makes the runner wait (which stops it reading the
//! socket, so TCP pushes back on the server) rather than buffer.
//!
//! # A floor of agents
//!
//! One channel holds 1 000 topics, so one session follows at most [`MAX_AGENTS`] agents. Give
//! the builder more ([`ClientBuilder::agents`]) and they are spread evenly over as many sessions
//! as needed, each on its own channel with every guarantee above, sharing one token (the token
//! endpoint is asked once, not once per channel) and one stream; [`AgentUpdate::shard`] and
//! [`ConnectionUpdate::shard`] say which session an item is about. The channels stay within a
//! budget ([`ClientBuilder::max_channels`], by default [`DEFAULT_MAX_CHANNELS`] of Genesys' 20
//! per OAuth client). [`Notifications::roster`] adds and removes agents while the client runs:
//! the channel's subscriptions are replaced and only the new agent is read.
//!
//! With the `gateway` feature, [`gateway::Gateway`] publishes every agent's state to an MQTT
//! broker (rumqttc), for desk lights that hold no Genesys secret.
//!
//! # Secrets
//!
//! Tokens and client secrets are [`SecretString`]s from the environment variable to the header:
//! their `Debug` and `Display` print `***`, and `tracing` output never contains them (a test
//! replays a session with trace logging on and searches the output for the token).
//!
//! # The `genesys-notify` command
//!
//! The command is its own crate, `genesys-notify-cli` (so this library pulls in no argument
//! parser, no log formatter and no simulator): `demo` (a simulated cloud in-process and the
//! light in the terminal), `watch`, `doctor` ("why do I get 403 on notifications?"), `topics`,
//! `replay` and `gateway` (with an embedded MQTT broker); see `genesys-notify --help`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod http;
mod item;
pub mod proxy;
mod runner;
mod socket;
pub mod tls;
pub mod token;

pub use client::{
    CLOSE_WAIT, ClientBuilder, DEFAULT_ITEM_CAPACITY, DEFAULT_MAX_CHANNELS, MAX_AGENTS,
    Notifications, Roster, RosterError, StartError,
};
pub use genesys_notify_core as core;
pub use genesys_notify_core::region::Environment;
pub use item::{AgentUpdate, ConnectionUpdate, Item, Notification};

use genesys_notify_core::session::AGENT_TOPICS;
use genesys_notify_core::topic::{TopicBuf, TopicError};

/// A string that must never be printed: an access token, a refresh token, a client secret.
///
/// Its `Debug` and `Display` print `***`; read it with `expose_secret()`, only where it leaves
/// the process (a request header or form body).
pub type SecretString = genesys_notify_core::secret::Secret<String>;

/// The topics the session subscribes to follow one agent ([`AGENT_TOPICS`]: conversations,
/// presence and routing status), spelled out one by one.
pub fn agent_topics(user_id: &str) -> Result<Vec<TopicBuf>, TopicError> {
    AGENT_TOPICS
        .iter()
        .map(|kind| TopicBuf::user(user_id, *kind))
        .collect()
}
