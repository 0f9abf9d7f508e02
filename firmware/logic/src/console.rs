//! The USB serial console: a small line protocol to configure the light without recompiling.
//!
//! A person types into `espflash monitor` (or any serial terminal), and a script can pipe a file
//! of `set` lines; both need the same thing: one command per line, one reply that ends in a line
//! starting with `ok` or `error:`. The protocol:
//!
//! ```text
//! help                     the commands and every setting
//! show                     every setting (secrets as ***), and which required ones are missing
//! set <setting> <value>    change a setting; the value is the rest of the line
//! unset <setting>          put a setting back to its default
//! status                   health, agent activity, Wi-Fi, clock, uptime, heap, last problem
//! restart                  restart (network and sign-in settings apply after one)
//! factory-reset confirm    erase every setting and restart
//! # anything               a comment, ignored (so a settings file can be piped in)
//! ```
//!
//! Lines end at CR, LF or CR LF; backspace and DEL erase. Secrets are accepted but never echoed:
//! replies name the setting, never its value.

use core::fmt;

use genesys_notify_core::agent::Activity;
use genesys_notify_core::light::Health;
use genesys_notify_core::time::Duration;
use heapless::Vec;

use crate::config::{Config, Key, Source};
use crate::indicator::Network;

/// Longest line kept: `set client.secret ` plus the longest secret (146 bytes) with margin.
pub const MAX_LINE_LEN: usize = 200;

/// A complete line, or why the line was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's text, without its end.
    Text(&'a str),
    /// The line was longer than [`MAX_LINE_LEN`]; its text was discarded.
    TooLong,
    /// The line was not UTF-8.
    NotText,
}

/// Gathers bytes from the serial port into lines.
#[derive(Clone, Debug, Default)]
pub struct LineBuffer {
    bytes: Vec<u8, MAX_LINE_LEN>,
    overflowed: bool,
    after_cr: bool,
    /// The last call returned the buffer's contents as a line: clear it before the next byte.
    returned: bool,
}

impl LineBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        LineBuffer {
            bytes: Vec::new(),
            overflowed: false,
            after_cr: false,
            returned: false,
        }
    }

    /// Takes one byte; returns a line when `byte` ends one. Empty lines are not returned.
    pub fn push(&mut self, byte: u8) -> Option<Line<'_>> {
        if core::mem::take(&mut self.returned) {
            self.bytes.clear();
        }
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\n' if after_cr => None,
            b'\r' | b'\n' => self.finish(),
            0x08 | 0x7f => {
                self.bytes.pop();
                None
            }
            _ => {
                if self.bytes.push(byte).is_err() {
                    self.overflowed = true;
                }
                None
            }
        }
    }

    fn finish(&mut self) -> Option<Line<'_>> {
        if core::mem::take(&mut self.overflowed) {
            self.bytes.clear();
            return Some(Line::TooLong);
        }
        if self.bytes.is_empty() {
            return None;
        }
        self.returned = true;
        Some(match core::str::from_utf8(&self.bytes) {
            Ok(text) => Line::Text(text),
            Err(_) => Line::NotText,
        })
    }
}

/// One console command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `help`.
    Help,
    /// `show`.
    Show,
    /// `status`.
    Status,
    /// `set <setting> <value>`.
    Set {
        /// The setting.
        key: Key,
        /// Everything after the setting's name and one space; may be empty.
        value: &'a str,
    },
    /// `unset <setting>`.
    Unset(Key),
    /// `restart` (or `reboot`).
    Restart,
    /// `factory-reset confirm`.
    FactoryReset,
}

