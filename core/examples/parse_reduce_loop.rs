//! Parses and reduces one real conversation payload N times — or, with `serde_json`, only
//! parses it into a `serde_json::Value` N times. `bench/core-instructions.sh` runs both under
//! callgrind and prints the instructions per frame: a count that load on the machine cannot
//! skew, unlike wall-clock time.
//!
//! Usage: `parse_reduce_loop core|serde_json N`

use genesys_notify_core::agent::Agent;
use genesys_notify_core::event;
use std::hint::black_box;
use std::process::ExitCode;

const FRAME: &[u8] = include_bytes!(
    "../../testdata/genesys/event_v2_users_conversations_callback_acw__maamoon95-e2e.json"
);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(which), Some(Ok(n))) = (args.next(), args.next().map(|n| n.parse::<u64>())) else {
        eprintln!("usage: parse_reduce_loop core|serde_json N");
        return ExitCode::from(2);
    };
    let Ok(mut agent) = Agent::new("AGENT_USER_ID") else {
        return ExitCode::FAILURE;
    };
    for _ in 0..n {
        match which.as_str() {
            "core" => {
                if let Ok(event) = event::parse(black_box(FRAME)) {
                    agent.handle_event(&event);
                }
                black_box(agent.activity());
            }
            _ => {
                let value: Result<serde_json::Value, _> = serde_json::from_slice(black_box(FRAME));
                black_box(value.is_ok());
            }
        }
    }
    ExitCode::SUCCESS
}
