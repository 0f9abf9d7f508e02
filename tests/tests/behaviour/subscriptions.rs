use genesys_sim::{MAX_TOPICS_PER_CHANNEL, Sim, org};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn topic(user: &str, suffix: &str) -> String {
    format!("v2.users.{user}.{suffix}")
}

fn ids(body: &Value) -> Vec<String> {
    body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn put_replaces_post_adds_get_lists_and_delete_clears() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let me = org::DEMO_AGENT_ID;
    subscribe(&sim, &token, &id, &[&topic(me, "presence")]).await;
    let added = subscribe_with(
        &sim,
        &token,
        &id,
        Method::POST,
        "",
        &[&topic(me, "conversations")],
    )
    .await;
    assert_eq!(
        ids(&added.json().await.unwrap()),
        [topic(me, "presence"), topic(me, "conversations")]
    );
    let replaced = subscribe(&sim, &token, &id, &[&topic(me, "routingStatus")]).await;
    assert_eq!(ids(&replaced), [topic(me, "routingStatus")]);
    let path = format!("/api/v2/notifications/channels/{id}/subscriptions");
    assert_eq!(
        ids(&get_json(&sim, &token, &path).await),
        [topic(me, "routingStatus")]
    );
    let cleared = http()
        .delete(format!("{}{path}", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    assert!(ids(&get_json(&sim, &token, &path).await).is_empty());
}

#[tokio::test]
async fn one_forbidden_topic_fails_the_whole_request_with_403() {
    // A user with no roles: it may watch itself, nobody else.
    let org = org::Org::demo()
        .user(genesys_sim::User::new("loner", "Lone User"))
        .client(
            genesys_sim::OAuthClient::authorization_code("lone", "s", "loner")
                .scope("notifications")
                .refresh_token("rt-lone"),
        );
    let sim = Sim::builder().org(org).start().await.unwrap();
    let response = token_for(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-lone"),
        ],
        "lone",
        "s",
    )
    .await;
    let lone = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, _) = create_channel(&sim, &lone).await;
    let response = subscribe_with(
        &sim,
        &lone,
        &id,
        Method::PUT,
        "",
        &[
            &topic("loner", "conversations"),
            &topic(org::DEMO_AGENT_ID, "conversations"),
        ],
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .headers()
            .contains_key(genesys_sim::CORRELATION_HEADER)
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 403);
    assert_eq!(body["code"], "missing.any.permissions");
    assert!(
        body["messageParams"]["permissions"]
            .as_str()
            .unwrap()
            .contains("conversation:communication:view")
    );
    let path = format!("/api/v2/notifications/channels/{id}/subscriptions");
    assert!(
        ids(&get_json(&sim, &lone, &path).await).is_empty(),
        "nothing was subscribed"
    );

    let lenient = subscribe_with(
        &sim,
        &lone,
        &id,
        Method::PUT,
        "?ignoreErrors=true",
        &[
            &topic("loner", "conversations"),
            &topic(org::DEMO_AGENT_ID, "conversations"),
        ],
    )
    .await;
    assert_eq!(lenient.status(), 200);
    let body: Value = lenient.json().await.unwrap();
    let entities = body["entities"].as_array().unwrap();
    assert_eq!(entities[0]["state"], "Permitted");
    assert_eq!(entities[1]["state"], "Rejected");
    assert_eq!(
        entities[1]["missingPermissions"],
        json!(["conversation:communication:view"])
    );
    assert_eq!(
        ids(&get_json(&sim, &lone, &path).await),
        [topic("loner", "conversations")]
    );
}

#[tokio::test]
async fn system_topics_and_misspellings_are_refused_with_400() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    for bad in [
        "channel.metadata".to_owned(),
        "v2.system.socket_closing".to_owned(),
        topic(org::DEMO_AGENT_ID, "routingstatus"),
        "v2.users.*.presence".to_owned(),
    ] {
        let response = subscribe_with(&sim, &token, &id, Method::PUT, "", &[&bad]).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "bad.request"
        );
    }
}