/// Why a line is not a command. Each message says what to type instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CommandError {
    /// The first word is not a command: type `help`.
    UnknownCommand,
    /// `set`/`unset` without a setting name: add one (`help` lists them).
    MissingSetting,
    /// No setting has that name: `help` lists them.
    UnknownSetting,
    /// The command takes no arguments: drop them.
    UnexpectedArguments,
    /// `factory-reset` without `confirm`: type `factory-reset confirm`.
    Unconfirmed,
    /// The line was longer than [`MAX_LINE_LEN`]: shorten it.
    LineTooLong,
    /// The line was not UTF-8: check the terminal's encoding.
    NotText,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownCommand => f.write_str("unknown command; type `help`"),
            CommandError::MissingSetting => {
                f.write_str("name a setting, e.g. `set wifi.ssid Office`; `help` lists them")
            }
            CommandError::UnknownSetting => {
                f.write_str("no such setting; `help` lists the settings")
            }
            CommandError::UnexpectedArguments => f.write_str("this command takes no arguments"),
            CommandError::Unconfirmed => {
                f.write_str("this erases every setting; type `factory-reset confirm` to go ahead")
            }
            CommandError::LineTooLong => {
                write!(
                    f,
                    "line too long (at most {MAX_LINE_LEN} bytes); it was ignored"
                )
            }
            CommandError::NotText => f.write_str("the line is not UTF-8 text; it was ignored"),
        }
    }
}

/// Parses one line. Blank lines and `#` comments give `Ok(None)`.
pub fn parse(line: Line<'_>) -> Result<Option<Command<'_>>, CommandError> {
    let line = match line {
        Line::Text(text) => text,
        Line::TooLong => return Err(CommandError::LineTooLong),
        Line::NotText => return Err(CommandError::NotText),
    };
    let line = line.trim_start();
    if line.trim_end().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let no_arguments = |command| {
        if rest.trim().is_empty() {
            Ok(Some(command))
        } else {
            Err(CommandError::UnexpectedArguments)
        }
    };
    match command_word(word.trim_end()) {
        Some("help") | Some("?") => no_arguments(Command::Help),
        Some("show") => no_arguments(Command::Show),
        Some("status") => no_arguments(Command::Status),
        Some("restart") | Some("reboot") => no_arguments(Command::Restart),
        Some("factory-reset") => match rest.trim() {
            "confirm" => Ok(Some(Command::FactoryReset)),
            _ => Err(CommandError::Unconfirmed),
        },
        Some("set") => {
            let rest = rest.trim_start();
            let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
            let key = setting(name)?;
            // An SSID or Wi-Fi password may begin or end with spaces: take it verbatim.
            let value = if key == Key::WifiSsid || key == Key::WifiPassword {
                value
            } else {
                value.trim()
            };
            Ok(Some(Command::Set { key, value }))
        }
        Some("unset") => {
            let name = rest.trim();
            if name.contains(' ') {
                return Err(CommandError::UnexpectedArguments);
            }
            Ok(Some(Command::Unset(setting(name)?)))
        }
        _ => Err(CommandError::UnknownCommand),
    }
}

fn setting(name: &str) -> Result<Key, CommandError> {
    if name.is_empty() {
        return Err(CommandError::MissingSetting);
    }
    Key::from_name(name).ok_or(CommandError::UnknownSetting)
}

/// The command words, matched ignoring ASCII case.
const WORDS: [&str; 9] = [
    "help",
    "?",
    "show",
    "status",
    "restart",
    "reboot",
    "factory-reset",
    "set",
    "unset",
];

fn command_word(word: &str) -> Option<&'static str> {
    WORDS.into_iter().find(|w| w.eq_ignore_ascii_case(word))
}

/// What the light is doing, for `status`. The firmware fills it in.
#[derive(Clone, Copy, Debug)]
pub struct Status<'a> {
    /// What the light shows about itself.
    pub health: Health,
    /// The agent's last known activity.
    pub activity: Activity,
    /// The Wi-Fi link.
    pub network: Network,
    /// The light's IPv4 address, once it has one.
    pub address: Option<[u8; 4]>,
    /// Wall-clock time in seconds since the Unix epoch, once SNTP has answered.
    pub unix_time: Option<u64>,
    /// Time since boot.
    pub uptime: Duration,
    /// The heap (the Wi-Fi driver's buffers and RSA arithmetic live there).
    pub heap: HeapUse,
    /// The last problem, in words (a diagnosis from Genesys, a Wi-Fi failure), if any.
    pub problem: Option<&'a str>,
}

/// How much of the heap is used. The heap is sized from the Wi-Fi driver's documented needs, not
/// measured on a chip; `status` shows the peak so that a board in use can confirm the margin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapUse {
    /// Bytes allocated now.
    pub used: usize,
    /// The most bytes ever allocated at once since boot.
    pub peak: usize,
    /// The heap's size.
    pub size: usize,
}

