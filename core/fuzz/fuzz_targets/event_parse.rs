//! Frame parsing must never panic, and every accessor of a parsed event must work on it.
#![no_main]

use core::fmt::Write;

use genesys_notify_core::event::{self, Event};
use libfuzzer_sys::fuzz_target;

/// Discards what is written; `Display` impls must run to completion without panicking.
struct Sink;

impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let event = match event::parse(data) {
        Ok(event) => event,
        Err(e) => {
            let _ = write!(Sink, "{e}");
            return;
        }
    };
    let _ = (event.topic(), event.envelope(), event.fingerprint());
    match event {
        Event::Conversation(e) => {
            let _ = write!(Sink, "{} {:?}", e.user_id, e.user_id.as_plain());
            let _ = (e.body.id(), e.body.id_hash());
            for participant in e.body.participants() {
                let _ = (
                    participant.user_id(),
                    participant.purpose(),
                    participant.has_ended(),
                    participant.wrapup_required(),
                    participant.has_wrapup(),
                    participant.has_ended_after_call_work(),
                );
                for leg in participant.legs() {
                    let _ = (
                        leg.media(),
                        leg.state(),
                        leg.held(),
                        leg.disconnect_type(),
                        leg.is_disconnected(),
                        leg.after_call_work(),
                    );
                }
            }
        }
        Event::Presence(e) => {
            let _ = write!(Sink, "{}", e.user_id);
        }
        Event::Reply(r) => {
            let _ = r.is_success();
        }
        Event::ConversationSummary(e) => {
            let _ = e.body.is_idle();
        }
        _ => {}
    }
});
