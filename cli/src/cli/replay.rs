//! `genesys-notify replay`: recorded frames through the core's parser and agent model.
//!
//! Nothing here interprets a frame: each goes to `event::parse` and `Agent::handle_event`
//! exactly as the live client feeds them, so a recording reproduces what the light showed.

use std::io::{Read, Write};

use crate::output::{event_topic, frame_topic};
use genesys_notify::core::agent::Agent;
use genesys_notify::core::{event, json};
use serde_json::json;

use super::{Exit, ReplayArgs, usage_error};

/// Runs the command.
pub async fn run(args: ReplayArgs) -> Exit {
    let mut agent = match Agent::new(&args.user) {
        Ok(agent) => agent,
        Err(e) => return usage_error(format_args!("--user {:?}: {e}", args.user)),
    };
    let input = match read_input(args.file.as_deref()) {
        Ok(input) => input,
        Err(e) => return usage_error(e),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for frame in frames(&input) {
        let line = match event::parse(frame) {
            Ok(event) => {
                agent.handle_event(&event);
                json!({
                    "topic": event_topic(&event),
                    "kind": event.kind(),
                    "activity": agent.activity().as_str(),
                })
            }
            Err(e) => json!({
                "topic": frame_topic(frame),
                "kind": "invalid",
                "activity": agent.activity().as_str(),
                "error": e.to_string(),
            }),
        };
        if writeln!(out, "{line}").is_err() {
            // stdout was closed (e.g. piped into `head`): nobody is reading any more.
            return Exit::Success;
        }
    }
    Exit::Success
}

fn read_input(file: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            input =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut input)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
        }
    }
    Ok(input)
}

/// The frames of an input: the whole input if it is one JSON value, else its non-blank lines.
///
/// A document that opens with a lone `{` or `[` line is pretty-printed: no JSON Lines record
/// can be a lone bracket, so such an input is one frame even when it is broken, and reads as
/// one invalid frame rather than as a line-by-line cascade of errors.
fn frames(input: &[u8]) -> Vec<&[u8]> {
    let whole = input.trim_ascii();
    let mut lines = input
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
        .peekable();
    let pretty_printed = matches!(lines.peek(), Some(&(b"{" | b"[")));
    if pretty_printed || json::parse(whole).is_ok() {
        return vec![whole];
    }
    lines.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pretty_printed_document_is_one_frame() {
        let input = b"{\n  \"topicName\": \"channel.metadata\",\n  \"eventBody\": {}\n}\n";
        assert_eq!(frames(input).len(), 1);
    }

    #[test]
    fn a_broken_pretty_printed_document_is_one_invalid_frame() {
        let input = b"{\n  \"topicName\": \"v2.users.x.activity\",\n  \"eventBody\": {\n}\n";
        assert_eq!(frames(input), [input.trim_ascii()]);
    }

    #[test]
    fn json_lines_are_one_frame_per_non_blank_line() {
        let input = b"{\"a\":1}\n\n{\"b\":2}\r\nnot json\n";
        assert_eq!(
            frames(input),
            [&b"{\"a\":1}"[..], &b"{\"b\":2}"[..], &b"not json"[..]]
        );
    }
}
