//! `genesys-sim`: the simulated Genesys Cloud as a program, for trying clients by hand.
//!
//! ```text
//! genesys-sim [--port N] [--config org.toml] [--tls] [--ca-out ca.pem] [--heartbeat-ms N] [--demo-pace-ms N]
//! ```
//! It prints the base URL and the OAuth client ids, then serves until Ctrl-C. With
//! `--demo-pace-ms` the first user of the org plays `scenario::shift` in a loop, so a client has
//! something to watch.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use genesys_sim::{FileConfig, Grant, Sim, scenario};

/// Prints a line to stdout; a closed stdout (piped into `head`) must not stop the server.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

const USAGE: &str = "usage: genesys-sim [--port N] [--config org.toml] [--tls] [--ca-out ca.pem] [--heartbeat-ms N] [--demo-pace-ms N]";

struct Args {
    port: u16,
    config: Option<String>,
    tls: bool,
    ca_out: Option<String>,
    heartbeat_ms: Option<u64>,
    demo_pace_ms: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        config: None,
        tls: false,
        ca_out: None,
        heartbeat_ms: None,
        demo_pace_ms: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--config" => args.config = Some(value("--config")?),
            "--tls" => args.tls = true,
            "--ca-out" => args.ca_out = Some(value("--ca-out")?),
            "--heartbeat-ms" => {
                args.heartbeat_ms = Some(
                    value("--heartbeat-ms")?
                        .parse()
                        .map_err(|e| format!("--heartbeat-ms: {e}"))?,
                );
            }
            "--demo-pace-ms" => {
                args.demo_pace_ms = Some(
                    value("--demo-pace-ms")?
                        .parse()
                        .map_err(|e| format!("--demo-pace-ms: {e}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("genesys-sim: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Sim::builder().port(args.port).tls(args.tls);
    if let Some(path) = &args.config {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("genesys-sim: cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        builder = match FileConfig::parse(&text).and_then(|c| c.apply(builder)) {
            Ok(builder) => builder,
            Err(e) => {
                eprintln!("genesys-sim: {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
    }
    if let Some(ms) = args.heartbeat_ms {
        builder = builder.heartbeat_interval(Duration::from_millis(ms));
    }
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("genesys-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_out, sim.ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!("genesys-sim: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        say!("test CA written to {path}");
    }
    say!(
        "genesys-sim serving {} (login, REST and streaming)",
        sim.base_url()
    );
    let org = sim.org();
    say!("org {} ({})", org.name(), org.id());
    for user in org.users() {
        say!("  user   {}  {}", user.id(), user.name());
    }
    for client in org.clients() {
        let kind = match client.grant() {
            Grant::ClientCredentials => "client_credentials".to_owned(),
            Grant::AuthorizationCode { user_id } => format!("authorization_code for {user_id}"),
            _ => "other".to_owned(),
        };
        say!("  client {}  {kind}  (secret as configured)", client.id());
    }
    say!("Ctrl-C stops it.");
    let demo = async {
        match (args.demo_pace_ms, org.users().first()) {
            (Some(ms), Some(user)) => {
                let agent = sim.agent(user.id());
                let colleague = org.users().get(1).map(|u| u.id().to_owned());
                loop {
                    scenario::shift(
                        &agent,
                        colleague.as_deref(),
                        Duration::from_millis(ms),
                        |step| {
                            // A closed stdout (piped into `head`) must not stop the server.
                            let _ = writeln!(std::io::stdout(), "demo: {} {step:?}", user.name());
                        },
                    )
                    .await;
                }
            }
            _ => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = demo => {}
        stopped = tokio::signal::ctrl_c() => {
            if let Err(e) = stopped {
                eprintln!("genesys-sim: cannot wait for Ctrl-C ({e}); stopping");
            }
        }
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}
