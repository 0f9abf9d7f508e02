//! The simulator's world: tokens, channels, people and conversations, behind one lock.
//!
//! One `std::sync::Mutex` guards it all. Every operation is short and never awaits while holding
//! it; sockets are reached through unbounded queues, so publishing an event never blocks on a slow
//! client (the real service does not wait for clients either).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::conversation::{Conversation, Media};
use crate::faults::FaultStore;
use crate::log::LogStore;
use crate::org::Org;
use crate::people::PersonState;
use crate::socket::SocketCommand;

/// Genesys' limit on channels per user and OAuth client; the next one evicts the least recently
/// used. \[doc\]
pub const MAX_CHANNELS_PER_OWNER: usize = 20;

/// The simulator's clocks: every interval the protocol has, each shortenable to milliseconds.
/// Start from `Timing::default()` (Genesys' own values) and change fields, or use the
/// [`crate::SimBuilder`] methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timing {
    /// Time between `WebSocket Heartbeat` frames (Genesys: about 30 s).
    pub heartbeat_interval: Duration,
    /// How long a channel lives without a re-subscription (Genesys: 24 h).
    pub channel_lifetime: Duration,
    /// How long after `v2.system.socket_closing` the socket is closed (Genesys: about 1 min).
    pub socket_closing_lead: Duration,
    /// Lifetime of issued tokens unless the client sets its own (Genesys default: 24 h).
    pub token_lifetime: Duration,
    /// When set, every socket is sent `v2.system.socket_closing` this long after it connects (and
    /// closed [`Timing::socket_closing_lead`] later), like a maintenance rollover. Off by default:
    /// Genesys gives no schedule.
    pub maintenance_after: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(30),
            channel_lifetime: Duration::from_secs(24 * 60 * 60),
            socket_closing_lead: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(24 * 60 * 60),
            maintenance_after: None,
        }
    }
}

/// Who a token acts for, and what it may do. `Debug` hides the token.
#[derive(Clone)]
pub(crate) struct Principal {
    pub(crate) token: String,
    pub(crate) client_id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) permissions: Vec<String>,
    /// The organisation enforces OAuth scopes (read when the request is authenticated).
    pub(crate) scopes_enforced: bool,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("token", &crate::log::REDACTED)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("permissions", &self.permissions)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub(crate) principal: Principal,
    pub(crate) expires_at: Instant,
    pub(crate) revoked: bool,
}

/// Per-connection switches the fault injector flips and the I/O layer obeys.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    /// When non-zero, writes go out in chunks of at most this many bytes, with a pause between.
    pub(crate) split_writes: AtomicUsize,
    /// When set, the TCP connection is closed with RST (linger 0) instead of FIN.
    pub(crate) reset_on_drop: AtomicBool,
}

#[derive(Debug, Clone)]
pub(crate) struct SocketSlot {
    pub(crate) id: u64,
    pub(crate) tx: UnboundedSender<SocketCommand>,
    pub(crate) control: Arc<ConnControl>,
}

#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) id: String,
    pub(crate) owner: Principal,
    /// The subscription entries, as subscribed (a combined topic stays one entry): what the
    /// 1 000-topic limit counts and what `GET …/subscriptions` lists.
    pub(crate) entries: Vec<Entry>,
    /// The expanded, permitted topic names of every entry: what events are delivered under.
    /// Derived from `entries` by [`Channel::set_entries`].
    pub(crate) topics: Vec<String>,
    pub(crate) expires_at: Instant,
    pub(crate) expires_wall: SystemTime,
    pub(crate) last_used: Instant,
    pub(crate) socket: Option<SocketSlot>,
}

/// One subscription entry: the topic as subscribed, and the parts of it that were permitted.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) parts: Vec<String>,
}

impl Channel {
    /// Replaces the entries, and the delivered topic names with them.
    pub(crate) fn set_entries(&mut self, entries: Vec<Entry>) {
        let mut topics: Vec<String> = Vec::new();
        for part in entries.iter().flat_map(|e| &e.parts) {
            if !topics.iter().any(|t| t.eq_ignore_ascii_case(part)) {
                topics.push(part.clone());
            }
        }
        self.entries = entries;
        self.topics = topics;
    }

