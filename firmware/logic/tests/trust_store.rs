//! The root certificates the firmware compiles in (`firmware/certs/`): every one is readable by
//! the TLS layer that will verify Genesys' chains with them, and every one is compiled in. A
//! damaged or forgotten root is found here, not at a light's first handshake.

use std::fs;
use std::path::Path;

use genesys_notify_embassy::TrustAnchors;

fn certs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs");
    let mut certs: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .expect("firmware/certs exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "der"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    certs.sort();
    certs
}

#[test]
fn every_bundled_root_is_readable_by_the_tls_layer() {
    let certs = certs();
    assert!(!certs.is_empty());
    for (name, der) in &certs {
        let one: [&[u8]; 1] = [der];
        assert!(TrustAnchors::new(&one).is_ok(), "{name} is unreadable");
    }
    let all: Vec<&[u8]> = certs.iter().map(|(_, der)| der.as_slice()).collect();
    assert!(TrustAnchors::new(&all).is_ok());
}

#[test]
fn every_bundled_root_is_compiled_into_the_firmware() {
    let session =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/session.rs"))
            .expect("firmware/src/session.rs exists");
    for (name, _) in certs() {
        assert!(
            session.contains(&format!("include_bytes!(\"../certs/{name}\")")),
            "{name} is in certs/ but not in the firmware's ROOTS"
        );
    }
}

#[test]
fn a_damaged_root_is_refused() {
    let (_, der) = certs().remove(0);
    let cut = &der[..der.len() / 2];
    let one: [&[u8]; 1] = [cut];
    assert!(TrustAnchors::new(&one).is_err());
}
