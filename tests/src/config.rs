//! The TOML file the `genesys-sim` program reads (`--config org.toml`).
//!
//! ```toml
//! heartbeat_ms = 30000          # optional; Genesys' own values by default
//! channel_lifetime_ms = 86400000
//! socket_closing_lead_ms = 60000
//! token_lifetime_ms = 86400000
//! maintenance_after_ms = 3600000 # optional; off by default
//!
//! [org]                         # optional; without users and clients the demo org is served
//! id = "my-org"
//! name = "My org"
//! enforce_scopes = true         # optional; off by default, as in Genesys
//!
//! [[roles]]
//! name = "Agent"
//! permissions = ["conversation:communication:view", "routing:agent:view"]
//!
//! [[users]]
//! id = "u-1"
//! name = "Ada Agent"
//! roles = ["Agent"]
//!
//! [[clients]]
//! id = "svc"
//! secret = "svc-secret"
//! grant = "client_credentials"   # or "authorization_code" with user = "u-1"
//! roles = ["Agent"]
//! scopes = []
//! refresh_tokens = []
//! ```

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::SimBuilder;
use crate::org::{OAuthClient, Org, Role, User};

/// Why a configuration file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not valid TOML for this format; the text says where. Fix the file.
    Syntax(String),
    /// A client has an unknown `grant`; use `client_credentials` or `authorization_code`.
    UnknownGrant {
        /// The client's id.
        client: String,
        /// The grant given.
        grant: String,
    },
    /// An `authorization_code` client has no `user`, or names a user not in `[[users]]`.
    MissingUser {
        /// The client's id.
        client: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(e) => write!(f, "the configuration is not valid: {e}"),
            Self::UnknownGrant { client, grant } => write!(
                f,
                "client {client} has grant \"{grant}\"; use \"client_credentials\" or \"authorization_code\""
            ),
            Self::MissingUser { client } => write!(
                f,
                "client {client} uses authorization_code but its `user` is missing or not in [[users]]"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgSection {
    id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    enforce_scopes: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSection {
    name: String,
    #[serde(default)]
    permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSection {
    id: String,
    name: String,
    email: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSection {
    id: String,
    secret: String,
    name: Option<String>,
    grant: String,
    user: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    refresh_tokens: Vec<String>,
    token_lifetime_secs: Option<u64>,
}

/// A parsed configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    heartbeat_ms: Option<u64>,
    channel_lifetime_ms: Option<u64>,
    socket_closing_lead_ms: Option<u64>,
    token_lifetime_ms: Option<u64>,
    maintenance_after_ms: Option<u64>,
    #[serde(default)]
    org: OrgSection,
    #[serde(default)]
    roles: Vec<RoleSection>,
    #[serde(default)]
    users: Vec<UserSection>,
    #[serde(default)]
    clients: Vec<ClientSection>,
}

impl FileConfig {
    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))
    }

    /// The org it describes; the demo org when it lists no users and no clients.
    pub fn org(&self) -> Result<Org, ConfigError> {
        if self.users.is_empty() && self.clients.is_empty() {
            return Ok(Org::demo().enforce_scopes(self.org.enforce_scopes));
        }
        let mut org = Org::new(
            self.org
                .id
                .clone()
                .unwrap_or_else(|| "simulated-org".to_owned()),
            self.org
                .name
                .clone()
                .unwrap_or_else(|| "Simulated org".to_owned()),
        )
        .enforce_scopes(self.org.enforce_scopes);
        for r in &self.roles {
            org = org.role(Role::new(r.name.clone(), r.permissions.iter().cloned()));
        }
        for u in &self.users {
            let mut user = User::new(u.id.clone(), u.name.clone());
            if let Some(email) = &u.email {
                user = user.email(email.clone());
            }
            user.roles.extend(u.roles.iter().cloned());
            user.permissions.extend(u.permissions.iter().cloned());
            org = org.user(user);
        }
        for c in &self.clients {
            let mut client = match c.grant.as_str() {
                "client_credentials" => {
                    OAuthClient::client_credentials(c.id.clone(), c.secret.clone())
                }
                "authorization_code" => {
                    let user = c
                        .user
                        .clone()
                        .filter(|u| self.users.iter().any(|x| &x.id == u))
                        .ok_or_else(|| ConfigError::MissingUser {
                            client: c.id.clone(),
                        })?;
                    OAuthClient::authorization_code(c.id.clone(), c.secret.clone(), user)
                }
                other => {
                    return Err(ConfigError::UnknownGrant {
                        client: c.id.clone(),
                        grant: other.to_owned(),
                    });
                }
            };
            if let Some(name) = &c.name {
                client = client.name(name.clone());
            }
            client = client.scopes(c.scopes.iter().cloned());
            for r in &c.roles {
                client = client.role(r.clone());
            }
            for t in &c.refresh_tokens {
                client = client.refresh_token(t.clone());
            }
            if let Some(secs) = c.token_lifetime_secs {
                client = client.token_lifetime(Duration::from_secs(secs));
            }
            org = org.client(client);
        }
        Ok(org)
    }

    /// Applies the file to a builder: org and any intervals it sets.
    pub fn apply(&self, mut builder: SimBuilder) -> Result<SimBuilder, ConfigError> {
        builder = builder.org(self.org()?);
        if let Some(ms) = self.heartbeat_ms {
            builder = builder.heartbeat_interval(Duration::from_millis(ms));
        }
        if let Some(ms) = self.channel_lifetime_ms {
            builder = builder.channel_lifetime(Duration::from_millis(ms));
        }
        if let Some(ms) = self.socket_closing_lead_ms {
            builder = builder.socket_closing_lead(Duration::from_millis(ms));
        }
        if let Some(ms) = self.token_lifetime_ms {
            builder = builder.token_lifetime(Duration::from_millis(ms));
        }
        if let Some(ms) = self.maintenance_after_ms {
            builder = builder.maintenance_after(Duration::from_millis(ms));
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_users_or_clients_serves_the_demo_org() {
        let config = FileConfig::parse("heartbeat_ms = 100").map_err(|e| e.to_string());
        assert_eq!(
            config.and_then(|c| c.org().map_err(|e| e.to_string())),
            Ok(Org::demo())
        );
    }

    #[test]
    fn a_code_grant_client_must_name_a_known_user() {
        let text = r#"
            [[users]]
            id = "u1"
            name = "Ada"
            [[clients]]
            id = "c"
            secret = "s"
            grant = "authorization_code"
            user = "nobody"
        "#;
        let result = FileConfig::parse(text).and_then(|c| c.org());
        assert_eq!(
            result,
            Err(ConfigError::MissingUser {
                client: "c".to_owned()
            })
        );
    }

    #[test]
    fn an_unknown_grant_is_named_in_the_error() {
        let text = r#"
            [[clients]]
            id = "c"
            secret = "s"
            grant = "device_code"
        "#;
        let result = FileConfig::parse(text).and_then(|c| c.org());
        assert!(
            matches!(result, Err(ConfigError::UnknownGrant { grant, .. }) if grant == "device_code")
        );
    }
}
