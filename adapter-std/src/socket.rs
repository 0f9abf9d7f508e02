//! The notification socket, over `tokio-tungstenite`.
//!
//! Each socket the session asks for runs in its own task, so that during a rollover two
//! channels can be read at once without the runner juggling two streams. The task connects,
//! forwards what it reads to the runner through one bounded queue shared by all sockets, and
//! writes what the runner hands it. Nothing here knows what a frame means.
//!
//! Memory stays bounded however fast the server sends: the shared queue holds at most
//! [`INBOUND_QUEUE`] frames, and a task whose frame does not fit waits, which stops it reading
//! and lets TCP flow control push back on the server. A frame longer than the core accepts
//! ([`event::MAX_FRAME_LEN`]) is not forwarded, only its length (the session decides what a
//! dropped frame means); tungstenite itself refuses anything over [`MAX_WIRE_MESSAGE_LEN`]
//! and the socket is closed.
//!
//! The socket carries no credential: Genesys authorises it by the channel id in `connectUri`,
//! so the connect request is a plain WebSocket upgrade with no `Authorization` header and no
//! token in the URL.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::event;
use genesys_notify_core::session::{CloseInfo, SocketId};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Bytes, Message};

use crate::proxy::{self, Proxy};

/// The longest message tungstenite will assemble; a longer one fails the socket.
///
/// Four times the core's frame limit: frames between the two are read, measured and dropped
/// (so the session can say what happened), frames beyond are treated as a broken peer.
pub const MAX_WIRE_MESSAGE_LEN: usize = 4 * event::MAX_FRAME_LEN;

/// How many received frames may wait for the runner, across all sockets.
///
/// The runner handles a frame in microseconds; 256 absorbs a burst (a conversation with many
/// participants changing at once) while capping buffered frames at 256 × 64 KiB in the worst case.
pub const INBOUND_QUEUE: usize = 256;

/// How many outgoing frames may wait for one socket's writer.
///
/// The session sends a handful (subscribe, ping); a queue this deep filling up means the
/// connection is stalled, and the socket is closed rather than buffering more.
const OUTGOING_QUEUE: usize = 16;

/// What a socket task reports to the runner, under the session's id for the socket.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// The WebSocket handshake completed.
    Open(SocketId),
    /// A text (or binary) frame within the core's limit.
    Frame(SocketId, Bytes),
    /// A frame longer than [`event::MAX_FRAME_LEN`] arrived and was dropped.
    TooLarge(SocketId, usize),
    /// The socket is gone; the task has ended.
    Closed(SocketId, Closed),
}

/// How a socket ended: the core's [`CloseInfo`], and a detail for the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Closed {
    /// What the session needs to know.
    pub info: CloseInfo,
    /// What happened, in words, for a log line.
    pub detail: String,
}

/// How long the TCP, TLS and WebSocket handshakes may take together.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

enum Outgoing {
    Text(String),
    Close,
}

/// How long closing a socket may take: a stalled peer must not hold the task forever.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long one outgoing frame may take to leave: a peer that stops reading fills the TCP
/// window, the write waits, and without this bound the task (and the reads it serves) would
/// wait with it. Frames are small (subscribe, ping), so ten seconds means a dead peer.
pub(crate) const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The runner's end of one socket task. Dropping it ends the task at once; [`close`] ends it
/// with a close frame and a `Closed` event.
///
/// [`close`]: SocketHandle::close
pub(crate) struct SocketHandle {
    outgoing: mpsc::Sender<Outgoing>,
    /// Asks the task to close even when its queue is full (a stalled connection).
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SocketHandle {
    /// Queues a text frame. Returns `false` if the socket is gone or stalled (its queue is
    /// full); a stalled socket is told to close, and its `Closed` event follows.
    pub fn send(&self, text: String) -> bool {
        match self.outgoing.try_send(Outgoing::Text(text)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stop.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Asks the task to send a close frame and end; its `Closed` event follows.
    pub fn close(&self) {
        if self.outgoing.try_send(Outgoing::Close).is_err() {
            self.stop.notify_one();
        }
    }
}

impl Drop for SocketHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How socket tasks reach the server: the same for every socket of a client.
#[derive(Clone)]
pub(crate) struct Dial {
    /// Used for `wss://`; `ws://` (a loopback simulator, checked by the core) is plain.
    pub tls: Arc<rustls::ClientConfig>,
    /// The `HTTPS_PROXY` tunnel for `wss://`, if one is set.
    pub proxy: Option<Arc<Proxy>>,
    /// [`WRITE_TIMEOUT`] (tests use a shorter one).
    pub write_timeout: std::time::Duration,
}

/// Starts a task that connects to `uri` and reports to `events` under `id`.
pub(crate) fn spawn(
    id: SocketId,
    uri: String,
    dial: Dial,
    events: mpsc::Sender<SocketEvent>,
) -> SocketHandle {
    let (outgoing, queue) = mpsc::channel(OUTGOING_QUEUE);
    let stop = Arc::new(Notify::new());
    let stopped = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let closed = run(id, &uri, dial, &events, queue, &stopped).await;
        // The runner may have dropped its receiver while shutting down; nothing to tell then.
        let _ = events.send(SocketEvent::Closed(id, closed)).await;
    });
    SocketHandle {
        outgoing,
        stop,
        task,
    }
}

async fn run(
    id: SocketId,
    uri: &str,
    dial: Dial,
    events: &mpsc::Sender<SocketEvent>,
    mut queue: mpsc::Receiver<Outgoing>,
    stop: &Notify,
) -> Closed {
    let write_timeout = dial.write_timeout;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_WIRE_MESSAGE_LEN))
        .max_frame_size(Some(MAX_WIRE_MESSAGE_LEN));
    let connect = proxy::connect_websocket(uri, Some(config), dial.tls, dial.proxy.as_deref());
    let mut socket = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok((socket, _response))) => socket,
        Ok(Err(e)) => return failed(&e),
        Err(_) => {
            return Closed {
                info: CloseInfo::Transport(Transport::Timeout),
                detail: format!(
                    "no WebSocket handshake within {}s",
                    CONNECT_TIMEOUT.as_secs()
                ),
            };
        }
    };
    if events.send(SocketEvent::Open(id)).await.is_err() {
        return local_close("the client is shutting down");
    }
    loop {
        tokio::select! {
            outgoing = queue.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    match tokio::time::timeout(write_timeout, socket.send(Message::text(text))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return failed(&e),
                        Err(_) => {
                            return Closed {
                                info: CloseInfo::Transport(Transport::Timeout),
                                detail: format!(
                                    "a frame could not be written within {} ms: the server stopped reading",
                                    write_timeout.as_millis()
                                ),
                            };
                        }
                    }
                }
                Some(Outgoing::Close) | None => {
                    // Best effort: the peer may already be gone, and the socket is dropped anyway.
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
                    return local_close("closed by the client");
                }
            },
            () = stop.notified() => {
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
                return local_close("closed by the client: its outgoing queue was full");
            }
            incoming = socket.next() => {
                let report = match incoming {
                    Some(Ok(Message::Text(text))) => frame(id, Bytes::from(text)),
                    Some(Ok(Message::Binary(bytes))) => frame(id, bytes),
                    Some(Ok(Message::Close(close))) => {
                        return Closed {
                            info: CloseInfo::Peer { code: close.as_ref().map(|c| u16::from(c.code)) },
                            detail: close
                                .map(|c| format!("closed by the server ({}: {})", c.code, c.reason))
                                .unwrap_or_else(|| "closed by the server".to_owned()),
                        };
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Err(e)) => return failed(&e),
                    None => {
                        return Closed {
                            info: CloseInfo::Transport(Transport::Closed),
                            detail: "the connection ended without a close frame".to_owned(),
                        };
                    }
                };
                if events.send(report).await.is_err() {
                    return local_close("the client is shutting down");
                }
            }
        }
    }
}

