//! Notification topics: the strings a client subscribes to, and the names events arrive under.
//!
//! A subscription is nothing but a topic string such as `v2.users.{id}.presence`; there are no
//! filters, no field projections and no wildcards. The server answers a bad topic with a 400
//! for the whole request (or, over the socket, a bare `{"result":"400"}` that does not even
//! name the topic), so everything that can be checked before sending is checked here:
//!
//! * [`Topic`] is a validated, borrowed topic; [`TopicBuf`] an owned one in a bounded buffer,
//!   built by [`TopicBuf::user`] and [`TopicBuf::queue`] with the exact spelling Genesys
//!   requires (`routingStatus` in camelCase, `conversationsummary` in lower case).
//! * `channel.metadata` and `v2.system.*` arrive unasked and must not be subscribed to; they
//!   are refused with an error that says so.
//! * Combined topics (`v2.users.{id}?presence&routingStatus`) make subscribe requests short
//!   enough for a device's transmit buffer: [`Topic::parts`] expands them, [`pack`] builds
//!   them, each within the 200-character limit.
//! * A channel holds at most 1 000 topics. Genesys counts subscription entries, and a combined
//!   topic very likely counts once: its docs offer combined topics "to remain under the limit",
//!   and its own streaming client truncates its list to 1 000 *after* combining \[doc/seen\]. This
//!   crate nevertheless counts each part by default ([`BudgetRule::Parts`]), a conservative
//!   choice of ours that stays right even if the service ever counts parts;
//!   [`BudgetRule::Entries`] is the real rule, for callers that decide how many agents share a
//!   channel. [`check_budget`] and [`check_budget_by`] say by how much a list is over.
//!
//! Received topic names go the other way: [`ReceivedTopic::classify`] sorts an incoming
//! `topicName` into heartbeat/system/user/queue topics in one pass without allocating, comparing
//! without regard to case because the server's spelling is not guaranteed to match ours.
//!
//! Topic families (from Genesys' SDK topic table, which is generated from its API definition):
//! user topics `v2.users.{id}.conversations|presence|routingStatus|activity|conversationsummary`;
//! queue topics `v2.routing.queues.{id}.conversations`, its per-media forms
//! `.conversations.{calls|callbacks|chats|cobrowseSessions|emails|messages|screenshares|socialexpressions|videos}`,
//! and `v2.routing.queues.{id}.users`. That combined topics may join any single-segment suffix
//! of a user (not only the two in Genesys' example) is inferred; [`pack`] therefore combines
//! only user topics, and only single-segment suffixes.

use core::fmt;

use crate::region::strip_prefix_ignore_case;

/// The longest topic Genesys accepts, combined topics included (its documented limit for
/// combined topics; no single topic comes near it).
pub const MAX_TOPIC_LEN: usize = 200;

/// How many topics one channel may hold (Genesys' documented limit; more fails the subscription
/// with 400). How a combined topic counts against it is a [`BudgetRule`].
pub const MAX_TOPICS_PER_CHANNEL: usize = 1000;

/// How a combined topic counts against [`MAX_TOPICS_PER_CHANNEL`].
///
/// Genesys documents the limit as "1 000 topics per channel" and offers combined topics "to
/// remain under the limit"; its streaming client (genesys-cloud-streaming-client,
/// `notifications.ts`) truncates its subscription list to 1 000 after combining. So a combined
/// topic very likely counts once ([`BudgetRule::Entries`]). Counting each part
/// ([`BudgetRule::Parts`]) is this crate's conservative default: it can only under-fill a channel,
/// never overfill it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BudgetRule {
    /// Each part of a combined topic counts (`v2.users.{id}?presence&routingStatus` is 2): the
    /// conservative reading. A channel then holds 333 agents of three topics each.
    #[default]
    Parts,
    /// Each subscription entry counts once, a combined topic included (the rule Genesys' own
    /// client follows). A channel then holds 1 000 agents, one combined topic each.
    Entries,
}

impl BudgetRule {
    /// What `topic` counts as under this rule.
    pub fn count(self, topic: Topic<'_>) -> usize {
        match self {
            BudgetRule::Parts => topic.part_count(),
            BudgetRule::Entries => 1,
        }
    }
}

/// A validated topic borrowed from the caller: plain (`v2.users.{id}.presence`) or combined
/// (`v2.users.{id}?presence&routingStatus`).
///
/// ```
/// use genesys_notify_core::topic::Topic;
///
/// let combined = Topic::parse("v2.users.8a5b?presence&routingStatus").unwrap();
/// let parts: Vec<String> = combined.parts().map(|p| p.to_string()).collect();
/// assert_eq!(parts, ["v2.users.8a5b.presence", "v2.users.8a5b.routingStatus"]);
///
/// assert!(Topic::parse("channel.metadata").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Topic<'a> {
    text: &'a str,
}

impl<'a> Topic<'a> {
    /// Validates `text` as a topic to subscribe to.
    ///
    /// Refused: empty or longer than [`MAX_TOPIC_LEN`]; non-ASCII, whitespace, wildcards,
    /// unreplaced `{id}` placeholders or other characters outside letters, digits, `-`, `_`,
    /// `.`; empty segments; anything not starting with `v2.`; `channel.metadata` and
    /// `v2.system.*`; malformed combined topics (a second `?`, an empty part).
    pub fn parse(text: &'a str) -> Result<Topic<'a>, TopicError> {
        if text.is_empty() {
            return Err(TopicError::Empty);
        }
        if text.len() > MAX_TOPIC_LEN {
            return Err(TopicError::TooLong { len: text.len() });
        }
        for c in text.chars() {
            check_char(c)?;
        }
        if text.eq_ignore_ascii_case("channel.metadata") {
            return Err(TopicError::ChannelMetadata);
        }
        let (prefix, query) = match text.split_once('?') {
            Some((prefix, query)) => (prefix, Some(query)),
            None => (text, None),
        };
        if prefix.contains('&') {
            return Err(TopicError::MalformedCombined);
        }
        check_segments(prefix)?;
        let Some(after_v2) = prefix.strip_prefix("v2.") else {
            return Err(TopicError::NotV2);
        };
        let is_system = after_v2
            .split('.')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("system"));
        if is_system {
            return Err(TopicError::SystemTopic);
        }
        if let Some(query) = query {
            for part in query.split('&') {
                if part.is_empty() || part.contains('?') {
                    return Err(TopicError::MalformedCombined);
                }
                check_segments(part)?;
            }
        }
        Ok(Topic { text })
    }

