//! A wrapper that keeps credentials out of logs.
//!
//! Access tokens, refresh tokens and client secrets pass through the same code paths as
//! everything else: they sit in structs that derive `Debug`, they end up in `tracing` fields
//! and `defmt` frames, and a panic message can print a whole value. A single `{:?}` in the
//! wrong place leaks a bearer token into a log file that outlives it by years.
//!
//! [`Secret`] makes the safe thing the default: its `Debug`, `Display` (and `defmt::Format`
//! with the `defmt` feature) print `***`, so a struct holding one can derive `Debug` freely.
//! Reading the value takes a call to [`Secret::expose_secret`], which is easy to find in review
//! and only belongs where the value really leaves the process: an `Authorization` header, a
//! token-endpoint form body, the flash that stores the device's configuration.
//!
//! The wrapper is generic over `T: AsRef<str>` so one type serves the core (`&str`,
//! [`heapless::String`]) and the std adapter (`String`) alike. It deliberately implements
//! neither `PartialEq` nor `Hash`: comparing secrets is rarely what a caller means, and a
//! naive comparison leaks timing.

use core::fmt;

/// A value that must never be printed: a token, a client secret, a password.
///
/// ```
/// use genesys_notify_core::secret::Secret;
///
/// let token = Secret::new("eyJhbGciOi...");
/// assert_eq!(format!("{token:?} {token}"), "*** ***");
/// assert_eq!(token.expose_secret(), "eyJhbGciOi...");
/// ```
#[derive(Clone, Copy, Default)]
pub struct Secret<T: AsRef<str>> {
    value: T,
}

/// What `Debug`, `Display` and `defmt` print in place of a secret.
pub const REDACTED: &str = "***";

impl<T: AsRef<str>> Secret<T> {
    /// Wraps `value` so that it can no longer be printed by accident.
    pub const fn new(value: T) -> Self {
        Self { value }
    }

    /// The secret text itself.
    ///
    /// Call this only where the value leaves the process on purpose (a request header, a
    /// form body, persistent configuration), never to log or display it.
    pub fn expose_secret(&self) -> &str {
        self.value.as_ref()
    }

    /// Unwraps the inner value; the caller takes over the duty of not printing it.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Whether the secret is the empty string (a missing setting, typically).
    ///
    /// Safe to log: it says nothing about the value beyond its absence.
    pub fn is_empty(&self) -> bool {
        self.value.as_ref().is_empty()
    }
}

impl<T: AsRef<str>> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: AsRef<str>> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: AsRef<str>> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(feature = "defmt")]
impl<T: AsRef<str>> defmt::Format for Secret<T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "***")
    }
}

/// How many characters of a channel id's random part [`ShortChannelId`] shows: enough to tell
/// two channels apart in a log (26 base-32 characters follow `streaming-N-`, so 6 of them shown
/// leave 20, about 100 bits, unknown), far too few to open the channel's socket.
pub const SHORT_ID_CHARS: usize = 6;

/// A channel id shortened for people and logs: `streaming-2-aa5h48…`.
///
/// The channel id is a capability: whoever has it can open the channel's socket and read every
/// event on it, with no token at all. So the id (and the `connectUri` that carries it) is never
/// printed whole by this project's drivers and commands; this is what they print instead.
///
/// ```
/// use genesys_notify_core::secret::ShortChannelId;
///
/// let id = ShortChannelId("streaming-2-aa5h48uk0srhpugh2994klj918");
/// assert_eq!(id.to_string(), "streaming-2-aa5h48…");
/// assert_eq!(ShortChannelId("abc").to_string(), "…");
/// ```
#[derive(Clone, Copy)]
pub struct ShortChannelId<'a>(pub &'a str);

impl ShortChannelId<'_> {
    /// The printable prefix: up to the last `-`, then [`SHORT_ID_CHARS`] characters of the
    /// random part when it has more than twice that many (else none of it).
    fn shown(&self) -> &str {
        let id = self.0;
        let head = id.rfind('-').map_or(0, |i| i + 1);
        let random = id.get(head..).unwrap_or_default();
        let keep = if random.chars().count() > 2 * SHORT_ID_CHARS {
            random
                .char_indices()
                .nth(SHORT_ID_CHARS)
                .map_or(0, |(i, _)| i)
        } else {
            0
        };
        id.get(..head + keep).unwrap_or_default()
    }
}

impl fmt::Display for ShortChannelId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.shown())
    }
}

impl fmt::Debug for ShortChannelId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for ShortChannelId<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}…", self.shown())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::format;
    use std::string::{String, ToString};

    const TOKEN: &str = "eyJ-very-secret-token-value";

    #[derive(Debug)]
    #[allow(
        dead_code,
        reason = "the fields are read only through the derived Debug"
    )]
    struct Credentials {
        client_id: &'static str,
        client_secret: Secret<&'static str>,
    }

    #[test]
    fn a_short_channel_id_never_shows_enough_to_open_the_socket() {
        let id = "streaming-2-aa5h48uk0srhpugh2994klj918";
        let short = format!("{}", ShortChannelId(id));
        assert_eq!(short, "streaming-2-aa5h48…");
        assert_eq!(format!("{:?}", ShortChannelId(id)), short);
        assert_eq!(
            ShortChannelId("streaming-0-chan1").to_string(),
            "streaming-0-…"
        );
        assert_eq!(ShortChannelId("").to_string(), "…");
        assert_eq!(ShortChannelId("ééééééééééééééééé").to_string(), "éééééé…");
    }

    #[test]
    fn debug_and_display_never_print_the_value() {
        let secret = Secret::new(TOKEN);
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(format!("{secret:>40}"), "***");
    }

    #[test]
    fn a_struct_deriving_debug_does_not_leak_its_secret() {
        let creds = Credentials {
            client_id: "public-client-id",
            client_secret: Secret::new(TOKEN),
        };
        let printed = format!("{creds:?} {creds:#?}");
        assert!(printed.contains("public-client-id"));
        assert!(!printed.contains(TOKEN));
        assert!(!printed.contains("secret-token"));
    }

    #[test]
    fn expose_secret_returns_the_value_unchanged() {
        assert_eq!(Secret::new(TOKEN).expose_secret(), TOKEN);
    }

    #[test]
    fn heapless_strings_can_be_secrets() {
        let mut text: heapless::String<32> = heapless::String::new();
        assert!(text.push_str(TOKEN).is_ok());
        let secret = Secret::new(text);
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose_secret(), TOKEN);
    }

    #[test]
    fn std_strings_can_be_secrets() {
        let secret: Secret<String> = String::from(TOKEN).into();
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(secret.clone().into_inner(), TOKEN);
    }

    #[test]
    fn an_empty_secret_reports_itself_empty_without_printing() {
        assert!(Secret::new("").is_empty());
        assert!(!Secret::new(TOKEN).is_empty());
        assert_eq!(format!("{:?}", Secret::new("")), "***");
    }
}
