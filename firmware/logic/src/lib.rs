//! # desk-light-logic
//!
//! Everything the desk-light firmware decides, without the hardware: the settings and their
//! flash format, the console's line protocol, the LED frames, what the light says about its own
//! health, SNTP and the floor under the clock, and when to retry Wi-Fi.
//!
//! Why a separate crate: no board is attached to CI, and the firmware's behaviour must still be
//! tested. The firmware (`desk-light`) is left with wiring only — peripherals, tasks and
//! channels — while every rule lives here, in `no_std` code that runs unchanged on the ESP32 and
//! under `cargo test` on the development machine.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod button;
pub mod config;
pub mod console;
pub mod indicator;
pub mod network;
pub mod render;
pub mod sntp;
pub mod store;
pub mod time_floor;
