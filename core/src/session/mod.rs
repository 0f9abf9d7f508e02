//! The session: the whole lifecycle of a Genesys notification stream, as a state machine.
//!
//! # Why a state machine
//!
//! Getting a notification stream right is mostly about what happens when things go wrong: the
//! socket goes quiet without closing, the channel expires after 24 hours, the server announces
//! maintenance a minute ahead, the token expires or is revoked, a permission is missing, the
//! API says "slow down", the network flaps. Genesys' own SDK handlers leave all of that to the
//! application. [`Session`] decides all of it, once, for every driver (tokio, embassy, a test):
//!
//! 1. **token** — asks the driver for one ([`Transmit::FetchToken`]), refreshes it before expiry
//!    and once after a 401;
//! 2. **channel** — `POST /api/v2/notifications/channels`, and refuses a `connectUri` on any
//!    host other than the configured streaming host;
//! 3. **subscribe** — `PUT …/subscriptions?ignoreErrors=true` with each agent's topics packed into
//!    one combined topic (`v2.users.{id}?conversations&presence&routingStatus`), plus extra
//!    topics; refused topics are named in a diagnosis, and if no agent topic was permitted (for
//!    a session of topics alone: no topic) the session stops;
//! 4. **connect** the socket (no token: the channel id is the capability);
//! 5. **resync** by REST — per agent `GET /users/{id}?expand=presence,routingStatus,conversationSummary`,
//!    and `GET /conversations` for a user token — because events are never replayed;
//! 6. **live** — a heartbeat watchdog (silence for 2.5 intervals → ping; no answer → reconnect;
//!    a failed reconnect → `HEAD` the channel; gone → a new channel), and **make before break**
//!    at 23 h or on `socket_closing`: a second channel is created, subscribed and connected
//!    before the first socket is closed, copies of events are suppressed, and the state is
//!    re-read without ever showing "stale".
//!
//! # What each failure does
//!
//! | what happened | what the session does |
//! |---|---|
//! | 401 on any REST call | fetch a token once ([`TokenReason::Rejected`]) and retry the call; a second 401 with the new token stops ([`Health::AuthFailed`]) |
//! | 403, or every agent topic rejected | stop with the missing permissions named ([`Health::Forbidden`]), never retry |
//! | 404 on a channel call | create a new channel, subscribe it, connect, resync |
//! | 429 | wait exactly `Retry-After` (60 s when absent), retry the call |
//! | 5xx, 408, no answer at all | back off (full jitter, capped), retry; N failures in a row show [`Health::Unreachable`] |
//! | socket silent 2.5 heartbeats | send a ping; nothing within the pong timeout → close, reconnect to the same channel |
//! | socket closed, or reconnect failed | reconnect after a backoff; a failed connect → `HEAD` the channel, 404 → new channel |
//! | `socket_closing`, or 23 h passed | make before break (above) |
//! | `token_revoked` / `no_longer_subscribed` | fetch a token / subscribe again and resync |
//! | frame too large / not a notification | resync / count and ignore it ([`Notice`]) |
//! | `connectUri` on a foreign host | stop without sending anything there ([`StopReason::ForeignConnectUri`]) |
//! | the driver reports no outcome within [`ANSWER_TIMEOUT`] | as if the transmit had timed out |
//!
//! Every gap in the stream marks the agents stale until the resync after it completes; a clean
//! rollover has no gap and never does. [`Session::health`] summarises it for the light:
//! connecting until the first resync, live, stale, unreachable, or the reason it stopped.
//!
//! It is sans-IO in the style of `quinn-proto` and `smoltcp`: no clock, no sockets, no
//! allocation. Inputs are `handle_*(now, …)`, outputs are `poll_*`, and every input sequence is
//! legal: ids the session does not know (late answers, closed sockets) are ignored, and nothing
//! from the network can make it panic.
//!
//! # The driver's contract
//!
//! After **any** `handle_*` call (and after [`Session::new`]):
//!
//! 1. call [`Session::poll_transmit`] until it returns `None`, doing what each [`Transmit`] asks
//!    (fetch a token, perform an HTTP request, connect, send, close);
//! 2. call [`Session::poll_event`] until it returns `None`, showing or forwarding each
//!    [`SessionEvent`];
//! 3. wait until [`Session::poll_timeout`] (call [`Session::handle_timeout`] then), or until the
//!    network has something (a response, a socket frame, a close), whichever comes first.
//!
//! The outcome of each transmit comes back through the matching input: [`Session::handle_token`]
//! / [`Session::handle_token_failure`] for a token (what the token endpoint answered is read by
//! [`read_token_reply`], the same for every driver), [`Session::handle_response`] /
//! [`Session::handle_request_failed`] for a request, [`Session::handle_socket_open`],
//! [`Session::handle_socket_frame`], [`Session::handle_socket_frame_too_large`] and
//! [`Session::handle_socket_closed`] for a socket. Frames are handed in one by one, in the
//! order the socket delivered them. The session never holds a token: the driver keeps it and
//! adds the `Authorization` header the request's [`Auth`](crate::request::Auth) names.
//!
//! # The driver loop
//!
//! The complete loop, written against this API, is in the [crate documentation](crate#the-driver-loop).
//!
//! # Layout
//!
//! `state` holds the plain data every part shares (link slots and phases, the table of REST
//! calls, each agent's resync progress); `calls`, `link`, `members`, `resync` and `token` hold behaviour
//! (`impl Session` blocks) and reach that state, and each other's types, only through this
//! module, never by importing a sibling. `io` is the driver-facing vocabulary (`Transmit`,
//! `SessionEvent`, [`Health`], [`TokenFailure`]), `config` the settings.

