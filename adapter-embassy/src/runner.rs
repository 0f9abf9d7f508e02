//! The runner: one loop driving the core [`Session`] over the network.
//!
//! It contains no protocol rule. Three futures run side by side inside [`Runner::run`]:
//!
//! - the **driver** follows the session's contract: drain `poll_transmit` (fetching tokens and
//!   performing REST requests itself, handing socket work to the socket slots), drain
//!   `poll_event` into the [`ClientState`], then wait for the earliest of `poll_timeout`, a
//!   wake-up from a socket slot, or an application [`Command`];
//! - two **socket slots** each own one notification socket (two, because a channel rollover
//!   connects the new socket before the old one closes). A slot connects when told, then
//!   selects over the socket's next message and the driver's commands (send, close), handing
//!   every frame straight to the session and waking the driver to drain what that caused.
//!
//! REST requests run one at a time, inside the driver, on a connection opened for the request:
//! the session issues a handful per (re)connection, and a TLS context is worth more on a device
//! than the handshake keep-alive would save. While one runs the sockets keep reading, but the
//! session's timers wait for it (at most the connect, TLS and exchange timeouts together).
//!
//! The sockets and the REST calls share [`CONNECTIONS`] connections, leased from a pool. Only
//! during a rollover's overlap do both sockets hold one, and then a REST call (the resync after
//! the new socket opened) waits for the old socket to close. The driver keeps serving the
//! session while it waits: its timers run, and the transmits that need no bytes (the old
//! socket's close, which is what frees a connection; a token request, remembered for later)
//! still go out, while the session keeps the others until the call is done.

use core::cell::{Cell, RefCell};
use core::fmt::Write as _;

use embassy_futures::select::{Either, Either3, select, select3};
use embassy_sync::blocking_mutex::raw::{NoopRawMutex, RawMutex};
use embassy_sync::channel::Channel;
use embassy_sync::mutex::Mutex;
use embassy_sync::signal::Signal;
use embassy_time::with_timeout;
use embedded_io_async::{Read, Write};
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::region::{ConnectUri, Environment, Origin, Service};
use genesys_notify_core::request::{self, Auth, ResponseError};
use genesys_notify_core::secret::Secret;
use genesys_notify_core::session::{
    CloseInfo, Config, ConfigError, Session, SessionEvent, SocketId, StopReason, TokenFailure,
    TokenKind, Transmit, read_token_reply,
};
use genesys_notify_core::{Duration, Instant};
use heapless::{String, Vec};
use rand_core::{CryptoRng, RngCore};

use crate::client::{ClientState, Command};
use crate::fmt::report;
use crate::http::{self, HttpError};
use crate::net::{Duplex, Network, Split};
use crate::pool::{Connection, ConnectionBuffers, Lease, Pool};
use crate::tls::{self, TlsBuffers, TlsError, TrustAnchors, UnixTime};
use crate::ws::{self, Message, WsError, WsReader};

/// The agents a runner follows: one. [`Status`](crate::Status) shows one activity and a desk
/// light shows one person; a floor of agents is a gateway's job, not a device's.
const AGENTS: usize = 1;

/// Notification sockets open at once: a rollover connects the new one before closing the old.
pub const SOCKET_SLOTS: usize = 2;

pub use crate::pool::{CONNECTIONS, PAYLOAD_BUFFER_LEN};

/// The largest notification message kept with the default buffers: a connection's whole
/// payload buffer (the reasons are [`PAYLOAD_BUFFER_LEN`]'s).
pub const WS_MESSAGE_BUFFER_LEN: usize = PAYLOAD_BUFFER_LEN;

/// Response heads, at the start of a connection's payload buffer: Genesys sends about 1.5 KB of
/// headers; the chunked decoder works in here too.
pub const HTTP_HEAD_BUFFER_LEN: usize = 3 * 1024;

/// The smallest REST body a payload buffer must leave room for after the head: a token answer
/// and a user with presence, routing status and conversation summary are each about 2 KB.
pub const MIN_HTTP_BODY_BUFFER_LEN: usize = 4 * 1024;

/// The largest REST body read with the default buffers, the rest of the payload buffer
/// (9 KiB): a user with presence, routing status and conversation summary is about 2 KB, a
/// token answer under 2 KB, the active conversations of one agent a few KB each. A larger body
/// fails that read (reported as a transport failure); the session retries it with back-off.
pub const HTTP_BODY_BUFFER_LEN: usize = PAYLOAD_BUFFER_LEN - HTTP_HEAD_BUFFER_LEN;

/// The session's transmit buffer: 2 KiB holds every request for one agent (the session's docs).
pub const TRANSMIT_BUFFER_LEN: usize = 2 * 1024;

/// Longest access token kept: Genesys tokens are opaque strings of about a hundred characters;
/// five times that leaves room to spare without costing the task's memory kilobytes.
pub const MAX_ACCESS_TOKEN_LEN: usize = 512;

/// Room for an `Authorization` header value: `Bearer ` and the longest token, or `Basic ` and
/// base64 of a client id and secret.
const AUTHORIZATION_BUFFER_LEN: usize = MAX_ACCESS_TOKEN_LEN + 16;

/// Room for the token request (path and form body).
const TOKEN_REQUEST_BUFFER_LEN: usize = 256;

