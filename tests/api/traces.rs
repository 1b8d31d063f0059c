//! Traces over OTLP/HTTP and JSON logs, from the real binary: a request continuing the
//! caller's `traceparent` arrives at a local OTLP receiver as one trace (request, GraphQL
//! operation, loaders, SQL statements), without variable values; log lines carry the
//! trace id.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestDb;
use crate::otlp_fixture::OtlpFixture;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";

/// The binary serving a demo database, exporting spans to `otlp`, logging JSON; its
/// address and every log line it writes.
struct TracedServer {
    child: std::process::Child,
    addr: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for TracedServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn start(db: &TestDb, otlp: &OtlpFixture) -> TracedServer {
    let config = db.config();
    let mut command = Command::new(env!("CARGO_BIN_EXE_paperboard"));
    command
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&config.data_dir)
        .env_remove("DATABASE_URL")
        .env("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
        .env("PAPERBOARD_LOG", "info")
        .env("PAPERBOARD_LOG_FORMAT", "json")
        .env("PAPERBOARD_MAX_RESPONSE_BYTES", "1500")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp.url)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = &config.database_url {
        command.arg("--database-url").arg(url);
    }
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (found, listening) = tokio::sync::oneshot::channel();
    let kept = Arc::clone(&lines);
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line
                .strip_prefix("Paperboard listening on http://")
                .and_then(|rest| rest.strip_suffix("/graphql"))
                && let Some(found) = found.take()
            {
                let _ = found.send(addr.to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(30), listening)
        .await
        .expect("the server starts")
        .expect("a listening line");
    TracedServer { child, addr, lines }
}

#[tokio::test]
async fn a_request_arrives_as_one_trace_and_log_lines_carry_its_id() {
    let otlp = OtlpFixture::start().await;
    let db = TestDb::create().await;
    let server = start(&db, &otlp).await;
    let client = reqwest::Client::new();
    let secret = "variable-value-never-exported";
    let answer: Value = client
        .post(format!("http://{}/graphql", server.addr))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN}-01"))
        .json(&json!({
            "query": "query TracedFront($q: String) { papers(first: 2) { nodes { title authors { name } categories { code } upvoters(first: 1) { totalCount } } } authors(first: 1, nameContains: $q) { totalCount } }",
            "variables": { "q": secret },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.get("data").is_some(), "{answer}");
    // An answer over the (tiny) size limit is logged as a warning within the request.
    let oversized = client
        .post(format!("http://{}/graphql", server.addr))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN}-01"))
        .json(&json!({ "query": "{ papers(first: 20) { nodes { title abstract } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 200);

    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = otlp.spans();
        // A request's span ends after all of its children: once both requests' spans
        // are in, so is everything below them.
        let requests = spans
            .iter()
            .filter(|span| span.trace_id == TRACE_ID && span.name == "POST /graphql")
            .count();
        if requests == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ours: Vec<_> = spans
        .iter()
        .filter(|span| span.trace_id == TRACE_ID)
        .collect();
    let request = ours
        .iter()
        .find(|span| span.name == "POST /graphql")
        .unwrap_or_else(|| panic!("a request span in {spans:#?}"));
    assert_eq!(
        request.parent_span_id, PARENT_SPAN,
        "the caller's trace continues"
    );
    let operation = ours
        .iter()
        .find(|span| span.name == "query TracedFront")
        .unwrap_or_else(|| panic!("an operation span in {spans:#?}"));
    assert_eq!(operation.attribute("graphql.operation.type"), Some("query"));
    assert_eq!(
        operation.attribute("graphql.operation.name"),
        Some("TracedFront")
    );
    assert!(
        ours.iter().any(|span| span.name.starts_with("load ")),
        "{ours:#?}"
    );
    let statement = ours
        .iter()
        .find(|span| {
            span.name == "SELECT"
                && span
                    .attribute("db.query.text")
                    .is_some_and(|sql| sql.contains("FROM \"papers\""))
        })
        .unwrap_or_else(|| panic!("the page's statement span in {ours:#?}"));
    assert!(statement.attribute("db.system.name").is_some());
    // Every span of the request is in the caller's trace, and no value leaves the server.
    let ids: Vec<&str> = ours.iter().map(|span| span.span_id.as_str()).collect();
    for span in &ours {
        assert!(
            span.parent_span_id == PARENT_SPAN || ids.contains(&span.parent_span_id.as_str()),
            "{span:?} hangs off the trace"
        );
    }
    assert!(
        !otlp.raw().contains(secret),
        "variable values are never exported"
    );

    // The log lines are read from the process as they come.
    let mut json_lines: Vec<Value> = Vec::new();
    for _ in 0..100 {
        let lines = server.lines.lock().unwrap().clone();
        json_lines = lines
            .iter()
            .filter(|line| !line.starts_with("Paperboard listening"))
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect();
        if json_lines
            .iter()
            .any(|line| line["level"] == "WARN" && line["span"]["trace_id"] == TRACE_ID)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let warned = json_lines
        .iter()
        .find(|line| line["level"] == "WARN" && line["span"]["trace_id"] == TRACE_ID)
        .unwrap_or_else(|| panic!("a warning with the trace id in {json_lines:#?}"));
    assert!(warned["fields"]["message"].as_str().is_some());
}
