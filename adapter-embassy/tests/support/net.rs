//! The runner's [`Network`] over tokio sockets, and the host's wall clock.

use std::time::{SystemTime, UNIX_EPOCH};

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_io_async::{ErrorType, Read, Write};
use genesys_notify_core::diagnosis::Transport;
use genesys_notify_embassy::net::{Network, Split, TcpBuffers};
use genesys_notify_embassy::{UnixTime, WallClock};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};

/// Connects with tokio; the caller's TCP buffers are not needed (the kernel has its own).
pub struct TokioNetwork;

/// A tokio TCP stream seen through embedded-io.
pub struct TokioConnection(FromTokio<TcpStream>);

impl Network for TokioNetwork {
    type Connection<'b> = TokioConnection;

    async fn connect<'b>(
        &'b self,
        host: &str,
        port: u16,
        _buffers: &'b mut TcpBuffers,
    ) -> Result<TokioConnection, Transport> {
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|_| Transport::Connect)?;
        Ok(TokioConnection(FromTokio::new(stream)))
    }
}

/// Connects every host name to one port of 127.0.0.1: plays a DNS answer pointing elsewhere.
pub struct Redirect {
    pub port: u16,
}

impl Network for Redirect {
    type Connection<'b> = TokioConnection;

    async fn connect<'b>(
        &'b self,
        _host: &str,
        _port: u16,
        buffers: &'b mut TcpBuffers,
    ) -> Result<TokioConnection, Transport> {
        TokioNetwork.connect("127.0.0.1", self.port, buffers).await
    }
}

impl ErrorType for TokioConnection {
    type Error = std::io::Error;
}

impl Read for TokioConnection {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, std::io::Error> {
        self.0.read(buf).await
    }
}

impl Write for TokioConnection {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, std::io::Error> {
        self.0.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), std::io::Error> {
        self.0.flush().await
    }
}

impl Split for TokioConnection {
    type Reader<'s> = FromTokio<ReadHalf<'s>>;
    type Writer<'s> = FromTokio<WriteHalf<'s>>;

    fn split(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>) {
        let (reader, writer) = self.0.inner_mut().split();
        (FromTokio::new(reader), FromTokio::new(writer))
    }
}

/// The host's clock, optionally shifted (to play a device whose clock is wrong).
pub struct HostClock {
    pub shift_secs: i64,
}

impl WallClock for HostClock {
    fn now(&self) -> Option<UnixTime> {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(UnixTime::from_secs(
            secs.checked_add_signed(self.shift_secs)?,
        ))
    }
}
