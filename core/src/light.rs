//! What the desk light shows: an agent's [`Activity`] and the light's own [`Health`], turned
//! into colour, pattern and brightness over time.
//!
//! The firmware drives a WS2812 LED (or a ring of them) and the CLI draws the same light in a
//! terminal; both call this module, so a colleague across the room and a developer at a
//! terminal see the same thing. Everything is integer arithmetic on the core's [`Duration`]
//! (the ESP32-C3 has no FPU), and nothing reads a clock: the caller passes how long the current
//! state has lasted.
//!
//! Two rules shape the themes:
//!
//! * **The light's own trouble never looks like an agent state.** Connecting, unreachable,
//!   credentials refused and permissions missing use patterns no agent state uses (a spinner,
//!   counted flashes), so nobody reads "the light cannot reach Genesys" as "the agent is busy".
//! * **Unsure is not confident.** When events may have been missed ([`Health::Stale`]) the light
//!   keeps the last known colour as a hint but dims it and flashes it once every two seconds,
//!   a pattern no confident state uses: a stale "available" must never pass for a real one.
//!
//! Agent states use solid light, slow breathing (something in progress: dialing, customer on
//! hold) and blinking (attention: ringing, an offer not answered).
//!
//! # The default theme
//!
//! | state | colour | pattern |
//! |---|---|---|
//! | `alerting` | blue | fast blink (4 per second): ringing |
//! | `dialing` | blue | breathing, 1.2 s |
//! | `on_call` | red | solid |
//! | `held` | red | breathing, 3 s: customer on hold |
//! | `interacting` | red | solid |
//! | `wrap_up` | orange | solid |
//! | `not_responding` | orange | blink, once a second |
//! | `on_queue` | green | solid |
//! | `available` | cyan | solid |
//! | `busy` | red | solid |
//! | `away`, `break`, `meal` | yellow | solid |
//! | `meeting`, `training` | purple | solid |
//! | `offline` | off | — |
//! | `unknown` | dim white | solid |
//! | health: connecting | white | spinner on a ring; rising ramp on one LED |
//! | health: stale | last colour at a third | one flash every 2 s |
//! | health: unreachable (no network, Genesys unreachable) | white | 2 flashes every 2 s |
//! | health: auth failed | magenta | 3 flashes every 2 s |
//! | health: forbidden | magenta | 4 flashes every 2 s |
//!
//! # The colour-blind-safe theme
//!
//! Colours from the Okabe–Ito palette, chosen so that states that must be told apart differ
//! along the blue–orange axis or in pattern, never by red against green alone; the light's own
//! trouble is always white and told apart by counting flashes.
//!
//! | state | colour | pattern |
//! |---|---|---|
//! | `alerting` | sky blue | fast blink (4 per second) |
//! | `dialing` | sky blue | breathing, 1.2 s |
//! | `on_call`, `interacting`, `busy` | vermillion | solid |
//! | `held` | vermillion | breathing, 3 s |
//! | `wrap_up` | orange | solid |
//! | `not_responding` | orange | blink, once a second |
//! | `on_queue` | blue | solid |
//! | `available` | sky blue | solid |
//! | `away`, `break`, `meal` | yellow | solid |
//! | `meeting`, `training` | reddish purple | solid |
//! | `offline` | off | — |
//! | `unknown` | dim white | solid |
//! | health: connecting | white | spinner on a ring; rising ramp on one LED |
//! | health: stale | last colour at a third | one flash every 2 s |
//! | health: unreachable (no network, Genesys unreachable) | white | 2 flashes every 2 s |
//! | health: auth failed | white | 3 flashes every 2 s |
//! | health: forbidden | white | 4 flashes every 2 s |

use crate::agent::Activity;
use crate::time::Duration;

/// The session's health, which every look below starts from; defined by the session, which
/// decides it, and re-exported here where the light's tables name it.
pub use crate::session::Health;

