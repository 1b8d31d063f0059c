//! Counts `paperAdded` deliveries while papers flow in (the harvest benchmark): opens N
//! WebSocket subscribers (graphql-transport-ws), prints `ready` once all are subscribed, then
//! counts what each receives until it has EXPECTED papers or nothing came for IDLE_SECONDS,
//! and reports the papers delivered per subscriber and the delay from each paper's
//! `submittedAt` (when it was stored) to its arrival.
//!
//! ```text
//! cargo run --release --example added_counter -- SUBSCRIBERS WS_URL EXPECTED [IDLE_SECONDS]
//! ```

#![expect(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark tool"
)]

use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let subscribers: usize = args[1].parse().expect("subscribers");
    let url = args[2].clone();
    let expected: usize = args[3].parse().expect("expected papers");
    let idle = Duration::from_secs(args.get(4).map_or(10, |s| s.parse().expect("seconds")));

    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::new();
    for _ in 0..subscribers {
        let url = url.clone();
        let ready_tx = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut request = url.into_client_request().unwrap();
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_static("graphql-transport-ws"),
            );
            let (mut socket, _) = tokio_tungstenite::connect_async(request)
                .await
                .expect("connect");
            let send = |value: Value| Message::text(value.to_string());
            socket
                .send(send(json!({ "type": "connection_init" })))
                .await
                .unwrap();
            socket.next().await.expect("ack").unwrap();
            socket
                .send(send(json!({ "type": "subscribe", "id": "1", "payload": {
                    "query": "subscription { paperAdded { id submittedAt } }" } })))
                .await
                .unwrap();
            ready_tx.send(()).unwrap();
            let mut delays = Vec::new();
            while delays.len() < expected {
                let Ok(Some(Ok(Message::Text(text)))) =
                    tokio::time::timeout(idle, socket.next()).await
                else {
                    break;
                };
                let arrived = SystemTime::now();
                let message: Value = serde_json::from_str(&text).unwrap();
                let Some(stored) = message["payload"]["data"]["paperAdded"]["submittedAt"].as_str()
                else {
                    continue;
                };
                let stored: SystemTime =
                    chrono::DateTime::parse_from_rfc3339(stored).unwrap().into();
                delays.push(arrived.duration_since(stored).unwrap_or_default());
            }
            delays
        }));
    }
    drop(ready_tx);
    for _ in 0..subscribers {
        ready_rx.recv().await.expect("every subscriber subscribes");
    }
    println!("ready");

    let mut counts = Vec::new();
    let mut delays = Vec::new();
    for task in tasks {
        let received = task.await.unwrap();
        counts.push(received.len());
        delays.extend(received);
    }
    counts.sort_unstable();
    delays.sort_unstable();
    let at = |q: f64| {
        delays.get(((delays.len() as f64 * q) as usize).min(delays.len().saturating_sub(1)))
    };
    println!(
        "delivered per subscriber: min {} max {} of {expected}; delay after storing: p50 {:?}, p99 {:?}, max {:?}",
        counts.first().unwrap_or(&0),
        counts.last().unwrap_or(&0),
        at(0.5).unwrap_or(&Duration::ZERO),
        at(0.99).unwrap_or(&Duration::ZERO),
        delays.last().unwrap_or(&Duration::ZERO),
    );
}
