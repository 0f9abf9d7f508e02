//! Where Genesys Cloud lives: regions, their hosts, and the one check that keeps a client from
//! talking to a host nobody configured.
//!
//! An organisation lives in exactly one region, and nothing on the wire reveals which: a token
//! from one region is simply rejected (401) by all the others. So the region is configuration,
//! and this module turns that configuration into the three origins the protocol uses:
//!
//! | service | cloud origin | used for |
//! |---|---|---|
//! | [`Service::Api`] | `https://api.{domain}` | REST, under [`REST_PATH_PREFIX`] |
//! | [`Service::Login`] | `https://login.{domain}` | the token endpoint, [`TOKEN_PATH`] |
//! | [`Service::Streaming`] | `wss://streaming.{domain}` | the socket, [`CHANNEL_PATH_PREFIX`]`{id}` |
//!
//! Besides the 18 real regions, an [`Environment`] can be a *local* base URL
//! (`http://127.0.0.1:8080`, `https://localhost:8443`): the simulated cloud the tests and the
//! CLI's demo run on this machine, serving all three services on one port. Plain `http`/`ws` is
//! accepted for loopback hosts only, so a typo can never send a bearer token across a network in
//! clear text.
//!
//! The server tells the client where to connect (`connectUri` in the channel-creation reply).
//! [`Environment::check_connect_uri`] refuses any such URI whose host is not the configured
//! streaming host: a compromised or buggy response must not be able to point the client at a
//! host the configuration did not name.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

/// Every REST path lives under this prefix on the [`Service::Api`] origin.
pub const REST_PATH_PREFIX: &str = "/api/v2/";

/// The token endpoint's path on the [`Service::Login`] origin (cloud and simulated alike).
pub const TOKEN_PATH: &str = "/oauth/token";

/// The socket's path on the [`Service::Streaming`] origin is this prefix followed by the channel id.
pub const CHANNEL_PATH_PREFIX: &str = "/channels/";

/// The longest channel id [`Environment::check_connect_uri`] accepts.
///
/// Real ids are 38 characters (`streaming-2-aa5h48uk0srhpugh2994klj918`); 128 leaves room for
/// Genesys to lengthen them while still bounding what a driver must store.
pub const MAX_CHANNEL_ID_LEN: usize = 128;

/// Capacity of the stored host of a local [`Environment`].
///
/// The longest spelling of a loopback host: a bracketed, fully written IPv6 address
/// (`[0000:0000:0000:0000:0000:0000:0000:0001]`, 41 characters).
pub const LOCAL_HOST_CAPACITY: usize = 41;

macro_rules! regions {
    ($($variant:ident => $name:literal, $domain:literal, $note:literal;)*) => {
        /// A Genesys Cloud region, as listed in Genesys' own region table.
        ///
        /// Parse one from its name, its domain or any of its hosts with [`Region::parse`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum Region {
            $(
                #[doc = concat!("`", $name, "`, domain `", $domain, "`", $note, ".")]
                $variant,
            )*
        }

        impl Region {
            /// Every region, in the order of Genesys' table.
            pub const ALL: [Region; 18] = [$(Region::$variant),*];

            /// The region's name as Genesys writes it (`us-east-1`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Region::$variant => $name,)*
                }
            }

            /// The region's domain (`mypurecloud.com`); every service host is a label under it.
            pub const fn domain(self) -> &'static str {
                match self {
                    $(Region::$variant => $domain,)*
                }
            }

            /// The host of `service` in this region (`api.mypurecloud.com`).
            pub const fn host(self, service: Service) -> &'static str {
                match (self, service) {
                    $(
                        (Region::$variant, Service::Api) => concat!("api.", $domain),
                        (Region::$variant, Service::Login) => concat!("login.", $domain),
                        (Region::$variant, Service::Streaming) => concat!("streaming.", $domain),
                    )*
                }
            }
        }
    };
}

regions! {
    UsEast1 => "us-east-1", "mypurecloud.com", "";
    UsEast2 => "us-east-2", "use2.us-gov-pure.cloud", " (FedRAMP)";
    UsWest2 => "us-west-2", "usw2.pure.cloud", "";
    CaCentral1 => "ca-central-1", "cac1.pure.cloud", "";
    SaEast1 => "sa-east-1", "sae1.pure.cloud", "";
    MxCentral1 => "mx-central-1", "mxc1.pure.cloud", "";
    EuWest1 => "eu-west-1", "mypurecloud.ie", "";
    EuWest2 => "eu-west-2", "euw2.pure.cloud", "";
    EuCentral1 => "eu-central-1", "mypurecloud.de", "";
    EuCentral2 => "eu-central-2", "euc2.pure.cloud", "";
    EuscDeEast1 => "eusc-de-east-1", "edee1.eusc-pure.cloud", "";
    MeCentral1 => "me-central-1", "mec1.pure.cloud", "";
    ApSouth1 => "ap-south-1", "aps1.pure.cloud", "";
    ApSoutheast1 => "ap-southeast-1", "apse1.pure.cloud", "";
    ApSoutheast2 => "ap-southeast-2", "mypurecloud.com.au", "";
    ApNortheast1 => "ap-northeast-1", "mypurecloud.jp", "";
    ApNortheast2 => "ap-northeast-2", "apne2.pure.cloud", "";
    ApNortheast3 => "ap-northeast-3", "apne3.pure.cloud", "";
}

