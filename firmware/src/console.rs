//! The serial console task: reads lines from the USB serial port (and UART0, for boards whose
//! USB socket is a USB-UART bridge), runs them, prints the replies, and carries out the effects.

use core::fmt;

use desk_light_logic::config::Config;
use desk_light_logic::console::{self, Effect, HeapUse, LineBuffer, Status};
use embassy_futures::select::{Either, select};
use embedded_io_async::Read;
use esp_hal::Async;
use esp_hal::uart::Uart;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;

use crate::shared::{self, RenderSettings};
use crate::store::Store;
use crate::time::now;

/// Replies go through esp-println, which owns the serial output (and interleaves them safely
/// with the log frames).
struct Reply;

impl fmt::Write for Reply {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        esp_println::print!("{}", s);
        Ok(())
    }
}

/// The live part of the settings, as the renderer takes it.
pub fn render_settings(config: &Config) -> RenderSettings {
    RenderSettings {
        theme: config.theme(),
        brightness: config.brightness_level(),
        leds: config.leds(),
    }
}

/// Serves the console forever.
#[embassy_executor::task]
pub async fn run(
    mut usb: UsbSerialJtag<'static, Async>,
    mut uart: Uart<'static, Async>,
    mut config: Config,
    store: &'static Store,
) {
    let mut usb_lines = LineBuffer::new();
    let mut uart_lines = LineBuffer::new();
    let mut usb_bytes = [0u8; 64];
    let mut uart_bytes = [0u8; 64];
    loop {
        let (lines, bytes) =
            match select(usb.read(&mut usb_bytes), uart.read_async(&mut uart_bytes)).await {
                Either::First(Ok(n)) => (&mut usb_lines, usb_bytes.get(..n).unwrap_or_default()),
                Either::Second(Ok(n)) => (&mut uart_lines, uart_bytes.get(..n).unwrap_or_default()),
                Either::First(Err(_)) | Either::Second(Err(_)) => continue,
            };
        for &byte in bytes {
            if let Some(line) = lines.push(byte) {
                let effect = match console::parse(line) {
                    Ok(Some(command)) => execute(command, &mut config),
                    Ok(None) => Effect::Nothing,
                    Err(error) => {
                        let _ = console::write_error(error, &mut Reply);
                        Effect::Nothing
                    }
                };
                apply(effect, &config, store).await;
            }
        }
    }
}

fn execute(command: console::Command<'_>, config: &mut Config) -> Effect {
    let at = now();
    let mut problem = heapless::String::<{ shared::PROBLEM_CAPACITY }>::new();
    let (health, activity, network, address, unix_time) = shared::with(|s| {
        // The problem text is copied out so the console never holds the lock while printing.
        let _ = problem.push_str(&s.problem);
        (
            s.indicator.health(),
            s.indicator.activity(),
            s.indicator.network(),
            s.address,
            s.clock.unix_secs(at),
        )
    });
    let status = Status {
        health,
        activity,
        network,
        address,
        unix_time,
        uptime: at.saturating_duration_since(genesys_notify_core::time::Instant::ZERO),
        heap: heap_use(),
        problem: (!problem.is_empty()).then_some(problem.as_str()),
    };
    console::execute(command, config, &status, &mut Reply).unwrap_or(Effect::Nothing)
}

/// The heap's use now and at its peak (esp-alloc's `internal-heap-stats`).
pub fn heap_use() -> HeapUse {
    let stats = esp_alloc::HEAP.stats();
    HeapUse {
        used: stats.current_usage,
        peak: stats.max_usage,
        size: stats.size,
    }
}

async fn apply(effect: Effect, config: &Config, store: &Store) {
    let result = match effect {
        Effect::Nothing => Ok(()),
        Effect::Save(key) => store.save(config, key).await,
        Effect::Forget(key) => store.forget(config, key).await,
        Effect::Restart => crate::restart().await,
        Effect::FactoryReset => crate::factory_reset(store).await,
    };
    if let Err(error) = result {
        let _ = console::write_error(error, &mut Reply);
    }
    if let Effect::Save(key) | Effect::Forget(key) = effect {
        defmt::info!("console: {} changed", key);
        if key.applies_live() {
            let settings = render_settings(config);
            shared::with(|s| s.render = settings);
        }
    }
}