/// A colour in 8-bit sRGB-ish channels, as WS2812 LEDs and terminals take it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rgb {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Rgb {
    /// Dark.
    pub const OFF: Rgb = Rgb::new(0, 0, 0);

    /// A colour from its channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Rgb {
        Rgb { r, g, b }
    }

    /// Whether the colour is dark.
    pub const fn is_off(self) -> bool {
        self.r == 0 && self.g == 0 && self.b == 0
    }

    /// The colour at `level`/255 of its brightness (rounded; 0 is off, 255 unchanged).
    pub const fn scaled(self, level: u8) -> Rgb {
        Rgb::new(
            scale(self.r, level),
            scale(self.g, level),
            scale(self.b, level),
        )
    }
}

const fn scale(channel: u8, level: u8) -> u8 {
    let scaled = (channel as u16 * level as u16 + 127) / 255;
    if scaled > 255 { 255 } else { scaled as u8 }
}

/// How brightness changes over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Pattern {
    /// Steady.
    Solid,
    /// Rises and falls smoothly once per period, never fully dark.
    Breathe {
        /// One full rise and fall.
        period: Duration,
    },
    /// On for `on` at the start of every period, dark for the rest.
    Blink {
        /// One on-off cycle.
        period: Duration,
        /// How long the light is on in each cycle.
        on: Duration,
    },
    /// `count` short flashes at the start of every period, then dark: the light's own signals.
    Flashes {
        /// Flashes per period.
        count: u8,
        /// One group of flashes and its pause.
        period: Duration,
    },
    /// A dot running around a ring once per period; a rising ramp on a single LED.
    Spinner {
        /// One revolution.
        period: Duration,
    },
}

/// The lowest level of [`Pattern::Breathe`], so breathing never looks like "off".
const BREATHE_FLOOR: u8 = 24;
/// How long one flash of [`Pattern::Flashes`] lasts: short enough to count, long enough to see.
const FLASH_ON: Duration = Duration::from_millis(120);
/// The dark gap between two flashes: long enough that flashes do not blur into one.
const FLASH_GAP: Duration = Duration::from_millis(180);
/// Brightness of the LEDs trailing a spinner's head on a ring, nearest first.
const SPINNER_TAIL: [u8; 2] = [96, 32];
/// What fraction (of 255) of its brightness a stale activity keeps: clearly dimmer, still legible.
const STALE_LEVEL: u8 = 85;

/// `t · scale / period` in wide arithmetic; `period` must not be zero.
fn ratio(t: u64, scale: u64, period: u64) -> u64 {
    let wide = u128::from(t) * u128::from(scale) / u128::from(period);
    u64::try_from(wide).unwrap_or(u64::MAX)
}

/// A value in `0..=255` as a `u8`, saturating.
fn level(value: u64) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

impl Pattern {
    /// Brightness (0–255) `since` after the state began, for a single LED.
    pub fn level_at(&self, since: Duration) -> u8 {
        let since = since.as_millis();
        match *self {
            Pattern::Solid => u8::MAX,
            Pattern::Breathe { period } => {
                let Some(t) = since.checked_rem(period.as_millis()) else {
                    return u8::MAX;
                };
                let phase = ratio(t, 510, period.as_millis());
                let triangle = if phase < 255 {
                    phase
                } else {
                    510u64.saturating_sub(phase)
                };
                let eased = triangle * triangle / 255;
                let span = u64::from(u8::MAX - BREATHE_FLOOR);
                level(u64::from(BREATHE_FLOOR) + span * eased / 255)
            }
            Pattern::Blink { period, on } => match since.checked_rem(period.as_millis()) {
                Some(t) if t >= on.as_millis() => 0,
                _ => u8::MAX,
            },
            Pattern::Flashes { count, period } => {
                let Some(t) = since.checked_rem(period.as_millis()) else {
                    return u8::MAX;
                };
                let slot = (FLASH_ON + FLASH_GAP).as_millis();
                let index = t / slot;
                if index < u64::from(count) && t % slot < FLASH_ON.as_millis() {
                    u8::MAX
                } else {
                    0
                }
            }
            Pattern::Spinner { period } => match since.checked_rem(period.as_millis()) {
                Some(t) => level(ratio(t, 255, period.as_millis())),
                None => u8::MAX,
            },
        }
    }
}

