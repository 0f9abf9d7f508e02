//! The light's settings: what a person sets over the console and the flash keeps.
//!
//! Validation lives here, not in the firmware, because it decides two things that must hold on
//! every board without a board to try them on: a typo is refused when it is typed (not found an
//! hour later as a refused token), and a light configured once still boots after an update.
//!
//! # Storage format
//!
//! Each setting is one record in a key–value store in flash: the key is the setting's
//! [`Key::id`], the value is the same UTF-8 text the console accepts, in its canonical spelling
//! ([`Config::encode`]). Loading a record is setting it again ([`Config::load`]), so a stored value
//! passes the same validation as a typed one, and one that a newer firmware would refuse is
//! dropped (the setting falls back to its default) instead of being trusted. Ids are never
//! reused: a setting whose meaning changes gets a new id, and unknown ids are skipped, so older
//! and newer firmware can read each other's flash.
//!
//! Secrets (the Wi-Fi password, the OAuth client secret) are kept in [`Secret`] and never
//! printed: [`Config::write_value`] shows them as `***`, and no error message repeats a value.

use core::fmt;

use genesys_notify_core::light::Theme;
use genesys_notify_core::region::Region;
use genesys_notify_core::secret::{REDACTED, Secret};
use genesys_notify_core::topic::{TopicBuf, UserTopicKind};
use heapless::String;

/// Longest SSID: 802.11 limits it to 32 bytes.
pub const SSID_CAPACITY: usize = 32;
/// Longest Wi-Fi password: a WPA2 passphrase is 8–63 characters, a raw PSK 64 hex digits.
pub const WIFI_PASSWORD_CAPACITY: usize = 64;
/// Shortest WPA2 passphrase the standard allows.
pub const WIFI_PASSWORD_MIN_LEN: usize = 8;
/// Longest OAuth client id: Genesys issues UUIDs (36 characters); the rest is margin.
pub const CLIENT_ID_CAPACITY: usize = 64;
/// Longest OAuth client secret: Genesys issues 43 characters; room for a longer format.
pub const CLIENT_SECRET_CAPACITY: usize = 128;
/// A Genesys user id is a UUID in its 36-character text form.
pub const AGENT_ID_LEN: usize = 36;
/// Longest time-server host name kept: real NTP pool names are far shorter.
pub const TIME_SERVER_CAPACITY: usize = 64;
/// Most LEDs driven: the largest common WS2812 ring has 60; the RMT buffer is sized for this.
pub const MAX_LEDS: u16 = 60;
/// The time server used until one is set: the public NTP pool.
pub const DEFAULT_TIME_SERVER: &str = "pool.ntp.org";
/// Brightness until one is set: bright enough across a room, gentle on a USB port with a ring.
pub const DEFAULT_BRIGHTNESS_PERCENT: u8 = 40;
/// Longest canonical value of any setting, in bytes: the size of a storage record's value.
pub const MAX_VALUE_LEN: usize = CLIENT_SECRET_CAPACITY;

/// One setting, as the console names it and the flash stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Key {
    /// `wifi.ssid`: the Wi-Fi network to join.
    WifiSsid,
    /// `wifi.password`: its password; empty for an open network. Secret.
    WifiPassword,
    /// `region`: the Genesys Cloud region (`eu-west-1`) or its domain (`mypurecloud.ie`).
    Region,
    /// `client.id`: the OAuth client (client-credentials grant) the light signs in with.
    ClientId,
    /// `client.secret`: that client's secret. Secret.
    ClientSecret,
    /// `agent`: the user id (UUID) of the agent whose activity the light shows.
    Agent,
    /// `brightness`: 1–100 percent.
    Brightness,
    /// `theme`: `default` or `colour-blind`.
    Theme,
    /// `leds`: how many LEDs are chained on the data pin, 1 to [`MAX_LEDS`].
    Leds,
    /// `time.server`: the SNTP server giving the clock for certificate checks.
    TimeServer,
}

impl Key {
    /// Every setting, in the order `show` lists them.
    pub const ALL: [Key; 10] = [
        Key::WifiSsid,
        Key::WifiPassword,
        Key::Region,
        Key::ClientId,
        Key::ClientSecret,
        Key::Agent,
        Key::Brightness,
        Key::Theme,
        Key::Leds,
        Key::TimeServer,
    ];

