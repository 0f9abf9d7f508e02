//! A REST response as the network delivers it, in pieces of every size: `exchange` ends in a
//! response whose body fits the caller's buffer, or in an error — never a panic, never a hang.
#![no_main]

use embassy_futures::block_on;
use fuzz_peer::Peer;
use genesys_notify_embassy::http::{self, Method, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = Request {
        method: Method::Get,
        host: "api.mypurecloud.ie",
        path_and_query: "/api/v2/users/me",
        authorization: None,
        body: None,
    };
    let mut peer = Peer::from_fuzz(data);
    let mut head = [0u8; 512];
    let mut body = [0u8; 256];
    if let Ok(response) = block_on(http::exchange(&mut peer, &request, &mut head, &mut body)) {
        assert!(response.body.len() <= 256);
        assert!(
            (100..=599).contains(&response.status),
            "{}",
            response.status
        );
    }
});
