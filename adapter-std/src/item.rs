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
use tokio::time::Instant;

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
    /// With one session this is the last item and the stream ends after it; with several (more
    /// than [`MAX_AGENTS`](crate::MAX_AGENTS) agents), the stream ends once every one has
    /// stopped.
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
            kind: event.kind(),
            topic: event
                .implied_topic()
                .map(str::to_owned)
                .or_else(|| event.topic().map(|t| t.chars().collect())),
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
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
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
    /// Which of the client's sessions (channels) follows the agent: its
    /// [`ConnectionUpdate`]s carry the same number. Always 0 for up to
    /// [`MAX_AGENTS`](crate::MAX_AGENTS) agents.
    pub shard: usize,
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
    /// Which of the client's sessions (channels) this is about (see [`AgentUpdate::shard`]).
    pub shard: usize,
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
            .field("shard", &self.shard)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_update_shows_its_channel_id_shortened_in_debug() {
        let id = "streaming-0-aa5h48uk0srhpugh2994klj918";
        let update = ConnectionUpdate {
            health: Health::Live,
            channel_id: id.to_owned(),
            live: true,
            expires_at: None,
            last_heartbeat: None,
            reconnects: 0,
            notice: None,
            shard: 0,
        };
        let debug = format!("{update:?}");
        assert!(!debug.contains(id), "{debug}");
        assert!(debug.contains("streaming-0-aa5h48…"), "{debug}");
    }

    #[test]
    fn a_notification_names_its_topic_and_kind() {
        let frame = Bytes::from_static(
            br#"{"topicName":"v2.users.u-1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Busy"}}}"#,
        );
        let event = event::parse(&frame).expect("a presence event");
        let notification = Notification::new(frame.clone(), &event);
        assert_eq!(notification.topic(), Some("v2.users.u-1.presence"));
        assert_eq!(notification.kind(), "presence");
        let heartbeat = Bytes::from_static(
            br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
        );
        let event = event::parse(&heartbeat).expect("a heartbeat");
        let notification = Notification::new(heartbeat.clone(), &event);
        assert_eq!(notification.topic(), Some("channel.metadata"));
        assert_eq!(notification.kind(), "heartbeat");
    }
}
