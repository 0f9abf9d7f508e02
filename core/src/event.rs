//! Incoming notification frames, parsed into typed, borrowed events.
//!
//! # Why it is shaped this way
//!
//! Every text frame the streaming socket delivers goes through [`parse`] exactly once. The result
//! borrows the frame: topic names, ids and bodies are views into the caller's buffer, so parsing
//! costs one validation pass and no copies, on a desktop or on a microcontroller alike.
//!
//! Genesys keeps adding fields and enum values, so the parser is tolerant where the protocol is
//! open and strict only where a mistake would mislead the agent model:
//!
//! - unknown keys are ignored everywhere;
//! - unknown enum values (a new media state, a new presence) become an `Unknown` variant;
//! - topics the core does not model arrive as [`Event::Other`] with their body as a raw slice;
//! - received topic names are classified by [`ReceivedTopic::classify`], ignoring ASCII case
//!   (subscriptions must be spelled exactly, but nothing promises the echo is); a name with JSON
//!   escapes is decoded first (up to [`MAX_TOPIC_LEN`] bytes; a longer one is [`Event::Other`]);
//! - a frame that is not JSON, too large, or a known topic whose body has the wrong shape is an
//!   [`EventError`]: the frame is dropped, and because an event may have been lost the caller
//!   should treat the agent state as stale.
//!
//! Memory is bounded by [`MAX_FRAME_LEN`] and by [`json::MAX_DEPTH`]; nothing here grows with
//! the number of participants in a conversation, because [`Conversation`] is a view that walks
//! the frame lazily.
//!
//! The body types ([`Conversation`], [`PresenceBody`], [`RoutingStatusBody`], [`ActivityBody`],
//! [`ConversationSummaryBody`]) also read the REST bodies of the resync calls, which return the
//! same shapes.

use core::fmt;

use crate::json::{self, Object, Str, Value};
use crate::topic::{MAX_TOPIC_LEN, ReceivedTopic, SystemTopic, UserTopicKind};

/// The longest frame [`parse`] accepts, in bytes.
///
/// A conversation event carries every participant and every old leg; the real captured callback
/// conversation (five participants, transfers) is 7.7 KB pretty-printed. 64 KiB leaves room for
/// conferences and long transfer chains while keeping a hostile frame from costing unbounded work.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

/// Why a frame could not be turned into an [`Event`].
///
/// In every case the frame is dropped. An event may have been lost with it, so the caller should
/// mark the agent state stale and resync by REST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EventError {
    /// The frame is longer than [`MAX_FRAME_LEN`]. Drop it and resync; if this repeats, raise the
    /// driver's frame buffer only together with this limit.
    TooLarge {
        /// The frame's length in bytes.
        len: usize,
    },
    /// The frame is not valid JSON. Drop it and resync; the server or a proxy mangled it.
    Json(json::Error),
    /// The frame is JSON but not shaped like a Genesys notification. Drop it and resync.
    UnexpectedShape {
        /// What was expected, in words (`"an object eventBody"`).
        expected: &'static str,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::TooLarge { len } => write!(
                f,
                "a {len}-byte frame exceeds the {MAX_FRAME_LEN}-byte limit and was dropped; the agent state will be re-read"
            ),
            EventError::Json(e) => write!(
                f,
                "a frame was not valid JSON ({e}) and was dropped; the agent state will be re-read"
            ),
            EventError::UnexpectedShape { expected } => write!(
                f,
                "a frame was not a Genesys notification (expected {expected}) and was dropped; the agent state will be re-read"
            ),
        }
    }
}

impl core::error::Error for EventError {}

impl From<json::Error> for EventError {
    fn from(e: json::Error) -> Self {
        EventError::Json(e)
    }
}

const fn shape(expected: &'static str) -> EventError {
    EventError::UnexpectedShape { expected }
}

/// One incoming frame, typed.
///
/// Every variant borrows the frame it was parsed from. Heartbeats, pongs and `socket_closing`
/// carry nothing the caller needs beyond their kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The server's heartbeat on `channel.metadata` (about every 30 s).
    Heartbeat,
    /// The reply to the client's `{"message":"ping"}`.
    Pong,
    /// `v2.system.socket_closing`: the server will close this socket in about a minute; connect a
    /// replacement now.
    SocketClosing,
    /// Another `v2.system.*` or `v2.subscription.*` notice.
    System {
        /// The envelope: topic, raw body, correlation id.
        envelope: Envelope<'a>,
        /// What the notice says.
        kind: SystemKind,
    },
    /// The reply to a `subscribe`/`unsubscribe` frame (it has no `topicName`).
    Reply(Reply<'a>),
    /// `v2.users.{id}.conversations`: the whole conversation, every time.
    Conversation(UserEvent<'a, Conversation<'a>>),
    /// `v2.users.{id}.presence`.
    Presence(UserEvent<'a, PresenceBody<'a>>),
    /// `v2.users.{id}.routingStatus`.
    RoutingStatus(UserEvent<'a, RoutingStatusBody>),
    /// `v2.users.{id}.activity`: presence and routing status together.
    Activity(UserEvent<'a, ActivityBody<'a>>),
    /// `v2.users.{id}.conversationsummary`: how many interactions are active or in wrap-up.
    ConversationSummary(UserEvent<'a, ConversationSummaryBody>),
    /// Any other topic, with its body kept as raw text.
    Other(Envelope<'a>),
}

impl<'a> Event<'a> {
    /// The envelope (topic, raw body, correlation id), for events that arrived on a topic.
    ///
    /// `None` for heartbeats, pongs, `socket_closing` and subscribe replies.
    pub fn envelope(&self) -> Option<&Envelope<'a>> {
        match self {
            Event::Heartbeat | Event::Pong | Event::SocketClosing | Event::Reply(_) => None,
            Event::System { envelope, .. } | Event::Other(envelope) => Some(envelope),
            Event::Conversation(e) => Some(&e.envelope),
            Event::Presence(e) => Some(&e.envelope),
            Event::RoutingStatus(e) => Some(&e.envelope),
            Event::Activity(e) => Some(&e.envelope),
            Event::ConversationSummary(e) => Some(&e.envelope),
        }
    }

    /// The topic the event arrived on, as the server spelled it.
    ///
    /// `None` for subscribe replies, which have no topic, and for heartbeats, pongs and
    /// `socket_closing`, whose topic is implied by the variant.
    pub fn topic(&self) -> Option<Str<'a>> {
        self.envelope().map(|e| e.topic)
    }

    /// The event's kind as a stable snake_case name: `heartbeat`, `pong`, `socket_closing`,
    /// `system`, `reply`, `conversation`, `presence`, `routing_status`, `activity`,
    /// `conversation_summary` or `other`.
    ///
    /// Programs print these (the CLI's JSON lines, logs); a kind's name never changes.
    pub const fn kind(&self) -> &'static str {
        match self {
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
            Event::Other(_) => "other",
        }
    }

    /// The topic a heartbeat, pong or `socket_closing` arrived on, which its variant implies
    /// (`channel.metadata`, `v2.system.socket_closing`); `None` for every other event (see
    /// [`Event::topic`]).
    pub const fn implied_topic(&self) -> Option<&'static str> {
        match self {
            Event::Heartbeat | Event::Pong => Some("channel.metadata"),
            Event::SocketClosing => Some("v2.system.socket_closing"),
            _ => None,
        }
    }

    /// A stable 64-bit hash identifying this notification, to suppress the copy that arrives on
    /// a second channel during a rollover.
    ///
    /// It covers the topic lower-cased, the `eventBody` text and the `CorrelationId`; two
    /// deliveries of one notification give the same value, different notifications almost surely
    /// do not. Events without a topic hash their kind only: they are per-socket and never
    /// duplicated across channels.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fnv1a::new();
        match self {
            Event::Heartbeat => h.bytes(b"heartbeat"),
            Event::Pong => h.bytes(b"pong"),
            Event::SocketClosing => h.bytes(b"socket_closing"),
            Event::Reply(r) => {
                h.bytes(b"reply");
                h.bytes(r.raw);
            }
            _ => {
                if let Some(env) = self.envelope() {
                    h.chars(env.topic.chars().map(|c| c.to_ascii_lowercase()));
                    h.bytes(&[0xff]);
                    h.bytes(env.body);
                    h.bytes(&[0xff]);
                    if let Some(id) = env.correlation_id {
                        h.chars(id.chars());
                    }
                }
            }
        }
        h.finish()
    }
}

