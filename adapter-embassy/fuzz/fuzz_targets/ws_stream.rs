//! A WebSocket stream from the server, in pieces of every size: every message the reader
//! returns fits its buffer, and the stream ends in messages or an error — never a panic.
#![no_main]

use embassy_futures::block_on;
use fuzz_peer::Peer;
use genesys_notify_embassy::ws::{Message, WsReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut peer = Peer::from_fuzz(data);
    let mut buf = [0u8; 256];
    let mut reader = WsReader::new(&mut buf);
    block_on(async {
        // Each message consumes at least two bytes, so this reads the whole input.
        for _ in 0..=data.len() {
            match reader.next(&mut peer).await {
                Ok(Message::Text(t) | Message::Binary(t)) => assert!(t.len() <= 256),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
});
