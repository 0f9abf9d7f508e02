//! The REST operations the project performs, as data.
//!
//! The core has no HTTP client. It describes each request — method, service, path and query,
//! body, and which credential the `Authorization` header carries — and the driver turns that
//! description into a real request with whatever HTTP stack it has (`reqwest`, an embedded
//! HTTP/1.1 layer, a test double). The description is built by one encoder function per
//! operation ([`create_channel`], [`put_subscriptions`], …) that writes the path and the body
//! into a buffer the caller owns and returns a [`Request`] borrowing it, or [`BufferTooSmall`]
//! with the exact size it needed.
//!
//! ```
//! use genesys_notify_core::region::Environment;
//! use genesys_notify_core::request::{self, Auth, Method};
//!
//! let env = Environment::parse("eu-west-1").unwrap();
//! let mut buf = [0u8; 256];
//! let req = request::put_subscriptions(&mut buf, "streaming-2-abc", ["v2.users.u1.presence"]).unwrap();
//! assert_eq!(req.method, Method::Put);
//! assert_eq!(
//!     env.endpoint(req.service, req.path_and_query).to_string(),
//!     "https://api.mypurecloud.ie/api/v2/notifications/channels/streaming-2-abc/subscriptions?ignoreErrors=true"
//! );
//! assert_eq!(req.auth, Auth::Bearer); // the driver adds `Authorization: Bearer …` itself
//! assert_eq!(req.body.unwrap().bytes, br#"[{"id":"v2.users.u1.presence"}]"#);
//! ```
//!
//! # Where credentials go
//!
//! The access token never passes through these encoders. A request only says
//! [`Auth::Bearer`]; the driver adds `Authorization: Bearer <token>` from its own store
//! ([`bearer_authorization`] writes that value for drivers that want it). The client secret
//! goes only into HTTP Basic on the token endpoint ([`Auth::Basic`], see
//! [`basic_authorization`]), and the refresh token only into that endpoint's form body. None of
//! them is ever part of a path or a query: URLs end up in logs, proxies and error messages.
//! Widespread advice to put `?access_token=` on the notification socket's URL is wrong; the
//! socket needs no token at all (the channel id in `connectUri` is the capability).
//!
//! # Responses
//!
//! The bodies of the replies parse into borrowed, typed values: [`Channel`],
//! [`TokenResponse`], [`SubscriptionResults`], [`TokenInfo`], [`ChannelList`],
//! [`AvailableTopics`], and the two error shapes [`ApiError`] (every REST endpoint) and
//! [`TokenError`] (the token endpoint). Unknown fields are ignored, unknown enum values
//! become `Unknown`, and nothing is copied.

use core::fmt;

use crate::json::{self};
use crate::region::Service;
use crate::secret::Secret;

mod reply;

pub use crate::json::BufferTooSmall;

/// A REST operation the project performs; the key of the scope table and of diagnoses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Operation {
    /// `POST /oauth/token` on the login service (client credentials or refresh token).
    Token,
    /// `POST /api/v2/notifications/channels`.
    CreateChannel,
    /// `HEAD /api/v2/notifications/channels/{id}`: 200 the channel exists, 404 it is gone.
    ChannelExists,
    /// `GET /api/v2/notifications/channels?includechannels=…`.
    ListChannels,
    /// `GET /api/v2/notifications/channels/{id}/subscriptions`.
    GetSubscriptions,
    /// `PUT /api/v2/notifications/channels/{id}/subscriptions`: replaces the topic list.
    PutSubscriptions,
    /// `POST /api/v2/notifications/channels/{id}/subscriptions`: adds topics.
    PostSubscriptions,
    /// `DELETE /api/v2/notifications/channels/{id}/subscriptions`: removes every topic.
    DeleteSubscriptions,
    /// `GET /api/v2/notifications/availabletopics`: topic templates and their permissions.
    AvailableTopics,
    /// `GET /api/v2/tokens/me`: the organisation, OAuth client and granted scopes of the token.
    TokensMe,
    /// `GET /api/v2/users/{id}?expand=presence,routingStatus,conversationSummary` (resync).
    GetUser,
    /// `GET /api/v2/users/{id}/routingstatus` (resync).
    GetRoutingStatus,
    /// `GET /api/v2/users/{id}/presences/purecloud` (resync).
    GetPresence,
    /// `GET /api/v2/conversations`: the token user's active conversations (resync; user tokens only).
    GetConversations,
}

impl Operation {
    /// Every operation, in the order listed above.
    pub const ALL: [Operation; 14] = [
        Operation::Token,
        Operation::CreateChannel,
        Operation::ChannelExists,
        Operation::ListChannels,
        Operation::GetSubscriptions,
        Operation::PutSubscriptions,
        Operation::PostSubscriptions,
        Operation::DeleteSubscriptions,
        Operation::AvailableTopics,
        Operation::TokensMe,
        Operation::GetUser,
        Operation::GetRoutingStatus,
        Operation::GetPresence,
        Operation::GetConversations,
    ];

    /// Whether the operation addresses one notification channel, so that a 404 means the
    /// channel is gone (expired or evicted) and a new one must be created.
    pub const fn targets_channel(self) -> bool {
        matches!(
            self,
            Operation::ChannelExists
                | Operation::GetSubscriptions
                | Operation::PutSubscriptions
                | Operation::PostSubscriptions
                | Operation::DeleteSubscriptions
        )
    }