/// The parts every topic notification shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `topicName`, as sent (still JSON-escaped; compare with [`Str::eq_ignore_ascii_case`]).
    pub topic: Str<'a>,
    /// The text of `eventBody` when it is an object or array (every Genesys body is an object);
    /// empty when it is missing or a scalar.
    pub body: &'a [u8],
    /// `metadata.CorrelationId`, if present.
    pub correlation_id: Option<Str<'a>>,
}

/// An event on one of the user topics, with the user id taken from the topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserEvent<'a, B> {
    /// The envelope: topic, raw body, correlation id.
    pub envelope: Envelope<'a>,
    /// The `{id}` of `v2.users.{id}.…`.
    pub user_id: UserId<'a>,
    /// The typed body.
    pub body: B,
}

/// The user id inside a `v2.users.{id}.…` topic name, borrowed from the frame.
///
/// Topic names are practically never JSON-escaped, but they may be; the id is therefore read
/// through the escape decoder, and [`UserId::as_plain`] borrows it directly in the usual case.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UserId<'a> {
    topic: Str<'a>,
}

impl<'a> UserId<'a> {
    /// The id as a plain borrowed string, if the topic name has no escapes.
    pub fn as_plain(&self) -> Option<&'a str> {
        self.topic.as_plain().and_then(|t| t.split('.').nth(2))
    }

    /// The id's characters, escapes decoded.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        let mut dots = 0u8;
        self.topic.chars().filter(move |&c| {
            if c == '.' {
                dots = dots.saturating_add(1);
                false
            } else {
                dots == 2
            }
        })
    }

    /// Whether the id equals `id`, ignoring ASCII case (Genesys ids are case-insensitive UUIDs).
    pub fn eq_ignore_ascii_case(&self, id: &str) -> bool {
        self.chars()
            .map(|c| c.to_ascii_lowercase())
            .eq(id.chars().map(|c| c.to_ascii_lowercase()))
    }
}

impl fmt::Debug for UserId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl fmt::Display for UserId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        self.chars().try_for_each(|c| f.write_char(c))
    }
}

/// What a system notice says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SystemKind {
    /// `v2.system.no_longer_subscribed.{id}`: the server dropped this channel's subscriptions;
    /// resubscribe (or create a new channel) and resync.
    NoLongerSubscribed,
    /// `v2.system.token_revoked.{id}`: the token that made the channel was revoked; get a new
    /// token, a new channel, and resync.
    TokenRevoked,
    /// `v2.subscription.updated`: the subscription list changed.
    SubscriptionUpdated,
    /// Any other `v2.system.*` topic.
    Other,
}

/// The server's answer to a `subscribe` or `unsubscribe` frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    /// `result`, an HTTP-like status (`"200"`, `"400"`, `"404"`), sent as a string or a number.
    pub result: u16,
    /// `status`, e.g. `subscribed`, if present.
    pub status: Option<Str<'a>>,
    /// `message`, if present (failures explain themselves here).
    pub message: Option<Str<'a>>,
    /// `correlationId` echoed from the request, if present.
    pub correlation_id: Option<Str<'a>>,
    /// The whole reply frame, for diagnosis.
    pub raw: &'a [u8],
}

impl Reply<'_> {
    /// Whether `result` is a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.result)
    }
}

/// Parses one text frame from the notification socket.
///
/// ```
/// use genesys_notify_core::event::{self, Event};
/// let frame = br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
/// assert_eq!(event::parse(frame), Ok(Event::Heartbeat));
/// ```
pub fn parse(frame: &[u8]) -> Result<Event<'_>, EventError> {
    if frame.len() > MAX_FRAME_LEN {
        return Err(EventError::TooLarge { len: frame.len() });
    }
    let root = json::parse(frame)?
        .as_object()
        .ok_or(shape("a JSON object"))?;
    // One pass over the envelope: the body is most of the frame, and every lookup by name would
    // scan past it again.
    let (mut topic, mut body_value, mut metadata) = (None, None, None);
    for (key, value) in root.iter() {
        with_text(key, |key| match key {
            "topicName" if topic.is_none() => topic = Some(value),
            "eventBody" if body_value.is_none() => body_value = Some(value),
            "metadata" if metadata.is_none() => metadata = Some(value),
            _ => {}
        });
    }
    let topic = match topic {
        Some(Value::String(topic)) => topic,
        Some(_) => return Err(shape("a string topicName")),
        None => return parse_reply(root, frame),
    };
    let body_object = body_value.and_then(|v| v.as_object());
    let envelope = Envelope {
        topic,
        body: match body_value {
            Some(Value::Object(o)) => o.raw(),
            Some(Value::Array(a)) => a.raw(),
            _ => &[],
        },
        correlation_id: metadata
            .and_then(|m| m.as_object())
            .and_then(|m| m.get("CorrelationId"))
            .and_then(|v| v.as_str()),
    };
    let body = || body_object.ok_or(shape("an object eventBody"));
    Ok(match classify(topic) {
        TopicClass::ChannelMetadata => {
            let message = body_object
                .and_then(|b| b.get("message"))
                .and_then(|m| m.as_str());
            match message {
                Some(m) if m.eq_ignore_ascii_case("WebSocket Heartbeat") => Event::Heartbeat,
                Some(m) if m.eq_ignore_ascii_case("pong") => Event::Pong,
                _ => Event::Other(envelope),
            }
        }
        TopicClass::SocketClosing => Event::SocketClosing,
        TopicClass::System(kind) => Event::System { envelope, kind },
        TopicClass::User(kind) => {
            let user_id = UserId { topic };
            let b = body()?;
            match kind {
                UserTopicKind::Conversations => Event::Conversation(UserEvent {
                    envelope,
                    user_id,
                    body: Conversation::from_object(b)?,
                }),
                UserTopicKind::Presence => Event::Presence(UserEvent {
                    envelope,
                    user_id,
                    body: PresenceBody::from_object(b),
                }),
                UserTopicKind::RoutingStatus => Event::RoutingStatus(UserEvent {
                    envelope,
                    user_id,
                    body: RoutingStatusBody::from_object(b),
                }),
                UserTopicKind::Activity => Event::Activity(UserEvent {
                    envelope,
                    user_id,
                    body: ActivityBody::from_object(b),
                }),
                UserTopicKind::ConversationSummary => Event::ConversationSummary(UserEvent {
                    envelope,
                    user_id,
                    body: ConversationSummaryBody::from_object(b),
                }),
            }
        }
        TopicClass::Other => Event::Other(envelope),
    })
}

