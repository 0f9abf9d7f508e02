//! The per-agent state message: what a gateway publishes for each agent it follows, and what a
//! light that listens to the gateway reads. Defined once, here, so that both ends agree byte for
//! byte, and `no_std` without an allocator, so that the light parses it as the gateway wrote it.
//!
//! ```text
//! {"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"floor-2","since":1764950400}
//! ```
//!
//! - `v`: the format's version, [`VERSION`]. It changes only when a change would mislead an
//!   older reader; adding a field does not change it. A reader refuses a higher version
//!   ([`StateError::NewerVersion`]) and shows "not sure" rather than guess.
//! - `activity`: the core's vocabulary ([`Activity::as_str`]). A name this version does not
//!   know (a newer gateway's) reads as [`Activity::Unknown`]: the light shows it cannot tell,
//!   it does not fail.
//! - `stale`: the gateway may have missed events for this agent; the activity is a guess.
//! - `health`: the gateway's connection to Genesys ([`Health::as_str`]); a name this version
//!   does not know reads as [`Health::Stale`].
//! - `gateway`: the publishing gateway's name (letters, digits, `.`, `_`, `-`; at most
//!   [`MAX_GATEWAY_NAME_LEN`] bytes), which also names its status topic.
//! - `since`: when the agent's activity began, in Unix seconds, if the gateway knows.
//!
//! Unknown members are ignored, so a newer gateway's additions never break an older light.

use core::fmt;

use crate::agent::Activity;
use crate::json::{self, BufferTooSmall, Value, Writer};
use crate::session::Health;

/// The version this module writes, and the highest it reads.
pub const VERSION: u64 = 1;

/// The longest gateway name: it is part of an MQTT topic and of every state message.
pub const MAX_GATEWAY_NAME_LEN: usize = 64;

/// The longest message [`AgentState::encode`] writes (the longest activity and health names,
/// the longest gateway name, the largest `since`): a buffer this size always suffices.
pub const MAX_MESSAGE_LEN: usize = 192;

/// One agent's state, as published by a gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AgentState<'a> {
    /// What the agent is doing.
    pub activity: Activity,
    /// Events may have been missed: the activity is a guess until the gateway resyncs.
    pub stale: bool,
    /// The gateway's own connection to Genesys.
    pub health: Health,
    /// The publishing gateway.
    pub gateway: GatewayName<'a>,
    /// When the activity began, in Unix seconds, if known.
    pub since: Option<u64>,
}

/// A gateway's name: 1 to [`MAX_GATEWAY_NAME_LEN`] ASCII letters, digits, `.`, `_` or `-`, so
/// that it can name an MQTT topic level and be written into JSON without escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GatewayName<'a>(&'a str);

impl<'a> GatewayName<'a> {
    /// Checks `name`.
    pub fn new(name: &'a str) -> Result<Self, StateError> {
        let allowed = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        if name.is_empty() || name.len() > MAX_GATEWAY_NAME_LEN || !name.bytes().all(allowed) {
            return Err(StateError::GatewayName);
        }
        Ok(Self(name))
    }

    /// The name.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for GatewayName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Why a state message could not be read (or a gateway name used).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StateError {
    /// Not a JSON object.
    Json(json::Error),
    /// The message is not an object, or a member the format requires is missing or of the
    /// wrong type (`name` says which).
    Field {
        /// The member.
        name: &'static str,
    },
    /// A newer gateway wrote it in a format this version cannot read safely.
    NewerVersion {
        /// The message's version.
        version: u64,
    },
    /// A gateway name outside the allowed alphabet or length.
    GatewayName,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Json(e) => write!(f, "the agent state is not JSON ({e})"),
            StateError::Field { name } => write!(
                f,
                "the agent state lacks a valid \"{name}\"; is the gateway a genesys-notify gateway?"
            ),
            StateError::NewerVersion { version } => write!(
                f,
                "the agent state is format version {version}, newer than this reader's {VERSION}: \
                 update the light's firmware"
            ),
            StateError::GatewayName => write!(
                f,
                "a gateway name is 1 to {MAX_GATEWAY_NAME_LEN} letters, digits, '.', '_' or '-'"
            ),
        }
    }
}

impl core::error::Error for StateError {}

