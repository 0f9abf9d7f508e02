//! Wi-Fi: join the configured network, keep the link, rejoin with backoff when it drops.

use desk_light_logic::network::{DHCP_TIMEOUT, JOIN_TIMEOUT, Reconnect};
use embassy_net::{Runner, Stack};
use embassy_time::{Timer, with_timeout};
use esp_radio::wifi::{Interface, WifiController};
use genesys_notify_core::backoff::SplitMix64;

use crate::shared;
use crate::time::to_embassy;

/// Runs the network stack (DHCP, DNS, sockets).
#[embassy_executor::task]
pub async fn net(mut runner: Runner<'static, Interface>) {
    runner.run().await
}

/// Joins, waits for an address, waits for the link to drop, and starts again after a backoff.
#[embassy_executor::task]
pub async fn run(mut controller: WifiController<'static>, stack: Stack<'static>, seed: u64) {
    let mut policy = Reconnect::new();
    let mut rng = SplitMix64::new(seed);
    loop {
        match with_timeout(to_embassy(JOIN_TIMEOUT), controller.connect_async()).await {
            Ok(Ok(_)) => {
                defmt::info!("wifi: joined");
                if with_timeout(to_embassy(DHCP_TIMEOUT), stack.wait_config_up())
                    .await
                    .is_ok()
                {
                    let address = stack.config_v4().map(|c| c.address.address().octets());
                    policy.joined();
                    shared::with(|s| {
                        s.indicator.network_joined();
                        s.address = address;
                    });
                    shared::set_problem(None);
                    if let Some([a, b, c, d]) = address {
                        defmt::info!("wifi: address {}.{}.{}.{}", a, b, c, d);
                    }
                    let reason = controller.wait_for_disconnect_async().await;
                    defmt::warn!("wifi: link lost ({})", defmt::Debug2Format(&reason));
                    shared::with(|s| {
                        s.indicator.network_lost();
                        s.address = None;
                    });
                    shared::set_problem(Some(&"Wi-Fi link lost; rejoining"));
                } else {
                    defmt::warn!("wifi: no DHCP lease");
                    shared::with(|s| s.indicator.network_failed());
                    shared::set_problem(Some(&"Wi-Fi joined but no address from DHCP"));
                    let _ = controller.disconnect_async().await;
                }
            }
            Ok(Err(error)) => {
                defmt::warn!("wifi: join failed: {}", error);
                shared::with(|s| s.indicator.network_failed());
                shared::set_problem(Some(
                    &"cannot join the Wi-Fi network: check wifi.ssid and wifi.password, and that it is 2.4 GHz",
                ));
            }
            Err(_) => {
                defmt::warn!("wifi: join timed out");
                shared::with(|s| s.indicator.network_failed());
                shared::set_problem(Some(
                    &"Wi-Fi network not found or not answering (it must be 2.4 GHz)",
                ));
                let _ = controller.disconnect_async().await;
            }
        }
        let delay = policy.next_delay(&mut rng);
        defmt::info!("wifi: next attempt in {} ms", delay.as_millis());
        Timer::after(to_embassy(delay)).await;
    }
}