    pub(crate) fn same_owner(&self, p: &Principal) -> bool {
        self.owner.client_id == p.client_id && self.owner.user_id == p.user_id
    }

    pub(crate) fn summary_json(&self, connect_uri: String) -> Value {
        json!({
            "connectUri": connect_uri,
            "id": self.id,
            "expires": crate::timestamp::iso(self.expires_wall),
        })
    }

    pub(crate) fn close_socket(&mut self, code: u16, reason: &'static str) {
        if let Some(slot) = self.socket.take() {
            // A socket task that already ended has dropped its receiver; nothing to close then.
            let _ = slot.tx.send(SocketCommand::Close { code, reason });
        }
    }
}

pub(crate) struct State {
    pub(crate) org: Org,
    pub(crate) tokens: HashMap<String, TokenRecord>,
    /// refresh token → client id.
    pub(crate) refresh_tokens: HashMap<String, String>,
    /// authorization code → client id.
    pub(crate) auth_codes: HashMap<String, String>,
    pub(crate) channels: HashMap<String, Channel>,
    pub(crate) people: HashMap<String, PersonState>,
    pub(crate) conversations: Vec<Conversation>,
    pub(crate) next_socket: u64,
}

impl State {
    pub(crate) fn new(org: Org) -> Self {
        let now = SystemTime::now();
        let people = org
            .users
            .iter()
            .map(|u| (u.id.clone(), PersonState::new(now)))
            .collect();
        let refresh_tokens = org
            .clients
            .iter()
            .flat_map(|c| {
                c.refresh_tokens
                    .iter()
                    .map(move |t| (t.clone(), c.id.clone()))
            })
            .collect();
        Self {
            org,
            tokens: HashMap::new(),
            refresh_tokens,
            auth_codes: HashMap::new(),
            channels: HashMap::new(),
            people,
            conversations: Vec::new(),
            next_socket: 0,
        }
    }

    /// Sends an event to every connected channel subscribed to `topic` (compared ignoring case).
    /// Unconnected channels miss it: Genesys does not replay events.
    pub(crate) fn publish(&self, topic: &str, body: Value) {
        let envelope = json!({
            "topicName": topic,
            "version": "2",
            "eventBody": body,
            "metadata": {"CorrelationId": uuid::Uuid::new_v4().to_string()},
        });
        let text = envelope.to_string();
        for channel in self.channels.values() {
            if let Some(slot) = &channel.socket
                && channel.topics.iter().any(|t| t.eq_ignore_ascii_case(topic))
            {
                // A socket that just went away has dropped its receiver; the event is lost, as
                // it would be on the real service.
                let _ = slot.tx.send(SocketCommand::Text(text.clone()));
            }
        }
    }

    /// The conversation summary body of a user (`v2.users.{id}.conversationsummary`).
    pub(crate) fn conversation_summary(&self, user_id: &str) -> Value {
        let mut body = json!({ "userId": user_id });
        for media in Media::ALL {
            let mut active = 0u32;
            let mut acw = 0u32;
            for c in self.conversations.iter().filter(|c| c.media == media) {
                for p in c
                    .participants
                    .iter()
                    .filter(|p| p.user_id.as_deref() == Some(user_id))
                {
                    if p.in_acw() {
                        acw += 1;
                    } else if p.is_active() {
                        active += 1;
                    }
                }
            }
            body[media.summary_key()] = json!({
                "contactCenter": {"active": active, "acw": acw},
                "enterprise": {"active": 0, "acw": 0},
            });
        }
        body
    }

    /// The conversations a user is still working on (active or owing a wrap-up).
    pub(crate) fn active_conversations(&self, user_id: &str) -> Vec<&Conversation> {
        self.conversations
            .iter()
            .filter(|c| {
                c.participants
                    .iter()
                    .any(|p| p.user_id.as_deref() == Some(user_id) && (p.is_active() || p.in_acw()))
            })
            .collect()
    }
}

