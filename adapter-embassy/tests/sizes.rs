//! What the runner costs in RAM, measured, with the budget a small device (ESP32-C3: 400 KB of
//! SRAM, a third of it taken by Wi-Fi) can afford. Run with `--nocapture` to see the numbers.

mod support;

use core::mem::size_of;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use genesys_notify_core::region::{Environment, Region};
use genesys_notify_core::secret::Secret;
use genesys_notify_core::session::Session;
use genesys_notify_embassy::net::{TCP_RX_BUFFER_LEN, TCP_TX_BUFFER_LEN};
use genesys_notify_embassy::runner::{
    CONNECTIONS, HTTP_BODY_BUFFER_LEN, HTTP_HEAD_BUFFER_LEN, PAYLOAD_BUFFER_LEN,
    TRANSMIT_BUFFER_LEN, WS_MESSAGE_BUFFER_LEN,
};
use genesys_notify_embassy::tls::{TLS_READ_BUFFER_LEN, TLS_WRITE_BUFFER_LEN};
use genesys_notify_embassy::{
    Buffers, ClientState, Credentials, Resources, Runner, Settings, TrustAnchors,
};
use support::net::{HostClock, TokioNetwork};
use support::pki::{Algorithm, Authority};

/// All buffers together with the default payload buffer: two connections (TCP, TLS records, a
/// payload buffer that is a socket's message buffer or a REST call's head and body) shared by
/// the sockets and the REST calls, and the session's transmit buffer. A sixth of the C3's SRAM;
/// the TLS read buffers (16.6 KB each, fixed by TLS) are half of it.
const BUFFERS_BUDGET: usize = 67 * 1024;

/// The same with the desk light's 8 KiB payload buffers.
const DEVICE_BUFFERS_BUDGET: usize = 59 * 1024;

/// The runner without its buffers: the session, the settings, the token.
const RUNNER_BUDGET: usize = 8 * 1024;

/// The future of `Runner::run` (the driver and both socket slots in flight, two TLS key
/// schedules, header tables, command queues). Measured on the 64-bit host, where pointers and
/// `usize` are twice their size on the device.
const RUN_FUTURE_BUDGET: usize = 24 * 1024;

#[test]
fn the_runner_and_its_buffers_fit_a_small_device() {
    let per_connection = TLS_READ_BUFFER_LEN
        + TLS_WRITE_BUFFER_LEN
        + TCP_RX_BUFFER_LEN
        + TCP_TX_BUFFER_LEN
        + PAYLOAD_BUFFER_LEN;
    let expected = CONNECTIONS * per_connection + TRANSMIT_BUFFER_LEN;
    assert_eq!(
        Buffers::SIZE,
        expected,
        "the buffers are exactly the named capacities"
    );
    assert_eq!(
        HTTP_HEAD_BUFFER_LEN + HTTP_BODY_BUFFER_LEN,
        WS_MESSAGE_BUFFER_LEN,
        "a REST call's head and body are a socket's message buffer"
    );
    const {
        assert!(
            Buffers::SIZE <= BUFFERS_BUDGET,
            "the buffers outgrew their budget"
        )
    };
    // A smaller payload buffer shrinks each connection by exactly the difference.
    const DEVICE: usize = 8 * 1024;
    assert_eq!(
        size_of::<Buffers<DEVICE>>(),
        Buffers::SIZE - CONNECTIONS * (PAYLOAD_BUFFER_LEN - DEVICE)
    );
    const {
        assert!(
            size_of::<Buffers<DEVICE>>() <= DEVICE_BUFFERS_BUDGET,
            "the device's buffers outgrew their budget"
        )
    };

    let root = Authority::root("Size Root", Algorithm::P256).der();
    let roots = [root.as_slice()];
    let state = ClientState::<NoopRawMutex>::new();
    let mut buffers = Box::new(Buffers::new());
    let settings = Settings {
        environment: Environment::Cloud(Region::EuWest1),
        credentials: Credentials::Static(Secret::new("token")),
        trust: TrustAnchors::new(&roots).expect("trust"),
        agent: "0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10",
    };
    let resources = Resources {
        network: TokioNetwork,
        clock: HostClock { shift_secs: 0 },
        rng: rand_core::OsRng,
        client: &state,
        buffers: &mut buffers,
    };
    let mut runner =
        Runner::new(settings, resources, |config| config).expect("a valid configuration");
    let runner_size = size_of_val(&runner);
    let future_size = size_of_val(&runner.run());
    println!(
        "buffers {} B; runner {} B (session {} B); run() future {} B; client state {} B",
        Buffers::SIZE,
        runner_size,
        size_of::<Session<1>>(),
        future_size,
        size_of::<ClientState<NoopRawMutex>>(),
    );
    assert!(runner_size <= RUNNER_BUDGET, "runner: {runner_size} bytes");
    assert!(
        future_size <= RUN_FUTURE_BUDGET,
        "run future: {future_size} bytes"
    );
}
