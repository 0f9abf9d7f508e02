//! Subscribes to a topic the core does not model and prints each event's body as JSON.
//!
//! ```text
//! GENESYS_TOKEN=… cargo run --example raw_topic -- mypurecloud.ie <user-id> \
//!     v2.users.<user-id>.conversationsummary
//! ```
//!
//! Typed events (conversations, presence, routing status…) come as the core's
//! [`Event`](genesys_notify::core::event::Event) variants; anything else keeps its body as raw
//! JSON text in [`Event::Other`](genesys_notify::core::event::Event::Other).

use futures::StreamExt;
use genesys_notify::core::event::Event;
use genesys_notify::{ClientBuilder, Environment, Item, token};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(environment), Some(user), Some(topic)) = (args.next(), args.next(), args.next())
    else {
        eprintln!("usage: raw_topic <region|domain|URL> <user-id> <topic>");
        std::process::exit(2);
    };
    let environment = Environment::parse(&environment)?;
    let mut notifications = ClientBuilder::new(environment)
        .token_provider(token::from_env()?)
        .agent(user)
        .topic(topic)
        .start()?;
    while let Some(item) = notifications.next().await {
        let Item::Event(notification) = item else {
            continue;
        };
        match notification.event() {
            Ok(Event::Heartbeat) => {}
            Ok(Event::Other(envelope)) => println!(
                "{}: {}",
                envelope.topic,
                String::from_utf8_lossy(envelope.body)
            ),
            Ok(_) => println!(
                "{} event on {}",
                notification.kind(),
                notification.topic().unwrap_or("-")
            ),
            Err(e) => eprintln!("{e}"),
        }
    }
    Ok(())
}