mod calls;
mod config;
mod dedup;
mod io;
mod link;
mod members;
mod resync;
mod state;
mod token;

pub use config::{
    CHANNEL_LIFETIME, Config, ConfigError, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_PONG_TIMEOUT,
    DEFAULT_RENEW_AFTER, DEFAULT_ROLLOVER_OVERLAP, DEFAULT_TOKEN_REFRESH_MARGIN,
    DEFAULT_UNREACHABLE_AFTER_FAILURES, MAX_EXTRA_TOPICS, Timing, TokenKind,
};
pub use dedup::{DUPLICATE_RING_CAPACITY, DUPLICATE_WINDOW};
pub use io::{
    CHANNEL_ID_CAPACITY, CloseInfo, ConnectionInfo, Health, Inbound, Notice, RequestId,
    SessionEvent, SocketId, StopReason, Suppressed, TokenFailure, TokenReason, Transmit,
    read_token_reply,
};
pub use members::MemberError;
pub use state::MAX_CONNECT_URI_LEN;

// The state the behaviour modules share; each imports it from here, never from a sibling.
use state::{
    Attempt, Candidate, Channel, Link, Op, Pending, Phase, Ping, Read, Slot, Snapshot, Tracked,
};

use crate::agent::Agent;
use crate::backoff::{Backoff, SplitMix64};
use crate::diagnosis::{Action, Context, Diagnosis, Step, Transport};
use crate::event::{self, Event, EventError, SystemKind};
use crate::json::BufferTooSmall;
use crate::request::{Operation, ResponseError};
use crate::time::{Duration, Instant};
use crate::topic::{self, TopicBuf, UserTopicKind};
use dedup::DuplicateFilter;
use token::{Fetch, TokenState};

/// The user topics subscribed for each agent: what the agent model reads. `activity` would
/// repeat presence and routing status, and `conversationsummary` only counts conversations.
pub const AGENT_TOPICS: [UserTopicKind; 3] = [
    UserTopicKind::Conversations,
    UserTopicKind::Presence,
    UserTopicKind::RoutingStatus,
];

/// How many resync reads run at once.
///
/// Why 4: Genesys allows about 300 requests a minute per token; a gateway resyncing a hundred
/// agents after a reconnect must not spend that in one burst, while one agent's two reads still
/// go out together.
pub const RESYNC_CONCURRENCY: usize = 4;

/// How many REST calls can be outstanding: one per link slot (create, subscribe or check) plus
/// the resync reads. The table never needs more, by construction.
pub const MAX_REQUESTS: usize = 2 + RESYNC_CONCURRENCY;

/// How many diagnoses, notices and the final stop wait for [`Session::poll_event`] before the
/// oldest is dropped (and counted in [`Stats::reports_dropped`]).
///
/// Why 3: one input yields at most a diagnosis and a stop, and a driver polls after every
/// input; each entry costs about a kilobyte (a [`Diagnosis`] names topics and permissions).
pub const REPORT_QUEUE_CAPACITY: usize = 3;

/// How long the session waits for the driver to report the outcome of a transmit (a token
/// fetch, a request, a connect) before treating it as a timeout.
///
/// Drivers should time out much sooner themselves (their HTTP and WebSocket clients do); this
/// only keeps a driver that loses an outcome from wedging the session forever. Why 60 s: far
/// beyond any TLS handshake or REST answer over a slow Wi-Fi link.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Sockets waiting to be closed: at most one per link slot, plus one being replaced.
const MAX_PENDING_CLOSES: usize = 4;

