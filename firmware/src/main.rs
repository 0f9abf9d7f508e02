//! # desk-light
//!
//! An ESP32-C3 (or C6) with a WS2812 LED or ring that shows, across the room, what a Genesys
//! Cloud agent is doing — and, distinctly, when the light itself has lost Wi-Fi, cannot reach
//! Genesys, or was refused.
//!
//! This crate is wiring only: peripherals, tasks and the state they share. Every rule (settings
//! and their flash format, the console protocol, LED frames, the light's own health, SNTP,
//! retry policy) is in `desk-light-logic`, tested on the host; the Genesys protocol is in
//! `genesys-notify-core`.
//!
//! Tasks: `led` (50 Hz frames), `console` (USB serial / UART0 line protocol), `button` (BOOT held
//! 5 s = factory reset), and once configured `wifi`, `net` (embassy-net), `time` (SNTP) and
//! `session` (through `genesys-notify-embassy`: the Genesys session, or with `source mqtt` the
//! fleet gateway's state on an MQTT broker).
#![no_std]
#![no_main]

mod button;
mod console;
mod led;
mod session;
mod shared;
mod store;
mod time;
mod wifi;

use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_time::Timer;
use esp_backtrace as _;
use esp_hal::clock::CpuClock;
use esp_hal::gpio::{Input, InputConfig, Pull};
use esp_hal::rmt::Rmt;
use esp_hal::rng::{Rng, Trng, TrngSource};
use esp_hal::time::Rate;
use esp_hal::timer::timg::TimerGroup;
use esp_hal::uart::Uart;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethodConfig, Config as WifiConfig, ControllerConfig, Interface, WifiController,
};
use static_cell::StaticCell;

use crate::store::Store;

esp_bootloader_esp_idf::esp_app_desc!();

/// Sockets of the network stack: DHCP, DNS, SNTP, and the session's TCP connections (the
/// Genesys runner never holds more than its pool of connections, shared by REST and WebSocket;
/// the MQTT runner holds one; a dropped socket leaves the set at once).
const SOCKETS: usize = 3 + genesys_notify_embassy::runner::CONNECTIONS;
/// The heap, in the bootloader's reclaimed RAM.
pub const HEAP_SIZE: usize = 64 * 1024;
/// The RMT clock: 80 MHz gives WS2812 pulse timing a 12.5 ns resolution.
const RMT_FREQUENCY: Rate = Rate::from_mhz(80);