fn parse_reply<'a>(root: Object<'a>, frame: &'a [u8]) -> Result<Event<'a>, EventError> {
    let result = root
        .get("result")
        .ok_or(shape("a topicName, or a result for a subscribe reply"))?
        .as_u64()
        .and_then(|r| u16::try_from(r).ok())
        .ok_or(shape("a numeric result in a subscribe reply"))?;
    let text = |key| root.get(key).and_then(|v| v.as_str());
    Ok(Event::Reply(Reply {
        result,
        status: text("status"),
        message: text("message"),
        correlation_id: text("correlationId"),
        raw: frame,
    }))
}

/// What a received topic name means here: [`ReceivedTopic`] without the borrowed names, so an
/// escaped name can be classified from a decoded copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TopicClass {
    ChannelMetadata,
    SocketClosing,
    System(SystemKind),
    User(UserTopicKind),
    Other,
}

impl From<ReceivedTopic<'_>> for TopicClass {
    fn from(topic: ReceivedTopic<'_>) -> Self {
        match topic {
            ReceivedTopic::ChannelMetadata => TopicClass::ChannelMetadata,
            ReceivedTopic::SocketClosing => TopicClass::SocketClosing,
            ReceivedTopic::System(SystemTopic::NoLongerSubscribed { .. }) => {
                TopicClass::System(SystemKind::NoLongerSubscribed)
            }
            ReceivedTopic::System(SystemTopic::TokenRevoked { .. }) => {
                TopicClass::System(SystemKind::TokenRevoked)
            }
            ReceivedTopic::System(_) => TopicClass::System(SystemKind::Other),
            ReceivedTopic::SubscriptionUpdated => {
                TopicClass::System(SystemKind::SubscriptionUpdated)
            }
            ReceivedTopic::User { kind, .. } => TopicClass::User(kind),
            ReceivedTopic::Queue { .. } | ReceivedTopic::Other(_) => TopicClass::Other,
        }
    }
}

/// Classifies a received topic name (ignoring ASCII case), decoding escapes if there are any.
fn classify(topic: Str<'_>) -> TopicClass {
    match topic.as_plain() {
        Some(plain) => ReceivedTopic::classify(plain).into(),
        None => {
            let mut buf = [0u8; MAX_TOPIC_LEN];
            match topic.decode_into(&mut buf) {
                Ok(decoded) => ReceivedTopic::classify(decoded).into(),
                Err(_) => TopicClass::Other,
            }
        }
    }
}

/// The media arrays of a participant, and how the agent model treats each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Media {
    /// `calls`
    Call,
    /// `callbacks`
    Callback,
    /// `chats`
    Chat,
    /// `emails`
    Email,
    /// `messages`
    Message,
    /// `videos`
    Video,
    /// `screenshares`
    Screenshare,
    /// `cobrowsesessions`
    Cobrowse,
    /// `socialExpressions`
    SocialExpression,
}

impl Media {
    /// Every media kind, in the order of the enum.
    pub const ALL: [Media; 9] = [
        Media::Call,
        Media::Callback,
        Media::Chat,
        Media::Email,
        Media::Message,
        Media::Video,
        Media::Screenshare,
        Media::Cobrowse,
        Media::SocialExpression,
    ];

    /// The participant key that holds this media's legs.
    pub const fn key(self) -> &'static str {
        match self {
            Media::Call => "calls",
            Media::Callback => "callbacks",
            Media::Chat => "chats",
            Media::Email => "emails",
            Media::Message => "messages",
            Media::Video => "videos",
            Media::Screenshare => "screenshares",
            Media::Cobrowse => "cobrowsesessions",
            Media::SocialExpression => "socialExpressions",
        }
    }

    /// Whether a connected leg of this media counts as being on a call (voice-like).
    pub const fn is_voice(self) -> bool {
        matches!(self, Media::Call | Media::Callback | Media::Video)
    }

    fn from_key(key: &str) -> Option<Media> {
        Media::ALL
            .into_iter()
            .find(|m| key.eq_ignore_ascii_case(m.key()))
    }
}

/// The state of one media leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LegState {
    /// `alerting`: ringing.
    Alerting,
    /// `offering`: offered (e.g. a callback or message).
    Offering,
    /// `dialing`: an outbound call is being placed.
    Dialing,
    /// `contacting`: an outbound interaction is reaching the customer.
    Contacting,
    /// `connected`.
    Connected,
    /// `disconnected`.
    Disconnected,
    /// `terminated`.
    Terminated,
    /// `none`.
    None,
    /// `scheduled` (callbacks).
    Scheduled,
    /// `parked` (emails, messages).
    Parked,
    /// A state this version does not know.
    Unknown,
}

impl LegState {
    /// Reads a state name, ignoring ASCII case; unknown names give [`LegState::Unknown`].
    pub fn parse(name: Str<'_>) -> LegState {
        const NAMES: [(&str, LegState); 10] = [
            ("alerting", LegState::Alerting),
            ("offering", LegState::Offering),
            ("dialing", LegState::Dialing),
            ("contacting", LegState::Contacting),
            ("connected", LegState::Connected),
            ("disconnected", LegState::Disconnected),
            ("terminated", LegState::Terminated),
            ("none", LegState::None),
            ("scheduled", LegState::Scheduled),
            ("parked", LegState::Parked),
        ];
        lookup(name, &NAMES).unwrap_or(LegState::Unknown)
    }
}

