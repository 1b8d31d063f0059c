//! A GraphQL-over-WebSocket test client (either subprotocol).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::app::TestApp;

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

/// How long a test waits for the server to say something.
const WAIT: Duration = Duration::from_secs(5);

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Received {
    Json(Value),
    Closed { code: u16, reason: String },
}

impl TestApp {
    /// Opens a WebSocket to `/graphql` offering `protocol`.
    pub async fn ws(&self, protocol: &str) -> WsClient {
        let mut request = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(protocol).unwrap(),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"]
                .to_str()
                .unwrap(),
            protocol
        );
        WsClient { socket }
    }

    /// A socket that has been acknowledged, signed in with `token` when given.
    pub async fn ws_ready(&self, protocol: &str, token: Option<&str>) -> WsClient {
        let mut client = self.ws(protocol).await;
        client.init(token).await;
        assert_eq!(client.next_json().await["type"], "connection_ack");
        client
    }
}

impl WsClient {
    pub async fn send_json(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    pub async fn init(&mut self, token: Option<&str>) {
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        self.send_json(json!({ "type": "connection_init", "payload": payload }))
            .await;
    }

    /// Starts operation `id` (`subscribe`, or `start` in the legacy protocol).
    pub async fn subscribe(&mut self, kind: &str, id: &str, query: &str, variables: Value) {
        self.send_json(json!({
            "type": kind, "id": id,
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next message or close, skipping keep-alives.
    pub async fn receive(&mut self) -> Received {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("the server answers in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ka" || value["type"] == "ping" {
                        continue;
                    }
                    return Received::Json(value);
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|frame| (u16::from(frame.code), frame.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Received::Closed { code, reason };
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    return Received::Closed {
                        code: 1006,
                        reason: String::new(),
                    };
                }
            }
        }
    }

    /// The next JSON message, failing on a close.
    pub async fn next_json(&mut self) -> Value {
        match self.receive().await {
            Received::Json(value) => value,
            closed => panic!("expected a message, got {closed:?}"),
        }
    }

    /// The close code, failing on any other message.
    pub async fn close_code(&mut self) -> (u16, String) {
        match self.receive().await {
            Received::Closed { code, reason } => (code, reason),
            message => panic!("expected a close, got {message:?}"),
        }
    }
}