/// A colour and a pattern: what one state looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Look {
    /// The colour at full brightness.
    pub colour: Rgb,
    /// How the brightness changes over time.
    pub pattern: Pattern,
}

impl Look {
    /// A look from its parts.
    pub const fn new(colour: Rgb, pattern: Pattern) -> Look {
        Look { colour, pattern }
    }

    /// The same look with its colour at `brightness`/255: the user's global brightness setting.
    pub const fn scaled(self, brightness: u8) -> Look {
        Look::new(self.colour.scaled(brightness), self.pattern)
    }

    /// The colour of a single LED `since` after the state began.
    pub fn colour_at(&self, since: Duration) -> Rgb {
        self.colour.scaled(self.pattern.level_at(since))
    }

    /// Fills a strip or ring of LEDs `since` after the state began.
    ///
    /// A [`Pattern::Spinner`] runs a dot with a short tail around two or more LEDs; every other
    /// pattern, and any pattern on a single LED, lights all LEDs alike.
    pub fn render(&self, since: Duration, leds: &mut [Rgb]) {
        match self.pattern {
            Pattern::Spinner { period } if leds.len() > 1 && period > Duration::ZERO => {
                let n = leds.len() as u64;
                let t = since.as_millis() % period.as_millis();
                let head = ratio(t, n, period.as_millis());
                for (i, led) in leds.iter_mut().enumerate() {
                    let behind = (head + n - (i as u64 % n)) % n;
                    let level = match behind {
                        0 => u8::MAX,
                        d => usize::try_from(d - 1)
                            .ok()
                            .and_then(|d| SPINNER_TAIL.get(d))
                            .copied()
                            .unwrap_or(0),
                    };
                    *led = self.colour.scaled(level);
                }
            }
            _ => leds.fill(self.colour_at(since)),
        }
    }
}

const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

const fn solid(colour: Rgb) -> Look {
    Look::new(colour, Pattern::Solid)
}

const fn breathe(colour: Rgb, period_ms: u64) -> Look {
    Look::new(
        colour,
        Pattern::Breathe {
            period: ms(period_ms),
        },
    )
}

const fn blink(colour: Rgb, period_ms: u64) -> Look {
    Look::new(
        colour,
        Pattern::Blink {
            period: ms(period_ms),
            on: ms(period_ms / 2),
        },
    )
}

const fn flashes(colour: Rgb, count: u8) -> Look {
    Look::new(
        colour,
        Pattern::Flashes {
            count,
            period: FLASH_PERIOD,
        },
    )
}

/// One group of counted flashes and its pause; four flashes (1.2 s) still leave a clear pause.
const FLASH_PERIOD: Duration = Duration::from_secs(2);
/// Ringing: four blinks a second, the most urgent state an agent can be in.
const RINGING_MS: u64 = 250;
/// An unanswered offer: urgent, but slower than ringing so the two differ.
const NOT_RESPONDING_MS: u64 = 1_000;
/// Dialing: a quick breath, something is about to happen.
const DIALING_MS: u64 = 1_200;
/// Customer on hold: a slow breath, calm but not idle.
const HELD_MS: u64 = 3_000;
/// One revolution of the connecting spinner.
const SPINNER_MS: u64 = 1_200;

const WHITE: Rgb = Rgb::new(160, 160, 160);
const DIM_WHITE: Rgb = Rgb::new(40, 40, 40);

/// How every state looks: one look per activity and one per trouble state of the light.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Theme {
    name: &'static str,
    /// In the order of [`Activity::ALL`].
    activities: [Look; Activity::ALL.len()],
    connecting: Look,
    unreachable: Look,
    auth_failed: Look,
    forbidden: Look,
}

