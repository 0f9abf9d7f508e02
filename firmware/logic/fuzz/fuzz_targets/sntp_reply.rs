//! A UDP datagram on the SNTP port, checked against the nonce of our request: never a panic,
//! and an accepted reply always carries a believable time.
#![no_main]

use desk_light_logic::sntp::{self, EARLIEST_BELIEVABLE, PACKET_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The nonce is the request's transmit timestamp, which the reply must echo (bytes 24..32).
    let nonce = data
        .get(24..32)
        .map_or(0, |b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
    match sntp::parse_reply(data, nonce) {
        Ok(reply) => {
            assert!(data.len() >= PACKET_LEN);
            assert!(reply.unix_millis() >= EARLIEST_BELIEVABLE * 1000);
        }
        Err(error) => {
            // Every refusal can be said in words.
            assert!(!error.to_string().is_empty());
        }
    }
    // A reply to another request is never taken.
    assert!(sntp::parse_reply(data, nonce ^ 1).is_err());
});
