//! The light listening to a fleet gateway over MQTT (feature `mqtt`), instead of being its own
//! Genesys client.
//!
//! A gateway (`genesys-notify gateway`) follows a floor of agents and publishes each agent's
//! state, retained, to `{prefix}/agents/{userId}/state` (the core's
//! [`AgentState`](genesys_notify_core::agent_state::AgentState)), and its own status to
//! `{prefix}/gateways/{name}/status` (`online`, and `offline` as its Last Will). A light in this
//! mode holds broker credentials that read those topics, and no Genesys secret.
//!
//! - [`listener`] decides everything, without I/O: what the light shows (cannot reach, not sure,
//!   the activity), which topics to read, when to ping, when to give up and reconnect.
//! - [`Runner`] carries it out: DNS and TCP through the same [`Network`] as the Genesys runner,
//!   TLS for `mqtts://` through [`crate::tls`] with **the same certificate verification**
//!   (rustls-webpki against the application's [`TrustAnchors`], at the wall clock's time), and
//!   MQTT 5 through [rust-mqtt](https://docs.rs/rust-mqtt) (the packets, their encoding and
//!   the acknowledgements are rust-mqtt's; nothing here writes MQTT framing). It publishes into
//!   the same [`ClientState`] as the Genesys runner, so the application's LED task does not
//!   care which source runs.
//!
//! # Memory
//!
//! The runner takes the same [`Buffers`] as the Genesys runner and uses its first connection's
//! TCP and TLS buffers: a device has one `static` [`Buffers`] and lends it to whichever source
//! its settings choose. rust-mqtt keeps each received packet's topic and payload in a heap block
//! (the `alloc` feature of rust-mqtt: its borrowed alternative can only be reset with `unsafe`)
//! freed as soon as the message is read; the broker is told never to send a packet longer than
//! [`MAX_PACKET_LEN`], so that block stays under a kilobyte.
//!
//! ```no_run
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use genesys_notify_embassy::mqtt::{Broker, Runner, Settings};
//! use genesys_notify_embassy::rand_core::{CryptoRng, RngCore};
//! use genesys_notify_embassy::{
//!     Buffers, ClientState, EmbassyNetwork, Resources, TrustAnchors, UnixTime, WallClock,
//! };
//! use genesys_notify_core::secret::Secret;
//!
//! struct Sntp;
//! impl WallClock for Sntp {
//!     fn now(&self) -> Option<UnixTime> {
//!         None
//!     }
//! }
//!
//! async fn listen(
//!     stack: embassy_net::Stack<'static>,
//!     rng: impl RngCore + CryptoRng,
//!     roots: &'static [&'static [u8]],
//!     state: &'static ClientState<NoopRawMutex>,
//!     buffers: &'static mut Buffers,
//! ) {
//!     let settings = Settings {
//!         broker: Broker { host: "broker.office.lan", port: 8883, tls: true },
//!         user: Some("light-0d8a"),
//!         password: Some(Secret::new("from flash, never logged")),
//!         prefix: "genesys",
//!         agent: "0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10",
//!         trust: TrustAnchors::new(roots).expect("the built-in roots parse"),
//!     };
//!     let resources = Resources {
//!         network: EmbassyNetwork::new(stack),
//!         clock: Sntp,
//!         rng,
//!         client: state,
//!         buffers,
//!     };
//!     let mut runner = Runner::new(settings, resources, 0x5eed).expect("a short prefix");
//!     runner.run().await; // returns after `Client::shutdown`
//! }
//! ```

pub mod listener;

use core::cell::RefCell;
use core::fmt;
use core::num::NonZero;

use embassy_futures::select::{Either, Either3, select, select3};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_time::with_timeout;
use embedded_io::Error as _;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use genesys_notify_core::Instant;
use genesys_notify_core::secret::Secret;
use heapless::{String, Vec};
use rand_core::{CryptoRng, RngCore};
use rust_mqtt::buffer::AllocBuffer;
use rust_mqtt::client::event::Event;
use rust_mqtt::client::options::{
    ConnectOptions, DisconnectOptions, SubscriptionOptions, TopicReference, UnsubscriptionOptions,
};
use rust_mqtt::config::KeepAlive;
use rust_mqtt::types::{MqttBinary, MqttString, ReasonCode, TopicFilter};

