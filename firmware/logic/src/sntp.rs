//! SNTP (RFC 4330): the one reason the light needs a wall clock is to check that the server's
//! certificate is valid *now*.
//!
//! Nothing else on the light reads the wall clock — the session's deadlines are monotonic — so
//! the client is deliberately minimal: one 48-byte request, one checked reply. The request
//! carries a random nonce in its transmit timestamp and the reply must echo it, so a stray or
//! forged datagram cannot set the clock; a reply from an unsynchronised server, a "kiss of
//! death", or a time before this firmware was written is refused rather than believed (a clock
//! set to 1970 makes every certificate look "not yet valid", and a clock far in the future
//! makes expired certificates look fine).

use core::fmt;

use genesys_notify_core::backoff::Backoff;
use genesys_notify_core::time::{Duration, Instant};

/// The SNTP port.
pub const PORT: u16 = 123;
/// Size of an SNTP packet without extensions.
pub const PACKET_LEN: usize = 48;
/// How often the clock is set again: crystal drift over six hours is far below what certificate
/// validity cares about, and a server's hourly rate limits are respected.
pub const RESYNC_INTERVAL: Duration = Duration::from_hours(6);
/// Waiting for one reply before counting the exchange as failed.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Retry after a failed exchange: soon at first, then no more than every five minutes.
pub const RETRY: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_mins(5));
/// The earliest believable time, 2026-01-01T00:00:00Z: before this firmware existed.
pub const EARLIEST_BELIEVABLE: u64 = 1_767_225_600;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_TO_UNIX: u64 = 2_208_988_800;
/// NTP era 0 ends in 2036; a seconds field below this half-range belongs to era 1.
const ERA_SPLIT: u64 = 1 << 31;

/// Why a reply was not believed. Every one is retried later with [`RETRY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SntpError {
    /// Shorter than an SNTP packet: ignore it and keep waiting.
    TooShort,
    /// Not a server's reply (wrong mode or version): ignore it and keep waiting.
    NotAReply,
    /// The reply does not echo our request's nonce: stale or forged; ignore it and keep waiting.
    NotOurs,
    /// The server is not synchronised itself: try again later, or set another `time.server`.
    Unsynchronised,
    /// The server asks us to go away (kiss of death, e.g. `RATE`): back off, or set another server.
    KissOfDeath {
        /// The four-letter kiss code.
        code: [u8; 4],
    },
    /// The time is before this firmware was written: refuse it, try again later.
    Implausible,
}

impl fmt::Display for SntpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SntpError::TooShort => f.write_str("time server reply too short"),
            SntpError::NotAReply => f.write_str("time server sent something that is not a reply"),
            SntpError::NotOurs => f.write_str("time server reply does not answer our request"),
            SntpError::Unsynchronised => f.write_str(
                "time server is not synchronised; try again later or set another time.server",
            ),
            SntpError::KissOfDeath { code } => {
                f.write_str("time server refused us (")?;
                for &b in code {
                    let c = if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        '?'
                    };
                    write!(f, "{c}")?;
                }
                f.write_str("); backing off, or set another time.server")
            }
            SntpError::Implausible => {
                f.write_str("time server gave a time before this firmware existed; not believed")
            }
        }
    }
}

/// Writes a client request carrying `nonce` into `buf`.
///
/// `nonce` should come from the hardware RNG; the reply must echo it ([`parse_reply`]).
pub fn encode_request(nonce: u64, buf: &mut [u8; PACKET_LEN]) {
    buf.fill(0);
    // Leap indicator 0, version 4, mode 3 (client).
    buf[0] = (4 << 3) | 3;
    buf[40..48].copy_from_slice(&nonce.to_be_bytes());
}

/// The time a server's reply gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply {
    /// The server's transmit time, in milliseconds since the Unix epoch.
    unix_millis: u64,
}

impl Reply {
    /// The server's transmit time, in milliseconds since the Unix epoch.
    pub const fn unix_millis(&self) -> u64 {
        self.unix_millis
    }

    /// The time when the reply arrived, given the measured round trip: the reply spent about
    /// half of it on the way back.
    pub const fn unix_millis_on_arrival(&self, round_trip: Duration) -> u64 {
        self.unix_millis.saturating_add(round_trip.as_millis() / 2)
    }
}

