//! The agent reducer must never panic on any sequence of inputs, and must keep its promises:
//! `handle_event` reports exactly the observable changes, a resync lowers `stale`, and an idle
//! conversation summary leaves nothing tracked.
//!
//! The input is a sequence of records separated by 0x1E (the RFC 7464 record separator). A record
//! starting with `U`, `R`, `P` or `C` is the body of a user, routing, presence or conversations
//! snapshot after that letter; `S` marks the agents stale, `F` finishes a resync; anything else
//! is a socket frame. Every record goes to two agents: the real captures' `AGENT_USER_ID` and the
//! scenario seeds' `agent-1`.
#![no_main]

use genesys_notify_core::agent::{Activity, Agent};
use genesys_notify_core::event::{self, Event};
use libfuzzer_sys::fuzz_target;

fn apply(agent: &mut Agent, record: &[u8]) {
    let (tag, rest) = match record.split_first() {
        Some((tag, rest)) => (*tag, rest),
        None => return,
    };
    match tag {
        b'U' => {
            let _ = agent.apply_user_snapshot(rest);
        }
        b'R' => {
            let _ = agent.apply_routing_snapshot(rest);
        }
        b'P' => {
            let _ = agent.apply_presence_snapshot(rest);
        }
        b'C' => {
            let _ = agent.apply_conversations_snapshot(rest);
        }
        b'S' => {
            agent.mark_stale();
            assert!(agent.is_stale());
        }
        b'F' => {
            agent.finish_resync();
            assert!(!agent.is_stale());
        }
        _ => {
            let Ok(event) = event::parse(record) else {
                return;
            };
            let before = (agent.activity(), agent.is_stale());
            let changed = agent.handle_event(&event);
            assert_eq!(changed, before != (agent.activity(), agent.is_stale()));
            if let Event::ConversationSummary(e) = &event
                && e.body.is_idle()
                && e.user_id.eq_ignore_ascii_case(agent.user_id())
            {
                assert_eq!(agent.tracked_conversations(), 0);
            }
        }
    }
    assert!(Activity::ALL.contains(&agent.activity()));
}

fuzz_target!(|data: &[u8]| {
    let (Ok(mut captured), Ok(mut scenario)) = (Agent::new("AGENT_USER_ID"), Agent::new("agent-1"))
    else {
        return;
    };
    for record in data.split(|&b| b == 0x1e) {
        apply(&mut captured, record);
        apply(&mut scenario, record);
    }
});