impl Region {
    /// Parses a region from its name (`us-west-2`), its domain (`usw2.pure.cloud`) or one of its
    /// hosts (`api.`, `login.`, `streaming.` followed by the domain).
    ///
    /// Case does not matter, and a name may be spelt with underscores as the Genesys `gc` CLI
    /// writes it in its configuration (`eu_central_2`, `ap_northeast_3`) [seen: gc CLI
    /// `config.go`]; surrounding whitespace and a trailing dot on a domain (`mypurecloud.com.`,
    /// the fully qualified form) are ignored.
    pub fn parse(text: &str) -> Result<Region, UnknownRegion> {
        let text = text.trim();
        Region::ALL
            .into_iter()
            .find(|r| name_matches(r.name(), text))
            .or_else(|| Region::from_host(text))
            .ok_or(UnknownRegion)
    }

    /// The region whose domain, or whose `api.`/`login.`/`streaming.` host, is `host`
    /// (case-insensitive, one trailing dot allowed).
    pub fn from_host(host: &str) -> Option<Region> {
        let host = host.strip_suffix('.').unwrap_or(host);
        let domain = Service::ALL
            .into_iter()
            .find_map(|s| strip_prefix_ignore_case(host, s.label()))
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(host);
        Region::ALL
            .into_iter()
            .find(|r| r.domain().eq_ignore_ascii_case(domain))
    }
}

/// Whether `text` spells the region name `name`, ignoring case and taking `_` for `-`.
fn name_matches(name: &str, text: &str) -> bool {
    name.len() == text.len()
        && name.bytes().zip(text.bytes()).all(|(n, t)| {
            let t = if t == b'_' { b'-' } else { t };
            n.eq_ignore_ascii_case(&t)
        })
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

/// The text named no Genesys Cloud region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnknownRegion;

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not a Genesys Cloud region: give a region name (us-east-1), its domain \
             (mypurecloud.com) or a host such as api.mypurecloud.com",
        )
    }
}

impl core::error::Error for UnknownRegion {}

/// The three services a client talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Service {
    /// The REST API (`https://api.{domain}`), paths under [`REST_PATH_PREFIX`].
    Api,
    /// The OAuth server (`https://login.{domain}`), token endpoint [`TOKEN_PATH`].
    Login,
    /// The notification socket (`wss://streaming.{domain}`), path [`CHANNEL_PATH_PREFIX`]`{id}`.
    Streaming,
}

impl Service {
    /// All three services.
    pub const ALL: [Service; 3] = [Service::Api, Service::Login, Service::Streaming];

    /// The host label Genesys puts in front of the region's domain (`api`, `login`, `streaming`).
    pub const fn label(self) -> &'static str {
        match self {
            Service::Api => "api",
            Service::Login => "login",
            Service::Streaming => "streaming",
        }
    }

    const fn is_socket(self) -> bool {
        matches!(self, Service::Streaming)
    }
}

/// The scheme of an [`Origin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scheme {
    /// HTTP over TLS: every cloud REST and login origin.
    Https,
    /// Plain HTTP: only ever a loopback host (the simulated cloud).
    Http,
    /// WebSocket over TLS: the cloud's streaming origin.
    Wss,
    /// Plain WebSocket: only ever a loopback host (the simulated cloud).
    Ws,
}

impl Scheme {
    /// The scheme as written in a URL (`https`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
            Scheme::Wss => "wss",
            Scheme::Ws => "ws",
        }
    }

    /// Whether the scheme runs over TLS.
    pub const fn is_tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Wss)
    }

    /// The port used when a URL names none: 443 with TLS, 80 without.
    pub const fn default_port(self) -> u16 {
        if self.is_tls() { 443 } else { 80 }
    }

    const fn for_service(tls: bool, service: Service) -> Scheme {
        match (tls, service.is_socket()) {
            (true, false) => Scheme::Https,
            (false, false) => Scheme::Http,
            (true, true) => Scheme::Wss,
            (false, true) => Scheme::Ws,
        }
    }

    fn parse(text: &str) -> Option<Scheme> {
        [Scheme::Https, Scheme::Http, Scheme::Wss, Scheme::Ws]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Scheme, host and port of one service: everything a driver needs to open a connection
/// (DNS name, TLS server name, port).
///
/// `Display` prints it as a URL prefix, leaving out a default port:
/// `https://api.mypurecloud.com`, `http://127.0.0.1:8080`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Origin<'a> {
    scheme: Scheme,
    host: &'a str,
    port: u16,
}

impl<'a> Origin<'a> {
    /// The scheme.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host: a DNS name (also the TLS server name), or a bracketed IPv6 literal.
    pub const fn host(&self) -> &'a str {
        self.host
    }

    /// The TCP port, explicit even when it is the scheme's default.
    pub const fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// An [`Origin`] and a path: a complete URL such as the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Endpoint<'a> {
    origin: Origin<'a>,
    path: &'a str,
}

impl<'a> Endpoint<'a> {
    /// Where to connect.
    pub const fn origin(&self) -> Origin<'a> {
        self.origin
    }

    /// The path to request, starting with `/`.
    pub const fn path(&self) -> &'a str {
        self.path
    }
}

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

/// A simulated cloud on this machine: one loopback host and port serving all three services.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalBase {
    tls: bool,
    host: heapless::String<LOCAL_HOST_CAPACITY>,
    port: u16,
}

impl LocalBase {
    /// The loopback host, lower-cased (`127.0.0.1`, `localhost`, `[::1]`).
    pub fn host(&self) -> &str {
        self.host.as_str()
    }

    /// The port all three services share.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Whether the simulated cloud speaks TLS (`https`/`wss`).
    pub const fn is_tls(&self) -> bool {
        self.tls
    }
}

