//! LED frames: the core's light model turned into the colours of each LED, frame by frame.
//!
//! The core decides what a state looks like ([`Theme::look`]); this module adds what only a
//! physical light needs: a pattern restarts when the look changes (so a ringing light starts with
//! a flash, and counted flashes are counted from one), the user's brightness and LED count apply,
//! and a frame identical to the last one is not sent again — except once a second, so a LED that
//! picked up a glitch on its data line recovers on its own.

use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::{Health, Look, Rgb, Theme};
use genesys_notify_core::time::{Duration, Instant};

use crate::config::MAX_LEDS;

/// Time between frames: 50 frames a second keeps breathing smooth and the 4 Hz blink crisp.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(20);
/// An unchanged frame is sent again after this long, to repair a LED corrupted by noise.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// The LED buffer size: one entry per LED the firmware can drive.
const CAPACITY: usize = MAX_LEDS as usize;

/// Draws the light's frames.
#[derive(Clone, Debug)]
pub struct Renderer {
    theme: &'static Theme,
    brightness: u8,
    leds: usize,
    /// LEDs past `leds` to send dark once, after the count was lowered.
    dark_tail: usize,
    health: Health,
    activity: Activity,
    look: Look,
    since: Instant,
    frame: [Rgb; CAPACITY],
    sent: Option<Instant>,
}

impl Renderer {
    /// A renderer showing `health`/`activity` from `now`.
    ///
    /// `brightness` is an LED level (1–255), `leds` is clamped to 1..=[`MAX_LEDS`].
    pub fn new(
        now: Instant,
        theme: &'static Theme,
        brightness: u8,
        leds: usize,
        health: Health,
        activity: Activity,
    ) -> Self {
        Renderer {
            theme,
            brightness,
            leds: leds.clamp(1, CAPACITY),
            dark_tail: 0,
            health,
            activity,
            look: theme.look(health, activity).scaled(brightness),
            since: now,
            frame: [Rgb::OFF; CAPACITY],
            sent: None,
        }
    }

    /// Shows `health`/`activity` from now on. The pattern restarts only if the look changes:
    /// a new agent state behind an "unreachable" light does not disturb its counted flashes.
    pub fn show(&mut self, now: Instant, health: Health, activity: Activity) {
        self.health = health;
        self.activity = activity;
        self.update_look(now);
    }

    /// Changes the theme, brightness (LED level 1–255) and LED count, from the next frame on.
    ///
    /// When the count goes down, the next frame also darkens the LEDs no longer driven: a WS2812
    /// keeps its last colour until told otherwise.
    pub fn configure(&mut self, now: Instant, theme: &'static Theme, brightness: u8, leds: usize) {
        let leds = leds.clamp(1, CAPACITY);
        let driven = self.leds + self.dark_tail;
        self.dark_tail = driven.saturating_sub(leds);
        self.leds = leds;
        self.theme = theme;
        self.brightness = brightness;
        self.update_look(now);
        self.sent = None;
    }

    /// The look on the LEDs now.
    pub fn look(&self) -> Look {
        self.look
    }

    /// The frame to send at `now`, or `None` when the LEDs already show it.
    ///
    /// Call every [`FRAME_INTERVAL`]; the returned slice has one colour per driven LED.
    pub fn frame(&mut self, now: Instant) -> Option<&[Rgb]> {
        let len = (self.leds + self.dark_tail).min(CAPACITY);
        let mut next = [Rgb::OFF; CAPACITY];
        let lit = next.get_mut(..self.leds)?;
        self.look
            .render(now.saturating_duration_since(self.since), lit);
        let due = match self.sent {
            None => true,
            Some(at) => now.saturating_duration_since(at) >= REFRESH_INTERVAL,
        };
        if !due && next.get(..len) == self.frame.get(..len) {
            return None;
        }
        self.frame = next;
        self.sent = Some(now);
        self.dark_tail = 0;
        self.frame.get(..len)
    }

