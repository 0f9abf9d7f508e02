//! Proves the embassy runner links into a bare-metal binary with **no global allocator**, and
//! measures the code it adds to an image that already has the embassy-net stack.
//!
//! Build twice for `riscv32imc-unknown-none-elf` in release (`opt-level = "s"`, LTO), with and
//! without the `runner` feature, and compare `.text`/`.rodata`; `measure.sh` beside this file
//! does exactly that. The network driver, clock, RNG and critical section are stand-ins that
//! are never run: the binary is linked, not flashed. Futures are polled once with a no-op waker
//! so that everything they reach is really linked.
#![no_std]
#![no_main]

use core::future::Future;
use core::hint::black_box;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embassy_net::{Config, StackResources};
use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};

/// A network device that never receives and never transmits.
struct NoDevice;

struct NoToken;

impl embassy_net_driver::RxToken for NoToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(&mut [])
    }
}

impl embassy_net_driver::TxToken for NoToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _len: usize, f: F) -> R {
        f(&mut [])
    }
}

impl embassy_net_driver::Driver for NoDevice {
    type RxToken<'a> = NoToken;
    type TxToken<'a> = NoToken;

    fn receive(&mut self, _cx: &mut Context) -> Option<(NoToken, NoToken)> {
        black_box(None)
    }
    fn transmit(&mut self, _cx: &mut Context) -> Option<NoToken> {
        black_box(None)
    }
    fn link_state(&mut self, _cx: &mut Context) -> LinkState {
        black_box(LinkState::Up)
    }
    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::default();
        capabilities.max_transmission_unit = 1514;
        capabilities
    }
    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet([2, 0, 0, 0, 0, 1])
    }
}

/// A clock that stands still.
struct Still;

impl embassy_time_driver::Driver for Still {
    fn now(&self) -> u64 {
        black_box(0)
    }
    fn schedule_wake(&self, at: u64, waker: &Waker) {
        black_box((at, waker));
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: Still = Still);

/// A critical section for one core that never runs anything concurrently.
struct OneCore;

// SAFETY: the binary is never run; and on one core with no interrupts there is nothing to exclude.
unsafe impl critical_section::Impl for OneCore {
    unsafe fn acquire() -> bool {
        false
    }
    unsafe fn release(_: bool) {}
}

critical_section::set_impl!(OneCore);

fn poll_once<F: Future>(future: F) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let _ = black_box(matches!(future.as_mut().poll(&mut cx), Poll::Ready(_)));
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let mut resources = StackResources::<5>::new();
    let (stack, mut net_runner) =
        embassy_net::new(NoDevice, Config::default(), &mut resources, black_box(7));
    poll_once(net_runner.run());
    #[cfg(feature = "runner")]
    with_runner(stack);
    black_box(stack);
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(feature = "runner")]
fn with_runner(stack: embassy_net::Stack<'_>) {
    use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    use genesys_notify_core::region::Environment;
    use genesys_notify_embassy::{
        Buffers, ClientState, Credentials, EmbassyNetwork, Resources, Runner, Settings,
        TrustAnchors, UnixTime, WallClock,
    };

    /// Not random at all: never run.
    struct Counter(u64);
    impl rand_core::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(black_box(1));
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.iter_mut().for_each(|b| *b = self.next_u64() as u8);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Counter {}

    struct Clock;
    impl WallClock for Clock {
        fn now(&self) -> Option<UnixTime> {
            Some(UnixTime::from_secs(black_box(1_900_000_000)))
        }
    }

    // Opaque to the optimiser: every path through the runner stays linked.
    let root: &[u8] = black_box(&[]);
    let roots = [root];
    let Ok(trust) = TrustAnchors::new(&roots) else {
        return;
    };
    let Ok(environment) = Environment::parse(black_box("eu-west-1")) else {
        return;
    };
    let state = ClientState::<NoopRawMutex>::new();
    let mut buffers = Buffers::new();
    let settings = Settings {
        environment,
        credentials: Credentials::ClientCredentials {
            client_id: black_box("client"),
            client_secret: black_box("secret").into(),
        },
        trust,
        agent: black_box("0d8a6c3e-1f42-4b7e-9a51-6c2d8e4f7a10"),
    };
    let resources = Resources {
        network: EmbassyNetwork::new(stack),
        clock: Clock,
        rng: Counter(0),
        client: &state,
        buffers: &mut buffers,
    };
    let runner = Runner::new(settings, resources, |config| config);
    if let Ok(mut runner) = runner {
        poll_once(runner.run());
        poll_once(state.client().changed());
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
