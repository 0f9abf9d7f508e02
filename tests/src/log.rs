//! Everything the simulator received and sent, for tests to assert on.
//!
//! A client's worst bugs are invisible in its own output: a token leaked into a URL, a retry storm,
//! a subscription sent twice. The simulator sees all of that from the other side, so it records
//! every request (method, URI, headers) and every WebSocket frame in both directions.
//!
//! Secrets are never stored: `Authorization` values and any issued token found in a URI, a header
//! or a client's frame are replaced by `***` before recording. A token found in a URI still marks the record
//! ([`RequestRecord::token_in_url`]) so tests can flag the leak.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::operation::Operation;

/// What the simulator puts in place of a secret.
pub const REDACTED: &str = "***";

/// How many entries the log keeps; older ones are forgotten. Tests stay far below it; it bounds
/// the memory of a long-running `genesys-sim` program (heartbeats are logged too), at roughly
/// 50 MB.
pub const MAX_LOG_ENTRIES: usize = 100_000;

/// One recorded HTTP request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestRecord {
    /// When it arrived.
    pub at: Instant,
    /// The HTTP method.
    pub method: Method,
    /// The request URI (path and query), with secrets replaced by [`REDACTED`].
    pub uri: String,
    /// The path alone.
    pub path: String,
    /// The header names and values, `Authorization` values replaced by `Bearer ***`/`Basic ***`.
    pub headers: Vec<(String, String)>,
    /// The operation the path names.
    pub operation: Operation,
    /// Whether the URI carried a token (an `access_token`-like query key or an issued token).
    pub token_in_url: bool,
    /// Whether the request carried an `Authorization: Bearer` header.
    pub bearer: bool,
}

impl RequestRecord {
    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to simulator.
    In,
    /// Simulator to client.
    Out,
}

/// The WebSocket frame types, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameKind {
    /// A text frame; [`FrameRecord::text`] holds it.
    Text,
    /// A binary frame; [`FrameRecord::text`] holds its length.
    Binary,
    /// A ping control frame.
    Ping,
    /// A pong control frame.
    Pong,
    /// A close frame; [`FrameRecord::text`] holds `code reason`.
    Close,
    /// A deliberately invalid frame (see [`crate::Malformed`]).
    Raw,
}

/// One recorded WebSocket frame.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FrameRecord {
    /// When it was received or written.
    pub at: Instant,
    /// The channel the socket belongs to.
    pub channel_id: String,
    /// The socket (channels can be connected several times in a row).
    pub socket: u64,
    /// Which way it went.
    pub direction: Direction,
    /// The frame type.
    pub kind: FrameKind,
    /// The text of a text frame, or a short description of any other frame.
    pub text: String,
}

/// Why a socket ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEnd {
    /// The simulator sent a close frame with this code.
    ClosedByServer(u16),
    /// The client sent a close frame (or the code it sent).
    ClosedByClient(Option<u16>),
    /// The simulator reset the TCP connection.
    Reset,
    /// The connection ended without a close frame.
    Dropped,
}

/// A socket opening or ending.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketRecord {
    /// When it happened.
    pub at: Instant,
    /// The channel the socket belongs to.
    pub channel_id: String,
    /// The socket.
    pub socket: u64,
    /// `None` when it opened; how it ended otherwise.
    pub end: Option<SocketEnd>,
}

/// One entry of the log, in arrival order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Entry {
    /// An HTTP request (WebSocket upgrades included).
    Request(RequestRecord),
    /// A WebSocket frame.
    Frame(FrameRecord),
    /// A WebSocket opened or ended.
    Socket(SocketRecord),
}

#[derive(Default)]
pub(crate) struct LogStore {
    entries: Mutex<VecDeque<Entry>>,
    changed: Notify,
}

