//! The client: a builder, and the runner task that drives the core's session.
//!
//! The runner is the loop in the core's `session` docs with tokio underneath: it selects over
//! the socket tasks' frames, finished requests and token fetches, the session's deadline and
//! the consumer going away; hands what happened to the session; then drains the session's
//! transmits (performing each) and events (forwarding each as an [`Item`]). It holds no protocol
//! rule of its own: when to reconnect, what a 403 means and which events are duplicates are all
//! the session's decisions.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use genesys_notify_core::request::Auth;
use genesys_notify_core::secret::ShortChannelId;
use genesys_notify_core::session::{
    Config, ConfigError, ConnectionInfo, Inbound, Notice, RequestId, Session, SessionEvent,
    SocketId, TokenFailure, Transmit,
};
use genesys_notify_core::{BufferTooSmall, Instant};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{Instrument, debug, info, trace, warn};

use crate::http::{HttpClient, HttpClientError, HttpResponse, TransportError, bearer};
use crate::item::{AgentUpdate, ConnectionUpdate, Item, Notification};
use crate::proxy::{Proxy, ProxyError};
use crate::socket::{self, SocketEvent, SocketHandle};
use crate::token::{Token, TokenFetchError, TokenProvider};
use crate::{Environment, SecretString, tls};

/// The most agents one client follows.
///
/// Each agent takes three of the 1 000 topics a channel may hold (conversations, presence,
/// routing status), so 333 agents fill one channel; a larger fleet needs several clients.
/// The session sized for them is about 190 KB, kept on the heap.
pub const MAX_AGENTS: usize = 333;

/// How many items may wait for the consumer before the runner waits too.
///
/// The default of [`ClientBuilder::item_capacity`]. Waiting stops the runner reading sockets,
/// which lets TCP push back on the server: a slow consumer costs latency, never unbounded memory.
pub const DEFAULT_ITEM_CAPACITY: usize = 1024;

/// The transmit buffer's first size: the session's own advice for one agent.
const TRANSMIT_BUF: usize = 2048;

/// The largest transmit buffer the runner grows to when the session asks for more: a PUT of a
/// full channel (1 000 topics, at most 200 characters each, JSON-quoted) fits in 256 KiB.
const MAX_TRANSMIT_BUF: usize = 256 * 1024;

/// Sets up a [`Notifications`] stream.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// use genesys_notify::core::Duration;
/// use genesys_notify::{ClientBuilder, Environment, Item, token};
///
/// let environment = Environment::parse("eu-west-1")?;
/// let mut notifications = ClientBuilder::new(environment)
///     .token_provider(token::from_env()?)
///     .agent("8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b")
///     // Any of the core's settings (`genesys_notify::core::session::Config`).
///     .configure(|config| config.heartbeat_timeout(Duration::from_secs(90)))
///     .start()?;
/// while let Some(item) = notifications.next().await {
///     if let Item::Agent(update) = item {
///         println!("{} is {} (stale: {})", update.user_id, update.activity, update.stale);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    environment: Environment,
    provider: Option<Box<dyn TokenProvider>>,
    agents: Vec<String>,
    topics: Vec<String>,
    configure: Box<dyn FnOnce(Config) -> Config + Send>,
    item_capacity: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
    proxy: ProxySetting,
}

/// Where the socket's proxy comes from.
enum ProxySetting {
    /// `HTTPS_PROXY`/`NO_PROXY`, read at start (as reqwest reads them for REST).
    FromEnv,
    /// This one, or none.
    Given(Option<Proxy>),
}

