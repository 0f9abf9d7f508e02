//! Where access tokens come from.
//!
//! The session decides *when* a token is needed (at start, before the current one expires,
//! once after a 401); a [`TokenProvider`] decides *how* to get one. Three are provided:
//!
//! - [`ClientCredentials`]: the OAuth client-credentials grant, for services. Such a token has
//!   no user and no scopes (roles govern it): it can create channels and subscribe to any
//!   user's topics its roles allow, but `/users/me` and `GET /api/v2/conversations` do not
//!   apply to it.
//! - [`RefreshToken`]: exchanges a refresh token from an authorization-code grant for user
//!   tokens, keeping the rotated refresh token Genesys returns.
//! - [`StaticToken`]: a token obtained elsewhere, used as is until it is refused.
//!
//! The requests are the core's ([`request::token_client_credentials`],
//! [`request::token_refresh`]); this module only supplies the client id and secret as HTTP
//! Basic and reads the reply with the core's [`read_token_reply`] (the same rule as on a
//! device: a 2xx without a token is no token). Secrets live in [`SecretString`]s
//! from start to finish, so no `Debug` of any type here prints one.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use genesys_notify_core::request::{self, Request, ResponseError};
use genesys_notify_core::secret::Secret;
use genesys_notify_core::session::{TokenFailure, read_token_reply};

pub use genesys_notify_core::session::TokenKind;

use crate::SecretString;
use crate::http::{HttpClient, HttpResponse, TransportError};

/// The environment variable holding a ready-made access token.
pub const ENV_TOKEN: &str = "GENESYS_TOKEN";
/// The environment variable holding the OAuth client id.
pub const ENV_CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// The environment variable holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";
/// The environment variable holding a refresh token (with the client id and secret).
pub const ENV_REFRESH_TOKEN: &str = "GENESYS_REFRESH_TOKEN";

/// Room for the token request's path and form body; a refresh token is a few hundred bytes.
const TOKEN_REQUEST_BUF: usize = 4096;

/// An access token and how long it lives.
#[derive(Clone, Debug)]
pub struct Token {
    /// The bearer token.
    pub access_token: SecretString,
    /// How long it is valid from now, if known (`expires_in`).
    pub expires_in: Option<Duration>,
}

/// Why no token was obtained. `Debug` prints a refusal's body length, not the body.
#[non_exhaustive]
pub enum TokenFetchError {
    /// The token endpoint refused (`status` ≥ 400), with its `{"error","description"}` body.
    /// The session's diagnosis says what to fix (wrong secret, wrong region, revoked grant).
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The error body, for the core's diagnosis.
        body: Vec<u8>,
        /// `Retry-After`, if the refusal was a rate limit.
        retry_after: Option<Duration>,
    },
    /// The reply was a success status but not a token: something other than Genesys
    /// answered. Retried with backoff.
    Malformed(request::ResponseError),
    /// No answer: retried with backoff.
    Transport(TransportError),
    /// The credentials are too long for the request buffer (`needed` bytes): they are not
    /// Genesys credentials; check the environment variables.
    Encoding(genesys_notify_core::BufferTooSmall),
}

impl fmt::Debug for TokenFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenFetchError::Rejected {
                status,
                body,
                retry_after,
            } => f
                .debug_struct("Rejected")
                .field("status", status)
                .field("body_len", &body.len())
                .field("retry_after", retry_after)
                .finish(),
            TokenFetchError::Malformed(e) => f.debug_tuple("Malformed").field(e).finish(),
            TokenFetchError::Transport(e) => f.debug_tuple("Transport").field(e).finish(),
            TokenFetchError::Encoding(e) => f.debug_tuple("Encoding").field(e).finish(),
        }
    }
}

impl fmt::Display for TokenFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenFetchError::Rejected { status, .. } => {
                write!(f, "the token endpoint refused with HTTP {status}")
            }
            TokenFetchError::Malformed(e) => write!(f, "the token endpoint's reply: {e}"),
            TokenFetchError::Transport(e) => write!(f, "the token endpoint: {e}"),
            TokenFetchError::Encoding(e) => write!(f, "the credentials cannot be encoded: {e}"),
        }
    }
}

