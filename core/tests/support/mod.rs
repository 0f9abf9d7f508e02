//! A fake driver and a scripted Genesys Cloud, in virtual time.
//!
//! [`Cloud`] plays both sides of the driver loop the session's docs describe: it drains
//! `poll_transmit`, answers every request at once (by default like a healthy cloud; scripted
//! answers first), opens sockets, sends heartbeats every 30 s on open sockets, answers pings,
//! and jumps the clock straight to the next deadline — the session's `poll_timeout()` or the
//! next heartbeat. A day of channel life runs in milliseconds.

#![allow(
    dead_code,
    reason = "each scenario uses a different part of the harness"
)]

pub mod replay;

use std::collections::{BTreeMap, VecDeque};
use std::string::{String, ToString};
use std::vec::Vec;

use genesys_notify_core::backoff::Backoff;
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_core::light::Health;
use genesys_notify_core::region::{Environment, Region};
use genesys_notify_core::request::{Method, Operation};
use genesys_notify_core::session::{
    CloseInfo, Config, Inbound, RequestId, Session, SessionEvent, SocketId, TokenFailure,
    TokenKind, TokenReason, Transmit,
};
use genesys_notify_core::{Duration, Instant};

pub const AGENT: &str = "8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b";
pub const OTHER_AGENT: &str = "0f1e2d3c-4b5a-4678-9abc-def012345678";
pub const HEARTBEAT: &[u8] =
    br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
pub const PONG: &[u8] = br#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;
pub const SOCKET_CLOSING: &[u8] =
    br#"{"topicName":"v2.system.socket_closing","eventBody":{"message":"socket closing"}}"#;

/// How many steps a scenario may take before the harness calls it a livelock.
const STEP_LIMIT: usize = 100_000;

/// A scripted answer to the next request of one operation.
#[derive(Clone, Debug)]
pub enum Answer {
    /// An HTTP status with headers and body.
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    /// No answer at all (DNS, TCP, TLS failure).
    Transport,
}

impl Answer {
    pub fn status(status: u16, body: &str) -> Self {
        Answer::Status {
            status,
            retry_after: None,
            body: body.to_string(),
        }
    }

    pub fn retry_after(status: u16, secs: u64) -> Self {
        Answer::Status {
            status,
            retry_after: Some(Duration::from_secs(secs)),
            body: r#"{"message":"Rate limit exceeded","code":"too.many.requests","status":429}"#
                .to_string(),
        }
    }
}

/// One thing the session asked the driver to do, owned, with the time it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Did {
    FetchToken(TokenReason),
    Http {
        id: RequestId,
        operation: Operation,
        method: Method,
        path: String,
        body: String,
    },
    Connect {
        socket: SocketId,
        uri: String,
    },
    Send {
        socket: SocketId,
        text: String,
    },
    Close {
        socket: SocketId,
    },
}

#[derive(Clone, Debug)]
struct SimSocket {
    channel: String,
    next_heartbeat: Instant,
}

/// The fake driver and the scripted cloud around one session.
pub struct Cloud<const N: usize> {
    pub session: Session<N>,
    pub now: Instant,
    /// Everything the session asked for, with when.
    pub did: Vec<(Instant, Did)>,
    /// Everything the session told the application, with when.
    pub events: Vec<(Instant, SessionEvent)>,
    /// Every event delivered by `handle_socket_frame`, as (socket, frame text).
    pub delivered: Vec<(SocketId, String)>,
    /// Frames suppressed as copies.
    pub suppressed: usize,
    /// Scripted answers, consumed in order, per operation.
    pub script: BTreeMap<&'static str, VecDeque<Answer>>,
    /// Scripted token-endpoint failures, consumed before handing out tokens.
    pub token_script: VecDeque<TokenFailure<'static>>,
    /// Token lifetime handed out.
    pub token_life: Duration,
    /// Whether the network works at all (requests and connects fail when false).
    pub network_up: bool,
    /// Whether open sockets stay silent (no heartbeats, no pongs).
    pub silent: bool,
    /// Channels that exist, by id.
    pub channels: Vec<String>,
    /// The host the cloud puts into `connectUri`.
    pub streaming_host: String,
    /// The user snapshot body per agent id (default: available, off queue).
    pub users: BTreeMap<String, String>,
    sockets: BTreeMap<SocketId, SimSocket>,
    channel_count: u32,
    buf: Vec<u8>,
}

