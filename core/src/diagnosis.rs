//! What went wrong, in words a person can act on, and what to do about it.
//!
//! Genesys answers failures in four shapes: a REST status with its error body, a token-endpoint
//! error (`{"error","description"}`), a reply on the socket (`{"result":"403",…}`), and the
//! silence of a network that failed. The session must react to each one the right way — a 401
//! deserves one token refresh, a 403 never a retry, a 404 on a channel a new channel, a 429 a
//! wait of exactly `Retry-After` — and the person watching must learn *why*, including the
//! scope or permission to add. Getting that wrong is what makes the famous "403 on the
//! notification socket" threads so long.
//!
//! A [`Diagnosis`] is that answer, built once from whatever arrived: one [`Action`] for the
//! session, and a `Display` sentence for the person. It owns its data (bounded, no borrows), so
//! the session can keep it, emit it as an event and show it on a terminal long after the reply
//! buffer is reused.
//!
//! Several symptoms are where people have been told wrong things; the diagnosis corrects them
//! when the symptom matches ([`Correction`]): the socket needs no token, the Notification API's
//! scope is `notifications` (not `notifications:subscribe`), and neither
//! `/api/v2/notification/events` nor `/api/v2/analytics/events/realtime` exists.
//!
//! ```
//! use genesys_notify_core::diagnosis::{Action, Context, Diagnosis, TokenSource};
//! use genesys_notify_core::region::Environment;
//! use genesys_notify_core::request::Operation;
//!
//! let env = Environment::parse("eu-west-1").unwrap();
//! let ctx = Context { environment: &env, token: TokenSource::UserLogin, reissued: false };
//! let body = br#"{"code":"missing.permissions","status":403,
//!                 "messageParams":{"permissions":["routing:queue:view"]}}"#;
//! let d = Diagnosis::from_response(&ctx, Operation::PutSubscriptions, 403, None, body).unwrap();
//! assert_eq!(d.action(), Action::Stop);
//! assert_eq!(
//!     d.to_string(),
//!     "Genesys forbade subscribing the channel to its topics (403 missing.permissions). \
//!      The user lacks the permission(s) routing:queue:view: grant them to one of the user's \
//!      roles. Stopping: retrying would not help."
//! );
//! ```

use core::fmt;

use crate::json::{Str, Value};
use crate::region::{Environment, Service};
use crate::request::{
    ApiError, OAuthError, Operation, ResponseError, SubscriptionResults, TokenError,
};
use crate::scope;
use crate::time::Duration;

/// Capacity of a stored error code (`missing.any.permissions`, `unsupported_grant_type`): the
/// longest Genesys or OAuth code seen is 23 bytes; 48 leaves room for new ones. Longer codes are
/// not stored.
pub const MAX_CODE_LEN: usize = 48;

/// Capacity of one stored permission or scope name. Genesys permissions are
/// `domain:entity:action` (`analytics:conversationDetail:view` is 33 bytes); 64 fits the
/// longest seen with room. Longer names are counted as "more", not stored.
pub const MAX_NAME_LEN: usize = 64;

/// How many missing permissions or scopes a diagnosis names. A person fixes a handful at a
/// time, and a topic needs at most a few; beyond six the sentence says "and more".
pub const MAX_MISSING: usize = 6;

/// Capacity of the stored Genesys `contextId` (a UUID, 36 bytes) quoted for support cases.
pub const MAX_CONTEXT_ID_LEN: usize = 40;

/// Capacity of the stored server message (`message`, `messageWithParams`, `description`),
/// quoted when the diagnosis has nothing more specific to say. Genesys messages are one
/// sentence; longer ones are cut at a character boundary and marked with `…`.
pub const MAX_MESSAGE_LEN: usize = 120;

/// Capacity of the stored first rejected topic: a user or queue topic with a UUID is under 70
/// bytes; a longer topic is counted but not quoted.
pub const MAX_REJECTED_TOPIC_LEN: usize = 96;

/// How long to wait after a 429 that carries no usable `Retry-After`: the rate limit is counted
/// per minute (about 300 requests per token), so one whole window is sure to have passed.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The longest `Retry-After` honoured. Genesys asks for waits of minutes to hours when a daily
/// limit is reached (its SDKs' common API client says so \[doc\]), so the session waits as told up
/// to a day — a daily limit has reset by then — and only a broken or hostile header (days,
/// years) is cut down to this. A wait over [`LONG_RETRY_AFTER`] is said in the diagnosis.
pub const MAX_RETRY_AFTER: Duration = Duration::from_hours(24);

/// A `Retry-After` this long or longer is not a per-minute rate limit but a daily or other long
/// limit: the diagnosis tells the person how long the client will wait, so a light that goes
/// quiet for hours does not look broken.
pub const LONG_RETRY_AFTER: Duration = Duration::from_mins(5);

/// What the caller should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Action {
    /// Wait exactly this long (the server's `Retry-After`), then retry the same step.
    RetryAfter(Duration),
    /// Retry the step after an exponential backoff with jitter.
    Backoff,
    /// Fetch a new access token, then retry the step once.
    RefreshToken,
    /// The channel is gone or unusable: create a new one, subscribe it, connect to it.
    RecreateChannel,
    /// Do not retry: nothing will change until a person fixes what the sentence names.
    Stop,
}

impl Action {
    /// Whether the client may try again on its own.
    pub const fn is_retryable(self) -> bool {
        !matches!(self, Action::Stop)
    }
}

impl fmt::Display for Action {
    /// A sentence naming what the client does: "Retrying in 30s."
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::RetryAfter(d) => write!(f, "Retrying in {d}."),
            Action::Backoff => f.write_str("Retrying with backoff."),
            Action::RefreshToken => f.write_str("Fetching a new token and retrying once."),
            Action::RecreateChannel => f.write_str("Creating a new channel and subscribing again."),
            Action::Stop => f.write_str("Stopping: retrying would not help."),
        }
    }
}

/// Where in the protocol the failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// A REST request (the token endpoint included).
    Request(Operation),
    /// Opening the WebSocket to the channel's `connectUri`.
    SocketConnect,
    /// On the open socket (a reply to a `subscribe` frame, for instance).
    Socket,
}

impl Step {
    const fn service(self) -> Service {
        match self {
            Step::Request(Operation::Token) => Service::Login,
            Step::Request(_) => Service::Api,
            Step::SocketConnect | Step::Socket => Service::Streaming,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Request(op) => f.write_str(op.describe()),
            Step::SocketConnect => f.write_str("connecting the notification socket"),
            Step::Socket => f.write_str("subscribing over the notification socket"),
        }
    }
}

/// A network failure below HTTP, as the driver saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Transport {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused or could not be made.
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No answer in time.
    Timeout,
    /// The connection closed before a complete answer.
    Closed,
    /// Anything else.
    Other,
}

/// Where the access token came from: decides what a 401 means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TokenSource {
    /// Issued by this environment's login to the OAuth client (client-credentials grant).
    /// Such tokens carry no scopes; roles and permissions govern them.
    ClientCredentials,
    /// A user-context token issued by this environment's login (authorization code, refresh).
    UserLogin,
    /// Handed in from outside (a static token in the configuration): the client cannot know
    /// where it was issued, and cannot fetch another.
    Static,
}

/// What the diagnosis needs to know beyond the reply itself.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The configured environment (named in region-related advice).
    pub environment: &'a Environment,
    /// Where the token came from.
    pub token: TokenSource,
    /// Whether the token was fetched anew in answer to a 401 already: a second 401 stops.
    pub reissued: bool,
}

/// What happened, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Problem {
    /// 400: the request (or a topic) is malformed; a bug or a bad topic.
    BadRequest,
    /// 401 for a token that may simply have expired.
    TokenRejected,
    /// 401 again, for a token this environment's login issued moments ago.
    TokenRejectedAfterRefresh,
    /// 401 for a token issued elsewhere: expired, revoked, or from another region.
    TokenRejectedMaybeWrongRegion,
    /// 403: a scope or permission is missing.
    Forbidden,
    /// Some subscribed topics were rejected (an `ignoreErrors=true` reply).
    TopicsRejected,
    /// 404 on a channel operation, or the socket refused: the channel expired or was evicted.
    ChannelGone,
    /// 404 on something that is not a channel (a user id, an endpoint).
    NotFound,
    /// 429: rate limited.
    RateLimited,
    /// 5xx (or 408): Genesys failed or timed out.
    ServerError,
    /// A status this diagnosis has no specific advice for.
    UnexpectedStatus,
    /// A success status whose body did not read as expected.
    UnreadableReply,
    /// The token endpoint refused (see the [`OAuthError`]).
    TokenEndpoint(OAuthError),
    /// A network failure below HTTP.
    Transport(Transport),
}

/// Advice that is widespread, wrong, and matches the symptom at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Correction {
    /// "Put `?access_token=` on the WebSocket URL": the socket takes no token at all.
    SocketNeedsNoToken,
    /// "Use the scope `notifications:subscribe`": the scope is `notifications`.
    ScopeIsNotifications,
    /// `conversations:read`, `webchat:read` and the like are not Genesys scopes.
    InventedScope,
    /// "Open `/api/v2/notification/events`": no such endpoint.
    NoNotificationEventsEndpoint,
    /// "Use `/api/v2/analytics/events/realtime`": no such endpoint.
    NoRealtimeAnalyticsEndpoint,
    /// "Subscribe with `eventType`/`filters`/`payloadFields`": subscriptions are topic strings.
    TopicsAreStrings,
}

