//! The whole client against a simulated Genesys Cloud in the same process: no account, no
//! network beyond 127.0.0.1. A scripted agent takes a call; the client reports each step.
//!
//! ```text
//! cargo run --example simulated
//! ```

use std::time::Duration;

use futures::StreamExt;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::ClientCredentials;
use genesys_notify::{ClientBuilder, Environment, Item};
use genesys_sim::Sim;
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Sim::builder()
        .heartbeat_interval(Duration::from_secs(1))
        .start()
        .await?;
    let environment = Environment::parse(&sim.base_url())?;
    let mut notifications = ClientBuilder::new(environment)
        .token_provider(ClientCredentials::new(
            DEMO_CLIENT_ID,
            Secret::new(DEMO_CLIENT_SECRET.to_owned()),
        ))
        .agent(DEMO_AGENT_ID)
        // The simulator heartbeats every second; the core's default assumes Genesys' 30 s.
        .configure(|config| config.heartbeat_interval(Duration::from_secs(1).into()))
        .start()?;

    let agent = sim.agent(DEMO_AGENT_ID);
    let mut call = None;
    while let Some(item) = notifications.next().await {
        let Item::Agent(update) = item else { continue };
        if update.stale {
            continue;
        }
        println!("the agent is {}", update.activity);
        // Each step of the script waits for the client to show the previous one.
        match update.activity {
            Activity::Available => agent.go_on_queue(),
            Activity::OnQueue if call.is_none() => call = Some(agent.ring()),
            Activity::Alerting => call.as_ref().map_or((), |c| c.answer()),
            Activity::OnCall => call.as_ref().map_or((), |c| c.hang_up()),
            Activity::WrapUp => call.as_ref().map_or((), |c| c.wrap_up("Resolved")),
            Activity::OnQueue => break,
            _ => {}
        }
    }
    sim.shutdown().await;
    Ok(())
}
