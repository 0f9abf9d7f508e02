//! Conversations as Genesys reports them: the whole conversation, every participant, old legs kept.
//!
//! The bodies follow the real captures in `testdata/genesys/event_v2_users_conversations_*`:
//! participants with `purpose` (`customer`, `acd`, `agent`), `userId` on agents, ACW fields on the
//! participant (`wrapupRequired`, `startAcwTime`, …) and on the media entry (`afterCallWork`), and
//! one media array per participant (`calls`, `callbacks`, `chats`, `emails`, `messages`). A transfer
//! never removes a participant: the old agent gets an `endTime` and a new agent participant appears.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::timestamp::iso;

/// The kind of interaction, and the media array it is reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Media {
    /// A voice call (`calls`).
    Call,
    /// A scheduled callback (`callbacks`).
    Callback,
    /// A web chat (`chats`).
    Chat,
    /// An e-mail (`emails`).
    Email,
    /// A message (web messaging, SMS, …) (`messages`).
    Message,
}

impl Media {
    /// Every media the simulator can script.
    pub const ALL: [Media; 5] = [
        Media::Call,
        Media::Callback,
        Media::Chat,
        Media::Email,
        Media::Message,
    ];

    /// The participant's array for this media in a conversation body.
    pub fn array_key(self) -> &'static str {
        match self {
            Self::Call => "calls",
            Self::Callback => "callbacks",
            Self::Chat => "chats",
            Self::Email => "emails",
            Self::Message => "messages",
        }
    }

    /// The key of this media in a conversation summary.
    pub fn summary_key(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Callback => "callback",
            Self::Chat => "chat",
            Self::Email => "email",
            Self::Message => "message",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AfterCallWork {
    pub(crate) state: &'static str,
    pub(crate) start: SystemTime,
    pub(crate) end: Option<SystemTime>,
}

/// One media session of a participant (one entry of its `calls`/`chats`/… array).
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    pub(crate) id: String,
    pub(crate) state: &'static str,
    pub(crate) initial_state: &'static str,
    pub(crate) held: bool,
    pub(crate) muted: bool,
    pub(crate) start_hold: Option<SystemTime>,
    pub(crate) disconnect_type: Option<&'static str>,
    pub(crate) connected: Option<SystemTime>,
    pub(crate) disconnected: Option<SystemTime>,
    pub(crate) after_call_work: Option<AfterCallWork>,
    pub(crate) peer_id: Option<String>,
}

impl Leg {
    fn new(state: &'static str, peer_id: Option<String>) -> Self {
        Self {
            id: new_id(),
            state,
            initial_state: state,
            held: false,
            muted: false,
            start_hold: None,
            disconnect_type: None,
            connected: None,
            disconnected: None,
            after_call_work: None,
            peer_id,
        }
    }

    fn disconnect(&mut self, disconnect_type: &'static str, now: SystemTime) {
        self.state = "disconnected";
        self.held = false;
        self.disconnect_type = Some(disconnect_type);
        self.disconnected = Some(now);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Wrapup {
    pub(crate) code: String,
    pub(crate) duration_seconds: u64,
    pub(crate) end: SystemTime,
}

#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub(crate) id: String,
    pub(crate) purpose: &'static str,
    pub(crate) user_id: Option<String>,
    pub(crate) name: String,
    pub(crate) start: SystemTime,
    pub(crate) connected: Option<SystemTime>,
    pub(crate) end: Option<SystemTime>,
    pub(crate) wrapup_required: bool,
    pub(crate) wrapup_expected: bool,
    pub(crate) start_acw: Option<SystemTime>,
    pub(crate) end_acw: Option<SystemTime>,
    pub(crate) wrapup: Option<Wrapup>,
    pub(crate) leg: Leg,
}

impl Participant {
    fn new(purpose: &'static str, name: &str, leg_state: &'static str, now: SystemTime) -> Self {
        Self {
            id: new_id(),
            purpose,
            user_id: None,
            name: name.to_owned(),
            start: now,
            connected: None,
            end: None,
            wrapup_required: false,
            wrapup_expected: false,
            start_acw: None,
            end_acw: None,
            wrapup: None,
            leg: Leg::new(leg_state, None),
        }
    }

