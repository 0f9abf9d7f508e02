//! What a session is told before it starts, checked once.
//!
//! Every timing has a default taken from the protocol (heartbeats every 30 s, channels that live
//! 24 h) and a builder method to change it, mostly for tests that want a short channel life.
//! [`Session::new`](super::Session::new) validates the whole configuration together, because the
//! rules are relations between values (the renewal must come before the expiry, the silence
//! threshold after the heartbeat interval).

use core::fmt;

use crate::backoff::Backoff;
use crate::diagnosis::TokenSource;
use crate::region::Environment;
use crate::time::Duration;
use crate::topic::{BudgetRule, TopicBuf, TopicError};

/// How often Genesys sends a heartbeat on an idle socket (about every 30 s).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// How long a channel lives after it is created (24 h), a Genesys limit.
pub const CHANNEL_LIFETIME: Duration = Duration::from_hours(24);

/// When a channel is replaced by default: an hour before it expires, so a slow rollover (a
/// failing create, a backoff) still completes in time.
pub const DEFAULT_RENEW_AFTER: Duration = Duration::from_hours(23);

/// How long a ping may go unanswered: a pong comes back within a round trip, so ten seconds
/// means the path is dead, not slow.
pub const DEFAULT_PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the old socket stays open after the new one is connected during a rollover: long
/// enough for events the server had already routed to the old channel to arrive.
pub const DEFAULT_ROLLOVER_OVERLAP: Duration = Duration::from_secs(5);

/// How long before a token expires the session asks for a new one; never more than half the
/// token's life (token lifetimes can be as short as five minutes).
pub const DEFAULT_TOKEN_REFRESH_MARGIN: Duration = Duration::from_mins(5);

/// How many consecutive transport failures (no answer at all) make the health "unreachable": one
/// failure is a blip, three in a row with backoff in between is a network that is down.
pub const DEFAULT_UNREACHABLE_AFTER_FAILURES: u8 = 3;

/// How many topics besides the agents' own a session may subscribe to.
///
/// Why 4: the light needs none; a `watch` command adds a queue topic or two. Each costs
/// [`crate::topic::MAX_TOPIC_LEN`] bytes of the session's size, and a gateway with many topics
/// plans its own channels.
pub const MAX_EXTRA_TOPICS: usize = 4;

/// Whose token the driver's token provider hands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TokenKind {
    /// A user's token (authorization code with or without PKCE, SAML2 bearer, password; the
    /// implicit grant is retired by March 2027): the user is the session's first agent, and the
    /// resync also reads that user's active conversations (`GET /api/v2/conversations`).
    User,
    /// A client-credentials token: no user, so the resync reads user records only.
    ClientCredentials,
    /// A fixed token handed in from outside (copied from a browser session, say), taken to be
    /// the first agent's own. It cannot be refreshed: a 401 stops the session at once.
    Static,
}

impl TokenKind {
    /// Whether the token belongs to a user (whose conversations `GET /api/v2/conversations` lists).
    pub const fn is_user(self) -> bool {
        matches!(self, TokenKind::User | TokenKind::Static)
    }

    pub(crate) const fn source(self) -> TokenSource {
        match self {
            TokenKind::User => TokenSource::UserLogin,
            TokenKind::ClientCredentials => TokenSource::ClientCredentials,
            TokenKind::Static => TokenSource::Static,
        }
    }
}

/// The session's configuration. Build it with [`Config::new`] and the builder methods; it is
/// validated by [`Session::new`](super::Session::new).
///
/// ```
/// use genesys_notify_core::region::{Environment, Region};
/// use genesys_notify_core::session::{Config, TokenKind};
/// use genesys_notify_core::Duration;
///
/// let config = Config::new(Environment::Cloud(Region::EuWest1), TokenKind::User)
///     .renew_after(Duration::from_hours(20))
///     .random_seed(0x1234_5678);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) environment: Environment,
    pub(crate) token_kind: TokenKind,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) renew_after: Duration,
    pub(crate) rollover_overlap: Duration,
    pub(crate) token_refresh_margin: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) unreachable_after: u8,
    pub(crate) seed: u64,
    pub(crate) extra_topics: heapless::Vec<TopicBuf, MAX_EXTRA_TOPICS>,
    pub(crate) budget_rule: BudgetRule,
}

impl Config {
    /// The defaults for `environment` and a token of `token_kind`; the random seed is zero,
    /// so set one per device with [`Config::random_seed`].
    pub fn new(environment: Environment, token_kind: TokenKind) -> Self {
        Self {
            environment,
            token_kind,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            heartbeat_timeout: DEFAULT_HEARTBEAT_INTERVAL.mul_ratio(5, 2),
            pong_timeout: DEFAULT_PONG_TIMEOUT,
            renew_after: DEFAULT_RENEW_AFTER,
            rollover_overlap: DEFAULT_ROLLOVER_OVERLAP,
            token_refresh_margin: DEFAULT_TOKEN_REFRESH_MARGIN,
            backoff: Backoff::RECONNECT,
            unreachable_after: DEFAULT_UNREACHABLE_AFTER_FAILURES,
            seed: 0,
            extra_topics: heapless::Vec::new(),
            budget_rule: BudgetRule::Parts,
        }
    }

