//! The client: a builder, the stream it starts, and the roster of agents it follows.
//!
//! # Many agents, several channels
//!
//! One Genesys channel holds 1 000 topics, so one session follows at most [`MAX_AGENTS`]
//! agents (three topics each, counted as the core's budget rule counts them). A client given
//! more spreads them evenly over as many sessions as needed, each on its own channel, each a
//! [runner](crate::runner) task with every guarantee a single channel has (watchdog, rollover
//! without loss or duplicates, resync after gaps, diagnoses). They share one queue to the
//! consumer, one HTTP client and one token.
//!
//! Genesys allows 20 channels per user and OAuth client, and creating a 21st removes an older
//! one. A rollover holds two channels for a moment (make before break), so each session counts
//! twice against the caller's budget ([`ClientBuilder::max_channels`], by default
//! [`DEFAULT_MAX_CHANNELS`], which leaves room under the 20 for a `doctor` run or a second
//! tool on the same OAuth client).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::Stream;
use genesys_notify_core::session::{Config, ConfigError, MAX_EXTRA_TOPICS, MemberError, Session};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::http::{HttpClient, HttpClientError};
use crate::item::Item;
use crate::proxy::{Proxy, ProxyError};
use crate::runner::{Command, Parts, Runner};
use crate::socket;
use crate::token::{TokenCache, TokenProvider};
use crate::{Environment, tls};

/// The most agents one channel (one session) follows.
///
/// Each agent takes three of the 1 000 topics a channel may hold (conversations, presence,
/// routing status), so 333 agents fill one channel; a client given more spreads them over
/// several channels. The session sized for them is about 190 KB, kept on the heap.
pub const MAX_AGENTS: usize = 333;

/// The channels a client may hold at once unless [`ClientBuilder::max_channels`] says
/// otherwise: 18 of Genesys' 20 per user and OAuth client, so up to 9 sessions (each may hold
/// two during a rollover), 2 997 agents.
pub const DEFAULT_MAX_CHANNELS: usize = 18;

