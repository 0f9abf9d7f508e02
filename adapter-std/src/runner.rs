//! The runner: one task per session (one channel), driving the core's session with tokio.
//!
//! The runner is the loop in the core's `session` docs with tokio underneath: it selects over
//! the socket tasks' frames, finished requests and token fetches, the session's deadline,
//! commands from the [`Roster`](crate::Roster) and the consumer going away; hands what happened
//! to the session; then drains the session's transmits (performing each) and events (forwarding
//! each as an [`Item`]). It holds no protocol rule of its own: when to reconnect, what a 403
//! means and which events are duplicates are all the session's decisions.
//!
//! A client following more agents than one channel holds runs several runners (shards), which
//! share the consumer's queue, the HTTP client and one [`TokenCache`]: a token fetched by one is
//! used by all, so a floor of channels costs one token request, not one per channel.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use genesys_notify_core::request::Auth;
use genesys_notify_core::secret::ShortChannelId;
use genesys_notify_core::session::{
    ConnectionInfo, Inbound, MemberError, Notice, RequestId, Session, SessionEvent, SocketId,
    TokenFailure, Transmit,
};
use genesys_notify_core::{BufferTooSmall, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tracing::{debug, info, trace, warn};

use crate::SecretString;
use crate::client::{CLOSE_WAIT, MAX_AGENTS};
use crate::http::{HttpClient, HttpResponse, TransportError, bearer};
use crate::item::{AgentUpdate, ConnectionUpdate, Item, Notification};
use crate::socket::{self, SocketEvent, SocketHandle};
use crate::token::{Token, TokenCache, TokenFetchError};

/// The transmit buffer's first size: the session's own advice for one agent.
pub(crate) const TRANSMIT_BUF: usize = 2048;

/// The largest transmit buffer the runner grows to when the session asks for more: a PUT of a
/// full channel (1 000 topics, at most 200 characters each, JSON-quoted) fits in 256 KiB.
const MAX_TRANSMIT_BUF: usize = 256 * 1024;

/// A change to the agents a runner follows, from the [`Roster`](crate::Roster).
pub(crate) enum Command {
    Add(String, oneshot::Sender<Result<(), MemberError>>),
    Remove(String, oneshot::Sender<bool>),
}

/// What a spawned request or token fetch finished with.
enum Done {
    /// The fetch's result and the cache generation it came from.
    Token(Result<Token, TokenFetchError>, u64),
    Http(RequestId, Result<HttpResponse, TransportError>),
}

/// The task that owns one session and its connections.
pub(crate) struct Runner {
    pub(crate) shard: usize,
    pub(crate) session: Box<Session<MAX_AGENTS>>,
    pub(crate) agents: Vec<String>,
    pub(crate) tokens: Arc<TokenCache>,
    /// The cache generation of the token this runner holds (0: none yet).
    pub(crate) token_generation: u64,
    pub(crate) http: HttpClient,
    pub(crate) dial: socket::Dial,
    pub(crate) items: mpsc::Sender<Item>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) origin: tokio::time::Instant,
    /// `Bearer <token>`: the only place the token is kept, and the only place it goes.
    pub(crate) bearer: Option<SecretString>,
    pub(crate) sockets: HashMap<SocketId, SocketHandle>,
    tasks: JoinSet<Done>,
    buf: Vec<u8>,
    /// Items produced by an input, sent before the session's own events.
    pending: Vec<Item>,
    /// The last connection state forwarded: health and connection events often repeat it.
    last_connection: Option<ConnectionUpdate>,
}

/// What a runner is made of; the rest starts empty.
pub(crate) struct Parts {
    pub(crate) shard: usize,
    pub(crate) session: Box<Session<MAX_AGENTS>>,
    pub(crate) agents: Vec<String>,
    pub(crate) tokens: Arc<TokenCache>,
    pub(crate) http: HttpClient,
    pub(crate) dial: socket::Dial,
    pub(crate) items: mpsc::Sender<Item>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) origin: tokio::time::Instant,
}