    /// The topic as written.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// Whether this is a combined topic (`prefix?part&part`).
    pub fn is_combined(&self) -> bool {
        self.text.contains('?')
    }

    /// The topics this one stands for: itself if plain, each expanded part if combined.
    pub fn parts(&self) -> Parts<'a> {
        match self.text.split_once('?') {
            Some((prefix, query)) => Parts {
                prefix,
                rest: Some(query),
            },
            None => Parts {
                prefix: self.text,
                rest: None,
            },
        }
    }

    /// How many topics this one counts as against [`MAX_TOPICS_PER_CHANNEL`].
    pub fn part_count(&self) -> usize {
        self.parts().count()
    }
}

impl fmt::Display for Topic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl AsRef<str> for Topic<'_> {
    fn as_ref(&self) -> &str {
        self.text
    }
}

fn check_char(c: char) -> Result<(), TopicError> {
    match c {
        c if !c.is_ascii() => Err(TopicError::NotAscii),
        c if c.is_ascii_whitespace() => Err(TopicError::Whitespace),
        '*' | '#' | '>' => Err(TopicError::Wildcard),
        '{' | '}' => Err(TopicError::Placeholder),
        c if c.is_ascii_alphanumeric() => Ok(()),
        '-' | '_' | '.' | '?' | '&' => Ok(()),
        c => Err(TopicError::InvalidChar(c)),
    }
}

fn check_segments(text: &str) -> Result<(), TopicError> {
    if text.split('.').any(str::is_empty) {
        Err(TopicError::EmptySegment)
    } else {
        Ok(())
    }
}

/// One expanded topic of a [`Topic`]: what the server delivers events under.
///
/// It borrows the topic's text, so expansion never copies; `Display` writes the expanded name,
/// [`TopicBuf::from_part`] stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TopicPart<'a> {
    prefix: &'a str,
    suffix: Option<&'a str>,
}

impl TopicPart<'_> {
    /// Length of the expanded name in bytes.
    pub fn len(&self) -> usize {
        match self.suffix {
            Some(suffix) => self.prefix.len() + 1 + suffix.len(),
            None => self.prefix.len(),
        }
    }

    /// Never true: a validated topic has no empty part.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the expanded name is exactly `name`.
    pub fn is(&self, name: &str) -> bool {
        self.bytes().eq(name.bytes())
    }

    /// Whether a received `topicName` is this part, ignoring ASCII case.
    pub fn matches_received(&self, name: &str) -> bool {
        self.len() == name.len()
            && self
                .bytes()
                .zip(name.bytes())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
    }

    /// Whether `self` and `other` expand to exactly the same name, however each is split.
    fn same_name_as(&self, other: TopicPart<'_>) -> bool {
        self.bytes().eq(other.bytes())
    }

    /// The bytes of the expanded name, without building it.
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let (dot, suffix) = match self.suffix {
            Some(suffix) => (Some(b'.'), suffix),
            None => (None, ""),
        };
        self.prefix.bytes().chain(dot).chain(suffix.bytes())
    }
}

impl fmt::Display for TopicPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix)?;
        if let Some(suffix) = self.suffix {
            write!(f, ".{suffix}")?;
        }
        Ok(())
    }
}

/// Iterator over the [`TopicPart`]s of a [`Topic`]; see [`Topic::parts`].
#[derive(Clone, Debug)]
pub struct Parts<'a> {
    prefix: &'a str,
    /// For a combined topic, the parts not yet yielded (`a&b`); `None` when exhausted. For a
    /// plain topic `None` from the start, and `prefix` is yielded once.
    rest: Option<&'a str>,
}

impl<'a> Iterator for Parts<'a> {
    type Item = TopicPart<'a>;

    fn next(&mut self) -> Option<TopicPart<'a>> {
        if self.prefix.is_empty() {
            return None;
        }
        let Some(rest) = self.rest else {
            let whole = core::mem::take(&mut self.prefix);
            return Some(TopicPart {
                prefix: whole,
                suffix: None,
            });
        };
        let (suffix, remaining) = match rest.split_once('&') {
            Some((suffix, remaining)) => (suffix, Some(remaining)),
            None => (rest, None),
        };
        let part = TopicPart {
            prefix: self.prefix,
            suffix: Some(suffix),
        };
        match remaining {
            Some(remaining) => self.rest = Some(remaining),
            None => self.prefix = "",
        }
        Some(part)
    }
}

/// Anything that is a validated topic: [`Topic`], [`TopicBuf`].
///
/// Lets [`check_budget`], [`pack`] and the frame encoders take lists of either.
pub trait AsTopic {
    /// The topic, borrowed.
    fn as_topic(&self) -> Topic<'_>;
}

impl AsTopic for Topic<'_> {
    fn as_topic(&self) -> Topic<'_> {
        *self
    }
}

impl AsTopic for TopicBuf {
    fn as_topic(&self) -> Topic<'_> {
        TopicBuf::as_topic(self)
    }
}

impl<T: AsTopic + ?Sized> AsTopic for &T {
    fn as_topic(&self) -> Topic<'_> {
        (**self).as_topic()
    }
}

/// What a user topic reports. The five the desk light and the agent model use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UserTopicKind {
    /// `conversations`: the whole conversation, every time any participant changes.
    Conversations,
    /// `presence`: the presence definition (Available, Busy, On Queue, …).
    Presence,
    /// `routingStatus` (camelCase): OFF_QUEUE, IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING.
    RoutingStatus,
    /// `activity`: routing status, presence and out-of-office in one event.
    Activity,
    /// `conversationsummary` (lower case): active and after-call-work counts per media.
    ConversationSummary,
}