/// Counters for status pages and tests; they only ever grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Stats {
    /// Streams re-established after a gap (a drop, a silent socket, a lost channel).
    pub reconnects: u32,
    /// Clean channel rollovers (renewal or `socket_closing`) completed.
    pub rollovers: u32,
    /// Frames that were not Genesys events (ignored).
    pub invalid_frames: u32,
    /// Frames the driver reported as too large (dropped; the state was re-read).
    pub oversized_frames: u32,
    /// Copies of events suppressed during rollovers.
    pub duplicates: u32,
    /// Diagnoses and notices dropped because nobody polled them in time.
    pub reports_dropped: u32,
}

/// The session has stopped; the reason waits in the report queue until polled.
#[derive(Clone, Copy, Debug)]
struct Stop {
    health: Health,
}

/// The notification session for up to `AGENTS` agents.
///
/// `AGENTS` is a capacity: a desk light uses `Session<1>`, a gateway `Session<64>`. One session
/// for one agent is under 8 KiB — 6.5 KiB (6 688 bytes) on a 64-bit host, checked at build time on every
/// target — plus the caller's transmit buffer (2 KiB is plenty for one agent;
/// [`SessionEvent::BufferTooSmall`] says when it is not). Each further agent adds about 560 bytes.
///
/// # Call order
///
/// 1. [`Session::new`], then drain the outputs (step 3).
/// 2. Feed every input as it happens: [`handle_timeout`](Session::handle_timeout) at
///    [`poll_timeout`](Session::poll_timeout); the outcome of each [`Transmit`] through the
///    matching `handle_*`.
/// 3. After each input: [`poll_transmit`](Session::poll_transmit) until `None`, then
///    [`poll_event`](Session::poll_event) until `None`, then read
///    [`poll_timeout`](Session::poll_timeout) again.
///
/// The [module documentation](self) has the whole driver loop as code.
#[derive(Debug)]
pub struct Session<const AGENTS: usize> {
    config: Config,
    agents: heapless::Vec<Tracked, AGENTS>,
    token: TokenState,
    links: [Link; 2],
    primary: Slot,
    requests: heapless::Vec<Pending, MAX_REQUESTS>,
    duplicates: DuplicateFilter,
    backoff: Backoff,
    rng: SplitMix64,
    closes: heapless::Deque<SocketId, MAX_PENDING_CLOSES>,
    /// Diagnoses and notices, in order.
    reports: heapless::Deque<SessionEvent, REPORT_QUEUE_CAPACITY>,
    buffer_too_small: Option<BufferTooSmall>,
    next_id: u32,
    stop: Option<Stop>,
    reported_health: Option<Health>,
    reported_connection: Option<ConnectionInfo>,
    /// Consecutive failures to reach anything; reset by any answer.
    transport_failures: u8,
    /// A first resync has completed since the session started.
    been_live: bool,
    /// The stream had a gap since it was last established: the next open is a reconnect.
    gap: bool,
    /// The subscription `PUT` in flight on an open link restores lost subscriptions: every
    /// agent is re-read when it answers (not only those added since).
    resync_after_subscribe: bool,
    last_heartbeat: Option<Instant>,
    stats: Stats,
}

/// A desk light's session, plus its frame buffer, must fit a small task's stack or a static on
/// an ESP32-C3 (400 KiB of RAM shared with Wi-Fi and TLS): checked on every target, at build time.
const _: () = assert!(core::mem::size_of::<Session<1>>() < 8 * 1024);

