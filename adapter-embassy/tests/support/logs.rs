//! Every log line of a test binary, at every level (embedded-tls's included), for the tests that
//! look for secrets in them.

use std::sync::Mutex;

struct Recorder(Mutex<Vec<String>>);

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{} {}", record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder(Mutex::new(Vec::new()));

/// Records every log line of this test binary from now on (the first call installs the logger;
/// later calls find it in place).
pub fn record_all() {
    let _ = log::set_logger(&RECORDER);
    log::set_max_level(log::LevelFilter::Trace);
}

/// Every line recorded so far, as `target message`.
pub fn lines() -> Vec<String> {
    RECORDER.0.lock().expect("log lines").clone()
}
