//! Faults on demand: everything the real service does to clients on a bad day.
//!
//! Each fault is something a client must survive, and each is triggered explicitly by the test, at
//! the moment the test chooses, so tests stay deterministic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tokio::time::Instant;

use crate::error::{ApiError, TokenEndpointError};
use crate::operation::Operation;
use crate::socket::SocketCommand;
use crate::state::Shared;

/// How an injected failure answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// 401 `credentials.expired` (at the token endpoint: `invalid_client`).
    Unauthorized,
    /// 403 `not.authorized` (at the token endpoint: `unauthorized_client`).
    Forbidden,
    /// 404 `not.found`.
    NotFound,
    /// 429 `too.many.requests` with `Retry-After: retry_after_secs`.
    TooManyRequests {
        /// The `Retry-After` header value, in whole seconds (Genesys sends integers).
        retry_after_secs: u32,
    },
    /// 500 `internal.server.error`.
    InternalServerError,
    /// 503 `service.unavailable`.
    ServiceUnavailable,
    /// 200 with an HTML page: not Genesys answering but a captive portal or a proxy's login
    /// page. A success status without the expected body.
    NotGenesys,
}

/// The page [`Failure::NotGenesys`] answers with.
const PORTAL_PAGE: &str =
    "<!doctype html><html><body><h1>Sign in to the guest network</h1></body></html>";

impl Failure {
    pub(crate) fn response(self, operation: Operation) -> Response {
        if self == Self::NotGenesys {
            return (
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "text/html")],
                PORTAL_PAGE,
            )
                .into_response();
        }
        if operation == Operation::Token {
            let (status, error, description) = match self {
                Self::Unauthorized => (
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client authentication failed",
                ),
                Self::Forbidden => (
                    StatusCode::FORBIDDEN,
                    "unauthorized_client",
                    "client is not authorized",
                ),
                Self::NotFound => (StatusCode::NOT_FOUND, "invalid_request", "not found"),
                Self::TooManyRequests { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "rate limited",
                ),
                Self::InternalServerError => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error",
                ),
                Self::ServiceUnavailable | Self::NotGenesys => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "try again later",
                ),
            };
            let mut e = TokenEndpointError::new(status, error, description);
            if let Self::TooManyRequests { retry_after_secs } = self {
                e.retry_after = Some(retry_after_secs);
            }
            return e.into_response();
        }
        let e = match self {
            Self::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "credentials.expired",
                "The supplied credentials are expired and cannot be used.",
            ),
            Self::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "not.authorized",
                "You are not authorized to perform the requested action.",
            ),
            Self::NotFound => ApiError::not_found("The requested resource was not found."),
            Self::TooManyRequests { retry_after_secs } => {
                ApiError::too_many_requests(retry_after_secs)
            }
            Self::InternalServerError => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal.server.error",
                "The server encountered an unexpected condition.",
            ),
            Self::ServiceUnavailable | Self::NotGenesys => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service.unavailable",
                "Service is currently unavailable.",
            ),
        };
        e.into_response()
    }
}

/// How to end a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disconnect {
    /// A close frame with code 1000 (normal closure).
    Clean,
    /// A close frame with code 1001 and reason `idle timeout`, as seen from Genesys.
    GoingAway,
    /// No close frame: the TCP connection is reset (RST).
    Reset,
}

/// A deliberately broken frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// A text frame with JSON cut off in the middle.
    TruncatedJson,
    /// A text frame that is not JSON at all.
    NotJson,
    /// Valid JSON that is not an object (`[1,2,3]`).
    NotAnObject,
    /// An envelope without `topicName`.
    MissingTopicName,
    /// A binary frame (Genesys only sends text).
    Binary,
    /// A text frame whose payload is not UTF-8 (a protocol violation the client must survive).
    InvalidUtf8,
}

#[derive(Default)]
struct FaultState {
    failures: Vec<(Operation, u32, Failure)>,
    delays: HashMap<Operation, Duration>,
}

pub(crate) struct FaultStore {
    state: Mutex<FaultState>,
    heartbeats: AtomicBool,
}

impl Default for FaultStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            heartbeats: AtomicBool::new(true),
        }
    }
}

impl FaultStore {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn heartbeats_enabled(&self) -> bool {
        self.heartbeats.load(Ordering::Relaxed)
    }

    pub(crate) fn delay_for(&self, operation: Operation) -> Option<Duration> {
        self.lock().delays.get(&operation).copied()
    }

    /// Consumes one pending failure for the operation, if any.
    pub(crate) fn take_failure(&self, operation: Operation) -> Option<Failure> {
        let mut state = self.lock();
        let index = state
            .failures
            .iter()
            .position(|(op, left, _)| *op == operation && *left > 0)?;
        let entry = state.failures.get_mut(index)?;
        entry.1 -= 1;
        let failure = entry.2;
        if entry.1 == 0 {
            state.failures.remove(index);
        }
        Some(failure)
    }
}

/// The fault injector of a running simulator; cheap to clone.
#[derive(Clone)]
pub struct Faults {
    pub(crate) shared: Arc<Shared>,
}

