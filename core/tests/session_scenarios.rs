//! The session's lifecycle, scenario by scenario, in virtual time.
//!
//! Each test drives a real [`Session`] through the harness in `support/`: a fake driver that
//! answers like a healthy Genesys Cloud unless a scenario scripts otherwise, and a clock that
//! jumps to the next deadline. A day of channel life takes milliseconds.

mod support;

use genesys_notify_core::agent::Activity;
use genesys_notify_core::backoff::Backoff;
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::light::Health;
use genesys_notify_core::region::{Environment, Region};
use genesys_notify_core::request::{Method, Operation};
use genesys_notify_core::session::{
    CloseInfo, Config, ConfigError, RequestId, Session, SessionEvent, SocketId, TokenFailure,
    TokenKind, TokenReason, Transmit, read_token_reply,
};
use genesys_notify_core::{Duration, Instant};
use support::{
    AGENT, Answer, Cloud, Did, OTHER_AGENT, SOCKET_CLOSING, config, presence_frame, user_snapshot,
};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn at(s: u64) -> Instant {
    Instant::from_secs(s)
}

/// What kind of thing the session asked for, for comparing sequences.
fn kind(did: &Did) -> String {
    match did {
        Did::FetchToken(reason) => format!("token({reason:?})"),
        Did::Http { operation, .. } => format!("{operation:?}"),
        Did::Connect { .. } => "connect".into(),
        Did::Send { text, .. } => format!("send {text}"),
        Did::Close { .. } => "close".into(),
    }
}

fn kinds_since<const N: usize>(cloud: &Cloud<N>, from: Instant) -> Vec<String> {
    cloud
        .did
        .iter()
        .filter(|(t, _)| *t >= from)
        .map(|(_, d)| kind(d))
        .collect()
}

fn live_cloud() -> Cloud<1> {
    let mut cloud = Cloud::new(config(), &[AGENT]);
    cloud.run_for(secs(1));
    assert_eq!(cloud.health(), Health::Live);
    cloud
}

#[test]
fn startup_goes_live_and_resyncs() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.run_for(secs(1));

    assert_eq!(
        kinds_since(&cloud, Instant::ZERO),
        [
            "token(Initial)",
            "CreateChannel",
            "PutSubscriptions",
            "connect",
            "GetUser",
            "GetConversations"
        ]
    );
    let Did::Http {
        method, path, body, ..
    } = &cloud.requests_of(Operation::PutSubscriptions)[0].1
    else {
        unreachable!()
    };
    assert_eq!(*method, Method::Put);
    assert_eq!(
        path,
        "/api/v2/notifications/channels/streaming-0-channel1/subscriptions?ignoreErrors=true"
    );
    assert_eq!(
        body,
        &format!(r#"[{{"id":"v2.users.{AGENT}?conversations&presence&routingStatus"}}]"#)
    );
    assert_eq!(
        cloud.connects()[0].1,
        "wss://streaming.mypurecloud.com/channels/streaming-0-channel1"
    );
    let Did::Http { path, .. } = &cloud.requests_of(Operation::GetUser)[0].1 else {
        unreachable!()
    };
    assert_eq!(
        path,
        &format!("/api/v2/users/{AGENT}?expand=presence,routingStatus,conversationSummary")
    );

    assert_eq!(cloud.healths(), [Health::Connecting, Health::Live]);
    let agent = cloud.session.agent(0).expect("one agent");
    assert_eq!(agent.activity(), Activity::Available);
    assert!(!agent.is_stale());
    let info = cloud.session.connection();
    assert!(info.live);
    assert_eq!(info.channel_id.as_str(), "streaming-0-channel1");
    assert_eq!(info.expires, Some(Instant::ZERO + Duration::from_hours(24)));
    assert_eq!(info.reconnects, 0);
}

