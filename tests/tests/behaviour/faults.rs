use std::time::Instant;

use genesys_sim::{Disconnect, Failure, HEARTBEAT, Malformed, Operation, PONG, Sim, SocketEnd};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::*;

async fn connected(sim: &Sim) -> (String, Ws) {
    agent_channel(sim, &[]).await
}

async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        if let Message::Close(frame) = next_message(ws).await {
            return frame.map(|f| u16::from(f.code));
        }
    }
}

#[tokio::test]
async fn sockets_can_be_dropped_cleanly_or_as_going_away() {
    let sim = start().await;
    let (clean, mut ws) = connected(&sim).await;
    assert!(sim.faults().drop_socket(&clean, Disconnect::Clean));
    assert_eq!(close_code(&mut ws).await, Some(1000));
    let (away, mut ws) = connected(&sim).await;
    assert!(sim.faults().drop_socket(&away, Disconnect::GoingAway));
    assert_eq!(close_code(&mut ws).await, Some(1001));
}

#[tokio::test]
async fn a_reset_drop_ends_the_tcp_connection_without_a_close_frame() {
    let sim = start().await;
    let (id, mut ws) = connected(&sim).await;
    assert!(sim.faults().drop_socket(&id, Disconnect::Reset));
    let outcome = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut ws))
        .await
        .unwrap();
    match outcome {
        Some(Err(WsError::Io(e))) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        other => panic!("expected a connection reset, got {other:?}"),
    }
    let ended = sim
        .log()
        .wait_for(
            WAIT,
            |e| matches!(e, genesys_sim::Entry::Socket(s) if s.end == Some(SocketEnd::Reset)),
        )
        .await;
    assert!(ended.is_some());
}

#[tokio::test]
async fn stopped_heartbeats_leave_the_socket_otherwise_alive() {
    let sim = Sim::builder()
        .heartbeat_interval(ms(20))
        .start()
        .await
        .unwrap();
    let (id, mut ws) = connected(&sim).await;
    assert_eq!(next_text(&mut ws).await, HEARTBEAT);
    assert!(sim.faults().stop_heartbeats(&id));
    // Anything already in flight is drained by the ping round trip below.
    send(&mut ws, json!({"message": "ping"})).await;
    while next_text(&mut ws).await != PONG {}
    let quiet = tokio::time::timeout(ms(100), futures_util::StreamExt::next(&mut ws)).await;
    assert!(quiet.is_err(), "five intervals without a heartbeat");
    send(&mut ws, json!({"message": "ping"})).await;
    assert_eq!(next_text(&mut ws).await, PONG);
}

#[tokio::test]
async fn heartbeats_can_be_stopped_for_every_socket() {
    let sim = Sim::builder()
        .heartbeat_interval(ms(20))
        .start()
        .await
        .unwrap();
    sim.faults().set_heartbeats(false);
    let (_, mut ws) = connected(&sim).await;
    let quiet = tokio::time::timeout(ms(100), futures_util::StreamExt::next(&mut ws)).await;
    assert!(quiet.is_err());
    sim.faults().set_heartbeats(true);
    assert_eq!(next_text(&mut ws).await, HEARTBEAT);
}

#[tokio::test]
async fn the_next_requests_can_be_answered_with_429_and_retry_after() {
    let sim = start().await;
    let token = service_token(&sim).await;
    sim.faults().fail_next(
        Operation::CreateChannel,
        2,
        Failure::TooManyRequests {
            retry_after_secs: 3,
        },
    );
    for _ in 0..2 {
        let response = http()
            .post(format!("{}/api/v2/notifications/channels", sim.base_url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "too.many.requests.retry.after");
        assert!(
            body.get("limit").is_none(),
            "Genesys' example 429 body has no limit object"
        );
    }
    create_channel(&sim, &token).await;
    assert_eq!(sim.log().requests_for(Operation::CreateChannel).len(), 3);
}

#[tokio::test]
async fn each_failure_kind_has_its_status_and_genesys_code() {
    let sim = start().await;
    let token = service_token(&sim).await;
    for (failure, status, code) in [
        (Failure::Unauthorized, 401, "credentials.expired"),
        (Failure::Forbidden, 403, "not.authorized"),
        (Failure::NotFound, 404, "not.found"),
        (Failure::InternalServerError, 500, "internal.server.error"),
        (Failure::ServiceUnavailable, 503, "service.unavailable"),
    ] {
        sim.faults().fail_next(Operation::TokenInfo, 1, failure);
        let response = get(&sim, &token, "/api/v2/tokens/me").await;
        assert_eq!(response.status(), status);
        assert!(
            response
                .headers()
                .contains_key(genesys_sim::CORRELATION_HEADER)
        );
        assert_eq!(response.json::<Value>().await.unwrap()["code"], code);
    }
    assert_eq!(get(&sim, &token, "/api/v2/tokens/me").await.status(), 200);
}

#[tokio::test]
async fn token_endpoint_failures_keep_the_oauth_shape() {
    let sim = start().await;
    sim.faults()
        .fail_next(Operation::Token, 1, Failure::ServiceUnavailable);
    let response = token_for(
        &sim,
        &[("grant_type", "client_credentials")],
        genesys_sim::org::DEMO_CLIENT_ID,
        genesys_sim::org::DEMO_CLIENT_SECRET,
    )
    .await;
    assert_eq!(response.status(), 503);
    assert!(response.json::<Value>().await.unwrap()["error"].is_string());
    service_token(&sim).await;
}

#[tokio::test]
async fn the_socket_upgrade_itself_can_fail() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    sim.faults()
        .fail_next(Operation::Connect, 1, Failure::ServiceUnavailable);
    match tokio_tungstenite::connect_async(&uri).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected a 503, got {:?}", other.map(|_| ())),
    }
    connect(&uri).await;
}