use crate::client::{ClientState, Command};
use crate::fmt::report;
use crate::net::Network;
use crate::runner::{
    Buffers, CLOSE_TIMEOUT, CONNECT_TIMEOUT, EXCHANGE_TIMEOUT, Resources, SharedRng, TLS_TIMEOUT,
    WallClock,
};
use crate::tls::{self, TlsError, TlsStream, TrustAnchors};
use listener::{Action, ConnectFailure, KEEP_ALIVE, Listener, Subscription, TopicTooLong};

/// The longest packet the broker may send the light (told in CONNECT): a state message is at
/// most [`MAX_MESSAGE_LEN`](genesys_notify_core::agent_state::MAX_MESSAGE_LEN) (192) bytes, its
/// topic at most [`listener::MAX_TOPIC_LEN`] (160); a kilobyte leaves room for properties. A
/// broker drops a longer message for this client rather than send it.
pub const MAX_PACKET_LEN: u32 = 1024;

/// Subscriptions the light may have unanswered at once: its state and its gateway's status.
const SUBSCRIBE_MAXIMUM: usize = 2;
/// QoS 1 messages the broker may have in flight towards the light (they are acknowledged as
/// soon as read): retained state and status arrive together after subscribing.
const RECEIVE_MAXIMUM: usize = 4;
/// The light publishes nothing; rust-mqtt needs room for one.
const SEND_MAXIMUM: usize = 1;
/// Subscription identifiers the client keeps per message: none, the light uses none (rust-mqtt
/// reads past any a broker sends). Each kept one costs code in every packet reader.
const MAX_SUBSCRIPTION_IDENTIFIERS: usize = 0;
/// User properties the client keeps per packet: none, the gateway sends none and the light reads
/// none (rust-mqtt skips those it has no room for). Each kept one costs code and future size.
const MAX_USER_PROPERTIES: usize = 0;

/// The MQTT client as the runner uses it: received packets on the heap, no topic aliases.
type MqttClient<'c, T> = rust_mqtt::client::Client<
    'static,
    'c,
    T,
    AllocBuffer,
    SUBSCRIBE_MAXIMUM,
    RECEIVE_MAXIMUM,
    SEND_MAXIMUM,
    MAX_SUBSCRIPTION_IDENTIFIERS,
    MAX_USER_PROPERTIES,
    0,
    0,
>;

/// The broker: where it is and whether to speak TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broker<'a> {
    /// A DNS name (checked against the broker's certificate with TLS) or an IPv4 address.
    pub host: &'a str,
    /// The TCP port (8883 for `mqtts`, 1883 for `mqtt`).
    pub port: u16,
    /// TLS 1.3 with the broker's chain verified against [`Settings::trust`]. Without it the
    /// light's broker password crosses the network in clear: only on a network you trust.
    pub tls: bool,
}

/// What a [`Runner`] listens to and how it signs in to the broker.
#[derive(Clone)]
pub struct Settings<'a> {
    /// The broker.
    pub broker: Broker<'a>,
    /// The light's broker user, if the broker wants one.
    pub user: Option<&'a str>,
    /// That user's password; never logged.
    pub password: Option<Secret<&'a str>>,
    /// The gateway's topic prefix (`genesys` unless the gateway was given another).
    pub prefix: &'a str,
    /// The Genesys user id of the agent whose state the light shows.
    pub agent: &'a str,
    /// The roots the broker's certificate chain must end at (with [`Broker::tls`]).
    pub trust: TrustAnchors<'a>,
}

/// Why a connection to the broker failed or ended, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BrokerFailure {
    /// The name did not resolve or TCP did not connect (in time).
    Connect,
    /// TLS failed; a certificate refusal says what to change.
    Tls(TlsError),
    /// The broker refused the user name or password, or this client (its reason code).
    Refused(u8),
    /// The broker turned the connection down for another reason (busy, unavailable), or broke
    /// the protocol.
    Broker,
    /// The connection closed or failed after it was up.
    Lost,
    /// The broker did not answer a ping in time.
    Silent,
    /// The broker refused to let the light read a topic: its ACL needs the agent's state topic
    /// and the gateway status topics.
    TopicRefused,
}

impl fmt::Display for BrokerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("the broker cannot be reached (DNS or TCP)"),
            Self::Tls(error) => write!(f, "TLS to the broker: {error}"),
            Self::Refused(code) => write!(
                f,
                "the broker refused the light (reason 0x{code:02x}): check mqtt.user and mqtt.password"
            ),
            Self::Broker => f.write_str("the broker turned the connection down"),
            Self::Lost => f.write_str("the connection to the broker was lost"),
            Self::Silent => f.write_str("the broker stopped answering"),
            Self::TopicRefused => f.write_str(
                "the broker refused a subscription: its ACL must let this user read the agent's \
                 state topic and the gateway status topics",
            ),
        }
    }
}