    /// What the operation does, as a phrase for messages ("creating a notification channel").
    pub const fn describe(self) -> &'static str {
        match self {
            Operation::Token => "requesting an access token",
            Operation::CreateChannel => "creating a notification channel",
            Operation::ChannelExists => "checking that the notification channel still exists",
            Operation::ListChannels => "listing notification channels",
            Operation::GetSubscriptions => "reading the channel's subscriptions",
            Operation::PutSubscriptions => "subscribing the channel to its topics",
            Operation::PostSubscriptions => "adding topics to the channel",
            Operation::DeleteSubscriptions => "removing the channel's subscriptions",
            Operation::AvailableTopics => "listing the available notification topics",
            Operation::TokensMe => "reading the token's details (tokens/me)",
            Operation::GetUser => "reading the agent's user record",
            Operation::GetRoutingStatus => "reading the agent's routing status",
            Operation::GetPresence => "reading the agent's presence",
            Operation::GetConversations => "reading the agent's active conversations",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The HTTP method of a [`Request`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`: the reply has no body.
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as it goes on the request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media type of a request body; the driver sends it as `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ContentType {
    /// `application/json`
    Json,
    /// `application/x-www-form-urlencoded` (the token endpoint).
    Form,
}

impl ContentType {
    /// The `Content-Type` header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// Which credential the driver puts in the `Authorization` header.
///
/// The core never holds the credential in a request: the driver adds it from its own secret
/// store. Nothing else in the request (path, query) ever carries a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Basic base64(client_id:client_secret)`; see [`basic_authorization`].
    Basic,
    /// `Authorization: Bearer <access token>`; see [`bearer_authorization`].
    Bearer,
}

/// A request body: bytes in the caller's buffer and their media type.
///
/// `Debug` prints the media type and length only: a token-endpoint body carries the refresh
/// token, and a `{:?}` of a request must never print it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Body<'b> {
    /// The bytes to send, exactly.
    pub bytes: &'b [u8],
    /// What they are.
    pub content_type: ContentType,
}

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One REST request, described for a driver to perform.
///
/// The URL is `environment.endpoint(request.service, request.path_and_query)`
/// ([`Environment::endpoint`](crate::region::Environment::endpoint)): the origin of `service`
/// followed by the path and query. The driver adds `Accept: application/json`, the
/// `Content-Type` of the body, and the `Authorization` header that `auth` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'b> {
    /// Which operation this is (for the scope table and for diagnoses).
    pub operation: Operation,
    /// The HTTP method.
    pub method: Method,
    /// Which origin the request goes to: [`Service::Api`] or [`Service::Login`].
    pub service: Service,
    /// The path and query, percent-encoded, starting with `/`. Never contains a credential.
    pub path_and_query: &'b str,
    /// The body, if the request has one.
    pub body: Option<Body<'b>>,
    /// Which credential goes into the `Authorization` header.
    pub auth: Auth,
}

/// Which channels [`list_channels`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChannelsOf {
    /// The channels created with this token (`includechannels=token`).
    Token,
    /// The channels of this user and OAuth client (`includechannels=oauthclient`): the set the
    /// 20-channel limit counts.
    OauthClient,
}

const CHANNELS_PATH: &str = "/api/v2/notifications/channels";

/// The topic-template details [`available_topics`] asks for: what each topic needs to be
/// permitted, and whether it is public or a preview (`visibility` is only sent when asked for).
const AVAILABLE_TOPICS_EXPAND: &str = "requiresPermissions,permissionDetails,enforced,visibility";

/// The expansions [`get_user`] asks for: everything the agent reducer reads from a user snapshot.
const USER_EXPAND: &str = "presence,routingStatus,conversationSummary";

/// Counts and writes ASCII into a caller buffer; past its end it only counts, so the caller
/// learns the size it needed.
struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Out<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        Out { buf, len: 0 }
    }

    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
        }
        self.len = self.len.saturating_add(1);
    }

    /// Appends `text` as it is (literals, and a header's token).
    fn text(&mut self, text: &str) {
        text.bytes().for_each(|b| self.byte(b));
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, so the result is a valid
    /// path segment, query value or form value whatever `text` holds.
    fn percent_encoded(&mut self, text: &str) {
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                self.byte(b);
            } else {
                self.byte(b'%');
                self.byte(HEX_UPPER[usize::from(b >> 4)]);
                self.byte(HEX_UPPER[usize::from(b & 0x0f)]);
            }
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Writes an id as one path segment.
///
/// Percent-encoding alone is not enough: an empty id would drop a level (`/users/` lists every
/// user) and HTTP clients resolve `.` and `..` — even as `%2E` — to another resource. Such an id
/// names nothing, so it is written behind an escaped `%` (`%25`): the request then reaches no
/// resource and fails with 404 instead of reading the wrong one. Ids that reach the encoders are
/// normally validated already (the `topic` and `region` modules check them).
fn segment(out: &mut Out<'_>, id: &str) {
    if matches!(id, "" | "." | "..") {
        out.text("%25");
    }
    out.percent_encoded(id);
}

/// Where a body is written after the path.
enum BodyKind<'t, F> {
    None,
    Json(F),
    Form(&'t dyn Fn(&mut Out<'_>)),
}