    /// The name typed on the console (`wifi.ssid`).
    pub const fn name(self) -> &'static str {
        match self {
            Key::WifiSsid => "wifi.ssid",
            Key::WifiPassword => "wifi.password",
            Key::Region => "region",
            Key::ClientId => "client.id",
            Key::ClientSecret => "client.secret",
            Key::Agent => "agent",
            Key::Brightness => "brightness",
            Key::Theme => "theme",
            Key::Leds => "leds",
            Key::TimeServer => "time.server",
        }
    }

    /// The setting named `name` (ASCII case ignored).
    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// The record id in flash. Fixed forever; never reuse a retired one.
    pub const fn id(self) -> u8 {
        match self {
            Key::WifiSsid => 1,
            Key::WifiPassword => 2,
            Key::Region => 3,
            Key::ClientId => 4,
            Key::ClientSecret => 5,
            Key::Agent => 6,
            Key::Brightness => 7,
            Key::Theme => 8,
            Key::Leds => 9,
            Key::TimeServer => 10,
        }
    }

    /// The setting stored under record id `id`, if this firmware knows it.
    pub fn from_id(id: u8) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether the value must never be printed.
    pub const fn is_secret(self) -> bool {
        matches!(self, Key::WifiPassword | Key::ClientSecret)
    }

    /// Whether the light cannot work until this is set.
    pub const fn is_required(self) -> bool {
        matches!(
            self,
            Key::WifiSsid | Key::Region | Key::ClientId | Key::ClientSecret | Key::Agent
        )
    }

    /// Whether a change shows at once; the others (network and sign-in) need a restart.
    pub const fn applies_live(self) -> bool {
        matches!(self, Key::Brightness | Key::Theme | Key::Leds)
    }

    /// One line on what the value is, for `help`.
    pub const fn help(self) -> &'static str {
        match self {
            Key::WifiSsid => "Wi-Fi network name (up to 32 bytes)",
            Key::WifiPassword => "Wi-Fi password, 8-63 characters or 64 hex digits; empty for open",
            Key::Region => "Genesys Cloud region (eu-west-1) or domain (mypurecloud.ie)",
            Key::ClientId => "OAuth client id (client credentials grant)",
            Key::ClientSecret => "OAuth client secret",
            Key::Agent => "user id (UUID) of the agent to show",
            Key::Brightness => "1-100 percent",
            Key::Theme => "default or colour-blind",
            Key::Leds => "number of chained LEDs, 1-60",
            Key::TimeServer => "SNTP server host name",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value was refused. The message names the setting and what is allowed, never the value
/// (it may be a secret, or a secret typed into the wrong setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SetError {
    /// The value is longer than the setting allows: shorten it.
    TooLong {
        /// The setting.
        key: Key,
        /// Its longest value in bytes.
        max: usize,
    },
    /// The setting cannot be empty: give a value, or `unset` it.
    Empty {
        /// The setting.
        key: Key,
    },
    /// The value holds control characters or, for an id or host, spaces: retype it.
    NotPrintable {
        /// The setting.
        key: Key,
    },
    /// A WPA2 password is 8–63 characters or exactly 64 hex digits: retype it.
    WifiPasswordLength,
    /// Not a Genesys Cloud region name or domain: use one from the region table.
    UnknownRegion,
    /// The agent id is not a UUID: copy the user's id from the Genesys admin page or API.
    InvalidAgentId,
    /// Not a whole number in the allowed range: give one inside it.
    OutOfRange {
        /// The setting.
        key: Key,
        /// Smallest value allowed.
        min: u16,
        /// Largest value allowed.
        max: u16,
    },
    /// No built-in theme has that name: use `default` or `colour-blind`.
    UnknownTheme,
    /// Not a host name: give a name such as `pool.ntp.org` (letters, digits, `-` and `.`).
    InvalidHost,
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SetError::TooLong { key, max } => {
                write!(f, "{key} is too long: at most {max} bytes")
            }
            SetError::Empty { key } => {
                write!(f, "{key} cannot be empty: give a value, or `unset {key}`")
            }
            SetError::NotPrintable { key } => write!(
                f,
                "{key} holds characters it cannot have (control characters, or spaces in an id or host)"
            ),
            SetError::WifiPasswordLength => f.write_str(
                "wifi.password must be 8 to 63 characters, or 64 hex digits (empty for an open network)",
            ),
            SetError::UnknownRegion => f.write_str(
                "region is not a Genesys Cloud region: give its name (us-east-1, eu-west-1, ...) \
                 or its domain (mypurecloud.com, mypurecloud.ie, ...)",
            ),
            SetError::InvalidAgentId => f.write_str(
                "agent must be the user's id, a UUID like 01234567-89ab-cdef-0123-456789abcdef",
            ),
            SetError::OutOfRange { key, min, max } => {
                write!(f, "{key} must be a whole number from {min} to {max}")
            }
            SetError::UnknownTheme => f.write_str("theme must be `default` or `colour-blind`"),
            SetError::InvalidHost => f.write_str(
                "time.server must be a host name such as pool.ntp.org (letters, digits, '-' and '.')",
            ),
        }
    }
}

