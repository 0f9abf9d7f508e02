use genesys_sim::{Media, Offer, Presence, RoutingStatus, Sim, org};
use serde_json::{Value, json};

use crate::support::*;

const ME: &str = org::DEMO_AGENT_ID;
const COLLEAGUE: &str = org::DEMO_COLLEAGUE_ID;

fn conversations(user: &str) -> String {
    format!("v2.users.{user}.conversations")
}

async fn routing(sim: &Sim, token: &str) -> String {
    let body = get_json(sim, token, &format!("/api/v2/users/{ME}/routingstatus")).await;
    body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_call_from_ring_to_wrap_up_publishes_whole_conversations_and_updates_rest() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    let (_, mut ws) = agent_channel(&sim, &[&conversations(ME)]).await;
    let agent = sim.agent(ME);
    agent.go_on_queue();
    assert_eq!(routing(&sim, &token).await, "IDLE");

    let call = agent.ring();
    let ringing = next_on(&mut ws, &conversations(ME)).await;
    let body = &ringing["eventBody"];
    assert_eq!(body["id"], call.conversation_id());
    let purposes: Vec<&str> = body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["customer", "acd", "agent"]);
    assert_eq!(agent_leg(body, ME)["calls"][0]["state"], "alerting");
    assert_eq!(routing(&sim, &token).await, "INTERACTING");

    call.answer();
    let answered = next_on(&mut ws, &conversations(ME)).await;
    let leg = &agent_leg(&answered["eventBody"], ME)["calls"][0];
    assert_eq!(leg["state"], "connected");
    assert_eq!(leg["held"], false);
    assert_eq!(leg["muted"], false);
    let acd = &answered["eventBody"]["participants"][1];
    assert!(acd["endTime"].is_string(), "the queue leg ends but is kept");
    assert_eq!(acd["calls"][0]["disconnectType"], "transfer");

    call.hold();
    let held = next_on(&mut ws, &conversations(ME)).await;
    assert_eq!(agent_leg(&held["eventBody"], ME)["calls"][0]["held"], true);
    call.resume();
    let resumed = next_on(&mut ws, &conversations(ME)).await;
    assert_eq!(
        agent_leg(&resumed["eventBody"], ME)["calls"][0]["held"],
        false
    );

    let active = get_json(&sim, &token, "/api/v2/conversations").await;
    assert_eq!(active["entities"][0]["id"], call.conversation_id());

    call.hang_up();
    let acw = next_on(&mut ws, &conversations(ME)).await;
    let p = agent_leg(&acw["eventBody"], ME);
    assert_eq!(p["wrapupRequired"], true);
    assert!(p["startAcwTime"].is_string());
    assert!(p.get("endTime").is_none());
    assert_eq!(p["calls"][0]["afterCallWork"]["state"], "pending");
    let ended = next_on(&mut ws, &conversations(ME)).await;
    let p = agent_leg(&ended["eventBody"], ME);
    assert!(p["endTime"].is_string());
    assert_eq!(p["calls"][0]["state"], "disconnected");
    assert_eq!(p["calls"][0]["disconnectType"], "client");
    assert_eq!(
        routing(&sim, &token).await,
        "INTERACTING",
        "ACW is still work"
    );

    call.wrap_up("Resolved");
    let wrapped = next_on(&mut ws, &conversations(ME)).await;
    let p = agent_leg(&wrapped["eventBody"], ME);
    assert_eq!(p["wrapup"]["code"], "Resolved");
    assert!(p["endAcwTime"].is_string());
    assert_eq!(p["calls"][0]["afterCallWork"]["state"], "complete");
    assert_eq!(routing(&sim, &token).await, "IDLE");
    let active = get_json(&sim, &token, "/api/v2/conversations").await;
    assert_eq!(active["entities"], json!([]));
}