/// How many items may wait for the consumer before the runner waits too.
///
/// The default of [`ClientBuilder::item_capacity`]. Waiting stops the runner reading sockets,
/// which lets TCP push back on the server: a slow consumer costs latency, never unbounded memory.
pub const DEFAULT_ITEM_CAPACITY: usize = 1024;

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
    max_channels: usize,
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
    /// The agents and topics need more channels than [`ClientBuilder::max_channels`] allows:
    /// raise it (Genesys allows 20 per OAuth client), or shard the agents over several
    /// gateways, each with its own OAuth client.
    ChannelBudget {
        /// How many agents were given.
        agents: usize,
        /// How many extra topics were given.
        topics: usize,
        /// The channels they need, counting two per session (a rollover's second channel).
        needed: usize,
        /// The channel budget.
        max_channels: usize,
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
            StartError::ChannelBudget {
                agents,
                topics,
                needed,
                max_channels,
            } => {
                write!(f, "{agents} agents")?;
                if *topics > 0 {
                    write!(f, " and {topics} topics")?;
                }
                write!(
                    f,
                    " need {needed} channels ({MAX_AGENTS} agents or {MAX_EXTRA_TOPICS} extra \
                     topics each, and two each during a rollover), more than the budget of \
                     {max_channels}: raise the budget (Genesys allows 20 per OAuth client) or \
                     shard the agents over gateways with their own OAuth clients"
                )
            }
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
            max_channels: DEFAULT_MAX_CHANNELS,
        }
    }

    /// Where access tokens come from (see [`crate::token`]).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.provider = Some(Box::new(provider));
        self
    }

    /// Follows an agent (their Genesys user id): their activity arrives as [`Item::Agent`].
    /// Any number may be given: beyond [`MAX_AGENTS`] they are spread over several channels.
    /// An id given twice is followed once.
    pub fn agent(mut self, user_id: impl Into<String>) -> Self {
        self.agents.push(user_id.into());
        self
    }

    /// Follows each of these agents (see [`ClientBuilder::agent`]).
    pub fn agents<I, S>(mut self, user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.agents.extend(user_ids.into_iter().map(Into::into));
        self
    }

    /// How many notification channels the client may hold at once (at least 2), counting the
    /// second channel a session holds during a rollover; [`DEFAULT_MAX_CHANNELS`] by default.
    /// Each session follows up to [`MAX_AGENTS`] agents and counts as two, so a budget of 14
    /// follows up to 2 331 agents over 7 channels.
    pub fn max_channels(mut self, channels: usize) -> Self {
        self.max_channels = channels.max(2);
        self
    }

    /// Subscribes to a further topic; its events arrive as [`Item::Event`]. Any number may be
    /// given: each session carries up to [`MAX_EXTRA_TOPICS`] of them, so more are spread over
    /// further sessions (channels), like agents.
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

    /// Validates the configuration and starts the client in tasks of the current tokio
    /// runtime: one session (one channel) per [`MAX_AGENTS`] agents, the agents spread evenly.
    /// Items arrive on the returned stream; dropping it stops the client.
    pub fn start(self) -> Result<Notifications, StartError> {
        let provider = self.provider.ok_or(StartError::NoCredentials)?;
        let mut seen = HashSet::new();
        let agents: Vec<String> = self
            .agents
            .into_iter()
            .filter(|id| seen.insert(id.to_ascii_lowercase()))
            .collect();
        let max_shards = self.max_channels / 2;
        let base = (self.configure)(Config::new(self.environment.clone(), provider.kind()));
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
        let spawner = Spawner {
            base,
            tokens: Arc::new(TokenCache::new(provider)),
            http,
            dial,
            items: items.downgrade(),
            origin: tokio::time::Instant::now(),
            seed: RandomState::new().hash_one(std::process::id()),
        };
        // Every session is built (and checked) before any starts: as few as the agents (333 a
        // session) and extra topics (4 a session) need, one more each time the core finds a
        // session's topics over a channel's budget.
        let mut sessions = agents
            .len()
            .div_ceil(MAX_AGENTS)
            .max(self.topics.len().div_ceil(MAX_EXTRA_TOPICS))
            .max(1);
        let prepared = loop {
            if sessions > max_shards {
                return Err(StartError::ChannelBudget {
                    agents: agents.len(),
                    topics: self.topics.len(),
                    needed: 2 * sessions,
                    max_channels: self.max_channels,
                });
            }
            match spawner.prepare(sessions, &agents, &self.topics) {
                Err(StartError::Config(ConfigError::TooManyTopics)) => sessions += 1,
                other => break other?,
            }
        };
        let roster = Roster {
            fleet: Arc::new(Fleet {
                shards: Mutex::new(Vec::new()),
                max_shards,
                spawner,
            }),
        };
        {
            let mut shards = roster.fleet.lock();
            for (shard, (session, group)) in prepared.into_iter().enumerate() {
                shards.extend(roster.fleet.spawner.spawn(shard, session, group));
            }
        }
        // The strong sender lived until every runner had its own.
        drop(items);
        Ok(Notifications {
            items: receiver,
            roster,
        })
    }
}

/// How long [`Notifications::close`] waits for the server to answer the close frames.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The stream of [`Item`]s of a running client. [`Notifications::close`] stops the client with
/// close frames; dropping it stops the client at once.
///
/// With several channels (more than [`MAX_AGENTS`] agents), each session reports its own
/// [`Item::Connection`] updates (their `shard` says which) and may stop on its own
/// ([`Item::Stopped`]); the stream ends once every session has stopped.
#[derive(Debug)]
pub struct Notifications {
    items: mpsc::Receiver<Item>,
    roster: Roster,
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
        let tasks: Vec<JoinHandle<()>> = {
            let mut shards = self.roster.fleet.lock();
            shards.iter_mut().filter_map(|s| s.task.take()).collect()
        };
        // Each runner ends by itself once it has closed its sockets; it never panics on
        // purpose, and an abnormal end leaves nothing more to close.
        for task in tasks {
            let _ = task.await;
        }
    }

    /// The agents this client follows, to add or remove some while it runs. The handle may be
    /// cloned and moved to another task.
    pub fn roster(&self) -> Roster {
        self.roster.clone()
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        for shard in self.roster.fleet.lock().iter() {
            if let Some(task) = &shard.task {
                task.abort();
            }
        }
    }
}

/// Why an agent could not be added to a running client.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RosterError {
    /// The client already follows this agent.
    AlreadyFollowed,
    /// The session refused it (an id that is not a Genesys user id, say).
    Refused(MemberError),
    /// Every session is full and the channel budget allows no other: raise
    /// [`ClientBuilder::max_channels`], or shard the floor over several gateways.
    ChannelBudget {
        /// The budget.
        max_channels: usize,
    },
    /// The client has stopped.
    Stopped,
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RosterError::AlreadyFollowed => f.write_str("this agent is already followed"),
            RosterError::Refused(e) => e.fmt(f),
            RosterError::ChannelBudget { max_channels } => write!(
                f,
                "every channel is full and the budget of {max_channels} channels allows no \
                 other: raise it, or shard the agents over several gateways"
            ),
            RosterError::Stopped => f.write_str("the client has stopped"),
        }
    }
}