/// A stored record that could not be used; the setting keeps its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LoadError {
    /// The record id belongs to a newer firmware: the record is skipped (it stays in flash).
    UnknownKey {
        /// The record id.
        id: u8,
    },
    /// The value is not UTF-8: the flash is damaged; set the value again.
    NotText {
        /// The setting.
        key: Key,
    },
    /// The value no longer passes validation: set it again.
    Invalid(SetError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::UnknownKey { id } => {
                write!(
                    f,
                    "stored setting #{id} is unknown to this firmware; it was skipped"
                )
            }
            LoadError::NotText { key } => {
                write!(f, "stored {key} is damaged; set it again")
            }
            LoadError::Invalid(error) => write!(f, "stored value refused ({error}); set it again"),
        }
    }
}

/// The canonical value of a setting did not fit the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ValueTooLarge {
    /// Bytes the value needs; a buffer of [`MAX_VALUE_LEN`] always suffices.
    pub needed: usize,
}

impl fmt::Display for ValueTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the value needs a {} byte buffer", self.needed)
    }
}

/// Everything the light is configured with. Starts empty ([`Config::default`]); required
/// settings ([`Key::is_required`]) must be set before it can sign in.
///
/// Not comparable with `==` on purpose: comparing secrets is not something the light needs.
#[derive(Clone, Debug)]
pub struct Config {
    wifi_ssid: String<SSID_CAPACITY>,
    wifi_password: Secret<String<WIFI_PASSWORD_CAPACITY>>,
    region: Option<Region>,
    client_id: String<CLIENT_ID_CAPACITY>,
    client_secret: Secret<String<CLIENT_SECRET_CAPACITY>>,
    agent: String<AGENT_ID_LEN>,
    brightness_percent: u8,
    theme: &'static Theme,
    leds: u16,
    time_server: String<TIME_SERVER_CAPACITY>,
}

impl Default for Config {
    fn default() -> Self {
        let mut time_server = String::new();
        // The default is a literal far shorter than the capacity.
        let _ = time_server.push_str(DEFAULT_TIME_SERVER);
        Config {
            wifi_ssid: String::new(),
            wifi_password: Secret::new(String::new()),
            region: None,
            client_id: String::new(),
            client_secret: Secret::new(String::new()),
            agent: String::new(),
            brightness_percent: DEFAULT_BRIGHTNESS_PERCENT,
            theme: &Theme::DEFAULT,
            leds: 1,
            time_server,
        }
    }
}

impl Config {
    /// Validates `value` and sets `key` to it. On error nothing changes.
    ///
    /// Surrounding spaces are kept only in the SSID and the Wi-Fi password, where they can be
    /// part of the value; everywhere else they are trimmed.
    pub fn set(&mut self, key: Key, value: &str) -> Result<(), SetError> {
        match key {
            Key::WifiSsid => {
                self.wifi_ssid = text(key, value, true)?;
            }
            Key::WifiPassword => {
                check_wifi_password(value)?;
                self.wifi_password = Secret::new(text(key, value, false)?);
            }
            Key::Region => {
                let value = value.trim();
                require(key, value)?;
                self.region = Some(Region::parse(value).map_err(|_| SetError::UnknownRegion)?);
            }
            Key::ClientId => self.client_id = token(key, value.trim())?,
            Key::ClientSecret => self.client_secret = Secret::new(token(key, value.trim())?),
            Key::Agent => self.agent = agent_id(value.trim())?,
            Key::Brightness => {
                let percent = number(key, value, 1, 100)?;
                self.brightness_percent = u8::try_from(percent).unwrap_or(u8::MAX);
            }
            Key::Theme => {
                let value = value.trim();
                require(key, value)?;
                self.theme = Theme::from_name(value).ok_or(SetError::UnknownTheme)?;
            }
            Key::Leds => self.leds = number(key, value, 1, MAX_LEDS)?,
            Key::TimeServer => self.time_server = host(key, value.trim())?,
        }
        Ok(())
    }