/// Writes `path` then the body into `buf`, and splits the buffer into the two borrowed parts.
fn encode<'b, F>(
    buf: &'b mut [u8],
    operation: Operation,
    method: Method,
    service: Service,
    auth: Auth,
    path: impl FnOnce(&mut Out<'_>),
    body: BodyKind<'_, F>,
) -> Result<Request<'b>, BufferTooSmall>
where
    F: FnOnce(&mut json::Writer<'_>),
{
    let available = buf.len();
    let mut out = Out::new(buf);
    path(&mut out);
    let path_len = out.len;
    let (head, tail) = buf.split_at_mut(path_len.min(available));
    let (body_len, content_type) = match body {
        BodyKind::None => (0, None),
        BodyKind::Json(write) => {
            let mut w = json::Writer::new(tail);
            write(&mut w);
            (w.len(), Some(ContentType::Json))
        }
        BodyKind::Form(write) => {
            let mut form = Out::new(tail);
            write(&mut form);
            (form.len, Some(ContentType::Form))
        }
    };
    let needed = path_len.saturating_add(body_len);
    if needed > available {
        return Err(BufferTooSmall { needed, available });
    }
    // Only ASCII was written (literals and percent-encoded text), so this cannot fail; an
    // error would still be reported rather than panic.
    let path_and_query =
        core::str::from_utf8(head).map_err(|_| BufferTooSmall { needed, available })?;
    let body = match (content_type, tail.get(..body_len)) {
        (Some(content_type), Some(bytes)) => Some(Body {
            bytes,
            content_type,
        }),
        _ => None,
    };
    Ok(Request {
        operation,
        method,
        service,
        path_and_query,
        body,
        auth,
    })
}

type NoJson = fn(&mut json::Writer<'_>);

fn api<'b>(
    buf: &'b mut [u8],
    operation: Operation,
    method: Method,
    path: impl FnOnce(&mut Out<'_>),
) -> Result<Request<'b>, BufferTooSmall> {
    encode::<NoJson>(
        buf,
        operation,
        method,
        Service::Api,
        Auth::Bearer,
        path,
        BodyKind::None,
    )
}

fn channel_path(out: &mut Out<'_>, channel_id: &str, rest: &str) {
    out.text(CHANNELS_PATH);
    out.byte(b'/');
    segment(out, channel_id);
    out.text(rest);
}

fn user_path(out: &mut Out<'_>, user_id: &str, rest: &str) {
    out.text("/api/v2/users/");
    segment(out, user_id);
    out.text(rest);
}

/// `POST /oauth/token` with `grant_type=client_credentials`, authenticated by HTTP Basic.
///
/// The driver sends the OAuth client's id and secret as `Authorization: Basic …`
/// ([`basic_authorization`]); the body carries only the grant type.
pub fn token_client_credentials(buf: &mut [u8]) -> Result<Request<'_>, BufferTooSmall> {
    encode::<NoJson>(
        buf,
        Operation::Token,
        Method::Post,
        Service::Login,
        Auth::Basic,
        |out| out.text(crate::region::TOKEN_PATH),
        BodyKind::Form(&|form: &mut Out<'_>| form.text("grant_type=client_credentials")),
    )
}

/// `POST /oauth/token` with `grant_type=refresh_token`, authenticated by HTTP Basic.
///
/// The refresh token goes into the form body (percent-encoded), never into the URL. The
/// returned request's `Debug` does not print the body.
pub fn token_refresh<'b, T: AsRef<str>>(
    buf: &'b mut [u8],
    refresh_token: &Secret<T>,
) -> Result<Request<'b>, BufferTooSmall> {
    let write = |form: &mut Out<'_>| {
        form.text("grant_type=refresh_token&refresh_token=");
        form.percent_encoded(refresh_token.expose_secret());
    };
    encode::<NoJson>(
        buf,
        Operation::Token,
        Method::Post,
        Service::Login,
        Auth::Basic,
        |out| out.text(crate::region::TOKEN_PATH),
        BodyKind::Form(&write),
    )
}

/// `POST /api/v2/notifications/channels` (no body). The reply is a [`Channel`].
pub fn create_channel(buf: &mut [u8]) -> Result<Request<'_>, BufferTooSmall> {
    api(buf, Operation::CreateChannel, Method::Post, |out| {
        out.text(CHANNELS_PATH)
    })
}

/// `HEAD /api/v2/notifications/channels/{id}`: 200 the channel exists, 404 it is gone.
pub fn channel_exists<'b>(
    buf: &'b mut [u8],
    channel_id: &str,
) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::ChannelExists, Method::Head, |out| {
        channel_path(out, channel_id, "")
    })
}

/// `GET /api/v2/notifications/channels?includechannels=…`. The reply is a [`ChannelList`].
pub fn list_channels(buf: &mut [u8], of: ChannelsOf) -> Result<Request<'_>, BufferTooSmall> {
    api(buf, Operation::ListChannels, Method::Get, |out| {
        out.text(CHANNELS_PATH);
        out.text(match of {
            ChannelsOf::Token => "?includechannels=token",
            ChannelsOf::OauthClient => "?includechannels=oauthclient",
        });
    })
}

/// `GET /api/v2/notifications/channels/{id}/subscriptions`. The reply is a [`SubscriptionResults`].
pub fn get_subscriptions<'b>(
    buf: &'b mut [u8],
    channel_id: &str,
) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::GetSubscriptions, Method::Get, |out| {
        channel_path(out, channel_id, "/subscriptions")
    })
}

fn subscriptions<'b, I>(
    buf: &'b mut [u8],
    operation: Operation,
    method: Method,
    channel_id: &str,
    topics: I,
) -> Result<Request<'b>, BufferTooSmall>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let write = |w: &mut json::Writer<'_>| {
        w.raw("[");
        for (i, topic) in topics.into_iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.raw("{\"id\":").string(topic.as_ref()).raw("}");
        }
        w.raw("]");
    };
    encode(
        buf,
        operation,
        method,
        Service::Api,
        Auth::Bearer,
        |out| channel_path(out, channel_id, "/subscriptions?ignoreErrors=true"),
        BodyKind::Json(write),
    )
}

/// `PUT /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true`: the channel's
/// topics become exactly `topics`.
///
/// `ignoreErrors=true` is always sent: without it one forbidden topic fails the whole request
/// with 403, and nothing says which; with it the reply ([`SubscriptionResults`]) says, per
/// topic, whether it was permitted and which permissions are missing.
///
/// The topics are written as given (JSON-escaped); validate them with the `topic` module first.
pub fn put_subscriptions<'b, I>(
    buf: &'b mut [u8],
    channel_id: &str,
    topics: I,
) -> Result<Request<'b>, BufferTooSmall>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    subscriptions(
        buf,
        Operation::PutSubscriptions,
        Method::Put,
        channel_id,
        topics,
    )
}