/// The longest frame the session sends on a socket: `{"message":"ping"}` (18 bytes) is the
/// only one today; a subscribe frame for one agent's combined topic (about 175 bytes) fits too.
const MAX_SOCKET_SEND_LEN: usize = 256;

/// Commands waiting for one socket slot: a send and a close at most (a slot takes each at once;
/// a connect is only sent to an idle slot). Each holds a URI or a frame, a quarter kilobyte.
const SLOT_QUEUE_LEN: usize = 2;

/// `Host` header: a host name (at most 253 characters) and `:port`.
const MAX_HOST_HEADER_LEN: usize = 260;

/// The part of a socket's message buffer lent to the WebSocket handshake's response head.
const WS_HANDSHAKE_HEAD_LEN: usize = 1_024;

/// How long closing the sockets may take when the runner ends.
const CLOSE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(2);

/// DNS and TCP connect, together.
const CONNECT_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(10);

/// The TLS handshake, generously: every signature is checked in software on the device's core.
const TLS_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(15);

/// One REST exchange or WebSocket upgrade, after the connection is up.
const EXCHANGE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(15);

/// How long one WebSocket frame (text, pong, close) may take to leave. A server that stops
/// reading fills the TCP window and the write waits; while it waits the socket's reads wait too,
/// so without this bound one stalled peer would wedge the slot. Frames are small: ten seconds
/// means the peer is gone, and the socket is closed as a timeout (the session reconnects).
const WRITE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(10);

/// How long a socket waits for a connection: a REST call gives its one back within its connect,
/// TLS and exchange timeouts.
const LEASE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(45);

/// How the runner gets its access tokens.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// An OAuth client (client-credentials grant): tokens are fetched and refreshed by the runner.
    ClientCredentials {
        /// The OAuth client id.
        client_id: &'a str,
        /// The OAuth client secret.
        client_secret: Secret<&'a str>,
    },
    /// A fixed bearer token of the first agent (a user token obtained elsewhere). When Genesys
    /// refuses it the session stops and asks for a new one.
    Static(Secret<&'a str>),
}

impl Credentials<'_> {
    fn token_kind(&self) -> TokenKind {
        match self {
            Credentials::ClientCredentials { .. } => TokenKind::ClientCredentials,
            Credentials::Static(_) => TokenKind::Static,
        }
    }
}

/// The wall clock, read only for certificate validity (SNTP on a device).
pub trait WallClock {
    /// Now, or `None` while the clock is not set: no TLS connection is attempted then.
    fn now(&self) -> Option<UnixTime>;
}

/// How [`Runner::run`] ended.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "returned once, at the end; there is no allocator to box the diagnosis into"
)]
pub enum Exit {
    /// The session stopped for good; the reason says what to change.
    Stopped(StopReason),
    /// The application sent [`Command::Shutdown`].
    Shutdown,
}

/// Every buffer the runner uses, in one place so that a device can put it in a `static`:
/// [`CONNECTIONS`] connections (TCP, TLS records, and a payload buffer of `PAYLOAD` bytes) and
/// the session's transmit buffer.
///
/// `PAYLOAD` is a connection's payload buffer: a socket's largest message, or a REST response's
/// head ([`HTTP_HEAD_BUFFER_LEN`]) and body. The default, [`PAYLOAD_BUFFER_LEN`] (12 KiB), holds
/// twice the largest conversation event captured; a device short of RAM chooses less, at least
/// [`HTTP_HEAD_BUFFER_LEN`] + [`MIN_HTTP_BODY_BUFFER_LEN`] (7 KiB), checked when it compiles:
///
/// ```
/// use genesys_notify_embassy::Buffers;
/// use genesys_notify_embassy::runner::{CONNECTIONS, PAYLOAD_BUFFER_LEN};
///
/// // The default: 12 KiB payload buffers.
/// let buffers = Box::new(Buffers::new());
/// assert_eq!(size_of_val(&*buffers), Buffers::SIZE);
///
/// // What the ESP32-C3 desk light uses: 8 KiB messages, 5 KiB REST bodies.
/// type DeviceBuffers = Buffers<{ 8 * 1024 }>;
/// let device = Box::new(DeviceBuffers::with_payload_len());
/// let saved = CONNECTIONS * (PAYLOAD_BUFFER_LEN - 8 * 1024);
/// assert_eq!(size_of_val(&*device), Buffers::SIZE - saved);
/// ```
///
/// Too small a payload buffer does not compile:
///
/// ```compile_fail
/// let buffers = genesys_notify_embassy::Buffers::<{ 4 * 1024 }>::with_payload_len();
/// ```
///
/// A message larger than the payload buffer is drained and counted, and the agent's state
/// re-read by REST; a REST body larger than its share fails that read (a transport failure,
/// retried with back-off).
pub struct Buffers<const PAYLOAD: usize = PAYLOAD_BUFFER_LEN> {
    connections: [ConnectionBuffers<PAYLOAD>; CONNECTIONS],
    transmit: [u8; TRANSMIT_BUFFER_LEN],
}

impl Buffers {
    /// Zeroed buffers with the default payload buffers (66.5 KiB); see [`Buffers::SIZE`]. For
    /// another payload size, [`Buffers::with_payload_len`].
    pub const fn new() -> Self {
        Self::with_payload_len()
    }

    /// The size of the default buffers, in bytes (`size_of` gives any other's).
    pub const SIZE: usize = core::mem::size_of::<Self>();
}

