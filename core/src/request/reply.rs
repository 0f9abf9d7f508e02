//! The replies: every body a REST call or the token endpoint answers with, read into borrowed,
//! typed values. Unknown fields are ignored, unknown enum values become `Unknown`, nothing is
//! copied; a body that is not what Genesys sends is a [`ResponseError`].

use core::fmt;

use crate::json::{self, Array, Object, Str, Value};
use crate::secret::Secret;
use crate::time::Duration;

/// Why a reply body could not be read as the type the operation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is not JSON. Treat it like a server error: back off and retry; if it
    /// persists, something between the client and Genesys (a proxy, a captive portal) is
    /// answering instead of Genesys.
    Json(json::Error),
    /// The body is JSON but not the expected kind of value (`expected` names it, e.g.
    /// "an object"). Treat it like a server error: back off and retry.
    Shape {
        /// What the body should have been.
        expected: &'static str,
    },
    /// A field the reply must have is missing, has the wrong type, or (for credentials) is
    /// written with JSON escapes the core does not decode in place. Back off and retry; report
    /// it if it persists.
    Field {
        /// The field's name as Genesys spells it.
        name: &'static str,
    },
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Json(e) => write!(
                f,
                "the reply is not JSON ({e}); something other than Genesys may be answering (a proxy or captive portal)"
            ),
            ResponseError::Shape { expected } => {
                write!(f, "the reply is JSON but not {expected} as Genesys sends")
            }
            ResponseError::Field { name } => {
                write!(f, "the reply lacks a usable `{name}` field")
            }
        }
    }
}

impl core::error::Error for ResponseError {}

impl From<json::Error> for ResponseError {
    fn from(e: json::Error) -> Self {
        ResponseError::Json(e)
    }
}

fn parse_object(body: &[u8]) -> Result<Object<'_>, ResponseError> {
    json::parse(body)?.as_object().ok_or(ResponseError::Shape {
        expected: "an object",
    })
}

fn str_field<'a>(o: &Object<'a>, name: &str) -> Option<Str<'a>> {
    o.get(name).and_then(|v| v.as_str())
}

fn required_str<'a>(o: &Object<'a>, name: &'static str) -> Result<Str<'a>, ResponseError> {
    str_field(o, name).ok_or(ResponseError::Field { name })
}

fn bool_field(o: &Object<'_>, name: &str) -> Option<bool> {
    o.get(name).and_then(|v| v.as_bool())
}

/// The `entities` array of a Genesys listing; a bare array is accepted as well.
fn entities(body: &[u8]) -> Result<Array<'_>, ResponseError> {
    match json::parse(body)? {
        Value::Array(a) => Ok(a),
        Value::Object(o) => o
            .get("entities")
            .and_then(|v| v.as_array())
            .ok_or(ResponseError::Field { name: "entities" }),
        _ => Err(ResponseError::Shape {
            expected: "a listing",
        }),
    }
}

/// A notification channel: the reply of [`create_channel`](super::create_channel), and each entry of a [`ChannelList`].
///
/// The strings borrow the reply; decode them ([`Str::to_heapless`]) to keep them. Check
/// `connect_uri` with
/// [`Environment::check_connect_uri`](crate::region::Environment::check_connect_uri) before
/// connecting to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel<'a> {
    /// Where to open the socket: `wss://streaming.{domain}/channels/{id}`.
    pub connect_uri: Str<'a>,
    /// The channel id: an opaque string such as `streaming-2-aa5h48uk0srhpugh2994klj918`, not a UUID.
    pub id: Str<'a>,
    /// When the channel expires (ISO 8601, about 24 hours after creation or the last subscribe).
    ///
    /// Kept as text: the core has no wall clock, and renews on its own monotonic deadline.
    pub expires: Option<Str<'a>>,
}

