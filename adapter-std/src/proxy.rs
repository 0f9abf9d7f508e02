//! The notification socket through an HTTP proxy, as REST calls already go.
//!
//! `reqwest` honours `HTTPS_PROXY` and `NO_PROXY` for REST calls on its own; `tokio-tungstenite`
//! has no proxy support, so a client behind a corporate proxy would get its token and channel
//! and then fail to open the socket. This module opens the socket's TCP stream the way a
//! browser does: an HTTP `CONNECT host:443` to the proxy, and TLS to Genesys inside the tunnel,
//! verified end to end against the same trust anchors as REST (the proxy sees only ciphertext,
//! unless it inspects TLS, in which case its CA must be trusted: see [`crate::tls::Roots`]).
//!
//! Only `wss://` URIs go through the proxy (`ws://` is for a loopback simulator), and only
//! `http://` proxies are spoken to; an `https://` or `socks5://` proxy, which REST might still
//! use, is refused with an error that says so. Proxy credentials in the URL's userinfo are sent
//! as `Proxy-Authorization: Basic` and never logged or shown by `Debug`.

use std::time::Duration;

use base64::Engine as _;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream, tungstenite};

use genesys_notify_core::secret::Secret;

/// The longest proxy reply head read before giving up on it.
const MAX_REPLY_HEAD: usize = 8 * 1024;

/// How long the proxy may take to open the tunnel.
const TUNNEL_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP proxy for `wss://` connections, from `HTTPS_PROXY` and `NO_PROXY`.
#[derive(Clone)]
pub struct Proxy {
    host: String,
    port: u16,
    /// `Basic …`, when the proxy URL carried credentials.
    authorization: Option<String>,
    no_proxy: Vec<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "authorization",
                &self.authorization.as_deref().map(Secret::from),
            )
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// Why the proxy setting cannot be used for the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyError(String);

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProxyError {}

impl Proxy {
    /// The proxy named by `HTTPS_PROXY` (or `https_proxy`), with `NO_PROXY` (or `no_proxy`);
    /// `None` when neither spelling is set or the value is empty.
    pub fn from_env() -> Option<Result<Self, ProxyError>> {
        let var = |upper: &str| {
            std::env::var(upper)
                .or_else(|_| std::env::var(upper.to_ascii_lowercase()))
                .ok()
                .filter(|v| !v.trim().is_empty())
        };
        let url = var("HTTPS_PROXY")?;
        let no_proxy = var("NO_PROXY").unwrap_or_default();
        Some(Self::parse(&url, &no_proxy))
    }

    /// Reads a proxy URL (`http://[user:password@]host[:port]`, or `host:port`) and a
    /// `NO_PROXY` list (comma-separated hosts or domains, `*` for all).
    pub fn parse(url: &str, no_proxy: &str) -> Result<Self, ProxyError> {
        let url = url.trim();
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        // The URL may hold a password: errors name the proxy's scheme or host, never the URL.
        let uri: Uri = with_scheme.parse().map_err(|_| {
            ProxyError("HTTPS_PROXY is not a URL; write it as http://host:port".to_owned())
        })?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(ProxyError(format!(
                    "HTTPS_PROXY uses {other}://, which the notification socket cannot speak \
                     (it tunnels through http:// proxies only); use the proxy's http:// address"
                )));
            }
            None => unreachable!("a scheme was added above"),
        }
        let authority = uri.authority().ok_or_else(|| {
            ProxyError("HTTPS_PROXY names no host; write it as http://host:port".to_owned())
        })?;
        let authorization = authority.as_str().rsplit_once('@').map(|(userinfo, _)| {
            let decoded = percent_decode(userinfo);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(decoded)
            )
        });
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        Ok(Self {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authorization,
            no_proxy: no_proxy
                .split(',')
                .map(|entry| entry.trim().trim_start_matches('.').to_ascii_lowercase())
                .filter(|entry| !entry.is_empty())
                .collect(),
        })
    }

    /// Whether a connection to `host` goes through this proxy (`NO_PROXY` says no).
    pub fn applies_to(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        !self.no_proxy.iter().any(|entry| {
            entry == "*"
                || host == *entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// Opens a TCP tunnel to `host:port` through the proxy.
    pub async fn tunnel(&self, host: &str, port: u16) -> std::io::Result<TcpStream> {
        tokio::time::timeout(TUNNEL_TIMEOUT, self.open(host, port))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the proxy {}:{} did not open a tunnel within {}s",
                        self.host,
                        self.port,
                        TUNNEL_TIMEOUT.as_secs()
                    ),
                )
            })?
    }

    async fn open(&self, host: &str, port: u16) -> std::io::Result<TcpStream> {
        let mut stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some(authorization) = &self.authorization {
            request.push_str("Proxy-Authorization: ");
            request.push_str(authorization);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await?;
        // Read the reply head byte by byte: whatever follows it is the tunnel's, not ours.
        let mut head = Vec::with_capacity(256);
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_REPLY_HEAD {
                return Err(proxy_failure("the proxy's reply head is too long"));
            }
            let byte = stream.read_u8().await?;
            head.push(byte);
        }
        let status = std::str::from_utf8(&head)
            .ok()
            .and_then(|head| head.split_whitespace().nth(1))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| proxy_failure("the proxy's reply is not HTTP"))?;
        match status {
            200..=299 => Ok(stream),
            407 => Err(proxy_failure(
                "the proxy wants credentials (407): put them in HTTPS_PROXY as http://user:password@host:port",
            )),
            other => Err(proxy_failure(&format!(
                "the proxy refused the tunnel to {target} with HTTP {other}"
            ))),
        }
    }
}

