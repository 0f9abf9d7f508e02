//! Adding and removing agents on a running session, in virtual time.
//!
//! The floor changes while a gateway runs; these scenarios check that the channel's
//! subscription list follows, that only the new agent is read (after its subscription has
//! answered), and that the other agents never turn stale for it.

mod support;

use genesys_notify_core::Duration;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::Health;
use genesys_notify_core::request::Operation;
use genesys_notify_core::session::{CloseInfo, MemberError};
use support::{AGENT, Cloud, Did, OTHER_AGENT, config, presence_frame, user_snapshot};

const THIRD_AGENT: &str = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn live_cloud<const N: usize>(agents: &[&str]) -> Cloud<N> {
    let mut cloud = Cloud::new(config(), agents);
    cloud.run_for(secs(1));
    assert_eq!(cloud.health(), Health::Live);
    cloud
}

/// The body of every `PUT …/subscriptions`, in order.
fn subscription_bodies<const N: usize>(cloud: &Cloud<N>) -> Vec<String> {
    cloud
        .requests_of(Operation::PutSubscriptions)
        .into_iter()
        .filter_map(|(_, d)| match d {
            Did::Http { body, .. } => Some(body),
            _ => None,
        })
        .collect()
}

/// The user ids read with `GET /users/{id}`, in order.
fn user_reads<const N: usize>(cloud: &Cloud<N>) -> Vec<String> {
    cloud
        .requests_of(Operation::GetUser)
        .into_iter()
        .filter_map(|(_, d)| match d {
            Did::Http { path, .. } => path
                .strip_prefix("/api/v2/users/")
                .and_then(|p| p.split('?').next())
                .map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// Whether the `PUT` (or the whole set of topics) subscribes `user`.
fn subscribes(body: &str, user: &str) -> bool {
    body.contains(&format!("v2.users.{user}?"))
}

#[test]
fn an_agent_added_to_a_live_session_is_subscribed_then_read_alone() {
    let mut cloud = live_cloud::<4>(&[AGENT]);
    let reads_before = user_reads(&cloud);
    cloud.users.insert(
        OTHER_AGENT.into(),
        user_snapshot(OTHER_AGENT, "Busy", "OFF_QUEUE"),
    );

    let now = cloud.now;
    let healths_before = cloud.healths().len();
    assert_eq!(cloud.session.add_agent(now, OTHER_AGENT), Ok(1));
    cloud.pump();
    assert_eq!(
        cloud.healths().len(),
        healths_before,
        "the session stayed live for the others: {:?}",
        cloud.healths()
    );

    let bodies = subscription_bodies(&cloud);
    assert_eq!(bodies.len(), 2, "one PUT at start, one for the new agent");
    assert!(subscribes(&bodies[1], AGENT) && subscribes(&bodies[1], OTHER_AGENT));
    // Only the new agent is read, and only after its PUT: the first agent is left alone.
    let reads = user_reads(&cloud);
    assert_eq!(&reads[..reads_before.len()], &reads_before[..]);
    assert_eq!(&reads[reads_before.len()..], &[OTHER_AGENT.to_string()]);
    let put_at = cloud.did.iter().rposition(|(_, d)| {
        matches!(
            d,
            Did::Http {
                operation: Operation::PutSubscriptions,
                ..
            }
        )
    });
    let read_at = cloud.did.iter().rposition(|(_, d)| {
        matches!(
            d,
            Did::Http {
                operation: Operation::GetUser,
                ..
            }
        )
    });
    assert!(
        put_at < read_at,
        "the new agent is read after its subscription"
    );

    let added = cloud.session.agent(1).expect("the new agent");
    assert_eq!(added.activity(), Activity::Busy);
    assert!(!added.is_stale());
    assert!(
        !cloud.stale_reports(0)[1..].contains(&true),
        "the first agent never turned stale: {:?}",
        cloud.stale_reports(0)
    );
    assert_eq!(cloud.health(), Health::Live);

    // Its events are applied to it from now on.
    cloud.publish(&presence_frame(OTHER_AGENT, "Away", "c-1"));
    assert_eq!(
        cloud.session.agent(1).map(|a| a.activity()),
        Some(Activity::Away)
    );
}

#[test]
fn a_removed_agent_leaves_the_subscriptions_and_the_later_agents_move_down() {
    let mut cloud = live_cloud::<4>(&[AGENT, OTHER_AGENT, THIRD_AGENT]);
    let now = cloud.now;
    assert_eq!(cloud.session.remove_agent(now, OTHER_AGENT), Some(1));
    assert_eq!(cloud.session.remove_agent(now, OTHER_AGENT), None);
    cloud.pump();

    let bodies = subscription_bodies(&cloud);
    let last = bodies.last().expect("a PUT");
    assert!(subscribes(last, AGENT) && subscribes(last, THIRD_AGENT));
    assert!(!subscribes(last, OTHER_AGENT));
    assert_eq!(cloud.session.agent_count(), 2);
    assert_eq!(
        cloud.session.agent(1).map(|a| a.user_id()),
        Some(THIRD_AGENT)
    );
    assert_eq!(cloud.session.agent_index(THIRD_AGENT), Some(1));
    // Nobody was re-read for a removal.
    assert_eq!(user_reads(&cloud).len(), 3);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn removing_an_agent_whose_read_is_running_forgets_the_read_and_keeps_the_others() {
    let mut cloud = Cloud::<4>::new(config(), &[AGENT, OTHER_AGENT, THIRD_AGENT]);
    // Hold the start before the reads answer: run the steps up to the socket opening by hand.
    for _ in 0..200 {
        if cloud.count(Operation::GetUser) > 0 {
            break;
        }
        cloud.pump();
        let next = cloud.session.poll_timeout();
        if let Some(next) = next {
            cloud.now = cloud.now.max(next);
            cloud.session.handle_timeout(cloud.now);
        }
    }
    let now = cloud.now;
    cloud.session.remove_agent(now, AGENT);
    cloud.run_for(secs(1));
    assert_eq!(cloud.session.agent_count(), 2);
    for index in 0..2 {
        let agent = cloud.session.agent(index).expect("an agent");
        assert!(!agent.is_stale(), "{} was read", agent.user_id());
    }
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn an_agent_added_while_reconnecting_is_subscribed_when_the_socket_opens() {
    let mut cloud = live_cloud::<4>(&[AGENT]);
    cloud.users.insert(
        OTHER_AGENT.into(),
        user_snapshot(OTHER_AGENT, "Available", "IDLE"),
    );
    cloud.network_up = false;
    cloud.server_closes(None, CloseInfo::Peer { code: Some(1001) });
    cloud.run_for(secs(1));
    let puts_before = subscription_bodies(&cloud).len();

    let now = cloud.now;
    assert_eq!(cloud.session.add_agent(now, OTHER_AGENT), Ok(1));
    cloud.pump();
    assert_eq!(
        subscription_bodies(&cloud).len(),
        puts_before,
        "no PUT while the socket is down"
    );

    cloud.network_up = true;
    cloud.run_for(secs(120));
    let bodies = subscription_bodies(&cloud);
    assert!(bodies.len() > puts_before);
    assert!(subscribes(bodies.last().expect("a PUT"), OTHER_AGENT));
    assert_eq!(cloud.health(), Health::Live);
    let added = cloud.session.agent(1).expect("the new agent");
    assert_eq!(added.activity(), Activity::OnQueue);
    assert!(!added.is_stale());
}

#[test]
fn adding_checks_the_id_the_capacity_and_the_topic_budget() {
    let mut cloud = live_cloud::<2>(&[AGENT]);
    let now = cloud.now;
    assert_eq!(
        cloud.session.add_agent(now, &AGENT.to_uppercase()),
        Err(MemberError::AlreadyFollowed)
    );
    assert_eq!(
        cloud.session.add_agent(now, "not a/user id"),
        Err(MemberError::InvalidAgentId)
    );
    assert_eq!(cloud.session.add_agent(now, OTHER_AGENT), Ok(1));
    assert_eq!(
        cloud.session.add_agent(now, THIRD_AGENT),
        Err(MemberError::Full { capacity: 2 })
    );
    assert!(
        MemberError::Full { capacity: 2 }
            .to_string()
            .contains("another session")
    );

    // 333 agents spend 999 of a channel's 1 000 topics: a 334th does not fit.
    let ids: Vec<String> = (0..333)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut full = Cloud::<400>::new(config(), &refs);
    let now = full.now;
    assert_eq!(
        full.session.add_agent(now, OTHER_AGENT),
        Err(MemberError::TooManyTopics)
    );
}