impl Runner {
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            shard: parts.shard,
            session: parts.session,
            agents: parts.agents,
            tokens: parts.tokens,
            token_generation: 0,
            http: parts.http,
            dial: parts.dial,
            items: parts.items,
            commands: parts.commands,
            origin: parts.origin,
            bearer: None,
            sockets: HashMap::new(),
            tasks: JoinSet::new(),
            buf: vec![0; TRANSMIT_BUF],
            pending: Vec::new(),
            last_connection: None,
        }
    }

    fn now(&self) -> Instant {
        let elapsed = self.origin.elapsed().as_millis();
        Instant::from_millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }

    fn to_tokio(&self, at: Instant) -> tokio::time::Instant {
        self.origin + Duration::from_millis(at.as_millis())
    }

    pub(crate) async fn run(mut self) {
        let (socket_events, mut inbound) = mpsc::channel(socket::INBOUND_QUEUE);
        loop {
            if !self.drain(&socket_events).await {
                // The session stopped, or the consumer went away while items were being
                // handed over: either way the server sees close frames, not dropped sockets.
                self.close_sockets(&mut inbound).await;
                return;
            }
            let deadline = self.session.poll_timeout().map(|at| self.to_tokio(at));
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(event) = inbound.recv() => self.handle_socket(event),
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => match done {
                    Ok(done) => self.handle_done(done),
                    // A request task panicked or was cancelled; the session's own timeout
                    // will retry the step.
                    Err(e) => warn!("a request task ended abnormally: {e}"),
                },
                () = sleep => {
                    let now = self.now();
                    self.session.handle_timeout(now);
                }
                Some(command) = self.commands.recv() => self.handle_command(command),
                () = self.items.closed() => {
                    debug!("the consumer closed the stream; closing the sockets");
                    self.close_sockets(&mut inbound).await;
                    return;
                }
            }
        }
    }

    /// Sends every open socket a close frame and waits, at most [`CLOSE_WAIT`], for each to
    /// end: the server sees a clean close instead of a dropped connection.
    async fn close_sockets(&mut self, inbound: &mut mpsc::Receiver<SocketEvent>) {
        for handle in self.sockets.values() {
            handle.close();
        }
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        while !self.sockets.is_empty() {
            match tokio::time::timeout_at(deadline, inbound.recv()).await {
                Ok(Some(SocketEvent::Closed(id, _))) => {
                    self.sockets.remove(&id);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Performs every transmit and forwards every event; `false` once the session stopped or
    /// the consumer went away.
    async fn drain(&mut self, socket_events: &mpsc::Sender<SocketEvent>) -> bool {
        loop {
            let now = self.now();
            while let Some(transmit) = self.session.poll_transmit(now, &mut self.buf) {
                match transmit {
                    Transmit::FetchToken { reason } => {
                        debug!(%reason, "fetching a token");
                        let tokens = Arc::clone(&self.tokens);
                        let http = self.http.clone();
                        let held = self.token_generation;
                        self.tasks.spawn(async move {
                            let (result, generation) = tokens.fetch(&http, held).await;
                            Done::Token(result, generation)
                        });
                    }
                    Transmit::Http { id, request } => {
                        let prepared = self.http.prepare(&request);
                        debug!(%id, method = %prepared.method(), url = prepared.url(), "request");
                        let authorization = match request.auth {
                            Auth::Bearer => self.bearer.clone(),
                            _ => None,
                        };
                        let http = self.http.clone();
                        self.tasks.spawn(async move {
                            Done::Http(id, http.send(&prepared, authorization.as_ref()).await)
                        });
                    }
                    Transmit::Connect { socket, uri } => {
                        // The channel id in the URI is a capability: only a shortened form is logged.
                        let channel = ShortChannelId(uri.channel_id());
                        info!(%socket, %channel, "connecting the notification socket");
                        let handle = socket::spawn(
                            socket,
                            uri.as_str().to_owned(),
                            self.dial.clone(),
                            socket_events.clone(),
                        );
                        self.sockets.insert(socket, handle);
                    }
                    Transmit::Send { socket, text } => {
                        trace!(%socket, "sending a frame");
                        if let Some(handle) = self.sockets.get(&socket) {
                            handle.send(String::from_utf8_lossy(text).into_owned());
                        }
                    }
                    Transmit::Close { socket } => {
                        debug!(%socket, "closing the socket");
                        if let Some(handle) = self.sockets.get(&socket) {
                            handle.close();
                        }
                    }
                    other => debug!(?other, "a transmit this runner does not know"),
                }
            }
            let mut grew = false;
            let mut stopped = false;
            let mut items = std::mem::take(&mut self.pending);
            while let Some(event) = self.session.poll_event() {
                match event {
                    SessionEvent::BufferTooSmall(BufferTooSmall { needed, .. }) => {
                        if needed <= MAX_TRANSMIT_BUF && needed > self.buf.len() {
                            self.buf.resize(needed, 0);
                            grew = true;
                        } else {
                            warn!(
                                needed,
                                "the session needs a transmit buffer beyond the limit"
                            );
                        }
                    }
                    SessionEvent::Stopped(reason) => {
                        warn!(%reason, "the session stopped");
                        items.push(Item::Stopped(reason));
                        stopped = true;
                    }
                    other => items.extend(self.item(other)),
                }
            }
            for item in items {
                if self.items.send(item).await.is_err() {
                    return false;
                }
            }
            if stopped {
                return false;
            }
            if !grew {
                return true;
            }
        }
    }

    /// The item a session event becomes, if it tells the consumer anything new.
    fn item(&mut self, event: SessionEvent) -> Option<Item> {
        match event {
            SessionEvent::AgentChanged {
                agent,
                activity,
                stale,
            } => {
                let user_id = self.agents.get(agent)?.clone();
                info!(user = %user_id, %activity, stale, "agent changed");
                Some(Item::Agent(AgentUpdate {
                    user_id,
                    activity,
                    stale,
                    shard: self.shard,
                }))
            }
            SessionEvent::Health(health) => {
                info!(%health, "health");
                self.connection_item(self.session.connection(), None)
            }
            SessionEvent::Connection(info) => self.connection_item(info, None),
            SessionEvent::Notice(notice) => {
                info!(%notice, "notice");
                self.connection_item(self.session.connection(), Some(notice))
            }
            SessionEvent::Diagnosis(diagnosis) => {
                warn!(%diagnosis, "diagnosis");
                Some(Item::Diagnosis(diagnosis))
            }
            other => {
                debug!(?other, "a session event this runner does not forward");
                None
            }
        }
    }

    /// A connection item, unless it would repeat the last one word for word.
    fn connection_item(&mut self, info: ConnectionInfo, notice: Option<Notice>) -> Option<Item> {
        let update = ConnectionUpdate {
            health: self.session.health(),
            channel_id: info.channel_id.as_str().to_owned(),
            live: info.live,
            expires_at: info.expires.map(|at| self.to_tokio(at)),
            last_heartbeat: info.last_heartbeat.map(|at| self.to_tokio(at)),
            reconnects: info.reconnects,
            notice,
            shard: self.shard,
        };
        if notice.is_none() && self.last_connection.as_ref() == Some(&update) {
            return None;
        }
        self.last_connection = Some(ConnectionUpdate {
            notice: None,
            ..update.clone()
        });
        Some(Item::Connection(update))
    }

    /// Adds or removes an agent; the session puts the new subscription list on the channel.
    fn handle_command(&mut self, command: Command) {
        let now = self.now();
        match command {
            Command::Add(user_id, reply) => {
                let added = self.session.add_agent(now, &user_id).map(|index| {
                    debug_assert_eq!(index, self.agents.len());
                    info!(user = %user_id, shard = self.shard, "following a new agent");
                    self.agents.push(user_id);
                });
                let _ = reply.send(added);
            }
            Command::Remove(user_id, reply) => {
                let removed = self.session.remove_agent(now, &user_id).map(|index| {
                    info!(user = %user_id, shard = self.shard, "no longer following an agent");
                    self.agents.remove(index);
                });
                let _ = reply.send(removed.is_some());
            }
        }
    }

    fn handle_socket(&mut self, event: SocketEvent) {
        let now = self.now();
        match event {
            SocketEvent::Open(socket) => {
                debug!(%socket, "socket open");
                self.session.handle_socket_open(now, socket);
            }
            SocketEvent::Frame(socket, frame) => self.handle_frame(now, socket, frame),
            SocketEvent::TooLarge(socket, len) => {
                self.session.handle_socket_frame_too_large(now, socket, len);
            }
            SocketEvent::Closed(socket, closed) => {
                info!(%socket, detail = closed.detail, "socket closed");
                self.sockets.remove(&socket);
                self.session.handle_socket_closed(now, socket, closed.info);
            }
        }
    }

    fn handle_frame(&mut self, now: Instant, socket: SocketId, frame: Bytes) {
        match self.session.handle_socket_frame(now, socket, &frame) {
            Inbound::Deliver(event) => {
                let notification = Notification::new(frame.clone(), &event);
                trace!(
                    kind = notification.kind(),
                    topic = notification.topic(),
                    "event"
                );
                self.pending.push(Item::Event(notification));
            }
            Inbound::Suppressed(why) => trace!(?why, "frame suppressed"),
            Inbound::Invalid(error) => debug!(%error, "invalid frame"),
            _ => {}
        }
    }

    fn handle_done(&mut self, done: Done) {
        let now = self.now();
        match done {
            Done::Token(Ok(token), generation) => {
                self.token_generation = generation;
                self.bearer = Some(bearer(&token.access_token));
                let expires_in = token
                    .expires_in
                    .map_or(genesys_notify_core::Duration::MAX, Into::into);
                debug!(%expires_in, "token");
                self.session.handle_token(now, expires_in);
            }
            Done::Token(Err(error), _) => {
                warn!(%error, "no token");
                let failure = match &error {
                    TokenFetchError::Rejected {
                        status,
                        body,
                        retry_after,
                    } => TokenFailure::Status {
                        status: *status,
                        retry_after: retry_after.map(Into::into),
                        body,
                    },
                    TokenFetchError::Transport(e) => TokenFailure::Transport(e.kind()),
                    TokenFetchError::Malformed(e) => TokenFailure::Unreadable(*e),
                    _ => TokenFailure::Unavailable,
                };
                self.session.handle_token_failure(now, failure);
            }
            Done::Http(id, Ok(response)) => {
                debug!(%id, status = response.status, "response");
                self.session.handle_response(
                    now,
                    id,
                    response.status,
                    response.retry_after.map(Into::into),
                    &response.body,
                );
            }
            Done::Http(id, Err(error)) => {
                debug!(%id, %error, "request failed");
                self.session.handle_request_failed(now, id, error.kind());
            }
        }
    }
}
