//! The token goes into exactly one place, the `Authorization` header of REST calls: never a
//! URL, never the socket, never a log line, never a `Debug` of anything the client hands out.
//! The same holds for every other secret of every flow (the client secret and its HTTP Basic
//! encoding, refresh tokens old and rotated), in our `tracing` events and in the `log` records
//! of the crates underneath (reqwest, hyper, rustls), captured here at trace level over TLS.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::{ClientCredentials, RefreshToken, StaticToken, TokenProvider};
use genesys_notify::{ClientBuilder, Environment};
use genesys_sim::org::{
    DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, DEMO_USER_CLIENT_ID,
    DEMO_USER_CLIENT_SECRET,
};
use genesys_sim::{Disconnect, Operation, Presence, Sim};

use crate::support::{Watch, tls_sim};

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

/// The ways the client gets a token.
#[derive(Clone, Copy, Debug)]
enum Flow {
    ClientCredentials,
    RefreshToken,
    StaticToken,
}

/// The provider for `flow`, and the secrets the test knows before the client starts.
fn provider(sim: &Sim, flow: Flow) -> (Box<dyn TokenProvider>, Vec<String>) {
    let basic = |id: &str, secret: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    };
    match flow {
        Flow::ClientCredentials => (
            Box::new(ClientCredentials::new(
                DEMO_CLIENT_ID,
                Secret::new(DEMO_CLIENT_SECRET.to_owned()),
            )),
            vec![
                DEMO_CLIENT_SECRET.to_owned(),
                basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            ],
        ),
        Flow::RefreshToken => (
            Box::new(RefreshToken::new(
                DEMO_USER_CLIENT_ID,
                Secret::new(DEMO_USER_CLIENT_SECRET.to_owned()),
                Secret::new(DEMO_REFRESH_TOKEN.to_owned()),
            )),
            vec![
                DEMO_USER_CLIENT_SECRET.to_owned(),
                DEMO_REFRESH_TOKEN.to_owned(),
                basic(DEMO_USER_CLIENT_ID, DEMO_USER_CLIENT_SECRET),
            ],
        ),
        Flow::StaticToken => {
            let token = sim
                .issue_token(DEMO_USER_CLIENT_ID)
                .expect("the demo user's client exists");
            (
                Box::new(StaticToken::new(Secret::new(token.clone()))),
                vec![token],
            )
        }
    }
}

/// Runs `flow` against a TLS simulator through a reconnection, with every `tracing` event and
/// every `log` record captured; then looks for each secret everywhere it must not be.
async fn no_secret_escapes(flow: Flow) {
    // `log` records (reqwest, hyper, rustls) become `tracing` events for the subscriber below.
    // The logger is process-wide and set once; each test's subscriber is its thread's own.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // A current-thread runtime: every task of the client logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let (sim, config) = tls_sim().await;
    let environment = Environment::parse(&sim.base_url()).expect("the simulator's base URL");
    let (provider, mut secrets) = provider(&sim, flow);
    let builder = ClientBuilder::new(environment)
        .token_provider(provider)
        .tls_config(config)
        .agent(DEMO_AGENT_ID)
        .configure(|config| config.heartbeat_interval(crate::support::HEARTBEAT.into()));
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
    drop(watch.stream);
    // Every token issued on the way (access tokens, rotated refresh tokens) is a secret too.
    secrets.extend(sim.issued_secrets());
    assert!(secrets.len() >= 2, "{flow:?}: the flow issued tokens");

    let logs =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(
        logs.contains("connecting the notification socket"),
        "{flow:?}: our own events were captured"
    );
    assert!(
        logs.contains("rustls::"),
        "{flow:?}: the log records of the crates underneath were captured"
    );
    let items = format!("{:?}", watch.seen);
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{flow:?}: a secret appeared in the logs"
        );
        assert!(
            !items.contains(secret.as_str()),
            "{flow:?}: a secret appeared in an item"
        );
    }

    let log = sim.log();
    assert!(
        log.token_leaks().is_empty(),
        "{flow:?}: a URL carried a token"
    );
    for connect in log.requests_for(Operation::Connect) {
        assert_eq!(
            connect.header("authorization"),
            None,
            "{flow:?}: the socket carried a token"
        );
        for secret in &secrets {
            assert!(!connect.path.contains(secret.as_str()));
        }
    }
    let rest = log.requests_for(Operation::GetUser);
    assert!(!rest.is_empty());
    for request in rest {
        assert!(
            request
                .header("authorization")
                .is_some_and(|h| h.starts_with("Bearer ")),
            "{flow:?}: REST calls carry the token as a bearer header"
        );
    }
    if !matches!(flow, Flow::StaticToken) {
        let token_requests = log.requests_for(Operation::Token);
        assert!(!token_requests.is_empty(), "{flow:?}: a token was fetched");
        for request in token_requests {
            assert!(
                request
                    .header("authorization")
                    .is_some_and(|h| h.starts_with("Basic ")),
                "{flow:?}: the client authenticates with HTTP Basic, not in the body or URL"
            );
            assert!(
                !request.path.contains('?'),
                "{flow:?}: no query on the token URL"
            );
        }
    }
}

#[tokio::test]
async fn client_credentials_never_reach_a_url_the_socket_or_any_log() {
    no_secret_escapes(Flow::ClientCredentials).await;
}

#[tokio::test]
async fn a_refresh_token_and_its_rotations_never_reach_a_url_the_socket_or_any_log() {
    no_secret_escapes(Flow::RefreshToken).await;
}

#[tokio::test]
async fn a_static_token_never_reaches_a_url_the_socket_or_any_log() {
    no_secret_escapes(Flow::StaticToken).await;
}
