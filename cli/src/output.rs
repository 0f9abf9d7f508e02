//! The words and JSON shapes the command prints, in one place so every command names things
//! the same way.
//!
//! `kind` values of events are part of the CLI's interface: the core's
//! [`Event::kind`] names (`conversation`, `presence`, `routing_status`, `activity`,
//! `conversation_summary`, `heartbeat`, `pong`, `socket_closing`, `system`, `reply`,
//! `other`), and `invalid` for a frame that is not a notification at all. Activities print
//! with the core's snake_case names
//! ([`Activity::as_str`](genesys_notify::core::agent::Activity::as_str)).

use genesys_notify::Item;
use genesys_notify::core::diagnosis::{Action, Diagnosis};
use genesys_notify::core::event::Event;
use genesys_notify::core::json;
use genesys_notify::core::secret::ShortChannelId;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

/// The item as one JSON line of `genesys-notify watch --json`:
/// `{"kind":"event"|"agent"|"connection"|"diagnosis", …}`.
///
/// Event lines carry `topic` and `event` (the event's kind); agent lines `user`,
/// `activity` and `stale`; connection lines `health`, `channel` (shortened: the id is a
/// capability), `live`, `reconnects`, `expires_in_secs`, `last_heartbeat_secs_ago` and, when the
/// socket had something to say, `notice`; diagnosis lines `message` (the sentence for a person)
/// and `action` (`backoff`, `retry_after`, `refresh_token`, `recreate_channel`, `stop`). The
/// stop is a diagnosis line with `"action":"stop"` and `"stopped":true`.
pub fn json_line(item: &Item) -> Value {
    match item {
        Item::Event(n) => json!({
            "kind": "event",
            "topic": n.topic(),
            "event": n.kind(),
        }),
        Item::Agent(a) => json!({
            "kind": "agent",
            "user": a.user_id,
            "activity": a.activity.as_str(),
            "stale": a.stale,
        }),
        Item::Connection(c) => {
            let now = Instant::now();
            let mut line = json!({
                "kind": "connection",
                "health": c.health.as_str(),
                "channel": (!c.channel_id.is_empty())
                    .then(|| ShortChannelId(&c.channel_id).to_string()),
                "live": c.live,
                "reconnects": c.reconnects,
                "expires_in_secs": c.expires_at.map(|at| at.saturating_duration_since(now).as_secs()),
                "last_heartbeat_secs_ago": c.last_heartbeat.map(|at| now.saturating_duration_since(at).as_secs()),
            });
            if let (Some(notice), Some(fields)) = (c.notice, line.as_object_mut()) {
                fields.insert("notice".into(), json!(notice.to_string()));
            }
            line
        }
        Item::Diagnosis(d) => {
            let mut line = Map::new();
            line.insert("kind".into(), json!("diagnosis"));
            line.extend(diagnosis_fields(d));
            Value::Object(line)
        }
        Item::Stopped(reason) => {
            let mut line = Map::new();
            line.insert("kind".into(), json!("diagnosis"));
            match reason.diagnosis() {
                Some(d) => line.extend(diagnosis_fields(d)),
                None => {
                    line.insert("message".into(), json!(reason.to_string()));
                    line.insert("action".into(), json!("stop"));
                }
            }
            line.insert("stopped".into(), json!(true));
            Value::Object(line)
        }
        // `Item` is non-exhaustive: a kind added later prints as what it is called.
        other => json!({ "kind": "other", "debug": format!("{other:?}") }),
    }
}

/// The topic an event arrived on: the `topicName` as received for topic events, the name
/// implied by the variant for heartbeats, pongs and `socket_closing`, `None` for subscribe
/// replies (they have no topic).
pub fn event_topic(event: &Event<'_>) -> Option<String> {
    event
        .implied_topic()
        .map(str::to_owned)
        .or_else(|| event.topic().map(|t| t.chars().collect()))
}

/// The `topicName` of a frame the core could not turn into an event, if the frame is a JSON
/// object with a string `topicName` at all; for saying which topic a broken frame was on.
pub fn frame_topic(frame: &[u8]) -> Option<String> {
    let root = json::parse(frame).ok()?.as_object()?;
    let topic = root.get("topicName")?.as_str()?;
    Some(topic.chars().collect())
}