impl Correction {
    /// The wrong advice `text` shows signs of following, if any: for a URL, a scope list or
    /// a request a user tried. Matching ignores ASCII case.
    pub fn find_in(text: &str) -> Option<Correction> {
        const SIGNS: [(&str, Correction); 7] = [
            ("access_token=", Correction::SocketNeedsNoToken),
            (
                "/notification/events",
                Correction::NoNotificationEventsEndpoint,
            ),
            (
                "/analytics/events/realtime",
                Correction::NoRealtimeAnalyticsEndpoint,
            ),
            ("notifications:subscribe", Correction::ScopeIsNotifications),
            ("\"eventType\"", Correction::TopicsAreStrings),
            ("\"filters\"", Correction::TopicsAreStrings),
            ("payloadFields", Correction::TopicsAreStrings),
        ];
        SIGNS
            .iter()
            .find(|(sign, _)| contains_ignore_case(text, sign))
            .map(|(_, c)| *c)
            .or_else(|| has_invented_access_suffix(text).then_some(Correction::InventedScope))
    }
}

/// Whether `text` names a scope with an access level Genesys does not have: a word of the form
/// `domain:read` or `domain:write` (permissions have two colons and are left alone).
fn has_invented_access_suffix(text: &str) -> bool {
    text.split(|c: char| !is_name_char(c)).any(|word| {
        let mut parts = word.split(':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(domain), Some(access), None) => {
                !domain.is_empty()
                    && (access.eq_ignore_ascii_case("read") || access.eq_ignore_ascii_case("write"))
            }
            _ => false,
        }
    })
}

impl fmt::Display for Correction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Correction::SocketNeedsNoToken => {
                "The notification socket takes no token — not in the URL (no ?access_token=), \
                 not in a header: the channel id in connectUri is the capability."
            }
            Correction::ScopeIsNotifications => {
                "The Notification API's scope is `notifications`; `notifications:subscribe` and \
                 similar names are not Genesys scopes."
            }
            Correction::InventedScope => {
                "Genesys scopes are `<domain>` or `<domain>:readonly` (e.g. `conversations:readonly`); \
                 names like `conversations:read` or `webchat:read` do not exist."
            }
            Correction::NoNotificationEventsEndpoint => {
                "There is no /api/v2/notification/events endpoint: create a channel with POST \
                 /api/v2/notifications/channels and open its connectUri."
            }
            Correction::NoRealtimeAnalyticsEndpoint => {
                "/api/v2/analytics/events/realtime does not exist: real-time events come from \
                 notification channels."
            }
            Correction::TopicsAreStrings => {
                "Subscriptions are topic strings such as v2.users.{id}.presence; there are no \
                 eventType subscriptions, filters, field lists or wildcards."
            }
        })
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    !n.is_empty() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Whether a missing name is a permission or a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MissingKind {
    /// A role permission (`domain:entity:action`): granted to the user's (or client's) roles.
    Permission,
    /// An OAuth scope (`domain` or `domain:readonly`): granted to the OAuth client.
    Scope,
}

/// One missing permission or scope named by Genesys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    name: heapless::String<MAX_NAME_LEN>,
    kind: MissingKind,
}

impl Missing {
    /// The name as Genesys wrote it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Permission or scope.
    pub fn kind(&self) -> MissingKind {
        self.kind
    }
}

/// The missing names a diagnosis found, bounded by [`MAX_MISSING`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MissingList {
    items: heapless::Vec<Missing, MAX_MISSING>,
    more: bool,
}

impl MissingList {
    /// Adds one candidate name, if it looks like a permission or a scope; skips duplicates.
    fn add_name(&mut self, name: &str) {
        let Some(kind) = classify(name) else {
            return;
        };
        if self.items.iter().any(|m| m.name.eq_ignore_ascii_case(name)) {
            return;
        }
        let Ok(name) = heapless::String::try_from(name) else {
            self.more = true;
            return;
        };
        if self.items.push(Missing { name, kind }).is_err() {
            self.more = true;
        }
    }

    /// Splits a text into names at separators (`,`, white space, brackets, quotes) and adds
    /// each; a name longer than [`MAX_NAME_LEN`] only sets "more".
    fn add_text(&mut self, text: impl Iterator<Item = char>) {
        let mut word = heapless::String::<MAX_NAME_LEN>::new();
        let mut overflow = false;
        for c in text.chain(core::iter::once(' ')) {
            if is_name_char(c) {
                overflow |= word.push(c).is_err();
                continue;
            }
            if overflow {
                self.more = true;
            } else if !word.is_empty() {
                self.add_name(&word);
            }
            word.clear();
            overflow = false;
        }
    }

    /// Adds names from a string, or from the strings of an array.
    fn add_value(&mut self, value: Value<'_>) {
        match value {
            Value::String(s) => self.add_text(s.chars()),
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str())
                .for_each(|s| self.add_text(s.chars())),
            _ => {}
        }
    }

    fn has_kind(&self, kind: MissingKind) -> bool {
        self.items.iter().any(|m| m.kind == kind)
    }

    fn names_scope(&self, scope: &str) -> bool {
        self.items
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case(scope))
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty() && !self.more
    }
}

impl fmt::Display for MissingList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&m.name)?;
        }
        if self.more {
            f.write_str(if self.items.is_empty() {
                "several"
            } else {
                " and more"
            })?;
        }
        Ok(())
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '*')
}

/// `domain:entity:action` (or with `*`) is a permission; `domain` and `domain:readonly` (and
/// invented `domain:verb` scopes) are scopes. A bare word only counts when it is lower-case
/// letters and dashes, which keeps ids and numbers out.
fn classify(name: &str) -> Option<MissingKind> {
    let first = name.chars().next()?;
    if !first.is_ascii_alphabetic() || name.split(':').any(str::is_empty) {
        return None;
    }
    match name.matches(':').count() {
        0 if name.chars().all(|c| c.is_ascii_lowercase() || c == '-') => Some(MissingKind::Scope),
        0 => None,
        1 if !name.contains('*') => Some(MissingKind::Scope),
        _ => Some(MissingKind::Permission),
    }
}

/// The names of message parameters and detail fields that carry missing permissions or scopes.
fn names_permissions(key: Str<'_>) -> bool {
    let mut lower = heapless::String::<32>::new();
    for c in key.chars() {
        if lower.push(c.to_ascii_lowercase()).is_err() {
            break;
        }
    }
    lower.contains("permission") || lower.contains("scope")
}

/// What happened, what to do, and the facts a person needs to fix it.
///
/// Owned and bounded: keep it, send it across tasks, print it later. `Display` is one or two
/// sentences a person can act on; [`Diagnosis::action`] is what the session does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    problem: Problem,
    action: Action,
    step: Step,
    status: Option<u16>,
    code: Option<heapless::String<MAX_CODE_LEN>>,
    missing: MissingList,
    rejected_topic: Option<heapless::String<MAX_REJECTED_TOPIC_LEN>>,
    message: Option<heapless::String<MAX_MESSAGE_LEN>>,
    rejected_topics: u16,
    correction: Option<Correction>,
    context_id: Option<heapless::String<MAX_CONTEXT_ID_LEN>>,
    required_scope: Option<scope::Scope>,
    unreadable_field: Option<&'static str>,
    token: TokenSource,
    environment: Environment,
}

impl Diagnosis {
    fn new(problem: Problem, action: Action, step: Step, ctx: &Context<'_>) -> Self {
        Diagnosis {
            problem,
            action,
            step,
            status: None,
            code: None,
            missing: MissingList::default(),
            rejected_topic: None,
            message: None,
            rejected_topics: 0,
            correction: None,
            context_id: None,
            required_scope: match step {
                Step::Request(op) => scope::required(op),
                Step::SocketConnect | Step::Socket => None,
            },
            unreadable_field: None,
            token: ctx.token,
            environment: ctx.environment.clone(),
        }
    }

