//! The agent model: what the agent is doing, reduced from events and REST snapshots.
//!
//! # Why it is shaped this way
//!
//! The desk light must never show "available" while the agent is on a call, and Genesys does not
//! make that easy: a conversation event carries the *whole* conversation (old legs, other agents,
//! the customer), several conversations can be in progress at once, and presence, routing status
//! and conversations arrive on separate topics in no promised order. So the [`Agent`] keeps only
//! what it needs to answer one question, [`Agent::activity`]:
//!
//! - for each tracked conversation, the single most urgent thing it asks of this agent (ringing,
//!   on a call, dialing, held, interacting, wrap-up), recomputed from scratch on every event of
//!   that conversation, because each event replaces what was known of it;
//! - the latest routing status and system presence, from whichever topic or snapshot said it last;
//! - a `stale` flag, raised when events may have been missed and lowered by a REST resync.
//!
//! # The rules
//!
//! The agent's legs are the media entries (`calls`, `callbacks`, `chats`, `emails`, `messages`,
//! `videos`, `screenshares`, `cobrowsesessions`, `socialExpressions`) of participants whose
//! `userId` is the agent's. A leg is *live* when its participant has no `endTime`, the leg has no
//! `disconnectType`, and its state is `alerting`/`offering` (→ alerting), `dialing`/`contacting`
//! (→ dialing) or `connected` (→ held if `held`, else on_call for calls, callbacks and videos,
//! else interacting). Anything else — unknown states included — is not live.
//!
//! A conversation with no live agent leg is in wrap-up when an agent participant has
//! `wrapupRequired: true` with no `wrapup` and no `endAcwTime`, or has a leg whose
//! `afterCallWork.state` is `pending`. The participant's `endTime` does not end wrap-up: Genesys
//! stamps it when the interaction disconnects, which is when after-call work *starts* (the
//! captured callback disconnect has `endTime` equal to `startAcwTime`, no `endAcwTime` and
//! `afterCallWork.state: pending`). Wrap-up ends with the event that carries the `wrapup`, the
//! `endAcwTime` or a finished `afterCallWork`, or with a summary that counts no wrap-up.
//!
//! The activity is the highest of all tracked conversations in the order alerting > on_call >
//! dialing > held > interacting > wrap_up. With none of those, routing status decides
//! (`NOT_RESPONDING` → not_responding, `IDLE` → on_queue, `INTERACTING`/`COMMUNICATING` →
//! interacting), then the system presence (compared ignoring case, spaces and underscores; `Idle`
//! shows as away), and with nothing known, unknown.
//!
//! A conversation summary (topic `conversationsummary`, or the `conversationSummary` of a user
//! snapshot) with zero active and zero in wrap-up proves no tracked conversation is still live:
//! they are all forgotten. This matters for client-credentials tokens, which cannot call
//! `GET /api/v2/conversations` to learn which conversations ended while the socket was down.
//!
//! # Bounded memory
//!
//! A conversation is kept as a 64-bit hash of its id and one byte of state, in a map of
//! [`MAX_CONVERSATIONS`] entries; a conversation with nothing live and no wrap-up is forgotten
//! at once. If the map is full when a new conversation needs a place, the least urgent tracked
//! conversation gives way, but only if it ranks below the newcomer (a wrap-up gives way to a
//! ringing call, never the other way round); otherwise the newcomer is not tracked. Either way
//! something was dropped, so the agent is marked stale and the next resync rebuilds the set.

use core::fmt;

use heapless::LinearMap;

use crate::event::{
    ActivityBody, AfterCallWorkState, Conversation, ConversationSummaryBody, Event, LegState,
    PresenceBody, RoutingStatus, RoutingStatusBody, SystemPresence,
};
use crate::json;

/// What the agent is doing, as the desk light and the CLI name it.
///
/// The snake_case names ([`Activity::as_str`]) are part of the project's interface: the CLI's
/// JSON lines carry them and external tools match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activity {
    /// A conversation is ringing for the agent (`alerting`/`offering`).
    Alerting,
    /// The agent is placing an outbound interaction (`dialing`/`contacting`).
    Dialing,
    /// On a voice-like interaction (call, callback, video), connected and not held.
    OnCall,
    /// The agent has the customer on hold.
    Held,
    /// Connected on a non-voice interaction (chat, email, message…), or routing says so.
    Interacting,
    /// After-call work: the interaction ended and wrap-up is still pending.
    WrapUp,
    /// Routing offered an interaction and the agent did not answer (`NOT_RESPONDING`).
    NotResponding,
    /// On queue and idle, waiting for an interaction.
    OnQueue,
    /// Available, not on queue.
    Available,
    /// Busy.
    Busy,
    /// Away (also Genesys' `Idle` presence).
    Away,
    /// On break.
    Break,
    /// At a meal.
    Meal,
    /// In a meeting.
    Meeting,
    /// In training.
    Training,
    /// Offline.
    Offline,
    /// Nothing is known yet.
    Unknown,
}

impl Activity {
    /// Every activity, in the order of the enum.
    pub const ALL: [Activity; 17] = [
        Activity::Alerting,
        Activity::Dialing,
        Activity::OnCall,
        Activity::Held,
        Activity::Interacting,
        Activity::WrapUp,
        Activity::NotResponding,
        Activity::OnQueue,
        Activity::Available,
        Activity::Busy,
        Activity::Away,
        Activity::Break,
        Activity::Meal,
        Activity::Meeting,
        Activity::Training,
        Activity::Offline,
        Activity::Unknown,
    ];

