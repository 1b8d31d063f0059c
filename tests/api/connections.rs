//! Connections that are held without being used are closed; beyond the cap new ones are
//! refused clearly. Tested with raw TCP, as a slow or hostile client behaves.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;
use crate::helpers::ws::TRANSPORT_WS;

const HEADER_TIMEOUT: u64 = 1;
const IDLE_TIMEOUT: u64 = 2;

async fn app_with_short_timeouts() -> TestApp {
    TestApp::spawn_with(|config| {
        config.connections.header_timeout_seconds = HEADER_TIMEOUT;
        config.connections.idle_timeout_seconds = IDLE_TIMEOUT;
    })
    .await
}

/// Reads until the server closes the connection; how long that took and what it sent.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return (started.elapsed(), received),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => panic!("still open after {limit:?}"),
        }
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let app = app_with_short_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let (after, _) = until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(after >= Duration::from_millis(900), "{after:?}");
    assert!(after < Duration::from_secs(HEADER_TIMEOUT + 2), "{after:?}");
}

#[tokio::test]
async fn headers_that_stop_or_drip_are_cut_at_the_header_timeout() {
    let app = app_with_short_timeouts().await;
    let mut stopped = TcpStream::connect(app.addr).await.unwrap();
    stopped
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut dripping = TcpStream::connect(app.addr).await.unwrap();
    let drip = async {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaa" {
            if dripping.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (_, (after, _)) = tokio::join!(drip, until_closed(&mut stopped, Duration::from_secs(10)));
    assert!(after < Duration::from_secs(HEADER_TIMEOUT + 2), "{after:?}");
    let (after, received) = until_closed(&mut dripping, Duration::from_secs(10)).await;
    assert!(received.is_empty(), "no answer to an incomplete request");
    assert!(after < Duration::from_secs(HEADER_TIMEOUT + 2), "{after:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = app_with_short_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    // A request, then another after longer than the header timeout: idling between
    // requests is not reading headers.
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0u8; 1024];
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
    let (after, _) = until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(after < Duration::from_secs(IDLE_TIMEOUT), "{after:?}");
}

#[tokio::test]
async fn a_slow_body_is_not_a_slow_header() {
    let app = app_with_short_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let body = br#"{"query":"{ __typename }"}"#;
    stream
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // The body arrives after the header timeout: the request still succeeds.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    stream.write_all(body).await.unwrap();
    let mut buffer = [0u8; 2048];
    let read = stream.read(&mut buffer).await.unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"__typename":"Query"}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn websockets_keep_their_own_keep_alive_rules() {
    let app = app_with_short_timeouts().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    tokio::time::sleep(Duration::from_secs(IDLE_TIMEOUT + 1)).await;
    client
        .send_json(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
        )
        .await;
    let next = client.next_json().await;
    assert_eq!(next["payload"]["data"]["__typename"], "Query", "{next}");
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_with_503() {
    let app = TestApp::spawn_with(|config| {
        config.connections.max_connections = Some(3);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Accepting is asynchronous: give the server a moment to take the three.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = TcpStream::connect(app.addr).await.unwrap();
    let (_, received) = until_closed(&mut refused, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: "),
        "{answer}"
    );
    assert!(answer.contains("SERVICE_UNAVAILABLE"), "{answer}");
    // A slot freed is a slot to use.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_after_100_continue_is_not_a_slow_header() {
    let app = app_with_short_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let body = br#"{"query":"{ __typename }"}"#;
    stream
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut buffer = [0u8; 2048];
    let read = stream.read(&mut buffer).await.unwrap();
    assert!(
        buffer[..read].starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&buffer[..read])
    );
    // The body itself is slow: longer than both timeouts between its halves.
    let (head, tail) = body.split_at(body.len() / 2);
    stream.write_all(head).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    stream.write_all(tail).await.unwrap();
    let read = stream.read(&mut buffer).await.unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