    /// Diagnoses a REST reply with a failure status; `None` for a success (2xx).
    ///
    /// `body` is the reply body (a Genesys error body, a token-endpoint error, or anything
    /// else), `retry_after` the parsed `Retry-After` header ([`parse_retry_after`]).
    pub fn from_response(
        ctx: &Context<'_>,
        operation: Operation,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Option<Diagnosis> {
        if (200..300).contains(&status) {
            return None;
        }
        if operation == Operation::Token {
            return Some(Self::from_token_endpoint(ctx, status, retry_after, body));
        }
        let step = Step::Request(operation);
        let error = ApiError::parse(body).ok();
        let (problem, action) = match status {
            400 => (Problem::BadRequest, Action::Stop),
            401 => classify_401(ctx),
            403 => (Problem::Forbidden, Action::Stop),
            404 if operation.targets_channel() => (Problem::ChannelGone, Action::RecreateChannel),
            404 => (Problem::NotFound, Action::Stop),
            408 => (Problem::ServerError, Action::Backoff),
            429 => (Problem::RateLimited, Action::RetryAfter(wait(retry_after))),
            500..=599 => (
                Problem::ServerError,
                retry_after.map_or(Action::Backoff, |d| Action::RetryAfter(wait(Some(d)))),
            ),
            _ => (Problem::UnexpectedStatus, Action::Stop),
        };
        let mut d = Diagnosis::new(problem, action, step, ctx);
        d.status = Some(status);
        if let Some(e) = error {
            d.code = e.code.and_then(|c| c.to_heapless());
            d.context_id = e.context_id.and_then(|c| c.to_heapless());
            d.message = e.message_with_params.or(e.message).map(truncated);
            if status == 403 {
                d.collect_missing(&e);
            }
            d.correction = e
                .message
                .into_iter()
                .chain(e.message_with_params)
                .find_map(find_correction);
        }
        d.correct_by_symptom();
        Some(d)
    }

    fn from_token_endpoint(
        ctx: &Context<'_>,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Diagnosis {
        let step = Step::Request(Operation::Token);
        let backoff = retry_after.map_or(Action::Backoff, |d| Action::RetryAfter(wait(Some(d))));
        let parsed = TokenError::parse(body).ok();
        let error = match parsed {
            Some(e) if e.error != OAuthError::Other => Some(e.error),
            _ => match status {
                400 | 401 => Some(OAuthError::InvalidClient),
                _ => None,
            },
        };
        let (problem, action) = match (error, status) {
            (_, 429) => (Problem::RateLimited, Action::RetryAfter(wait(retry_after))),
            (Some(e @ (OAuthError::ServerError | OAuthError::TemporarilyUnavailable)), _) => {
                (Problem::TokenEndpoint(e), backoff)
            }
            (Some(e), _) => (Problem::TokenEndpoint(e), Action::Stop),
            (None, 500..=599 | 408) => (Problem::ServerError, backoff),
            (None, _) => (Problem::UnexpectedStatus, Action::Stop),
        };
        let mut d = Diagnosis::new(problem, action, step, ctx);
        d.status = Some(status);
        if let Some(e) = parsed {
            d.code = e.code.to_heapless();
            d.message = e.description.map(truncated);
            d.correction = e.description.and_then(find_correction);
        }
        if problem == Problem::TokenEndpoint(OAuthError::InvalidScope) && d.correction.is_none() {
            d.correction = Some(Correction::ScopeIsNotifications);
        }
        d
    }

    /// Diagnoses a reply on the socket (`{"result":"403",…}`); `None` for a success (2xx).
    ///
    /// `frame` is the whole reply frame; a `message` in it is searched for missing
    /// permissions and wrong advice.
    pub fn from_socket_reply(ctx: &Context<'_>, result: u16, frame: &[u8]) -> Option<Diagnosis> {
        let (problem, action) = match result {
            200..=299 => return None,
            400 => (Problem::BadRequest, Action::Stop),
            401 | 403 => (Problem::Forbidden, Action::Stop),
            404 => (Problem::ChannelGone, Action::RecreateChannel),
            429 => (
                Problem::RateLimited,
                Action::RetryAfter(DEFAULT_RETRY_AFTER),
            ),
            500..=599 => (Problem::ServerError, Action::Backoff),
            _ => (Problem::UnexpectedStatus, Action::Stop),
        };
        let mut d = Diagnosis::new(problem, action, Step::Socket, ctx);
        d.status = Some(result);
        d.required_scope = scope::required(Operation::PutSubscriptions);
        if let Ok(e) = ApiError::parse(frame) {
            if problem == Problem::Forbidden {
                d.collect_missing(&e);
            }
            d.code = e.code.and_then(|c| c.to_heapless());
            d.message = e.message_with_params.or(e.message).map(truncated);
        }
        d.correct_by_symptom();
        Some(d)
    }

    /// Diagnoses a refused WebSocket handshake (the HTTP status of the upgrade reply).
    ///
    /// A channel that expired, was evicted (21st channel) or never existed is refused: the
    /// answer is a new channel. A token would not help — the socket takes none.
    pub fn from_socket_handshake(ctx: &Context<'_>, status: u16) -> Diagnosis {
        let (problem, action) = match status {
            401 | 403 | 404 | 410 => (Problem::ChannelGone, Action::RecreateChannel),
            429 => (
                Problem::RateLimited,
                Action::RetryAfter(DEFAULT_RETRY_AFTER),
            ),
            _ => (Problem::ServerError, Action::Backoff),
        };
        let mut d = Diagnosis::new(problem, action, Step::SocketConnect, ctx);
        d.status = Some(status);
        if matches!(status, 401 | 403) {
            d.correction = Some(Correction::SocketNeedsNoToken);
        }
        d
    }

    /// Diagnoses the topics an `ignoreErrors=true` subscription reply rejected; `None` if it
    /// rejected none.
    ///
    /// The action is [`Action::Stop`] for those topics — resubscribing will not help until the
    /// permissions change — but the permitted topics work, so the session may carry on.
    pub fn from_subscription_results(
        ctx: &Context<'_>,
        operation: Operation,
        results: &SubscriptionResults<'_>,
    ) -> Option<Diagnosis> {
        let mut rejected = results.rejected();
        let first = rejected.next()?;
        let mut d = Diagnosis::new(
            Problem::TopicsRejected,
            Action::Stop,
            Step::Request(operation),
            ctx,
        );
        d.rejected_topic = first.id.to_heapless();
        for topic in core::iter::once(first).chain(rejected) {
            d.rejected_topics = d.rejected_topics.saturating_add(1);
            for p in topic.missing_permissions() {
                d.missing.add_text(p.chars());
            }
        }
        Some(d)
    }

    /// Diagnoses a network failure (DNS, TCP, TLS, timeout, early close) at `step`: back off.
    pub fn from_transport(ctx: &Context<'_>, step: Step, transport: Transport) -> Diagnosis {
        Diagnosis::new(Problem::Transport(transport), Action::Backoff, step, ctx)
    }

    /// Diagnoses a success reply whose body did not read as expected: back off and retry.
    pub fn from_unreadable_reply(
        ctx: &Context<'_>,
        operation: Operation,
        error: ResponseError,
    ) -> Diagnosis {
        let mut d = Diagnosis::new(
            Problem::UnreadableReply,
            Action::Backoff,
            Step::Request(operation),
            ctx,
        );
        if let ResponseError::Field { name } = error {
            d.unreadable_field = Some(name);
        }
        d
    }

    /// Mines the error body for missing names: `messageParams` and `details` fields named for
    /// permissions or scopes (else every parameter), then a bracketed list in the message.
    fn collect_missing(&mut self, e: &ApiError<'_>) {
        if let Some(params) = e.message_params {
            let named = params.iter().any(|(k, _)| names_permissions(k));
            for (key, value) in params.iter() {
                if !named || names_permissions(key) {
                    self.missing.add_value(value);
                }
            }
        }
        for detail in e.details.iter().flat_map(|a| a.iter()) {
            if let Some(o) = detail.as_object() {
                for (_, value) in o.iter().filter(|(k, _)| names_permissions(*k)) {
                    self.missing.add_value(value);
                }
            }
        }
        if self.missing.is_empty() {
            for message in e.message_with_params.into_iter().chain(e.message) {
                if mentions_permissions(message) {
                    self.missing.add_text(bracketed(message));
                }
            }
        }
    }

    /// Corrections that follow from the symptom itself, when the body did not name one.
    fn correct_by_symptom(&mut self) {
        if self.correction.is_some() {
            return;
        }
        let notifications = self
            .required_scope
            .is_some_and(|s| s.domain() == "notifications");
        self.correction = match self.problem {
            Problem::Forbidden if self.missing.names_scope("notifications:subscribe") => {
                Some(Correction::ScopeIsNotifications)
            }
            Problem::Forbidden
                if self.missing.items.iter().any(|m| {
                    m.kind == MissingKind::Scope
                        && Correction::find_in(&m.name) == Some(Correction::InventedScope)
                }) =>
            {
                Some(Correction::InventedScope)
            }
            Problem::Forbidden
                if notifications
                    && self.token != TokenSource::ClientCredentials
                    && (self.missing.names_scope("notifications") || self.missing.is_empty()) =>
            {
                Some(Correction::ScopeIsNotifications)
            }
            Problem::BadRequest if self.is_subscribing() => Some(Correction::TopicsAreStrings),
            _ => None,
        };
    }

    fn is_subscribing(&self) -> bool {
        matches!(
            self.step,
            Step::Socket
                | Step::Request(Operation::PutSubscriptions | Operation::PostSubscriptions)
        )
    }

    /// Whether the server's own words add something to the sentence.
    fn quotes_message(&self) -> bool {
        match self.problem {
            Problem::BadRequest
            | Problem::NotFound
            | Problem::UnexpectedStatus
            | Problem::TokenEndpoint(_)
            | Problem::TokenRejectedAfterRefresh
            | Problem::TokenRejectedMaybeWrongRegion => true,
            Problem::Forbidden => self.missing.is_empty(),
            _ => false,
        }
    }

    /// The server's message (`messageWithParams`, `message` or `description`), shortened to
    /// [`MAX_MESSAGE_LEN`].
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// What happened.
    pub fn problem(&self) -> Problem {
        self.problem
    }

    /// What to do next.
    pub fn action(&self) -> Action {
        self.action
    }

    /// Where it happened.
    pub fn step(&self) -> Step {
        self.step
    }

    /// The HTTP status (or the socket reply's `result`), if there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The Genesys or OAuth error code, if the body had one that fits [`MAX_CODE_LEN`].
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The permissions and scopes Genesys named as missing (at most [`MAX_MISSING`]).
    pub fn missing(&self) -> &[Missing] {
        &self.missing.items
    }

    /// Whether Genesys named more missing items than [`Diagnosis::missing`] holds.
    pub fn more_missing(&self) -> bool {
        self.missing.more
    }

    /// The wrong advice this symptom is known for, corrected.
    pub fn correction(&self) -> Option<Correction> {
        self.correction
    }

    /// Genesys' `contextId` for the failed request, to quote in a support case.
    pub fn context_id(&self) -> Option<&str> {
        self.context_id.as_deref()
    }

    /// The first rejected topic, for [`Problem::TopicsRejected`].
    pub fn rejected_topic(&self) -> Option<&str> {
        self.rejected_topic.as_deref()
    }

    /// Whether the client may retry on its own (anything but [`Action::Stop`]).
    pub fn is_retryable(&self) -> bool {
        self.action.is_retryable()
    }

    fn host(&self) -> &str {
        self.environment.origin(self.step.service()).host()
    }

    fn write_status(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, self.code()) {
            (Some(s), Some(c)) => write!(f, " ({s} {c})"),
            (Some(s), None) => write!(f, " ({s})"),
            (None, Some(c)) => write!(f, " ({c})"),
            (None, None) => Ok(()),
        }
    }

