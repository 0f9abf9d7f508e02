//! Shared helpers of the host tests.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

pub mod logs;
pub mod net;
pub mod pki;
pub mod raw;
pub mod status;
