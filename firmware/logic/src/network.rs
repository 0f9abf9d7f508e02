//! When to try Wi-Fi again.
//!
//! Access points reboot, leases lapse, offices lose power; the light must come back on its own
//! without hammering an access point that refuses it (a wrong password is retried too, since a
//! person may be fixing the network rather than the light). Full jitter keeps a floor of lights
//! that lost the same access point from retrying in lock-step.

use genesys_notify_core::backoff::{Backoff, RandomSource};
use genesys_notify_core::time::Duration;

/// Wi-Fi retry: 2 s at first, doubling, never more than a minute between attempts — a person
/// who just fixed the access point should not wait long.
pub const WIFI_RETRY: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_mins(1));
/// How long one join attempt may take before it counts as failed.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for a DHCP lease after joining before dropping the link and starting over.
pub const DHCP_TIMEOUT: Duration = Duration::from_secs(30);

/// The Wi-Fi reconnect policy: a backoff that resets on every successful join.
#[derive(Clone, Debug)]
pub struct Reconnect {
    backoff: Backoff,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            backoff: WIFI_RETRY,
        }
    }
}

impl Reconnect {
    /// A fresh policy.
    pub fn new() -> Self {
        Reconnect::default()
    }

    /// An attempt failed or the link dropped: how long to wait before the next attempt.
    pub fn next_delay(&mut self, rng: &mut impl RandomSource) -> Duration {
        self.backoff.next_delay(rng)
    }

    /// Joined and got an address: the next loss starts again from the shortest wait.
    pub fn joined(&mut self) {
        self.backoff.reset();
    }

    /// Attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.backoff.attempt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_notify_core::backoff::SplitMix64;

    #[test]
    fn waits_grow_but_never_exceed_a_minute() {
        let mut policy = Reconnect::new();
        let mut rng = SplitMix64::new(1);
        let mut longest = Duration::ZERO;
        for _ in 0..50 {
            let delay = policy.next_delay(&mut rng);
            assert!(delay <= Duration::from_mins(1));
            longest = longest.max(delay);
        }
        assert!(longest > Duration::from_secs(10), "{longest}");
        assert_eq!(policy.attempts(), 50);
    }

    #[test]
    fn a_successful_join_starts_over_from_the_shortest_wait() {
        let mut policy = Reconnect::new();
        let mut rng = SplitMix64::new(2);
        for _ in 0..10 {
            policy.next_delay(&mut rng);
        }
        policy.joined();
        assert_eq!(policy.attempts(), 0);
        assert!(policy.next_delay(&mut rng) <= Duration::from_secs(2));
    }

    #[test]
    fn lights_with_different_seeds_do_not_retry_in_lock_step() {
        let delays = |seed| {
            let mut policy = Reconnect::new();
            let mut rng = SplitMix64::new(seed);
            (0..8)
                .map(|_| policy.next_delay(&mut rng))
                .collect::<std::vec::Vec<_>>()
        };
        assert_ne!(delays(1), delays(2));
    }
}
