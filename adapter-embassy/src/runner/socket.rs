//! A socket slot: it connects when the driver says, upgrades to a WebSocket, and pumps frames
//! to the session and commands to the socket until either side ends it.

use super::*;
use rest::{host_header, open_tls};

/// One socket slot, forever: wait for a connect, lease a connection, serve the socket until it
/// ends, report it.
pub(super) async fn serve_slot<N, C, R>(
    shared: &Shared<'_, R>,
    link: &Link<'_, N, C>,
    pool: &Pool<'_>,
    slot: &Slot,
) -> core::convert::Infallible
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    loop {
        let (socket, path) = loop {
            // Sends and closes for a socket that is already gone are stale: ignore them.
            if let SlotCommand::Connect(socket, path) = slot.commands.receive().await {
                break (socket, path);
            }
        };
        // A REST call holds the other connection for one exchange at most.
        let close = match with_timeout(LEASE_TIMEOUT, pool.lease()).await {
            Ok(mut lease) => {
                serve_socket(shared, link, slot, socket, &path, lease.connection()).await
            }
            Err(_) => CloseInfo::Transport(Transport::Timeout),
        };
        slot.socket.set(None);
        shared.with_session(|s| s.handle_socket_closed(now(), socket, close));
        shared.wake.signal(());
    }
}

async fn serve_socket<N, C, R>(
    shared: &Shared<'_, R>,
    link: &Link<'_, N, C>,
    slot: &Slot,
    socket: SocketId,
    path: &str,
    connection: &mut Connection<'_>,
) -> CloseInfo
where
    N: Network,
    C: WallClock,
    R: RngCore + CryptoRng,
{
    let origin = link.environment.origin(Service::Streaming);
    let Some(host) = host_header(&origin) else {
        return CloseInfo::Transport(Transport::Other);
    };
    let Connection {
        tcp,
        tls,
        payload: message,
    } = connection;
    let connecting = with_timeout(
        CONNECT_TIMEOUT,
        link.network.connect(origin.host(), origin.port(), tcp),
    )
    .await;
    let mut connection = match connecting {
        Ok(Ok(connection)) => connection,
        Ok(Err(transport)) => return CloseInfo::Transport(transport),
        Err(_) => return CloseInfo::Transport(Transport::Timeout),
    };
    let (reader, writer) = connection.split();
    let (reader, writer) = (Mutex::new(reader), Mutex::new(writer));
    let duplex = Duplex::new(&reader, &writer);
    let head_len = WS_HANDSHAKE_HEAD_LEN.min(message.len());
    let (head, _) = message.split_at_mut(head_len);
    if origin.scheme().is_tls() {
        let mut stream = match open_tls(link, shared, duplex, origin.host(), tls).await {
            Ok(stream) => stream,
            Err(transport) => return CloseInfo::Transport(transport),
        };
        if let Err(close) = upgrade(shared, &mut stream, &host, path, head).await {
            return close;
        }
        let (mut reader, mut writer) = stream.split();
        pump(shared, slot, socket, &mut reader, &mut writer, message).await
    } else {
        let mut stream = duplex.clone();
        if let Err(close) = upgrade(shared, &mut stream, &host, path, head).await {
            return close;
        }
        let (mut reader, mut writer) = (duplex.clone(), duplex);
        pump(shared, slot, socket, &mut reader, &mut writer, message).await
    }
}

async fn upgrade<S, R>(
    shared: &Shared<'_, R>,
    stream: &mut S,
    host: &str,
    path: &str,
    head: &mut [u8],
) -> Result<(), CloseInfo>
where
    S: Read + Write,
    R: RngCore + CryptoRng,
{
    let mut rng = SharedRng(shared.rng);
    match with_timeout(
        EXCHANGE_TIMEOUT,
        ws::handshake(stream, host, path, &mut rng, head),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(WsError::Rejected(status))) => Err(CloseInfo::Refused { status }),
        Ok(Err(error)) => Err(CloseInfo::Transport(transport_of(error))),
        Err(_) => Err(CloseInfo::Transport(Transport::Timeout)),
    }
}

fn transport_of(error: WsError) -> Transport {
    match error {
        WsError::Io => Transport::Closed,
        _ => Transport::Other,
    }
}