    fn write_missing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let permissions = self.missing.has_kind(MissingKind::Permission);
        let scopes = self.missing.has_kind(MissingKind::Scope);
        let holder = match self.token {
            TokenSource::ClientCredentials => "The OAuth client",
            _ => "The user",
        };
        let roles = match self.token {
            TokenSource::ClientCredentials => {
                "one of the OAuth client's roles, for the agent's division (Menu > IT and Integrations > OAuth > Roles; a client-credentials role only reaches the divisions it is granted in)"
            }
            _ => "one of the user's roles",
        };
        match (permissions, scopes) {
            (true, true) => write!(
                f,
                "Missing: {}. Grant the permissions to {roles}; add the scopes to the OAuth \
                 client's allowed scopes and log in again. ",
                self.missing
            ),
            (false, true) => write!(
                f,
                "The token lacks the scope(s) {}, and this organisation enforces scopes: add \
                 them to the OAuth client's allowed scopes and log in again. ",
                self.missing
            ),
            _ => write!(
                f,
                "{holder} lacks the permission(s) {}: grant them to {roles}. ",
                self.missing
            ),
        }
    }

    fn write_forbidden_advice(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            return self.write_missing(f);
        }
        match (self.token, self.required_scope) {
            (TokenSource::ClientCredentials, _) => f.write_str(
                "Genesys did not say what is missing. Client-credentials tokens have no scopes: \
                 the OAuth client's roles must grant the permissions this needs. ",
            ),
            (_, Some(scope)) => write!(
                f,
                "Genesys did not say what is missing: check that the OAuth client grants the \
                 scope `{scope}` and that the user's roles hold the permissions this needs. "
            ),
            (_, None) => f.write_str(
                "Genesys did not say what is missing: check the OAuth client's scopes and the \
                 user's roles. ",
            ),
        }
    }

    fn write_what(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env = &self.environment;
        let host = self.host();
        match self.problem {
            Problem::BadRequest => {
                write!(
                    f,
                    "Genesys refused the request as malformed while {}",
                    self.step
                )?;
                self.write_status(f)?;
                f.write_str(if self.is_subscribing() {
                    ". A topic may be misspelt or unknown (spelling is exact: routingStatus, conversationsummary), or the channel has more than 1000 topics; resending it unchanged would fail again. "
                } else {
                    ": most likely a bug in this client (please report it); resending it unchanged would fail again. "
                })
            }
            Problem::TokenRejected => {
                write!(f, "Genesys refused the access token while {}", self.step)?;
                self.write_status(f)?;
                f.write_str(": it has most likely expired or been revoked. ")
            }
            Problem::TokenRejectedAfterRefresh => {
                write!(
                    f,
                    "Genesys refused a token that {env}'s login ({}) issued moments ago, while {}",
                    self.environment.origin(Service::Login).host(),
                    self.step
                )?;
                self.write_status(f)?;
                f.write_str(": the OAuth client may have been deleted or deactivated, or the organisation's access revoked. Check the OAuth client under Menu > IT and Integrations > OAuth. ")
            }
            Problem::TokenRejectedMaybeWrongRegion => {
                write!(
                    f,
                    "{host} ({env}) refused the configured token while {}",
                    self.step
                )?;
                self.write_status(f)?;
                write!(
                    f,
                    ". A token is accepted only in the region that issued it: if it works elsewhere, configure that region instead of {env}. Otherwise it has expired or been revoked: supply a new one. "
                )
            }
            Problem::Forbidden => {
                write!(f, "Genesys forbade {}", self.step)?;
                self.write_status(f)?;
                f.write_str(". ")?;
                self.write_forbidden_advice(f)
            }
            Problem::TopicsRejected => {
                write!(f, "Genesys rejected {} topic(s)", self.rejected_topics)?;
                if let Some(topic) = self.rejected_topic() {
                    write!(f, " (first: {topic})")?;
                }
                write!(f, " while {}; the other topics are subscribed. ", self.step)?;
                if self.missing.is_empty() {
                    f.write_str("Genesys did not name the missing permissions; `GET /api/v2/notifications/availabletopics?expand=requiresPermissions` lists what each topic needs. ")
                } else {
                    self.write_missing(f)
                }
            }
            Problem::ChannelGone if self.step == Step::SocketConnect => {
                write!(f, "{host} refused to open the socket for this channel")?;
                self.write_status(f)?;
                f.write_str(": the channel has expired (24 hours after its last subscription) or was evicted (a 21st channel for the same user and OAuth client evicts the oldest). ")
            }
            Problem::ChannelGone => {
                write!(
                    f,
                    "{host} reports the notification channel gone while {}",
                    self.step
                )?;
                self.write_status(f)?;
                f.write_str(": channels expire 24 hours after their last subscription, and creating a 21st channel for the same user and OAuth client evicts the oldest. ")
            }
            Problem::NotFound => {
                write!(f, "{host} found nothing while {}", self.step)?;
                self.write_status(f)?;
                match self.step {
                    Step::Request(Operation::GetUser | Operation::GetRoutingStatus | Operation::GetPresence) => {
                        write!(f, ": no user with this id in the token's organisation — check the user id, and that {env} is the organisation's region. ")
                    }
                    Step::Request(Operation::GetConversations) => f.write_str(
                        ": /api/v2/conversations lists the token user's conversations and has no meaning for a client-credentials token. ",
                    ),
                    _ => write!(f, ": every Genesys region serves this path, so {host} may not be Genesys — check the configured environment ({env}). "),
                }
            }
            Problem::RateLimited => {
                write!(f, "Genesys is rate-limiting requests while {}", self.step)?;
                self.write_status(f)?;
                match self.action {
                    Action::RetryAfter(wait) if wait >= LONG_RETRY_AFTER => write!(
                        f,
                        ". Genesys asks for a long wait ({wait}), as it does when a daily or other long limit is reached; the client waits as told and needs nothing from you unless the limit keeps being hit. "
                    ),
                    _ => f.write_str(". Genesys allows about 300 requests a minute per token. "),
                }
            }
            Problem::ServerError => {
                write!(f, "{host} failed or timed out while {}", self.step)?;
                self.write_status(f)?;
                f.write_str("; this is usually brief. ")
            }
            Problem::UnexpectedStatus => {
                write!(
                    f,
                    "{host} answered with an unexpected status while {}",
                    self.step
                )?;
                self.write_status(f)?;
                f.write_str(". ")
            }
            Problem::UnreadableReply => {
                write!(
                    f,
                    "{host} answered {} with a body that is not what Genesys sends",
                    self.step
                )?;
                if let Some(field) = self.unreadable_field {
                    write!(f, " (no usable `{field}`)")?;
                }
                f.write_str("; a proxy or captive portal may be answering instead. ")
            }
            Problem::TokenEndpoint(error) => {
                write!(f, "The login service {host} refused the token request")?;
                self.write_status(f)?;
                f.write_str(": ")?;
                write_oauth(f, error, env)
            }
            Problem::Transport(t) => {
                let what = match t {
                    Transport::Dns => "could not resolve",
                    Transport::Connect => "could not connect to",
                    Transport::Tls => "could not complete a TLS handshake with",
                    Transport::Timeout => "got no answer in time from",
                    Transport::Closed => "lost the connection to",
                    Transport::Other => "had a network failure talking to",
                };
                write!(f, "The client {what} {host} while {}. ", self.step)?;
                f.write_str(match t {
                    Transport::Dns => "Check the network and the configured region. ",
                    Transport::Tls => "On a device, check that its clock is set: certificates look invalid to a clock that is not. ",
                    _ => "Check the network. ",
                })
            }
        }
    }
}

