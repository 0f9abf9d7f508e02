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
//! Secrets (the Wi-Fi password, the OAuth client secret, the MQTT password) are kept in
//! [`Secret`] and never printed: [`Config::write_value`] shows them as `***`, and no error
//! message repeats a value.
//!
//! # Two sources
//!
//! `source` chooses where the agent's state comes from: `genesys` (the default: the light is its
//! own Genesys client, with `region`, `client.id` and `client.secret`) or `mqtt` (the light
//! listens to a fleet gateway through an MQTT broker, with `mqtt.url` and, if the broker asks
//! for them, `mqtt.user` and `mqtt.password`; it needs no Genesys secret). Which settings are
//! required follows the source ([`Key::is_required`]).

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
/// Longest broker URL: `mqtts://`, a host name and `:port`. Office broker names are short; every
/// byte here is kept in RAM by each task holding the settings, so no room for 253-byte names.
pub const MQTT_URL_CAPACITY: usize = 96;
/// Longest MQTT user name kept: a broker account name, not a certificate subject.
pub const MQTT_USER_CAPACITY: usize = 64;
/// Longest MQTT password kept: a generated password of 32 to 48 characters fits with room.
pub const MQTT_PASSWORD_CAPACITY: usize = 64;
/// Longest topic prefix: one or a few topic levels (`genesys`, `site-2/genesys`).
pub const MQTT_PREFIX_CAPACITY: usize = 32;
/// The topic prefix until one is set: the gateway's default.
pub const DEFAULT_MQTT_PREFIX: &str = "genesys";
/// The broker port of `mqtt://` when the URL names none (IANA's MQTT port).
pub const MQTT_PORT: u16 = 1883;
/// The broker port of `mqtts://` when the URL names none (IANA's MQTT-over-TLS port).
pub const MQTTS_PORT: u16 = 8883;
/// Longest canonical value of any setting, in bytes: the size of a storage record's value.
pub const MAX_VALUE_LEN: usize = CLIENT_SECRET_CAPACITY;

/// Where the light gets the agent's state from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Source {
    /// The light is its own Genesys Cloud client (one desk; the default).
    Genesys,
    /// The light listens to a fleet gateway's state messages on an MQTT broker.
    Mqtt,
}

impl Source {
    /// The name typed on the console.
    pub const fn name(self) -> &'static str {
        match self {
            Source::Genesys => "genesys",
            Source::Mqtt => "mqtt",
        }
    }

    /// The source named `name` (ASCII case ignored).
    pub fn from_name(name: &str) -> Option<Source> {
        [Source::Genesys, Source::Mqtt]
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An MQTT broker, as `mqtt.url` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broker<'a> {
    /// The host name or IPv4 address, in lower case.
    pub host: &'a str,
    /// The TCP port.
    pub port: u16,
    /// `mqtts://`: TLS, with the broker's certificate verified against the light's roots.
    pub tls: bool,
}

impl<'a> Broker<'a> {
    /// Reads `mqtt://host[:port]` or `mqtts://host[:port]` (scheme and host in any case; no
    /// path, user or query). The host is a DNS name or an IPv4 address.
    pub fn parse(url: &'a str) -> Result<Broker<'a>, SetError> {
        let (tls, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "mqtts://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "mqtt://") {
            (false, rest)
        } else {
            return Err(SetError::InvalidBrokerUrl);
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or(SetError::InvalidBrokerUrl)?;
                (host, port)
            }
            None => (rest, if tls { MQTTS_PORT } else { MQTT_PORT }),
        };
        if !is_host_name(host) {
            return Err(SetError::InvalidBrokerUrl);
        }
        Ok(Broker { host, port, tls })
    }
}

impl fmt::Display for Broker<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

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
    /// `source`: where the agent's state comes from, `genesys` (default) or `mqtt`.
    Source,
    /// `mqtt.url`: the broker, `mqtts://host:8883` (or `mqtt://host:1883` on a trusted LAN).
    MqttUrl,
    /// `mqtt.user`: the light's broker account; empty for an anonymous broker.
    MqttUser,
    /// `mqtt.password`: that account's password. Secret.
    MqttPassword,
    /// `mqtt.prefix`: the gateway's topic prefix, `genesys` unless the gateway was given another.
    MqttPrefix,
}