/// What the firmware must do after a command, besides printing the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Effect {
    /// Nothing more.
    Nothing,
    /// Write this setting's new value to flash ([`Config::encode`]); apply it now if
    /// [`Key::applies_live`].
    Save(Key),
    /// Remove this setting's record from flash; it is back to its default.
    Forget(Key),
    /// Restart the light.
    Restart,
    /// Erase every setting, then restart.
    FactoryReset,
}

/// Runs `command` against `config`, writing the reply (ending in an `ok`/`error:` line) to `out`.
pub fn execute(
    command: Command<'_>,
    config: &mut Config,
    status: &Status<'_>,
    out: &mut impl fmt::Write,
) -> Result<Effect, fmt::Error> {
    match command {
        Command::Help => {
            write_help(out)?;
            writeln!(out, "ok")?;
            Ok(Effect::Nothing)
        }
        Command::Show => {
            for key in Key::ALL {
                write!(out, "{key} = ")?;
                config.write_value(key, out)?;
                writeln!(out)?;
            }
            write_missing(config, out)?;
            writeln!(out, "ok")?;
            Ok(Effect::Nothing)
        }
        Command::Status => {
            write_status(status, out)?;
            write_missing(config, out)?;
            writeln!(out, "ok")?;
            Ok(Effect::Nothing)
        }
        Command::Set { key, value } => match config.set(key, value) {
            Ok(()) => {
                write!(out, "ok {key} saved")?;
                if !key.applies_live() {
                    write!(out, "; `restart` to apply")?;
                }
                writeln!(out)?;
                Ok(Effect::Save(key))
            }
            Err(error) => {
                write_error(error, out)?;
                Ok(Effect::Nothing)
            }
        },
        Command::Unset(key) => {
            config.unset(key);
            writeln!(out, "ok {key} back to its default")?;
            Ok(Effect::Forget(key))
        }
        Command::Restart => {
            writeln!(out, "ok restarting")?;
            Ok(Effect::Restart)
        }
        Command::FactoryReset => {
            writeln!(out, "ok erasing every setting and restarting")?;
            Ok(Effect::FactoryReset)
        }
    }
}

/// Writes the reply to a line that was not a command.
pub fn write_error(error: impl fmt::Display, out: &mut impl fmt::Write) -> fmt::Result {
    writeln!(out, "error: {error}")
}

fn write_help(out: &mut impl fmt::Write) -> fmt::Result {
    writeln!(out, "commands:")?;
    for (usage, what) in [
        ("show", "every setting (secrets as ***)"),
        ("set <setting> <value>", "change a setting"),
        ("unset <setting>", "put a setting back to its default"),
        ("status", "what the light is doing"),
        (
            "restart",
            "restart; Wi-Fi and sign-in settings apply after it",
        ),
        ("factory-reset confirm", "erase every setting and restart"),
    ] {
        writeln!(out, "  {usage:<24}{what}")?;
    }
    writeln!(out, "settings:")?;
    for key in Key::ALL {
        let required = match (
            key.is_required(Source::Genesys),
            key.is_required(Source::Mqtt),
        ) {
            (true, true) => " (required)",
            (true, false) => " (required for source genesys)",
            (false, true) => " (required for source mqtt)",
            (false, false) => "",
        };
        writeln!(out, "  {:<24}{}{required}", key.name(), key.help())?;
    }
    Ok(())
}

fn write_missing(config: &Config, out: &mut impl fmt::Write) -> fmt::Result {
    let mut missing = config.missing().peekable();
    if missing.peek().is_none() {
        return Ok(());
    }
    write!(out, "missing:")?;
    for key in missing {
        write!(out, " {key}")?;
    }
    writeln!(out)
}