/// Why a client could not start. Each is a configuration mistake: fix it and start again.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// No token provider was given: call [`ClientBuilder::token_provider`].
    NoCredentials,
    /// The session refused the configuration (no agent, a bad id or topic, bad timings).
    Config(ConfigError),
    /// More agents than [`MAX_AGENTS`]: split them over several clients.
    TooManyAgents {
        /// How many were given.
        given: usize,
    },
    /// The HTTP client could not be built.
    Http(HttpClientError),
    /// TLS could not be set up.
    Tls(tls::TlsConfigError),
    /// `HTTPS_PROXY` names a proxy the socket cannot use.
    Proxy(ProxyError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NoCredentials => {
                f.write_str("no token provider: give the client credentials or a token")
            }
            StartError::Config(e) => e.fmt(f),
            StartError::TooManyAgents { given } => write!(
                f,
                "{given} agents given; one client follows at most {MAX_AGENTS} (one channel's \
                 topic budget): split them over several clients"
            ),
            StartError::Http(e) => e.fmt(f),
            StartError::Tls(e) => e.fmt(f),
            StartError::Proxy(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {}

impl ClientBuilder {
    /// A client for `environment` (a region, or a simulated cloud's base URL).
    pub fn new(environment: Environment) -> Self {
        Self {
            environment,
            provider: None,
            agents: Vec::new(),
            topics: Vec::new(),
            configure: Box::new(|config| config),
            item_capacity: DEFAULT_ITEM_CAPACITY,
            tls: None,
            proxy: ProxySetting::FromEnv,
        }
    }

    /// Where access tokens come from (see [`crate::token`]).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.provider = Some(Box::new(provider));
        self
    }

    /// Follows an agent (their Genesys user id): their activity arrives as [`Item::Agent`].
    pub fn agent(mut self, user_id: impl Into<String>) -> Self {
        self.agents.push(user_id.into());
        self
    }

    /// Subscribes to a further topic; its events arrive as [`Item::Event`] (at most
    /// [`MAX_EXTRA_TOPICS`](genesys_notify_core::session::MAX_EXTRA_TOPICS)).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// Sets any of the core's session settings: heartbeat interval and silence tolerance, pong
    /// timeout, channel renewal, rollover overlap, backoff, token refresh margin (see
    /// [`Config`]). The core keeps the rules and their defaults; `configure` calls compose, in
    /// order.
    ///
    /// ```
    /// # use genesys_notify::{ClientBuilder, Environment};
    /// use genesys_notify::core::Duration;
    /// use genesys_notify::core::backoff::Backoff;
    /// # let environment = Environment::parse("eu-west-1").unwrap();
    /// let builder = ClientBuilder::new(environment).configure(|config| {
    ///     config
    ///         .heartbeat_timeout(Duration::from_secs(90))
    ///         .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(60)))
    /// });
    /// # drop(builder);
    /// ```
    pub fn configure(mut self, settings: impl FnOnce(Config) -> Config + Send + 'static) -> Self {
        let earlier = std::mem::replace(&mut self.configure, Box::new(|config| config));
        self.configure = Box::new(move |config| settings(earlier(config)));
        self
    }

    /// How many items may wait for the consumer (see [`DEFAULT_ITEM_CAPACITY`]).
    pub fn item_capacity(mut self, capacity: usize) -> Self {
        self.item_capacity = capacity.max(1);
        self
    }

    /// Uses this TLS configuration, for REST and the socket alike, instead of the Mozilla roots
    /// (a private CA, a test server); see [`tls::client_config_with_roots`].
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Sends the notification socket through `proxy` (or straight, with `None`) instead of the
    /// proxy `HTTPS_PROXY` and `NO_PROXY` name. REST calls follow those variables regardless
    /// (reqwest reads them).
    pub fn socket_proxy(mut self, proxy: Option<Proxy>) -> Self {
        self.proxy = ProxySetting::Given(proxy);
        self
    }

    /// Validates the configuration and starts the client in a task of the current tokio
    /// runtime. Items arrive on the returned stream; dropping it stops the client.
    pub fn start(self) -> Result<Notifications, StartError> {
        let provider = self.provider.ok_or(StartError::NoCredentials)?;
        if self.agents.len() > MAX_AGENTS {
            return Err(StartError::TooManyAgents {
                given: self.agents.len(),
            });
        }
        let config = Config::new(self.environment.clone(), provider.kind())
            .random_seed(RandomState::new().hash_one(std::process::id()));
        let mut config = (self.configure)(config);
        for topic in &self.topics {
            config = config.extra_topic(topic).map_err(StartError::Config)?;
        }
        let agents: Vec<&str> = self.agents.iter().map(String::as_str).collect();
        let session =
            Box::new(Session::<MAX_AGENTS>::new(config, &agents).map_err(StartError::Config)?);
        let tls = match self.tls {
            Some(tls) => tls,
            None => tls::client_config().map_err(StartError::Tls)?,
        };
        let proxy = match self.proxy {
            ProxySetting::FromEnv => Proxy::from_env().transpose().map_err(StartError::Proxy)?,
            ProxySetting::Given(proxy) => proxy,
        };
        let dial = socket::Dial {
            tls: Arc::clone(&tls),
            proxy: proxy.map(Arc::new),
            write_timeout: socket::WRITE_TIMEOUT,
        };
        let http = HttpClient::with_tls(self.environment, &tls).map_err(StartError::Http)?;
        let (items, receiver) = mpsc::channel(self.item_capacity);
        let runner = Runner {
            session,
            agents: self.agents,
            provider: Arc::from(provider),
            http,
            dial,
            items,
            origin: tokio::time::Instant::now(),
            bearer: None,
            sockets: HashMap::new(),
            tasks: JoinSet::new(),
            buf: vec![0; TRANSMIT_BUF],
            pending: Vec::new(),
            last_connection: None,
        };
        let span = tracing::info_span!("genesys_notify", agents = runner.agents.len());
        Ok(Notifications {
            items: receiver,
            task: tokio::spawn(runner.run().instrument(span)),
        })
    }
}

/// How long [`Notifications::close`] waits for the server to answer the close frames.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The stream of [`Item`]s of a running client. [`Notifications::close`] stops the client with
/// close frames; dropping it stops the client at once.
#[derive(Debug)]
pub struct Notifications {
    items: mpsc::Receiver<Item>,
    task: JoinHandle<()>,
}

impl Stream for Notifications {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Item>> {
        self.items.poll_recv(cx)
    }
}

impl Notifications {
    /// Stops the client gracefully: every open socket is sent a WebSocket close frame, and the
    /// client waits for the server's answer (at most [`CLOSE_WAIT`]) before it ends. Dropping
    /// the stream instead stops at once, without close frames.
    pub async fn close(mut self) {
        self.items.close();
        // The runner ends by itself once it has closed the sockets; it never panics on purpose,
        // and an abnormal end leaves nothing more to close.
        let _ = (&mut self.task).await;
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a spawned request or token fetch finished with.
enum Done {
    Token(Result<Token, TokenFetchError>),
    Http(RequestId, Result<HttpResponse, TransportError>),
}

/// The task that owns the session and every connection.
struct Runner {
    session: Box<Session<MAX_AGENTS>>,
    agents: Vec<String>,
    provider: Arc<dyn TokenProvider>,
    http: HttpClient,
    dial: socket::Dial,
    items: mpsc::Sender<Item>,
    origin: tokio::time::Instant,
    /// `Bearer <token>`: the only place the token is kept, and the only place it goes.
    bearer: Option<SecretString>,
    sockets: HashMap<SocketId, SocketHandle>,
    tasks: JoinSet<Done>,
    buf: Vec<u8>,
    /// Items produced by an input, sent before the session's own events.
    pending: Vec<Item>,
    /// The last connection state forwarded: health and connection events often repeat it.
    last_connection: Option<ConnectionUpdate>,
}

impl Runner {
    fn now(&self) -> Instant {
        let elapsed = self.origin.elapsed().as_millis();
        Instant::from_millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }

    fn to_tokio(&self, at: Instant) -> tokio::time::Instant {
        self.origin + Duration::from_millis(at.as_millis())
    }

    async fn run(mut self) {
        let (socket_events, mut inbound) = mpsc::channel(socket::INBOUND_QUEUE);
        loop {
            if !self.drain(&socket_events).await {
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
                        let provider = Arc::clone(&self.provider);
                        let http = self.http.clone();
                        self.tasks
                            .spawn(async move { Done::Token(provider.fetch(&http).await) });
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
            Done::Token(Ok(token)) => {
                self.bearer = Some(bearer(&token.access_token));
                let expires_in = token
                    .expires_in
                    .map_or(genesys_notify_core::Duration::MAX, Into::into);
                debug!(%expires_in, "token");
                self.session.handle_token(now, expires_in);
            }
            Done::Token(Err(error)) => {
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
