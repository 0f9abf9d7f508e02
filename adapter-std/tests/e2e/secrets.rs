//! The token goes into exactly one place, the `Authorization` header of REST calls: never a
//! URL, never the socket, never a log line, never a `Debug` of anything the client hands out.

use std::io::Write;
use std::sync::{Arc, Mutex};

use genesys_notify::core::agent::Activity;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::StaticToken;
use genesys_notify::{ClientBuilder, Environment};
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_USER_CLIENT_ID};
use genesys_sim::{Disconnect, Operation, Presence};

use crate::support::{Watch, sim};

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_reaches_a_url_the_socket_or_the_logs() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // A current-thread runtime: every task of the client logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim().start().await.expect("the simulator starts");
    let token = sim
        .issue_token(DEMO_USER_CLIENT_ID)
        .expect("the demo user's client exists");
    let environment = Environment::parse(&sim.base_url()).expect("the simulator's base URL");
    let builder = ClientBuilder::new(environment)
        .token_provider(StaticToken::new(Secret::new(token.clone())))
        .agent(DEMO_AGENT_ID)
        .heartbeat_interval(crate::support::HEARTBEAT);
    let mut watch = Watch::start(builder);
    watch.live().await;
    sim.agent(DEMO_AGENT_ID).set_presence(Presence::Away);
    watch.activity(Activity::Away).await;
    sim.faults().drop_all_sockets(Disconnect::Reset);
    watch
        .until("a reconnection", |item| {
            matches!(item, genesys_notify::Item::Connection(c) if c.reconnects >= 1 && c.live)
        })
        .await;

    let logs =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(
        logs.contains("connecting the notification socket"),
        "the logs were captured"
    );
    assert!(!logs.contains(&token), "the token appeared in the logs");
    let items = format!("{:?}", watch.seen);
    assert!(!items.contains(&token), "the token appeared in an item");

    let log = sim.log();
    assert!(log.token_leaks().is_empty(), "a URL carried the token");
    for connect in log.requests_for(Operation::Connect) {
        assert_eq!(
            connect.header("authorization"),
            None,
            "the socket carried a token"
        );
        assert!(!connect.path.contains(&token));
    }
    let rest = log.requests_for(Operation::GetUser);
    assert!(!rest.is_empty());
    for request in rest {
        assert!(
            request
                .header("authorization")
                .is_some_and(|h| h.starts_with("Bearer ")),
            "REST calls carry the token as a bearer header"
        );
    }
}
