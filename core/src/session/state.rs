//! The session's state, as plain data: the link slots and their phases, the table of
//! outstanding REST calls, each agent's resync progress.
//!
//! These types are what the behaviour modules (`calls`, `link`, `resync`) share. They live here,
//! below all three, and reach the others through `session/mod.rs` only: no behaviour module
//! imports another, so each can be read (and changed) knowing the state, not its neighbours.

use super::{RequestId, SocketId};
use crate::agent::{Activity, Agent};
use crate::region::{ConnectUriError, Environment};
use crate::request::Operation;
use crate::time::Instant;
use crate::topic::TopicBuf;

/// The longest `connectUri` kept: `wss://` and a streaming host (under 60 bytes, or a loopback
/// host and port), `/channels/`, and a channel id of at most
/// [`MAX_CHANNEL_ID_LEN`](crate::region::MAX_CHANNEL_ID_LEN) (128) bytes.
pub const MAX_CONNECT_URI_LEN: usize = 256;

/// One of the session's two link slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    A,
    B,
}

impl Slot {
    pub(crate) const BOTH: [Slot; 2] = [Slot::A, Slot::B];

    pub(crate) const fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// A channel the server created, with its checked `connectUri`.
#[derive(Clone, Debug)]
pub(crate) struct Channel {
    uri: heapless::String<MAX_CONNECT_URI_LEN>,
    id_start: usize,
    pub(crate) created_at: Instant,
}

impl Channel {
    /// Keeps a `connectUri` that passes the environment's check.
    pub(crate) fn new(
        environment: &Environment,
        uri: &str,
        created_at: Instant,
    ) -> Result<Self, ConnectUriError> {
        let checked = environment.check_connect_uri(uri)?;
        // The check bounds the host (the configured one) and the id (128 bytes), so a checked
        // URI always fits; were it ever not to, the id is what is too long.
        let id_start = uri
            .len()
            .checked_sub(checked.channel_id().len())
            .ok_or(ConnectUriError::InvalidChannelId)?;
        let mut kept = heapless::String::new();
        kept.push_str(uri)
            .map_err(|_| ConnectUriError::InvalidChannelId)?;
        Ok(Self {
            uri: kept,
            id_start,
            created_at,
        })
    }

    pub(crate) fn uri(&self) -> &str {
        self.uri.as_str()
    }

    pub(crate) fn id(&self) -> &str {
        self.uri.get(self.id_start..).unwrap_or("")
    }

    pub(crate) const fn id_start(&self) -> usize {
        self.id_start
    }
}

/// The health check on an open socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ping {
    /// Frames arrive; nothing to do.
    Quiet,
    /// The socket has been silent too long; a ping is to be sent. `since` starts the pong clock
    /// even if the ping cannot be sent at once.
    Wanted { since: Instant },
    /// A ping was sent at `since`; any frame answers it.
    Sent { since: Instant },
}

impl Ping {
    pub(crate) const fn since(self) -> Option<Instant> {
        match self {
            Ping::Quiet => None,
            Ping::Wanted { since } | Ping::Sent { since } => Some(since),
        }
    }
}

/// Where a link stands. The REST call a phase waits for is in the session's request table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The slot is unused.
    Idle,
    /// Waiting for `POST …/channels`.
    Creating,
    /// Waiting for `PUT …/subscriptions`.
    Subscribing,
    /// A socket is to be opened; `since` is when the driver was told (`None`: not yet).
    Connecting {
        socket: SocketId,
        since: Option<Instant>,
    },
    /// The socket is open.
    Open {
        socket: SocketId,
        last_frame: Instant,
        ping: Ping,
    },
    /// Waiting for `HEAD …/channels/{id}` after a failed connect.
    Checking,
    /// Backing off before connecting to the same channel again.
    Pausing { until: Instant },
    /// The old socket of a rollover, kept open until `close_at` so nothing in flight is lost.
    Draining { socket: SocketId, close_at: Instant },
}

#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub(crate) channel: Option<Channel>,
    pub(crate) phase: Phase,
    /// Agents were added or removed since this link last put its subscriptions.
    pub(crate) members_changed: bool,
}

impl Link {
    pub(crate) const fn idle() -> Self {
        Self {
            channel: None,
            phase: Phase::Idle,
            members_changed: false,
        }
    }

    /// The socket this link has asked for or holds, if any.
    pub(crate) const fn socket(&self) -> Option<SocketId> {
        match self.phase {
            Phase::Connecting { socket, .. }
            | Phase::Open { socket, .. }
            | Phase::Draining { socket, .. } => Some(socket),
            _ => None,
        }
    }

    pub(crate) const fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle)
    }

    pub(crate) const fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open { .. })
    }
}

