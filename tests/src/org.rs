//! The organisation the simulator serves: roles, users and OAuth clients.
//!
//! Genesys decides what a caller may do from two independent things: the *permissions* of the
//! principal (a user's roles, or a client-credentials client's roles) and, for user-context tokens
//! only, the *scopes* granted to the OAuth client. The simulator keeps the two apart exactly so that
//! tests can produce each kind of refusal on its own.

use std::time::Duration;

/// The organisation id of [`Org::demo`].
pub const DEMO_ORG_ID: &str = "8f2b7c4e-0d1a-4c59-9e3b-5a6f7d8c9e01";
/// The agent of [`Org::demo`]: on queue-capable, with the `Agent` role.
pub const DEMO_AGENT_ID: &str = "0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10";
/// A second agent of [`Org::demo`], the target of consult transfers in demos.
pub const DEMO_COLLEAGUE_ID: &str = "5b1e9f7d-3c28-4a6b-8d40-2e7f1a9c6b23";
/// The client-credentials OAuth client of [`Org::demo`].
pub const DEMO_CLIENT_ID: &str = "demo-client-credentials";
/// The secret of [`DEMO_CLIENT_ID`]. Public on purpose: the demo org is a fixture, not an account.
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// The authorization-code OAuth client of [`Org::demo`], issuing tokens for [`DEMO_AGENT_ID`].
pub const DEMO_USER_CLIENT_ID: &str = "demo-user-client";
/// The secret of [`DEMO_USER_CLIENT_ID`].
pub const DEMO_USER_CLIENT_SECRET: &str = "demo-user-secret";
/// A refresh token for [`DEMO_USER_CLIENT_ID`] that the demo org accepts from the start, so that a
/// client can obtain a user-context token without a browser (the code grant needs one).
pub const DEMO_REFRESH_TOKEN: &str = "demo-refresh-token";

/// The permissions an agent needs to watch its own state and that of others.
///
/// The names follow Genesys' `domain:entity:action` pattern; which exact permission each topic
/// needs is our best understanding (see the crate docs), not a published fact.
pub const AGENT_PERMISSIONS: &[&str] = &[
    "conversation:communication:view",
    "routing:agent:view",
    "presence:userPresence:view",
];

/// A named set of permissions that users and OAuth clients are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub(crate) name: String,
    pub(crate) permissions: Vec<String>,
}

impl Role {
    /// A role with the given permissions (`domain:entity:action`, `*` matches any one segment).
    pub fn new(
        name: impl Into<String>,
        permissions: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            permissions: permissions.into_iter().map(Into::into).collect(),
        }
    }

    /// The role's name, as users and clients refer to it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A person in the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) roles: Vec<String>,
    pub(crate) permissions: Vec<String>,
}

impl User {
    /// A user with no roles and no permissions; the e-mail is derived from the name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        let email = format!("{}@example.invalid", name.to_lowercase().replace(' ', "."));
        Self {
            id: id.into(),
            name,
            email,
            roles: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Gives the user a role by name (the role must be declared on the org).
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Gives the user a permission directly.
    #[must_use]
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Sets the e-mail address that `GET /api/v2/users/{id}` reports.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// The user's id (a UUID in real orgs; any string here).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The user's display name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How an OAuth client obtains tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// `grant_type=client_credentials`: a token with no user and no scopes; the client's roles
    /// decide what it may do.
    ClientCredentials,
    /// `grant_type=authorization_code` (and `refresh_token`): user-context tokens for `user_id`,
    /// limited by the client's scopes *and* the user's permissions.
    AuthorizationCode {
        /// The user every token of this client acts as (the simulator has no login page).
        user_id: String,
    },
}

/// An OAuth client registered in the organisation. Its `Debug` output hides the secret and the
/// refresh tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) name: String,
    pub(crate) grant: Grant,
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) token_lifetime: Option<Duration>,
    pub(crate) refresh_tokens: Vec<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &crate::log::REDACTED)
            .field("name", &self.name)
            .field("grant", &self.grant)
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .field("token_lifetime", &self.token_lifetime)
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