impl std::error::Error for RosterError {}

/// The agents a running client follows ([`Notifications::roster`]): add or remove agents
/// without restarting the others. A new agent goes to the session with the most room (its
/// channel's subscriptions are replaced, then the agent alone is read); when every session is
/// full, a new one starts on a new channel, within the channel budget.
#[derive(Clone)]
pub struct Roster {
    fleet: Arc<Fleet>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("agents", &self.len())
            .field("sessions", &self.sessions())
            .finish()
    }
}

impl Roster {
    /// Follows one more agent. Its state arrives as [`Item::Agent`] once read.
    pub async fn add(&self, user_id: &str) -> Result<(), RosterError> {
        let key = user_id.to_ascii_lowercase();
        let (commands, shard) = {
            let mut shards = self.fleet.lock();
            if shards.iter().any(|s| s.agents.contains_key(&key)) {
                return Err(RosterError::AlreadyFollowed);
            }
            let roomiest = shards
                .iter()
                .enumerate()
                .filter(|(_, s)| s.agents.len() < MAX_AGENTS && !s.commands.is_closed())
                .min_by_key(|(_, s)| s.agents.len())
                .map(|(index, _)| index);
            match roomiest {
                Some(index) => {
                    shards[index].agents.insert(key.clone(), user_id.to_owned());
                    (shards[index].commands.clone(), index)
                }
                None if shards.len() < self.fleet.max_shards => {
                    // A new session on a new channel, for this agent alone so far.
                    let shard = shards.len();
                    let spawner = &self.fleet.spawner;
                    let group = vec![user_id.to_owned()];
                    let session = spawner
                        .session(shard, spawner.base.clone(), &group)
                        .map_err(|e| match e {
                            StartError::Config(ConfigError::InvalidAgentId { .. }) => {
                                RosterError::Refused(MemberError::InvalidAgentId)
                            }
                            _ => RosterError::Stopped,
                        })?;
                    let started = spawner
                        .spawn(shard, session, group)
                        .ok_or(RosterError::Stopped)?;
                    shards.push(started);
                    return Ok(());
                }
                None => {
                    return Err(RosterError::ChannelBudget {
                        max_channels: self.fleet.max_shards * 2,
                    });
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        let sent = commands.send(Command::Add(user_id.to_owned(), reply)).await;
        let outcome = match (sent, answer.await) {
            (Ok(()), Ok(Ok(()))) => Ok(()),
            (Ok(()), Ok(Err(e))) => Err(RosterError::Refused(e)),
            _ => Err(RosterError::Stopped),
        };
        if outcome.is_err() {
            self.fleet.lock()[shard].agents.remove(&key);
        }
        outcome
    }

    /// Stops following an agent; `false` if the client did not follow it.
    pub async fn remove(&self, user_id: &str) -> bool {
        let key = user_id.to_ascii_lowercase();
        let commands = {
            let mut shards = self.fleet.lock();
            let Some(shard) = shards.iter_mut().find(|s| s.agents.contains_key(&key)) else {
                return false;
            };
            shard.agents.remove(&key);
            shard.commands.clone()
        };
        let (reply, answer) = oneshot::channel();
        if commands
            .send(Command::Remove(user_id.to_owned(), reply))
            .await
            .is_err()
        {
            return false;
        }
        answer.await.unwrap_or(false)
    }

    /// Whether the client follows this agent.
    pub fn contains(&self, user_id: &str) -> bool {
        let key = user_id.to_ascii_lowercase();
        self.fleet
            .lock()
            .iter()
            .any(|s| s.agents.contains_key(&key))
    }

    /// The user ids the client follows, as they were given.
    pub fn agents(&self) -> Vec<String> {
        self.fleet
            .lock()
            .iter()
            .flat_map(|s| s.agents.values().cloned())
            .collect()
    }

    /// How many agents the client follows.
    pub fn len(&self) -> usize {
        self.fleet.lock().iter().map(|s| s.agents.len()).sum()
    }

    /// Whether the client follows no agent (a client of topics alone).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many sessions (channels, outside rollovers) the client runs.
    pub fn sessions(&self) -> usize {
        self.fleet.lock().len()
    }
}

/// The sessions of one client.
struct Fleet {
    shards: Mutex<Vec<Shard>>,
    /// The channel budget, halved: each session may hold two channels during a rollover.
    max_shards: usize,
    spawner: Spawner,
}

impl Fleet {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Shard>> {
        // Nothing panics while holding the lock; were it ever poisoned, the list is still whole.
        self.shards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One running session, as the roster sees it.
struct Shard {
    /// The user ids as given, by their lower-cased form (to find an agent's session).
    agents: HashMap<String, String>,
    commands: mpsc::Sender<Command>,
    task: Option<JoinHandle<()>>,
}

/// A session built and checked, and the agents it follows, before its runner starts.
type Prepared = (Box<Session<MAX_AGENTS>>, Vec<String>);

/// Everything a new session needs, shared by all.
struct Spawner {
    /// The configuration every session starts from, before its share of the extra topics.
    base: Config,
    tokens: Arc<TokenCache>,
    http: HttpClient,
    dial: socket::Dial,
    /// Weak, so that the stream ends once every runner has (a new session revives it only
    /// while one still runs).
    items: mpsc::WeakSender<Item>,
    origin: tokio::time::Instant,
    seed: u64,
}

impl Spawner {
    /// One session for each of `sessions` even shares of the agents and the extra topics (the
    /// share sizes differ by one at most), checked by the core.
    fn prepare(
        &self,
        sessions: usize,
        agents: &[String],
        topics: &[String],
    ) -> Result<Vec<Prepared>, StartError> {
        let agent_shares = even_shares(agents, sessions);
        let topic_shares = even_shares(topics, sessions);
        let mut prepared = Vec::with_capacity(sessions);
        for (group, topics) in agent_shares.into_iter().zip(topic_shares) {
            if group.is_empty() && topics.is_empty() && !prepared.is_empty() {
                continue;
            }
            let mut config = self.base.clone();
            for topic in &topics {
                config = config.extra_topic(topic).map_err(StartError::Config)?;
            }
            prepared.push((self.session(prepared.len(), config, &group)?, group));
        }
        Ok(prepared)
    }

    fn session(
        &self,
        shard: usize,
        config: Config,
        agents: &[String],
    ) -> Result<Box<Session<MAX_AGENTS>>, StartError> {
        // Each session its own jitter, so their backoffs do not march in step.
        let config = config.random_seed(self.seed.wrapping_add(shard as u64));
        let ids: Vec<&str> = agents.iter().map(String::as_str).collect();
        Session::new(config, &ids)
            .map(Box::new)
            .map_err(StartError::Config)
    }

    /// Starts a runner; `None` once the client has ended (no runner holds the queue).
    fn spawn(
        &self,
        shard: usize,
        session: Box<Session<MAX_AGENTS>>,
        agents: Vec<String>,
    ) -> Option<Shard> {
        let items = self.items.upgrade()?;
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let keys = agents
            .iter()
            .map(|a| (a.to_ascii_lowercase(), a.clone()))
            .collect();
        let runner = Runner::new(Parts {
            shard,
            session,
            agents,
            tokens: Arc::clone(&self.tokens),
            http: self.http.clone(),
            dial: self.dial.clone(),
            items,
            commands: receiver,
            origin: self.origin,
        });
        let span = tracing::info_span!("genesys_notify", shard, agents = runner.agents.len());
        Some(Shard {
            agents: keys,
            commands,
            task: Some(tokio::spawn(runner.run().instrument(span))),
        })
    }
}

/// `items` cut into `parts` consecutive shares whose sizes differ by one at most.
fn even_shares(items: &[String], parts: usize) -> Vec<Vec<String>> {
    let parts = parts.max(1);
    let (size, larger) = (items.len() / parts, items.len() % parts);
    let mut rest = items;
    (0..parts)
        .map(|i| {
            let (share, after) = rest.split_at(size + usize::from(i < larger));
            rest = after;
            share.to_vec()
        })
        .collect()
}

/// Roster commands waiting for a runner: adds and removes are rare, and the sender waits.
const COMMAND_QUEUE: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_even_and_keep_the_order() {
        let items: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let shares = even_shares(&items, 3);
        let sizes: Vec<usize> = shares.iter().map(Vec::len).collect();
        assert_eq!(sizes, [4, 3, 3]);
        assert_eq!(shares.concat(), items);
        assert_eq!(
            even_shares(&items[..1], 3)
                .iter()
                .map(Vec::len)
                .sum::<usize>(),
            1
        );
        assert_eq!(even_shares(&[], 2), [Vec::<String>::new(), Vec::new()]);
    }
}