pub fn config() -> Config {
    Config::new(Environment::Cloud(Region::UsEast1), TokenKind::User)
        .random_seed(0x5eed)
        .backoff(Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
        ))
}

pub fn presence_frame(user: &str, presence: &str, correlation: &str) -> String {
    format!(
        r#"{{"topicName":"v2.users.{user}.presence","version":"2","eventBody":{{"presenceDefinition":{{"systemPresence":"{presence}"}}}},"metadata":{{"CorrelationId":"{correlation}"}}}}"#
    )
}

pub fn user_snapshot(user: &str, presence: &str, routing: &str) -> String {
    format!(
        r#"{{"id":"{user}","presence":{{"presenceDefinition":{{"systemPresence":"{presence}"}}}},"routingStatus":{{"status":"{routing}"}}}}"#
    )
}

impl<const N: usize> Cloud<N> {
    pub fn new(config: Config, agents: &[&str]) -> Self {
        let session = Session::new(config, agents).expect("a valid configuration");
        let mut users = BTreeMap::new();
        for agent in agents {
            users.insert(
                agent.to_string(),
                user_snapshot(agent, "Available", "OFF_QUEUE"),
            );
        }
        Self {
            session,
            now: Instant::ZERO,
            did: Vec::new(),
            events: Vec::new(),
            delivered: Vec::new(),
            suppressed: 0,
            script: BTreeMap::new(),
            token_script: VecDeque::new(),
            token_life: Duration::from_hours(24),
            network_up: true,
            silent: false,
            channels: Vec::new(),
            streaming_host: "streaming.mypurecloud.com".to_string(),
            users,
            sockets: BTreeMap::new(),
            channel_count: 0,
            buf: vec![0; 4096],
        }
    }

    /// Scripts the next answers to `operation`, in order.
    pub fn answer(&mut self, operation: Operation, answers: impl IntoIterator<Item = Answer>) {
        self.script
            .entry(operation_key(operation))
            .or_default()
            .extend(answers);
    }

    /// Drains the session's outputs and answers them, until it has nothing more to say now.
    pub fn pump(&mut self) {
        for _ in 0..STEP_LIMIT {
            let mut work = VecDeque::new();
            while let Some(transmit) = self.session.poll_transmit(self.now, &mut self.buf) {
                work.push_back(own(transmit));
            }
            while let Some(event) = self.session.poll_event() {
                self.events.push((self.now, event));
            }
            if work.is_empty() {
                return;
            }
            for did in work {
                self.did.push((self.now, did.clone()));
                self.perform(did);
            }
        }
        panic!("the session kept transmitting without the clock moving");
    }

    fn perform(&mut self, did: Did) {
        let now = self.now;
        match did {
            Did::FetchToken(_) => match self.token_script.pop_front() {
                Some(failure) => self.session.handle_token_failure(now, failure),
                None if !self.network_up => self
                    .session
                    .handle_token_failure(now, TokenFailure::Transport(Transport::Connect)),
                None => self.session.handle_token(now, self.token_life),
            },
            Did::Http {
                id,
                operation,
                path,
                ..
            } => {
                let scripted = self
                    .script
                    .get_mut(operation_key(operation))
                    .and_then(VecDeque::pop_front);
                let answer = match scripted {
                    Some(answer) => answer,
                    None if !self.network_up => Answer::Transport,
                    None => self.healthy_answer(operation, &path),
                };
                match answer {
                    Answer::Transport => {
                        self.session
                            .handle_request_failed(now, id, Transport::Connect)
                    }
                    Answer::Status {
                        status,
                        retry_after,
                        body,
                    } => {
                        self.session
                            .handle_response(now, id, status, retry_after, body.as_bytes())
                    }
                }
            }
            Did::Connect { socket, uri } => {
                let channel = uri.rsplit('/').next().unwrap_or("").to_string();
                if !self.network_up {
                    let close = CloseInfo::Transport(Transport::Connect);
                    self.session.handle_socket_closed(now, socket, close);
                } else if !self.channels.contains(&channel) {
                    self.session.handle_socket_closed(
                        now,
                        socket,
                        CloseInfo::Refused { status: 404 },
                    );
                } else {
                    self.sockets.insert(
                        socket,
                        SimSocket {
                            channel,
                            next_heartbeat: now + Duration::from_secs(30),
                        },
                    );
                    self.session.handle_socket_open(now, socket);
                }
            }
            Did::Send { socket, text } => {
                if text.contains("ping") && !self.silent && self.sockets.contains_key(&socket) {
                    self.frame(socket, PONG);
                }
            }
            Did::Close { socket } => {
                self.sockets.remove(&socket);
            }
        }
    }