    /// The snake_case name used in JSON output and documentation (`on_call`, `wrap_up`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Activity::Alerting => "alerting",
            Activity::Dialing => "dialing",
            Activity::OnCall => "on_call",
            Activity::Held => "held",
            Activity::Interacting => "interacting",
            Activity::WrapUp => "wrap_up",
            Activity::NotResponding => "not_responding",
            Activity::OnQueue => "on_queue",
            Activity::Available => "available",
            Activity::Busy => "busy",
            Activity::Away => "away",
            Activity::Break => "break",
            Activity::Meal => "meal",
            Activity::Meeting => "meeting",
            Activity::Training => "training",
            Activity::Offline => "offline",
            Activity::Unknown => "unknown",
        }
    }

    /// Parses a snake_case name as printed by [`Activity::as_str`].
    pub fn from_name(name: &str) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many conversations one agent tracks at once.
///
/// An agent's concurrent interactions are capped by the organisation's utilization settings (one
/// call, a handful of chats, emails and messages); 16 covers a busy digital agent with room for
/// conversations lingering in wrap-up, at 16 bytes each.
pub const MAX_CONVERSATIONS: usize = 16;

/// The longest user id an [`Agent`] accepts, in bytes.
///
/// Genesys user ids are 36-character UUIDs; 64 leaves room for test and simulator ids.
pub const MAX_USER_ID_LEN: usize = 64;

/// Why an [`Agent`] could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AgentError {
    /// The user id is empty. Configure the agent's Genesys user id (a UUID).
    EmptyUserId,
    /// The user id is longer than [`MAX_USER_ID_LEN`]. Check the configuration: Genesys user ids
    /// are 36-character UUIDs.
    UserIdTooLong {
        /// The length given, in bytes.
        len: usize,
    },
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::EmptyUserId => {
                f.write_str("the agent's user id is empty; configure the Genesys user id (a UUID)")
            }
            AgentError::UserIdTooLong { len } => write!(
                f,
                "the agent's user id is {len} bytes long, more than the {MAX_USER_ID_LEN} allowed; Genesys user ids are 36-character UUIDs"
            ),
        }
    }
}

impl core::error::Error for AgentError {}

/// Why a REST snapshot could not be applied. The agent is left as it was (and stays stale);
/// the caller should retry the resync later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SnapshotError {
    /// The body is not valid JSON. Retry the request; if it persists, something between us and
    /// Genesys rewrites responses.
    Json(json::Error),
    /// The body is JSON but not the expected resource. Check that the right endpoint was called.
    UnexpectedShape {
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The body describes another user. Check which agent the request was made for.
    OtherUser,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Json(e) => write!(
                f,
                "a resync response was not valid JSON ({e}); the agent stays stale until a retry succeeds"
            ),
            SnapshotError::UnexpectedShape { expected } => write!(
                f,
                "a resync response was not the expected resource ({expected}); check the endpoint called"
            ),
            SnapshotError::OtherUser => f.write_str(
                "a resync response describes another user; check which agent the request was made for",
            ),
        }
    }
}

impl core::error::Error for SnapshotError {}

/// What [`Agent::apply_user_snapshot`] made of a user read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserSnapshot {
    /// [`Agent::activity`] or [`Agent::is_stale`] changed.
    pub changed: bool,
    /// The reply had no usable `presence` (the expansion is best effort): read
    /// `GET /api/v2/users/{id}/presences/purecloud`.
    pub lacks_presence: bool,
    /// The reply had no usable `routingStatus`: read `GET /api/v2/users/{id}/routingstatus`.
    pub lacks_routing: bool,
}

impl From<json::Error> for SnapshotError {
    fn from(e: json::Error) -> Self {
        SnapshotError::Json(e)
    }
}

/// The most urgent thing one conversation asks of the agent, least urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Urgency {
    WrapUp,
    Interacting,
    Held,
    Dialing,
    OnCall,
    Alerting,
}

impl Urgency {
    const fn activity(self) -> Activity {
        match self {
            Urgency::WrapUp => Activity::WrapUp,
            Urgency::Interacting => Activity::Interacting,
            Urgency::Held => Activity::Held,
            Urgency::Dialing => Activity::Dialing,
            Urgency::OnCall => Activity::OnCall,
            Urgency::Alerting => Activity::Alerting,
        }
    }

    /// What a conversation asks of `user_id` under the rules in the module docs, or `None` when
    /// it asks nothing (and is forgotten).
    fn of(conversation: &Conversation<'_>, user_id: &str) -> Option<Urgency> {
        let mut live = None;
        let mut wrap_up = false;
        let agents = conversation
            .participants()
            .filter(|p| p.user_id().is_some_and(|u| u.eq_ignore_ascii_case(user_id)));
        for participant in agents {
            if participant.wrapup_required()
                && !participant.has_wrapup()
                && !participant.has_ended_after_call_work()
            {
                wrap_up = true;
            }
            let ended = participant.has_ended();
            for leg in participant.legs() {
                if leg.after_call_work() == Some(AfterCallWorkState::Pending) {
                    wrap_up = true;
                }
                if ended || leg.is_disconnected() {
                    continue;
                }
                let urgency = match leg.state() {
                    LegState::Alerting | LegState::Offering => Some(Urgency::Alerting),
                    LegState::Dialing | LegState::Contacting => Some(Urgency::Dialing),
                    LegState::Connected if leg.held() => Some(Urgency::Held),
                    LegState::Connected if leg.media().is_voice() => Some(Urgency::OnCall),
                    LegState::Connected => Some(Urgency::Interacting),
                    _ => None,
                };
                live = live.max(urgency);
            }
        }
        live.or(wrap_up.then_some(Urgency::WrapUp))
    }
}

type Conversations = LinearMap<u64, Urgency, MAX_CONVERSATIONS>;

/// Records what conversation `key` asks of the agent. Returns `false` if something had to be
/// dropped for lack of room (see the module docs for which).
fn track(map: &mut Conversations, key: u64, urgency: Option<Urgency>) -> bool {
    let Some(urgency) = urgency else {
        map.remove(&key);
        return true;
    };
    if let Some(slot) = map.get_mut(&key) {
        *slot = urgency;
        return true;
    }
    let mut evicted = false;
    if map.is_full() {
        let least = map.iter().min_by_key(|(_, u)| **u).map(|(k, u)| (*k, *u));
        match least {
            Some((k, u)) if u < urgency => {
                map.remove(&k);
                evicted = true;
            }
            _ => return false,
        }
    }
    map.insert(key, urgency).is_ok() && !evicted
}

