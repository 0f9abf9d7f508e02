//! Proves the core links into a bare-metal binary that has **no global allocator**.
//!
//! Building a library for `riscv32imc-unknown-none-elf` shows the core compiles without `std`;
//! it does not show that nothing pulls in `alloc` — only linking a final binary with no
//! `#[global_allocator]` does: any use of `alloc` would leave `__rust_alloc` undefined here.
//! The binary drives a whole session on bytes it cannot predict (`black_box`) so the code
//! under test is really linked, not optimised away. It is never flashed.
#![no_std]
#![no_main]

use core::hint::black_box;
use genesys_notify_core::region::Environment;
use genesys_notify_core::session::{Config, RequestId, Session, SocketId, TokenKind};
use genesys_notify_core::{Duration, Instant};

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let environment = Environment::parse(black_box("eu-west-1"));
    let Ok(environment) = environment else { halt() };
    let config = Config::new(environment, TokenKind::ClientCredentials).random_seed(black_box(7));
    let Ok(mut session) =
        Session::<1>::new(config, &[black_box("8a5b1f7c-1d2e-4f00-9a1b-0c2d3e4f5a6b")])
    else {
        halt()
    };
    let mut buf = [0u8; 2048];
    let mut now = Instant::ZERO;
    loop {
        while let Some(transmit) = session.poll_transmit(now, &mut buf) {
            black_box(&transmit);
        }
        while let Some(event) = session.poll_event() {
            black_box(&event);
        }
        let input: &[u8] = black_box(
            br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
        );
        session.handle_token(now, Duration::from_hours(24));
        session.handle_response(
            now,
            RequestId::from_raw(black_box(1)),
            black_box(200),
            None,
            input,
        );
        let inbound = session.handle_socket_frame(now, SocketId::from_raw(black_box(1)), input);
        black_box(&inbound);
        now = session
            .poll_timeout()
            .unwrap_or(now + Duration::from_secs(1));
        session.handle_timeout(now);
    }
}

fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    halt()
}