    /// Whether the agent is still on the interaction (not ended, not in ACW).
    pub(crate) fn is_active(&self) -> bool {
        self.end.is_none() && self.start_acw.is_none()
    }

    /// Whether the agent owes a wrap-up for this interaction.
    pub(crate) fn in_acw(&self) -> bool {
        self.leg
            .after_call_work
            .as_ref()
            .is_some_and(|a| a.state == "pending")
    }
}

/// How the agent's participant is set up when an interaction is offered.
#[derive(Debug, Clone)]
pub(crate) struct OfferSpec {
    pub(crate) media: Media,
    pub(crate) agent_user_id: String,
    pub(crate) agent_name: String,
    pub(crate) customer_name: String,
    pub(crate) queue_id: String,
    pub(crate) wrapup_required: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub(crate) id: String,
    pub(crate) media: Media,
    pub(crate) start: SystemTime,
    pub(crate) queue_id: String,
    pub(crate) customer_name: String,
    pub(crate) wrapup_required: bool,
    pub(crate) participants: Vec<Participant>,
}

impl Conversation {
    /// An inbound ACD interaction: the customer connected, the queue (acd) holding it, and the
    /// agent alerting. Returns the conversation and the agent participant's id.
    pub(crate) fn offer(spec: &OfferSpec, now: SystemTime) -> (Self, String) {
        let mut customer = Participant::new("customer", &spec.customer_name, "connected", now);
        customer.connected = Some(now);
        customer.leg.connected = Some(now);
        if spec.media == Media::Callback {
            customer.leg.initial_state = "scheduled";
        }
        let customer_leg = customer.leg.id.clone();
        let mut acd = Participant::new("acd", "Support", "connected", now);
        acd.connected = Some(now);
        acd.leg.connected = Some(now);
        acd.leg.peer_id = Some(customer_leg.clone());
        let mut agent = Participant::new("agent", &spec.agent_name, "alerting", now);
        agent.user_id = Some(spec.agent_user_id.clone());
        agent.wrapup_expected = true;
        agent.leg.peer_id = Some(customer_leg);
        let agent_id = agent.id.clone();
        let conversation = Self {
            id: new_id(),
            media: spec.media,
            start: now,
            queue_id: spec.queue_id.clone(),
            customer_name: spec.customer_name.clone(),
            wrapup_required: spec.wrapup_required,
            participants: vec![customer, acd, agent],
        };
        (conversation, agent_id)
    }

