//! The runner's connections, shared by its sockets and its REST calls.
//!
//! A TLS connection's buffers are most of the runner's memory: the record buffer alone is
//! 16.6 KB, fixed by TLS. Three would be needed if every user had its own (two sockets, so that
//! a rollover connects the new one before closing the old, and one for REST); yet all three are
//! busy at once only in a rollover's overlap, and for a few seconds. So the runner has
//! [`CONNECTIONS`] of them, and whoever needs one leases it: a socket for its whole life, a
//! REST call for one exchange. A [`Lease`] gives its connection back when dropped and wakes
//! whoever waits for one.
//!
//! A connection's payload buffer is a socket's message buffer or a REST call's response head
//! and body, never both: the two never need it at the same time.

use core::cell::{RefCell, RefMut};
use core::future::poll_fn;
use core::task::Poll;

use embassy_sync::waitqueue::MultiWakerRegistration;

use crate::net::TcpBuffers;
use crate::tls::TlsBuffers;

/// Connections the runner owns. Two: a rollover's old and new sockets hold both during the
/// overlap (seconds); the rest of the time one socket holds one and REST calls borrow the other.
pub const CONNECTIONS: usize = 2;

/// The default size of a connection's payload buffer: a socket's largest message, or a REST
/// response's head and body. A conversation event carries every participant and leg: the
/// captured five-participant callback is 5.5 KB on the wire (9 KB pretty-printed), so 12 KiB
/// holds twice that. A larger message is drained, counted, and the agent's state re-read by
/// REST. A device short of RAM chooses a smaller one: `Buffers::<{ 8 * 1024 }>::with_payload_len()`.
pub const PAYLOAD_BUFFER_LEN: usize = 12 * 1024;

/// Who may wait for a connection at once: the driver (for a REST call) and the two socket slots.
const WAITERS: usize = 3;

/// The storage of one connection: TCP, TLS records, and a payload buffer of `PAYLOAD` bytes.
pub(crate) struct ConnectionBuffers<const PAYLOAD: usize> {
    tcp: TcpBuffers,
    tls: TlsBuffers,
    payload: [u8; PAYLOAD],
}

impl<const PAYLOAD: usize> ConnectionBuffers<PAYLOAD> {
    pub(crate) const fn new() -> Self {
        Self {
            tcp: TcpBuffers::new(),
            tls: TlsBuffers::new(),
            payload: [0; PAYLOAD],
        }
    }

    /// The buffers, with the payload size erased: nothing past [`Buffers`](crate::Buffers)
    /// depends on it.
    pub(crate) fn borrow(&mut self) -> Connection<'_> {
        Connection {
            tcp: &mut self.tcp,
            tls: &mut self.tls,
            payload: &mut self.payload,
        }
    }
}

/// The buffers of one connection, borrowed: TCP, TLS records, and the payload.
pub(crate) struct Connection<'b> {
    pub(crate) tcp: &'b mut TcpBuffers,
    pub(crate) tls: &'b mut TlsBuffers,
    pub(crate) payload: &'b mut [u8],
}

impl Connection<'_> {
    /// The same buffers, borrowed for less long.
    pub(crate) fn reborrow(&mut self) -> Connection<'_> {
        Connection {
            tcp: self.tcp,
            tls: self.tls,
            payload: self.payload,
        }
    }
}

/// The connections, each free while no one borrows it, and who waits for one. Used from one
/// executor only.
pub(crate) struct Pool<'c> {
    connections: [RefCell<Connection<'c>>; CONNECTIONS],
    waiting: RefCell<MultiWakerRegistration<WAITERS>>,
}

impl<'c> Pool<'c> {
    /// A pool of every connection in `connections`, all free.
    pub(crate) fn new(connections: &'c mut [Connection<'_>; CONNECTIONS]) -> Self {
        Self {
            connections: connections
                .each_mut()
                .map(|connection| RefCell::new(connection.reborrow())),
            waiting: RefCell::new(MultiWakerRegistration::new()),
        }
    }

    /// A free connection, if there is one now.
    pub(crate) fn try_lease(&self) -> Option<Lease<'_, 'c>> {
        let guard = self
            .connections
            .iter()
            .find_map(|connection| connection.try_borrow_mut().ok())?;
        Some(Lease { pool: self, guard })
    }

    /// Waits for a free connection.
    pub(crate) async fn lease(&self) -> Lease<'_, 'c> {
        poll_fn(|cx| match self.try_lease() {
            Some(lease) => Poll::Ready(lease),
            None => {
                self.waiting.borrow_mut().register(cx.waker());
                Poll::Pending
            }
        })
        .await
    }

    /// Waits until a connection is free, without taking it.
    pub(crate) async fn freed(&self) {
        poll_fn(|cx| {
            if self.connections.iter().any(|c| c.try_borrow_mut().is_ok()) {
                Poll::Ready(())
            } else {
                self.waiting.borrow_mut().register(cx.waker());
                Poll::Pending
            }
        })
        .await;
    }
}

/// One leased connection; free again when the lease is dropped.
pub(crate) struct Lease<'p, 'c> {
    pool: &'p Pool<'c>,
    guard: RefMut<'p, Connection<'c>>,
}

impl<'c> Lease<'_, 'c> {
    /// The connection's buffers.
    pub(crate) fn connection(&mut self) -> &mut Connection<'c> {
        &mut self.guard
    }
}

impl Drop for Lease<'_, '_> {
    fn drop(&mut self) {
        // Waking only schedules the waiters: they look again after the guard is released.
        self.pool.waiting.borrow_mut().wake();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;

    use super::*;

    #[test]
    fn a_connection_goes_back_to_the_pool_when_its_lease_ends() {
        let storage: &mut [ConnectionBuffers<1024>; CONNECTIONS] =
            Box::leak(Box::new([const { ConnectionBuffers::new() }; CONNECTIONS]));
        let mut connections = storage.each_mut().map(ConnectionBuffers::borrow);
        let pool = Pool::new(&mut connections);
        let first = pool.try_lease();
        let second = pool.try_lease();
        assert!(first.is_some() && second.is_some());
        assert!(pool.try_lease().is_none(), "only two connections exist");
        drop(first);
        let mut third = pool.try_lease().expect("the first came back");
        third.connection().payload[0] = 1;
    }

    #[test]
    fn a_waiter_gets_the_connection_given_back() {
        let storage: &mut [ConnectionBuffers<1024>; CONNECTIONS] =
            Box::leak(Box::new([const { ConnectionBuffers::new() }; CONNECTIONS]));
        let mut connections = storage.each_mut().map(ConnectionBuffers::borrow);
        let pool = Pool::new(&mut connections);
        let first = pool.try_lease();
        let _second = pool.try_lease();
        let mut waiting = core::pin::pin!(pool.lease());
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_pending());
        drop(first);
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_ready());
    }
}