/// `POST /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true`: adds `topics`
/// to the channel's list. See [`put_subscriptions`] for why `ignoreErrors` is set.
pub fn post_subscriptions<'b, I>(
    buf: &'b mut [u8],
    channel_id: &str,
    topics: I,
) -> Result<Request<'b>, BufferTooSmall>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    subscriptions(
        buf,
        Operation::PostSubscriptions,
        Method::Post,
        channel_id,
        topics,
    )
}

/// `DELETE /api/v2/notifications/channels/{id}/subscriptions`: removes every topic.
///
/// There is no way to delete a channel itself; an unused channel expires after 24 hours.
pub fn delete_subscriptions<'b>(
    buf: &'b mut [u8],
    channel_id: &str,
) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::DeleteSubscriptions, Method::Delete, |out| {
        channel_path(out, channel_id, "/subscriptions")
    })
}

/// `GET /api/v2/notifications/availabletopics?expand=requiresPermissions,permissionDetails,enforced,visibility`.
/// The reply is an [`AvailableTopics`].
pub fn available_topics(buf: &mut [u8]) -> Result<Request<'_>, BufferTooSmall> {
    api(buf, Operation::AvailableTopics, Method::Get, |out| {
        out.text("/api/v2/notifications/availabletopics?expand=");
        out.text(AVAILABLE_TOPICS_EXPAND);
    })
}

/// `GET /api/v2/tokens/me?preserveIdleTTL=true`. The reply is a [`TokenInfo`].
///
/// Without `preserveIdleTTL=true` the read itself would reset the token's idle timer \[doc: SDK
/// `TokensApi`\], so checking a token would keep it alive: asking about a token must not change it.
pub fn tokens_me(buf: &mut [u8]) -> Result<Request<'_>, BufferTooSmall> {
    api(buf, Operation::TokensMe, Method::Get, |out| {
        out.text("/api/v2/tokens/me?preserveIdleTTL=true")
    })
}

/// `GET /api/v2/users/{id}?expand=presence,routingStatus,conversationSummary`: the agent's
/// presence, routing status and conversation counts in one read (resync).
pub fn get_user<'b>(buf: &'b mut [u8], user_id: &str) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::GetUser, Method::Get, |out| {
        user_path(out, user_id, "?expand=");
        out.text(USER_EXPAND);
    })
}

/// `GET /api/v2/users/{id}/routingstatus` (resync).
pub fn get_routing_status<'b>(
    buf: &'b mut [u8],
    user_id: &str,
) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::GetRoutingStatus, Method::Get, |out| {
        user_path(out, user_id, "/routingstatus")
    })
}

/// `GET /api/v2/users/{id}/presences/purecloud` (resync).
pub fn get_presence<'b>(buf: &'b mut [u8], user_id: &str) -> Result<Request<'b>, BufferTooSmall> {
    api(buf, Operation::GetPresence, Method::Get, |out| {
        user_path(out, user_id, "/presences/purecloud")
    })
}

/// `GET /api/v2/conversations`: the active conversations of the token's user (resync).
///
/// Only meaningful with a user token; a client-credentials token has no user.
pub fn get_conversations(buf: &mut [u8]) -> Result<Request<'_>, BufferTooSmall> {
    api(buf, Operation::GetConversations, Method::Get, |out| {
        out.text("/api/v2/conversations")
    })
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(out: &mut Out<'_>, input: impl Iterator<Item = u8>) {
    let mut group = [0u8; 3];
    let mut n = 0;
    let flush = |out: &mut Out<'_>, group: &[u8; 3], n: usize| {
        let [a, b, c] = *group;
        let sextets = [
            a >> 2,
            ((a & 0x03) << 4) | (b >> 4),
            ((b & 0x0f) << 2) | (c >> 6),
            c & 0x3f,
        ];
        for (i, s) in sextets.iter().enumerate() {
            out.byte(if i <= n {
                BASE64[usize::from(*s)]
            } else {
                b'='
            });
        }
    };
    for b in input {
        if let Some(slot) = group.get_mut(n) {
            *slot = b;
        }
        n += 1;
        if n == 3 {
            flush(out, &group, 3);
            group = [0; 3];
            n = 0;
        }
    }
    if n > 0 {
        flush(out, &group, n);
    }
}

/// Writes the `Authorization` header value for the token endpoint into `buf`:
/// `Basic base64(client_id:client_secret)`.
///
/// The result is wrapped in [`Secret`] because it *is* the client secret, merely encoded.
/// Genesys takes the id and secret as they are (both are URL-safe), so they are not
/// form-encoded before base64.
///
/// ```
/// use genesys_notify_core::request::basic_authorization;
/// use genesys_notify_core::secret::Secret;
///
/// let mut buf = [0u8; 64];
/// let value = basic_authorization("client", &Secret::new("s3cret"), &mut buf).unwrap();
/// assert_eq!(value.expose_secret(), "Basic Y2xpZW50OnMzY3JldA==");
/// ```
pub fn basic_authorization<'b, T: AsRef<str>>(
    client_id: &str,
    client_secret: &Secret<T>,
    buf: &'b mut [u8],
) -> Result<Secret<&'b str>, BufferTooSmall> {
    let available = buf.len();
    let mut out = Out::new(buf);
    out.text("Basic ");
    let credentials = client_id
        .bytes()
        .chain(core::iter::once(b':'))
        .chain(client_secret.expose_secret().bytes());
    base64(&mut out, credentials);
    finish_header(out.len, buf, available)
}

