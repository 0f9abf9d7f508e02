//! The WebSocket layer against a tokio-tungstenite server and scripted raw peers on loopback.

mod support;

use embedded_io_adapters::tokio_1::FromTokio;
use futures_util::{SinkExt, StreamExt};
use genesys_notify_embassy::ws::{self, Message, WsError, WsReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message as TMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

type Server = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A deterministic RNG so the test knows the key and masks the client uses.
struct Counter(u8);

impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            self.0 = self.0.wrapping_add(1);
            *byte = self.0;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Starts a tungstenite server running `script` on the first connection, and a connected,
/// handshaken client socket.
async fn pair<F, Fut>(script: F) -> (FromTokio<TcpStream>, tokio::task::JoinHandle<()>)
where
    F: FnOnce(Server) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let ws = tokio_tungstenite::accept_async(socket)
            .await
            .expect("server handshake");
        script(ws).await;
    });
    let mut io = FromTokio::new(TcpStream::connect(("127.0.0.1", port)).await.expect("tcp"));
    let mut head = [0u8; 512];
    let host = format!("127.0.0.1:{port}");
    ws::handshake(
        &mut io,
        &host,
        "/channels/streaming-1-abc",
        &mut Counter(0),
        &mut head,
    )
    .await
    .expect("client handshake");
    (io, server)
}

