//! Frames the client sends on the notification socket.
//!
//! Only three exist: `subscribe` and `unsubscribe` (a list of topics and a correlation id; the
//! server's reply names no topic, and whether it echoes the id is not documented), and `ping`,
//! the optional health check answered by a `pong` on `channel.metadata`:
//!
//! ```text
//! {"message":"subscribe","topics":["v2.users.{id}?presence&routingStatus"],"correlationId":"c-1"}
//! {"message":"unsubscribe","topics":["v2.users.{id}.presence"],"correlationId":"c-2"}
//! {"message":"ping"}
//! ```
//!
//! The socket carries no credentials: no token, no client id. Nothing here takes one.
//!
//! Encoders write into a buffer the caller owns and return the length written; a buffer that
//! is too small yields [`BufferTooSmall`] with the exact size needed, so a driver can size its
//! transmit buffer once (or call with an empty buffer to ask). Topics arrive already validated
//! ([`AsTopic`]); the correlation id comes from the caller and is JSON-escaped.

use crate::json::{BufferTooSmall, Writer};
use crate::topic::AsTopic;

/// The `ping` frame, byte for byte.
pub const PING: &str = r#"{"message":"ping"}"#;

/// Writes `{"message":"subscribe","topics":[…],"correlationId":"…"}` into `buf`.
///
/// Returns the number of bytes written. The topics are sent as given: pack them first
/// ([`crate::topic::pack`]) to keep the frame small.
///
/// ```
/// use genesys_notify_core::frame::encode_subscribe;
/// use genesys_notify_core::topic::Topic;
///
/// let topics = [Topic::parse("v2.users.8a5b?presence&routingStatus").unwrap()];
/// let mut buf = [0u8; 128];
/// let n = encode_subscribe(&topics, "c-1", &mut buf).unwrap();
/// assert_eq!(
///     &buf[..n],
///     br#"{"message":"subscribe","topics":["v2.users.8a5b?presence&routingStatus"],"correlationId":"c-1"}"#
/// );
/// ```
pub fn encode_subscribe<T: AsTopic>(
    topics: &[T],
    correlation_id: &str,
    buf: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    encode_topics("subscribe", topics, correlation_id, buf)
}

/// Writes `{"message":"unsubscribe","topics":[…],"correlationId":"…"}` into `buf`.
///
/// Returns the number of bytes written.
pub fn encode_unsubscribe<T: AsTopic>(
    topics: &[T],
    correlation_id: &str,
    buf: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    encode_topics("unsubscribe", topics, correlation_id, buf)
}

/// Writes `{"message":"ping"}` into `buf` and returns its length.
pub fn encode_ping(buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    w.raw(PING);
    w.finish()
}

