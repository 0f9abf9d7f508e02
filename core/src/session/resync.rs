//! Re-reading the agents' state by REST.
//!
//! Genesys never replays events: after any gap (a reconnect, a new channel, a lost subscription,
//! a dropped frame) the only way to know what an agent is doing is to ask. Each agent needs one
//! user read (`GET /users/{id}?expand=presence,routingStatus,conversationSummary`), and the
//! token's own user also `GET /conversations`. The reads go out at most
//! [`RESYNC_CONCURRENCY`](super::RESYNC_CONCURRENCY) at a time, so a gateway resyncing many
//! agents stays inside the API's rate limit.

use super::calls::{Attempt, Op, Pending};
use super::{Notice, RESYNC_CONCURRENCY, Session, SessionEvent};
use crate::agent::{Activity, Agent};
use crate::topic::TopicBuf;

/// One resync read of one agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Read {
    /// Nothing to read (or read).
    Done,
    /// To be read when the concurrency limit allows.
    Needed,
    /// In the request table.
    Running,
    /// Given up (the user does not exist, the request is refused): the agent stays stale.
    Failed,
}

/// One agent and its resync progress.
#[derive(Debug)]
pub(super) struct Tracked {
    pub(super) agent: Agent,
    /// The agent's topics, packed into one combined topic.
    pub(super) topic: TopicBuf,
    pub(super) user: Read,
    pub(super) conversations: Read,
    /// What `poll_event` last reported.
    pub(super) reported: Option<(Activity, bool)>,
}

impl Tracked {
    pub(super) fn resync_running(&self) -> bool {
        matches!(self.user, Read::Needed | Read::Running)
            || matches!(self.conversations, Read::Needed | Read::Running)
    }
}

impl<const AGENTS: usize> Session<AGENTS> {
    /// Re-reads every agent's state by REST (events are never replayed).
    pub(super) fn start_resync(&mut self) {
        self.requests.retain(|p| !p.op.is_resync());
        let reads_conversations = self.config.token_kind.is_user();
        for (index, tracked) in self.agents.iter_mut().enumerate() {
            tracked.user = Read::Needed;
            tracked.conversations = if reads_conversations && index == 0 {
                Read::Needed
            } else {
                Read::Done
            };
        }
        // With nothing to re-read (a session for topics alone), the open socket is live now.
        self.mark_live_if_resynced();
    }

    /// Moves needed reads into the request table, at most [`RESYNC_CONCURRENCY`] at a time.
    pub(super) fn schedule_resync_reads(&mut self) {
        let mut running = self.requests.iter().filter(|p| p.op.is_resync()).count();
        for (index, tracked) in self.agents.iter_mut().enumerate() {
            for (read, op) in [
                (&mut tracked.user, Op::ReadUser(index)),
                (&mut tracked.conversations, Op::ReadConversations(index)),
            ] {
                if running >= RESYNC_CONCURRENCY {
                    return;
                }
                if *read == Read::Needed
                    && self
                        .requests
                        .push(Pending {
                            op,
                            attempt: Attempt::Ready,
                        })
                        .is_ok()
                {
                    *read = Read::Running;
                    running += 1;
                }
            }
        }
    }

    pub(super) fn finish_resync_if_done(&mut self, index: usize) {
        let Some(tracked) = self.agents.get_mut(index) else {
            return;
        };
        if tracked.resync_running() {
            return;
        }
        if tracked.user == Read::Done && tracked.conversations == Read::Done {
            tracked.agent.finish_resync();
        }
        self.mark_live_if_resynced();
    }

    /// Once no agent's state is still being re-read, the session has been live.
    fn mark_live_if_resynced(&mut self) {
        if self.agents.iter().all(|t| !t.resync_running()) {
            self.been_live = true;
        }
    }

    /// The stream was interrupted: the agents are stale, and the next open is a reconnect.
    pub(super) fn mark_gap(&mut self) {
        self.gap = true;
        self.mark_stale();
    }

    /// Events may have been missed: every agent is stale until the next resync.
    pub(super) fn mark_stale(&mut self) {
        for tracked in self.agents.iter_mut() {
            tracked.agent.mark_stale();
        }
    }

    pub(super) fn frame_too_large(&mut self, len: usize) {
        self.stats.oversized_frames = self.stats.oversized_frames.saturating_add(1);
        self.report(SessionEvent::Notice(Notice::FrameTooLarge { len }));
        self.mark_stale();
        if self.link(self.primary).is_open() {
            self.start_resync();
        }
    }
}
