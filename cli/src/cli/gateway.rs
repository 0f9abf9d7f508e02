//! `genesys-notify gateway`: follow a floor of agents and publish their states to MQTT.
//!
//! The library's [`Gateway`] does the work; this command reads the agent list, the broker and
//! its credentials, starts the embedded broker when no `--broker` is given, and stops cleanly
//! (publishing `offline`) on `--duration`, Ctrl-C or SIGTERM.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use genesys_notify::ClientBuilder;
use genesys_notify::SecretString;
use genesys_notify::gateway::{BrokerUrl, Gateway, GatewayEnd};
use serde_json::json;

use super::broker::{self, BrokerCredentials};
use super::{Exit, GatewayArgs, parse_environment, usage_error};

/// The environment variable holding the broker's user name.
pub const ENV_MQTT_USERNAME: &str = "MQTT_USERNAME";

/// The environment variable holding the broker's password.
pub const ENV_MQTT_PASSWORD: &str = "MQTT_PASSWORD";

/// How long the embedded broker keeps serving after the gateway said "offline".
const EMBEDDED_LINGER: Duration = Duration::from_millis(500);

/// Runs the command.
pub async fn run(args: GatewayArgs) -> Exit {
    let environment = match parse_environment(&args.environment) {
        Ok(environment) => environment,
        Err(exit) => return exit,
    };
    let users = match user_list(&args.users, args.users_file.as_deref()) {
        Ok(users) => users,
        Err(message) => return usage_error(message),
    };
    let credentials = match broker_credentials() {
        Ok(credentials) => credentials,
        Err(message) => return usage_error(message),
    };
    let (embedded, broker) = match &args.broker {
        Some(url) => match BrokerUrl::parse(url) {
            Ok(url) => (None, url),
            Err(e) => return usage_error(format_args!("--broker: {e}")),
        },
        None => {
            let listen = match listen_address("--listen", &args.listen) {
                Ok(listen) => listen,
                Err(message) => return usage_error(message),
            };
            let v5 = match &args.listen_v5 {
                Some(text) => match listen_address("--listen-v5", text) {
                    Ok(v5) => V5::Given(v5),
                    Err(message) => return usage_error(message),
                },
                None => match listen.port().checked_add(1) {
                    Some(port) => V5::Default(SocketAddr::new(listen.ip(), port)),
                    None => V5::None,
                },
            };
            let plain = BrokerUrl::plain(listen.ip().to_string(), listen.port());
            (Some((listen, v5)), plain)
        }
    };
    let mut gateway =
        match Gateway::new(&args.name, broker).and_then(|gateway| gateway.prefix(&args.prefix)) {
            Ok(gateway) => gateway,
            Err(e) => return usage_error(e),
        };
    let (provider, tls) = match args.trust.credentials_and_tls() {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    gateway = gateway.tls_config(tls.clone());
    if let Some(credentials) = &credentials {
        gateway = gateway.credentials(credentials.user.clone(), credentials.password.clone());
    }
    let mut v5_listening = None;
    if let Some((listen, v5)) = embedded {
        let v5 = match v5 {
            // The default port is a convenience: if it is taken, serve MQTT 3.1.1 alone.
            V5::Default(addr) if std::net::TcpListener::bind(addr).is_err() => {
                tracing::warn!(%addr, "the MQTT 5 port is taken: lights cannot connect to this broker");
                None
            }
            V5::Default(addr) | V5::Given(addr) => Some(addr),
            V5::None => None,
        };
        if let Err(e) = broker::start_embedded(listen, v5, credentials.as_ref()) {
            eprintln!(
                "genesys-notify: the embedded broker cannot listen on {listen}{}: {e}",
                v5.map(|a| format!(" and {a}")).unwrap_or_default()
            );
            return Exit::Usage;
        }
        v5_listening = v5;
    }
    let notifications = match ClientBuilder::new(environment)
        .token_provider(provider)
        .tls_config(tls)
        .agents(users.iter().cloned())
        .max_channels(args.max_channels)
        .start()
    {
        Ok(notifications) => notifications,
        Err(e) => return usage_error(e),
    };
    let sessions = notifications.roster().sessions();
    say(json!({
        "kind": "gateway",
        "status": "started",
        "name": gateway.name(),
        "broker": gateway.broker().to_string(),
        "embedded_broker": embedded.is_some(),
        "mqtt5_listen": v5_listening.map(|a| a.to_string()),
        "prefix": args.prefix,
        "agents": users.len(),
        "channels": sessions,
    }));
    // Why the run stopped, for the exit status; set by the stop future when it fires.
    let why = Arc::new(OnceLock::new());
    let stop = {
        let why = Arc::clone(&why);
        let duration = args.duration.map(Duration::from_secs);
        async move {
            let _ = why.set(stop_signal(duration).await);
        }
    };
    let end = gateway.run(notifications, stop).await;
    if embedded.is_some() {
        // The embedded broker ends with this process: give it a moment to hand the retained
        // "offline" to its subscribers before it goes.
        tokio::time::sleep(EMBEDDED_LINGER).await;
    }
    let exit = match end {
        GatewayEnd::GenesysStopped => Exit::Blocked,
        _ => why.get().copied().unwrap_or(Exit::Success),
    };
    say(json!({
        "kind": "gateway",
        "status": "stopped",
        "reason": match end {
            GatewayEnd::GenesysStopped => "genesys_stopped",
            _ if exit == Exit::Interrupted => "interrupted",
            _ => "stopped",
        },
    }));
    exit
}

/// Completes on `--duration` (exit 0), SIGTERM (exit 0: a service manager's stop) or Ctrl-C
/// (exit 130).
async fn stop_signal(duration: Option<Duration>) -> Exit {
    let elapsed = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = elapsed => Exit::Success,
        () = terminate => Exit::Success,
        _ = tokio::signal::ctrl_c() => Exit::Interrupted,
    }
}