impl UserTopicKind {
    /// All five kinds.
    pub const ALL: [UserTopicKind; 5] = [
        UserTopicKind::Conversations,
        UserTopicKind::Presence,
        UserTopicKind::RoutingStatus,
        UserTopicKind::Activity,
        UserTopicKind::ConversationSummary,
    ];

    /// The topic's last segment, spelled exactly as Genesys requires when subscribing.
    pub const fn suffix(self) -> &'static str {
        match self {
            UserTopicKind::Conversations => "conversations",
            UserTopicKind::Presence => "presence",
            UserTopicKind::RoutingStatus => "routingStatus",
            UserTopicKind::Activity => "activity",
            UserTopicKind::ConversationSummary => "conversationsummary",
        }
    }

    /// The kind whose suffix is `suffix`, ignoring ASCII case.
    pub fn from_suffix(suffix: &str) -> Option<UserTopicKind> {
        UserTopicKind::ALL
            .into_iter()
            .find(|k| k.suffix().eq_ignore_ascii_case(suffix))
    }
}

/// What a queue topic reports (`v2.routing.queues.{id}.…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QueueTopicKind {
    /// `conversations`: every conversation routed through the queue.
    Conversations,
    /// `conversations.calls`.
    Calls,
    /// `conversations.callbacks`.
    Callbacks,
    /// `conversations.chats`.
    Chats,
    /// `conversations.cobrowseSessions`.
    CobrowseSessions,
    /// `conversations.emails`.
    Emails,
    /// `conversations.messages`.
    Messages,
    /// `conversations.screenshares`.
    Screenshares,
    /// `conversations.socialexpressions`.
    SocialExpressions,
    /// `conversations.videos`.
    Videos,
    /// `users`: queue membership and the members' activity.
    Users,
}

impl QueueTopicKind {
    /// Every queue topic kind.
    pub const ALL: [QueueTopicKind; 11] = [
        QueueTopicKind::Conversations,
        QueueTopicKind::Calls,
        QueueTopicKind::Callbacks,
        QueueTopicKind::Chats,
        QueueTopicKind::CobrowseSessions,
        QueueTopicKind::Emails,
        QueueTopicKind::Messages,
        QueueTopicKind::Screenshares,
        QueueTopicKind::SocialExpressions,
        QueueTopicKind::Videos,
        QueueTopicKind::Users,
    ];

    /// The topic's segments after the queue id, spelled as Genesys requires.
    pub const fn suffix(self) -> &'static str {
        match self {
            QueueTopicKind::Conversations => "conversations",
            QueueTopicKind::Calls => "conversations.calls",
            QueueTopicKind::Callbacks => "conversations.callbacks",
            QueueTopicKind::Chats => "conversations.chats",
            QueueTopicKind::CobrowseSessions => "conversations.cobrowseSessions",
            QueueTopicKind::Emails => "conversations.emails",
            QueueTopicKind::Messages => "conversations.messages",
            QueueTopicKind::Screenshares => "conversations.screenshares",
            QueueTopicKind::SocialExpressions => "conversations.socialexpressions",
            QueueTopicKind::Videos => "conversations.videos",
            QueueTopicKind::Users => "users",
        }
    }

    /// The kind whose suffix is `suffix`, ignoring ASCII case.
    pub fn from_suffix(suffix: &str) -> Option<QueueTopicKind> {
        QueueTopicKind::ALL
            .into_iter()
            .find(|k| k.suffix().eq_ignore_ascii_case(suffix))
    }
}

const USER_PREFIX: &str = "v2.users.";
const QUEUE_PREFIX: &str = "v2.routing.queues.";

/// An owned, validated topic in a buffer of [`MAX_TOPIC_LEN`] bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicBuf {
    text: heapless::String<MAX_TOPIC_LEN>,
}

impl TopicBuf {
    /// Validates and copies `text` (see [`Topic::parse`]).
    pub fn parse(text: &str) -> Result<TopicBuf, TopicError> {
        Topic::parse(text).and_then(TopicBuf::from_topic)
    }

    /// Copies a validated topic.
    pub fn from_topic(topic: Topic<'_>) -> Result<TopicBuf, TopicError> {
        build(&[topic.as_str()])
    }

    /// Stores one expanded part of a combined topic as a plain topic.
    pub fn from_part(part: TopicPart<'_>) -> Result<TopicBuf, TopicError> {
        match part.suffix {
            Some(suffix) => build(&[part.prefix, ".", suffix]),
            None => build(&[part.prefix]),
        }
    }

    /// `v2.users.{user_id}.{kind}`.
    ///
    /// The id must be one segment of letters, digits, `-` and `_` (a user id is a UUID, but the
    /// check does not insist: it only keeps the topic well-formed).
    pub fn user(user_id: &str, kind: UserTopicKind) -> Result<TopicBuf, TopicError> {
        check_id(user_id)?;
        build(&[USER_PREFIX, user_id, ".", kind.suffix()])
    }

    /// `v2.routing.queues.{queue_id}.{kind}`, with the same id rule as [`TopicBuf::user`].
    pub fn queue(queue_id: &str, kind: QueueTopicKind) -> Result<TopicBuf, TopicError> {
        check_id(queue_id)?;
        build(&[QUEUE_PREFIX, queue_id, ".", kind.suffix()])
    }

    /// The topic, borrowed.
    pub fn as_topic(&self) -> Topic<'_> {
        Topic {
            text: self.text.as_str(),
        }
    }

    /// The topic's text.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

impl fmt::Display for TopicBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for TopicBuf {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

fn check_id(id: &str) -> Result<(), TopicError> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(TopicError::InvalidId)
    }
}

/// Concatenates `pieces` and validates the result.
fn build(pieces: &[&str]) -> Result<TopicBuf, TopicError> {
    let mut text = heapless::String::new();
    for piece in pieces {
        if text.push_str(piece).is_err() {
            let len = pieces.iter().map(|p| p.len()).sum();
            return Err(TopicError::TooLong { len });
        }
    }
    Topic::parse(text.as_str())?;
    Ok(TopicBuf { text })
}