impl Faults {
    /// Answers the next `count` requests for `operation` with `failure` (before any other check).
    pub fn fail_next(&self, operation: Operation, count: u32, failure: Failure) {
        self.shared
            .faults
            .lock()
            .failures
            .push((operation, count, failure));
    }

    /// Delays every response to `operation` by `delay` (until [`Faults::clear_delays`]).
    pub fn delay(&self, operation: Operation, delay: Duration) {
        self.shared.faults.lock().delays.insert(operation, delay);
    }

    /// Removes every delay.
    pub fn clear_delays(&self) {
        self.shared.faults.lock().delays.clear();
    }

    fn send(&self, channel_id: &str, command: SocketCommand) -> bool {
        let state = self.shared.lock();
        match state
            .channels
            .get(channel_id)
            .and_then(|c| c.socket.as_ref())
        {
            Some(slot) => slot.tx.send(command).is_ok(),
            None => false,
        }
    }

    /// Ends the channel's socket the given way. Returns whether a socket was connected.
    pub fn drop_socket(&self, channel_id: &str, how: Disconnect) -> bool {
        let command = match how {
            Disconnect::Clean => SocketCommand::Close {
                code: 1000,
                reason: "",
            },
            Disconnect::GoingAway => SocketCommand::Close {
                code: 1001,
                reason: "idle timeout",
            },
            Disconnect::Reset => SocketCommand::Reset,
        };
        self.send(channel_id, command)
    }

    /// Ends every connected socket the given way; returns how many there were.
    pub fn drop_all_sockets(&self, how: Disconnect) -> usize {
        let ids: Vec<String> = {
            let state = self.shared.lock();
            state
                .channels
                .values()
                .filter(|c| c.socket.is_some())
                .map(|c| c.id.clone())
                .collect()
        };
        ids.iter().filter(|id| self.drop_socket(id, how)).count()
    }

    /// Stops heartbeats on this channel's socket, silently: the socket stays open and events still
    /// flow. Returns whether a socket was connected.
    pub fn stop_heartbeats(&self, channel_id: &str) -> bool {
        self.send(channel_id, SocketCommand::Heartbeats(false))
    }

    /// Stops (or restarts) heartbeats on every socket, present and future.
    pub fn set_heartbeats(&self, enabled: bool) {
        self.shared
            .faults
            .heartbeats
            .store(enabled, Ordering::Relaxed);
        let state = self.shared.lock();
        for slot in state.channels.values().filter_map(|c| c.socket.as_ref()) {
            // A socket that is ending has dropped its receiver and needs no heartbeats.
            let _ = slot.tx.send(SocketCommand::Heartbeats(enabled));
        }
    }

    /// Sends `v2.system.socket_closing`, then closes the socket (1001) after the configured lead
    /// time. Returns whether a socket was connected.
    pub fn socket_closing(&self, channel_id: &str) -> bool {
        self.send(channel_id, SocketCommand::SocketClosing)
    }

    /// Makes the channel expire now: it disappears (HEAD → 404) and its socket is closed.
    pub fn expire_channel(&self, channel_id: &str) -> bool {
        self.shared
            .remove_channel(channel_id, 1000, "channel expired")
    }

    /// Evicts the channel as a 21st channel would: it disappears and its socket is closed.
    pub fn evict_channel(&self, channel_id: &str) -> bool {
        self.shared
            .remove_channel(channel_id, 1000, "channel evicted")
    }

    /// Revokes an access token: further requests with it get 401 `bad.credentials`.
    pub fn revoke_token(&self, access_token: &str) -> bool {
        match self.shared.lock().tokens.get_mut(access_token) {
            Some(t) => {
                t.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Revokes every token issued to an OAuth client; returns how many.
    pub fn revoke_client_tokens(&self, client_id: &str) -> usize {
        let mut state = self.shared.lock();
        let mut count = 0;
        for t in state
            .tokens
            .values_mut()
            .filter(|t| t.principal.client_id == client_id)
        {
            t.revoked = true;
            count += 1;
        }
        count
    }

    /// Makes an access token expire now: further requests get 401 `credentials.expired`.
    pub fn expire_token(&self, access_token: &str) -> bool {
        match self.shared.lock().tokens.get_mut(access_token) {
            Some(t) => {
                t.expires_at = Instant::now();
                true
            }
            None => false,
        }
    }

    /// Sends a broken frame on the channel's socket. Returns whether a socket was connected.
    pub fn send_malformed(&self, channel_id: &str, kind: Malformed) -> bool {
        self.send(channel_id, SocketCommand::Malformed(kind))
    }

    /// Sends a well-formed event envelope of exactly `bytes` bytes (at least 128). Returns whether
    /// a socket was connected.
    pub fn send_oversized(&self, channel_id: &str, bytes: usize) -> bool {
        self.send(channel_id, SocketCommand::Oversized(bytes))
    }

    /// From now on, writes to this channel's socket go out in TCP segments of at most `chunk`
    /// bytes, with a short pause between them, so frames arrive split; 0 turns it off.
    /// Returns whether a socket was connected.
    pub fn split_frames(&self, channel_id: &str, chunk: usize) -> bool {
        let state = self.shared.lock();
        match state
            .channels
            .get(channel_id)
            .and_then(|c| c.socket.as_ref())
        {
            Some(slot) => {
                slot.control.split_writes.store(chunk, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}
