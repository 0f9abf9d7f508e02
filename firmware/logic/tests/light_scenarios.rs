//! Whole-light scenarios: the indicator's health and the renderer's frames together, in
//! virtual time, as the firmware's LED task combines them every frame.

use desk_light_logic::indicator::Indicator;
use desk_light_logic::render::{FRAME_INTERVAL, Renderer};
use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::{Health, Rgb, Theme};
use genesys_notify_core::time::{Duration, Instant};

/// The LED task's loop over `span`: every frame it reads the indicator and draws.
fn frames(
    indicator: &Indicator,
    renderer: &mut Renderer,
    from: Instant,
    span: Duration,
) -> Vec<Rgb> {
    let mut shown = Vec::new();
    let mut last = None;
    let mut at = from;
    while at.saturating_duration_since(from) < span {
        renderer.show(at, indicator.health(), indicator.activity());
        if let Some(frame) = renderer.frame(at) {
            last = frame.first().copied();
        }
        shown.extend(last);
        at += FRAME_INTERVAL;
    }
    shown
}

fn live_on_call() -> (Indicator, Renderer) {
    let mut indicator = Indicator::new(true);
    indicator.network_joined();
    indicator.clock_set();
    indicator.session(Health::Live);
    indicator.agent(Activity::OnCall, false);
    let renderer = Renderer::new(
        Instant::ZERO,
        &Theme::DEFAULT,
        255,
        1,
        indicator.health(),
        indicator.activity(),
    );
    (indicator, renderer)
}

#[test]
fn an_agent_on_a_call_shows_steady_red() {
    let (indicator, mut renderer) = live_on_call();
    let shown = frames(
        &indicator,
        &mut renderer,
        Instant::ZERO,
        Duration::from_secs(3),
    );
    assert!(shown.iter().all(|&c| c == Rgb::new(255, 0, 0)));
}

#[test]
fn losing_wifi_during_a_call_stops_showing_the_call_within_one_frame() {
    let (mut indicator, mut renderer) = live_on_call();
    frames(
        &indicator,
        &mut renderer,
        Instant::ZERO,
        Duration::from_secs(1),
    );
    indicator.network_lost();
    let shown = frames(
        &indicator,
        &mut renderer,
        Instant::from_secs(1),
        Duration::from_secs(4),
    );
    assert_ne!(shown[0], Rgb::new(255, 0, 0));
    assert!(shown.iter().all(|&c| c != Rgb::new(255, 0, 0)));
    assert!(shown.iter().any(|c| c.is_off()), "unreachable flashes");
}

#[test]
fn after_rejoining_the_last_activity_is_only_hinted_until_the_session_is_live() {
    let (mut indicator, mut renderer) = live_on_call();
    indicator.network_lost();
    indicator.network_joined();
    let stale = frames(
        &indicator,
        &mut renderer,
        Instant::from_secs(1),
        Duration::from_secs(4),
    );
    let lit = stale.iter().filter(|c| !c.is_off()).count();
    assert!(
        lit * 5 < stale.len(),
        "a stale state is mostly dark: {lit} of {}",
        stale.len()
    );
    assert!(stale.iter().all(|c| c.r < 255));
    indicator.session(Health::Live);
    let live = frames(
        &indicator,
        &mut renderer,
        Instant::from_secs(5),
        Duration::from_secs(1),
    );
    assert!(live.iter().all(|&c| c == Rgb::new(255, 0, 0)));
}

#[test]
fn a_refused_client_flashes_three_times_every_two_seconds() {
    let (mut indicator, mut renderer) = live_on_call();
    indicator.session(Health::AuthFailed);
    let shown = frames(
        &indicator,
        &mut renderer,
        Instant::ZERO,
        Duration::from_secs(2),
    );
    let flashes = shown
        .windows(2)
        .filter(|w| w[0].is_off() && !w[1].is_off())
        .count()
        + usize::from(!shown[0].is_off());
    assert_eq!(flashes, 3);
}
