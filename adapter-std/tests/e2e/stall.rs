//! A socket that stalls: the TCP connection stays open but nothing moves, in either direction —
//! what a dead NAT mapping or a half-open connection looks like. The simulator cannot do that
//! to its own sockets, so a small TCP proxy sits between the client and the simulator and
//! freezes the WebSocket connections on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use genesys_notify::core::agent::Activity;
use genesys_notify::core::light::Health;
use genesys_notify::{Environment, Item};
use genesys_sim::Presence;
use genesys_sim::org::DEMO_AGENT_ID;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::support::{Watch, client_at, sim};

/// The read size of the proxy's pumps.
const CHUNK: usize = 16 * 1024;

/// A loopback TCP proxy to the simulator that can freeze its WebSocket connections.
struct Proxy {
    port: u16,
    sockets: Arc<Mutex<Vec<Arc<AtomicBool>>>>,
}

impl Proxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards to `upstream_port`, rewriting
    /// the simulator's address in its answers (the `connectUri`) to the proxy's own.
    async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let upstream = format!("127.0.0.1:{upstream_port}").into_bytes();
        let own = format!("127.0.0.1:{port}").into_bytes();
        assert_eq!(
            upstream.len(),
            own.len(),
            "the rewrite keeps Content-Length right only for addresses of equal length"
        );
        let sockets: Arc<Mutex<Vec<Arc<AtomicBool>>>> = Arc::default();
        let registry = Arc::clone(&sockets);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, own, registry) =
                    (upstream.clone(), own.clone(), Arc::clone(&registry));
                tokio::spawn(async move {
                    let address = String::from_utf8_lossy(&upstream).into_owned();
                    let Ok(server) = TcpStream::connect(address).await else {
                        return;
                    };
                    let frozen = Arc::new(AtomicBool::new(false));
                    let mut first = vec![0u8; CHUNK];
                    let (mut client, mut server) = (client, server);
                    let Ok(n) = client.read(&mut first).await else {
                        return;
                    };
                    first.truncate(n);
                    if first.starts_with(b"GET /channels/") {
                        registry.lock().await.push(Arc::clone(&frozen));
                    }
                    if server.write_all(&first).await.is_err() {
                        return;
                    }
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = pump(client_read, server_write, Arc::clone(&frozen), None);
                    let down = pump(server_read, client_write, frozen, Some((upstream, own)));
                    tokio::join!(up, down);
                });
            }
        });
        Self { port, sockets }
    }

    /// Stops all traffic on the WebSocket connections open now, leaving them open.
    async fn freeze_sockets(&self) -> usize {
        let sockets = self.sockets.lock().await;
        for frozen in sockets.iter() {
            frozen.store(true, Ordering::SeqCst);
        }
        sockets.len()
    }
}

/// Copies one direction until either side closes; once `frozen`, holds both ends open and
/// moves nothing.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
    rewrite: Option<(Vec<u8>, Vec<u8>)>,
) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            // A stall: keep the connection, drop the bytes, never answer again.
            std::future::pending::<()>().await;
        }
        let mut chunk = buf[..n].to_vec();
        if let Some((old, new)) = &rewrite {
            replace_all(&mut chunk, old, new);
        }
        if to.write_all(&chunk).await.is_err() {
            return;
        }
    }
}

fn replace_all(haystack: &mut [u8], old: &[u8], new: &[u8]) {
    let mut i = 0;
    while i + old.len() <= haystack.len() {
        if &haystack[i..i + old.len()] == old {
            haystack[i..i + old.len()].copy_from_slice(new);
            i += old.len();
        } else {
            i += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_socket_is_detected_by_its_silence_and_replaced() {
    let sim = sim().start().await.expect("the simulator starts");
    let proxy = Proxy::start(sim.addr().port()).await;
    let environment = Environment::parse(&format!("http://127.0.0.1:{}", proxy.port))
        .expect("the proxy's base URL");
    let mut watch = Watch::start(client_at(environment));
    watch.live().await;
    assert_eq!(proxy.freeze_sockets().await, 1);
    sim.agent(DEMO_AGENT_ID).set_presence(Presence::Meeting);
    watch
        .until(
            "the stall noticed",
            |item| matches!(item, Item::Connection(c) if c.health != Health::Live),
        )
        .await;
    watch.activity(Activity::Meeting).await;
    watch.live().await;
}
