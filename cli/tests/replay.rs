//! `genesys-notify replay`, run as a user would: the real payloads in `testdata/genesys/`,
//! JSON Lines on standard input, and frames that are not notifications at all.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/genesys")
        .join(name)
}

fn replay(user: &str, file: Option<&PathBuf>, stdin: &[u8]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genesys-notify"));
    command.args(["replay", "--user", user]);
    if let Some(file) = file {
        command.arg(file);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("stdin accepts the input");
    child.wait_with_output().expect("the binary exits")
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every output line is JSON"))
        .collect()
}

#[test]
fn a_captured_acw_conversation_puts_the_agent_in_wrap_up() {
    let file = testdata("event_v2_users_conversations_callback_acw__maamoon95-e2e.json");
    let output = replay("AGENT_USER_ID", Some(&file), b"");
    assert!(output.status.success());
    let lines = lines(&output);
    assert_eq!(lines.len(), 1, "a pretty-printed document is one frame");
    assert_eq!(lines[0]["topic"], "v2.users.AGENT_USER_ID.conversations");
    assert_eq!(lines[0]["kind"], "conversation");
    assert_eq!(lines[0]["activity"], "wrap_up");
}

#[test]
fn a_heartbeat_is_reported_on_channel_metadata_and_changes_nothing() {
    let file = testdata("heartbeat_channel_metadata__koodaamo-genesys-notifications-readme.json");
    let lines = lines(&replay("u-1", Some(&file), b""));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["topic"], "channel.metadata");
    assert_eq!(lines[0]["kind"], "heartbeat");
    assert_eq!(lines[0]["activity"], "unknown");
}

#[test]
fn topics_the_core_does_not_model_are_other() {
    let file = testdata("event_v2_conversations_chats_members__go-gcloudcx-testdata.json");
    let lines = lines(&replay("u-1", Some(&file), b""));
    assert_eq!(lines[0]["kind"], "other");
    assert_eq!(
        lines[0]["topic"],
        "v2.conversations.chats.aa06a6fc-1fdf-4e59-b8a1-df3ca44f523e.members"
    );
}

#[test]
fn json_lines_on_stdin_are_replayed_in_order_and_invalid_lines_do_not_stop_it() {
    let input = concat!(
        r#"{"topicName":"v2.users.u-1.presence","eventBody":{"presenceDefinition":{"systemPresence":"Available"}}}"#,
        "\n",
        "this is not json\n",
        "[1,2,3]\n",
        r#"{"result":"200","status":"subscribed"}"#,
        "\n",
        r#"{"topicName":"v2.users.u-1.routingStatus","eventBody":{"routingStatus":{"status":"IDLE"}}}"#,
        "\n",
    );
    let output = replay("u-1", None, input.as_bytes());
    assert!(output.status.success());
    let lines = lines(&output);
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["presence", "invalid", "invalid", "reply", "routing_status"]
    );
    assert_eq!(lines[0]["activity"], "available");
    assert!(lines[1]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(lines[2]["error"].as_str().is_some());
    assert_eq!(lines[3]["topic"], Value::Null);
    assert_eq!(lines[4]["activity"], "on_queue");
}

#[test]
fn a_published_payload_that_is_not_json_gives_invalid_lines_and_success() {
    let file = testdata("event_v2_users_activity__devcenter-blog-cli-with-powershell.json");
    let output = replay("u-1", Some(&file), b"");
    assert!(output.status.success());
    let lines = lines(&output);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["kind"] == "invalid"));
}

#[test]
fn an_unreadable_file_is_a_usage_error() {
    let missing = PathBuf::from("/nonexistent/frames.jsonl");
    let output = replay("u-1", Some(&missing), b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}