impl<'a> Channel<'a> {
    /// Parses the reply of `POST /api/v2/notifications/channels`.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        Self::from_object(&parse_object(body)?)
    }

    fn from_object(o: &Object<'a>) -> Result<Self, ResponseError> {
        Ok(Channel {
            connect_uri: required_str(o, "connectUri")?,
            id: required_str(o, "id")?,
            expires: str_field(o, "expires"),
        })
    }
}

/// The reply of [`list_channels`](super::list_channels): `{"entities":[channel, …]}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelList<'a> {
    entities: Array<'a>,
}

impl<'a> ChannelList<'a> {
    /// Parses the reply of `GET /api/v2/notifications/channels`.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        Ok(ChannelList {
            entities: entities(body)?,
        })
    }

    /// The channels; entries without an id or connect URI are skipped.
    pub fn iter(&self) -> impl Iterator<Item = Channel<'a>> + use<'a> {
        self.entities
            .iter()
            .filter_map(|v| Channel::from_object(&v.as_object()?).ok())
    }
}

/// The reply of the token endpoint.
///
/// `Debug` never prints the tokens: they are [`Secret`]s.
#[derive(Clone, Copy, Debug)]
pub struct TokenResponse<'a> {
    /// The bearer token for REST calls.
    pub access_token: Secret<&'a str>,
    /// How long the token is valid from when it was issued, if the server said.
    pub expires_in: Option<Duration>,
    /// A refresh token (authorization-code grants only).
    pub refresh_token: Option<Secret<&'a str>>,
    /// `token_type`, normally `bearer`.
    pub token_type: Option<Str<'a>>,
}

impl<'a> TokenResponse<'a> {
    /// Parses the reply of `POST /oauth/token`.
    ///
    /// Tokens are taken as written; one written with JSON escapes (never seen: tokens are
    /// URL-safe text) is reported as [`ResponseError::Field`] rather than copied.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        let o = parse_object(body)?;
        let plain = |name: &'static str| -> Result<Option<Secret<&'a str>>, ResponseError> {
            match o.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_str()
                    .and_then(|s| s.as_plain())
                    .filter(|t| !t.is_empty())
                    .map(|t| Some(Secret::new(t)))
                    .ok_or(ResponseError::Field { name }),
            }
        };
        Ok(TokenResponse {
            access_token: plain("access_token")?.ok_or(ResponseError::Field {
                name: "access_token",
            })?,
            expires_in: o
                .get("expires_in")
                .and_then(|v| v.as_u64())
                .map(Duration::from_secs),
            refresh_token: plain("refresh_token")?,
            token_type: str_field(&o, "token_type"),
        })
    }
}

/// Whether Genesys permitted a topic (the per-topic `state` of an `ignoreErrors=true` reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TopicState {
    /// The channel is subscribed to the topic.
    Permitted,
    /// The topic was refused; `missing_permissions` says why.
    Rejected,
    /// A state this version does not know.
    Unknown,
}

/// One topic of a [`SubscriptionResults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicResult<'a> {
    /// The topic as Genesys lists it.
    pub id: Str<'a>,
    /// The state, when the reply reports one (replies to `ignoreErrors=true` do).
    pub state: Option<TopicState>,
    /// Genesys' reason for a rejection, if given.
    pub rejection_reason: Option<Str<'a>>,
    missing_permissions: Option<Array<'a>>,
}

impl<'a> TopicResult<'a> {
    /// The permissions the token's user (or client) lacks for this topic.
    pub fn missing_permissions(&self) -> impl Iterator<Item = Str<'a>> + use<'a> {
        self.missing_permissions
            .into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|v| v.as_str())
    }

    /// Whether the topic was refused: state `Rejected`, or any permission reported missing.
    pub fn is_rejected(&self) -> bool {
        self.state == Some(TopicState::Rejected) || self.missing_permissions().next().is_some()
    }
}

