//! The network under the runner: name resolution and TCP, behind a small trait so that the very
//! same runner drives embassy-net on a device and tokio sockets in the host tests.
//!
//! A notification socket is read and written at once: the runner keeps a read pending (the
//! server may speak at any time) while it sends a ping or a close. embedded-tls allows that only
//! on a transport it can clone ([`embedded_tls::TlsConnection::split`]), so a connection is
//! split into halves ([`Split`]) and re-joined as a cloneable [`Duplex`] whose clones share the
//! two halves; each TLS half then only ever uses its own direction.

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::mutex::Mutex;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use genesys_notify_core::diagnosis::Transport;

/// The TCP receive window per connection, as smoltcp advertises it: more than one full Ethernet
/// segment (1460 bytes), so a sender is never held below a segment at a time. The client reads
/// a few kilobytes per exchange (a handshake's certificates, a REST answer) and small
/// notification messages; a larger window would only speed bulk transfers, which it never
/// makes, at a device's scarcest resource.
pub const TCP_RX_BUFFER_LEN: usize = 2_048;

/// The TCP send buffer per connection: our writes are TLS records of at most the TLS write
/// buffer (a request of under 1 KB, a ping), so one record fits.
pub const TCP_TX_BUFFER_LEN: usize = 1_024;

/// The TCP buffers of one connection, owned by the caller (unused by networks that keep their
/// own, such as the host's).
pub struct TcpBuffers {
    /// Receive buffer.
    pub rx: [u8; TCP_RX_BUFFER_LEN],
    /// Send buffer.
    pub tx: [u8; TCP_TX_BUFFER_LEN],
}

impl TcpBuffers {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        Self {
            rx: [0; TCP_RX_BUFFER_LEN],
            tx: [0; TCP_TX_BUFFER_LEN],
        }
    }
}

impl Default for TcpBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// A connection that can be split into a read half and a write half usable at the same time.
pub trait Split {
    /// The read half.
    type Reader<'s>: Read
    where
        Self: 's;
    /// The write half.
    type Writer<'s>: Write
    where
        Self: 's;

    /// Both halves, borrowing the connection.
    fn split(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>);
}

/// Name resolution and TCP connections.
#[allow(
    async_fn_in_trait,
    reason = "the runner is single-threaded; no Send bound is wanted on these futures"
)]
pub trait Network {
    /// An open TCP connection using the caller's buffers.
    type Connection<'b>: Read + Write + Split
    where
        Self: 'b;

    /// Resolves `host` (a DNS name or an IPv4 literal) and connects to `port`.
    ///
    /// Returns which step failed as the core's [`Transport`], for its diagnosis.
    async fn connect<'b>(
        &'b self,
        host: &str,
        port: u16,
        buffers: &'b mut TcpBuffers,
    ) -> Result<Self::Connection<'b>, Transport>;
}

/// Two halves of one connection, shared by every clone; see the module docs.
pub struct Duplex<'h, R, W> {
    reader: &'h Mutex<NoopRawMutex, R>,
    writer: &'h Mutex<NoopRawMutex, W>,
}

impl<'h, R, W> Duplex<'h, R, W> {
    /// Joins the two halves, each behind its own lock.
    pub fn new(reader: &'h Mutex<NoopRawMutex, R>, writer: &'h Mutex<NoopRawMutex, W>) -> Self {
        Self { reader, writer }
    }
}

impl<R, W> Clone for Duplex<'_, R, W> {
    fn clone(&self) -> Self {
        Self {
            reader: self.reader,
            writer: self.writer,
        }
    }
}

impl<R: ErrorType, W: ErrorType> ErrorType for Duplex<'_, R, W> {
    type Error = ErrorKind;
}

impl<R: Read, W: Write> Read for Duplex<'_, R, W> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let mut reader = self.reader.lock().await;
        reader
            .read(buf)
            .await
            .map_err(|e| embedded_io::Error::kind(&e))
    }
}

impl<R: Read, W: Write> Write for Duplex<'_, R, W> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let mut writer = self.writer.lock().await;
        writer
            .write(buf)
            .await
            .map_err(|e| embedded_io::Error::kind(&e))
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        let mut writer = self.writer.lock().await;
        writer
            .flush()
            .await
            .map_err(|e| embedded_io::Error::kind(&e))
    }
}

/// [`Network`] over an embassy-net stack: DNS through the stack's resolver, TCP sockets on the
/// caller's buffers.
#[derive(Clone, Copy)]
pub struct EmbassyNetwork<'d> {
    stack: embassy_net::Stack<'d>,
}

impl<'d> EmbassyNetwork<'d> {
    /// Uses `stack`, which the application runs (its `Runner::run`) in another task.
    pub fn new(stack: embassy_net::Stack<'d>) -> Self {
        Self { stack }
    }
}

/// How long a TCP connection may stay silent before smoltcp gives up on it; the session's
/// heartbeat watchdog acts long before (75 s of silence → ping), this only reclaims dead sockets.
const TCP_IDLE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(180);

impl Network for EmbassyNetwork<'_> {
    type Connection<'b>
        = embassy_net::tcp::TcpSocket<'b>
    where
        Self: 'b;

    async fn connect<'b>(
        &'b self,
        host: &str,
        port: u16,
        buffers: &'b mut TcpBuffers,
    ) -> Result<Self::Connection<'b>, Transport> {
        let address = match host.parse::<core::net::Ipv4Addr>() {
            Ok(ip) => embassy_net::IpAddress::Ipv4(ip),
            Err(_) => {
                let found = self
                    .stack
                    .dns_query(host, embassy_net::dns::DnsQueryType::A)
                    .await
                    .map_err(|_| Transport::Dns)?;
                *found.first().ok_or(Transport::Dns)?
            }
        };
        let mut socket =
            embassy_net::tcp::TcpSocket::new(self.stack, &mut buffers.rx, &mut buffers.tx);
        socket.set_timeout(Some(TCP_IDLE_TIMEOUT));
        socket
            .connect((address, port))
            .await
            .map_err(|_| Transport::Connect)?;
        Ok(socket)
    }
}

impl Split for embassy_net::tcp::TcpSocket<'_> {
    type Reader<'s>
        = embassy_net::tcp::TcpReader<'s>
    where
        Self: 's;
    type Writer<'s>
        = embassy_net::tcp::TcpWriter<'s>
    where
        Self: 's;

    fn split(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>) {
        embassy_net::tcp::TcpSocket::split(self)
    }
}