#[tokio::test]
async fn consult_transfer_adds_a_participant_and_ends_the_old_leg_without_removing_it() {
    let sim = start().await;
    let service = service_token(&sim).await;
    let (id, uri) = create_channel(&sim, &service).await;
    subscribe(
        &sim,
        &service,
        &id,
        &[&conversations(ME), &conversations(COLLEAGUE)],
    )
    .await;
    let mut ws = connect(&uri).await;
    let call = sim.agent(ME).ring();
    call.answer();
    let colleague = call.consult_transfer(COLLEAGUE);
    assert_ne!(colleague.participant_id(), call.participant_id());
    let mut last = Value::Null;
    for _ in 0..40 {
        let event = next_on(&mut ws, &conversations(COLLEAGUE)).await;
        let done = event["eventBody"]["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["userId"] == ME && p["calls"][0]["state"] == "disconnected");
        last = event;
        if done {
            break;
        }
    }
    let participants = last["eventBody"]["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 4);
    let old = participants.iter().find(|p| p["userId"] == ME).unwrap();
    assert!(old["endTime"].is_string());
    assert_eq!(old["calls"][0]["disconnectType"], "transfer");
    let new = agent_leg(&last["eventBody"], COLLEAGUE);
    assert_eq!(new["calls"][0]["state"], "connected");
    let customer = participants
        .iter()
        .find(|p| p["purpose"] == "customer")
        .unwrap();
    assert_eq!(customer["calls"][0]["held"], false);
}

#[tokio::test]
async fn chats_emails_messages_and_callbacks_use_their_own_media_arrays() {
    let sim = start().await;
    let (_, mut ws) = agent_channel(&sim, &[&conversations(ME)]).await;
    let agent = sim.agent(ME);
    for (media, key) in [
        (Media::Chat, "chats"),
        (Media::Email, "emails"),
        (Media::Message, "messages"),
        (Media::Callback, "callbacks"),
    ] {
        let interaction = agent.offer_with(Offer::new(media).wrapup_required(false));
        let event = next_on(&mut ws, &conversations(ME)).await;
        let leg = &agent_leg(&event["eventBody"], ME)[key][0];
        assert_eq!(leg["state"], "alerting", "{key}");
        assert!(leg.get("muted").is_none(), "only calls carry muted");
        interaction.answer();
        interaction.customer_hangs_up();
        next_on(&mut ws, &conversations(ME)).await;
        let ended = next_on(&mut ws, &conversations(ME)).await;
        let p = agent_leg(&ended["eventBody"], ME);
        assert_eq!(p[key][0]["disconnectType"], "peer");
        assert!(p.get("startAcwTime").is_none(), "no wrap-up required");
    }
}

#[tokio::test]
async fn combined_topics_deliver_each_part_under_its_expanded_name() {
    let sim = start().await;
    let (_, mut ws) =
        agent_channel(&sim, &[&format!("v2.users.{ME}?presence&routingStatus")]).await;
    sim.agent(ME).go_on_queue();
    let presence = next_event(&mut ws).await;
    assert_eq!(presence["topicName"], format!("v2.users.{ME}.presence"));
    let body = &presence["eventBody"];
    assert_eq!(body["presenceDefinition"]["systemPresence"], "ON_QUEUE");
    assert!(body["presenceDefinition"]["id"].is_string());
    assert!(body["modifiedDate"].is_string() && body["message"].is_string());
    let status = next_event(&mut ws).await;
    assert_eq!(status["topicName"], format!("v2.users.{ME}.routingStatus"));
    assert_eq!(status["eventBody"]["routingStatus"]["status"], "IDLE");
    assert!(status["eventBody"]["routingStatus"]["startTime"].is_string());
}

#[tokio::test]
async fn activity_and_conversation_summary_follow_the_agent() {
    let sim = start().await;
    let (_, mut ws) = agent_channel(
        &sim,
        &[
            &format!("v2.users.{ME}.activity"),
            &format!("v2.users.{ME}.conversationsummary"),
        ],
    )
    .await;
    let agent = sim.agent(ME);
    agent.set_presence_with_message(Presence::Busy, "in a meeting");
    let activity = next_on(&mut ws, &format!("v2.users.{ME}.activity")).await;
    let body = &activity["eventBody"];
    assert_eq!(body["id"], ME);
    assert_eq!(
        body["presence"]["presenceDefinition"]["systemPresence"],
        "BUSY"
    );
    assert_eq!(body["presence"]["message"], "in a meeting");
    assert_eq!(body["routingStatus"]["status"], "OFF_QUEUE");
    assert_eq!(body["outOfOffice"]["active"], false);
    let call = agent.ring();
    let summary = next_on(&mut ws, &format!("v2.users.{ME}.conversationsummary")).await;
    assert_eq!(summary["eventBody"]["call"]["contactCenter"]["active"], 1);
    call.answer();
    call.hang_up();
    let mut summary = Value::Null;
    for _ in 0..2 {
        summary = next_on(&mut ws, &format!("v2.users.{ME}.conversationsummary")).await;
    }
    assert_eq!(
        summary["eventBody"]["call"]["contactCenter"],
        json!({"active": 0, "acw": 1})
    );
}

#[tokio::test]
async fn rest_reads_reflect_presence_routing_and_summary() {
    let sim = start().await;
    let token = agent_token(&sim).await;
    let agent = sim.agent(ME);
    agent.go_on_queue();
    let _call = agent.ring();
    let user = get_json(
        &sim,
        &token,
        &format!("/api/v2/users/{ME}?expand=presence,routingStatus,conversationSummary"),
    )
    .await;
    assert_eq!(
        user["presence"]["presenceDefinition"]["systemPresence"],
        "On Queue"
    );
    assert_eq!(user["routingStatus"]["status"], "INTERACTING");
    assert_eq!(
        user["conversationSummary"]["call"]["contactCenter"]["active"],
        1
    );
    let presence = get_json(
        &sim,
        &token,
        &format!("/api/v2/users/{ME}/presences/purecloud"),
    )
    .await;
    assert_eq!(presence["source"], "PURECLOUD");
    assert_eq!(agent.routing_status(), Some(RoutingStatus::Interacting));
    let missing = get(&sim, &token, "/api/v2/users/nobody").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn an_unanswered_offer_makes_the_agent_not_responding() {
    let sim = start().await;
    let (_, mut ws) = agent_channel(&sim, &[&format!("v2.users.{ME}.routingStatus")]).await;
    let agent = sim.agent(ME);
    agent.go_on_queue();
    assert_eq!(
        next_event(&mut ws).await["eventBody"]["routingStatus"]["status"],
        "IDLE"
    );
    agent.ring().not_answered();
    let mut status = String::new();
    for _ in 0..3 {
        status = next_event(&mut ws).await["eventBody"]["routingStatus"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status == "NOT_RESPONDING" {
            break;
        }
    }
    assert_eq!(status, "NOT_RESPONDING");
}

#[tokio::test]
async fn the_demo_shift_plays_a_call_a_transfer_a_chat_and_a_break() {
    use genesys_sim::scenario::{Step, shift};
    let sim = start().await;
    let token = agent_token(&sim).await;
    let (_, mut ws) = agent_channel(&sim, &[&conversations(ME)]).await;
    let agent = sim.agent(ME);
    let mut steps = Vec::new();
    shift(&agent, Some(COLLEAGUE), ms(1), |s| steps.push(s)).await;
    assert_eq!(steps.first(), Some(&Step::GoOnQueue));
    assert!(steps.contains(&Step::Transfer) && steps.contains(&Step::Chat));
    assert_eq!(steps.last(), Some(&Step::BackFromBreak));
    assert_eq!(agent.presence(), Some(Presence::Available));
    assert_eq!(agent.routing_status(), Some(RoutingStatus::OffQueue));
    assert_eq!(
        get_json(&sim, &token, "/api/v2/conversations").await["entities"],
        json!([])
    );
    let first = next_on(&mut ws, &conversations(ME)).await;
    assert_eq!(
        agent_leg(&first["eventBody"], ME)["calls"][0]["state"],
        "alerting"
    );
}