fn write_oauth(f: &mut fmt::Formatter<'_>, error: OAuthError, env: &Environment) -> fmt::Result {
    match error {
        OAuthError::InvalidClient => write!(
            f,
            "it does not know this client id and secret. Check both, and that the OAuth client \
             belongs to an organisation in {env}: a client from another region is unknown here. "
        ),
        OAuthError::UnauthorizedClient => f.write_str(
            "this OAuth client may not use this grant type. Set the client's grant type under \
             Menu > IT and Integrations > OAuth (Client Credentials for a service, Code \
             Authorization with PKCE for a user's login; the implicit grant takes no new clients \
             since March 2026 and stops working by March 2027). ",
        ),
        OAuthError::InvalidGrant => f.write_str(
            "the refresh token is expired, revoked or belongs to another OAuth client. Log in \
             again to get a new one. ",
        ),
        OAuthError::UnsupportedGrantType => f.write_str(
            "Genesys does not support this grant type (it offers client credentials, \
             authorization code with or without PKCE, SAML2 bearer, password, and the implicit \
             grant that is being retired by March 2027; there is no device-code grant). ",
        ),
        OAuthError::InvalidScope => {
            f.write_str("a requested scope is unknown or not allowed for this OAuth client. ")
        }
        OAuthError::InvalidRequest => {
            f.write_str("the request was malformed (a bug in this client, please report it). ")
        }
        OAuthError::AccessDenied => {
            f.write_str("access was denied by the user or the organisation's settings. ")
        }
        OAuthError::ServerError | OAuthError::TemporarilyUnavailable => {
            f.write_str("the login service is temporarily unavailable. ")
        }
        OAuthError::Other => f.write_str("see the error code. "),
    }
}

fn classify_401(ctx: &Context<'_>) -> (Problem, Action) {
    match (ctx.token, ctx.reissued) {
        (TokenSource::Static, _) => (Problem::TokenRejectedMaybeWrongRegion, Action::Stop),
        (_, true) => (Problem::TokenRejectedAfterRefresh, Action::Stop),
        (_, false) => (Problem::TokenRejected, Action::RefreshToken),
    }
}

fn wait(retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .min(MAX_RETRY_AFTER)
}

fn mentions_permissions(text: Str<'_>) -> bool {
    let mut buf = [0u8; MAX_SCANNED];
    text.decode_into(&mut buf)
        .is_ok_and(|t| contains_ignore_case(t, "permission") || contains_ignore_case(t, "scope"))
}

/// The characters of `text` inside `[…]`, with everything outside brackets replaced by a space.
fn bracketed<'a>(text: Str<'a>) -> impl Iterator<Item = char> + use<'a> {
    let mut depth = 0u32;
    text.chars().map(move |c| match c {
        '[' => {
            depth = depth.saturating_add(1);
            ' '
        }
        ']' => {
            depth = depth.saturating_sub(1);
            ' '
        }
        c if depth > 0 => c,
        _ => ' ',
    })
}

/// `text`, cut to fit [`MAX_MESSAGE_LEN`] at a character boundary and marked `…` if cut.
fn truncated(text: Str<'_>) -> heapless::String<MAX_MESSAGE_LEN> {
    const ELLIPSIS: char = '…';
    let fits = text.decoded_len() <= MAX_MESSAGE_LEN;
    let room = if fits {
        MAX_MESSAGE_LEN
    } else {
        MAX_MESSAGE_LEN - ELLIPSIS.len_utf8()
    };
    let mut out = heapless::String::new();
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if out.len() + c.len_utf8() > room {
            break;
        }
        let _ = out.push(c);
    }
    if !fits {
        let _ = out.push(ELLIPSIS);
    }
    out
}

/// Error messages worth scanning are a sentence or two; longer ones are not scanned.
const MAX_SCANNED: usize = 512;

fn find_correction(text: Str<'_>) -> Option<Correction> {
    let mut buf = [0u8; MAX_SCANNED];
    text.decode_into(&mut buf)
        .ok()
        .and_then(Correction::find_in)
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_what(f)?;
        if let Some(message) = self.message().filter(|_| self.quotes_message()) {
            write!(f, "Genesys says: \"{message}\" ")?;
        }
        if let Some(correction) = self.correction {
            write!(f, "{correction} ")?;
        }
        if let Some(id) = self.context_id() {
            write!(f, "(Genesys context id {id}.) ")?;
        }
        self.action.fmt(f)
    }
}

