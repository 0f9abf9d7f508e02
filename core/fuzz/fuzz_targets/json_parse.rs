//! The JSON reader must never panic, and everything it accepts must read back consistently:
//! every accessor works on every accepted document, and decoding agrees with comparing.
#![no_main]

use core::fmt::Write;

use genesys_notify_core::json::{self, Value};
use libfuzzer_sys::fuzz_target;

/// Discards what is written; `Display` impls must run to completion without panicking.
struct Sink;

impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fn walk(value: Value<'_>) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::Number(n) => {
            let _ = (n.as_u64(), n.as_i64(), n.as_text());
        }
        Value::String(s) => {
            let mut buf = [0u8; 512];
            match s.decode_into(&mut buf) {
                Ok(decoded) => {
                    assert_eq!(decoded.len(), s.decoded_len());
                    assert!(s.eq_str(decoded));
                    assert!(s.eq_ignore_ascii_case(decoded));
                    if let Some(plain) = s.as_plain() {
                        assert_eq!(plain, decoded);
                    }
                }
                Err(e) => assert_eq!(e.needed, s.decoded_len()),
            }
            let _ = write!(Sink, "{s} {s:?}");
            let _ = value.as_u64();
        }
        Value::Array(a) => {
            assert_eq!(a.is_empty(), a.iter().next().is_none());
            a.iter().for_each(walk);
        }
        Value::Object(o) => {
            assert_eq!(o.is_empty(), o.iter().next().is_none());
            for (key, member) in o.iter() {
                let mut buf = [0u8; 128];
                if let Ok(name) = key.decode_into(&mut buf) {
                    // The first member of that name is found, by exact and by case-blind lookup.
                    assert!(o.get(name).is_some());
                    assert!(o.get_ignore_case(name).is_some());
                }
                walk(member);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match json::parse(data) {
        Ok(value) => {
            let _ = value.kind();
            walk(value);
        }
        Err(e) => {
            let _ = write!(Sink, "{e}");
        }
    }
});