fn frame(id: SocketId, bytes: Bytes) -> SocketEvent {
    if bytes.len() > event::MAX_FRAME_LEN {
        SocketEvent::TooLarge(id, bytes.len())
    } else {
        SocketEvent::Frame(id, bytes)
    }
}

fn local_close(reason: &str) -> Closed {
    Closed {
        info: CloseInfo::Peer { code: None },
        detail: reason.to_owned(),
    }
}

/// What a tungstenite error means to the session.
fn failed(e: &tungstenite::Error) -> Closed {
    let info = match e {
        tungstenite::Error::Http(response) => CloseInfo::Refused {
            status: response.status().as_u16(),
        },
        tungstenite::Error::Tls(_) => CloseInfo::Transport(Transport::Tls),
        tungstenite::Error::Io(io) if crate::tls::is_tls_failure(io) => {
            CloseInfo::Transport(Transport::Tls)
        }
        tungstenite::Error::Io(io) => CloseInfo::Transport(match io.kind() {
            std::io::ErrorKind::ConnectionRefused => Transport::Connect,
            std::io::ErrorKind::TimedOut => Transport::Timeout,
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => Transport::Closed,
            // The resolver's failures surface as uncategorised I/O errors.
            _ if io.to_string().contains("lookup") => Transport::Dns,
            _ => Transport::Other,
        }),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            CloseInfo::Transport(Transport::Closed)
        }
        _ => CloseInfo::Transport(Transport::Other),
    };
    Closed {
        info,
        detail: describe(e),
    }
}

fn describe(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(response) => format!(
            "the server refused the WebSocket upgrade with HTTP {}",
            response.status()
        ),
        tungstenite::Error::Capacity(e) => format!("a frame exceeded the size limit ({e})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A server that completes the WebSocket handshake and then never reads again, with a
    /// small receive buffer so the client's writes back up at once.
    async fn deaf_server() -> (u16, tokio::sync::oneshot::Sender<()>) {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(4096).expect("a small buffer");
        socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let port = socket.local_addr().unwrap().port();
        let listener = socket.listen(1).expect("listen");
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
            // Hold the connection open, unread, until the test is over.
            let _ = finished.await;
            drop(ws);
        });
        (port, done)
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_ends_the_socket_after_the_write_timeout() {
        let (port, _hold) = deaf_server().await;
        let (events_tx, mut events) = mpsc::channel(INBOUND_QUEUE);
        let tls = crate::tls::client_config().expect("tls");
        let dial = Dial {
            tls,
            proxy: None,
            write_timeout: Duration::from_millis(300),
        };
        let socket = SocketId::from_raw(7);
        let handle = spawn(socket, format!("ws://127.0.0.1:{port}/"), dial, events_tx);
        assert!(matches!(events.recv().await, Some(SocketEvent::Open(id)) if id == socket));
        // Far more than the kernel buffers hold: the writer must block and then give up.
        let frame = "x".repeat(1 << 20);
        for _ in 0..OUTGOING_QUEUE {
            if !handle.send(frame.clone()) {
                break;
            }
        }
        match events.recv().await {
            Some(SocketEvent::Closed(id, closed)) if id == socket => {
                assert_eq!(closed.info, CloseInfo::Transport(Transport::Timeout));
                assert!(
                    closed.detail.contains("stopped reading"),
                    "the detail says why: {}",
                    closed.detail
                );
            }
            other => panic!("expected the socket to close on the write timeout, got {other:?}"),
        }
    }
}
