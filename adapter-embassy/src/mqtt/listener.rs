//! What a light listening to a gateway shows, and when it talks to the broker: sans-IO.
//!
//! The [`Listener`] folds three things into one [`View`] (activity, stale, health, the same
//! words the Genesys session uses): whether the broker is reachable, the agent's state message
//! (`{prefix}/agents/{agent}/state`, the core's [`AgentState`]), and the status of the gateway
//! that message names (`{prefix}/gateways/{name}/status`, `online` or `offline`).
//!
//! | what is known | health shown |
//! |---|---|
//! | never connected yet, no failure | [`Health::Connecting`] |
//! | the broker cannot be reached, or went silent | [`Health::Unreachable`] ("cannot reach") |
//! | the broker refused the light's user or password | [`Health::AuthFailed`] |
//! | the broker refused to let the light read a topic (ACL) | [`Health::Forbidden`] |
//! | connected, retained messages not in yet ([`SETTLE_TIME`]) | [`Health::Connecting`] |
//! | no state for the agent, an unreadable one, a stale one, the gateway not live, the gateway `offline` or its status unknown | [`Health::Stale`] ("not sure") |
//! | a certain state and its gateway `online` | [`Health::Live`] with the state's activity |
//!
//! Which gateway's status counts is the one the state names: the listener subscribes to the
//! agent's state first, and to `{prefix}/gateways/{name}/status` once a state names `name`
//! (moving the subscription when an agent is moved to another gateway). A light thus reads two
//! topics only, which is what the broker's ACL should allow it (the firmware's README).
//!
//! Everything the broker said is forgotten when the connection ends: retained messages bring
//! it back on the next one, and nothing older than the connection is ever shown as live.
//!
//! # The driver's loop
//!
//! After every input (`handle_*`, with the current time) the driver drains
//! [`Listener::poll_action`] and carries each action out, reads [`Listener::view`], then sleeps
//! until [`Listener::poll_timeout`] (calling [`Listener::handle_timeout`]) or the next packet.

use core::fmt::Write as _;

use genesys_notify_core::agent::Activity;
use genesys_notify_core::agent_state::{AgentState, MAX_GATEWAY_NAME_LEN, StateError};
use genesys_notify_core::backoff::{Backoff, SplitMix64};
use genesys_notify_core::light::Health;
use genesys_notify_core::{Duration, Instant};
use heapless::String;

/// The keep-alive the light announces when it connects: the broker drops it (and would publish
/// its will, it has none) after one and a half times this without a packet. A broker configured
/// with a lower maximum (mosquitto's `max_keepalive`) answers with it in its CONNACK; the light
/// still pings every [`PING_INTERVAL`], so a maximum under 10 s would drop it between pings.
pub const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// How often the light pings the broker: half the keep-alive, so one lost ping never reaches it.
pub const PING_INTERVAL: Duration = Duration::from_secs(15);

/// How long a ping may go unanswered before the broker counts as gone: a broker answers in
/// milliseconds; ten seconds of silence is a dead link (Wi-Fi gone, broker killed), and the
/// light should say "cannot reach" long before the broker's own keep-alive would notice.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// How long after subscribing the light waits for the retained state and gateway status before
/// it says "not sure": a broker sends retained messages with the subscription's answer, so
/// waiting longer means the gateway never published this agent.
pub const SETTLE_TIME: Duration = Duration::from_secs(5);

/// Reconnecting to the broker: 1 s at first, doubling to a minute. A broker is ours, not a
/// rate-limited cloud API: a light should be back within a minute of the broker.
pub const RETRY: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_mins(1));

/// The longest topic the listener builds: a prefix of up to 72 bytes, `/gateways/`, the longest
/// gateway name and `/status`.
pub const MAX_TOPIC_LEN: usize = 160;

/// A topic as the listener keeps it.
pub type Topic = String<MAX_TOPIC_LEN>;

/// What the light shows, in the Genesys session's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct View {
    /// The agent's activity, as the gateway last published it on this connection.
    pub activity: Activity,
    /// The activity may be wrong; show "not sure".
    pub stale: bool,
    /// The light's connection, and how far to trust what it shows.
    pub health: Health,
    /// Connected to the broker.
    pub connected: bool,
}

