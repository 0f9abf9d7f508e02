//! Where the agent's state comes from, over the Wi-Fi stack, and the bridge from it to the light.
//!
//! Two sources, chosen by the `source` setting, never both at once:
//!
//! - `genesys`: `genesys-notify-embassy`'s runner, the light its own Genesys client. It runs
//!   until Genesys refuses the light for good (credentials, permissions, configuration): then
//!   the light shows why, the serial log and `status` say it in words, and only a restart after
//!   fixing the settings tries again — retrying a refusal would only lock the client out.
//! - `mqtt`: its MQTT runner, the light listening to a fleet gateway through a broker. It holds
//!   no Genesys secret, and retries a broker that refuses it (slowly), so that a fix made on the
//!   broker needs no restart.
//!
//! Both lend the same `static` buffers (the runner's TCP and TLS buffers) and publish into the
//! same client state, so the light's RAM holds one set, and the LED does not care which runs.
//! Either starts once the wall clock is set (certificates cannot be checked before).

use embassy_futures::select::{Either, select};
use embassy_net::Stack;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::Timer;
use esp_hal::rng::Trng;
use genesys_notify_core::region::Environment;
use genesys_notify_core::secret::Secret;
use genesys_notify_embassy::{
    Buffers, ClientState, Credentials, EmbassyNetwork, Exit, Resources, Runner, Settings,
    TrustAnchors, UnixTime, WallClock, mqtt,
};
use static_cell::ConstStaticCell;

use desk_light_logic::config::{Config, Source};

use crate::shared;
use crate::time::now;

/// The root CAs a Genesys server chain may end at; see `certs/README.md` for why these.
const ROOTS: [&[u8]; 7] = [
    include_bytes!("../certs/amazon-root-ca-1.der"),
    include_bytes!("../certs/amazon-root-ca-2.der"),
    include_bytes!("../certs/amazon-root-ca-3.der"),
    include_bytes!("../certs/amazon-root-ca-4.der"),
    include_bytes!("../certs/starfield-services-root-certificate-authority-g2.der"),
    include_bytes!("../certs/digicert-global-root-ca.der"),
    include_bytes!("../certs/digicert-global-root-g2.der"),
];

/// A connection's payload buffer: 8 KiB rather than the runner's default 12 KiB, the C3's RAM
/// being short. It holds a notification of 8 KiB (the largest captured conversation event, five
/// participants, is 5.5 KB; a larger one is drained and the agent re-read by REST) or a REST
/// answer of 5 KiB after its head: with client credentials the light only reads a token, a
/// channel, a subscription and the agent's user record (about 2 KB), never a conversation list.
const PAYLOAD: usize = 8 * 1024;

/// The runner's buffers (sockets, TLS records, REST bodies): zero-initialised in `.bss`,
/// never on a stack. The MQTT runner uses the first connection's TCP and TLS buffers of the same.
static BUFFERS: ConstStaticCell<Buffers<PAYLOAD>> =
    ConstStaticCell::new(Buffers::with_payload_len());
/// What the runner tells the light.
static CLIENT: ClientState<CriticalSectionRawMutex> = ClientState::new();

/// The wall clock the TLS layer reads: SNTP's, shared, never below the time floor.
struct SntpClock;

impl WallClock for SntpClock {
    fn now(&self) -> Option<UnixTime> {
        shared::with(|s| {
            let clock = s.clock.unix_secs(now())?;
            Some(s.time_floor.floor().map_or(clock, |floor| clock.max(floor)))
        })
        .map(UnixTime::from_secs)
    }
}

/// Follows the configured agent from the configured source.
#[embassy_executor::task]
pub async fn run(stack: Stack<'static>, config: Config, rng: Trng, seed: u64) {
    let trust = match TrustAnchors::new(&ROOTS) {
        Ok(trust) => trust,
        Err(error) => {
            defmt::error!(
                "session: trust store unreadable: {}",
                defmt::Display2Format(&error)
            );
            shared::set_problem(Some(&error));
            return;
        }
    };
    while !shared::with(|s| s.clock.is_set()) {
        Timer::after_millis(500).await;
    }
    let buffers = BUFFERS.take();
    match config.source() {
        Source::Genesys => genesys(stack, &config, trust, rng, seed, buffers).await,
        Source::Mqtt => listen(stack, &config, trust, rng, seed, buffers).await,
    }
}

