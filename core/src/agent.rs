//! The agent model: what the agent is doing, reduced from events and REST snapshots.
//!
//! (The reducer is being written; the vocabulary below is fixed and shared by the light,
//! the CLI's JSON lines and the firmware.)

use core::fmt;

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