impl std::error::Error for TokenFetchError {}

/// A source of access tokens.
///
/// `fetch` is called by the runner whenever the session asks for a token, never concurrently
/// with itself. Implementations for other grants (a token cache, a secrets manager) only
/// need to return a [`Token`].
pub trait TokenProvider: Send + Sync + 'static {
    /// What kind of token this provider hands out.
    fn kind(&self) -> TokenKind;

    /// Gets a token, using `http` for the token endpoint of the client's environment.
    fn fetch<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Token, TokenFetchError>>;
}

impl<P: TokenProvider + ?Sized> TokenProvider for Box<P> {
    fn kind(&self) -> TokenKind {
        (**self).kind()
    }

    fn fetch<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Token, TokenFetchError>> {
        (**self).fetch(http)
    }
}

/// One provider shared by every session of a client: a token fetched for one is handed to the
/// others, so a gateway of several channels asks the token endpoint once, not once per channel.
///
/// A session that asks for a token is given the cached one only if it is *newer* than the one
/// it holds (fetched since, for another session) and not about to expire; otherwise the
/// provider is asked. Fetches are serialised, so the provider is never called concurrently
/// with itself, as [`TokenProvider`] promises.
pub(crate) struct TokenCache {
    provider: Box<dyn TokenProvider>,
    state: tokio::sync::Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// How many tokens the provider has handed out; a session remembers the one it holds.
    generation: u64,
    token: Option<(Token, tokio::time::Instant)>,
}

/// A cached token this close to its expiry is not handed to another session.
const CACHE_MARGIN: Duration = Duration::from_secs(60);

impl TokenCache {
    pub(crate) fn new(provider: Box<dyn TokenProvider>) -> Self {
        Self {
            provider,
            state: tokio::sync::Mutex::new(Cached::default()),
        }
    }

    /// A token newer than generation `held`, and its generation.
    pub(crate) async fn fetch(
        &self,
        http: &HttpClient,
        held: u64,
    ) -> (Result<Token, TokenFetchError>, u64) {
        let mut state = self.state.lock().await;
        if state.generation > held
            && let Some((token, fetched_at)) = &state.token
        {
            let age = fetched_at.elapsed();
            match token.expires_in {
                None => return (Ok(token.clone()), state.generation),
                Some(life) if age + CACHE_MARGIN < life => {
                    let token = Token {
                        access_token: token.access_token.clone(),
                        expires_in: Some(life - age),
                    };
                    return (Ok(token), state.generation);
                }
                Some(_) => {}
            }
        }
        let result = self.provider.fetch(http).await;
        if let Ok(token) = &result {
            state.generation += 1;
            state.token = Some((token.clone(), tokio::time::Instant::now()));
        }
        (result, state.generation)
    }
}

/// The OAuth client-credentials grant.
#[derive(Debug)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: SecretString,
}

impl ClientCredentials {
    /// A provider for the OAuth client `client_id` with its secret.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
        }
    }
}

impl TokenProvider for ClientCredentials {
    fn kind(&self) -> TokenKind {
        TokenKind::ClientCredentials
    }

    fn fetch<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Token, TokenFetchError>> {
        Box::pin(async move {
            let mut buf = [0u8; TOKEN_REQUEST_BUF];
            let request =
                request::token_client_credentials(&mut buf).map_err(TokenFetchError::Encoding)?;
            let response = post(http, &request, &self.client_id, &self.client_secret).await?;
            parse(&response).map(|(token, _)| token)
        })
    }
}

/// Exchanges a refresh token for user tokens, keeping the rotated refresh token.
pub struct RefreshToken {
    client_id: String,
    client_secret: SecretString,
    refresh_token: Mutex<SecretString>,
}

impl RefreshToken {
    /// A provider for the OAuth client `client_id`, starting from `refresh_token`.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token: Mutex::new(refresh_token),
        }
    }

    fn current(&self) -> SecretString {
        // A poisoned lock still holds a valid token: a panic elsewhere cannot corrupt a String swap.
        self.refresh_token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &Secret::new(""))
            .finish()
    }
}