impl<const PAYLOAD: usize> Buffers<PAYLOAD> {
    /// Zeroed buffers whose connections have payload buffers of `PAYLOAD` bytes.
    pub const fn with_payload_len() -> Self {
        const {
            assert!(
                PAYLOAD >= HTTP_HEAD_BUFFER_LEN + MIN_HTTP_BODY_BUFFER_LEN,
                "the payload buffer must hold a response head and a small REST body"
            )
        };
        Self {
            connections: [const { ConnectionBuffers::new() }; CONNECTIONS],
            transmit: [0; TRANSMIT_BUFFER_LEN],
        }
    }

    fn borrow(&mut self) -> BorrowedBuffers<'_> {
        BorrowedBuffers {
            connections: self.connections.each_mut().map(ConnectionBuffers::borrow),
            transmit: &mut self.transmit,
        }
    }
}

impl<const PAYLOAD: usize> Default for Buffers<PAYLOAD> {
    fn default() -> Self {
        Self::with_payload_len()
    }
}

/// [`Buffers`] with the payload size erased, as the runner keeps them.
struct BorrowedBuffers<'b> {
    connections: [Connection<'b>; CONNECTIONS],
    transmit: &'b mut [u8],
}

/// What a [`Runner`] is for: the org's environment, how it signs in, whom it trusts, and the
/// agent it follows.
#[derive(Clone)]
pub struct Settings<'a> {
    /// The org's region (or a simulated cloud on loopback).
    pub environment: Environment,
    /// How the runner gets tokens.
    pub credentials: Credentials<'a>,
    /// The roots the servers' certificate chains must end at.
    pub trust: TrustAnchors<'a>,
    /// The Genesys user id of the agent whose activity [`Status`](crate::Status) shows.
    pub agent: &'a str,
}

/// What a [`Runner`] runs on, all owned by the application: the network, the wall clock for
/// certificate checks, a cryptographic RNG (the hardware RNG: it makes TLS keys and WebSocket
/// keys and masks), the state its [`Client`](crate::Client)s read, and its buffers.
pub struct Resources<'a, N, C, R, M: RawMutex, const PAYLOAD: usize> {
    /// DNS and TCP: [`EmbassyNetwork`](crate::EmbassyNetwork) on a device.
    pub network: N,
    /// The wall clock (SNTP on a device).
    pub clock: C,
    /// A cryptographic RNG.
    pub rng: R,
    /// Where the runner publishes its status; place it in a `static`.
    pub client: &'a ClientState<M>,
    /// Every byte the runner uses for sockets, TLS and REST; place it in a `static`.
    pub buffers: &'a mut Buffers<PAYLOAD>,
}

/// Drives one [`Session`] over a [`Network`]; see the module docs.
pub struct Runner<'a, N, R, C, M>
where
    M: RawMutex,
{
    network: N,
    environment: Environment,
    credentials: Credentials<'a>,
    trust: TrustAnchors<'a>,
    clock: C,
    rng: RefCell<R>,
    session: RefCell<Session<AGENTS>>,
    client: &'a ClientState<M>,
    buffers: BorrowedBuffers<'a>,
    token: Option<Secret<String<MAX_ACCESS_TOKEN_LEN>>>,
}

/// What the driver tells a socket slot.
#[allow(
    clippy::large_enum_variant,
    reason = "the queue is a fixed array of commands either way; boxing needs an allocator"
)]
enum SlotCommand {
    Connect(
        SocketId,
        String<{ genesys_notify_core::session::MAX_CONNECT_URI_LEN }>,
    ),
    Send(SocketId, Vec<u8, MAX_SOCKET_SEND_LEN>),
    Close(SocketId),
}

struct Slot {
    commands: Channel<NoopRawMutex, SlotCommand, SLOT_QUEUE_LEN>,
    socket: Cell<Option<SocketId>>,
}

impl Slot {
    const fn new() -> Self {
        Self {
            commands: Channel::new(),
            socket: Cell::new(None),
        }
    }
}

/// What the driver and the socket slots share while [`Runner::run`] runs.
///
/// Everything runs on one executor, and no `RefCell` borrow is ever held across an `.await`:
/// every `handle_*`/`poll_*` call goes through [`Shared::with_session`], which lends the
/// session to a closure for that call alone.
struct Shared<'r, R> {
    session: &'r RefCell<Session<AGENTS>>,
    rng: &'r RefCell<R>,
    wake: Signal<NoopRawMutex, ()>,
    slots: [Slot; SOCKET_SLOTS],
    tls_failure: Cell<Option<TlsError>>,
}

impl<R> Shared<'_, R> {
    /// Runs `f` with the session borrowed for that call alone. Every access goes through here:
    /// a closure cannot `.await`, so no borrow can be held across one, and two never meet.
    fn with_session<T>(&self, f: impl FnOnce(&mut Session<AGENTS>) -> T) -> T {
        f(&mut self.session.borrow_mut())
    }
}

/// The runner's RNG, borrowed one call at a time so that every connection can use it.
struct SharedRng<'r, R>(&'r RefCell<R>);

impl<R: RngCore> RngCore for SharedRng<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.borrow_mut().next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.borrow_mut().next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.borrow_mut().fill_bytes(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.borrow_mut().try_fill_bytes(dest)
    }
}

impl<R: CryptoRng> CryptoRng for SharedRng<'_, R> {}

fn now() -> Instant {
    Instant::from_millis(embassy_time::Instant::now().as_millis())
}