/// Where the client talks to: a Genesys Cloud region, or a simulated cloud on a loopback host.
///
/// ```
/// use genesys_notify_core::region::{Environment, Region, Service};
///
/// let cloud = Environment::parse("api.usw2.pure.cloud").unwrap();
/// assert_eq!(cloud, Environment::Cloud(Region::UsWest2));
/// assert_eq!(cloud.origin(Service::Streaming).to_string(), "wss://streaming.usw2.pure.cloud");
///
/// let sim = Environment::parse("http://127.0.0.1:8080").unwrap();
/// assert_eq!(sim.token_endpoint().to_string(), "http://127.0.0.1:8080/oauth/token");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// A real Genesys Cloud region.
    Cloud(Region),
    /// A simulated cloud on this machine.
    Local(LocalBase),
}

impl Environment {
    /// Parses a region name, a domain, a Genesys host, or a base URL.
    ///
    /// Base URLs with `https://`/`wss://` may name a Genesys host (`https://api.mypurecloud.com`)
    /// or a loopback host; `http://`/`ws://` only a loopback host (`127.0.0.0/8`, `localhost`,
    /// `[::1]`). A base URL has no path beyond `/`, no query and no credentials.
    pub fn parse(text: &str) -> Result<Environment, ParseEnvironmentError> {
        let text = text.trim();
        match text.split_once("://") {
            Some((scheme, rest)) => parse_base_url(scheme, rest),
            None => Region::parse(text)
                .map(Environment::Cloud)
                .map_err(|_| ParseEnvironmentError::UnknownRegion),
        }
    }

    /// The region, unless this is a simulated cloud.
    pub const fn region(&self) -> Option<Region> {
        match self {
            Environment::Cloud(region) => Some(*region),
            Environment::Local(_) => None,
        }
    }

    /// Whether this is a simulated cloud on this machine.
    pub const fn is_local(&self) -> bool {
        matches!(self, Environment::Local(_))
    }

    /// Where `service` lives.
    pub fn origin(&self, service: Service) -> Origin<'_> {
        match self {
            Environment::Cloud(region) => Origin {
                scheme: Scheme::for_service(true, service),
                host: region.host(service),
                port: 443,
            },
            Environment::Local(base) => Origin {
                scheme: Scheme::for_service(base.tls, service),
                host: base.host(),
                port: base.port,
            },
        }
    }

    /// `path` on `service`'s origin, e.g. [`Service::Api`] and
    /// `/api/v2/notifications/channels`. The path is taken as given; it should start with `/`.
    pub fn endpoint<'a>(&'a self, service: Service, path: &'a str) -> Endpoint<'a> {
        Endpoint {
            origin: self.origin(service),
            path,
        }
    }

    /// The token endpoint: `https://login.{domain}/oauth/token`, or the local base's `/oauth/token`.
    pub fn token_endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            origin: self.origin(Service::Login),
            path: TOKEN_PATH,
        }
    }

    /// Checks that a `connectUri` from the channel-creation reply points at this environment's
    /// streaming origin, and extracts the channel id from it.
    ///
    /// Accepted for the cloud: `wss://streaming.{domain}/channels/{id}` (host compared without
    /// regard to case; port 443 only).
    ///
    /// Accepted for a local (simulated) cloud: `ws(s)://{loopback host}:{any port}/{any path}`,
    /// with `wss` exactly when the base is `https`. A simulated cloud may stream on a port of its
    /// own and under a path of its own; what matters is that the socket stays on this machine,
    /// so any spelling of loopback (`127.0.0.1`, `localhost`, `[::1]`) is the configured host.
    /// The channel id is the last path segment.
    ///
    /// The id must be one path segment of letters, digits, `-` and `_`; it is opaque (not a UUID).
    pub fn check_connect_uri<'a>(&self, uri: &'a str) -> Result<ConnectUri<'a>, ConnectUriError> {
        let expected = self.origin(Service::Streaming);
        let (scheme, rest) = uri.split_once("://").ok_or(ConnectUriError::Malformed)?;
        if !scheme.eq_ignore_ascii_case(expected.scheme.as_str()) {
            return Err(ConnectUriError::WrongScheme {
                expected: expected.scheme,
            });
        }
        let path_at = rest.find('/').ok_or(ConnectUriError::NotAChannelPath)?;
        let (authority, path) = rest
            .split_at_checked(path_at)
            .ok_or(ConnectUriError::Malformed)?;
        let local = self.is_local();
        let on_expected_host =
            split_authority(authority, expected.scheme).is_ok_and(|Authority { host, port }| {
                if local {
                    host.eq_ignore_ascii_case(expected.host) || is_loopback(host)
                } else {
                    host.eq_ignore_ascii_case(expected.host) && port == expected.port
                }
            });
        if !on_expected_host {
            return Err(ConnectUriError::UnexpectedHost {
                expected: self.clone(),
            });
        }
        let channel_id = if local {
            let path = path.split(['?', '#']).next().unwrap_or(path);
            path.rsplit('/').find(|segment| !segment.is_empty())
        } else {
            path.strip_prefix(CHANNEL_PATH_PREFIX)
        }
        .ok_or(ConnectUriError::NotAChannelPath)?;
        if channel_id.contains(['/', '?', '#']) {
            return Err(ConnectUriError::NotAChannelPath);
        }
        let id_is_safe = !channel_id.is_empty()
            && channel_id.len() <= MAX_CHANNEL_ID_LEN
            && channel_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_is_safe {
            return Err(ConnectUriError::InvalidChannelId);
        }
        Ok(ConnectUri { uri, channel_id })
    }
}

impl fmt::Display for Environment {
    /// A region prints as its name, a simulated cloud as its base URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Cloud(region) => region.fmt(f),
            Environment::Local(_) => self.origin(Service::Api).fmt(f),
        }
    }
}

impl FromStr for Environment {
    type Err = ParseEnvironmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Environment::parse(s)
    }
}

impl From<Region> for Environment {
    fn from(region: Region) -> Self {
        Environment::Cloud(region)
    }
}