/// Why a topic was refused. Fix the topic; sending it would fail the whole subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TopicError {
    /// The topic is empty: name one.
    Empty,
    /// Longer than [`MAX_TOPIC_LEN`]: split a combined topic (see [`pack`]).
    TooLong {
        /// The length that was attempted, in bytes.
        len: usize,
    },
    /// Contains a non-ASCII character: topics are ASCII.
    NotAscii,
    /// Contains whitespace: remove it (often a copy-paste leftover).
    Whitespace,
    /// Contains `*`, `#` or `>`: Genesys has no wildcard subscriptions; name each topic.
    Wildcard,
    /// Contains `{` or `}`: an `{id}` placeholder was not replaced by a real id.
    Placeholder,
    /// Contains a character topics never have: remove it.
    InvalidChar(char),
    /// Has an empty segment (`..`, or a leading or trailing dot).
    EmptySegment,
    /// Does not start with `v2.`: every subscribable topic does.
    NotV2,
    /// `channel.metadata` (heartbeats, pongs) arrives unasked: do not subscribe to it.
    ChannelMetadata,
    /// `v2.system.*` topics arrive unasked: do not subscribe to them.
    SystemTopic,
    /// A combined topic with a second `?`, an `&` before the `?` or an empty part:
    /// write it as `prefix?part&part`.
    MalformedCombined,
    /// A builder was given an empty id or one with characters other than letters, digits,
    /// `-` and `_`: pass the entity's id.
    InvalidId,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicError::Empty => f.write_str("the topic is empty"),
            TopicError::TooLong { len } => write!(
                f,
                "the topic is {len} characters long; Genesys accepts at most {MAX_TOPIC_LEN}"
            ),
            TopicError::NotAscii => f.write_str("the topic contains a non-ASCII character"),
            TopicError::Whitespace => f.write_str("the topic contains whitespace"),
            TopicError::Wildcard => f.write_str(
                "the topic contains a wildcard; Genesys has no wildcard subscriptions, name each topic",
            ),
            TopicError::Placeholder => f.write_str(
                "the topic still contains an {id} placeholder; put the real id in its place",
            ),
            TopicError::InvalidChar(c) => {
                write!(f, "the topic contains {c:?}, which no topic contains")
            }
            TopicError::EmptySegment => {
                f.write_str("the topic has an empty segment (two dots, or a dot at an end)")
            }
            TopicError::NotV2 => f.write_str(
                "the topic does not start with \"v2.\" as every subscribable topic does",
            ),
            TopicError::ChannelMetadata => {
                f.write_str("channel.metadata arrives unasked; do not subscribe to it")
            }
            TopicError::SystemTopic => {
                f.write_str("v2.system.* topics arrive unasked; do not subscribe to them")
            }
            TopicError::MalformedCombined => f.write_str(
                "malformed combined topic; write it as prefix?part&part, e.g. v2.users.{id}?presence&routingStatus",
            ),
            TopicError::InvalidId => f.write_str(
                "the id is empty or has characters other than letters, digits, '-' and '_'",
            ),
        }
    }
}

impl core::error::Error for TopicError {}

/// A list of topics expands to more than a channel may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BudgetExceeded {
    count: usize,
}

impl BudgetExceeded {
    /// How many topics the list expands to.
    pub const fn count(&self) -> usize {
        self.count
    }

    /// How many topics too many: move at least this many to another channel.
    pub const fn excess(&self) -> usize {
        self.count.saturating_sub(MAX_TOPICS_PER_CHANNEL)
    }
}

impl fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the topics count as {} subscriptions, {} more than the {MAX_TOPICS_PER_CHANNEL} \
             one channel may hold; spread them over several channels",
            self.count,
            self.excess()
        )
    }
}

impl core::error::Error for BudgetExceeded {}

/// Counts the topics a list expands to, and fails if a channel cannot hold them all: the
/// conservative [`BudgetRule::Parts`]; see [`check_budget_by`] for the other rule.
///
/// Duplicates are counted as often as they appear: what matters is what the request carries.
pub fn check_budget<T: AsTopic>(topics: &[T]) -> Result<usize, BudgetExceeded> {
    check_budget_by(topics, BudgetRule::Parts)
}

/// Counts the topics a list holds under `rule`, and fails if a channel cannot hold them all.
pub fn check_budget_by<T: AsTopic>(
    topics: &[T],
    rule: BudgetRule,
) -> Result<usize, BudgetExceeded> {
    let count = topics
        .iter()
        .map(|t| rule.count(t.as_topic()))
        .fold(0usize, usize::saturating_add);
    if count > MAX_TOPICS_PER_CHANNEL {
        Err(BudgetExceeded { count })
    } else {
        Ok(count)
    }
}

/// [`pack`]'s output buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PackFull {
    capacity: usize,
}

impl PackFull {
    /// The output's capacity, in topics: pass a larger output or fewer topics.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }
}

impl fmt::Display for PackFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the packed topics do not fit in an output of {} topics",
            self.capacity
        )
    }
}

impl core::error::Error for PackFull {}

/// Splits a plain user topic with a single-segment suffix into (`v2.users.{id}`, suffix).
fn combinable(part: &str) -> Option<(&str, &str)> {
    let rest = part.strip_prefix(USER_PREFIX)?;
    let (id, suffix) = rest.split_once('.')?;
    if id.is_empty() || suffix.is_empty() || suffix.contains('.') {
        return None;
    }
    let prefix = part.get(..USER_PREFIX.len() + id.len())?;
    Some((prefix, suffix))
}

/// The prefix a packed output entry combines under, if it is a user topic that can take more.
fn entry_prefix(entry: &str) -> Option<&str> {
    match entry.split_once('?') {
        Some((prefix, _)) => Some(prefix),
        None => combinable(entry).map(|(prefix, _)| prefix),
    }
}