/// Writes the `Authorization` header value for REST requests into `buf`: `Bearer <token>`.
pub fn bearer_authorization<'b, T: AsRef<str>>(
    access_token: &Secret<T>,
    buf: &'b mut [u8],
) -> Result<Secret<&'b str>, BufferTooSmall> {
    let available = buf.len();
    let mut out = Out::new(buf);
    out.text("Bearer ");
    out.text(access_token.expose_secret());
    finish_header(out.len, buf, available)
}

fn finish_header(
    needed: usize,
    buf: &[u8],
    available: usize,
) -> Result<Secret<&str>, BufferTooSmall> {
    let written = buf
        .get(..needed)
        .ok_or(BufferTooSmall { needed, available })?;
    core::str::from_utf8(written)
        .map(Secret::new)
        .map_err(|_| BufferTooSmall { needed, available })
}

pub use reply::*;

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::time::Duration;
    use std::format;
    use std::string::{String, ToString};
    use std::vec::Vec;

    const ACCESS_TOKEN: &str = "at-Zm9vYmFyLXRva2Vu";
    const REFRESH_TOKEN: &str = "rt-c2VjcmV0/+=&refresh";
    const CLIENT_SECRET: &str = "cs-dG9wLXNlY3JldA";
    const CHANNEL: &str = "streaming-2-aa5h48uk0srhpugh2994klj918";
    const USER: &str = "8f3b7f1e-2a3c-4d5e-9f60-1a2b3c4d5e6f";

    fn body_text<'b>(request: &Request<'b>) -> &'b str {
        let body = request.body.expect("request has a body");
        core::str::from_utf8(body.bytes).expect("body is UTF-8")
    }

    /// Every encoder, run into its own buffer; the closure sees each request.
    fn each_request(mut check: impl FnMut(Request<'_>)) {
        let refresh = Secret::new(REFRESH_TOKEN);
        let topics = ["v2.users.u.presence", "v2.users.u.conversations"];
        let mut buf = [0u8; 512];
        check(token_client_credentials(&mut buf).unwrap());
        check(token_refresh(&mut buf, &refresh).unwrap());
        check(create_channel(&mut buf).unwrap());
        check(channel_exists(&mut buf, CHANNEL).unwrap());
        check(list_channels(&mut buf, ChannelsOf::Token).unwrap());
        check(list_channels(&mut buf, ChannelsOf::OauthClient).unwrap());
        check(get_subscriptions(&mut buf, CHANNEL).unwrap());
        check(put_subscriptions(&mut buf, CHANNEL, topics).unwrap());
        check(post_subscriptions(&mut buf, CHANNEL, topics).unwrap());
        check(delete_subscriptions(&mut buf, CHANNEL).unwrap());
        check(available_topics(&mut buf).unwrap());
        check(tokens_me(&mut buf).unwrap());
        check(get_user(&mut buf, USER).unwrap());
        check(get_routing_status(&mut buf, USER).unwrap());
        check(get_presence(&mut buf, USER).unwrap());
        check(get_conversations(&mut buf).unwrap());
    }

    #[test]
    fn every_operation_has_an_encoder() {
        let mut seen = Vec::new();
        each_request(|r| seen.push(r.operation));
        for op in Operation::ALL {
            assert!(seen.contains(&op), "{op:?} has no encoder in the test list");
        }
    }

    #[test]
    fn no_credential_ever_appears_in_a_path_or_query() {
        each_request(|r| {
            for secret in [
                ACCESS_TOKEN,
                REFRESH_TOKEN,
                CLIENT_SECRET,
                "access_token",
                "refresh",
            ] {
                assert!(
                    !r.path_and_query.contains(secret),
                    "{} carries {secret}",
                    r.path_and_query
                );
            }
            assert!(r.path_and_query.starts_with('/'));
            assert!(r.path_and_query.is_ascii());
        });
    }

    #[test]
    fn only_the_token_endpoint_uses_basic_and_everything_else_bearer() {
        each_request(|r| match r.operation {
            Operation::Token => {
                assert_eq!((r.service, r.auth), (Service::Login, Auth::Basic));
                assert_eq!(r.path_and_query, "/oauth/token");
                assert_eq!(r.method, Method::Post);
            }
            _ => {
                assert_eq!((r.service, r.auth), (Service::Api, Auth::Bearer));
                assert!(
                    r.path_and_query
                        .starts_with(crate::region::REST_PATH_PREFIX)
                );
            }
        });
    }

    #[test]
    fn client_credentials_body_names_only_the_grant() {
        let mut buf = [0u8; 64];
        let r = token_client_credentials(&mut buf).unwrap();
        assert_eq!(body_text(&r), "grant_type=client_credentials");
        assert_eq!(r.body.unwrap().content_type, ContentType::Form);
    }

    #[test]
    fn refresh_token_is_form_encoded_into_the_body() {
        let mut buf = [0u8; 128];
        let r = token_refresh(&mut buf, &Secret::new(REFRESH_TOKEN)).unwrap();
        assert_eq!(
            body_text(&r),
            "grant_type=refresh_token&refresh_token=rt-c2VjcmV0%2F%2B%3D%26refresh"
        );
    }

    #[test]
    fn debug_of_a_refresh_request_does_not_print_the_token() {
        let mut buf = [0u8; 128];
        let r = token_refresh(&mut buf, &Secret::new(REFRESH_TOKEN)).unwrap();
        let printed = format!("{r:?} {r:#?}");
        assert!(!printed.contains("rt-c2VjcmV0"), "{printed}");
        assert!(printed.contains("Form"));
    }

    #[test]
    fn channel_requests_address_the_channel_by_its_id() {
        let mut buf = [0u8; 128];
        let r = channel_exists(&mut buf, CHANNEL).unwrap();
        assert_eq!(r.method, Method::Head);
        assert_eq!(
            r.path_and_query,
            "/api/v2/notifications/channels/streaming-2-aa5h48uk0srhpugh2994klj918"
        );
        assert!(r.body.is_none());
        let r = delete_subscriptions(&mut buf, CHANNEL).unwrap();
        assert_eq!(r.method, Method::Delete);
        assert!(r.path_and_query.ends_with("/subscriptions"));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        let mut buf = [0u8; 128];
        let r = get_presence(&mut buf, "a/b?c d#é").unwrap();
        assert_eq!(
            r.path_and_query,
            "/api/v2/users/a%2Fb%3Fc%20d%23%C3%A9/presences/purecloud"
        );
    }

    #[test]
    fn empty_and_dot_ids_cannot_reach_another_resource() {
        let mut buf = [0u8; 128];
        assert_eq!(
            get_routing_status(&mut buf, "..").unwrap().path_and_query,
            "/api/v2/users/%25../routingstatus"
        );
        assert_eq!(
            get_user(&mut buf, "").unwrap().path_and_query,
            "/api/v2/users/%25?expand=presence,routingStatus,conversationSummary"
        );
        assert_eq!(
            channel_exists(&mut buf, ".").unwrap().path_and_query,
            "/api/v2/notifications/channels/%25."
        );
    }

    #[test]
    fn subscriptions_are_sent_as_id_objects_with_ignore_errors() {
        let mut buf = [0u8; 256];
        let topics = ["v2.users.u.presence", "v2.users.u?presence&routingStatus"];
        let r = put_subscriptions(&mut buf, CHANNEL, topics).unwrap();
        assert_eq!(r.method, Method::Put);
        assert!(
            r.path_and_query
                .ends_with("/subscriptions?ignoreErrors=true")
        );
        let body = r.body.unwrap();
        assert_eq!(body.content_type, ContentType::Json);
        assert_eq!(
            body_text(&r),
            r#"[{"id":"v2.users.u.presence"},{"id":"v2.users.u?presence&routingStatus"}]"#
        );
        let parsed = json::parse(body.bytes).unwrap().as_array().unwrap();
        assert_eq!(parsed.iter().count(), 2);
    }

    #[test]
    fn post_subscriptions_adds_and_accepts_owned_topics() {
        let mut buf = [0u8; 256];
        let topics: Vec<String> = std::vec![String::from("v2.users.\"q\".activity")];
        let r = post_subscriptions(&mut buf, CHANNEL, &topics).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(body_text(&r), r#"[{"id":"v2.users.\"q\".activity"}]"#);
    }

    #[test]
    fn validated_topics_from_the_topic_module_are_accepted() {
        use crate::topic::{TopicBuf, UserTopicKind};
        let topics = [
            TopicBuf::user("u1", UserTopicKind::Presence).unwrap(),
            TopicBuf::user("u1", UserTopicKind::Conversations).unwrap(),
        ];
        let mut buf = [0u8; 256];
        let r = put_subscriptions(&mut buf, CHANNEL, &topics).unwrap();
        assert_eq!(
            body_text(&r),
            r#"[{"id":"v2.users.u1.presence"},{"id":"v2.users.u1.conversations"}]"#
        );
    }

    #[test]
    fn an_empty_topic_list_is_an_empty_array() {
        let mut buf = [0u8; 128];
        let r = put_subscriptions(&mut buf, CHANNEL, [""; 0]).unwrap();
        assert_eq!(body_text(&r), "[]");
    }

    #[test]
    fn resync_reads_ask_for_what_the_reducer_needs() {
        let mut buf = [0u8; 128];
        assert_eq!(
            get_user(&mut buf, USER).unwrap().path_and_query,
            "/api/v2/users/8f3b7f1e-2a3c-4d5e-9f60-1a2b3c4d5e6f?expand=presence,routingStatus,conversationSummary"
        );
        assert_eq!(
            get_routing_status(&mut buf, USER).unwrap().path_and_query,
            "/api/v2/users/8f3b7f1e-2a3c-4d5e-9f60-1a2b3c4d5e6f/routingstatus"
        );
        assert_eq!(
            get_conversations(&mut buf).unwrap().path_and_query,
            "/api/v2/conversations"
        );
        assert_eq!(
            list_channels(&mut buf, ChannelsOf::OauthClient)
                .unwrap()
                .path_and_query,
            "/api/v2/notifications/channels?includechannels=oauthclient"
        );
        assert_eq!(
            available_topics(&mut buf).unwrap().path_and_query,
            "/api/v2/notifications/availabletopics?expand=requiresPermissions,permissionDetails,enforced,visibility"
        );
        assert_eq!(
            tokens_me(&mut buf).unwrap().path_and_query,
            "/api/v2/tokens/me?preserveIdleTTL=true",
            "reading the token must not reset its idle timer"
        );
    }

    #[test]
    fn a_too_small_buffer_reports_the_exact_size_needed() {
        let topics = ["v2.users.u.presence"];
        let mut big = [0u8; 256];
        let fits = put_subscriptions(&mut big, CHANNEL, topics).unwrap();
        let needed = fits.path_and_query.len() + fits.body.unwrap().bytes.len();
        for size in [0, 10, needed - 1] {
            let mut small = std::vec![0u8; size];
            let err = put_subscriptions(&mut small, CHANNEL, topics).unwrap_err();
            assert_eq!(
                err,
                BufferTooSmall {
                    needed,
                    available: size
                }
            );
        }
        let mut exact = std::vec![0u8; needed];
        assert!(put_subscriptions(&mut exact, CHANNEL, topics).is_ok());
        let mut tiny = [0u8; 3];
        assert_eq!(
            tokens_me(&mut tiny).unwrap_err().needed,
            "/api/v2/tokens/me?preserveIdleTTL=true".len()
        );
    }

    #[test]
    fn basic_authorization_base64_encodes_id_colon_secret() {
        let mut buf = [0u8; 64];
        for (id, secret, want) in [
            ("a", "", "Basic YTo="),
            ("ab", "c", "Basic YWI6Yw=="),
            ("abc", "de", "Basic YWJjOmRl"),
            ("client", "s3cret", "Basic Y2xpZW50OnMzY3JldA=="),
        ] {
            let value = basic_authorization(id, &Secret::new(secret), &mut buf).unwrap();
            assert_eq!(value.expose_secret(), want);
            assert_eq!(format!("{value:?}"), "***");
        }
        let mut small = [0u8; 8];
        let err = basic_authorization("client", &Secret::new("s3cret"), &mut small).unwrap_err();
        assert_eq!(err.needed, "Basic Y2xpZW50OnMzY3JldA==".len());
    }

    #[test]
    fn bearer_authorization_is_the_header_value_and_stays_secret() {
        let mut buf = [0u8; 64];
        let value = bearer_authorization(&Secret::new(ACCESS_TOKEN), &mut buf).unwrap();
        assert_eq!(value.expose_secret(), "Bearer at-Zm9vYmFyLXRva2Vu");
        assert_eq!(format!("{value}"), "***");
    }

    #[test]
    fn only_channel_operations_mean_channel_gone_on_404() {
        let channel_ops: Vec<_> = Operation::ALL
            .into_iter()
            .filter(|op| op.targets_channel())
            .collect();
        assert_eq!(channel_ops.len(), 5);
        assert!(!Operation::CreateChannel.targets_channel());
        assert!(!Operation::GetUser.targets_channel());
    }

    fn vector(name: &str) -> &'static [u8] {
        crate::test_vectors::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bytes)| *bytes)
            .expect("vector exists")
    }

    #[test]
    fn real_channel_creation_replies_parse() {
        for name in [
            "channel_create_response__quick-hits-cli.json",
            "channel_create_response__python-sdk-notification-service-example.json",
        ] {
            let channel = Channel::parse(vector(name)).unwrap();
            let id: heapless::String<64> = channel.id.to_heapless().unwrap();
            assert!(id.starts_with("streaming-"), "{name}");
            let uri = std::string::ToString::to_string(&channel.connect_uri);
            assert_eq!(
                uri,
                format!("wss://streaming.mypurecloud.com/channels/{id}")
            );
            assert!(channel.expires.is_some());
        }
    }

    #[test]
    fn a_channel_reply_without_connect_uri_is_a_field_error() {
        let err = Channel::parse(br#"{"id":"streaming-1-x"}"#).unwrap_err();
        assert_eq!(err, ResponseError::Field { name: "connectUri" });
        assert!(matches!(
            Channel::parse(b"<html>"),
            Err(ResponseError::Json(_))
        ));
        assert_eq!(
            Channel::parse(b"[]").unwrap_err(),
            ResponseError::Shape {
                expected: "an object"
            }
        );
    }

    #[test]
    fn channel_listings_yield_each_channel() {
        let body = br#"{"entities":[{"connectUri":"wss://streaming.mypurecloud.ie/channels/streaming-1-a","id":"streaming-1-a","expires":"2026-11-30T09:00:00Z"},{"id":"broken"}],"pageSize":25}"#;
        let list = ChannelList::parse(body).unwrap();
        let ids: Vec<String> = list.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids, ["streaming-1-a"]);
    }

    #[test]
    fn token_replies_keep_tokens_secret_and_expiry_as_duration() {
        let body = br#"{"access_token":"at-123","token_type":"bearer","expires_in":86399,"refresh_token":"rt-456","extra":1}"#;
        let t = TokenResponse::parse(body).unwrap();
        assert_eq!(t.access_token.expose_secret(), "at-123");
        assert_eq!(t.refresh_token.unwrap().expose_secret(), "rt-456");
        assert_eq!(t.expires_in, Some(Duration::from_secs(86_399)));
        assert!(t.token_type.unwrap().eq_str("bearer"));
        let printed = format!("{t:?}");
        assert!(
            !printed.contains("at-123") && !printed.contains("rt-456"),
            "{printed}"
        );
    }

    #[test]
    fn a_client_credentials_token_reply_has_no_refresh_token() {
        let t = TokenResponse::parse(br#"{"access_token":"at","expires_in":"60"}"#).unwrap();
        assert!(t.refresh_token.is_none());
        assert_eq!(t.expires_in, Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_token_reply_without_a_usable_access_token_is_refused() {
        for body in [
            &br#"{"token_type":"bearer"}"#[..],
            br#"{"access_token":""}"#,
            br#"{"access_token":42}"#,
            br#"{"access_token":"a\/b"}"#,
        ] {
            assert_eq!(
                TokenResponse::parse(body).unwrap_err(),
                ResponseError::Field {
                    name: "access_token"
                }
            );
        }
    }

    #[test]
    fn subscription_results_report_rejected_topics_and_missing_permissions() {
        let body = br#"{"entities":[
            {"id":"v2.users.u.presence","state":"Permitted","selfUri":"/x"},
            {"id":"v2.routing.queues.q.users","state":"Rejected","rejectionReason":"Missing permissions","missingPermissions":["routing:queue:view","analytics:queueObservation:view"]},
            {"id":"v2.users.u.future","state":"Deferred"}]}"#;
        let results = SubscriptionResults::parse(body).unwrap();
        let states: Vec<_> = results.iter().map(|t| t.state).collect();
        assert_eq!(
            states,
            [
                Some(TopicState::Permitted),
                Some(TopicState::Rejected),
                Some(TopicState::Unknown)
            ]
        );
        let rejected: Vec<_> = results.rejected().collect();
        assert_eq!(rejected.len(), 1);
        let missing: Vec<String> = rejected[0]
            .missing_permissions()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            missing,
            ["routing:queue:view", "analytics:queueObservation:view"]
        );
        assert!(rejected[0].rejection_reason.is_some());
    }

    #[test]
    fn a_listing_without_states_is_all_subscribed_and_a_bare_array_is_accepted() {
        let results = SubscriptionResults::parse(br#"[{"id":"v2.users.u.presence"}]"#).unwrap();
        let topic = results.iter().next().unwrap();
        assert_eq!(topic.state, None);
        assert!(!topic.is_rejected());
        assert_eq!(
            SubscriptionResults::parse(br#"{"pageSize":1}"#).unwrap_err(),
            ResponseError::Field { name: "entities" }
        );
    }

    #[test]
    fn token_info_reads_organisation_client_and_scopes() {
        let body = br#"{"organization":{"id":"o1","name":"Acme"},"homeOrganization":{"id":"o1"},
            "authorizedScope":["notifications","users:readonly"],
            "OAuthClient":{"id":"c1","name":"Desk light","organization":{"id":"o1"}},
            "dateTokenIdles":"2026-11-29T10:00:00Z"}"#;
        let info = TokenInfo::parse(body).unwrap();
        assert!(info.organization.unwrap().name.unwrap().eq_str("Acme"));
        assert!(
            info.oauth_client
                .unwrap()
                .name
                .unwrap()
                .eq_str("Desk light")
        );
        assert_eq!(info.authorized_scope.unwrap().iter().count(), 2);
        assert!(info.date_token_idles.is_some());
        assert!(info.cloned_user.is_none());
    }

    #[test]
    fn available_topics_list_permissions_per_template() {
        let body = br#"{"entities":[
            {"id":"v2.users.{id}.presence","requiresPermissions":[],"requiresCurrentUserOrPermission":true,"visibility":"Public"},
            {"id":"v2.routing.queues.{id}.users","requiresPermissions":["routing:queue:view"],"enforced":true,"visibility":"Preview",
             "permissionDetails":[{"type":"All","permissions":["routing:queue:view"],"allowsCurrentUser":false,"enforced":true}]},
            {"id":"v2.new.{id}","visibility":"Beta"}]}"#;
        let topics = AvailableTopics::parse(body).unwrap();
        let queue = topics.find("v2.routing.queues.{id}.users").unwrap();
        assert_eq!(queue.enforced, Some(true));
        assert_eq!(queue.visibility, Some(Visibility::Preview));
        assert_eq!(queue.requires_permissions().count(), 1);
        assert!(queue.permission_details.is_some());
        let presence = topics.find("v2.users.{id}.presence").unwrap();
        assert_eq!(presence.requires_current_user_or_permission, Some(true));
        assert_eq!(
            topics.find("v2.new.{id}").unwrap().visibility,
            Some(Visibility::Unknown)
        );
        assert!(topics.find("v2.missing").is_none());
    }

    #[test]
    fn genesys_error_bodies_parse_with_every_field() {
        let body = br#"{"message":"Rate limit exceeded","code":"too.many.requests","status":429,
            "messageParams":{"limit":"300"},"contextId":"ctx-1","details":[],"errors":[],
            "limit":{"key":"token.rate.per.minute","namespace":"platform.api","value":300}}"#;
        let e = ApiError::parse(body).unwrap();
        assert!(e.code.unwrap().eq_str("too.many.requests"));
        assert_eq!(e.status, Some(429));
        assert!(e.context_id.unwrap().eq_str("ctx-1"));
        let limit = e.limit.unwrap();
        assert_eq!(limit.value, Some(300));
        assert!(limit.key.unwrap().eq_str("token.rate.per.minute"));
        assert!(e.message_params.unwrap().get("limit").is_some());
    }

    #[test]
    fn token_endpoint_errors_are_classified_and_unknown_codes_kept() {
        let e =
            TokenError::parse(br#"{"error":"invalid_client","description":"client not found"}"#)
                .unwrap();
        assert_eq!(e.error, OAuthError::InvalidClient);
        assert!(e.description.unwrap().eq_str("client not found"));
        let e = TokenError::parse(br#"{"error":"invalid_grant","error_description":"expired"}"#)
            .unwrap();
        assert_eq!(e.error, OAuthError::InvalidGrant);
        assert!(e.description.is_some());
        let e = TokenError::parse(br#"{"error":"slow_down"}"#).unwrap();
        assert_eq!(e.error, OAuthError::Other);
        assert!(e.code.eq_str("slow_down"));
        assert_eq!(
            TokenError::parse(br#"{"message":"x"}"#).unwrap_err(),
            ResponseError::Field { name: "error" }
        );
    }

    #[test]
    fn response_errors_say_what_to_suspect() {
        let text = ResponseError::Json(json::Error::Empty).to_string();
        assert!(text.contains("proxy"), "{text}");
        let text = ResponseError::Field { name: "connectUri" }.to_string();
        assert!(text.contains("connectUri"), "{text}");
    }

    #[test]
    fn no_response_parser_panics_on_any_real_payload_or_garbage() {
        let garbage: [&[u8]; 6] = [
            b"",
            b"null",
            b"{",
            b"[1,2]",
            b"{\"entities\":[1,\"x\",null]}",
            b"\xff",
        ];
        let all = crate::test_vectors::ALL
            .iter()
            .map(|(_, b)| *b)
            .chain(garbage);
        for body in all {
            let _ = Channel::parse(body);
            let _ = ChannelList::parse(body).map(|l| l.iter().count());
            let _ = TokenResponse::parse(body);
            let _ = SubscriptionResults::parse(body).map(|r| r.iter().count());
            let _ = TokenInfo::parse(body);
            let _ = AvailableTopics::parse(body).map(|t| t.iter().count());
            let _ = ApiError::parse(body);
            let _ = TokenError::parse(body);
        }
        let odd = SubscriptionResults::parse(b"{\"entities\":[1,\"x\",null]}").unwrap();
        assert_eq!(odd.iter().count(), 0);
    }
}
