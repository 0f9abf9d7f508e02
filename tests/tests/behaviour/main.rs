//! The simulator's own behaviour, proved with a plain HTTP/WebSocket client.
//! One test binary (modules by concern) keeps link time down.

mod agent;
mod channels;
mod faults;
mod login;
mod program;
mod streaming;
mod subscriptions;
mod support;
mod tls;