fn encode_topics<T: AsTopic>(
    message: &str,
    topics: &[T],
    correlation_id: &str,
    buf: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    w.raw(r#"{"message":"#)
        .string(message)
        .raw(r#","topics":["#);
    for (i, topic) in topics.iter().enumerate() {
        if i > 0 {
            w.raw(",");
        }
        w.string(topic.as_topic().as_str());
    }
    w.raw(r#"],"correlationId":"#)
        .string(correlation_id)
        .raw("}");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::topic::{Topic, TopicBuf, UserTopicKind};

    fn topic(text: &str) -> Topic<'_> {
        match Topic::parse(text) {
            Ok(t) => t,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn written(buf: &[u8], n: Result<usize, BufferTooSmall>) -> &str {
        let n = match n {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        buf.get(..n)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    #[test]
    fn a_subscribe_frame_lists_the_topics_and_the_correlation_id() {
        let topics = [
            topic("v2.users.a.presence"),
            topic("v2.users.b?activity&conversations"),
        ];
        let mut buf = [0u8; 256];
        let n = encode_subscribe(&topics, "corr-1", &mut buf);
        assert_eq!(
            written(&buf, n),
            r#"{"message":"subscribe","topics":["v2.users.a.presence","v2.users.b?activity&conversations"],"correlationId":"corr-1"}"#
        );
    }

    #[test]
    fn an_unsubscribe_frame_has_the_same_shape() {
        let topics = [topic("v2.routing.queues.q.users")];
        let mut buf = [0u8; 256];
        let n = encode_unsubscribe(&topics, "corr-2", &mut buf);
        assert_eq!(
            written(&buf, n),
            r#"{"message":"unsubscribe","topics":["v2.routing.queues.q.users"],"correlationId":"corr-2"}"#
        );
    }

    #[test]
    fn an_empty_topic_list_is_an_empty_array() {
        let none: [Topic<'_>; 0] = [];
        let mut buf = [0u8; 128];
        let n = encode_subscribe(&none, "c", &mut buf);
        assert_eq!(
            written(&buf, n),
            r#"{"message":"subscribe","topics":[],"correlationId":"c"}"#
        );
    }

    #[test]
    fn the_ping_frame_is_exactly_the_documented_text() {
        let mut buf = [0u8; 32];
        let n = encode_ping(&mut buf);
        assert_eq!(written(&buf, n), r#"{"message":"ping"}"#);
    }

    #[test]
    fn correlation_ids_are_json_escaped() {
        let topics = [topic("v2.users.a.presence")];
        let mut buf = [0u8; 256];
        let n = encode_subscribe(&topics, "a\"b\\c\nd\u{1}", &mut buf);
        let text = written(&buf, n);
        assert!(
            text.ends_with(r#""correlationId":"a\"b\\c\nd\u0001"}"#),
            "{text}"
        );
        let parsed = json::parse(text.as_bytes());
        let id = parsed
            .ok()
            .and_then(|v| v.as_object())
            .and_then(|o| o.get("correlationId"))
            .and_then(|v| v.as_str());
        assert!(id.is_some_and(|s| s.eq_str("a\"b\\c\nd\u{1}")));
    }

    #[test]
    fn frames_parse_back_to_what_was_encoded() {
        let topics = [
            TopicBuf::user("u1", UserTopicKind::RoutingStatus),
            TopicBuf::user("u1", UserTopicKind::ConversationSummary),
        ];
        let topics: [TopicBuf; 2] = match topics {
            [Ok(a), Ok(b)] => [a, b],
            _ => panic!("builders failed"),
        };
        let mut buf = [0u8; 256];
        let n = encode_subscribe(&topics, "c-9", &mut buf);
        let text = written(&buf, n);
        let Some(frame) = json::parse(text.as_bytes())
            .ok()
            .and_then(|v| v.as_object())
        else {
            panic!("not a JSON object: {text}");
        };
        assert!(
            frame
                .get("message")
                .and_then(|v| v.as_str())
                .is_some_and(|s| s.eq_str("subscribe"))
        );
        let sent = frame.get("topics").and_then(|v| v.as_array());
        let names = sent.map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().and_then(|s| s.as_plain()))
                .zip(topics.iter())
                .all(|(got, want)| got == want.as_str())
        });
        assert_eq!(names, Some(true));
        assert_eq!(sent.map(|a| a.iter().count()), Some(2));
    }

    #[test]
    fn a_small_buffer_reports_exactly_the_size_needed() {
        let topics = [topic("v2.users.a.presence")];
        let mut big = [0u8; 256];
        let Ok(len) = encode_subscribe(&topics, "c", &mut big) else {
            panic!("256 bytes should do");
        };
        let mut exact = [0u8; 256];
        let exact = exact.get_mut(..len).unwrap_or_default();
        assert_eq!(encode_subscribe(&topics, "c", exact), Ok(len));
        let mut short = [0u8; 256];
        let short = short.get_mut(..len - 1).unwrap_or_default();
        let err = encode_subscribe(&topics, "c", short);
        assert_eq!(err.map_err(|e| e.needed), Err(len));
    }

    #[test]
    fn an_empty_buffer_answers_how_large_a_frame_will_be() {
        let topics = [topic("v2.users.a.presence")];
        let needed = encode_unsubscribe(&topics, "c", &mut []).map_err(|e| e.needed);
        let mut buf = [0u8; 256];
        assert_eq!(
            needed,
            Err(encode_unsubscribe(&topics, "c", &mut buf).unwrap_or(0))
        );
        assert_eq!(encode_ping(&mut []).map_err(|e| e.needed), Err(PING.len()));
    }
}