impl TokenProvider for RefreshToken {
    fn kind(&self) -> TokenKind {
        TokenKind::User
    }

    fn fetch<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Token, TokenFetchError>> {
        Box::pin(async move {
            let refresh = self.current();
            let mut buf = vec![0u8; TOKEN_REQUEST_BUF.max(3 * refresh.expose_secret().len())];
            let request =
                request::token_refresh(&mut buf, &refresh).map_err(TokenFetchError::Encoding)?;
            let response = post(http, &request, &self.client_id, &self.client_secret).await?;
            let (token, rotated) = parse(&response)?;
            if let Some(rotated) = rotated {
                *self
                    .refresh_token
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = rotated;
            }
            Ok(token)
        })
    }
}

/// A token obtained elsewhere, handed out as is.
///
/// When Genesys refuses or revokes it, the session stops at once, saying the token is expired
/// or from another region: the core never asks a [`TokenKind::Static`] provider twice.
#[derive(Debug)]
pub struct StaticToken {
    token: SecretString,
}

impl StaticToken {
    /// A provider of exactly this token.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

impl TokenProvider for StaticToken {
    fn kind(&self) -> TokenKind {
        TokenKind::Static
    }

    fn fetch<'a>(&'a self, _: &'a HttpClient) -> BoxFuture<'a, Result<Token, TokenFetchError>> {
        Box::pin(async move {
            Ok(Token {
                access_token: self.token.clone(),
                expires_in: None,
            })
        })
    }
}

/// Why [`from_env`] found no usable credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// Nothing is set: set `GENESYS_TOKEN`, or `GENESYS_CLIENT_ID` and `GENESYS_CLIENT_SECRET`.
    Missing,
    /// Only one of the client id and secret is set: set both.
    Incomplete {
        /// The variable that is missing.
        missing: &'static str,
    },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Missing => write!(
                f,
                "no credentials: set {ENV_TOKEN}, or {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} \
                 (an OAuth client with the client-credentials grant)"
            ),
            CredentialsError::Incomplete { missing } => {
                write!(
                    f,
                    "{missing} is not set; the OAuth client needs both its id and secret"
                )
            }
        }
    }
}

impl std::error::Error for CredentialsError {}

