//! The BOOT button: held for five seconds, it erases every setting and restarts the light.

use desk_light_logic::button::{LongPress, SAMPLE_INTERVAL};
use embassy_time::Timer;
use esp_hal::gpio::Input;

use crate::store::Store;
use crate::time::{now, to_embassy};

/// Samples the button (pressed = low) and performs the factory reset on a long hold.
#[embassy_executor::task]
pub async fn run(button: Input<'static>, store: &'static Store) {
    let mut watcher = LongPress::new();
    loop {
        if watcher.sample(now(), button.is_low()) {
            defmt::warn!("button: held 5 s, factory reset");
            crate::factory_reset(store).await;
        }
        Timer::after(to_embassy(SAMPLE_INTERVAL)).await;
    }
}