/// Listens to the gateway through the broker; see the module docs.
pub struct Runner<'a, N, C, R, M: RawMutex, const PAYLOAD: usize> {
    settings: Settings<'a>,
    network: N,
    clock: C,
    // Lent to TLS as the Genesys runner lends its own, so that both share one instantiation of
    // the handshake (flash is short on a device).
    rng: RefCell<R>,
    client: &'a ClientState<M>,
    buffers: &'a mut Buffers<PAYLOAD>,
    listener: Listener,
    client_id: String<24>,
}

fn now() -> Instant {
    Instant::from_millis(embassy_time::Instant::now().as_millis())
}

/// How one connection ended.
enum Ended {
    /// Connect again when the listener asks.
    Again,
    /// The application asked the runner to stop.
    Shutdown,
}

impl<'a, N, C, R, M, const PAYLOAD: usize> Runner<'a, N, C, R, M, PAYLOAD>
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
    M: RawMutex,
{
    /// A runner for `settings` on `resources`. `seed` spreads a floor's reconnections (one per
    /// device). Fails if the prefix makes topics too long.
    pub fn new(
        settings: Settings<'a>,
        resources: Resources<'a, N, C, R, M, PAYLOAD>,
        seed: u64,
    ) -> Result<Self, TopicTooLong> {
        let Resources {
            network,
            clock,
            mut rng,
            client,
            buffers,
        } = resources;
        let listener = Listener::new(settings.prefix, settings.agent, seed)?;
        // A client id of its own per boot: two lights of one agent must not evict each other.
        let mut client_id = String::new();
        let _ = core::fmt::write(
            &mut client_id,
            format_args!("desk-light-{:08x}", rng.next_u32()),
        );
        Ok(Self {
            settings,
            network,
            clock,
            rng: RefCell::new(rng),
            client,
            buffers,
            listener,
            client_id,
        })
    }

    /// Listens until the application sends [`Command::Shutdown`]: connects, follows the agent,
    /// reconnects with back-off whenever the broker goes away. Never returns otherwise.
    pub async fn run(&mut self) {
        loop {
            publish_view(&self.listener, self.client);
            match self.listener.poll_action() {
                Some(Action::Connect) => {
                    if let Ended::Shutdown = self.connection().await {
                        self.client.update(|status| status.stopped = true);
                        return;
                    }
                    continue;
                }
                // Only a connection has anything else to do.
                Some(_) => continue,
                None => {}
            }
            let timer = timer(self.listener.poll_timeout());
            match select(timer, self.client.command()).await {
                Either::First(()) => self.listener.handle_timeout(now()),
                Either::Second(Command::Shutdown) => {
                    self.client.update(|status| status.stopped = true);
                    return;
                }
            }
        }
    }

    /// One connection, from TCP to its end.
    async fn connection(&mut self) -> Ended {
        let Self {
            settings,
            network,
            clock,
            rng,
            client: state,
            buffers,
            listener,
            client_id,
        } = self;
        let state: &ClientState<M> = state;
        let broker = settings.broker;
        let connection = buffers.first_connection();
        let opened = with_timeout(
            CONNECT_TIMEOUT,
            network.connect(broker.host, broker.port, connection.tcp),
        )
        .await;
        let Ok(Ok(socket)) = opened else {
            return failed(listener, state, BrokerFailure::Connect);
        };
        let stream = if broker.tls {
            let attempt = async {
                let now = clock.now().ok_or(TlsError::ClockUnknown)?;
                let mut rng = SharedRng(rng);
                with_timeout(
                    TLS_TIMEOUT,
                    tls::connect(
                        socket,
                        broker.host,
                        settings.trust,
                        now,
                        &mut rng,
                        connection.tls,
                    ),
                )
                .await
                .map_err(|_| TlsError::Io)?
            };
            match attempt.await {
                Ok(stream) => Stream::Tls(stream),
                Err(error) => {
                    if !matches!(error, TlsError::Io) {
                        state.update(|status| status.last_tls_error = Some(error));
                    }
                    return failed(listener, state, BrokerFailure::Tls(error));
                }
            }
        } else {
            Stream::Plain(socket)
        };

        let mut heap = AllocBuffer;
        let mut client: MqttClient<'_, _> = rust_mqtt::client::Client::new(&mut heap);
        let mut options = ConnectOptions::new()
            .clean_start()
            .keep_alive(KeepAlive::Seconds(
                NonZero::new(u16::try_from(KEEP_ALIVE.as_secs()).unwrap_or(u16::MAX))
                    .unwrap_or(NonZero::<u16>::MIN),
            ))
            .maximum_packet_size(NonZero::new(MAX_PACKET_LEN).unwrap_or(NonZero::<u32>::MAX));
        if let Some(user) = settings.user.and_then(|u| MqttString::from_str(u).ok()) {
            options = options.user_name(user);
        }
        if let Some(password) = settings
            .password
            .as_ref()
            .and_then(|p| MqttBinary::from_slice(p.expose_secret().as_bytes()).ok())
        {
            options = options.password(password);
        }
        let id = MqttString::from_str(client_id).ok();
        match with_timeout(EXCHANGE_TIMEOUT, client.connect(stream, &options, id)).await {
            Ok(Ok(_)) => {
                report!(info, "mqtt: connected to ", broker.host);
                listener.handle_connected(now());
            }
            Ok(Err(rust_mqtt::client::MqttError::Disconnect { reason, .. }))
                if refuses_the_client(reason) =>
            {
                note(state, BrokerFailure::Refused(reason as u8));
                listener.handle_connect_failed(now(), ConnectFailure::Refused);
                return Ended::Again;
            }
            Ok(Err(_)) => return failed(listener, state, BrokerFailure::Broker),
            Err(_) => return failed(listener, state, BrokerFailure::Connect),
        }

        let mut pending: Vec<(u16, Subscription), SUBSCRIBE_MAXIMUM> = Vec::new();
        let ended = 'connected: loop {
            // 1. What the listener wants done.
            while let Some(action) = listener.poll_action() {
                let sent = match action {
                    Action::Subscribe { topic, what } => {
                        let subscribed =
                            match TopicFilter::new(MqttString::from_str_unchecked(topic)) {
                                Some(filter) => {
                                    let options = SubscriptionOptions::new().at_least_once();
                                    with_timeout(
                                        EXCHANGE_TIMEOUT,
                                        client.subscribe(filter, &options),
                                    )
                                    .await
                                    .ok()
                                    .and_then(Result::ok)
                                }
                                None => None,
                            };
                        // The queue has room: the listener has at most two subscriptions open.
                        subscribed.map(|pid| pending.push((pid.get().get(), what)).is_ok())
                    }
                    Action::Unsubscribe(topic) => {
                        match TopicFilter::new(MqttString::from_str_unchecked(topic)) {
                            Some(filter) => with_timeout(
                                EXCHANGE_TIMEOUT,
                                client.unsubscribe(filter, &UnsubscriptionOptions::new()),
                            )
                            .await
                            .ok()
                            .and_then(|sent| sent.ok())
                            .map(|_| true),
                            None => Some(true),
                        }
                    }
                    Action::Ping => with_timeout(EXCHANGE_TIMEOUT, client.ping())
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .map(|()| true),
                    Action::Disconnect => {
                        note(state, listener_failure(listener));
                        let _ = with_timeout(
                            CLOSE_TIMEOUT,
                            client.disconnect(&DisconnectOptions::new()),
                        )
                        .await;
                        break 'connected Ended::Again;
                    }
                    Action::Connect => Some(true),
                };
                if sent.is_none() {
                    note(state, BrokerFailure::Lost);
                    listener.handle_disconnected(now());
                    break 'connected Ended::Again;
                }
            }
            publish_view(listener, state);

            // 2. Wait for the broker, the listener's next deadline, or the application.
            let timer = timer(listener.poll_timeout());
            let header = match select3(client.poll_header(), timer, state.command()).await {
                Either3::First(Ok(header)) => header,
                Either3::First(Err(_)) => {
                    note(state, BrokerFailure::Lost);
                    listener.handle_disconnected(now());
                    break Ended::Again;
                }
                Either3::Second(()) => {
                    listener.handle_timeout(now());
                    continue;
                }
                Either3::Third(Command::Shutdown) => {
                    let _ =
                        with_timeout(CLOSE_TIMEOUT, client.disconnect(&DisconnectOptions::new()))
                            .await;
                    break Ended::Shutdown;
                }
            };
            // The rest of a packet follows its header at once: bound the wait for it.
            let event = match with_timeout(EXCHANGE_TIMEOUT, client.poll_body(header)).await {
                Ok(Ok(event)) => event,
                _ => {
                    note(state, BrokerFailure::Lost);
                    listener.handle_disconnected(now());
                    break Ended::Again;
                }
            };
            let at = now();
            match event {
                Event::Publish(message) => {
                    let topic = match &message.topic {
                        TopicReference::Name(name) | TopicReference::Mapping(name, _) => {
                            Some(name.as_ref().as_str())
                        }
                        TopicReference::Alias(_) => None,
                    };
                    let payload = message.message.as_bytes();
                    match topic {
                        Some(topic) => {
                            if topic == listener.state_topic()
                                && let Some(Err(error)) = Listener::read_state(payload)
                            {
                                report!(warn, "mqtt: ", error);
                            }
                            listener.handle_message(at, topic, payload);
                        }
                        None => listener.handle_packet(at),
                    }
                }
                Event::Suback(answer) => {
                    let id = answer.packet_identifier.get().get();
                    match pending.iter().position(|(pid, _)| *pid == id) {
                        Some(index) => {
                            let (_, what) = pending.swap_remove(index);
                            listener.handle_subscribed(at, what, answer.reason_code.is_success());
                        }
                        None => listener.handle_packet(at),
                    }
                }
                _ => listener.handle_packet(at),
            }
        };
        publish_view(listener, state);
        ended
    }
}

