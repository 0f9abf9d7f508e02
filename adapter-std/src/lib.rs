//! # genesys-notify
//!
//! Genesys Cloud real-time notifications for tokio.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod http;

pub mod tls;

pub use genesys_notify_core as core;
pub use genesys_notify_core::region::Environment;

/// A string that must never be printed: an access token, a refresh token, a client secret.
///
/// Its `Debug` and `Display` print `***`; read it with `expose_secret()`, only where it leaves
/// the process (a request header or form body).
pub type SecretString = genesys_notify_core::secret::Secret<String>;

pub mod output;
pub mod terminal;
pub mod token;

use genesys_notify_core::topic::{TopicBuf, TopicError, UserTopicKind};

/// The topics that follow one agent: their conversations, presence and routing status.
pub fn agent_topics(user_id: &str) -> Result<[TopicBuf; 3], TopicError> {
    Ok([
        TopicBuf::user(user_id, UserTopicKind::Conversations)?,
        TopicBuf::user(user_id, UserTopicKind::Presence)?,
        TopicBuf::user(user_id, UserTopicKind::RoutingStatus)?,
    ])
}
