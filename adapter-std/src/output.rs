//! The words and JSON shapes the CLI prints, kept in the library so every command (and every
//! program built on this crate) names things the same way.
//!
//! `kind` values of events are part of the CLI's interface: `conversation`, `presence`,
//! `routing_status`, `activity`, `conversation_summary`, `heartbeat`, `pong`,
//! `socket_closing`, `system`, `reply`, `other` (and `invalid` for a frame that is not a
//! notification at all). Activities print with the core's snake_case names
//! ([`Activity::as_str`](genesys_notify_core::agent::Activity::as_str)).

use genesys_notify_core::diagnosis::{Action, Diagnosis};
use genesys_notify_core::event::Event;
use genesys_notify_core::json;
use serde_json::{Map, Value, json};

/// The `topicName` of `channel.metadata` frames (heartbeats and pongs).
const CHANNEL_METADATA: &str = "channel.metadata";

/// The `topicName` of the maintenance notice.
const SOCKET_CLOSING: &str = "v2.system.socket_closing";

/// The `kind` name of an event, as the CLI prints it.
pub fn event_kind(event: &Event<'_>) -> &'static str {
    match event {
        Event::Heartbeat => "heartbeat",
        Event::Pong => "pong",
        Event::SocketClosing => "socket_closing",
        Event::System { .. } => "system",
        Event::Reply(_) => "reply",
        Event::Conversation(_) => "conversation",
        Event::Presence(_) => "presence",
        Event::RoutingStatus(_) => "routing_status",
        Event::Activity(_) => "activity",
        Event::ConversationSummary(_) => "conversation_summary",
        // `Event` is non-exhaustive: a kind added to the core later is, to this version, other.
        _ => "other",
    }
}

/// The topic an event arrived on: the `topicName` as received for topic events, the name
/// implied by the variant for heartbeats, pongs and `socket_closing`, `None` for subscribe
/// replies (they have no topic).
pub fn event_topic(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Heartbeat | Event::Pong => Some(CHANNEL_METADATA.to_owned()),
        Event::SocketClosing => Some(SOCKET_CLOSING.to_owned()),
        other => other.topic().map(|t| t.chars().collect()),
    }
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
    use genesys_notify_core::event;

    #[test]
    fn heartbeats_are_named_by_their_channel_metadata_topic() {
        let frame =
            br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        let event = event::parse(frame).expect("a heartbeat");
        assert_eq!(event_kind(&event), "heartbeat");
        assert_eq!(event_topic(&event).as_deref(), Some("channel.metadata"));
    }

    #[test]
    fn subscribe_replies_have_no_topic() {
        let event = event::parse(br#"{"result":"200","status":"subscribed"}"#).expect("a reply");
        assert_eq!(event_kind(&event), "reply");
        assert_eq!(event_topic(&event), None);
    }

    #[test]
    fn user_topics_keep_the_spelling_the_server_sent() {
        let frame = br#"{"topicName":"v2.users.u-1.ROUTINGSTATUS","eventBody":{"routingStatus":{"status":"IDLE"}}}"#;
        let event = event::parse(frame).expect("a routing status event");
        assert_eq!(event_kind(&event), "routing_status");
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
