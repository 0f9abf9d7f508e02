//! The happy path and the channel's life: an agent's shift, reconnection, renewal, rollover.

use std::time::Duration;

use genesys_notify::Item;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::light::Health;
use genesys_notify::core::region::Environment;
use genesys_sim::org::DEMO_AGENT_ID;
use genesys_sim::{Disconnect, Media, Operation, Presence, SocketEnd};

use crate::support::{HEARTBEAT, Watch, client, client_without_agent, sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_light_follows_a_call_from_ringing_to_wrap_up() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    agent.go_on_queue();
    watch.activity(Activity::OnQueue).await;
    let call = agent.ring();
    watch.activity(Activity::Alerting).await;
    call.answer();
    watch.activity(Activity::OnCall).await;
    call.hold();
    watch.activity(Activity::Held).await;
    call.resume();
    watch.activity(Activity::OnCall).await;
    call.hang_up();
    watch.activity(Activity::WrapUp).await;
    call.wrap_up("Resolved");
    watch.activity(Activity::OnQueue).await;
    let chat = agent.offer(Media::Chat);
    chat.answer();
    watch.activity(Activity::Interacting).await;
    assert!(sim.log().token_leaks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_typed_with_their_topic() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    agent.set_presence(Presence::Busy);
    let notification = presence_event(&mut watch).await;
    let topic = format!("v2.users.{DEMO_AGENT_ID}.presence");
    assert_eq!(notification.topic(), Some(topic.as_str()));
    assert!(notification.event().is_ok());
    assert!(notification.to_json().is_ok());
    watch.activity(Activity::Busy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_for_a_topic_alone_delivers_its_events_and_tracks_no_agent() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let topic = format!("v2.users.{DEMO_AGENT_ID}.presence");
    let environment = Environment::parse(&sim.base_url()).expect("the simulator's base URL");
    let mut watch = Watch::start(client_without_agent(environment).topic(&topic));
    watch.live().await;
    agent.set_presence(Presence::Busy);
    let notification = presence_event(&mut watch).await;
    assert_eq!(notification.topic(), Some(topic.as_str()));
    assert!(
        !watch.seen.iter().any(|item| matches!(item, Item::Agent(_))),
        "no agent was asked for"
    );
    assert!(sim.log().requests_for(Operation::GetUser).is_empty());
}

/// Waits for the next presence event.
async fn presence_event(watch: &mut Watch) -> genesys_notify::Notification {
    let item = watch
        .until(
            "a presence event",
            |item| matches!(item, Item::Event(n) if n.kind() == "presence"),
        )
        .await;
    let Item::Event(notification) = item else {
        unreachable!("until returns what it matched")
    };
    notification
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_reconnects_and_rereads_what_was_missed() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    let channel = watch.live().await;
    watch.activity(Activity::Available).await;
    let user_reads = sim.log().requests_for(Operation::GetUser).len();

    assert_eq!(sim.faults().drop_all_sockets(Disconnect::Reset), 1);
    // Published while no socket is connected: only the resync can tell the client.
    agent.set_presence(Presence::Meeting);

    watch
        .until(
            "a reconnection",
            |item| matches!(item, Item::Connection(c) if c.reconnects >= 1),
        )
        .await;
    watch.activity(Activity::Meeting).await;
    assert_eq!(watch.live().await, channel, "the channel survived the drop");
    assert!(sim.log().requests_for(Operation::GetUser).len() > user_reads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_close_with_going_away_is_survived_the_same_way() {
    let sim = sim().start().await.expect("the simulator starts");
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    assert_eq!(sim.faults().drop_all_sockets(Disconnect::GoingAway), 1);
    watch
        .until(
            "a reconnection",
            |item| matches!(item, Item::Connection(c) if c.reconnects >= 1 && c.live),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_channel_is_found_gone_and_replaced() {
    let sim = sim().start().await.expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(client(&sim));
    let channel = watch.live().await;
    assert!(sim.faults().expire_channel(&channel));
    let replacement = watch.live_on_another_channel(&channel).await;
    assert_ne!(replacement, channel);
    assert!(
        !sim.log().requests_for(Operation::HeadChannel).is_empty(),
        "the client asked whether the channel still exists before replacing it"
    );
    agent.set_presence(Presence::Break);
    watch.activity(Activity::Break).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_is_renewed_before_it_expires() {
    let sim = sim()
        .channel_lifetime(Duration::from_secs(4))
        .start()
        .await
        .expect("the simulator starts");
    let mut watch = Watch::start(client(&sim).configure(|config| {
        config
            .renew_after(Duration::from_millis(1500).into())
            .rollover_overlap(Duration::from_millis(200).into())
    }));
    let channel = watch.live().await;
    let renewed = watch.live_on_another_channel(&channel).await;
    assert_ne!(renewed, channel);
    assert!(
        !went_stale_after_going_live(&watch.seen),
        "a renewal never shows stale"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_closing_rolls_over_without_losing_or_repeating_an_event() {
    let sim = sim()
        .socket_closing_lead(Duration::from_millis(600))
        .start()
        .await
        .expect("the simulator starts");
    let agent = sim.agent(DEMO_AGENT_ID);
    let mut watch = Watch::start(
        client(&sim).configure(|config| config.rollover_overlap(Duration::from_millis(300).into())),
    );
    let channel = watch.live().await;
    watch.activity(Activity::Available).await;

    // Publish a steady stream of presence changes across the whole rollover.
    let publisher = {
        let agent = agent.clone();
        tokio::spawn(async move {
            let presences = [Presence::Busy, Presence::Available];
            for i in 0..60 {
                agent.set_presence(presences[i % 2]);
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sim.faults().socket_closing(&channel));
    publisher.await.expect("the publisher finishes");
    watch.collect_for(HEARTBEAT * 10).await;

    let presence_events = watch
        .seen
        .iter()
        .filter(|item| matches!(item, Item::Event(n) if n.kind() == "presence"))
        .count();
    assert_eq!(
        presence_events, 60,
        "every presence change arrives exactly once"
    );
    let switched = watch
        .seen
        .iter()
        .any(|item| matches!(item, Item::Connection(c) if c.live && c.channel_id != channel));
    assert!(switched, "the client moved to a new channel");
    assert!(
        !went_stale_after_going_live(&watch.seen),
        "a planned rollover never shows stale"
    );
}

/// Whether the connection was ever reported stale after it first went live.
fn went_stale_after_going_live(seen: &[Item]) -> bool {
    seen.iter()
        .skip_while(|item| !matches!(item, Item::Connection(c) if c.health == Health::Live))
        .any(|item| {
            matches!(item, Item::Connection(c) if c.health == Health::Stale)
                || matches!(item, Item::Agent(a) if a.stale)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sockets_dropping_during_a_rollover_still_reconnects() {
    let sim = sim()
        .socket_closing_lead(Duration::from_secs(2))
        .start()
        .await
        .expect("the simulator starts");
    let mut watch = Watch::start(
        client(&sim).configure(|config| config.rollover_overlap(Duration::from_millis(500).into())),
    );
    let channel = watch.live().await;
    assert!(sim.faults().socket_closing(&channel));
    let replacement = watch.live_on_another_channel(&channel).await;
    // The old socket is still open (overlap): the network drops both at once.
    assert_eq!(sim.faults().drop_all_sockets(Disconnect::Reset), 2);
    watch
        .until("a live connection after the double drop", |item| {
            matches!(item, Item::Connection(c) if c.health == Health::Live && c.live
                && (c.reconnects >= 1 || c.channel_id != replacement))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_sends_a_close_frame_and_waits_for_the_socket_to_end() {
    let sim = sim().start().await.expect("the simulator starts");
    let mut watch = Watch::start(client(&sim));
    watch.live().await;
    watch.stream.close().await;
    // The simulator logs the socket's end when it sees it; give its task a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let ends = loop {
        let ends: Vec<SocketEnd> = sim
            .log()
            .sockets()
            .into_iter()
            .filter_map(|s| s.end)
            .collect();
        if !ends.is_empty() || std::time::Instant::now() > deadline {
            break ends;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        matches!(ends.as_slice(), [SocketEnd::ClosedByClient(_)]),
        "the server saw a close frame, not a dropped connection: {ends:?}"
    );
}
