//! A WebSocket client (RFC 6455) over any `embedded-io-async` stream, for the notification socket.
//!
//! The wire format is edge-ws's (`FrameHeader` encode/decode, masking) and the upgrade headers
//! and `Sec-WebSocket-Accept` check are edge-http's; this module adds the client behaviour the
//! Genesys socket needs and those crates leave to the caller:
//!
//! - the handshake reads the `101` response byte by byte, so no frame that follows it is lost;
//!   a refusal (`403`, `404`) is reported with its status, since it tells the session what to do;
//! - messages are reassembled from fragments into the caller's buffer, with control frames
//!   allowed between fragments (RFC 6455 §5.4);
//! - a message larger than the buffer is drained to its end and reported as
//!   [`Message::TooLarge`] with its length, so the stream stays in sync and the session can
//!   mark the agent's state stale instead of dropping the connection;
//! - the mask key of every frame we send comes from the caller's RNG (RFC 6455 §5.3).
//!
//! Reading is not cancel-safe (a frame header may be half read): keep the [`WsReader::next`]
//! future alive across the runner's `select` iterations rather than dropping it.

use core::fmt;

use edge_http::ws::{
    MAX_BASE64_KEY_LEN, MAX_BASE64_KEY_RESPONSE_LEN, NONCE_LEN, is_upgrade_accepted,
    upgrade_request_headers,
};
use edge_http::{Method as EdgeMethod, RequestHeaders, ResponseHeaders};
use edge_ws::{FrameHeader, FrameType};
use embedded_io_async::{Read, Write};
use rand_core::RngCore;

/// The largest control frame payload RFC 6455 allows (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Response header slots for the upgrade: a `101` carries a handful.
const MAX_UPGRADE_RESPONSE_HEADERS: usize = 24;

/// Request header slots for the upgrade: host, user agent, and edge-http's seven.
const MAX_UPGRADE_REQUEST_HEADERS: usize = 10;

/// The chunk size used to drain an oversized message: small enough for the stack of a task.
const DRAIN_CHUNK_LEN: usize = 64;

/// Close code sent when we end the connection on purpose (RFC 6455 §7.4.1).
pub const CLOSE_NORMAL: u16 = 1000;

/// The WebSocket layer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WsError {
    /// The server answered the upgrade with this HTTP status instead of `101`
    /// (Genesys: `404` unknown or expired channel; `403` refused). Tell the session.
    Rejected(u16),
    /// The server's `101` lacked a valid `Sec-WebSocket-Accept`: not a WebSocket server.
    BadHandshake,
    /// The server broke the protocol (masked frame, bad opcode, oversized control frame,
    /// continuation without a start): close the connection.
    Protocol,
    /// The connection failed or closed without a close frame: reconnect.
    Io,
    /// The handshake response did not fit the head buffer.
    HeadTooLarge,
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(status) => {
                write!(
                    f,
                    "the server refused the WebSocket upgrade with HTTP {status}"
                )
            }
            Self::BadHandshake => f.write_str("the server's WebSocket handshake answer is invalid"),
            Self::Protocol => f.write_str("the server broke the WebSocket protocol"),
            Self::Io => f.write_str("the WebSocket connection failed"),
            Self::HeadTooLarge => {
                f.write_str("the WebSocket handshake response is larger than the head buffer")
            }
        }
    }
}

impl<E> From<edge_ws::Error<E>> for WsError {
    fn from(e: edge_ws::Error<E>) -> Self {
        match e {
            edge_ws::Error::Io(_) => WsError::Io,
            // `read_exact` hitting the end of the stream is reported as `Invalid` by edge-ws.
            _ => WsError::Protocol,
        }
    }
}

impl<E> From<edge_http::io::Error<E>> for WsError {
    fn from(e: edge_http::io::Error<E>) -> Self {
        use edge_http::io::Error;
        match e {
            Error::TooLongHeaders | Error::TooManyHeaders => WsError::HeadTooLarge,
            Error::Io(_) | Error::ConnectionClosed | Error::IncompleteHeaders => WsError::Io,
            _ => WsError::BadHandshake,
        }
    }
}