impl Theme {
    /// The default theme (the first table in the module docs).
    pub const DEFAULT: Theme = {
        let blue = Rgb::new(0, 64, 255);
        let red = Rgb::new(255, 0, 0);
        let orange = Rgb::new(255, 80, 0);
        let green = Rgb::new(0, 255, 0);
        let cyan = Rgb::new(0, 160, 255);
        let yellow = Rgb::new(255, 160, 0);
        let purple = Rgb::new(150, 0, 255);
        let magenta = Rgb::new(255, 0, 160);
        Theme {
            name: "default",
            activities: [
                blink(blue, RINGING_MS),
                breathe(blue, DIALING_MS),
                solid(red),
                breathe(red, HELD_MS),
                solid(red),
                solid(orange),
                blink(orange, NOT_RESPONDING_MS),
                solid(green),
                solid(cyan),
                solid(red),
                solid(yellow),
                solid(yellow),
                solid(yellow),
                solid(purple),
                solid(purple),
                solid(Rgb::OFF),
                solid(DIM_WHITE),
            ],
            connecting: Look::new(
                WHITE,
                Pattern::Spinner {
                    period: ms(SPINNER_MS),
                },
            ),
            unreachable: flashes(WHITE, 2),
            auth_failed: flashes(magenta, 3),
            forbidden: flashes(magenta, 4),
        }
    };

    /// The colour-blind-safe theme (the second table in the module docs).
    pub const COLOUR_BLIND_SAFE: Theme = {
        let sky_blue = Rgb::new(86, 180, 233);
        let vermillion = Rgb::new(213, 94, 0);
        let orange = Rgb::new(230, 159, 0);
        let blue = Rgb::new(0, 114, 178);
        let yellow = Rgb::new(240, 228, 66);
        let reddish_purple = Rgb::new(204, 121, 167);
        Theme {
            name: "colour-blind",
            activities: [
                blink(sky_blue, RINGING_MS),
                breathe(sky_blue, DIALING_MS),
                solid(vermillion),
                breathe(vermillion, HELD_MS),
                solid(vermillion),
                solid(orange),
                blink(orange, NOT_RESPONDING_MS),
                solid(blue),
                solid(sky_blue),
                solid(vermillion),
                solid(yellow),
                solid(yellow),
                solid(yellow),
                solid(reddish_purple),
                solid(reddish_purple),
                solid(Rgb::OFF),
                solid(DIM_WHITE),
            ],
            connecting: Look::new(
                WHITE,
                Pattern::Spinner {
                    period: ms(SPINNER_MS),
                },
            ),
            unreachable: flashes(WHITE, 2),
            auth_failed: flashes(WHITE, 3),
            forbidden: flashes(WHITE, 4),
        }
    };

    /// Both built-in themes.
    pub const ALL: [&'static Theme; 2] = [&Theme::DEFAULT, &Theme::COLOUR_BLIND_SAFE];

    /// The theme's name for configuration files and command lines (`default`, `colour-blind`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// A built-in theme by [`Theme::name`], ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<&'static Theme> {
        Theme::ALL
            .into_iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }

    /// What the light shows for `activity` while the light is in `health`.
    ///
    /// Only [`Health::Live`] shows the activity as it is; [`Health::Stale`] dims it and
    /// flashes it once per period; every other health state hides the activity entirely.
    pub fn look(&self, health: Health, activity: Activity) -> Look {
        match health {
            Health::Live => self.activity(activity),
            Health::Stale => {
                let last = self.activity(activity).colour;
                let hint = if last.is_off() { DIM_WHITE } else { last };
                flashes(hint.scaled(STALE_LEVEL), 1)
            }
            Health::Connecting => self.connecting,
            Health::Unreachable => self.unreachable,
            Health::AuthFailed => self.auth_failed,
            Health::Forbidden => self.forbidden,
        }
    }

