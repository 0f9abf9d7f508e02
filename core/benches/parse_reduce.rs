//! Parsing and reducing each real conversation payload, against a std baseline in the same run.
//!
//! For every captured `v2.users.{id}.conversations` frame in `testdata/genesys/`, two functions
//! are measured side by side:
//!
//! - `core`: `event::parse` (validate the whole frame, classify its topic, type its body) and
//!   `Agent::handle_event` (fold every participant and leg into the agent's activity) — all the
//!   work the desk light does per frame, with no allocation;
//! - `serde_json_value`: `serde_json::from_slice::<serde_json::Value>` of the same bytes — only
//!   parsing into a heap tree, none of the reducing.
//!
//! `bench/core-ratio.sh` runs this and prints `core / baseline` per payload from criterion's
//! estimates. The target is a ratio of at most 1.0.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_notify_core::agent::Agent;
use genesys_notify_core::event;
use std::hint::black_box;

/// The captures and the agent each one is about (the publisher redacted the id to this string).
const PAYLOADS: &[(&str, &[u8])] = &[
    (
        "callback_acw",
        include_bytes!(
            "../../testdata/genesys/event_v2_users_conversations_callback_acw__maamoon95-e2e.json"
        ),
    ),
    (
        "callback_disconnect",
        include_bytes!(
            "../../testdata/genesys/event_v2_users_conversations_callback_disconnect__maamoon95-e2e.json"
        ),
    ),
];
const AGENT: &str = "AGENT_USER_ID";

fn parse_and_reduce(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_reduce");
    for &(name, bytes) in PAYLOADS {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("core", name), bytes, |b, bytes| {
            let mut agent = Agent::new(AGENT).expect("a valid agent id");
            b.iter(|| {
                let event = event::parse(black_box(bytes)).expect("a real payload parses");
                agent.handle_event(&event);
                black_box(agent.activity())
            })
        });
        group.bench_with_input(
            BenchmarkId::new("serde_json_value", name),
            bytes,
            |b, bytes| {
                b.iter(|| {
                    let value: serde_json::Value =
                        serde_json::from_slice(black_box(bytes)).expect("a real payload parses");
                    black_box(value)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, parse_and_reduce);
criterion_main!(benches);