impl<const AGENTS: usize> Session<AGENTS> {
    /// A session for the agents with the given Genesys user ids (at most `AGENTS`), in the
    /// order [`SessionEvent::AgentChanged`] numbers them. With a [`TokenKind::User`] token, the
    /// first agent is the token's user. `agents` may be empty when the configuration names
    /// [extra topics](Config::extra_topic): the session then subscribes to those alone and has
    /// no agent state to re-read.
    ///
    /// Nothing is sent yet: the first [`Session::poll_transmit`] asks for a token.
    pub fn new(config: Config, agents: &[&str]) -> Result<Self, ConfigError> {
        config.validate()?;
        // A session for topics alone (a queue's conversations, say) tracks no agent.
        if agents.is_empty() && config.extra_topics.is_empty() {
            return Err(ConfigError::NoAgents);
        }
        let too_many = ConfigError::TooManyAgents { capacity: AGENTS };
        let mut tracked = heapless::Vec::new();
        let mut topic_count = config
            .extra_topics
            .iter()
            .map(|t| config.budget_rule.count(t.as_topic()))
            .fold(0usize, usize::saturating_add);
        for (index, user_id) in agents.iter().enumerate() {
            let invalid = ConfigError::InvalidAgentId { agent: index };
            let agent = Agent::new(user_id).map_err(|_| invalid)?;
            let topic = agent_topic(user_id).ok_or(invalid)?;
            topic_count = topic_count.saturating_add(config.budget_rule.count(topic.as_topic()));
            let entry = Tracked {
                agent,
                topic,
                reads: [Read::Done; Snapshot::ALL.len()],
                reported: None,
                fresh: false,
                joining: false,
            };
            tracked.push(entry).map_err(|_| too_many)?;
        }
        if topic_count > topic::MAX_TOPICS_PER_CHANNEL {
            return Err(ConfigError::TooManyTopics);
        }
        let mut session = Self {
            rng: SplitMix64::new(config.seed),
            backoff: config.backoff.clone(),
            config,
            agents: tracked,
            token: TokenState::new(),
            links: [Link::idle(), Link::idle()],
            primary: Slot::A,
            requests: heapless::Vec::new(),
            duplicates: DuplicateFilter::new(),
            closes: heapless::Deque::new(),
            reports: heapless::Deque::new(),
            buffer_too_small: None,
            next_id: 1,
            stop: None,
            reported_health: None,
            reported_connection: None,
            transport_failures: 0,
            been_live: false,
            gap: false,
            resync_after_subscribe: false,
            last_heartbeat: None,
            stats: Stats::default(),
        };
        session.begin_create(Slot::A);
        Ok(session)
    }

    // ----------------------------------------------------------------------------------------
    // Inputs
    // ----------------------------------------------------------------------------------------

