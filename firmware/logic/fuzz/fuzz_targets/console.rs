//! Bytes from the serial port, as a person or a script might send them, through the whole
//! console: line assembly, parsing, and each command run against the settings.
//!
//! Never a panic; every reply ends in a line starting `ok` or `error: `; and what `show` and
//! `status` print does not depend on the secrets' values (the same settings with other secrets
//! print exactly the same).
#![no_main]

use desk_light_logic::config::{Config, Key};
use desk_light_logic::console::{self, Command, HeapUse, LineBuffer, Status};
use desk_light_logic::indicator::Network;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::Health;
use genesys_notify_core::time::Duration;
use libfuzzer_sys::fuzz_target;

fn status() -> Status<'static> {
    Status {
        health: Health::Live,
        activity: Activity::OnCall,
        network: Network::Up,
        address: Some([192, 168, 1, 23]),
        unix_time: Some(1_795_945_260),
        uptime: Duration::from_secs(3725),
        heap: HeapUse {
            used: 30_000,
            peak: 40_000,
            size: 65_536,
        },
        problem: Some("a problem"),
    }
}

fn ends_in_a_verdict(out: &str) -> bool {
    out.lines()
        .last()
        .is_some_and(|last| last.starts_with("ok") || last.starts_with("error: "))
}

/// The same settings with every secret (where set) replaced by another valid value.
fn with_other_secrets(config: &Config) -> Config {
    let mut other = config.clone();
    if other.is_set(Key::ClientSecret) {
        other
            .set(
                Key::ClientSecret,
                "another-secret-of-some-length-0123456789",
            )
            .expect("a valid client secret");
    }
    if other.is_set(Key::WifiPassword) && !config.wifi_password().expose_secret().is_empty() {
        other
            .set(Key::WifiPassword, "another wifi password")
            .expect("a valid Wi-Fi password");
    }
    if other.is_set(Key::MqttPassword) {
        other
            .set(Key::MqttPassword, "another broker password")
            .expect("a valid broker password");
    }
    other
}

fuzz_target!(|data: &[u8]| {
    let mut lines = LineBuffer::new();
    let mut config = Config::default();
    for &byte in data {
        let Some(line) = lines.push(byte) else {
            continue;
        };
        let mut out = String::new();
        match console::parse(line) {
            Ok(Some(command)) => {
                let shows_settings = matches!(command, Command::Show | Command::Status);
                let other = with_other_secrets(&config);
                console::execute(command, &mut config, &status(), &mut out)
                    .expect("writing to a String never fails");
                assert!(ends_in_a_verdict(&out), "{out:?}");
                if shows_settings {
                    let mut other_out = String::new();
                    let mut other = other;
                    console::execute(command, &mut other, &status(), &mut other_out)
                        .expect("writing to a String never fails");
                    assert_eq!(out, other_out, "the output depends on a secret's value");
                }
            }
            Ok(None) => {}
            Err(error) => {
                console::write_error(error, &mut out).expect("writing to a String never fails");
                assert!(ends_in_a_verdict(&out), "{out:?}");
            }
        }
    }
});
