//! Accepting connections, TLS, and the I/O shim that lets faults reach the wire.
//!
//! The simulator runs its own accept loop (rather than `axum::serve`) for two reasons: it can wrap
//! each TCP stream in [`FaultIo`] — which splits writes into small TCP segments or resets the
//! connection on demand — and it can put TLS underneath the same router. Every request passes
//! through [`front`], which records it, applies delays and injected failures, and stamps the
//! `ININ-Correlation-Id` header.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use http::{HeaderValue, Request, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::CORRELATION_HEADER;
use crate::log::{Entry, REDACTED, RequestRecord};
use crate::operation::Operation;
use crate::state::{ConnControl, Shared};

/// The pause between split writes: long enough that the client's reads see separate segments.
const SPLIT_PAUSE: Duration = Duration::from_millis(2);

/// Query keys that would carry a token if a client (wrongly) put one in a URL.
const TOKEN_QUERY_KEYS: &[&str] = &[
    "access_token",
    "token",
    "bearer",
    "authorization",
    "auth",
    "jwt",
];

/// A TCP stream that obeys its [`ConnControl`]: split writes, and RST instead of FIN on drop.
pub(crate) struct FaultIo {
    tcp: TcpStream,
    control: Arc<ConnControl>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl FaultIo {
    fn new(tcp: TcpStream, control: Arc<ConnControl>) -> Self {
        Self {
            tcp,
            control,
            pause: None,
        }
    }
}

impl Drop for FaultIo {
    fn drop(&mut self) {
        if self.control.reset_on_drop.load(Ordering::Relaxed) {
            // Linger 0 makes the kernel answer the close with RST; if it fails the peer sees FIN,
            // which is the best left to do.
            let _ = socket2::SockRef::from(&self.tcp).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(pause) = self.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            self.pause = None;
        }
        let chunk = self.control.split();
        if chunk == 0 {
            return Pin::new(&mut self.tcp).poll_write(cx, buf);
        }
        let limited = buf.get(..chunk.min(buf.len())).unwrap_or(buf);
        let written = ready!(Pin::new(&mut self.tcp).poll_write(cx, limited))?;
        self.pause = Some(Box::pin(tokio::time::sleep(SPLIT_PAUSE)));
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Accepts connections until the simulator is cancelled.
pub(crate) async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
) {
    let router = crate::rest::router(Arc::clone(&shared));
    loop {
        let accepted = tokio::select! {
            () = shared.cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        // A failed accept (a client that gave up, fd pressure) only loses that connection.
        let Ok((tcp, _peer)) = accepted else { continue };
        // Without NODELAY, split writes would be coalesced by Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let control = Arc::new(ConnControl::default());
        let io = FaultIo::new(tcp, Arc::clone(&control));
        let shared = Arc::clone(&shared);
        let router = router.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    // A client that does not trust the test CA fails the handshake; nothing to serve.
                    if let Ok(stream) = acceptor.accept(io).await {
                        serve_connection(shared, router, control, stream).await;
                    }
                }
                None => serve_connection(shared, router, control, io).await,
            }
        });
    }
}

async fn serve_connection<S>(shared: Arc<Shared>, router: Router, control: Arc<ConnControl>, io: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cancel = shared.cancel.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        let router = router.clone();
        let control = Arc::clone(&control);
        async move { Ok::<Response, Infallible>(front(shared, router, control, req).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        // The connection's own errors (a client hanging up mid-request) concern only that client.
        _ = connection.as_mut() => {}
        () = cancel.cancelled() => connection.as_mut().graceful_shutdown(),
    }
}

/// Records the request, then applies delays and injected failures, then routes it.
async fn front(
    shared: Arc<Shared>,
    router: Router,
    control: Arc<ConnControl>,
    mut req: Request<Incoming>,
) -> Response {
    let operation = Operation::classify(req.method(), req.uri().path());
    record(&shared, &req, operation);
    if let Some(delay) = shared.faults.delay_for(operation) {
        tokio::time::sleep(delay).await;
    }
    let mut response = match shared.faults.take_failure(operation) {
        Some(failure) => failure.response(operation),
        None => {
            req.extensions_mut().insert(control);
            match router.oneshot(req.map(axum::body::Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS
        && !response.headers().contains_key(CORRELATION_HEADER)
        && let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
    {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

fn record(shared: &Shared, req: &Request<Incoming>, operation: Operation) {
    let path = req.uri().path().to_owned();
    let mut token_in_url = false;
    let mut uri = path.clone();
    if let Some(query) = req.uri().query() {
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if TOKEN_QUERY_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) => {
                    token_in_url = true;
                    format!("{key}={REDACTED}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        uri = format!("{uri}?{}", redacted.join("&"));
    }
    let secrets = shared.secrets();
    for secret in &secrets {
        if uri.contains(secret.as_str()) {
            token_in_url = true;
            uri = uri.replace(secret.as_str(), REDACTED);
        }
    }
    let mut bearer = false;
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if name == header::AUTHORIZATION {
                let scheme = text
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                bearer |= scheme.eq_ignore_ascii_case("bearer");
                (name.as_str().to_owned(), format!("{scheme} {REDACTED}"))
            } else {
                let clean = secrets
                    .iter()
                    .fold(text, |t, s| t.replace(s.as_str(), REDACTED));
                (name.as_str().to_owned(), clean)
            }
        })
        .collect();
    shared.log.push(Entry::Request(RequestRecord {
        at: Instant::now(),
        method: req.method().clone(),
        uri,
        path,
        headers,
        operation,
        token_in_url,
        bearer,
    }));
}