/// Packs topics into as few as possible, appending them to `out`.
///
/// Every input is expanded; duplicates are dropped; user topics with a single-segment suffix
/// are combined per user (`v2.users.{id}?presence&routingStatus&conversations`) as long as each
/// combined topic stays within [`MAX_TOPIC_LEN`], first fit in input order. The five
/// [`UserTopicKind`]s of one user always fit in one. Everything else (queue topics, per-media
/// user topics) is passed through unchanged. A part alone stays a plain topic.
///
/// On [`PackFull`], `out` holds the topics packed so far.
pub fn pack<T: AsTopic, const N: usize>(
    topics: &[T],
    out: &mut heapless::Vec<TopicBuf, N>,
) -> Result<(), PackFull> {
    let full = PackFull { capacity: N };
    for topic in topics {
        for part in topic.as_topic().parts() {
            let already = out
                .iter()
                .any(|e| e.as_topic().parts().any(|p| part.same_name_as(p)));
            if already {
                continue;
            }
            // A part of a valid topic is a valid topic no longer than it: this never skips.
            let Ok(plain) = TopicBuf::from_part(part) else {
                continue;
            };
            let merged = combinable(plain.as_str()).and_then(|(prefix, suffix)| {
                out.iter_mut()
                    .filter(|e| entry_prefix(e.as_str()) == Some(prefix))
                    .find_map(|e| merge_into(e, suffix).ok())
            });
            if merged.is_none() {
                out.push(plain).map_err(|_| full)?;
            }
        }
    }
    Ok(())
}

/// Appends `suffix` to a packed user entry, turning a plain topic into a combined one.
fn merge_into(entry: &mut TopicBuf, suffix: &str) -> Result<(), TopicError> {
    let text = entry.as_str();
    let merged = match text.split_once('?') {
        Some(_) => build(&[text, "&", suffix])?,
        None => {
            let (prefix, first) = combinable(text).ok_or(TopicError::MalformedCombined)?;
            build(&[prefix, "?", first, "&", suffix])?
        }
    };
    *entry = merged;
    Ok(())
}

