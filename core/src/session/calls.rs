//! The REST calls a session makes: the table of outstanding calls, what each answer means,
//! and how a call is written into the driver's buffer.
//!
//! Every call goes through one table with one retry policy, driven by the
//! [`Diagnosis`]'s [`Action`]: a 401 refreshes the token once, a 429 waits `Retry-After`, a 5xx
//! or a transport failure backs off, a 404 on a channel creates a new one, anything that
//! retrying cannot fix gives up. Only what a *success* means differs per call, and that is
//! what the rest of this file is about.

use super::Health;
use super::{
    Attempt, Candidate, Channel, MAX_CONNECT_URI_LEN, Op, Pending, Phase, Ping, Read, RequestId,
    Session, Slot, Snapshot, StopReason, Transmit,
};
use crate::agent::SnapshotError;
use crate::diagnosis::{Diagnosis, Problem};
use crate::frame;
use crate::json::BufferTooSmall;
use crate::region::ConnectUri;
use crate::request::{
    self, Channel as ChannelReply, Operation, ResponseError, SubscriptionResults,
};
use crate::time::Instant;
use crate::topic::TopicBuf;

impl<const AGENTS: usize> Session<AGENTS> {
    pub(super) fn request_index(&self, id: RequestId) -> Option<usize> {
        self.requests
            .iter()
            .position(|p| matches!(p.attempt, Attempt::Sent { id: sent, .. } if sent == id))
    }

    pub(super) fn set_attempt(&mut self, index: usize, attempt: Attempt) {
        if let Some(pending) = self.requests.get_mut(index) {
            pending.attempt = attempt;
        }
    }

    /// A REST call answered 2xx.
    pub(super) fn succeeded(&mut self, now: Instant, op: Op, body: &[u8]) {
        match op {
            Op::CreateChannel(slot) => self.channel_created(now, slot, body),
            Op::Subscribe(slot) => self.subscribed(slot, body),
            Op::CheckChannel(slot) if self.link(slot).phase == Phase::Checking => {
                // The channel exists: the network or the socket was at fault. Try again later.
                let delay = self.backoff.next_delay(&mut self.rng);
                self.link_mut(slot).phase = Phase::Pausing { until: now + delay };
            }
            Op::CheckChannel(_) => {}
            Op::Read(snapshot, index) => self.snapshot_read(now, snapshot, index, body),
        }
    }

    pub(super) fn channel_created(&mut self, now: Instant, slot: Slot, body: &[u8]) {
        if self.link(slot).phase != Phase::Creating {
            return;
        }
        let reply = match ChannelReply::parse(body) {
            Ok(reply) => reply,
            Err(error) => {
                let ctx = self.context();
                let operation = Operation::CreateChannel;
                self.report_diagnosis(Diagnosis::from_unreadable_reply(&ctx, operation, error));
                self.retry_later(now, Op::CreateChannel(slot));
                return;
            }
        };
        let mut uri = [0u8; MAX_CONNECT_URI_LEN];
        let uri = reply.connect_uri.decode_into(&mut uri).unwrap_or("");
        match Channel::new(&self.config.environment, uri, now) {
            Ok(channel) => {
                let link = self.link_mut(slot);
                link.channel = Some(channel);
                link.phase = Phase::Subscribing;
                self.set_link_op(slot, Op::Subscribe(slot));
            }
            // Most likely the configured environment is not the organisation's: a configuration
            // fault, shown like refused credentials.
            Err(error) => self.stop_with(StopReason::ForeignConnectUri(error), Health::AuthFailed),
        }
    }