/// Why a region, host or base URL was not accepted. Each variant says what to write instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ParseEnvironmentError {
    /// Not a region name, domain or Genesys host: use one from [`Region::ALL`].
    UnknownRegion,
    /// The base URL's scheme is not `https`, `http`, `wss` or `ws`: use `https://`.
    UnsupportedScheme,
    /// The base URL has a path, query or fragment: give the scheme, host and port only.
    NotABaseUrl,
    /// The base URL carries a user name or password: remove it; credentials never go in URLs.
    CredentialsInUrl,
    /// The base URL has no host: add one.
    MissingHost,
    /// The port is not a number from 1 to 65535: fix it.
    InvalidPort,
    /// Plain `http://`/`ws://` to a host that is not loopback: use `https://`, or the region name.
    PlainTextToRemoteHost,
    /// An `https://` base URL to a host that is neither Genesys nor loopback: name the region instead.
    UnknownHost,
    /// A Genesys host with a port other than 443: drop the port.
    UnexpectedPort,
    /// A loopback host longer than any loopback spelling should be: write it shorter (`[::1]`).
    LocalHostTooLong,
}

impl fmt::Display for ParseEnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseEnvironmentError::UnknownRegion => {
                "not a Genesys Cloud region: give a region name (us-east-1), its domain \
                 (mypurecloud.com), a host (api.mypurecloud.com) or, for the simulated cloud, \
                 a base URL such as http://127.0.0.1:8080"
            }
            ParseEnvironmentError::UnsupportedScheme => {
                "unsupported URL scheme: use https:// (or http:// for a simulated cloud on 127.0.0.1)"
            }
            ParseEnvironmentError::NotABaseUrl => {
                "give a base URL only (scheme, host and port, e.g. http://127.0.0.1:8080): \
                 the paths are fixed by the protocol"
            }
            ParseEnvironmentError::CredentialsInUrl => {
                "the URL carries a user name or password: remove it, credentials never belong in a URL"
            }
            ParseEnvironmentError::MissingHost => "the URL names no host",
            ParseEnvironmentError::InvalidPort => "the port must be a number from 1 to 65535",
            ParseEnvironmentError::PlainTextToRemoteHost => {
                "plain http:// and ws:// are only allowed for a simulated cloud on this machine \
                 (127.0.0.1, localhost, [::1]): tokens must never cross a network unencrypted; \
                 use https:// or just the region name"
            }
            ParseEnvironmentError::UnknownHost => {
                "not a Genesys Cloud host: give the region name (us-east-1) or its domain \
                 (mypurecloud.com); only loopback hosts may serve a simulated cloud"
            }
            ParseEnvironmentError::UnexpectedPort => {
                "Genesys Cloud is served on port 443 only: drop the port from the URL"
            }
            ParseEnvironmentError::LocalHostTooLong => {
                "the loopback host is spelled too long: write it as 127.0.0.1, localhost or [::1]"
            }
        })
    }
}

impl core::error::Error for ParseEnvironmentError {}

/// A `connectUri` that passed [`Environment::check_connect_uri`].
///
/// The channel id is a capability (anyone who has it can read the channel's events, and
/// connecting with it kicks the current socket), so drivers should not log it at info level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnectUri<'a> {
    uri: &'a str,
    channel_id: &'a str,
}

impl<'a> ConnectUri<'a> {
    /// The whole URI, exactly as the server sent it: what the driver connects to.
    pub const fn as_str(&self) -> &'a str {
        self.uri
    }

    /// The channel id (`streaming-2-aa5h48uk0srhpugh2994klj918`): an opaque string, not a UUID.
    pub const fn channel_id(&self) -> &'a str {
        self.channel_id
    }

    /// The path to request in the WebSocket upgrade: `/channels/{id}`, the check having made
    /// sure there is nothing else (no query, no fragment, no other segment).
    pub fn path(&self) -> &'a str {
        self.uri
            .len()
            .checked_sub(self.channel_id.len() + CHANNEL_PATH_PREFIX.len())
            .and_then(|start| self.uri.get(start..))
            .unwrap_or("")
    }

    /// A copy of a URI that passed [`Environment::check_connect_uri`], whose channel id starts
    /// at `id_start`: the session keeps checked URIs and hands out copies without checking
    /// them again.
    pub(crate) fn kept(uri: &'a str, id_start: usize) -> Self {
        Self {
            uri,
            channel_id: uri.get(id_start..).unwrap_or(""),
        }
    }
}

/// Why a `connectUri` was refused. Never connect to a refused URI.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectUriError {
    /// Not a URI at all (no `scheme://`): the server misbehaved; create a new channel, then stop
    /// if it repeats.
    Malformed,
    /// The scheme is not the expected one (`wss` for the cloud); a downgrade to plain `ws` is
    /// refused. Treat as a server fault: stop and report.
    WrongScheme {
        /// The scheme the configuration calls for.
        expected: Scheme,
    },
    /// The host or port is not the configured streaming origin. Stop and report: never send
    /// anything to a host the configuration did not name.
    UnexpectedHost {
        /// The configured environment, whose streaming origin was expected.
        expected: Environment,
    },
    /// The path is not `/channels/{id}` (missing, extra segments, query or fragment).
    /// Treat as a server fault: stop and report.
    NotAChannelPath,
    /// The channel id is empty, too long or has characters outside letters, digits, `-`, `_`.
    /// Treat as a server fault: stop and report.
    InvalidChannelId,
}

