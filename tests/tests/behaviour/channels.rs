use genesys_sim::{MAX_CHANNELS_PER_OWNER, Sim, org};
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn a_channel_has_an_opaque_streaming_id_a_connect_uri_on_the_same_port_and_an_expiry() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let response = http()
        .post(format!("{}/api/v2/notifications/channels", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("streaming-0-"));
    assert!(!uuid_like(id), "channel ids are not UUIDs");
    assert_eq!(
        body["connectUri"],
        format!("ws://127.0.0.1:{}/channels/{id}", sim.addr().port())
    );
    let expires = body["expires"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == "2021-02-03T17:59:07.650Z".len());
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn head_answers_200_for_a_live_channel_and_404_for_an_unknown_one() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    assert_eq!(head_channel(&sim, &token, &id).await, 200);
    assert_eq!(head_channel(&sim, &token, "streaming-0-nope").await, 404);
}

#[tokio::test]
async fn the_21st_channel_evicts_the_least_recently_used_unconnected_one() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let mut ids = Vec::new();
    let mut uris = Vec::new();
    for _ in 0..MAX_CHANNELS_PER_OWNER {
        let (id, uri) = create_channel(&sim, &token).await;
        ids.push(id);
        uris.push(uri);
    }
    // The oldest is connected, so the oldest *unconnected* one (the second) goes first.
    let _socket = connect(&uris[0]).await;
    let (newest, _) = create_channel(&sim, &token).await;
    assert_eq!(
        head_channel(&sim, &token, &ids[0]).await,
        200,
        "connected channels are spared"
    );
    assert_eq!(head_channel(&sim, &token, &ids[1]).await, 404);
    assert_eq!(head_channel(&sim, &token, &newest).await, 200);
    assert_eq!(sim.channels().len(), MAX_CHANNELS_PER_OWNER);
}

#[tokio::test]
async fn channel_limits_are_per_user_and_client() {
    let sim = start().await;
    let service = service_token(&sim).await;
    let agent = agent_token(&sim).await;
    let (first_agent_channel, _) = create_channel(&sim, &agent).await;
    for _ in 0..=MAX_CHANNELS_PER_OWNER {
        create_channel(&sim, &service).await;
    }
    assert_eq!(head_channel(&sim, &agent, &first_agent_channel).await, 200);
}

#[tokio::test]
async fn channels_expire_after_their_lifetime_unless_resubscribed() {
    let sim = Sim::builder()
        .channel_lifetime(ms(1_000))
        .start()
        .await
        .unwrap();
    let token = service_token(&sim).await;
    let (kept, _) = create_channel(&sim, &token).await;
    let (lapsed, _) = create_channel(&sim, &token).await;
    let presence = format!("v2.users.{}.presence", org::DEMO_AGENT_ID);
    // Re-subscribe `kept` every 100 ms until `lapsed` has expired; `kept` must outlive it.
    let deadline = std::time::Instant::now() + WAIT;
    while head_channel(&sim, &token, &lapsed).await == 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "an untouched channel expires"
        );
        subscribe(&sim, &token, &kept, &[&presence]).await;
        tokio::time::sleep(ms(100)).await;
    }
    assert_eq!(
        head_channel(&sim, &token, &kept).await,
        200,
        "re-subscribing extended it"
    );
    while head_channel(&sim, &token, &kept).await != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the extended channel expires too"
        );
        tokio::time::sleep(ms(50)).await;
    }
}

#[tokio::test]
async fn resubscribing_moves_the_reported_expiry_later() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let expires = |body: Value| body["entities"][0]["expires"].as_str().unwrap().to_owned();
    let before = expires(get_json(&sim, &token, "/api/v2/notifications/channels").await);
    tokio::time::sleep(ms(5)).await;
    subscribe(
        &sim,
        &token,
        &id,
        &[&format!("v2.users.{}.presence", org::DEMO_AGENT_ID)],
    )
    .await;
    let after = expires(get_json(&sim, &token, "/api/v2/notifications/channels").await);
    assert!(after > before, "{after} is later than {before}");
}

#[tokio::test]
async fn an_expiring_channel_closes_its_socket() {
    let sim = Sim::builder()
        .channel_lifetime(ms(100))
        .start()
        .await
        .unwrap();
    let token = service_token(&sim).await;
    let (_, uri) = create_channel(&sim, &token).await;
    let mut ws = connect(&uri).await;
    loop {
        match next_message(&mut ws).await {
            tokio_tungstenite::tungstenite::Message::Close(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                break;
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn listing_channels_distinguishes_this_token_from_the_whole_client() {
    let sim = start().await;
    let first = service_token(&sim).await;
    let second = service_token(&sim).await;
    create_channel(&sim, &first).await;
    create_channel(&sim, &second).await;
    let by_token = get_json(
        &sim,
        &second,
        "/api/v2/notifications/channels?includechannels=token",
    )
    .await;
    assert_eq!(by_token["entities"].as_array().unwrap().len(), 1);
    let by_client = get_json(
        &sim,
        &second,
        "/api/v2/notifications/channels?includechannels=oauthclient",
    )
    .await;
    assert_eq!(by_client["entities"].as_array().unwrap().len(), 2);
    assert!(by_client["entities"][0]["connectUri"].is_string());
}
