//! ISO 8601 timestamps as Genesys writes them (`2022-07-04T20:04:12.131Z`: UTC, milliseconds).

use std::time::SystemTime;

/// Formats a wall-clock time the way Genesys does.
pub(crate) fn iso(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_a_zulu_suffix() {
        let t = UNIX_EPOCH + Duration::from_millis(1_656_965_052_131);
        assert_eq!(iso(t), "2022-07-04T20:04:12.131Z");
    }
}