impl fmt::Display for ConnectUriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectUriError::Malformed => f.write_str("the channel's connectUri is not a URI"),
            ConnectUriError::WrongScheme { expected } => write!(
                f,
                "the channel's connectUri does not use {expected}://; refusing to connect"
            ),
            ConnectUriError::UnexpectedHost { expected } => write!(
                f,
                "the channel's connectUri points at a host the configuration did not name \
                 (expected {}); refusing to connect: never send anything to a host the \
                 configuration did not name",
                expected.origin(Service::Streaming)
            ),
            ConnectUriError::NotAChannelPath => write!(
                f,
                "the channel's connectUri path is not {CHANNEL_PATH_PREFIX}{{id}}; refusing to connect"
            ),
            ConnectUriError::InvalidChannelId => write!(
                f,
                "the channel id in connectUri is empty, longer than {MAX_CHANNEL_ID_LEN} \
                 characters or has characters other than letters, digits, '-' and '_'"
            ),
        }
    }
}

impl core::error::Error for ConnectUriError {}

struct Authority<'a> {
    host: &'a str,
    port: u16,
}

/// Splits `host[:port]` (IPv6 hosts in brackets); the port defaults to the scheme's.
fn split_authority(
    authority: &str,
    scheme: Scheme,
) -> Result<Authority<'_>, ParseEnvironmentError> {
    if authority.contains('@') {
        return Err(ParseEnvironmentError::CredentialsInUrl);
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority
            .find(']')
            .and_then(|i| i.checked_add(1))
            .ok_or(ParseEnvironmentError::MissingHost)?;
        let (host, rest) = authority
            .split_at_checked(end)
            .ok_or(ParseEnvironmentError::MissingHost)?;
        match rest {
            "" => (host, None),
            _ => (
                host,
                Some(
                    rest.strip_prefix(':')
                        .ok_or(ParseEnvironmentError::InvalidPort)?,
                ),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(ParseEnvironmentError::MissingHost);
    }
    let port = match port {
        None => scheme.default_port(),
        Some(digits) => parse_port(digits).ok_or(ParseEnvironmentError::InvalidPort)?,
    };
    Ok(Authority { host, port })
}

fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&p| p != 0)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

fn parse_base_url(scheme: &str, rest: &str) -> Result<Environment, ParseEnvironmentError> {
    let scheme = Scheme::parse(scheme).ok_or(ParseEnvironmentError::UnsupportedScheme)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest
        .split_at_checked(end)
        .ok_or(ParseEnvironmentError::NotABaseUrl)?;
    if !(tail.is_empty() || tail == "/") {
        return Err(ParseEnvironmentError::NotABaseUrl);
    }
    let Authority { host, port } = split_authority(authority, scheme)?;
    if is_loopback(host) {
        let mut stored = heapless::String::new();
        stored
            .push_str(host)
            .map_err(|_| ParseEnvironmentError::LocalHostTooLong)?;
        stored.make_ascii_lowercase();
        return Ok(Environment::Local(LocalBase {
            tls: scheme.is_tls(),
            host: stored,
            port,
        }));
    }
    if !scheme.is_tls() {
        return Err(ParseEnvironmentError::PlainTextToRemoteHost);
    }
    let region = Region::from_host(host).ok_or(ParseEnvironmentError::UnknownHost)?;
    if port != 443 {
        return Err(ParseEnvironmentError::UnexpectedPort);
    }
    Ok(Environment::Cloud(region))
}

