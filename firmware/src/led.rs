//! The LED task: the core's light model on a WS2812 LED or ring, through the RMT peripheral.

use desk_light_logic::render::{FRAME_INTERVAL, Renderer};
use embassy_time::Ticker;
use esp_hal::Async;
use esp_hal_smartled::{RmtSmartLeds, buffer_size, color_order};
use smart_leds::{RGB8, SmartLedsWriteAsync};

use crate::shared;
use crate::time::{now, to_embassy};

/// RMT pulse codes for the largest ring the firmware drives.
pub const RMT_BUFFER: usize = buffer_size::<RGB8>(desk_light_logic::config::MAX_LEDS as usize);

/// The LED driver: WS2812 timing, GRB colour order.
pub type Leds = RmtSmartLeds<'static, RMT_BUFFER, Async, RGB8, color_order::Grb>;

/// Draws a frame every [`FRAME_INTERVAL`], sending it only when it changed (or once a second).
///
/// The driver is borrowed from a `static`: taken by value, its pulse buffer (5.8 KB for
/// [`MAX_LEDS`](desk_light_logic::config::MAX_LEDS)) would be stored twice in the task, as the
/// argument and as the running task's local.
#[embassy_executor::task]
pub async fn run(leds: &'static mut Leds) {
    let (health, activity, mut settings) =
        shared::with(|s| (s.indicator.health(), s.indicator.activity(), s.render));
    let mut renderer = Renderer::new(
        now(),
        settings.theme,
        settings.brightness,
        settings.leds,
        health,
        activity,
    );
    let mut ticker = Ticker::every(to_embassy(FRAME_INTERVAL));
    loop {
        let at = now();
        let (health, activity, wanted) =
            shared::with(|s| (s.indicator.health(), s.indicator.activity(), s.render));
        if wanted != settings {
            settings = wanted;
            renderer.configure(at, settings.theme, settings.brightness, settings.leds);
        }
        renderer.show(at, health, activity);
        if let Some(frame) = renderer.frame(at) {
            let colours = frame.iter().map(|c| RGB8::new(c.r, c.g, c.b));
            if let Err(error) = leds.write(colours).await {
                defmt::warn!("led: frame not sent: {}", defmt::Debug2Format(&error));
            }
        }
        ticker.next().await;
    }
}
