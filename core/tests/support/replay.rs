//! Replays an arbitrary byte string as a sequence of session inputs, checking invariants.
//!
//! Shared by the scenario tests (random inputs from a seeded generator) and the cargo-fuzz
//! target `session_replay` (which includes this file by path), so both exercise the same
//! decoding. The format is made for fuzzers: every byte string is a valid script, and small
//! mutations make small changes.
//!
//! A script is a sequence of operations; each starts with an opcode byte (taken modulo the
//! number of operations) followed by its argument bytes. Missing bytes read as zero. Ids are
//! chosen among the ones the session handed out (by index), or made up when the selector byte
//! is 0xFF, so unknown ids are exercised too. Bodies and frames are chosen from a list of
//! realistic ones by a selector byte below 0xE0, or taken raw from the script (a selector of
//! 0xE0 or more, a length byte, then that many bytes).
//!
//! Invariants checked after every operation: `poll_transmit` and `poll_event` run dry within a
//! bound; a stopped session asks for nothing more than closes and has no timeout; its health is
//! a stopped health; a deadline is never in the past for long.

use std::collections::VecDeque;
use std::string::{String, ToString};
use std::vec::Vec;

use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::light::Health;
use genesys_notify_core::region::{Environment, Region};
use genesys_notify_core::request::Operation;
use genesys_notify_core::session::{
    CloseInfo, Config, RequestId, Session, SessionEvent, SocketId, TokenFailure, TokenKind,
    Transmit,
};
use genesys_notify_core::{Duration, Instant};

/// The agents every replay tracks (the second exercises the multi-agent paths).
pub const AGENTS: [&str; 2] = [
    "8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b",
    "0f1e2d3c-4b5a-4678-9abc-def012345678",
];

/// The opcodes, in the order their numbers select them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// `[ms/100]`: the clock moves forward; 0xFF jumps to `poll_timeout()`.
    Advance = 0,
    /// `[]`: `handle_timeout(now)`.
    Timeout,
    /// `[minutes]`: a token arrives (0 = a token of unknown life).
    Token,
    /// `[status, retry-after s, body]`: the token endpoint fails.
    TokenFailure,
    /// `[request, status, retry-after s, body]`: a response.
    Response,
    /// `[request, transport]`: a request gets no answer.
    RequestFailed,
    /// `[socket]`: a socket opens.
    Open,
    /// `[socket, frame]`: a frame arrives.
    Frame,
    /// `[socket, len/1024]`: a frame was too large.
    TooLarge,
    /// `[socket, how]`: a socket closes.
    Closed,
    /// `[ms/100]`: the driver's clock steps back (it must not, but nothing may break).
    Rewind,
    /// `[]`: the oldest unanswered transmit is answered as a healthy cloud would (twice as
    /// likely as the others, so random scripts get past the start).
    Healthy,
}

const OPS: [Op; 13] = [
    Op::Advance,
    Op::Timeout,
    Op::Token,
    Op::TokenFailure,
    Op::Response,
    Op::RequestFailed,
    Op::Open,
    Op::Frame,
    Op::TooLarge,
    Op::Closed,
    Op::Rewind,
    Op::Healthy,
    Op::Healthy,
];

const STATUSES: [u16; 16] = [
    200, 200, 200, 200, 201, 204, 400, 401, 403, 404, 408, 429, 500, 502, 503, 302,
];

const BODIES: [&str; 10] = [
    r#"{"connectUri":"wss://streaming.mypurecloud.com/channels/streaming-0-abc","id":"streaming-0-abc","expires":"2026-11-30T09:00:00Z"}"#,
    r#"{"connectUri":"wss://streaming.evil.example/channels/x","id":"x"}"#,
    r#"{"entities":[]}"#,
    r#"{"entities":[{"id":"v2.users.8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b.presence","state":"Rejected","missingPermissions":["presence:userPresence:view"]}]}"#,
    r#"{"id":"8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b","presence":{"presenceDefinition":{"systemPresence":"Busy"}},"routingStatus":{"status":"IDLE"},"conversationSummary":{"call":{"contactCenter":{"active":0,"acw":0}}}}"#,
    r#"{"id":"0f1e2d3c-4b5a-4678-9abc-def012345678","presence":{"presenceDefinition":{"systemPresence":"Away"}}}"#,
    r#"{"message":"Missing permission","code":"missing.permissions","status":403,"messageParams":{"permissions":"notifications:channel:add"}}"#,
    r#"{"error":"invalid_client","description":"bad client"}"#,
    "",
    "<html>captive portal</html>",
];

