//! A user's presence and routing status, and the bodies Genesys reports them in.
//!
//! Genesys spells system presences differently in different places (`Available`/`AVAILABLE`,
//! `On Queue`/`ON_QUEUE`). The simulator does the same on purpose — REST reads use the title-case
//! form, events the upper-case form — so that clients prove they compare tolerantly.

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::timestamp::iso;

/// The queue every scripted ACD interaction comes from.
pub const DEFAULT_QUEUE_ID: &str = "0e185c02-aca1-4a72-82ea-2e78684e2c89";

/// A system presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Presence {
    /// Available (not on queue).
    Available,
    /// Away.
    Away,
    /// Busy.
    Busy,
    /// On a break.
    Break,
    /// At a meal.
    Meal,
    /// In a meeting.
    Meeting,
    /// In training.
    Training,
    /// On queue: ACD interactions may be routed to the user.
    OnQueue,
    /// Idle (inactive while available).
    Idle,
    /// Offline.
    Offline,
}

impl Presence {
    /// The spelling REST reads use (`On Queue`).
    pub fn rest_name(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Away => "Away",
            Self::Busy => "Busy",
            Self::Break => "Break",
            Self::Meal => "Meal",
            Self::Meeting => "Meeting",
            Self::Training => "Training",
            Self::OnQueue => "On Queue",
            Self::Idle => "Idle",
            Self::Offline => "Offline",
        }
    }

    /// The spelling events use (`ON_QUEUE`), as in the real `activity` capture (`AVAILABLE`).
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Away => "AWAY",
            Self::Busy => "BUSY",
            Self::Break => "BREAK",
            Self::Meal => "MEAL",
            Self::Meeting => "MEETING",
            Self::Training => "TRAINING",
            Self::OnQueue => "ON_QUEUE",
            Self::Idle => "IDLE",
            Self::Offline => "OFFLINE",
        }
    }

    /// The presence definition id. `Available`'s is the one in the real capture; the others are
    /// fixed ids of the simulator's own.
    pub fn definition_id(self) -> &'static str {
        match self {
            Self::Available => "6a3af858-942f-489d-9700-5f9bcdcdae9b",
            Self::Away => "5e5c5c66-0000-4000-8000-000000000002",
            Self::Busy => "31fe3bac-0000-4000-8000-000000000003",
            Self::Break => "4b2f8c7e-0000-4000-8000-000000000004",
            Self::Meal => "3fd96123-0000-4000-8000-000000000005",
            Self::Meeting => "c3da9a13-0000-4000-8000-000000000006",
            Self::Training => "7d1e2f3a-0000-4000-8000-000000000007",
            Self::OnQueue => "e08eaf1b-0000-4000-8000-000000000008",
            Self::Idle => "9c0d4e5f-0000-4000-8000-000000000009",
            Self::Offline => "ccf3c10a-0000-4000-8000-00000000000a",
        }
    }
}

/// An ACD routing status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoutingStatus {
    /// Not on queue.
    OffQueue,
    /// On queue, waiting for an interaction.
    Idle,
    /// On queue, handling (or being offered) an ACD interaction.
    Interacting,
    /// On queue, but let an offered interaction go unanswered.
    NotResponding,
    /// On queue, busy with a non-ACD interaction.
    Communicating,
}

impl RoutingStatus {
    /// The wire spelling (`OFF_QUEUE`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OffQueue => "OFF_QUEUE",
            Self::Idle => "IDLE",
            Self::Interacting => "INTERACTING",
            Self::NotResponding => "NOT_RESPONDING",
            Self::Communicating => "COMMUNICATING",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PersonState {
    pub(crate) presence: Presence,
    pub(crate) message: String,
    pub(crate) presence_modified: SystemTime,
    pub(crate) routing: RoutingStatus,
    pub(crate) routing_start: SystemTime,
}

impl PersonState {
    pub(crate) fn new(now: SystemTime) -> Self {
        Self {
            presence: Presence::Available,
            message: String::new(),
            presence_modified: now,
            routing: RoutingStatus::OffQueue,
            routing_start: now,
        }
    }

    fn definition(&self, spelling: &'static str) -> Value {
        json!({"id": self.presence.definition_id(), "systemPresence": spelling})
    }

    /// The `v2.users.{id}.presence` event body.
    pub(crate) fn presence_event(&self) -> Value {
        json!({
            "presenceDefinition": self.definition(self.presence.event_name()),
            "message": self.message,
            "modifiedDate": iso(self.presence_modified),
        })
    }

    /// The `v2.users.{id}.routingStatus` event body.
    pub(crate) fn routing_event(&self) -> Value {
        json!({
            "routingStatus": {"status": self.routing.as_str(), "startTime": iso(self.routing_start)},
        })
    }

    /// The `v2.users.{id}.activity` event body, shaped like the real capture.
    pub(crate) fn activity_event(&self, user_id: &str) -> Value {
        let queues: Vec<&str> = if self.routing == RoutingStatus::OffQueue {
            Vec::new()
        } else {
            vec![DEFAULT_QUEUE_ID]
        };
        json!({
            "id": user_id,
            "routingStatus": {"status": self.routing.as_str(), "startTime": iso(self.routing_start)},
            "presence": {
                "presenceDefinition": self.definition(self.presence.event_name()),
                "message": self.message,
                "modifiedDate": iso(self.presence_modified),
            },
            "outOfOffice": {"active": false, "modifiedDate": iso(self.presence_modified)},
            "activeQueueIds": queues,
            "dateActiveQueuesChanged": iso(self.routing_start),
        })
    }

    /// `GET /api/v2/users/{id}/presences/purecloud` (and the `presence` expansion).
    pub(crate) fn presence_rest(&self) -> Value {
        let mut definition = self.definition(self.presence.rest_name());
        definition["selfUri"] = json!(format!(
            "/api/v2/presencedefinitions/{}",
            self.presence.definition_id()
        ));
        json!({
            "source": "PURECLOUD",
            "presenceDefinition": definition,
            "message": self.message,
            "modifiedDate": iso(self.presence_modified),
            "primary": true,
        })
    }

    /// `GET /api/v2/users/{id}/routingstatus` (and the `routingStatus` expansion).
    pub(crate) fn routing_rest(&self, user_id: &str) -> Value {
        json!({
            "userId": user_id,
            "status": self.routing.as_str(),
            "startTime": iso(self.routing_start),
        })
    }
}
