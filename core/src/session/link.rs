//! One notification channel and the socket on it: the unit a rollover duplicates.
//!
//! A session owns two link slots. Normally one is in use (the *primary*, carrying the stream).
//! During make-before-break the other slot builds a complete replacement — channel, subscriptions,
//! socket — and only once that socket is open does it become the primary while the old one
//! drains for a few seconds. Keeping both as the same type means a replacement that fails is
//! handled exactly like a primary that fails (check the channel, recreate it, back off).

use super::SocketId;
use super::{
    ANSWER_TIMEOUT, Attempt, CloseInfo, Link, Notice, Op, Pending, Phase, Ping, Session,
    SessionEvent, Slot, earliest,
};
use crate::diagnosis::Transport;
use crate::event::Envelope;
use crate::json;
use crate::time::Instant;

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
            self.resync_after_subscribe = true;
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