#[tokio::test]
async fn text_flows_both_ways_after_the_handshake() {
    let (mut io, server) = pair(|mut ws| async move {
        ws.send(TMessage::text(r#"{"topicName":"channel.metadata"}"#))
            .await
            .expect("send");
        let got = ws.next().await.expect("a message").expect("valid");
        assert_eq!(
            got,
            TMessage::text(r#"{"message":"ping"}"#),
            "the masked frame decodes"
        );
    })
    .await;
    let mut buf = [0u8; 256];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(
        reader.next(&mut io).await,
        Ok(Message::Text(br#"{"topicName":"channel.metadata"}"#))
    );
    ws::send_text(&mut io, &mut Counter(7), br#"{"message":"ping"}"#)
        .await
        .expect("send");
    server.await.expect("server script");
}

#[tokio::test]
async fn fragments_are_joined_around_an_interleaved_ping() {
    let (mut io, server) = pair(|mut ws| async move {
        let frames = [
            Frame::message(&b"{\"a\":"[..], OpCode::Data(Data::Text), false),
            Frame::ping(&b"hb"[..]),
            Frame::message(&b"1,\"b\""[..], OpCode::Data(Data::Continue), false),
            Frame::message(&b":2}"[..], OpCode::Data(Data::Continue), true),
        ];
        for frame in frames {
            ws.send(TMessage::Frame(frame)).await.expect("send frame");
        }
        let got = ws.next().await.expect("a message").expect("valid");
        assert_eq!(got, TMessage::Pong(b"hb".to_vec().into()));
    })
    .await;
    let mut buf = [0u8; 64];
    let mut reader = WsReader::new(&mut buf);
    let ping = match reader.next(&mut io).await {
        Ok(Message::Ping(payload)) => payload.to_vec(),
        other => panic!("expected a ping, got {other:?}"),
    };
    ws::send_pong(&mut io, &mut Counter(1), &ping)
        .await
        .expect("pong");
    assert_eq!(
        reader.next(&mut io).await,
        Ok(Message::Text(b"{\"a\":1,\"b\":2}"))
    );
    server.await.expect("server script");
}

#[tokio::test]
async fn a_message_larger_than_one_read_arrives_whole() {
    let big: String = (0..40_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let expected = big.clone();
    let (mut io, server) = pair(|mut ws| async move {
        ws.send(TMessage::text(big)).await.expect("send");
    })
    .await;
    let mut buf = vec![0u8; 64 * 1024];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(
        reader.next(&mut io).await,
        Ok(Message::Text(expected.as_bytes()))
    );
    server.await.expect("server script");
}

#[tokio::test]
async fn an_oversized_message_is_drained_and_counted_and_the_next_one_reads_fine() {
    let (mut io, server) = pair(|mut ws| async move {
        ws.send(TMessage::Frame(Frame::message(
            vec![b'x'; 300],
            OpCode::Data(Data::Text),
            false,
        )))
        .await
        .expect("first fragment");
        ws.send(TMessage::Frame(Frame::message(
            vec![b'y'; 700],
            OpCode::Data(Data::Continue),
            true,
        )))
        .await
        .expect("last fragment");
        ws.send(TMessage::text("after")).await.expect("send");
    })
    .await;
    let mut buf = [0u8; 512];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(
        reader.next(&mut io).await,
        Ok(Message::TooLarge { len: 1000 })
    );
    assert_eq!(reader.next(&mut io).await, Ok(Message::Text(b"after")));
    server.await.expect("server script");
}

#[tokio::test]
async fn a_close_from_the_server_carries_its_code() {
    let (mut io, server) = pair(|mut ws| async move {
        let close = CloseFrame {
            code: CloseCode::Away,
            reason: "idle timeout".into(),
        };
        ws.close(Some(close)).await.expect("close");
        // tungstenite waits for our close reply; it arrives or the socket ends.
        let _ = ws.next().await;
    })
    .await;
    let mut buf = [0u8; 64];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(
        reader.next(&mut io).await,
        Ok(Message::Close { code: Some(1001) })
    );
    ws::send_close(&mut io, &mut Counter(3), ws::CLOSE_NORMAL)
        .await
        .expect("close reply");
    server.await.expect("server script");
}

#[tokio::test]
async fn the_key_comes_from_the_injected_rng_and_no_token_is_sent() {
    let (port, mut seen) =
        support::raw::serve(vec![b"HTTP/1.1 101 Switching Protocols\r\n\r\n".to_vec()]).await;
    let mut io = FromTokio::new(TcpStream::connect(("127.0.0.1", port)).await.expect("tcp"));
    let mut head = [0u8; 512];
    let refused = ws::handshake(
        &mut io,
        "streaming.test",
        "/channels/x",
        &mut Counter(0),
        &mut head,
    )
    .await;
    assert_eq!(
        refused,
        Err(WsError::BadHandshake),
        "a 101 without Sec-WebSocket-Accept"
    );
    let request = String::from_utf8(seen.recv().await.expect("request")).expect("utf-8");
    // Counter(0) yields the nonce 1, 2, …, 16.
    assert!(
        request.contains("Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"),
        "{request}"
    );
    assert!(
        request.starts_with("GET /channels/x HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        !request.to_ascii_lowercase().contains("authorization"),
        "{request}"
    );
    assert!(!request.contains("access_token"), "{request}");
}

#[tokio::test]
async fn an_upgrade_refused_with_404_reports_the_status() {
    let (port, _seen) = support::raw::serve(vec![
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ])
    .await;
    let mut io = FromTokio::new(TcpStream::connect(("127.0.0.1", port)).await.expect("tcp"));
    let mut head = [0u8; 512];
    let refused = ws::handshake(
        &mut io,
        "streaming.test",
        "/channels/gone",
        &mut Counter(0),
        &mut head,
    )
    .await;
    assert_eq!(refused, Err(WsError::Rejected(404)));
}

#[tokio::test]
async fn a_masked_frame_from_the_server_breaks_the_protocol() {
    let (mut io, server) = pair(|ws| async move {
        let mut socket = ws.into_inner();
        // FIN + text, masked, length 1, mask key 0, payload 'a'.
        tokio::io::AsyncWriteExt::write_all(&mut socket, &[0x81, 0x81, 0, 0, 0, 0, b'a'])
            .await
            .expect("raw frame");
    })
    .await;
    let mut buf = [0u8; 64];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(reader.next(&mut io).await, Err(WsError::Protocol));
    server.await.expect("server script");
}

#[tokio::test]
async fn a_connection_that_ends_mid_frame_is_not_a_message() {
    let (mut io, server) = pair(|ws| async move {
        let mut socket = ws.into_inner();
        // A text frame announcing 10 bytes, then only 3 and the end of the stream.
        tokio::io::AsyncWriteExt::write_all(&mut socket, &[0x81, 10, b'{', b'"', b'a'])
            .await
            .expect("raw frame");
    })
    .await;
    server.await.expect("server script");
    let mut buf = [0u8; 64];
    let mut reader = WsReader::new(&mut buf);
    assert_eq!(reader.next(&mut io).await, Err(WsError::Io));
}
