//! The operations the simulator serves, named once.
//!
//! Faults ("fail the next 2 channel creations") and log queries ("how many token requests?") both
//! speak in operations rather than in paths, so a test says what it means and the URL layout is
//! written in exactly one place: [`Operation::classify`].

use http::Method;

/// One kind of request the simulator understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /oauth/token`.
    Token,
    /// `POST /api/v2/notifications/channels`.
    CreateChannel,
    /// `GET /api/v2/notifications/channels`.
    ListChannels,
    /// `HEAD /api/v2/notifications/channels/{id}`.
    HeadChannel,
    /// `GET /api/v2/notifications/channels/{id}/subscriptions`.
    GetSubscriptions,
    /// `PUT /api/v2/notifications/channels/{id}/subscriptions`.
    ReplaceSubscriptions,
    /// `POST /api/v2/notifications/channels/{id}/subscriptions`.
    AddSubscriptions,
    /// `DELETE /api/v2/notifications/channels/{id}/subscriptions`.
    DeleteSubscriptions,
    /// `GET /api/v2/notifications/availabletopics`.
    AvailableTopics,
    /// `GET /api/v2/tokens/me`.
    TokenInfo,
    /// `GET /api/v2/users/me`.
    GetMe,
    /// `GET /api/v2/users/{id}`.
    GetUser,
    /// `GET /api/v2/users/{id}/routingstatus`.
    GetRoutingStatus,
    /// `GET /api/v2/users/{id}/presences/purecloud`.
    GetPresence,
    /// `GET /api/v2/conversations`.
    GetConversations,
    /// `GET /channels/{id}` with a WebSocket upgrade (the streaming endpoint).
    Connect,
    /// Anything else (answered with 404 `not.found`).
    Unknown,
}

impl Operation {
    /// Names the operation a request asks for, from its method and path (query excluded).
    pub fn classify(method: &Method, path: &str) -> Self {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["oauth", "token"]) => Self::Token,
            ("GET", ["channels", _]) => Self::Connect,
            ("POST", ["api", "v2", "notifications", "channels"]) => Self::CreateChannel,
            ("GET", ["api", "v2", "notifications", "channels"]) => Self::ListChannels,
            ("HEAD", ["api", "v2", "notifications", "channels", _]) => Self::HeadChannel,
            (m, ["api", "v2", "notifications", "channels", _, "subscriptions"]) => match m {
                "GET" => Self::GetSubscriptions,
                "PUT" => Self::ReplaceSubscriptions,
                "POST" => Self::AddSubscriptions,
                "DELETE" => Self::DeleteSubscriptions,
                _ => Self::Unknown,
            },
            ("GET", ["api", "v2", "notifications", "availabletopics"]) => Self::AvailableTopics,
            ("GET", ["api", "v2", "tokens", "me"]) => Self::TokenInfo,
            ("GET", ["api", "v2", "users", "me"]) => Self::GetMe,
            ("GET", ["api", "v2", "users", _]) => Self::GetUser,
            ("GET", ["api", "v2", "users", _, "routingstatus"]) => Self::GetRoutingStatus,
            ("GET", ["api", "v2", "users", _, "presences", "purecloud"]) => Self::GetPresence,
            ("GET", ["api", "v2", "conversations"]) => Self::GetConversations,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_layout_names_each_operation() {
        assert_eq!(
            Operation::classify(&Method::POST, "/oauth/token"),
            Operation::Token
        );
        assert_eq!(
            Operation::classify(
                &Method::PUT,
                "/api/v2/notifications/channels/streaming-0-x/subscriptions"
            ),
            Operation::ReplaceSubscriptions
        );
        assert_eq!(
            Operation::classify(&Method::GET, "/api/v2/users/abc/presences/purecloud"),
            Operation::GetPresence
        );
        assert_eq!(
            Operation::classify(&Method::GET, "/api/v2/users/me"),
            Operation::GetMe
        );
        assert_eq!(
            Operation::classify(&Method::GET, "/channels/streaming-0-x"),
            Operation::Connect
        );
        assert_eq!(
            Operation::classify(&Method::GET, "/api/v2/nope"),
            Operation::Unknown
        );
    }
}
