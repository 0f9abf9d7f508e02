//! The command line: arguments, exit codes, logging, and one module per command.

pub mod broker;
#[cfg(feature = "demo")]
pub mod demo;
pub mod doctor;
pub mod gateway;
pub mod replay;
pub mod topics;
pub mod view;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The exit codes, as printed at the end of `--help`.
pub const EXIT_CODES: &str = "\
Exit status:
  0    success (watch, gateway: --duration elapsed, or gateway got SIGTERM;
       doctor: nothing blocks notifications)
  1    a problem blocks notifications: doctor found one, watch, demo or gateway
       stopped on a diagnosis it cannot recover from, topics found an invalid topic
       or a list over the channel's budget
  2    usage or configuration error: bad arguments, an unknown environment, missing
       credentials, unreadable input
  130  interrupted (Ctrl-C)";

/// Where credentials come from, as printed in `watch --help` and `doctor --help`.
/// Where credentials come from, as printed in `watch --help` and `doctor --help`.
const CREDENTIALS_HELP: &str = "\
Credentials (environment variables, never command-line arguments):
  GENESYS_TOKEN           an access token (user or client credentials); used as is
  GENESYS_CLIENT_ID       the OAuth client's id      } client-credentials grant,
  GENESYS_CLIENT_SECRET   the OAuth client's secret  } refreshed before expiry
  GENESYS_REFRESH_TOKEN   with the two above: a refresh token from an authorization-code
                          grant, exchanged for user tokens (and rotated)
If several are set: a refresh token wins, then GENESYS_TOKEN, then client credentials.
The token is sent only as 'Authorization: Bearer' on REST calls: never in a URL, and the
notification socket needs none.";

/// Trust and proxies, as printed in `watch --help` and `doctor --help`.
const TRUST_HELP: &str = "\
Trust and proxies:
  Servers are verified against the Mozilla root store built into the binary. Behind a
  TLS-inspecting proxy or with a private CA, add its certificate with --ca-file FILE.pem
  (repeatable) or trust the system store with --os-roots; REST calls and the notification
  socket then both trust it. HTTPS_PROXY / NO_PROXY are honoured by REST calls and, through
  an HTTP CONNECT tunnel, by the notification socket.";

