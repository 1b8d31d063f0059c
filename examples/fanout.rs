//! Fan-out benchmark client: opens N WebSocket subscribers (graphql-transport-ws,
//! `paperAdded`), submits one paper over HTTP, and measures how long after the mutation's
//! response each subscriber receives it. Run by `bench/run.sh fanout`.
//!
//! With `FANOUT_INBOX_FIRST_USER=ID`, `FANOUT_JWT_SECRET` (the server's `JWT_SECRET`) and
//! `FANOUT_AUTHOR=NAME`, subscriber `i` is user `ID + i` on `notificationReceived`, and the
//! paper is by `NAME`, whom those users follow: the notification fan-out of
//! `bench/run.sh personal`. The mutation's own time is then the time to write every
//! follower's inbox (the notifications commit with the paper), checked by reading the
//! first and last subscriber's inbox.
//!
//! ```text
//! cargo run --release --example fanout -- SUBSCRIBERS TOKEN HTTP_URL WS_URL [WS_URL…]
//! ```
//!
//! Subscribers are spread over the WebSocket URLs (several instances); the paper is
//! submitted to `HTTP_URL`. Prints connection times and delivery latencies; with
//! `FANOUT_SERVER_PIDS=pid,pid` it also reads the servers' resident memory before the
//! subscribers connect and once they are all idle, and prints the difference per subscriber,
//! and the CPU time the servers and this client spent from the submission to the last
//! delivery (every thread's `/proc/…/schedstat`).