impl<'a, N, R, C, M> Runner<'a, N, R, C, M>
where
    N: Network,
    R: RngCore + CryptoRng,
    C: WallClock,
    M: RawMutex,
{
    /// A runner for `settings`, on `resources`, as `embassy_net::new` takes a configuration and
    /// the resources it runs on.
    ///
    /// `configure` adjusts the session's [`Config`] (timings, seed, extra topics); the token
    /// kind follows from the credentials.
    pub fn new<const PAYLOAD: usize>(
        settings: Settings<'a>,
        resources: Resources<'a, N, C, R, M, PAYLOAD>,
        configure: impl FnOnce(Config) -> Config,
    ) -> Result<Self, ConfigError> {
        let Settings {
            environment,
            credentials,
            trust,
            agent,
        } = settings;
        let Resources {
            network,
            clock,
            rng,
            client,
            buffers,
        } = resources;
        let config = configure(Config::new(environment.clone(), credentials.token_kind()));
        let session = Session::new(config, &[agent])?;
        Ok(Self {
            network,
            environment,
            credentials,
            trust,
            clock,
            rng: RefCell::new(rng),
            session: RefCell::new(session),
            client,
            buffers: buffers.borrow(),
            token: None,
        })
    }

    /// Runs the session until it stops for good or the application asks to shut down, then
    /// closes the sockets (waiting briefly for their close frames) and returns. Call it once: a
    /// stopped session does not start again; make a new runner with new credentials instead.
    pub async fn run(&mut self) -> Exit {
        let Self {
            network,
            environment,
            credentials,
            trust,
            clock,
            rng,
            session,
            client,
            buffers,
            token,
        } = self;
        let BorrowedBuffers {
            connections,
            transmit,
        } = buffers;
        let pool = Pool::new(connections);
        let shared = Shared {
            session,
            rng,
            wake: Signal::new(),
            slots: [Slot::new(), Slot::new()],
            tls_failure: Cell::new(None),
        };
        let link = Link {
            network,
            environment,
            trust: *trust,
            clock,
        };
        let [slot_a, slot_b] = &shared.slots;
        let mut driver = Driver {
            shared: &shared,
            link: &link,
            pool: &pool,
            credentials: *credentials,
            client,
            token,
            token_wanted: false,
            stopped: None,
        };
        match select3(
            driver.run(transmit),
            serve_slot(&shared, &link, &pool, slot_a),
            serve_slot(&shared, &link, &pool, slot_b),
        )
        .await
        {
            Either3::First(exit) => exit,
            // The slots loop forever; only the driver returns.
            Either3::Second(never) | Either3::Third(never) => match never {},
        }
    }
}

/// How to reach the environment's hosts: network, trust, clock.
struct Link<'l, N, C> {
    network: &'l N,
    environment: &'l Environment,
    trust: TrustAnchors<'l>,
    clock: &'l C,
}

impl<N: Network, C: WallClock> Link<'_, N, C> {
    fn wall_time(&self) -> Result<UnixTime, TlsError> {
        self.clock.now().ok_or(TlsError::ClockUnknown)
    }
}

struct Driver<'d, 'c, 'a, R, N, C, M: RawMutex> {
    shared: &'d Shared<'d, R>,
    link: &'d Link<'d, N, C>,
    pool: &'d Pool<'c>,
    credentials: Credentials<'a>,
    client: &'d ClientState<M>,
    token: &'d mut Option<Secret<String<MAX_ACCESS_TOKEN_LEN>>>,
    /// The session asked for a token while a REST call waited for a connection.
    token_wanted: bool,
    /// The session stopped while a REST call waited for a connection.
    stopped: Option<StopReason>,
}

