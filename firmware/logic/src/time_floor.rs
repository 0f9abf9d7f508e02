//! The clock cannot be walked back: a floor under the wall clock, kept across restarts.
//!
//! SNTP is not authenticated. Whoever answers for the time server can set the light's clock,
//! and a clock set back makes an expired certificate (one whose key may have leaked since) or a
//! revoked CA's look valid again. The light keeps a *last-known-good time*: the newest wall
//! time at which it verified a Genesys server's certificate chain. A time server answer more
//! than [`TOLERANCE`] before it is refused ([`TimeFloor::check`]).
//!
//! Only a verified handshake raises the floor, never an SNTP answer on its own: otherwise one
//! forged answer from far in the future would be saved and refuse every true time after it.
//! A handshake bounds how far ahead a forged clock can be (the server's certificate must still
//! be valid then).
//!
//! The floor is saved in the settings flash (record [`RECORD_ID`]) whenever it has risen by
//! [`SAVE_STEP`] since the last save: at most one small write a day, nothing for the flash's
//! wear to notice. After a restart the saved floor is the floor, so the protection holds
//! before the first handshake too — at most a day behind the newest good time.
//!
//! What remains: a light that never saw a good time (new, or after `factory-reset`) has no
//! floor and believes its first answer.

use core::fmt;

use crate::sntp::Utc;

/// The settings-map record holding the floor. Settings use ids 1 to 10 ([`crate::config::Key`]);
/// ids from 128 up are the light's own state, never a setting.
pub const RECORD_ID: u8 = 128;

/// The record's length: the floor in seconds since the Unix epoch, big-endian.
pub const RECORD_LEN: usize = 8;

/// How far the floor must have risen before it is saved again: a day, so the flash sees at
/// most one write a day from it.
pub const SAVE_STEP: u64 = 86_400;

/// How far before the floor an answer may be and still be believed: five minutes, for the
/// crystal's drift since the floor was seen and the round trip's error, far less than any
/// certificate's validity.
pub const TOLERANCE: u64 = 300;

/// A time server's answer earlier than the floor: not believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WalkedBack {
    /// The answer, in seconds since the Unix epoch.
    pub offered: u64,
    /// The floor, in seconds since the Unix epoch.
    pub floor: u64,
}

impl fmt::Display for WalkedBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "time server says {}, earlier than the {} this light already verified a server at; \
             not believed (a wrong or forged time server: check time.server)",
            Utc(self.offered),
            Utc(self.floor)
        )
    }
}

/// The last-known-good time, and what of it has been saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeFloor {
    floor: Option<u64>,
    saved: Option<u64>,
}

impl TimeFloor {
    /// No floor: a light that never verified a server.
    pub const fn new() -> Self {
        TimeFloor {
            floor: None,
            saved: None,
        }
    }

    /// The floor read back from flash at start-up.
    pub const fn restored(saved: u64) -> Self {
        TimeFloor {
            floor: Some(saved),
            saved: Some(saved),
        }
    }

    /// The floor, in seconds since the Unix epoch, once there is one.
    pub const fn floor(&self) -> Option<u64> {
        self.floor
    }

    /// Judges a time server's answer (seconds since the Unix epoch): believed unless it is more
    /// than [`TOLERANCE`] before the floor.
    pub fn check(&self, offered: u64) -> Result<(), WalkedBack> {
        match self.floor {
            Some(floor) if offered.saturating_add(TOLERANCE) < floor => {
                Err(WalkedBack { offered, floor })
            }
            _ => Ok(()),
        }
    }

    /// The wall clock read `unix_secs` when a server's certificate chain was just verified
    /// with it: the floor rises to it. Returns the value to save when the floor has risen by
    /// [`SAVE_STEP`] since the last save (or was never saved); the caller saves it and then
    /// calls [`TimeFloor::saved`]. A failed save is simply asked for again next time.
    pub fn observe(&mut self, unix_secs: u64) -> Option<u64> {
        if self.floor.is_some_and(|floor| unix_secs <= floor) {
            return None;
        }
        self.floor = Some(unix_secs);
        match self.saved {
            Some(saved) if unix_secs < saved.saturating_add(SAVE_STEP) => None,
            _ => Some(unix_secs),
        }
    }

    /// `unix_secs` is now in flash.
    pub fn saved(&mut self, unix_secs: u64) {
        self.saved = Some(self.saved.map_or(unix_secs, |saved| saved.max(unix_secs)));
    }
}

/// The record's bytes for a floor of `unix_secs`.
pub const fn encode(unix_secs: u64) -> [u8; RECORD_LEN] {
    unix_secs.to_be_bytes()
}