    fn healthy_answer(&mut self, operation: Operation, path: &str) -> Answer {
        match operation {
            Operation::CreateChannel => {
                self.channel_count += 1;
                let id = format!("streaming-0-channel{}", self.channel_count);
                self.channels.push(id.clone());
                Answer::status(
                    200,
                    &format!(
                        r#"{{"connectUri":"wss://{}/channels/{id}","id":"{id}","expires":"2026-11-30T09:00:00.000Z"}}"#,
                        self.streaming_host
                    ),
                )
            }
            Operation::PutSubscriptions => {
                let channel = path.split('/').nth(5).unwrap_or("");
                if self.channels.iter().any(|c| c == channel) {
                    Answer::status(200, r#"{"entities":[]}"#)
                } else {
                    Answer::status(
                        404,
                        r#"{"message":"channel not found","code":"not.found","status":404}"#,
                    )
                }
            }
            Operation::ChannelExists => {
                let channel = path.rsplit('/').next().unwrap_or("");
                if self.channels.iter().any(|c| c == channel) {
                    Answer::status(200, "")
                } else {
                    Answer::status(404, "")
                }
            }
            Operation::GetUser => {
                let user = path
                    .strip_prefix("/api/v2/users/")
                    .and_then(|rest| rest.split('?').next())
                    .unwrap_or("");
                match self.users.get(user) {
                    Some(body) => Answer::status(200, body),
                    None => Answer::status(
                        404,
                        r#"{"message":"user not found","code":"not.found","status":404}"#,
                    ),
                }
            }
            Operation::GetConversations => Answer::status(200, r#"{"entities":[]}"#),
            _ => Answer::status(
                400,
                r#"{"message":"unexpected","code":"bad.request","status":400}"#,
            ),
        }
    }

    /// Hands one frame to the session on `socket`, recording what it made of it.
    pub fn frame(&mut self, socket: SocketId, text: &[u8]) {
        match self.session.handle_socket_frame(self.now, socket, text) {
            Inbound::Deliver(_) => self
                .delivered
                .push((socket, String::from_utf8_lossy(text).into_owned())),
            Inbound::Suppressed(_) => self.suppressed += 1,
            Inbound::Invalid(_) => {}
            _ => {}
        }
    }

    /// Publishes one notification: every open socket on a channel gets it, in socket order.
    pub fn publish(&mut self, text: &str) {
        let sockets: Vec<SocketId> = self.sockets.keys().copied().collect();
        for socket in sockets {
            self.frame(socket, text.as_bytes());
        }
        self.pump();
    }

    /// The server closes `socket` (or every open socket with `None`).
    pub fn server_closes(&mut self, socket: Option<SocketId>, close: CloseInfo) {
        let sockets: Vec<SocketId> = match socket {
            Some(socket) => vec![socket],
            None => self.sockets.keys().copied().collect(),
        };
        for socket in sockets {
            self.sockets.remove(&socket);
            self.session.handle_socket_closed(self.now, socket, close);
        }
        self.pump();
    }

    /// The open sockets, as the cloud sees them.
    pub fn open_sockets(&self) -> Vec<SocketId> {
        self.sockets.keys().copied().collect()
    }

    /// Sends `frame` on every open socket (socket order), without pumping.
    pub fn send_to_all(&mut self, text: &[u8]) {
        for socket in self.open_sockets() {
            self.frame(socket, text);
        }
    }

    /// Runs the clock forward to `until`, jumping from deadline to deadline.
    pub fn run_until(&mut self, until: Instant) {
        for _ in 0..STEP_LIMIT {
            self.pump();
            let heartbeat = if self.silent || !self.network_up {
                None
            } else {
                self.sockets.values().map(|s| s.next_heartbeat).min()
            };
            let next = [self.session.poll_timeout(), heartbeat]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|&next| next <= until) else {
                self.now = until;
                self.session.handle_timeout(until);
                self.pump();
                return;
            };
            self.now = self.now.max(next);
            let due: Vec<SocketId> = self
                .sockets
                .iter()
                .filter(|(_, s)| s.next_heartbeat <= self.now)
                .map(|(&id, _)| id)
                .collect();
            if !self.silent && self.network_up {
                for socket in due {
                    if let Some(s) = self.sockets.get_mut(&socket) {
                        s.next_heartbeat = self.now + Duration::from_secs(30);
                    }
                    self.frame(socket, HEARTBEAT);
                }
            }
            self.session.handle_timeout(self.now);
        }
        panic!("the session did not let the clock reach {until:?}");
    }

    /// Runs the clock forward by `d`.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    // ---- queries over what happened -------------------------------------------------------

    pub fn requests_of(&self, operation: Operation) -> Vec<(Instant, Did)> {
        self.did
            .iter()
            .filter(|(_, d)| matches!(d, Did::Http { operation: o, .. } if *o == operation))
            .cloned()
            .collect()
    }

    pub fn count(&self, operation: Operation) -> usize {
        self.requests_of(operation).len()
    }

    pub fn connects(&self) -> Vec<(Instant, String)> {
        self.did
            .iter()
            .filter_map(|(t, d)| match d {
                Did::Connect { uri, .. } => Some((*t, uri.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn token_fetches(&self) -> Vec<TokenReason> {
        self.did
            .iter()
            .filter_map(|(_, d)| match d {
                Did::FetchToken(reason) => Some(*reason),
                _ => None,
            })
            .collect()
    }

    pub fn health(&self) -> Health {
        self.session.health()
    }

    pub fn healths(&self) -> Vec<Health> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SessionEvent::Health(h) => Some(*h),
                _ => None,
            })
            .collect()
    }

    pub fn diagnoses(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SessionEvent::Diagnosis(d) => Some(d.to_string()),
                _ => None,
            })
            .collect()
    }

    pub fn notices(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SessionEvent::Notice(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    }

    pub fn stopped(&self) -> Option<String> {
        self.events.iter().find_map(|(_, e)| match e {
            SessionEvent::Stopped(d) => Some(d.to_string()),
            _ => None,
        })
    }

    pub fn stale_reports(&self, agent: usize) -> Vec<bool> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SessionEvent::AgentChanged {
                    agent: a, stale, ..
                } if *a == agent => Some(*stale),
                _ => None,
            })
            .collect()
    }
}

fn operation_key(operation: Operation) -> &'static str {
    operation.describe()
}

fn own(transmit: Transmit<'_>) -> Did {
    match transmit {
        Transmit::FetchToken { reason } => Did::FetchToken(reason),
        Transmit::Http { id, request } => Did::Http {
            id,
            operation: request.operation,
            method: request.method,
            path: request.path_and_query.to_string(),
            body: request
                .body
                .map(|b| String::from_utf8_lossy(b.bytes).into_owned())
                .unwrap_or_default(),
        },
        Transmit::Connect { socket, uri } => Did::Connect {
            socket,
            uri: uri.as_str().to_string(),
        },
        Transmit::Send { socket, text } => Did::Send {
            socket,
            text: String::from_utf8_lossy(text).into_owned(),
        },
        Transmit::Close { socket } => Did::Close { socket },
        _ => panic!("a transmit this harness does not know"),
    }
}
