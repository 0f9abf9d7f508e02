//! # genesys-notify-embassy
//!
//! The Genesys Cloud notification session of `genesys-notify-core`, driven on a microcontroller:
//! DNS and TCP through embassy-net, TLS 1.3 through embedded-tls with the server's certificate
//! always verified, HTTP/1.1 for the REST calls and a WebSocket client for the notification
//! socket. No heap (unless the `rsa` feature is on, see [`tls`]), every buffer the caller's.
//!
//! The [`Runner`] is the whole driver: one loop that hands network happenings to the core's
//! session and carries out what it asks. A [`Client`] gives the application (the desk light's
//! LED task) the agent's activity and the connection's health.
//!
//! Every layer is written against `embedded-io-async`, so the host tests run this very code
//! over tokio sockets against the simulated cloud.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod http;
pub mod net;
pub mod runner;
pub mod tls;
pub mod ws;

pub use client::{Client, ClientState, Command, Status};
pub use net::{EmbassyNetwork, Network};
pub use runner::{Buffers, Credentials, Exit, Runner, WallClock};
pub use tls::{TrustAnchors, UnixTime};