impl Key {
    /// Every setting, in the order `show` lists them.
    pub const ALL: [Key; 15] = [
        Key::WifiSsid,
        Key::WifiPassword,
        Key::Source,
        Key::Region,
        Key::ClientId,
        Key::ClientSecret,
        Key::MqttUrl,
        Key::MqttUser,
        Key::MqttPassword,
        Key::MqttPrefix,
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
            Key::Source => "source",
            Key::MqttUrl => "mqtt.url",
            Key::MqttUser => "mqtt.user",
            Key::MqttPassword => "mqtt.password",
            Key::MqttPrefix => "mqtt.prefix",
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
            Key::Source => 11,
            Key::MqttUrl => 12,
            Key::MqttUser => 13,
            Key::MqttPassword => 14,
            Key::MqttPrefix => 15,
        }
    }

    /// The setting stored under record id `id`, if this firmware knows it.
    pub fn from_id(id: u8) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether the value must never be printed.
    pub const fn is_secret(self) -> bool {
        matches!(
            self,
            Key::WifiPassword | Key::ClientSecret | Key::MqttPassword
        )
    }

    /// Whether a light whose state comes from `source` cannot work until this is set.
    pub const fn is_required(self, source: Source) -> bool {
        match self {
            Key::WifiSsid | Key::Agent => true,
            Key::Region | Key::ClientId | Key::ClientSecret => matches!(source, Source::Genesys),
            Key::MqttUrl => matches!(source, Source::Mqtt),
            _ => false,
        }
    }

    /// The source this setting belongs to, if it belongs to one only (for `help`).
    pub const fn only_for(self) -> Option<Source> {
        match self {
            Key::Region | Key::ClientId | Key::ClientSecret => Some(Source::Genesys),
            Key::MqttUrl | Key::MqttUser | Key::MqttPassword | Key::MqttPrefix => {
                Some(Source::Mqtt)
            }
            _ => None,
        }
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
            Key::Source => "where the state comes from: genesys (direct) or mqtt (a gateway)",
            Key::MqttUrl => "broker: mqtts://host:8883, or mqtt://host:1883 on a trusted LAN",
            Key::MqttUser => "the light's broker user name; unset for an anonymous broker",
            Key::MqttPassword => "that user's password",
            Key::MqttPrefix => "the gateway's topic prefix (default genesys)",
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
    /// Not `genesys` or `mqtt`: use one of them.
    UnknownSource,
    /// Not `mqtt://host[:port]` or `mqtts://host[:port]`: retype it.
    InvalidBrokerUrl,
    /// Not a topic prefix: one or more topic levels without `+`, `#`, spaces or empty levels.
    InvalidPrefix,
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
            SetError::UnknownSource => f.write_str("source must be `genesys` or `mqtt`"),
            SetError::InvalidBrokerUrl => f.write_str(
                "mqtt.url must be mqtts://host[:port] or mqtt://host[:port] (a host name or IPv4 \
                 address; no path or user)",
            ),
            SetError::InvalidPrefix => f.write_str(
                "mqtt.prefix must be topic levels such as genesys or site-2/genesys \
                 (no '+', '#', spaces, or empty levels)",
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
    source: Source,
    mqtt_url: String<MQTT_URL_CAPACITY>,
    mqtt_user: String<MQTT_USER_CAPACITY>,
    mqtt_password: Secret<String<MQTT_PASSWORD_CAPACITY>>,
    mqtt_prefix: String<MQTT_PREFIX_CAPACITY>,
}

impl Default for Config {
    fn default() -> Self {
        let mut time_server = String::new();
        // The default is a literal far shorter than the capacity.
        let _ = time_server.push_str(DEFAULT_TIME_SERVER);
        let mut mqtt_prefix = String::new();
        let _ = mqtt_prefix.push_str(DEFAULT_MQTT_PREFIX);
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
            source: Source::Genesys,
            mqtt_url: String::new(),
            mqtt_user: String::new(),
            mqtt_password: Secret::new(String::new()),
            mqtt_prefix,
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
            Key::Source => {
                self.source = Source::from_name(value.trim()).ok_or(SetError::UnknownSource)?;
            }
            Key::MqttUrl => self.mqtt_url = broker_url(value.trim())?,
            Key::MqttUser => self.mqtt_user = token(key, value.trim())?,
            Key::MqttPassword => self.mqtt_password = Secret::new(text(key, value, true)?),
            Key::MqttPrefix => self.mqtt_prefix = topic_prefix(value.trim())?,
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
            Key::Source => self.source = defaults.source,
            Key::MqttUrl => self.mqtt_url = defaults.mqtt_url,
            Key::MqttUser => self.mqtt_user = defaults.mqtt_user,
            Key::MqttPassword => self.mqtt_password = defaults.mqtt_password,
            Key::MqttPrefix => self.mqtt_prefix = defaults.mqtt_prefix,
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
            Key::MqttUrl => !self.mqtt_url.is_empty(),
            Key::MqttUser => !self.mqtt_user.is_empty(),
            Key::MqttPassword => !self.mqtt_password.is_empty(),
            Key::Brightness
            | Key::Theme
            | Key::Leds
            | Key::TimeServer
            | Key::Source
            | Key::MqttPrefix => true,
        }
    }

    /// The settings the configured source requires that are still missing, in [`Key::ALL`] order.
    pub fn missing(&self) -> impl Iterator<Item = Key> + '_ {
        Key::ALL
            .into_iter()
            .filter(|k| k.is_required(self.source) && !self.is_set(*k))
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
            Key::Source => out.write_str(self.source.name()),
            Key::MqttUrl => out.write_str(&self.mqtt_url),
            Key::MqttUser => out.write_str(&self.mqtt_user),
            Key::MqttPassword => out.write_str(self.mqtt_password.expose_secret()),
            Key::MqttPrefix => out.write_str(&self.mqtt_prefix),
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

    /// Where the agent's state comes from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The MQTT broker, once `mqtt.url` is set.
    pub fn mqtt_broker(&self) -> Option<Broker<'_>> {
        Broker::parse(&self.mqtt_url).ok()
    }

    /// The broker user name; empty for an anonymous broker.
    pub fn mqtt_user(&self) -> &str {
        &self.mqtt_user
    }

    /// The broker password; empty when none is set.
    pub fn mqtt_password(&self) -> &Secret<String<MQTT_PASSWORD_CAPACITY>> {
        &self.mqtt_password
    }

    /// The gateway's topic prefix.
    pub fn mqtt_prefix(&self) -> &str {
        &self.mqtt_prefix
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
    if !is_host_name(value) {
        return Err(SetError::InvalidHost);
    }
    String::try_from(value).map_err(|_| SetError::TooLong { key, max: N })
}

