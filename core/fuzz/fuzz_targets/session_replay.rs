//! The session must never panic, and never run away, on any sequence of inputs.
//!
//! The input is a script of session inputs (clock steps, tokens, responses, socket opens,
//! frames, closes, healthy-cloud answers), decoded by the same `replay` module the scenario
//! tests use (`core/tests/support/replay.rs`, format in its docs). The module checks, after
//! every input, that `poll_transmit` and `poll_event` run dry, and that a stopped session asks
//! for nothing and has no deadline.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/replay.rs"]
mod replay;

fuzz_target!(|data: &[u8]| {
    let _ = replay::run(data);
});
