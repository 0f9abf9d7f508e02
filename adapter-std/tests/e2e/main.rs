//! The whole client against `genesys-sim` over real loopback sockets.
//!
//! Each test starts its own simulated cloud on an ephemeral port of 127.0.0.1, runs the real
//! client (reqwest, tokio-tungstenite, the core's session) against it, makes something happen
//! (the scripted agent takes a call, a fault is injected) and reads what the client's stream
//! says. Intervals are shortened (heartbeats every 200 ms) so that an hour of bad luck takes
//! seconds; every wait is bounded, so a regression fails instead of hanging.

mod faults;
mod fleet;
mod lifecycle;
mod secrets;
mod stall;
mod support;
mod tls;
