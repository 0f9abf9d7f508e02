//! The values that cross between the session and its driver.
//!
//! Everything here is plain data: ids the session hands out and the driver echoes back, what
//! the session asks the driver to do ([`Transmit`]), what it tells the application
//! ([`SessionEvent`]), and how the driver reports outcomes it observed ([`CloseInfo`],
//! [`TokenFailure`]). Nothing borrows the session, so a driver can hold any of these across an
//! `.await`.

use core::fmt;

use crate::agent::Activity;
use crate::diagnosis::{Diagnosis, Transport};
use crate::event::{Event, EventError};
use crate::json::BufferTooSmall;
use crate::region::{ConnectUri, ConnectUriError, MAX_CHANNEL_ID_LEN};
use crate::request::{Request, ResponseError, TokenResponse};
use crate::time::{Duration, Instant};

/// One HTTP request the session asked for; the driver echoes it back with the outcome.
///
/// Every attempt gets a fresh id, so a late answer to an attempt the session has given up on
/// is recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestId(u32);

impl RequestId {
    /// An id from its number, for replaying a recorded session (a fuzz target, a bug report).
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// The id's number, for logs and recordings.
    pub const fn as_raw(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request #{}", self.0)
    }
}

/// One WebSocket connection the session asked for; the driver echoes it back with everything
/// that happens on that connection.
///
/// Every connection attempt gets a fresh id, so frames and closes of a socket the session has
/// already dropped are recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketId(u32);

impl SocketId {
    /// An id from its number, for replaying a recorded session (a fuzz target, a bug report).
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }

    /// The id's number, for logs and recordings.
    pub const fn as_raw(self) -> u32 {
        self.0
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket #{}", self.0)
    }
}

/// Why the session asks the driver for a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TokenReason {
    /// The session has no token yet.
    Initial,
    /// The current token expires within the configured margin.
    Expiring,
    /// A REST call answered 401 with the current token.
    Rejected,
    /// The server announced `v2.system.token_revoked`.
    Revoked,
}

impl TokenReason {
    /// Whether the current token must not be used any more (as opposed to merely expiring soon).
    pub const fn invalidates_current(self) -> bool {
        matches!(
            self,
            TokenReason::Initial | TokenReason::Rejected | TokenReason::Revoked
        )
    }
}

impl fmt::Display for TokenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenReason::Initial => "no token yet",
            TokenReason::Expiring => "the token expires soon",
            TokenReason::Rejected => "the API rejected the token (401)",
            TokenReason::Revoked => "the server revoked the token",
        })
    }
}

/// Something the driver must do now; returned by [`Session::poll_transmit`](super::Session::poll_transmit).
///
/// Borrowed data lives in the buffer the driver passed to `poll_transmit`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Transmit<'b> {
    /// Get a token from the driver's token provider (client credentials, refresh token, a fixed
    /// token), then report it with [`Session::handle_token`](super::Session::handle_token) or
    /// [`Session::handle_token_failure`](super::Session::handle_token_failure).
    FetchToken {
        /// Why a token is needed now.
        reason: TokenReason,
    },
    /// Perform an HTTP request, adding the `Authorization` header its `auth` asks for, then report
    /// the outcome with [`Session::handle_response`](super::Session::handle_response) or
    /// [`Session::handle_request_failed`](super::Session::handle_request_failed).
    Http {
        /// Echo this back with the outcome.
        id: RequestId,
        /// The request as data.
        request: Request<'b>,
    },
    /// Open a WebSocket to `uri` (no token: the channel id in the URI is the capability), then
    /// report [`Session::handle_socket_open`](super::Session::handle_socket_open) or
    /// [`Session::handle_socket_closed`](super::Session::handle_socket_closed).
    Connect {
        /// The new socket's id.
        socket: SocketId,
        /// The checked `connectUri`: [`ConnectUri::as_str`] to connect to, [`ConnectUri::path`]
        /// for the upgrade request, [`ConnectUri::channel_id`] (a capability: do not log it).
        uri: ConnectUri<'b>,
    },
    /// Send one text frame on an open socket.
    Send {
        /// Which socket.
        socket: SocketId,
        /// The frame's text (UTF-8 JSON).
        text: &'b [u8],
    },
    /// Close a socket. Frames the driver has already read from it may still be handed in.
    Close {
        /// Which socket.
        socket: SocketId,
    },
}

