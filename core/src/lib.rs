//! # genesys-notify-core
//!
//! Everything this project knows about Genesys Cloud real-time notifications, as a pure state
//! machine: no I/O, no clock, no allocator, no `std`. The tokio library, the embassy driver and
//! the ESP32 desk-light firmware all drive this one crate.
//!
//! The driver loop and the session's contract are documented on [`session`] once it lands;
//! each module's own docs say why it is shaped the way it is.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agent;
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
