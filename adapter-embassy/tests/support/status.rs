//! Waiting on a runner's status, as the LED task would read it.

use std::time::Duration as StdDuration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use genesys_notify_embassy::{Client, Status};

/// The longest any step of a scenario may take before the test fails (a reconnection to a
/// broker that came back waits at most a few back-off steps: 1, 2, 4 s).
pub const PATIENCE: StdDuration = StdDuration::from_secs(20);

/// Waits until the client's (or the light's) status satisfies `wanted`, or fails the test after [`PATIENCE`].
pub async fn until(
    client: &Client<'_, NoopRawMutex>,
    what: &str,
    wanted: impl Fn(&Status) -> bool,
) -> Status {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let status = client.status();
        if wanted(&status) {
            return status;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if tokio::time::timeout(left.min(StdDuration::from_millis(50)), client.changed())
            .await
            .is_err()
            && left.is_zero()
        {
            panic!("timed out waiting for {what}; last status {status:?}");
        }
    }
}
