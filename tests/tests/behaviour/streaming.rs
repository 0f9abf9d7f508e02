use std::time::Instant;

use genesys_sim::{Direction, Entry, FrameKind, HEARTBEAT, Operation, PONG, Sim, SocketEnd, org};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::*;

#[tokio::test]
async fn the_socket_needs_no_token_and_beats_at_the_configured_interval() {
    let sim = Sim::builder()
        .heartbeat_interval(ms(40))
        .start()
        .await
        .unwrap();
    let token = service_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    let mut ws = connect(&uri).await;
    let started = Instant::now();
    assert_eq!(next_text(&mut ws).await, HEARTBEAT);
    assert_eq!(next_text(&mut ws).await, HEARTBEAT);
    assert!(started.elapsed() >= ms(80), "two intervals passed");
    let upgrade = &sim.log().requests_for(Operation::Connect)[0];
    assert!(!upgrade.bearer && !upgrade.token_in_url);
}

#[tokio::test]
async fn ping_is_answered_with_pong_on_channel_metadata() {
    let sim = start().await;
    let (_, mut ws) = agent_channel(&sim, &[]).await;
    send(&mut ws, json!({"message": "ping"})).await;
    assert_eq!(next_text(&mut ws).await, PONG);
}

#[tokio::test]
async fn socket_subscribe_replies_carry_a_string_result_and_no_topic_name() {
    let sim = start().await;
    let (id, mut ws) = agent_channel(&sim, &[]).await;
    let me = org::DEMO_AGENT_ID;
    send(
        &mut ws,
        json!({"message": "subscribe", "topics": [format!("v2.users.{me}.presence")], "correlationId": "c-1"}),
    )
    .await;
    let ok = next_event(&mut ws).await;
    assert_eq!(ok["result"], "200");
    assert_eq!(ok["status"], "subscribed");
    assert_eq!(ok["correlationId"], "c-1");
    assert!(ok.get("topicName").is_none());
    assert_eq!(
        sim.channels()
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .topics
            .len(),
        1
    );

    send(
        &mut ws,
        json!({"message": "subscribe", "topics": ["channel.metadata"]}),
    )
    .await;
    assert_eq!(next_event(&mut ws).await["result"], "400");

    send(
        &mut ws,
        json!({"message": "unsubscribe", "topics": [format!("v2.users.{me}.presence")]}),
    )
    .await;
    assert_eq!(next_event(&mut ws).await["status"], "unsubscribed");
    assert!(
        sim.channels()
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .topics
            .is_empty()
    );
}

#[tokio::test]
async fn an_unknown_channel_is_refused_with_404() {
    let sim = start().await;
    let url = format!(
        "ws://127.0.0.1:{}/channels/streaming-0-doesnotexist",
        sim.addr().port()
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected an HTTP refusal, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_second_socket_on_the_same_channel_kicks_the_first() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    let mut first = connect(&uri).await;
    let mut second = connect(&uri).await;
    match next_message(&mut first).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected a close, got {other:?}"),
    }
    send(&mut second, json!({"message": "ping"})).await;
    assert_eq!(next_text(&mut second).await, PONG);
}

#[tokio::test]
async fn a_token_in_the_socket_url_is_flagged_and_redacted_in_the_log() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    let _ws = connect(&format!("{uri}?access_token={token}")).await;
    let leaks = sim.log().token_leaks();
    assert_eq!(leaks.len(), 1);
    assert!(
        !leaks[0].uri.contains(&token),
        "the log never holds the secret"
    );
    let everything = format!("{:?}", sim.log().entries());
    assert!(!everything.contains(&token));
}

#[tokio::test]
async fn events_go_only_to_connected_subscribed_channels_and_are_not_replayed() {
    let sim = start().await;
    let me = org::DEMO_AGENT_ID;
    let presence = format!("v2.users.{me}.presence");
    let token = agent_token(&sim).await;
    let (id, uri) = create_channel(&sim, &token).await;
    subscribe(&sim, &token, &id, &[&presence]).await;
    let agent = sim.agent(me);
    agent.set_presence(genesys_sim::Presence::Away); // nobody connected: lost
    let mut ws = connect(&uri).await;
    agent.set_presence(genesys_sim::Presence::Busy);
    let event = next_on(&mut ws, &presence).await;
    assert_eq!(
        event["eventBody"]["presenceDefinition"]["systemPresence"],
        "BUSY"
    );
    assert_eq!(event["version"], "2");
    assert!(event["metadata"]["CorrelationId"].is_string());
}

