//! `genesys-notify`: watch Genesys Cloud notifications, diagnose why they fail, and see the
//! desk light react to a simulated agent shift.
//!
//! Every command prints its results on stdout (JSON lines where asked) and its logs on
//! stderr, so the output can be piped. The exit codes are part of the interface and listed in
//! `cli::EXIT_CODES` (printed by `--help`).

mod cli;
mod output;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("genesys-notify: could not start the async runtime: {e}");
            return Exit::Usage.into();
        }
    };
    let exit = runtime.block_on(async move {
        if let Command::Gateway(args) = cli.command {
            // The gateway handles Ctrl-C and SIGTERM itself: it publishes "offline" first.
            return cli::gateway::run(args).await;
        }
        let work = async {
            match cli.command {
                #[cfg(feature = "demo")]
                Command::Demo(args) => cli::demo::run(args).await,
                Command::Watch(args) => cli::watch::run(args).await,
                Command::Doctor(args) => cli::doctor::run(args).await,
                Command::Topics(args) => cli::topics::run(args),
                Command::Replay(args) => cli::replay::run(args).await,
                Command::Gateway(_) => unreachable!("handled above"),
            }
        };
        tokio::select! {
            exit = work => exit,
            _ = tokio::signal::ctrl_c() => Exit::Interrupted,
        }
    });
    // Socket and request tasks may still be winding down; do not wait for them.
    runtime.shutdown_background();
    exit.into()
}
