//! # genesys-notify
//!
//! Genesys Cloud real-time notifications for tokio.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod http;
mod item;
mod socket;
pub mod tls;

pub use client::{ClientBuilder, DEFAULT_ITEM_CAPACITY, MAX_AGENTS, Notifications, StartError};
pub use genesys_notify_core as core;
pub use genesys_notify_core::region::Environment;
pub use item::{AgentUpdate, ConnectionUpdate, Item, Notification};

/// A string that must never be printed: an access token, a refresh token, a client secret.
///
/// Its `Debug` and `Display` print `***`; read it with `expose_secret()`, only where it leaves
/// the process (a request header or form body).
pub type SecretString = genesys_notify_core::secret::Secret<String>;

pub mod output;
pub mod terminal;
pub mod token;

use genesys_notify_core::session::AGENT_TOPICS;
use genesys_notify_core::topic::{TopicBuf, TopicError};

/// The topics the session subscribes to follow one agent ([`AGENT_TOPICS`]: conversations,
/// presence and routing status), spelled out one by one.
pub fn agent_topics(user_id: &str) -> Result<Vec<TopicBuf>, TopicError> {
    AGENT_TOPICS
        .iter()
        .map(|kind| TopicBuf::user(user_id, *kind))
        .collect()
}