/// Opens the WebSocket on an established stream: `GET path` with a fresh `Sec-WebSocket-Key`.
///
/// `host` is the `Host` header (with `:port` when not 443). `head` receives the response head.
/// No credentials are sent: the Genesys channel id in `path` is the capability.
pub async fn handshake<S, R>(
    io: &mut S,
    host: &str,
    path: &str,
    rng: &mut R,
    head: &mut [u8],
) -> Result<(), WsError>
where
    S: Read + Write,
    R: RngCore,
{
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut key = [0u8; MAX_BASE64_KEY_LEN];

    let mut request = RequestHeaders::<MAX_UPGRADE_REQUEST_HEADERS>::new();
    request.method = EdgeMethod::Get;
    request.path = path;
    request.headers.set("User-Agent", "genesys-notify-embassy");
    for (name, value) in upgrade_request_headers(Some(host), None, None, &nonce, &mut key) {
        // edge-http leaves ("", "") for an absent Origin; and a GET carries no Content-Length.
        if !name.is_empty() && name != "Content-Length" {
            request.headers.set(name, value);
        }
    }
    request.send(false, &mut *io).await?;
    io.flush().await.map_err(|_| WsError::Io)?;

    let mut response = ResponseHeaders::<MAX_UPGRADE_RESPONSE_HEADERS>::new();
    // `exact`: stop at the blank line, leaving any frame the server sends at once unread.
    response.receive(head, &mut *io, true).await?;
    if response.code != 101 {
        return Err(WsError::Rejected(response.code));
    }
    let mut accept = [0u8; MAX_BASE64_KEY_RESPONSE_LEN];
    if is_upgrade_accepted(response.code, response.headers.iter(), &nonce, &mut accept) {
        Ok(())
    } else {
        Err(WsError::BadHandshake)
    }
}