    /// Puts `key` back to its default (empty for the required settings).
    pub fn unset(&mut self, key: Key) {
        let defaults = Config::default();
        match key {
            Key::WifiSsid => self.wifi_ssid = defaults.wifi_ssid,
            Key::WifiPassword => self.wifi_password = defaults.wifi_password,
            Key::Region => self.region = defaults.region,
            Key::ClientId => self.client_id = defaults.client_id,
            Key::ClientSecret => self.client_secret = defaults.client_secret,
            Key::Agent => self.agent = defaults.agent,
            Key::Brightness => self.brightness_percent = defaults.brightness_percent,
            Key::Theme => self.theme = defaults.theme,
            Key::Leds => self.leds = defaults.leds,
            Key::TimeServer => self.time_server = defaults.time_server,
        }
    }

    /// Whether `key` holds a value other than "nothing" (defaults count as set).
    pub fn is_set(&self, key: Key) -> bool {
        match key {
            Key::WifiSsid => !self.wifi_ssid.is_empty(),
            Key::WifiPassword => !self.wifi_password.is_empty(),
            Key::Region => self.region.is_some(),
            Key::ClientId => !self.client_id.is_empty(),
            Key::ClientSecret => !self.client_secret.is_empty(),
            Key::Agent => !self.agent.is_empty(),
            Key::Brightness | Key::Theme | Key::Leds | Key::TimeServer => true,
        }
    }

    /// The required settings still missing, in [`Key::ALL`] order.
    pub fn missing(&self) -> impl Iterator<Item = Key> + '_ {
        Key::ALL
            .into_iter()
            .filter(|k| k.is_required() && !self.is_set(*k))
    }

    /// Whether everything needed to sign in is set.
    pub fn is_complete(&self) -> bool {
        self.missing().next().is_none()
    }

    /// Writes the value of `key` for people: secrets as `***` (or `(not set)`), never the text.
    pub fn write_value(&self, key: Key, out: &mut impl fmt::Write) -> fmt::Result {
        if key.is_secret() {
            return out.write_str(if self.is_set(key) {
                REDACTED
            } else {
                "(not set)"
            });
        }
        if !self.is_set(key) {
            return out.write_str("(not set)");
        }
        self.write_canonical(key, out)
    }

    /// Writes the canonical value of `key` into `buf` for storage, and returns its length.
    ///
    /// This is the one place a secret leaves the [`Secret`] wrapper besides the network code:
    /// the bytes go to flash, nowhere else.
    pub fn encode(&self, key: Key, buf: &mut [u8]) -> Result<usize, ValueTooLarge> {
        let mut writer = SliceWriter {
            buf,
            len: 0,
            needed: 0,
        };
        // The writer never fails: it counts what did not fit.
        let _ = self.write_canonical(key, &mut writer);
        if writer.needed > writer.len {
            Err(ValueTooLarge {
                needed: writer.needed,
            })
        } else {
            Ok(writer.len)
        }
    }

    /// Applies one stored record: record id and value bytes from flash.
    pub fn load(&mut self, id: u8, value: &[u8]) -> Result<Key, LoadError> {
        let key = Key::from_id(id).ok_or(LoadError::UnknownKey { id })?;
        let text = core::str::from_utf8(value).map_err(|_| LoadError::NotText { key })?;
        if text.is_empty() {
            self.unset(key);
            return Ok(key);
        }
        self.set(key, text).map_err(LoadError::Invalid)?;
        Ok(key)
    }

    fn write_canonical(&self, key: Key, out: &mut impl fmt::Write) -> fmt::Result {
        match key {
            Key::WifiSsid => out.write_str(&self.wifi_ssid),
            Key::WifiPassword => out.write_str(self.wifi_password.expose_secret()),
            Key::Region => out.write_str(self.region.map(Region::name).unwrap_or("")),
            Key::ClientId => out.write_str(&self.client_id),
            Key::ClientSecret => out.write_str(self.client_secret.expose_secret()),
            Key::Agent => out.write_str(&self.agent),
            Key::Brightness => write!(out, "{}", self.brightness_percent),
            Key::Theme => out.write_str(self.theme.name()),
            Key::Leds => write!(out, "{}", self.leds),
            Key::TimeServer => out.write_str(&self.time_server),
        }
    }

    /// The Wi-Fi network name.
    pub fn wifi_ssid(&self) -> &str {
        &self.wifi_ssid
    }

    /// The Wi-Fi password; empty for an open network.
    pub fn wifi_password(&self) -> &Secret<String<WIFI_PASSWORD_CAPACITY>> {
        &self.wifi_password
    }

    /// The Genesys Cloud region, once set.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The OAuth client secret.
    pub fn client_secret(&self) -> &Secret<String<CLIENT_SECRET_CAPACITY>> {
        &self.client_secret
    }

    /// The agent's user id.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The brightness as set, 1–100 percent.
    pub fn brightness_percent(&self) -> u8 {
        self.brightness_percent
    }

    /// The brightness as an LED level, 1–255 (what [`genesys_notify_core::light::Look::scaled`] takes).
    pub fn brightness_level(&self) -> u8 {
        let level = (u16::from(self.brightness_percent) * 255 + 50) / 100;
        u8::try_from(level).unwrap_or(u8::MAX).max(1)
    }

    /// The theme.
    pub fn theme(&self) -> &'static Theme {
        self.theme
    }

    /// How many LEDs are chained, 1 to [`MAX_LEDS`].
    pub fn leds(&self) -> usize {
        usize::from(self.leds)
    }

    /// The SNTP server host name.
    pub fn time_server(&self) -> &str {
        &self.time_server
    }
}

