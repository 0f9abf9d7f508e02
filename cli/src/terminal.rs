//! The desk light, drawn in a terminal.
//!
//! The firmware and this module call the same [`Theme::look`] and [`Look::render`], so what a
//! terminal shows is exactly what a WS2812 ring on the desk would show: the same colour, the
//! same pattern, at the same moment of the pattern. A ring of [`RING_LEDS`] dots is drawn with
//! 24-bit ANSI colours, followed by the activity's name and a status line, and redrawn in place.

use std::fmt::Write as _;
use std::time::Instant;

use genesys_notify::core::Duration;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::light::{Health, Look, Rgb, Theme};

/// How many LEDs the drawn ring has: the common 12-LED WS2812 ring.
pub const RING_LEDS: usize = 12;

/// How often the light should be redrawn for patterns to look smooth: 25 frames a second is
/// fluid for a 3 s breath and still catches every 125 ms blink of ringing.
pub const FRAME_INTERVAL: std::time::Duration = std::time::Duration::from_millis(40);

/// A light in a terminal: what it shows, and since when (patterns run from the change).
#[derive(Debug)]
pub struct TerminalLight {
    theme: &'static Theme,
    health: Health,
    activity: Activity,
    look: Look,
    since: Instant,
    lines_drawn: usize,
}

impl TerminalLight {
    /// A light showing "connecting" in `theme`.
    pub fn new(theme: &'static Theme) -> Self {
        let (health, activity) = (Health::Connecting, Activity::Unknown);
        Self {
            theme,
            health,
            activity,
            look: theme.look(health, activity),
            since: Instant::now(),
            lines_drawn: 0,
        }
    }

    /// Shows `activity` under `health`. The pattern restarts only if the look changes, so a
    /// repeated update does not make a blinking light stutter.
    pub fn set(&mut self, health: Health, activity: Activity) {
        let look = self.theme.look(health, activity);
        self.health = health;
        self.activity = activity;
        if look != self.look {
            self.look = look;
            self.since = Instant::now();
        }
    }

    /// The text that redraws the light and `status` (one or more lines) in place: the cursor
    /// goes back over the previous drawing first. Write it to the terminal as is.
    pub fn draw(&mut self, status: &str) -> String {
        let since = Duration::from(self.since.elapsed());
        let mut out = String::new();
        if self.lines_drawn > 0 {
            // Cursor up over the previous drawing, to column 1, and clear to the end of screen.
            let _ = write!(out, "\x1b[{}F\x1b[J", self.lines_drawn);
        }
        out.push_str(&ring(&self.look, since));
        let _ = writeln!(out, "  {}", label(self.health, self.activity));
        let _ = writeln!(out, "  {status}");
        self.lines_drawn = 1 + status.split('\n').count();
        out
    }
}

/// The ring as coloured dots, `since` after the look began.
pub fn ring(look: &Look, since: Duration) -> String {
    let mut leds = [Rgb::OFF; RING_LEDS];
    look.render(since, &mut leds);
    let mut out = String::new();
    for led in leds {
        if led.is_off() {
            out.push_str("\x1b[38;2;60;60;60m·\x1b[0m ");
        } else {
            let _ = write!(out, "\x1b[38;2;{};{};{}m●\x1b[0m ", led.r, led.g, led.b);
        }
    }
    out
}

/// What the light means, in words: the activity when live, the light's own state otherwise.
pub fn label(health: Health, activity: Activity) -> String {
    match health {
        Health::Live => activity.as_str().to_owned(),
        Health::Stale => format!("{activity} (stale: events may have been missed)"),
        other => other.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_activity_is_named_and_a_stale_one_says_so() {
        assert_eq!(label(Health::Live, Activity::OnCall), "on_call");
        assert!(label(Health::Stale, Activity::Available).contains("stale"));
        assert_eq!(
            label(Health::AuthFailed, Activity::Available),
            "auth_failed"
        );
    }

    #[test]
    fn the_ring_draws_every_led_in_the_themes_colour() {
        let look = Theme::DEFAULT.look(Health::Live, Activity::OnCall);
        let drawn = ring(&look, Duration::ZERO);
        assert_eq!(drawn.matches('●').count(), RING_LEDS);
        let Rgb { r, g, b } = look.colour;
        assert!(drawn.contains(&format!("\x1b[38;2;{r};{g};{b}m")));
    }

    #[test]
    fn redrawing_moves_the_cursor_back_over_the_previous_drawing() {
        let mut light = TerminalLight::new(&Theme::DEFAULT);
        let first = light.draw("status");
        assert!(!first.contains("\x1b[J"));
        light.set(Health::Live, Activity::Available);
        let second = light.draw("status");
        assert!(second.starts_with("\x1b[2F\x1b[J"));
        assert!(second.contains("available"));
    }
}