/// Checks a server's reply to the request that carried `nonce`.
pub fn parse_reply(reply: &[u8], nonce: u64) -> Result<Reply, SntpError> {
    let packet: &[u8; PACKET_LEN] = reply
        .get(..PACKET_LEN)
        .and_then(|p| p.try_into().ok())
        .ok_or(SntpError::TooShort)?;
    let leap = packet[0] >> 6;
    let version = (packet[0] >> 3) & 0b111;
    let mode = packet[0] & 0b111;
    if mode != 4 || !(3..=4).contains(&version) {
        return Err(SntpError::NotAReply);
    }
    if u64_at(packet, 24) != nonce {
        return Err(SntpError::NotOurs);
    }
    let stratum = packet[1];
    if stratum == 0 {
        let mut code = [0u8; 4];
        code.copy_from_slice(&packet[12..16]);
        return Err(SntpError::KissOfDeath { code });
    }
    if leap == 3 || stratum > 15 {
        return Err(SntpError::Unsynchronised);
    }
    let transmit = u64_at(packet, 40);
    let mut seconds = transmit >> 32;
    if seconds < ERA_SPLIT {
        seconds += 1 << 32;
    }
    let fraction = transmit & 0xffff_ffff;
    let millis = (fraction * 1000) >> 32;
    let unix_secs = seconds.saturating_sub(NTP_TO_UNIX);
    if unix_secs < EARLIEST_BELIEVABLE {
        return Err(SntpError::Implausible);
    }
    Ok(Reply {
        unix_millis: unix_secs * 1000 + millis,
    })
}

fn u64_at(packet: &[u8; PACKET_LEN], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    if let Some(field) = packet.get(at..at + 8) {
        bytes.copy_from_slice(field);
    }
    u64::from_be_bytes(bytes)
}

/// The wall clock: the last SNTP time, carried forward on the monotonic clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock {
    anchor: Option<(Instant, u64)>,
}

impl WallClock {
    /// A clock not set yet.
    pub const fn new() -> Self {
        WallClock { anchor: None }
    }

    /// Sets the clock: at monotonic `now` it is `unix_millis`.
    pub fn set(&mut self, now: Instant, unix_millis: u64) {
        self.anchor = Some((now, unix_millis));
    }

    /// Whether SNTP has answered since boot.
    pub const fn is_set(&self) -> bool {
        self.anchor.is_some()
    }

    /// Seconds since the Unix epoch at monotonic `now`, once set.
    pub fn unix_secs(&self, now: Instant) -> Option<u64> {
        self.anchor.map(|(at, unix_millis)| {
            unix_millis.saturating_add(now.saturating_duration_since(at).as_millis()) / 1000
        })
    }
}

/// A Unix time in seconds, displayed as ISO 8601 UTC (`2026-11-29T09:41:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc(pub u64);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0 / 86_400;
        let of_day = self.0 % 86_400;
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