/// `afterCallWork.state` of a leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AfterCallWorkState {
    /// `pending`: wrap-up is still to be done.
    Pending,
    /// `complete`.
    Complete,
    /// `skipped`.
    Skipped,
    /// A state this version does not know.
    Unknown,
}

impl AfterCallWorkState {
    /// Reads a state name, ignoring ASCII case; unknown names give [`AfterCallWorkState::Unknown`].
    pub fn parse(name: Str<'_>) -> AfterCallWorkState {
        const NAMES: [(&str, AfterCallWorkState); 3] = [
            ("pending", AfterCallWorkState::Pending),
            ("complete", AfterCallWorkState::Complete),
            ("skipped", AfterCallWorkState::Skipped),
        ];
        lookup(name, &NAMES).unwrap_or(AfterCallWorkState::Unknown)
    }
}

/// A conversation body: the whole conversation, read lazily from the frame.
///
/// Participants and legs are iterated in place, so a conversation of any size costs no memory;
/// each participant and leg is read in one pass when the iterator reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conversation<'a> {
    id: Str<'a>,
    object: Object<'a>,
}

impl<'a> Conversation<'a> {
    /// Reads a conversation object: an event body, or one entity of `GET /api/v2/conversations`.
    ///
    /// The only requirement is a string `id`; everything else is optional and read on demand.
    pub fn from_object(object: Object<'a>) -> Result<Self, EventError> {
        let id = object
            .get("id")
            .and_then(|v| v.as_str())
            .ok_or(shape("a conversation with a string id"))?;
        Ok(Conversation { id, object })
    }

    /// The conversation id, as sent.
    pub fn id(&self) -> Str<'a> {
        self.id
    }

    /// A stable 64-bit hash of the decoded id (escaped and plain spellings hash alike); the
    /// agent model keys its conversations by it.
    pub fn id_hash(&self) -> u64 {
        let mut h = Fnv1a::new();
        h.chars(self.id.chars());
        h.finish()
    }

    /// The participants, in order. Entries that are not objects are skipped.
    pub fn participants(&self) -> impl Iterator<Item = Participant<'a>> + 'a {
        self.object
            .get("participants")
            .and_then(|p| p.as_array())
            .into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|v| v.as_object())
            .map(Participant::read)
    }
}

/// One participant of a conversation: its own fields read in one pass, its legs on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Participant<'a> {
    /// The media arrays, by [`Media`] index, found during the one pass.
    media: [Option<json::Array<'a>>; Media::ALL.len()],
    user_id: Option<Str<'a>>,
    purpose: Option<Str<'a>>,
    ended: bool,
    wrapup_required: bool,
    wrapup: bool,
    ended_after_call_work: bool,
}

impl<'a> Participant<'a> {
    fn read(object: Object<'a>) -> Self {
        let (mut user_id, mut purpose) = (None, None);
        let (mut ended, mut wrapup_required, mut wrapup, mut ended_acw) = (None, None, None, None);
        let mut media = [None; Media::ALL.len()];
        for (key, value) in object.iter() {
            let present = !value.is_null();
            with_text(key, |key| match key {
                "userId" => first(&mut user_id, value.as_str()),
                "purpose" => first(&mut purpose, value.as_str()),
                "endTime" => first(&mut ended, Some(present)),
                "wrapupRequired" => first(&mut wrapup_required, value.as_bool()),
                "wrapup" => first(&mut wrapup, Some(present)),
                "endAcwTime" => first(&mut ended_acw, Some(present)),
                _ => {
                    let slot = Media::from_key(key).and_then(|m| media.get_mut(m as usize));
                    if let Some(slot) = slot {
                        first(slot, value.as_array());
                    }
                }
            });
        }
        Participant {
            media,
            user_id,
            purpose,
            ended: ended.unwrap_or(false),
            wrapup_required: wrapup_required.unwrap_or(false),
            wrapup: wrapup.unwrap_or(false),
            ended_after_call_work: ended_acw.unwrap_or(false),
        }
    }

    /// `userId`: the user this participant is, for agent (and user) participants.
    pub fn user_id(&self) -> Option<Str<'a>> {
        self.user_id
    }

    /// `purpose`: `agent`, `user`, `customer`, `acd`, `external`, …
    pub fn purpose(&self) -> Option<Str<'a>> {
        self.purpose
    }

    /// Whether the participant has an `endTime`: it has left the conversation.
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// `wrapupRequired`.
    pub fn wrapup_required(&self) -> bool {
        self.wrapup_required
    }

    /// Whether a `wrapup` (the wrap-up code) has been entered.
    pub fn has_wrapup(&self) -> bool {
        self.wrapup
    }

    /// Whether after-call work has ended (`endAcwTime`).
    pub fn has_ended_after_call_work(&self) -> bool {
        self.ended_after_call_work
    }

    /// The participant's media legs, grouped by media in the order of [`Media::ALL`], each
    /// array in its own order.
    pub fn legs(&self) -> impl Iterator<Item = Leg<'a>> + 'a {
        Media::ALL
            .into_iter()
            .zip(self.media)
            .filter_map(|(media, legs)| Some((media, legs?)))
            .flat_map(|(media, legs)| {
                legs.iter()
                    .filter_map(|v| v.as_object())
                    .map(move |object| Leg::read(media, object))
            })
    }
}

/// One media leg (an entry of `calls`, `chats`, …) of a participant, read in one pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg<'a> {
    media: Media,
    state: LegState,
    held: bool,
    disconnect_type: Option<Value<'a>>,
    after_call_work: Option<AfterCallWorkState>,
}

impl<'a> Leg<'a> {
    fn read(media: Media, object: Object<'a>) -> Self {
        let (mut state, mut held, mut disconnect_type, mut acw) = (None, None, None, None);
        for (key, value) in object.iter() {
            with_text(key, |key| match key {
                "state" => first(&mut state, value.as_str().map(LegState::parse)),
                "held" => first(&mut held, value.as_bool()),
                "disconnectType" => first(&mut disconnect_type, Some(value)),
                "afterCallWork" => first(
                    &mut acw,
                    value
                        .as_object()
                        .and_then(|o| o.get("state"))
                        .and_then(|v| v.as_str())
                        .map(AfterCallWorkState::parse),
                ),
                _ => {}
            });
        }
        Leg {
            media,
            state: state.unwrap_or(LegState::Unknown),
            held: held.unwrap_or(false),
            disconnect_type: disconnect_type.filter(|v| !v.is_null()),
            after_call_work: acw,
        }
    }

    /// Which media array the leg is in.
    pub fn media(&self) -> Media {
        self.media
    }

    /// `state`; [`LegState::Unknown`] when missing or unfamiliar.
    pub fn state(&self) -> LegState {
        self.state
    }

    /// `held`.
    pub fn held(&self) -> bool {
        self.held
    }

