//! A gateway's state message, as a light reads it off the broker: parsing must never panic, and
//! whatever parses must write back into the documented buffer and read back the same.
#![no_main]

use core::fmt::Write;

use genesys_notify_core::agent_state::{AgentState, MAX_MESSAGE_LEN};
use libfuzzer_sys::fuzz_target;

/// Discards what is written; `Display` impls must run to completion without panicking.
struct Sink;

impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    match AgentState::parse(data) {
        Ok(state) => {
            let mut buf = [0u8; MAX_MESSAGE_LEN];
            let len = state.encode(&mut buf).expect("every state fits MAX_MESSAGE_LEN");
            assert_eq!(AgentState::parse(&buf[..len]), Ok(state));
            let _ = state.is_certain();
        }
        Err(e) => {
            let _ = write!(Sink, "{e}");
        }
    }
});
