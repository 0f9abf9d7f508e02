//! One REST exchange on a fresh connection, and TLS on a connection: what the driver's calls
//! and the socket slots' upgrades both use.

use super::*;

/// One REST exchange on a fresh connection to the request's service.
pub(super) async fn exchange<'b, N, C, R>(
    link: &Link<'_, N, C>,
    shared: &Shared<'_, R>,
    connection: &'b mut Connection<'_>,
    request: &request::Request<'_>,
    authorization: Option<Secret<&str>>,
) -> Result<http::Response<'b>, Transport>
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let origin = link.environment.origin(request.service);
    let host = host_header(&origin).ok_or(Transport::Other)?;
    let outgoing = http::Request {
        method: request.method,
        host: &host,
        path_and_query: request.path_and_query,
        authorization,
        body: request.body.map(|b| (b.bytes, b.content_type.as_str())),
    };
    let Connection {
        tcp,
        tls: tls_buffers,
        payload,
    } = connection;
    let (head, body) = payload.split_at_mut(HTTP_HEAD_BUFFER_LEN);
    let connection = with_timeout(
        CONNECT_TIMEOUT,
        link.network.connect(origin.host(), origin.port(), tcp),
    )
    .await
    .map_err(|_| Transport::Timeout)??;
    let response = if origin.scheme().is_tls() {
        let mut stream = open_tls(link, shared, connection, origin.host(), tls_buffers).await?;
        with_timeout(
            EXCHANGE_TIMEOUT,
            http::exchange(&mut stream, &outgoing, head, body),
        )
        .await
    } else {
        let mut connection = connection;
        with_timeout(
            EXCHANGE_TIMEOUT,
            http::exchange(&mut connection, &outgoing, head, body),
        )
        .await
    };
    match response {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(HttpError::Io)) => Err(Transport::Closed),
        Ok(Err(_)) => Err(Transport::Other),
        Err(_) => Err(Transport::Timeout),
    }
}

/// TLS on `socket` to `host`, verified against the trust anchors at the wall clock's time.
pub(super) async fn open_tls<'t, S, N, C, R>(
    link: &Link<'_, N, C>,
    shared: &Shared<'_, R>,
    socket: S,
    host: &str,
    buffers: &'t mut TlsBuffers,
) -> Result<tls::TlsStream<'t, S>, Transport>
where
    S: Read + Write + 't,
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let attempt = async {
        let now = link.wall_time()?;
        let mut rng = SharedRng(shared.rng);
        with_timeout(
            TLS_TIMEOUT,
            tls::connect(socket, host, link.trust, now, &mut rng, buffers),
        )
        .await
        .map_err(|_| TlsError::Io)?
    };
    match attempt.await {
        Ok(stream) => Ok(stream),
        Err(TlsError::Io) => Err(Transport::Closed),
        Err(failure) => {
            report!(warn, "TLS to ", TlsFailure { host, failure });
            shared.tls_failure.set(Some(failure));
            Err(Transport::Tls)
        }
    }
}

/// A TLS failure in the log, with the host it happened with: a name mismatch or an unknown
/// root is only actionable knowing which host.
struct TlsFailure<'h> {
    host: &'h str,
    failure: TlsError,
}

impl core::fmt::Display for TlsFailure<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.host, self.failure)
    }
}

pub(super) fn host_header(origin: &Origin<'_>) -> Option<String<MAX_HOST_HEADER_LEN>> {
    let mut host = String::new();
    if origin.port() == origin.scheme().default_port() {
        host.push_str(origin.host()).ok()?;
    } else {
        write!(host, "{}:{}", origin.host(), origin.port()).ok()?;
    }
    Some(host)
}
