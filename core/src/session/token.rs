//! The access token's life, as far as the session can see it.
//!
//! The session never holds the token itself: the driver's token provider does, and adds it to
//! each request the session describes. What the session tracks is *when* a token is needed
//! (none yet, expiring, rejected, revoked), which token generation each request was sent with,
//! and whether the current token was itself the answer to a 401 — because a second 401 after a
//! refresh means refreshing again will not help.

use super::ANSWER_TIMEOUT;
use super::TokenReason;
use crate::time::{Duration, Instant};

/// Where fetching a token stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// No fetch needed.
    Idle,
    /// A fetch should be transmitted.
    Wanted(TokenReason),
    /// The driver has been fetching since `since`.
    InFlight { reason: TokenReason, since: Instant },
    /// A fetch failed; try again at `until`.
    Waiting { until: Instant, reason: TokenReason },
}

#[derive(Debug)]
pub(crate) struct TokenState {
    /// Bumped for every token the driver hands in; requests remember the one they were sent with.
    generation: u32,
    /// Whether the driver has handed in a token at all.
    have: bool,
    /// When the current token stops working; `None` for a token of unknown life.
    expires_at: Option<Instant>,
    /// When to start fetching the next one.
    refresh_at: Option<Instant>,
    /// The current token must not be used (rejected or revoked) until a new one arrives.
    invalid: bool,
    /// The current token was fetched because of a 401 and no call has succeeded with it yet.
    pub(crate) answers_a_401: bool,
    pub(crate) fetch: Fetch,
}

impl TokenState {
    pub(crate) const fn new() -> Self {
        Self {
            generation: 0,
            have: false,
            expires_at: None,
            refresh_at: None,
            invalid: false,
            answers_a_401: false,
            fetch: Fetch::Wanted(TokenReason::Initial),
        }
    }

    pub(crate) const fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether requests may be sent now.
    pub(crate) fn usable(&self, now: Instant) -> bool {
        self.have && !self.invalid && self.expires_at.is_none_or(|at| now < at)
    }

    /// The driver delivered a token valid for `expires_in` ([`Duration::MAX`]: unknown).
    ///
    /// The refresh is scheduled `margin` before expiry, but never earlier than half the token's
    /// life: lifetimes are configurable down to five minutes, and a margin longer than that would
    /// refresh in a loop. A token of unknown life is used until it is refused.
    pub(crate) fn got(&mut self, now: Instant, expires_in: Duration, margin: Duration) {
        self.generation = self.generation.wrapping_add(1);
        self.have = true;
        if expires_in == Duration::MAX {
            self.expires_at = None;
            self.refresh_at = None;
        } else {
            let half = expires_in.mul_ratio(1, 2);
            let lead = if margin < half { margin } else { half };
            self.expires_at = Some(now + expires_in);
            self.refresh_at = Some(now + expires_in.saturating_sub(lead));
        }
        self.invalid = false;
        self.answers_a_401 = matches!(
            self.fetch,
            Fetch::InFlight {
                reason: TokenReason::Rejected,
                ..
            }
        );
        self.fetch = Fetch::Idle;
    }

    /// Asks for a new token, unless one is already on its way.
    ///
    /// A reason that invalidates the current token holds requests back until the new one arrives.
    pub(crate) fn want(&mut self, reason: TokenReason) {
        if reason.invalidates_current() {
            self.invalid = true;
        }
        match self.fetch {
            Fetch::Idle => self.fetch = Fetch::Wanted(reason),
            Fetch::Waiting { until, reason: old } if reason.invalidates_current() => {
                self.fetch = Fetch::Waiting {
                    until,
                    reason: stronger(old, reason),
                }
            }
            Fetch::Wanted(old) => self.fetch = Fetch::Wanted(stronger(old, reason)),
            Fetch::InFlight { .. } | Fetch::Waiting { .. } => {}
        }
    }

    /// The fetch failed in a way worth retrying at `until`.
    pub(crate) fn retry_at(&mut self, until: Instant) {
        let reason = match self.fetch {
            Fetch::InFlight { reason, .. } | Fetch::Wanted(reason) => reason,
            Fetch::Waiting { reason, .. } => reason,
            Fetch::Idle => return,
        };
        self.fetch = Fetch::Waiting { until, reason };
    }