/// How a socket ended, as the driver saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CloseInfo {
    /// The server closed the socket with a close frame (`1001` "idle timeout" has been seen).
    Peer {
        /// The close code, if the frame had one.
        code: Option<u16>,
    },
    /// The handshake was answered with an HTTP status instead of a switch to WebSocket
    /// (`404`: the channel is gone; `403`: the famous socket 403).
    Refused {
        /// The HTTP status of the refused handshake.
        status: u16,
    },
    /// The connection failed or broke: DNS, TCP, TLS, a reset, a read timeout.
    Transport(Transport),
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseInfo::Peer { code: Some(code) } => write!(f, "the server closed it (code {code})"),
            CloseInfo::Peer { code: None } => f.write_str("the server closed it"),
            CloseInfo::Refused { status } => write!(f, "the handshake was refused ({status})"),
            CloseInfo::Transport(transport) => write!(f, "the connection failed ({transport:?})"),
        }
    }
}

/// How the session is doing: whether the agent states it reports can be trusted. The light
/// ([`crate::light`]) shows it; the session decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Health {
    /// Getting a token, creating the channel, subscribing or connecting; nothing known yet.
    Connecting,
    /// Connected, subscribed and resynced: the activity shown is current.
    Live,
    /// Events may have been missed (heartbeats stopped, reconnecting): the activity is a guess.
    Stale,
    /// The credentials were refused (401, `invalid_client`): fix the configuration.
    AuthFailed,
    /// The credentials work but lack a permission or scope (403): grant it.
    Forbidden,
    /// No network, or Genesys cannot be reached (DNS, TCP or TLS fails).
    Unreachable,
}

impl Health {
    /// Every health state.
    pub const ALL: [Health; 6] = [
        Health::Connecting,
        Health::Live,
        Health::Stale,
        Health::AuthFailed,
        Health::Forbidden,
        Health::Unreachable,
    ];

    /// Parses a snake_case name as printed by [`Health::as_str`].
    pub fn from_name(name: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.as_str() == name)
    }

    /// The snake_case name the CLI's JSON lines and the docs use (`auth_failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Health::Connecting => "connecting",
            Health::Live => "live",
            Health::Stale => "stale",
            Health::AuthFailed => "auth_failed",
            Health::Forbidden => "forbidden",
            Health::Unreachable => "unreachable",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How getting a token failed, as the driver saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenFailure<'a> {
    /// The token endpoint answered with an error status.
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, when the answer carried one.
        retry_after: Option<Duration>,
        /// The body (`{"error":…,"description":…}`), for the diagnosis.
        body: &'a [u8],
    },
    /// The token endpoint could not be reached (DNS, TCP, TLS, timeout).
    Transport(Transport),
    /// The token endpoint answered with success but not with a usable token (not JSON, no
    /// `access_token`); the session backs off and asks again, naming what was wrong.
    Unreadable(ResponseError),
    /// The driver has no way to get a new token (a fixed token that was refused); stop.
    Unavailable,
}