#[tokio::test]
async fn socket_closing_is_sent_then_the_socket_closes_after_the_lead() {
    let sim = Sim::builder()
        .socket_closing_lead(ms(100))
        .start()
        .await
        .unwrap();
    let (id, mut ws) = agent_channel(&sim, &[]).await;
    assert!(sim.faults().socket_closing(&id));
    let started = Instant::now();
    let notice = next_event(&mut ws).await;
    assert_eq!(notice["topicName"], "v2.system.socket_closing");
    assert_eq!(notice["version"], "2");
    match next_message(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close, got {other:?}"),
    }
    assert!(started.elapsed() >= ms(90));
}

#[tokio::test]
async fn the_log_records_frames_both_ways_and_how_sockets_end() {
    let sim = start().await;
    let (id, mut ws) = agent_channel(&sim, &[]).await;
    send(&mut ws, json!({"message": "ping"})).await;
    next_text(&mut ws).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
    .await
    .unwrap();
    let ended = sim
        .log()
        .wait_for(WAIT, |e| matches!(e, Entry::Socket(s) if s.end.is_some()))
        .await;
    assert!(
        matches!(ended, Some(Entry::Socket(s)) if s.end == Some(SocketEnd::ClosedByClient(Some(1000))))
    );
    let frames = sim.log().frames_matching(|f| f.channel_id == id);
    assert!(
        frames
            .iter()
            .any(|f| f.direction == Direction::In && f.text.contains("ping"))
    );
    assert!(
        frames
            .iter()
            .any(|f| f.direction == Direction::Out && f.kind == FrameKind::Text && f.text == PONG)
    );
    let received: Vec<Value> = sim
        .log()
        .frames_received()
        .iter()
        .map(|f| serde_json::from_str(&f.text).unwrap())
        .collect();
    assert_eq!(received, [json!({"message": "ping"})]);
}

#[tokio::test]
async fn tests_can_wait_until_a_client_listens_to_a_topic() {
    let sim = start().await;
    let presence = format!("v2.users.{}.presence", org::DEMO_AGENT_ID);
    assert!(!sim.wait_until_listening(&presence, ms(20)).await);
    let token = agent_token(&sim).await;
    let (id, uri) = create_channel(&sim, &token).await;
    subscribe(&sim, &token, &id, &[&presence]).await;
    let waiting = sim.wait_until_listening(&presence, WAIT);
    let connecting = connect(&uri);
    let (listening, mut ws) = tokio::join!(waiting, connecting);
    assert!(listening);
    assert!(sim.wait_for_sockets(1, WAIT).await);
    sim.agent(org::DEMO_AGENT_ID)
        .set_presence(genesys_sim::Presence::Meal);
    assert_eq!(
        next_on(&mut ws, &presence).await["eventBody"]["presenceDefinition"]["systemPresence"],
        "MEAL"
    );
}

#[tokio::test]
async fn a_token_sent_over_the_socket_is_redacted_in_the_log() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    let mut ws = connect(&uri).await;
    send(&mut ws, json!({"message": "ping", "token": token})).await;
    next_text(&mut ws).await;
    let received = sim.log().frames_received();
    assert!(received[0].text.contains(genesys_sim::REDACTED));
    assert!(!format!("{:?}", sim.log().entries()).contains(&token));
}

#[tokio::test]
async fn scheduled_maintenance_rolls_every_socket_over() {
    let sim = Sim::builder()
        .maintenance_after(ms(50))
        .socket_closing_lead(ms(50))
        .start()
        .await
        .unwrap();
    let (_, mut ws) = agent_channel(&sim, &[]).await;
    assert_eq!(
        next_event(&mut ws).await["topicName"],
        "v2.system.socket_closing"
    );
    match next_message(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a close, got {other:?}"),
    }
}