/// The floor a record holds; `None` for a record of another length (never a panic).
pub fn decode(record: &[u8]) -> Option<u64> {
    let bytes: [u8; RECORD_LEN] = record.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sntp::WallClock;
    use genesys_notify_core::time::{Duration, Instant};
    use std::string::ToString;
    use std::vec::Vec;

    /// 2026-11-29T09:41:00Z.
    const GOOD: u64 = 1_795_945_260;

    #[test]
    fn without_a_floor_any_answer_is_believed() {
        assert_eq!(TimeFloor::new().check(0), Ok(()));
        assert_eq!(TimeFloor::new().floor(), None);
    }

    #[test]
    fn an_answer_before_the_floor_is_refused_and_says_both_times() {
        let floor = TimeFloor::restored(GOOD);
        let walked_back = GOOD - 365 * 86_400;
        let refused = floor.check(walked_back);
        assert_eq!(
            refused,
            Err(WalkedBack {
                offered: walked_back,
                floor: GOOD
            })
        );
        let text = refused.unwrap_err().to_string();
        assert!(text.contains("2025-11-29T09:41:00Z"), "{text}");
        assert!(text.contains("2026-11-29T09:41:00Z"), "{text}");
        assert!(text.contains("time.server"), "{text}");
    }

    #[test]
    fn an_answer_within_five_minutes_before_the_floor_is_believed() {
        let floor = TimeFloor::restored(GOOD);
        assert_eq!(floor.check(GOOD - TOLERANCE), Ok(()));
        assert!(floor.check(GOOD - TOLERANCE - 1).is_err());
        assert_eq!(floor.check(GOOD + 10 * 365 * 86_400), Ok(()));
    }

    #[test]
    fn the_first_good_time_is_saved_at_once() {
        let mut floor = TimeFloor::new();
        assert_eq!(floor.observe(GOOD), Some(GOOD));
        floor.saved(GOOD);
        assert_eq!(floor.floor(), Some(GOOD));
    }

    #[test]
    fn the_floor_never_falls() {
        let mut floor = TimeFloor::restored(GOOD);
        assert_eq!(floor.observe(GOOD - 3600), None);
        assert_eq!(floor.floor(), Some(GOOD));
    }

    #[test]
    fn a_failed_save_is_asked_for_again() {
        let mut floor = TimeFloor::restored(GOOD);
        assert_eq!(floor.observe(GOOD + SAVE_STEP), Some(GOOD + SAVE_STEP));
        // Not saved: the next good time asks again.
        assert_eq!(
            floor.observe(GOOD + SAVE_STEP + 60),
            Some(GOOD + SAVE_STEP + 60)
        );
    }

    /// A month of a light's life in virtual time: SNTP every six hours, a verified handshake
    /// every hour. The floor follows the clock, and flash is written once a day.
    #[test]
    fn a_month_of_handshakes_writes_flash_once_a_day() {
        let mut clock = WallClock::new();
        let mut floor = TimeFloor::restored(GOOD);
        let mut flash = Vec::new();
        let start = Instant::from_secs(0);
        for hour in 0..30 * 24u64 {
            let now = start + Duration::from_hours(hour);
            if hour % 6 == 0 {
                let answer = GOOD + hour * 3600;
                assert_eq!(floor.check(answer), Ok(()));
                clock.set(now, answer * 1000);
            }
            let Some(wall) = clock.unix_secs(now) else {
                unreachable!("the clock is set at hour 0");
            };
            if let Some(save) = floor.observe(wall) {
                flash.push(encode(save));
                floor.saved(save);
            }
        }
        assert_eq!(flash.len(), 29);
        assert_eq!(floor.floor(), Some(GOOD + (30 * 24 - 1) * 3600));
        assert_eq!(
            flash.last().and_then(|record| decode(record)),
            Some(GOOD + 29 * 86_400)
        );
    }

    /// After a restart from the saved floor, a time server set a year back is refused, and
    /// the clock stays unset; the true time is then believed.
    #[test]
    fn a_restarted_light_refuses_a_time_server_walked_back() {
        let saved = decode(&encode(GOOD)).map(TimeFloor::restored);
        let floor = saved.unwrap_or_default();
        let mut clock = WallClock::new();
        let now = Instant::from_secs(12);
        for answer in [GOOD - 365 * 86_400, GOOD + 3600] {
            if floor.check(answer).is_ok() {
                clock.set(now, answer * 1000);
            }
        }
        assert_eq!(clock.unix_secs(now), Some(GOOD + 3600));
    }

    #[test]
    fn records_of_another_length_are_ignored() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[1; 7]), None);
        assert_eq!(decode(&[1; 9]), None);
        assert_eq!(decode(&encode(u64::MAX)), Some(u64::MAX));
    }

    #[test]
    fn the_record_id_is_no_setting() {
        assert_eq!(crate::config::Key::from_id(RECORD_ID), None);
    }
}