/// The agents from `--user` and `--users-file`, in order, each once.
fn user_list(users: &[String], file: Option<&Path>) -> Result<Vec<String>, String> {
    let mut all: Vec<String> = Vec::new();
    for user in users {
        check_user_id(user).map_err(|why| format!("--user {user:?}: {why}"))?;
        all.push(user.clone());
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "--users-file {}: cannot read it ({e}): give a text file with one user id per line",
                path.display()
            )
        })?;
        let before = all.len();
        for (number, line) in text.lines().enumerate() {
            let id = line.split('#').next().unwrap_or("").trim();
            if id.is_empty() {
                continue;
            }
            check_user_id(id).map_err(|why| {
                format!("--users-file {} line {}: {why}", path.display(), number + 1)
            })?;
            all.push(id.to_owned());
        }
        if all.len() == before {
            return Err(format!(
                "--users-file {}: no user id in it: give one Genesys user id per line ('#' starts a comment)",
                path.display()
            ));
        }
    }
    if all.is_empty() {
        return Err(
            "name the agents to follow with --user ID (repeatable) or --users-file FILE".into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|id| seen.insert(id.to_ascii_lowercase()));
    Ok(all)
}

/// A Genesys user id is a UUID: 8-4-4-4-12 hexadecimal digits.
fn check_user_id(id: &str) -> Result<(), String> {
    let groups: Vec<&str> = id.split('-').collect();
    let shaped = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()));
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "'{id}' is not a Genesys user id (a UUID such as 8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b)"
        ))
    }
}

/// Where the embedded broker serves MQTT 5.
#[derive(Clone, Copy)]
enum V5 {
    /// `--listen-v5`: must be bound.
    Given(SocketAddr),
    /// The next port: served if free.
    Default(SocketAddr),
    None,
}

/// `--listen`/`--listen-v5`: an address and port to bind the embedded broker to.
fn listen_address(flag: &str, text: &str) -> Result<SocketAddr, String> {
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            format!(
                "{flag} {text:?}: give an address and port to listen on, such as 127.0.0.1:1883"
            )
        })
}

/// The broker credentials from `MQTT_USERNAME` and `MQTT_PASSWORD`, if set.
fn broker_credentials() -> Result<Option<BrokerCredentials>, String> {
    let user = std::env::var(ENV_MQTT_USERNAME)
        .ok()
        .filter(|u| !u.is_empty());
    let password = std::env::var(ENV_MQTT_PASSWORD).ok();
    match (user, password) {
        (Some(user), Some(password)) => Ok(Some(BrokerCredentials {
            user,
            password: SecretString::new(password),
        })),
        (Some(_), None) => Err(format!(
            "{ENV_MQTT_USERNAME} is set without {ENV_MQTT_PASSWORD}: set both, or neither"
        )),
        (None, Some(_)) => Err(format!(
            "{ENV_MQTT_PASSWORD} is set without {ENV_MQTT_USERNAME}: set both, or neither"
        )),
        (None, None) => Ok(None),
    }
}

/// Prints one JSON line on stdout (a closed stdout is not an error worth stopping for).
fn say(line: serde_json::Value) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_must_be_uuids() {
        assert!(check_user_id("8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b").is_ok());
        for bad in [
            "",
            "alice",
            "8a5b1f7c-1d2e-4f00-9a1b",
            "8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6g",
        ] {
            assert!(check_user_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_users_file_takes_one_id_per_line_with_comments() {
        let dir = std::env::temp_dir().join(format!("gn-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let path = dir.join("users.txt");
        std::fs::write(
            &path,
            "# floor 2\n8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b\n\n0f1e2d3c-4b5a-4678-9abc-def012345678  # Colin\n8A5B1F7C-1D2E-4F00-9A1B-0C2D3E4F5A6B\n",
        )
        .expect("written");
        let users = user_list(&[], Some(&path)).expect("two users");
        assert_eq!(users.len(), 2, "{users:?}");
        std::fs::write(&path, "8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b\nbob\n").expect("written");
        let e = user_list(&[], Some(&path)).expect_err("a bad line");
        assert!(e.contains("line 2"), "{e}");
        std::fs::write(&path, "# nobody\n").expect("written");
        assert!(
            user_list(&[], Some(&path))
                .expect_err("empty")
                .contains("no user id")
        );
        assert!(
            user_list(&[], Some(&dir.join("missing")))
                .expect_err("missing")
                .contains("cannot read")
        );
        assert!(
            user_list(&[], None)
                .expect_err("none")
                .contains("--users-file")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