/// One agent's state, reduced from notification events and REST snapshots.
///
/// Feed it every event with [`Agent::handle_event`] (events for other users are ignored, so a
/// gateway can offer every event to every agent), and the resync reads with the `apply_*`
/// methods followed by [`Agent::finish_resync`]. Read the result with [`Agent::activity`] and
/// [`Agent::is_stale`]. A new agent knows nothing and is stale until its first resync.
///
/// Memory is fixed: `size_of::<Agent>()` is 344 bytes on a 64-bit host, with
/// [`MAX_CONVERSATIONS`] conversations and a [`MAX_USER_ID_LEN`]-byte id inline.
#[derive(Clone, Debug)]
pub struct Agent {
    user_id: heapless::String<MAX_USER_ID_LEN>,
    conversations: Conversations,
    presence: Option<SystemPresence>,
    routing: Option<RoutingStatus>,
    stale: bool,
}

impl Agent {
    /// An agent for the Genesys user `user_id`, knowing nothing yet (stale).
    pub fn new(user_id: &str) -> Result<Agent, AgentError> {
        if user_id.is_empty() {
            return Err(AgentError::EmptyUserId);
        }
        let mut id = heapless::String::new();
        id.push_str(user_id)
            .map_err(|_| AgentError::UserIdTooLong { len: user_id.len() })?;
        Ok(Agent {
            user_id: id,
            conversations: LinearMap::new(),
            presence: None,
            routing: None,
            stale: true,
        })
    }

    /// The Genesys user id this agent follows.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// What the agent is doing, by the precedence rules in the module docs.
    pub fn activity(&self) -> Activity {
        if let Some(most) = self.conversations.values().max() {
            return most.activity();
        }
        match self.routing {
            Some(RoutingStatus::NotResponding) => return Activity::NotResponding,
            Some(RoutingStatus::Idle) => return Activity::OnQueue,
            Some(RoutingStatus::Interacting | RoutingStatus::Communicating) => {
                return Activity::Interacting;
            }
            _ => {}
        }
        match self.presence {
            Some(SystemPresence::Available) => Activity::Available,
            Some(SystemPresence::OnQueue) => Activity::OnQueue,
            Some(SystemPresence::Busy) => Activity::Busy,
            Some(SystemPresence::Away | SystemPresence::Idle) => Activity::Away,
            Some(SystemPresence::Break) => Activity::Break,
            Some(SystemPresence::Meal) => Activity::Meal,
            Some(SystemPresence::Meeting) => Activity::Meeting,
            Some(SystemPresence::Training) => Activity::Training,
            Some(SystemPresence::Offline) => Activity::Offline,
            Some(SystemPresence::Unknown) | None => Activity::Unknown,
        }
    }

    /// Whether events may have been missed since the last resync: the activity may be out of
    /// date, and a light should say so.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// How many conversations are tracked (live or in wrap-up).
    pub fn tracked_conversations(&self) -> usize {
        self.conversations.len()
    }

    /// Records that events may have been missed (reconnect, new channel, dropped frame).
    /// Returns whether the stale flag changed.
    pub fn mark_stale(&mut self) -> bool {
        !core::mem::replace(&mut self.stale, true)
    }

    /// Records that a REST resync completed: the state is current again.
    /// Returns whether the stale flag changed.
    pub fn finish_resync(&mut self) -> bool {
        core::mem::replace(&mut self.stale, false)
    }

    /// Applies one event. Events for other users, and kinds the model does not use, are ignored.
    /// Returns whether [`Agent::activity`] or [`Agent::is_stale`] changed.
    pub fn handle_event(&mut self, event: &Event<'_>) -> bool {
        let before = self.observed();
        let me = self.user_id.as_str();
        match event {
            Event::Conversation(e) if e.user_id.eq_ignore_ascii_case(me) => {
                self.apply(&e.body);
            }
            Event::Presence(e) if e.user_id.eq_ignore_ascii_case(me) => {
                self.set_presence(&e.body);
            }
            Event::RoutingStatus(e) if e.user_id.eq_ignore_ascii_case(me) => {
                self.set_routing(&e.body);
            }
            Event::Activity(e) if e.user_id.eq_ignore_ascii_case(me) => {
                self.set_activity(&e.body);
            }
            Event::ConversationSummary(e) if e.user_id.eq_ignore_ascii_case(me) => {
                self.reconcile(&e.body);
            }
            _ => {}
        }
        self.observed() != before
    }

    /// Applies one conversation (from an event or a REST read), replacing what was known of it.
    /// Returns whether [`Agent::activity`] or [`Agent::is_stale`] changed.
    pub fn apply_conversation(&mut self, conversation: &Conversation<'_>) -> bool {
        let before = self.observed();
        self.apply(conversation);
        self.observed() != before
    }

    /// Applies the body of `GET /api/v2/users/{id}?expand=presence,routingStatus,conversationSummary`.
    ///
    /// Genesys documents `expand` as best effort: the reply says whether it carried the presence
    /// and the routing status, so the caller can read what is missing from
    /// `GET …/presences/purecloud` and `GET …/routingstatus`, the reads that always answer.
    pub fn apply_user_snapshot(&mut self, body: &[u8]) -> Result<UserSnapshot, SnapshotError> {
        let user = self.snapshot_object(body, "id", "a user object")?;
        let before = self.observed();
        let activity = ActivityBody::from_object(user);
        self.set_activity(&activity);
        if let Some(summary) = user.get("conversationSummary").and_then(|s| s.as_object()) {
            self.reconcile(&ConversationSummaryBody::from_object(summary));
        }
        Ok(UserSnapshot {
            changed: self.observed() != before,
            lacks_presence: activity
                .presence
                .is_none_or(|p| p.system_presence.is_none()),
            lacks_routing: activity.routing.is_none_or(|r| r.status.is_none()),
        })
    }

