//! Follows one agent and prints their activity whenever it changes.
//!
//! ```text
//! GENESYS_CLIENT_ID=… GENESYS_CLIENT_SECRET=… \
//!     cargo run --example agent_activity -- eu-west-1 <user-id>
//! ```
//!
//! Against the simulated cloud: start `genesys-sim --port 8080`, then pass
//! `http://127.0.0.1:8080` and the demo agent `0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10`, with
//! `GENESYS_CLIENT_ID=demo-client-credentials GENESYS_CLIENT_SECRET=demo-client-secret`.

use futures::StreamExt;
use genesys_notify::{ClientBuilder, Environment, Item, token};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(environment), Some(user)) = (args.next(), args.next()) else {
        eprintln!("usage: agent_activity <region|domain|http://127.0.0.1:PORT> <user-id>");
        std::process::exit(2);
    };
    let environment = Environment::parse(&environment)?;
    let mut notifications = ClientBuilder::new(environment)
        .token_provider(token::from_env()?)
        .agent(user)
        .start()?;
    while let Some(item) = notifications.next().await {
        match item {
            Item::Agent(update) if update.stale => {
                println!(
                    "{}: {} (may be out of date)",
                    update.user_id, update.activity
                );
            }
            Item::Agent(update) => println!("{}: {}", update.user_id, update.activity),
            Item::Diagnosis(diagnosis) => eprintln!("{diagnosis}"),
            Item::Stopped(reason) => {
                eprintln!("stopped: {reason}");
                std::process::exit(1);
            }
            _ => {}
        }
    }
    Ok(())
}
