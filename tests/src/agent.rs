//! The scripted agent: what a person at a Genesys desk does, step by step.
//!
//! Each step changes the simulated world (what the REST reads return) and publishes the events the
//! real service would publish, to every connected channel subscribed to the affected topics:
//! the whole conversation to `v2.users.{id}.conversations` of every agent in it, then the
//! agent's `conversationsummary`, and `routingStatus` + `activity` when the routing status moves.
//!
//! Steps are synchronous: they return once the events are queued to the sockets, so a test can
//! act and then read its socket.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use crate::conversation::{Conversation, Media, OfferSpec};
use crate::people::{DEFAULT_QUEUE_ID, Presence, RoutingStatus};
use crate::state::{Shared, State};

/// A scripted agent: one user of the org. Get one with [`crate::Sim::agent`].
#[derive(Clone)]
pub struct Agent {
    pub(crate) shared: Arc<Shared>,
    pub(crate) user_id: String,
}

/// How an interaction is offered to an agent (see [`Agent::offer_with`]).
#[derive(Debug, Clone)]
pub struct Offer {
    media: Media,
    customer_name: String,
    queue_id: String,
    wrapup_required: bool,
}

impl Offer {
    /// An inbound ACD interaction from "Casey Customer" on the default queue, wrap-up required.
    pub fn new(media: Media) -> Self {
        Self {
            media,
            customer_name: "Casey Customer".to_owned(),
            queue_id: DEFAULT_QUEUE_ID.to_owned(),
            wrapup_required: true,
        }
    }

    /// Names the customer.
    #[must_use]
    pub fn customer(mut self, name: impl Into<String>) -> Self {
        self.customer_name = name.into();
        self
    }

    /// Sets the queue the interaction comes from.
    #[must_use]
    pub fn queue(mut self, queue_id: impl Into<String>) -> Self {
        self.queue_id = queue_id.into();
        self
    }

    /// Whether the agent must wrap up (after-call work) when the interaction ends.
    #[must_use]
    pub fn wrapup_required(mut self, required: bool) -> Self {
        self.wrapup_required = required;
        self
    }
}

fn publish_presence(state: &State, user_id: &str) {
    if let Some(person) = state.people.get(user_id) {
        state.publish(
            &format!("v2.users.{user_id}.presence"),
            person.presence_event(),
        );
        state.publish(
            &format!("v2.users.{user_id}.activity"),
            person.activity_event(user_id),
        );
    }
}

fn publish_routing(state: &State, user_id: &str) {
    if let Some(person) = state.people.get(user_id) {
        state.publish(
            &format!("v2.users.{user_id}.routingStatus"),
            person.routing_event(),
        );
        state.publish(
            &format!("v2.users.{user_id}.activity"),
            person.activity_event(user_id),
        );
    }
}

fn set_routing(state: &mut State, user_id: &str, status: RoutingStatus) {
    let Some(person) = state.people.get_mut(user_id) else {
        return;
    };
    if person.routing == status {
        return;
    }
    person.routing = status;
    person.routing_start = SystemTime::now();
    publish_routing(state, user_id);
}

/// Moves an on-queue agent between `IDLE` and `INTERACTING` according to its conversations.
/// `OFF_QUEUE` and `NOT_RESPONDING` are left to explicit steps.
fn settle_routing(state: &mut State, user_id: &str) {
    let Some(current) = state.people.get(user_id).map(|p| p.routing) else {
        return;
    };
    if !matches!(current, RoutingStatus::Idle | RoutingStatus::Interacting) {
        return;
    }
    let busy = !state.active_conversations(user_id).is_empty();
    set_routing(
        state,
        user_id,
        if busy {
            RoutingStatus::Interacting
        } else {
            RoutingStatus::Idle
        },
    );
}

impl Agent {
    /// The user id.
    pub fn id(&self) -> &str {
        &self.user_id
    }

    /// The current presence.
    pub fn presence(&self) -> Option<Presence> {
        self.shared
            .lock()
            .people
            .get(&self.user_id)
            .map(|p| p.presence)
    }

    /// The current routing status.
    pub fn routing_status(&self) -> Option<RoutingStatus> {
        self.shared
            .lock()
            .people
            .get(&self.user_id)
            .map(|p| p.routing)
    }