    /// `disconnectType`, if the leg has one as a string (it has ended, or is ending).
    pub fn disconnect_type(&self) -> Option<Str<'a>> {
        self.disconnect_type.and_then(|v| v.as_str())
    }

    /// Whether `disconnectType` is present at all (any non-null value).
    pub fn is_disconnected(&self) -> bool {
        self.disconnect_type.is_some()
    }

    /// `afterCallWork.state`, if present.
    pub fn after_call_work(&self) -> Option<AfterCallWorkState> {
        self.after_call_work
    }
}

/// Sets `slot` to `value` unless it already holds one: the first of duplicate keys wins, as
/// with [`Object::get`].
fn first<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// The longest name worth decoding when it is escaped: every key and enum value read here is
/// shorter, so a longer escaped name cannot match any of them.
const MAX_NAME_LEN: usize = 32;

/// Calls `f` with a key or enum value as text: borrowed when plain (nearly always), decoded into
/// a small buffer when escaped. Escaped names longer than [`MAX_NAME_LEN`] are skipped.
fn with_text(name: Str<'_>, f: impl FnOnce(&str)) {
    match name.as_plain() {
        Some(plain) => f(plain),
        None => {
            let mut buf = [0u8; MAX_NAME_LEN];
            if let Ok(decoded) = name.decode_into(&mut buf) {
                f(decoded);
            }
        }
    }
}

/// Finds `name` in `table`, ignoring ASCII case, decoding it once.
fn lookup<T: Copy>(name: Str<'_>, table: &[(&str, T)]) -> Option<T> {
    let mut found = None;
    with_text(name, |name| {
        found = table
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| *t);
    });
    found
}

/// Genesys' system presence, the part of a presence every organisation shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SystemPresence {
    /// `Available`
    Available,
    /// `On Queue` (also spelled `ON_QUEUE`, `OnQueue`)
    OnQueue,
    /// `Busy`
    Busy,
    /// `Away`
    Away,
    /// `Idle`
    Idle,
    /// `Break`
    Break,
    /// `Meal`
    Meal,
    /// `Meeting`
    Meeting,
    /// `Training`
    Training,
    /// `Offline`
    Offline,
    /// A presence this version does not know.
    Unknown,
}

impl SystemPresence {
    /// Reads a system presence, ignoring ASCII case, spaces, underscores and hyphens: the API,
    /// the events and the UI spell `On Queue` as `ON_QUEUE`, `OnQueue` and `On Queue`.
    pub fn parse(name: Str<'_>) -> SystemPresence {
        const NAMES: [(&str, SystemPresence); 10] = [
            ("available", SystemPresence::Available),
            ("onqueue", SystemPresence::OnQueue),
            ("busy", SystemPresence::Busy),
            ("away", SystemPresence::Away),
            ("idle", SystemPresence::Idle),
            ("break", SystemPresence::Break),
            ("meal", SystemPresence::Meal),
            ("meeting", SystemPresence::Meeting),
            ("training", SystemPresence::Training),
            ("offline", SystemPresence::Offline),
        ];
        let folded = || {
            name.chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-'))
                .map(|c| c.to_ascii_lowercase())
        };
        NAMES
            .into_iter()
            .find(|(n, _)| folded().eq(n.chars()))
            .map_or(SystemPresence::Unknown, |(_, p)| p)
    }
}

/// A presence: the body of `v2.users.{id}.presence`, the `presence` of an activity event or a
/// user snapshot, and the body of `GET /api/v2/users/{id}/presences/purecloud`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresenceBody<'a> {
    /// `presenceDefinition.systemPresence`, if present.
    pub system_presence: Option<SystemPresence>,
    /// The agent's status text, if present: `message` in a presence event, a user snapshot and
    /// `GET …/presences/purecloud`; `presenceMessage` in the `presence` of an activity event
    /// (`v2.users.{id}.activity`) \[doc: SDK model `AgentActivityChangedTopicPresence`\].
    pub message: Option<Str<'a>>,
}

impl<'a> PresenceBody<'a> {
    /// Reads a presence object; missing parts are `None`.
    pub fn from_object(object: Object<'a>) -> Self {
        PresenceBody {
            system_presence: object
                .get("presenceDefinition")
                .and_then(|d| d.as_object())
                .and_then(|d| d.get("systemPresence"))
                .and_then(|s| s.as_str())
                .map(SystemPresence::parse),
            message: object
                .get("message")
                .or_else(|| object.get("presenceMessage"))
                .and_then(|m| m.as_str()),
        }
    }
}

/// Genesys' ACD routing status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RoutingStatus {
    /// `OFF_QUEUE`: not taking ACD interactions.
    OffQueue,
    /// `IDLE`: on queue, waiting.
    Idle,
    /// `INTERACTING`: handling an ACD interaction.
    Interacting,
    /// `NOT_RESPONDING`: did not answer an offered interaction.
    NotResponding,
    /// `COMMUNICATING`: on a non-ACD interaction while on queue.
    Communicating,
    /// A status this version does not know.
    Unknown,
}

impl RoutingStatus {
    /// Reads a status name, ignoring ASCII case; unknown names give [`RoutingStatus::Unknown`].
    pub fn parse(name: Str<'_>) -> RoutingStatus {
        const NAMES: [(&str, RoutingStatus); 5] = [
            ("OFF_QUEUE", RoutingStatus::OffQueue),
            ("IDLE", RoutingStatus::Idle),
            ("INTERACTING", RoutingStatus::Interacting),
            ("NOT_RESPONDING", RoutingStatus::NotResponding),
            ("COMMUNICATING", RoutingStatus::Communicating),
        ];
        lookup(name, &NAMES).unwrap_or(RoutingStatus::Unknown)
    }
}

/// A routing status: the body of `v2.users.{id}.routingStatus` (`{"routingStatus":{"status":…}}`),
/// the `routingStatus` of an activity event or user snapshot, and the body of
/// `GET /api/v2/users/{id}/routingstatus` (`{"status":…}`). Both nestings are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingStatusBody {
    /// The status, if present.
    pub status: Option<RoutingStatus>,
}

impl RoutingStatusBody {
    /// Reads a routing-status object, nested under `routingStatus` or flat.
    pub fn from_object(object: Object<'_>) -> Self {
        let inner = object
            .get("routingStatus")
            .and_then(|r| r.as_object())
            .unwrap_or(object);
        RoutingStatusBody {
            status: inner
                .get("status")
                .and_then(|s| s.as_str())
                .map(RoutingStatus::parse),
        }
    }
}

/// The body of `v2.users.{id}.activity`; also the relevant part of a user snapshot
/// (`GET /api/v2/users/{id}?expand=presence,routingStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityBody<'a> {
    /// `presence`, if present.
    pub presence: Option<PresenceBody<'a>>,
    /// `routingStatus`, if present.
    pub routing: Option<RoutingStatusBody>,
}

