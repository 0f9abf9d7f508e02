//! `genesys-notify watch`: the client, live, against Genesys Cloud (or a simulated cloud).

use std::time::Duration;

use crate::terminal::FRAME_INTERVAL;
use futures::StreamExt;
use genesys_notify::{ClientBuilder, Item, Notifications};

use super::view::View;
use super::{Exit, WatchArgs, parse_environment, usage_error};

/// Runs the command.
pub async fn run(args: WatchArgs) -> Exit {
    let environment = match parse_environment(&args.environment) {
        Ok(environment) => environment,
        Err(exit) => return exit,
    };
    if args.users.is_empty() && args.topics.is_empty() {
        return usage_error("name an agent with --user, or a topic with --topic");
    }
    let (provider, tls) = match args.trust.credentials_and_tls() {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    let mut builder = ClientBuilder::new(environment)
        .token_provider(provider)
        .tls_config(tls);
    for user in &args.users {
        builder = builder.agent(user);
    }
    for topic in &args.topics {
        builder = builder.topic(topic);
    }
    if let Some(secs) = args.heartbeat_timeout {
        builder = builder
            .configure(move |config| config.heartbeat_timeout(Duration::from_secs(secs).into()));
    }
    let notifications = match builder.start() {
        Ok(notifications) => notifications,
        Err(e) => return usage_error(e),
    };
    let view = View::new(args.json, args.users.first().cloned());
    follow(notifications, view, args.duration.map(Duration::from_secs)).await
}

/// Shows items until the stream ends, `duration` elapses or stdout closes.
///
/// Exits [`Exit::Blocked`] if the session stopped, [`Exit::Success`] otherwise.
pub async fn follow(
    mut notifications: Notifications,
    mut view: View,
    duration: Option<Duration>,
) -> Exit {
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let until_deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until_deadline);
    let mut frames = tokio::time::interval(FRAME_INTERVAL);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stopped = false;
    loop {
        tokio::select! {
            item = notifications.next() => match item {
                Some(item) => {
                    stopped |= matches!(item, Item::Stopped(_));
                    if view.show(&item).is_err() {
                        return Exit::Success;
                    }
                }
                None => break,
            },
            () = &mut until_deadline => {
                // A clean end: the server sees close frames, not dropped connections.
                notifications.close().await;
                return Exit::Success;
            }
            _ = frames.tick(), if view.is_light() => {
                if view.redraw().is_err() {
                    return Exit::Success;
                }
            }
        }
    }
    if stopped {
        Exit::Blocked
    } else {
        Exit::Success
    }
}
