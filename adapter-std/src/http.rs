//! REST: the core's request descriptions, performed with `reqwest`.
//!
//! The core describes every REST call as a [`Request`] (method, service, path and query, body,
//! and *which* credential the `Authorization` header carries). This module is the other half:
//! it copies that description out of the core's buffer ([`HttpRequest::from_core`]), so it can
//! be sent from another task, and performs it. The credential itself is supplied by the caller
//! at send time as a [`SecretString`] header value and set as a *sensitive* header, which keeps
//! it out of `reqwest`'s and `hyper`'s debug output; it never appears in a URL.
//!
//! What comes back is only what the core asks for: the status, `Retry-After`, the
//! `ININ-Correlation-Id` for people reading logs, and the body, read up to
//! [`MAX_RESPONSE_LEN`] so a misbehaving server cannot make the client buffer without limit.
//! Redirects are not followed: no Genesys endpoint redirects, and following one would carry a
//! bearer token to a host the configuration did not name.

use std::fmt;
use std::time::Duration;

use genesys_notify_core::diagnosis::{self, Transport};
use genesys_notify_core::region::Environment;
use genesys_notify_core::request::{self, Auth, ContentType, Method, Operation, Request};
use genesys_notify_core::secret::Secret;

use crate::SecretString;
use crate::tls;

/// The largest response body read, in bytes.
///
/// The biggest reply the project asks for is `availabletopics` with every topic's permission
/// details (a few hundred KB for a large org); 4 MiB leaves room and still bounds memory.
pub const MAX_RESPONSE_LEN: usize = 4 * 1024 * 1024;

/// How long one request may take, connection included.
///
/// Genesys answers in well under a second; 30 s is long enough for a slow network and short
/// enough that a hung request does not stall a reconnect for minutes.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long establishing the TCP and TLS connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `User-Agent` sent with every request, so Genesys support can tell this client apart.
pub const USER_AGENT: &str = concat!("genesys-notify/", env!("CARGO_PKG_VERSION"));

/// A REST client bound to one [`Environment`]: it resolves the core's services to URLs there.
///
/// Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    environment: Environment,
}

/// One request, copied out of the core's buffer so it can be sent from any task.
///
/// `Debug` prints the method, URL and body length, never the body: a token-endpoint body holds
/// the refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    operation: Operation,
    method: Method,
    url: String,
    body: Option<(Vec<u8>, ContentType)>,
    auth: Auth,
}

/// The parts of a response the core reads.
///
/// `Debug` prints the body's length, never the body: a token-endpoint reply carries a token.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// `Retry-After` in whole seconds, if the server sent one (Genesys sends it with 429).
    pub retry_after: Option<Duration>,
    /// `ININ-Correlation-Id`: quote it to Genesys support when a call fails unexpectedly.
    pub correlation_id: Option<String>,
    /// The body, at most [`MAX_RESPONSE_LEN`] bytes.
    pub body: Vec<u8>,
}

/// Why a request got no HTTP response at all.
///
/// Every variant is worth a retry with backoff; the session decides (it is told through
/// `handle_request_failed`).
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection could not be made (DNS, TCP, TLS): check the network and the environment.
    Connect(reqwest::Error),
    /// No complete answer within [`REQUEST_TIMEOUT`]: the network or the server is slow.
    Timeout,
    /// The body was longer than [`MAX_RESPONSE_LEN`]: the server is misbehaving; it was dropped.
    TooLarge,
    /// Any other failure while sending or receiving.
    Other(reqwest::Error),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Connect(e) => write!(
                f,
                "could not connect ({e}); check the network and that the environment is right"
            ),
            TransportError::Timeout => write!(
                f,
                "no answer within {}s; the network or Genesys is slow, it will be retried",
                REQUEST_TIMEOUT.as_secs()
            ),
            TransportError::TooLarge => write!(
                f,
                "the response was larger than {MAX_RESPONSE_LEN} bytes and was dropped"
            ),
            TransportError::Other(e) => write!(f, "the request failed ({e})"),
        }
    }
}

impl std::error::Error for TransportError {}

impl TransportError {
    /// The kind of failure, as the core's diagnosis classifies network failures.
    pub fn kind(&self) -> Transport {
        match self {
            TransportError::Timeout => Transport::Timeout,
            TransportError::TooLarge => Transport::Other,
            TransportError::Connect(e) | TransportError::Other(e) => classify_source(e),
        }
    }
}

/// Looks through an error's causes for what failed: a TLS error, a DNS failure, a reset.
fn classify_source(error: &(dyn std::error::Error + 'static)) -> Transport {
    let mut source = Some(error);
    let mut connect = false;
    while let Some(e) = source {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return Transport::Tls;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if tls::is_tls_failure(io) {
                return Transport::Tls;
            }
            use std::io::ErrorKind;
            match io.kind() {
                ErrorKind::ConnectionRefused => connect = true,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
                | ErrorKind::BrokenPipe => return Transport::Closed,
                ErrorKind::TimedOut => return Transport::Timeout,
                _ => {}
            }
        }
        // hyper-util reports resolver failures as a "dns error" without a public type.
        if e.to_string().contains("dns error") {
            return Transport::Dns;
        }
        if let Some(r) = e.downcast_ref::<reqwest::Error>()
            && r.is_connect()
        {
            connect = true;
        }
        source = e.source();
    }
    if connect {
        Transport::Connect
    } else {
        Transport::Other
    }
}