    pub(super) fn subscribed(&mut self, slot: Slot, body: &[u8]) {
        let mut permitted = 0usize;
        let mut rejected = 0usize;
        if let Ok(results) = SubscriptionResults::parse(body) {
            for result in results.iter() {
                // The reply may name the combined topic or its expanded parts.
                let id = result.id.as_plain().unwrap_or("");
                // Without agents, the extra topics are what the session is for.
                let counts = self.agents.is_empty()
                    || self.agents.iter().any(|t| {
                        id.eq_ignore_ascii_case(t.topic.as_str())
                            || t.topic.as_topic().parts().any(|p| p.matches_received(id))
                    });
                match (counts, result.is_rejected()) {
                    (true, true) => rejected += 1,
                    (true, false) => permitted += 1,
                    (false, _) => {}
                }
            }
            let ctx = self.context();
            let operation = Operation::PutSubscriptions;
            if let Some(diagnosis) = Diagnosis::from_subscription_results(&ctx, operation, &results)
            {
                if rejected > 0 && permitted == 0 {
                    self.stop_with(StopReason::Refused(diagnosis), Health::Forbidden);
                    return;
                }
                self.report_diagnosis(diagnosis);
            }
        }
        let phase = self.link(slot).phase;
        match phase {
            Phase::Subscribing => {
                self.agents_subscribed();
                self.begin_connect(slot);
            }
            Phase::Open { .. } if core::mem::take(&mut self.resync_after_subscribe) => {
                self.agents_subscribed();
                self.start_resync();
            }
            // Agents were added or removed: only the new ones need reading.
            Phase::Open { .. } => self.read_fresh_agents(),
            _ => {}
        }
    }

    pub(super) fn snapshot_read(
        &mut self,
        now: Instant,
        snapshot: Snapshot,
        index: usize,
        body: &[u8],
    ) {
        let Some(tracked) = self.agents.get_mut(index) else {
            return;
        };
        if tracked.reads[snapshot as usize] != Read::Running {
            return;
        }
        let agent = &mut tracked.agent;
        let applied = match snapshot {
            Snapshot::User => agent.apply_user_snapshot(body).map(|read| {
                // `expand` is best effort: read what it left out from the reads that answer.
                if read.lacks_presence {
                    tracked.reads[Snapshot::Presence as usize] = Read::Needed;
                }
                if read.lacks_routing {
                    tracked.reads[Snapshot::Routing as usize] = Read::Needed;
                }
            }),
            Snapshot::Routing => agent.apply_routing_snapshot(body).map(drop),
            Snapshot::Presence => agent.apply_presence_snapshot(body).map(drop),
            Snapshot::Conversations => agent.apply_conversations_snapshot(body).map(drop),
        };
        match applied {
            Ok(()) => {
                tracked.reads[snapshot as usize] = Read::Done;
                self.finish_resync_if_done(index);
            }
            Err(error) => {
                let error = match error {
                    SnapshotError::Json(e) => ResponseError::Json(e),
                    SnapshotError::UnexpectedShape { expected } => {
                        ResponseError::Shape { expected }
                    }
                    _ => ResponseError::Field { name: "id" },
                };
                let ctx = self.context();
                let op = Op::Read(snapshot, index);
                let diagnosis = Diagnosis::from_unreadable_reply(&ctx, op.operation(), error);
                self.report_diagnosis(diagnosis);
                self.retry_later(now, op);
            }
        }
    }

    /// Puts `op` back into the table to be retried after a backoff.
    pub(super) fn retry_later(&mut self, now: Instant, op: Op) {
        let delay = self.backoff.next_delay(&mut self.rng);
        // Cannot fail: the call was just removed from the table.
        let _ = self.requests.push(Pending {
            op,
            attempt: Attempt::Waiting { until: now + delay },
        });
    }

    /// A call was refused in a way retrying cannot fix.
    ///
    /// Without a channel or its subscriptions there is no stream: the session stops. A resync
    /// read that fails (an unknown user id) leaves that agent stale and the others running,
    /// unless the token itself or a permission is the problem.
    pub(super) fn give_up(&mut self, op: Op, diagnosis: Diagnosis) {
        let health = match diagnosis.problem() {
            Problem::Forbidden | Problem::TopicsRejected => Health::Forbidden,
            _ => Health::AuthFailed,
        };
        let fatal = match diagnosis.status() {
            Some(401 | 403) => true,
            _ => !op.is_resync(),
        };
        if fatal {
            self.stop_with(StopReason::Refused(diagnosis), health);
            return;
        }
        let Op::Read(snapshot, index) = op else {
            return;
        };
        self.report_diagnosis(diagnosis);
        if let Some(tracked) = self.agents.get_mut(index) {
            tracked.reads[snapshot as usize] = Read::Failed;
        }
        self.finish_resync_if_done(index);
    }