/// Something the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Open a connection (TCP, TLS, MQTT CONNECT) and report with
    /// [`Listener::handle_connected`] or [`Listener::handle_connect_failed`].
    Connect,
    /// Subscribe to `topic` (QoS 1); the broker's answer goes to [`Listener::handle_subscribed`]
    /// with `what`.
    Subscribe {
        /// The topic.
        topic: &'a str,
        /// Which of the listener's topics it is.
        what: Subscription,
    },
    /// Unsubscribe from `topic` (a gateway that no longer serves the agent); no answer needed.
    Unsubscribe(&'a str),
    /// Send a PINGREQ.
    Ping,
    /// Close the connection: the broker went silent, or refused a subscription. The listener
    /// already counts it as lost; connect again when asked.
    Disconnect,
}

/// Which of its two topics a subscription is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Subscription {
    /// The agent's state.
    State,
    /// The status of the gateway the state names.
    Gateway,
}

/// Why a connection attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectFailure {
    /// DNS, TCP, TLS or the MQTT exchange failed, or the broker is busy: retried with back-off.
    Unreachable,
    /// The broker refused the user name or password (or the client): shown as a refusal, and
    /// retried slowly, so that a fix made on the broker is picked up without a restart.
    Refused,
}

/// The listener was given a prefix or agent that makes a topic longer than [`MAX_TOPIC_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TopicTooLong;

impl core::fmt::Display for TopicTooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the MQTT topic prefix and agent id make a topic longer than {MAX_TOPIC_LEN} bytes"
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Wants to connect; the driver has not started yet.
    Idle,
    /// The driver is connecting.
    Connecting,
    /// Connected at `since`.
    Up {
        since: Instant,
        next_ping: Instant,
        /// A ping is unanswered since then.
        pinged: Option<Instant>,
    },
    /// Waiting to connect again.
    Waiting { until: Instant },
}

/// Why the link is not up (what the light says while it waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    None,
    Unreachable,
    Refused,
    Forbidden,
}

/// What the agent's state topic said on this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Nothing,
    /// An empty (deleted) or unreadable message.
    Unusable,
    State {
        activity: Activity,
        certain: bool,
    },
}

/// The gateway's status topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GatewayStatus {
    Unknown,
    Online,
    Offline,
}

/// The light's side of the gateway protocol; see the module docs.
#[derive(Debug, Clone)]
pub struct Listener {
    prefix_len: usize,
    state_topic: Topic,
    /// The status topic of the gateway the state names, once one has.
    gateway_topic: Option<Topic>,
    /// A status topic to leave (the agent moved to another gateway).
    leave: Option<Topic>,
    /// `leave` was handed out as an action.
    left: bool,
    subscribe_state: bool,
    subscribe_gateway: bool,
    ping: bool,
    disconnect: bool,
    link: Link,
    trouble: Trouble,
    settled: bool,
    heard: Heard,
    gateway: GatewayStatus,
    connections: u32,
    retry: Backoff,
    rng: SplitMix64,
}

impl Listener {
    /// A listener for `agent`'s state under `prefix` (`genesys` by default), wanting to connect.
    /// `seed` spreads the reconnections of a floor of lights (one per device: its MAC address).
    pub fn new(prefix: &str, agent: &str, seed: u64) -> Result<Self, TopicTooLong> {
        let mut state_topic = Topic::new();
        write!(state_topic, "{prefix}/agents/{agent}/state").map_err(|_| TopicTooLong)?;
        // The longest gateway's status topic must fit too.
        let longest_status = prefix.len() + "/gateways//status".len() + MAX_GATEWAY_NAME_LEN;
        if longest_status > MAX_TOPIC_LEN {
            return Err(TopicTooLong);
        }
        Ok(Self {
            prefix_len: prefix.len(),
            state_topic,
            gateway_topic: None,
            leave: None,
            left: false,
            subscribe_state: false,
            subscribe_gateway: false,
            ping: false,
            disconnect: false,
            link: Link::Idle,
            trouble: Trouble::None,
            settled: false,
            heard: Heard::Nothing,
            gateway: GatewayStatus::Unknown,
            connections: 0,
            retry: RETRY,
            rng: SplitMix64::new(seed),
        })
    }

