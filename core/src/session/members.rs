//! Following agents at run time: adding and removing them without restarting the session.
//!
//! A gateway's floor changes while it runs (an agent joins a shift, another leaves). Restarting
//! the session for that would cost everyone a new channel and a resync; instead the channel's
//! subscription list is replaced (`PUT …/subscriptions`, which sets the whole list, so a retry
//! or a late answer can never leave a half-applied change) and only the new agent is read.
//!
//! The order matters: the new agent is read *after* the `PUT` that subscribes it has answered,
//! so no event can fall between the read and the subscription. Until then it is stale, as every
//! agent is before its first read; the session's health stays live meanwhile (the newcomer's
//! doubt is its own, and a gateway must not dim every light on the channel for it).
//!
//! A link that is not subscribing or open when the list changes (it is connecting, pausing
//! before a reconnect, checking its channel) keeps a note and puts the new list as soon as its
//! socket opens; a link still creating its channel puts the new list anyway.

use super::{Op, Phase, Read, Session, Slot, Snapshot, Tracked, agent_topic};
use crate::agent::Agent;
use crate::time::Instant;
use crate::topic;
use core::fmt;

/// Why an agent could not be added to a running session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MemberError {
    /// The session already follows this user id.
    AlreadyFollowed,
    /// The user id cannot be put into a topic: give the Genesys user id (a UUID).
    InvalidAgentId,
    /// The session is full (its `AGENTS` capacity): follow the agent in another session.
    Full {
        /// The session's capacity.
        capacity: usize,
    },
    /// The channel's topic budget (1 000) has no room for three more topics: follow the agent
    /// in another session.
    TooManyTopics,
}

impl fmt::Display for MemberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemberError::AlreadyFollowed => f.write_str("this agent is already followed"),
            MemberError::InvalidAgentId => f.write_str(
                "the user id is not usable in a topic: give the Genesys user id (a UUID)",
            ),
            MemberError::Full { capacity } => write!(
                f,
                "this session already follows {capacity} agents, its capacity: follow the agent \
                 in another session"
            ),
            MemberError::TooManyTopics => f.write_str(
                "the channel's 1 000 topics are spent: follow the agent in another session",
            ),
        }
    }
}

impl core::error::Error for MemberError {}

impl<const AGENTS: usize> Session<AGENTS> {
    /// Follows one more agent, on the running channel: its topics are added to the channel's
    /// subscriptions, then its state is read, and it arrives as
    /// [`SessionEvent::AgentChanged`](super::SessionEvent::AgentChanged) with the index returned
    /// here (the next after the existing agents). The others are not disturbed.
    pub fn add_agent(&mut self, now: Instant, user_id: &str) -> Result<usize, MemberError> {
        let _ = now;
        if self.agent_index(user_id).is_some() {
            return Err(MemberError::AlreadyFollowed);
        }
        let agent = Agent::new(user_id).map_err(|_| MemberError::InvalidAgentId)?;
        let topic = agent_topic(user_id).ok_or(MemberError::InvalidAgentId)?;
        let rule = self.config.budget_rule;
        let spent = self
            .agents
            .iter()
            .map(|t| rule.count(t.topic.as_topic()))
            .chain(
                self.config
                    .extra_topics
                    .iter()
                    .map(|t| rule.count(t.as_topic())),
            )
            .fold(0usize, usize::saturating_add);
        if spent.saturating_add(rule.count(topic.as_topic())) > topic::MAX_TOPICS_PER_CHANNEL {
            return Err(MemberError::TooManyTopics);
        }
        let entry = Tracked {
            agent,
            topic,
            reads: [Read::Done; Snapshot::ALL.len()],
            reported: None,
            fresh: true,
            joining: true,
        };
        self.agents
            .push(entry)
            .map_err(|_| MemberError::Full { capacity: AGENTS })?;
        self.members_changed();
        Ok(self.agents.len() - 1)
    }

    /// Stops following an agent; returns the index it had, or `None` if the session does not
    /// follow it. Every later agent's index moves down by one (as `Vec::remove` would), and
    /// the channel's subscriptions are replaced without the agent's topics.
    pub fn remove_agent(&mut self, now: Instant, user_id: &str) -> Option<usize> {
        let _ = now;
        let index = self.agent_index(user_id)?;
        self.agents.remove(index);
        // Reads of the removed agent are forgotten (a late answer finds no request); reads of
        // the agents after it follow them down.
        self.requests
            .retain(|p| !matches!(p.op, Op::Read(_, i) if i == index));
        for pending in self.requests.iter_mut() {
            if let Op::Read(snapshot, i) = pending.op
                && i > index
            {
                pending.op = Op::Read(snapshot, i - 1);
            }
        }
        self.members_changed();
        self.mark_live_if_resynced();
        Some(index)
    }

    /// The index of the agent with this user id (compared without regard to ASCII case).
    pub fn agent_index(&self, user_id: &str) -> Option<usize> {
        self.agents
            .iter()
            .position(|t| t.agent.user_id().eq_ignore_ascii_case(user_id))
    }

    /// The agent list changed: every link with a channel must put the new list.
    fn members_changed(&mut self) {
        for slot in Slot::BOTH {
            let link = self.link_mut(slot);
            if link.channel.is_none() || matches!(link.phase, Phase::Idle | Phase::Draining { .. })
            {
                continue;
            }
            link.members_changed = true;
            if matches!(link.phase, Phase::Subscribing | Phase::Open { .. }) {
                self.set_link_op(slot, Op::Subscribe(slot));
            }
        }
    }

    /// A link's socket opened: if the agent list changed while it was away, put it now.
    pub(super) fn subscribe_if_members_changed(&mut self, slot: Slot) {
        if self.link(slot).members_changed {
            self.set_link_op(slot, Op::Subscribe(slot));
        }
    }

    /// A subscription `PUT` on an open link answered: the agents added since are subscribed
    /// now, and are read (the others are not disturbed).
    pub(super) fn read_fresh_agents(&mut self) {
        for tracked in self.agents.iter_mut().filter(|t| t.fresh) {
            tracked.fresh = false;
            let read = &mut tracked.reads[Snapshot::User as usize];
            if *read != Read::Running {
                *read = Read::Needed;
            }
        }
    }

    /// Every agent is in the subscription list that just answered.
    pub(super) fn agents_subscribed(&mut self) {
        for tracked in self.agents.iter_mut() {
            tracked.fresh = false;
        }
    }
}