/// The JSON lines of `watch --json`, as printed in `watch --help`.
const WATCH_JSON_HELP: &str = "\
JSON lines (--json), one per item:
  {\"kind\":\"event\", \"topic\":…, \"event\":<conversation|presence|routing_status|heartbeat|…>}
  {\"kind\":\"agent\", \"user\":…, \"activity\":<on_call|held|wrap_up|available|…>, \"stale\":bool}
  {\"kind\":\"connection\", \"health\":<connecting|live|stale|auth_failed|forbidden|unreachable>,
   \"channel\":…, \"live\":bool, \"reconnects\":n, \"expires_in_secs\":n,
   \"last_heartbeat_secs_ago\":n, \"notice\":… (when the socket had something to say)}
  {\"kind\":\"diagnosis\", \"message\":<what happened and what to do>,
   \"action\":<backoff|retry_after|refresh_token|recreate_channel|stop>, \"step\":…,
   \"http_status\":n, \"code\":…, \"missing\":[…], \"stopped\":true (on the last line, if it stopped)}";

/// Watch Genesys Cloud real-time notifications, diagnose why they fail, and drive a desk
/// light that shows what an agent is doing.
#[derive(Debug, Parser)]
#[command(name = "genesys-notify", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a simulated Genesys Cloud in this process and watch the desk light follow a
    /// scripted agent shift (no account or network needed).
    #[cfg(feature = "demo")]
    #[command(after_help = EXIT_CODES)]
    Demo(DemoArgs),
    /// Connect to Genesys Cloud and watch notifications for agents or topics.
    #[command(after_help = format!("{WATCH_JSON_HELP}\n\n{CREDENTIALS_HELP}\n\n{TRUST_HELP}\n\n{EXIT_CODES}"))]
    Watch(WatchArgs),
    /// Find out why notifications fail (403 or 401 on channels or subscriptions), with a fix
    /// for each problem found.
    #[command(after_help = format!("{CREDENTIALS_HELP}\n\n{TRUST_HELP}\n\n{EXIT_CODES}"))]
    Doctor(DoctorArgs),
    /// Explain, validate and pack a topic list (combined topics, the 1 000-topic budget).
    #[command(after_help = EXIT_CODES)]
    Topics(TopicsArgs),
    /// Feed recorded notification frames to the agent model and print what each one does.
    #[command(after_help = format!("{REPLAY_HELP}\n\n{EXIT_CODES}"))]
    Replay(ReplayArgs),
    /// Follow a floor of agents (thousands, over a few channels) and publish each one's state
    /// to an MQTT broker, for desk lights that hold no Genesys secret.
    #[command(after_help = format!("{GATEWAY_HELP}\n\n{CREDENTIALS_HELP}\n\n{TRUST_HELP}\n\n{EXIT_CODES}"))]
    Gateway(GatewayArgs),
}

/// Topics, payloads and broker credentials, as printed in `gateway --help`.
const GATEWAY_HELP: &str = "\
Topics (retained, QoS 1), under --prefix (default genesys):
  {prefix}/agents/{userId}/state   one JSON message per agent, on start, on every change,
                                   and again after every reconnection to the broker:
    {\"v\":1, \"activity\":<ringing|on_call|held|wrap_up|available|on_queue|busy|away|
     break|meal|meeting|training|offline|unknown|…>, \"stale\":bool, \"health\":<connecting|
     live|stale|unreachable|auth_failed|forbidden>, \"gateway\":<--name>, \"since\":<Unix secs>}
    \"stale\" is true whenever the gateway is not sure (the agent's channel is not live).
  {prefix}/gateways/{name}/status   \"online\" once connected; \"offline\" on a clean stop,
                                   and as the MQTT Last Will (a killed gateway shows at once)
Broker:
  --broker mqtt://HOST:PORT (or mqtts://, verified like Genesys: --ca-file, --os-roots) uses
  an existing broker (mosquitto, EMQX, VerneMQ, HiveMQ); without it, a broker is embedded in
  this process on --listen (default 127.0.0.1:1883; MQTT 5 for the desk lights on
  --listen-v5, by default the next port). A broker that goes away is reconnected
  with backoff (0.5 s to 30 s) and every state is published again.
  MQTT_USERNAME / MQTT_PASSWORD   the broker's credentials (never command-line arguments);
                                  the embedded broker then requires them of every client.
Stdout: one JSON line when the gateway starts ({\"kind\":\"gateway\",\"status\":\"started\",
  \"agents\":n, \"channels\":n, …}) and one when it stops; logs go to stderr.";

/// Options of `gateway`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Where the org lives: a region (eu-west-1), a domain (mypurecloud.ie), or a local base
    /// URL of a simulated cloud (http://127.0.0.1:PORT).
    #[arg(long, short = 'e', value_name = "REGION|DOMAIN|URL")]
    pub environment: String,

    /// An agent to follow (their Genesys user id, a UUID); repeat for several.
    #[arg(long = "user", short = 'u', value_name = "ID")]
    pub users: Vec<String>,

    /// A file of agents to follow: one user id per line; blank lines and '#' comments are
    /// skipped. Adds to --user.
    #[arg(long, value_name = "FILE")]
    pub users_file: Option<PathBuf>,

    /// An existing MQTT broker to publish to: mqtt://HOST:PORT or mqtts://HOST:PORT. Without
    /// it, a broker is embedded in this process (see --listen).
    #[arg(long, value_name = "mqtt[s]://HOST:PORT")]
    pub broker: Option<String>,

    /// Where the embedded broker listens (without --broker).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:1883",
        conflicts_with = "broker"
    )]
    pub listen: String,

    /// Where the embedded broker takes MQTT 5 clients (the desk light speaks MQTT 5 only).
    /// Default: the --listen address with the next port (1884), if it is free.
    #[arg(long, value_name = "ADDR", conflicts_with = "broker")]
    pub listen_v5: Option<String>,

    /// The gateway's name: its status topic, and the "gateway" of every state it publishes
    /// (letters, digits, '.', '_', '-'; at most 64). Give each gateway of a sharded floor its own.
    #[arg(long, default_value = "gateway")]
    pub name: String,

    /// The first levels of every topic.
    #[arg(long, default_value = "genesys")]
    pub prefix: String,

    /// Stop after this many seconds (publishing "offline"), with exit status 0.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,

    /// The most notification channels to hold at once, counting the second channel each one
    /// holds during a rollover: each channel follows up to 333 agents. Genesys allows 20 per
    /// OAuth client; the default leaves two spare.
    #[arg(long, value_name = "N", default_value_t = genesys_notify::DEFAULT_MAX_CHANNELS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(2..=20))]
    pub max_channels: usize,

    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Options of `demo`.
#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run the script once and print one JSON line per change instead of drawing the light
    /// (the default when stdout is not a terminal).
    #[arg(long)]
    pub once: bool,
}

/// Options of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Where the org lives: a region (eu-west-1), a domain (mypurecloud.ie), or a local base
    /// URL of a simulated cloud (http://127.0.0.1:PORT).
    #[arg(long, short = 'e', value_name = "REGION|DOMAIN|URL")]
    pub environment: String,

    /// An agent to follow (their user id); repeat for several. Subscribes to the agent's
    /// conversations, presence and routing status, and prints their activity.
    #[arg(long = "user", short = 'u', value_name = "ID")]
    pub users: Vec<String>,

    /// A further topic to subscribe to, exactly as Genesys spells it; repeat for several (4
    /// per channel: more are spread over further channels). Without --user, watch follows these
    /// topics alone.
    #[arg(long = "topic", short = 't', value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// Print one JSON line per item on stdout instead of the light:
    /// {"kind":"event"|"agent"|"connection"|"diagnosis", ...}.
    #[arg(long)]
    pub json: bool,

    /// Stop after this many seconds, with exit status 0.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,

    /// Check the connection (ping, then reconnect if no pong comes within 10 s) when the
    /// server has been silent this long; any value of 1 s or more is yours to choose (heartbeats
    /// arrive about every 30 s, so a shorter value pings between them). Default: 75 s, two
    /// and a half heartbeat intervals.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_timeout: Option<u64>,

    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Trust anchors beyond the Mozilla roots, for `watch`, `doctor` and `gateway`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Also trust the CA certificates in this PEM file (a TLS-inspecting proxy's, a private
    /// CA's); repeat for several. Used by REST calls and the notification socket alike.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<PathBuf>,

    /// Also trust the operating system's certificate store.
    #[arg(long)]
    pub os_roots: bool,
}

impl TrustArgs {
    /// What a command that talks to Genesys starts from: the token provider the environment
    /// variables name, and the TLS configuration these options ask for. Missing credentials
    /// and an unreadable CA file are usage errors.
    pub fn credentials_and_tls(
        &self,
    ) -> Result<
        (
            Box<dyn genesys_notify::token::TokenProvider>,
            std::sync::Arc<rustls::ClientConfig>,
        ),
        Exit,
    > {
        let provider = genesys_notify::token::from_env().map_err(usage_error)?;
        Ok((provider, self.tls_config()?))
    }

    /// The TLS configuration these options ask for; an unreadable file is a usage error.
    pub fn tls_config(&self) -> Result<std::sync::Arc<rustls::ClientConfig>, Exit> {
        let mut roots = genesys_notify::tls::Roots::mozilla().os_store(self.os_roots);
        for path in &self.ca_files {
            roots = roots.pem_file(path);
        }
        let store = roots.load().map_err(usage_error)?;
        genesys_notify::tls::client_config_with_roots(store).map_err(usage_error)
    }
}

/// Options of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Where the org lives: a region (eu-west-1), a domain (mypurecloud.ie), or a local base
    /// URL of a simulated cloud (http://127.0.0.1:PORT).
    #[arg(long, short = 'e', value_name = "REGION|DOMAIN|URL")]
    pub environment: String,

    /// An agent whose topics to check; repeat for several.
    #[arg(long = "user", short = 'u', value_name = "ID")]
    pub users: Vec<String>,

    /// A topic to check; repeat for several.
    #[arg(long = "topic", short = 't', value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// Print the findings as JSON lines instead of a report.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Options of `topics`.
#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Topics to check, exactly as they would be subscribed.
    #[arg(value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// Add the topics an agent's light needs (conversations, presence, routingStatus);
    /// repeat for several agents.
    #[arg(long = "user", short = 'u', value_name = "ID")]
    pub users: Vec<String>,

    /// Print the result as one JSON document instead of a report.
    #[arg(long)]
    pub json: bool,
}

const REPLAY_HELP: &str = "\
Input: JSON Lines, one frame per line, exactly as received on the socket; an input that is,
as a whole, one (pretty-printed) JSON value is one frame. Blank lines are skipped.
Output: one JSON line per frame:
  {\"topic\": <topicName or null>, \"kind\": <conversation|presence|routing_status|activity|
   conversation_summary|heartbeat|pong|socket_closing|system|reply|other|invalid>,
   \"activity\": <the agent's activity after this frame>}
An invalid frame (not JSON, not an object, not shaped like a notification) adds \"error\";
replay goes on with the next line.";

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The agent whose activity to follow (their user id).
    #[arg(long = "user", short = 'u', value_name = "ID")]
    pub user: String,

    /// The recorded frames; standard input if absent or "-".
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// How a command ended; see [`EXIT_CODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing blocks.
    Success,
    /// A problem blocks notifications.
    Blocked,
    /// Bad arguments or configuration.
    Usage,
    /// Ctrl-C.
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Blocked => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 130,
        })
    }
}

/// Prints a usage or configuration error and returns [`Exit::Usage`].
pub fn usage_error(message: impl std::fmt::Display) -> Exit {
    eprintln!("genesys-notify: {message}");
    Exit::Usage
}

/// Reads `--environment`; a value that is not one says why and, where it matches a piece of
/// widespread wrong advice (an `api.` events URL, a token in the URL), corrects it.
pub fn parse_environment(text: &str) -> Result<genesys_notify::Environment, Exit> {
    genesys_notify::Environment::parse(text).map_err(|e| {
        let advice = genesys_notify::core::diagnosis::Correction::find_in(text)
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        usage_error(format_args!("--environment {text:?}: {e}.{advice}"))
    })
}

/// Logs to stderr, at `warn` by default, `debug` with `-v`, `trace` with `-vv`; `RUST_LOG`
/// overrides the level. Secrets never reach the log: they are `SecretString`s.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "genesys_notify=debug,info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