/// An open notification socket.
pub type WebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `uri`, verifying the server with `tls`; a `wss://` URI goes through
/// `proxy` unless its `NO_PROXY` exempts the host. What the client's socket tasks and
/// `genesys-notify doctor` both use.
pub async fn connect_websocket(
    uri: &str,
    config: Option<WebSocketConfig>,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<&Proxy>,
) -> Result<(WebSocket, tungstenite::handshake::client::Response), tungstenite::Error> {
    let connector = Some(Connector::Rustls(tls));
    let request = uri.into_client_request()?;
    let through = proxy.zip(request.uri().host()).filter(|(proxy, host)| {
        request.uri().scheme_str() == Some("wss") && proxy.applies_to(host)
    });
    match through {
        Some((proxy, host)) => {
            let port = request.uri().port_u16().unwrap_or(443);
            let stream = proxy.tunnel(host, port).await?;
            tokio_tungstenite::client_async_tls_with_config(request, stream, config, connector)
                .await
        }
        None => {
            tokio_tungstenite::connect_async_tls_with_config(request, config, true, connector).await
        }
    }
}

fn proxy_failure(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionRefused, message.to_owned())
}

/// `%XX` escapes in a URL's userinfo, decoded (a password may hold `@` or `:` escaped).
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_url_with_credentials_becomes_basic_authorization_hidden_from_debug() {
        let proxy = Proxy::parse("http://alice:s3cr%40t@proxy.corp:3128", "").expect("parses");
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.corp", 3128));
        let expected = base64::engine::general_purpose::STANDARD.encode("alice:s3cr@t");
        assert_eq!(proxy.authorization, Some(format!("Basic {expected}")));
        let debug = format!("{proxy:?}");
        assert!(
            !debug.contains(&expected) && !debug.contains("s3cr"),
            "{debug}"
        );
    }

    #[test]
    fn a_bare_host_and_port_is_an_http_proxy() {
        let proxy = Proxy::parse("proxy.corp:8080", "").expect("parses");
        assert_eq!(
            (proxy.host.as_str(), proxy.port, proxy.authorization),
            ("proxy.corp", 8080, None)
        );
    }

    #[test]
    fn no_proxy_exempts_hosts_and_their_subdomains() {
        let proxy =
            Proxy::parse("http://p:1", "localhost, .mypurecloud.ie,10.0.0.1").expect("parses");
        assert!(!proxy.applies_to("localhost"));
        assert!(!proxy.applies_to("streaming.mypurecloud.ie"));
        assert!(!proxy.applies_to("mypurecloud.ie"));
        assert!(!proxy.applies_to("10.0.0.1"));
        assert!(proxy.applies_to("streaming.mypurecloud.com"));
        assert!(proxy.applies_to("notmypurecloud.ie"));
        assert!(
            !Proxy::parse("http://p:1", "*")
                .expect("parses")
                .applies_to("anything")
        );
    }

    #[test]
    fn proxies_the_socket_cannot_speak_are_refused_without_echoing_the_url() {
        for url in ["socks5://bob:hunter2@p:1080", "https://bob:hunter2@p:443"] {
            let error = Proxy::parse(url, "").expect_err("refused");
            assert!(error.to_string().contains("http://"), "{error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }
}
