//! The little state the tasks share: what the light shows, the wall clock, the last problem.
//!
//! One blocking mutex over plain data, held for a few instructions at a time: the LED task reads
//! it fifty times a second and the network tasks write it on every change, so a channel per
//! fact would only add queues that can fill up.

use core::cell::RefCell;
use core::fmt::Write;

use desk_light_logic::indicator::Indicator;
use desk_light_logic::sntp::WallClock;
use desk_light_logic::time_floor::TimeFloor;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use genesys_notify_core::light::Theme;
use heapless::String;

/// Longest problem sentence kept for `status`: a diagnosis from the core is at most a few
/// hundred bytes; the end is cut rather than the light running out of memory.
pub const PROBLEM_CAPACITY: usize = 320;

/// What the renderer is told to use: changed live from the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderSettings {
    /// The theme.
    pub theme: &'static Theme,
    /// LED level 1–255.
    pub brightness: u8,
    /// Chained LEDs.
    pub leds: usize,
}

/// Everything shared.
pub struct Shared {
    /// The light's own health and the agent's activity.
    pub indicator: Indicator,
    /// The wall clock, set by SNTP.
    pub clock: WallClock,
    /// The floor under the wall clock: no SNTP answer before it is believed.
    pub time_floor: TimeFloor,
    /// The light's IPv4 address.
    pub address: Option<[u8; 4]>,
    /// The last problem, in words.
    pub problem: String<PROBLEM_CAPACITY>,
    /// The renderer's settings.
    pub render: RenderSettings,
}

static SHARED: Mutex<CriticalSectionRawMutex, RefCell<Shared>> = Mutex::new(RefCell::new(Shared {
    indicator: Indicator::new(false),
    clock: WallClock::new(),
    time_floor: TimeFloor::new(),
    address: None,
    problem: String::new(),
    render: RenderSettings {
        theme: &Theme::DEFAULT,
        brightness: 102,
        leds: 1,
    },
}));

/// Runs `f` on the shared state. Keep `f` short: it runs with interrupts masked.
pub fn with<R>(f: impl FnOnce(&mut Shared) -> R) -> R {
    SHARED.lock(|cell| f(&mut cell.borrow_mut()))
}

/// Records the last problem (cut to [`PROBLEM_CAPACITY`]); `None` clears it.
pub fn set_problem(problem: Option<&dyn core::fmt::Display>) {
    with(|s| {
        s.problem.clear();
        if let Some(problem) = problem {
            let mut cut = Truncating(&mut s.problem);
            // A full buffer only cuts the sentence short.
            let _ = write!(cut, "{problem}");
        }
    });
}

/// A writer that keeps what fits and drops the rest.
struct Truncating<'a, const N: usize>(&'a mut String<N>);

impl<const N: usize> Write for Truncating<'_, N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}