#![expect(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark tool"
)]

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Sockets opening at once.
const CONNECTING_AT_ONCE: usize = 256;
/// How long subscribers wait for the paper.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(
        args.len() >= 5,
        "usage: fanout SUBSCRIBERS TOKEN HTTP_URL WS_URL [WS_URL…]"
    );
    let subscribers: usize = args[1].parse().expect("a number of subscribers");
    let token = args[2].clone();
    let http_url = args[3].clone();
    let ws_urls: Vec<String> = args[4..].to_vec();

    let pids: Vec<u32> = std::env::var("FANOUT_SERVER_PIDS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pid| pid.trim().parse().ok())
        .collect();
    let rss_before = resident_kib(&pids);
    let inbox = Inbox::from_env();

    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Duration>();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Option<Instant>>();
    let gate = std::sync::Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let started = Instant::now();
    for index in 0..subscribers {
        let url = ws_urls[index % ws_urls.len()].clone();
        let (ready_tx, done_tx, gate) = (ready_tx.clone(), done_tx.clone(), gate.clone());
        let (init, subscription) = match &inbox {
            Some(inbox) => (
                json!({ "type": "connection_init", "payload": {
                    "Authorization": format!("Bearer {}", inbox.token(index)) } }),
                "subscription { notificationReceived { kind count paper { id } } }",
            ),
            None => (
                json!({ "type": "connection_init" }),
                "subscription { paperAdded { id title } }",
            ),
        };
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await.unwrap();
            let connecting = Instant::now();
            let mut request = url.into_client_request().unwrap();
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_static("graphql-transport-ws"),
            );
            let (mut socket, _) =
                tokio_tungstenite::connect_async_with_config(request, Some(client_config()), true)
                    .await
                    .expect("connect");
            socket.send(Message::text(init.to_string())).await.unwrap();
            loop {
                let message = socket.next().await.expect("ack").unwrap();
                if let Message::Text(text) = message
                    && serde_json::from_str::<Value>(&text).unwrap()["type"] == "connection_ack"
                {
                    break;
                }
            }
            let subscribe = json!({
                "type": "subscribe", "id": "1",
                "payload": { "query": subscription },
            });
            socket
                .send(Message::text(subscribe.to_string()))
                .await
                .unwrap();
            drop(permit);
            ready_tx.send(connecting.elapsed()).unwrap();
            let received = tokio::time::timeout(DELIVERY_TIMEOUT, async {
                while let Some(Ok(message)) = socket.next().await {
                    // Timestamp first; a cheap check keeps the client's own work out of it.
                    let at = Instant::now();
                    if let Message::Text(text) = message
                        && text.as_str().starts_with(r#"{"type":"next""#)
                    {
                        return Some(at);
                    }
                }
                None
            })
            .await
            .ok()
            .flatten();
            done_tx.send(received).unwrap();
            // Keep the socket open until every subscriber has reported.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
    }
    drop((ready_tx, done_tx));

    let mut connect_times = Vec::with_capacity(subscribers);
    while connect_times.len() < subscribers {
        connect_times.push(ready_rx.recv().await.expect("every subscriber connects"));
    }
    let all_connected = started.elapsed();
    println!(
        "subscribed: {subscribers} in {:.2} s",
        all_connected.as_secs_f64()
    );
    // Let the servers settle with every subscriber idle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("connect (TCP + upgrade + init + ack)", &mut connect_times);
    if !pids.is_empty() {
        let rss_after = resident_kib(&pids);
        println!(
            "server memory: {rss_before} KiB before, {rss_after} KiB with the subscribers idle: {:.1} KiB per subscriber",
            rss_after.saturating_sub(rss_before) as f64 / subscribers as f64
        );
    }

    let body = json!({
        "query": "mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }",
        "variables": { "i": {
            "title": format!("Fan-out {}", std::process::id()),
            "abstract": "A paper submitted to measure fan-out.",
            "authors": [inbox.as_ref().map_or("Bench Mark", |inbox| inbox.author.as_str())],
        }},
    });
    let client = reqwest::Client::new();
    let server_cpu_before = cpu_time(&pids);
    let client_cpu_before = cpu_time_of("self");
    let sent = Instant::now();
    let response = client
        .post(&http_url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let answered = Instant::now();
    let text = response.text().await.unwrap();
    assert!(!text.contains("\"errors\""), "submission failed: {text}");
    println!(
        "submitPaper answered in {:.1} ms",
        answered.duration_since(sent).as_secs_f64() * 1e3
    );
    if let Some(inbox) = &inbox {
        let paper: Value = serde_json::from_str(&text).unwrap();
        let paper_id = &paper["data"]["submitPaper"]["paper"]["id"];
        for index in [0, subscribers - 1] {
            let newest = inbox.newest_paper(&client, &http_url, index).await;
            assert_eq!(
                &newest, paper_id,
                "subscriber {index}'s inbox has the paper"
            );
        }
        println!("inboxes checked: the first and last follower's newest notification is the paper");
    }

    let mut latencies = Vec::with_capacity(subscribers);
    let mut missing = 0;
    for _ in 0..subscribers {
        match done_rx.recv().await.flatten() {
            Some(at) => latencies.push(at.saturating_duration_since(answered)),
            None => missing += 1,
        }
    }
    println!(
        "delivered: {} of {subscribers} ({missing} missing)",
        latencies.len()
    );
    report("delivery after the mutation's response", &mut latencies);
    let client_cpu = cpu_time_of("self").saturating_sub(client_cpu_before);
    if !pids.is_empty() {
        let server_cpu = cpu_time(&pids).saturating_sub(server_cpu_before);
        println!(
            "server CPU from the submission to the last delivery: {:.1} ms ({:.1} µs per delivered message)",
            server_cpu.as_secs_f64() * 1e3,
            server_cpu.as_secs_f64() * 1e6 / latencies.len().max(1) as f64
        );
    }
    println!(
        "client CPU in that time: {:.1} ms ({:.1} µs per delivered message)",
        client_cpu.as_secs_f64() * 1e3,
        client_cpu.as_secs_f64() * 1e6 / latencies.len().max(1) as f64
    );
    // Closing thousands of sockets is work too: keep it apart from the measured window.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The notification fan-out's followers: tokens minted with the server's secret.
struct Inbox {
    first_user: i64,
    keys: paperboard::auth::jwt::TokenKeys,
    author: String,
}

impl Inbox {
    fn from_env() -> Option<Self> {
        let first_user = std::env::var("FANOUT_INBOX_FIRST_USER").ok()?;
        let secret = std::env::var("FANOUT_JWT_SECRET").expect("FANOUT_JWT_SECRET");
        Some(Self {
            first_user: first_user.parse().expect("a user id"),
            keys: paperboard::auth::jwt::TokenKeys::new(
                secret.as_bytes(),
                Duration::from_secs(3_600),
            ),
            author: std::env::var("FANOUT_AUTHOR").expect("FANOUT_AUTHOR"),
        })
    }

    fn token(&self, index: usize) -> String {
        let user_id = self.first_user + i64::try_from(index).unwrap();
        self.keys
            .issue(user_id, None, chrono::Utc::now())
            .unwrap()
            .token
    }

    /// The paper of subscriber `index`'s newest notification.
    async fn newest_paper(&self, client: &reqwest::Client, url: &str, index: usize) -> Value {
        let body =
            json!({ "query": "{ viewer { notifications(first: 1) { nodes { paper { id } } } } }" });
        let answer: Value = client
            .post(url)
            .bearer_auth(self.token(index))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["data"]["viewer"]["notifications"]["nodes"][0]["paper"]["id"].clone()
    }
}

/// A lean client socket: the default 128 KiB read buffer per socket would make the client
/// fault in fresh pages for every subscriber at the moment of delivery, which is the client's
/// cost, not the server's.
fn client_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// The summed resident memory of these processes, in KiB.
fn resident_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .sum()
}

/// The summed on-CPU time of every thread of these processes.
fn cpu_time(pids: &[u32]) -> Duration {
    pids.iter().map(|pid| cpu_time_of(&pid.to_string())).sum()
}

/// The on-CPU time of every thread of process `pid` (a number, or `self`): the first field
/// of each thread's `schedstat`, in nanoseconds.
fn cpu_time_of(pid: &str) -> Duration {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = threads
        .filter_map(Result::ok)
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

fn report(what: &str, samples: &mut [Duration]) {
    if samples.is_empty() {
        println!("{what}: no samples");
        return;
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    );
}