impl<'a> ActivityBody<'a> {
    /// Reads an activity or user object.
    pub fn from_object(object: Object<'a>) -> Self {
        ActivityBody {
            presence: object
                .get("presence")
                .and_then(|p| p.as_object())
                .map(PresenceBody::from_object),
            routing: object
                .get("routingStatus")
                .and_then(|r| r.as_object())
                .map(RoutingStatusBody::from_object),
        }
    }
}

/// Conversation counts: the body of `v2.users.{id}.conversationsummary`, or the
/// `conversationSummary` of a user snapshot, summed over every media and over contact-center
/// and enterprise interactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConversationSummaryBody {
    /// Interactions in progress.
    pub active: u32,
    /// Interactions in after-call work.
    pub acw: u32,
}

impl ConversationSummaryBody {
    /// Reads a summary object: every member that holds `contactCenter`/`enterprise` counts is
    /// summed, so new media kinds are counted without a code change. Counts saturate.
    pub fn from_object(object: Object<'_>) -> Self {
        let mut sum = ConversationSummaryBody::default();
        let count = |o: Object<'_>, key| {
            o.get(key)
                .and_then(|v| v.as_u64())
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        for media in object.iter().filter_map(|(_, v)| v.as_object()) {
            for part in ["contactCenter", "enterprise"] {
                if let Some(counts) = media.get(part).and_then(|v| v.as_object()) {
                    sum.active = sum.active.saturating_add(count(counts, "active"));
                    sum.acw = sum.acw.saturating_add(count(counts, "acw"));
                }
            }
        }
        sum
    }

    /// Whether nothing is active and nothing is in wrap-up.
    pub fn is_idle(&self) -> bool {
        self.active == 0 && self.acw == 0
    }
}

/// 64-bit FNV-1a: small, stable across builds and platforms, good enough to tell notifications
/// and conversation ids apart (it is not a defence against chosen collisions, and need not be).
struct Fnv1a(u64);

impl Fnv1a {
    const fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn chars(&mut self, chars: impl Iterator<Item = char>) {
        let mut buf = [0u8; 4];
        for c in chars {
            self.bytes(c.encode_utf8(&mut buf).as_bytes());
        }
    }

    const fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::ALL;

