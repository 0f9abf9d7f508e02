use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::*;

const CONFIG: &str = r#"
heartbeat_ms = 40

[org]
id = "file-org"
name = "Org from a file"

[[roles]]
name = "Watcher"
permissions = ["conversation:communication:view"]

[[users]]
id = "u-1"
name = "Ada Agent"
roles = ["Watcher"]

[[clients]]
id = "svc"
secret = "svc-secret"
grant = "client_credentials"
roles = ["Watcher"]
"#;

#[tokio::test]
async fn the_program_serves_the_org_of_its_config_file() {
    let path = std::env::temp_dir().join(format!("genesys-sim-test-{}.toml", std::process::id()));
    std::fs::write(&path, CONFIG).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-sim"))
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("a line");
        if let Some(rest) = line.strip_prefix("genesys-sim serving ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let token: Value = http()
        .post(format!("{base}/oauth/token"))
        .basic_auth("svc", Some("svc-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = http()
        .get(format!("{base}/api/v2/tokens/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["organization"]["id"], "file-org");
    child.kill().await.unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn the_program_refuses_an_unknown_argument_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_genesys-sim"))
        .arg("--frobnicate")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: genesys-sim"));
}