static STORE: StaticCell<Store> = StaticCell::new();
static TRNG_SOURCE: StaticCell<TrngSource<'static>> = StaticCell::new();
static STACK_RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
static LEDS: StaticCell<led::Leds> = StaticCell::new();

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    // The heap, for the Wi-Fi driver (its buffers, its task's stack) and the RSA arithmetic of
    // certificate checks: all of it in the RAM the second-stage bootloader used and left behind
    // (64 of its 64.8 KiB), none in the RAM static data needs. The driver is configured for a
    // light's traffic ([`wifi_config`]); `status` shows the heap's peak.
    esp_alloc::heap_allocator!(#[esp_hal::ram(reclaimed)] size: HEAP_SIZE);
    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);
    defmt::info!("desk-light {} starting", env!("CARGO_PKG_VERSION"));

    // The LED first, so the light shows life before anything can fail.
    let rmt = Rmt::new(peripherals.RMT, RMT_FREQUENCY)
        .expect("the RMT peripheral accepts 80 MHz")
        .into_async();
    let leds = led::Leds::new(
        esp_hal_smartled::WS2812_TIMING,
        rmt.channel0,
        peripherals.GPIO8,
        RMT_FREQUENCY,
    )
    .expect("RMT channel 0 drives GPIO8");
    spawner.spawn(led::run(LEDS.init(leds)).expect("the LED task is spawned once"));

    let store = match Store::open(esp_storage::FlashStorage::new(peripherals.FLASH)) {
        Ok(store) => STORE.init(store),
        Err(error) => {
            defmt::error!("settings: {}", defmt::Display2Format(&error));
            shared::set_problem(Some(&error));
            // Without a settings partition the light cannot be configured: show it and stay.
            halt().await
        }
    };
    let config = store.load().await;
    let configured = config.is_complete();
    let floor = store.load_time_floor().await;
    shared::with(|s| {
        s.indicator = desk_light_logic::indicator::Indicator::new(configured);
        s.render = console::render_settings(&config);
        s.time_floor = floor;
    });

    // UART0 on its default pins, as the ROM and the USB-UART bridges of dev boards use it.
    #[cfg(feature = "esp32c3")]
    let (uart_rx, uart_tx) = (peripherals.GPIO20, peripherals.GPIO21);
    #[cfg(feature = "esp32c6")]
    let (uart_rx, uart_tx) = (peripherals.GPIO17, peripherals.GPIO16);
    let usb = UsbSerialJtag::new(peripherals.USB_DEVICE).into_async();
    let uart = Uart::new(peripherals.UART0, esp_hal::uart::Config::default())
        .expect("UART0 accepts its default configuration")
        .with_rx(uart_rx)
        .with_tx(uart_tx)
        .into_async();
    spawner.spawn(console::run(usb, uart, config.clone(), store).expect("spawned once"));

    let boot_button = Input::new(
        peripherals.GPIO9,
        InputConfig::default().with_pull(Pull::Up),
    );
    spawner.spawn(button::run(boot_button, store).expect("spawned once"));

    if !configured {
        defmt::warn!("not configured: type `help` on the serial console");
        halt().await
    }

    // The ADC's noise makes the hardware RNG cryptographic (TLS keys, WebSocket masks); the
    // source stays enabled for the life of the program.
    TRNG_SOURCE.init(TrngSource::new(peripherals.RNG, peripherals.ADC1));
    let rng = Rng::new();
    let seed = |rng: &Rng| u64::from(rng.random()) << 32 | u64::from(rng.random());

    let Some(station) = station_config(&config) else {
        // The settings were validated against the same limits; this only guards a mismatch.
        defmt::error!("wifi: the Wi-Fi driver refused the SSID or password");
        shared::set_problem(Some(
            &"the Wi-Fi driver refused wifi.ssid or wifi.password; set them again",
        ));
        shared::with(|s| s.indicator = desk_light_logic::indicator::Indicator::new(false));
        halt().await
    };
    let interface = Interface::station();
    let controller = WifiController::new(peripherals.WIFI, wifi_config(station))
        .expect("the Wi-Fi driver starts");

    let (stack, runner) = embassy_net::new(
        interface,
        embassy_net::Config::dhcpv4(Default::default()),
        STACK_RESOURCES.init(StackResources::new()),
        seed(&rng),
    );
    spawner.spawn(wifi::net(runner).expect("spawned once"));
    spawner.spawn(wifi::run(controller, stack, seed(&rng)).expect("spawned once"));
    spawner.spawn(
        time::run(
            stack,
            config.time_server().try_into().unwrap_or_default(),
            seed(&rng),
        )
        .expect("spawned once"),
    );

    let trng = Trng::try_new().expect("the TRNG source was enabled above");
    spawner.spawn(session::run(stack, config, trng, seed(&rng)).expect("spawned once"));

    // The main task has nothing else to do: it writes the time floor to flash when asked. Its
    // future already held the settings' load, so the write adds no static RAM, and the
    // session never waits for the flash.
    time::save_floor(store).await
}

/// The Wi-Fi driver's configuration: its buffers sized for a light, not for throughput.
///
/// The driver's defaults (those of ESP-IDF) keep ten 1.6 KB receive buffers allocated for good
/// and allow 32 more of each direction on demand, for iperf-class traffic. The light's traffic is
/// a TLS handshake now and then and notifications of a few KB, over TCP windows of 2 KiB
/// ([`genesys_notify_embassy::net::TCP_RX_BUFFER_LEN`]) on at most two connections: at most
/// three frames are ever in flight towards it. Four static receive buffers (ESP-IDF allows 2 to
/// 25) and sixteen dynamic ones each way cover that twice over and leave 9.6 KB more heap. The
/// block-ack window stays below the static buffers' double, as the driver asks.
fn wifi_config(station: StationConfig) -> ControllerConfig {
    ControllerConfig::default()
        .with_static_rx_buf_num(4)
        .with_dynamic_rx_buf_num(16)
        .with_dynamic_tx_buf_num(16)
        .with_rx_ba_win(4)
        .with_initial_config(WifiConfig::Station(station))
}

/// The station configuration: WPA2 with the password, or an open network without one.
fn station_config(config: &desk_light_logic::config::Config) -> Option<StationConfig> {
    let password = config.wifi_password().expose_secret();
    let authentication = if password.is_empty() {
        AuthenticationMethodConfig::Open
    } else {
        AuthenticationMethodConfig::Wpa2Personal(password.try_into().ok()?)
    };
    Some(
        StationConfig::default()
            .with_ssid(config.wifi_ssid().try_into().ok()?)
            .with_authentication(authentication),
    )
}

/// Nothing more for this task to do; the others run on.
async fn halt() -> ! {
    loop {
        Timer::after_secs(3600).await;
    }
}

/// Restarts the chip, after a moment for the reply to leave the serial port.
pub async fn restart() -> ! {
    Timer::after_millis(200).await;
    esp_hal::system::software_reset()
}

/// Erases every setting and restarts.
pub async fn factory_reset(store: &Store) -> ! {
    if let Err(error) = store.erase().await {
        defmt::error!("factory reset: {}", defmt::Display2Format(&error));
    }
    restart().await
}