/// Year, month, day of the `days`-th day after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const NONCE: u64 = 0x1234_5678_9abc_def0;
    /// 2026-11-29T09:41:00Z.
    const NOW: u64 = 1_795_945_260;

    fn reply(unix_secs: u64, fraction: u32) -> [u8; PACKET_LEN] {
        let mut p = [0u8; PACKET_LEN];
        p[0] = (4 << 3) | 4;
        p[1] = 2;
        p[24..32].copy_from_slice(&NONCE.to_be_bytes());
        let ntp = ((unix_secs + NTP_TO_UNIX) & 0xffff_ffff) << 32 | u64::from(fraction);
        p[40..48].copy_from_slice(&ntp.to_be_bytes());
        p
    }

    #[test]
    fn a_request_is_a_version_4_client_packet_carrying_the_nonce() {
        let mut buf = [0xaa; PACKET_LEN];
        encode_request(NONCE, &mut buf);
        assert_eq!(buf[0], 0x23);
        assert!(buf[1..40].iter().all(|&b| b == 0));
        assert_eq!(&buf[40..48], &NONCE.to_be_bytes());
    }

    #[test]
    fn a_good_reply_gives_the_unix_time_with_milliseconds() {
        let parsed = parse_reply(&reply(NOW, 1 << 31), NONCE).unwrap();
        assert_eq!(parsed.unix_millis(), NOW * 1000 + 500);
        assert_eq!(
            parsed.unix_millis_on_arrival(Duration::from_millis(80)),
            NOW * 1000 + 540
        );
    }

    #[test]
    fn times_after_the_2036_era_rollover_are_read_correctly() {
        let after_rollover = 2_085_978_496 + 1000;
        let parsed = parse_reply(&reply(after_rollover, 0), NONCE).unwrap();
        assert_eq!(parsed.unix_millis(), after_rollover * 1000);
    }

    #[test]
    fn a_reply_to_someone_elses_request_is_ignored() {
        assert_eq!(
            parse_reply(&reply(NOW, 0), NONCE + 1),
            Err(SntpError::NotOurs)
        );
    }

    #[test]
    fn short_and_non_server_packets_are_ignored() {
        assert_eq!(
            parse_reply(&reply(NOW, 0)[..47], NONCE),
            Err(SntpError::TooShort)
        );
        let mut client = reply(NOW, 0);
        client[0] = (4 << 3) | 3;
        assert_eq!(parse_reply(&client, NONCE), Err(SntpError::NotAReply));
        let mut v2 = reply(NOW, 0);
        v2[0] = (2 << 3) | 4;
        assert_eq!(parse_reply(&v2, NONCE), Err(SntpError::NotAReply));
    }

    #[test]
    fn an_unsynchronised_server_is_not_believed() {
        let mut alarm = reply(NOW, 0);
        alarm[0] |= 3 << 6;
        assert_eq!(parse_reply(&alarm, NONCE), Err(SntpError::Unsynchronised));
        let mut deep = reply(NOW, 0);
        deep[1] = 16;
        assert_eq!(parse_reply(&deep, NONCE), Err(SntpError::Unsynchronised));
    }

    #[test]
    fn a_kiss_of_death_names_its_code() {
        let mut kiss = reply(NOW, 0);
        kiss[1] = 0;
        kiss[12..16].copy_from_slice(b"RATE");
        let error = parse_reply(&kiss, NONCE).unwrap_err();
        assert_eq!(error, SntpError::KissOfDeath { code: *b"RATE" });
        assert!(error.to_string().contains("(RATE)"));
    }

    #[test]
    fn a_time_before_the_firmware_existed_is_refused() {
        assert_eq!(
            parse_reply(&reply(1_000_000_000, 0), NONCE),
            Err(SntpError::Implausible)
        );
        assert!(parse_reply(&reply(EARLIEST_BELIEVABLE, 0), NONCE).is_ok());
    }

    #[test]
    fn longer_packets_with_extensions_are_accepted() {
        let mut long = [0u8; 68];
        long[..PACKET_LEN].copy_from_slice(&reply(NOW, 0));
        assert!(parse_reply(&long, NONCE).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..200 {
            let bytes: std::vec::Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = parse_reply(&bytes, state);
        }
    }

    #[test]
    fn the_wall_clock_runs_on_from_its_last_setting() {
        let mut clock = WallClock::new();
        assert_eq!(clock.unix_secs(Instant::from_secs(5)), None);
        clock.set(Instant::from_secs(10), NOW * 1000 + 900);
        assert!(clock.is_set());
        assert_eq!(clock.unix_secs(Instant::from_secs(10)), Some(NOW));
        assert_eq!(clock.unix_secs(Instant::from_millis(10_100)), Some(NOW + 1));
        assert_eq!(clock.unix_secs(Instant::from_secs(3610)), Some(NOW + 3600));
    }

    #[test]
    fn utc_times_print_as_iso_8601() {
        assert_eq!(Utc(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc(NOW).to_string(), "2026-11-29T09:41:00Z");
        assert_eq!(Utc(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc(4_102_444_799).to_string(), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn retries_back_off_to_five_minutes() {
        let mut retry = RETRY;
        let mut rng = genesys_notify_core::backoff::SplitMix64::new(7);
        for _ in 0..20 {
            assert!(retry.next_delay(&mut rng) <= Duration::from_mins(5));
        }
        assert_eq!(retry.ceiling(), Duration::from_mins(5));
    }
}