fn write_status(status: &Status<'_>, out: &mut impl fmt::Write) -> fmt::Result {
    writeln!(out, "health = {}", status.health)?;
    writeln!(out, "activity = {}", status.activity)?;
    write!(out, "wifi = {}", status.network)?;
    if let Some([a, b, c, d]) = status.address {
        write!(out, " ({a}.{b}.{c}.{d})")?;
    }
    writeln!(out)?;
    match status.unix_time {
        Some(secs) => writeln!(out, "clock = {}", crate::sntp::Utc(secs))?,
        None => writeln!(out, "clock = not set")?,
    }
    writeln!(out, "uptime = {}", status.uptime)?;
    let heap = status.heap;
    writeln!(
        out,
        "heap = {} bytes in use, peak {} of {}",
        heap.used, heap.peak, heap.size
    )?;
    if let Some(problem) = status.problem {
        writeln!(out, "problem = {problem}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    const SECRET: &str = "s3cr3t-VALUE-never-printed";
    const WIFI_PASSWORD: &str = "correct horse battery";

    fn lines(bytes: &[u8]) -> Vec<Result<String, Line<'static>>> {
        let mut buffer = LineBuffer::new();
        let mut out = Vec::new();
        for &b in bytes {
            match buffer.push(b) {
                Some(Line::Text(text)) => out.push(Ok(text.to_string())),
                Some(Line::TooLong) => out.push(Err(Line::TooLong)),
                Some(Line::NotText) => out.push(Err(Line::NotText)),
                None => {}
            }
        }
        out
    }

    fn status() -> Status<'static> {
        Status {
            health: Health::Live,
            activity: Activity::OnCall,
            network: Network::Up,
            address: Some([192, 168, 1, 23]),
            unix_time: Some(1_795_945_260),
            uptime: Duration::from_secs(3725),
            heap: HeapUse {
                used: 30_112,
                peak: 41_984,
                size: 65_536,
            },
            problem: None,
        }
    }

    /// Runs a whole console session over `input`; returns everything printed and the effects.
    fn session(config: &mut Config, input: &str) -> (String, Vec<Effect>) {
        let mut buffer = LineBuffer::new();
        let mut out = String::new();
        let mut effects = Vec::new();
        for &b in input.as_bytes() {
            let Some(line) = buffer.push(b) else { continue };
            match parse(line) {
                Ok(Some(command)) => {
                    effects.push(execute(command, config, &status(), &mut out).unwrap())
                }
                Ok(None) => {}
                Err(error) => write_error(error, &mut out).unwrap(),
            }
        }
        (out, effects)
    }

    fn text(line: &str) -> Result<Option<Command<'_>>, CommandError> {
        parse(Line::Text(line))
    }

    #[test]
    fn lines_end_at_cr_lf_or_crlf_without_empty_lines() {
        assert_eq!(
            lines(b"show\r\nstatus\nhelp\r\r\n"),
            [Ok("show".into()), Ok("status".into()), Ok("help".into())]
        );
    }

    #[test]
    fn backspace_and_delete_erase_the_last_character() {
        assert_eq!(
            lines(b"shox\x08w\nstatuz\x7fs\n"),
            [Ok("show".into()), Ok("status".into())]
        );
        assert_eq!(lines(b"\x08\x08show\n"), [Ok("show".into())]);
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_the_next_line_works() {
        let mut input = std::vec![b'x'; MAX_LINE_LEN + 50];
        input.extend_from_slice(b"\nshow\n");
        assert_eq!(lines(&input), [Err(Line::TooLong), Ok("show".into())]);
    }

    #[test]
    fn a_line_of_exactly_the_maximum_is_kept() {
        let mut input = std::vec![b'x'; MAX_LINE_LEN];
        input.push(b'\n');
        assert_eq!(lines(&input).len(), 1);
        assert!(lines(&input)[0].is_ok());
    }

    #[test]
    fn invalid_utf8_is_reported() {
        assert_eq!(lines(b"set agent \xff\n"), [Err(Line::NotText)]);
    }

    #[test]
    fn commands_ignore_case_and_surrounding_spaces() {
        assert_eq!(text("  SHOW  "), Ok(Some(Command::Show)));
        assert_eq!(text("Reboot"), Ok(Some(Command::Restart)));
        assert_eq!(text("?"), Ok(Some(Command::Help)));
        assert_eq!(text("status"), Ok(Some(Command::Status)));
    }

    #[test]
    fn blank_lines_and_comments_are_ignored() {
        assert_eq!(text("   "), Ok(None));
        assert_eq!(text("# my office light"), Ok(None));
        assert_eq!(text("  # indented"), Ok(None));
    }

    #[test]
    fn set_takes_the_rest_of_the_line_as_the_value() {
        assert_eq!(
            text("set wifi.ssid My Home  Network"),
            Ok(Some(Command::Set {
                key: Key::WifiSsid,
                value: "My Home  Network"
            }))
        );
        assert_eq!(
            text("set brightness  80  "),
            Ok(Some(Command::Set {
                key: Key::Brightness,
                value: "80"
            }))
        );
        assert_eq!(
            text("set wifi.password"),
            Ok(Some(Command::Set {
                key: Key::WifiPassword,
                value: ""
            }))
        );
    }

    #[test]
    fn a_wifi_password_keeps_its_surrounding_spaces() {
        assert_eq!(
            text("set wifi.password  padded pass "),
            Ok(Some(Command::Set {
                key: Key::WifiPassword,
                value: " padded pass "
            }))
        );
    }

    #[test]
    fn malformed_commands_say_what_to_type() {
        assert_eq!(text("sett wifi.ssid x"), Err(CommandError::UnknownCommand));
        assert_eq!(text("set"), Err(CommandError::MissingSetting));
        assert_eq!(text("set colour red"), Err(CommandError::UnknownSetting));
        assert_eq!(text("unset"), Err(CommandError::MissingSetting));
        assert_eq!(
            text("unset agent now"),
            Err(CommandError::UnexpectedArguments)
        );
        assert_eq!(text("show all"), Err(CommandError::UnexpectedArguments));
        assert_eq!(text("factory-reset"), Err(CommandError::Unconfirmed));
        assert_eq!(text("factory-reset yes"), Err(CommandError::Unconfirmed));
        assert_eq!(
            text("factory-reset confirm"),
            Ok(Some(Command::FactoryReset))
        );
        assert_eq!(parse(Line::TooLong), Err(CommandError::LineTooLong));
        assert!(
            CommandError::Unconfirmed
                .to_string()
                .contains("factory-reset confirm")
        );
    }

    #[test]
    fn configuring_a_light_from_scratch_saves_each_setting() {
        let mut config = Config::default();
        let input = std::format!(
            "# office light\n\
             set wifi.ssid Office\n\
             set wifi.password {WIFI_PASSWORD}\n\
             set region eu-west-1\n\
             set client.id 8b4c3a8e-1111-2222-3333-444455556666\n\
             set client.secret {SECRET}\n\
             set agent 0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60\n\
             set leds 12\n\
             restart\n"
        );
        let (out, effects) = session(&mut config, &input);
        assert!(config.is_complete());
        assert_eq!(config.wifi_password().expose_secret(), WIFI_PASSWORD);
        assert_eq!(
            effects,
            [
                Effect::Save(Key::WifiSsid),
                Effect::Save(Key::WifiPassword),
                Effect::Save(Key::Region),
                Effect::Save(Key::ClientId),
                Effect::Save(Key::ClientSecret),
                Effect::Save(Key::Agent),
                Effect::Save(Key::Leds),
                Effect::Restart,
            ]
        );
        assert!(
            out.contains("ok wifi.ssid saved; `restart` to apply\n"),
            "{out}"
        );
        assert!(out.contains("ok leds saved\n"), "{out}");
    }

    #[test]
    fn a_light_set_up_to_listen_to_a_gateway_never_echoes_its_broker_password() {
        let mut config = Config::default();
        let input = "set wifi.ssid Office\n\
                     set source mqtt\n\
                     set agent 0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60\n\
                     show\n\
                     set mqtt.url mqtts://broker.office.lan\n\
                     set mqtt.user light-0f6f\n\
                     set mqtt.password BROKER-pass-77\n\
                     show\n\
                     help\n";
        let (out, effects) = session(&mut config, input);
        assert!(config.is_complete());
        assert!(!out.contains("BROKER-pass-77"), "{out}");
        assert!(out.contains("missing: mqtt.url\n"), "{out}");
        assert!(out.contains("mqtt.password = ***\n"), "{out}");
        assert!(
            out.contains("mqtt.url = mqtts://broker.office.lan:8883\n"),
            "{out}"
        );
        assert!(out.contains("(required for source mqtt)"), "{out}");
        assert!(effects.contains(&Effect::Save(Key::MqttPassword)));
    }

    #[test]
    fn every_reply_ends_with_an_ok_or_error_line() {
        let mut config = Config::default();
        for input in [
            "help\n",
            "show\n",
            "status\n",
            "set leds 3\n",
            "set leds 300\n",
            "unset leds\n",
            "bogus\n",
            "restart\n",
            "factory-reset confirm\n",
        ] {
            let (out, _) = session(&mut config, input);
            let last = out.lines().last().unwrap_or_default();
            assert!(
                last.starts_with("ok") || last.starts_with("error: "),
                "{input:?} → {out}"
            );
        }
    }

    #[test]
    fn a_refused_value_changes_nothing_and_saves_nothing() {
        let mut config = Config::default();
        let (out, effects) = session(&mut config, "set brightness 250\n");
        assert_eq!(effects, [Effect::Nothing]);
        assert_eq!(
            out,
            "error: brightness must be a whole number from 1 to 100\n"
        );
        assert_eq!(
            config.brightness_percent(),
            crate::config::DEFAULT_BRIGHTNESS_PERCENT
        );
    }

    #[test]
    fn show_lists_every_setting_and_what_is_missing() {
        let mut config = Config::default();
        let (out, _) = session(&mut config, "show\n");
        for key in Key::ALL {
            assert!(out.contains(&std::format!("{} = ", key.name())), "{out}");
        }
        assert!(out.contains("missing: wifi.ssid region client.id client.secret agent\n"));
    }

    #[test]
    fn unset_forgets_the_stored_value() {
        let mut config = Config::default();
        let (_, effects) = session(&mut config, "set theme colour-blind\nunset theme\n");
        assert_eq!(
            effects,
            [Effect::Save(Key::Theme), Effect::Forget(Key::Theme)]
        );
        assert_eq!(config.theme().name(), "default");
    }

    #[test]
    fn status_reports_health_activity_network_clock_heap_and_the_last_problem() {
        let mut out = String::new();
        let mut config = Config::default();
        let troubled = Status {
            problem: Some("the OAuth client lacks a permission"),
            ..status()
        };
        execute(Command::Status, &mut config, &troubled, &mut out).unwrap();
        assert!(out.contains("health = live\n"));
        assert!(out.contains("activity = on_call\n"));
        assert!(out.contains("wifi = connected (192.168.1.23)\n"));
        assert!(out.contains("clock = 2026-11-29T09:41:00Z\n"));
        assert!(out.contains("heap = 30112 bytes in use, peak 41984 of 65536\n"));
        assert!(out.contains("problem = the OAuth client lacks a permission\n"));
        let not_set = Status {
            unix_time: None,
            ..status()
        };
        let mut out = String::new();
        execute(Command::Status, &mut config, &not_set, &mut out).unwrap();
        assert!(out.contains("clock = not set\n"));
    }

    #[test]
    fn help_names_every_command_and_setting() {
        let mut out = String::new();
        execute(Command::Help, &mut Config::default(), &status(), &mut out).unwrap();
        for word in [
            "show",
            "set",
            "unset",
            "status",
            "restart",
            "factory-reset confirm",
        ] {
            assert!(out.contains(word), "{word}");
        }
        for key in Key::ALL {
            assert!(out.contains(key.name()));
        }
    }

    #[test]
    fn secrets_never_appear_in_any_console_output() {
        let mut config = Config::default();
        let input = std::format!(
            "set client.secret {SECRET}\n\
             set wifi.password {WIFI_PASSWORD}\n\
             show\nstatus\nhelp\n\
             set client.secret {SECRET} with spaces\n\
             set wifi.password {WIFI_PASSWORD}{WIFI_PASSWORD}{WIFI_PASSWORD}\n\
             set agent {SECRET}\n\
             set brightness {SECRET}\n\
             set region {SECRET}\n\
             {SECRET}\n"
        );
        let (out, _) = session(&mut config, &input);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(!out.contains("horse"), "{out}");
        assert!(out.contains("client.secret = ***\n"));
        assert_eq!(config.client_secret().expose_secret(), SECRET);
    }

    #[test]
    fn the_factory_reset_needs_its_confirmation() {
        let mut config = Config::default();
        let (out, effects) = session(&mut config, "factory-reset\nfactory-reset confirm\n");
        assert_eq!(effects, [Effect::FactoryReset]);
        assert!(out.starts_with("error: this erases every setting"));
    }
}