/// A connection attempt failed before MQTT: logs it and tells the listener.
fn failed<M: RawMutex>(
    listener: &mut Listener,
    client: &ClientState<M>,
    failure: BrokerFailure,
) -> Ended {
    note(client, failure);
    listener.handle_connect_failed(now(), ConnectFailure::Unreachable);
    publish_view(listener, client);
    Ended::Again
}

/// Logs `failure` and keeps it as the newest in the client state.
fn note<M: RawMutex>(client: &ClientState<M>, failure: BrokerFailure) {
    report!(warn, "mqtt: ", failure);
    client.update(|status| status.last_broker_failure = Some(failure));
}

/// Why the listener asked to disconnect, in words.
fn listener_failure(listener: &Listener) -> BrokerFailure {
    match listener.view().health {
        genesys_notify_core::light::Health::Forbidden => BrokerFailure::TopicRefused,
        _ => BrokerFailure::Silent,
    }
}

/// Copies what the listener shows into the client state.
fn publish_view<M: RawMutex>(listener: &Listener, client: &ClientState<M>) {
    let view = listener.view();
    let connections = listener.connections();
    client.update(|status| {
        status.activity = view.activity;
        status.stale = view.stale;
        status.health = view.health;
        status.live = view.connected;
        status.reconnects = connections.saturating_sub(1);
    });
}

