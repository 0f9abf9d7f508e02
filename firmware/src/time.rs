//! Time: the monotonic clock in the core's units, and the SNTP task that sets the wall clock.

use desk_light_logic::config::TIME_SERVER_CAPACITY;
use desk_light_logic::sntp::{self, PACKET_LEN, REPLY_TIMEOUT, RESYNC_INTERVAL, SntpError};
use embassy_net::dns::DnsQueryType;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpAddress, Stack};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Timer, with_timeout};
use genesys_notify_core::backoff::SplitMix64;
use genesys_notify_core::time::{Duration, Instant};
use heapless::String;

use crate::shared;
use crate::store::Store;

/// A time floor to write to flash (`desk_light_logic::time_floor`): the newest wins.
pub static FLOOR_TO_SAVE: Signal<CriticalSectionRawMutex, u64> = Signal::new();

/// The monotonic clock, in the core's type.
pub fn now() -> Instant {
    Instant::from_millis(embassy_time::Instant::now().as_millis())
}

/// A core duration as an embassy one.
pub fn to_embassy(duration: Duration) -> embassy_time::Duration {
    embassy_time::Duration::from_millis(duration.as_millis())
}

/// Why one SNTP exchange failed.
#[derive(Debug, defmt::Format)]
enum TimeError {
    /// The server's name did not resolve.
    Dns,
    /// The UDP socket could not be bound or the request not sent.
    Send,
    /// No usable reply within [`REPLY_TIMEOUT`].
    Timeout,
    /// The reply was refused.
    Reply(SntpError),
}

impl core::fmt::Display for TimeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TimeError::Dns => f.write_str(
                "time server name does not resolve; check time.server and the network's DNS",
            ),
            TimeError::Send => f.write_str("could not send to the time server"),
            TimeError::Timeout => f.write_str(
                "no answer from the time server (UDP port 123 blocked?); set another time.server",
            ),
            TimeError::Reply(error) => write!(f, "{error}"),
        }
    }
}

/// Sets the wall clock by SNTP once the network is up, then every [`RESYNC_INTERVAL`].
#[embassy_executor::task]
pub async fn run(stack: Stack<'static>, server: String<TIME_SERVER_CAPACITY>, seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let mut retry = sntp::RETRY;
    loop {
        stack.wait_config_up().await;
        match exchange(stack, &server, rng.next_u64()).await {
            Ok(unix_millis) => {
                retry.reset();
                let set = shared::with(|s| {
                    s.time_floor.check(unix_millis / 1000).map(|()| {
                        s.clock.set(now(), unix_millis);
                        s.indicator.clock_set();
                    })
                });
                match set {
                    Ok(()) => {
                        defmt::info!("time: clock set, unix {}", unix_millis / 1000);
                        Timer::after(to_embassy(RESYNC_INTERVAL)).await;
                    }
                    Err(walked_back) => {
                        // The clock keeps running from its last setting (if any); asking
                        // again soon gives a server that answered wrong once another chance.
                        defmt::warn!("time: {}", defmt::Display2Format(&walked_back));
                        shared::with(|s| s.indicator.clock_failed());
                        shared::set_problem(Some(&walked_back));
                        Timer::after(to_embassy(retry.next_delay(&mut rng))).await;
                    }
                }
            }
            Err(error) => {
                defmt::warn!("time: {}", defmt::Display2Format(&error));
                shared::with(|s| s.indicator.clock_failed());
                shared::set_problem(Some(&error));
                Timer::after(to_embassy(retry.next_delay(&mut rng))).await;
            }
        }
    }
}

/// Writes each time floor [`FLOOR_TO_SAVE`] is given; never returns. A failed write is logged,
/// and the floor asks for it again at the next verified handshake.
pub async fn save_floor(store: &Store) -> ! {
    loop {
        let floor = FLOOR_TO_SAVE.wait().await;
        match store.save_time_floor(floor).await {
            Ok(()) => {
                shared::with(|s| s.time_floor.saved(floor));
                defmt::info!("time: floor saved, unix {}", floor);
            }
            Err(error) => {
                defmt::warn!("time: floor not saved: {}", defmt::Display2Format(&error))
            }
        }
    }
}

/// One request and its reply: the Unix time in milliseconds on arrival.
async fn exchange(stack: Stack<'static>, server: &str, nonce: u64) -> Result<u64, TimeError> {
    let addresses = stack
        .dns_query(server, DnsQueryType::A)
        .await
        .map_err(|_| TimeError::Dns)?;
    let address: IpAddress = *addresses.first().ok_or(TimeError::Dns)?;

    let mut rx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx = [0u8; 2 * PACKET_LEN + 64];
    let mut tx = [0u8; PACKET_LEN + 16];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    socket.bind(0).map_err(|_| TimeError::Send)?;

    let mut request = [0u8; PACKET_LEN];
    sntp::encode_request(nonce, &mut request);
    let sent = now();
    socket
        .send_to(&request, (address, sntp::PORT))
        .await
        .map_err(|_| TimeError::Send)?;

    let reply = with_timeout(to_embassy(REPLY_TIMEOUT), async {
        let mut buf = [0u8; 2 * PACKET_LEN];
        loop {
            let Ok((len, _from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            match sntp::parse_reply(buf.get(..len).unwrap_or_default(), nonce) {
                Ok(reply) => return Ok(reply),
                // Someone else's datagram or garbage: keep waiting for ours.
                Err(SntpError::TooShort | SntpError::NotAReply | SntpError::NotOurs) => {}
                Err(refused) => return Err(TimeError::Reply(refused)),
            }
        }
    })
    .await
    .map_err(|_| TimeError::Timeout)??;
    Ok(reply.unix_millis_on_arrival(now().saturating_duration_since(sent)))
}
