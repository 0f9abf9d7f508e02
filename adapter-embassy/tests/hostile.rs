//! Arbitrary bytes from the network never make the HTTP or WebSocket layers panic: thousands of
//! generated inputs, shaped like the real thing often enough to reach deep into the parsers.

use embassy_futures::block_on;
use embedded_io_async::{ErrorType, Read, Write};
use genesys_notify_embassy::http::{self, Method, Request};
use genesys_notify_embassy::ws::{Message, WsReader};

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The peer: reads come from a script in small pieces; writes go nowhere.
struct Peer<'a> {
    input: &'a [u8],
    piece: usize,
}

impl ErrorType for Peer<'_> {
    type Error = embedded_io_async::ErrorKind;
}

impl Read for Peer<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.piece).min(self.input.len());
        let (now, later) = self.input.split_at(n);
        buf[..n].copy_from_slice(now);
        self.input = later;
        Ok(n)
    }
}

impl Write for Peer<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// WebSocket frame headers worth starting from: text, continuation, ping, close, 16- and
/// 64-bit lengths, a masked frame.
const FRAME_STARTS: [&[u8]; 6] = [
    &[0x81, 0x05],
    &[0x01, 0x03],
    &[0x89, 0x7d],
    &[0x88, 0x02, 0x03],
    &[0x81, 0x7e, 0x01, 0x00],
    &[0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0x10, 0],
];

#[test]
fn arbitrary_websocket_streams_end_in_messages_or_errors_never_panics() {
    for seed in 1..3_000u64 {
        let mut noise = Bytes(seed);
        let mut input = FRAME_STARTS[(seed % 6) as usize].to_vec();
        let len = (noise.next() % 400) as usize;
        input.extend(noise.fill(len));
        let mut peer = Peer {
            input: &input,
            piece: 1 + (seed % 7) as usize,
        };
        let mut buf = [0u8; 64];
        let mut reader = WsReader::new(&mut buf);
        block_on(async {
            for _ in 0..64 {
                match reader.next(&mut peer).await {
                    Ok(Message::Text(t) | Message::Binary(t)) => assert!(t.len() <= 64),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
    }
}

const RESPONSE_STARTS: [&[u8]; 4] = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: ",
    b"HTTP/1.1 ",
];

#[test]
fn arbitrary_http_responses_end_in_a_response_or_an_error_never_panics() {
    let request = Request {
        method: Method::Get,
        host: "api.example",
        path_and_query: "/api/v2/users/me",
        authorization: None,
        body: None,
    };
    for seed in 1..3_000u64 {
        let mut noise = Bytes(seed);
        let mut input = RESPONSE_STARTS[(seed % 4) as usize].to_vec();
        let len = (noise.next() % 300) as usize;
        // Mostly printable, so that header and chunk-size parsers get past their first byte.
        input.extend(
            noise
                .fill(len)
                .into_iter()
                .map(|b| if b % 5 == 0 { b } else { b % 64 + 32 }),
        );
        let mut peer = Peer {
            input: &input,
            piece: 1 + (seed % 11) as usize,
        };
        let mut head = [0u8; 256];
        let mut body = [0u8; 64];
        let outcome = block_on(http::exchange(&mut peer, &request, &mut head, &mut body));
        if let Ok(response) = outcome {
            assert!(response.body.len() <= 64);
        }
    }
}