/// Dot-separated labels of letters, digits and inner `-` (an IPv4 address is such a name too).
fn is_host_name(value: &str) -> bool {
    !value.is_empty()
        && value.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A broker URL in its canonical spelling: lower-case scheme and host, the port always written.
fn broker_url(value: &str) -> Result<String<MQTT_URL_CAPACITY>, SetError> {
    require(Key::MqttUrl, value)?;
    let broker = Broker::parse(value)?;
    let mut canonical = String::new();
    let mut lower = Truncating(&mut canonical, false);
    // Writing into a String only fails when it is full, which `Truncating` records.
    let _ = fmt::write(&mut lower, format_args!("{broker}"));
    if lower.1 {
        return Err(SetError::TooLong {
            key: Key::MqttUrl,
            max: MQTT_URL_CAPACITY,
        });
    }
    canonical.make_ascii_lowercase();
    Ok(canonical)
}

/// Topic levels separated by `/`: printable ASCII without spaces and wildcards, none empty.
fn topic_prefix(value: &str) -> Result<String<MQTT_PREFIX_CAPACITY>, SetError> {
    require(Key::MqttPrefix, value)?;
    let level_ok = |level: &str| {
        !level.is_empty()
            && level
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'+' | b'#' | b'/'))
    };
    if !value.split('/').all(level_ok) {
        return Err(SetError::InvalidPrefix);
    }
    String::try_from(value).map_err(|_| SetError::TooLong {
        key: Key::MqttPrefix,
        max: MQTT_PREFIX_CAPACITY,
    })
}

/// A `fmt::Write` into a `String` that notes (in `.1`) when something did not fit.
struct Truncating<'a, const N: usize>(&'a mut String<N>, bool);

