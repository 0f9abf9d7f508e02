//! Suppressing the copies a channel rollover produces.
//!
//! During make-before-break, the old and the new channel are subscribed to the same topics, so
//! an event published in the overlap arrives on both sockets. The agent reducer would survive a
//! copy, but a `watch` user or a gateway forwarding events would see it twice, and the contract
//! is "delivered once".
//!
//! The rule here is narrow on purpose: an event is a copy only if an event with the same
//! [`fingerprint`](crate::event::Event::fingerprint) arrived on a *different* socket within
//! [`DUPLICATE_WINDOW`], and each earlier arrival excuses one copy. Two identical events on the
//! same socket are never suppressed: the server sends nothing twice on one socket, and a
//! presence that goes Available → Busy → Available can produce the same body twice.

use super::SocketId;
use crate::time::{Duration, Instant};

/// How many recent events are remembered.
///
/// Why 32: an overlap lasts from the new socket's open to the old socket's close (a few seconds);
/// one agent's conversation change is three to five events, so 32 covers bursts of several agents
/// at once. A copy that falls out of the ring is delivered twice, which the reducer tolerates.
pub const DUPLICATE_RING_CAPACITY: usize = 32;

/// How far apart the two arrivals of one event may be and still count as copies.
///
/// Why 60 s: a rollover announced by `socket_closing` has about one minute to complete; the two
/// channels' copies of one event are seconds apart in practice.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
struct Seen {
    fingerprint: u64,
    socket: SocketId,
    at: Instant,
    /// A copy on another socket has already been matched against this arrival.
    matched: bool,
}

/// A bounded ring of recently delivered event fingerprints.
#[derive(Debug)]
pub(crate) struct DuplicateFilter {
    seen: heapless::Deque<Seen, DUPLICATE_RING_CAPACITY>,
}

impl DuplicateFilter {
    pub(crate) const fn new() -> Self {
        Self {
            seen: heapless::Deque::new(),
        }
    }

    /// Records an arrival; returns `true` if it is a copy of an event already delivered from
    /// another socket (suppress it), `false` if it is new (deliver it).
    pub(crate) fn is_copy(&mut self, now: Instant, socket: SocketId, fingerprint: u64) -> bool {
        let earlier = self.seen.iter_mut().find(|seen| {
            !seen.matched
                && seen.fingerprint == fingerprint
                && seen.socket != socket
                && now - seen.at <= DUPLICATE_WINDOW
        });
        if let Some(earlier) = earlier {
            earlier.matched = true;
            return true;
        }
        if self.seen.is_full() {
            self.seen.pop_front();
        }
        // Cannot fail: a slot was freed above when the ring was full.
        let _ = self.seen.push_back(Seen {
            fingerprint,
            socket,
            at: now,
            matched: false,
        });
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SocketId = SocketId::from_raw(1);
    const B: SocketId = SocketId::from_raw(2);

    fn at(secs: u64) -> Instant {
        Instant::from_secs(secs)
    }

    #[test]
    fn the_same_event_on_the_other_socket_is_a_copy() {
        let mut filter = DuplicateFilter::new();
        assert!(!filter.is_copy(at(1), A, 7));
        assert!(filter.is_copy(at(2), B, 7));
    }

    #[test]
    fn the_same_event_twice_on_one_socket_is_delivered_twice() {
        let mut filter = DuplicateFilter::new();
        assert!(!filter.is_copy(at(1), A, 7));
        assert!(!filter.is_copy(at(2), A, 7));
    }

    #[test]
    fn each_arrival_excuses_exactly_one_copy() {
        let mut filter = DuplicateFilter::new();
        assert!(!filter.is_copy(at(1), A, 7));
        assert!(!filter.is_copy(at(2), A, 7));
        assert!(filter.is_copy(at(3), B, 7));
        assert!(filter.is_copy(at(3), B, 7));
        assert!(!filter.is_copy(at(4), B, 7));
    }

    #[test]
    fn arrivals_further_apart_than_the_window_are_not_copies() {
        let mut filter = DuplicateFilter::new();
        assert!(!filter.is_copy(at(0), A, 7));
        assert!(!filter.is_copy(at(0) + DUPLICATE_WINDOW + Duration::from_secs(1), B, 7));
    }

    #[test]
    fn the_ring_forgets_the_oldest_when_full() {
        let mut filter = DuplicateFilter::new();
        for fingerprint in 0..=DUPLICATE_RING_CAPACITY as u64 {
            assert!(!filter.is_copy(at(1), A, fingerprint));
        }
        assert!(!filter.is_copy(at(2), B, 0), "the oldest was forgotten");
        assert!(filter.is_copy(at(2), B, DUPLICATE_RING_CAPACITY as u64));
    }
}