const FRAMES: [&str; 10] = [
    r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
    r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#,
    r#"{"topicName":"v2.system.socket_closing","eventBody":{}}"#,
    r#"{"topicName":"v2.users.8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b.presence","eventBody":{"presenceDefinition":{"systemPresence":"Available"}},"metadata":{"CorrelationId":"c1"}}"#,
    r#"{"topicName":"v2.users.0f1e2d3c-4b5a-4678-9abc-def012345678.routingStatus","eventBody":{"routingStatus":{"status":"NOT_RESPONDING"}}}"#,
    r#"{"topicName":"v2.system.no_longer_subscribed.x","eventBody":{}}"#,
    r#"{"topicName":"v2.system.token_revoked.x","eventBody":{}}"#,
    r#"{"result":"404","status":"gone"}"#,
    r#"{"topicName":"v2.routing.queues.q.conversations","eventBody":{"id":"c"}}"#,
    "{not json",
];

/// Reads a script's bytes, zero past the end.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    /// A canned text by selector (below 0xE0), or a raw length-prefixed slice.
    fn text(&mut self, canned: &[&'static str]) -> &'a [u8] {
        let selector = usize::from(self.byte());
        if selector < 0xE0 {
            return canned[selector % canned.len()].as_bytes();
        }
        let len = usize::from(self.byte());
        let start = self.at.min(self.data.len());
        let end = (start + len).min(self.data.len());
        self.at = start + len;
        &self.data[start..end]
    }
}

/// A transmit not answered yet.
enum Unanswered {
    Token,
    Http(RequestId, Operation, String),
    Connect(SocketId),
}

/// What the session handed out so far.
#[derive(Default)]
struct Ids {
    requests: Vec<RequestId>,
    sockets: Vec<SocketId>,
    unanswered: VecDeque<Unanswered>,
}

impl Ids {
    fn request(&self, selector: u8) -> RequestId {
        if selector == 0xFF || self.requests.is_empty() {
            return RequestId::from_raw(u32::from(selector) << 8);
        }
        let from_end = usize::from(selector) % self.requests.len();
        self.requests[self.requests.len() - 1 - from_end]
    }

    fn socket(&self, selector: u8) -> SocketId {
        if selector == 0xFF || self.sockets.is_empty() {
            return SocketId::from_raw(u32::from(selector) << 8);
        }
        let from_end = usize::from(selector) % self.sockets.len();
        self.sockets[self.sockets.len() - 1 - from_end]
    }
}

/// Runs `data` as a script against a fresh two-agent session; returns the healths it reported,
/// so a caller can see how far scripts get.
pub fn run(data: &[u8]) -> Vec<Health> {
    let config = Config::new(Environment::Cloud(Region::UsEast1), TokenKind::User).random_seed(7);
    let Ok(mut session) = Session::<2>::new(config, &AGENTS) else {
        panic!("the replay configuration is valid");
    };
    let mut now = Instant::ZERO;
    let mut ids = Ids::default();
    let mut buf = [0u8; 2048];
    let mut cursor = Cursor { data, at: 0 };
    let mut healths = Vec::new();
    drain(&mut session, now, &mut buf, &mut ids, &mut healths);
    while !cursor.done() {
        let op = OPS[usize::from(cursor.byte()) % OPS.len()];
        match op {
            Op::Advance => {
                let step = cursor.byte();
                now = match (step, session.poll_timeout()) {
                    (0xFF, Some(deadline)) => now.max(deadline),
                    _ => now + Duration::from_millis(u64::from(step) * 100),
                };
            }
            Op::Timeout => session.handle_timeout(now),
            Op::Token => {
                let minutes = u64::from(cursor.byte());
                let life = match minutes {
                    0 => Duration::MAX,
                    m => Duration::from_mins(m),
                };
                session.handle_token(now, life);
            }
            Op::TokenFailure => {
                let status = STATUSES[usize::from(cursor.byte()) % STATUSES.len()];
                let retry_after = retry_after(cursor.byte());
                let body = cursor.text(&BODIES);
                let failure = match status {
                    302 => TokenFailure::Transport(Transport::Tls),
                    204 => TokenFailure::Unavailable,
                    _ => TokenFailure::Status {
                        status,
                        retry_after,
                        body,
                    },
                };
                session.handle_token_failure(now, failure);
            }
            Op::Response => {
                let id = ids.request(cursor.byte());
                let status = STATUSES[usize::from(cursor.byte()) % STATUSES.len()];
                let retry_after = retry_after(cursor.byte());
                let body = cursor.text(&BODIES);
                session.handle_response(now, id, status, retry_after, body);
            }
            Op::RequestFailed => {
                let id = ids.request(cursor.byte());
                let transport = match cursor.byte() % 3 {
                    0 => Transport::Dns,
                    1 => Transport::Timeout,
                    _ => Transport::Closed,
                };
                session.handle_request_failed(now, id, transport);
            }
            Op::Open => {
                let socket = ids.socket(cursor.byte());
                session.handle_socket_open(now, socket);
            }
            Op::Frame => {
                let socket = ids.socket(cursor.byte());
                let frame = cursor.text(&FRAMES);
                let _ = session.handle_socket_frame(now, socket, frame);
            }
            Op::TooLarge => {
                let socket = ids.socket(cursor.byte());
                let len = usize::from(cursor.byte()) * 1024;
                session.handle_socket_frame_too_large(now, socket, len);
            }
            Op::Closed => {
                let socket = ids.socket(cursor.byte());
                let close = match cursor.byte() % 4 {
                    0 => CloseInfo::Peer { code: Some(1001) },
                    1 => CloseInfo::Peer { code: None },
                    2 => CloseInfo::Refused { status: 404 },
                    _ => CloseInfo::Transport(Transport::Connect),
                };
                session.handle_socket_closed(now, socket, close);
            }
            Op::Rewind => {
                let back = Duration::from_millis(u64::from(cursor.byte()) * 100);
                now = Instant::from_millis(now.as_millis().saturating_sub(back.as_millis()));
            }
            Op::Healthy => match ids.unanswered.pop_front() {
                Some(Unanswered::Token) => session.handle_token(now, Duration::from_hours(24)),
                Some(Unanswered::Connect(socket)) => session.handle_socket_open(now, socket),
                Some(Unanswered::Http(id, operation, path)) => {
                    let body = match operation {
                        Operation::CreateChannel => BODIES[0],
                        Operation::GetUser if path.contains(AGENTS[1]) => BODIES[5],
                        Operation::GetUser => BODIES[4],
                        Operation::ChannelExists => "",
                        _ => BODIES[2],
                    };
                    session.handle_response(now, id, 200, None, body.as_bytes());
                }
                None => session.handle_timeout(now),
            },
        }
        drain(&mut session, now, &mut buf, &mut ids, &mut healths);
    }
    healths
}

fn retry_after(byte: u8) -> Option<Duration> {
    match byte {
        0 => None,
        s => Some(Duration::from_secs(u64::from(s))),
    }
}

/// Drains both outputs, recording ids and checking that they run dry.
fn drain(
    session: &mut Session<2>,
    now: Instant,
    buf: &mut [u8],
    ids: &mut Ids,
    healths: &mut Vec<Health>,
) {
    // Two links, two closes, a token and the request table: far fewer than this.
    const BOUND: usize = 64;
    let mut transmits = 0;
    while let Some(transmit) = session.poll_transmit(now, buf) {
        transmits += 1;
        assert!(transmits <= BOUND, "poll_transmit does not run dry");
        match transmit {
            Transmit::FetchToken { .. } => ids.unanswered.push_back(Unanswered::Token),
            Transmit::Http { id, request } => {
                ids.requests.push(id);
                let path = request.path_and_query.to_string();
                let unanswered = Unanswered::Http(id, request.operation, path);
                ids.unanswered.push_back(unanswered);
            }
            Transmit::Connect { socket, .. } => {
                ids.sockets.push(socket);
                ids.unanswered.push_back(Unanswered::Connect(socket));
            }
            _ => {}
        }
    }
    let mut events = 0;
    while let Some(event) = session.poll_event() {
        events += 1;
        assert!(events <= BOUND, "poll_event does not run dry");
        match event {
            SessionEvent::Stopped(reason) => assert!(!reason.to_string().is_empty()),
            SessionEvent::Health(health) => healths.push(health),
            _ => {}
        }
    }
    if session.is_stopped() {
        assert_eq!(session.poll_timeout(), None);
        assert!(matches!(
            session.health(),
            Health::AuthFailed | Health::Forbidden
        ));
        assert!(session.poll_transmit(now, buf).is_none());
    }
}