impl OAuthClient {
    /// A client-credentials client. Give it roles to let it subscribe to anything.
    pub fn client_credentials(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(id.into(), secret.into(), Grant::ClientCredentials)
    }

    /// An authorization-code client whose tokens act as `user_id`. Give it scopes.
    pub fn authorization_code(
        id: impl Into<String>,
        secret: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        Self::new(
            id.into(),
            secret.into(),
            Grant::AuthorizationCode {
                user_id: user_id.into(),
            },
        )
    }

    fn new(id: String, secret: String, grant: Grant) -> Self {
        Self {
            name: id.clone(),
            id,
            secret,
            grant,
            scopes: Vec::new(),
            roles: Vec::new(),
            token_lifetime: None,
            refresh_tokens: Vec::new(),
        }
    }

    /// Grants a scope (`notifications`, `users:readonly`, …). Scopes only matter for user tokens.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Grants several scopes.
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Gives the client a role by name. Roles only matter for client-credentials tokens.
    #[must_use]
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Sets the lifetime of the tokens this client is issued (Genesys allows 5 min to 48 h; the
    /// simulator allows anything, so tests can expire tokens in milliseconds).
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// Accepts `refresh_token` from the start (for code-grant clients used without a browser).
    #[must_use]
    pub fn refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_tokens.push(token.into());
        self
    }

    /// Sets the display name reported by `GET /api/v2/tokens/me`.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The client id (the HTTP Basic user name at the token endpoint).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// How this client obtains tokens.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }
}

/// The organisation: its roles, users and OAuth clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) roles: Vec<Role>,
    pub(crate) users: Vec<User>,
    pub(crate) clients: Vec<OAuthClient>,
    pub(crate) enforce_scopes: bool,
}

impl Default for Org {
    fn default() -> Self {
        Self::demo()
    }
}

impl Org {
    /// An empty org to fill with [`Org::role`], [`Org::user`] and [`Org::client`].
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            roles: Vec::new(),
            users: Vec::new(),
            clients: Vec::new(),
            enforce_scopes: false,
        }
    }

    /// Turns the organisation's "Enforce Scopes" setting on or off (off by default, as in
    /// Genesys: an org that has not turned it on does not check OAuth scopes at all \[doc\]).
    /// With it on, a user-context token is refused (403 `not.authorized`) on an endpoint whose
    /// scope its OAuth client did not grant.
    pub fn enforce_scopes(mut self, on: bool) -> Self {
        self.enforce_scopes = on;
        self
    }

    /// The ready-made org for demos and most tests:
    /// - users [`DEMO_AGENT_ID`] ("Ada Agent") and [`DEMO_COLLEAGUE_ID`] ("Colin Colleague"), both
    ///   with the `Agent` role ([`AGENT_PERMISSIONS`]);
    /// - [`DEMO_CLIENT_ID`] / [`DEMO_CLIENT_SECRET`]: client credentials with the `Agent` role;
    /// - [`DEMO_USER_CLIENT_ID`] / [`DEMO_USER_CLIENT_SECRET`]: authorization code for the agent,
    ///   scopes `notifications`, `users:readonly`, `presence:readonly`, `routing:readonly`,
    ///   `conversations:readonly`, accepting [`DEMO_REFRESH_TOKEN`].
    pub fn demo() -> Self {
        Self::new(DEMO_ORG_ID, "Simulated Contact Centre")
            .role(Role::new("Agent", AGENT_PERMISSIONS.iter().copied()))
            .user(User::new(DEMO_AGENT_ID, "Ada Agent").role("Agent"))
            .user(User::new(DEMO_COLLEAGUE_ID, "Colin Colleague").role("Agent"))
            .client(
                OAuthClient::client_credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
                    .name("Demo service")
                    .role("Agent"),
            )
            .client(
                OAuthClient::authorization_code(
                    DEMO_USER_CLIENT_ID,
                    DEMO_USER_CLIENT_SECRET,
                    DEMO_AGENT_ID,
                )
                .name("Demo desk light")
                .scopes([
                    "notifications",
                    "users:readonly",
                    "presence:readonly",
                    "routing:readonly",
                    "conversations:readonly",
                ])
                .refresh_token(DEMO_REFRESH_TOKEN),
            )
    }

    /// Declares a role.
    #[must_use]
    pub fn role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds a user.
    #[must_use]
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Registers an OAuth client.
    #[must_use]
    pub fn client(mut self, client: OAuthClient) -> Self {
        self.clients.push(client);
        self
    }

    /// The organisation id reported by `GET /api/v2/tokens/me`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The organisation name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every user.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// Every OAuth client.
    pub fn clients(&self) -> &[OAuthClient] {
        &self.clients
    }

    /// The user with this id.
    pub fn find_user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The OAuth client with this id.
    pub fn find_client(&self, id: &str) -> Option<&OAuthClient> {
        self.clients.iter().find(|c| c.id == id)
    }

    fn role_permissions<'a>(&'a self, roles: &'a [String]) -> impl Iterator<Item = String> + 'a {
        roles
            .iter()
            .filter_map(|name| self.roles.iter().find(|r| &r.name == name))
            .flat_map(|r| r.permissions.iter().cloned())
    }

    /// Everything a user may do: its direct permissions and those of its roles.
    pub(crate) fn user_permissions(&self, user: &User) -> Vec<String> {
        let mut all: Vec<String> = user.permissions.clone();
        all.extend(self.role_permissions(&user.roles));
        all
    }

    /// Everything a client-credentials client may do: the permissions of its roles.
    pub(crate) fn client_permissions(&self, client: &OAuthClient) -> Vec<String> {
        self.role_permissions(&client.roles).collect()
    }
}

