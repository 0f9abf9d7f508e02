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
//!
//! # Layout
//!
//! This module holds what the three share: the [`Settings`] and [`Resources`] a runner is made
//! from, the session behind `Shared::with_session` (the one way to it), and the socket slots'
//! command queues. `driver` is the driver, `socket` a socket slot, `rest` one REST exchange and
//! TLS on a connection, which both use.

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

mod driver;
mod rest;
mod socket;

use driver::Driver;
use socket::serve_slot;

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
pub(crate) const CLOSE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(2);

/// DNS and TCP connect, together.
pub(crate) const CONNECT_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(10);

/// The TLS handshake, generously: every signature is checked in software on the device's core.
pub(crate) const TLS_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(15);

/// One REST exchange or WebSocket upgrade, after the connection is up.
pub(crate) const EXCHANGE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(15);

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

    /// The first connection's buffers alone, for the MQTT listener: it and the runner never run
    /// over the same buffers at once (the application owns one [`Buffers`] and lends it to one).
    #[cfg(feature = "mqtt")]
    pub(crate) fn first_connection(&mut self) -> Connection<'_> {
        let [first, ..] = &mut self.connections;
        first.borrow()
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
pub(crate) struct SharedRng<'r, R>(pub(crate) &'r RefCell<R>);

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