    /// Applies the body of `GET /api/v2/users/{id}/routingstatus`.
    /// Returns whether anything observable changed.
    pub fn apply_routing_snapshot(&mut self, body: &[u8]) -> Result<bool, SnapshotError> {
        let routing = self.snapshot_object(body, "userId", "a routing status object")?;
        let before = self.observed();
        self.set_routing(&RoutingStatusBody::from_object(routing));
        Ok(self.observed() != before)
    }

    /// Applies the body of `GET /api/v2/users/{id}/presences/purecloud`.
    /// Returns whether anything observable changed.
    pub fn apply_presence_snapshot(&mut self, body: &[u8]) -> Result<bool, SnapshotError> {
        let presence = self.snapshot_object(body, "userId", "a presence object")?;
        let before = self.observed();
        self.set_presence(&PresenceBody::from_object(presence));
        Ok(self.observed() != before)
    }

    /// Applies the body of `GET /api/v2/conversations` (`{"entities":[…]}`, the user's active
    /// conversations): it REPLACES the tracked set. Entities without an id are skipped.
    /// Returns whether anything observable changed.
    pub fn apply_conversations_snapshot(&mut self, body: &[u8]) -> Result<bool, SnapshotError> {
        const EXPECTED: &str = "an object with an entities array";
        let entities = json::parse(body)?
            .as_object()
            .and_then(|o| o.get("entities"))
            .and_then(|e| e.as_array())
            .ok_or(SnapshotError::UnexpectedShape { expected: EXPECTED })?;
        let before = self.observed();
        let mut fresh = Conversations::new();
        let conversations = entities
            .iter()
            .filter_map(|e| e.as_object())
            .filter_map(|o| Conversation::from_object(o).ok());
        for conversation in conversations {
            let urgency = Urgency::of(&conversation, &self.user_id);
            if !track(&mut fresh, conversation.id_hash(), urgency) {
                self.stale = true;
            }
        }
        self.conversations = fresh;
        Ok(self.observed() != before)
    }

    fn observed(&self) -> (Activity, bool) {
        (self.activity(), self.stale)
    }

    fn apply(&mut self, conversation: &Conversation<'_>) {
        let urgency = Urgency::of(conversation, &self.user_id);
        if !track(&mut self.conversations, conversation.id_hash(), urgency) {
            self.stale = true;
        }
    }

    fn set_presence(&mut self, presence: &PresenceBody<'_>) {
        if let Some(p) = presence.system_presence {
            self.presence = Some(p);
        }
    }

    fn set_routing(&mut self, routing: &RoutingStatusBody) {
        if let Some(r) = routing.status {
            self.routing = Some(r);
        }
    }

    fn set_activity(&mut self, activity: &ActivityBody<'_>) {
        if let Some(p) = &activity.presence {
            self.set_presence(p);
        }
        if let Some(r) = &activity.routing {
            self.set_routing(r);
        }
    }

    /// Zero active and zero in wrap-up: nothing tracked can still be live.
    fn reconcile(&mut self, summary: &ConversationSummaryBody) {
        if summary.is_idle() {
            self.conversations.clear();
        }
    }

