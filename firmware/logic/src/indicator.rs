//! What the light says about itself: the firmware's view of its own health, from which the LED
//! frame is drawn.
//!
//! The session in the core knows only Genesys: it reports [`Health`] once it has a network. The
//! light also depends on things the session never sees — a configuration, Wi-Fi, a clock good
//! enough to check certificates — and one rule matters above all: it must never show a
//! confident agent state it cannot vouch for. So the indicator overrides the session whenever a
//! lower layer is down, and after any Wi-Fi drop it shows [`Health::Stale`] until the session
//! has reported [`Health::Live`] again.

use core::fmt;

use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::Health;

/// Failed Wi-Fi joins (or SNTP exchanges) in a row before the light stops saying "connecting"
/// and says "unreachable": one failure is normal at boot, three are not.
pub const UNREACHABLE_AFTER_FAILURES: u8 = 3;

/// The state of the Wi-Fi link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Network {
    /// Trying to join (or waiting to retry); never joined since the last loss.
    Joining,
    /// Joined and holding an address.
    Up,
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Joining => "joining",
            Network::Up => "connected",
        })
    }
}

/// Whether the wall clock can be trusted for certificate checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Clock {
    /// No SNTP answer yet.
    Unset,
    /// Set by SNTP at least once since boot.
    Set,
}

/// The light's own health, combined from configuration, Wi-Fi, clock and session.
///
/// Feed it every change (`network_*`, `clock_*`, `session`, `agent`), then read [`Indicator::health`]
/// and [`Indicator::activity`] and hand both to the renderer.
#[derive(Clone, Debug)]
pub struct Indicator {
    configured: bool,
    network: Network,
    network_failures: u8,
    was_up: bool,
    clock: Clock,
    clock_failures: u8,
    session: Option<Health>,
    activity: Activity,
    stale: bool,
}

impl Indicator {
    /// A light that just booted; `configured` says whether every required setting is there.
    pub const fn new(configured: bool) -> Self {
        Indicator {
            configured,
            network: Network::Joining,
            network_failures: 0,
            was_up: false,
            clock: Clock::Unset,
            clock_failures: 0,
            session: None,
            activity: Activity::Unknown,
            stale: false,
        }
    }

    /// Wi-Fi joined and an address was assigned.
    pub fn network_joined(&mut self) {
        self.network = Network::Up;
        self.network_failures = 0;
        self.was_up = true;
    }

    /// One attempt to join failed.
    pub fn network_failed(&mut self) {
        self.network = Network::Joining;
        self.network_failures = self.network_failures.saturating_add(1);
    }

    /// The link dropped. Whatever the session said is no longer vouched for.
    pub fn network_lost(&mut self) {
        self.network = Network::Joining;
        if self.session == Some(Health::Live) {
            self.session = Some(Health::Stale);
        }
    }

    /// SNTP answered.
    pub fn clock_set(&mut self) {
        self.clock = Clock::Set;
        self.clock_failures = 0;
    }

    /// An SNTP exchange failed (no answer, unusable answer).
    pub fn clock_failed(&mut self) {
        self.clock_failures = self.clock_failures.saturating_add(1);
    }

    /// The session reported its health.
    pub fn session(&mut self, health: Health) {
        self.session = Some(health);
    }

    /// The session reported the agent's activity, and whether it may be out of date.
    pub fn agent(&mut self, activity: Activity, stale: bool) {
        self.activity = activity;
        self.stale = stale;
    }

    /// The Wi-Fi link.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The agent's last known activity.
    pub fn activity(&self) -> Activity {
        self.activity
    }