/// Reads a `Retry-After` header given in whole seconds (what Genesys sends). An HTTP date or
/// anything else gives `None`; callers then wait [`DEFAULT_RETRY_AFTER`].
pub fn parse_retry_after(value: &[u8]) -> Option<Duration> {
    let text = core::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::request::SubscriptionResults;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn ireland() -> Environment {
        Environment::parse("eu-west-1").unwrap()
    }

    fn rest(
        token: TokenSource,
        reissued: bool,
        op: Operation,
        status: u16,
        body: &str,
    ) -> Diagnosis {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token,
            reissued,
        };
        Diagnosis::from_response(&ctx, op, status, None, body.as_bytes()).expect("a failure")
    }

    fn user(op: Operation, status: u16, body: &str) -> Diagnosis {
        rest(TokenSource::UserLogin, false, op, status, body)
    }

    fn token_endpoint(status: u16, retry_after: Option<Duration>, body: &str) -> Diagnosis {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::ClientCredentials,
            reissued: false,
        };
        Diagnosis::from_response(&ctx, Operation::Token, status, retry_after, body.as_bytes())
            .expect("a failure")
    }

    fn names(d: &Diagnosis) -> Vec<&str> {
        d.missing().iter().map(Missing::name).collect()
    }

    const FORBIDDEN_PERMISSIONS: &str = r#"{"message":"You are missing the following permission(s): [routing:queue:view]","code":"missing.any.permissions","status":403,"messageParams":{"permissions":["routing:queue:view","analytics:queueObservation:view"]},"contextId":"4a7d2c1e-0000-4000-8000-000000000001"}"#;

    #[test]
    fn success_statuses_are_not_diagnosed() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        for status in [200, 201, 204] {
            assert!(
                Diagnosis::from_response(&ctx, Operation::CreateChannel, status, None, b"")
                    .is_none()
            );
        }
        assert!(
            Diagnosis::from_socket_reply(&ctx, 200, br#"{"result":"200","status":"subscribed"}"#)
                .is_none()
        );
    }

    #[test]
    fn every_documented_code_maps_to_its_action() {
        let table: [(u16, &str, Action); 12] = [
            (400, "bad.request", Action::Stop),
            (400, "invalid.value", Action::Stop),
            (401, "authentication.required", Action::RefreshToken),
            (401, "bad.credentials", Action::RefreshToken),
            (401, "credentials.expired", Action::RefreshToken),
            (403, "missing.permissions", Action::Stop),
            (403, "missing.any.permissions", Action::Stop),
            (403, "not.authorized", Action::Stop),
            (404, "not.found", Action::RecreateChannel),
            (
                429,
                "too.many.requests",
                Action::RetryAfter(DEFAULT_RETRY_AFTER),
            ),
            (500, "internal.server.error", Action::Backoff),
            (503, "service.unavailable", Action::Backoff),
        ];
        for (status, code, action) in table {
            let body = std::format!(r#"{{"message":"m","code":"{code}","status":{status}}}"#);
            let d = user(Operation::PutSubscriptions, status, &body);
            assert_eq!(d.action(), action, "{status} {code}");
            assert_eq!(d.code(), Some(code));
            assert!(d.to_string().contains(code), "{d}");
        }
        let d = user(
            Operation::GetUser,
            504,
            r#"{"code":"request.timeout","status":504}"#,
        );
        assert_eq!(d.action(), Action::Backoff);
    }

    #[test]
    fn a_401_with_a_token_from_this_login_refreshes_it_once() {
        let d = user(
            Operation::CreateChannel,
            401,
            r#"{"code":"credentials.expired"}"#,
        );
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::TokenRejected, Action::RefreshToken)
        );
        assert!(d.to_string().contains("Fetching a new token"), "{d}");
    }

    #[test]
    fn a_second_401_after_a_refresh_stops_and_names_the_login_host() {
        let d = rest(
            TokenSource::ClientCredentials,
            true,
            Operation::CreateChannel,
            401,
            "",
        );
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::TokenRejectedAfterRefresh, Action::Stop)
        );
        let text = d.to_string();
        assert!(text.contains("login.mypurecloud.ie"), "{text}");
        assert!(text.contains("OAuth client"), "{text}");
    }

    #[test]
    fn a_401_for_a_static_token_suspects_the_region_and_names_the_configured_one() {
        let d = rest(
            TokenSource::Static,
            false,
            Operation::CreateChannel,
            401,
            r#"{"code":"bad.credentials"}"#,
        );
        assert_eq!(d.problem(), Problem::TokenRejectedMaybeWrongRegion);
        assert_eq!(d.action(), Action::Stop);
        let text = d.to_string();
        assert!(text.contains("eu-west-1"), "{text}");
        assert!(text.contains("api.mypurecloud.ie"), "{text}");
        assert!(text.contains("region"), "{text}");
    }

    #[test]
    fn a_403_is_never_retried_whatever_the_operation() {
        for op in Operation::ALL
            .into_iter()
            .filter(|op| *op != Operation::Token)
        {
            for token in [
                TokenSource::UserLogin,
                TokenSource::ClientCredentials,
                TokenSource::Static,
            ] {
                let d = rest(token, false, op, 403, FORBIDDEN_PERMISSIONS);
                assert_eq!(d.action(), Action::Stop, "{op:?}");
                assert!(!d.is_retryable());
            }
        }
    }

    #[test]
    fn a_403_names_the_missing_permissions_from_message_params() {
        let d = user(Operation::PutSubscriptions, 403, FORBIDDEN_PERMISSIONS);
        assert_eq!(
            names(&d),
            ["routing:queue:view", "analytics:queueObservation:view"]
        );
        assert!(
            d.missing()
                .iter()
                .all(|m| m.kind() == MissingKind::Permission)
        );
        let text = d.to_string();
        assert!(
            text.contains("routing:queue:view, analytics:queueObservation:view"),
            "{text}"
        );
        assert!(text.contains("The user lacks the permission(s)"), "{text}");
        assert!(text.contains("one of the user's roles"), "{text}");
        assert_eq!(d.context_id(), Some("4a7d2c1e-0000-4000-8000-000000000001"));
        assert!(text.contains("4a7d2c1e"), "{text}");
    }

    #[test]
    fn a_403_names_the_missing_permissions_from_details() {
        let body = r#"{"code":"missing.permissions","status":403,"messageParams":{},
            "details":[{"errorCode":"x","missingPermissions":"conversation:communication:view, directory:user:view"}]}"#;
        let d = user(Operation::GetConversations, 403, body);
        assert_eq!(
            names(&d),
            ["conversation:communication:view", "directory:user:view"]
        );
    }

    #[test]
    fn a_403_names_permissions_listed_in_the_message_text() {
        let body = r#"{"message":"Missing permission(s): [telephony:plugin:all, routing:queue:view]","code":"missing.permissions","status":403}"#;
        let d = user(Operation::PostSubscriptions, 403, body);
        assert_eq!(names(&d), ["telephony:plugin:all", "routing:queue:view"]);
    }

    #[test]
    fn unnamed_message_params_are_all_read_when_none_is_named_for_permissions() {
        let body =
            r#"{"code":"missing.any.permissions","messageParams":{"0":"routing:queue:view"}}"#;
        assert_eq!(
            names(&user(Operation::PutSubscriptions, 403, body)),
            ["routing:queue:view"]
        );
    }

    #[test]
    fn ids_and_numbers_are_not_taken_for_missing_names() {
        let body = r#"{"code":"not.authorized","messageParams":{"0":"8f3b7f1e-2a3c-4d5e-9f60-1a2b3c4d5e6f","1":"42","2":"Queue","3":"Error: denied."}}"#;
        let d = user(Operation::PutSubscriptions, 403, body);
        assert!(d.missing().is_empty(), "{:?}", d.missing());
    }

    #[test]
    fn a_403_missing_the_notifications_scope_corrects_the_invented_one() {
        let body =
            r#"{"code":"missing.scopes","status":403,"messageParams":{"scopes":"notifications"}}"#;
        let d = user(Operation::CreateChannel, 403, body);
        assert_eq!(names(&d), ["notifications"]);
        assert_eq!(d.missing()[0].kind(), MissingKind::Scope);
        assert_eq!(d.correction(), Some(Correction::ScopeIsNotifications));
        let text = d.to_string();
        assert!(text.contains("not Genesys scopes"), "{text}");
        assert!(text.contains("OAuth client's allowed scopes"), "{text}");
    }

    #[test]
    fn a_403_naming_notifications_subscribe_is_corrected() {
        let body =
            r#"{"code":"missing.scopes","messageParams":{"scope":"notifications:subscribe"}}"#;
        let d = user(Operation::CreateChannel, 403, body);
        assert_eq!(d.correction(), Some(Correction::ScopeIsNotifications));
    }

    #[test]
    fn a_403_naming_a_read_scope_is_told_the_readonly_spelling() {
        let body = r#"{"code":"missing.scopes","messageParams":{"scopes":["conversations:read"]}}"#;
        let d = user(Operation::GetConversations, 403, body);
        assert_eq!(d.correction(), Some(Correction::InventedScope));
        assert!(d.to_string().contains("conversations:readonly"), "{d}");
    }

    #[test]
    fn an_unexplained_403_on_a_channel_with_a_user_token_names_the_notifications_scope() {
        let d = user(
            Operation::CreateChannel,
            403,
            r#"{"code":"not.authorized","status":403}"#,
        );
        assert_eq!(d.correction(), Some(Correction::ScopeIsNotifications));
        assert!(d.to_string().contains("scope `notifications`"), "{d}");
    }

    #[test]
    fn a_403_naming_another_scope_is_not_told_about_notifications() {
        let body = r#"{"messageParams":{"scopes":"routing:readonly"}}"#;
        let d = user(Operation::CreateChannel, 403, body);
        assert_eq!(d.correction(), None);
        assert!(
            d.to_string()
                .contains("lacks the scope(s) routing:readonly"),
            "{d}"
        );
    }

    #[test]
    fn an_unexplained_403_for_client_credentials_points_at_roles_not_scopes() {
        let d = rest(
            TokenSource::ClientCredentials,
            false,
            Operation::CreateChannel,
            403,
            "{}",
        );
        assert_eq!(d.correction(), None);
        let text = d.to_string();
        assert!(
            text.contains("Client-credentials tokens have no scopes"),
            "{text}"
        );
        assert!(!text.contains("scope `notifications`"), "{text}");
    }

    #[test]
    fn client_credentials_permissions_go_to_the_oauth_clients_roles() {
        let d = rest(
            TokenSource::ClientCredentials,
            false,
            Operation::PutSubscriptions,
            403,
            FORBIDDEN_PERMISSIONS,
        );
        assert!(
            d.to_string()
                .contains("The OAuth client lacks the permission(s)"),
            "{d}"
        );
        assert!(d.to_string().contains("OAuth client's roles"), "{d}");
    }

    #[test]
    fn a_404_on_a_channel_operation_recreates_the_channel() {
        for op in Operation::ALL.into_iter().filter(|op| op.targets_channel()) {
            let d = user(op, 404, r#"{"code":"not.found","status":404}"#);
            assert_eq!(
                (d.problem(), d.action()),
                (Problem::ChannelGone, Action::RecreateChannel)
            );
            assert!(d.to_string().contains("24 hours"), "{d}");
        }
    }

    #[test]
    fn a_404_on_a_user_read_stops_and_suspects_the_id_or_region() {
        let d = user(Operation::GetPresence, 404, r#"{"code":"not.found"}"#);
        assert_eq!((d.problem(), d.action()), (Problem::NotFound, Action::Stop));
        let text = d.to_string();
        assert!(
            text.contains("user id") && text.contains("eu-west-1"),
            "{text}"
        );
    }

    #[test]
    fn a_404_on_channel_creation_suspects_the_environment() {
        let d = user(Operation::CreateChannel, 404, "Not Found");
        assert_eq!(d.action(), Action::Stop);
        assert!(d.to_string().contains("may not be Genesys"), "{d}");
    }

    #[test]
    fn a_429_waits_exactly_retry_after() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_response(
            &ctx,
            Operation::GetUser,
            429,
            Some(Duration::from_secs(7)),
            b"{}",
        )
        .unwrap();
        assert_eq!(d.action(), Action::RetryAfter(Duration::from_secs(7)));
        assert!(d.to_string().contains("Retrying in 7s."), "{d}");
    }

    #[test]
    fn a_429_without_retry_after_waits_the_default() {
        let d = user(Operation::GetUser, 429, r#"{"code":"too.many.requests"}"#);
        assert_eq!(d.action(), Action::RetryAfter(DEFAULT_RETRY_AFTER));
    }

    #[test]
    fn a_retry_after_of_hours_is_honoured_and_said() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_response(
            &ctx,
            Operation::CreateChannel,
            429,
            Some(Duration::from_hours(3)),
            br#"{"message":"Rate limit exceeded the maximum. Retry the request in [10800] seconds","code":"too.many.requests.retry.after","status":429}"#,
        )
        .unwrap();
        assert_eq!(d.action(), Action::RetryAfter(Duration::from_hours(3)));
        let text = d.to_string();
        assert!(text.contains("long wait (3h00m00s)"), "{text}");
        assert!(text.contains("waits as told"), "{text}");
        let short = Diagnosis::from_response(
            &ctx,
            Operation::CreateChannel,
            429,
            Some(Duration::from_secs(30)),
            b"",
        )
        .unwrap()
        .to_string();
        assert!(short.contains("300 requests a minute"), "{short}");
    }

    #[test]
    fn an_absurd_retry_after_is_capped() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_response(
            &ctx,
            Operation::GetUser,
            429,
            Some(Duration::from_hours(24 * 400)),
            b"",
        )
        .unwrap();
        assert_eq!(d.action(), Action::RetryAfter(MAX_RETRY_AFTER));
    }

    #[test]
    fn a_5xx_backs_off_unless_told_when_to_retry() {
        let d = user(Operation::CreateChannel, 502, "<html>Bad Gateway</html>");
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::ServerError, Action::Backoff)
        );
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_response(
            &ctx,
            Operation::CreateChannel,
            503,
            Some(Duration::from_secs(3)),
            b"",
        )
        .unwrap();
        assert_eq!(d.action(), Action::RetryAfter(Duration::from_secs(3)));
    }

    #[test]
    fn a_400_on_subscriptions_stops_and_says_topics_are_strings() {
        let d = user(
            Operation::PutSubscriptions,
            400,
            r#"{"code":"invalid.value","status":400}"#,
        );
        assert_eq!(d.action(), Action::Stop);
        assert_eq!(d.correction(), Some(Correction::TopicsAreStrings));
        assert!(d.to_string().contains("routingStatus"), "{d}");
    }

    #[test]
    fn an_unexpected_status_stops_and_says_so() {
        let d = user(Operation::GetUser, 418, "");
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::UnexpectedStatus, Action::Stop)
        );
        assert!(d.to_string().contains("(418)"), "{d}");
    }

    #[test]
    fn invalid_client_stops_and_suspects_a_client_from_another_region() {
        let d = token_endpoint(
            401,
            None,
            r#"{"error":"invalid_client","description":"client not found"}"#,
        );
        assert_eq!(
            d.problem(),
            Problem::TokenEndpoint(OAuthError::InvalidClient)
        );
        assert_eq!(d.action(), Action::Stop);
        let text = d.to_string();
        assert!(
            text.contains("login.mypurecloud.ie") && text.contains("eu-west-1"),
            "{text}"
        );
        assert!(text.contains("another region"), "{text}");
    }

    #[test]
    fn unauthorized_client_says_to_enable_the_grant_type() {
        let d = token_endpoint(400, None, r#"{"error":"unauthorized_client"}"#);
        assert_eq!(d.action(), Action::Stop);
        assert!(d.to_string().contains("grant type"), "{d}");
    }

    #[test]
    fn invalid_grant_says_to_log_in_again() {
        let d = token_endpoint(
            400,
            None,
            r#"{"error":"invalid_grant","description":"expired"}"#,
        );
        assert_eq!(
            d.problem(),
            Problem::TokenEndpoint(OAuthError::InvalidGrant)
        );
        assert!(d.to_string().contains("Log in again"), "{d}");
    }

    #[test]
    fn unsupported_grant_type_mentions_there_is_no_device_code_grant() {
        let d = token_endpoint(400, None, r#"{"error":"unsupported_grant_type"}"#);
        assert!(d.to_string().contains("no device-code grant"), "{d}");
    }

    #[test]
    fn invalid_scope_corrects_invented_scopes() {
        let d = token_endpoint(400, None, r#"{"error":"invalid_scope"}"#);
        assert_eq!(d.correction(), Some(Correction::ScopeIsNotifications));
        let d = token_endpoint(
            400,
            None,
            r#"{"error":"invalid_scope","description":"unknown scope webchat:read"}"#,
        );
        assert_eq!(d.correction(), Some(Correction::InventedScope));
    }

    #[test]
    fn a_login_service_outage_backs_off() {
        let d = token_endpoint(503, None, r#"{"error":"temporarily_unavailable"}"#);
        assert_eq!(d.action(), Action::Backoff);
        let d = token_endpoint(500, Some(Duration::from_secs(5)), "oops");
        assert_eq!(
            (d.problem(), d.action()),
            (
                Problem::ServerError,
                Action::RetryAfter(Duration::from_secs(5))
            )
        );
        let d = token_endpoint(429, None, "");
        assert_eq!(d.action(), Action::RetryAfter(DEFAULT_RETRY_AFTER));
    }

    #[test]
    fn a_bare_401_from_the_token_endpoint_is_read_as_invalid_client() {
        let d = token_endpoint(401, None, "");
        assert_eq!(
            d.problem(),
            Problem::TokenEndpoint(OAuthError::InvalidClient)
        );
    }

    #[test]
    fn an_unknown_oauth_error_keeps_its_code() {
        let d = token_endpoint(418, None, r#"{"error":"slow_down"}"#);
        assert_eq!(d.code(), Some("slow_down"));
        assert_eq!(d.action(), Action::Stop);
    }

    fn socket(result: u16, frame: &str) -> Diagnosis {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        Diagnosis::from_socket_reply(&ctx, result, frame.as_bytes()).expect("a failure")
    }

    #[test]
    fn a_socket_reply_404_recreates_the_channel() {
        let d = socket(404, r#"{"result":"404","message":"channel not found"}"#);
        assert_eq!(
            (d.step(), d.action()),
            (Step::Socket, Action::RecreateChannel)
        );
    }

    #[test]
    fn a_socket_reply_400_stops_and_says_topics_are_strings() {
        let d = socket(400, r#"{"result":"400","message":"Invalid topic"}"#);
        assert_eq!(d.action(), Action::Stop);
        assert_eq!(d.correction(), Some(Correction::TopicsAreStrings));
    }

    #[test]
    fn a_socket_reply_403_stops_and_names_what_it_can() {
        let d = socket(
            403,
            r#"{"result":"403","message":"Missing permissions [routing:queue:view]"}"#,
        );
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::Forbidden, Action::Stop)
        );
        assert_eq!(names(&d), ["routing:queue:view"]);
        assert!(
            d.to_string().contains("over the notification socket"),
            "{d}"
        );
    }

    #[test]
    fn a_socket_reply_5xx_backs_off() {
        assert_eq!(socket(500, r#"{"result":"500"}"#).action(), Action::Backoff);
    }

    #[test]
    fn a_refused_handshake_recreates_the_channel_and_says_no_token_is_needed() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        for status in [401, 403] {
            let d = Diagnosis::from_socket_handshake(&ctx, status);
            assert_eq!(d.action(), Action::RecreateChannel);
            assert_eq!(d.correction(), Some(Correction::SocketNeedsNoToken));
            assert!(d.to_string().contains("no ?access_token="), "{d}");
            assert!(d.to_string().contains("streaming.mypurecloud.ie"), "{d}");
        }
        let d = Diagnosis::from_socket_handshake(&ctx, 404);
        assert_eq!(
            (d.action(), d.correction()),
            (Action::RecreateChannel, None)
        );
        assert_eq!(
            Diagnosis::from_socket_handshake(&ctx, 502).action(),
            Action::Backoff
        );
    }

    #[test]
    fn rejected_topics_name_their_missing_permissions_and_the_first_topic() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let body = br#"{"entities":[
            {"id":"v2.users.u.presence","state":"Permitted"},
            {"id":"v2.routing.queues.q1.users","state":"Rejected","missingPermissions":["routing:queue:view"]},
            {"id":"v2.routing.queues.q2.users","state":"Rejected","missingPermissions":["routing:queue:view","analytics:queueObservation:view"]}]}"#;
        let results = SubscriptionResults::parse(body).unwrap();
        let d = Diagnosis::from_subscription_results(&ctx, Operation::PutSubscriptions, &results)
            .unwrap();
        assert_eq!(
            (d.problem(), d.action()),
            (Problem::TopicsRejected, Action::Stop)
        );
        assert_eq!(d.rejected_topic(), Some("v2.routing.queues.q1.users"));
        assert_eq!(
            names(&d),
            ["routing:queue:view", "analytics:queueObservation:view"]
        );
        let text = d.to_string();
        assert!(text.contains("rejected 2 topic(s)"), "{text}");
        assert!(text.contains("other topics are subscribed"), "{text}");
    }

    #[test]
    fn fully_permitted_subscriptions_need_no_diagnosis() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let results = SubscriptionResults::parse(
            br#"{"entities":[{"id":"v2.users.u.presence","state":"Permitted"}]}"#,
        )
        .unwrap();
        assert!(
            Diagnosis::from_subscription_results(&ctx, Operation::PutSubscriptions, &results)
                .is_none()
        );
    }

    #[test]
    fn transport_failures_back_off_and_name_the_host() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_transport(&ctx, Step::Request(Operation::Token), Transport::Dns);
        assert_eq!(d.action(), Action::Backoff);
        assert!(
            d.to_string()
                .contains("could not resolve login.mypurecloud.ie"),
            "{d}"
        );
        let d = Diagnosis::from_transport(&ctx, Step::SocketConnect, Transport::Tls);
        assert!(d.to_string().contains("clock"), "{d}");
        assert!(d.to_string().contains("streaming.mypurecloud.ie"), "{d}");
    }

    #[test]
    fn an_unreadable_success_reply_backs_off_and_names_the_field() {
        let env = ireland();
        let ctx = Context {
            environment: &env,
            token: TokenSource::UserLogin,
            reissued: false,
        };
        let d = Diagnosis::from_unreadable_reply(
            &ctx,
            Operation::CreateChannel,
            ResponseError::Field { name: "connectUri" },
        );
        assert_eq!(d.action(), Action::Backoff);
        assert!(d.to_string().contains("`connectUri`"), "{d}");
    }

    #[test]
    fn the_missing_list_is_bounded_and_says_there_is_more() {
        let many: Vec<String> = (0..10)
            .map(|i| std::format!("\"d{}:entity:view\"", (b'a' + i) as char))
            .collect();
        let body = std::format!(
            r#"{{"code":"missing.permissions","messageParams":{{"permissions":[{}]}}}}"#,
            many.join(",")
        );
        let d = user(Operation::PutSubscriptions, 403, &body);
        assert_eq!(d.missing().len(), MAX_MISSING);
        assert!(d.more_missing());
        assert!(d.to_string().contains(" and more"), "{d}");
        let long = "a".repeat(MAX_NAME_LEN) + ":b:c";
        let body = std::format!(r#"{{"messageParams":{{"permissions":"{long}"}}}}"#);
        let d = user(Operation::PutSubscriptions, 403, &body);
        assert!(d.missing().is_empty() && d.more_missing());
    }

    #[test]
    fn missing_permissions_and_scopes_together_say_where_each_goes() {
        let body =
            r#"{"messageParams":{"permissions":"routing:queue:view","scopes":"routing:readonly"}}"#;
        let d = user(Operation::PutSubscriptions, 403, body);
        let kinds: Vec<_> = d.missing().iter().map(Missing::kind).collect();
        assert_eq!(kinds, [MissingKind::Permission, MissingKind::Scope]);
        let text = d.to_string();
        assert!(
            text.contains("Missing: routing:queue:view, routing:readonly."),
            "{text}"
        );
        assert!(text.contains("allowed scopes"), "{text}");
    }

    #[test]
    fn duplicate_missing_names_are_listed_once() {
        let body = r#"{"messageParams":{"permissions":["a:b:c","A:B:C"]},"details":[{"permissions":"a:b:c"}]}"#;
        assert_eq!(
            names(&user(Operation::PutSubscriptions, 403, body)),
            ["a:b:c"]
        );
    }

    #[test]
    fn a_bad_request_quotes_what_genesys_said() {
        let body = r#"{"code":"invalid.value","message":"Topic v2.users.u.presense is not valid","status":400}"#;
        let d = user(Operation::PutSubscriptions, 400, body);
        assert!(
            d.to_string()
                .contains(r#"Genesys says: "Topic v2.users.u.presense is not valid""#),
            "{d}"
        );
        let d = user(Operation::GetUser, 400, body);
        assert!(d.to_string().contains("bug in this client"), "{d}");
        assert_eq!(d.correction(), None);
    }

    #[test]
    fn the_token_endpoint_description_is_quoted() {
        let d = token_endpoint(
            400,
            None,
            r#"{"error":"invalid_grant","description":"refresh token expired"}"#,
        );
        assert!(
            d.to_string()
                .contains(r#"Genesys says: "refresh token expired""#),
            "{d}"
        );
    }

    #[test]
    fn a_named_403_does_not_repeat_the_server_message() {
        let d = user(Operation::PutSubscriptions, 403, FORBIDDEN_PERMISSIONS);
        assert!(d.message().is_some());
        assert!(!d.to_string().contains("Genesys says"), "{d}");
    }

    #[test]
    fn long_messages_are_cut_at_a_character_and_control_characters_blanked() {
        let long = "é".repeat(MAX_MESSAGE_LEN);
        let d = user(
            Operation::GetUser,
            418,
            &std::format!(r#"{{"message":"a\nb {long}"}}"#),
        );
        let message = d.message().unwrap();
        assert!(message.starts_with("a b é"), "{message}");
        assert!(message.ends_with('…') && message.len() <= MAX_MESSAGE_LEN);
        let exact = "x".repeat(MAX_MESSAGE_LEN);
        let d = user(
            Operation::GetUser,
            418,
            &std::format!(r#"{{"message":"{exact}"}}"#),
        );
        assert_eq!(d.message(), Some(exact.as_str()));
    }

    #[test]
    fn an_overlong_code_is_not_stored() {
        let code = "x".repeat(MAX_CODE_LEN + 1);
        let d = user(
            Operation::GetUser,
            500,
            &std::format!(r#"{{"code":"{code}"}}"#),
        );
        assert_eq!(d.code(), None);
    }

    #[test]
    fn wrong_advice_is_recognised_in_what_a_user_tried() {
        let cases = [
            (
                "wss://streaming.mypurecloud.com/channels/x?access_token=abc",
                Correction::SocketNeedsNoToken,
            ),
            (
                "wss://api.mypurecloud.com/api/v2/notification/events",
                Correction::NoNotificationEventsEndpoint,
            ),
            (
                "GET /api/v2/analytics/events/realtime",
                Correction::NoRealtimeAnalyticsEndpoint,
            ),
            (
                "scopes: Notifications:Subscribe",
                Correction::ScopeIsNotifications,
            ),
            ("conversations:read", Correction::InventedScope),
            ("webchat:read users", Correction::InventedScope),
            ("users:write", Correction::InventedScope),
            (
                r#"{"eventType":"conversation","payloadFields":[]}"#,
                Correction::TopicsAreStrings,
            ),
            (r#"{"filters":[]}"#, Correction::TopicsAreStrings),
        ];
        for (text, want) in cases {
            assert_eq!(Correction::find_in(text), Some(want), "{text}");
        }
        for fine in [
            "notifications users:readonly",
            "/api/v2/notifications/channels",
            "",
        ] {
            assert_eq!(Correction::find_in(fine), None, "{fine}");
        }
    }

    #[test]
    fn a_correction_in_the_error_message_is_picked_up() {
        let body = r#"{"code":"bad.request","message":"Use /api/v2/notifications/channels, not /api/v2/notification/events"}"#;
        let d = user(Operation::CreateChannel, 400, body);
        assert_eq!(
            d.correction(),
            Some(Correction::NoNotificationEventsEndpoint)
        );
    }

    #[test]
    fn every_sentence_ends_with_what_the_client_does() {
        let d = user(Operation::PutSubscriptions, 403, FORBIDDEN_PERMISSIONS);
        let text = d.to_string();
        assert!(
            text.ends_with("Stopping: retrying would not help."),
            "{text}"
        );
        assert!(!text.contains("Some(") && !text.contains("{ "), "{text}");
    }

    #[test]
    fn a_diagnosis_outlives_the_reply_it_was_made_from() {
        let d = {
            let body = String::from(FORBIDDEN_PERMISSIONS);
            user(Operation::PutSubscriptions, 403, &body)
        };
        assert_eq!(d.missing().len(), 2);
        let copy = d.clone();
        assert_eq!(copy, d);
    }

    #[test]
    fn diagnoses_stay_small_enough_to_keep_in_a_session() {
        assert!(
            core::mem::size_of::<Diagnosis>() <= 1024,
            "{}",
            core::mem::size_of::<Diagnosis>()
        );
    }

    #[test]
    fn no_body_or_status_makes_diagnosis_panic() {
        let env = Environment::parse("http://127.0.0.1:8080").unwrap();
        let garbage: [&[u8]; 6] = [
            b"",
            b"\xff\xfe",
            b"[",
            b"{\"messageParams\":7}",
            b"{\"details\":[1,{\"permissions\":[1,null]}]}",
            b"{\"message\":\"[[[]]\"}",
        ];
        let statuses = [
            0,
            100,
            302,
            400,
            401,
            403,
            404,
            408,
            409,
            429,
            500,
            599,
            600,
            u16::MAX,
        ];
        let check = |body: &[u8], statuses: &[u16], ops: &[Operation]| {
            for token in [
                TokenSource::UserLogin,
                TokenSource::ClientCredentials,
                TokenSource::Static,
            ] {
                let ctx = Context {
                    environment: &env,
                    token,
                    reissued: true,
                };
                for &status in statuses {
                    for &op in ops {
                        if let Some(d) = Diagnosis::from_response(&ctx, op, status, None, body) {
                            assert!(!d.to_string().is_empty());
                        }
                    }
                    if let Some(d) = Diagnosis::from_socket_reply(&ctx, status, body) {
                        assert!(!d.to_string().is_empty());
                    }
                }
            }
        };
        for body in garbage {
            check(body, &statuses, &Operation::ALL);
        }
        let some_ops = [
            Operation::Token,
            Operation::PutSubscriptions,
            Operation::GetUser,
        ];
        for (_, body) in crate::test_vectors::ALL {
            check(body, &[400, 403, 404], &some_ops);
        }
    }

    #[test]
    fn retry_after_is_read_as_whole_seconds_only() {
        assert_eq!(parse_retry_after(b"30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(b" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(b"Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(b"-1"), None);
        assert_eq!(parse_retry_after(b"1.5"), None);
        assert_eq!(parse_retry_after(b""), None);
        assert_eq!(parse_retry_after(b"99999999999999999999999"), None);
    }

    #[test]
    fn actions_say_whether_the_client_retries() {
        assert!(Action::Backoff.is_retryable());
        assert!(Action::RecreateChannel.is_retryable());
        assert!(!Action::Stop.is_retryable());
        assert_eq!(
            Action::RetryAfter(Duration::from_secs(90)).to_string(),
            "Retrying in 1m30s."
        );
    }
}
