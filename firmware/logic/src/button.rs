//! The BOOT button as a factory-reset switch: the way back for a light whose console nobody can
//! reach (a forgotten Wi-Fi password is harmless, a wrong `leds` count is not a lock-out, but a
//! light given away must be wiped without a computer).
//!
//! A press counts only when held for [`FACTORY_RESET_HOLD`]; a short press, a bouncing contact
//! or a button stuck at boot (the chip samples the BOOT pin to choose download mode) does nothing.

use genesys_notify_core::time::{Duration, Instant};

/// How long the button must be held: far longer than any accidental press.
pub const FACTORY_RESET_HOLD: Duration = Duration::from_secs(5);
/// How often the firmware samples the button: quick enough to feel immediate, slow enough to
/// ignore contact bounce.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// Watches one button for a long hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LongPress {
    pressed_since: Option<Instant>,
    fired: bool,
    /// The button must be seen released once before a press counts.
    armed: bool,
}

impl LongPress {
    /// A watcher that ignores the button until it has been seen released.
    pub const fn new() -> Self {
        LongPress {
            pressed_since: None,
            fired: false,
            armed: false,
        }
    }

    /// Feeds one sample; returns `true` once per press, when it has been held long enough.
    pub fn sample(&mut self, now: Instant, pressed: bool) -> bool {
        if !pressed {
            *self = LongPress {
                armed: true,
                ..LongPress::new()
            };
            return false;
        }
        if !self.armed || self.fired {
            return false;
        }
        let since = *self.pressed_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= FACTORY_RESET_HOLD {
            self.fired = true;
            return true;
        }
        false
    }

    /// How long the current press has lasted, for feedback while it is held.
    pub fn held_for(&self, now: Instant) -> Option<Duration> {
        self.pressed_since
            .filter(|_| self.armed && !self.fired)
            .map(|since| now.saturating_duration_since(since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(watcher: &mut LongPress, from_ms: u64, to_ms: u64, pressed: bool) -> usize {
        (from_ms..to_ms)
            .step_by(SAMPLE_INTERVAL.as_millis() as usize)
            .filter(|&t| watcher.sample(Instant::from_millis(t), pressed))
            .count()
    }

    #[test]
    fn a_five_second_hold_fires_once() {
        let mut b = LongPress::new();
        run(&mut b, 0, 100, false);
        assert_eq!(run(&mut b, 100, 5_050, true), 0);
        assert_eq!(run(&mut b, 5_050, 20_000, true), 1);
    }

    #[test]
    fn short_presses_do_nothing() {
        let mut b = LongPress::new();
        for round in 0..10u64 {
            let start = round * 5_000;
            run(&mut b, start, start + 50, false);
            assert_eq!(run(&mut b, start + 50, start + 4_000, true), 0);
        }
    }

    #[test]
    fn a_button_held_since_boot_does_not_count() {
        let mut b = LongPress::new();
        assert_eq!(run(&mut b, 0, 30_000, true), 0);
        run(&mut b, 30_000, 30_100, false);
        assert_eq!(run(&mut b, 30_100, 36_000, true), 1);
    }

    #[test]
    fn releasing_rearms_for_another_press() {
        let mut b = LongPress::new();
        run(&mut b, 0, 50, false);
        assert_eq!(run(&mut b, 50, 6_000, true), 1);
        run(&mut b, 6_000, 6_100, false);
        assert_eq!(run(&mut b, 6_100, 12_000, true), 1);
    }

    #[test]
    fn the_hold_so_far_is_reported_for_feedback() {
        let mut b = LongPress::new();
        b.sample(Instant::from_millis(0), false);
        assert_eq!(b.held_for(Instant::from_millis(0)), None);
        b.sample(Instant::from_millis(100), true);
        assert_eq!(
            b.held_for(Instant::from_millis(2_100)),
            Some(Duration::from_secs(2))
        );
    }
}
