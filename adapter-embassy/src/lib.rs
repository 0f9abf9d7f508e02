//! # genesys-notify-embassy
//!
//! The Genesys Cloud notification session of `genesys-notify-core`, driven on a microcontroller:
//! DNS and TCP through embassy-net, TLS 1.3 through embedded-tls with the server's certificate
//! chain always verified (by rustls-webpki, without an allocator: see [`tls`]), HTTP/1.1 for the
//! REST calls and a WebSocket client for the notification socket. No heap (unless the `rsa`
//! feature is on, see [`tls`]), every buffer the caller's.
//!
//! The [`Runner`] is the whole driver: one loop that hands network happenings to the core's
//! session and carries out what it asks. A [`Client`] gives the application (the desk light's
//! LED task) the agent's activity and the connection's health.
//!
//! Every layer is written against `embedded-io-async`, so the host tests run this very code
//! over tokio sockets against the simulated cloud.
//!
//! With the `mqtt` feature, `mqtt::Runner` is the other source a light can have: instead of
//! being its own Genesys client, it listens to a fleet gateway's per-agent state messages on an
//! MQTT broker (rust-mqtt, MQTT 5, TLS verified as above), on the same [`Buffers`] and into the
//! same [`ClientState`]. Its rules (what to show when the broker or the gateway is gone, when
//! to ping and reconnect) are in `mqtt::listener`, without I/O.
//!
//! # On a device
//!
//! ```no_run
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use genesys_notify_core::region::{Environment, Region};
//! use genesys_notify_core::secret::Secret;
//! use genesys_notify_embassy::rand_core::{CryptoRng, RngCore};
//! use genesys_notify_embassy::{
//!     Buffers, ClientState, Credentials, EmbassyNetwork, Exit, Resources, Runner, Settings,
//!     TrustAnchors, UnixTime, WallClock,
//! };
//!
//! /// The wall clock, from SNTP; `None` until the first answer (no TLS is tried before).
//! struct Sntp;
//! impl WallClock for Sntp {
//!     fn now(&self) -> Option<UnixTime> {
//!         None
//!     }
//! }
//!
//! /// The task that keeps the light's session going (the network stack runs in another task).
//! async fn session(
//!     stack: embassy_net::Stack<'static>,
//!     rng: impl RngCore + CryptoRng,
//!     roots: &'static [&'static [u8]],
//!     state: &'static ClientState<NoopRawMutex>,
//!     // In a `static` (66.5 KiB); `Buffers<{ 8 * 1024 }>` where RAM is short (58.5 KiB).
//!     buffers: &'static mut Buffers,
//! ) {
//!     let settings = Settings {
//!         environment: Environment::Cloud(Region::EuWest1),
//!         credentials: Credentials::ClientCredentials {
//!             client_id: "oauth-client-id",
//!             client_secret: Secret::new("from flash, never logged"),
//!         },
//!         trust: TrustAnchors::new(roots).expect("the built-in roots parse"),
//!         agent: "0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10",
//!     };
//!     let resources = Resources {
//!         network: EmbassyNetwork::new(stack),
//!         clock: Sntp,
//!         rng,
//!         client: state,
//!         buffers,
//!     };
//!     // The seed: per device, its MAC address, say.
//!     let mut runner = Runner::new(settings, resources, |config| config.random_seed(0x5eed))
//!     .expect("a valid configuration");
//!     match runner.run().await {
//!         // The light already shows AuthFailed/Forbidden; the reason says what to change.
//!         Exit::Stopped(reason) => { let _ = reason; }
//!         Exit::Shutdown => {}
//!     }
//! }
//!
//! /// The LED task: what to show, whenever it changes.
//! async fn led(state: &'static ClientState<NoopRawMutex>) {
//!     let client = state.client();
//!     loop {
//!         let status = client.changed().await;
//!         let _ = (status.activity, status.health); // → genesys_notify_core::light
//!     }
//! }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
mod fmt;
pub mod http;
#[cfg(feature = "mqtt")]
pub mod mqtt;
pub mod net;
mod pool;
pub mod runner;
pub mod tls;
pub mod ws;

pub use client::{Client, ClientState, Command, Status};
pub use net::{EmbassyNetwork, Network};
pub use runner::{Buffers, Credentials, Exit, Resources, Runner, Settings, WallClock};
pub use tls::{TrustAnchors, UnixTime};

/// The RNG traits the runner takes (the version embedded-tls uses).
pub use rand_core;