fn require(key: Key, value: &str) -> Result<(), SetError> {
    if value.is_empty() {
        Err(SetError::Empty { key })
    } else {
        Ok(())
    }
}

/// Free text without control characters; a `required` setting refuses "".
fn text<const N: usize>(key: Key, value: &str, required: bool) -> Result<String<N>, SetError> {
    if required {
        require(key, value)?;
    }
    if value.chars().any(char::is_control) {
        return Err(SetError::NotPrintable { key });
    }
    String::try_from(value).map_err(|_| SetError::TooLong { key, max: N })
}

/// An id or secret: visible ASCII only, no spaces.
fn token<const N: usize>(key: Key, value: &str) -> Result<String<N>, SetError> {
    require(key, value)?;
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SetError::NotPrintable { key });
    }
    String::try_from(value).map_err(|_| SetError::TooLong { key, max: N })
}

fn check_wifi_password(value: &str) -> Result<(), SetError> {
    let len = value.len();
    let passphrase = (WIFI_PASSWORD_MIN_LEN..WIFI_PASSWORD_CAPACITY).contains(&len);
    let raw_key = len == WIFI_PASSWORD_CAPACITY && value.bytes().all(|b| b.is_ascii_hexdigit());
    if len == 0 || passphrase || raw_key {
        Ok(())
    } else if len > WIFI_PASSWORD_CAPACITY {
        Err(SetError::TooLong {
            key: Key::WifiPassword,
            max: WIFI_PASSWORD_CAPACITY,
        })
    } else {
        Err(SetError::WifiPasswordLength)
    }
}

fn agent_id(value: &str) -> Result<String<AGENT_ID_LEN>, SetError> {
    require(Key::Agent, value)?;
    let bytes = value.as_bytes();
    let shaped = bytes.len() == AGENT_ID_LEN
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    // The topic builder is the final word on what may go into a topic.
    if !shaped || TopicBuf::user(value, UserTopicKind::Conversations).is_err() {
        return Err(SetError::InvalidAgentId);
    }
    let mut id = String::new();
    for c in value.chars() {
        id.push(c.to_ascii_lowercase())
            .map_err(|_| SetError::InvalidAgentId)?;
    }
    Ok(id)
}

fn number(key: Key, value: &str, min: u16, max: u16) -> Result<u16, SetError> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or(SetError::OutOfRange { key, min, max })
}

fn host<const N: usize>(key: Key, value: &str) -> Result<String<N>, SetError> {
    require(key, value)?;
    let labels_ok = value.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !labels_ok {
        return Err(SetError::InvalidHost);
    }
    String::try_from(value).map_err(|_| SetError::TooLong { key, max: N })
}

