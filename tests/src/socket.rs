//! The streaming endpoint: `GET /channels/{id}` upgraded to a WebSocket.
//!
//! The channel id is the only credential: no token is needed, and one offered in the URL or a
//! header is ignored (the request log flags a token in the URL). Each socket is one task that
//! selects over its command queue (events, faults), the client's frames and the heartbeat timer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame};

use crate::error::ApiError;
use crate::faults::Malformed;
use crate::log::{Direction, FrameKind, SocketEnd};
use crate::state::{ConnControl, Shared, SocketSlot, touch};
use crate::subscriptions::{Change, apply};

/// The heartbeat frame, exactly as Genesys sends it. \[doc\]/\[seen\]
pub const HEARTBEAT: &str =
    r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
/// The reply to `{"message":"ping"}`. \[doc\]
pub const PONG: &str = r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;

/// How long the simulator waits for the client's close reply before dropping the connection.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What the rest of the simulator asks of a socket task.
#[derive(Debug)]
pub(crate) enum SocketCommand {
    /// Send this text frame (an event envelope).
    Text(String),
    /// Send a close frame and end.
    Close { code: u16, reason: &'static str },
    /// End with a TCP reset.
    Reset,
    /// Send `v2.system.socket_closing`, then close after the configured lead.
    SocketClosing,
    /// Turn heartbeats off or on.
    Heartbeats(bool),
    /// Send a broken frame.
    Malformed(Malformed),
    /// Send an event envelope of this many bytes.
    Oversized(usize),
}

fn header_is(req: &Request, name: header::HeaderName, expected: &str) -> bool {
    req.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// `GET /channels/{id}`: the WebSocket upgrade.
pub(crate) async fn connect(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    mut req: Request,
) -> Response {
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()));
    let is_upgrade = header_is(&req, header::CONNECTION, "upgrade")
        && header_is(&req, header::UPGRADE, "websocket")
        && header_is(&req, header::SEC_WEBSOCKET_VERSION, "13");
    let Some(accept) = key.filter(|_| is_upgrade) else {
        return ApiError::bad_request("This endpoint only accepts WebSocket (version 13) upgrades")
            .into_response();
    };
    let control = req
        .extensions()
        .get::<Arc<ConnControl>>()
        .cloned()
        .unwrap_or_default();
    let (tx, rx) = unbounded_channel();
    let socket_id = shared.next_socket_id();
    {
        let mut state = shared.lock();
        let Some(channel) = state.channels.get_mut(&id) else {
            return ApiError::not_found(format!("Channel {id} was not found")).into_response();
        };
        let previous = channel.socket.replace(SocketSlot {
            id: socket_id,
            tx,
            control: Arc::clone(&control),
        });
        if let Some(previous) = previous {
            // One socket per channel: the newcomer wins. The old task may already be gone.
            let _ = previous.tx.send(SocketCommand::Close {
                code: 1000,
                reason: "replaced by a new connection",
            });
        }
        touch(channel);
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    let task_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                Socket {
                    shared: task_shared,
                    channel_id: id,
                    socket_id,
                    control,
                }
                .run(ws, rx)
                .await;
            }
            Err(_) => unregister(&task_shared, &id, socket_id),
        }
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(value) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

fn unregister(shared: &Shared, channel_id: &str, socket_id: u64) {
    let mut state = shared.lock();
    if let Some(channel) = state.channels.get_mut(channel_id)
        && channel.socket.as_ref().is_some_and(|s| s.id == socket_id)
    {
        channel.socket = None;
    }
}

type Io = TokioIo<hyper::upgrade::Upgraded>;
type Sink = SplitSink<WebSocketStream<Io>, Message>;
type Source = SplitStream<WebSocketStream<Io>>;

struct Socket {
    shared: Arc<Shared>,
    channel_id: String,
    socket_id: u64,
    control: Arc<ConnControl>,
}

impl Socket {
    fn record(&self, direction: Direction, kind: FrameKind, text: String) {
        self.shared
            .log
            .frame(&self.channel_id, self.socket_id, direction, kind, text);
    }

    async fn send_text(&self, sink: &mut Sink, text: String) -> bool {
        self.record(Direction::Out, FrameKind::Text, text.clone());
        sink.send(Message::text(text)).await.is_ok()
    }