    fn update_look(&mut self, now: Instant) {
        let look = self
            .theme
            .look(self.health, self.activity)
            .scaled(self.brightness);
        if look != self.look {
            self.look = look;
            self.since = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn at(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    fn renderer(leds: usize, health: Health, activity: Activity) -> Renderer {
        Renderer::new(at(0), &Theme::DEFAULT, 255, leds, health, activity)
    }

    /// The frames actually sent over `millis`, at the frame interval.
    fn sent(r: &mut Renderer, from: u64, millis: u64) -> Vec<(u64, Vec<Rgb>)> {
        (from..from + millis)
            .step_by(FRAME_INTERVAL.as_millis() as usize)
            .filter_map(|t| r.frame(at(t)).map(|f| (t, f.to_vec())))
            .collect()
    }

    #[test]
    fn the_first_frame_is_always_sent() {
        let mut r = renderer(1, Health::Live, Activity::OnCall);
        let frame = r.frame(at(0)).unwrap();
        assert_eq!(
            frame,
            [Theme::DEFAULT.look(Health::Live, Activity::OnCall).colour]
        );
    }

    #[test]
    fn a_steady_state_is_sent_once_a_second_not_fifty_times() {
        let mut r = renderer(12, Health::Live, Activity::Available);
        let frames = sent(&mut r, 0, 3000);
        let times: Vec<u64> = frames.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, [0, 1000, 2000]);
        assert!(frames.iter().all(|(_, f)| f.len() == 12));
    }

    #[test]
    fn a_blinking_state_sends_every_change() {
        let mut r = renderer(1, Health::Live, Activity::Alerting);
        let frames = sent(&mut r, 0, 1000);
        // 4 blinks a second: on at 0, 250, 500, 750 and off at 120+…; each edge is a frame.
        let edges = frames.len();
        assert_eq!(edges, 8, "{frames:?}");
    }

    #[test]
    fn a_new_look_restarts_its_pattern() {
        let mut r = renderer(1, Health::Live, Activity::Available);
        r.frame(at(0));
        r.show(at(5_130), Health::Live, Activity::Alerting);
        let frame = r.frame(at(5_140)).unwrap().to_vec();
        let ringing = Theme::DEFAULT.look(Health::Live, Activity::Alerting);
        assert_eq!(frame, [ringing.colour], "a ringing light starts lit");
    }

    #[test]
    fn an_unchanged_look_keeps_its_rhythm() {
        let mut r = renderer(1, Health::Unreachable, Activity::Available);
        r.show(at(700), Health::Unreachable, Activity::OnCall);
        assert_eq!(r.since, at(0));
        r.show(at(900), Health::Live, Activity::OnCall);
        assert_eq!(r.since, at(900));
    }

    #[test]
    fn brightness_scales_every_led() {
        let mut r = Renderer::new(
            at(0),
            &Theme::DEFAULT,
            64,
            3,
            Health::Live,
            Activity::OnCall,
        );
        let full = Theme::DEFAULT.look(Health::Live, Activity::OnCall).colour;
        assert_eq!(r.frame(at(0)).unwrap(), [full.scaled(64); 3]);
    }

    #[test]
    fn a_ring_shows_the_connecting_spinner_moving() {
        let mut r = renderer(12, Health::Connecting, Activity::Unknown);
        let first = r.frame(at(0)).unwrap().to_vec();
        let later = r.frame(at(600)).unwrap().to_vec();
        assert_ne!(first, later);
        assert_eq!(first.iter().filter(|c| !c.is_off()).count(), 3);
    }

    #[test]
    fn fewer_leds_darkens_the_ones_no_longer_driven_once() {
        let mut r = renderer(8, Health::Live, Activity::OnCall);
        r.frame(at(0));
        r.configure(at(100), &Theme::DEFAULT, 255, 3);
        let frame = r.frame(at(100)).unwrap().to_vec();
        assert_eq!(frame.len(), 8);
        assert!(frame[3..].iter().all(|c| c.is_off()));
        assert!(frame[..3].iter().all(|c| !c.is_off()));
        assert_eq!(r.frame(at(1200)).unwrap().len(), 3);
    }

    #[test]
    fn more_leds_than_the_buffer_are_clamped() {
        let mut r = renderer(500, Health::Live, Activity::OnCall);
        assert_eq!(r.frame(at(0)).unwrap().len(), CAPACITY);
        r.configure(at(0), &Theme::DEFAULT, 255, 0);
        assert_eq!(r.frame(at(0)).unwrap().len(), CAPACITY);
        assert_eq!(r.frame(at(1000)).unwrap().len(), 1);
    }

    #[test]
    fn a_theme_change_applies_at_once() {
        let mut r = renderer(1, Health::Live, Activity::Available);
        r.frame(at(0));
        r.configure(at(50), &Theme::COLOUR_BLIND_SAFE, 255, 1);
        let frame = r.frame(at(60)).unwrap().to_vec();
        assert_eq!(
            frame,
            [Theme::COLOUR_BLIND_SAFE
                .look(Health::Live, Activity::Available)
                .colour]
        );
    }

    #[test]
    fn an_offline_agent_is_dark_and_a_stale_one_is_not() {
        let mut r = renderer(1, Health::Live, Activity::Offline);
        assert_eq!(r.frame(at(0)).unwrap(), [Rgb::OFF]);
        r.show(at(10), Health::Stale, Activity::Offline);
        assert!(!r.frame(at(10)).unwrap()[0].is_off());
    }
}