impl<'d, 'c, R, N, C, M> Driver<'d, 'c, '_, R, N, C, M>
where
    R: RngCore + CryptoRng,
    N: Network,
    C: WallClock,
    M: RawMutex,
{
    async fn run(&mut self, transmit: &mut [u8]) -> Exit {
        loop {
            // 1. Everything the session wants done now.
            loop {
                if core::mem::take(&mut self.token_wanted) && self.stopped.is_none() {
                    self.fetch_token().await;
                }
                // Once stopped, the session hands out only the closes of its sockets.
                let at = now();
                let buf = &mut *transmit;
                let Some(next) = self.shared.with_session(|s| s.poll_transmit(at, buf)) else {
                    break;
                };
                match next {
                    Transmit::FetchToken { .. } => self.fetch_token().await,
                    Transmit::Http { id, request } => {
                        let Some(mut lease) = self.lease().await else {
                            continue;
                        };
                        let outcome = self.rest(lease.connection(), &request).await;
                        self.shared.with_session(|session| match outcome {
                            Ok(response) => session.handle_response(
                                now(),
                                id,
                                response.status,
                                response.retry_after,
                                response.body,
                            ),
                            Err(transport) => session.handle_request_failed(now(), id, transport),
                        });
                    }
                    other => self.socket_work(other),
                }
            }
            // 2. Everything the application should know.
            self.publish_events();
            if let Some(reason) = self.stopped.take() {
                // The session has already asked for every socket to close; let the slots do it.
                self.wait_for_slots().await;
                return Exit::Stopped(reason);
            }
            // 3. Sleep until the next deadline, a socket's news, or a command.
            let timer = self.session_timer();
            match select3(timer, self.shared.wake.wait(), self.client.command()).await {
                Either3::First(()) => self.shared.with_session(|s| s.handle_timeout(now())),
                Either3::Second(()) => {}
                Either3::Third(Command::Shutdown) => {
                    for slot in &self.shared.slots {
                        if let Some(socket) = slot.socket.get() {
                            let _ = slot.commands.try_send(SlotCommand::Close(socket));
                        }
                    }
                    self.wait_for_slots().await;
                    self.client.update(|status| status.stopped = true);
                    return Exit::Shutdown;
                }
            }
        }
    }

    /// Hands a socket's transmit to its slot.
    fn socket_work(&self, transmit: Transmit<'_>) {
        match transmit {
            Transmit::Connect { socket, uri } => self.connect(socket, uri),
            Transmit::Send { socket, text } => match Vec::from_slice(text) {
                Ok(text) => self.tell(socket, SlotCommand::Send(socket, text)),
                // Larger than any frame the session sends today: drop the socket rather than a
                // frame, so the session notices and reconnects.
                Err(_) => self.tell(socket, SlotCommand::Close(socket)),
            },
            Transmit::Close { socket } => self.tell(socket, SlotCommand::Close(socket)),
            _ => {}
        }
    }

    /// Sleeps until the session's next deadline.
    fn session_timer(&self) -> impl Future<Output = ()> + use<R, N, C, M> {
        let deadline = self.shared.session.borrow().poll_timeout();
        async move {
            match deadline {
                Some(at) => {
                    embassy_time::Timer::at(embassy_time::Instant::from_millis(at.as_millis()))
                        .await;
                }
                None => core::future::pending().await,
            }
        }
    }

    /// A connection for a REST call; `None` if the session stopped meanwhile.
    ///
    /// When none is free (a rollover's overlap), waits while serving the session (the module
    /// docs say why): an empty buffer lets only the transmits that need no bytes out of
    /// [`Session::poll_transmit`], and the session keeps the others for later.
    async fn lease(&mut self) -> Option<Lease<'d, 'c>> {
        loop {
            if let Some(lease) = self.pool.try_lease() {
                return Some(lease);
            }
            // What needs no buffer still goes out: the old socket's close (which frees a
            // connection), and a token request, remembered for when a connection is free.
            while let Some(next) = self
                .shared
                .with_session(|s| s.poll_unbuffered_transmit(now()))
            {
                match next {
                    Transmit::FetchToken { .. } => self.token_wanted = true,
                    other => self.socket_work(other),
                }
            }
            self.publish_events();
            if self.stopped.is_some() {
                return None;
            }
            let timer = self.session_timer();
            match select3(timer, self.shared.wake.wait(), self.pool.freed()).await {
                Either3::First(()) => self.shared.with_session(|s| s.handle_timeout(now())),
                Either3::Second(()) | Either3::Third(()) => {}
            }
        }
    }

    /// Waits (a bounded time) until every socket slot has finished, so that close frames go out
    /// before [`Runner::run`] returns and drops the slots.
    async fn wait_for_slots(&self) {
        let all_idle = async {
            while self
                .shared
                .slots
                .iter()
                .any(|slot| slot.socket.get().is_some())
            {
                self.shared.wake.wait().await;
            }
        };
        let _ = with_timeout(CLOSE_TIMEOUT, all_idle).await;
    }

    /// Drains the session's events into the client state; keeps the stop reason if it stopped.
    fn publish_events(&mut self) {
        let tls_failure = self.shared.tls_failure.get();
        self.client.update(|status| {
            if tls_failure.is_some() {
                status.last_tls_error = tls_failure;
            }
        });
        loop {
            let Some(event) = self.shared.with_session(Session::poll_event) else {
                return;
            };
            match event {
                SessionEvent::AgentChanged {
                    agent: 0,
                    activity,
                    stale,
                } => self.client.update(|status| {
                    status.activity = activity;
                    status.stale = stale;
                }),
                SessionEvent::Health(health) => {
                    report!(info, "health: ", health);
                    self.client.update(|status| status.health = health);
                }
                SessionEvent::Diagnosis(diagnosis) => {
                    report!(warn, "", diagnosis);
                    self.client.diagnosed(diagnosis);
                }
                SessionEvent::Notice(notice) => report!(info, "", notice),
                SessionEvent::BufferTooSmall(error) => report!(error, "transmit buffer: ", error),
                SessionEvent::Connection(info) => self.client.update(|status| {
                    status.live = info.live;
                    status.reconnects = info.reconnects;
                }),
                SessionEvent::Stopped(reason) => {
                    report!(error, "stopped: ", reason);
                    self.client.update(|status| status.stopped = true);
                    self.stopped = Some(reason);
                    return;
                }
                _ => {}
            }
        }
    }

    fn connect(&self, socket: SocketId, uri: ConnectUri<'_>) {
        // The session checked the URI against the environment: host and port are the
        // environment's streaming origin, so only the path is needed here.
        let path = String::try_from(uri.path()).ok();
        let free = self
            .shared
            .slots
            .iter()
            .find(|slot| slot.socket.get().is_none());
        if let (Some(path), Some(slot)) = (path, free)
            && slot
                .commands
                .try_send(SlotCommand::Connect(socket, path))
                .is_ok()
        {
            slot.socket.set(Some(socket));
            return;
        }
        // No free slot (the old socket's close is still under way) or an unusable URI: report
        // the attempt as failed; the session retries with back-off.
        let failed = CloseInfo::Transport(Transport::Other);
        self.shared
            .with_session(|s| s.handle_socket_closed(now(), socket, failed));
    }

    fn tell(&self, socket: SocketId, command: SlotCommand) {
        let slot = self
            .shared
            .slots
            .iter()
            .find(|slot| slot.socket.get() == Some(socket));
        if let Some(slot) = slot {
            // A full queue means the slot is wedged; the session's watchdog will notice.
            let _ = slot.commands.try_send(command);
        }
    }

    async fn fetch_token(&mut self) {
        match self.credentials {
            Credentials::Static(token) => {
                // The core asks a static provider once: a refused token stops the session.
                let kept = String::try_from(token.expose_secret()).ok();
                let delivered = kept.is_some();
                *self.token = kept.map(Secret::new);
                self.shared.with_session(|s| {
                    if delivered {
                        s.handle_token(now(), Duration::MAX);
                    } else {
                        s.handle_token_failure(now(), TokenFailure::Unavailable);
                    }
                });
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let mut request_buf = [0u8; TOKEN_REQUEST_BUFFER_LEN];
                let mut header_buf = [0u8; AUTHORIZATION_BUFFER_LEN];
                let request = request::token_client_credentials(&mut request_buf);
                let header =
                    request::basic_authorization(client_id, &client_secret, &mut header_buf);
                let (Ok(request), Ok(header)) = (request, header) else {
                    let failure = TokenFailure::Transport(Transport::Other);
                    self.shared
                        .with_session(|s| s.handle_token_failure(now(), failure));
                    return;
                };
                let Some(mut lease) = self.lease().await else {
                    return;
                };
                let connection = lease.connection();
                let outcome =
                    exchange(self.link, self.shared, connection, &request, Some(header)).await;
                // What the reply means is the core's to say; this driver only keeps the token.
                let reply = outcome
                    .map_err(TokenFailure::Transport)
                    .and_then(|response| {
                        read_token_reply(response.status, response.retry_after, response.body)
                    });
                let token = &mut *self.token;
                self.shared.with_session(|session| match reply {
                    Ok(reply) => match String::try_from(reply.access_token.expose_secret()) {
                        Ok(value) => {
                            *token = Some(Secret::new(value));
                            let expires_in = reply.expires_in.unwrap_or(Duration::MAX);
                            session.handle_token(now(), expires_in);
                        }
                        Err(_) => {
                            report!(warn, "token: not kept, longer than ", MAX_ACCESS_TOKEN_LEN);
                            let too_long = ResponseError::Field {
                                name: "access_token",
                            };
                            session.handle_token_failure(now(), TokenFailure::Unreadable(too_long));
                        }
                    },
                    Err(failure) => session.handle_token_failure(now(), failure),
                });
            }
        }
    }

    async fn rest<'b>(
        &self,
        connection: &'b mut Connection<'_>,
        request: &request::Request<'_>,
    ) -> Result<http::Response<'b>, Transport> {
        let mut header_buf = [0u8; AUTHORIZATION_BUFFER_LEN];
        let header = match (request.auth, &*self.token, self.credentials) {
            (Auth::Bearer, Some(token), _) => {
                request::bearer_authorization(token, &mut header_buf).ok()
            }
            (
                Auth::Basic,
                _,
                Credentials::ClientCredentials {
                    client_id,
                    client_secret,
                },
            ) => request::basic_authorization(client_id, &client_secret, &mut header_buf).ok(),
            _ => None,
        };
        exchange(self.link, self.shared, connection, request, header).await
    }
}