/// The reply of the subscription operations: the channel's topics, each with its state.
///
/// Sent with `ignoreErrors=true` ([`put_subscriptions`](super::put_subscriptions)), a forbidden topic does not fail the
/// request; it comes back here as rejected, naming the permissions that are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionResults<'a> {
    entities: Array<'a>,
}

impl<'a> SubscriptionResults<'a> {
    /// Parses `{"entities":[{"id","state","missingPermissions",…}, …]}` (a bare array too).
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        Ok(SubscriptionResults {
            entities: entities(body)?,
        })
    }

    /// Every topic in the reply; entries without an id are skipped.
    pub fn iter(&self) -> impl Iterator<Item = TopicResult<'a>> + use<'a> {
        self.entities.iter().filter_map(|v| {
            let o = v.as_object()?;
            Some(TopicResult {
                id: str_field(&o, "id")?,
                state: str_field(&o, "state").map(|s| {
                    if s.eq_ignore_ascii_case("Permitted") {
                        TopicState::Permitted
                    } else if s.eq_ignore_ascii_case("Rejected") {
                        TopicState::Rejected
                    } else {
                        TopicState::Unknown
                    }
                }),
                rejection_reason: str_field(&o, "rejectionReason"),
                missing_permissions: o.get("missingPermissions").and_then(|v| v.as_array()),
            })
        })
    }

    /// The topics Genesys refused.
    pub fn rejected(&self) -> impl Iterator<Item = TopicResult<'a>> + use<'a> {
        self.iter().filter(TopicResult::is_rejected)
    }
}

/// An `{id, name}` reference inside a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityRef<'a> {
    /// The entity's id.
    pub id: Option<Str<'a>>,
    /// Its display name.
    pub name: Option<Str<'a>>,
}

impl<'a> EntityRef<'a> {
    fn field(o: &Object<'a>, name: &str) -> Option<Self> {
        let e = o.get(name)?.as_object()?;
        Some(EntityRef {
            id: str_field(&e, "id"),
            name: str_field(&e, "name"),
        })
    }
}

/// The reply of [`tokens_me`](super::tokens_me): who the token belongs to and what it may do.
///
/// Tokens are opaque; this endpoint, not a decoded JWT, is the way to learn their scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInfo<'a> {
    /// The organisation the token acts in.
    pub organization: Option<EntityRef<'a>>,
    /// The organisation the user belongs to (differs for cross-org access).
    pub home_organization: Option<EntityRef<'a>>,
    /// The OAuth client that issued the token (`OAuthClient`, capital OAuth).
    pub oauth_client: Option<EntityRef<'a>>,
    /// The user a cloned token stands for, if any.
    pub cloned_user: Option<EntityRef<'a>>,
    /// When the token expires for inactivity (HIPAA orgs idle-expire tokens), ISO 8601.
    pub date_token_idles: Option<Str<'a>>,
    /// `authorizedScope`: the scopes granted to a user-context token. Absent for
    /// client-credentials tokens, whose access roles and permissions govern instead.
    pub authorized_scope: Option<Array<'a>>,
}

impl<'a> TokenInfo<'a> {
    /// Parses the reply of `GET /api/v2/tokens/me`.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        let o = parse_object(body)?;
        Ok(TokenInfo {
            organization: EntityRef::field(&o, "organization"),
            home_organization: EntityRef::field(&o, "homeOrganization"),
            oauth_client: EntityRef::field(&o, "OAuthClient")
                .or_else(|| EntityRef::field(&o, "oauthClient")),
            cloned_user: EntityRef::field(&o, "clonedUser"),
            date_token_idles: str_field(&o, "dateTokenIdles"),
            authorized_scope: o.get("authorizedScope").and_then(|v| v.as_array()),
        })
    }
}

/// Whether a topic template is generally available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Visibility {
    /// Generally available.
    Public,
    /// A preview topic: may change or disappear.
    Preview,
    /// A value this version does not know.
    Unknown,
}