/// Everything the server tasks and the handles share.
pub(crate) struct Shared {
    pub(crate) timing: Timing,
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) state: Mutex<State>,
    pub(crate) log: Arc<LogStore>,
    pub(crate) faults: FaultStore,
    pub(crate) cancel: CancellationToken,
    /// Woken whenever the state may have changed (every release of the lock).
    pub(crate) changed: Notify,
}

/// The locked state; releasing it wakes everyone waiting for a change.
pub(crate) struct StateGuard<'a> {
    guard: MutexGuard<'a, State>,
    changed: &'a Notify,
}

impl Deref for StateGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        // Waiters re-lock right after this guard's mutex guard is dropped (next statement).
        self.changed.notify_waiters();
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> StateGuard<'_> {
        // Every critical section leaves the state consistent before it can panic, so a poisoned
        // lock still holds a usable state.
        StateGuard {
            guard: self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            changed: &self.changed,
        }
    }

    /// Every issued access and refresh token, for redaction.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state
            .tokens
            .keys()
            .chain(state.refresh_tokens.keys())
            .cloned()
            .collect()
    }

    /// `text` with every issued token replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.secrets().iter().fold(text.to_owned(), |t, secret| {
            t.replace(secret.as_str(), crate::log::REDACTED)
        })
    }

    /// Waits until `condition` holds for the state; `false` when `within` passes first.
    pub(crate) async fn wait_until(
        &self,
        within: Duration,
        condition: impl Fn(&State) -> bool,
    ) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            // The raw lock: releasing a `StateGuard` would wake this very waiter and spin.
            let holds = condition(
                &self
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            if holds {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return false;
            }
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS.
    pub(crate) fn base_url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}", self.addr.port())
        }
    }

    pub(crate) fn connect_uri(&self, channel_id: &str) -> String {
        if self.tls {
            format!("wss://localhost:{}/channels/{channel_id}", self.addr.port())
        } else {
            format!("ws://127.0.0.1:{}/channels/{channel_id}", self.addr.port())
        }
    }

    /// Removes a channel (expiry, eviction or a fault), closing its socket.
    pub(crate) fn remove_channel(&self, channel_id: &str, code: u16, reason: &'static str) -> bool {
        let mut state = self.lock();
        match state.channels.remove(channel_id) {
            Some(mut channel) => {
                channel.close_socket(code, reason);
                true
            }
            None => false,
        }
    }

    /// Ends the channel when its lifetime passes, unless re-subscribing pushed the deadline.
    pub(crate) fn watch_expiry(self: &Arc<Self>, channel_id: String) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let deadline = match shared.lock().channels.get(&channel_id) {
                    Some(c) => c.expires_at,
                    None => return,
                };
                tokio::select! {
                    () = shared.cancel.cancelled() => return,
                    () = tokio::time::sleep_until(deadline) => {}
                }
                let expired = shared
                    .lock()
                    .channels
                    .get(&channel_id)
                    .is_some_and(|c| c.expires_at <= Instant::now());
                if expired {
                    shared.remove_channel(&channel_id, 1000, "channel expired");
                    return;
                }
            }
        });
    }

    pub(crate) fn next_socket_id(&self) -> u64 {
        let mut state = self.lock();
        state.next_socket += 1;
        state.next_socket
    }
}

/// Marks a channel used now (for least-recently-used eviction).
pub(crate) fn touch(channel: &mut Channel) {
    channel.last_used = Instant::now();
}

/// Extends a channel's life by a full lifetime from now (re-subscribing does this).
pub(crate) fn extend(channel: &mut Channel, lifetime: Duration) {
    channel.expires_at = Instant::now() + lifetime;
    channel.expires_wall = SystemTime::now() + lifetime;
    touch(channel);
}

/// The `split_writes` and `reset_on_drop` switches, read by the I/O layer.
impl ConnControl {
    pub(crate) fn split(&self) -> usize {
        self.split_writes.load(Ordering::Relaxed)
    }
}