    pub(crate) fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    pub(crate) fn participant_mut(&mut self, id: &str) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.id == id)
    }

    fn customer_mut(&mut self) -> Option<&mut Participant> {
        self.participants
            .iter_mut()
            .find(|p| p.purpose == "customer")
    }

    /// The distinct users with an agent participant (each gets the conversation event).
    pub(crate) fn agent_user_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for p in &self.participants {
            if let Some(u) = &p.user_id
                && !ids.contains(u)
            {
                ids.push(u.clone());
            }
        }
        ids
    }

    /// The agent answers: its leg connects and the queue's participant ends (transferred to it).
    pub(crate) fn answer(&mut self, participant_id: &str, now: SystemTime) {
        if let Some(agent) = self.participant_mut(participant_id) {
            agent.connected = Some(now);
            agent.leg.state = "connected";
            agent.leg.connected = Some(now);
        }
        for acd in self
            .participants
            .iter_mut()
            .filter(|p| p.purpose == "acd" && p.end.is_none())
        {
            acd.end = Some(now);
            acd.leg.disconnect("transfer", now);
        }
    }

    pub(crate) fn set_held(&mut self, participant_id: &str, held: bool, now: SystemTime) {
        if let Some(p) = self.participant_mut(participant_id) {
            p.leg.held = held;
            p.leg.start_hold = held.then_some(now);
        }
    }

    pub(crate) fn set_muted(&mut self, participant_id: &str, muted: bool) {
        if let Some(p) = self.participant_mut(participant_id) {
            p.leg.muted = muted;
        }
    }

    /// The agent's interaction ends (`disconnect_type` `client` when the agent hung up, `peer`
    /// when the customer did). With ACW this takes two published steps, as in the real capture:
    /// first the leg still `connected` with `disconnectedTime` and `afterCallWork` pending, then the
    /// leg `disconnected` and the participant's `endTime`. Returns the intermediate snapshot when
    /// there is one.
    pub(crate) fn end_for_agent(
        &mut self,
        participant_id: &str,
        disconnect_type: &'static str,
        now: SystemTime,
    ) -> Option<Value> {
        let wrapup_required = self.wrapup_required;
        let mut intermediate = None;
        if wrapup_required {
            if let Some(p) = self.participant_mut(participant_id) {
                p.wrapup_required = true;
                p.start_acw = Some(now);
                p.leg.disconnected = Some(now);
                p.leg.disconnect_type = Some(disconnect_type);
                p.leg.after_call_work = Some(AfterCallWork {
                    state: "pending",
                    start: now,
                    end: None,
                });
            }
            intermediate = Some(self.to_json());
        }
        if let Some(p) = self.participant_mut(participant_id) {
            p.end = Some(now);
            p.leg.disconnect(disconnect_type, now);
        }
        let customer_type = if disconnect_type == "peer" {
            "client"
        } else {
            "peer"
        };
        let still_served = self
            .participants
            .iter()
            .any(|p| p.purpose == "agent" && p.end.is_none() && p.id != participant_id);
        if !still_served && let Some(c) = self.customer_mut() {
            c.end = Some(now);
            c.leg.disconnect(customer_type, now);
        }
        intermediate
    }

    /// The agent submits its wrap-up code: ACW completes.
    pub(crate) fn wrap_up(&mut self, participant_id: &str, code: &str, now: SystemTime) {
        if let Some(p) = self.participant_mut(participant_id) {
            let started = p.start_acw.unwrap_or(now);
            let duration = now
                .duration_since(started)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            p.end_acw = Some(now);
            p.wrapup = Some(Wrapup {
                code: code.to_owned(),
                duration_seconds: duration,
                end: now,
            });
            if let Some(acw) = p.leg.after_call_work.as_mut() {
                acw.state = "complete";
                acw.end = Some(now);
            }
        }
    }

    /// The agent stops alerting without answering (`NOT_RESPONDING` on the routing side).
    pub(crate) fn not_answered(&mut self, participant_id: &str, now: SystemTime) {
        if let Some(p) = self.participant_mut(participant_id) {
            p.end = Some(now);
            p.wrapup_expected = false;
            p.leg.disconnect("timeout", now);
        }
    }

    /// Consult: the customer is held and a new agent participant for `user_id` alerts.
    pub(crate) fn consult(&mut self, user_id: &str, name: &str, now: SystemTime) -> String {
        let peer = self
            .participants
            .iter()
            .find(|p| p.purpose == "customer")
            .map(|p| p.leg.id.clone());
        if let Some(c) = self.customer_mut() {
            c.leg.held = true;
            c.leg.start_hold = Some(now);
        }
        let mut target = Participant::new("agent", name, "alerting", now);
        target.user_id = Some(user_id.to_owned());
        target.wrapup_expected = true;
        target.leg.peer_id = peer;
        let id = target.id.clone();
        self.participants.push(target);
        id
    }

    /// Completes a consult transfer: the consulting agent leaves (`transfer`), the customer is
    /// taken off hold and stays with the new agent.
    pub(crate) fn complete_transfer(
        &mut self,
        from_participant: &str,
        now: SystemTime,
    ) -> Option<Value> {
        let intermediate = self.end_for_agent(from_participant, "transfer", now);
        if let Some(c) = self.customer_mut() {
            c.leg.held = false;
            c.leg.start_hold = None;
        }
        intermediate
    }

    /// The event body / REST body of the whole conversation.
    pub(crate) fn to_json(&self) -> Value {
        let participants: Vec<Value> = self
            .participants
            .iter()
            .map(|p| self.participant_json(p))
            .collect();
        let mut body = json!({
            "id": self.id,
            "participants": participants,
        });
        if matches!(self.media, Media::Call | Media::Callback) {
            body["recordingState"] = json!("none");
        }
        body
    }

    /// The REST form (`GET /api/v2/conversations`): the same plus start/end and `selfUri`.
    pub(crate) fn to_rest_json(&self) -> Value {
        let mut body = self.to_json();
        body["startTime"] = json!(iso(self.start));
        body["selfUri"] = json!(format!("/api/v2/conversations/{}", self.id));
        body
    }

    fn participant_json(&self, p: &Participant) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(p.id));
        o.insert("startTime".into(), json!(iso(p.start)));
        if let Some(t) = p.connected {
            o.insert("connectedTime".into(), json!(iso(t)));
        }
        if let Some(t) = p.end {
            o.insert("endTime".into(), json!(iso(t)));
        }
        o.insert("name".into(), json!(p.name));
        if let Some(u) = &p.user_id {
            o.insert("userId".into(), json!(u));
        }
        o.insert("queueId".into(), json!(self.queue_id));
        o.insert("purpose".into(), json!(p.purpose));
        o.insert("wrapupRequired".into(), json!(p.wrapup_required));
        o.insert("wrapupExpected".into(), json!(p.wrapup_expected));
        if p.purpose == "agent" {
            o.insert(
                "wrapupPrompt".into(),
                json!(if self.wrapup_required {
                    "mandatory"
                } else {
                    "optional"
                }),
            );
            o.insert("alertingTimeoutMs".into(), json!(30_000));
        }
        if let Some(t) = p.start_acw {
            o.insert("startAcwTime".into(), json!(iso(t)));
        }
        if let Some(t) = p.end_acw {
            o.insert("endAcwTime".into(), json!(iso(t)));
        }
        if let Some(w) = &p.wrapup {
            o.insert(
                "wrapup".into(),
                json!({
                    "code": w.code,
                    "name": w.code,
                    "notes": "",
                    "tags": [],
                    "durationSeconds": w.duration_seconds,
                    "endTime": iso(w.end),
                }),
            );
        }
        if p.purpose != "customer" {
            o.insert(
                "conversationRoutingData".into(),
                json!({"queue": {"id": self.queue_id}, "language": {}, "priority": 0}),
            );
        }
        o.insert("attributes".into(), json!({}));
        o.insert(
            self.media.array_key().into(),
            json!([self.leg_json(&p.leg)]),
        );
        Value::Object(o)
    }

    fn leg_json(&self, leg: &Leg) -> Value {
        let mut o = Map::new();
        o.insert("state".into(), json!(leg.state));
        o.insert("initialState".into(), json!(leg.initial_state));
        o.insert("id".into(), json!(leg.id));
        o.insert("held".into(), json!(leg.held));
        if self.media == Media::Call {
            o.insert("muted".into(), json!(leg.muted));
            o.insert("confined".into(), json!(false));
            o.insert("recording".into(), json!(false));
            o.insert("recordingState".into(), json!("none"));
            o.insert("direction".into(), json!("inbound"));
            o.insert("provider".into(), json!("Edge"));
        }
        if let Some(d) = leg.disconnect_type {
            o.insert("disconnectType".into(), json!(d));
        }
        if let Some(t) = leg.start_hold {
            o.insert("startHoldTime".into(), json!(iso(t)));
        }
        if let Some(p) = &leg.peer_id {
            o.insert("peerId".into(), json!(p));
        }
        match self.media {
            Media::Callback => {
                o.insert("callbackNumbers".into(), json!(["+15555550100"]));
                o.insert("callbackUserName".into(), json!(self.customer_name));
                o.insert("externalCampaign".into(), json!(false));
                o.insert("skipEnabled".into(), json!(true));
                o.insert("provider".into(), json!("PureCloud Callback"));
                o.insert("timeoutSeconds".into(), json!(0));
                o.insert("callbackScheduledTime".into(), json!(iso(self.start)));
                o.insert("callerIdName".into(), json!(self.customer_name));
            }
            Media::Chat => {
                o.insert("provider".into(), json!("PureCloud Webchat v2"));
                o.insert(
                    "roomId".into(),
                    json!(format!("{}@conference.example.invalid", self.id)),
                );
            }
            Media::Email => {
                o.insert("subject".into(), json!("Where is my order?"));
                o.insert("messagesSent".into(), json!(0));
                o.insert("provider".into(), json!("PureCloud Email"));
                o.insert("direction".into(), json!("inbound"));
                o.insert("autoGenerated".into(), json!(false));
            }
            Media::Message => {
                o.insert("type".into(), json!("webmessaging"));
                o.insert("provider".into(), json!("PureCloud Messaging"));
                o.insert("direction".into(), json!("inbound"));
            }
            Media::Call => {}
        }
        if let Some(t) = leg.connected {
            o.insert("connectedTime".into(), json!(iso(t)));
        }
        if let Some(t) = leg.disconnected {
            o.insert("disconnectedTime".into(), json!(iso(t)));
        }
        if let Some(acw) = &leg.after_call_work {
            let mut a = json!({"state": acw.state, "startTime": iso(acw.start)});
            if let Some(end) = acw.end {
                a["endTime"] = json!(iso(end));
            }
            o.insert("afterCallWork".into(), a);
        }
        o.insert("afterCallWorkRequired".into(), json!(self.wrapup_required));
        Value::Object(o)
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const CAPTURE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/genesys/event_v2_users_conversations_callback_acw__maamoon95-e2e.json"
    ));

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn callback_in_acw() -> Value {
        let spec = OfferSpec {
            media: Media::Callback,
            agent_user_id: "AGENT_USER_ID".to_owned(),
            agent_name: "Ada".to_owned(),
            customer_name: "Casey".to_owned(),
            queue_id: "q".to_owned(),
            wrapup_required: true,
        };
        let now = SystemTime::now();
        let (mut c, agent) = Conversation::offer(&spec, now);
        c.answer(&agent, now);
        c.end_for_agent(&agent, "client", now)
            .unwrap_or(Value::Null)
    }

    #[test]
    fn an_acw_callback_carries_every_field_of_the_real_capture() {
        let capture: Value = serde_json::from_str(CAPTURE).unwrap_or(Value::Null);
        let real = capture["eventBody"]["participants"]
            .as_array()
            .and_then(|p| p.last())
            .cloned()
            .unwrap_or(Value::Null);
        let ours = callback_in_acw()["participants"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["purpose"] == "agent"))
            .cloned()
            .unwrap_or(Value::Null);
        // An SDK re-serialisation artefact in the capture, and a script the simulated org lacks.
        let not_on_the_wire = ["additionalProperties", "scriptId"];
        let missing = |real: &Value, ours: &Value| -> Vec<String> {
            keys(real)
                .difference(&keys(ours))
                .filter(|k| !not_on_the_wire.contains(&k.as_str()))
                .cloned()
                .collect()
        };
        assert_eq!(missing(&real, &ours), Vec::<String>::new(), "participant");
        assert_eq!(
            missing(&real["callbacks"][0], &ours["callbacks"][0]),
            Vec::<String>::new(),
            "callback leg"
        );
        assert_eq!(ours["wrapupRequired"], real["wrapupRequired"]);
        assert_eq!(ours["callbacks"][0]["state"], real["callbacks"][0]["state"]);
        assert_eq!(ours["callbacks"][0]["afterCallWork"]["state"], "pending");
    }

    #[test]
    fn a_callback_customer_leg_starts_scheduled_as_in_the_capture() {
        let body = callback_in_acw();
        assert_eq!(
            body["participants"][0]["callbacks"][0]["initialState"],
            "scheduled"
        );
        assert_eq!(
            body["participants"][1]["callbacks"][0]["disconnectType"],
            "transfer"
        );
    }
}