    /// The server's heartbeat interval (default 30 s). Also sets the silence threshold to 2.5
    /// intervals; call [`Config::heartbeat_timeout`] afterwards to choose another.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self.heartbeat_timeout = interval.mul_ratio(5, 2);
        self
    }

    /// How long the socket may stay silent before the session sends a ping (default 2.5
    /// heartbeat intervals, 75 s: one late heartbeat is normal, two missing ones are not).
    ///
    /// Any value above zero is the caller's choice, whatever the assumed heartbeat interval: a tolerance shorter than the interval only means the session
    /// pings between heartbeats (silence that long → ping; no pong within the pong timeout →
    /// reconnect), which is the documented use of the ping.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = timeout;
        self
    }

    /// How long a ping may go unanswered before the socket is closed and reconnected (default 10 s).
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// How long after its creation a channel is replaced (default 23 h; must be under 24 h).
    pub fn renew_after(mut self, after: Duration) -> Self {
        self.renew_after = after;
        self
    }

    /// How long the old socket stays open once the new one is connected (default 5 s).
    pub fn rollover_overlap(mut self, overlap: Duration) -> Self {
        self.rollover_overlap = overlap;
        self
    }

    /// How long before the token's expiry a new one is fetched (default 5 min).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
        self
    }

    /// The backoff between failed attempts (default [`Backoff::RECONNECT`]: 1 s doubling to 5 min).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How many consecutive transport failures make the health "unreachable" (default 3).
    pub fn unreachable_after_failures(mut self, failures: u8) -> Self {
        self.unreachable_after = failures;
        self
    }

    /// The seed of the backoff's jitter. Give every device a different one (hardware RNG, MAC
    /// address), or a fleet retries in lockstep after an outage.
    pub fn random_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Subscribes to `topic` as well as the agents' own topics (a queue topic for `watch`);
    /// its events are delivered as [`crate::event::Event::Other`] or typed events.
    pub fn extra_topic(mut self, topic: &str) -> Result<Self, ConfigError> {
        let topic = TopicBuf::parse(topic).map_err(ConfigError::InvalidTopic)?;
        self.extra_topics
            .push(topic)
            .map_err(|_| ConfigError::TooManyExtraTopics)?;
        Ok(self)
    }

    /// How the channel's 1 000-topic budget counts a combined topic (default
    /// [`BudgetRule::Parts`], the conservative reading: 333 agents per session).
    /// [`BudgetRule::Entries`] is the rule Genesys' own client follows, and lets one channel
    /// carry up to 1 000 agents; see [`BudgetRule`] for the sources.
    pub fn budget_rule(mut self, rule: BudgetRule) -> Self {
        self.budget_rule = rule;
        self
    }

    /// Checks the relations between the values.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let timing = |what| Err(ConfigError::Timing(what));
        if self.heartbeat_interval == Duration::ZERO {
            return timing(Timing::HeartbeatInterval);
        }
        if self.heartbeat_timeout == Duration::ZERO {
            return timing(Timing::HeartbeatTimeout);
        }
        if self.pong_timeout == Duration::ZERO {
            return timing(Timing::PongTimeout);
        }
        if self.renew_after == Duration::ZERO || self.renew_after >= CHANNEL_LIFETIME {
            return timing(Timing::RenewAfter);
        }
        if self.rollover_overlap >= self.renew_after {
            return timing(Timing::RolloverOverlap);
        }
        if self.unreachable_after == 0 {
            return timing(Timing::UnreachableAfter);
        }
        Ok(())
    }
}

/// Which timing is out of range; see [`ConfigError::Timing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Timing {
    /// The heartbeat interval is zero.
    HeartbeatInterval,
    /// The silence threshold is zero.
    HeartbeatTimeout,
    /// The pong timeout is zero.
    PongTimeout,
    /// The renewal is not between zero and the 24 h channel lifetime.
    RenewAfter,
    /// The rollover overlap is not shorter than the renewal period.
    RolloverOverlap,
    /// The number of failures that mean "unreachable" is zero.
    UnreachableAfter,
}

