//! A floor of agents: more than one channel holds, followed by one client.

use std::collections::HashMap;
use std::time::Duration;

use genesys_notify::core::agent::Activity;
use genesys_notify::{Item, MAX_AGENTS, RosterError};
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_COLLEAGUE_ID};
use genesys_sim::{Operation, Org, Presence, Sim, User};

use crate::support::{PATIENCE, Watch, client_without_agent, sim};

/// `count` made-up agents' user ids (UUID-shaped, as Genesys' are).
fn floor(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect()
}

/// The demo org plus `agents` as users with the Agent role.
async fn floor_sim(agents: &[String]) -> Sim {
    let mut org = Org::demo();
    for (i, id) in agents.iter().enumerate() {
        org = org.user(User::new(id.clone(), format!("Agent {i}")).role("Agent"));
    }
    sim().org(org).start().await.expect("the simulator starts")
}

/// Reads items until every agent in `ids` has a trusted (not stale) state; returns each agent's
/// session number.
async fn until_all_trusted(watch: &mut Watch, ids: &[String]) -> HashMap<String, usize> {
    let mut trusted: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + PATIENCE * 4;
    while trusted.len() < ids.len() {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let items = watch
            .collect_for(remaining.min(Duration::from_millis(500)))
            .await;
        for item in items {
            if let Item::Agent(a) = item {
                if a.stale {
                    trusted.remove(&a.user_id);
                } else {
                    trusted.insert(a.user_id, a.shard);
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {} agents trusted in time",
            trusted.len(),
            ids.len()
        );
    }
    trusted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_agents_are_spread_over_channels_sharing_one_token() {
    let mut ids = floor(1_000);
    let sim = floor_sim(&ids).await;
    ids.push(DEMO_AGENT_ID.to_owned());
    let mut watch = Watch::start(client_without_agent(sim_environment(&sim)).agents(ids.clone()));

    let shards = until_all_trusted(&mut watch, &ids).await;
    let sessions = ids.len().div_ceil(MAX_AGENTS);
    assert_eq!(sessions, 4);
    let channels = sim.channels();
    assert_eq!(
        channels.len(),
        sessions,
        "one channel per {MAX_AGENTS} agents"
    );
    assert!(channels.iter().all(|c| c.connected));
    for channel in &channels {
        assert!(
            channel.topics.len() <= 1_000,
            "{} topics on one channel",
            channel.topics.len()
        );
    }
    // Every agent's topics are on exactly one channel.
    let subscribed: usize = channels.iter().map(|c| c.topics.len()).sum();
    assert_eq!(subscribed, ids.len() * 3);
    let mut per_shard = HashMap::new();
    for shard in shards.values() {
        *per_shard.entry(*shard).or_insert(0usize) += 1;
    }
    assert_eq!(per_shard.len(), sessions, "{per_shard:?}");
    assert!(per_shard.values().all(|&n| n <= MAX_AGENTS));
    // One token for all the channels: the token endpoint was asked once.
    let token_requests = sim.log().requests_for(Operation::Token).len();
    assert_eq!(token_requests, 1, "one token shared by {sessions} sessions");

    // An agent on the last channel changes: only that agent's update follows.
    let last = ids[ids.len() - 2].clone();
    sim.agent(&last).set_presence(Presence::Busy);
    watch
        .until("the last channel's agent busy", |item| {
            matches!(item, Item::Agent(a) if a.user_id == last && a.activity == Activity::Busy && !a.stale)
        })
        .await;
    watch.stream.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_join_and_leave_a_running_client_without_disturbing_the_others() {
    let sim = sim().start().await.expect("the simulator starts");
    let mut watch = Watch::start(
        client_without_agent(sim_environment(&sim))
            .agent(DEMO_AGENT_ID)
            .max_channels(2),
    );
    watch.live().await;
    watch
        .until(
            "the agent's trusted state",
            |item| matches!(item, Item::Agent(a) if a.user_id == DEMO_AGENT_ID && !a.stale),
        )
        .await;
    let roster = watch.stream.roster();
    assert_eq!(roster.len(), 1);
    let before = watch.seen.len();

    roster
        .add(DEMO_COLLEAGUE_ID)
        .await
        .expect("the colleague is added");
    assert_eq!(
        roster.add(&DEMO_COLLEAGUE_ID.to_uppercase()).await,
        Err(RosterError::AlreadyFollowed)
    );
    assert!(matches!(
        roster.add("not a user id/").await,
        Err(RosterError::Refused(_))
    ));
    watch
        .until(
            "the colleague's trusted state",
            |item| matches!(item, Item::Agent(a) if a.user_id == DEMO_COLLEAGUE_ID && !a.stale),
        )
        .await;
    let channels = sim.channels();
    assert_eq!(
        channels.len(),
        1,
        "the colleague joined the running channel"
    );
    assert!(
        channels[0]
            .topics
            .iter()
            .any(|t| t.contains(DEMO_COLLEAGUE_ID))
    );
    // The agent who was there all along never turned stale for it.
    assert!(
        !watch.seen[before..]
            .iter()
            .any(|i| matches!(i, Item::Agent(a) if a.user_id == DEMO_AGENT_ID && a.stale)),
        "{:#?}",
        &watch.seen[before..]
    );
    sim.agent(DEMO_COLLEAGUE_ID).set_presence(Presence::Away);
    watch
        .until("the colleague away", |item| {
            matches!(item, Item::Agent(a) if a.user_id == DEMO_COLLEAGUE_ID && a.activity == Activity::Away)
        })
        .await;

    assert!(roster.remove(DEMO_COLLEAGUE_ID).await);
    assert!(!roster.remove(DEMO_COLLEAGUE_ID).await);
    assert_eq!(roster.len(), 1);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sim.channels()[0]
        .topics
        .iter()
        .any(|t| t.contains(DEMO_COLLEAGUE_ID))
    {
        assert!(tokio::time::Instant::now() < deadline, "still subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watch.stream.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_floor_beyond_the_channel_budget_is_refused_with_a_sentence() {
    let sim = sim().start().await.expect("the simulator starts");
    let error = client_without_agent(sim_environment(&sim))
        .agents(floor(MAX_AGENTS * 2 + 1))
        .max_channels(4)
        .start()
        .expect_err("three sessions need six channels");
    let text = error.to_string();
    assert!(text.contains("667 agents need 6 channels"), "{text}");
    assert!(text.contains("budget of 4"), "{text}");
    sim.shutdown().await;
}

fn sim_environment(sim: &Sim) -> genesys_notify::Environment {
    genesys_notify::Environment::parse(&sim.base_url()).expect("the simulator's base URL")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_added_to_full_channels_gets_a_new_one_within_the_budget() {
    let ids = floor(MAX_AGENTS);
    let sim = floor_sim(&ids).await;
    let mut watch = Watch::start(
        client_without_agent(sim_environment(&sim))
            .agents(ids.clone())
            .max_channels(4),
    );
    until_all_trusted(&mut watch, &ids).await;
    let roster = watch.stream.roster();
    assert_eq!(roster.sessions(), 1);

    roster.add(DEMO_AGENT_ID).await.expect("a second session");
    assert_eq!(roster.sessions(), 2);
    until_all_trusted(&mut watch, &[DEMO_AGENT_ID.to_owned()]).await;
    assert_eq!(sim.channels().len(), 2);
    // Two sessions may hold four channels during rollovers: the budget of 4 is spent.
    assert_eq!(
        roster.add(DEMO_COLLEAGUE_ID).await,
        Ok(()),
        "the second session has room"
    );
    watch.stream.close().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_extra_topics_than_one_session_carries_are_spread_over_channels() {
    let ids = floor(9);
    let sim = floor_sim(&ids).await;
    let topics: Vec<String> = ids
        .iter()
        .map(|id| format!("v2.users.{id}.presence"))
        .collect();
    let mut builder = client_without_agent(sim_environment(&sim)).agent(DEMO_AGENT_ID);
    for topic in &topics {
        builder = builder.topic(topic);
    }
    let mut watch = Watch::start(builder);
    watch.live().await;
    // Four extra topics a session: nine need three.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sim.channels().iter().filter(|c| c.connected).count() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:#?}",
            sim.channels()
        );
        watch.collect_for(Duration::from_millis(50)).await;
    }
    let channels = sim.channels();
    assert_eq!(channels.len(), 3);
    for topic in &topics {
        let holders = channels.iter().filter(|c| c.topics.contains(topic)).count();
        assert_eq!(holders, 1, "{topic} on exactly one channel");
    }
    // Each topic's events arrive, whichever channel carries it.
    for id in [&ids[0], &ids[8]] {
        let topic = format!("v2.users.{id}.presence");
        sim.agent(id).set_presence(Presence::Busy);
        watch
            .until(
                &format!("an event on {topic}"),
                |item| matches!(item, Item::Event(e) if e.topic() == Some(topic.as_str())),
            )
            .await;
    }
    watch.stream.close().await;
    sim.shutdown().await;
}
