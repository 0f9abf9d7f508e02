//! One notification channel and the socket on it: the unit a rollover duplicates.
//!
//! A session owns two link slots. Normally one is in use (the *primary*, carrying the stream).
//! During make-before-break the other slot builds a complete replacement — channel, subscriptions,
//! socket — and only once that socket is open does it become the primary while the old one
//! drains for a few seconds. Keeping both as the same type means a replacement that fails is
//! handled exactly like a primary that fails (check the channel, recreate it, back off).

use super::calls::{Attempt, Op, Pending};
use super::{ANSWER_TIMEOUT, CloseInfo, Notice, Session, SessionEvent, earliest};
use crate::diagnosis::Transport;
use crate::event::Envelope;
use crate::json;
use crate::region::{ConnectUriError, Environment};
use crate::session::io::SocketId;
use crate::time::Instant;

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
}

impl Link {
    pub(crate) const fn idle() -> Self {
        Self {
            channel: None,
            phase: Phase::Idle,
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

impl<const AGENTS: usize> Session<AGENTS> {
    pub(super) fn link(&self, slot: Slot) -> &Link {
        match slot {
            Slot::A => &self.links[0],
            Slot::B => &self.links[1],
        }
    }

    pub(super) fn link_mut(&mut self, slot: Slot) -> &mut Link {
        match slot {
            Slot::A => &mut self.links[0],
            Slot::B => &mut self.links[1],
        }
    }

    pub(super) fn slot_of(&self, socket: SocketId) -> Option<Slot> {
        Slot::BOTH
            .into_iter()
            .find(|&slot| self.link(slot).socket() == Some(socket))
    }

    pub(super) fn new_socket(&mut self) -> SocketId {
        SocketId::from_raw(self.take_id())
    }

    pub(super) fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// Starts a new channel on `slot`, forgetting the old one.
    pub(super) fn begin_create(&mut self, slot: Slot) {
        if slot == self.primary && self.link(slot).is_open() {
            // The stream stops here, and the new channel's starts only after it is subscribed.
            self.mark_gap();
        }
        if let Some(socket) = self.link(slot).socket() {
            self.close(socket);
        }
        let link = self.link_mut(slot);
        link.channel = None;
        link.phase = Phase::Creating;
        self.set_link_op(slot, Op::CreateChannel(slot));
    }

    /// Connects a new socket to the channel `slot` already has.
    pub(super) fn begin_connect(&mut self, slot: Slot) {
        if self.link(slot).channel.is_none() {
            self.begin_create(slot);
            return;
        }
        let socket = self.new_socket();
        self.link_mut(slot).phase = Phase::Connecting {
            socket,
            since: None,
        };
    }

    /// Replaces the link's outstanding REST call (each link waits for at most one).
    pub(super) fn set_link_op(&mut self, slot: Slot, op: Op) {
        self.cancel_requests_of(slot);
        // Cannot fail: one entry per slot plus at most RESYNC_CONCURRENCY resync reads.
        let _ = self.requests.push(Pending {
            op,
            attempt: Attempt::Ready,
        });
    }

    pub(super) fn cancel_requests_of(&mut self, slot: Slot) {
        self.requests.retain(|p| p.op.slot() != Some(slot));
    }

    /// Forgets a link: closes its socket, cancels its calls.
    pub(super) fn free(&mut self, slot: Slot) {
        if let Some(socket) = self.link(slot).socket() {
            self.close(socket);
        }
        self.cancel_requests_of(slot);
        *self.link_mut(slot) = Link::idle();
    }

    pub(super) fn close(&mut self, socket: SocketId) {
        if self.closes.iter().all(|&s| s != socket) && self.closes.push_back(socket).is_err() {
            // Unreachable: each slot holds at most one socket and queues its close once, and
            // the queue is drained before anything else is transmitted. Were it ever full, the
            // newest close matters most (the oldest socket has most likely closed by itself).
            self.closes.pop_front();
            let _ = self.closes.push_back(socket);
        }
    }

    /// Begins make-before-break, unless a replacement is already being built.
    pub(super) fn start_rollover(&mut self) {
        let standby = self.primary.other();
        if self.link(standby).is_idle() {
            self.begin_create(standby);
        }
    }

    /// The stream on `slot` ended: the server closed it, or it was silent and is closed here.
    pub(super) fn stream_lost(&mut self, slot: Slot, now: Instant) {
        if slot != self.primary {
            self.free(slot);
            return;
        }
        self.mark_gap();
        let standby = slot.other();
        // A draining standby is the *old* socket of a rollover, on its way out: it is no
        // replacement, so the lost primary must reconnect on its own.
        let replacement_coming = !self.link(standby).is_idle()
            && !matches!(self.link(standby).phase, Phase::Draining { .. });
        if !replacement_coming {
            let delay = self.backoff.next_delay(&mut self.rng);
            self.link_mut(slot).phase = Phase::Pausing { until: now + delay };
        } else {
            // A replacement is already on its way: it becomes the stream when it connects.
            self.free(slot);
            self.primary = standby;
        }
    }

    /// The server dropped the primary's subscriptions (`v2.system.no_longer_subscribed`).
    ///
    /// Its `reason` is undocumented; `another_channel_subscribed` has been seen and most likely
    /// means another channel of the same user and OAuth client took the topics. While a
    /// rollover's replacement is being set up that other channel is our own, and it is the one
    /// that must keep them: resubscribing the old channel would take them back and the two
    /// channels would fight over the same topics. So the old channel is left alone, the agents
    /// are stale (events may go to a socket not yet open) and the replacement's resync on
    /// opening clears them. Otherwise the primary resubscribes, as before.
    pub(super) fn subscriptions_lost(&mut self, slot: Slot, envelope: Option<&Envelope<'_>>) {
        let reason = envelope
            .and_then(|e| json::parse(e.body).ok())
            .and_then(|body| body.as_object())
            .and_then(|body| body.get("reason"))
            .and_then(|reason| reason.as_str());
        let another_channel =
            reason.is_some_and(|r| r.eq_ignore_ascii_case("another_channel_subscribed"));
        let standby = self.link(slot.other());
        let replacement_coming =
            !standby.is_idle() && !matches!(standby.phase, Phase::Draining { .. });
        self.report(SessionEvent::Notice(Notice::SubscriptionsLost {
            another_channel,
            replacement_coming,
        }));
        self.mark_stale();
        if !replacement_coming {
            self.set_link_op(slot, Op::Subscribe(slot));
        }
    }

    pub(super) fn link_timeout(&mut self, slot: Slot, now: Instant) {
        match self.link(slot).phase {
            Phase::Open {
                last_frame, ping, ..
            } => {
                if let Some(since) = ping.since() {
                    if now >= since + self.config.pong_timeout {
                        let silent_for = now - last_frame;
                        self.report(SessionEvent::Notice(Notice::SocketSilent { silent_for }));
                        if let Some(socket) = self.link(slot).socket() {
                            self.close(socket);
                        }
                        self.stream_lost(slot, now);
                        return;
                    }
                } else if now >= last_frame + self.config.heartbeat_timeout
                    && let Phase::Open { ping, .. } = &mut self.link_mut(slot).phase
                {
                    *ping = Ping::Wanted { since: now };
                }
                if self.renewal_due(slot).is_some_and(|at| now >= at) {
                    self.start_rollover();
                }
            }
            Phase::Draining { socket, close_at } if now >= close_at => {
                self.close(socket);
                *self.link_mut(slot) = Link::idle();
            }
            Phase::Pausing { until } if now >= until => self.begin_connect(slot),
            Phase::Connecting {
                socket,
                since: Some(since),
            } if now >= since + ANSWER_TIMEOUT => {
                // The driver never said how the connect went: give up on it as if it timed out.
                self.close(socket);
                let close = CloseInfo::Transport(Transport::Timeout);
                self.handle_socket_closed(now, socket, close);
            }
            _ => {}
        }
    }

    /// When the primary's channel should be replaced, if a rollover is not already running.
    pub(super) fn renewal_due(&self, slot: Slot) -> Option<Instant> {
        if slot != self.primary || !self.link(slot.other()).is_idle() {
            return None;
        }
        let channel = self.link(slot).channel.as_ref()?;
        Some(channel.created_at + self.config.renew_after)
    }

    pub(super) fn link_deadline(&self, slot: Slot) -> Option<Instant> {
        match self.link(slot).phase {
            Phase::Open {
                last_frame, ping, ..
            } => {
                let watchdog = match ping.since() {
                    Some(since) => since + self.config.pong_timeout,
                    None => last_frame + self.config.heartbeat_timeout,
                };
                earliest(Some(watchdog), self.renewal_due(slot))
            }
            Phase::Draining { close_at, .. } => Some(close_at),
            Phase::Pausing { until } => Some(until),
            Phase::Connecting {
                since: Some(since), ..
            } => Some(since + ANSWER_TIMEOUT),
            _ => None,
        }
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