/// CONNACK reason codes that mean "this user or client may not connect": fixing them takes a
/// person, not a retry.
fn refuses_the_client(reason: ReasonCode) -> bool {
    matches!(
        reason,
        ReasonCode::BadUserNameOrPassword
            | ReasonCode::NotAuthorized
            | ReasonCode::Banned
            | ReasonCode::ClientIdentifierNotValid
            | ReasonCode::BadAuthenticationMethod
    )
}

async fn timer(deadline: Option<Instant>) {
    match deadline {
        Some(at) => {
            embassy_time::Timer::at(embassy_time::Instant::from_millis(at.as_millis())).await;
        }
        None => core::future::pending().await,
    }
}

/// A broker connection, with TLS or without: one type, so that one MQTT client serves both.
#[allow(
    clippy::large_enum_variant,
    reason = "one lives at a time, in the runner's future; boxing needs an allocator it may lack"
)]
enum Stream<'b, S: Read + Write> {
    Plain(S),
    Tls(TlsStream<'b, S>),
}

impl<S: Read + Write> ErrorType for Stream<'_, S> {
    type Error = ErrorKind;
}

impl<S: Read + Write> Read for Stream<'_, S> {
    #[inline(never)]
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        match self {
            Self::Plain(socket) => socket.read(buf).await.map_err(|e| e.kind()),
            Self::Tls(tls) => tls.read(buf).await.map_err(|e| e.kind()),
        }
    }
}

impl<S: Read + Write> Write for Stream<'_, S> {
    #[inline(never)]
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        match self {
            Self::Plain(socket) => socket.write(buf).await.map_err(|e| e.kind()),
            Self::Tls(tls) => tls.write(buf).await.map_err(|e| e.kind()),
        }
    }

    #[inline(never)]
    async fn flush(&mut self) -> Result<(), ErrorKind> {
        match self {
            Self::Plain(socket) => socket.flush().await.map_err(|e| e.kind()),
            Self::Tls(tls) => tls.flush().await.map_err(|e| e.kind()),
        }
    }
}
