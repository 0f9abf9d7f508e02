//! How long to wait before trying again.
//!
//! When Genesys has an outage, every client of an organisation sees it at the same moment. If
//! they all retry after the same fixed or exponential delay, they come back in lockstep and
//! hammer the recovering service together; a fleet of desk lights would do exactly that.
//! *Full jitter* (see AWS' "Exponential Backoff and Jitter") spreads them out: the n-th retry
//! waits a uniformly random time in `[0, min(cap, base · 2ⁿ)]`.
//!
//! Two rules sit on top:
//! * a server's `Retry-After` (on 429 and some 5xx) is a floor: the delay is never shorter;
//! * success resets the sequence, so one blip a day does not leave a client slow forever.
//!
//! The core has no randomness of its own: the driver injects it through [`RandomSource`].
//! [`SplitMix64`] is a tiny deterministic generator for devices without a hardware RNG handy and
//! for tests; seed it from something that differs per device (hardware RNG, MAC address, boot
//! time), or a fleet will jitter in unison.

use crate::time::Duration;

/// A source of uniformly distributed 32-bit values.
///
/// Backoff needs no cryptographic quality, only values that differ between clients.
pub trait RandomSource {
    /// The next random value.
    fn next_u32(&mut self) -> u32;
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn next_u32(&mut self) -> u32 {
        (**self).next_u32()
    }
}

/// Sebastiano Vigna's SplitMix64: a tiny, fast, deterministic generator. Every seed is fine,
/// zero included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is determined by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl RandomSource for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        // The high half has the better statistical quality.
        (self.next_u64() >> 32) as u32
    }
}