impl<'a> AgentState<'a> {
    /// Writes the message into `buf` ([`MAX_MESSAGE_LEN`] bytes always suffice) and returns
    /// its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let mut w = Writer::new(buf);
        w.raw(r#"{"v":"#)
            .u64(VERSION)
            .raw(r#","activity":"#)
            .string(self.activity.as_str())
            .raw(r#","stale":"#)
            .raw(if self.stale { "true" } else { "false" })
            .raw(r#","health":"#)
            .string(self.health.as_str())
            .raw(r#","gateway":"#)
            .string(self.gateway.as_str());
        if let Some(since) = self.since {
            w.raw(r#","since":"#).u64(since);
        }
        w.raw("}");
        w.finish()
    }

    /// Reads a message as [`AgentState::encode`] writes it, or as a newer gateway of the same
    /// [`VERSION`] writes it (unknown members ignored, unknown names read as "cannot tell").
    pub fn parse(message: &'a [u8]) -> Result<Self, StateError> {
        let root = json::parse(message).map_err(StateError::Json)?;
        let object = root
            .as_object()
            .ok_or(StateError::Field { name: "message" })?;
        let field = |name: &'static str| object.get(name).ok_or(StateError::Field { name });
        let version = field("v")?
            .as_u64()
            .ok_or(StateError::Field { name: "v" })?;
        if version > VERSION {
            return Err(StateError::NewerVersion { version });
        }
        let text = |name: &'static str| -> Result<&'a str, StateError> {
            field(name)?
                .as_str()
                .and_then(|s| s.as_plain())
                .ok_or(StateError::Field { name })
        };
        let activity = Activity::from_name(text("activity")?).unwrap_or(Activity::Unknown);
        let health = Health::from_name(text("health")?).unwrap_or(Health::Stale);
        let stale = field("stale")?
            .as_bool()
            .ok_or(StateError::Field { name: "stale" })?;
        let gateway = GatewayName::new(text("gateway")?)
            .map_err(|_| StateError::Field { name: "gateway" })?;
        let since = match object.get("since") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or(StateError::Field { name: "since" })?),
        };
        Ok(Self {
            activity,
            stale,
            health,
            gateway,
            since,
        })
    }

    /// Whether a light should show the activity as certain: the gateway is live and has missed
    /// nothing for this agent.
    pub const fn is_certain(&self) -> bool {
        !self.stale && matches!(self.health, Health::Live)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;

    fn state(activity: Activity, stale: bool, health: Health) -> AgentState<'static> {
        AgentState {
            activity,
            stale,
            health,
            gateway: GatewayName::new("floor-2").unwrap(),
            since: Some(1_764_950_400),
        }
    }

    #[test]
    fn a_state_reads_back_as_written() {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        for activity in Activity::ALL {
            for health in Health::ALL {
                for stale in [false, true] {
                    let written = state(activity, stale, health);
                    let len = written.encode(&mut buf).unwrap();
                    assert_eq!(AgentState::parse(&buf[..len]), Ok(written));
                }
            }
        }
    }

    #[test]
    fn the_message_is_the_documented_json() {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let len = state(Activity::OnCall, false, Health::Live)
            .encode(&mut buf)
            .unwrap();
        assert_eq!(
            core::str::from_utf8(&buf[..len]).unwrap(),
            r#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"floor-2","since":1764950400}"#
        );
        let unknown_start = AgentState {
            since: None,
            ..state(Activity::Available, true, Health::Stale)
        };
        let len = unknown_start.encode(&mut buf).unwrap();
        assert!(!core::str::from_utf8(&buf[..len]).unwrap().contains("since"));
    }

    #[test]
    fn the_longest_message_fits_the_documented_buffer() {
        let name = "g".repeat(MAX_GATEWAY_NAME_LEN);
        let longest = AgentState {
            gateway: GatewayName::new(&name).unwrap(),
            since: Some(u64::MAX),
            ..state(Activity::NotResponding, true, Health::Unreachable)
        };
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        for activity in Activity::ALL {
            for health in Health::ALL {
                let s = AgentState {
                    activity,
                    health,
                    ..longest
                };
                assert!(s.encode(&mut buf).is_ok(), "{activity} {health}");
            }
        }
    }

    #[test]
    fn a_newer_gateways_additions_are_read_and_its_new_names_mean_cannot_tell() {
        let message = br#"{"v":1,"activity":"coffee_break","stale":false,"health":"degraded","gateway":"g1","since":null,"mood":"sunny","agent":{"id":"x"}}"#;
        let read = AgentState::parse(message).unwrap();
        assert_eq!(read.activity, Activity::Unknown);
        assert_eq!(read.health, Health::Stale);
        assert!(!read.is_certain());
        assert_eq!(read.since, None);
    }

    #[test]
    fn a_newer_format_is_refused_with_advice() {
        let message =
            br#"{"v":2,"activity":"on_call","stale":false,"health":"live","gateway":"g1"}"#;
        let error = AgentState::parse(message).unwrap_err();
        assert_eq!(error, StateError::NewerVersion { version: 2 });
        assert!(error.to_string().contains("update the light"));
    }

    #[test]
    fn broken_messages_name_what_is_wrong_and_never_panic() {
        for (message, name) in [
            (&br#"{"activity":"on_call","stale":false,"health":"live","gateway":"g"}"#[..], "v"),
            (br#"{"v":1,"stale":false,"health":"live","gateway":"g"}"#, "activity"),
            (br#"{"v":1,"activity":"on_call","stale":"no","health":"live","gateway":"g"}"#, "stale"),
            (br#"{"v":1,"activity":"on_call","stale":false,"gateway":"g"}"#, "health"),
            (br#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"a/b"}"#, "gateway"),
            (br#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"g","since":-1}"#, "since"),
            (b"[1,2]", "message"),
        ] {
            assert_eq!(AgentState::parse(message), Err(StateError::Field { name }), "{name}");
        }
        assert!(matches!(
            AgentState::parse(b"{\"v\":"),
            Err(StateError::Json(_))
        ));
        for len in 0..40 {
            let cut = &br#"{"v":1,"activity":"on_call","stale":false}"#[..len.min(42)];
            let _ = AgentState::parse(cut);
        }
    }

    #[test]
    fn gateway_names_are_topic_and_json_safe() {
        for good in ["g1", "floor-2.eu_west"] {
            assert!(GatewayName::new(good).is_ok(), "{good}");
        }
        let long = "x".repeat(MAX_GATEWAY_NAME_LEN + 1);
        for bad in ["", "a/b", "a+b", "#", "é", "a b", "\"", long.as_str()] {
            assert_eq!(GatewayName::new(bad), Err(StateError::GatewayName), "{bad}");
        }
    }
}
