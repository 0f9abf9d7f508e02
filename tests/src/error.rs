//! Error bodies the simulator answers with, and the errors its own API returns.
//!
//! Genesys has two error shapes and a client must handle both: the API error body
//! (`message, code, status, messageParams, contextId, details, errors`, plus the
//! `ININ-Correlation-Id` header) everywhere under `/api/v2`, and the OAuth shape
//! (`{"error","description"}`) at the token endpoint.

use std::fmt;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

/// The header carrying the request's correlation id on every REST response.
pub const CORRELATION_HEADER: &str = "ININ-Correlation-Id";

/// A Genesys API error response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) params: Vec<(&'static str, Value)>,
    pub(crate) retry_after: Option<u32>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            params: Vec::new(),
            retry_after: None,
        }
    }

    pub(crate) fn param(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.params.push((key, value.into()));
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", message)
    }

    pub(crate) fn too_many_requests(retry_after: u32) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            format!(
                "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
            ),
        )
        .param("retryAfterSeconds", retry_after);
        e.retry_after = Some(retry_after);
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let context_id = uuid::Uuid::new_v4().to_string();
        let params: Map<String, Value> = self
            .params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let body = json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "messageParams": params,
            "messageWithParams": self.message,
            "contextId": context_id,
            "details": [],
            "errors": [],
        });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&context_id) {
            headers.insert(CORRELATION_HEADER, value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An error at the token endpoint, in the OAuth shape `{"error","description"}`.
#[derive(Debug, Clone)]
pub(crate) struct TokenEndpointError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
    pub(crate) retry_after: Option<u32>,
}

impl TokenEndpointError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for TokenEndpointError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.error, "description": self.description})),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Why the simulator could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be bound. Pick another port, or use port 0 (the default).
    Bind(std::io::Error),
    /// The test certificate authority or the server certificate could not be made. This is a bug
    /// in the simulator or its TLS dependencies; report it.
    Tls(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(e) => write!(
                f,
                "could not listen on 127.0.0.1: {e}; choose another port or port 0"
            ),
            Self::Tls(e) => write!(f, "could not create the test TLS certificates: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(e) => Some(e),
            Self::Tls(_) => None,
        }
    }
}