    async fn close(
        &self,
        sink: &mut Sink,
        source: &mut Source,
        code: u16,
        reason: &'static str,
    ) -> SocketEnd {
        self.record(Direction::Out, FrameKind::Close, format!("{code} {reason}"));
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            // Give the client a moment to answer the close handshake; never wait longer.
            let _ = tokio::time::timeout(CLOSE_GRACE, async {
                while let Some(Ok(m)) = source.next().await {
                    if matches!(m, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
        SocketEnd::ClosedByServer(code)
    }

    async fn run(self, ws: WebSocketStream<Io>, mut commands: UnboundedReceiver<SocketCommand>) {
        self.shared
            .log
            .socket(&self.channel_id, self.socket_id, None);
        let (mut sink, mut source) = ws.split();
        let interval = self.shared.timing.heartbeat_interval;
        let mut heartbeat = tokio::time::interval_at(Instant::now() + interval, interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut heartbeats = self.shared.faults.heartbeats_enabled();
        let mut closing_at: Option<Instant> = None;
        let mut maintenance_at = self
            .shared
            .timing
            .maintenance_after
            .map(|age| Instant::now() + age);
        let end = loop {
            let closing = sleep_until_some(closing_at);
            let maintenance = sleep_until_some(maintenance_at);
            // Biased: commands (events, faults) queued before a client frame or a heartbeat tick
            // are handled first, so what a test asked for happens in the order it asked.
            tokio::select! {
                biased;
                () = self.shared.cancel.cancelled() => {
                    break self.close(&mut sink, &mut source, 1001, "server shutting down").await;
                }
                () = closing => {
                    break self.close(&mut sink, &mut source, 1001, "socket closing").await;
                }
                () = maintenance => {
                    maintenance_at = None;
                    closing_at = Some(Instant::now() + self.shared.timing.socket_closing_lead);
                    if !self.send_text(&mut sink, socket_closing_frame()).await {
                        break SocketEnd::Dropped;
                    }
                }
                command = commands.recv() => match command {
                    None => break self.close(&mut sink, &mut source, 1000, "channel removed").await,
                    Some(SocketCommand::Text(text)) => {
                        if !self.send_text(&mut sink, text).await {
                            break SocketEnd::Dropped;
                        }
                    }
                    Some(SocketCommand::Close { code, reason }) => {
                        break self.close(&mut sink, &mut source, code, reason).await;
                    }
                    Some(SocketCommand::Reset) => {
                        self.control.reset_on_drop.store(true, Ordering::Relaxed);
                        break SocketEnd::Reset;
                    }
                    Some(SocketCommand::SocketClosing) => {
                        closing_at = Some(Instant::now() + self.shared.timing.socket_closing_lead);
                        if !self.send_text(&mut sink, socket_closing_frame()).await {
                            break SocketEnd::Dropped;
                        }
                    }
                    Some(SocketCommand::Heartbeats(on)) => heartbeats = on,
                    Some(SocketCommand::Malformed(kind)) => {
                        if !self.send_malformed(&mut sink, kind).await {
                            break SocketEnd::Dropped;
                        }
                    }
                    Some(SocketCommand::Oversized(bytes)) => {
                        let text = self.oversized_frame(bytes);
                        if !self.send_text(&mut sink, text).await {
                            break SocketEnd::Dropped;
                        }
                    }
                },
                message = source.next() => match message {
                    None | Some(Err(_)) => break SocketEnd::Dropped,
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.as_ref().map(|f| u16::from(f.code));
                        self.record(Direction::In, FrameKind::Close, code.map(|c| c.to_string()).unwrap_or_default());
                        // Flushes the close reply tungstenite queued; the peer may be gone already.
                        let _ = sink.close().await;
                        break SocketEnd::ClosedByClient(code);
                    }
                    Some(Ok(Message::Text(text))) => {
                        // A client that (wrongly) sends its token over the socket must not
                        // put it in the log.
                        self.record(Direction::In, FrameKind::Text, self.shared.redact(&text));
                        let reply = self.handle_client_text(&text);
                        if !self.send_text(&mut sink, reply).await {
                            break SocketEnd::Dropped;
                        }
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        self.record(Direction::In, FrameKind::Binary, format!("{} bytes", bytes.len()));
                        let reply = json!({"result": "400", "message": "Binary frames are not supported"});
                        if !self.send_text(&mut sink, reply.to_string()).await {
                            break SocketEnd::Dropped;
                        }
                    }
                    Some(Ok(Message::Ping(payload))) => {
                        self.record(Direction::In, FrameKind::Ping, format!("{} bytes", payload.len()));
                    }
                    Some(Ok(Message::Pong(payload))) => {
                        self.record(Direction::In, FrameKind::Pong, format!("{} bytes", payload.len()));
                    }
                    Some(Ok(Message::Frame(_))) => {}
                },
                _ = heartbeat.tick(), if heartbeats => {
                    if !self.send_text(&mut sink, HEARTBEAT.to_owned()).await {
                        break SocketEnd::Dropped;
                    }
                }
            }
        };
        self.shared
            .log
            .socket(&self.channel_id, self.socket_id, Some(end));
        unregister(&self.shared, &self.channel_id, self.socket_id);
    }

    /// Answers a client's text frame: `ping`, `subscribe`, `unsubscribe`, or a 400.
    fn handle_client_text(&self, text: &str) -> String {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return json!({"result": "400", "message": "The message is not valid JSON"})
                .to_string();
        };
        let correlation = message.get("correlationId").cloned();
        let with_correlation = |mut reply: Value| {
            if let Some(c) = &correlation {
                reply["correlationId"] = c.clone();
            }
            reply.to_string()
        };
        let change = match message.get("message").and_then(Value::as_str) {
            Some("ping") => return PONG.to_owned(),
            Some("subscribe") => Change::Add,
            Some("unsubscribe") => Change::Remove,
            _ => {
                return with_correlation(json!({
                    "result": "400",
                    "message": "Unknown message; expected ping, subscribe or unsubscribe",
                }));
            }
        };
        let topics: Option<Vec<String>> =
            message.get("topics").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            });
        let Some(topics) = topics else {
            return with_correlation(
                json!({"result": "400", "message": "topics must be an array of topic strings"}),
            );
        };
        let mut state = self.shared.lock();
        if !state.channels.contains_key(&self.channel_id) {
            return with_correlation(
                json!({"result": "404", "message": "The channel no longer exists"}),
            );
        }
        match apply(
            &mut state,
            &self.channel_id,
            &topics,
            change,
            false,
            self.shared.timing.channel_lifetime,
        ) {
            Ok(_) => with_correlation(json!({
                "result": "200",
                "status": if change == Change::Remove { "unsubscribed" } else { "subscribed" },
            })),
            Err(e) => {
                with_correlation(json!({"result": "400", "status": "failed", "message": e.message}))
            }
        }
    }

    async fn send_malformed(&self, sink: &mut Sink, kind: Malformed) -> bool {
        let (message, note) = match kind {
            Malformed::TruncatedJson => {
                let text = r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSo"#;
                (Message::text(text), text.to_owned())
            }
            Malformed::NotJson => (
                "<html>502 Bad Gateway</html>".into(),
                "<html>502 Bad Gateway</html>".to_owned(),
            ),
            Malformed::NotAnObject => ("[1,2,3]".into(), "[1,2,3]".to_owned()),
            Malformed::MissingTopicName => {
                let text = r#"{"version":"2","eventBody":{"id":"x"}}"#;
                (Message::text(text), text.to_owned())
            }
            Malformed::Binary => (
                Message::Binary(bytes::Bytes::from_static(b"\x00\x01\x02")),
                "binary: 3 bytes".to_owned(),
            ),
            Malformed::InvalidUtf8 => (
                Message::Frame(Frame::message(
                    bytes::Bytes::from_static(b"{\"topicName\":\"\xff\xfe\"}"),
                    OpCode::Data(Data::Text),
                    true,
                )),
                "text frame with invalid UTF-8".to_owned(),
            ),
        };
        self.record(Direction::Out, FrameKind::Raw, note);
        sink.send(message).await.is_ok()
    }

    /// A well-formed event envelope padded to exactly `bytes` bytes, on the channel's first topic.
    fn oversized_frame(&self, bytes: usize) -> String {
        let topic = self
            .shared
            .lock()
            .channels
            .get(&self.channel_id)
            .and_then(|c| c.topics.first().cloned())
            .unwrap_or_else(|| "channel.metadata".to_owned());
        let head = format!(r#"{{"topicName":"{topic}","version":"2","eventBody":{{"padding":""#);
        let tail = r#""},"metadata":{"CorrelationId":"00000000-0000-4000-8000-000000000000"}}"#;
        let padding = bytes.saturating_sub(head.len() + tail.len());
        format!("{head}{}{tail}", "x".repeat(padding))
    }
}

/// Sleeps until the instant, or forever without one.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The `v2.system.socket_closing` frame. Its body is our inference (no capture is public): the
/// envelope of every other event with a short message.
pub(crate) fn socket_closing_frame() -> String {
    json!({
        "topicName": "v2.system.socket_closing",
        "version": "2",
        "eventBody": {"message": "Socket closing for maintenance; connect a new socket"},
        "metadata": {"CorrelationId": uuid::Uuid::new_v4().to_string()},
    })
    .to_string()
}