    /// Time has reached (or passed) [`Session::poll_timeout`]. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.stop.is_some() {
            return;
        }
        if self.token.overdue(now) {
            self.handle_token_failure(now, TokenFailure::Transport(Transport::Timeout));
        }
        self.token.handle_timeout(now);
        let mut overdue: heapless::Vec<RequestId, MAX_REQUESTS> = heapless::Vec::new();
        for pending in self.requests.iter_mut() {
            match pending.attempt {
                Attempt::Waiting { until } if now >= until => pending.attempt = Attempt::Ready,
                Attempt::Sent { id, since, .. } if now >= since + ANSWER_TIMEOUT => {
                    // Cannot fail: at most one entry per request.
                    let _ = overdue.push(id);
                }
                _ => {}
            }
        }
        for id in overdue {
            self.handle_request_failed(now, id, Transport::Timeout);
        }
        for slot in Slot::BOTH {
            self.link_timeout(slot, now);
        }
    }

    /// The driver's token provider delivered a token that expires in `expires_in` (pass
    /// [`Duration::MAX`] for a token of unknown life). The session keeps only the expiry; the
    /// driver keeps the token and adds it to the requests that ask for it.
    pub fn handle_token(&mut self, now: Instant, expires_in: Duration) {
        if self.stop.is_some() {
            return;
        }
        self.transport_failures = 0;
        self.token
            .got(now, expires_in, self.config.token_refresh_margin);
    }

    /// Getting a token failed. Refusals stop the session ([`Health::AuthFailed`]); 429 waits
    /// `Retry-After`; server and transport errors back off and try again.
    pub fn handle_token_failure(&mut self, now: Instant, failure: TokenFailure<'_>) {
        if self.stop.is_some() || !self.token.in_flight() {
            return;
        }
        let diagnosis = match failure {
            TokenFailure::Transport(transport) => {
                self.count_transport_failure();
                let step = Step::Request(Operation::Token);
                Diagnosis::from_transport(&self.context(), step, transport)
            }
            TokenFailure::Status {
                status,
                retry_after,
                body,
            } => {
                self.transport_failures = 0;
                let ctx = self.context();
                match Diagnosis::from_response(&ctx, Operation::Token, status, retry_after, body) {
                    Some(diagnosis) => diagnosis,
                    // A success status handed in as a failure: whatever the driver read, it was
                    // no token. Waiting for one that will never come would hang the session.
                    None => Diagnosis::from_unreadable_reply(
                        &ctx,
                        Operation::Token,
                        ResponseError::Field {
                            name: "access_token",
                        },
                    ),
                }
            }
            TokenFailure::Unreadable(error) => {
                self.transport_failures = 0;
                Diagnosis::from_unreadable_reply(&self.context(), Operation::Token, error)
            }
            TokenFailure::Unavailable => {
                self.stop_with(StopReason::TokenUnavailable, Health::AuthFailed);
                return;
            }
        };
        match diagnosis.action() {
            Action::RetryAfter(wait) => {
                self.report_diagnosis(diagnosis);
                self.token.retry_at(now + wait);
            }
            Action::Backoff | Action::RefreshToken | Action::RecreateChannel => {
                self.report_diagnosis(diagnosis);
                let delay = self.backoff.next_delay(&mut self.rng);
                self.token.retry_at(now + delay);
            }
            Action::Stop => self.stop_with(StopReason::Refused(diagnosis), Health::AuthFailed),
        }
    }

    /// The HTTP request `id` was answered with `status`, the `Retry-After` header (if any, in
    /// seconds, converted) and `body` (empty for `HEAD`).
    pub fn handle_response(
        &mut self,
        now: Instant,
        id: RequestId,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) {
        if self.stop.is_some() {
            return;
        }
        let Some(index) = self.request_index(id) else {
            return;
        };
        let Some(Pending { op, attempt }) = self.requests.get(index).copied() else {
            return;
        };
        let token_used = match attempt {
            Attempt::Sent { token, .. } => token,
            _ => return,
        };
        self.transport_failures = 0;
        if status == 401 && token_used != self.token.generation() {
            // Sent with a token that has since been replaced: try again with the new one. (This
            // says nothing about the new token, so it must not count as its second 401.)
            self.set_attempt(index, Attempt::Ready);
            return;
        }
        let ctx = self.context();
        let Some(diagnosis) =
            Diagnosis::from_response(&ctx, op.operation(), status, retry_after, body)
        else {
            if token_used == self.token.generation() {
                self.token.answers_a_401 = false;
            }
            self.requests.swap_remove(index);
            self.succeeded(now, op, body);
            return;
        };
        match diagnosis.action() {
            Action::RefreshToken => {
                self.report_diagnosis(diagnosis);
                self.token.want(TokenReason::Rejected);
                self.set_attempt(index, Attempt::Ready);
            }
            Action::RetryAfter(wait) => {
                self.report_diagnosis(diagnosis);
                self.set_attempt(index, Attempt::Waiting { until: now + wait });
            }
            Action::Backoff => {
                self.report_diagnosis(diagnosis);
                let delay = self.backoff.next_delay(&mut self.rng);
                self.set_attempt(index, Attempt::Waiting { until: now + delay });
            }
            Action::RecreateChannel => {
                self.report_diagnosis(diagnosis);
                self.requests.swap_remove(index);
                if let Some(slot) = op.slot() {
                    self.begin_create(slot);
                }
            }
            Action::Stop => {
                self.requests.swap_remove(index);
                self.give_up(op, diagnosis);
            }
        }
    }

    /// The HTTP request `id` got no answer (DNS, TCP, TLS, timeout). It is retried after a backoff.
    pub fn handle_request_failed(&mut self, now: Instant, id: RequestId, transport: Transport) {
        if self.stop.is_some() {
            return;
        }
        let Some(index) = self.request_index(id) else {
            return;
        };
        let Some(pending) = self.requests.get(index).copied() else {
            return;
        };
        self.count_transport_failure();
        let step = Step::Request(pending.op.operation());
        self.report_diagnosis(Diagnosis::from_transport(&self.context(), step, transport));
        let delay = self.backoff.next_delay(&mut self.rng);
        self.set_attempt(index, Attempt::Waiting { until: now + delay });
    }

    /// The socket `socket` completed its handshake.
    pub fn handle_socket_open(&mut self, now: Instant, socket: SocketId) {
        if self.stop.is_some() {
            return;
        }
        let Some(slot) = self.slot_of(socket) else {
            return;
        };
        if !matches!(self.link(slot).phase, Phase::Connecting { .. }) {
            return;
        }
        self.transport_failures = 0;
        self.link_mut(slot).phase = Phase::Open {
            socket,
            last_frame: now,
            ping: Ping::Quiet,
        };
        if slot != self.primary {
            // Make before break: the replacement is connected, so the old socket may go, after
            // a short overlap for events already on their way to it.
            let old = self.primary;
            match self.link(old).phase {
                Phase::Open { socket, .. } => {
                    self.cancel_requests_of(old);
                    self.link_mut(old).phase = Phase::Draining {
                        socket,
                        close_at: now + self.config.rollover_overlap,
                    };
                }
                _ => self.free(old),
            }
            self.primary = slot;
            if !self.gap {
                self.stats.rollovers = self.stats.rollovers.saturating_add(1);
            }
        }
        if self.gap {
            self.gap = false;
            self.stats.reconnects = self.stats.reconnects.saturating_add(1);
        }
        self.start_resync();
        self.subscribe_if_members_changed(slot);
    }

    /// A text frame arrived on `socket`. The event is applied to the agents and returned, so
    /// the application can use it too; copies from a rollover's second socket are suppressed.
    pub fn handle_socket_frame<'b>(
        &mut self,
        now: Instant,
        socket: SocketId,
        text: &'b [u8],
    ) -> Inbound<'b> {
        if self.stop.is_some() {
            return Inbound::Suppressed(Suppressed::Stopped);
        }
        let Some(slot) = self.slot_of(socket) else {
            return Inbound::Suppressed(Suppressed::UnknownSocket);
        };
        match &mut self.link_mut(slot).phase {
            Phase::Open {
                last_frame, ping, ..
            } => {
                *last_frame = now;
                *ping = Ping::Quiet;
            }
            Phase::Draining { .. } => {}
            _ => return Inbound::Suppressed(Suppressed::UnknownSocket),
        }
        let event = match event::parse(text) {
            Ok(event) => event,
            Err(EventError::TooLarge { len }) => {
                self.frame_too_large(len);
                return Inbound::Invalid(EventError::TooLarge { len });
            }
            Err(error) => {
                self.stats.invalid_frames = self.stats.invalid_frames.saturating_add(1);
                self.report(SessionEvent::Notice(Notice::InvalidFrame(error)));
                return Inbound::Invalid(error);
            }
        };
        match &event {
            Event::Heartbeat => {
                // A heartbeat proves the whole path works: failures are behind us.
                self.last_heartbeat = Some(now);
                self.backoff.reset();
            }
            Event::Pong => {}
            Event::SocketClosing => {
                if slot == self.primary {
                    self.start_rollover();
                }
            }
            Event::System { kind, .. } => match kind {
                // A draining socket is about to go anyway; only the stream's own counts.
                SystemKind::NoLongerSubscribed if slot == self.primary => {
                    self.subscriptions_lost(slot, event.envelope());
                }
                SystemKind::TokenRevoked => self.token.want(TokenReason::Revoked),
                _ => {}
            },
            Event::Reply(reply) => {
                let ctx = self.context();
                if let Some(diagnosis) = Diagnosis::from_socket_reply(&ctx, reply.result, reply.raw)
                {
                    self.report_diagnosis(diagnosis);
                }
            }
            _ => {
                if self.duplicates.is_copy(now, socket, event.fingerprint()) {
                    self.stats.duplicates = self.stats.duplicates.saturating_add(1);
                    return Inbound::Suppressed(Suppressed::Duplicate);
                }
                for tracked in self.agents.iter_mut() {
                    tracked.agent.handle_event(&event);
                }
            }
        }
        Inbound::Deliver(event)
    }

    /// The driver dropped a frame of `len` bytes on `socket` because it did not fit its buffer.
    /// An event was lost: the agents are marked stale and re-read.
    pub fn handle_socket_frame_too_large(&mut self, now: Instant, socket: SocketId, len: usize) {
        if self.stop.is_some() {
            return;
        }
        let Some(slot) = self.slot_of(socket) else {
            return;
        };
        if let Phase::Open {
            last_frame, ping, ..
        } = &mut self.link_mut(slot).phase
        {
            *last_frame = now;
            *ping = Ping::Quiet;
        }
        self.frame_too_large(len);
    }

    /// The socket `socket` closed, or never opened.
    pub fn handle_socket_closed(&mut self, now: Instant, socket: SocketId, close: CloseInfo) {
        if self.stop.is_some() {
            return;
        }
        let Some(slot) = self.slot_of(socket) else {
            return;
        };
        if matches!(close, CloseInfo::Transport(_)) {
            self.count_transport_failure();
        }
        // The socket is gone: forget it (keeping the channel) so nothing closes it again.
        let phase = self.link(slot).phase;
        self.link_mut(slot).phase = Phase::Idle;
        match phase {
            Phase::Connecting { .. } => {
                // Is it the network, or is the channel gone? `HEAD` tells.
                match close {
                    CloseInfo::Refused { status } => {
                        let ctx = self.context();
                        self.report_diagnosis(Diagnosis::from_socket_handshake(&ctx, status));
                    }
                    _ => self.report(SessionEvent::Notice(Notice::SocketFailed(close))),
                }
                self.link_mut(slot).phase = Phase::Checking;
                self.set_link_op(slot, Op::CheckChannel(slot));
            }
            Phase::Open { .. } => {
                self.report(SessionEvent::Notice(Notice::SocketClosed(close)));
                self.stream_lost(slot, now);
            }
            _ => self.free(slot),
        }
    }

    // ----------------------------------------------------------------------------------------
    // Outputs
    // ----------------------------------------------------------------------------------------

    /// The next transmit that needs no bytes — a socket to close, a token to fetch — if one
    /// is due. Everything else stays queued for [`Session::poll_transmit`], and nothing is
    /// reported as a too-small buffer.
    ///
    /// For a driver whose buffers are all in use (an embedded driver waiting for its only free
    /// connection): it can still close the socket whose close frees a connection, and note that
    /// a token is wanted, without a buffer to lend. [`Session::poll_transmit`] hands these out
    /// first too.
    #[must_use = "the session only acts through what the driver does with this"]
    pub fn poll_unbuffered_transmit(&mut self, now: Instant) -> Option<Transmit<'static>> {
        if let Some(socket) = self.closes.pop_front() {
            return Some(Transmit::Close { socket });
        }
        if self.stop.is_some() {
            return None;
        }
        let reason = self.token.take_wanted(now)?;
        if self.config.token_kind == TokenKind::Static && self.token.generation() > 0 {
            // A fixed token cannot be renewed: once it is refused or revoked, asking the driver
            // again would only hand back the same token. Stop, in every driver alike.
            self.stop_with(StopReason::TokenUnavailable, Health::AuthFailed);
            return self
                .closes
                .pop_front()
                .map(|socket| Transmit::Close { socket });
        }
        Some(Transmit::FetchToken { reason })
    }

    /// The next thing the driver must do, written into `buf` where it needs bytes; `None` when
    /// there is nothing to do now.
    ///
    /// If `buf` is too small for a transmit, that transmit is kept for the next call and a
    /// [`SessionEvent::BufferTooSmall`] says how much is needed; other transmits still go out.
    #[must_use = "the session only acts through what the driver does with this"]
    pub fn poll_transmit<'b>(&mut self, now: Instant, buf: &'b mut [u8]) -> Option<Transmit<'b>> {
        if let Some(transmit) = self.poll_unbuffered_transmit(now) {
            return Some(transmit);
        }
        if self.stop.is_some() {
            return None;
        }
        self.schedule_resync_reads();
        let mut candidates: heapless::Vec<Candidate, { 2 + MAX_REQUESTS }> = heapless::Vec::new();
        // Capacity: one socket action per slot, one entry per request; pushes cannot fail.
        for slot in [self.primary, self.primary.other()] {
            match self.link(slot).phase {
                Phase::Connecting {
                    socket,
                    since: None,
                } => {
                    let _ = candidates.push(Candidate::Connect { slot, socket });
                }
                Phase::Open {
                    socket,
                    ping: Ping::Wanted { .. },
                    ..
                } => {
                    let _ = candidates.push(Candidate::Ping { slot, socket });
                }
                _ => {}
            }
        }
        if self.token.usable(now) {
            for (index, pending) in self.requests.iter().enumerate() {
                if pending.attempt == Attempt::Ready {
                    let op = pending.op;
                    let _ = candidates.push(Candidate::Request { index, op });
                }
            }
        }
        // Encode each candidate once to learn whether it fits, and again (after recording that
        // it went out) to hand back the borrow: the second run cannot fail.
        let id = RequestId::from_raw(self.next_id);
        for candidate in candidates {
            match self.encode(candidate, id, &mut *buf).map(|_| ()) {
                Ok(()) => {
                    self.commit(candidate, id, now);
                    return self.encode(candidate, id, buf).ok();
                }
                Err(too_small) => self.buffer_too_small = Some(too_small),
            }
        }
        None
    }

    /// The next thing the application should know; `None` when there is nothing new.
    #[must_use = "the session only acts through what the driver does with this"]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        let health = self.health();
        let stopping = matches!(self.reports.front(), Some(SessionEvent::Stopped(_)));
        if stopping && self.reported_health != Some(health) {
            // The health a stop leaves behind comes before the stop itself.
            self.reported_health = Some(health);
            return Some(SessionEvent::Health(health));
        }
        if let Some(report) = self.reports.pop_front() {
            return Some(report);
        }
        if let Some(too_small) = self.buffer_too_small.take() {
            return Some(SessionEvent::BufferTooSmall(too_small));
        }
        if self.reported_health != Some(health) {
            self.reported_health = Some(health);
            return Some(SessionEvent::Health(health));
        }
        let connection = self.connection();
        if self.reported_connection.as_ref() != Some(&connection) {
            self.reported_connection = Some(connection.clone());
            return Some(SessionEvent::Connection(connection));
        }
        for (index, tracked) in self.agents.iter_mut().enumerate() {
            let now = (tracked.agent.activity(), tracked.agent.is_stale());
            if tracked.reported != Some(now) {
                tracked.reported = Some(now);
                return Some(SessionEvent::AgentChanged {
                    agent: index,
                    activity: now.0,
                    stale: now.1,
                });
            }
        }
        None
    }

    /// When [`Session::handle_timeout`] should be called next; `None` if only the network can
    /// move the session forward (or it has stopped).
    #[must_use = "the session only acts through what the driver does with this"]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stop.is_some() {
            return None;
        }
        let mut next = self.token.poll_timeout();
        for pending in &self.requests {
            let deadline = match pending.attempt {
                Attempt::Waiting { until } => Some(until),
                Attempt::Sent { since, .. } => Some(since + ANSWER_TIMEOUT),
                Attempt::Ready => None,
            };
            next = earliest(next, deadline);
        }
        for slot in Slot::BOTH {
            next = earliest(next, self.link_deadline(slot));
        }
        next
    }

    // ----------------------------------------------------------------------------------------
    // Queries
    // ----------------------------------------------------------------------------------------

    /// The agent at `index` (in the order given to [`Session::new`]).
    pub fn agent(&self, index: usize) -> Option<&Agent> {
        self.agents.get(index).map(|t| &t.agent)
    }

    /// How many agents the session tracks.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// The connection health the light shows now.
    pub fn health(&self) -> Health {
        if let Some(stop) = &self.stop {
            return stop.health;
        }
        if self.transport_failures >= self.config.unreachable_after {
            return Health::Unreachable;
        }
        let any_stale = self.agents.iter().any(|t| !t.joining && t.agent.is_stale());
        if self.link(self.primary).is_open() && self.been_live && !any_stale {
            Health::Live
        } else if self.been_live {
            Health::Stale
        } else {
            Health::Connecting
        }
    }

    /// The channel carrying the stream, its expiry and liveness.
    pub fn connection(&self) -> ConnectionInfo {
        let channel = self.link(self.primary).channel.as_ref();
        let mut channel_id = heapless::String::new();
        if let Some(channel) = channel {
            // A checked id is at most CHANNEL_ID_CAPACITY bytes, so this always fits.
            let _ = channel_id.push_str(channel.id());
        }
        ConnectionInfo {
            channel_id,
            expires: channel.map(|c| c.created_at + CHANNEL_LIFETIME),
            live: self.health() == Health::Live,
            reconnects: self.stats.reconnects,
            last_heartbeat: self.last_heartbeat,
        }
    }

    /// Counters since the session started.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether the session has stopped for good.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_some()
    }

    // ----------------------------------------------------------------------------------------
    // Health, diagnoses, stopping
    // ----------------------------------------------------------------------------------------

    fn count_transport_failure(&mut self) {
        self.transport_failures = self.transport_failures.saturating_add(1);
    }

    /// What a diagnosis needs to know besides the reply.
    fn context(&self) -> Context<'_> {
        Context {
            environment: &self.config.environment,
            token: self.config.token_kind.source(),
            reissued: self.token.answers_a_401,
        }
    }

    fn report_diagnosis(&mut self, diagnosis: Diagnosis) {
        self.report(SessionEvent::Diagnosis(diagnosis));
    }

    /// Queues a diagnosis or notice for `poll_event`, dropping the oldest if nobody polled.
    fn report(&mut self, event: SessionEvent) {
        if self.reports.is_full() {
            self.reports.pop_front();
            self.stats.reports_dropped = self.stats.reports_dropped.saturating_add(1);
        }
        let _ = self.reports.push_back(event);
    }

    /// Stops for good: closes every socket, forgets every call, reports `diagnosis`.
    fn stop_with(&mut self, reason: StopReason, health: Health) {
        if self.stop.is_some() {
            return;
        }
        for slot in Slot::BOTH {
            self.free(slot);
        }
        self.requests.clear();
        self.token.fetch = Fetch::Idle;
        self.stop = Some(Stop { health });
        self.report(SessionEvent::Stopped(reason));
    }
}

/// The earlier of two optional instants.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `v2.users.{id}?conversations&presence&routingStatus`: one agent's topics, packed.
fn agent_topic(user_id: &str) -> Option<TopicBuf> {
    let mut plain: heapless::Vec<TopicBuf, { AGENT_TOPICS.len() }> = heapless::Vec::new();
    for kind in AGENT_TOPICS {
        plain.push(TopicBuf::user(user_id, kind).ok()?).ok()?;
    }
    let mut packed: heapless::Vec<TopicBuf, 1> = heapless::Vec::new();
    topic::pack(&plain, &mut packed).ok()?;
    packed.pop()
}
