//! # genesys-notify-core
//!
//! Everything this project knows about Genesys Cloud real-time notifications, as a pure state
//! machine: no I/O, no clock, no allocator, no `std`. The tokio library (`genesys-notify`), the
//! embassy driver (`genesys-notify-embassy`) and the ESP32 desk-light firmware all drive this one
//! crate, so a fix to the protocol is made once and holds everywhere.
//!
//! ```text
//!             ┌──────────────────────── genesys-notify-core ───────────────────────┐
//!  now ──────►│ session: token → channel → subscribe → connect → resync → live     │──► poll_transmit
//!  responses ►│   ├ request / frame   (what to send, encoded into your buffer)     │    (HTTP, socket)
//!  frames ───►│   ├ event → agent     (what arrived, reduced to an Activity)       │──► poll_event
//!  closes ───►│   ├ diagnosis / backoff (what went wrong, what to do, when)        │    (activity, health,
//!             │   └ region, topic, scope, light                                   │     diagnoses)
//!             └────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! # The modules
//!
//! | module | what it knows |
//! |---|---|
//! | [`session`] | the lifecycle: heartbeat watchdog, 24 h renewal, make-before-break rollover, resync, token refresh, what every failure does |
//! | [`event`] | every frame the socket delivers, typed and borrowed: heartbeat, pong, `socket_closing`, system notices, subscribe replies, conversation / presence / routing / activity / summary bodies |
//! | [`agent`] | the reducer from events and REST snapshots to the agent's [`Activity`](agent::Activity), with a `stale` flag |
//! | [`agent_state`] | the per-agent state message a gateway publishes and a light reads: versioned JSON, written and parsed without an allocator |
//! | [`request`] | every REST operation the project calls, as data encoded into a caller buffer, and its typed reply |
//! | [`frame`] | the socket frames the client sends (`subscribe`, `unsubscribe`, `ping`) |
//! | [`region`] | the 18 regions, their `api.`/`login.`/`streaming.` hosts, a local simulated cloud, the `connectUri` host check |
//! | [`topic`] | validated topic strings, builders, combined-topic packing, the 1 000-topic budget, received-topic classification |
//! | [`scope`] | granted scopes, which scope each operation needs, exactly what is missing |
//! | [`diagnosis`] | (step, status, body) → a sentence a person can act on, and one action |
//! | [`backoff`] | full-jitter exponential backoff honouring `Retry-After`, randomness injected |
//! | [`light`] | activity + health → colour, pattern and brightness over time, through a theme |
//! | [`json`] | the bounded, borrowing JSON reader and buffer writer under all of it |
//! | [`secret`] | a wrapper that never prints what it holds |
//! | [`time`] | the core's own [`Instant`] and [`Duration`], in milliseconds |
//!
//! # Facts, and the wrong advice this crate will not follow
//!
//! - There is no `wss://api.{domain}/api/v2/notification/events`: a channel is created with
//!   `POST /api/v2/notifications/channels` and the socket opened at the `connectUri` it returns.
//! - The socket takes **no token**, neither in its URL nor in a header: the channel id is the
//!   capability. The token goes only into `Authorization: Bearer` on REST calls — the core
//!   never even holds it; drivers add the header a [`request::Auth`] asks for.
//! - The Notification API's scope is `notifications`; there is no `notifications:subscribe`.
//!   Client-credentials tokens have no scopes at all: roles and permissions govern them.
//! - Subscriptions are topic strings (`v2.users.{id}.presence`); there are no `filters`, field
//!   projections or wildcards.
//! - Channels live 24 hours; the server sends a heartbeat about every 30 seconds; a client ping
//!   is an optional health check. Events are never replayed: after any gap, read the state by REST.
//!
//! Corrected by an outside audit of Genesys' public sources (2026-12) — the project's
//! \[doc\]/\[seen\] marks say how sure each is:
//! - Scopes are **enforced only where the organisation turned on "Enforce Scopes"** (off by
//!   default) \[doc\]: a missing scope is a warning until a call fails for it ([`scope`]).
//! - Grants: client credentials, authorization code (with PKCE), SAML2 bearer, password; the
//!   implicit grant takes no new clients since March 2026 and stops working by March 2027 \[doc\].
//!   Client-credentials roles reach only the **divisions** they are granted in \[doc\]; HIPAA
//!   organisations idle-expire tokens after 15 minutes without API use \[doc\], which a session
//!   meets as a 401 and answers with one new token. `GET /api/v2/tokens/me` is read with
//!   `preserveIdleTTL=true` so that asking about a token does not keep it alive \[doc\].
//! - A 429's `Retry-After` can be **minutes to hours** for daily limits \[doc\]: the session waits
//!   as told (up to a day) and says so when the wait is long ([`diagnosis::LONG_RETRY_AFTER`]).
//! - The 1 000-topic budget counts subscription entries; a combined topic very likely counts
//!   **once** \[doc/seen\]. Counting parts is this crate's conservative default
//!   ([`topic::BudgetRule`]).
//! - The user read's `expand` is best effort \[doc\]: when it lacks the presence or routing
//!   status, the session reads `/presences/purecloud` and `/routingstatus` directly.
//! - `v2.users.{id}.activity` carries the presence text as `presence.presenceMessage` \[doc\].
//! - Region names also appear with underscores (`eu_central_2`, as the `gc` CLI writes them) \[seen\].
//! - Genesys steers server-to-server integrations to EventBridge and calls the WebSocket
//!   "designed for responsive UI applications" \[doc\]. A desk light is exactly such a UI; a
//!   floor of lights is served by one gateway holding few channels rather than one channel per
//!   desk. For analytics or data pipelines, use EventBridge instead.
//!
//! # Memory
//!
//! Nothing allocates. Every capacity is a named constant with the reason for its size, e.g.
//! [`event::MAX_FRAME_LEN`], [`json::MAX_DEPTH`], [`agent::MAX_CONVERSATIONS`],
//! [`session::DUPLICATE_RING_CAPACITY`]. A [`session::Session`] for one agent is under 8 KiB
//! (a compile-time check holds it there) plus the caller's transmit buffer (2 KiB is enough for
//! one agent) and receive buffer (the largest frame you accept).
//!
//! # The driver loop
//!
//! A complete driver, with the I/O layer left abstract (`Io` stands for an HTTP client, a
//! WebSocket client, a token provider and a timer; the tokio and embassy adapters are this loop
//! over real ones):
//!
//! ```no_run
//! use genesys_notify_core::region::{Environment, Region};
//! use genesys_notify_core::session::{
//!     CloseInfo, Config, Inbound, RequestId, Session, SessionEvent, SocketId, TokenFailure,
//!     TokenKind, Transmit,
//! };
//! use genesys_notify_core::diagnosis::Transport;
//! use genesys_notify_core::request::Request;
//! use genesys_notify_core::{Duration, Instant};
//!
//! /// What the I/O layer observed; a real driver gets these from `select!` over its futures.
//! enum Happened {
//!     Token(Result<Duration, u16>),
//!     Response { id: RequestId, status: u16, retry_after: Option<Duration>, body: Vec<u8> },
//!     RequestFailed(RequestId, Transport),
//!     Open(SocketId),
//!     Frame(SocketId, Vec<u8>),
//!     FrameTooLarge(SocketId, usize),
//!     Closed(SocketId, CloseInfo),
//!     Timer,
//! }
//!
//! /// The I/O layer: starts operations and waits for the next thing that happens.
//! struct Io;
//! impl Io {
//!     fn now(&self) -> Instant { unimplemented!() }
//!     fn fetch_token(&mut self) { unimplemented!() }
//!     fn start_request(&mut self, _id: RequestId, _request: &Request<'_>) { unimplemented!() }
//!     fn connect(&mut self, _socket: SocketId, _uri: &str) { unimplemented!() }
//!     fn send(&mut self, _socket: SocketId, _text: &[u8]) { unimplemented!() }
//!     fn close(&mut self, _socket: SocketId) { unimplemented!() }
//!     fn wait(&mut self, _deadline: Option<Instant>) -> Happened { unimplemented!() }
//! }
//!
//! let config = Config::new(Environment::Cloud(Region::EuWest1), TokenKind::User)
//!     .random_seed(0x5eed); // per device: a hardware RNG, a MAC address
//! let mut session = Session::<1>::new(config, &["8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b"])
//!     .expect("a valid configuration");
//! let mut io = Io;
//! let mut buf = [0u8; 2048];
//!
//! loop {
//!     let now = io.now();
//!     // 1. Everything the session wants done now.
//!     while let Some(transmit) = session.poll_transmit(now, &mut buf) {
//!         match transmit {
//!             Transmit::FetchToken { .. } => io.fetch_token(),
//!             Transmit::Http { id, request } => io.start_request(id, &request),
//!             Transmit::Connect { socket, uri } => io.connect(socket, uri.as_str()),
//!             Transmit::Send { socket, text } => io.send(socket, text),
//!             Transmit::Close { socket } => io.close(socket),
//!             _ => {}
//!         }
//!     }
//!     // 2. Everything the application should know.
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             SessionEvent::AgentChanged { activity, stale, .. } => println!("{activity} (stale: {stale})"),
//!             SessionEvent::Health(health) => println!("health: {health:?}"),
//!             SessionEvent::Diagnosis(diagnosis) => eprintln!("{diagnosis}"),
//!             SessionEvent::Notice(notice) => eprintln!("{notice}"),
//!             SessionEvent::BufferTooSmall(e) => eprintln!("transmit buffer too small: {e}"),
//!             SessionEvent::Stopped(reason) => {
//!                 eprintln!("stopped: {reason}");
//!                 return;
//!             }
//!             _ => {}
//!         }
//!     }
//!     // 3. Sleep until the next deadline or the next thing the network does.
//!     let happened = io.wait(session.poll_timeout());
//!     let now = io.now();
//!     match happened {
//!         Happened::Token(Ok(expires_in)) => session.handle_token(now, expires_in),
//!         Happened::Token(Err(status)) => session.handle_token_failure(
//!             now,
//!             TokenFailure::Status { status, retry_after: None, body: b"" },
//!         ),
//!         Happened::Response { id, status, retry_after, body } => {
//!             session.handle_response(now, id, status, retry_after, &body)
//!         }
//!         Happened::RequestFailed(id, transport) => {
//!             session.handle_request_failed(now, id, transport)
//!         }
//!         Happened::Open(socket) => session.handle_socket_open(now, socket),
//!         Happened::Frame(socket, text) => {
//!             if let Inbound::Deliver(event) = session.handle_socket_frame(now, socket, &text) {
//!                 let _ = event; // hand raw events to a `watch` view or a gateway here
//!             }
//!         }
//!         Happened::FrameTooLarge(socket, len) => {
//!             session.handle_socket_frame_too_large(now, socket, len)
//!         }
//!         Happened::Closed(socket, close) => session.handle_socket_closed(now, socket, close),
//!         Happened::Timer => session.handle_timeout(now),
//!     }
//! }
//! ```
//!
//! # Features
//!
//! None by default. `defmt` derives `defmt::Format` for the types a firmware logs. Conversions
//! to and from `core::time::Duration` need no feature. Features are additive and never change
//! behaviour.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agent;
pub mod agent_state;
pub mod backoff;
pub mod diagnosis;
pub mod event;
pub mod frame;
pub mod json;
pub mod light;
pub mod region;
pub mod request;
pub mod scope;
pub mod secret;
pub mod session;
pub mod time;
pub mod topic;

#[cfg(test)]
mod test_vectors;

pub use json::BufferTooSmall;
pub use time::{Duration, Instant};
