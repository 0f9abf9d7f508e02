//! # genesys-notify-embassy
//!
//! The Genesys Cloud notification session of `genesys-notify-core`, driven on a microcontroller.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod http;
pub mod tls;
pub mod ws;