/// One message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A complete text message (all fragments joined).
    Text(&'a [u8]),
    /// A complete binary message; Genesys sends none, the session ignores it.
    Binary(&'a [u8]),
    /// A ping: answer with [`send_pong`] carrying the same payload.
    Ping(&'a [u8]),
    /// A pong to a ping we sent.
    Pong,
    /// The server closed the WebSocket: answer with [`send_close`] and drop the connection.
    Close {
        /// The close code, if the server sent one (1001 "idle timeout" has been seen).
        code: Option<u16>,
    },
    /// A data message longer than the buffer, read to its end and thrown away.
    TooLarge {
        /// Its full length in bytes.
        len: u64,
    },
}

/// Reassembles server messages into a caller-provided buffer.
pub struct WsReader<'b> {
    buf: &'b mut [u8],
    control: [u8; MAX_CONTROL_PAYLOAD],
    /// Bytes of the message being reassembled.
    filled: usize,
    /// The opcode of the message being reassembled, while its fragments arrive.
    assembling: Option<DataKind>,
    /// Total length of a message that outgrew `buf` (drained, not stored).
    overflow: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataKind {
    Text,
    Binary,
}

impl<'b> WsReader<'b> {
    /// A reader whose largest message is `buf.len()` bytes.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            control: [0; MAX_CONTROL_PAYLOAD],
            filled: 0,
            assembling: None,
            overflow: None,
        }
    }

    /// Reads frames until a whole message or a control frame is in; see [`Message`].
    pub async fn next<R: Read>(&mut self, io: &mut R) -> Result<Message<'_>, WsError> {
        loop {
            let header = FrameHeader::recv(&mut *io).await?;
            if header.mask_key.is_some() {
                return Err(WsError::Protocol); // RFC 6455 §5.1: servers never mask.
            }
            let len = header.payload_len;
            match header.frame_type {
                FrameType::Ping | FrameType::Pong | FrameType::Close => {
                    let control_len = usize::try_from(len)
                        .ok()
                        .filter(|&l| l <= MAX_CONTROL_PAYLOAD)
                        .ok_or(WsError::Protocol)?;
                    let payload = self
                        .control
                        .get_mut(..control_len)
                        .ok_or(WsError::Protocol)?;
                    io.read_exact(payload).await.map_err(|_| WsError::Io)?;
                    let payload = self.control.get(..control_len).unwrap_or_default();
                    return Ok(match header.frame_type {
                        FrameType::Ping => Message::Ping(payload),
                        FrameType::Pong => Message::Pong,
                        _ => Message::Close {
                            code: payload
                                .get(..2)
                                .and_then(|c| <[u8; 2]>::try_from(c).ok())
                                .map(u16::from_be_bytes),
                        },
                    });
                }
                FrameType::Text(_) | FrameType::Binary(_) => {
                    if self.assembling.is_some() {
                        return Err(WsError::Protocol); // a new message inside a fragmented one
                    }
                    self.assembling = Some(if matches!(header.frame_type, FrameType::Text(_)) {
                        DataKind::Text
                    } else {
                        DataKind::Binary
                    });
                    self.filled = 0;
                    self.overflow = None;
                }
                FrameType::Continue(_) => {
                    if self.assembling.is_none() {
                        return Err(WsError::Protocol);
                    }
                }
            }
            self.append(io, len).await?;
            if header.frame_type.is_final() {
                let kind = self.assembling.take();
                if let Some(len) = self.overflow.take() {
                    return Ok(Message::TooLarge { len });
                }
                let message = self.buf.get(..self.filled).unwrap_or_default();
                return Ok(match kind {
                    Some(DataKind::Binary) => Message::Binary(message),
                    _ => Message::Text(message),
                });
            }
        }
    }

    /// Appends one frame's payload to the message, or drains it once the message outgrew `buf`.
    async fn append<R: Read>(&mut self, io: &mut R, len: u64) -> Result<(), WsError> {
        let fits = usize::try_from(len)
            .ok()
            .and_then(|len| self.filled.checked_add(len))
            .filter(|&end| end <= self.buf.len());
        match (fits, self.overflow) {
            (Some(end), None) => {
                let into = self
                    .buf
                    .get_mut(self.filled..end)
                    .ok_or(WsError::Protocol)?;
                io.read_exact(into).await.map_err(|_| WsError::Io)?;
                self.filled = end;
            }
            (_, overflow) => {
                let so_far = overflow.unwrap_or(self.filled as u64);
                self.overflow = Some(so_far.saturating_add(len));
                let mut chunk = [0u8; DRAIN_CHUNK_LEN];
                let mut left = len;
                while left > 0 {
                    let step =
                        usize::try_from(left).map_or(DRAIN_CHUNK_LEN, |l| l.min(DRAIN_CHUNK_LEN));
                    let into = chunk.get_mut(..step).ok_or(WsError::Protocol)?;
                    io.read_exact(into).await.map_err(|_| WsError::Io)?;
                    left -= step as u64;
                }
            }
        }
        Ok(())
    }
}

/// Sends one text message in a single masked frame.
pub async fn send_text<W: Write, R: RngCore>(
    io: &mut W,
    rng: &mut R,
    text: &[u8],
) -> Result<(), WsError> {
    send(io, rng, FrameType::Text(false), text).await
}

/// Answers a ping with its payload.
pub async fn send_pong<W: Write, R: RngCore>(
    io: &mut W,
    rng: &mut R,
    payload: &[u8],
) -> Result<(), WsError> {
    send(io, rng, FrameType::Pong, payload).await
}

/// Sends a close frame with `code` (no reason text).
pub async fn send_close<W: Write, R: RngCore>(
    io: &mut W,
    rng: &mut R,
    code: u16,
) -> Result<(), WsError> {
    send(io, rng, FrameType::Close, &code.to_be_bytes()).await
}

async fn send<W: Write, R: RngCore>(
    io: &mut W,
    rng: &mut R,
    frame_type: FrameType,
    payload: &[u8],
) -> Result<(), WsError> {
    edge_ws::io::send(&mut *io, frame_type, Some(rng.next_u32()), payload).await?;
    io.flush().await.map_err(|_| WsError::Io)
}