/// A REST call the session is making.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    CreateChannel(Slot),
    Subscribe(Slot),
    CheckChannel(Slot),
    /// A resync read of the agent at this index.
    Read(Snapshot, usize),
}

impl Op {
    pub(crate) const fn slot(self) -> Option<Slot> {
        match self {
            Op::CreateChannel(slot) | Op::Subscribe(slot) | Op::CheckChannel(slot) => Some(slot),
            Op::Read(..) => None,
        }
    }

    pub(crate) const fn is_resync(self) -> bool {
        self.slot().is_none()
    }

    pub(crate) const fn operation(self) -> Operation {
        match self {
            Op::CreateChannel(_) => Operation::CreateChannel,
            Op::Subscribe(_) => Operation::PutSubscriptions,
            Op::CheckChannel(_) => Operation::ChannelExists,
            Op::Read(snapshot, _) => snapshot.operation(),
        }
    }
}

/// Where one attempt of a REST call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// To be transmitted as soon as a usable token exists.
    Ready,
    /// Transmitted as `id` at `since`, with token generation `token`.
    Sent {
        id: RequestId,
        token: u32,
        since: Instant,
    },
    /// Retry at `until` (backoff, `Retry-After`).
    Waiting { until: Instant },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    pub(crate) op: Op,
    pub(crate) attempt: Attempt,
}

/// Something [`Session::poll_transmit`] may hand out next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Candidate {
    Connect { slot: Slot, socket: SocketId },
    Ping { slot: Slot, socket: SocketId },
    Request { index: usize, op: Op },
}

/// One resync read of one agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// Nothing to read (or read).
    Done,
    /// To be read when the concurrency limit allows.
    Needed,
    /// In the request table.
    Running,
    /// Given up (the user does not exist, the request is refused): the agent stays stale.
    Failed,
}

/// What a resync read asks for; the index into [`Tracked::reads`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Snapshot {
    /// `GET /users/{id}?expand=presence,routingStatus,conversationSummary`, always read.
    User,
    /// `GET /users/{id}/routingstatus`, when the user read's expansion left it out.
    Routing,
    /// `GET /users/{id}/presences/purecloud`, when the user read's expansion left it out.
    Presence,
    /// `GET /conversations`, for the token's own user.
    Conversations,
}

impl Snapshot {
    /// Every read, in the order they are scheduled.
    pub(crate) const ALL: [Snapshot; 4] = [
        Snapshot::User,
        Snapshot::Routing,
        Snapshot::Presence,
        Snapshot::Conversations,
    ];

    pub(crate) const fn operation(self) -> Operation {
        match self {
            Snapshot::User => Operation::GetUser,
            Snapshot::Routing => Operation::GetRoutingStatus,
            Snapshot::Presence => Operation::GetPresence,
            Snapshot::Conversations => Operation::GetConversations,
        }
    }
}

/// One agent and its resync progress.
#[derive(Debug)]
pub(crate) struct Tracked {
    pub(crate) agent: Agent,
    /// The agent's topics, packed into one combined topic.
    pub(crate) topic: TopicBuf,
    /// Each resync read's progress, indexed by [`Snapshot`].
    pub(crate) reads: [Read; Snapshot::ALL.len()],
    /// What `poll_event` last reported.
    pub(crate) reported: Option<(Activity, bool)>,
    /// Added at run time and not yet in a subscription `PUT` that answered.
    pub(crate) fresh: bool,
    /// Added at run time and not yet read: its staleness is its own (reported with it), not a
    /// doubt about the stream, so it does not dim the session's health for the others.
    pub(crate) joining: bool,
}

impl Tracked {
    pub(crate) fn resync_running(&self) -> bool {
        self.reads
            .iter()
            .any(|r| matches!(r, Read::Needed | Read::Running))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;

    #[test]
    fn a_channel_keeps_its_checked_uri_and_finds_its_id() {
        let env = Environment::Cloud(Region::UsEast1);
        let uri = "wss://streaming.mypurecloud.com/channels/streaming-2-aa5h48uk0srhpugh2994klj918";
        let channel = Channel::new(&env, uri, Instant::ZERO).expect("a valid connectUri");
        assert_eq!(channel.uri(), uri);
        assert_eq!(channel.id(), "streaming-2-aa5h48uk0srhpugh2994klj918");
    }

    #[test]
    fn a_channel_on_a_foreign_host_is_not_kept() {
        let env = Environment::Cloud(Region::UsEast1);
        let uri = "wss://streaming.evil.example/channels/abc";
        assert!(matches!(
            Channel::new(&env, uri, Instant::ZERO),
            Err(ConnectUriError::UnexpectedHost { .. })
        ));
    }
}