/// One entry of [`AvailableTopics`]: a topic template and what it takes to subscribe to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicTemplate<'a> {
    /// The template, e.g. `v2.users.{id}.presence`.
    pub id: Str<'a>,
    /// Whether the template requires the permissions it lists (`enforced`).
    pub enforced: Option<bool>,
    /// Whether only the token's own user may be named in the topic.
    pub requires_current_user: Option<bool>,
    /// Whether the token's own user, or anyone with the listed permissions, may be named.
    pub requires_current_user_or_permission: Option<bool>,
    /// Public or preview.
    pub visibility: Option<Visibility>,
    requires_permissions: Option<Array<'a>>,
    /// `permissionDetails`: `[{type, permissions, allowsCurrentUser, enforced}]`, as raw JSON.
    pub permission_details: Option<Array<'a>>,
}

impl<'a> TopicTemplate<'a> {
    /// The permissions the template lists in `requiresPermissions`.
    pub fn requires_permissions(&self) -> impl Iterator<Item = Str<'a>> + use<'a> {
        self.requires_permissions
            .into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|v| v.as_str())
    }
}

/// The reply of [`available_topics`](super::available_topics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvailableTopics<'a> {
    entities: Array<'a>,
}

impl<'a> AvailableTopics<'a> {
    /// Parses `{"entities":[{"id":"v2.users.{id}.presence", …}, …]}`.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        Ok(AvailableTopics {
            entities: entities(body)?,
        })
    }

    /// Every template; entries without an id are skipped.
    pub fn iter(&self) -> impl Iterator<Item = TopicTemplate<'a>> + use<'a> {
        self.entities.iter().filter_map(|v| {
            let o = v.as_object()?;
            Some(TopicTemplate {
                id: str_field(&o, "id")?,
                enforced: bool_field(&o, "enforced"),
                requires_current_user: bool_field(&o, "requiresCurrentUser"),
                requires_current_user_or_permission: bool_field(
                    &o,
                    "requiresCurrentUserOrPermission",
                ),
                visibility: str_field(&o, "visibility").map(|s| {
                    if s.eq_ignore_ascii_case("Public") {
                        Visibility::Public
                    } else if s.eq_ignore_ascii_case("Preview") {
                        Visibility::Preview
                    } else {
                        Visibility::Unknown
                    }
                }),
                requires_permissions: o.get("requiresPermissions").and_then(|v| v.as_array()),
                permission_details: o.get("permissionDetails").and_then(|v| v.as_array()),
            })
        })
    }

    /// The template named exactly `id` (`v2.users.{id}.presence`).
    pub fn find(&self, id: &str) -> Option<TopicTemplate<'a>> {
        self.iter().find(|t| t.id.eq_str(id))
    }
}

/// The rate limit a 429 reply names (`limit: {key, namespace, value}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit<'a> {
    /// The limit's key, e.g. `token.rate.per.minute`.
    pub key: Option<Str<'a>>,
    /// Its namespace, e.g. `platform.api`.
    pub namespace: Option<Str<'a>>,
    /// Its value.
    pub value: Option<u64>,
}

/// The error body every Genesys REST endpoint returns.
///
/// `{"message","code","status","messageParams","messageWithParams","contextId","details",
/// "errors","limit"}`; every field is optional here because reality varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiError<'a> {
    /// A sentence for people.
    pub message: Option<Str<'a>>,
    /// The machine-readable code (`missing.permissions`, `not.found`, …).
    pub code: Option<Str<'a>>,
    /// The HTTP status the body repeats.
    pub status: Option<u16>,
    /// The values substituted into `message` (often the missing permissions).
    pub message_params: Option<Object<'a>>,
    /// The message with its parameters substituted.
    pub message_with_params: Option<Str<'a>>,
    /// Genesys' id of the request, for support cases.
    pub context_id: Option<Str<'a>>,
    /// Further details, as raw JSON.
    pub details: Option<Array<'a>>,
    /// Nested errors, as raw JSON.
    pub errors: Option<Array<'a>>,
    /// The limit a 429 hit.
    pub limit: Option<Limit<'a>>,
}