#[tokio::test]
async fn responses_can_be_delayed() {
    let sim = start().await;
    let token = service_token(&sim).await;
    sim.faults().delay(Operation::TokenInfo, ms(150));
    let started = Instant::now();
    get_json(&sim, &token, "/api/v2/tokens/me").await;
    assert!(started.elapsed() >= ms(150));
    sim.faults().clear_delays();
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let sim = start().await;
    let revoked = service_token(&sim).await;
    let expired = service_token(&sim).await;
    assert!(sim.faults().revoke_token(&revoked));
    assert!(sim.faults().expire_token(&expired));
    let body: Value = get(&sim, &revoked, "/api/v2/tokens/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "bad.credentials");
    let body: Value = get(&sim, &expired, "/api/v2/tokens/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "credentials.expired");
    let fresh = service_token(&sim).await;
    assert_eq!(
        sim.faults()
            .revoke_client_tokens(genesys_sim::org::DEMO_CLIENT_ID),
        3
    );
    assert_eq!(get(&sim, &fresh, "/api/v2/tokens/me").await.status(), 401);
}

#[tokio::test]
async fn channels_can_be_expired_or_evicted_on_demand() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    for evict in [false, true] {
        let (id, uri) = create_channel(&sim, &token).await;
        let mut ws = connect(&uri).await;
        let removed = if evict {
            sim.faults().evict_channel(&id)
        } else {
            sim.faults().expire_channel(&id)
        };
        assert!(removed);
        assert_eq!(close_code(&mut ws).await, Some(1000));
        assert_eq!(head_channel(&sim, &token, &id).await, 404);
    }
}

#[tokio::test]
async fn malformed_frames_arrive_as_sent() {
    let sim = start().await;
    let (id, mut ws) = connected(&sim).await;
    sim.faults().send_malformed(&id, Malformed::TruncatedJson);
    assert!(serde_json::from_str::<Value>(&next_text(&mut ws).await).is_err());
    sim.faults().send_malformed(&id, Malformed::NotJson);
    assert!(serde_json::from_str::<Value>(&next_text(&mut ws).await).is_err());
    sim.faults().send_malformed(&id, Malformed::NotAnObject);
    assert_eq!(next_text(&mut ws).await, "[1,2,3]");
    sim.faults()
        .send_malformed(&id, Malformed::MissingTopicName);
    assert!(next_event(&mut ws).await.get("topicName").is_none());
    sim.faults().send_malformed(&id, Malformed::Binary);
    assert!(matches!(next_message(&mut ws).await, Message::Binary(_)));
    sim.faults().send_malformed(&id, Malformed::InvalidUtf8);
    let outcome = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut ws))
        .await
        .unwrap();
    assert!(
        matches!(outcome, Some(Err(WsError::Utf8(_)))),
        "got {outcome:?}"
    );
}

#[tokio::test]
async fn an_oversized_frame_has_exactly_the_requested_size() {
    let sim = start().await;
    let (id, mut ws) = connected(&sim).await;
    assert!(sim.faults().send_oversized(&id, 1 << 20));
    let text = next_text(&mut ws).await;
    assert_eq!(text.len(), 1 << 20);
    assert!(serde_json::from_str::<Value>(&text).is_ok());
}

#[tokio::test]
async fn split_frames_reach_a_raw_tcp_reader_in_small_pieces() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "GET /channels/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"));
    assert!(
        sim.log()
            .wait_for(WAIT, |e| matches!(e, genesys_sim::Entry::Socket(_)))
            .await
            .is_some()
    );
    assert!(sim.faults().split_frames(&id, 5));
    // A masked client text frame: {"message":"ping"}
    let payload = br#"{"message":"ping"}"#;
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).await.unwrap();
    let expected = 2 + PONG.len();
    let mut received = Vec::new();
    let mut reads = 0;
    while received.len() < expected {
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        reads += 1;
        received.extend_from_slice(&buf[..n]);
    }
    // Segments are 5 bytes 2 ms apart; a loaded machine may coalesce a few, never all 13.
    assert!(reads > 1, "the frame arrived in {reads} read(s)");
    assert_eq!(&received[2..], PONG.as_bytes());
}
