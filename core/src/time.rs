//! The core's own clock types.
//!
//! The core never reads a clock. Every input carries `now`, an [`Instant`] the driver
//! derived from its monotonic clock (`tokio::time::Instant`, `embassy_time::Instant`, a
//! test's virtual clock). Deadlines are computed as `now + duration`, so the protocol logic
//! needs no wall clock: a device that has not synced time yet still renews its channel on time.
//!
//! Both types count whole milliseconds in a `u64`: fine enough for heartbeats measured in
//! seconds, and wide enough (half a billion years) that arithmetic saturates instead of
//! wrapping only on nonsense input.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point on the driver's monotonic clock, in milliseconds since an arbitrary origin.
///
/// Only differences between two `Instant`s of the same driver mean anything.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    millis: u64,
}

impl Instant {
    /// The origin of the clock. Handy for tests that start their virtual clock at zero.
    pub const ZERO: Instant = Instant { millis: 0 };

    /// An instant `millis` milliseconds after the clock's origin.
    pub const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// An instant `secs` seconds after the clock's origin.
    pub const fn from_secs(secs: u64) -> Self {
        Self::from_millis(secs.saturating_mul(1000))
    }

    /// Milliseconds since the clock's origin.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(earlier.millis))
    }

    /// `self + d`, saturating at the end of time instead of overflowing.
    pub const fn saturating_add(self, d: Duration) -> Instant {
        Instant::from_millis(self.millis.saturating_add(d.millis))
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({}ms)", self.millis)
    }
}

/// A span of time in milliseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { millis: 0 };
    /// The longest representable span; used as "never".
    pub const MAX: Duration = Duration { millis: u64::MAX };

    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// A span of `secs` seconds (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self::from_millis(secs.saturating_mul(1000))
    }

    /// A span of `mins` minutes (saturating).
    pub const fn from_mins(mins: u64) -> Self {
        Self::from_secs(mins.saturating_mul(60))
    }

    /// A span of `hours` hours (saturating).
    pub const fn from_hours(hours: u64) -> Self {
        Self::from_mins(hours.saturating_mul(60))
    }

    /// The span in whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// The span in whole seconds, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.millis / 1000
    }

    /// `self * n`, saturating.
    pub const fn saturating_mul(self, n: u64) -> Duration {
        Duration::from_millis(self.millis.saturating_mul(n))
    }

    /// `self - other`, or zero if `other` is longer.
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(other.millis))
    }

    /// `self * num / den`, saturating; `den == 0` gives [`Duration::MAX`].
    pub const fn mul_ratio(self, num: u64, den: u64) -> Duration {
        if den == 0 {
            return Duration::MAX;
        }
        let wide = (self.millis as u128) * (num as u128) / (den as u128);
        if wide > u64::MAX as u128 {
            Duration::MAX
        } else {
            Duration::from_millis(wide as u64)
        }
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.millis)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.millis / 1000;
        let ms = self.millis % 1000;
        if s >= 3600 {
            write!(f, "{}h{:02}m{:02}s", s / 3600, (s / 60) % 60, s % 60)
        } else if s >= 60 {
            write!(f, "{}m{:02}s", s / 60, s % 60)
        } else if ms == 0 {
            write!(f, "{s}s")
        } else {
            write!(f, "{s}.{ms:03}s")
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the end of time: a deadline "never" stays never.
    fn add(self, rhs: Duration) -> Instant {
        self.saturating_add(rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero: a driver whose clock is not monotonic cannot make time negative.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration::from_millis(self.millis.saturating_add(rhs.millis))
    }
}

impl From<core::time::Duration> for Duration {
    fn from(d: core::time::Duration) -> Self {
        Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> Self {
        core::time::Duration::from_millis(d.millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let end = Instant::from_millis(u64::MAX - 1);
        assert_eq!(
            end + Duration::from_secs(10),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(Instant::ZERO - end, Duration::ZERO);
        assert_eq!(Duration::from_hours(u64::MAX), Duration::MAX);
    }

    #[test]
    fn durations_convert_between_units() {
        assert_eq!(Duration::from_hours(24).as_millis(), 86_400_000);
        assert_eq!(Duration::from_millis(2_500).as_secs(), 2);
        assert_eq!(
            Duration::from_secs(30).mul_ratio(5, 2),
            Duration::from_secs(75)
        );
        assert_eq!(Duration::from_secs(1).mul_ratio(1, 0), Duration::MAX);
    }

    #[test]
    fn display_reads_like_a_person_would_write_it() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(Duration::from_secs(30).to_string(), "30s");
        assert_eq!(Duration::from_millis(1_250).to_string(), "1.250s");
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
        assert_eq!(Duration::from_hours(23).to_string(), "23h00m00s");
    }
}