/// One REST exchange on a fresh connection to the request's service.
async fn exchange<'b, N, C, R>(
    link: &Link<'_, N, C>,
    shared: &Shared<'_, R>,
    connection: &'b mut Connection<'_>,
    request: &request::Request<'_>,
    authorization: Option<Secret<&str>>,
) -> Result<http::Response<'b>, Transport>
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let origin = link.environment.origin(request.service);
    let host = host_header(&origin).ok_or(Transport::Other)?;
    let outgoing = http::Request {
        method: request.method,
        host: &host,
        path_and_query: request.path_and_query,
        authorization,
        body: request.body.map(|b| (b.bytes, b.content_type.as_str())),
    };
    let Connection {
        tcp,
        tls: tls_buffers,
        payload,
    } = connection;
    let (head, body) = payload.split_at_mut(HTTP_HEAD_BUFFER_LEN);
    let connection = with_timeout(
        CONNECT_TIMEOUT,
        link.network.connect(origin.host(), origin.port(), tcp),
    )
    .await
    .map_err(|_| Transport::Timeout)??;
    let response = if origin.scheme().is_tls() {
        let mut stream = open_tls(link, shared, connection, origin.host(), tls_buffers).await?;
        with_timeout(
            EXCHANGE_TIMEOUT,
            http::exchange(&mut stream, &outgoing, head, body),
        )
        .await
    } else {
        let mut connection = connection;
        with_timeout(
            EXCHANGE_TIMEOUT,
            http::exchange(&mut connection, &outgoing, head, body),
        )
        .await
    };
    match response {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(HttpError::Io)) => Err(Transport::Closed),
        Ok(Err(_)) => Err(Transport::Other),
        Err(_) => Err(Transport::Timeout),
    }
}