/// Serves an open socket: every message to the session, every command to the socket, until
/// either side ends it.
async fn pump<RD, WR, R>(
    shared: &Shared<'_, R>,
    slot: &Slot,
    socket: SocketId,
    reader: &mut RD,
    writer: &mut WR,
    message: &mut [u8],
) -> CloseInfo
where
    RD: Read,
    WR: Write,
    R: RngCore + CryptoRng,
{
    shared.with_session(|s| s.handle_socket_open(now(), socket));
    shared.wake.signal(());
    let mut rng = SharedRng(shared.rng);
    let mut ws = WsReader::new(message);
    loop {
        let mut pong: Option<Vec<u8, { ws::MAX_CONTROL_PAYLOAD }>> = None;
        {
            // The read stays alive while commands are served: a half-read frame is never lost.
            let read = ws.next(reader);
            let mut read = core::pin::pin!(read);
            let outcome = loop {
                match select(&mut read, slot.commands.receive()).await {
                    Either::First(outcome) => break outcome,
                    Either::Second(SlotCommand::Send(to, text)) if to == socket => {
                        let frame = Frame::Text(&text);
                        if let Err(transport) =
                            send_frame(writer, &mut rng, frame, WRITE_TIMEOUT).await
                        {
                            return CloseInfo::Transport(transport);
                        }
                    }
                    Either::Second(SlotCommand::Close(to)) if to == socket => {
                        let _ = send_frame(writer, &mut rng, Frame::Close, WRITE_TIMEOUT).await;
                        return CloseInfo::Peer { code: None };
                    }
                    Either::Second(_) => {}
                }
            };
            match outcome {
                Ok(Message::Text(text)) => {
                    // The session reports what it made of the frame through its events.
                    shared.with_session(|s| {
                        let _ = s.handle_socket_frame(now(), socket, text);
                    });
                }
                Ok(Message::TooLarge { len }) => {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    shared.with_session(|s| s.handle_socket_frame_too_large(now(), socket, len));
                }
                Ok(Message::Ping(payload)) => {
                    // A ping's payload is at most 125 bytes: it always fits.
                    pong = Vec::from_slice(payload).ok();
                }
                Ok(Message::Close { code }) => {
                    let _ = send_frame(writer, &mut rng, Frame::Close, WRITE_TIMEOUT).await;
                    return CloseInfo::Peer { code };
                }
                Ok(Message::Binary(_) | Message::Pong) => continue,
                Err(error) => return CloseInfo::Transport(transport_of(error)),
            }
        }
        shared.wake.signal(());
        if let Some(payload) = pong
            && let Err(transport) =
                send_frame(writer, &mut rng, Frame::Pong(&payload), WRITE_TIMEOUT).await
        {
            return CloseInfo::Transport(transport);
        }
    }
}

/// A frame the pump writes.
enum Frame<'a> {
    Text(&'a [u8]),
    Pong(&'a [u8]),
    Close,
}

/// Writes one frame, bounded by `limit` (the pump passes [`WRITE_TIMEOUT`]): a failed write is
/// a closed connection, one that does not finish in time a timeout.
async fn send_frame<W: Write, R: RngCore>(
    writer: &mut W,
    rng: &mut R,
    frame: Frame<'_>,
    limit: embassy_time::Duration,
) -> Result<(), Transport> {
    let write = async {
        match frame {
            Frame::Text(text) => ws::send_text(writer, rng, text).await,
            Frame::Pong(payload) => ws::send_pong(writer, rng, payload).await,
            Frame::Close => ws::send_close(writer, rng, ws::CLOSE_NORMAL).await,
        }
    };
    match with_timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Transport::Closed),
        Err(_) => Err(Transport::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that stopped reading: its TCP window is full, so every write waits forever.
    struct Stalled;

    impl embedded_io_async::ErrorType for Stalled {
        type Error = embedded_io_async::ErrorKind;
    }

    impl Write for Stalled {
        async fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
            core::future::pending().await
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            core::future::pending().await
        }
    }

    /// A peer that is gone: every write fails.
    struct Broken;

    impl embedded_io_async::ErrorType for Broken {
        type Error = embedded_io_async::ErrorKind;
    }

    impl Write for Broken {
        async fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
            Err(embedded_io_async::ErrorKind::ConnectionReset)
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            Err(embedded_io_async::ErrorKind::ConnectionReset)
        }
    }

    #[tokio::test]
    async fn a_frame_to_a_peer_that_stopped_reading_ends_in_a_timeout() {
        let limit = embassy_time::Duration::from_millis(50);
        let mut rng = rand_core::OsRng;
        for frame in [Frame::Text(b"{}"), Frame::Pong(b"p"), Frame::Close] {
            let sent = send_frame(&mut Stalled, &mut rng, frame, limit).await;
            assert_eq!(sent, Err(Transport::Timeout));
        }
    }

    #[tokio::test]
    async fn a_frame_to_a_peer_that_is_gone_is_a_closed_connection() {
        let limit = embassy_time::Duration::from_secs(5);
        let sent = send_frame(
            &mut Broken,
            &mut rand_core::OsRng,
            Frame::Text(b"{}"),
            limit,
        )
        .await;
        assert_eq!(sent, Err(Transport::Closed));
    }
}