/// Reads what the token endpoint answered (`POST /oauth/token`): its status, `Retry-After`
/// and body, into the token or the [`TokenFailure`] to hand to
/// [`Session::handle_token_failure`](super::Session::handle_token_failure).
///
/// Every driver calls this with the bytes it received, so the rule is the same everywhere: a
/// 2xx with an `access_token` is a token; a 2xx without one is [`TokenFailure::Unreadable`]
/// (never silently a "success" the session would wait on); any other status is
/// [`TokenFailure::Status`], which the session diagnoses (a refusal stops, 429 waits, 5xx backs
/// off).
///
/// ```
/// use genesys_notify_core::session::{TokenFailure, read_token_reply};
///
/// let reply = br#"{"access_token":"t-1","expires_in":86399}"#;
/// let token = read_token_reply(200, None, reply).expect("a token");
/// assert_eq!(token.access_token.expose_secret(), "t-1");
/// let refused = read_token_reply(401, None, br#"{"error":"invalid_client"}"#);
/// assert!(matches!(refused, Err(TokenFailure::Status { status: 401, .. })));
/// let unreadable = read_token_reply(200, None, b"<html>proxy login</html>");
/// assert!(matches!(unreadable, Err(TokenFailure::Unreadable(_))));
/// ```
pub fn read_token_reply(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<TokenResponse<'_>, TokenFailure<'_>> {
    if !(200..300).contains(&status) {
        return Err(TokenFailure::Status {
            status,
            retry_after,
            body,
        });
    }
    TokenResponse::parse(body).map_err(TokenFailure::Unreadable)
}

/// What [`Session::handle_socket_frame`](super::Session::handle_socket_frame) made of a frame.
#[derive(Debug)]
#[non_exhaustive]
pub enum Inbound<'b> {
    /// A new event; the session has already applied it. Hand it on if the application wants
    /// raw events (a `watch` command, a gateway).
    Deliver(Event<'b>),
    /// The frame was valid but is not delivered.
    Suppressed(Suppressed),
    /// The frame is not a Genesys event; it was counted and ignored.
    Invalid(EventError),
}

/// Why a valid frame was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Suppressed {
    /// A copy of an event already delivered from the other socket of a rollover.
    Duplicate,
    /// The socket is not one the session is using (already closed or replaced).
    UnknownSocket,
    /// The session has stopped.
    Stopped,
}

/// The capacity of a channel id in [`ConnectionInfo`]; the longest id [`crate::region`] accepts.
pub const CHANNEL_ID_CAPACITY: usize = MAX_CHANNEL_ID_LEN;

/// The state of the notification channel, for status lines and `doctor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The channel carrying the stream (empty before the first channel exists).
    ///
    /// The id is a capability: log it at debug level only.
    pub channel_id: heapless::String<CHANNEL_ID_CAPACITY>,
    /// When the channel expires (24 h after creation), on the driver's clock.
    pub expires: Option<Instant>,
    /// Whether a socket is open and the agents' state is current.
    pub live: bool,
    /// How many times the stream was re-established after a gap (rollovers do not count).
    pub reconnects: u32,
    /// When the last server heartbeat arrived.
    pub last_heartbeat: Option<Instant>,
}

/// Something the application should know; returned by [`Session::poll_event`](super::Session::poll_event).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SessionEvent {
    /// An agent's activity or staleness changed.
    AgentChanged {
        /// The agent's index in the list given to [`Session::new`](super::Session::new).
        agent: usize,
        /// What the agent is doing now.
        activity: Activity,
        /// Whether events may have been missed since the last REST resync.
        stale: bool,
    },
    /// The connection health the light shows changed.
    Health(Health),
    /// The channel, its expiry or its liveness changed, or a heartbeat arrived.
    Connection(ConnectionInfo),
    /// Genesys refused or failed something and the session is handling it (retrying,
    /// refreshing, recreating); show it to the person watching.
    Diagnosis(Diagnosis),
    /// Something happened to the stream itself and the session is handling it (reconnecting,
    /// resyncing); show it to the person watching.
    Notice(Notice),
    /// The buffer passed to `poll_transmit` was too small; the transmit is kept and retried
    /// with the next call. Pass a buffer of at least `needed` bytes.
    BufferTooSmall(BufferTooSmall),
    /// The session has stopped for good and says why. Nothing more will be transmitted after
    /// the closes of its sockets.
    Stopped(StopReason),
}