    /// Writes what `candidate` sends into `buf`, as it would be sent with request id `id`.
    pub(super) fn encode<'b>(
        &self,
        candidate: Candidate,
        id: RequestId,
        buf: &'b mut [u8],
    ) -> Result<Transmit<'b>, BufferTooSmall> {
        match candidate {
            Candidate::Connect { slot, socket } => {
                let channel = self.link(slot).channel.as_ref();
                let uri = copy_str(buf, channel.map_or("", Channel::uri))?;
                let uri = ConnectUri::kept(uri, channel.map_or(0, Channel::id_start));
                Ok(Transmit::Connect { socket, uri })
            }
            Candidate::Ping { socket, .. } => {
                let len = frame::encode_ping(buf)?;
                let text = buf.get(..len).unwrap_or_default();
                Ok(Transmit::Send { socket, text })
            }
            Candidate::Request { op, .. } => {
                let request = match op {
                    Op::CreateChannel(_) => request::create_channel(buf)?,
                    Op::Subscribe(slot) => {
                        let channel_id = self.channel_id(slot);
                        let topics = self
                            .agents
                            .iter()
                            .map(|t| t.topic.as_str())
                            .chain(self.config.extra_topics.iter().map(TopicBuf::as_str));
                        request::put_subscriptions(buf, channel_id, topics)?
                    }
                    Op::CheckChannel(slot) => request::channel_exists(buf, self.channel_id(slot))?,
                    Op::Read(snapshot, index) => {
                        let user_id = self.agents.get(index).map_or("", |t| t.agent.user_id());
                        match snapshot {
                            Snapshot::User => request::get_user(buf, user_id)?,
                            Snapshot::Routing => request::get_routing_status(buf, user_id)?,
                            Snapshot::Presence => request::get_presence(buf, user_id)?,
                            Snapshot::Conversations => request::get_conversations(buf)?,
                        }
                    }
                };
                Ok(Transmit::Http { id, request })
            }
        }
    }

    /// Records that `candidate` went to the driver (a request as `id`, the next free id).
    pub(super) fn commit(&mut self, candidate: Candidate, id: RequestId, now: Instant) {
        match candidate {
            Candidate::Connect { slot, .. } => {
                if let Phase::Connecting { since, .. } = &mut self.link_mut(slot).phase {
                    *since = Some(now);
                }
            }
            Candidate::Ping { slot, .. } => {
                if let Phase::Open { ping, .. } = &mut self.link_mut(slot).phase {
                    let since = ping.since().unwrap_or(now);
                    *ping = Ping::Sent { since };
                }
            }
            Candidate::Request { index, .. } => {
                if let Some(Op::Subscribe(slot)) = self.requests.get(index).map(|p| p.op) {
                    // This PUT carries the agent list as it is now.
                    self.link_mut(slot).members_changed = false;
                }
                self.take_id();
                let token = self.token.generation();
                let since = now;
                self.set_attempt(index, Attempt::Sent { id, token, since });
            }
        }
    }

    pub(super) fn channel_id(&self, slot: Slot) -> &str {
        self.link(slot).channel.as_ref().map_or("", Channel::id)
    }
}

/// Copies `text` into `buf` and borrows it from there.
fn copy_str<'b>(buf: &'b mut [u8], text: &str) -> Result<&'b str, BufferTooSmall> {
    let too_small = BufferTooSmall {
        needed: text.len(),
        available: buf.len(),
    };
    let out = buf.get_mut(..text.len()).ok_or(too_small)?;
    out.copy_from_slice(text.as_bytes());
    core::str::from_utf8(out).map_err(|_| too_small)
}