/// Runs the Genesys session until Genesys refuses the light for good.
async fn genesys(
    stack: Stack<'static>,
    config: &Config,
    trust: TrustAnchors<'static>,
    rng: Trng,
    seed: u64,
    buffers: &'static mut Buffers<PAYLOAD>,
) {
    let Some(region) = config.region() else {
        return;
    };
    let credentials = Credentials::ClientCredentials {
        client_id: config.client_id(),
        client_secret: Secret::new(config.client_secret().expose_secret()),
    };
    let settings = Settings {
        environment: Environment::Cloud(region),
        credentials,
        trust,
        agent: config.agent(),
    };
    let resources = Resources {
        network: EmbassyNetwork::new(stack),
        clock: SntpClock,
        rng,
        client: &CLIENT,
        buffers,
    };
    let mut runner = match Runner::new(settings, resources, |session| session.random_seed(seed)) {
        Ok(runner) => runner,
        Err(error) => return refused("session", &error),
    };
    defmt::info!("session: signing in to {}", region.name());
    match select(runner.run(), forward_status(true)).await {
        Either::First(Exit::Stopped(reason)) => {
            defmt::error!("session stopped: {}", defmt::Display2Format(&reason));
            shared::set_problem(Some(&reason));
            let status = CLIENT.client().status();
            shared::with(|s| s.indicator.session(status.health));
        }
        Either::First(Exit::Shutdown) => defmt::info!("session: shut down"),
    }
}

/// Listens to the fleet gateway through the broker; returns only if the settings are unusable.
async fn listen(
    stack: Stack<'static>,
    config: &Config,
    trust: TrustAnchors<'static>,
    rng: Trng,
    seed: u64,
    buffers: &'static mut Buffers<PAYLOAD>,
) {
    let Some(broker) = config.mqtt_broker() else {
        return;
    };
    let user = Some(config.mqtt_user()).filter(|user| !user.is_empty());
    let password: &str = config.mqtt_password().expose_secret();
    let password = Some(password)
        .filter(|password| !password.is_empty())
        .map(Secret::new);
    let settings = mqtt::Settings {
        broker: mqtt::Broker {
            host: broker.host,
            port: broker.port,
            tls: broker.tls,
        },
        user,
        password,
        prefix: config.mqtt_prefix(),
        agent: config.agent(),
        trust,
    };
    let resources = Resources {
        network: EmbassyNetwork::new(stack),
        clock: SntpClock,
        rng,
        client: &CLIENT,
        buffers,
    };
    let mut runner = match mqtt::Runner::new(settings, resources, seed) {
        Ok(runner) => runner,
        Err(error) => return refused("mqtt", &error),
    };
    defmt::info!(
        "mqtt: listening to the gateway through {}",
        defmt::Display2Format(&broker)
    );
    // Only a verified handshake vouches for the wall clock: a plain `mqtt://` broker does not.
    select(runner.run(), forward_status(broker.tls)).await;
}

/// The settings cannot make a runner: says why and shows the refusal until they are changed.
fn refused(source: &str, error: &dyn core::fmt::Display) {
    defmt::error!("{}: {}", source, defmt::Display2Format(error));
    shared::set_problem(Some(error));
    shared::with(|s| {
        s.indicator
            .session(genesys_notify_core::light::Health::AuthFailed)
    });
}

/// Copies every status change into the light's indicator, prints each new diagnosis in words
/// (the core's diagnoses never contain a secret), and, if `tls_vouches` (every connection is a
/// verified TLS handshake), raises the time floor whenever a new connection opens; never
/// returns.
async fn forward_status(tls_vouches: bool) -> ! {
    let client = CLIENT.client();
    let mut last_health = None;
    let mut diagnoses = 0;
    let mut last_socket = None;
    let mut last_broker_failure = None;
    loop {
        let status = client.changed().await;
        // A socket that just opened passed a TLS handshake whose chain was verified at the
        // wall clock's time: that time is known good.
        if status.live && last_socket != Some(status.reconnects) {
            last_socket = Some(status.reconnects);
            if tls_vouches {
                raise_time_floor();
            }
        } else if !status.live {
            last_socket = None;
        }
        shared::with(|s| {
            s.indicator.session(status.health);
            s.indicator.agent(status.activity, status.stale);
        });
        if last_health != Some(status.health) {
            let heap = crate::console::heap_use();
            defmt::info!(
                "session: {} (agent {}, reconnects {}; heap peak {} of {} bytes)",
                status.health.as_str(),
                status.activity.as_str(),
                status.reconnects,
                heap.peak,
                heap.size
            );
            last_health = Some(status.health);
        }
        if status.diagnoses != diagnoses {
            diagnoses = status.diagnoses;
            if let Some(diagnosis) = client.last_diagnosis() {
                defmt::warn!("session: {}", defmt::Display2Format(&diagnosis));
                shared::set_problem(Some(&diagnosis));
            }
        }
        if status.last_broker_failure != last_broker_failure {
            last_broker_failure = status.last_broker_failure;
            if let Some(failure) = last_broker_failure {
                shared::set_problem(Some(&failure));
            }
        }
        if let Some(error) = status.last_tls_error {
            defmt::warn!("session: TLS: {}", defmt::Display2Format(&error));
            shared::set_problem(Some(&error));
        }
    }
}

/// The wall clock's time was just confirmed by a verified handshake: the floor rises to it,
/// and the main task saves it when it has risen by a day (`desk_light_logic::time_floor`).
fn raise_time_floor() {
    let save = shared::with(|s| {
        let good = s.clock.unix_secs(now())?;
        s.time_floor.observe(good)
    });
    if let Some(floor) = save {
        crate::time::FLOOR_TO_SAVE.signal(floor);
    }
}