/// Whether a granted permission covers a needed one. Both are `domain:entity:action`; a `*`
/// segment in the granted permission matches any segment.
pub(crate) fn permission_covers(granted: &str, needed: &str) -> bool {
    let mut granted_parts = granted.split(':');
    let mut needed_parts = needed.split(':');
    loop {
        match (granted_parts.next(), needed_parts.next()) {
            (None, None) => return true,
            (Some(g), Some(n)) if g == "*" || g.eq_ignore_ascii_case(n) => {}
            _ => return false,
        }
    }
}

/// Whether a granted scope set satisfies one needed scope: `X` satisfies `X` and `X:readonly`.
pub(crate) fn scope_covers(granted: &[String], needed: &str) -> bool {
    let base = needed.strip_suffix(":readonly").unwrap_or(needed);
    granted.iter().any(|g| g == needed || g == base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_segments_cover_any_value() {
        assert!(permission_covers(
            "conversation:*:view",
            "conversation:communication:view"
        ));
        assert!(permission_covers("*:*:*", "routing:agent:view"));
        assert!(!permission_covers(
            "conversation:*:view",
            "conversation:communication:edit"
        ));
        assert!(!permission_covers(
            "conversation:*",
            "conversation:communication:view"
        ));
    }

    #[test]
    fn debug_output_never_shows_client_secrets_or_refresh_tokens() {
        let shown = format!("{:?}", Org::demo());
        assert!(!shown.contains(DEMO_CLIENT_SECRET));
        assert!(!shown.contains(DEMO_USER_CLIENT_SECRET));
        assert!(!shown.contains(DEMO_REFRESH_TOKEN));
    }

    #[test]
    fn read_write_scope_satisfies_its_readonly_form_but_not_the_reverse() {
        let granted = vec!["users".to_owned(), "presence:readonly".to_owned()];
        assert!(scope_covers(&granted, "users:readonly"));
        assert!(scope_covers(&granted, "users"));
        assert!(scope_covers(&granted, "presence:readonly"));
        assert!(!scope_covers(&granted, "presence"));
    }
}