    /// Changes presence (publishes `presence` and `activity`).
    pub fn set_presence(&self, presence: Presence) {
        self.set_presence_with_message(presence, "");
    }

    /// Changes presence with a status message.
    pub fn set_presence_with_message(&self, presence: Presence, message: &str) {
        let mut state = self.shared.lock();
        let Some(person) = state.people.get_mut(&self.user_id) else {
            return;
        };
        person.presence = presence;
        person.message = message.to_owned();
        person.presence_modified = SystemTime::now();
        publish_presence(&state, &self.user_id);
    }

    /// Changes the routing status (publishes `routingStatus` and `activity` if it changed).
    pub fn set_routing_status(&self, status: RoutingStatus) {
        set_routing(&mut self.shared.lock(), &self.user_id, status);
    }

    /// Goes on queue: presence `On Queue`, then routing `IDLE` (or `INTERACTING` if busy).
    pub fn go_on_queue(&self) {
        self.set_presence(Presence::OnQueue);
        let mut state = self.shared.lock();
        set_routing(&mut state, &self.user_id, RoutingStatus::Idle);
        settle_routing(&mut state, &self.user_id);
    }

    /// Goes off queue: presence `Available`, routing `OFF_QUEUE`.
    pub fn go_off_queue(&self) {
        self.set_presence(Presence::Available);
        self.set_routing_status(RoutingStatus::OffQueue);
    }

    /// Offers an inbound ACD call: the agent's phone rings (`alerting`).
    pub fn ring(&self) -> Interaction {
        self.offer(Media::Call)
    }

    /// Offers an inbound ACD interaction of any media, wrap-up required.
    pub fn offer(&self, media: Media) -> Interaction {
        self.offer_with(Offer::new(media))
    }

    /// Offers an inbound ACD interaction set up by `offer`.
    pub fn offer_with(&self, offer: Offer) -> Interaction {
        let mut state = self.shared.lock();
        let agent_name = state
            .org
            .find_user(&self.user_id)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let spec = OfferSpec {
            media: offer.media,
            agent_user_id: self.user_id.clone(),
            agent_name,
            customer_name: offer.customer_name,
            queue_id: offer.queue_id,
            wrapup_required: offer.wrapup_required,
        };
        let (conversation, participant_id) = Conversation::offer(&spec, SystemTime::now());
        let interaction = Interaction {
            shared: Arc::clone(&self.shared),
            conversation_id: conversation.id.clone(),
            participant_id,
        };
        let body = conversation.to_json();
        state.conversations.push(conversation);
        finish_step(&mut state, &interaction.conversation_id, vec![body]);
        interaction
    }
}

/// Publishes a step's conversation bodies, then the summaries and routing of every agent in it.
fn finish_step(state: &mut State, conversation_id: &str, bodies: Vec<Value>) {
    let users = state
        .conversations
        .iter()
        .find(|c| c.id == conversation_id)
        .map(Conversation::agent_user_ids)
        .unwrap_or_default();
    for body in bodies {
        for user in &users {
            state.publish(&format!("v2.users.{user}.conversations"), body.clone());
        }
    }
    for user in &users {
        state.publish(
            &format!("v2.users.{user}.conversationsummary"),
            state.conversation_summary(user),
        );
        settle_routing(state, user);
    }
}

/// One agent's part in one conversation, returned by [`Agent::offer`] and
/// [`Interaction::consult_transfer`].
#[derive(Clone)]
pub struct Interaction {
    shared: Arc<Shared>,
    conversation_id: String,
    participant_id: String,
}

impl Interaction {
    /// The conversation id (`eventBody.id`).
    pub fn conversation_id(&self) -> &str {
        &self.conversation_id
    }

    /// The agent's participant id in the conversation.
    pub fn participant_id(&self) -> &str {
        &self.participant_id
    }

    /// The whole conversation as the next event would carry it.
    pub fn snapshot(&self) -> Value {
        self.shared
            .lock()
            .conversations
            .iter()
            .find(|c| c.id == self.conversation_id)
            .map(Conversation::to_json)
            .unwrap_or(Value::Null)
    }