    /// The agent's state topic.
    pub fn state_topic(&self) -> &str {
        &self.state_topic
    }

    /// The next thing to do, if any; call until `None` after every input.
    pub fn poll_action(&mut self) -> Option<Action<'_>> {
        if core::mem::take(&mut self.left) {
            self.leave = None;
        }
        if core::mem::take(&mut self.disconnect) {
            return Some(Action::Disconnect);
        }
        match self.link {
            Link::Idle => {
                self.link = Link::Connecting;
                return Some(Action::Connect);
            }
            Link::Up { .. } => {}
            Link::Connecting | Link::Waiting { .. } => return None,
        }
        if core::mem::take(&mut self.subscribe_state) {
            return Some(Action::Subscribe {
                topic: &self.state_topic,
                what: Subscription::State,
            });
        }
        if self.leave.is_some() && !self.left {
            // The action borrows the topic: it is dropped at the next poll.
            self.left = true;
            return self.leave.as_deref().map(Action::Unsubscribe);
        }
        if self.subscribe_gateway
            && let Some(topic) = &self.gateway_topic
        {
            self.subscribe_gateway = false;
            return Some(Action::Subscribe {
                topic,
                what: Subscription::Gateway,
            });
        }
        if core::mem::take(&mut self.ping) {
            return Some(Action::Ping);
        }
        None
    }

    /// When the listener next needs [`Listener::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.link {
            Link::Idle | Link::Connecting => None,
            Link::Waiting { until } => Some(until),
            Link::Up {
                since,
                next_ping,
                pinged,
            } => {
                let ping = match pinged {
                    Some(at) => at + PING_TIMEOUT,
                    None => next_ping,
                };
                let settle = (!self.settled).then_some(since + SETTLE_TIME);
                Some(settle.map_or(ping, |settle| settle.min(ping)))
            }
        }
    }

    /// Time passed: retry, ping, give up on a silent broker, or stop waiting for retained
    /// messages.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.link {
            Link::Waiting { until } if now >= until => self.link = Link::Idle,
            Link::Up {
                since,
                next_ping,
                pinged,
            } => {
                if !self.settled && now >= since + SETTLE_TIME {
                    self.settled = true;
                }
                match pinged {
                    Some(at) if now >= at + PING_TIMEOUT => {
                        self.lose(now, Trouble::Unreachable);
                        self.disconnect = true;
                    }
                    None if now >= next_ping => {
                        self.ping = true;
                        self.link = Link::Up {
                            since,
                            next_ping: now + PING_INTERVAL,
                            pinged: Some(now),
                        };
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The broker accepted the connection (CONNACK success).
    pub fn handle_connected(&mut self, now: Instant) {
        self.link = Link::Up {
            since: now,
            next_ping: now + PING_INTERVAL,
            pinged: None,
        };
        self.connections = self.connections.saturating_add(1);
        self.trouble = Trouble::None;
        self.settled = false;
        // A new connection has no subscriptions: the state's is made at once, the gateway's
        // again once a state names it.
        self.forget_connection();
        self.subscribe_state = true;
    }

    /// The connection attempt failed.
    pub fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure) {
        let trouble = match failure {
            ConnectFailure::Unreachable => Trouble::Unreachable,
            ConnectFailure::Refused => Trouble::Refused,
        };
        self.lose(now, trouble);
    }

    /// The connection ended (closed, reset, a protocol error, the broker's DISCONNECT).
    pub fn handle_disconnected(&mut self, now: Instant) {
        if matches!(self.link, Link::Up { .. } | Link::Connecting) {
            self.lose(now, Trouble::Unreachable);
        }
    }

    /// The broker answered a subscription: `granted` unless its reason code is a failure (the
    /// ACL refuses the light that topic).
    pub fn handle_subscribed(&mut self, now: Instant, what: Subscription, granted: bool) {
        self.handle_packet(now);
        if granted {
            if what == Subscription::State {
                // Reading its own state is what the light needs from the broker: the connection
                // is good, the next loss starts again from the shortest wait.
                self.retry.reset();
            }
        } else {
            self.lose(now, Trouble::Forbidden);
            self.disconnect = true;
        }
    }

    /// Any packet from the broker (a PINGRESP, an acknowledgement): it is alive.
    pub fn handle_packet(&mut self, _now: Instant) {
        if let Link::Up {
            since, next_ping, ..
        } = self.link
        {
            self.link = Link::Up {
                since,
                next_ping,
                pinged: None,
            };
        }
    }

    /// A message arrived on `topic`.
    pub fn handle_message(&mut self, now: Instant, topic: &str, payload: &[u8]) {
        self.handle_packet(now);
        if topic == self.state_topic.as_str() {
            self.handle_state(payload);
        } else if self.gateway_topic.as_deref() == Some(topic) {
            self.gateway = match payload {
                b"online" => GatewayStatus::Online,
                b"offline" => GatewayStatus::Offline,
                // Deleted, or a word this light does not know: it cannot vouch for the gateway.
                _ => GatewayStatus::Unknown,
            };
        }
    }

    /// Reads a state message as the listener does (the core's [`AgentState::parse`]); `None` for
    /// an empty one (a deleted retained message). The driver logs the error of an unreadable one.
    pub fn read_state(payload: &[u8]) -> Option<Result<AgentState<'_>, StateError>> {
        (!payload.is_empty()).then(|| AgentState::parse(payload))
    }

    fn handle_state(&mut self, payload: &[u8]) {
        let Some(Ok(state)) = Self::read_state(payload) else {
            self.heard = Heard::Unusable;
            return;
        };
        self.heard = Heard::State {
            activity: state.activity,
            certain: state.is_certain(),
        };
        let name = state.gateway.as_str();
        let same = self
            .gateway_topic
            .as_deref()
            .is_some_and(|topic| self.gateway_name(topic) == Some(name));
        if same {
            return;
        }
        let mut topic = Topic::new();
        // Checked in `new`: the longest name fits after this prefix.
        let prefix = self.state_topic.get(..self.prefix_len).unwrap_or_default();
        if write!(topic, "{prefix}/gateways/{name}/status").is_err() {
            self.heard = Heard::Unusable;
            return;
        }
        self.leave = self.gateway_topic.replace(topic);
        self.left = false;
        self.gateway = GatewayStatus::Unknown;
        self.subscribe_gateway = true;
    }

    fn gateway_name<'t>(&self, topic: &'t str) -> Option<&'t str> {
        topic
            .get(self.prefix_len..)?
            .strip_prefix("/gateways/")?
            .strip_suffix("/status")
    }

    fn lose(&mut self, now: Instant, trouble: Trouble) {
        let delay = self.retry.next_delay(&mut self.rng);
        self.link = Link::Waiting { until: now + delay };
        self.trouble = trouble;
        self.forget_connection();
    }

    /// Forgets what belonged to the connection that ended: what it heard, its subscriptions
    /// and the packets it still owed.
    fn forget_connection(&mut self) {
        self.heard = Heard::Nothing;
        self.gateway = GatewayStatus::Unknown;
        self.gateway_topic = None;
        self.leave = None;
        self.left = false;
        self.subscribe_state = false;
        self.subscribe_gateway = false;
        self.ping = false;
    }

    /// Connections made since start (the first included).
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// What the light shows now; see the module docs' table.
    pub fn view(&self) -> View {
        let unsure = |health| View {
            activity: Activity::Unknown,
            stale: true,
            health,
            connected: matches!(self.link, Link::Up { .. }),
        };
        if !matches!(self.link, Link::Up { .. }) {
            return unsure(match self.trouble {
                Trouble::None => Health::Connecting,
                Trouble::Unreachable => Health::Unreachable,
                Trouble::Refused => Health::AuthFailed,
                Trouble::Forbidden => Health::Forbidden,
            });
        }
        let waiting = if self.settled {
            Health::Stale
        } else {
            Health::Connecting
        };
        match (&self.heard, self.gateway) {
            (Heard::Nothing, _) => unsure(waiting),
            (Heard::Unusable, _) => unsure(Health::Stale),
            (Heard::State { activity, certain }, gateway) => {
                let health = match gateway {
                    GatewayStatus::Online if *certain => Health::Live,
                    GatewayStatus::Online | GatewayStatus::Offline => Health::Stale,
                    GatewayStatus::Unknown => waiting,
                };
                View {
                    activity: *activity,
                    stale: health != Health::Live,
                    health,
                    connected: true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    const AGENT: &str = "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60";
    const STATE_TOPIC: &str = "genesys/agents/0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60/state";
    const ON_CALL: &[u8] =
        br#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"g1"}"#;
    const AVAILABLE_STALE: &[u8] =
        br#"{"v":1,"activity":"available","stale":true,"health":"stale","gateway":"g1"}"#;

    fn at(secs: u64) -> Instant {
        Instant::from_secs(secs)
    }

    /// Every action the listener wants now, as owned text.
    fn actions(listener: &mut Listener) -> Vec<std::string::String> {
        let mut all = Vec::new();
        while let Some(action) = listener.poll_action() {
            all.push(match action {
                Action::Connect => "connect".into(),
                Action::Subscribe { topic, .. } => std::format!("subscribe {topic}"),
                Action::Unsubscribe(topic) => std::format!("unsubscribe {topic}"),
                Action::Ping => "ping".into(),
                Action::Disconnect => "disconnect".into(),
            });
        }
        all
    }

    /// A listener connected at `t` = 1 s, subscribed, that heard `state` and `online`.
    fn live(state: &[u8]) -> Listener {
        let mut listener = Listener::new("genesys", AGENT, 7).unwrap();
        assert_eq!(actions(&mut listener), ["connect"]);
        listener.handle_connected(at(1));
        assert_eq!(
            actions(&mut listener),
            [std::format!("subscribe {STATE_TOPIC}")]
        );
        listener.handle_subscribed(at(1), Subscription::State, true);
        listener.handle_message(at(1), STATE_TOPIC, state);
        assert_eq!(
            actions(&mut listener),
            ["subscribe genesys/gateways/g1/status"]
        );
        listener.handle_message(at(1), "genesys/gateways/g1/status", b"online");
        listener
    }

    /// Runs the listener's timers up to `until`, one deadline at a time, as a driver would.
    fn run_until(listener: &mut Listener, until: Instant) -> Vec<std::string::String> {
        let mut done = actions(listener);
        while let Some(deadline) = listener.poll_timeout().filter(|d| *d <= until) {
            listener.handle_timeout(deadline);
            done.extend(actions(listener));
        }
        done
    }

    #[test]
    fn a_booting_light_is_connecting_until_the_first_answer() {
        let mut listener = Listener::new("genesys", AGENT, 1).unwrap();
        assert_eq!(listener.view().health, Health::Connecting);
        assert_eq!(actions(&mut listener), ["connect"]);
        assert_eq!(actions(&mut listener), Vec::<std::string::String>::new());
        assert_eq!(listener.poll_timeout(), None);
        listener.handle_connected(at(0));
        assert_eq!(listener.view().health, Health::Connecting);
        assert!(listener.view().connected);
    }

    #[test]
    fn a_certain_state_from_an_online_gateway_shows_the_activity() {
        let listener = live(ON_CALL);
        assert_eq!(
            listener.view(),
            View {
                activity: Activity::OnCall,
                stale: false,
                health: Health::Live,
                connected: true
            }
        );
    }

    #[test]
    fn a_stale_state_is_shown_as_not_sure() {
        let mut listener = live(ON_CALL);
        listener.handle_message(at(2), STATE_TOPIC, AVAILABLE_STALE);
        let view = listener.view();
        assert_eq!(view.health, Health::Stale);
        assert!(view.stale);
        assert_eq!(view.activity, Activity::Available);
        let gateway_trouble =
            br#"{"v":1,"activity":"on_call","stale":false,"health":"unreachable","gateway":"g1"}"#;
        listener.handle_message(at(3), STATE_TOPIC, gateway_trouble);
        assert_eq!(listener.view().health, Health::Stale);
        listener.handle_message(at(4), STATE_TOPIC, ON_CALL);
        assert_eq!(listener.view().health, Health::Live);
    }

    #[test]
    fn a_gateway_gone_offline_makes_the_light_not_sure_until_it_is_back() {
        let mut listener = live(ON_CALL);
        listener.handle_message(at(2), "genesys/gateways/g1/status", b"offline");
        assert_eq!(listener.view().health, Health::Stale);
        assert!(listener.view().stale);
        listener.handle_message(at(3), "genesys/gateways/g1/status", b"");
        assert_eq!(
            listener.view().health,
            Health::Connecting,
            "not settled yet"
        );
        run_until(&mut listener, at(10));
        assert_eq!(listener.view().health, Health::Stale);
        listener.handle_message(at(11), "genesys/gateways/g1/status", b"online");
        assert_eq!(listener.view().health, Health::Live);
    }

    #[test]
    fn another_gateways_status_changes_nothing() {
        let mut listener = live(ON_CALL);
        listener.handle_message(at(2), "genesys/gateways/g2/status", b"offline");
        listener.handle_message(at(2), "genesys/agents/someone-else/state", AVAILABLE_STALE);
        assert_eq!(listener.view().health, Health::Live);
        assert_eq!(listener.view().activity, Activity::OnCall);
    }

    #[test]
    fn without_a_state_the_light_says_not_sure_once_retained_messages_had_their_time() {
        let mut listener = Listener::new("genesys", AGENT, 2).unwrap();
        actions(&mut listener);
        listener.handle_connected(at(0));
        actions(&mut listener);
        listener.handle_subscribed(at(0), Subscription::State, true);
        run_until(&mut listener, at(4));
        assert_eq!(listener.view().health, Health::Connecting);
        run_until(&mut listener, at(5));
        assert_eq!(listener.view().health, Health::Stale);
        assert_eq!(listener.view().activity, Activity::Unknown);
    }

    #[test]
    fn a_state_without_its_gateways_status_is_not_sure_after_settling() {
        let mut listener = Listener::new("genesys", AGENT, 2).unwrap();
        actions(&mut listener);
        listener.handle_connected(at(0));
        actions(&mut listener);
        listener.handle_message(at(0), STATE_TOPIC, ON_CALL);
        assert_eq!(listener.view().health, Health::Connecting);
        run_until(&mut listener, at(5));
        assert_eq!(listener.view().health, Health::Stale);
    }

    #[test]
    fn an_unreadable_deleted_or_newer_state_is_not_sure() {
        for message in [
            &b"not json"[..],
            b"",
            br#"{"v":2,"activity":"on_call","stale":false,"health":"live","gateway":"g1"}"#,
            br#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"bad/name"}"#,
        ] {
            let mut listener = live(ON_CALL);
            listener.handle_message(at(2), STATE_TOPIC, message);
            let view = listener.view();
            assert_eq!(view.health, Health::Stale, "{message:?}");
            assert_eq!(view.activity, Activity::Unknown);
        }
    }

    #[test]
    fn an_unreachable_broker_is_cannot_reach_and_retried_with_growing_waits() {
        let mut listener = Listener::new("genesys", AGENT, 3).unwrap();
        let mut now = at(0);
        let mut waits = Vec::new();
        for _ in 0..10 {
            assert_eq!(actions(&mut listener), ["connect"]);
            listener.handle_connect_failed(now, ConnectFailure::Unreachable);
            assert_eq!(listener.view().health, Health::Unreachable);
            assert!(!listener.view().connected);
            let retry = listener.poll_timeout().unwrap();
            waits.push(retry - now);
            assert!(retry - now <= Duration::from_mins(1));
            assert!(
                actions(&mut listener).is_empty(),
                "no attempt before the wait"
            );
            listener.handle_timeout(retry);
            now = retry;
        }
        assert!(
            waits.iter().any(|w| *w > Duration::from_secs(8)),
            "{waits:?}"
        );
    }

    #[test]
    fn a_broker_that_goes_away_shows_cannot_reach_at_once_and_is_reconnected() {
        let mut listener = live(ON_CALL);
        listener.handle_disconnected(at(2));
        assert_eq!(listener.view().health, Health::Unreachable);
        assert_eq!(listener.view().activity, Activity::Unknown);
        let retry = listener.poll_timeout().unwrap();
        assert!(retry <= at(3));
        assert_eq!(run_until(&mut listener, retry), ["connect"]);
        listener.handle_connected(at(4));
        // Nothing heard on the old connection is shown as live on the new one.
        assert_eq!(listener.view().health, Health::Connecting);
        assert_eq!(
            actions(&mut listener),
            [std::format!("subscribe {STATE_TOPIC}")]
        );
        listener.handle_message(at(4), STATE_TOPIC, ON_CALL);
        assert_eq!(
            actions(&mut listener),
            ["subscribe genesys/gateways/g1/status"]
        );
        listener.handle_message(at(4), "genesys/gateways/g1/status", b"online");
        assert_eq!(listener.view().health, Health::Live);
        assert_eq!(listener.connections(), 2);
    }

    #[test]
    fn an_answered_ping_keeps_the_connection_and_a_silent_broker_is_given_up() {
        let mut listener = live(ON_CALL);
        assert_eq!(run_until(&mut listener, at(16)), ["ping"]);
        listener.handle_packet(at(16));
        assert_eq!(
            run_until(&mut listener, at(30)),
            Vec::<std::string::String>::new()
        );
        assert_eq!(run_until(&mut listener, at(31)), ["ping"]);
        assert_eq!(listener.view().health, Health::Live, "a ping in flight");
        assert_eq!(run_until(&mut listener, at(41)), ["disconnect"]);
        assert_eq!(listener.view().health, Health::Unreachable);
    }

    #[test]
    fn a_refused_login_and_a_refused_topic_are_shown_as_refusals_and_retried() {
        let mut listener = Listener::new("genesys", AGENT, 4).unwrap();
        actions(&mut listener);
        listener.handle_connect_failed(at(0), ConnectFailure::Refused);
        assert_eq!(listener.view().health, Health::AuthFailed);
        assert_eq!(
            run_until(&mut listener, at(120))
                .first()
                .map(|s| s.as_str()),
            Some("connect")
        );

        let mut listener = live(ON_CALL);
        listener.handle_subscribed(at(2), Subscription::Gateway, false);
        assert_eq!(actions(&mut listener), ["disconnect"]);
        assert_eq!(listener.view().health, Health::Forbidden);
        assert!(listener.poll_timeout().is_some(), "tried again later");
    }

    #[test]
    fn an_agent_moved_to_another_gateway_moves_the_status_subscription() {
        let mut listener = live(ON_CALL);
        let moved = br#"{"v":1,"activity":"on_call","stale":false,"health":"live","gateway":"g2"}"#;
        listener.handle_message(at(2), STATE_TOPIC, moved);
        assert_eq!(
            actions(&mut listener),
            [
                "unsubscribe genesys/gateways/g1/status",
                "subscribe genesys/gateways/g2/status"
            ]
        );
        // The old gateway's word no longer counts.
        listener.handle_message(at(2), "genesys/gateways/g1/status", b"online");
        assert_eq!(listener.view().health, Health::Connecting);
        listener.handle_message(at(2), "genesys/gateways/g2/status", b"online");
        assert_eq!(listener.view().health, Health::Live);
        listener.handle_message(at(3), STATE_TOPIC, moved);
        assert!(
            actions(&mut listener).is_empty(),
            "same gateway, no new subscription"
        );
    }

    #[test]
    fn a_custom_prefix_names_both_topics_and_too_long_a_one_is_refused() {
        let mut listener = Listener::new("site-2/genesys", AGENT, 5).unwrap();
        assert_eq!(
            listener.state_topic(),
            "site-2/genesys/agents/0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60/state"
        );
        actions(&mut listener);
        listener.handle_connected(at(0));
        actions(&mut listener);
        let topic = std::string::String::from(listener.state_topic());
        listener.handle_message(at(0), &topic, ON_CALL);
        assert_eq!(
            actions(&mut listener),
            ["subscribe site-2/genesys/gateways/g1/status"]
        );
        let long = "p".repeat(MAX_TOPIC_LEN);
        assert_eq!(Listener::new(&long, AGENT, 0).unwrap_err(), TopicTooLong);
    }
}
