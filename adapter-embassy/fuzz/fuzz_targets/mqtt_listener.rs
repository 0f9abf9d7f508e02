//! The MQTT listener fed any sequence of broker happenings (connections made and lost,
//! subscriptions granted and refused, messages of any bytes on its topics and others, time
//! jumping): it never panics, always hands out a finite list of actions, and never shows a
//! live state it cannot vouch for.
#![no_main]

use genesys_notify_core::Instant;
use genesys_notify_core::light::Health;
use genesys_notify_embassy::mqtt::listener::{
    Action, ConnectFailure, Listener, MAX_TOPIC_LEN, Subscription,
};
use libfuzzer_sys::fuzz_target;

const AGENT: &str = "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60";

fuzz_target!(|data: &[u8]| {
    let Ok(mut listener) = Listener::new("genesys", AGENT, 1) else {
        return;
    };
    let state_topic = String::from(listener.state_topic());
    let mut now = Instant::from_millis(0);
    let mut rest = data;
    while let Some((&op, after)) = rest.split_first() {
        rest = after;
        match op % 8 {
            0 => listener.handle_connected(now),
            1 => listener.handle_connect_failed(now, ConnectFailure::Unreachable),
            2 => listener.handle_connect_failed(now, ConnectFailure::Refused),
            3 => listener.handle_disconnected(now),
            4 => {
                let what = if op & 0x10 == 0 {
                    Subscription::State
                } else {
                    Subscription::Gateway
                };
                listener.handle_subscribed(now, what, op & 0x20 == 0);
            }
            5 => {
                // A message: the next byte is its length, then the payload.
                let (len, after) = rest.split_first().map_or((0, rest), |(l, a)| (*l, a));
                let len = usize::from(len).min(after.len());
                let (payload, after) = after.split_at(len);
                rest = after;
                let topic = match op >> 4 {
                    0..=7 => state_topic.as_str(),
                    8..=11 => "genesys/gateways/g1/status",
                    _ => "genesys/gateways/other/status",
                };
                listener.handle_message(now, topic, payload);
            }
            6 => listener.handle_packet(now),
            _ => {
                now = now + genesys_notify_core::Duration::from_millis(u64::from(op) * 97);
                listener.handle_timeout(now);
            }
        }
        let mut actions = 0;
        while let Some(action) = listener.poll_action() {
            actions += 1;
            assert!(actions <= 8, "the listener keeps asking");
            if let Action::Subscribe { topic, .. } | Action::Unsubscribe(topic) = action {
                assert!(topic.len() <= MAX_TOPIC_LEN);
            }
        }
        let view = listener.view();
        if view.health == Health::Live {
            assert!(view.connected && !view.stale);
        }
    }
});
