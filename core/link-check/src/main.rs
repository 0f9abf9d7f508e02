//! Proves the core links into a bare-metal binary that has **no global allocator**.
//!
//! Building a library for `riscv32imc-unknown-none-elf` shows the core compiles without `std`;
//! it does not show that nothing pulls in `alloc` — only linking a final binary with no
//! `#[global_allocator]` does: any use of `alloc` would leave `__rust_alloc` undefined here.
//! The binary drives the core's parsing on bytes it cannot predict (`black_box`) so the code
//! under test is really linked, not optimised away. It is never flashed.
#![no_std]
#![no_main]

use core::hint::black_box;
use genesys_notify_core::json;

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let frame: &[u8] = black_box(br#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#);
    let ok = json::parse(frame).is_ok();
    black_box(ok);
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