/// A provider from the environment variables: [`ENV_REFRESH_TOKEN`] (with the client id and
/// secret) first, then [`ENV_TOKEN`], then [`ENV_CLIENT_ID`] + [`ENV_CLIENT_SECRET`].
pub fn from_env() -> Result<Box<dyn TokenProvider>, CredentialsError> {
    from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

fn from_lookup(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Box<dyn TokenProvider>, CredentialsError> {
    let client = match (var(ENV_CLIENT_ID), var(ENV_CLIENT_SECRET)) {
        (Some(id), Some(secret)) => Some((id, Secret::new(secret))),
        (None, None) => None,
        (Some(_), None) => {
            return Err(CredentialsError::Incomplete {
                missing: ENV_CLIENT_SECRET,
            });
        }
        (None, Some(_)) => {
            return Err(CredentialsError::Incomplete {
                missing: ENV_CLIENT_ID,
            });
        }
    };
    if let Some(refresh) = var(ENV_REFRESH_TOKEN) {
        let (id, secret) = client.ok_or(CredentialsError::Incomplete {
            missing: ENV_CLIENT_ID,
        })?;
        return Ok(Box::new(RefreshToken::new(
            id,
            secret,
            Secret::new(refresh),
        )));
    }
    if let Some(token) = var(ENV_TOKEN) {
        return Ok(Box::new(StaticToken::new(Secret::new(token))));
    }
    match client {
        Some((id, secret)) => Ok(Box::new(ClientCredentials::new(id, secret))),
        None => Err(CredentialsError::Missing),
    }
}

async fn post(
    http: &HttpClient,
    request: &Request<'_>,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<HttpResponse, TokenFetchError> {
    let mut header = vec![0u8; 16 + 2 * (client_id.len() + client_secret.expose_secret().len())];
    let basic = request::basic_authorization(client_id, client_secret, &mut header)
        .map_err(TokenFetchError::Encoding)?;
    let basic: SecretString = Secret::new(basic.expose_secret().to_owned());
    let prepared = http.prepare(request);
    http.send(&prepared, Some(&basic))
        .await
        .map_err(TokenFetchError::Transport)
}

/// The token in a reply of the token endpoint, and the rotated refresh token if any. What
/// counts as a token is the core's rule ([`read_token_reply`]), the same as on a device.
fn parse(response: &HttpResponse) -> Result<(Token, Option<SecretString>), TokenFetchError> {
    let retry_after = response.retry_after.map(Into::into);
    let reply = match read_token_reply(response.status, retry_after, &response.body) {
        Ok(reply) => reply,
        Err(TokenFailure::Status { status, .. }) => {
            return Err(TokenFetchError::Rejected {
                status,
                body: response.body.clone(),
                retry_after: response.retry_after,
            });
        }
        Err(TokenFailure::Unreadable(error)) => return Err(TokenFetchError::Malformed(error)),
        // `read_token_reply` answers only the two above; anything else is not a token either.
        Err(_) => {
            return Err(TokenFetchError::Malformed(ResponseError::Field {
                name: "access_token",
            }));
        }
    };
    let token = Token {
        access_token: Secret::new(reply.access_token.expose_secret().to_owned()),
        expires_in: reply.expires_in.map(Duration::from),
    };
    let rotated = reply
        .refresh_token
        .map(|r| Secret::new(r.expose_secret().to_owned()));
    Ok((token, rotated))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn client_credentials_come_from_the_id_and_secret() {
        let provider = from_lookup(env(&[(ENV_CLIENT_ID, "id"), (ENV_CLIENT_SECRET, "secret")]))
            .expect("complete credentials");
        assert_eq!(provider.kind(), TokenKind::ClientCredentials);
    }

    #[test]
    fn a_token_wins_over_client_credentials_and_a_refresh_token_over_both() {
        let token = from_lookup(env(&[
            (ENV_TOKEN, "t"),
            (ENV_CLIENT_ID, "id"),
            (ENV_CLIENT_SECRET, "secret"),
        ]))
        .expect("a token");
        assert_eq!(token.kind(), TokenKind::Static);
        let refresh = from_lookup(env(&[
            (ENV_TOKEN, "t"),
            (ENV_REFRESH_TOKEN, "r"),
            (ENV_CLIENT_ID, "id"),
            (ENV_CLIENT_SECRET, "secret"),
        ]))
        .expect("a refresh token");
        assert_eq!(refresh.kind(), TokenKind::User);
    }

    #[test]
    fn half_a_client_names_the_missing_variable() {
        let error = from_lookup(env(&[(ENV_CLIENT_ID, "id")])).err();
        assert_eq!(
            error,
            Some(CredentialsError::Incomplete {
                missing: ENV_CLIENT_SECRET
            })
        );
        assert_eq!(from_lookup(env(&[])).err(), Some(CredentialsError::Missing));
    }

    #[test]
    fn no_provider_prints_its_secrets() {
        let secret = "do-not-print-me";
        let printed = format!(
            "{:?} {:?} {:?}",
            ClientCredentials::new("id", Secret::new(secret.to_owned())),
            RefreshToken::new(
                "id",
                Secret::new(secret.to_owned()),
                Secret::new(secret.to_owned())
            ),
            StaticToken::new(Secret::new(secret.to_owned())),
        );
        assert!(!printed.contains(secret), "{printed}");
    }

    #[tokio::test]
    async fn a_static_token_is_handed_out_unchanged_every_time() {
        let http = HttpClient::new(
            genesys_notify_core::region::Environment::parse("http://127.0.0.1:9")
                .expect("loopback"),
        )
        .expect("client");
        let provider = StaticToken::new(Secret::new("t".to_owned()));
        for _ in 0..2 {
            let token = provider.fetch(&http).await.expect("a static token");
            assert_eq!(token.access_token.expose_secret(), "t");
            assert_eq!(token.expires_in, None);
        }
    }
}
