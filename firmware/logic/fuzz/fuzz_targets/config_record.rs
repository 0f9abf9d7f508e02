//! A settings record as read back from flash (a record id and value bytes, possibly damaged or
//! written by another firmware): never a panic, and what is accepted survives its own encoding
//! (encode, load into fresh settings, and the value reads back the same).
#![no_main]

use desk_light_logic::config::{Config, MAX_VALUE_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&id, value)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    let Ok(key) = config.load(id, value) else {
        return;
    };
    let mut buf = [0u8; MAX_VALUE_LEN];
    let len = config
        .encode(key, &mut buf)
        .expect("an accepted value fits the largest record");
    let mut again = Config::default();
    let reloaded = again
        .load(id, &buf[..len])
        .expect("an encoded value loads again");
    assert_eq!(reloaded, key);
    let mut first = String::new();
    let mut second = String::new();
    config.write_value(key, &mut first).expect("a String");
    again.write_value(key, &mut second).expect("a String");
    assert_eq!(first, second);
    assert_eq!(config.is_set(key), again.is_set(key));
});
