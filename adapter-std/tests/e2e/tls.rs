//! The client over TLS (`https`/`wss`), verifying the server's certificate — and refusing a
//! server it cannot verify.

use genesys_notify::Item;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::diagnosis::Problem;
use genesys_notify::core::diagnosis::Transport;
use genesys_notify::proxy::Proxy;
use genesys_sim::Presence;
use genesys_sim::org::DEMO_AGENT_ID;

use crate::support::{Watch, client, sim, tls_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_works_over_verified_tls() {
    let (sim, config) = tls_sim().await;
    assert!(sim.base_url().starts_with("https://"));
    let mut watch = Watch::start(client(&sim).tls_config(config));
    watch.live().await;
    sim.agent(DEMO_AGENT_ID).set_presence(Presence::Busy);
    watch.activity(Activity::Busy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_verified_is_refused_as_a_tls_failure() {
    let sim = sim().tls(true).start().await.expect("the simulator starts");
    // The default configuration trusts the public roots only, not the simulator's test CA.
    let mut watch = Watch::start(client(&sim));
    let item = watch
        .until("a diagnosis", |item| matches!(item, Item::Diagnosis(_)))
        .await;
    let Item::Diagnosis(diagnosis) = item else {
        unreachable!("until returns what it matched")
    };
    assert_eq!(diagnosis.problem(), Problem::Transport(Transport::Tls));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_tunnels_through_an_http_proxy_and_still_verifies_the_server() {
    let (sim, config) = tls_sim().await;
    let proxy = genesys_sim::proxy::ConnectProxy::start()
        .await
        .expect("the proxy starts");
    // Only the socket is given the proxy (REST follows HTTPS_PROXY, unset here): every tunnel
    // the proxy opens is the socket's.
    let socket_proxy = Proxy::parse(&proxy.url(), "").expect("a proxy URL");
    let mut watch = Watch::start(
        client(&sim)
            .tls_config(config)
            .socket_proxy(Some(socket_proxy)),
    );
    watch.live().await;
    sim.agent(DEMO_AGENT_ID).set_presence(Presence::Busy);
    watch.activity(Activity::Busy).await;
    let expected = format!("localhost:{}", sim.addr().port());
    assert_eq!(proxy.tunnels(), vec![expected]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_sends_the_socket_straight_to_the_server() {
    let (sim, config) = tls_sim().await;
    let proxy = genesys_sim::proxy::ConnectProxy::start()
        .await
        .expect("the proxy starts");
    let socket_proxy = Proxy::parse(&proxy.url(), "localhost").expect("a proxy URL");
    let mut watch = Watch::start(
        client(&sim)
            .tls_config(config)
            .socket_proxy(Some(socket_proxy)),
    );
    watch.live().await;
    assert!(proxy.tunnels().is_empty(), "{:?}", proxy.tunnels());
}