/// Capped exponential backoff with full jitter.
///
/// ```
/// use genesys_notify_core::backoff::{Backoff, SplitMix64};
/// use genesys_notify_core::Duration;
///
/// let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_mins(5));
/// let mut rng = SplitMix64::new(0x5EED);
/// let first = backoff.next_delay(&mut rng);
/// assert!(first <= Duration::from_secs(1));
/// let second = backoff.next_delay(&mut rng);
/// assert!(second <= Duration::from_secs(2));
/// backoff.reset();
/// assert_eq!(backoff.attempt(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// The project's default for reconnecting: 1 s doubling up to 5 minutes.
    ///
    /// Short enough that a desk light recovers within a minute of a blip, long enough at the cap
    /// that a fleet does not breach Genesys' ~300 requests/minute per token during an outage.
    pub const RECONNECT: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_mins(5));

    /// Backoff whose first delay is at most `base`, doubling per attempt up to `cap`.
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// How many delays were handed out since the last [`Backoff::reset`].
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The upper bound of the next delay: `min(cap, base · 2^attempt)`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u64.checked_shl(self.attempt).unwrap_or(u64::MAX);
        let grown = self.base.saturating_mul(factor);
        if grown < self.cap { grown } else { self.cap }
    }

    /// The delay before the next attempt, uniformly random in `[0, ceiling()]`; advances the
    /// sequence.
    pub fn next_delay(&mut self, rng: &mut impl RandomSource) -> Duration {
        let ceiling = self.ceiling().as_millis();
        // Scales a 32-bit value onto 0..=ceiling without bias worth mentioning and without
        // overflow: (r · (ceiling + 1)) / 2³², computed in 128 bits.
        let scaled = (u128::from(rng.next_u32()) * (u128::from(ceiling) + 1)) >> 32;
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_millis(u64::try_from(scaled).unwrap_or(ceiling))
    }

    /// Like [`Backoff::next_delay`], but never shorter than the server's `Retry-After`.
    pub fn next_delay_after(
        &mut self,
        retry_after: Option<Duration>,
        rng: &mut impl RandomSource,
    ) -> Duration {
        let jittered = self.next_delay(rng);
        match retry_after {
            Some(floor) if floor > jittered => floor,
            _ => jittered,
        }
    }

    /// Starts over after a success: the next delay is again at most `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Always returns the same value: pins the jitter to a known point of its range.
    struct Fixed(u32);

    impl RandomSource for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0
        }
    }

    fn backoff() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }

    #[test]
    fn the_ceiling_doubles_per_attempt_until_the_cap() {
        let mut b = backoff();
        let mut ceilings = [0u64; 9];
        for c in &mut ceilings {
            *c = b.ceiling().as_secs();
            b.next_delay(&mut Fixed(0));
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn the_largest_random_value_reaches_the_ceiling_and_zero_reaches_zero() {
        let mut b = backoff();
        assert_eq!(
            b.next_delay(&mut Fixed(u32::MAX)),
            Duration::from_millis(1000)
        );
        assert_eq!(b.next_delay(&mut Fixed(0)), Duration::ZERO);
        assert_eq!(
            b.next_delay(&mut Fixed(u32::MAX / 2)),
            Duration::from_millis(2000)
        );
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling() {
        let mut b = backoff();
        let mut rng = SplitMix64::new(7);
        for _ in 0..200 {
            let ceiling = b.ceiling();
            assert!(b.next_delay(&mut rng) <= ceiling);
        }
    }

    #[test]
    fn jitter_spreads_clients_across_the_range() {
        let mut rng = SplitMix64::new(42);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let delay = backoff().next_delay(&mut rng).as_millis();
            let bucket = usize::try_from(delay / 100).unwrap_or(9).min(9);
            if let Some(b) = buckets.get_mut(bucket) {
                *b += 1;
            }
        }
        assert!(
            buckets.iter().all(|&n| (800..1200).contains(&n)),
            "{buckets:?}"
        );
    }

    #[test]
    fn success_resets_the_sequence() {
        let mut b = backoff();
        for _ in 0..5 {
            b.next_delay(&mut Fixed(0));
        }
        assert_eq!(b.ceiling(), Duration::from_secs(32));
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.ceiling(), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_a_floor_never_a_shortcut() {
        let mut b = backoff();
        let floor = Some(Duration::from_secs(30));
        assert_eq!(
            b.next_delay_after(floor, &mut Fixed(u32::MAX)),
            Duration::from_secs(30)
        );
        for _ in 0..10 {
            assert!(b.next_delay_after(floor, &mut Fixed(u32::MAX)) >= Duration::from_secs(30));
        }
        assert_eq!(
            b.next_delay_after(floor, &mut Fixed(u32::MAX)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn without_retry_after_the_jittered_delay_is_used() {
        let mut b = backoff();
        assert_eq!(b.next_delay_after(None, &mut Fixed(0)), Duration::ZERO);
        assert_eq!(b.attempt(), 1);
    }

    #[test]
    fn a_very_long_outage_saturates_instead_of_overflowing() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::MAX);
        for _ in 0..100 {
            b.next_delay(&mut Fixed(u32::MAX));
        }
        assert_eq!(b.attempt(), 100);
        assert_eq!(b.ceiling(), Duration::MAX);
        assert!(b.next_delay(&mut Fixed(u32::MAX)) <= Duration::MAX);
        let mut huge = Backoff::new(Duration::MAX, Duration::MAX);
        let top = huge.next_delay(&mut Fixed(u32::MAX));
        assert_eq!(top.as_millis(), u64::MAX - u64::from(u32::MAX));
    }

    #[test]
    fn a_zero_base_never_waits() {
        let mut b = Backoff::new(Duration::ZERO, Duration::from_secs(10));
        for _ in 0..5 {
            assert_eq!(b.next_delay(&mut Fixed(u32::MAX)), Duration::ZERO);
        }
    }

    #[test]
    fn the_reconnect_default_starts_at_one_second_and_caps_at_five_minutes() {
        let mut b = Backoff::RECONNECT;
        assert_eq!(b.ceiling(), Duration::from_secs(1));
        for _ in 0..20 {
            b.next_delay(&mut Fixed(0));
        }
        assert_eq!(b.ceiling(), Duration::from_mins(5));
    }

    #[test]
    fn splitmix_is_deterministic_per_seed_and_differs_between_seeds() {
        let mut a = SplitMix64::new(1);
        let mut b = SplitMix64::new(1);
        let mut c = SplitMix64::new(2);
        let (xa, xb, xc) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(a.next_u32(), c.next_u32());
    }

    #[test]
    fn splitmix_matches_the_reference_sequence_for_seed_zero() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn a_mutable_reference_is_a_random_source_too() {
        fn draw(mut source: impl RandomSource) -> u32 {
            source.next_u32()
        }
        let mut rng = SplitMix64::new(3);
        let mut copy = rng.clone();
        assert_eq!(draw(&mut rng), copy.next_u32());
        assert_eq!(draw(&mut rng), copy.next_u32());
    }
}