    fn vector(prefix: &str) -> &'static [u8] {
        ALL.iter()
            .find(|(name, _)| name.starts_with(prefix))
            .map(|(_, bytes)| *bytes)
            .unwrap()
    }

    fn user_event(frame: &[u8]) -> Event<'_> {
        let event = parse(frame).unwrap();
        assert!(event.topic().is_some());
        event
    }

    #[test]
    fn heartbeats_are_named_with_their_implied_channel_metadata_topic() {
        let frame =
            br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        let event = parse(frame).unwrap();
        assert_eq!(event.kind(), "heartbeat");
        assert_eq!(event.implied_topic(), Some("channel.metadata"));
    }

    #[test]
    fn subscribe_replies_are_named_and_have_no_topic() {
        let event = parse(br#"{"result":"200","status":"subscribed"}"#).unwrap();
        assert_eq!(event.kind(), "reply");
        assert_eq!(event.implied_topic(), None);
        assert!(event.topic().is_none());
    }

    #[test]
    fn user_events_are_named_and_keep_the_spelling_the_server_sent() {
        let frame = br#"{"topicName":"v2.users.u-1.ROUTINGSTATUS","eventBody":{"routingStatus":{"status":"IDLE"}}}"#;
        let event = parse(frame).unwrap();
        assert_eq!(event.kind(), "routing_status");
        assert_eq!(event.implied_topic(), None);
        assert!(event.topic().unwrap().eq_str("v2.users.u-1.ROUTINGSTATUS"));
    }

    #[test]
    fn every_real_payload_parses_or_fails_cleanly() {
        for (name, bytes) in ALL {
            let result = parse(bytes);
            let published_broken = name.starts_with("subscriptions_request_body")
                || name.starts_with("event_v2_users_activity");
            if published_broken {
                assert!(
                    matches!(result, Err(EventError::Json(_))),
                    "{name}: {result:?}"
                );
            } else if name.starts_with("channel_create_response") {
                // REST responses are not socket frames: no topic, no result.
                assert!(
                    matches!(result, Err(EventError::UnexpectedShape { .. })),
                    "{name}: {result:?}"
                );
            } else {
                assert!(result.is_ok(), "{name}: {result:?}");
            }
        }
    }

    #[test]
    fn the_published_heartbeat_is_a_heartbeat() {
        assert_eq!(
            parse(vector("heartbeat_channel_metadata")),
            Ok(Event::Heartbeat)
        );
    }

    #[test]
    fn a_pong_is_told_apart_from_a_heartbeat() {
        let frame = br#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;
        assert_eq!(parse(frame), Ok(Event::Pong));
    }

    #[test]
    fn other_channel_metadata_messages_are_kept_raw() {
        let frame = br#"{"topicName":"channel.metadata","eventBody":{"message":"hello"}}"#;
        let Ok(Event::Other(env)) = parse(frame) else {
            panic!("not Other")
        };
        assert_eq!(env.body, br#"{"message":"hello"}"#);
    }

    #[test]
    fn the_captured_callback_event_is_a_conversation_for_its_agent() {
        let Event::Conversation(e) =
            user_event(vector("event_v2_users_conversations_callback_acw"))
        else {
            panic!("not a conversation")
        };
        assert_eq!(e.user_id.as_plain(), Some("AGENT_USER_ID"));
        assert!(e.user_id.eq_ignore_ascii_case("agent_user_id"));
        assert!(e.body.id().eq_str("ffff-ffff-ffff-ffff"));
        assert_eq!(e.body.participants().count(), 5);
        let last = e.body.participants().last().unwrap();
        assert!(last.user_id().unwrap().eq_str("AGENT_USER_ID"));
        assert!(!last.has_ended());
        assert!(last.wrapup_required());
        let leg = last.legs().next().unwrap();
        assert_eq!(leg.media(), Media::Callback);
        assert_eq!(leg.state(), LegState::Connected);
        assert!(leg.disconnect_type().unwrap().eq_str("client"));
        assert_eq!(leg.after_call_work(), Some(AfterCallWorkState::Pending));
        assert!(
            e.envelope
                .correlation_id
                .unwrap()
                .eq_str("2074b130-f0a0-4722-9063-cdbac74c0aee")
        );
    }

    #[test]
    fn chat_topics_the_core_does_not_model_keep_their_body() {
        let frame = vector("event_v2_conversations_chats_messages");
        let Ok(Event::Other(env)) = parse(frame) else {
            panic!("not Other")
        };
        assert!(
            env.topic
                .eq_str("v2.conversations.chats.aa06a6fc-1fdf-4e59-b8a1-df3ca44f523e.messages")
        );
        let body = json::parse(env.body).unwrap().as_object().unwrap();
        assert!(
            body.get("body")
                .unwrap()
                .as_str()
                .unwrap()
                .eq_str("Hi, how are you?")
        );
    }

    #[test]
    fn topic_names_are_matched_ignoring_case() {
        let frame = br#"{"topicName":"V2.USERS.u1.ROUTINGSTATUS","eventBody":{"routingStatus":{"status":"IDLE"}}}"#;
        let Ok(Event::RoutingStatus(e)) = parse(frame) else {
            panic!("not routing")
        };
        assert_eq!(e.body.status, Some(RoutingStatus::Idle));
        let frame =
            br#"{"topicName":"Channel.Metadata","eventBody":{"message":"websocket heartbeat"}}"#;
        assert_eq!(parse(frame), Ok(Event::Heartbeat));
        let frame = br#"{"topicName":"v2.users.u1.ConversationSummary","eventBody":{}}"#;
        assert!(matches!(parse(frame), Ok(Event::ConversationSummary(_))));
    }

    #[test]
    fn escaped_topic_names_are_decoded_and_their_user_id_read() {
        let frame = br#"{"topicName":"v2.users.ab\u0063-1.\u0070resence","eventBody":{"presenceDefinition":{"systemPresence":"Busy"}}}"#;
        let Ok(Event::Presence(e)) = parse(frame) else {
            panic!("not presence")
        };
        assert_eq!(e.user_id.as_plain(), None);
        assert!(e.user_id.eq_ignore_ascii_case("ABC-1"));
        let mut shown = heapless::String::<16>::new();
        core::fmt::write(&mut shown, format_args!("{}", e.user_id)).unwrap();
        assert_eq!(shown.as_str(), "abc-1");
        assert_eq!(e.body.system_presence, Some(SystemPresence::Busy));
    }

    #[test]
    fn system_topics_are_recognised() {
        let kind = |topic: &str| {
            let mut buf = [0u8; 128];
            let mut w = json::Writer::new(&mut buf);
            w.raw("{\"topicName\":")
                .string(topic)
                .raw(",\"eventBody\":{}}");
            let n = w.finish().unwrap();
            match parse(&buf[..n]).unwrap() {
                Event::System { kind, .. } => Some(kind),
                Event::SocketClosing => None,
                other => panic!("{topic}: {other:?}"),
            }
        };
        assert_eq!(kind("v2.system.socket_closing"), None);
        assert_eq!(
            kind("v2.system.no_longer_subscribed.streaming-2-x"),
            Some(SystemKind::NoLongerSubscribed)
        );
        assert_eq!(
            kind("v2.system.token_revoked.streaming-2-x"),
            Some(SystemKind::TokenRevoked)
        );
        assert_eq!(
            kind("v2.subscription.updated"),
            Some(SystemKind::SubscriptionUpdated)
        );
        assert_eq!(kind("v2.system.brand_new"), Some(SystemKind::Other));
    }

    #[test]
    fn unknown_malformed_and_queue_topics_are_other() {
        for topic in [
            "v2.users.u1.geolocation",
            "v2.users..presence",
            "v2.users.u1.presence.extra",
            "v2.users.u1",
            "v2.routing.queues.q1.conversations",
        ] {
            let mut buf = [0u8; 128];
            let mut w = json::Writer::new(&mut buf);
            w.raw("{\"topicName\":")
                .string(topic)
                .raw(",\"eventBody\":{}}");
            let n = w.finish().unwrap();
            assert!(matches!(parse(&buf[..n]), Ok(Event::Other(_))), "{topic}");
        }
    }

    #[test]
    fn subscribe_replies_are_read_with_string_or_number_results() {
        let frame = br#"{"result":"200","status":"subscribed","correlationId":"c-1"}"#;
        let Ok(Event::Reply(r)) = parse(frame) else {
            panic!("not a reply")
        };
        assert_eq!(r.result, 200);
        assert!(r.is_success());
        assert!(r.status.unwrap().eq_str("subscribed"));
        assert!(r.correlation_id.unwrap().eq_str("c-1"));
        assert_eq!(r.raw, frame);
        let Ok(Event::Reply(r)) = parse(br#"{"result":404,"message":"channel not found"}"#) else {
            panic!("not a reply")
        };
        assert_eq!(r.result, 404);
        assert!(!r.is_success());
        assert!(r.message.unwrap().eq_str("channel not found"));
    }

    #[test]
    fn frames_of_the_wrong_shape_are_errors_that_say_what_was_expected() {
        let cases: [(&[u8], &str); 6] = [
            (b"[1,2]", "a JSON object"),
            (br#"{"topicName":7}"#, "a string topicName"),
            (
                br#"{"hello":1}"#,
                "a topicName, or a result for a subscribe reply",
            ),
            (
                br#"{"result":"ok"}"#,
                "a numeric result in a subscribe reply",
            ),
            (
                br#"{"topicName":"v2.users.u.presence","eventBody":[]}"#,
                "an object eventBody",
            ),
            (
                br#"{"topicName":"v2.users.u.conversations","eventBody":{"id":5}}"#,
                "a conversation with a string id",
            ),
        ];
        for (frame, expected) in cases {
            assert_eq!(
                parse(frame),
                Err(EventError::UnexpectedShape { expected }),
                "{}",
                core::str::from_utf8(frame).unwrap()
            );
        }
    }

    #[test]
    fn frames_over_the_limit_are_refused_before_parsing() {
        let big = [b' '; MAX_FRAME_LEN + 1];
        assert_eq!(
            parse(&big),
            Err(EventError::TooLarge {
                len: MAX_FRAME_LEN + 1
            })
        );
    }

    #[test]
    fn error_messages_say_what_happens_next() {
        let text = |e: EventError| {
            let mut s = heapless::String::<256>::new();
            core::fmt::write(&mut s, format_args!("{e}")).unwrap();
            s
        };
        assert!(text(EventError::TooLarge { len: 70000 }).contains("70000-byte frame"));
        assert!(text(parse(b"{").unwrap_err()).contains("not valid JSON"));
        assert!(text(parse(b"{}").unwrap_err()).contains("re-read"));
    }

    #[test]
    fn presence_spellings_are_folded() {
        for spelling in ["On Queue", "ON_QUEUE", "OnQueue", "on-queue", "onqueue"] {
            let mut buf = [0u8; 32];
            let mut w = json::Writer::new(&mut buf);
            w.string(spelling);
            let n = w.finish().unwrap();
            let s = json::parse(&buf[..n]).unwrap().as_str().unwrap();
            assert_eq!(
                SystemPresence::parse(s),
                SystemPresence::OnQueue,
                "{spelling}"
            );
        }
        let s = json::parse(br#""Gardening""#).unwrap().as_str().unwrap();
        assert_eq!(SystemPresence::parse(s), SystemPresence::Unknown);
    }

    #[test]
    fn routing_status_is_read_nested_or_flat() {
        let nested = json::parse(br#"{"routingStatus":{"status":"not_responding"}}"#).unwrap();
        let flat = json::parse(br#"{"userId":"u","status":"COMMUNICATING"}"#).unwrap();
        let odd = json::parse(br#"{"status":"SOMETHING_NEW"}"#).unwrap();
        let read = |v: Value<'_>| RoutingStatusBody::from_object(v.as_object().unwrap()).status;
        assert_eq!(read(nested), Some(RoutingStatus::NotResponding));
        assert_eq!(read(flat), Some(RoutingStatus::Communicating));
        assert_eq!(read(odd), Some(RoutingStatus::Unknown));
    }

    #[test]
    fn activity_events_carry_presence_and_routing() {
        let frame = br#"{"topicName":"v2.users.u1.activity","version":"2","eventBody":{"id":"u1","routingStatus":{"status":"OFF_QUEUE"},"presence":{"presenceDefinition":{"systemPresence":"AVAILABLE"}},"outOfOffice":{"active":false}}}"#;
        let Ok(Event::Activity(e)) = parse(frame) else {
            panic!("not activity")
        };
        assert_eq!(
            e.body.routing.unwrap().status,
            Some(RoutingStatus::OffQueue)
        );
        assert_eq!(
            e.body.presence.unwrap().system_presence,
            Some(SystemPresence::Available)
        );
    }

    #[test]
    fn activity_events_carry_the_presence_text_as_presence_message() {
        let frame = br#"{"topicName":"v2.users.u1.activity","version":"2","eventBody":{"id":"u1","routingStatus":{"status":"IDLE"},"presence":{"presenceDefinition":{"id":"p","systemPresence":"Busy"},"presenceMessage":"In a training until 3","modifiedDate":"2026-01-01T00:00:00Z"}}}"#;
        let Ok(Event::Activity(e)) = parse(frame) else {
            panic!("not activity")
        };
        let presence = e.body.presence.unwrap();
        assert_eq!(presence.system_presence, Some(SystemPresence::Busy));
        assert_eq!(
            presence.message.map(|m| m.raw()),
            Some(&b"In a training until 3"[..])
        );
        let presence_topic = br#"{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Away"},"message":"back soon"}}"#;
        let Ok(Event::Presence(e)) = parse(presence_topic) else {
            panic!("not presence")
        };
        assert_eq!(e.body.message.map(|m| m.raw()), Some(&b"back soon"[..]));
    }

    #[test]
    fn conversation_summaries_sum_every_media_and_both_kinds() {
        let frame = br#"{"topicName":"v2.users.u1.conversationsummary","eventBody":{"userId":"u1","call":{"contactCenter":{"active":1,"acw":0},"enterprise":{"active":1,"acw":2}},"email":{"contactCenter":{"active":3,"acw":1}},"newMedia":{"enterprise":{"active":99999999999,"acw":0}}}}"#;
        let Ok(Event::ConversationSummary(e)) = parse(frame) else {
            panic!("not a summary")
        };
        assert_eq!(e.body.active, u32::MAX);
        assert_eq!(e.body.acw, 3);
        assert!(!e.body.is_idle());
        let idle = json::parse(br#"{"call":{"contactCenter":{"active":0,"acw":0}}}"#).unwrap();
        assert!(ConversationSummaryBody::from_object(idle.as_object().unwrap()).is_idle());
    }

    #[test]
    fn unknown_media_and_states_are_tolerated() {
        let body = br#"{"id":"c","participants":[{"userId":"u","holograms":[{"state":"connected"}],"calls":[{"state":"teleporting","held":"yes"},7],"chats":[{"state":"CONNECTED","afterCallWork":{"state":"later"}}]},"not an object"]}"#;
        let conv =
            Conversation::from_object(json::parse(body).unwrap().as_object().unwrap()).unwrap();
        let p = conv.participants().next().unwrap();
        assert_eq!(conv.participants().count(), 1);
        let mut legs = p.legs();
        let call = legs.next().unwrap();
        assert_eq!(
            (call.media(), call.state(), call.held()),
            (Media::Call, LegState::Unknown, false)
        );
        let chat = legs.next().unwrap();
        assert_eq!(
            (chat.media(), chat.state()),
            (Media::Chat, LegState::Connected)
        );
        assert_eq!(chat.after_call_work(), Some(AfterCallWorkState::Unknown));
        assert!(legs.next().is_none());
    }

    #[test]
    fn escaped_member_names_and_enum_values_are_decoded() {
        let body = br#"{"id":"c","participants":[{"\u0075serId":"u","endTime":null,"c\u0061lls":[{"st\u0061te":"\u0063onnected","held":true}]}]}"#;
        let conv =
            Conversation::from_object(json::parse(body).unwrap().as_object().unwrap()).unwrap();
        let p = conv.participants().next().unwrap();
        assert!(p.user_id().unwrap().eq_str("u"));
        assert!(!p.has_ended(), "a null endTime is no end time");
        let leg = p.legs().next().unwrap();
        assert_eq!(
            (leg.media(), leg.state(), leg.held()),
            (Media::Call, LegState::Connected, true)
        );
    }

    #[test]
    fn escaped_and_plain_conversation_ids_hash_alike() {
        let a = json::parse(br#"{"id":"abc-123"}"#).unwrap();
        let b = json::parse(br#"{"id":"abc\u002d123"}"#).unwrap();
        let c = json::parse(br#"{"id":"abc-124"}"#).unwrap();
        let hash = |v: Value<'_>| {
            Conversation::from_object(v.as_object().unwrap())
                .unwrap()
                .id_hash()
        };
        assert_eq!(hash(a), hash(b));
        assert_ne!(hash(a), hash(c));
    }

    #[test]
    fn the_same_notification_on_two_channels_has_one_fingerprint() {
        let one = br#"{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Busy"}},"metadata":{"CorrelationId":"x"}}"#;
        let two = br#"{ "metadata":{"CorrelationId":"x"}, "topicName":"V2.Users.U1.Presence", "eventBody":{"presenceDefinition":{"systemPresence":"Busy"}} }"#;
        let other_id = br#"{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Busy"}},"metadata":{"CorrelationId":"y"}}"#;
        let other_body = br#"{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Away"}},"metadata":{"CorrelationId":"x"}}"#;
        let fp = |f: &[u8]| parse(f).unwrap().fingerprint();
        assert_eq!(fp(one), fp(two));
        assert_ne!(fp(one), fp(other_id));
        assert_ne!(fp(one), fp(other_body));
        assert_ne!(Event::Heartbeat.fingerprint(), Event::Pong.fingerprint());
    }
}