/// The `Authorization` value for REST calls, `Bearer <token>`, written by the core's
/// [`request::bearer_authorization`] and kept secret.
pub fn bearer(access_token: &SecretString) -> SecretString {
    let mut buf = vec![0u8; access_token.expose_secret().len() + BEARER_PREFIX_LEN];
    match request::bearer_authorization(access_token, &mut buf) {
        Ok(value) => Secret::new(value.expose_secret().to_owned()),
        // Unreachable with the buffer sized above; an empty header then fails as a 401.
        Err(_) => Secret::new(String::new()),
    }
}

/// `"Bearer "`.
const BEARER_PREFIX_LEN: usize = 7;

/// Why an [`HttpClient`] could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum HttpClientError {
    /// TLS could not be set up: the build is broken, report it.
    Tls(tls::TlsConfigError),
    /// `reqwest` refused the configuration: the build is broken, report it.
    Client(reqwest::Error),
}

impl fmt::Display for HttpClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpClientError::Tls(e) => e.fmt(f),
            HttpClientError::Client(e) => write!(f, "could not set up the HTTP client ({e})"),
        }
    }
}

impl std::error::Error for HttpClientError {}

impl HttpClient {
    /// A client for `environment`, with TLS from [`tls::client_config`].
    pub fn new(environment: Environment) -> Result<Self, HttpClientError> {
        let tls = tls::client_config().map_err(HttpClientError::Tls)?;
        Self::with_tls(environment, &tls)
    }

    /// A client for `environment` verifying servers with `tls` (a private CA, a test server).
    pub fn with_tls(
        environment: Environment,
        tls: &rustls::ClientConfig,
    ) -> Result<Self, HttpClientError> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .build()
            .map_err(HttpClientError::Client)?;
        Ok(Self {
            client,
            environment,
        })
    }

    /// The environment requests go to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Copies a core request into an owned one, resolving its service to a URL.
    pub fn prepare(&self, request: &Request<'_>) -> HttpRequest {
        HttpRequest::from_core(&self.environment, request)
    }

    /// Performs `request`, with `authorization` as the `Authorization` header value when the
    /// request asks for one (`Bearer …` or `Basic …`, e.g. from
    /// [`genesys_notify_core::request::bearer_authorization`]).
    pub async fn send(
        &self,
        request: &HttpRequest,
        authorization: Option<&SecretString>,
    ) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(method, &request.url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some((body, content_type)) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                .body(body.clone());
        }
        if request.auth != Auth::None
            && let Some(value) = authorization
            && let Ok(mut header) = reqwest::header::HeaderValue::from_str(value.expose_secret())
        {
            header.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, header);
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| diagnosis::parse_retry_after(v.as_bytes()))
            .map(Duration::from);
        let correlation_id = headers
            .get("ININ-Correlation-Id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_LEN {
                return Err(TransportError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            retry_after,
            correlation_id,
            body,
        })
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(e)
    } else {
        TransportError::Other(e)
    }
}

impl HttpRequest {
    /// Copies `request` out of the core's buffer; the URL is the environment's origin for the
    /// request's service followed by its path and query.
    pub fn from_core(environment: &Environment, request: &Request<'_>) -> Self {
        Self {
            operation: request.operation,
            method: request.method,
            url: format!(
                "{}{}",
                environment.origin(request.service),
                request.path_and_query
            ),
            body: request
                .body
                .map(|body| (body.bytes.to_vec(), body.content_type)),
            auth: request.auth,
        }
    }

    /// Which operation this is.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The full URL. It never carries a credential, so it is safe to log.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Which credential the `Authorization` header must carry.
    pub fn auth(&self) -> Auth {
        self.auth
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("correlation_id", &self.correlation_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body_len", &self.body.as_ref().map(|(b, _)| b.len()))
            .field("auth", &self.auth)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_notify_core::request;
    use genesys_notify_core::secret::Secret;

    #[test]
    fn a_response_debug_shows_the_body_length_not_the_token() {
        let body = br#"{"access_token":"at-s3cr3t","expires_in":86400}"#.to_vec();
        let response = HttpResponse {
            status: 200,
            retry_after: None,
            correlation_id: None,
            body: body.clone(),
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains(&format!("body_len: {}", body.len())),
            "{shown}"
        );
    }

    #[test]
    fn a_core_request_becomes_a_url_on_the_environment_origin() {
        let environment = Environment::parse("mypurecloud.ie").expect("a known region");
        let mut buf = [0u8; 256];
        let core = request::channel_exists(&mut buf, "streaming-2-abc").expect("fits");
        let prepared = HttpRequest::from_core(&environment, &core);
        assert_eq!(
            prepared.url(),
            "https://api.mypurecloud.ie/api/v2/notifications/channels/streaming-2-abc"
        );
        assert_eq!(prepared.auth(), Auth::Bearer);
    }

    #[test]
    fn the_token_request_goes_to_the_login_host_and_debug_hides_its_body() {
        let environment = Environment::parse("http://127.0.0.1:9").expect("loopback is allowed");
        let mut buf = [0u8; 256];
        let refresh = Secret::new("refresh-token-value");
        let core = request::token_refresh(&mut buf, &refresh).expect("fits");
        let prepared = HttpRequest::from_core(&environment, &core);
        assert_eq!(prepared.url(), "http://127.0.0.1:9/oauth/token");
        let printed = format!("{prepared:?}");
        assert!(!printed.contains("refresh-token-value"), "{printed}");
    }
}
