//! HTTP/1.1 request/response over any `embedded-io-async` stream (a TLS stream in practice).
//!
//! The framing is edge-http's (`edge_http::io`: header parsing with `httparse`, content-length,
//! chunked and close-delimited bodies); this module adds what a REST client of Genesys Cloud
//! needs on top: the `Authorization` header taken as a `Secret` so it never reaches a log line, `Retry-After` read as the session wants it, bodies that do not need one (`HEAD`,
//! `204`, `304`) left unread, and a body that does not fit the caller's buffer reported with the
//! size it needed instead of being cut.
//!
//! One request is in flight per connection. [`Response::reusable`] says whether the connection
//! may carry the next request (keep-alive, body read to its end).

use core::fmt;

use edge_http::io::{Body, Error as EdgeError};
use edge_http::{BodyType, ConnectionType, Method as EdgeMethod, RequestHeaders, ResponseHeaders};
use embedded_io_async::{Read, Write};
use genesys_notify_core::Duration;
use genesys_notify_core::diagnosis;
use genesys_notify_core::secret::Secret;
use heapless::String;

/// Response header slots: Genesys answers with about twenty headers (CORS, security,
/// `ININ-Correlation-Id`, rate-limit hints); twice that leaves room for a proxy's additions.
pub const MAX_RESPONSE_HEADERS: usize = 40;

/// Request header slots: host, authorization, accept, content type and length, connection,
/// user agent, and room for the two of a WebSocket upgrade.
const MAX_REQUEST_HEADERS: usize = 12;

/// The methods the core's REST operations use: the core's own type.
pub use genesys_notify_core::request::Method;

/// `method` as edge-http names it.
fn edge_method(method: Method) -> EdgeMethod {
    match method {
        Method::Get => EdgeMethod::Get,
        Method::Head => EdgeMethod::Head,
        Method::Post => EdgeMethod::Post,
        Method::Put => EdgeMethod::Put,
        Method::Delete => EdgeMethod::Delete,
    }
}

/// One request, borrowed from the caller. `Debug` prints the body's length, never the body (a
/// refresh-token form carries the refresh token).
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The `Host` header: the host name, with `:port` when it is not 443.
    pub host: &'a str,
    /// Origin-form target: `/api/v2/...?query`.
    pub path_and_query: &'a str,
    /// The whole `Authorization` header value (`Bearer …`, `Basic …`), written by the core's
    /// `request::bearer_authorization` / `basic_authorization`; `Debug` prints `***`.
    pub authorization: Option<Secret<&'a str>>,
    /// The body and its content type.
    pub body: Option<(&'a [u8], &'a str)>,
}

/// A response whose body was read whole into the caller's buffer.
///
/// `Debug` prints the body's length, never the body: a token-endpoint reply carries a token.
pub struct Response<'b> {
    /// The status code.
    pub status: u16,
    /// `Retry-After` in delta-seconds form (the form Genesys sends); HTTP-dates are ignored.
    pub retry_after: Option<Duration>,
    /// The body (empty for `HEAD`, 204 and 304).
    pub body: &'b [u8],
    /// The connection may carry another request.
    pub reusable: bool,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path_and_query", &self.path_and_query)
            .field("authorization", &self.authorization)
            .field("body_len", &self.body.map(|(body, _)| body.len()))
            .field(
                "content_type",
                &self.body.map(|(_, content_type)| content_type),
            )
            .finish()
    }
}

impl fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("body_len", &self.body.len())
            .field("reusable", &self.reusable)
            .finish()
    }
}

/// An exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HttpError {
    /// The connection failed or closed mid-exchange: close it and retry with back-off.
    Io,
    /// The server's answer was not HTTP/1.1 we can read: close the connection, retry later.
    Malformed,
    /// The status line and headers did not fit the head buffer; raise `HTTP_HEAD_BUFFER_LEN`.
    HeadTooLarge,
    /// The body did not fit the body buffer (`needed` when the server announced its length):
    /// the connection is unusable; raise the body buffer or treat it as a failed read.
    BodyTooLarge {
        /// The announced body length, if the server gave one before sending it.
        needed: Option<u64>,
        /// The caller's buffer size.
        available: usize,
    },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io => f.write_str("the HTTP connection failed"),
            Self::Malformed => f.write_str("the server's HTTP response could not be read"),
            Self::HeadTooLarge => {
                f.write_str("the HTTP response headers are larger than the head buffer")
            }
            Self::BodyTooLarge {
                needed: Some(needed),
                available,
            } => write!(
                f,
                "the HTTP response body has {needed} bytes; the buffer holds {available}"
            ),
            Self::BodyTooLarge {
                needed: None,
                available,
            } => write!(
                f,
                "the HTTP response body is larger than the {available}-byte buffer"
            ),
        }
    }
}

impl<E> From<EdgeError<E>> for HttpError {
    fn from(e: EdgeError<E>) -> Self {
        match e {
            EdgeError::Io(_) | EdgeError::ConnectionClosed => HttpError::Io,
            EdgeError::TooManyHeaders | EdgeError::TooLongHeaders => HttpError::HeadTooLarge,
            _ => HttpError::Malformed,
        }
    }
}