/// Something the session noticed on the stream; it is already doing what the variant says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// An open socket closed; the session reconnects (after a backoff) and re-reads the state.
    SocketClosed(CloseInfo),
    /// A socket could not be opened; the session checks whether the channel still exists.
    SocketFailed(CloseInfo),
    /// The socket stayed silent through a ping; it is closed and reconnected.
    SocketSilent {
        /// How long nothing arrived.
        silent_for: Duration,
    },
    /// A frame was not a Genesys notification; it was counted and ignored.
    InvalidFrame(EventError),
    /// A frame too large for the driver's buffer was dropped; the state is re-read.
    FrameTooLarge {
        /// The frame's length in bytes.
        len: usize,
    },
    /// Genesys dropped the channel's subscriptions (`v2.system.no_longer_subscribed`); the
    /// agents are stale until re-read.
    SubscriptionsLost {
        /// The notice gave the reason `another_channel_subscribed` (undocumented: most likely
        /// another channel of the same user and OAuth client subscribed the same topics).
        another_channel: bool,
        /// A rollover's replacement channel is on its way and keeps the topics: the old
        /// channel is not resubscribed, so the two never fight over them. Otherwise the
        /// channel subscribes again.
        replacement_coming: bool,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::SocketClosed(close) => write!(
                f,
                "The notification socket closed: {close}. Reconnecting and re-reading the agents' state."
            ),
            Notice::SocketFailed(close) => write!(
                f,
                "The notification socket could not be opened: {close}. Checking that the channel still exists."
            ),
            Notice::SocketSilent { silent_for } => write!(
                f,
                "Nothing arrived on the notification socket for {silent_for}, not even an answer to a ping. Reconnecting."
            ),
            Notice::InvalidFrame(error) => write!(f, "Ignored a frame: {error}."),
            Notice::SubscriptionsLost {
                another_channel,
                replacement_coming,
            } => {
                f.write_str("Genesys dropped this channel's subscriptions")?;
                if *another_channel {
                    f.write_str(
                        " (reason another_channel_subscribed: another channel of this user and OAuth client subscribed the same topics; more than 20 channels, or a second client with the same credentials, evicts and steals topics)",
                    )?;
                }
                if *replacement_coming {
                    f.write_str(". The replacement channel keeps the topics; re-reading the agents' state once it is open.")
                } else {
                    f.write_str(". Subscribing again and re-reading the agents' state.")
                }
            }
            Notice::FrameTooLarge { len } => write!(
                f,
                "A {len}-byte frame did not fit the receive buffer and was dropped; re-reading the agents' state. Give the driver a larger frame buffer if this repeats."
            ),
        }
    }
}

/// Why the session stopped for good.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "the core has no allocator to box into; a Diagnosis is bounded and kept inline"
)]
pub enum StopReason {
    /// Genesys refused in a way retrying cannot fix (a token refused twice, a missing
    /// permission, no permitted topic, a malformed request): the diagnosis says what to change.
    Refused(Diagnosis),
    /// The channel's `connectUri` named a host the configuration did not; nothing was sent there.
    ForeignConnectUri(ConnectUriError),
    /// A token was refused and the driver's token provider cannot supply another (a fixed
    /// token): configure a new one.
    TokenUnavailable,
}

impl StopReason {
    /// The diagnosis, when Genesys' answer is the reason.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            StopReason::Refused(diagnosis) => Some(diagnosis),
            _ => None,
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Refused(diagnosis) => diagnosis.fmt(f),
            StopReason::ForeignConnectUri(error) => error.fmt(f),
            StopReason::TokenUnavailable => f.write_str(
                "The access token was refused and the token provider cannot supply another: configure a new token.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{Environment, Region};
    extern crate std;
    use std::string::ToString;

    #[test]
    fn notices_say_what_the_session_does_about_them() {
        let closed = Notice::SocketClosed(CloseInfo::Peer { code: Some(1001) });
        assert!(closed.to_string().contains("code 1001"));
        assert!(closed.to_string().contains("Reconnecting"));
        let silent = Notice::SocketSilent {
            silent_for: Duration::from_secs(85),
        };
        assert!(silent.to_string().contains("1m25s"));
        let large = Notice::FrameTooLarge { len: 70_000 };
        assert!(large.to_string().contains("larger frame buffer"));
    }

    #[test]
    fn a_foreign_connect_uri_stop_names_the_expected_host() {
        let env = Environment::Cloud(Region::EuWest1);
        let Err(error) = env.check_connect_uri("wss://streaming.evil.example/channels/x") else {
            panic!("a foreign host must be refused");
        };
        let reason = StopReason::ForeignConnectUri(error);
        assert!(reason.to_string().contains("streaming.mypurecloud.ie"));
        assert!(reason.diagnosis().is_none());
    }

    #[test]
    fn ids_round_trip_through_their_numbers() {
        assert_eq!(RequestId::from_raw(7).as_raw(), 7);
        assert_eq!(SocketId::from_raw(9).to_string(), "socket #9");
        assert!(TokenReason::Rejected.invalidates_current());
        assert!(!TokenReason::Expiring.invalidates_current());
    }
}