    /// If a fetch should be transmitted now, marks it in flight and returns why.
    pub(crate) fn take_wanted(&mut self, now: Instant) -> Option<TokenReason> {
        match self.fetch {
            Fetch::Wanted(reason) => {
                self.fetch = Fetch::InFlight { reason, since: now };
                Some(reason)
            }
            _ => None,
        }
    }

    /// Whether a fetch is in flight.
    pub(crate) const fn in_flight(&self) -> bool {
        matches!(self.fetch, Fetch::InFlight { .. })
    }

    /// Whether the driver has been fetching for longer than [`ANSWER_TIMEOUT`].
    pub(crate) fn overdue(&self, now: Instant) -> bool {
        matches!(self.fetch, Fetch::InFlight { since, .. } if now >= since + ANSWER_TIMEOUT)
    }

    /// Moves the state forward in time: schedules the refresh, ends a wait.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Fetch::Waiting { until, reason } = self.fetch
            && now >= until
        {
            self.fetch = Fetch::Wanted(reason);
        }
        if self.refresh_at.is_some_and(|at| now >= at) {
            self.refresh_at = None;
            self.want(TokenReason::Expiring);
        }
    }

    /// The next instant [`TokenState::handle_timeout`] has something to do.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let wait = match self.fetch {
            Fetch::Waiting { until, .. } => Some(until),
            Fetch::InFlight { since, .. } => Some(since + ANSWER_TIMEOUT),
            _ => None,
        };
        let refresh = match self.fetch {
            Fetch::Idle => self.refresh_at,
            _ => None,
        };
        super::earliest(wait, refresh)
    }
}

/// Of two reasons to fetch, the one that says more about the current token.
fn stronger(old: TokenReason, new: TokenReason) -> TokenReason {
    if new.invalidates_current() { new } else { old }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARGIN: Duration = Duration::from_mins(5);

    fn at(mins: u64) -> Instant {
        Instant::ZERO + Duration::from_mins(mins)
    }

    #[test]
    fn a_token_is_refreshed_a_margin_before_it_expires() {
        let mut token = TokenState::new();
        assert_eq!(token.take_wanted(at(0)), Some(TokenReason::Initial));
        token.got(at(0), Duration::from_mins(60), MARGIN);
        assert!(token.usable(at(1)));
        assert_eq!(token.poll_timeout(), Some(at(55)));
        token.handle_timeout(at(55));
        assert_eq!(token.take_wanted(at(0)), Some(TokenReason::Expiring));
        assert!(token.usable(at(56)), "the old token works until it expires");
        assert!(!token.usable(at(60)));
    }

    #[test]
    fn a_short_token_is_refreshed_at_half_its_life() {
        let mut token = TokenState::new();
        token.got(at(0), Duration::from_mins(6), MARGIN);
        assert_eq!(token.poll_timeout(), Some(at(3)));
    }

    #[test]
    fn a_token_of_unknown_life_has_no_deadline() {
        let mut token = TokenState::new();
        token.got(at(0), Duration::MAX, MARGIN);
        assert_eq!(token.poll_timeout(), None);
        assert!(token.usable(at(100_000)));
    }

    #[test]
    fn a_rejected_token_holds_requests_until_a_new_one_arrives() {
        let mut token = TokenState::new();
        token.got(at(0), Duration::from_mins(60), MARGIN);
        let first = token.generation();
        token.want(TokenReason::Rejected);
        assert!(!token.usable(at(1)));
        assert_eq!(token.take_wanted(at(0)), Some(TokenReason::Rejected));
        token.got(at(1), Duration::from_mins(60), MARGIN);
        assert!(token.usable(at(1)));
        assert!(token.answers_a_401, "the new token answers a 401");
        assert_ne!(token.generation(), first);
    }

    #[test]
    fn a_failed_fetch_waits_and_keeps_its_reason() {
        let mut token = TokenState::new();
        assert_eq!(token.take_wanted(at(0)), Some(TokenReason::Initial));
        token.retry_at(at(2));
        assert_eq!(token.take_wanted(at(0)), None);
        assert_eq!(token.poll_timeout(), Some(at(2)));
        token.handle_timeout(at(2));
        assert_eq!(token.take_wanted(at(0)), Some(TokenReason::Initial));
    }
}