/// The snake_case name of what the client does about a diagnosis: `retry_after`, `backoff`,
/// `refresh_token`, `recreate_channel` or `stop`.
pub fn action_name(action: Action) -> &'static str {
    match action {
        Action::RetryAfter(_) => "retry_after",
        Action::Backoff => "backoff",
        Action::RefreshToken => "refresh_token",
        Action::RecreateChannel => "recreate_channel",
        Action::Stop => "stop",
    }
}

/// The fields describing a diagnosis: `message` (the sentence for a person), `action`,
/// `retry_after_secs` for [`Action::RetryAfter`], `step`, and `http_status`, `code`,
/// `missing` when known.
pub fn diagnosis_fields(diagnosis: &Diagnosis) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("message".into(), json!(diagnosis.to_string()));
    fields.insert("action".into(), json!(action_name(diagnosis.action())));
    if let Action::RetryAfter(wait) = diagnosis.action() {
        fields.insert("retry_after_secs".into(), json!(wait.as_secs()));
    }
    fields.insert("step".into(), json!(diagnosis.step().to_string()));
    if let Some(status) = diagnosis.status() {
        fields.insert("http_status".into(), json!(status));
    }
    if let Some(code) = diagnosis.code() {
        fields.insert("code".into(), json!(code));
    }
    if !diagnosis.missing().is_empty() {
        let missing: Vec<&str> = diagnosis.missing().iter().map(|m| m.name()).collect();
        fields.insert("missing".into(), json!(missing));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_notify::core::event;

    #[test]
    fn heartbeats_are_on_channel_metadata_and_replies_on_no_topic() {
        let frame =
            br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        let event = event::parse(frame).expect("a heartbeat");
        assert_eq!(event_topic(&event).as_deref(), Some("channel.metadata"));
        let event = event::parse(br#"{"result":"200","status":"subscribed"}"#).expect("a reply");
        assert_eq!(event_topic(&event), None);
    }

    #[test]
    fn a_connection_line_shows_the_channel_id_shortened() {
        let id = "streaming-0-aa5h48uk0srhpugh2994klj918";
        let line = json_line(&Item::Connection(genesys_notify::ConnectionUpdate {
            health: genesys_notify::core::light::Health::Live,
            channel_id: id.to_owned(),
            live: true,
            expires_at: None,
            last_heartbeat: None,
            reconnects: 2,
            notice: None,
            shard: 0,
        }));
        assert_eq!(line["kind"], "connection");
        assert_eq!(line["health"], "live");
        assert_eq!(line["channel"], "streaming-0-aa5h48…");
        assert_eq!(line["reconnects"], 2);
        assert!(!line.to_string().contains(id));
    }

    #[test]
    fn an_agent_line_carries_activity_and_stale() {
        let line = json_line(&Item::Agent(genesys_notify::AgentUpdate {
            user_id: "u-1".into(),
            activity: genesys_notify::core::agent::Activity::OnCall,
            stale: true,
            shard: 0,
        }));
        assert_eq!(line["kind"], "agent");
        assert_eq!(line["user"], "u-1");
        assert_eq!(line["activity"], "on_call");
        assert_eq!(line["stale"], true);
    }

    #[test]
    fn user_topics_keep_the_spelling_the_server_sent() {
        let frame = br#"{"topicName":"v2.users.u-1.ROUTINGSTATUS","eventBody":{"routingStatus":{"status":"IDLE"}}}"#;
        let event = event::parse(frame).expect("a routing status event");
        assert_eq!(
            event_topic(&event).as_deref(),
            Some("v2.users.u-1.ROUTINGSTATUS")
        );
    }

    #[test]
    fn a_broken_frame_still_names_its_topic_when_it_has_one() {
        assert_eq!(
            frame_topic(br#"{"topicName":"v2.users.u-1.conversations","eventBody":1}"#).as_deref(),
            Some("v2.users.u-1.conversations")
        );
        assert_eq!(frame_topic(b"not json"), None);
    }
}