/// Sends `request` on `io` and reads the whole response.
///
/// `head` holds the status line and headers (and the chunked decoder's working space);
/// `body` receives the body. Sizing: see the runner's buffer constants.
pub async fn exchange<'b, S>(
    io: &mut S,
    request: &Request<'_>,
    head: &mut [u8],
    body: &'b mut [u8],
) -> Result<Response<'b>, HttpError>
where
    S: Read + Write,
{
    send(io, request).await?;

    let mut response = ResponseHeaders::<MAX_RESPONSE_HEADERS>::new();
    let (rest, rest_len) = response.receive(head, &mut *io, false).await?;
    let status = response.code;
    // httparse takes any three digits; a status outside 100-599 is not HTTP (RFC 9110, 15).
    if !(100..=599).contains(&status) {
        return Err(HttpError::Malformed);
    }
    let retry_after = response
        .headers
        .get("Retry-After")
        .and_then(|value| diagnosis::parse_retry_after(value.as_bytes()));
    check_framing(response.headers.iter())?;
    let (connection, body_type) = response.resolve::<S::Error>(ConnectionType::KeepAlive)?;
    let keep_alive = connection == ConnectionType::KeepAlive;

    let bodiless = request.method == Method::Head || matches!(status, 100..=199 | 204 | 304);
    if bodiless {
        // Bytes after the head would be the next response's: the connection is not reusable.
        return Ok(Response {
            status,
            retry_after,
            body: &[],
            reusable: keep_alive && rest_len == 0,
        });
    }
    if let BodyType::ContentLen(len) = body_type
        && usize::try_from(len).map_or(true, |len| len > body.len())
    {
        return Err(HttpError::BodyTooLarge {
            needed: Some(len),
            available: body.len(),
        });
    }

    let mut reader = Body::new(body_type, rest, rest_len, &mut *io);
    let mut filled = 0;
    loop {
        let Some(space) = body.get_mut(filled..) else {
            return Err(HttpError::Malformed);
        };
        if space.is_empty() {
            // Full: the body is complete only if the decoder agrees nothing follows.
            let mut probe = [0u8; 1];
            if reader.read(&mut probe).await? != 0 {
                return Err(HttpError::BodyTooLarge {
                    needed: None,
                    available: body.len(),
                });
            }
            break;
        }
        let n = reader.read(space).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let close_delimited = matches!(body_type, BodyType::Raw);
    if !close_delimited && !reader.is_complete() {
        // edge-http reports a framed body cut short as an early end; it is a failed exchange.
        return Err(HttpError::Io);
    }
    Ok(Response {
        status,
        retry_after,
        body: body.get(..filled).unwrap_or_default(),
        reusable: keep_alive && !close_delimited,
    })
}

/// Refuses a response whose body framing is ambiguous or unreadable, before edge-http looks at
/// it: edge-http 0.8 panics on a `Content-Length` that is not a number (an `unwrap`, marked
/// TODO, in `BodyType::from_header`; found by `fuzz/`), and lets the last of several framing
/// headers win. RFC 9112 (6.2, 6.3): a `Content-Length` is digits only; several must agree;
/// one beside a `Transfer-Encoding` is an error to be treated as such.
fn check_framing<'h>(headers: impl Iterator<Item = (&'h str, &'h str)>) -> Result<(), HttpError> {
    let mut length = None;
    let mut transfer_encoding = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("Content-Length") {
            // Digits only: `u64::from_str` would also take a leading `+`.
            let value = value.trim();
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HttpError::Malformed);
            }
            let len = value.parse::<u64>().map_err(|_| HttpError::Malformed)?;
            if length.replace(len).is_some_and(|earlier| earlier != len) {
                return Err(HttpError::Malformed);
            }
        } else if name.eq_ignore_ascii_case("Transfer-Encoding") {
            transfer_encoding = true;
        }
    }
    if transfer_encoding && length.is_some() {
        return Err(HttpError::Malformed);
    }
    Ok(())
}

async fn send<S: Write>(io: &mut S, request: &Request<'_>) -> Result<(), HttpError> {
    let mut length: String<20> = String::new();
    let (body, content_type) = request.body.unwrap_or((&[], ""));
    fmt::Write::write_fmt(&mut length, format_args!("{}", body.len()))
        .map_err(|_| HttpError::Malformed)?;

    let mut headers = RequestHeaders::<MAX_REQUEST_HEADERS>::new();
    headers.method = edge_method(request.method);
    headers.path = request.path_and_query;
    headers
        .headers
        .set_host(request.host)
        .set("Accept", "application/json")
        .set("User-Agent", "genesys-notify-embassy")
        .set_connection_keep_alive();
    if let Some(authorization) = &request.authorization {
        headers
            .headers
            .set("Authorization", authorization.expose_secret());
    }
    if request.body.is_some() {
        headers
            .headers
            .set_content_type(content_type)
            .set("Content-Length", &length);
    }
    headers.send(false, &mut *io).await?;
    if !body.is_empty() {
        io.write_all(body).await.map_err(|_| HttpError::Io)?;
    }
    io.flush().await.map_err(|_| HttpError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug_output() {
        extern crate std;
        use std::format;
        let bearer = Secret::new("Bearer s3cr3t-token");
        let request = Request {
            method: Method::Get,
            host: "api.example",
            path_and_query: "/",
            authorization: Some(bearer),
            body: None,
        };
        assert!(!format!("{request:?}").contains("s3cr3t"));
    }

    #[test]
    fn bodies_never_show_in_debug_output() {
        extern crate std;
        use std::format;
        let form = b"grant_type=refresh_token&refresh_token=rt-s3cr3t";
        let request = Request {
            method: Method::Post,
            host: "login.example",
            path_and_query: "/oauth/token",
            authorization: None,
            body: Some((form, "application/x-www-form-urlencoded")),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains(&format!("body_len: Some({})", form.len())),
            "{shown}"
        );
        let reply = br#"{"access_token":"at-s3cr3t","expires_in":86400}"#;
        let response = Response {
            status: 200,
            retry_after: None,
            body: reply,
            reusable: true,
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains(&format!("body_len: {}", reply.len())),
            "{shown}"
        );
    }
}