    /// What the light shows about itself.
    ///
    /// In order: a missing setting or a refusal by Genesys (both need a person) wins; then no
    /// Wi-Fi; then no clock; then the session's own word, lowered to stale while the agent's
    /// state may be out of date.
    pub fn health(&self) -> Health {
        if !self.configured {
            return Health::AuthFailed;
        }
        if let Some(stopped @ (Health::AuthFailed | Health::Forbidden)) = self.session {
            return stopped;
        }
        if self.network != Network::Up {
            // Lost after working, or failing again and again: say so, never keep the agent shown.
            let failing = self.network_failures >= UNREACHABLE_AFTER_FAILURES;
            return if self.was_up || failing {
                Health::Unreachable
            } else {
                Health::Connecting
            };
        }
        if self.clock == Clock::Unset {
            return if self.clock_failures >= UNREACHABLE_AFTER_FAILURES {
                Health::Unreachable
            } else {
                Health::Connecting
            };
        }
        match self.session {
            None => Health::Connecting,
            Some(Health::Live) if self.stale => Health::Stale,
            Some(health) => health,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Indicator {
        let mut indicator = Indicator::new(true);
        indicator.network_joined();
        indicator.clock_set();
        indicator.session(Health::Live);
        indicator.agent(Activity::Available, false);
        indicator
    }

    #[test]
    fn an_unconfigured_light_asks_for_its_configuration() {
        let mut indicator = Indicator::new(false);
        indicator.network_joined();
        indicator.clock_set();
        assert_eq!(indicator.health(), Health::AuthFailed);
    }

    #[test]
    fn a_booting_light_is_connecting_until_the_session_is_live() {
        let mut indicator = Indicator::new(true);
        assert_eq!(indicator.health(), Health::Connecting);
        indicator.network_joined();
        assert_eq!(indicator.health(), Health::Connecting);
        indicator.clock_set();
        assert_eq!(indicator.health(), Health::Connecting);
        indicator.session(Health::Live);
        assert_eq!(indicator.health(), Health::Live);
    }

    #[test]
    fn one_failed_join_is_still_connecting_and_three_are_unreachable() {
        let mut indicator = Indicator::new(true);
        indicator.network_failed();
        indicator.network_failed();
        assert_eq!(indicator.health(), Health::Connecting);
        indicator.network_failed();
        assert_eq!(indicator.health(), Health::Unreachable);
        indicator.network_joined();
        assert_eq!(indicator.health(), Health::Connecting);
    }

    #[test]
    fn losing_wifi_hides_the_agent_state_at_once() {
        let mut indicator = live();
        indicator.network_lost();
        assert_eq!(indicator.health(), Health::Unreachable);
    }

    #[test]
    fn after_a_wifi_drop_the_light_is_stale_until_the_session_is_live_again() {
        let mut indicator = live();
        indicator.network_lost();
        indicator.network_joined();
        assert_eq!(indicator.health(), Health::Stale);
        indicator.session(Health::Live);
        assert_eq!(indicator.health(), Health::Live);
    }

    #[test]
    fn a_clock_that_never_sets_becomes_unreachable() {
        let mut indicator = Indicator::new(true);
        indicator.network_joined();
        for _ in 0..UNREACHABLE_AFTER_FAILURES {
            assert_eq!(indicator.health(), Health::Connecting);
            indicator.clock_failed();
        }
        assert_eq!(indicator.health(), Health::Unreachable);
        indicator.clock_set();
        assert_eq!(indicator.health(), Health::Connecting);
    }

    #[test]
    fn a_stale_agent_is_never_shown_as_live() {
        let mut indicator = live();
        indicator.agent(Activity::Available, true);
        assert_eq!(indicator.health(), Health::Stale);
        indicator.agent(Activity::OnCall, false);
        assert_eq!(indicator.health(), Health::Live);
        assert_eq!(indicator.activity(), Activity::OnCall);
    }

    #[test]
    fn refused_credentials_stay_visible_even_without_wifi() {
        let mut indicator = live();
        indicator.session(Health::Forbidden);
        indicator.network_lost();
        assert_eq!(indicator.health(), Health::Forbidden);
        indicator.session(Health::AuthFailed);
        assert_eq!(indicator.health(), Health::AuthFailed);
    }

    #[test]
    fn session_trouble_is_passed_through() {
        let mut indicator = live();
        for health in [Health::Stale, Health::Unreachable, Health::Connecting] {
            indicator.session(health);
            assert_eq!(indicator.health(), health);
        }
    }

    #[test]
    fn the_network_state_reads_as_words() {
        let mut indicator = Indicator::new(true);
        assert_eq!(std::format!("{}", indicator.network()), "joining");
        indicator.network_joined();
        assert_eq!(std::format!("{}", indicator.network()), "connected");
        assert_eq!(indicator.clock(), Clock::Unset);
    }
}