/// A `fmt::Write` into a byte slice that counts what did not fit instead of failing half-way.
struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    needed: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let start = self.needed;
        self.needed = start.saturating_add(s.len());
        // Once one piece did not fit, later pieces are only counted: no gaps in the output.
        if self.len == start
            && let Some(dst) = self.buf.get_mut(start..self.needed)
        {
            dst.copy_from_slice(s.as_bytes());
            self.len = self.needed;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::{String as StdString, ToString};

    const AGENT: &str = "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60";

    fn configured() -> Config {
        let mut config = Config::default();
        config.set(Key::WifiSsid, "Office Wi-Fi").unwrap();
        config.set(Key::WifiPassword, "correct horse").unwrap();
        config.set(Key::Region, "eu-west-1").unwrap();
        config
            .set(Key::ClientId, "8b4c3a8e-1111-2222-3333-444455556666")
            .unwrap();
        config
            .set(Key::ClientSecret, "s3cr3t-VALUE-never-printed")
            .unwrap();
        config.set(Key::Agent, AGENT).unwrap();
        config
    }

    /// The stored form of every setting: equal for two configurations that would behave alike.
    fn stored(config: &Config) -> std::vec::Vec<std::vec::Vec<u8>> {
        Key::ALL
            .into_iter()
            .map(|key| {
                let mut buf = [0u8; MAX_VALUE_LEN];
                let len = config.encode(key, &mut buf).unwrap();
                buf[..len].to_vec()
            })
            .collect()
    }

    fn shown(config: &Config, key: Key) -> StdString {
        let mut out = StdString::new();
        config.write_value(key, &mut out).unwrap();
        out
    }

    #[test]
    fn a_new_light_is_missing_exactly_the_required_settings() {
        let config = Config::default();
        let missing: std::vec::Vec<Key> = config.missing().collect();
        assert_eq!(
            missing,
            [
                Key::WifiSsid,
                Key::Region,
                Key::ClientId,
                Key::ClientSecret,
                Key::Agent
            ]
        );
        assert!(!config.is_complete());
        assert!(configured().is_complete());
    }

    #[test]
    fn defaults_are_a_gentle_single_led_in_the_default_theme() {
        let config = Config::default();
        assert_eq!(config.brightness_percent(), DEFAULT_BRIGHTNESS_PERCENT);
        assert_eq!(config.leds(), 1);
        assert_eq!(config.theme(), &Theme::DEFAULT);
        assert_eq!(config.time_server(), DEFAULT_TIME_SERVER);
    }

    #[test]
    fn key_names_and_ids_are_unique_and_round_trip() {
        for (i, a) in Key::ALL.iter().enumerate() {
            assert_eq!(Key::from_name(a.name()), Some(*a));
            assert_eq!(Key::from_id(a.id()), Some(*a));
            for b in Key::ALL.iter().skip(i + 1) {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.id(), b.id());
            }
        }
        assert_eq!(Key::from_name("WIFI.SSID"), Some(Key::WifiSsid));
        assert_eq!(Key::from_name("ssid"), None);
        assert_eq!(Key::from_id(0), None);
    }

    #[test]
    fn storage_ids_never_change() {
        let ids: std::vec::Vec<u8> = Key::ALL.into_iter().map(Key::id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn secrets_are_shown_as_stars_and_missing_ones_as_not_set() {
        let config = configured();
        assert_eq!(shown(&config, Key::ClientSecret), "***");
        assert_eq!(shown(&config, Key::WifiPassword), "***");
        assert_eq!(shown(&Config::default(), Key::ClientSecret), "(not set)");
        assert_eq!(shown(&config, Key::WifiSsid), "Office Wi-Fi");
    }

    #[test]
    fn debug_output_never_contains_a_secret() {
        let config = configured();
        let debug = std::format!("{config:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(!debug.contains("correct horse"), "{debug}");
    }

    #[test]
    fn every_setting_survives_a_trip_through_flash() {
        let mut config = configured();
        config.set(Key::Brightness, "75").unwrap();
        config.set(Key::Theme, "Colour-Blind").unwrap();
        config.set(Key::Leds, "12").unwrap();
        config.set(Key::TimeServer, "ntp.example.com").unwrap();
        let mut restored = Config::default();
        for key in Key::ALL {
            let mut buf = [0u8; MAX_VALUE_LEN];
            let len = config.encode(key, &mut buf).unwrap();
            assert_eq!(restored.load(key.id(), &buf[..len]), Ok(key));
        }
        assert_eq!(stored(&restored), stored(&config));
    }

    #[test]
    fn the_largest_value_fits_a_record() {
        let mut config = Config::default();
        let secret = "x".repeat(CLIENT_SECRET_CAPACITY);
        config.set(Key::ClientSecret, &secret).unwrap();
        let mut buf = [0u8; MAX_VALUE_LEN];
        assert_eq!(
            config.encode(Key::ClientSecret, &mut buf),
            Ok(MAX_VALUE_LEN)
        );
    }

    #[test]
    fn a_small_buffer_reports_the_size_it_needed() {
        let config = configured();
        let mut buf = [0u8; 4];
        assert_eq!(
            config.encode(Key::WifiSsid, &mut buf),
            Err(ValueTooLarge { needed: 12 })
        );
    }

    #[test]
    fn records_from_a_newer_firmware_are_skipped() {
        let mut config = configured();
        let before = stored(&config);
        assert_eq!(
            config.load(200, b"whatever"),
            Err(LoadError::UnknownKey { id: 200 })
        );
        assert_eq!(stored(&config), before);
    }

    #[test]
    fn a_damaged_record_is_refused_and_the_setting_keeps_its_value() {
        let mut config = configured();
        assert_eq!(
            config.load(Key::Agent.id(), &[0xff, 0xfe]),
            Err(LoadError::NotText { key: Key::Agent })
        );
        assert_eq!(
            config.load(Key::Leds.id(), b"999"),
            Err(LoadError::Invalid(SetError::OutOfRange {
                key: Key::Leds,
                min: 1,
                max: MAX_LEDS
            }))
        );
        assert_eq!(config.agent(), AGENT);
        assert_eq!(config.leds(), 1);
    }

    #[test]
    fn an_empty_record_means_the_default() {
        let mut config = configured();
        config.set(Key::Leds, "8").unwrap();
        assert_eq!(config.load(Key::Leds.id(), b""), Ok(Key::Leds));
        assert_eq!(config.leds(), 1);
    }

    #[test]
    fn ssids_keep_their_spaces_and_refuse_control_characters() {
        let mut config = Config::default();
        config.set(Key::WifiSsid, " Cafe 2 ").unwrap();
        assert_eq!(config.wifi_ssid(), " Cafe 2 ");
        assert_eq!(
            config.set(Key::WifiSsid, "a\tb"),
            Err(SetError::NotPrintable { key: Key::WifiSsid })
        );
        assert_eq!(
            config.set(Key::WifiSsid, &"n".repeat(33)),
            Err(SetError::TooLong {
                key: Key::WifiSsid,
                max: 32
            })
        );
        assert_eq!(
            config.set(Key::WifiSsid, ""),
            Err(SetError::Empty { key: Key::WifiSsid })
        );
    }

    #[test]
    fn wifi_passwords_follow_wpa2_lengths() {
        let mut config = Config::default();
        assert!(config.set(Key::WifiPassword, "").is_ok());
        assert!(config.set(Key::WifiPassword, "12345678").is_ok());
        assert!(config.set(Key::WifiPassword, &"p".repeat(63)).is_ok());
        assert!(config.set(Key::WifiPassword, &"a1".repeat(32)).is_ok());
        assert_eq!(
            config.set(Key::WifiPassword, "short"),
            Err(SetError::WifiPasswordLength)
        );
        assert_eq!(
            config.set(Key::WifiPassword, &"z".repeat(64)),
            Err(SetError::WifiPasswordLength)
        );
        assert!(matches!(
            config.set(Key::WifiPassword, &"p".repeat(65)),
            Err(SetError::TooLong { .. })
        ));
    }

    #[test]
    fn regions_are_taken_by_name_or_domain_and_stored_by_name() {
        let mut config = Config::default();
        config.set(Key::Region, " mypurecloud.ie ").unwrap();
        assert_eq!(config.region(), Some(Region::EuWest1));
        let mut buf = [0u8; MAX_VALUE_LEN];
        let len = config.encode(Key::Region, &mut buf).unwrap();
        assert_eq!(&buf[..len], b"eu-west-1");
        assert_eq!(
            config.set(Key::Region, "api.example.com"),
            Err(SetError::UnknownRegion)
        );
        assert_eq!(
            config.set(Key::Region, "http://127.0.0.1:8080"),
            Err(SetError::UnknownRegion)
        );
    }

    #[test]
    fn agent_ids_must_be_uuids_and_are_kept_in_lower_case() {
        let mut config = Config::default();
        config.set(Key::Agent, &AGENT.to_uppercase()).unwrap();
        assert_eq!(config.agent(), AGENT);
        for bad in [
            "me",
            "0f6f2b7e3c0a4d8e9a512b7d1c4e5f60",
            "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f6g",
            "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f6",
            "0f6f2b7e_3c0a-4d8e-9a51-2b7d1c4e5f60",
        ] {
            assert_eq!(
                config.set(Key::Agent, bad),
                Err(SetError::InvalidAgentId),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_credentials_are_visible_ascii_without_spaces() {
        let mut config = Config::default();
        assert_eq!(
            config.set(Key::ClientSecret, "two words"),
            Err(SetError::NotPrintable {
                key: Key::ClientSecret
            })
        );
        assert_eq!(
            config.set(Key::ClientId, "  "),
            Err(SetError::Empty { key: Key::ClientId })
        );
        assert!(matches!(
            config.set(Key::ClientSecret, &"s".repeat(129)),
            Err(SetError::TooLong { .. })
        ));
    }

    #[test]
    fn brightness_is_a_percentage_mapped_onto_led_levels() {
        let mut config = Config::default();
        config.set(Key::Brightness, "100").unwrap();
        assert_eq!(config.brightness_level(), 255);
        config.set(Key::Brightness, "1").unwrap();
        assert_eq!(config.brightness_level(), 3);
        config.set(Key::Brightness, "50").unwrap();
        assert_eq!(config.brightness_level(), 128);
        for bad in ["0", "101", "-5", "half", ""] {
            assert_eq!(
                config.set(Key::Brightness, bad),
                Err(SetError::OutOfRange {
                    key: Key::Brightness,
                    min: 1,
                    max: 100
                }),
                "{bad}"
            );
        }
        assert_eq!(config.brightness_percent(), 50);
    }

    #[test]
    fn led_counts_stay_within_the_buffer() {
        let mut config = Config::default();
        config.set(Key::Leds, "60").unwrap();
        assert_eq!(config.leds(), 60);
        assert!(config.set(Key::Leds, "61").is_err());
        assert!(config.set(Key::Leds, "0").is_err());
    }

    #[test]
    fn themes_are_chosen_by_name() {
        let mut config = Config::default();
        config.set(Key::Theme, "colour-blind").unwrap();
        assert_eq!(config.theme(), &Theme::COLOUR_BLIND_SAFE);
        assert_eq!(config.set(Key::Theme, "neon"), Err(SetError::UnknownTheme));
    }

    #[test]
    fn time_servers_must_be_host_names() {
        let mut config = Config::default();
        config.set(Key::TimeServer, "time.cloudflare.com").unwrap();
        for bad in [
            "",
            "two words",
            "a..b",
            "-x.com",
            "x-.com",
            "ntp.example.com/",
        ] {
            assert!(config.set(Key::TimeServer, bad).is_err(), "{bad}");
        }
        assert_eq!(config.time_server(), "time.cloudflare.com");
    }

    #[test]
    fn unset_returns_a_setting_to_its_default() {
        let mut config = configured();
        config.set(Key::Brightness, "90").unwrap();
        config.unset(Key::Brightness);
        config.unset(Key::ClientSecret);
        assert_eq!(config.brightness_percent(), DEFAULT_BRIGHTNESS_PERCENT);
        assert!(!config.is_set(Key::ClientSecret));
        assert_eq!(
            config.missing().collect::<std::vec::Vec<_>>(),
            [Key::ClientSecret]
        );
    }

    #[test]
    fn error_messages_never_repeat_the_value() {
        let mut config = Config::default();
        let attempts = [
            (Key::WifiPassword, "hunter2"),
            (Key::ClientSecret, "leaky secret"),
            (Key::Agent, "leaky-secret"),
            (Key::Region, "leaky-secret"),
            (Key::Brightness, "leaky"),
            (Key::TimeServer, "leaky secret"),
        ];
        for (key, value) in attempts {
            let message = config.set(key, value).unwrap_err().to_string();
            assert!(!message.contains(value), "{message}");
            assert!(!message.contains("leaky"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn every_error_names_its_setting_or_what_is_allowed() {
        let errors = [
            SetError::TooLong {
                key: Key::WifiSsid,
                max: 32,
            },
            SetError::Empty { key: Key::Agent },
            SetError::NotPrintable { key: Key::ClientId },
            SetError::WifiPasswordLength,
            SetError::UnknownRegion,
            SetError::InvalidAgentId,
            SetError::OutOfRange {
                key: Key::Leds,
                min: 1,
                max: 60,
            },
            SetError::UnknownTheme,
            SetError::InvalidHost,
        ];
        for error in errors {
            let message = error.to_string();
            assert!(
                Key::ALL.iter().any(|k| message.contains(k.name())),
                "{message}"
            );
        }
        assert!(LoadError::UnknownKey { id: 77 }.to_string().contains("#77"));
    }
}