/// TLS on `socket` to `host`, verified against the trust anchors at the wall clock's time.
async fn open_tls<'t, S, N, C, R>(
    link: &Link<'_, N, C>,
    shared: &Shared<'_, R>,
    socket: S,
    host: &str,
    buffers: &'t mut TlsBuffers,
) -> Result<tls::TlsStream<'t, S>, Transport>
where
    S: Read + Write + 't,
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let attempt = async {
        let now = link.wall_time()?;
        let mut rng = SharedRng(shared.rng);
        with_timeout(
            TLS_TIMEOUT,
            tls::connect(socket, host, link.trust, now, &mut rng, buffers),
        )
        .await
        .map_err(|_| TlsError::Io)?
    };
    match attempt.await {
        Ok(stream) => Ok(stream),
        Err(TlsError::Io) => Err(Transport::Closed),
        Err(failure) => {
            report!(warn, "TLS to ", TlsFailure { host, failure });
            shared.tls_failure.set(Some(failure));
            Err(Transport::Tls)
        }
    }
}

/// A TLS failure in the log, with the host it happened with: a name mismatch or an unknown
/// root is only actionable knowing which host.
struct TlsFailure<'h> {
    host: &'h str,
    failure: TlsError,
}

impl core::fmt::Display for TlsFailure<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.host, self.failure)
    }
}

fn host_header(origin: &Origin<'_>) -> Option<String<MAX_HOST_HEADER_LEN>> {
    let mut host = String::new();
    if origin.port() == origin.scheme().default_port() {
        host.push_str(origin.host()).ok()?;
    } else {
        write!(host, "{}:{}", origin.host(), origin.port()).ok()?;
    }
    Some(host)
}

/// One socket slot, forever: wait for a connect, lease a connection, serve the socket until it
/// ends, report it.
async fn serve_slot<N, C, R>(
    shared: &Shared<'_, R>,
    link: &Link<'_, N, C>,
    pool: &Pool<'_>,
    slot: &Slot,
) -> core::convert::Infallible
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    loop {
        let (socket, path) = loop {
            // Sends and closes for a socket that is already gone are stale: ignore them.
            if let SlotCommand::Connect(socket, path) = slot.commands.receive().await {
                break (socket, path);
            }
        };
        // A REST call holds the other connection for one exchange at most.
        let close = match with_timeout(LEASE_TIMEOUT, pool.lease()).await {
            Ok(mut lease) => {
                serve_socket(shared, link, slot, socket, &path, lease.connection()).await
            }
            Err(_) => CloseInfo::Transport(Transport::Timeout),
        };
        slot.socket.set(None);
        shared.with_session(|s| s.handle_socket_closed(now(), socket, close));
        shared.wake.signal(());
    }
}

async fn serve_socket<N, C, R>(
    shared: &Shared<'_, R>,
    link: &Link<'_, N, C>,
    slot: &Slot,
    socket: SocketId,
    path: &str,
    connection: &mut Connection<'_>,
) -> CloseInfo
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let origin = link.environment.origin(Service::Streaming);
    let Some(host) = host_header(&origin) else {
        return CloseInfo::Transport(Transport::Other);
    };
    let Connection {
        tcp,
        tls,
        payload: message,
    } = connection;
    let connecting = with_timeout(
        CONNECT_TIMEOUT,
        link.network.connect(origin.host(), origin.port(), tcp),
    )
    .await;
    let mut connection = match connecting {
        Ok(Ok(connection)) => connection,
        Ok(Err(transport)) => return CloseInfo::Transport(transport),
        Err(_) => return CloseInfo::Transport(Transport::Timeout),
    };
    let (reader, writer) = connection.split();
    let (reader, writer) = (Mutex::new(reader), Mutex::new(writer));
    let duplex = Duplex::new(&reader, &writer);
    let head_len = WS_HANDSHAKE_HEAD_LEN.min(message.len());
    let (head, _) = message.split_at_mut(head_len);
    if origin.scheme().is_tls() {
        let mut stream = match open_tls(link, shared, duplex, origin.host(), tls).await {
            Ok(stream) => stream,
            Err(transport) => return CloseInfo::Transport(transport),
        };
        if let Err(close) = upgrade(shared, &mut stream, &host, path, head).await {
            return close;
        }
        let (mut reader, mut writer) = stream.split();
        pump(shared, slot, socket, &mut reader, &mut writer, message).await
    } else {
        let mut stream = duplex.clone();
        if let Err(close) = upgrade(shared, &mut stream, &host, path, head).await {
            return close;
        }
        let (mut reader, mut writer) = (duplex.clone(), duplex);
        pump(shared, slot, socket, &mut reader, &mut writer, message).await
    }
}

async fn upgrade<S, R>(
    shared: &Shared<'_, R>,
    stream: &mut S,
    host: &str,
    path: &str,
    head: &mut [u8],
) -> Result<(), CloseInfo>
where
    S: Read + Write,
    R: RngCore + CryptoRng,
{
    let mut rng = SharedRng(shared.rng);
    match with_timeout(
        EXCHANGE_TIMEOUT,
        ws::handshake(stream, host, path, &mut rng, head),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(WsError::Rejected(status))) => Err(CloseInfo::Refused { status }),
        Ok(Err(error)) => Err(CloseInfo::Transport(transport_of(error))),
        Err(_) => Err(CloseInfo::Transport(Transport::Timeout)),
    }
}