/// `text` without `prefix`, comparing ASCII case-insensitively.
pub(crate) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;

    fn env(text: &str) -> Environment {
        match Environment::parse(text) {
            Ok(env) => env,
            Err(e) => panic!("{text:?} should parse: {e}"),
        }
    }

    /// A string field of a channel-creation reply (`connectUri`, `id`).
    fn field<'v>(reply: &'v [u8], key: &str) -> &'v str {
        crate::json::parse(reply)
            .ok()
            .and_then(|v| v.as_object())
            .and_then(|o| o.get(key))
            .and_then(|v| v.as_str())
            .and_then(|s| s.as_plain())
            .unwrap_or("")
    }

    #[test]
    fn the_table_has_all_eighteen_regions_with_distinct_names_and_domains() {
        assert_eq!(Region::ALL.len(), 18);
        for (i, a) in Region::ALL.iter().enumerate() {
            for b in Region::ALL.iter().skip(i + 1) {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.domain(), b.domain());
            }
        }
    }

    #[test]
    fn names_and_domains_match_the_protocol_table() {
        assert_eq!(Region::UsEast1.domain(), "mypurecloud.com");
        assert_eq!(Region::UsEast2.domain(), "use2.us-gov-pure.cloud");
        assert_eq!(Region::UsWest2.name(), "us-west-2");
        assert_eq!(Region::UsWest2.domain(), "usw2.pure.cloud");
        assert_eq!(Region::EuscDeEast1.name(), "eusc-de-east-1");
        assert_eq!(Region::EuscDeEast1.domain(), "edee1.eusc-pure.cloud");
        assert_eq!(Region::ApSoutheast2.domain(), "mypurecloud.com.au");
        assert_eq!(Region::ApNortheast3.domain(), "apne3.pure.cloud");
    }

    #[test]
    fn every_region_parses_back_from_its_name_domain_and_hosts() {
        for region in Region::ALL {
            assert_eq!(Region::parse(region.name()), Ok(region));
            assert_eq!(Region::parse(region.domain()), Ok(region));
            for service in Service::ALL {
                assert_eq!(Region::parse(region.host(service)), Ok(region));
            }
        }
    }

    #[test]
    fn every_region_parses_from_the_gc_cli_underscore_spelling() {
        for region in Region::ALL {
            let underscored = region.name().replace('-', "_");
            assert_eq!(Region::parse(&underscored), Ok(region), "{underscored}");
            assert_eq!(
                Region::parse(&underscored.to_uppercase()),
                Ok(region),
                "{underscored}"
            );
        }
        assert_eq!(Region::parse("eu_central_2"), Ok(Region::EuCentral2));
        assert_eq!(Region::parse("me_central_1"), Ok(Region::MeCentral1));
        assert_eq!(Region::parse("ap_northeast_3"), Ok(Region::ApNortheast3));
        assert_eq!(Region::parse("eu_central-2"), Ok(Region::EuCentral2));
        assert_eq!(Region::parse("eu__central_2"), Err(UnknownRegion));
        assert_eq!(
            Environment::parse("eusc_de_east_1"),
            Ok(Environment::Cloud(Region::EuscDeEast1))
        );
    }

    #[test]
    fn region_parsing_ignores_case_whitespace_and_a_trailing_dot() {
        assert_eq!(Region::parse("  US-West-2\n"), Ok(Region::UsWest2));
        assert_eq!(Region::parse("API.MyPureCloud.com."), Ok(Region::UsEast1));
        assert_eq!(
            Region::parse("streaming.mypurecloud.de"),
            Ok(Region::EuCentral1)
        );
    }

    #[test]
    fn unknown_regions_and_lookalike_hosts_are_refused() {
        assert_eq!(Region::parse("us-east-9"), Err(UnknownRegion));
        assert_eq!(Region::parse(""), Err(UnknownRegion));
        assert_eq!(Region::parse("www.mypurecloud.com"), Err(UnknownRegion));
        assert_eq!(
            Region::parse("mypurecloud.com.evil.example"),
            Err(UnknownRegion)
        );
        assert_eq!(Region::parse("apimypurecloud.com"), Err(UnknownRegion));
    }

    #[test]
    fn hosts_are_the_service_label_under_the_domain() {
        assert_eq!(Region::EuWest2.host(Service::Api), "api.euw2.pure.cloud");
        assert_eq!(
            Region::EuWest2.host(Service::Login),
            "login.euw2.pure.cloud"
        );
        assert_eq!(
            Region::EuWest2.host(Service::Streaming),
            "streaming.euw2.pure.cloud"
        );
    }

    #[test]
    fn cloud_origins_are_https_and_wss_on_the_default_port() {
        let env = Environment::Cloud(Region::UsEast1);
        assert_eq!(
            env.origin(Service::Api).to_string(),
            "https://api.mypurecloud.com"
        );
        assert_eq!(
            env.origin(Service::Login).to_string(),
            "https://login.mypurecloud.com"
        );
        assert_eq!(
            env.origin(Service::Streaming).to_string(),
            "wss://streaming.mypurecloud.com"
        );
        assert_eq!(env.origin(Service::Api).port(), 443);
    }

    #[test]
    fn the_token_endpoint_is_on_login_for_the_cloud_and_on_the_base_for_a_simulation() {
        assert_eq!(
            env("mypurecloud.ie").token_endpoint().to_string(),
            "https://login.mypurecloud.ie/oauth/token"
        );
        assert_eq!(
            env("http://127.0.0.1:8080").token_endpoint().to_string(),
            "http://127.0.0.1:8080/oauth/token"
        );
    }

    #[test]
    fn rest_paths_join_the_api_origin() {
        let path = "/api/v2/notifications/channels";
        assert!(path.starts_with(REST_PATH_PREFIX));
        assert_eq!(
            env("ap-northeast-1")
                .endpoint(Service::Api, path)
                .to_string(),
            "https://api.mypurecloud.jp/api/v2/notifications/channels"
        );
        let sim = env("http://127.0.0.1:8080");
        let endpoint = sim.endpoint(Service::Api, path);
        assert_eq!(endpoint.path(), path);
        assert_eq!(endpoint.origin().port(), 8080);
        assert_eq!(endpoint.origin().host(), "127.0.0.1");
    }

    #[test]
    fn environments_parse_from_names_domains_hosts_and_base_urls() {
        let usw2 = Environment::Cloud(Region::UsWest2);
        assert_eq!(env("us-west-2"), usw2);
        assert_eq!(env("usw2.pure.cloud"), usw2);
        assert_eq!(env("login.usw2.pure.cloud"), usw2);
        assert_eq!(env("https://api.usw2.pure.cloud"), usw2);
        assert_eq!(env("https://api.usw2.pure.cloud/"), usw2);
        assert_eq!(env("HTTPS://API.USW2.PURE.CLOUD:443"), usw2);
        assert_eq!(env("wss://streaming.usw2.pure.cloud."), usw2);
    }

    #[test]
    fn a_local_http_base_serves_all_three_services_on_one_port() {
        let sim = env("http://127.0.0.1:8080");
        assert!(sim.is_local());
        assert_eq!(sim.region(), None);
        assert_eq!(
            sim.origin(Service::Api).to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            sim.origin(Service::Login).to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            sim.origin(Service::Streaming).to_string(),
            "ws://127.0.0.1:8080"
        );
        assert_eq!(sim.to_string(), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_local_tls_base_uses_https_and_wss() {
        let sim = env("https://localhost:8443");
        assert_eq!(
            sim.origin(Service::Api).to_string(),
            "https://localhost:8443"
        );
        assert_eq!(
            sim.origin(Service::Streaming).to_string(),
            "wss://localhost:8443"
        );
    }

    #[test]
    fn every_loopback_spelling_counts_as_local() {
        for base in [
            "http://localhost:1",
            "http://LOCALHOST:1",
            "http://127.0.0.1:1",
            "http://127.1.2.3:1",
            "http://[::1]:1",
            "http://[0000:0000:0000:0000:0000:0000:0000:0001]:1",
            "ws://127.0.0.1:1",
        ] {
            assert!(env(base).is_local(), "{base}");
        }
    }

    #[test]
    fn local_hosts_are_stored_lower_case_and_ports_default_by_scheme() {
        let Environment::Local(base) = env("http://LocalHost") else {
            panic!("expected a local base");
        };
        assert_eq!(base.host(), "localhost");
        assert_eq!(base.port(), 80);
        assert!(!base.is_tls());
        assert_eq!(env("http://localhost").to_string(), "http://localhost");
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_with_the_reason() {
        for remote in [
            "http://api.mypurecloud.com",
            "http://192.168.1.10:8080",
            "ws://example.com",
            "http://[::2]:80",
            "http://128.0.0.1:80",
        ] {
            assert_eq!(
                Environment::parse(remote),
                Err(ParseEnvironmentError::PlainTextToRemoteHost),
                "{remote}"
            );
        }
        let message = ParseEnvironmentError::PlainTextToRemoteHost.to_string();
        assert!(message.contains("unencrypted"));
    }

    #[test]
    fn malformed_base_urls_say_what_is_wrong() {
        use ParseEnvironmentError as E;
        let cases = [
            ("ftp://127.0.0.1", E::UnsupportedScheme),
            ("http://127.0.0.1:8080/api/v2", E::NotABaseUrl),
            ("http://127.0.0.1:8080?x=1", E::NotABaseUrl),
            ("http://user:pw@127.0.0.1:8080", E::CredentialsInUrl),
            ("http://", E::MissingHost),
            ("http://:8080", E::MissingHost),
            ("http://127.0.0.1:", E::InvalidPort),
            ("http://127.0.0.1:0", E::InvalidPort),
            ("http://127.0.0.1:65536", E::InvalidPort),
            ("http://127.0.0.1:+80", E::InvalidPort),
            ("http://[::1]x", E::InvalidPort),
            ("http://[::1", E::MissingHost),
            ("https://example.com", E::UnknownHost),
            ("https://api.mypurecloud.com:8443", E::UnexpectedPort),
            ("mars-north-1", E::UnknownRegion),
            ("localhost:8080", E::UnknownRegion),
        ];
        for (text, expected) in cases {
            assert_eq!(Environment::parse(text), Err(expected), "{text}");
        }
    }

    #[test]
    fn parse_errors_read_as_advice() {
        assert!(
            ParseEnvironmentError::UnknownRegion
                .to_string()
                .contains("us-east-1")
        );
        assert!(
            ParseEnvironmentError::UnexpectedPort
                .to_string()
                .contains("443")
        );
    }

    #[test]
    fn both_published_connect_uris_are_accepted_for_us_east_1() {
        let cloud = env("us-east-1");
        let replies = crate::test_vectors::ALL
            .iter()
            .filter(|(name, _)| name.starts_with("channel_create_response"));
        let mut seen = 0;
        for (name, reply) in replies {
            let (uri, id) = (field(reply, "connectUri"), field(reply, "id"));
            assert!(id.starts_with("streaming-"), "{name}: {id:?}");
            let checked = cloud.check_connect_uri(uri);
            assert_eq!(checked.as_ref().map(|c| c.channel_id()), Ok(id), "{name}");
            assert_eq!(checked.as_ref().map(|c| c.as_str()), Ok(uri), "{name}");
            seen += 1;
        }
        assert_eq!(seen, 2);
    }

    #[test]
    fn a_checked_connect_uri_gives_its_upgrade_path_and_channel_id() {
        let uri = "wss://streaming.mypurecloud.ie/channels/streaming-2-aa5h48uk0srhpugh2994klj918";
        let checked = env("eu-west-1")
            .check_connect_uri(uri)
            .expect("its own region");
        assert_eq!(
            checked.path(),
            "/channels/streaming-2-aa5h48uk0srhpugh2994klj918"
        );
        assert_eq!(
            checked.channel_id(),
            "streaming-2-aa5h48uk0srhpugh2994klj918"
        );
        let kept = ConnectUri::kept(uri, uri.len() - checked.channel_id().len());
        assert_eq!(kept, checked);
        let local = Environment::parse("http://127.0.0.1:8080").expect("a loopback simulator");
        let checked = local
            .check_connect_uri("ws://127.0.0.1:8080/channels/abc")
            .expect("the simulator's own origin");
        assert_eq!(checked.path(), "/channels/abc");
        assert_eq!(ConnectUri::kept("", 0).path(), "");
    }

    #[test]
    fn a_connect_uri_from_another_region_is_refused_naming_the_expected_host() {
        let uri = "wss://streaming.mypurecloud.com/channels/streaming-2-aa5h48uk0srhpugh2994klj918";
        let err = env("eu-west-1").check_connect_uri(uri);
        let Err(err) = err else {
            panic!("accepted a host from another region");
        };
        let message = err.to_string();
        assert!(
            message.contains("wss://streaming.mypurecloud.ie"),
            "{message}"
        );
        assert!(message.contains("did not name"), "{message}");
    }

    #[test]
    fn connect_uri_hosts_compare_without_case_and_allow_an_explicit_443() {
        let cloud = env("us-east-1");
        assert!(
            cloud
                .check_connect_uri("WSS://Streaming.MyPureCloud.com/channels/abc")
                .is_ok()
        );
        assert!(
            cloud
                .check_connect_uri("wss://streaming.mypurecloud.com:443/channels/abc")
                .is_ok()
        );
    }

    #[test]
    fn connect_uris_on_other_hosts_or_ports_are_refused() {
        let cloud = env("us-east-1");
        for uri in [
            "wss://streaming.mypurecloud.com.evil.example/channels/abc",
            "wss://evil.example/channels/abc",
            "wss://api.mypurecloud.com/channels/abc",
            "wss://streaming.mypurecloud.com:8443/channels/abc",
            "wss://user@streaming.mypurecloud.com/channels/abc",
            "wss://streaming.mypurecloud.com:/channels/abc",
        ] {
            assert!(
                matches!(
                    cloud.check_connect_uri(uri),
                    Err(ConnectUriError::UnexpectedHost { .. })
                ),
                "{uri}"
            );
        }
    }

    #[test]
    fn a_plain_ws_connect_uri_is_a_refused_downgrade_for_the_cloud() {
        assert_eq!(
            env("us-east-1").check_connect_uri("ws://streaming.mypurecloud.com/channels/abc"),
            Err(ConnectUriError::WrongScheme {
                expected: Scheme::Wss
            })
        );
    }

    #[test]
    fn connect_uri_paths_must_be_exactly_one_channel_segment() {
        let cloud = env("us-east-1");
        let base = "wss://streaming.mypurecloud.com";
        let cases = [
            ("", ConnectUriError::NotAChannelPath),
            ("/", ConnectUriError::NotAChannelPath),
            ("/channel/abc", ConnectUriError::NotAChannelPath),
            ("/channels/abc/extra", ConnectUriError::NotAChannelPath),
            (
                "/channels/abc?access_token=x",
                ConnectUriError::NotAChannelPath,
            ),
            ("/channels/abc#frag", ConnectUriError::NotAChannelPath),
            ("/channels/", ConnectUriError::InvalidChannelId),
            ("/channels/a%2Fb", ConnectUriError::InvalidChannelId),
            ("/channels/..", ConnectUriError::InvalidChannelId),
            ("/channels/ab\u{e9}", ConnectUriError::InvalidChannelId),
        ];
        for (path, expected) in cases {
            let uri = std::format!("{base}{path}");
            assert_eq!(cloud.check_connect_uri(&uri), Err(expected), "{uri}");
        }
        let too_long = std::format!("{base}/channels/{}", "a".repeat(MAX_CHANNEL_ID_LEN + 1));
        assert_eq!(
            cloud.check_connect_uri(&too_long),
            Err(ConnectUriError::InvalidChannelId)
        );
    }

    #[test]
    fn garbage_is_not_a_connect_uri() {
        let cloud = env("us-east-1");
        assert_eq!(cloud.check_connect_uri(""), Err(ConnectUriError::Malformed));
        assert_eq!(
            cloud.check_connect_uri("streaming.mypurecloud.com/channels/abc"),
            Err(ConnectUriError::Malformed)
        );
    }

    #[test]
    fn a_local_connect_uri_may_use_any_loopback_port_and_path_but_must_match_tls() {
        let sim = env("http://127.0.0.1:8080");
        let ok = sim.check_connect_uri("ws://127.0.0.1:8080/channels/streaming-1-local");
        assert_eq!(ok.map(|c| c.channel_id()), Ok("streaming-1-local"));
        let own_port = sim.check_connect_uri("ws://localhost:9090/stream/ch-7?x=1");
        assert_eq!(own_port.map(|c| c.channel_id()), Ok("ch-7"));
        assert!(matches!(
            sim.check_connect_uri("ws://192.168.1.20:8080/channels/x"),
            Err(ConnectUriError::UnexpectedHost { .. })
        ));
        assert!(matches!(
            sim.check_connect_uri("ws://streaming.mypurecloud.com/channels/x"),
            Err(ConnectUriError::UnexpectedHost { .. })
        ));
        assert_eq!(
            sim.check_connect_uri("ws://127.0.0.1:8080/"),
            Err(ConnectUriError::NotAChannelPath)
        );
        assert_eq!(
            sim.check_connect_uri("wss://127.0.0.1:8080/channels/x"),
            Err(ConnectUriError::WrongScheme {
                expected: Scheme::Ws
            })
        );
        let tls = env("https://localhost:8443");
        assert!(
            tls.check_connect_uri("wss://LOCALHOST:8443/channels/x")
                .is_ok()
        );
        assert!(
            tls.check_connect_uri("ws://localhost:8443/channels/x")
                .is_err()
        );
    }

    #[test]
    fn a_refused_local_connect_uri_names_the_local_streaming_origin() {
        let sim = env("http://[::1]:7000");
        let message = sim
            .check_connect_uri("ws://10.0.0.1:7000/channels/x")
            .map_err(|e| e.to_string());
        assert_eq!(
            message
                .err()
                .as_deref()
                .map(|m| m.contains("ws://[::1]:7000")),
            Some(true)
        );
    }

    #[test]
    fn arbitrary_text_never_panics_the_parsers() {
        use crate::backoff::SplitMix64;
        const PIECES: [&str; 16] = [
            "http",
            "wss",
            "://",
            "[",
            "]",
            ":",
            "/",
            ".",
            "@",
            "?",
            "127.0.0.1",
            "::1",
            "streaming.",
            "mypurecloud.com",
            "channels",
            "\u{e9}",
        ];
        let mut rng = SplitMix64::new(0xDEC0DE);
        let local = env("https://[::1]:9");
        let cloud = env("us-east-1");
        for _ in 0..5_000 {
            let mut text = std::string::String::new();
            for _ in 0..(rng.next_u64() % 8) {
                let i = usize::try_from(rng.next_u64() % 16).unwrap_or(0);
                text.push_str(PIECES.get(i).copied().unwrap_or(""));
            }
            let _ = Environment::parse(&text);
            let _ = Region::parse(&text);
            let _ = local.check_connect_uri(&text);
            let _ = cloud.check_connect_uri(&text);
        }
    }

    #[test]
    fn environments_convert_from_regions_and_parse_with_from_str() {
        assert_eq!(
            "me-central-1".parse::<Environment>(),
            Ok(Environment::from(Region::MeCentral1))
        );
        assert_eq!("eu-central-2".parse::<Region>(), Ok(Region::EuCentral2));
        assert_eq!(Region::ApSouth1.to_string(), "ap-south-1");
    }
}