    fn activity(&self, activity: Activity) -> Look {
        Activity::ALL
            .iter()
            .position(|a| *a == activity)
            .and_then(|i| self.activities.get(i))
            .copied()
            .unwrap_or(solid(DIM_WHITE))
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Four seconds at 10 ms: two full periods of every pattern the themes use.
    fn waveform(look: Look) -> Vec<Rgb> {
        (0..400).map(|i| look.colour_at(ms(i * 10))).collect()
    }

    fn is_trouble(pattern: Pattern) -> bool {
        matches!(pattern, Pattern::Flashes { .. } | Pattern::Spinner { .. })
    }

    const TROUBLE: [Health; 4] = [
        Health::Connecting,
        Health::Unreachable,
        Health::AuthFailed,
        Health::Forbidden,
    ];

    #[test]
    fn solid_is_always_full_brightness() {
        for t in [0, 1, 999, u64::MAX] {
            assert_eq!(Pattern::Solid.level_at(ms(t)), 255);
        }
    }

    #[test]
    fn blink_is_on_for_its_on_time_then_off() {
        let p = Pattern::Blink {
            period: ms(500),
            on: ms(250),
        };
        assert_eq!(p.level_at(ms(0)), 255);
        assert_eq!(p.level_at(ms(249)), 255);
        assert_eq!(p.level_at(ms(250)), 0);
        assert_eq!(p.level_at(ms(499)), 0);
        assert_eq!(p.level_at(ms(500)), 255);
    }

    #[test]
    fn breathing_rises_to_full_at_half_period_and_never_goes_dark() {
        let p = Pattern::Breathe { period: ms(3000) };
        assert_eq!(p.level_at(ms(0)), BREATHE_FLOOR);
        assert_eq!(p.level_at(ms(1500)), 255);
        assert_eq!(p.level_at(ms(750)), p.level_at(ms(2250)));
        let levels: Vec<u8> = (0..300).map(|i| p.level_at(ms(i * 10))).collect();
        assert!(levels.iter().all(|&l| l >= BREATHE_FLOOR));
        assert!(levels.windows(2).take(150).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn flashes_can_be_counted() {
        for count in 1..=4u8 {
            let p = Pattern::Flashes {
                count,
                period: FLASH_PERIOD,
            };
            let levels: Vec<u8> = (0..2000).map(|t| p.level_at(ms(t))).collect();
            let rising = levels.windows(2).filter(|w| w[0] == 0 && w[1] > 0).count();
            let starts_lit = usize::from(levels.first() == Some(&255));
            assert_eq!(rising + starts_lit, usize::from(count));
        }
    }

    #[test]
    fn a_spinner_on_one_led_ramps_up_each_period() {
        let p = Pattern::Spinner { period: ms(1000) };
        assert_eq!(p.level_at(ms(0)), 0);
        assert_eq!(p.level_at(ms(500)), 127);
        assert_eq!(p.level_at(ms(999)), 254);
        assert_eq!(p.level_at(ms(1000)), 0);
    }

    #[test]
    fn zero_periods_and_the_end_of_time_never_panic() {
        let zero = ms(0);
        let patterns = [
            Pattern::Breathe { period: zero },
            Pattern::Blink {
                period: zero,
                on: zero,
            },
            Pattern::Flashes {
                count: 3,
                period: zero,
            },
            Pattern::Spinner { period: zero },
            Pattern::Breathe {
                period: Duration::MAX,
            },
            Pattern::Spinner {
                period: Duration::MAX,
            },
        ];
        for p in patterns {
            let _ = p.level_at(Duration::MAX);
            let _ = p.level_at(Duration::ZERO);
            let mut ring = [Rgb::OFF; 12];
            Look::new(WHITE, p).render(Duration::MAX, &mut ring);
        }
        assert_eq!(Pattern::Breathe { period: zero }.level_at(ms(7)), 255);
    }

    #[test]
    fn scaling_rounds_and_keeps_the_ends_exact() {
        let c = Rgb::new(255, 128, 1);
        assert_eq!(c.scaled(255), c);
        assert_eq!(c.scaled(0), Rgb::OFF);
        assert_eq!(c.scaled(128), Rgb::new(128, 64, 1));
    }

    #[test]
    fn global_brightness_scales_every_state_without_changing_its_pattern() {
        let look = Theme::DEFAULT.look(Health::Live, Activity::Alerting);
        let dim = look.scaled(64);
        assert_eq!(dim.pattern, look.pattern);
        assert_eq!(dim.colour_at(ms(0)), look.colour_at(ms(0)).scaled(64));
        assert_eq!(dim.colour_at(ms(200)), Rgb::OFF);
    }

    #[test]
    fn every_trouble_state_looks_unlike_every_agent_state() {
        for theme in Theme::ALL {
            let agent_states: Vec<Vec<Rgb>> = Activity::ALL
                .into_iter()
                .map(|a| waveform(theme.look(Health::Live, a)))
                .collect();
            for health in TROUBLE {
                for activity in Activity::ALL {
                    let look = theme.look(health, activity);
                    assert!(is_trouble(look.pattern), "{health:?} in {}", theme.name());
                    let shown = waveform(look);
                    assert!(
                        agent_states.iter().all(|s| *s != shown),
                        "{health:?} looks like an agent state in {}",
                        theme.name()
                    );
                }
            }
        }
    }

    #[test]
    fn no_agent_state_uses_a_trouble_pattern() {
        for theme in Theme::ALL {
            for activity in Activity::ALL {
                let look = theme.look(Health::Live, activity);
                assert!(!is_trouble(look.pattern), "{activity} in {}", theme.name());
            }
        }
    }

    #[test]
    fn trouble_states_differ_from_each_other() {
        for theme in Theme::ALL {
            let shown: Vec<Vec<Rgb>> = TROUBLE
                .into_iter()
                .chain([Health::Stale])
                .map(|h| waveform(theme.look(h, Activity::Available)))
                .collect();
            for (i, a) in shown.iter().enumerate() {
                for b in shown.iter().skip(i + 1) {
                    assert_ne!(a, b, "two trouble states look alike in {}", theme.name());
                }
            }
        }
    }

    #[test]
    fn a_stale_state_never_looks_like_any_confident_state() {
        for theme in Theme::ALL {
            let confident: Vec<Vec<Rgb>> = Activity::ALL
                .into_iter()
                .map(|a| waveform(theme.look(Health::Live, a)))
                .collect();
            for activity in Activity::ALL {
                let stale = waveform(theme.look(Health::Stale, activity));
                assert!(
                    confident.iter().all(|c| *c != stale),
                    "stale {activity} looks confident in {}",
                    theme.name()
                );
            }
        }
    }

    #[test]
    fn a_stale_available_keeps_its_hue_but_is_dimmer_and_mostly_dark() {
        let theme = &Theme::DEFAULT;
        let live = theme.look(Health::Live, Activity::Available);
        let stale = theme.look(Health::Stale, Activity::Available);
        assert_eq!(stale.colour, live.colour.scaled(STALE_LEVEL));
        let lit = waveform(stale).iter().filter(|c| !c.is_off()).count();
        assert!(lit < 40, "lit {lit} of 400 samples");
    }

    #[test]
    fn a_stale_offline_agent_is_still_visible() {
        for theme in Theme::ALL {
            let stale = theme.look(Health::Stale, Activity::Offline);
            assert!(!stale.colour.is_off());
        }
    }

    #[test]
    fn live_states_show_the_activity_and_trouble_hides_it() {
        let theme = &Theme::DEFAULT;
        assert_ne!(
            theme.look(Health::Live, Activity::OnCall),
            theme.look(Health::Live, Activity::Available)
        );
        assert_eq!(
            theme.look(Health::AuthFailed, Activity::OnCall),
            theme.look(Health::AuthFailed, Activity::Available)
        );
    }

    #[test]
    fn ringing_blinks_and_held_breathes_and_on_call_is_steady() {
        let theme = &Theme::DEFAULT;
        assert!(matches!(
            theme.look(Health::Live, Activity::Alerting).pattern,
            Pattern::Blink { .. }
        ));
        assert!(matches!(
            theme.look(Health::Live, Activity::Held).pattern,
            Pattern::Breathe { .. }
        ));
        assert_eq!(
            theme.look(Health::Live, Activity::OnCall).pattern,
            Pattern::Solid
        );
        assert_eq!(theme.look(Health::Live, Activity::Offline).colour, Rgb::OFF);
    }

    #[test]
    fn the_colour_blind_theme_never_tells_busy_from_free_by_red_against_green() {
        let theme = &Theme::COLOUR_BLIND_SAFE;
        for free in [Activity::Available, Activity::OnQueue] {
            let colour = theme.look(Health::Live, free).colour;
            assert!(colour.b > colour.r, "{free} is not on the blue side");
        }
        for busy in [Activity::OnCall, Activity::Busy, Activity::Interacting] {
            let colour = theme.look(Health::Live, busy).colour;
            assert!(colour.r > colour.b, "{busy} is not on the orange side");
        }
    }

    #[test]
    fn a_ring_shows_a_spinner_with_one_bright_head_and_a_fading_tail() {
        let look = Theme::DEFAULT.look(Health::Connecting, Activity::Unknown);
        let mut ring = [Rgb::OFF; 12];
        look.render(ms(0), &mut ring);
        assert_eq!(ring[0], WHITE);
        assert_eq!(ring[11], WHITE.scaled(SPINNER_TAIL[0]));
        assert_eq!(ring[10], WHITE.scaled(SPINNER_TAIL[1]));
        assert_eq!(ring.iter().filter(|c| !c.is_off()).count(), 3);
        look.render(ms(SPINNER_MS / 2), &mut ring);
        assert_eq!(ring[6], WHITE);
    }

    #[test]
    fn a_single_led_and_a_strip_show_the_same_thing_for_steady_patterns() {
        let look = Theme::DEFAULT.look(Health::Live, Activity::Held);
        let at = ms(700);
        let mut one = [Rgb::OFF; 1];
        let mut strip = [Rgb::OFF; 8];
        look.render(at, &mut one);
        look.render(at, &mut strip);
        assert_eq!(one[0], look.colour_at(at));
        assert!(strip.iter().all(|&c| c == look.colour_at(at)));
        look.render(at, &mut []);
    }

    #[test]
    fn a_single_led_shows_connecting_as_a_ramp() {
        let look = Theme::DEFAULT.look(Health::Connecting, Activity::Unknown);
        let mut one = [Rgb::OFF; 1];
        look.render(ms(SPINNER_MS / 2), &mut one);
        assert_eq!(one[0], WHITE.scaled(127));
    }

    #[test]
    fn health_states_have_snake_case_names() {
        let names: Vec<&str> = Health::ALL.into_iter().map(Health::as_str).collect();
        assert_eq!(
            names,
            [
                "connecting",
                "live",
                "stale",
                "auth_failed",
                "forbidden",
                "unreachable"
            ]
        );
        assert_eq!(std::format!("{}", Health::AuthFailed), "auth_failed");
    }

    #[test]
    fn themes_are_found_by_name() {
        assert_eq!(Theme::from_name("default"), Some(&Theme::DEFAULT));
        assert_eq!(
            Theme::from_name(" Colour-Blind "),
            Some(&Theme::COLOUR_BLIND_SAFE)
        );
        assert_eq!(Theme::from_name("neon"), None);
        assert_eq!(Theme::default(), Theme::DEFAULT);
    }

    #[test]
    fn every_health_state_has_a_look_in_every_theme() {
        for theme in Theme::ALL {
            for health in Health::ALL {
                for activity in Activity::ALL {
                    let look = theme.look(health, activity);
                    let visible = waveform(look).iter().any(|c| !c.is_off());
                    let dark_by_design = health == Health::Live && activity == Activity::Offline;
                    assert!(visible || dark_by_design, "{health:?}/{activity}");
                }
            }
        }
    }
}
