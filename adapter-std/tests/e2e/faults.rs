//! What Genesys answers on a bad day, and what the client does about it.

use std::time::{Duration, Instant};

use genesys_notify::Item;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::diagnosis::Action;
use genesys_notify::core::light::Health;
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID};
use genesys_sim::{Failure, Malformed, Operation, Presence};

use crate::support::{HEARTBEAT, SILENCE_TOLERANCE, Watch, client, sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_fetches_a_new_token_once_and_carries_on() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults()
        .fail_next(Operation::CreateChannel, 1, Failure::Unauthorized);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    assert_eq!(sim.log().requests_for(Operation::Token).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reply_that_is_not_a_token_is_diagnosed_and_retried() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults()
        .fail_next(Operation::Token, 1, Failure::NotGenesys);
    let mut watch = Watch::start(client(&sim));
    let item = watch
        .until("a diagnosis", |item| matches!(item, Item::Diagnosis(_)))
        .await;
    let Item::Diagnosis(diagnosis) = item else {
        unreachable!("until returns what it matched")
    };
    assert_eq!(
        diagnosis.problem(),
        genesys_notify::core::diagnosis::Problem::UnreadableReply
    );
    assert_eq!(diagnosis.action(), Action::Backoff);
    watch.live().await;
    assert_eq!(sim.log().requests_for(Operation::Token).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_are_replaced_without_a_gap_in_the_light() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    assert!(sim.faults().revoke_client_tokens(DEMO_CLIENT_ID) >= 1);
    // The next REST call (the resync after a reconnect) meets the revoked token.
    sim.faults()
        .drop_all_sockets(genesys_sim::Disconnect::Reset);
    agent.set_presence(Presence::Training);
    watch.activity(Activity::Training).await;
    assert!(sim.log().requests_for(Operation::Token).len() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_stops_with_a_diagnosis_and_ends_the_stream() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults()
        .fail_next(Operation::CreateChannel, 1, Failure::Forbidden);
    let mut watch = Watch::start(client(&sim));
    let stop = watch
        .until("the stop", |item| matches!(item, Item::Stopped(_)))
        .await;
    let Item::Stopped(reason) = stop else {
        unreachable!("until returns what it matched")
    };
    let diagnosis = reason.diagnosis().expect("a refusal carries its diagnosis");
    assert_eq!(diagnosis.action(), Action::Stop);
    assert_eq!(diagnosis.status(), Some(403));
    assert!(
        watch
            .seen
            .iter()
            .any(|i| matches!(i, Item::Connection(c) if c.health == Health::Forbidden)),
        "the light says forbidden"
    );
    assert!(watch.collect_for(HEARTBEAT).await.is_empty());
    assert!(futures::StreamExt::next(&mut watch.stream).await.is_none());
    assert_eq!(
        sim.log().requests_for(Operation::CreateChannel).len(),
        1,
        "never retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_waits_exactly_the_retry_after() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults().fail_next(
        Operation::CreateChannel,
        1,
        Failure::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    let mut watch = Watch::start(client(&sim));
    let diagnosis = watch
        .until("the rate-limit diagnosis", |item| {
            matches!(item, Item::Diagnosis(d) if matches!(d.action(), Action::RetryAfter(_)))
        })
        .await;
    let Item::Diagnosis(diagnosis) = diagnosis else {
        unreachable!("until returns what it matched")
    };
    assert_eq!(
        diagnosis.action(),
        Action::RetryAfter(genesys_notify::core::Duration::from_secs(1))
    );
    watch.live().await;
    let creations = sim.log().requests_for(Operation::CreateChannel);
    assert_eq!(creations.len(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_and_recover() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults()
        .fail_next(Operation::CreateChannel, 2, Failure::InternalServerError);
    sim.faults()
        .fail_next(Operation::GetUser, 1, Failure::ServiceUnavailable);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    let backoffs = watch
        .seen
        .iter()
        .filter(|i| matches!(i, Item::Diagnosis(d) if d.action() == Action::Backoff))
        .count();
    assert!(backoffs >= 2, "each failure is reported: {backoffs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_on_the_channel_makes_a_new_one() {
    let sim = sim().start().await.expect("the simulator starts");
    sim.faults()
        .fail_next(Operation::ReplaceSubscriptions, 1, Failure::NotFound);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    assert_eq!(sim.log().requests_for(Operation::CreateChannel).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_heartbeats_are_checked_with_a_ping_not_a_reconnect() {
    let sim = sim().start().await.expect("the simulator starts");
    let mut watch = Watch::start(client(&sim));
    let channel = watch.live().await;
    assert!(sim.faults().stop_heartbeats(&channel));
    watch.collect_for(SILENCE_TOLERANCE * 2).await;
    let pings = sim
        .log()
        .frames_received()
        .iter()
        .filter(|f| f.text.contains("ping"))
        .count();
    assert!(pings >= 1, "the client pinged the silent socket");
    assert_eq!(sim.connected_sockets(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_oversized_frames_are_dropped_and_the_state_reread() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    let channel = watch.live().await;
    assert!(sim.faults().send_malformed(&channel, Malformed::NotJson));
    assert!(sim.faults().send_oversized(&channel, 200 * 1024));
    agent.set_presence(Presence::Meal);
    watch.activity(Activity::Meal).await;
    assert_eq!(sim.connected_sockets(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_split_across_segments_are_reassembled() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    let channel = watch.live().await;
    // 64-byte segments 2 ms apart: a conversation event arrives in some fifty pieces.
    assert!(sim.faults().split_frames(&channel, 64));
    let call = agent.ring();
    watch.activity(Activity::Alerting).await;
    call.answer();
    watch.activity(Activity::OnCall).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_events_is_delivered_in_order_with_bounded_memory() {
    const FLOOD: usize = 5_000;
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim).item_capacity(16));
    watch.live().await;
    let before = resident_kib();
    let presences = [Presence::Busy, Presence::Available];
    for i in 0..FLOOD {
        agent.set_presence(presences[i % 2]);
    }
    // Nobody reads for a while: the runner must wait, not buffer the flood.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut received = 0;
    while received < FLOOD {
        let item = watch
            .until(
                "the flood",
                |item| matches!(item, Item::Event(n) if n.kind() == "presence"),
            )
            .await;
        drop(item);
        received += 1;
        watch.seen.clear();
    }
    let grown = resident_kib().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "resident memory grew by {grown} KiB during a flood of {FLOOD} events"
    );
}

/// This process's resident memory, from `/proc/self/statm` (0 where that does not exist).
fn resident_kib() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_refreshed_before_it_expires_without_a_401() {
    let sim = sim()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    watch.collect_for(Duration::from_millis(2500)).await;
    assert!(
        sim.log().requests_for(Operation::Token).len() >= 2,
        "a new token was fetched before the first expired"
    );
    // REST still works with the new token: a resync after a drop reads the agent.
    sim.faults()
        .drop_all_sockets(genesys_sim::Disconnect::Reset);
    agent.set_presence(Presence::Busy);
    watch.activity(Activity::Busy).await;
    let rest_calls = sim
        .log()
        .requests()
        .iter()
        .filter(|r| r.operation != Operation::Token)
        .count();
    assert!(rest_calls > 0);
    assert!(
        !watch
            .seen
            .iter()
            .any(|i| matches!(i, Item::Diagnosis(d) if d.status() == Some(401))),
        "no call was refused for an expired token"
    );
}