impl<const N: usize> fmt::Write for Truncating<'_, N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.push_str(s).is_err() {
            self.1 = true;
        }
        Ok(())
    }
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
        assert_eq!(ids, [1, 2, 11, 3, 4, 5, 12, 13, 14, 15, 6, 7, 8, 9, 10]);
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
        config.set(Key::Source, "mqtt").unwrap();
        config.set(Key::MqttUrl, "mqtts://broker.lan:8884").unwrap();
        config.set(Key::MqttUser, "light-7").unwrap();
        config.set(Key::MqttPassword, "pass word").unwrap();
        config.set(Key::MqttPrefix, "site/genesys").unwrap();
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

    fn listening() -> Config {
        let mut config = Config::default();
        config.set(Key::WifiSsid, "Office Wi-Fi").unwrap();
        config.set(Key::Source, "mqtt").unwrap();
        config.set(Key::Agent, AGENT).unwrap();
        config
    }

    #[test]
    fn an_mqtt_light_needs_a_broker_and_no_genesys_secret() {
        let mut config = listening();
        assert_eq!(config.source(), Source::Mqtt);
        assert_eq!(
            config.missing().collect::<std::vec::Vec<_>>(),
            [Key::MqttUrl]
        );
        config
            .set(Key::MqttUrl, "mqtts://broker.office.lan")
            .unwrap();
        assert!(config.is_complete());
        assert!(!config.is_set(Key::ClientSecret));
        assert_eq!(config.mqtt_prefix(), DEFAULT_MQTT_PREFIX);
        assert_eq!(config.mqtt_user(), "");
        assert_eq!(Config::default().source(), Source::Genesys);
    }

    #[test]
    fn broker_urls_take_their_default_ports_and_are_kept_in_one_spelling() {
        let mut config = listening();
        config
            .set(Key::MqttUrl, " MQTTS://Broker.Office.LAN ")
            .unwrap();
        assert_eq!(
            config.mqtt_broker(),
            Some(Broker {
                host: "broker.office.lan",
                port: MQTTS_PORT,
                tls: true
            })
        );
        assert_eq!(
            shown(&config, Key::MqttUrl),
            "mqtts://broker.office.lan:8883"
        );
        config.set(Key::MqttUrl, "mqtt://10.0.0.7:1884/").unwrap();
        assert_eq!(
            config.mqtt_broker(),
            Some(Broker {
                host: "10.0.0.7",
                port: 1884,
                tls: false
            })
        );
        config.set(Key::MqttUrl, "mqtt://broker").unwrap();
        assert_eq!(config.mqtt_broker().map(|b| b.port), Some(MQTT_PORT));
    }

    #[test]
    fn broker_urls_with_another_scheme_a_path_or_a_user_are_refused() {
        let mut config = listening();
        for bad in [
            "",
            "broker:1883",
            "tcp://broker:1883",
            "https://broker",
            "mqtts://",
            "mqtts://broker:0",
            "mqtts://broker:65536",
            "mqtts://broker:port",
            "mqtts://user:pw@broker",
            "mqtts://broker/topic",
            "mqtts://[::1]:8883",
            "mqtts://bro ker",
        ] {
            assert!(config.set(Key::MqttUrl, bad).is_err(), "{bad}");
        }
        let long = std::format!("mqtts://{}.lan", "b".repeat(MQTT_URL_CAPACITY));
        assert!(matches!(
            config.set(Key::MqttUrl, &long),
            Err(SetError::TooLong { .. })
        ));
        assert!(!config.is_set(Key::MqttUrl));
    }

    #[test]
    fn topic_prefixes_are_levels_without_wildcards() {
        let mut config = listening();
        config.set(Key::MqttPrefix, "site-2/genesys").unwrap();
        assert_eq!(config.mqtt_prefix(), "site-2/genesys");
        for bad in [
            "",
            "a//b",
            "/genesys",
            "genesys/",
            "floor/+",
            "#",
            "two words",
        ] {
            assert!(config.set(Key::MqttPrefix, bad).is_err(), "{bad}");
        }
        config.unset(Key::MqttPrefix);
        assert_eq!(config.mqtt_prefix(), DEFAULT_MQTT_PREFIX);
    }

    #[test]
    fn the_mqtt_password_is_a_secret_like_the_others() {
        let mut config = listening();
        config.set(Key::MqttUser, "light-0f6f").unwrap();
        config.set(Key::MqttPassword, "br0ker pass-phrase").unwrap();
        assert!(Key::MqttPassword.is_secret());
        assert_eq!(shown(&config, Key::MqttPassword), "***");
        assert_eq!(shown(&config, Key::MqttUser), "light-0f6f");
        let debug = std::format!("{config:?}");
        assert!(!debug.contains("br0ker"), "{debug}");
        assert_eq!(config.mqtt_password().expose_secret(), "br0ker pass-phrase");
        assert_eq!(
            config.set(Key::Source, "carrier-pigeon"),
            Err(SetError::UnknownSource)
        );
    }

    #[test]
    fn which_settings_are_required_follows_the_source() {
        for key in Key::ALL {
            let genesys = key.is_required(Source::Genesys);
            let mqtt = key.is_required(Source::Mqtt);
            match key.only_for() {
                Some(Source::Genesys) => assert!(!mqtt, "{key}"),
                Some(Source::Mqtt) => assert!(!genesys, "{key}"),
                None => assert_eq!(genesys, mqtt, "{key}"),
            }
        }
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
            (Key::MqttUrl, "mqtts://leaky secret"),
            (Key::MqttPassword, "leaky\tsecret"),
            (Key::MqttUser, "leaky secret"),
            (Key::MqttPrefix, "leaky/#"),
            (Key::Source, "leaky"),
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
            SetError::UnknownSource,
            SetError::InvalidBrokerUrl,
            SetError::InvalidPrefix,
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