/// Why a configuration or agent list was refused. Fix the configuration; nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// Nothing to watch: no agent and no extra topic.
    NoAgents,
    /// More agents than the session's capacity: raise the `AGENTS` parameter.
    TooManyAgents {
        /// The session's capacity.
        capacity: usize,
    },
    /// An agent's user id cannot be put into a topic: give the user's id (a UUID).
    InvalidAgentId {
        /// The agent's index in the list.
        agent: usize,
    },
    /// An extra topic is not a valid topic: fix its spelling.
    InvalidTopic(TopicError),
    /// More than [`MAX_EXTRA_TOPICS`] extra topics: drop some.
    TooManyExtraTopics,
    /// The topics expand to more than one channel may hold (1 000): track fewer agents.
    TooManyTopics,
    /// A timing is out of range or contradicts another: fix the value named.
    Timing(Timing),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoAgents => {
                f.write_str("nothing to watch: name at least one agent's user id or a topic")
            }
            ConfigError::TooManyAgents { capacity } => write!(
                f,
                "more agents than this session holds ({capacity}): use a larger session"
            ),
            ConfigError::InvalidAgentId { agent } => write!(
                f,
                "agent #{agent}'s user id is not usable in a topic: give the Genesys user id (a UUID)"
            ),
            ConfigError::InvalidTopic(e) => write!(f, "an extra topic is invalid: {e}"),
            ConfigError::TooManyExtraTopics => write!(
                f,
                "more than {MAX_EXTRA_TOPICS} extra topics: subscribe to fewer"
            ),
            ConfigError::TooManyTopics => f.write_str(
                "the agents' topics exceed the 1000 one channel may hold: track fewer agents per session",
            ),
            ConfigError::Timing(timing) => f.write_str(match timing {
                Timing::HeartbeatInterval => "the heartbeat interval must be longer than zero",
                Timing::HeartbeatTimeout => {
                    "the heartbeat timeout must be longer than zero"
                }
                Timing::PongTimeout => "the pong timeout must be longer than zero",
                Timing::RenewAfter => {
                    "the channel renewal must come after zero and before the 24 h channel lifetime"
                }
                Timing::RolloverOverlap => {
                    "the rollover overlap must be shorter than the channel renewal period"
                }
                Timing::UnreachableAfter => "the failures that mean unreachable must be at least one",
            }),
        }
    }
}

impl core::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;

    fn config() -> Config {
        Config::new(Environment::Cloud(Region::UsEast1), TokenKind::User)
    }

    #[test]
    fn the_defaults_are_valid_and_follow_the_protocol() {
        let config = config();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.heartbeat_timeout, Duration::from_secs(75));
        assert!(config.renew_after < CHANNEL_LIFETIME);
    }

    #[test]
    fn a_silence_threshold_shorter_than_the_heartbeat_interval_is_the_callers_choice() {
        let config = config().heartbeat_timeout(Duration::from_secs(3));
        assert_eq!(config.validate(), Ok(()));
        let config = config.heartbeat_interval(Duration::from_secs(1));
        assert_eq!(
            config.heartbeat_timeout(Duration::from_secs(1)).validate(),
            Ok(())
        );
    }

    #[test]
    fn the_heartbeat_interval_moves_the_silence_threshold_with_it() {
        let config = config().heartbeat_interval(Duration::from_secs(10));
        assert_eq!(config.heartbeat_timeout, Duration::from_secs(25));
        let config = config.heartbeat_timeout(Duration::from_secs(40));
        assert_eq!(config.heartbeat_timeout, Duration::from_secs(40));
    }

    #[test]
    fn contradictory_timings_are_refused_by_name() {
        let refused = |config: Config| match config.validate() {
            Err(ConfigError::Timing(timing)) => Some(timing),
            _ => None,
        };
        assert_eq!(
            refused(config().heartbeat_timeout(Duration::ZERO)),
            Some(Timing::HeartbeatTimeout)
        );
        assert_eq!(
            refused(config().renew_after(CHANNEL_LIFETIME)),
            Some(Timing::RenewAfter)
        );
        assert_eq!(
            refused(config().pong_timeout(Duration::ZERO)),
            Some(Timing::PongTimeout)
        );
        assert_eq!(
            refused(config().unreachable_after_failures(0)),
            Some(Timing::UnreachableAfter)
        );
    }

    #[test]
    fn extra_topics_are_validated_and_bounded() {
        assert!(matches!(
            config().extra_topic("channel.metadata"),
            Err(ConfigError::InvalidTopic(_))
        ));
        let mut config = config();
        for i in 0..MAX_EXTRA_TOPICS {
            let topic = format_queue_topic(i);
            config = config.extra_topic(topic.as_str()).expect("a valid topic");
        }
        assert_eq!(
            config.extra_topic(format_queue_topic(9).as_str()).err(),
            Some(ConfigError::TooManyExtraTopics)
        );
    }

    fn format_queue_topic(i: usize) -> heapless::String<64> {
        let mut topic = heapless::String::new();
        let _ = core::fmt::write(
            &mut topic,
            format_args!("v2.routing.queues.queue-{i}.conversations"),
        );
        topic
    }

    #[test]
    fn errors_read_as_advice() {
        extern crate std;
        use std::string::ToString;
        assert!(
            ConfigError::TooManyAgents { capacity: 1 }
                .to_string()
                .contains("larger session")
        );
        assert!(
            ConfigError::Timing(Timing::RenewAfter)
                .to_string()
                .contains("24 h")
        );
    }
}
