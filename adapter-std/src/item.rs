//! What a [`Notifications`](crate::Notifications) stream yields.
//!
//! Items are owned, so they can be sent across tasks and kept. A received event keeps its frame
//! (a reference-counted slice of the socket's buffer, not a copy) and is parsed into the core's
//! typed, borrowed [`Event`] on demand: typed where the core knows the topic, raw JSON otherwise
//! ([`Event::Other`] carries the body as text).

use std::fmt;

use bytes::Bytes;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::diagnosis::Diagnosis;
use genesys_notify_core::event::{self, Event, EventError};
use genesys_notify_core::light::Health;
use genesys_notify_core::secret::ShortChannelId;
use genesys_notify_core::session::{Notice, StopReason};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::output::{diagnosis_fields, event_kind, event_topic};

/// One thing that happened.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Item {
    /// A notification arrived (after duplicates from a channel rollover were removed).
    Event(Notification),
    /// An agent's activity, or whether it can be trusted, changed.
    Agent(AgentUpdate),
    /// The connection's state changed (the light's health, the channel, a heartbeat, a
    /// reconnection), or something happened on the socket worth knowing ([`Notice`]).
    Connection(ConnectionUpdate),
    /// Genesys refused or failed something; the client is handling it as
    /// [`Diagnosis::action`] says.
    Diagnosis(Diagnosis),
    /// The session stopped: nothing will change until a person fixes what the reason names.
    /// This is the last item; the stream ends after it.
    Stopped(StopReason),
}

/// A received notification.
#[derive(Clone, Debug)]
pub struct Notification {
    frame: Bytes,
    kind: &'static str,
    topic: Option<String>,
}

impl Notification {
    /// Keeps a frame the core parsed as `event`.
    pub(crate) fn new(frame: Bytes, event: &Event<'_>) -> Self {
        Self {
            kind: event_kind(event),
            topic: event_topic(event),
            frame,
        }
    }

    /// The frame's text, exactly as received.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The event, typed, borrowing the frame.
    ///
    /// The frame was parsed once already, so this succeeds; it parses again rather than keep a
    /// self-referential value, which costs one pass over the frame.
    pub fn event(&self) -> Result<Event<'_>, EventError> {
        event::parse(&self.frame)
    }

    /// The kind, as the CLI names it (`conversation`, `presence`, `heartbeat`, …).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The topic it arrived on (`None` for subscribe replies).
    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// The frame as a JSON value, for events the core does not model.
    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.frame)
    }
}

/// An agent's activity as the light shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentUpdate {
    /// The agent's Genesys user id.
    pub user_id: String,
    /// What the agent is doing.
    pub activity: Activity,
    /// Whether events may have been missed since the last REST resync: the activity may be
    /// out of date.
    pub stale: bool,
}

/// The connection's state.
///
/// `Debug` shows the channel id shortened ([`ShortChannelId`]): the id opens the channel's
/// socket without a token.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionUpdate {
    /// What the light shows about the connection itself.
    pub health: Health,
    /// The channel in use (empty before the first channel exists).
    pub channel_id: String,
    /// Whether the socket is open, subscribed and resynced.
    pub live: bool,
    /// When the channel will be renewed or expire, if a channel exists.
    pub expires_at: Option<Instant>,
    /// When the last heartbeat arrived.
    pub last_heartbeat: Option<Instant>,
    /// How many times the socket was reconnected (or the channel replaced) so far.
    pub reconnects: u32,
    /// What happened on the socket, when this update was caused by it.
    pub notice: Option<Notice>,
}

impl fmt::Debug for ConnectionUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionUpdate")
            .field("health", &self.health)
            .field("channel_id", &ShortChannelId(&self.channel_id))
            .field("live", &self.live)
            .field("expires_at", &self.expires_at)
            .field("last_heartbeat", &self.last_heartbeat)
            .field("reconnects", &self.reconnects)
            .field("notice", &self.notice)
            .finish()
    }
}

impl Item {
    /// The item as one JSON line of `genesys-notify watch --json`:
    /// `{"kind":"event"|"agent"|"connection"|"diagnosis", …}`.
    ///
    /// Event lines carry `topic` and `event` (the event's kind); agent lines `user`,
    /// `activity` and `stale`; connection lines `health`, `channel`, `live`, `reconnects`,
    /// `expires_in_secs`, `last_heartbeat_secs_ago` and, when the socket had something to say,
    /// `notice`; diagnosis lines `message` (the sentence for a person) and `action` (`backoff`,
    /// `retry_after`, `refresh_token`, `recreate_channel`, `stop`). The stop is a diagnosis
    /// line with `"action":"stop"` and `"stopped":true`.
    pub fn to_json_line(&self) -> Value {
        match self {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_line_and_its_debug_show_the_channel_id_shortened() {
        let id = "streaming-0-aa5h48uk0srhpugh2994klj918";
        let update = ConnectionUpdate {
            health: Health::Live,
            channel_id: id.to_owned(),
            live: true,
            expires_at: None,
            last_heartbeat: None,
            reconnects: 0,
            notice: None,
        };
        let line = Item::Connection(update.clone()).to_json_line();
        assert_eq!(line["channel"], "streaming-0-aa5h48…");
        assert!(!format!("{update:?}").contains(id));
        assert!(!line.to_string().contains(id));
    }

    #[test]
    fn an_event_line_names_its_topic_and_kind() {
        let frame = Bytes::from_static(
            br#"{"topicName":"v2.users.u-1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Busy"}}}"#,
        );
        let event = event::parse(&frame).expect("a presence event");
        let item = Item::Event(Notification::new(frame.clone(), &event));
        let line = item.to_json_line();
        assert_eq!(line["kind"], "event");
        assert_eq!(line["topic"], "v2.users.u-1.presence");
        assert_eq!(line["event"], "presence");
    }

    #[test]
    fn an_agent_line_carries_activity_and_stale() {
        let line = Item::Agent(AgentUpdate {
            user_id: "u-1".into(),
            activity: Activity::OnCall,
            stale: true,
        })
        .to_json_line();
        assert_eq!(line["kind"], "agent");
        assert_eq!(line["activity"], "on_call");
        assert_eq!(line["stale"], true);
    }
}