impl LogStore {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        // A panic elsewhere while holding the lock cannot leave the Vec half-written.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn push(&self, entry: Entry) {
        {
            let mut entries = self.lock();
            if entries.len() >= MAX_LOG_ENTRIES {
                entries.pop_front();
            }
            entries.push_back(entry);
        }
        self.changed.notify_waiters();
    }

    pub(crate) fn frame(
        &self,
        channel_id: &str,
        socket: u64,
        direction: Direction,
        kind: FrameKind,
        text: String,
    ) {
        self.push(Entry::Frame(FrameRecord {
            at: Instant::now(),
            channel_id: channel_id.to_owned(),
            socket,
            direction,
            kind,
            text,
        }));
    }

    pub(crate) fn socket(&self, channel_id: &str, socket: u64, end: Option<SocketEnd>) {
        self.push(Entry::Socket(SocketRecord {
            at: Instant::now(),
            channel_id: channel_id.to_owned(),
            socket,
            end,
        }));
    }
}

/// A handle on the simulator's log; cheap to clone.
#[derive(Clone)]
pub struct Log {
    pub(crate) store: Arc<LogStore>,
}

impl Log {
    /// Every entry so far (the last [`MAX_LOG_ENTRIES`]), in order.
    pub fn entries(&self) -> Vec<Entry> {
        self.store.lock().iter().cloned().collect()
    }

    /// Forgets every entry so far (a test's "from here on").
    pub fn clear(&self) {
        self.store.lock().clear();
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.requests_matching(|_| true)
    }

    /// The requests for which `predicate` holds.
    pub fn requests_matching(
        &self,
        predicate: impl Fn(&RequestRecord) -> bool,
    ) -> Vec<RequestRecord> {
        self.store
            .lock()
            .iter()
            .filter_map(|e| match e {
                Entry::Request(r) if predicate(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    /// The requests for one operation.
    pub fn requests_for(&self, operation: Operation) -> Vec<RequestRecord> {
        self.requests_matching(|r| r.operation == operation)
    }

    /// The requests that carried a token in their URL. A correct client makes this empty.
    pub fn token_leaks(&self) -> Vec<RequestRecord> {
        self.requests_matching(|r| r.token_in_url)
    }

    /// Every frame so far.
    pub fn frames(&self) -> Vec<FrameRecord> {
        self.frames_matching(|_| true)
    }

    /// The frames for which `predicate` holds.
    pub fn frames_matching(&self, predicate: impl Fn(&FrameRecord) -> bool) -> Vec<FrameRecord> {
        self.store
            .lock()
            .iter()
            .filter_map(|e| match e {
                Entry::Frame(f) if predicate(f) => Some(f.clone()),
                _ => None,
            })
            .collect()
    }

    /// The text frames a client sent, on any channel.
    pub fn frames_received(&self) -> Vec<FrameRecord> {
        self.frames_matching(|f| f.direction == Direction::In && f.kind == FrameKind::Text)
    }

    /// Every socket opening and ending so far.
    pub fn sockets(&self) -> Vec<SocketRecord> {
        self.store
            .lock()
            .iter()
            .filter_map(|e| match e {
                Entry::Socket(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// Waits until an entry for which `predicate` holds is in the log (already or later) and
    /// returns it; `None` when `within` passes first. `within` is an upper bound, never a sleep.
    pub async fn wait_for(
        &self,
        within: Duration,
        predicate: impl Fn(&Entry) -> bool,
    ) -> Option<Entry> {
        let deadline = Instant::now() + within;
        loop {
            let changed = self.store.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(found) = self.store.lock().iter().find(|e| predicate(e)) {
                return Some(found.clone());
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return None;
            }
        }
    }

    /// Waits until a request for `operation` has arrived; `None` when `within` passes first.
    pub async fn wait_for_request(
        &self,
        within: Duration,
        operation: Operation,
    ) -> Option<RequestRecord> {
        match self
            .wait_for(
                within,
                |e| matches!(e, Entry::Request(r) if r.operation == operation),
            )
            .await
        {
            Some(Entry::Request(r)) => Some(r),
            _ => None,
        }
    }
}