    /// Parses a snapshot body as an object and checks that `id_key`, if present, names this agent.
    fn snapshot_object<'b>(
        &self,
        body: &'b [u8],
        id_key: &str,
        expected: &'static str,
    ) -> Result<json::Object<'b>, SnapshotError> {
        let object = json::parse(body)?
            .as_object()
            .ok_or(SnapshotError::UnexpectedShape { expected })?;
        match object.get(id_key).and_then(|v| v.as_str()) {
            Some(id) if !id.eq_ignore_ascii_case(&self.user_id) => Err(SnapshotError::OtherUser),
            _ => Ok(object),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::String;

    use super::*;
    use crate::event;
    use crate::test_vectors::ALL;

    const ME: &str = "agent-1";

    fn vector(prefix: &str) -> &'static [u8] {
        ALL.iter()
            .find(|(name, _)| name.starts_with(prefix))
            .map(|(_, bytes)| *bytes)
            .unwrap()
    }

    fn agent() -> Agent {
        Agent::new(ME).unwrap()
    }

    fn feed(agent: &mut Agent, frame: &str) -> bool {
        agent.handle_event(&event::parse(frame.as_bytes()).unwrap())
    }

    /// A `v2.users.agent-1.conversations` frame for conversation `id` with the given participants.
    fn conversation(id: &str, participants: &[String]) -> String {
        format!(
            r#"{{"topicName":"v2.users.{ME}.conversations","version":"2","eventBody":{{"id":"{id}","participants":[{}]}},"metadata":{{"CorrelationId":"c"}}}}"#,
            participants.join(",")
        )
    }

    /// A participant for `user` with extra fields and one leg in the `media` array.
    fn participant(user: &str, extra: &str, media: &str, leg: &str) -> String {
        let comma = if extra.is_empty() { "" } else { "," };
        format!(r#"{{"userId":"{user}","purpose":"agent"{comma}{extra},"{media}":[{leg}]}}"#)
    }

    fn customer() -> String {
        r#"{"purpose":"customer","calls":[{"state":"connected","held":false}]}"#.into()
    }

    fn call(state: &str) -> String {
        format!(r#"{{"state":"{state}","held":false}}"#)
    }

    fn presence(value: &str) -> String {
        format!(
            r#"{{"topicName":"v2.users.{ME}.presence","eventBody":{{"presenceDefinition":{{"id":"p","systemPresence":"{value}"}},"message":""}}}}"#
        )
    }

    fn routing(value: &str) -> String {
        format!(
            r#"{{"topicName":"v2.users.{ME}.routingStatus","eventBody":{{"routingStatus":{{"status":"{value}","startTime":"2024-01-01T00:00:00Z"}}}}}}"#
        )
    }

    fn summary(active: u32, acw: u32) -> String {
        format!(
            r#"{{"topicName":"v2.users.{ME}.conversationsummary","eventBody":{{"userId":"{ME}","call":{{"contactCenter":{{"active":{active},"acw":{acw}}},"enterprise":{{"active":0,"acw":0}}}}}}}}"#
        )
    }

    fn ringing(id: &str) -> String {
        conversation(
            id,
            &[customer(), participant(ME, "", "calls", &call("alerting"))],
        )
    }

    fn ended(id: &str) -> String {
        conversation(
            id,
            &[participant(
                ME,
                r#""endTime":"2024-01-01T00:05:00Z""#,
                "calls",
                r#"{"state":"disconnected","disconnectType":"client"}"#,
            )],
        )
    }

    fn in_wrap_up(id: &str) -> String {
        conversation(
            id,
            &[participant(
                ME,
                r#""wrapupRequired":true"#,
                "calls",
                r#"{"state":"disconnected","disconnectType":"client"}"#,
            )],
        )
    }

    #[test]
    fn the_captured_callback_in_after_call_work_shows_wrap_up() {
        let mut agent = Agent::new("AGENT_USER_ID").unwrap();
        let frame = vector("event_v2_users_conversations_callback_acw");
        assert!(agent.handle_event(&event::parse(frame).unwrap()));
        assert_eq!(agent.activity(), Activity::WrapUp);
        assert_eq!(agent.tracked_conversations(), 1);
    }

    #[test]
    fn the_captured_callback_disconnect_is_still_in_wrap_up() {
        // endTime is stamped when the callback disconnects; after-call work is still pending.
        let mut agent = Agent::new("AGENT_USER_ID").unwrap();
        for name in [
            "event_v2_users_conversations_callback_acw",
            "event_v2_users_conversations_callback_disconnect",
        ] {
            agent.handle_event(&event::parse(vector(name)).unwrap());
            assert_eq!(agent.activity(), Activity::WrapUp, "{name}");
        }
        assert_eq!(agent.tracked_conversations(), 1);
    }

    #[test]
    fn the_captured_callback_means_nothing_to_another_agent() {
        let mut agent = agent();
        let frame = vector("event_v2_users_conversations_callback_acw");
        assert!(!agent.handle_event(&event::parse(frame).unwrap()));
        assert_eq!(agent.activity(), Activity::Unknown);
    }

    #[test]
    fn published_broken_payloads_are_clean_errors_everywhere() {
        for prefix in ["subscriptions_request_body", "event_v2_users_activity"] {
            let bytes = vector(prefix);
            assert!(matches!(
                event::parse(bytes),
                Err(event::EventError::Json(_))
            ));
            let mut agent = agent();
            assert!(matches!(
                agent.apply_user_snapshot(bytes),
                Err(SnapshotError::Json(_))
            ));
            assert!(matches!(
                agent.apply_conversations_snapshot(bytes),
                Err(SnapshotError::Json(_))
            ));
        }
    }

    #[test]
    fn every_real_payload_reduces_without_panicking() {
        let mut agent = Agent::new("AGENT_USER_ID").unwrap();
        for (_, bytes) in ALL {
            if let Ok(event) = event::parse(bytes) {
                agent.handle_event(&event);
            }
            let _ = agent.apply_user_snapshot(bytes);
            let _ = agent.apply_routing_snapshot(bytes);
            let _ = agent.apply_presence_snapshot(bytes);
            let _ = agent.apply_conversations_snapshot(bytes);
        }
        assert!(Activity::ALL.contains(&agent.activity()));
    }

    #[test]
    fn a_call_rings_connects_holds_and_ends() {
        let mut agent = agent();
        feed(&mut agent, &presence("Available"));
        assert_eq!(agent.activity(), Activity::Available);
        assert!(feed(&mut agent, &ringing("c1")));
        assert_eq!(agent.activity(), Activity::Alerting);
        let leg = |held: bool| format!(r#"{{"state":"connected","held":{held}}}"#);
        feed(
            &mut agent,
            &conversation(
                "c1",
                &[customer(), participant(ME, "", "calls", &leg(false))],
            ),
        );
        assert_eq!(agent.activity(), Activity::OnCall);
        feed(
            &mut agent,
            &conversation(
                "c1",
                &[customer(), participant(ME, "", "calls", &leg(true))],
            ),
        );
        assert_eq!(agent.activity(), Activity::Held);
        feed(&mut agent, &ended("c1"));
        assert_eq!(agent.activity(), Activity::Available);
        assert_eq!(agent.tracked_conversations(), 0);
    }

    #[test]
    fn each_leg_state_maps_to_its_activity() {
        let cases = [
            ("calls", "alerting", Activity::Alerting),
            ("messages", "offering", Activity::Alerting),
            ("calls", "dialing", Activity::Dialing),
            ("emails", "contacting", Activity::Dialing),
            ("calls", "connected", Activity::OnCall),
            ("callbacks", "connected", Activity::OnCall),
            ("videos", "connected", Activity::OnCall),
            ("chats", "connected", Activity::Interacting),
            ("emails", "CONNECTED", Activity::Interacting),
            ("screenshares", "connected", Activity::Interacting),
            ("cobrowsesessions", "connected", Activity::Interacting),
            ("socialExpressions", "connected", Activity::Interacting),
            ("callbacks", "scheduled", Activity::Unknown),
            ("emails", "parked", Activity::Unknown),
            ("calls", "terminated", Activity::Unknown),
            ("calls", "none", Activity::Unknown),
        ];
        for (media, state, expected) in cases {
            let mut agent = agent();
            feed(
                &mut agent,
                &conversation("c", &[participant(ME, "", media, &call(state))]),
            );
            assert_eq!(agent.activity(), expected, "{media} {state}");
        }
    }

    #[test]
    fn a_held_chat_shows_held() {
        let mut agent = agent();
        let leg = r#"{"state":"connected","held":true}"#;
        feed(
            &mut agent,
            &conversation("c", &[participant(ME, "", "chats", leg)]),
        );
        assert_eq!(agent.activity(), Activity::Held);
    }

    #[test]
    fn a_leg_with_a_disconnect_type_is_not_live_whatever_its_state() {
        let mut agent = agent();
        let leg = r#"{"state":"connected","held":false,"disconnectType":"peer"}"#;
        feed(
            &mut agent,
            &conversation("c", &[participant(ME, "", "calls", leg)]),
        );
        assert_eq!(agent.activity(), Activity::Unknown);
        assert_eq!(agent.tracked_conversations(), 0);
    }

    #[test]
    fn an_old_leg_with_an_end_time_does_not_count() {
        let mut agent = agent();
        let old = participant(
            ME,
            r#""endTime":"2024-01-01T00:01:00Z""#,
            "calls",
            &call("connected"),
        );
        let new = participant(ME, "", "calls", &call("alerting"));
        feed(
            &mut agent,
            &conversation("c", &[customer(), old.clone(), new]),
        );
        assert_eq!(agent.activity(), Activity::Alerting);
        feed(&mut agent, &conversation("c", &[customer(), old]));
        assert_eq!(agent.activity(), Activity::Unknown);
    }

    #[test]
    fn in_a_consult_only_this_agents_participant_counts() {
        let mut agent = agent();
        let mine = participant(ME, "", "calls", &call("connected"));
        let colleague = participant("agent-2", "", "calls", &call("alerting"));
        feed(
            &mut agent,
            &conversation("c", &[customer(), mine, colleague]),
        );
        assert_eq!(agent.activity(), Activity::OnCall);

        let mut colleague_view = Agent::new("agent-2").unwrap();
        let frame = conversation(
            "c",
            &[
                customer(),
                participant(ME, "", "calls", &call("connected")),
                participant("agent-2", "", "calls", &call("alerting")),
            ],
        )
        .replace("v2.users.agent-1.", "v2.users.agent-2.");
        feed(&mut colleague_view, &frame);
        assert_eq!(colleague_view.activity(), Activity::Alerting);
    }

    #[test]
    fn unknown_media_and_states_are_not_live() {
        let mut agent = agent();
        feed(&mut agent, &presence("Busy"));
        feed(
            &mut agent,
            &conversation("c", &[participant(ME, "", "holograms", &call("connected"))]),
        );
        assert_eq!(agent.activity(), Activity::Busy);
        feed(
            &mut agent,
            &conversation("c", &[participant(ME, "", "calls", &call("teleporting"))]),
        );
        assert_eq!(agent.activity(), Activity::Busy);
        assert_eq!(agent.tracked_conversations(), 0);
    }

    #[test]
    fn wrap_up_follows_the_participant_and_leg_fields() {
        let disconnected = r#"{"state":"disconnected","disconnectType":"client"}"#;
        let cases = [
            (r#""wrapupRequired":true"#, disconnected, Activity::WrapUp),
            (
                r#""wrapupRequired":true,"wrapup":{"code":"x"}"#,
                disconnected,
                Activity::Unknown,
            ),
            (
                r#""wrapupRequired":true,"endAcwTime":"2024-01-01T00:06:00Z""#,
                disconnected,
                Activity::Unknown,
            ),
            (r#""wrapupRequired":false"#, disconnected, Activity::Unknown),
            (
                r#""wrapupRequired":false"#,
                r#"{"state":"disconnected","disconnectType":"client","afterCallWork":{"state":"pending"}}"#,
                Activity::WrapUp,
            ),
            (
                r#""wrapupRequired":false"#,
                r#"{"state":"disconnected","disconnectType":"client","afterCallWork":{"state":"complete"}}"#,
                Activity::Unknown,
            ),
            (
                r#""wrapupRequired":true,"endTime":"2024-01-01T00:06:00Z""#,
                disconnected,
                Activity::WrapUp,
            ),
            (
                r#""wrapupRequired":true,"endTime":"2024-01-01T00:06:00Z","wrapup":{"code":"x"}"#,
                disconnected,
                Activity::Unknown,
            ),
            (
                r#""endTime":"2024-01-01T00:06:00Z""#,
                r#"{"state":"connected"}"#,
                Activity::Unknown,
            ),
        ];
        for (extra, leg, expected) in cases {
            let mut agent = agent();
            feed(
                &mut agent,
                &conversation("c", &[participant(ME, extra, "calls", leg)]),
            );
            assert_eq!(agent.activity(), expected, "{extra} {leg}");
        }
    }

    #[test]
    fn the_most_urgent_conversation_wins() {
        let order = [
            (
                r#""wrapupRequired":true"#,
                r#"{"state":"disconnected","disconnectType":"client"}"#,
                "calls",
                Activity::WrapUp,
            ),
            (
                "",
                r#"{"state":"connected"}"#,
                "chats",
                Activity::Interacting,
            ),
            (
                "",
                r#"{"state":"connected","held":true}"#,
                "calls",
                Activity::Held,
            ),
            ("", r#"{"state":"dialing"}"#, "calls", Activity::Dialing),
            ("", r#"{"state":"connected"}"#, "calls", Activity::OnCall),
            ("", r#"{"state":"alerting"}"#, "calls", Activity::Alerting),
        ];
        let mut agent = agent();
        feed(&mut agent, &routing("NOT_RESPONDING"));
        for (i, (extra, leg, media, expected)) in order.iter().enumerate() {
            feed(
                &mut agent,
                &conversation(&format!("c{i}"), &[participant(ME, extra, media, leg)]),
            );
            assert_eq!(agent.activity(), *expected);
        }
        // Ending them from the most urgent down walks the order back.
        for i in (1..order.len()).rev() {
            feed(&mut agent, &ended(&format!("c{i}")));
            assert_eq!(agent.activity(), order[i - 1].3);
        }
        feed(&mut agent, &ended("c0"));
        assert_eq!(agent.activity(), Activity::NotResponding);
    }

    #[test]
    fn routing_status_outranks_presence() {
        let mut agent = agent();
        feed(&mut agent, &presence("Available"));
        for (status, expected) in [
            ("NOT_RESPONDING", Activity::NotResponding),
            ("IDLE", Activity::OnQueue),
            ("INTERACTING", Activity::Interacting),
            ("COMMUNICATING", Activity::Interacting),
            ("OFF_QUEUE", Activity::Available),
            ("SOMETHING_NEW", Activity::Available),
        ] {
            feed(&mut agent, &routing(status));
            assert_eq!(agent.activity(), expected, "{status}");
        }
    }

    #[test]
    fn presence_spellings_are_compared_ignoring_case_spaces_and_underscores() {
        for (value, expected) in [
            ("On Queue", Activity::OnQueue),
            ("ON_QUEUE", Activity::OnQueue),
            ("OnQueue", Activity::OnQueue),
            ("AVAILABLE", Activity::Available),
            ("Busy", Activity::Busy),
            ("Away", Activity::Away),
            ("IDLE", Activity::Away),
            ("Break", Activity::Break),
            ("MEAL", Activity::Meal),
            ("Meeting", Activity::Meeting),
            ("Training", Activity::Training),
            ("Offline", Activity::Offline),
            ("Out Of The Office Forever", Activity::Unknown),
        ] {
            let mut agent = agent();
            feed(&mut agent, &presence(value));
            assert_eq!(agent.activity(), expected, "{value}");
        }
    }

    #[test]
    fn the_activity_topic_sets_presence_and_routing() {
        let mut agent = agent();
        let frame = format!(
            r#"{{"topicName":"v2.users.{ME}.activity","eventBody":{{"id":"{ME}","routingStatus":{{"status":"OFF_QUEUE"}},"presence":{{"presenceDefinition":{{"systemPresence":"Meal"}}}}}}}}"#
        );
        feed(&mut agent, &frame);
        assert_eq!(agent.activity(), Activity::Meal);
        let frame = frame.replace("OFF_QUEUE", "IDLE");
        feed(&mut agent, &frame);
        assert_eq!(agent.activity(), Activity::OnQueue);
    }

    #[test]
    fn escaped_ids_match_their_plain_spelling() {
        let mut agent = agent();
        let escaped_user = participant("agent\\u002d1", "", "calls", &call("alerting"));
        feed(&mut agent, &conversation("conv\\u002d9", &[escaped_user]));
        assert_eq!(agent.activity(), Activity::Alerting);
        feed(&mut agent, &ended("conv-9"));
        assert_eq!(agent.activity(), Activity::Unknown);
        assert_eq!(agent.tracked_conversations(), 0);
    }

    #[test]
    fn topic_and_user_id_case_differences_are_ignored() {
        let mut agent = Agent::new("Agent-1").unwrap();
        let frame = ringing("c").replace(
            "v2.users.agent-1.conversations",
            "V2.Users.AGENT-1.Conversations",
        );
        feed(&mut agent, &frame);
        assert_eq!(agent.activity(), Activity::Alerting);
    }

    #[test]
    fn events_for_other_users_are_ignored() {
        let mut agent = agent();
        let other = presence("Busy").replace(ME, "agent-2");
        assert!(!feed(&mut agent, &other));
        assert_eq!(agent.activity(), Activity::Unknown);
        assert!(!feed(
            &mut agent,
            r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#
        ));
    }

    #[test]
    fn handle_event_reports_only_observable_changes() {
        let mut agent = agent();
        assert!(feed(&mut agent, &presence("Busy")));
        assert!(!feed(&mut agent, &presence("BUSY")));
        assert!(feed(&mut agent, &ringing("c1")));
        // A second ringing conversation does not change what the light shows.
        assert!(!feed(&mut agent, &ringing("c2")));
        assert_eq!(agent.tracked_conversations(), 2);
    }

    #[test]
    fn an_idle_conversation_summary_forgets_every_tracked_conversation() {
        let mut agent = agent();
        feed(&mut agent, &presence("Available"));
        feed(&mut agent, &ringing("c1"));
        feed(&mut agent, &in_wrap_up("c2"));
        assert!(!feed(&mut agent, &summary(1, 0)));
        assert!(!feed(&mut agent, &summary(0, 1)));
        assert_eq!(agent.tracked_conversations(), 2);
        assert!(feed(&mut agent, &summary(0, 0)));
        assert_eq!(agent.tracked_conversations(), 0);
        assert_eq!(agent.activity(), Activity::Available);
    }

    #[test]
    fn a_user_snapshot_sets_presence_routing_and_reconciles_conversations() {
        let mut agent = agent();
        feed(&mut agent, &ringing("c1"));
        let body = format!(
            r#"{{"id":"{ME}","name":"A","presence":{{"presenceDefinition":{{"systemPresence":"On Queue"}}}},"routingStatus":{{"status":"IDLE"}},"conversationSummary":{{"call":{{"contactCenter":{{"active":0,"acw":0}},"enterprise":{{"active":0,"acw":0}}}},"chat":{{"contactCenter":{{"active":0,"acw":0}}}}}}}}"#
        );
        assert_eq!(
            agent.apply_user_snapshot(body.as_bytes()),
            Ok(UserSnapshot {
                changed: true,
                lacks_presence: false,
                lacks_routing: false
            })
        );
        assert_eq!(agent.activity(), Activity::OnQueue);
        assert_eq!(agent.tracked_conversations(), 0);
        let other = body.replace(ME, "agent-2");
        assert_eq!(
            agent.apply_user_snapshot(other.as_bytes()),
            Err(SnapshotError::OtherUser)
        );
        assert_eq!(
            agent.apply_user_snapshot(b"[]"),
            Err(SnapshotError::UnexpectedShape {
                expected: "a user object"
            })
        );
    }

    #[test]
    fn a_user_snapshot_without_the_best_effort_expansions_says_what_it_lacks() {
        let mut agent = agent();
        let bare = format!(r#"{{"id":"{ME}","name":"A","state":"active"}}"#);
        assert_eq!(
            agent.apply_user_snapshot(bare.as_bytes()),
            Ok(UserSnapshot {
                changed: false,
                lacks_presence: true,
                lacks_routing: true
            })
        );
        let half = format!(
            r#"{{"id":"{ME}","presence":{{"presenceDefinition":{{"id":"p"}}}},"routingStatus":{{"status":"IDLE"}}}}"#
        );
        let read = agent.apply_user_snapshot(half.as_bytes()).unwrap();
        assert!(
            read.lacks_presence,
            "a presence without systemPresence is no presence"
        );
        assert!(!read.lacks_routing);
    }

    #[test]
    fn routing_and_presence_snapshots_are_read_flat() {
        let mut agent = agent();
        let presence = br#"{"source":"PURECLOUD","presenceDefinition":{"id":"x","systemPresence":"Away"},"message":"lunch soon"}"#;
        assert_eq!(agent.apply_presence_snapshot(presence), Ok(true));
        assert_eq!(agent.activity(), Activity::Away);
        let routing = format!(
            r#"{{"userId":"{ME}","status":"INTERACTING","startTime":"2024-01-01T00:00:00Z"}}"#
        );
        assert_eq!(agent.apply_routing_snapshot(routing.as_bytes()), Ok(true));
        assert_eq!(agent.activity(), Activity::Interacting);
        let someone_else = routing.replace(ME, "agent-2");
        assert_eq!(
            agent.apply_routing_snapshot(someone_else.as_bytes()),
            Err(SnapshotError::OtherUser)
        );
    }

    #[test]
    fn a_conversations_snapshot_replaces_the_tracked_set() {
        let mut agent = agent();
        feed(&mut agent, &ringing("gone"));
        let body = format!(
            r#"{{"entities":[{{"id":"kept","participants":[{}]}},{{"no":"id"}},7],"pageSize":25}}"#,
            participant(ME, "", "chats", &call("connected"))
        );
        assert_eq!(
            agent.apply_conversations_snapshot(body.as_bytes()),
            Ok(true)
        );
        assert_eq!(agent.activity(), Activity::Interacting);
        assert_eq!(agent.tracked_conversations(), 1);
        assert_eq!(
            agent.apply_conversations_snapshot(b"{}"),
            Err(SnapshotError::UnexpectedShape {
                expected: "an object with an entities array"
            })
        );
        assert_eq!(agent.tracked_conversations(), 1);
        assert_eq!(
            agent.apply_conversations_snapshot(br#"{"entities":[]}"#),
            Ok(true)
        );
        assert_eq!(agent.tracked_conversations(), 0);
    }

    #[test]
    fn a_new_agent_is_stale_until_its_first_resync() {
        let mut agent = agent();
        assert!(agent.is_stale());
        assert!(agent.finish_resync());
        assert!(!agent.is_stale());
        assert!(!agent.finish_resync());
        assert!(agent.mark_stale());
        assert!(!agent.mark_stale());
        assert!(agent.is_stale());
    }

    #[test]
    fn a_full_map_makes_room_for_a_live_call_by_dropping_a_wrap_up() {
        let mut agent = agent();
        agent.finish_resync();
        for i in 0..MAX_CONVERSATIONS {
            feed(&mut agent, &in_wrap_up(&format!("w{i}")));
        }
        assert!(!agent.is_stale());
        assert_eq!(agent.tracked_conversations(), MAX_CONVERSATIONS);
        feed(&mut agent, &ringing("new"));
        assert_eq!(agent.activity(), Activity::Alerting);
        assert_eq!(agent.tracked_conversations(), MAX_CONVERSATIONS);
        assert!(
            agent.is_stale(),
            "a dropped conversation must trigger a resync"
        );
    }

    #[test]
    fn a_full_map_never_drops_a_live_call_for_a_wrap_up() {
        let mut agent = agent();
        agent.finish_resync();
        for i in 0..MAX_CONVERSATIONS {
            feed(
                &mut agent,
                &conversation(
                    &format!("c{i}"),
                    &[participant(ME, "", "chats", &call("connected"))],
                ),
            );
        }
        feed(&mut agent, &in_wrap_up("late"));
        assert_eq!(agent.activity(), Activity::Interacting);
        assert_eq!(agent.tracked_conversations(), MAX_CONVERSATIONS);
        assert!(agent.is_stale());
        // Updating a tracked conversation still works when full.
        feed(&mut agent, &ended("c0"));
        assert_eq!(agent.tracked_conversations(), MAX_CONVERSATIONS - 1);
    }

    #[test]
    fn user_ids_are_checked_when_the_agent_is_made() {
        assert_eq!(Agent::new("").unwrap_err(), AgentError::EmptyUserId);
        let long = "x".repeat(MAX_USER_ID_LEN + 1);
        assert_eq!(
            Agent::new(&long).unwrap_err(),
            AgentError::UserIdTooLong {
                len: MAX_USER_ID_LEN + 1
            }
        );
        assert_eq!(Agent::new(ME).unwrap().user_id(), ME);
        assert!(format!("{}", AgentError::EmptyUserId).contains("configure"));
    }

    #[test]
    fn an_agent_fits_in_a_few_hundred_bytes() {
        let size = core::mem::size_of::<Agent>();
        std::println!("size_of::<Agent>() = {size}");
        assert!(size <= 512, "{size}");
    }
}
