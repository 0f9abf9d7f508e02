//! The login endpoint and the checks every REST request goes through.
//!
//! Two layers, as on the real service: the *token* (401 with `authentication.required`,
//! `bad.credentials` or `credentials.expired`) and then, for user-context tokens only, the
//! *scopes* granted to the OAuth client. Permissions are checked per topic (see `topic`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, StatusCode, header};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;
use tokio::time::Instant;

use crate::error::{ApiError, TokenEndpointError};
use crate::org::{Grant, OAuthClient, scope_covers};
use crate::state::{Principal, Shared, State as World, TokenRecord};

/// Length of issued access and refresh tokens (Genesys' are opaque strings of similar size).
const TOKEN_LEN: usize = 64;
/// Length of one-time authorization codes (short-lived, so shorter than tokens).
pub(crate) const CODE_LEN: usize = 32;

pub(crate) fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Issues an access token for a client (and, for code-grant clients, its user).
pub(crate) fn issue(
    state: &mut World,
    client: &OAuthClient,
    default_lifetime: Duration,
) -> Option<(String, Duration)> {
    let (user_id, scopes, permissions) = match &client.grant {
        Grant::ClientCredentials => (None, Vec::new(), state.org.client_permissions(client)),
        Grant::AuthorizationCode { user_id } => {
            let user = state.org.find_user(user_id)?;
            (
                Some(user_id.clone()),
                client.scopes.clone(),
                state.org.user_permissions(user),
            )
        }
    };
    let lifetime = client.token_lifetime.unwrap_or(default_lifetime);
    let token = random_string(TOKEN_LEN);
    state.tokens.insert(
        token.clone(),
        TokenRecord {
            principal: Principal {
                token: token.clone(),
                client_id: client.id.clone(),
                user_id,
                scopes,
                permissions,
                scopes_enforced: false,
            },
            expires_at: Instant::now() + lifetime,
            revoked: false,
        },
    );
    Some((token, lifetime))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    match grant(&shared, &headers, form) {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

fn grant(
    shared: &Shared,
    headers: &HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<serde_json::Value, TokenEndpointError> {
    let Form(form) = form.map_err(|_| {
        TokenEndpointError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        )
    })?;
    let (client_id, secret) = basic_credentials(headers).ok_or_else(|| {
        TokenEndpointError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client credentials are required in HTTP Basic authentication",
        )
    })?;
    let mut state = shared.lock();
    let client = state
        .org
        .find_client(&client_id)
        .filter(|c| c.secret == secret)
        .cloned()
        .ok_or_else(|| {
            TokenEndpointError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client not found",
            )
        })?;
    let grant_type = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    let wrong_grant = || {
        TokenEndpointError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("client is not authorized for grant type {grant_type}"),
        )
    };
    let invalid_grant = |what: &str| {
        TokenEndpointError::new(StatusCode::BAD_REQUEST, "invalid_grant", what.to_owned())
    };
    let mut refresh = None;
    match grant_type {
        "client_credentials" => {
            if client.grant != Grant::ClientCredentials {
                return Err(wrong_grant());
            }
        }
        "authorization_code" | "refresh_token" => {
            if !matches!(client.grant, Grant::AuthorizationCode { .. }) {
                return Err(wrong_grant());
            }
            let (map, key) = if grant_type == "refresh_token" {
                (&mut state.refresh_tokens, "refresh_token")
            } else {
                (&mut state.auth_codes, "code")
            };
            let presented = form
                .get(key)
                .ok_or_else(|| invalid_grant("missing grant"))?;
            if map.get(presented) != Some(&client.id) {
                return Err(invalid_grant("invalid or expired grant"));
            }
            if grant_type == "authorization_code" {
                map.remove(presented);
                let fresh = random_string(TOKEN_LEN);
                state
                    .refresh_tokens
                    .insert(fresh.clone(), client.id.clone());
                refresh = Some(fresh);
            } else {
                refresh = Some(presented.clone());
            }
        }
        "" => {
            return Err(TokenEndpointError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ));
        }
        other => {
            return Err(TokenEndpointError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant type {other} is not supported"),
            ));
        }
    }
    let (token, lifetime) = issue(&mut state, &client, shared.timing.token_lifetime)
        .ok_or_else(|| invalid_grant("the client's user does not exist"))?;
    let mut body = json!({
        "access_token": token,
        "token_type": "bearer",
        // Whole seconds, rounded up: a sub-second test lifetime must not read as "already expired".
        "expires_in": lifetime.as_millis().div_ceil(1000),
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    Ok(body)
}

/// Checks the bearer token of a REST request.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            )
        })?;
    let state = shared.lock();
    let record = state
        .tokens
        .get(token)
        .filter(|t| !t.revoked)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad.credentials",
                "Invalid login credentials.",
            )
        })?;
    if record.expires_at <= Instant::now() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "credentials.expired",
            "The supplied credentials are expired and cannot be used.",
        ));
    }
    let mut principal = record.principal.clone();
    principal.scopes_enforced = state.org.enforce_scopes;
    Ok(principal)
}

/// For user-context tokens in an organisation that enforces scopes, checks that one of `any_of`
/// is granted (`X` covers `X:readonly`). Client-credentials tokens have no scopes and are not
/// scope-checked; neither is anything in an organisation that has not turned enforcement on.
pub(crate) fn require_scope(principal: &Principal, any_of: &[&str]) -> Result<(), ApiError> {
    if !principal.scopes_enforced
        || principal.user_id.is_none()
        || any_of.iter().any(|s| scope_covers(&principal.scopes, s))
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "not.authorized",
        format!(
            "This application is not authorized to use the requested resource; it needs one of the scopes [{}]",
            any_of.join(", ")
        ),
    )
    .param("scopes", any_of.join(", ")))
}

/// The user of a user-context token; client-credentials tokens have none.
pub(crate) fn require_user(principal: &Principal) -> Result<String, ApiError> {
    principal.user_id.clone().ok_or_else(|| {
        ApiError::bad_request(
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        )
    })
}