    /// Runs one step on the conversation; `step` returns any intermediate bodies to publish
    /// before the final one.
    fn step(&self, step: impl FnOnce(&mut Conversation, SystemTime) -> Vec<Value>) {
        let mut state = self.shared.lock();
        let Some(conversation) = state
            .conversations
            .iter_mut()
            .find(|c| c.id == self.conversation_id)
        else {
            return;
        };
        let mut bodies = step(conversation, SystemTime::now());
        bodies.push(conversation.to_json());
        finish_step(&mut state, &self.conversation_id, bodies);
    }

    /// The agent answers (`connected`; the queue's participant ends with `transfer`).
    pub fn answer(&self) {
        self.step(|c, now| {
            c.answer(&self.participant_id, now);
            Vec::new()
        });
    }

    /// The agent puts the customer on hold (`held: true`).
    pub fn hold(&self) {
        self.step(|c, now| {
            c.set_held(&self.participant_id, true, now);
            Vec::new()
        });
    }

    /// The agent takes the customer off hold.
    pub fn resume(&self) {
        self.step(|c, now| {
            c.set_held(&self.participant_id, false, now);
            Vec::new()
        });
    }

    /// The agent mutes or unmutes (calls only carry `muted`).
    pub fn mute(&self, muted: bool) {
        self.step(|c, _| {
            c.set_muted(&self.participant_id, muted);
            Vec::new()
        });
    }

    /// The agent hangs up (`disconnectType: client`). With wrap-up required this publishes two
    /// events, as the real service does: ACW pending on a still-`connected` leg, then
    /// `disconnected` with the participant's `endTime`.
    pub fn hang_up(&self) {
        self.step(|c, now| {
            c.end_for_agent(&self.participant_id, "client", now)
                .into_iter()
                .collect()
        });
    }

    /// The customer hangs up (`disconnectType: peer` on the agent's leg).
    pub fn customer_hangs_up(&self) {
        self.step(|c, now| {
            c.end_for_agent(&self.participant_id, "peer", now)
                .into_iter()
                .collect()
        });
    }

    /// The agent submits a wrap-up code: ACW `complete`, `wrapup` and `endAcwTime` set.
    pub fn wrap_up(&self, code: &str) {
        self.step(|c, now| {
            c.wrap_up(&self.participant_id, code, now);
            Vec::new()
        });
    }

    /// The offer times out unanswered: the agent's leg ends (`timeout`) and, if on queue, the
    /// agent becomes `NOT_RESPONDING`.
    pub fn not_answered(&self) {
        let mut state = self.shared.lock();
        let Some(conversation) = state
            .conversations
            .iter_mut()
            .find(|c| c.id == self.conversation_id)
        else {
            return;
        };
        conversation.not_answered(&self.participant_id, SystemTime::now());
        let body = conversation.to_json();
        let user = conversation
            .participant(&self.participant_id)
            .and_then(|p| p.user_id.clone());
        if let Some(user) = user
            && state
                .people
                .get(&user)
                .is_some_and(|p| p.routing != RoutingStatus::OffQueue)
        {
            set_routing(&mut state, &user, RoutingStatus::NotResponding);
        }
        finish_step(&mut state, &self.conversation_id, vec![body]);
    }

    /// Consult transfer to another user, in the three steps the real service reports: the
    /// customer is held and the colleague's new participant alerts; the colleague answers; the
    /// transfer completes (this agent's leg `disconnected` with `transfer`, its participant ended
    /// but kept, ACW if required; the customer off hold). Returns the colleague's interaction.
    pub fn consult_transfer(&self, to_user_id: &str) -> Interaction {
        let name = self
            .shared
            .lock()
            .org
            .find_user(to_user_id)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let mut target = String::new();
        self.step(|c, now| {
            target = c.consult(to_user_id, &name, now);
            Vec::new()
        });
        let colleague = Interaction {
            shared: Arc::clone(&self.shared),
            conversation_id: self.conversation_id.clone(),
            participant_id: target,
        };
        colleague.answer();
        self.step(|c, now| {
            c.complete_transfer(&self.participant_id, now)
                .into_iter()
                .collect()
        });
        colleague
    }
}