#[tokio::test]
async fn more_than_1000_topics_on_a_channel_is_a_400() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let topics: Vec<String> = (0..=MAX_TOPICS_PER_CHANNEL)
        .map(|i| topic(&format!("user-{i}"), "presence"))
        .collect();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let too_many = subscribe_with(&sim, &token, &id, Method::PUT, "", &refs).await;
    assert_eq!(too_many.status(), 400);
    let exactly = subscribe_with(
        &sim,
        &token,
        &id,
        Method::PUT,
        "",
        &refs[..MAX_TOPICS_PER_CHANNEL],
    )
    .await;
    assert_eq!(exactly.status(), 200);
}

#[tokio::test]
async fn a_combined_topic_is_echoed_whole_and_delivered_under_its_parts() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let me = org::DEMO_AGENT_ID;
    let combined = format!("v2.users.{me}?presence&routingStatus");
    let body = subscribe(&sim, &token, &id, &[&combined]).await;
    assert_eq!(ids(&body), [combined]);
    let channel = sim
        .channels()
        .into_iter()
        .find(|c| c.id == id)
        .expect("the channel");
    assert_eq!(
        channel.topics,
        [topic(me, "presence"), topic(me, "routingStatus")],
        "events arrive under the expanded names"
    );
}

#[tokio::test]
async fn a_combined_topic_with_a_forbidden_part_lists_that_part_as_rejected() {
    let org = org::Org::demo()
        .user(genesys_sim::User::new("loner", "Lone User"))
        .client(
            genesys_sim::OAuthClient::authorization_code("lone", "s", "loner")
                .scope("notifications")
                .refresh_token("rt-lone"),
        );
    let sim = Sim::builder().org(org).start().await.unwrap();
    let response = token_for(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-lone"),
        ],
        "lone",
        "s",
    )
    .await;
    let lone = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, _) = create_channel(&sim, &lone).await;
    let other = org::DEMO_AGENT_ID;
    let combined = format!("v2.users.{other}?presence&conversations");
    let response = subscribe_with(
        &sim,
        &lone,
        &id,
        Method::PUT,
        "?ignoreErrors=true",
        &[&combined],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["entities"],
        json!([
            {"id": combined, "state": "Permitted"},
            {"id": topic(other, "conversations"), "state": "Rejected",
             "rejectionReason": "Missing permissions",
             "missingPermissions": ["conversation:communication:view"]},
        ])
    );
    let channel = sim.channels().into_iter().find(|c| c.id == id).unwrap();
    assert_eq!(channel.topics, [topic(other, "presence")]);
}

#[tokio::test]
async fn the_1000_topic_limit_counts_a_combined_topic_once() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let (id, _) = create_channel(&sim, &token).await;
    let topics: Vec<String> = (0..=MAX_TOPICS_PER_CHANNEL)
        .map(|i| format!("v2.users.user-{i}?conversations&presence&routingStatus"))
        .collect();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let fits = subscribe_with(
        &sim,
        &token,
        &id,
        Method::PUT,
        "",
        &refs[..MAX_TOPICS_PER_CHANNEL],
    )
    .await;
    assert_eq!(fits.status(), 200, "1 000 entries of three parts each");
    let over = subscribe_with(&sim, &token, &id, Method::PUT, "", &refs).await;
    assert_eq!(over.status(), 400);
}

#[tokio::test]
async fn available_topics_describe_permissions_when_expanded() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let body = get_json(
        &sim,
        &token,
        "/api/v2/notifications/availabletopics?expand=requiresPermissions,permissionDetails,enforced,visibility",
    )
    .await;
    let entities = body["entities"].as_array().unwrap();
    let conversations = entities
        .iter()
        .find(|e| e["id"] == "v2.users.{id}.conversations")
        .expect("the conversations topic is listed");
    assert_eq!(
        conversations["requiresPermissions"],
        json!(["conversation:communication:view"])
    );
    assert_eq!(
        conversations["permissionDetails"][0]["allowsCurrentUser"],
        true
    );
    assert_eq!(conversations["enforced"], true);
    assert_eq!(conversations["visibility"], "Public");
    let plain = get_json(&sim, &token, "/api/v2/notifications/availabletopics").await;
    assert!(plain["entities"][0].get("requiresPermissions").is_none());
}