#[test]
fn a_user_read_without_its_best_effort_expansions_is_completed_by_the_direct_reads() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    // `expand` is best effort: this user read carries neither presence nor routing status.
    cloud.answer(
        Operation::GetUser,
        [Answer::status(
            200,
            &format!(r#"{{"id":"{AGENT}","name":"Agent"}}"#),
        )],
    );
    cloud.answer(
        Operation::GetRoutingStatus,
        [Answer::status(
            200,
            &format!(r#"{{"userId":"{AGENT}","status":"IDLE"}}"#),
        )],
    );
    cloud.answer(
        Operation::GetPresence,
        [Answer::status(
            200,
            &format!(
                r#"{{"userId":"{AGENT}","source":"PURECLOUD","presenceDefinition":{{"systemPresence":"On Queue"}}}}"#
            ),
        )],
    );
    cloud.run_for(secs(1));
    let paths: Vec<String> = [Operation::GetRoutingStatus, Operation::GetPresence]
        .into_iter()
        .flat_map(|op| cloud.requests_of(op))
        .filter_map(|(_, did)| match did {
            Did::Http { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(
        paths,
        [
            format!("/api/v2/users/{AGENT}/routingstatus"),
            format!("/api/v2/users/{AGENT}/presences/purecloud"),
        ]
    );
    let agent = cloud.session.agent(0).expect("one agent");
    assert_eq!(agent.activity(), Activity::OnQueue);
    assert!(!agent.is_stale());
    assert_eq!(cloud.health(), Health::Live);

    // A complete user read needs nothing more.
    let cloud = live_cloud();
    assert_eq!(cloud.count(Operation::GetRoutingStatus), 0);
    assert_eq!(cloud.count(Operation::GetPresence), 0);
}

#[test]
fn heartbeat_silence_pings_then_reconnects() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    assert_eq!(cloud.session.connection().last_heartbeat, Some(at(60)));
    let first_uri = cloud.connects()[0].1.clone();

    cloud.silent = true;
    cloud.run_until(at(60 + 74));
    assert!(
        !kinds_since(&cloud, at(61))
            .iter()
            .any(|k| k.starts_with("send")),
        "no ping before 2.5 heartbeat intervals of silence"
    );
    cloud.run_until(at(60 + 75));
    assert_eq!(kinds_since(&cloud, at(61)), [r#"send {"message":"ping"}"#]);
    assert_eq!(
        cloud.health(),
        Health::Live,
        "a ping alone is not a failure"
    );

    cloud.run_until(at(60 + 84));
    assert_eq!(kinds_since(&cloud, at(136)), Vec::<String>::new());
    cloud.run_until(at(60 + 75 + 10 + 1));
    cloud.silent = false;
    cloud.run_until(at(200));
    assert_eq!(
        kinds_since(&cloud, at(145)),
        ["close", "connect", "GetUser", "GetConversations"],
        "no pong within 10 s: close and reconnect"
    );
    assert_eq!(cloud.connects()[1].1, first_uri, "the same channel");
    assert_eq!(cloud.stale_reports(0), [true, false, true, false]);
    assert_eq!(cloud.session.stats().reconnects, 1);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_silence_tolerance_shorter_than_the_heartbeat_pings_between_heartbeats_and_stays_live() {
    // `watch --heartbeat-timeout 3` against a server that heartbeats every 30 s: the user asked
    // for a ping after 3 s of silence, and a pong is enough to stay on the same socket.
    let mut cloud = Cloud::<1>::new(config().heartbeat_timeout(secs(3)), &[AGENT]);
    cloud.run_for(secs(1));
    assert_eq!(cloud.health(), Health::Live);
    cloud.run_until(at(30));
    let pings = kinds_since(&cloud, at(2))
        .iter()
        .filter(|k| k.contains("ping"))
        .count();
    assert!(pings >= 5, "a ping every 3 s of silence, saw {pings}");
    assert_eq!(
        cloud.connects().len(),
        1,
        "every ping was answered: no reconnect"
    );
    assert_eq!(cloud.health(), Health::Live);

    cloud.silent = true;
    cloud.run_until(at(30 + 3 + 10 + 1));
    cloud.silent = false;
    cloud.run_until(at(60));
    assert_eq!(cloud.connects().len(), 2, "no pong: reconnected");
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn reconnect_failure_heads_the_channel_and_recreates_it_on_404() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    cloud.channels.clear(); // the channel expired or was evicted on the server
    cloud.server_closes(None, CloseInfo::Peer { code: Some(1001) });
    cloud.run_until(at(120));

    assert_eq!(
        kinds_since(&cloud, at(60)),
        [
            "connect",
            "ChannelExists",
            "CreateChannel",
            "PutSubscriptions",
            "connect",
            "GetUser",
            "GetConversations"
        ]
    );
    let connects = cloud.connects();
    assert!(connects[1].1.ends_with("/streaming-0-channel1"));
    assert!(connects[2].1.ends_with("/streaming-0-channel2"));
    assert_eq!(cloud.health(), Health::Live);
    assert_eq!(cloud.session.stats().reconnects, 1);
    assert_eq!(
        cloud.session.connection().channel_id.as_str(),
        "streaming-0-channel2"
    );
}

#[test]
fn channel_renewed_before_24_h_without_a_gap() {
    let mut cloud = live_cloud();
    cloud.run_until(Instant::ZERO + Duration::from_hours(23) + secs(60));

    let creates = cloud.requests_of(Operation::CreateChannel);
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[1].0, Instant::ZERO + Duration::from_hours(23));
    let switch = creates[1].0;
    let since = kinds_since(&cloud, switch);
    let connect = since
        .iter()
        .position(|k| k == "connect")
        .expect("a connect");
    let close = since.iter().position(|k| k == "close").expect("a close");
    assert!(connect < close, "make before break: {since:?}");
    let close_time = cloud
        .did
        .iter()
        .find(|(t, d)| *t >= switch && matches!(d, Did::Close { .. }))
        .map(|(t, _)| *t);
    assert_eq!(
        close_time,
        Some(switch + secs(5)),
        "the old socket drains for 5 s"
    );
    assert_eq!(
        cloud.count(Operation::GetUser),
        2,
        "resynced after the switch"
    );

    assert!(!cloud.healths().contains(&Health::Stale));
    assert_eq!(
        cloud.stale_reports(0),
        [true, false],
        "never stale after going live"
    );
    assert_eq!(cloud.session.stats().rollovers, 1);
    assert_eq!(cloud.session.stats().reconnects, 0);
    assert_eq!(
        cloud.session.connection().expires,
        Some(switch + Duration::from_hours(24))
    );
}

#[test]
fn socket_closing_rolls_over_with_no_event_lost_or_duplicated() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    cloud.publish(&presence_frame(AGENT, "Busy", "e1"));

    // The first attempt at a new channel fails, so the old socket carries events alone a while.
    cloud.answer(Operation::CreateChannel, [Answer::status(503, "")]);
    cloud.send_to_all(SOCKET_CLOSING);
    cloud.pump();
    let old = cloud.open_sockets();
    assert_eq!(old.len(), 1);
    cloud.publish(&presence_frame(AGENT, "Away", "e2"));
    cloud.run_for(secs(2));
    assert_eq!(
        cloud.open_sockets().len(),
        2,
        "the replacement is connected"
    );

    // Both sockets carry the next events, in either order.
    cloud.publish(&presence_frame(AGENT, "Meal", "e3"));
    let new = *cloud
        .open_sockets()
        .iter()
        .find(|s| !old.contains(s))
        .expect("a new socket");
    let e4 = presence_frame(AGENT, "Training", "e4");
    cloud.frame(new, e4.as_bytes());
    cloud.frame(old[0], e4.as_bytes());
    cloud.pump();
    cloud.run_for(secs(10));
    assert_eq!(
        cloud.open_sockets(),
        [new],
        "the old socket is closed after the overlap"
    );
    cloud.publish(&presence_frame(AGENT, "Available", "e5"));

    let presences: Vec<&str> = cloud
        .delivered
        .iter()
        .filter(|(_, text)| text.contains(".presence"))
        .map(|(_, text)| {
            let at = text.find("CorrelationId").expect("a correlation id");
            &text[at + 16..at + 18]
        })
        .collect();
    assert_eq!(presences, ["e1", "e2", "e3", "e4", "e5"]);
    assert_eq!(cloud.suppressed, 2);
    assert_eq!(cloud.session.stats().duplicates, 2);
    assert_eq!(
        cloud.session.agent(0).map(|a| a.activity()),
        Some(Activity::Available)
    );
    assert!(!cloud.healths().contains(&Health::Stale));
    assert_eq!(cloud.session.stats().rollovers, 1);
}

#[test]
fn both_sockets_dropping_during_a_rollover_overlap_still_reconnects() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    let old = cloud.open_sockets();
    cloud.send_to_all(SOCKET_CLOSING);
    cloud.pump();
    cloud.run_for(secs(2));
    let new = *cloud
        .open_sockets()
        .iter()
        .find(|s| !old.contains(s))
        .expect("the replacement is connected");

    // The network drops both during the overlap, the new (primary) socket first.
    let reset = CloseInfo::Transport(Transport::Closed);
    cloud.server_closes(Some(new), reset);
    cloud.server_closes(Some(old[0]), reset);
    assert!(cloud.open_sockets().is_empty());
    assert!(
        cloud.session.poll_timeout().is_some(),
        "something is scheduled"
    );

    cloud.run_for(Duration::from_mins(5));
    assert_eq!(cloud.open_sockets().len(), 1, "a socket is open again");
    assert_eq!(cloud.health(), Health::Live);
    assert!(
        cloud.healths().contains(&Health::Stale),
        "the gap was shown"
    );
}

#[test]
fn a_401_refreshes_once_then_stops() {
    let unauthorized =
        r#"{"message":"Invalid login credentials.","code":"bad.credentials","status":401}"#;
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.answer(
        Operation::CreateChannel,
        [
            Answer::status(401, unauthorized),
            Answer::status(401, unauthorized),
        ],
    );
    cloud.run_for(Duration::from_hours(1));

    assert_eq!(
        cloud.token_fetches(),
        [TokenReason::Initial, TokenReason::Rejected]
    );
    assert_eq!(cloud.count(Operation::CreateChannel), 2);
    assert_eq!(cloud.health(), Health::AuthFailed);
    assert!(cloud.stopped().is_some());
    assert_eq!(cloud.session.poll_timeout(), None);
    let last: Vec<&SessionEvent> = cloud.events.iter().rev().take(2).map(|(_, e)| e).collect();
    assert!(
        matches!(
            last.as_slice(),
            [
                SessionEvent::Stopped(_),
                SessionEvent::Health(Health::AuthFailed)
            ]
        ),
        "the health comes just before the stop, which is last: {last:?}"
    );
}

#[test]
fn a_single_401_refreshes_the_token_and_retries_the_call() {
    let unauthorized = r#"{"message":"expired","code":"credentials.expired","status":401}"#;
    let mut cloud = live_cloud();
    cloud.answer(Operation::GetUser, [Answer::status(401, unauthorized)]);
    cloud.server_closes(None, CloseInfo::Transport(Transport::Closed));
    cloud.run_for(secs(10));

    assert_eq!(
        cloud.token_fetches(),
        [TokenReason::Initial, TokenReason::Rejected]
    );
    assert_eq!(cloud.count(Operation::GetUser), 3);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_403_stops_with_the_missing_permissions() {
    let rejected = format!(
        r#"{{"entities":[{{"id":"v2.users.{AGENT}?conversations&presence&routingStatus","state":"Rejected","rejectionReason":"Missing permissions","missingPermissions":["conversation:communication:view"]}}]}}"#
    );
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.answer(
        Operation::PutSubscriptions,
        [Answer::status(200, &rejected)],
    );
    cloud.run_for(Duration::from_hours(1));

    let stopped = cloud.stopped().expect("stopped");
    assert!(
        stopped.contains("conversation:communication:view"),
        "{stopped}"
    );
    assert_eq!(cloud.health(), Health::Forbidden);
    assert_eq!(cloud.connects().len(), 0);

    let forbidden = r#"{"message":"Missing permission notifications:channel:add","code":"missing.permissions","status":403,"messageParams":{"permissions":"notifications:channel:add"}}"#;
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.answer(Operation::CreateChannel, [Answer::status(403, forbidden)]);
    cloud.run_for(Duration::from_hours(1));
    let stopped = cloud.stopped().expect("stopped");
    assert!(stopped.contains("notifications:channel:add"), "{stopped}");
    assert_eq!(cloud.count(Operation::CreateChannel), 1, "no retry storm");
    assert_eq!(cloud.health(), Health::Forbidden);
}

#[test]
fn rejected_extra_topics_are_named_but_do_not_stop() {
    let queue = "v2.routing.queues.6b6a2f0e-0000-4000-8000-000000000001.conversations";
    let permitted = format!(
        r#"{{"entities":[{{"id":"v2.users.{AGENT}.presence","state":"Permitted"}},{{"id":"{queue}","state":"Rejected","missingPermissions":["routing:queue:view"]}}]}}"#
    );
    let config = config().extra_topic(queue).expect("a valid topic");
    let mut cloud = Cloud::<1>::new(config, &[AGENT]);
    cloud.answer(
        Operation::PutSubscriptions,
        [Answer::status(200, &permitted)],
    );
    cloud.run_for(secs(1));
    assert!(cloud.stopped().is_none());
    assert!(
        cloud
            .diagnoses()
            .iter()
            .any(|d| d.contains("routing:queue:view"))
    );
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_session_for_topics_alone_subscribes_to_them_and_reads_no_agent() {
    let queue = "v2.routing.queues.6b6a2f0e-0000-4000-8000-000000000001.conversations";
    let config = config().extra_topic(queue).expect("a valid topic");
    let mut cloud = Cloud::<1>::new(config, &[]);
    cloud.run_for(secs(1));
    assert_eq!(cloud.health(), Health::Live);
    let subscriptions: Vec<String> = cloud
        .did
        .iter()
        .filter_map(|(_, did)| match did {
            Did::Http {
                operation: Operation::PutSubscriptions,
                body,
                ..
            } => Some(body.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(subscriptions.len(), 1);
    assert!(subscriptions[0].contains(queue), "{}", subscriptions[0]);
    assert!(
        !subscriptions[0].contains("v2.users."),
        "{}",
        subscriptions[0]
    );
    assert_eq!(cloud.count(Operation::GetUser), 0, "no agent to re-read");
    cloud.send_to_all(support::HEARTBEAT);
    cloud.run_for(secs(1));
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_session_for_topics_alone_stops_when_every_topic_is_refused() {
    let queue = "v2.routing.queues.6b6a2f0e-0000-4000-8000-000000000001.conversations";
    let refused = format!(
        r#"{{"entities":[{{"id":"{queue}","state":"Rejected","missingPermissions":["routing:queue:view"]}}]}}"#
    );
    let config = config().extra_topic(queue).expect("a valid topic");
    let mut cloud = Cloud::<1>::new(config, &[]);
    cloud.answer(Operation::PutSubscriptions, [Answer::status(200, &refused)]);
    cloud.run_for(secs(1));
    let stopped = cloud.stopped().expect("nothing left to watch");
    assert!(stopped.contains("routing:queue:view"), "{stopped}");
    assert_eq!(cloud.health(), Health::Forbidden);
}

#[test]
fn a_429_waits_retry_after() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.answer(Operation::CreateChannel, [Answer::retry_after(429, 7)]);
    cloud.run_for(secs(20));
    let times: Vec<Instant> = cloud
        .requests_of(Operation::CreateChannel)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(times, [at(0), at(7)]);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_5xx_backs_off_with_jitter_under_the_cap() {
    let cap = secs(20);
    let config = config().backoff(Backoff::new(secs(1), cap));
    let mut cloud = Cloud::<1>::new(config, &[AGENT]);
    cloud.answer(
        Operation::CreateChannel,
        (0..10).map(|_| Answer::status(503, r#"{"code":"service.unavailable","status":503}"#)),
    );
    cloud.run_for(Duration::from_mins(10));

    let times: Vec<Instant> = cloud
        .requests_of(Operation::CreateChannel)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(times.len(), 11);
    let delays: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (attempt, delay) in delays.iter().enumerate() {
        let ceiling = secs(1).saturating_mul(1 << attempt).min(cap);
        assert!(*delay <= ceiling, "attempt {attempt}: {delay} > {ceiling}");
    }
    assert!(
        delays.windows(2).any(|w| w[0] != w[1]),
        "jittered: {delays:?}"
    );
    assert!(delays.iter().skip(5).all(|d| *d <= cap));
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn flapping_network_does_not_storm() {
    let mut cloud = live_cloud();
    let start = cloud.now;
    for step in 0..120u64 {
        let up = (step / 5) % 2 == 1; // down 5 s, up 5 s, for ten minutes
        if !up && cloud.network_up {
            cloud.network_up = false;
            cloud.server_closes(None, CloseInfo::Transport(Transport::Closed));
        }
        cloud.network_up = up;
        cloud.run_for(secs(1));
    }
    let connects = cloud.connects().iter().filter(|(t, _)| *t > start).count();
    let requests = cloud
        .did
        .iter()
        .filter(|(t, d)| *t > start && matches!(d, Did::Http { .. }))
        .count();
    println!("flapping for two minutes: {connects} connects, {requests} requests");
    assert!(connects <= 20, "{connects} connects in two minutes");
    assert!(requests <= 40, "{requests} requests in two minutes");
    assert!(cloud.healths().contains(&Health::Unreachable));

    cloud.network_up = true;
    cloud.run_for(Duration::from_mins(5));
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn two_agents_tracked_in_one_session() {
    let mut cloud = Cloud::<2>::new(config(), &[AGENT, OTHER_AGENT]);
    cloud.users.insert(
        OTHER_AGENT.into(),
        user_snapshot(OTHER_AGENT, "On Queue", "IDLE"),
    );
    cloud.run_for(secs(1));

    let Did::Http { body, .. } = &cloud.requests_of(Operation::PutSubscriptions)[0].1 else {
        unreachable!()
    };
    assert!(body.contains(&format!(
        "v2.users.{AGENT}?conversations&presence&routingStatus"
    )));
    assert!(body.contains(&format!(
        "v2.users.{OTHER_AGENT}?conversations&presence&routingStatus"
    )));
    assert_eq!(cloud.count(Operation::GetUser), 2);
    assert_eq!(
        cloud.count(Operation::GetConversations),
        1,
        "only the token's own user"
    );

    cloud.publish(&presence_frame(OTHER_AGENT, "Busy", "o1"));
    let activities = |cloud: &Cloud<2>| {
        (0..2)
            .map(|i| cloud.session.agent(i).map(|a| a.activity()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        activities(&cloud),
        [Some(Activity::Available), Some(Activity::OnQueue)],
        "routing IDLE wins over presence"
    );
    let changes: Vec<(usize, Activity)> = cloud
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::AgentChanged {
                agent,
                activity,
                stale: false,
            } => Some((*agent, *activity)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(0, Activity::Available), (1, Activity::OnQueue)]);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn foreign_connect_uri_refused() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.streaming_host = "streaming.evil.example".into();
    cloud.run_for(Duration::from_hours(1));
    let stopped = cloud.stopped().expect("stopped");
    assert!(stopped.contains("host"), "{stopped}");
    assert!(
        cloud.connects().is_empty(),
        "nothing sent to a foreign host"
    );
    assert_eq!(cloud.count(Operation::CreateChannel), 1);
}

#[test]
fn an_oversized_frame_marks_the_agents_stale_and_resyncs() {
    let mut cloud = live_cloud();
    let socket = cloud.open_sockets()[0];
    cloud
        .session
        .handle_socket_frame_too_large(cloud.now, socket, 1 << 20);
    cloud.pump();
    assert_eq!(cloud.stale_reports(0), [true, false, true, false]);
    assert_eq!(cloud.count(Operation::GetUser), 2);
    assert_eq!(cloud.session.stats().oversized_frames, 1);
}

#[test]
fn an_invalid_frame_is_counted_and_ignored() {
    let mut cloud = live_cloud();
    cloud.publish("{not json");
    cloud.publish(r#"{"topicName":"v2.users.x.presence","eventBody":"a string"}"#);
    assert_eq!(cloud.session.stats().invalid_frames, 2);
    assert_eq!(cloud.notices().len(), 2);
    assert!(cloud.stopped().is_none());
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn the_token_is_refreshed_before_it_expires() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.token_life = Duration::from_hours(1);
    cloud.run_for(Duration::from_hours(3));
    let fetches: Vec<Instant> = cloud
        .did
        .iter()
        .filter(|(_, d)| matches!(d, Did::FetchToken(_)))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(
        fetches,
        [at(0), at(55 * 60), at(110 * 60), at(165 * 60)],
        "five minutes before each expiry"
    );
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn a_revoked_token_is_replaced_and_a_lost_subscription_renewed() {
    let mut cloud = live_cloud();
    cloud.publish(&format!(
        r#"{{"topicName":"v2.system.token_revoked.{AGENT}","eventBody":{{}}}}"#
    ));
    assert_eq!(
        cloud.token_fetches(),
        [TokenReason::Initial, TokenReason::Revoked]
    );

    cloud.publish(&format!(
        r#"{{"topicName":"v2.system.no_longer_subscribed.{AGENT}","eventBody":{{}}}}"#
    ));
    assert_eq!(cloud.count(Operation::PutSubscriptions), 2);
    assert_eq!(
        cloud.count(Operation::GetUser),
        2,
        "events were missed: resync"
    );
    assert_eq!(cloud.health(), Health::Live);
}

fn no_longer_subscribed(reason: &str) -> String {
    format!(
        r#"{{"topicName":"v2.system.no_longer_subscribed.streaming-0-channel1","eventBody":{{"reason":"{reason}"}}}}"#
    )
}

#[test]
fn a_lost_subscription_names_its_reason_and_resubscribes_the_stream() {
    let mut cloud = live_cloud();
    cloud.publish(&no_longer_subscribed("another_channel_subscribed"));
    assert_eq!(cloud.count(Operation::PutSubscriptions), 2);
    assert_eq!(cloud.health(), Health::Live);
    let notices = cloud.notices();
    let notice = notices
        .iter()
        .find(|n| n.contains("dropped this channel's subscriptions"))
        .expect("the loss is noticed");
    assert!(notice.contains("another_channel_subscribed"), "{notice}");
    assert!(notice.contains("Subscribing again"), "{notice}");
}

#[test]
fn a_rollover_never_makes_two_channels_fight_over_the_same_topics() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    // The replacement channel is slow to come (one failed create), and meanwhile Genesys tells
    // the old channel that another channel took its topics.
    cloud.answer(Operation::CreateChannel, [Answer::status(503, "")]);
    cloud.send_to_all(SOCKET_CLOSING);
    cloud.pump();
    let subscribes_before = cloud.count(Operation::PutSubscriptions);
    cloud.publish(&no_longer_subscribed("another_channel_subscribed"));
    assert_eq!(
        cloud.count(Operation::PutSubscriptions),
        subscribes_before,
        "the old channel is not resubscribed: it would take the topics back"
    );
    assert!(
        cloud.session.agent(0).expect("one agent").is_stale(),
        "events may have gone to a socket not yet open"
    );
    assert!(
        cloud
            .notices()
            .iter()
            .any(|n| n.contains("replacement channel keeps the topics")),
        "{:?}",
        cloud.notices()
    );
    cloud.run_for(secs(20));
    assert_eq!(
        cloud.open_sockets().len(),
        1,
        "only the replacement remains"
    );
    assert_eq!(
        cloud.count(Operation::PutSubscriptions),
        subscribes_before + 1,
        "one subscribe: the replacement's"
    );
    assert!(!cloud.session.agent(0).expect("one agent").is_stale());
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn token_endpoint_refusal_stops_and_outage_retries() {
    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud
        .token_script
        .push_back(TokenFailure::Transport(Transport::Dns));
    cloud.token_script.push_back(TokenFailure::Status {
        status: 503,
        retry_after: None,
        body: b"",
    });
    cloud.run_for(secs(30));
    assert_eq!(cloud.health(), Health::Live);

    let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
    cloud.token_script.push_back(TokenFailure::Status {
        status: 401,
        retry_after: None,
        body: br#"{"error":"invalid_client","description":"client not found"}"#,
    });
    cloud.run_for(secs(30));
    assert_eq!(cloud.health(), Health::AuthFailed);
    assert!(cloud.stopped().is_some());
    assert_eq!(cloud.count(Operation::CreateChannel), 0);
}

/// The token reply is read by the core for every driver: a 2xx that carries no token (a proxy's
/// login page, a truncated body) is a failure the session backs off from, never a success it
/// waits on. Before, a driver that handed such a reply in as `Status { 200 }` left the fetch
/// "in flight" until the 60 s answer timeout.
#[test]
fn a_success_reply_without_a_token_is_retried_at_once_not_after_a_minute() {
    for failure in [
        read_token_reply(200, None, b"<html>proxy login</html>").expect_err("no token in it"),
        read_token_reply(200, None, br#"{"token_type":"bearer"}"#).expect_err("no access_token"),
        TokenFailure::Status {
            status: 200,
            retry_after: None,
            body: b"",
        },
    ] {
        let mut cloud = Cloud::<1>::new(config(), &[AGENT]);
        cloud.token_script.push_back(failure);
        // The backoff starts at 1 s: well inside 10 s the retry has a token and the session is live.
        cloud.run_for(secs(10));
        assert_eq!(cloud.health(), Health::Live, "{failure:?}");
        assert_eq!(cloud.token_fetches().len(), 2, "{failure:?}");
        assert!(
            cloud
                .diagnoses()
                .iter()
                .any(|d| d.contains("requesting an access token") && d.contains("Retrying")),
            "the diagnosis names what was wrong: {:?}",
            cloud.diagnoses()
        );
    }
}

#[test]
fn a_token_reply_is_read_the_same_for_every_driver() {
    let token = read_token_reply(200, None, br#"{"access_token":"t-1","expires_in":3600}"#)
        .expect("a token");
    assert_eq!(token.access_token.expose_secret(), "t-1");
    assert_eq!(token.expires_in, Some(Duration::from_secs(3600)));
    for status in [301, 400, 401, 403, 429, 500, 503] {
        let failure =
            read_token_reply(status, Some(Duration::from_secs(7)), b"{}").expect_err("not a token");
        assert!(
            matches!(failure, TokenFailure::Status { status: s, retry_after: Some(_), .. } if s == status),
            "{status}: {failure:?}"
        );
    }
}

/// A fixed token cannot be renewed: when it is refused, the session stops at once instead of
/// asking the driver for "another" token it does not have (the drivers used to disagree here).
#[test]
fn a_refused_static_token_stops_without_a_second_fetch() {
    let unauthorized = r#"{"message":"expired","code":"credentials.expired","status":401}"#;
    let config =
        Config::new(Environment::Cloud(Region::UsEast1), TokenKind::Static).random_seed(0x5eed);
    let mut cloud = Cloud::<1>::new(config, &[AGENT]);
    cloud.answer(
        Operation::CreateChannel,
        [Answer::status(401, unauthorized)],
    );
    cloud.run_for(secs(30));
    assert_eq!(cloud.token_fetches(), [TokenReason::Initial]);
    assert_eq!(cloud.count(Operation::CreateChannel), 1);
    assert_eq!(cloud.health(), Health::AuthFailed);
    let stopped = cloud.stopped().expect("stopped");
    assert!(stopped.contains("supply a new one"), "{stopped}");
}

/// The same rule when Genesys revokes a fixed token: there is no other to fetch.
#[test]
fn a_revoked_static_token_stops_instead_of_fetching_again() {
    let config =
        Config::new(Environment::Cloud(Region::UsEast1), TokenKind::Static).random_seed(0x5eed);
    let mut cloud = Cloud::<1>::new(config, &[AGENT]);
    cloud.run_for(secs(5));
    assert_eq!(cloud.health(), Health::Live);
    cloud.publish(&format!(
        r#"{{"topicName":"v2.system.token_revoked.{AGENT}","eventBody":{{}}}}"#
    ));
    cloud.run_for(secs(5));
    assert_eq!(cloud.token_fetches(), [TokenReason::Initial]);
    assert_eq!(cloud.health(), Health::AuthFailed);
    let stopped = cloud.stopped().expect("stopped");
    assert!(stopped.contains("configure a new token"), "{stopped}");
}

#[test]
fn answers_for_unknown_ids_and_sockets_are_ignored() {
    let mut cloud = live_cloud();
    let now = cloud.now;
    let before = cloud.did.len();
    cloud
        .session
        .handle_response(now, RequestId::from_raw(999), 500, None, b"");
    cloud
        .session
        .handle_request_failed(now, RequestId::from_raw(998), Transport::Timeout);
    cloud
        .session
        .handle_socket_open(now, SocketId::from_raw(997));
    cloud.session.handle_socket_closed(
        now,
        SocketId::from_raw(996),
        CloseInfo::Transport(Transport::Closed),
    );
    cloud.frame(SocketId::from_raw(995), support::HEARTBEAT);
    cloud.pump();
    assert_eq!(cloud.did.len(), before);
    assert_eq!(cloud.health(), Health::Live);
}

#[test]
fn invalid_configurations_are_refused() {
    let new = |config: Config, agents: &[&str]| Session::<1>::new(config, agents).err();
    assert_eq!(new(config(), &[]), Some(ConfigError::NoAgents));
    let queue = "v2.routing.queues.6b6a2f0e-0000-4000-8000-000000000001.conversations";
    let topics_alone = config().extra_topic(queue).expect("a valid topic");
    assert_eq!(new(topics_alone, &[]), None);
    assert_eq!(
        new(config(), &[AGENT, OTHER_AGENT]),
        Some(ConfigError::TooManyAgents { capacity: 1 })
    );
    assert_eq!(
        new(config(), &["not/an id"]),
        Some(ConfigError::InvalidAgentId { agent: 0 })
    );
    assert!(matches!(
        new(config().renew_after(Duration::from_hours(25)), &[AGENT]),
        Some(ConfigError::Timing(_))
    ));
}

#[test]
fn the_real_budget_rule_lets_one_channel_carry_more_than_333_agents() {
    use genesys_notify_core::topic::BudgetRule;
    let ids: Vec<String> = (0..334)
        .map(|i| format!("6b6a2f0e-0000-4000-8000-{i:012}"))
        .collect();
    let agents: Vec<&str> = ids.iter().map(String::as_str).collect();
    let conservative = Session::<334>::new(config(), &agents).err();
    assert_eq!(
        conservative,
        Some(ConfigError::TooManyTopics),
        "334 agents of three parts each are 1 002 parts"
    );
    let real = Session::<334>::new(config().budget_rule(BudgetRule::Entries), &agents);
    assert!(real.is_ok(), "334 combined topics are 334 entries");
}

#[test]
fn a_session_for_one_agent_is_under_8_kib() {
    let size = core::mem::size_of::<Session<1>>();
    println!("size_of::<Session<1>>() = {size} bytes");
    assert!(size < 8 * 1024, "{size} bytes");
    let per_agent = core::mem::size_of::<Session<2>>() - size;
    println!("each further agent: {per_agent} bytes");
}

#[test]
fn arbitrary_input_sequences_never_panic_or_run_away() {
    use genesys_notify_core::backoff::SplitMix64;
    let mut went_live = 0;
    for seed in 0..1000u64 {
        let mut rng = SplitMix64::new(seed);
        let len = 200 + (rng.next_u64() % 1800) as usize;
        let script: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if support::replay::run(&script).contains(&Health::Live) {
            went_live += 1;
        }
    }
    println!("{went_live} of 1000 random scripts went live");
    assert!(
        went_live >= 100,
        "random scripts must reach the live states too"
    );
}

#[test]
fn the_fuzz_seeds_replay_cleanly_and_do_what_they_are_named_for() {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/session_replay");
    let mut count = 0;
    for entry in std::fs::read_dir(seeds).expect("the seed folder") {
        let path = entry.expect("a seed").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let script = std::fs::read(&path).expect("a readable seed");
        let healths = support::replay::run(&script);
        println!("{name}: {healths:?}");
        if name.ends_with("_stops") {
            assert!(
                matches!(healths.last(), Some(Health::AuthFailed | Health::Forbidden)),
                "{name}: {healths:?}"
            );
        } else {
            assert!(healths.contains(&Health::Live), "{name}: {healths:?}");
        }
        count += 1;
    }
    assert!(count > 0);
}

#[test]
fn a_too_small_buffer_keeps_the_transmit_and_says_the_size_needed() {
    let mut session = Session::<1>::new(config(), &[AGENT]).expect("a valid configuration");
    let now = Instant::ZERO;
    let mut small = [0u8; 8];
    assert!(matches!(
        session.poll_transmit(now, &mut small),
        Some(Transmit::FetchToken {
            reason: TokenReason::Initial
        })
    ));
    session.handle_token(now, Duration::from_hours(1));
    assert!(session.poll_transmit(now, &mut small).is_none());
    let needed = std::iter::from_fn(|| session.poll_event())
        .find_map(|e| match e {
            SessionEvent::BufferTooSmall(e) => Some(e.needed),
            _ => None,
        })
        .expect("a BufferTooSmall event");
    assert!(needed > small.len());

    let mut enough = vec![0u8; needed];
    let Some(Transmit::Http { request, .. }) = session.poll_transmit(now, &mut enough) else {
        panic!("the kept request goes out once the buffer is large enough");
    };
    assert_eq!(request.operation, Operation::CreateChannel);
}

/// A driver with no buffer free still gets what needs none (a token fetch, a close) and the
/// rest waits, unreported: no error is used as a signal.
#[test]
fn what_needs_no_buffer_goes_out_without_one_and_the_rest_waits_silently() {
    let mut session = Session::<1>::new(config(), &[AGENT]).expect("a valid configuration");
    let now = Instant::ZERO;
    assert!(matches!(
        session.poll_unbuffered_transmit(now),
        Some(Transmit::FetchToken {
            reason: TokenReason::Initial
        })
    ));
    session.handle_token(now, Duration::from_hours(1));
    assert!(session.poll_unbuffered_transmit(now).is_none());
    assert!(
        !std::iter::from_fn(|| session.poll_event())
            .any(|e| matches!(e, SessionEvent::BufferTooSmall(_))),
        "waiting for a buffer is not a buffer too small"
    );
    let mut buf = vec![0u8; 4096];
    let Some(Transmit::Http { request, .. }) = session.poll_transmit(now, &mut buf) else {
        panic!("the channel request goes out once there is a buffer");
    };
    assert_eq!(request.operation, Operation::CreateChannel);
}

/// Drains a session's transmits: the requests (id, operation) and the sockets to connect.
fn drain<const N: usize>(
    session: &mut Session<N>,
    now: Instant,
) -> (Vec<(RequestId, Operation)>, Vec<SocketId>) {
    let mut buf = [0u8; 2048];
    let (mut requests, mut sockets) = (Vec::new(), Vec::new());
    while let Some(transmit) = session.poll_transmit(now, &mut buf) {
        match transmit {
            Transmit::Http { id, request } => requests.push((id, request.operation)),
            Transmit::Connect { socket, .. } => sockets.push(socket),
            _ => {}
        }
    }
    (requests, sockets)
}

#[test]
fn a_401_for_a_request_sent_with_the_old_token_is_retried_not_counted() {
    let unauthorized = br#"{"message":"expired","code":"credentials.expired","status":401}"#;
    let mut session = Session::<2>::new(config(), &[AGENT, OTHER_AGENT]).expect("valid");
    let now = Instant::ZERO;
    let _ = drain(&mut session, now); // the token fetch
    session.handle_token(now, Duration::from_hours(1));
    let create = drain(&mut session, now).0[0].0;
    let channel = br#"{"connectUri":"wss://streaming.mypurecloud.com/channels/c1","id":"c1"}"#;
    session.handle_response(now, create, 200, None, channel);
    let subscribe = drain(&mut session, now).0[0].0;
    session.handle_response(now, subscribe, 200, None, b"{\"entities\":[]}");
    let socket = drain(&mut session, now).1[0];
    session.handle_socket_open(now, socket);
    let (reads, _) = drain(&mut session, now);
    assert_eq!(
        reads.len(),
        3,
        "two user reads and the conversations: {reads:?}"
    );

    // Two reads fail with the same old token: one refresh, no stop.
    session.handle_response(now, reads[0].0, 401, None, unauthorized);
    session.handle_token(now, Duration::from_hours(1));
    session.handle_response(now, reads[1].0, 401, None, unauthorized);
    assert!(!session.is_stopped());
    let (retried, _) = drain(&mut session, now);
    assert_eq!(retried.len(), 2, "both reads go out again: {retried:?}");
}

#[test]
fn a_rollover_that_cannot_finish_in_time_falls_back_to_a_reconnect_with_stale() {
    let mut cloud = live_cloud();
    cloud.run_until(at(60));
    cloud.answer(
        Operation::CreateChannel,
        (0..3).map(|_| Answer::status(503, "")),
    );
    cloud.send_to_all(SOCKET_CLOSING);
    cloud.pump();
    // The server closes the old socket before the replacement exists: a gap.
    cloud.server_closes(None, CloseInfo::Peer { code: Some(1001) });
    assert_eq!(cloud.health(), Health::Stale);
    cloud.run_for(Duration::from_mins(2));

    assert_eq!(cloud.health(), Health::Live);
    assert_eq!(cloud.session.stats().reconnects, 1);
    assert_eq!(cloud.session.stats().rollovers, 0);
    assert_eq!(cloud.stale_reports(0), [true, false, true, false]);
    assert_eq!(
        cloud.session.connection().channel_id.as_str(),
        "streaming-0-channel2"
    );
}

#[test]
fn a_gateway_resyncs_at_most_four_agents_at_once() {
    let ids: Vec<String> = (0..8)
        .map(|i| format!("00000000-0000-4000-8000-00000000000{i}"))
        .collect();
    let agents: Vec<&str> = ids.iter().map(String::as_str).collect();
    let config = Config::new(
        Environment::Cloud(Region::UsEast1),
        TokenKind::ClientCredentials,
    );
    let mut session = Session::<8>::new(config, &agents).expect("valid");
    let now = Instant::ZERO;
    let _ = drain(&mut session, now);
    session.handle_token(now, Duration::from_hours(1));
    let create = drain(&mut session, now).0[0].0;
    let channel = br#"{"connectUri":"wss://streaming.mypurecloud.com/channels/c1","id":"c1"}"#;
    session.handle_response(now, create, 200, None, channel);
    let subscribe = drain(&mut session, now).0[0].0;
    session.handle_response(now, subscribe, 200, None, b"{}");
    let socket = drain(&mut session, now).1[0];
    session.handle_socket_open(now, socket);

    let mut answered = 0;
    let mut reads = drain(&mut session, now).0;
    while !reads.is_empty() {
        assert!(reads.len() <= 4, "{} reads at once", reads.len());
        assert!(reads.iter().all(|(_, op)| *op == Operation::GetUser));
        for (id, _) in reads {
            let body = user_snapshot(agents[answered], "Available", "OFF_QUEUE");
            session.handle_response(now, id, 200, None, body.as_bytes());
            answered += 1;
        }
        reads = drain(&mut session, now).0;
    }
    assert_eq!(answered, 8);
    assert_eq!(session.health(), Health::Live);
}

#[test]
fn an_unknown_user_leaves_that_agent_stale_and_the_others_live() {
    let mut cloud = Cloud::<2>::new(config(), &[AGENT, OTHER_AGENT]);
    cloud.users.remove(OTHER_AGENT);
    cloud.run_for(secs(10));
    assert!(cloud.stopped().is_none());
    assert_eq!(cloud.count(Operation::GetUser), 2, "a 404 is not retried");
    assert!(!cloud.session.agent(0).expect("agent 0").is_stale());
    assert!(cloud.session.agent(1).expect("agent 1").is_stale());
    assert!(cloud.diagnoses().iter().any(|d| d.contains("user")));
    assert_eq!(cloud.health(), Health::Stale);
}

#[test]
fn a_driver_that_loses_outcomes_cannot_wedge_the_session() {
    use genesys_notify_core::session::{ANSWER_TIMEOUT, Notice};
    let mut session = Session::<1>::new(config(), &[AGENT]).expect("valid");
    let mut buf = [0u8; 2048];
    let mut now = Instant::ZERO;
    let mut next = |session: &mut Session<1>, now: Instant| {
        let mut out = Vec::new();
        while let Some(t) = session.poll_transmit(now, &mut buf) {
            out.push(match t {
                Transmit::FetchToken { .. } => "token".to_string(),
                Transmit::Http { request, .. } => format!("{:?}", request.operation),
                Transmit::Connect { .. } => "connect".to_string(),
                Transmit::Close { .. } => "close".to_string(),
                _ => "other".to_string(),
            });
        }
        out
    };
    // The token fetch is never answered: it is asked for again after the answer timeout.
    assert_eq!(next(&mut session, now), ["token"]);
    assert_eq!(session.poll_timeout(), Some(now + ANSWER_TIMEOUT));
    now += ANSWER_TIMEOUT;
    session.handle_timeout(now);
    now = session.poll_timeout().expect("a retry");
    session.handle_timeout(now);
    assert_eq!(next(&mut session, now), ["token"]);
    session.handle_token(now, Duration::from_hours(1));

    // The channel creation is never answered: it is retried.
    assert_eq!(next(&mut session, now), ["CreateChannel"]);
    now += ANSWER_TIMEOUT;
    session.handle_timeout(now);
    now = session.poll_timeout().expect("a retry");
    session.handle_timeout(now);
    let create = loop {
        let mut buf = [0u8; 2048];
        match session.poll_transmit(now, &mut buf) {
            Some(Transmit::Http { id, .. }) => break id,
            Some(_) => continue,
            None => panic!("the creation is retried"),
        }
    };
    let channel = br#"{"connectUri":"wss://streaming.mypurecloud.com/channels/c1","id":"c1"}"#;
    session.handle_response(now, create, 200, None, channel);
    let subscribe = drain(&mut session, now).0[0].0;
    session.handle_response(now, subscribe, 200, None, b"{}");

    // The connect is never reported: closed and the channel checked.
    assert_eq!(next(&mut session, now), ["connect"]);
    now += ANSWER_TIMEOUT;
    session.handle_timeout(now);
    assert_eq!(next(&mut session, now), ["close", "ChannelExists"]);
    let notices: Vec<Notice> = std::iter::from_fn(|| session.poll_event())
        .filter_map(|e| match e {
            SessionEvent::Notice(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [Notice::SocketFailed(CloseInfo::Transport(
            Transport::Timeout
        ))]
    );
}