impl<'a> ApiError<'a> {
    /// Parses a Genesys error body.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        let o = parse_object(body)?;
        Ok(ApiError {
            message: str_field(&o, "message"),
            code: str_field(&o, "code"),
            status: o
                .get("status")
                .and_then(|v| v.as_u64())
                .and_then(|n| u16::try_from(n).ok()),
            message_params: o.get("messageParams").and_then(|v| v.as_object()),
            message_with_params: str_field(&o, "messageWithParams"),
            context_id: str_field(&o, "contextId"),
            details: o.get("details").and_then(|v| v.as_array()),
            errors: o.get("errors").and_then(|v| v.as_array()),
            limit: o.get("limit").and_then(|v| v.as_object()).map(|l| Limit {
                key: str_field(&l, "key"),
                namespace: str_field(&l, "namespace"),
                value: l.get("value").and_then(|v| v.as_u64()),
            }),
        })
    }
}

/// The `error` code of a token-endpoint failure (RFC 6749 §5.2, as Genesys uses it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OAuthError {
    /// `invalid_request`: the request is malformed.
    InvalidRequest,
    /// `invalid_client`: unknown client id, wrong secret, or a client of another region.
    InvalidClient,
    /// `invalid_grant`: the refresh token (or code) is expired, revoked or not this client's.
    InvalidGrant,
    /// `unauthorized_client`: the OAuth client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not know the grant type.
    UnsupportedGrantType,
    /// `invalid_scope`: a requested scope is unknown or not allowed for the client.
    InvalidScope,
    /// `access_denied`: the user or the organisation refused.
    AccessDenied,
    /// `server_error`: the OAuth server failed.
    ServerError,
    /// `temporarily_unavailable`: the OAuth server is overloaded or in maintenance.
    TemporarilyUnavailable,
    /// A code this version does not know.
    Other,
}

impl OAuthError {
    /// Reads an `error` code; unknown codes are [`OAuthError::Other`].
    pub fn from_code(code: Str<'_>) -> Self {
        const CODES: [(&str, OAuthError); 9] = [
            ("invalid_request", OAuthError::InvalidRequest),
            ("invalid_client", OAuthError::InvalidClient),
            ("invalid_grant", OAuthError::InvalidGrant),
            ("unauthorized_client", OAuthError::UnauthorizedClient),
            ("unsupported_grant_type", OAuthError::UnsupportedGrantType),
            ("invalid_scope", OAuthError::InvalidScope),
            ("access_denied", OAuthError::AccessDenied),
            ("server_error", OAuthError::ServerError),
            (
                "temporarily_unavailable",
                OAuthError::TemporarilyUnavailable,
            ),
        ];
        CODES
            .iter()
            .find(|(text, _)| code.eq_ignore_ascii_case(text))
            .map_or(OAuthError::Other, |(_, e)| *e)
    }
}

/// The error body of the token endpoint: `{"error": "...", "description": "..."}`.
///
/// Genesys writes `description`; the RFC's `error_description` is read too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenError<'a> {
    /// The error, classified.
    pub error: OAuthError,
    /// The `error` code as written (useful when it is [`OAuthError::Other`]).
    pub code: Str<'a>,
    /// The server's explanation.
    pub description: Option<Str<'a>>,
}

impl<'a> TokenError<'a> {
    /// Parses a token-endpoint error body; [`ResponseError::Field`] if it has no `error`.
    pub fn parse(body: &'a [u8]) -> Result<Self, ResponseError> {
        let o = parse_object(body)?;
        let code = required_str(&o, "error")?;
        Ok(TokenError {
            error: OAuthError::from_code(code),
            code,
            description: str_field(&o, "description")
                .or_else(|| str_field(&o, "error_description")),
        })
    }
}
