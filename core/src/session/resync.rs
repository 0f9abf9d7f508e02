//! Re-reading the agents' state by REST.
//!
//! Genesys never replays events: after any gap (a reconnect, a new channel, a lost subscription,
//! a dropped frame) the only way to know what an agent is doing is to ask. Each agent needs one
//! user read (`GET /users/{id}?expand=presence,routingStatus,conversationSummary`), and the
//! token's own user also `GET /conversations`. Genesys calls `expand` best effort: when the user
//! read comes back without the presence or the routing status, that agent's
//! `GET /users/{id}/presences/purecloud` or `GET /users/{id}/routingstatus` follows. The reads go out at most
//! [`RESYNC_CONCURRENCY`](super::RESYNC_CONCURRENCY) at a time, so a gateway resyncing many
//! agents stays inside the API's rate limit.

use super::{
    Attempt, Notice, Op, Pending, RESYNC_CONCURRENCY, Read, Session, SessionEvent, Snapshot,
};

impl<const AGENTS: usize> Session<AGENTS> {
    /// Re-reads every agent's state by REST (events are never replayed).
    pub(super) fn start_resync(&mut self) {
        self.requests.retain(|p| !p.op.is_resync());
        let reads_conversations = self.config.token_kind.is_user();
        for (index, tracked) in self.agents.iter_mut().enumerate() {
            // The user read comes first; it asks for routing and presence reads if it lacks them.
            tracked.reads = [Read::Done; Snapshot::ALL.len()];
            tracked.reads[Snapshot::User as usize] = Read::Needed;
            if reads_conversations && index == 0 {
                tracked.reads[Snapshot::Conversations as usize] = Read::Needed;
            }
        }
        // With nothing to re-read (a session for topics alone), the open socket is live now.
        self.mark_live_if_resynced();
    }

    /// Moves needed reads into the request table, at most [`RESYNC_CONCURRENCY`] at a time.
    pub(super) fn schedule_resync_reads(&mut self) {
        let mut running = self.requests.iter().filter(|p| p.op.is_resync()).count();
        for (index, tracked) in self.agents.iter_mut().enumerate() {
            for snapshot in Snapshot::ALL {
                if running >= RESYNC_CONCURRENCY {
                    return;
                }
                let read = &mut tracked.reads[snapshot as usize];
                if *read == Read::Needed
                    && self
                        .requests
                        .push(Pending {
                            op: Op::Read(snapshot, index),
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
        // Read (or given up on): from now on it counts in the session's health like any other.
        tracked.joining = false;
        if tracked.reads.iter().all(|r| *r == Read::Done) {
            tracked.agent.finish_resync();
        }
        self.mark_live_if_resynced();
    }

    /// Once no agent's state is still being re-read, the session has been live.
    pub(super) fn mark_live_if_resynced(&mut self) {
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