/// A received `topicName`, sorted by what it means to a client.
///
/// Names are matched without regard to ASCII case; ids are returned as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReceivedTopic<'a> {
    /// `channel.metadata`: a heartbeat or a pong.
    ChannelMetadata,
    /// `v2.system.socket_closing`: the server will close this socket in about a minute;
    /// connect a replacement now.
    SocketClosing,
    /// Another `v2.system.*` topic.
    System(SystemTopic<'a>),
    /// `v2.subscription.updated`: the channel's subscriptions changed.
    SubscriptionUpdated,
    /// One of the five user topics this project models.
    User {
        /// The user's id, as received.
        user_id: &'a str,
        /// Which of the five.
        kind: UserTopicKind,
    },
    /// A queue topic.
    Queue {
        /// The queue's id, as received.
        queue_id: &'a str,
        /// Which queue topic.
        kind: QueueTopicKind,
    },
    /// Anything else, name as received: ignore it or log it, never fail on it.
    Other(&'a str),
}

/// A `v2.system.*` topic other than `socket_closing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SystemTopic<'a> {
    /// `v2.system.no_longer_subscribed.{id}`: the server dropped subscriptions; resubscribe.
    NoLongerSubscribed {
        /// The id after the topic name, as received.
        id: &'a str,
    },
    /// `v2.system.token_revoked.{id}`: the token that subscribed was revoked; get a new one.
    TokenRevoked {
        /// The id after the topic name, as received.
        id: &'a str,
    },
    /// Another system topic, name as received.
    Other(&'a str),
}

impl<'a> ReceivedTopic<'a> {
    /// Sorts a received `topicName`. Never fails: unknown names are [`ReceivedTopic::Other`].
    pub fn classify(name: &'a str) -> ReceivedTopic<'a> {
        if name.eq_ignore_ascii_case("channel.metadata") {
            return ReceivedTopic::ChannelMetadata;
        }
        let Some(rest) = strip_prefix_ignore_case(name, "v2.") else {
            return ReceivedTopic::Other(name);
        };
        if let Some(system) = strip_prefix_ignore_case(rest, "system.") {
            return classify_system(name, system);
        }
        if rest.eq_ignore_ascii_case("subscription.updated") {
            return ReceivedTopic::SubscriptionUpdated;
        }
        if let Some((user_id, suffix)) = id_and_suffix(rest, "users.")
            && let Some(kind) = UserTopicKind::from_suffix(suffix)
        {
            return ReceivedTopic::User { user_id, kind };
        }
        if let Some((queue_id, suffix)) = id_and_suffix(rest, "routing.queues.")
            && let Some(kind) = QueueTopicKind::from_suffix(suffix)
        {
            return ReceivedTopic::Queue { queue_id, kind };
        }
        ReceivedTopic::Other(name)
    }
}

fn classify_system<'a>(name: &'a str, system: &'a str) -> ReceivedTopic<'a> {
    if system.eq_ignore_ascii_case("socket_closing") {
        return ReceivedTopic::SocketClosing;
    }
    let with_id = |prefix| strip_prefix_ignore_case(system, prefix).filter(|id| !id.is_empty());
    let topic = if let Some(id) = with_id("no_longer_subscribed.") {
        SystemTopic::NoLongerSubscribed { id }
    } else if let Some(id) = with_id("token_revoked.") {
        SystemTopic::TokenRevoked { id }
    } else {
        SystemTopic::Other(name)
    };
    ReceivedTopic::System(topic)
}

/// `{prefix}{id}.{suffix}` → (id, suffix), both non-empty.
fn id_and_suffix<'a>(text: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = strip_prefix_ignore_case(text, prefix)?;
    rest.split_once('.')
        .filter(|(id, suffix)| !id.is_empty() && !suffix.is_empty())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    const USER: &str = "8a5b2f3c-1d4e-4f60-9a7b-0c1d2e3f4a5b";
    const QUEUE: &str = "fd1738bd-3b06-4b20-9dd0-37bd0248f00z";

    fn topic(text: &str) -> Topic<'_> {
        match Topic::parse(text) {
            Ok(t) => t,
            Err(e) => panic!("{text:?} should be a topic: {e}"),
        }
    }

    fn user(kind: UserTopicKind) -> TopicBuf {
        match TopicBuf::user(USER, kind) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn expanded(t: Topic<'_>) -> Vec<String> {
        t.parts().map(|p| p.to_string()).collect()
    }

    fn packed<const N: usize>(topics: &[&str]) -> Vec<String> {
        let topics: Vec<Topic<'_>> = topics.iter().map(|t| topic(t)).collect();
        let mut out: heapless::Vec<TopicBuf, N> = heapless::Vec::new();
        assert_eq!(pack(&topics, &mut out), Ok(()));
        out.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn user_topics_are_spelled_exactly_as_genesys_requires() {
        let spelled: Vec<String> = UserTopicKind::ALL
            .into_iter()
            .map(|k| user(k).to_string())
            .collect();
        assert_eq!(
            spelled,
            [
                std::format!("v2.users.{USER}.conversations"),
                std::format!("v2.users.{USER}.presence"),
                std::format!("v2.users.{USER}.routingStatus"),
                std::format!("v2.users.{USER}.activity"),
                std::format!("v2.users.{USER}.conversationsummary"),
            ]
        );
    }

    #[test]
    fn queue_topics_include_the_published_users_topic() {
        let published = include_str!(
            "../../testdata/genesys/subscriptions_request_body__python-sdk-notification-service-example.json"
        );
        let built = TopicBuf::queue(QUEUE, QueueTopicKind::Users).map(|t| t.to_string());
        let Ok(built) = built else {
            panic!("queue topic should build");
        };
        assert!(published.contains(&built), "{built}");
        assert_eq!(
            TopicBuf::queue(QUEUE, QueueTopicKind::CobrowseSessions).map(|t| t.to_string()),
            Ok(std::format!(
                "v2.routing.queues.{QUEUE}.conversations.cobrowseSessions"
            ))
        );
    }

    #[test]
    fn every_queue_kind_builds_a_valid_topic() {
        for kind in QueueTopicKind::ALL {
            assert!(TopicBuf::queue(QUEUE, kind).is_ok(), "{kind:?}");
        }
    }

    #[test]
    fn builders_refuse_ids_that_would_break_the_topic() {
        for id in ["", "a.b", "{id}", "a b", "a?b", "é"] {
            assert_eq!(
                TopicBuf::user(id, UserTopicKind::Presence),
                Err(TopicError::InvalidId),
                "{id:?}"
            );
        }
        let long_id = "a".repeat(MAX_TOPIC_LEN);
        assert!(matches!(
            TopicBuf::queue(&long_id, QueueTopicKind::Users),
            Err(TopicError::TooLong { .. })
        ));
    }

    #[test]
    fn subscribing_to_channel_metadata_is_refused_with_the_reason() {
        assert_eq!(
            Topic::parse("channel.metadata"),
            Err(TopicError::ChannelMetadata)
        );
        assert_eq!(
            Topic::parse("Channel.Metadata"),
            Err(TopicError::ChannelMetadata)
        );
        assert_eq!(
            TopicError::ChannelMetadata.to_string(),
            "channel.metadata arrives unasked; do not subscribe to it"
        );
    }

    #[test]
    fn system_topics_are_refused_in_any_case_and_in_combined_form() {
        for text in [
            "v2.system.socket_closing",
            "v2.SYSTEM.token_revoked.x",
            "v2.system?socket_closing",
        ] {
            assert_eq!(Topic::parse(text), Err(TopicError::SystemTopic), "{text}");
        }
    }

    #[test]
    fn malformed_topics_are_refused_with_a_specific_error() {
        let long = std::format!("v2.users.{}", "a".repeat(MAX_TOPIC_LEN));
        let cases: [(&str, TopicError); 18] = [
            ("", TopicError::Empty),
            (&long, TopicError::TooLong { len: long.len() }),
            ("v2.users.ü.presence", TopicError::NotAscii),
            ("v2.users.x.presence ", TopicError::Whitespace),
            ("v2.users.x\t.presence", TopicError::Whitespace),
            ("v2.users.*.presence", TopicError::Wildcard),
            ("v2.users.#", TopicError::Wildcard),
            ("v2.users.{id}.presence", TopicError::Placeholder),
            ("v2.users.x/presence", TopicError::InvalidChar('/')),
            ("v2.users..presence", TopicError::EmptySegment),
            ("v2.users.x.", TopicError::EmptySegment),
            (".v2.users", TopicError::EmptySegment),
            ("users.x.presence", TopicError::NotV2),
            ("V2.users.x.presence", TopicError::NotV2),
            (
                "v2.users.x?presence?routingStatus",
                TopicError::MalformedCombined,
            ),
            ("v2.users.x?presence&", TopicError::MalformedCombined),
            ("v2.users.x&y?presence", TopicError::MalformedCombined),
            ("v2.users.x?presence&.a", TopicError::EmptySegment),
        ];
        for (text, expected) in cases {
            assert_eq!(Topic::parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn a_topic_of_exactly_the_limit_is_accepted() {
        let exact = std::format!("v2.users.{}", "a".repeat(MAX_TOPIC_LEN - 9));
        assert_eq!(exact.len(), MAX_TOPIC_LEN);
        assert!(Topic::parse(&exact).is_ok());
    }

    #[test]
    fn errors_explain_themselves() {
        assert!(TopicError::Wildcard.to_string().contains("no wildcard"));
        assert!(TopicError::Placeholder.to_string().contains("real id"));
        assert!(
            TopicError::TooLong { len: 201 }
                .to_string()
                .contains("201 characters")
        );
        assert!(TopicError::InvalidChar('/').to_string().contains("'/'"));
    }

    #[test]
    fn a_plain_topic_expands_to_itself() {
        let t = topic("v2.users.abc.presence");
        assert!(!t.is_combined());
        assert_eq!(expanded(t), ["v2.users.abc.presence"]);
        assert_eq!(t.part_count(), 1);
    }

    #[test]
    fn a_combined_topic_expands_into_each_part_under_its_prefix() {
        let t = topic("v2.users.abc?presence&routingStatus&conversations");
        assert!(t.is_combined());
        assert_eq!(
            expanded(t),
            [
                "v2.users.abc.presence",
                "v2.users.abc.routingStatus",
                "v2.users.abc.conversations"
            ]
        );
        assert_eq!(t.part_count(), 3);
    }

    #[test]
    fn expanded_parts_match_received_names_without_regard_to_case() {
        let t = topic("v2.users.abc?routingStatus&presence");
        let mut parts = t.parts();
        let Some(routing) = parts.next() else {
            panic!("no first part");
        };
        assert!(routing.matches_received("v2.users.ABC.routingstatus"));
        assert!(routing.is("v2.users.abc.routingStatus"));
        assert!(!routing.is("v2.users.abc.routingstatus"));
        assert!(!routing.matches_received("v2.users.abc.routingStatusX"));
        assert!(!routing.matches_received("v2.users.abc"));
        assert!(!routing.matches_received("v2.users.abcxroutingStatus"));
        assert_eq!(routing.len(), "v2.users.abc.routingStatus".len());
        assert!(!routing.is_empty());
    }

    #[test]
    fn parts_store_as_plain_topics() {
        let t = topic("v2.users.abc?presence&activity");
        let stored: Vec<String> = t
            .parts()
            .filter_map(|p| TopicBuf::from_part(p).ok())
            .map(|b| b.to_string())
            .collect();
        assert_eq!(stored, ["v2.users.abc.presence", "v2.users.abc.activity"]);
    }

    #[test]
    fn the_budget_counts_expanded_topics() {
        let topics = [
            topic("v2.users.a?presence&routingStatus"),
            topic("v2.routing.queues.q.users"),
        ];
        assert_eq!(check_budget(&topics), Ok(3));
        let empty: [Topic<'_>; 0] = [];
        assert_eq!(check_budget(&empty), Ok(0));
    }

    #[test]
    fn the_real_rule_counts_a_combined_topic_once() {
        let combined = topic("v2.users.u?conversations&presence&routingStatus");
        let topics = [combined; 400];
        assert_eq!(check_budget(&topics).unwrap_err().count(), 1200);
        assert_eq!(check_budget_by(&topics, BudgetRule::Entries), Ok(400));
        assert_eq!(
            check_budget_by(&[combined; 1001], BudgetRule::Entries)
                .unwrap_err()
                .excess(),
            1
        );
        assert_eq!(BudgetRule::default(), BudgetRule::Parts);
    }

    #[test]
    fn the_budget_says_by_how_much_a_list_is_over() {
        let five =
            topic("v2.users.a?conversations&presence&routingStatus&activity&conversationsummary");
        let topics = [five; 201];
        let Err(over) = check_budget(&topics) else {
            panic!("1005 topics fit a channel");
        };
        assert_eq!(over.count(), 1005);
        assert_eq!(over.excess(), 5);
        assert!(over.to_string().contains("5 more than the 1000"));
        assert_eq!(check_budget(&[five; 200]), Ok(1000));
    }

    #[test]
    fn the_five_user_topics_pack_into_one_combined_topic() {
        let topics: Vec<TopicBuf> = UserTopicKind::ALL.into_iter().map(user).collect();
        let mut out: heapless::Vec<TopicBuf, 4> = heapless::Vec::new();
        assert_eq!(pack(&topics, &mut out), Ok(()));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out.first().map(|t| t.to_string()),
            Some(std::format!(
                "v2.users.{USER}?conversations&presence&routingStatus&activity&conversationsummary"
            ))
        );
        assert!(out.iter().all(|t| t.as_str().len() <= MAX_TOPIC_LEN));
    }

    #[test]
    fn packing_groups_by_user_and_passes_other_topics_through() {
        let out = packed::<8>(&[
            "v2.users.a.presence",
            "v2.routing.queues.q.users",
            "v2.users.b.presence",
            "v2.users.a.routingStatus",
            "v2.users.a.conversations.calls",
            "v2.users.b.activity",
        ]);
        assert_eq!(
            out,
            [
                "v2.users.a?presence&routingStatus",
                "v2.routing.queues.q.users",
                "v2.users.b?presence&activity",
                "v2.users.a.conversations.calls",
            ]
        );
    }

    #[test]
    fn a_lone_part_stays_a_plain_topic() {
        assert_eq!(
            packed::<2>(&["v2.users.a.presence"]),
            ["v2.users.a.presence"]
        );
    }

    #[test]
    fn packing_drops_duplicates_across_plain_and_combined_forms() {
        let out = packed::<4>(&[
            "v2.users.a?presence&routingStatus",
            "v2.users.a.presence",
            "v2.routing.queues.q.users",
            "v2.routing.queues.q.users",
            "v2.users.a?routingStatus&activity",
        ]);
        assert_eq!(
            out,
            [
                "v2.users.a?presence&routingStatus&activity",
                "v2.routing.queues.q.users"
            ]
        );
    }

    #[test]
    fn packing_never_builds_a_combined_topic_over_the_limit() {
        let id = "u".repeat(150);
        let suffixes: Vec<String> = (0..12).map(|i| std::format!("kind{i:02}")).collect();
        let topics: Vec<String> = suffixes
            .iter()
            .map(|s| std::format!("v2.users.{id}.{s}"))
            .collect();
        let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
        let out = packed::<12>(&refs);
        assert!(out.iter().all(|t| t.len() <= MAX_TOPIC_LEN));
        assert!(out.len() < topics.len(), "nothing was combined: {out:?}");
        let repacked: Vec<Topic<'_>> = out.iter().map(|t| topic(t)).collect();
        let mut total: Vec<String> = repacked.iter().flat_map(|t| expanded(*t)).collect();
        total.sort();
        let mut expected = topics.clone();
        expected.sort();
        assert_eq!(total, expected);
    }

    #[test]
    fn packing_into_a_full_output_reports_its_capacity() {
        let topics = [topic("v2.users.a.presence"), topic("v2.users.b.presence")];
        let mut out: heapless::Vec<TopicBuf, 1> = heapless::Vec::new();
        let err = pack(&topics, &mut out);
        assert_eq!(err.map_err(|e| e.capacity()), Err(1));
        assert_eq!(out.len(), 1);
        assert!(
            PackFull { capacity: 1 }
                .to_string()
                .contains("output of 1 topics")
        );
    }

    #[test]
    fn heartbeats_and_pongs_classify_as_channel_metadata() {
        assert_eq!(
            ReceivedTopic::classify("channel.metadata"),
            ReceivedTopic::ChannelMetadata
        );
        assert_eq!(
            ReceivedTopic::classify("Channel.MetaData"),
            ReceivedTopic::ChannelMetadata
        );
    }

    #[test]
    fn system_topics_classify_with_their_ids() {
        assert_eq!(
            ReceivedTopic::classify("v2.system.socket_closing"),
            ReceivedTopic::SocketClosing
        );
        assert_eq!(
            ReceivedTopic::classify("V2.System.Socket_Closing"),
            ReceivedTopic::SocketClosing
        );
        assert_eq!(
            ReceivedTopic::classify("v2.system.no_longer_subscribed.streaming-2-abc"),
            ReceivedTopic::System(SystemTopic::NoLongerSubscribed {
                id: "streaming-2-abc"
            })
        );
        assert_eq!(
            ReceivedTopic::classify("v2.system.token_revoked.t1"),
            ReceivedTopic::System(SystemTopic::TokenRevoked { id: "t1" })
        );
        assert_eq!(
            ReceivedTopic::classify("v2.system.token_revoked."),
            ReceivedTopic::System(SystemTopic::Other("v2.system.token_revoked."))
        );
        assert_eq!(
            ReceivedTopic::classify("v2.system.something_new"),
            ReceivedTopic::System(SystemTopic::Other("v2.system.something_new"))
        );
    }

    #[test]
    fn subscription_updates_classify() {
        assert_eq!(
            ReceivedTopic::classify("v2.subscription.updated"),
            ReceivedTopic::SubscriptionUpdated
        );
    }

    #[test]
    fn user_topics_classify_whatever_the_case_of_the_kind() {
        for kind in UserTopicKind::ALL {
            let name = std::format!("v2.users.{USER}.{}", kind.suffix());
            assert_eq!(
                ReceivedTopic::classify(&name),
                ReceivedTopic::User {
                    user_id: USER,
                    kind
                }
            );
            let shouted = name.to_ascii_uppercase();
            assert!(matches!(
                ReceivedTopic::classify(&shouted),
                ReceivedTopic::User { kind: k, .. } if k == kind
            ));
        }
        assert!(matches!(
            ReceivedTopic::classify("v2.users.abc.routingstatus"),
            ReceivedTopic::User {
                kind: UserTopicKind::RoutingStatus,
                ..
            }
        ));
    }

    #[test]
    fn queue_topics_classify_with_their_kind() {
        assert_eq!(
            ReceivedTopic::classify("v2.routing.queues.q1.conversations.emails"),
            ReceivedTopic::Queue {
                queue_id: "q1",
                kind: QueueTopicKind::Emails
            }
        );
        assert_eq!(
            ReceivedTopic::classify("v2.routing.queues.q1.users"),
            ReceivedTopic::Queue {
                queue_id: "q1",
                kind: QueueTopicKind::Users
            }
        );
    }

    #[test]
    fn everything_else_is_other_and_never_an_error() {
        for name in [
            "",
            "v2",
            "v2.",
            "v2.users.",
            "v2.users..presence",
            "v2.users.abc",
            "v2.users.abc.geolocation",
            "v2.users.abc.conversations.calls",
            "v2.conversations.chats.c1.members",
            "v2.routing.queues.q1.observations",
            "\u{e9}v2.users.a.presence",
            "v2.us\u{e9}rs.a.presence",
        ] {
            assert_eq!(
                ReceivedTopic::classify(name),
                ReceivedTopic::Other(name),
                "{name:?}"
            );
        }
    }

    #[test]
    fn arbitrary_text_never_panics_parsing_classifying_or_packing() {
        use crate::backoff::SplitMix64;
        const PIECES: [&str; 16] = [
            "v2",
            ".",
            "users",
            "u1",
            "?",
            "&",
            "presence",
            "system",
            "channel.metadata",
            "routing.queues.",
            "*",
            " ",
            "\u{e9}",
            ".activity",
            "&routingStatus",
            "?conversations",
        ];
        let mut rng = SplitMix64::new(0x70_91C5);
        let mut valid = 0;
        for _ in 0..5_000 {
            let mut text = String::new();
            if rng.next_u64().is_multiple_of(2) {
                text.push_str("v2.users.u1");
            }
            for _ in 0..(rng.next_u64() % 6) {
                let i = usize::try_from(rng.next_u64() % 16).unwrap_or(0);
                text.push_str(PIECES.get(i).copied().unwrap_or(""));
            }
            let _ = ReceivedTopic::classify(&text);
            if let Ok(t) = Topic::parse(&text) {
                valid += 1;
                let mut out: heapless::Vec<TopicBuf, 8> = heapless::Vec::new();
                let _ = pack(&[t, t], &mut out);
                for packed in &out {
                    assert!(Topic::parse(packed.as_str()).is_ok(), "{packed}");
                }
                assert!(t.parts().all(|p| TopicBuf::from_part(p).is_ok()), "{text}");
            }
        }
        assert!(
            valid > 20,
            "only {valid} inputs were topics: the test exercises too little"
        );
    }

    #[test]
    fn topics_and_buffers_are_interchangeable_where_a_topic_is_expected() {
        let buf = user(UserTopicKind::Presence);
        let borrowed = buf.as_topic();
        assert_eq!(borrowed.as_str(), buf.as_str());
        assert_eq!(AsTopic::as_topic(&&buf), borrowed);
        assert_eq!(TopicBuf::from_topic(borrowed).as_ref(), Ok(&buf));
        assert_eq!(TopicBuf::parse(buf.as_str()).as_ref(), Ok(&buf));
    }
}