fn transport_of(error: WsError) -> Transport {
    match error {
        WsError::Io => Transport::Closed,
        _ => Transport::Other,
    }
}

/// Serves an open socket: every message to the session, every command to the socket, until
/// either side ends it.
async fn pump<RD, WR, R>(
    shared: &Shared<'_, R>,
    slot: &Slot,
    socket: SocketId,
    reader: &mut RD,
    writer: &mut WR,
    message: &mut [u8],
) -> CloseInfo
where
    RD: Read,
    WR: Write,
    R: RngCore + CryptoRng,
{
    shared.with_session(|s| s.handle_socket_open(now(), socket));
    shared.wake.signal(());
    let mut rng = SharedRng(shared.rng);
    let mut ws = WsReader::new(message);
    loop {
        let mut pong: Option<Vec<u8, { ws::MAX_CONTROL_PAYLOAD }>> = None;
        {
            // The read stays alive while commands are served: a half-read frame is never lost.
            let read = ws.next(reader);
            let mut read = core::pin::pin!(read);
            let outcome = loop {
                match select(&mut read, slot.commands.receive()).await {
                    Either::First(outcome) => break outcome,
                    Either::Second(SlotCommand::Send(to, text)) if to == socket => {
                        let frame = Frame::Text(&text);
                        if let Err(transport) =
                            send_frame(writer, &mut rng, frame, WRITE_TIMEOUT).await
                        {
                            return CloseInfo::Transport(transport);
                        }
                    }
                    Either::Second(SlotCommand::Close(to)) if to == socket => {
                        let _ = send_frame(writer, &mut rng, Frame::Close, WRITE_TIMEOUT).await;
                        return CloseInfo::Peer { code: None };
                    }
                    Either::Second(_) => {}
                }
            };
            match outcome {
                Ok(Message::Text(text)) => {
                    // The session reports what it made of the frame through its events.
                    shared.with_session(|s| {
                        let _ = s.handle_socket_frame(now(), socket, text);
                    });
                }
                Ok(Message::TooLarge { len }) => {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    shared.with_session(|s| s.handle_socket_frame_too_large(now(), socket, len));
                }
                Ok(Message::Ping(payload)) => {
                    // A ping's payload is at most 125 bytes: it always fits.
                    pong = Vec::from_slice(payload).ok();
                }
                Ok(Message::Close { code }) => {
                    let _ = send_frame(writer, &mut rng, Frame::Close, WRITE_TIMEOUT).await;
                    return CloseInfo::Peer { code };
                }
                Ok(Message::Binary(_) | Message::Pong) => continue,
                Err(error) => return CloseInfo::Transport(transport_of(error)),
            }
        }
        shared.wake.signal(());
        if let Some(payload) = pong
            && let Err(transport) =
                send_frame(writer, &mut rng, Frame::Pong(&payload), WRITE_TIMEOUT).await
        {
            return CloseInfo::Transport(transport);
        }
    }
}

/// A frame the pump writes.
enum Frame<'a> {
    Text(&'a [u8]),
    Pong(&'a [u8]),
    Close,
}

/// Writes one frame, bounded by `limit` (the pump passes [`WRITE_TIMEOUT`]): a failed write is
/// a closed connection, one that does not finish in time a timeout.
async fn send_frame<W: Write, R: RngCore>(
    writer: &mut W,
    rng: &mut R,
    frame: Frame<'_>,
    limit: embassy_time::Duration,
) -> Result<(), Transport> {
    let write = async {
        match frame {
            Frame::Text(text) => ws::send_text(writer, rng, text).await,
            Frame::Pong(payload) => ws::send_pong(writer, rng, payload).await,
            Frame::Close => ws::send_close(writer, rng, ws::CLOSE_NORMAL).await,
        }
    };
    match with_timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Transport::Closed),
        Err(_) => Err(Transport::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that stopped reading: its TCP window is full, so every write waits forever.
    struct Stalled;

    impl embedded_io_async::ErrorType for Stalled {
        type Error = embedded_io_async::ErrorKind;
    }

    impl Write for Stalled {
        async fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
            core::future::pending().await
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            core::future::pending().await
        }
    }

    /// A peer that is gone: every write fails.
    struct Broken;

    impl embedded_io_async::ErrorType for Broken {
        type Error = embedded_io_async::ErrorKind;
    }

    impl Write for Broken {
        async fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
            Err(embedded_io_async::ErrorKind::ConnectionReset)
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            Err(embedded_io_async::ErrorKind::ConnectionReset)
        }
    }

    #[tokio::test]
    async fn a_frame_to_a_peer_that_stopped_reading_ends_in_a_timeout() {
        let limit = embassy_time::Duration::from_millis(50);
        let mut rng = rand_core::OsRng;
        for frame in [Frame::Text(b"{}"), Frame::Pong(b"p"), Frame::Close] {
            let sent = send_frame(&mut Stalled, &mut rng, frame, limit).await;
            assert_eq!(sent, Err(Transport::Timeout));
        }
    }

    #[tokio::test]
    async fn a_frame_to_a_peer_that_is_gone_is_a_closed_connection() {
        let limit = embassy_time::Duration::from_secs(5);
        let sent = send_frame(
            &mut Broken,
            &mut rand_core::OsRng,
            Frame::Text(b"{}"),
            limit,
        )
        .await;
        assert_eq!(sent, Err(Transport::Closed));
    }
}
